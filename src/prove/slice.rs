//! Slices of a rendered policy set for the solver: the policies that can
//! apply to one principal (from the Cedar core's [`Index`]) in one request
//! environment, compared, and rewritten to hold a delegate against its
//! delegator. Pure.

use std::collections::BTreeSet;

use crate::cedar::policy::{Cond, Effect, Policy};
use crate::cedar::schema::SchemaDoc;
use crate::model::Name;

use super::RequestType;

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
                    Cond::Holds(_) => {
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

/// The policies of `slice` as they decide requests made by their principal
/// acting for itself: no delegator and no delegation chain, so a condition
/// on the delegation is false (the policy cannot apply) and "not delegated"
/// holds. nhi's gateway sets the delegator and the chain together; the
/// solver, left alone, would consider a chain without a delegator.
#[must_use]
pub fn for_itself(slice: &[Policy]) -> Vec<Policy> {
    slice
        .iter()
        .filter(|p| {
            p.when.iter().all(|c| {
                !matches!(
                    c,
                    Cond::Delegator(_) | Cond::ChainIs(_) | Cond::ChainContains(_)
                )
            })
        })
        .map(|p| {
            let mut out = p.clone();
            out.when.retain(|c| !matches!(c, Cond::NotDelegated));
            out
        })
        .collect()
}

/// `policies` without their conditions on the context attribute `key`.
#[must_use]
pub fn without_key(mut policies: Vec<Policy>, key: &str) -> Vec<Policy> {
    for p in &mut policies {
        p.when
            .retain(|c| !matches!(c, Cond::Holds(check) if check.key == key));
    }
    policies
}
