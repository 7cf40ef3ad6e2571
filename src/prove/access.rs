//! "No new access", proven: for each identity whose rendered Cedar a
//! change touches, and for every request environment its head policies
//! permit something in, whether the head allows any request the base
//! denied (`check_implies` of the head slice against the base slice, with
//! a counterexample), and whether each action the base forbade it is
//! still denied (`always-denies` of the head slice).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::cedar::index::Index;
use crate::cedar::policy::{Effect, Policy};
use crate::cedar::schema::SchemaDoc;

use super::slice;
use super::{Counterexample, ProveError, Prover, Stats, Verdict};

/// What a proof says of one identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The head allows nothing the base denied, in any environment.
    NoNewAccess,
    /// The head allows a request the base denied.
    NewAccess,
    /// The solver did not decide every environment in time, and none was
    /// refuted.
    Undecided,
}

impl Outcome {
    /// The words of the outcome.
    #[must_use]
    pub const fn words(self) -> &'static str {
        match self {
            Self::NoNewAccess => "no new access (proven)",
            Self::NewAccess => "new access",
            Self::Undecided => "undecided within the time limit",
        }
    }
}

/// The proof for one identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdentityProof {
    /// The identity.
    pub identity: String,
    /// What was proven.
    pub outcome: Outcome,
    /// How many request environments were proven about.
    pub environments: usize,
    /// A request the head allows and the base denied, per environment
    /// where there is one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub counterexamples: Vec<Counterexample>,
    /// A request for an action the base forbade that the head allows,
    /// per environment where there is one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forbidden_allowed: Vec<Counterexample>,
    /// The actions whose proof was undecided.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecided: Vec<String>,
}

/// Every identity's proof, with what it cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessProof {
    /// The solver (`cvc5 1.3.1`).
    pub solver: String,
    /// The time limit of one query, in milliseconds.
    pub limit_millis: u128,
    /// Queries and time.
    pub stats: Stats,
    /// One per identity proven about, in name order.
    pub identities: Vec<IdentityProof>,
}

impl AccessProof {
    /// Whether some identity gains access, or could not be proven not to.
    pub fn unproven(&self) -> impl Iterator<Item = &IdentityProof> {
        self.identities
            .iter()
            .filter(|p| p.outcome != Outcome::NoNewAccess)
    }
}

/// The actions that `index` forbids `principal` by name: its own forbids
/// and the guardrails.
fn forbidden_in<'r>(index: &Index<'r>, principal: &str) -> BTreeSet<&'r str> {
    index
        .own(principal)
        .chain(index.shared())
        .filter(|p| p.effect == Effect::Forbid && p.when.is_empty())
        .flat_map(|p| p.actions.iter().flatten().map(String::as_str))
        .collect()
}

/// The identities whose rendered Cedar differs between `base` and `head`
/// (their own policies, or a policy for every principal that covers one
/// of their permitted actions), with `also` (identities whose files
/// changed), that exist in the head. Text is compared under the namespace
/// prefix `ns`.
#[must_use]
pub fn touched(
    base: &Index<'_>,
    head: &Index<'_>,
    also: &BTreeSet<String>,
    ns: &str,
) -> BTreeSet<String> {
    let text =
        |ps: &mut dyn Iterator<Item = &Policy>| -> Vec<String> { ps.map(|p| p.text(ns)).collect() };
    let base_shared: BTreeSet<String> = text(&mut base.shared()).into_iter().collect();
    let head_shared: BTreeSet<String> = text(&mut head.shared()).into_iter().collect();
    // the actions of every shared policy only one side has (None: all)
    let mut changed_actions: BTreeSet<&str> = BTreeSet::new();
    let mut all_changed = false;
    for p in base.shared().chain(head.shared()) {
        let t = p.text(ns);
        if base_shared.contains(&t) == head_shared.contains(&t) {
            continue;
        }
        match &p.actions {
            None => all_changed = true,
            Some(list) => changed_actions.extend(list.iter().map(String::as_str)),
        }
    }
    head.principals()
        .filter(|name| {
            also.contains(*name)
                || text(&mut base.own(name)) != text(&mut head.own(name))
                || head
                    .permitted_actions(name)
                    .iter()
                    .any(|a| all_changed || changed_actions.contains(a))
        })
        .map(str::to_owned)
        .collect()
}

