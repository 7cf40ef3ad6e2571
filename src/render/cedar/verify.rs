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

use std::collections::BTreeMap;

use cedar_policy::{
    Entities, PolicyId, PolicySet, Schema, ValidationMode, ValidationWarning, Validator,
};

use super::Rendering;
use super::policy::Policy;
use crate::render::RenderError;

/// Parse the rendered schema.
///
/// # Errors
///
/// When Cedar rejects it.
pub fn schema(rendering: &Rendering) -> Result<Schema, RenderError> {
    let text = rendering.schema.text();
    Schema::from_cedarschema_str(&text)
        .map(|(schema, _warnings)| schema)
        .map_err(|e| RenderError::CedarSchema {
            message: error_text(&e),
        })
}

/// Parse the entities against the schema.
///
/// # Errors
///
/// When an entity does not conform.
pub fn entities(rendering: &Rendering, schema: &Schema) -> Result<Entities, RenderError> {
    Entities::from_json_str(&rendering.entities_text(), Some(schema)).map_err(|e| {
        RenderError::CedarEntities {
            message: error_text(&e),
        }
    })
}

/// Parse one policy's text under its id.
///
/// # Errors
///
/// When the text does not parse.
pub fn parse(policy: &Policy, ns: &str) -> Result<cedar_policy::Policy, RenderError> {
    let text = policy.text(ns);
    cedar_policy::Policy::parse(Some(PolicyId::new(&policy.id)), &text).map_err(|e| {
        RenderError::CedarPolicy {
            id: policy.id.clone(),
            policy: text.clone(),
            message: error_text(&e),
        }
    })
}

/// Verify the rendering, validating each distinct policy shape once.
///
/// # Errors
///
/// When the schema, the entities or a policy shape is rejected; the error
/// shows the first policy of that shape.
pub fn verify(rendering: &Rendering) -> Result<(), RenderError> {
    let schema = schema(rendering)?;
    entities(rendering, &schema)?;
    let ns = rendering.prefix();
    let Some(representative) = rendering.schema.actions.keys().next() else {
        return Ok(());
    };
    let mut shapes: BTreeMap<String, &Policy> = BTreeMap::new();
    for policy in &rendering.policies {
        if let Some(missing) = policy
            .actions
            .iter()
            .flatten()
            .find(|a| !rendering.schema.actions.contains_key(*a))
        {
            return Err(RenderError::CedarPolicy {
                id: policy.id.clone(),
                policy: policy.text(&ns),
                message: format!("action `{missing}` is not declared in the schema"),
            });
        }
        shapes
            .entry(policy.shape(&ns, representative))
            .or_insert(policy);
    }
    let mut set = PolicySet::new();
    let mut by_id = BTreeMap::new();
    for (i, (shape, policy)) in shapes.into_iter().enumerate() {
        let id = format!("shape{i}");
        let parsed =
            cedar_policy::Policy::parse(Some(PolicyId::new(&id)), &shape).map_err(|e| {
                RenderError::CedarPolicy {
                    id: policy.id.clone(),
                    policy: policy.text(&ns),
                    message: error_text(&e),
                }
            })?;
        set.add(parsed).map_err(|e| RenderError::CedarPolicy {
            id: policy.id.clone(),
            policy: policy.text(&ns),
            message: error_text(&e),
        })?;
        by_id.insert(id, policy);
    }
    validate(&schema, &set, |id| {
        by_id.get(id).map(|p| (p.id.clone(), p.text(&ns)))
    })
}

/// Verify the rendering by parsing and strictly validating every policy.
///
/// # Errors
///
/// When the schema, the entities or any policy is rejected.
pub fn verify_full(rendering: &Rendering) -> Result<(), RenderError> {
    let schema = schema(rendering)?;
    entities(rendering, &schema)?;
    let ns = rendering.prefix();
    let mut set = PolicySet::new();
    let mut texts = BTreeMap::new();
    for policy in &rendering.policies {
        let parsed = parse(policy, &ns)?;
        set.add(parsed).map_err(|e| RenderError::CedarPolicy {
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
pub fn warnings(rendering: &Rendering) -> Result<Vec<String>, RenderError> {
    let schema = schema(rendering)?;
    let ns = rendering.prefix();
    let mut set = PolicySet::new();
    for policy in &rendering.policies {
        set.add(parse(policy, &ns)?)
            .map_err(|e| RenderError::CedarPolicy {
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
) -> Result<(), RenderError> {
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
    Err(RenderError::CedarPolicy {
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
