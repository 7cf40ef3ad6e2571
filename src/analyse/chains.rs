//! Every delegation chain: who may act on behalf of whom, with which
//! actions, under which conditions.
//!
//! A chain is a path of declared delegations ending at the identity that
//! acts. An action travels along it only if every hop delegates it, every
//! delegator holds it and none forbids it, and no hop passes it further
//! than its `max_depth`; the chain is no deeper than the guardrail. The
//! conditions of every identity on the path (their `context`, and each
//! delegator's `where` narrowing of the action) all apply.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Date, Delegation, Identity, Model, Name, Spanned};
use crate::source::Loc;

use super::{Check, Standing, canonical, context_checks, grant_of, is_forbidden, where_checks};

/// The most chains a workspace may produce before rendering refuses it.
pub const MAX_CHAINS: usize = 200_000;

/// One delegation chain ending at the identity that acts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// The identity that acts.
    pub delegate: Name,
    /// The identities it acts for: the immediate delegator first, the
    /// origin last.
    pub delegators: Vec<Name>,
    /// The delegation entries of the last hop (in the immediate delegator's
    /// file), for explanations.
    pub hops: Vec<Hop>,
    /// Each action the delegate may take along the chain, with the checks
    /// its request context must pass.
    pub actions: BTreeMap<String, Vec<Check>>,
}

/// A delegation entry of a chain's last hop, where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hop {
    /// The whole entry.
    pub loc: Loc,
    /// The actions it delegates.
    pub actions: Vec<Spanned<String>>,
}

/// A chain as the walk finds it, borrowing the model.
struct Found<'m> {
    delegate: &'m Identity,
    delegators: Vec<&'m Identity>,
    hop: Vec<&'m Delegation>,
    actions: BTreeMap<&'m str, Vec<Check>>,
}

impl From<Found<'_>> for Chain {
    fn from(found: Found<'_>) -> Self {
        Self {
            delegate: found.delegate.name.value.clone(),
            delegators: found
                .delegators
                .iter()
                .map(|d| d.name.value.clone())
                .collect(),
            hops: found
                .hop
                .iter()
                .map(|d| Hop {
                    loc: d.loc,
                    actions: d.actions.clone(),
                })
                .collect(),
            actions: found
                .actions
                .into_iter()
                .map(|(a, checks)| (a.to_owned(), checks))
                .collect(),
        }
    }
}

/// Too many chains to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyChains;

/// Incoming delegations of every rendered identity, from rendered
/// delegators.
type Incoming<'m> = BTreeMap<&'m Name, Vec<(&'m Identity, &'m Delegation)>>;

fn incoming(model: &Model, today: Date) -> Incoming<'_> {
    let renders = |i: &Identity| Standing::of(i, today).renders();
    let mut incoming: Incoming<'_> = BTreeMap::new();
    for from in model.identities.values() {
        if !renders(from) {
            continue;
        }
        for d in &from.delegations {
            let Some(to) = model.identities.get(&d.to.value) else {
                continue;
            };
            if to.name.value != from.name.value && renders(to) {
                incoming.entry(&to.name.value).or_default().push((from, d));
            }
        }
    }
    incoming
}

/// Every chain of the workspace as of `today`, ordered by delegate and then
/// by path.
///
/// # Errors
///
/// When the workspace would produce more than [`MAX_CHAINS`] chains.
pub(crate) fn chains(model: &Model, today: Date) -> Result<Vec<Chain>, TooManyChains> {
    let incoming = incoming(model, today);
    let depth = model.settings.guardrails.delegation_depth_limit();
    let limit = usize::try_from(depth).unwrap_or(usize::MAX);
    let mut walk = Walk {
        model,
        incoming: &incoming,
        limit,
        found: BTreeMap::new(),
        count: 0,
    };
    for (name, edges) in &incoming {
        let Some(delegate) = model.identities.get(*name) else {
            continue;
        };
        for &(from, d) in edges {
            let actions: BTreeSet<&str> = d
                .actions
                .iter()
                .map(|a| a.value.as_str())
                .filter(|a| carries(model, from, a) && !is_forbidden(model, delegate, a))
                .collect();
            walk.extend(delegate, &mut vec![from], d, &actions)?;
        }
    }
    Ok(walk.found.into_values().map(Chain::from).collect())
}

