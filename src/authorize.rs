//! Answering authorization requests with the rendered Cedar and the Cedar
//! authorizer, as an agent gateway would.
//!
//! Only the policies that can apply to a request are evaluated: those the
//! Cedar core's [`Index`] gives for its principal, which are the ones
//! naming it and the ones naming no principal (every other policy names
//! another principal, so it cannot apply). That keeps a decision in microseconds on any workspace;
//! [`Authorizer::decide_whole`] evaluates the whole set, and the tests
//! hold the two equal. nhi's policies read only the request (principal,
//! action and context), so decisions need no entity data.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use cedar_policy::{
    Context, Entities, EntityId, EntityTypeName, EntityUid, PolicySet, Request,
    RestrictedExpression, Schema,
};

use crate::analyse::{self, Decision};
use crate::cedar::index::{Index, covers};
use crate::cedar::policy::{Cond, Effect, Policy, principal_type};
use crate::cedar::schema::SchemaDoc;
use crate::cedar::{CedarError, Rendering, verify};
use crate::diag::{backticked, did_you_mean};
use crate::model::Model;
use crate::source::Loc;
use crate::vocabulary::context;

/// What is asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// The identity that acts.
    pub principal: String,
    /// The action.
    pub action: String,
    /// The resource as `(type, id)`, the type without the namespace; by
    /// default the action's first resource type.
    pub resource: Option<(String, String)>,
    /// Context attributes (`environment=production`, `where` keys…).
    pub attributes: BTreeMap<String, String>,
    /// The identities it acts on behalf of: the immediate delegator first.
    pub on_behalf_of: Vec<String>,
}

impl Query {
    /// The same question for the model's own decision.
    #[must_use]
    pub fn request(&self) -> analyse::Request {
        analyse::Request {
            principal: self.principal.clone(),
            action: self.action.clone(),
            attributes: self.attributes.clone(),
            delegator: self.on_behalf_of.first().cloned(),
            chain: (!self.on_behalf_of.is_empty())
                .then(|| self.on_behalf_of.iter().cloned().collect()),
        }
    }
}

/// A policy that decided a request.
#[derive(Clone, Debug)]
pub struct Decider<'r> {
    /// The policy.
    pub policy: &'r Policy,
}

/// A permit that could have decided a denied request, and what of it the
/// request does not meet.
#[derive(Clone, Debug)]
pub struct Unmet<'r> {
    /// The permit.
    pub policy: &'r Policy,
    /// Each condition the request fails, said in words, with the place in
    /// the workspace that writes it.
    pub failed: Vec<(String, Option<Loc>)>,
}

/// The answer to a query.
#[derive(Clone, Debug)]
pub struct Answer<'r> {
    /// Allow or deny.
    pub decision: Decision,
    /// The policies that decided it: the permits of an allow, the forbids
    /// of a deny (none: default deny).
    pub deciders: Vec<Decider<'r>>,
    /// Of a default deny: the permits for the principal and action, each
    /// with the conditions the request fails.
    pub unmet: Vec<Unmet<'r>>,
    /// Evaluation errors (nhi's policies never raise any).
    pub errors: Vec<String>,
    /// The request as Cedar saw it.
    pub principal: String,
    /// The action's entity.
    pub action: String,
    /// The resource's entity.
    pub resource: String,
}

/// Why a query could not be asked.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum AuthorizeError {
    /// A name that is not in the workspace.
    #[error("{what} `{name}` is not in the workspace")]
    #[diagnostic(code(nhi::authorize::unknown))]
    Unknown {
        /// What kind of name.
        what: &'static str,
        /// The name.
        name: String,
        /// A suggestion.
        #[help]
        help: Option<String>,
    },
    /// The request does not fit the schema.
    #[error("invalid request: {message}")]
    #[diagnostic(code(nhi::authorize::request))]
    Request {
        /// Why.
        message: String,
    },
    /// The rendered Cedar could not be read back.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cedar(#[from] CedarError),
}

/// Answers queries against one rendering.
#[derive(Debug)]
pub struct Authorizer<'r> {
    model: &'r Model,
    rendering: &'r Rendering,
    /// The schema a request of each action is validated against: the
    /// workspace's, with that action alone, parsed when first asked.
    schemas: BTreeMap<&'r str, OnceLock<Schema>>,
    prefix: String,
    by_id: BTreeMap<&'r str, usize>,
    index: Index<'r>,
    parsed: Vec<OnceLock<cedar_policy::Policy>>,
    whole: OnceLock<PolicySet>,
}

