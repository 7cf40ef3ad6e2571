//! What the checked model means for access: which identities render, the
//! conditions each grant carries, every delegation chain, and the
//! compiler's own answer to an authorization request.
//!
//! Everything here is pure. The Cedar renderer turns the same facts into
//! policies; [`decide`] answers from the model directly, so tests can hold
//! the two against each other.

pub mod chains;
pub mod decide;
pub mod federation;
pub mod lifecycle;
pub mod permissions;

use std::collections::BTreeMap;

use crate::model::{Date, Grant, Identity, Model, State};
use crate::vocabulary::context::{ENVIRONMENT, NAMESPACE, REGION};

pub use chains::{Chain, chains};
pub use decide::{Decision, Reason, Request, decide};

/// Whether an identity renders into the targets on `today`: revoked and
/// expired identities render to nothing (their access is revoked).
#[must_use]
pub fn renders(identity: &Identity, today: Date) -> bool {
    identity.state.value != State::Revoked && !identity.is_expired(today)
}

/// Whether an identity renders but is quarantined (denied everything).
#[must_use]
pub fn suspended(identity: &Identity) -> bool {
    identity.state.value == State::Suspended
}

/// One attribute test of a request's context: the value at `key` must be
/// one of `values` (no value, or an empty list, never passes).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Check {
    /// The context key.
    pub key: String,
    /// The accepted values, sorted and without repeats.
    pub values: Vec<String>,
}

impl Check {
    fn new<'a>(key: &str, values: impl IntoIterator<Item = &'a String>) -> Self {
        let mut values: Vec<String> = values.into_iter().cloned().collect();
        values.sort();
        values.dedup();
        Self {
            key: key.to_owned(),
            values,
        }
    }

    /// Whether a context passes the test.
    #[must_use]
    pub fn passes(&self, attributes: &BTreeMap<String, String>) -> bool {
        attributes
            .get(&self.key)
            .is_some_and(|v| self.values.iter().any(|a| a == v))
    }

    /// Whether no value can pass.
    #[must_use]
    pub fn is_unsatisfiable(&self) -> bool {
        self.values.is_empty()
    }
}

/// A conjunction of checks in canonical form: one check per key (several
/// checks of a key accept the values all of them accept), sorted by key,
/// so equal conditions print and compare the same whatever order they were
/// written in.
#[must_use]
pub fn canonical(checks: Vec<Check>) -> Vec<Check> {
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for check in checks {
        match by_key.entry(check.key) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(check.values);
            }
            std::collections::btree_map::Entry::Occupied(mut e) => {
                e.get_mut().retain(|v| check.values.contains(v));
            }
        }
    }
    by_key
        .into_iter()
        .map(|(key, values)| Check { key, values })
        .collect()
}

/// The checks an identity's `context` puts on everything it does.
#[must_use]
pub fn context_checks(identity: &Identity) -> Vec<Check> {
    let c = &identity.context;
    let mut checks = Vec::new();
    // an empty list accepts nothing, like every list of accepted values
    for (key, values) in [
        (ENVIRONMENT, &c.environments),
        (REGION, &c.regions),
        (NAMESPACE, &c.namespaces),
    ] {
        if let Some(values) = values {
            checks.push(Check::new(key, values.iter().map(|v| &v.value)));
        }
    }
    for (key, values) in &c.attributes {
        checks.push(Check::new(key, values.iter().map(|v| &v.value)));
    }
    checks
}

/// The checks a grant's `where` narrowing adds.
#[must_use]
pub fn where_checks(grant: &Grant) -> Vec<Check> {
    grant
        .conditions
        .iter()
        .map(|(key, values)| Check::new(key, values.iter().map(|v| &v.value)))
        .collect()
}

/// The grant of an action to an identity, if it holds one (an action
/// listed twice is reported, and its first entry counts).
#[must_use]
pub fn grant_of<'m>(identity: &'m Identity, action: &str) -> Option<&'m Grant> {
    identity.allowed.iter().find(|g| g.action.value == action)
}

/// Whether an action is forbidden to an identity, by its own file or by a
/// guardrail.
#[must_use]
pub fn is_forbidden(model: &Model, identity: &Identity, action: &str) -> bool {
    identity.forbidden.iter().any(|f| f.value == action) || is_guardrail(model, action)
}

/// Every action forbidden to an identity: its own, then the guardrails'.
pub fn forbidden<'a>(model: &'a Model, identity: &'a Identity) -> impl Iterator<Item = &'a str> {
    identity.forbidden.iter().map(|f| f.value.as_str()).chain(
        model
            .settings
            .guardrails
            .forbidden_actions
            .iter()
            .map(|g| g.value.as_str()),
    )
}

/// Whether an organisation guardrail forbids an action.
#[must_use]
pub fn is_guardrail(model: &Model, action: &str) -> bool {
    model
        .settings
        .guardrails
        .forbidden_actions
        .iter()
        .any(|g| g.value == action)
}

/// The deepest delegation chain the workspace allows.
#[must_use]
pub fn max_chain_depth(model: &Model) -> u32 {
    model
        .settings
        .guardrails
        .max_delegation_depth
        .as_ref()
        .map_or(
            crate::model::Guardrails::DEFAULT_MAX_DELEGATION_DEPTH,
            |d| d.value,
        )
}
