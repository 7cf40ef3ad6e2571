//! The compiler's own answer to "may this identity do this?", read straight
//! from the model: forbidden always wins, then the identity's own grants
//! (acting for itself) or a declared delegation chain (acting on behalf of
//! another), else default deny.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Identity, Model};

use super::chains::chain_checks;
use super::{Analysis, Check, conditions, grant_of, is_forbidden, is_guardrail};

/// An authorization request, as the targets see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The identity that acts.
    pub principal: String,
    /// The action it asks for.
    pub action: String,
    /// String attributes of the request context (`environment`, `region`,
    /// `where` keys, …).
    pub attributes: BTreeMap<String, String>,
    /// The identity it acts on behalf of, if any (`delegator`).
    pub delegator: Option<String>,
    /// Every identity it acts for, the delegator included
    /// (`delegation_chain`).
    pub chain: Option<BTreeSet<String>>,
}

/// Allow or deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Decision {
    /// The request is allowed.
    Allow,
    /// The request is denied.
    Deny,
}

impl Decision {
    /// `allow` or `deny`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        }
    }
}

/// Why the model decided as it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// An organisation guardrail forbids the action.
    Guardrail,
    /// An identity in the delegation chain is suspended.
    SuspendedDelegator(String),
    /// No identity has that name.
    UnknownPrincipal,
    /// The identity is revoked or expired: it renders to nothing.
    NotRendered,
    /// The identity's own file forbids the action.
    Forbidden,
    /// The identity is suspended.
    Suspended,
    /// The identity's own grant allows it.
    Own,
    /// A delegation chain allows it (delegators, immediate first).
    Delegated(Vec<String>),
    /// Nothing allows it.
    NoPermit,
}

/// Decide a request against the model, as its analysis judges it.
#[must_use]
pub fn decide(model: &Model, analysis: &Analysis, request: &Request) -> (Decision, Reason) {
    let deny = |reason| (Decision::Deny, reason);
    let action = request.action.as_str();
    if is_guardrail(model, action) {
        return deny(Reason::Guardrail);
    }
    if let Some(s) = request.chain.iter().flatten().find(|n| {
        model
            .identities
            .get(n.as_str())
            .is_some_and(|i| analysis.suspended(i))
    }) {
        return deny(Reason::SuspendedDelegator(s.clone()));
    }
    let Some(principal) = model.identities.get(request.principal.as_str()) else {
        return deny(Reason::UnknownPrincipal);
    };
    if !analysis.renders(principal) {
        return deny(Reason::NotRendered);
    }
    if is_forbidden(model, principal, action) {
        return deny(Reason::Forbidden);
    }
    if analysis.suspended(principal) {
        return deny(Reason::Suspended);
    }
    let Some(delegator) = &request.delegator else {
        let allowed = grant_of(principal, action).is_some_and(|g| {
            conditions(principal, g)
                .iter()
                .all(|c| c.passes(&request.attributes))
        });
        return if allowed {
            (Decision::Allow, Reason::Own)
        } else {
            deny(Reason::NoPermit)
        };
    };
    let Some(chain) = &request.chain else {
        return deny(Reason::NoPermit);
    };
    let depth = model.settings.guardrails.delegation_depth_limit();
    let limit = usize::try_from(depth).unwrap_or(usize::MAX);
    let Some(path) = find_path(model, analysis, principal, delegator, chain, limit) else {
        return deny(Reason::NoPermit);
    };
    if delegated(model, principal, &path, action)
        && chain_checks(principal, &path, action)
            .iter()
            .all(|c: &Check| c.passes(&request.attributes))
    {
        let names = path.iter().map(|d| d.name.value.to_string()).collect();
        (Decision::Allow, Reason::Delegated(names))
    } else {
        deny(Reason::NoPermit)
    }
}

/// The declared path whose delegators are exactly `chain`, with `delegator`
/// as the last hop to `principal` (in an acyclic delegation graph there is
/// at most one).
fn find_path<'m>(
    model: &'m Model,
    analysis: &Analysis,
    principal: &'m Identity,
    delegator: &str,
    chain: &BTreeSet<String>,
    limit: usize,
) -> Option<Vec<&'m Identity>> {
    if chain.len() > limit || !chain.contains(delegator) {
        return None;
    }
    let first = model.identities.get(delegator)?;
    if !analysis.renders(first) || !delegates_to(first, principal) {
        return None;
    }
    let mut remaining: BTreeSet<&str> = chain.iter().map(String::as_str).collect();
    remaining.remove(delegator);
    let mut path = vec![first.as_ref()];
    extend_path(model, analysis, &mut remaining, &mut path).then_some(path)
}

fn extend_path<'m>(
    model: &'m Model,
    analysis: &Analysis,
    remaining: &mut BTreeSet<&str>,
    path: &mut Vec<&'m Identity>,
) -> bool {
    let Some(&current) = path.last() else {
        return false;
    };
    if remaining.is_empty() {
        return true;
    }
    let candidates: Vec<&str> = remaining.iter().copied().collect();
    for name in candidates {
        let Some(next) = model.identities.get(name) else {
            continue;
        };
        if !analysis.renders(next) || !delegates_to(next, current) {
            continue;
        }
        remaining.remove(name);
        path.push(next);
        if extend_path(model, analysis, remaining, path) {
            return true;
        }
        path.pop();
        remaining.insert(name);
    }
    false
}

fn delegates_to(from: &Identity, to: &Identity) -> bool {
    from.name.value != to.name.value && from.delegations.iter().any(|d| d.to.value == to.name.value)
}

/// Whether an action travels along the path: every hop delegates it within
/// its `max_depth`, and every delegator holds it and may use it.
fn delegated(model: &Model, principal: &Identity, path: &[&Identity], action: &str) -> bool {
    let mut target = principal;
    for (hops_after, delegator) in path.iter().enumerate() {
        let hops_after = u32::try_from(hops_after).unwrap_or(u32::MAX);
        let passes = delegator.delegations.iter().any(|d| {
            d.to.value == target.name.value
                && d.actions.iter().any(|a| a.value == action)
                && d.max_depth.as_ref().is_none_or(|m| m.value >= hops_after)
        });
        if !passes
            || grant_of(delegator, action).is_none()
            || is_forbidden(model, delegator, action)
        {
            return false;
        }
        target = delegator;
    }
    true
}
