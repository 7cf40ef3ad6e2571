//! What `nhi check --prove` proves of the rendered Cedar, for every
//! identity that renders and every request environment:
//!
//! - each action it forbids, and each guardrail action, is denied
//!   (`always-denies` on its slice for that action);
//! - no rendered policy can raise an evaluation error (`never-errors`,
//!   asked once per policy shape, as [`crate::cedar::verify`]
//!   validates once per shape and for the same reason);
//! - a delegate acting for a delegation chain is allowed nothing that any
//!   delegator of the chain is not allowed acting for itself (implication
//!   between the delegate's slice, rewritten as the delegator's requests,
//!   and the delegator's slice: see [`slice::as_principal`]). The
//!   request's `namespace` says where the caller runs, not what it may
//!   do (a delegate runs in its own namespace, see
//!   [`crate::analyse::chains::chain_checks`]), so both sides leave it out.
//!
//! A refutation is an error diagnostic at the YAML that caused it, with the
//! request the solver found.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analyse::Analysis;
use crate::cedar::Rendering;
use crate::cedar::index::{Index, covers};
use crate::cedar::policy::{Policy, Rule, principal_type};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Model, Name};
use crate::source::Loc;
use crate::vocabulary::cedar::PRINCIPAL_TYPES;
use crate::vocabulary::context;

use super::slice::{self, Acting};
use super::{Counterexample, ProveError, Prover, RequestType, Stats, Verdict};

/// The help of a refutation: nhi rendered something that does not mean
/// what the workspace says.
const RENDERING_DEFECT: &str =
    "this is a defect of the rendering, not of the identity: report it with the request above";
/// The same, where the request is shown after the help.
const RENDERING_DEFECT_BELOW: &str =
    "this is a defect of the rendering, not of the identity: report it with the request below";

/// What was proven, and what it cost.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The solver (`cvc5 1.3.1`).
    pub solver: String,
    /// Forbidden or guardrail actions proven denied, per identity and
    /// request environment (or settled: no permit can apply).
    pub denied: usize,
    /// Policy shapes proven never to error, per request environment.
    pub never_errors: usize,
    /// Delegation chains proven within each delegator, per action and
    /// request environment.
    pub delegations: usize,
    /// Queries and time.
    pub stats: Stats,
}

/// Prove the properties of `rendering`, rendered from `model` as
/// `analysis` judges it; each failure is a diagnostic.
///
/// # Errors
///
/// When the solver fails or a slice cannot be compiled.
pub fn prove(
    prover: &mut Prover,
    model: &Model,
    analysis: &Analysis,
    rendering: &Rendering,
) -> Result<(Summary, Diagnostics), ProveError> {
    let index = Index::new(rendering);
    let mut out = Diagnostics::new();
    let mut summary = Summary {
        solver: format!("cvc5 {}", prover.version()),
        ..Summary::default()
    };
    forbidden(prover, model, analysis, &index, &mut summary, &mut out)?;
    never_errors(prover, rendering, &mut summary, &mut out)?;
    delegations(prover, model, &index, &mut summary, &mut out)?;
    summary.stats = prover.stats();
    Ok((summary, out))
}

/// Who forbids an action: the identity itself, or a guardrail.
#[derive(Clone, Copy)]
enum Forbidder {
    Identity,
    Guardrail,
}

