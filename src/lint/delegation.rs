//! Delegations that grant nothing: an action delegated to an identity
//! whose conditions and the delegator's admit no common request (one acts
//! only in `staging`, the other only in `production`), so no target
//! renders it and the delegate can never use it.

use crate::analyse::{
    Chain, Check, canonical, context_checks, context_written, grant_of, where_checks, written,
};
use crate::diag::{Code, Diagnostic, Diagnostics, backticked};
use crate::model::Identity;
use crate::source::Loc;
use crate::vocabulary::context::NAMESPACE;

use super::LintContext;

/// Report every action of a delegation entry that its delegate can never
/// use on behalf of its delegator.
pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    // too many chains to render is reported where the rendering refuses
    let Ok(chains) = cx.analysis.chains() else {
        return;
    };
    for chain in chains.values().flatten() {
        // a longer chain that cannot carry an action is not a mistake of
        // one entry: each of its delegations may serve other chains
        if let [delegator] = chain.delegators.as_slice()
            && let (Some(delegate), Some(delegator)) = (
                cx.model.identities.get(&chain.delegate),
                cx.model.identities.get(delegator),
            )
        {
            never_applies(chain, delegate, delegator, out);
        }
    }
}

fn never_applies(chain: &Chain, delegate: &Identity, delegator: &Identity, out: &mut Diagnostics) {
    for (action, checks) in &chain.actions {
        let keys: Vec<&str> = checks
            .iter()
            .filter(|c| c.is_unsatisfiable())
            .map(|c| c.key.as_str())
            .collect();
        // one side that admits nothing on its own is reported as that
        let Some(&key) = keys.first() else {
            continue;
        };
        if !satisfiable(delegate, action, true) || !satisfiable(delegator, action, false) {
            continue;
        }
        let Some(at) = chain
            .hops
            .iter()
            .flat_map(|h| &h.actions)
            .find(|a| a.value == *action)
        else {
            continue;
        };
        let mut d = Diagnostic::new(
            Code::DelegationNeverApplies,
            format!(
                "`{}` can never use `{action}` on behalf of `{}`: no request meets the conditions of both on {}",
                delegate.name.value,
                delegator.name.value,
                backticked(keys.iter().copied())
            ),
        )
        .primary(at.loc, "delegated here, usable nowhere");
        for (identity, whose) in [(delegator, "the delegator's"), (delegate, "the delegate's")] {
            if let Some(loc) = condition(identity, action, key) {
                d = d.secondary(loc, format!("{whose} `{key}`"));
            }
        }
        out.push(d.help(format!(
            "no target renders this delegation: make the two identities' `{key}` overlap, or remove the action from the delegation"
        )));
    }
}

/// Whether some request meets an identity's own conditions on an action:
/// its context (a delegator's without its namespaces, which do not apply
/// along a delegation) and its `where`.
fn satisfiable(identity: &Identity, action: &str, namespaces: bool) -> bool {
    let mut checks: Vec<Check> = context_checks(identity)
        .into_iter()
        .filter(|c| namespaces || c.key != NAMESPACE)
        .collect();
    if let Some(grant) = grant_of(identity, action) {
        checks.extend(where_checks(grant));
    }
    !canonical(checks).iter().any(Check::is_unsatisfiable)
}

/// Where an identity's condition on `key` for `action` is written: its
/// grant's `where`, else its `context`.
fn condition(identity: &Identity, action: &str, key: &str) -> Option<Loc> {
    grant_of(identity, action).map_or_else(
        || context_written(identity, key),
        |grant| written(identity, grant, key),
    )
}
