//! Proof that the rendered Cedar is what Cedar accepts: the schema parses,
//! the entities conform to it, and every policy passes the cedar-policy
//! validator in strict mode.
//!
//! Strict validation of every policy costs milliseconds each, which a
//! pre-commit hook on ten thousand identities cannot pay. [`verify`]
//! validates each distinct policy *shape* once instead (see
//! [`Policy::shape`]): sound because the schema nhi renders gives every
//! action the same principal types and the same context type, and the
//! policies' conditions read only the context, so neither the principal's
//! name, nor the string values, nor which actions are listed can change
//! the validator's verdict — only whether every listed action exists,
//! which is checked separately. A policy the validator finds can never
//! apply counts as a failure too: nhi never means to render one. [`verify_full`] validates everything and is
//! what the tests hold the shortcut against.

use std::collections::{BTreeMap, BTreeSet};

use cedar_policy::{
    Entities, PolicyId, PolicySet, Schema, ValidationMode, ValidationWarning, Validator,
};
use rayon::prelude::*;

mod kept;

use crate::analyse::Analysis;
use crate::load::cache::Session;
use crate::model::Model;
use crate::source::SourceDb;

use super::CedarError;
use super::entities::Entity;
use super::policy::Policy;
use super::schema::SchemaDoc;
use super::{Renderer, Rendering};

/// Parse the rendered schema.
///
/// # Errors
///
/// When Cedar rejects it.
pub fn schema(rendering: &Rendering) -> Result<Schema, CedarError> {
    parse_schema(&rendering.schema)
}

/// Parse a schema document.
///
/// # Errors
///
/// When Cedar rejects it.
pub fn parse_schema(doc: &SchemaDoc) -> Result<Schema, CedarError> {
    let text = doc.text();
    Schema::from_cedarschema_str(&text)
        .map(|(schema, _warnings)| schema)
        .map_err(|e| CedarError::Schema {
            message: error_text(&e),
        })
}

/// Parse the entities against the schema.
///
/// # Errors
///
/// When an entity does not conform.
pub fn entities(rendering: &Rendering, schema: &Schema) -> Result<Entities, CedarError> {
    Entities::from_json_str(&rendering.entities_text(), Some(schema)).map_err(|e| {
        CedarError::Entities {
            message: error_text(&e),
        }
    })
}

/// Parse one policy's text under its id.
///
/// # Errors
///
/// When the text does not parse.
pub fn parse(policy: &Policy, ns: &str) -> Result<cedar_policy::Policy, CedarError> {
    let text = policy.text(ns);
    cedar_policy::Policy::parse(Some(PolicyId::new(&policy.id)), &text).map_err(|e| {
        CedarError::Policy {
            id: policy.id.clone(),
            policy: text.clone(),
            message: error_text(&e),
        }
    })
}

/// The distinct shapes of a rendering's policies and entities, each policy
/// shape with the id and text of one policy that has it.
#[derive(Debug, Default)]
pub struct Shapes {
    policies: BTreeMap<String, (String, String)>,
    entities: BTreeSet<String>,
    missing: Option<(String, String, String)>,
}

impl Shapes {
    /// Add policies: their shapes, and any action the schema lacks.
    pub fn add_policies(&mut self, policies: &[Policy], schema: &SchemaDoc, ns: &str) {
        let representative = schema.actions.keys().next().map_or("", String::as_str);
        for p in policies {
            if self.missing.is_none()
                && let Some(a) = p
                    .actions
                    .iter()
                    .flatten()
                    .find(|a| !schema.actions.contains_key(*a))
            {
                self.missing = Some((p.id.clone(), p.text(ns), a.clone()));
            }
            let shape = p.shape(ns, representative);
            self.policies
                .entry(shape)
                .or_insert_with(|| (p.id.clone(), p.text(ns)));
        }
    }

    /// Add an entity's shape.
    pub fn add_entity(&mut self, entity: &Entity) {
        self.entities
            .insert(serde_json::to_string(&entity.shape()).unwrap_or_default());
    }

    /// Both sets together.
    #[must_use]
    pub fn merge(mut self, other: Self) -> Self {
        self.policies.extend(other.policies);
        self.entities.extend(other.entities);
        self.missing = self.missing.or(other.missing);
        self
    }

    /// Validate each shape once against the schema.
    ///
    /// # Errors
    ///
    /// When the schema, an entity shape or a policy shape is rejected; the
    /// error shows a policy of that shape.
    pub fn check(&self, doc: &SchemaDoc) -> Result<(), CedarError> {
        let schema = parse_schema(doc)?;
        if let Some((id, policy, action)) = &self.missing {
            return Err(CedarError::Policy {
                id: id.clone(),
                policy: policy.clone(),
                message: format!("action `{action}` is not declared in the schema"),
            });
        }
        // distinct ids, so the entity shapes can sit in one entity set
        let mut text = String::from("[");
        for (i, shape) in self.entities.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&shape.replacen(r#""id":"_""#, &format!(r#""id":"_{i}""#), 1));
        }
        text.push(']');
        Entities::from_json_str(&text, Some(&schema)).map_err(|e| CedarError::Entities {
            message: error_text(&e),
        })?;
        let mut set = PolicySet::new();
        let mut by_id = BTreeMap::new();
        for (i, (shape, (id, policy))) in self.policies.iter().enumerate() {
            let key = format!("shape{i}");
            let failed = |e: &(dyn miette::Diagnostic + 'static)| CedarError::Policy {
                id: id.clone(),
                policy: policy.clone(),
                message: error_text(e),
            };
            let parsed = cedar_policy::Policy::parse(Some(PolicyId::new(&key)), shape)
                .map_err(|e| failed(&e))?;
            set.add(parsed).map_err(|e| failed(&e))?;
            by_id.insert(key, (id.clone(), policy.clone()));
        }
        validate(&schema, &set, |key| by_id.get(key).cloned())
    }
}