impl<'r> Authorizer<'r> {
    /// An authorizer over a rendering of `model`.
    ///
    /// # Errors
    ///
    /// None as yet: the schema is parsed for each action when first asked.
    pub fn new(model: &'r Model, rendering: &'r Rendering) -> Result<Self, AuthorizeError> {
        Ok(Self {
            model,
            rendering,
            schemas: rendering
                .schema
                .actions
                .keys()
                .map(|a| (a.as_str(), OnceLock::new()))
                .collect(),
            prefix: rendering.prefix(),
            by_id: rendering
                .policies
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.as_str(), i))
                .collect(),
            index: Index::new(rendering),
            parsed: rendering.policies.iter().map(|_| OnceLock::new()).collect(),
            whole: OnceLock::new(),
        })
    }

    /// Decide a query on the policies that can apply to it.
    ///
    /// # Errors
    ///
    /// When the query names something the workspace does not have, or a
    /// policy cannot be read back.
    pub fn decide(&self, query: &Query) -> Result<Answer<'r>, AuthorizeError> {
        let request = self.request(query)?;
        let mut set = PolicySet::new();
        for i in self.index.for_principal(&query.principal) {
            set.add(self.policy(i)?.clone())
                .map_err(|e| AuthorizeError::Request {
                    message: e.to_string(),
                })?;
        }
        Ok(self.explained(query, self.answer(&request, &set)))
    }

    /// Whether a policy that can apply to `principal`'s requests reads the
    /// context attribute `key`.
    #[must_use]
    pub fn reads(&self, principal: &str, key: &str) -> bool {
        self.index
            .for_principal(principal)
            .into_iter()
            .filter_map(|i| self.rendering.policies.get(i))
            .flat_map(|p| &p.when)
            .any(|c| matches!(c, Cond::Holds(check) if check.key == key))
    }

    /// Decide a query on the whole policy set.
    ///
    /// # Errors
    ///
    /// As [`Authorizer::decide`].
    pub fn decide_whole(&self, query: &Query) -> Result<Answer<'r>, AuthorizeError> {
        let request = self.request(query)?;
        if self.whole.get().is_none() {
            let mut set = PolicySet::new();
            for i in 0..self.rendering.policies.len() {
                set.add(self.policy(i)?.clone())
                    .map_err(|e| AuthorizeError::Request {
                        message: e.to_string(),
                    })?;
            }
            let _ = self.whole.set(set);
        }
        let set = self.whole.get().ok_or_else(|| AuthorizeError::Request {
            message: "policy set unavailable".to_owned(),
        })?;
        Ok(self.explained(query, self.answer(&request, set)))
    }

    /// A default deny, with what each permit that could have decided it
    /// finds missing.
    fn explained(&self, query: &Query, mut answer: Answer<'r>) -> Answer<'r> {
        if answer.decision != Decision::Deny || !answer.deciders.is_empty() {
            return answer;
        }
        for i in self.index.for_principal(&query.principal) {
            let Some(policy) = self.rendering.policies.get(i) else {
                continue;
            };
            if policy.effect != Effect::Permit || !covers(policy, &query.action) {
                continue;
            }
            let failed: Vec<(String, Option<Loc>)> = policy
                .when
                .iter()
                .filter_map(|c| self.failed(c, policy, query))
                .collect();
            if !failed.is_empty() {
                answer.unmet.push(Unmet { policy, failed });
            }
        }
        answer
    }

    /// What `cond` of `policy` finds wrong with the query, if anything.
    fn failed(&self, cond: &Cond, policy: &Policy, query: &Query) -> Option<(String, Option<Loc>)> {
        let chain: BTreeSet<&str> = query.on_behalf_of.iter().map(String::as_str).collect();
        let said = match cond {
            Cond::NotDelegated if !query.on_behalf_of.is_empty() => {
                "it permits acting for itself, not on behalf of another".to_owned()
            }
            Cond::Delegator(n)
                if query.on_behalf_of.first().map(String::as_str) != Some(n.as_str()) =>
            {
                format!("it permits acting on behalf of `{n}` only")
            }
            // acting for itself, the delegator is what is missing
            Cond::ChainIs(names)
                if !chain.is_empty()
                    && chain != names.iter().map(crate::model::Name::as_str).collect() =>
            {
                format!(
                    "it permits the delegation chain {} only",
                    backticked(names.iter().map(crate::model::Name::as_str))
                )
            }
            Cond::ChainContains(n) if !chain.is_empty() && !chain.contains(n.as_str()) => {
                format!("it permits a delegation chain through `{n}` only")
            }
            Cond::Holds(check) if !check.passes(&query.attributes) => {
                let accepted = check.accepts();
                let said = match query.attributes.get(&check.key) {
                    None => format!("the request has no `{}`: it must be {accepted}", check.key),
                    Some(v) => format!("`{}` is `{v}`, not {accepted}", check.key),
                };
                let written = policy
                    .origin
                    .owner
                    .as_ref()
                    .and_then(|o| self.model.identities.get(o.as_str()))
                    .and_then(|i| {
                        let grant = analyse::grant_of(i, &query.action)?;
                        analyse::written(i, grant, &check.key)
                    });
                return Some((said, written));
            }
            _ => return None,
        };
        Some((said, None))
    }

    fn policy(&self, i: usize) -> Result<&cedar_policy::Policy, AuthorizeError> {
        let cell = self.parsed.get(i).ok_or_else(|| AuthorizeError::Request {
            message: format!("no policy {i}"),
        })?;
        if let Some(p) = cell.get() {
            return Ok(p);
        }
        let source = self
            .rendering
            .policies
            .get(i)
            .ok_or_else(|| AuthorizeError::Request {
                message: format!("no policy {i}"),
            })?;
        let parsed = verify::parse(source, &self.prefix)?;
        Ok(cell.get_or_init(|| parsed))
    }

    fn answer(&self, request: &Request, set: &PolicySet) -> Answer<'r> {
        let response =
            cedar_policy::Authorizer::new().is_authorized(request, set, &Entities::empty());
        let decision = match response.decision() {
            cedar_policy::Decision::Allow => Decision::Allow,
            cedar_policy::Decision::Deny => Decision::Deny,
        };
        let mut deciders: Vec<Decider<'r>> = response
            .diagnostics()
            .reason()
            .filter_map(|id| self.by_id.get(id.to_string().as_str()))
            .filter_map(|&i| self.rendering.policies.get(i))
            .map(|policy| Decider { policy })
            .collect();
        deciders.sort_by(|a, b| a.policy.id.cmp(&b.policy.id));
        let errors = response
            .diagnostics()
            .errors()
            .map(ToString::to_string)
            .collect();
        Answer {
            decision,
            deciders,
            unmet: Vec::new(),
            errors,
            principal: request
                .principal()
                .map(ToString::to_string)
                .unwrap_or_default(),
            action: request
                .action()
                .map(ToString::to_string)
                .unwrap_or_default(),
            resource: request
                .resource()
                .map(ToString::to_string)
                .unwrap_or_default(),
        }
    }

    fn uid(&self, ty: &str, id: &str) -> Result<EntityUid, AuthorizeError> {
        let name: EntityTypeName =
            format!("{}{ty}", self.prefix)
                .parse()
                .map_err(|e: cedar_policy::ParseErrors| AuthorizeError::Request {
                    message: e.to_string(),
                })?;
        Ok(EntityUid::from_type_name_and_id(name, EntityId::new(id)))
    }

    fn request(&self, query: &Query) -> Result<Request, AuthorizeError> {
        let schema = &self.rendering.schema;
        let principal = self
            .model
            .identities
            .get(query.principal.as_str())
            .ok_or_else(|| self.unknown_identity("principal", &query.principal))?;
        for d in &query.on_behalf_of {
            if !self.model.identities.contains_key(d.as_str()) {
                return Err(self.unknown_identity("delegator", d));
            }
        }
        let resources =
            schema
                .actions
                .get(&query.action)
                .ok_or_else(|| AuthorizeError::Unknown {
                    what: "action",
                    name: query.action.clone(),
                    help: did_you_mean(&query.action, schema.actions.keys().map(String::as_str)),
                })?;
        let (ty, id) = match &query.resource {
            Some((ty, id)) => {
                if !resources.contains(ty) {
                    return Err(AuthorizeError::Request {
                        message: format!(
                            "action `{}` applies to resources of type {}, not `{ty}`",
                            query.action,
                            backticked(resources.iter().map(String::as_str))
                        ),
                    });
                }
                (ty.clone(), id.clone())
            }
            None => (
                resources.iter().next().cloned().unwrap_or_default(),
                ANY_RESOURCE.to_owned(),
            ),
        };
        let context = self.context(query)?;
        Request::new(
            self.uid(principal_type(principal.kind), &query.principal)?,
            self.uid("Action", &query.action)?,
            self.uid(&ty, &id)?,
            context,
            Some(self.schema_for(&query.action)?),
        )
        .map_err(|e| AuthorizeError::Request {
            message: e.to_string(),
        })
    }

    /// The schema of the workspace with `action` as its only action: a
    /// request of that action is valid against it exactly when it is
    /// valid against the whole, and it parses in a fraction of the time.
    fn schema_for(&self, action: &str) -> Result<&Schema, AuthorizeError> {
        let whole = &self.rendering.schema;
        let (Some(cell), Some(resources)) = (self.schemas.get(action), whole.actions.get(action))
        else {
            return Err(AuthorizeError::Request {
                message: format!("no action `{action}` in the schema"),
            });
        };
        if let Some(schema) = cell.get() {
            return Ok(schema);
        }
        let doc = SchemaDoc {
            namespace: whole.namespace.clone(),
            actions: BTreeMap::from([(action.to_owned(), resources.clone())]),
            context_keys: whole.context_keys.clone(),
        };
        let parsed = verify::parse_schema(&doc)?;
        Ok(cell.get_or_init(|| parsed))
    }

    fn context(&self, query: &Query) -> Result<Context, AuthorizeError> {
        let known = self.rendering.schema.context();
        let mut pairs = Vec::new();
        for (key, value) in &query.attributes {
            if context::RESERVED_CONTEXT_KEYS.contains(&key.as_str()) {
                return Err(AuthorizeError::Request {
                    message: format!("`{key}` is set from --on-behalf-of, not as a context value"),
                });
            }
            if !known.contains_key(key.as_str()) {
                return Err(AuthorizeError::Unknown {
                    what: "context key",
                    name: key.clone(),
                    help: did_you_mean(key, known.keys().copied()),
                });
            }
            let value = if context::TIME_KEYS.contains(&key.as_str()) {
                let time = crate::model::parse_time(value).ok_or_else(|| AuthorizeError::Request {
                    message: format!(
                        "`{key}` is `{value}`, not an instant: write it as `2026-12-31T17:00:00Z`, with an offset, or as a date"
                    ),
                })?;
                RestrictedExpression::new_datetime(crate::model::time_text(time))
            } else {
                RestrictedExpression::new_string(value.clone())
            };
            pairs.push((key.clone(), value));
        }
        if let Some(first) = query.on_behalf_of.first() {
            pairs.push((
                context::DELEGATOR.to_owned(),
                RestrictedExpression::new_string(first.clone()),
            ));
            let chain: BTreeSet<&String> = query.on_behalf_of.iter().collect();
            pairs.push((
                context::DELEGATION_CHAIN.to_owned(),
                RestrictedExpression::new_set(
                    chain
                        .into_iter()
                        .map(|d| RestrictedExpression::new_string(d.clone())),
                ),
            ));
        }
        Context::from_pairs(pairs).map_err(|e| AuthorizeError::Request {
            message: e.to_string(),
        })
    }

    fn unknown_identity(&self, what: &'static str, name: &str) -> AuthorizeError {
        AuthorizeError::Unknown {
            what,
            name: name.to_owned(),
            help: did_you_mean(
                name,
                self.model.identities.keys().map(crate::model::Name::as_str),
            ),
        }
    }
}

/// Read `Type::id` (or `Type::"id"`), the type with or without the
/// namespace prefix (`Acme::`), into `(type, id)`.
#[must_use]
pub fn parse_resource(text: &str, prefix: &str) -> Option<(String, String)> {
    let text = text.trim();
    let (ty, id) = if let Some(quoted) = text.strip_suffix('"') {
        let (ty, id) = quoted.split_once("::\"")?;
        (ty, id.to_owned())
    } else {
        let (ty, id) = text.rsplit_once("::")?;
        (ty, id.to_owned())
    };
    let ty = if prefix.is_empty() {
        ty
    } else {
        ty.strip_prefix(prefix).unwrap_or(ty)
    };
    (!ty.is_empty() && !id.is_empty()).then(|| (ty.to_owned(), id))
}

/// The resource id used when a query names none: nhi's policies never
/// constrain the resource, so any id gives the same decision.
pub const ANY_RESOURCE: &str = "*";

impl Answer<'_> {
    /// Whether a decider permits (true) or forbids.
    #[must_use]
    pub fn permitted_by_policy(&self) -> bool {
        self.deciders
            .iter()
            .any(|d| d.policy.effect == Effect::Permit)
    }
}