fn forbidden(
    prover: &mut Prover,
    model: &Model,
    analysis: &Analysis,
    index: &Index<'_>,
    summary: &mut Summary,
    out: &mut Diagnostics,
) -> Result<(), ProveError> {
    let schema = &index.rendering().schema;
    let guardrails = &model.settings.guardrails.forbidden_actions;
    for identity in analysis.live(model) {
        let name = identity.name.value.as_str();
        let ty = principal_type(identity.kind);
        let mut actions: BTreeMap<&str, (Loc, Forbidder)> = BTreeMap::new();
        for g in guardrails {
            actions
                .entry(&g.value)
                .or_insert((g.loc, Forbidder::Guardrail));
        }
        for f in &identity.forbidden {
            actions.insert(&f.value, (f.loc, Forbidder::Identity));
        }
        for (action, (loc, by)) in actions {
            let policies = index.slice(name, action);
            if !slice::any_permit(&policies) {
                // nothing can permit it: Cedar denies by default
                prover.settled_without_solver();
                summary.denied += 1;
                continue;
            }
            for env in slice::request_types(schema, ty, action) {
                summary.denied += 1;
                let whose = match by {
                    Forbidder::Identity => "which it forbids",
                    Forbidder::Guardrail => "which a guardrail forbids",
                };
                match prover.always_denies(&policies, &env)? {
                    Verdict::Proven => {}
                    Verdict::Refuted(cex) => out.push(
                        with_policies(
                            Diagnostic::new(
                                Code::ProofForbiddenAllowed,
                                format!("the rendered policies allow `{name}` `{action}`, {whose}"),
                            )
                            .primary(loc, "forbidden here"),
                            &cex,
                            &policies,
                            action,
                        )
                        .help(RENDERING_DEFECT_BELOW),
                    ),
                    Verdict::Undecided => out.push(undecided(
                        loc,
                        &format!("that `{name}` is denied `{action}`"),
                        &env,
                        prover,
                    )),
                }
            }
        }
    }
    Ok(())
}

fn never_errors(
    prover: &mut Prover,
    rendering: &Rendering,
    summary: &mut Summary,
    out: &mut Diagnostics,
) -> Result<(), ProveError> {
    let ns = rendering.prefix();
    let schema = &rendering.schema;
    let Some(any_action) = schema.actions.keys().next() else {
        return Ok(());
    };
    let mut seen = BTreeSet::new();
    for policy in &rendering.policies {
        let action = policy
            .actions
            .as_ref()
            .and_then(|a| a.first())
            .unwrap_or(any_action);
        let types: Vec<&'static str> = match &policy.principal {
            Some((ty, _)) => vec![*ty],
            None => PRINCIPAL_TYPES.to_vec(),
        };
        for ty in types {
            if !seen.insert((policy.shape(&ns, "_"), ty)) {
                continue;
            }
            for env in slice::request_types(schema, ty, action) {
                summary.never_errors += 1;
                match prover.never_errors(policy, &env)? {
                    Verdict::Proven => {}
                    Verdict::Refuted(cex) => out.push(
                        Diagnostic::new(
                            Code::ProofPolicyErrors,
                            format!("the rendered policy `{}` can fail to evaluate", policy.id),
                        )
                        .primary(policy.origin.loc_for(action), "rendered from here")
                        .note(format!("for instance on {cex}"))
                        .help(RENDERING_DEFECT),
                    ),
                    Verdict::Undecided => out.push(undecided(
                        policy.origin.loc,
                        &format!("that `{}` never errors", policy.id),
                        &env,
                        prover,
                    )),
                }
            }
        }
    }
    Ok(())
}

fn delegations(
    prover: &mut Prover,
    model: &Model,
    index: &Index<'_>,
    summary: &mut Summary,
    out: &mut Diagnostics,
) -> Result<(), ProveError> {
    // each chain: (delegate, delegators) → its policies
    let mut chains: BTreeMap<(&Name, &[Name]), Vec<&Policy>> = BTreeMap::new();
    for p in &index.rendering().policies {
        if let (Rule::Delegated, Some(owner)) = (p.origin.rule, &p.origin.owner) {
            chains.entry((owner, &p.origin.via)).or_default().push(p);
        }
    }
    for ((delegate, via), policies) in chains {
        let chain = Delegated {
            delegate,
            via,
            policies: &policies,
        };
        within_delegators(prover, model, index, &chain, summary, out)?;
    }
    Ok(())
}