/// Verify the rendering, validating each distinct policy and entity shape
/// once.
///
/// # Errors
///
/// When the schema, an entity shape or a policy shape is rejected; the
/// error shows a policy of that shape.
pub fn verify(rendering: &Rendering) -> Result<(), CedarError> {
    let ns = rendering.prefix();
    let chunk = rendering
        .policies
        .len()
        .div_ceil(rayon::current_num_threads().max(1) * 4)
        .max(1);
    let shapes = rendering
        .policies
        .par_chunks(chunk)
        .map(|policies| {
            let mut s = Shapes::default();
            s.add_policies(policies, &rendering.schema, &ns);
            s
        })
        .reduce(Shapes::default, Shapes::merge);
    let shapes = rendering.entities.iter().fold(shapes, |mut s, e| {
        s.add_entity(e);
        s
    });
    shapes.check(&rendering.schema)
}

/// What [`verify_model`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The identities it rendered (the rest were answered from the cache).
    pub rendered: usize,
    /// Whether it validated the shapes (not when the same schema and
    /// shapes passed before).
    pub validated: bool,
}

/// Render and verify the workspace's Cedar one identity at a time, keeping
/// only the shapes: what `nhi check` runs, in the memory of one identity's
/// policies per thread. With a cache, an identity rendered by an earlier
/// run from the same inputs is not rendered again (see [`kept`]).
///
/// # Errors
///
/// As [`verify`], and when rendering fails.
pub fn verify_model(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    cache: Option<&Session>,
) -> Result<Verified, CedarError> {
    let renderer = Renderer::new(model, analysis, db)?;
    match cache {
        Some(cache) => kept::verify(&renderer, model, analysis, db, cache),
        None => verify_model_cold(&renderer),
    }
}

/// [`verify_model`], rendering every identity.
fn verify_model_cold(renderer: &Renderer<'_>) -> Result<Verified, CedarError> {
    let ns = renderer.prefix().to_owned();
    let rendered = renderer.identities();
    let mut shapes = rendered
        .par_iter()
        .fold(Shapes::default, |mut s, identity| {
            let (policies, entity) = renderer.identity(identity);
            s.add_policies(&policies, renderer.schema(), &ns);
            s.add_entity(&entity);
            s
        })
        .reduce(Shapes::default, Shapes::merge);
    shapes.add_policies(&renderer.guardrails(), renderer.schema(), &ns);
    for team in renderer.teams(&rendered) {
        shapes.add_entity(&team);
    }
    shapes.check(renderer.schema())?;
    Ok(Verified {
        rendered: rendered.len(),
        validated: true,
    })
}

/// Verify the rendering by parsing and strictly validating every policy.
///
/// # Errors
///
/// When the schema, the entities or any policy is rejected.
pub fn verify_full(rendering: &Rendering) -> Result<(), CedarError> {
    let schema = schema(rendering)?;
    entities(rendering, &schema)?;
    let ns = rendering.prefix();
    let mut set = PolicySet::new();
    let mut texts = BTreeMap::new();
    for policy in &rendering.policies {
        let parsed = parse(policy, &ns)?;
        set.add(parsed).map_err(|e| CedarError::Policy {
            id: policy.id.clone(),
            policy: policy.text(&ns),
            message: error_text(&e),
        })?;
        texts.insert(policy.id.clone(), policy.text(&ns));
    }
    validate(&schema, &set, |id| {
        texts.get(id).map(|t| (id.to_owned(), t.clone()))
    })
}

/// Every warning the validator gives on the full policy set (the tests
/// require none for the shipped workspaces).
///
/// # Errors
///
/// When the rendering does not parse.
pub fn warnings(rendering: &Rendering) -> Result<Vec<String>, CedarError> {
    let schema = schema(rendering)?;
    let ns = rendering.prefix();
    let mut set = PolicySet::new();
    for policy in &rendering.policies {
        set.add(parse(policy, &ns)?)
            .map_err(|e| CedarError::Policy {
                id: policy.id.clone(),
                policy: policy.text(&ns),
                message: error_text(&e),
            })?;
    }
    let result = Validator::new(schema).validate(&set, ValidationMode::Strict);
    Ok(result
        .validation_warnings()
        .map(|w| w.to_string())
        .collect())
}

fn validate(
    schema: &Schema,
    set: &PolicySet,
    policy_of: impl Fn(&str) -> Option<(String, String)>,
) -> Result<(), CedarError> {
    let validator = Validator::new(schema.clone());
    let result = validator.validate(set, ValidationMode::Strict);
    let failure = result
        .validation_errors()
        .next()
        .map(|e| (e.policy_id().to_string(), error_text(e)))
        .or_else(|| {
            // nhi never renders a policy that cannot apply (it leaves out
            // grants nothing can satisfy): one that cannot is a rendering bug
            result
                .validation_warnings()
                .find(|w| {
                    matches!(
                        w,
                        ValidationWarning::ImpossiblePolicy(_)
                            | ValidationWarning::InvalidActionApplication(_)
                    )
                })
                .map(|w| (w.policy_id().to_string(), error_text(w)))
        });
    let Some((key, message)) = failure else {
        return Ok(());
    };
    let (id, policy) = policy_of(&key).unwrap_or((key, String::new()));
    Err(CedarError::Policy {
        id,
        policy,
        message,
    })
}

/// An error with its causes and help, on one line each.
fn error_text(error: &(dyn miette::Diagnostic + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if let Some(help) = error.help() {
        text.push_str(" (");
        text.push_str(&help.to_string());
        text.push(')');
    }
    text
}