/// Prove, for each identity of `touched`, that the head allows no request
/// the base denied. `schema` must declare every action of both (see
/// [`slice::union_schema`]) and be the prover's.
///
/// # Errors
///
/// When the solver fails or a slice cannot be compiled.
pub fn prove(
    prover: &mut Prover,
    base: &Index<'_>,
    head: &Index<'_>,
    touched: &BTreeSet<String>,
    schema: &SchemaDoc,
) -> Result<AccessProof, ProveError> {
    let mut identities = Vec::new();
    for name in touched {
        identities.push(identity(prover, (base, head), name, schema)?);
    }
    Ok(AccessProof {
        solver: format!("cvc5 {}", prover.version()),
        limit_millis: prover.limit().as_millis(),
        stats: prover.stats(),
        identities,
    })
}

/// The base's and the head's policies.
type Sides<'a, 'r> = (&'a Index<'r>, &'a Index<'r>);

/// The proof for one identity.
fn identity(
    prover: &mut Prover,
    sides: Sides<'_, '_>,
    name: &str,
    schema: &SchemaDoc,
) -> Result<IdentityProof, ProveError> {
    let mut proof = IdentityProof {
        identity: name.to_owned(),
        outcome: Outcome::NoNewAccess,
        environments: 0,
        counterexamples: Vec::new(),
        forbidden_allowed: Vec::new(),
        undecided: Vec::new(),
    };
    let Some(ty) = sides.1.principal_type(name) else {
        // no policy names it: it is allowed nothing
        prover.settled_without_solver();
        return Ok(proof);
    };
    nothing_gained(prover, sides, (ty, name), schema, &mut proof)?;
    forbidden_kept(prover, sides, (ty, name), schema, &mut proof)?;
    proof.undecided.sort();
    proof.undecided.dedup();
    proof.outcome = if !proof.counterexamples.is_empty() || !proof.forbidden_allowed.is_empty() {
        Outcome::NewAccess
    } else if !proof.undecided.is_empty() {
        Outcome::Undecided
    } else {
        Outcome::NoNewAccess
    };
    Ok(proof)
}

/// Whether the head allows, for each action it permits the principal
/// (type and name), nothing the base denied.
fn nothing_gained(
    prover: &mut Prover,
    (base, head): Sides<'_, '_>,
    (ty, name): (&'static str, &str),
    schema: &SchemaDoc,
    proof: &mut IdentityProof,
) -> Result<(), ProveError> {
    for action in head.permitted_actions(name) {
        let head_slice = head.slice(name, action);
        if !slice::any_permit(&head_slice) {
            prover.settled_without_solver();
            continue;
        }
        let base_slice = base.slice(name, action);
        let envs = slice::request_types(schema, ty, action);
        if slice::same_for(&head_slice, &base_slice, action) {
            // the same policies decide the action on both sides
            proof.environments += envs.len();
            prover.settled_without_solver();
            continue;
        }
        for env in envs {
            proof.environments += 1;
            match prover.implies(&head_slice, &base_slice, &env)? {
                Verdict::Proven => {}
                Verdict::Refuted(cex) => proof.counterexamples.push(*cex),
                Verdict::Undecided => proof.undecided.push(action.to_owned()),
            }
        }
    }
    Ok(())
}

/// Whether the head still denies the principal every action the base
/// forbade it.
fn forbidden_kept(
    prover: &mut Prover,
    (base, head): Sides<'_, '_>,
    (ty, name): (&'static str, &str),
    schema: &SchemaDoc,
    proof: &mut IdentityProof,
) -> Result<(), ProveError> {
    for action in forbidden_in(base, name) {
        let head_slice = head.slice(name, action);
        if !slice::any_permit(&head_slice) {
            prover.settled_without_solver();
            continue;
        }
        for env in slice::request_types(schema, ty, action) {
            proof.environments += 1;
            match prover.always_denies(&head_slice, &env)? {
                Verdict::Proven => {}
                Verdict::Refuted(cex) => proof.forbidden_allowed.push(*cex),
                Verdict::Undecided => proof.undecided.push(action.to_owned()),
            }
        }
    }
    Ok(())
}