/// Whether a delegator can pass an action on: it holds it and may use it.
fn carries(model: &Model, delegator: &Identity, action: &str) -> bool {
    grant_of(delegator, action).is_some() && !is_forbidden(model, delegator, action)
}

struct Walk<'a, 'm> {
    model: &'m Model,
    incoming: &'a Incoming<'m>,
    limit: usize,
    found: BTreeMap<(&'m Name, Vec<&'m Name>), Found<'m>>,
    count: usize,
}

impl<'m> Walk<'_, 'm> {
    fn extend(
        &mut self,
        delegate: &'m Identity,
        path: &mut Vec<&'m Identity>,
        hop: &'m Delegation,
        actions: &BTreeSet<&'m str>,
    ) -> Result<(), TooManyChains> {
        if actions.is_empty() || path.len() > self.limit {
            return Ok(());
        }
        self.record(delegate, path, hop, actions)?;
        let Some(&last) = path.last() else {
            return Ok(());
        };
        let hops_after = u32::try_from(path.len()).unwrap_or(u32::MAX);
        for &(from, d) in self.incoming.get(&last.name.value).into_iter().flatten() {
            let seen = from.name.value == delegate.name.value
                || path.iter().any(|p| p.name.value == from.name.value);
            if seen || d.max_depth.as_ref().is_some_and(|m| m.value < hops_after) {
                continue;
            }
            let next: BTreeSet<&str> = d
                .actions
                .iter()
                .map(|a| a.value.as_str())
                .filter(|a| actions.contains(a) && carries(self.model, from, a))
                .collect();
            path.push(from);
            let result = self.extend(delegate, path, hop, &next);
            path.pop();
            result?;
        }
        Ok(())
    }

    fn record(
        &mut self,
        delegate: &'m Identity,
        path: &[&'m Identity],
        hop: &'m Delegation,
        actions: &BTreeSet<&'m str>,
    ) -> Result<(), TooManyChains> {
        let key = (
            &delegate.name.value,
            path.iter().map(|p| &p.name.value).collect::<Vec<_>>(),
        );
        let chain = match self.found.entry(key) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                self.count += 1;
                if self.count > MAX_CHAINS {
                    return Err(TooManyChains);
                }
                e.insert(Found {
                    delegate,
                    delegators: path.to_vec(),
                    hop: Vec::new(),
                    actions: BTreeMap::new(),
                })
            }
        };
        if !chain.hop.iter().any(|h| std::ptr::eq(*h, hop)) {
            chain.hop.push(hop);
        }
        for &action in actions {
            chain
                .actions
                .entry(action)
                .or_insert_with(|| chain_checks(delegate, path, action));
        }
        Ok(())
    }
}

/// The checks of an action taken along a chain, the narrowest of all: the
/// delegate's whole context and its own `where` narrowing of the action
/// (if it holds the action itself), and every delegator's `where`
/// narrowing of the action and its context except its namespaces (those
/// say where the delegator itself runs; its delegates run elsewhere).
#[must_use]
pub fn chain_checks(delegate: &Identity, delegators: &[&Identity], action: &str) -> Vec<Check> {
    let mut checks = context_checks(delegate);
    if let Some(g) = grant_of(delegate, action) {
        checks.extend(where_checks(g));
    }
    for d in delegators {
        checks.extend(
            context_checks(d)
                .into_iter()
                .filter(|c| c.key != crate::vocabulary::context::NAMESPACE),
        );
        if let Some(g) = grant_of(d, action) {
            checks.extend(where_checks(g));
        }
    }
    canonical(checks)
}