/// One delegation chain's rendered policies.
struct Delegated<'a> {
    /// The identity that acts along it.
    delegate: &'a Name,
    /// The identities it acts for, the immediate delegator first.
    via: &'a [Name],
    /// The policies that permit it.
    policies: &'a [&'a Policy],
}

/// Whether every delegator of a chain is itself allowed what its delegate
/// is allowed along the chain, for every action the chain carries.
fn within_delegators(
    prover: &mut Prover,
    model: &Model,
    index: &Index<'_>,
    chain: &Delegated<'_>,
    summary: &mut Summary,
    out: &mut Diagnostics,
) -> Result<(), ProveError> {
    let schema = &index.rendering().schema;
    let Some(immediate) = chain.via.first() else {
        return Ok(());
    };
    let names: BTreeSet<String> = chain.via.iter().map(|n| n.as_str().to_owned()).collect();
    let acting = Acting {
        delegator: immediate.as_str(),
        chain: &names,
    };
    let actions: BTreeSet<&str> = chain
        .policies
        .iter()
        .flat_map(|p| p.actions.iter().flatten().map(String::as_str))
        .collect();
    let hop = chain.policies.first().map(|p| p.origin.loc);
    for delegator in chain.via {
        let Some(identity) = model.identities.get(delegator) else {
            continue;
        };
        let ty = principal_type(identity.kind);
        for &action in &actions {
            let as_delegator = slice::without_key(
                slice::as_principal(
                    &index.slice(chain.delegate.as_str(), action),
                    &acting,
                    (ty, delegator),
                ),
                context::NAMESPACE,
            );
            if !slice::any_permit(&as_delegator) {
                prover.settled_without_solver();
                summary.delegations += 1;
                continue;
            }
            // the delegator's own request carries no delegation
            let own = slice::without_key(
                slice::for_itself(&index.slice(delegator.as_str(), action)),
                context::NAMESPACE,
            );
            let loc = chain
                .policies
                .iter()
                .find(|p| covers(p, action))
                .map_or(hop.unwrap_or(identity.name.loc), |p| {
                    p.origin.loc_for(action)
                });
            for env in slice::request_types(schema, ty, action) {
                summary.delegations += 1;
                match prover.implies(&as_delegator, &own, &env)? {
                    Verdict::Proven => {}
                    Verdict::Refuted(cex) => out.push(
                        Diagnostic::new(
                            Code::ProofDelegateExceeds,
                            format!(
                                "`{}` acting for `{immediate}` may do `{action}` in a request that `{delegator}` itself may not",
                                chain.delegate
                            ),
                        )
                        .primary(loc, "delegated here")
                        .note(format!("the request, made by `{delegator}` for itself: {cex}"))
                        .help(RENDERING_DEFECT),
                    ),
                    Verdict::Undecided => out.push(undecided(
                        loc,
                        &format!(
                            "that `{}` acting for `{immediate}` stays within `{delegator}`",
                            chain.delegate
                        ),
                        &env,
                        prover,
                    )),
                }
            }
        }
    }
    Ok(())
}

/// The counterexample as a note, with the place of each policy that
/// allowed it.
fn with_policies(
    mut d: Diagnostic,
    cex: &Counterexample,
    slice: &[Policy],
    action: &str,
) -> Diagnostic {
    d = d.note(format!("the request: {cex}"));
    for id in &cex.policies {
        if let Some(p) = slice.iter().find(|p| &p.id == id) {
            d = d.secondary(p.origin.loc_for(action), format!("allowed by `{id}`"));
        }
    }
    d
}

fn undecided(loc: Loc, what: &str, env: &RequestType, prover: &Prover) -> Diagnostic {
    Diagnostic::new(
        Code::ProofUndecided,
        format!(
            "the solver did not prove {what} within {} ms",
            prover.limit().as_millis()
        ),
    )
    .primary(loc, "not proven")
    .note(format!(
        "request environment: {} doing `{}` on {}",
        env.principal, env.action, env.resource
    ))
    .help("raise the limit with `--prove-timeout`")
}
