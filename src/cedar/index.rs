//! The one index of a rendering's policies, by the principal they name.
//!
//! A policy nhi renders names its principal (`principal == Agent::"x"`) or
//! applies to every principal (guardrails, the forbid of everything done
//! on behalf of a suspended identity). Every other principal's policies
//! cannot match a request by `x`, so leaving them out changes no decision
//! on `x`'s requests: the authorizer and the proofs both ask only the
//! policies the index gives them.

use std::collections::{BTreeMap, BTreeSet};

use super::Rendering;
use super::policy::{Effect, Policy};

/// A rendering's policies by the principal they name.
#[derive(Debug)]
pub struct Index<'r> {
    rendering: &'r Rendering,
    by_principal: BTreeMap<&'r str, Vec<usize>>,
    shared: Vec<usize>,
}

impl<'r> Index<'r> {
    /// Index `rendering`.
    #[must_use]
    pub fn new(rendering: &'r Rendering) -> Self {
        let mut by_principal: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut shared = Vec::new();
        for (i, p) in rendering.policies.iter().enumerate() {
            match &p.principal {
                Some((_, name)) => by_principal.entry(name.as_str()).or_default().push(i),
                None => shared.push(i),
            }
        }
        Self {
            rendering,
            by_principal,
            shared,
        }
    }

    /// The rendering.
    #[must_use]
    pub const fn rendering(&self) -> &'r Rendering {
        self.rendering
    }

    /// Every principal that some policy names.
    pub fn principals(&self) -> impl Iterator<Item = &'r str> + '_ {
        self.by_principal.keys().copied()
    }

    /// The policies naming `principal`.
    pub fn own(&self, principal: &str) -> impl Iterator<Item = &'r Policy> + '_ {
        self.by_principal
            .get(principal)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.rendering.policies.get(i))
    }

    /// The policies for every principal.
    pub fn shared(&self) -> impl Iterator<Item = &'r Policy> + '_ {
        self.shared
            .iter()
            .filter_map(|&i| self.rendering.policies.get(i))
    }

    /// The positions of every policy that can apply to a request by
    /// `principal`, whatever it asks and for whomever it acts: those naming
    /// it and those naming no principal, in rendering order. (A policy that
    /// names another principal cannot apply, so leaving it out changes no
    /// decision.)
    #[must_use]
    pub fn for_principal(&self, principal: &str) -> Vec<usize> {
        let mut ids: Vec<usize> = self
            .by_principal
            .get(principal)
            .into_iter()
            .flatten()
            .chain(&self.shared)
            .copied()
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Every policy that can apply to a request by `principal` for
    /// `action`: its own and the shared ones, in rendering order.
    #[must_use]
    pub fn slice(&self, principal: &str, action: &str) -> Vec<Policy> {
        self.for_principal(principal)
            .into_iter()
            .filter_map(|i| self.rendering.policies.get(i))
            .filter(|p| covers(p, action))
            .cloned()
            .collect()
    }

    /// The principal type `principal` renders with, if it has a policy.
    #[must_use]
    pub fn principal_type(&self, principal: &str) -> Option<&'static str> {
        self.own(principal)
            .find_map(|p| p.principal.as_ref().map(|(ty, _)| *ty))
    }

    /// The actions some permit of `principal` allows, sorted.
    #[must_use]
    pub fn permitted_actions(&self, principal: &str) -> BTreeSet<&'r str> {
        self.own(principal)
            .filter(|p| p.effect == Effect::Permit)
            .flat_map(|p| p.actions.iter().flatten().map(String::as_str))
            .collect()
    }
}

/// Whether `policy` can apply to `action`.
#[must_use]
pub fn covers(policy: &Policy, action: &str) -> bool {
    policy
        .actions
        .as_ref()
        .is_none_or(|list| list.iter().any(|a| a == action))
}
