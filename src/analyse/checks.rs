//! The conditions a grant carries, as tests of the request context: the
//! identity's `context` on everything it does, and each grant's `where`
//! narrowing, in one canonical form so that equal conditions print and
//! compare the same however they were written.

use std::collections::BTreeMap;

use crate::model::{Grant, Identity, Spanned};
use crate::source::Loc;
use crate::vocabulary::context::{APPROVED_BY, ENVIRONMENT, NAMESPACE, REGION};

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

/// Where a condition was written: the grant's `where`, else the identity's
/// `context` (its first value).
#[must_use]
pub fn written(identity: &Identity, grant: &Grant, key: &str) -> Option<Loc> {
    let first = |values: &[Spanned<String>]| values.first().map(|v| v.loc);
    if let Some(values) = grant.conditions.get(key) {
        return first(values);
    }
    if key == APPROVED_BY {
        return grant.approval.as_ref().map(|a| a.loc);
    }
    let c = &identity.context;
    let values = match key {
        ENVIRONMENT => c.environments.as_deref(),
        REGION => c.regions.as_deref(),
        NAMESPACE => c.namespaces.as_deref(),
        other => c.attributes.get(other).map(Vec::as_slice),
    }?;
    first(values)
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
        .chain(
            grant
                .approval
                .iter()
                .map(|team| Check::new(APPROVED_BY, [&team.value])),
        )
        .collect()
}

/// A grant's `where` narrowing, canonical.
#[must_use]
pub fn narrowing(grant: &Grant) -> Vec<Check> {
    canonical(where_checks(grant))
}

/// Every condition a grant carries, canonical: the identity's context and
/// the grant's narrowing.
#[must_use]
pub fn conditions(identity: &Identity, grant: &Grant) -> Vec<Check> {
    let mut checks = context_checks(identity);
    checks.extend(where_checks(grant));
    canonical(checks)
}
