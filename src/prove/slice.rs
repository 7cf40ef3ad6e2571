//! Slices of a rendered policy set: the policies that can apply to one
//! principal, in one request environment. Pure.
//!
//! A policy nhi renders names its principal (`principal == Agent::"x"`) or
//! applies to every principal (guardrails, the forbid of everything done
//! on behalf of a suspended identity). Every other principal's policies
//! cannot match a request by `x`, so leaving them out changes no decision
//! on `x`'s requests.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::Name;
use crate::render::cedar::Rendering;
use crate::render::cedar::policy::{Cond, Effect, Policy};
use crate::render::cedar::schema::SchemaDoc;

use super::RequestType;

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

    /// Every policy that can apply to a request by `principal` for
    /// `action`: its own and the shared ones, in rendering order.
    #[must_use]
    pub fn slice(&self, principal: &str, action: &str) -> Vec<Policy> {
        let mut ids: Vec<usize> = self
            .by_principal
            .get(principal)
            .into_iter()
            .flatten()
            .chain(&self.shared)
            .copied()
            .collect();
        ids.sort_unstable();
        ids.into_iter()
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

/// Whether two slices are the same policies as far as `action` goes: each
/// listing only `action` of the actions it lists, their texts are equal.
/// Then they decide every request for `action` alike, and no query is
/// needed to prove that one allows what the other does.
#[must_use]
pub fn same_for(a: &[Policy], b: &[Policy], action: &str) -> bool {
    let text = |p: &Policy| {
        let mut only = p.clone();
        if only.actions.is_some() {
            only.actions = Some(vec![action.to_owned()]);
        }
        only.text("")
    };
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| text(x) == text(y))
}

/// Whether any policy of `slice` is a permit.
#[must_use]
pub fn any_permit(slice: &[Policy]) -> bool {
    slice.iter().any(|p| p.effect == Effect::Permit)
}

/// The request environments of `principal_type` doing `action`: one per
/// resource type the schema gives the action.
#[must_use]
pub fn request_types(
    schema: &SchemaDoc,
    principal_type: &'static str,
    action: &str,
) -> Vec<RequestType> {
    schema
        .actions
        .get(action)
        .into_iter()
        .flatten()
        .map(|resource| RequestType {
            principal: principal_type,
            action: action.to_owned(),
            resource: resource.clone(),
        })
        .collect()
}

/// The schema that both renderings' policies validate against: every
/// action with the union of its resource types, every context key, under
/// the head's namespace.
#[must_use]
pub fn union_schema(base: &SchemaDoc, head: &SchemaDoc) -> SchemaDoc {
    let mut out = head.clone();
    for (action, types) in &base.actions {
        out.actions
            .entry(action.clone())
            .or_default()
            .extend(types.iter().cloned());
    }
    out.context_keys.extend(base.context_keys.iter().cloned());
    out
}

/// What a delegate's request carries when it acts for a chain: its
/// immediate delegator and every identity of the chain.
#[derive(Clone, Debug)]
pub struct Acting<'a> {
    /// The identity acted for (the request's `delegator`).
    pub delegator: &'a str,
    /// Every identity acted for (the request's `delegation_chain`).
    pub chain: &'a BTreeSet<String>,
}

/// The policies of `slice` as they decide the delegate's requests made for
/// `acting`, rewritten to decide instead the same requests made by
/// `principal` (type and name) acting for itself: each condition on the
/// delegation is settled by what `acting` says (a policy whose settled
/// condition is false is dropped), every policy naming the delegate names
/// `principal` instead, and every policy requires that no delegation be
/// carried. Since nhi's policies read the principal only by equality and
/// the delegation only through these conditions, the rewritten slice
/// allows `principal`'s own request exactly when the original allows the
/// delegate's delegated one.
#[must_use]
pub fn as_principal(
    slice: &[Policy],
    acting: &Acting<'_>,
    principal: (&'static str, &Name),
) -> Vec<Policy> {
    slice
        .iter()
        .filter_map(|p| {
            let mut when = vec![Cond::NotDelegated];
            for cond in &p.when {
                let holds = match cond {
                    Cond::NotDelegated => false,
                    Cond::Delegator(name) => name.as_str() == acting.delegator,
                    Cond::ChainIs(names) => {
                        names.len() == acting.chain.len()
                            && names.iter().all(|n| acting.chain.contains(n.as_str()))
                    }
                    Cond::ChainContains(name) => acting.chain.contains(name.as_str()),
                    Cond::OneOf(_) => {
                        when.push(cond.clone());
                        true
                    }
                };
                if !holds {
                    return None;
                }
            }
            let mut out = p.clone();
            if out.principal.is_some() {
                out.principal = Some((principal.0, principal.1.clone()));
            }
            out.when = when;
            Some(out)
        })
        .collect()
}

/// `policies` without their conditions on the context attribute `key`.
#[must_use]
pub fn without_key(mut policies: Vec<Policy>, key: &str) -> Vec<Policy> {
    for p in &mut policies {
        p.when
            .retain(|c| !matches!(c, Cond::OneOf(check) if check.key == key));
    }
    policies
}
