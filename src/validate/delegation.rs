//! Delegation only narrows: every edge gives a subset of the delegator's
//! allowed actions, never a forbidden one, for no longer than the
//! delegator's own token; the graph has no cycles; every chain stays within
//! its `max_depth` and the guardrail's depth.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Delegation, Identity, Model, Name};

/// Run every delegation check.
pub fn check(model: &Model, out: &mut Diagnostics) {
    let guard_forbidden: BTreeMap<&str, _> = model
        .settings
        .guardrails
        .forbidden_actions
        .iter()
        .map(|a| (a.value.as_str(), a))
        .collect();
    for from in model.identities.values() {
        for d in &from.delegations {
            edge(model, from, d, &guard_forbidden, out);
        }
    }
    let graph = Graph::new(model);
    let back_edges = graph.cycles(out);
    let limit = model.settings.guardrails.delegation_depth_limit();
    graph.chain_depth(&back_edges, limit, out);
    graph.grant_depths(limit, out);
}

fn edge(
    model: &Model,
    from: &Identity,
    d: &Delegation,
    guard_forbidden: &BTreeMap<&str, &crate::model::Spanned<String>>,
    out: &mut Diagnostics,
) {
    if d.to.value == from.name.value {
        out.push(
            Diagnostic::new(
                Code::SelfDelegation,
                format!("`{}` delegates to itself", from.name.value),
            )
            .primary(d.to.loc, "delegate is the delegator")
            .help("remove the entry; an identity already holds its own actions"),
        );
        return;
    }
    let allowed = from.allowed_names();
    let to = model.identities.get(&d.to.value);
    for action in &d.actions {
        let name = action.value.as_str();
        let forbidden_here = from
            .forbidden
            .iter()
            .find(|f| f.value == name)
            .map(|f| (f.loc, format!("forbidden to `{}` here", from.name.value)))
            .or_else(|| {
                to.and_then(|t| t.forbidden.iter().find(|f| f.value == name))
                    .map(|f| (f.loc, format!("forbidden to `{}` here", d.to.value)))
            })
            .or_else(|| {
                guard_forbidden
                    .get(name)
                    .map(|g| (g.loc, "forbidden for every identity here".to_owned()))
            });
        if let Some((loc, label)) = forbidden_here {
            out.push(
                Diagnostic::new(
                    Code::DelegationForbidden,
                    format!(
                        "`{}` delegates forbidden action `{name}` to `{}`",
                        from.name.value, d.to.value
                    ),
                )
                .primary(action.loc, "delegated here")
                .secondary(loc, label)
                .help("forbidden always wins; remove the action from the delegation"),
            );
        } else if !allowed.contains(name)
            // not in the catalogue: RF001 says so, and that is the fix
            && model
                .settings
                .actions
                .as_ref()
                .is_none_or(|c| c.contains_key(name))
        {
            out.push(
                Diagnostic::new(
                    Code::DelegationWidens,
                    format!("`{}` delegates `{name}`, which it is not allowed itself", from.name.value),
                )
                .primary(action.loc, "not among the delegator's allowed actions")
                .help("a delegate receives a subset of the delegator's allowed actions; add it to `allowed_actions` or remove it here"),
            );
        }
    }
    if let (Some(ttl), Some(own)) = (&d.ttl, &from.auth.ttl)
        && ttl.value > own.value
    {
        out.push(
            Diagnostic::new(
                Code::DelegationTtl,
                format!(
                    "delegation to `{}` lasts {}, longer than `{}`'s own token ({})",
                    d.to.value, ttl.value, from.name.value, own.value
                ),
            )
            .primary(ttl.loc, "delegated TTL")
            .secondary(own.loc, "delegator's TTL")
            .help(format!("shorten it to {} or less", own.value)),
        );
    }
}

/// The delegation graph over existing identities, in name order: the
/// identities that delegate to another, with their edges (one that
/// delegates to nobody starts no chain and closes no cycle).
struct Graph<'m> {
    edges: BTreeMap<&'m Name, Vec<&'m Delegation>>,
}

impl<'m> Graph<'m> {
    fn new(model: &'m Model) -> Self {
        let edges = model
            .identities
            .iter()
            .filter(|(_, identity)| !identity.delegations.is_empty())
            .filter_map(|(name, identity)| {
                let out: Vec<&Delegation> = identity
                    .delegations
                    .iter()
                    .filter(|d| d.to.value != *name && model.identities.contains_key(&d.to.value))
                    .collect();
                (!out.is_empty()).then_some((name, out))
            })
            .collect();
        Self { edges }
    }

    fn out(&self, name: &Name) -> &[&'m Delegation] {
        self.edges.get(name).map_or(&[], Vec::as_slice)
    }

    /// Report each cycle once (at the edge that closes it, in name order);
    /// return those edges so depth checks can ignore them.
    fn cycles(&self, out: &mut Diagnostics) -> BTreeSet<(&'m Name, usize)> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Open,
            Done,
        }
        let mut marks: BTreeMap<&Name, Mark> = BTreeMap::new();
        let mut back = BTreeSet::new();
        for &start in self.edges.keys() {
            if marks.contains_key(start) {
                continue;
            }
            // iterative DFS: (node, next edge index)
            let mut stack: Vec<(&Name, usize)> = vec![(start, 0)];
            marks.insert(start, Mark::Open);
            while let Some(&mut (node, ref mut i)) = stack.last_mut() {
                let edges = self.out(node);
                let Some(&d) = edges.get(*i) else {
                    marks.insert(node, Mark::Done);
                    stack.pop();
                    continue;
                };
                let index = *i;
                *i += 1;
                let next = &d.to.value;
                match marks.get(next) {
                    None => {
                        marks.insert(next, Mark::Open);
                        stack.push((next, 0));
                    }
                    Some(Mark::Open) => {
                        let at = stack.iter().position(|(n, _)| *n == next).unwrap_or(0);
                        let mut chain: Vec<&str> =
                            stack.iter().skip(at).map(|(n, _)| n.as_str()).collect();
                        chain.push(next.as_str());
                        out.push(
                            Diagnostic::new(
                                Code::DelegationCycle,
                                format!("delegation cycle: {}", chain.join(" → ")),
                            )
                            .primary(d.to.loc, "this delegation closes the cycle")
                            .help(
                                "delegation must flow one way; remove one delegation of the cycle",
                            ),
                        );
                        back.insert((node, index));
                    }
                    Some(Mark::Done) => {}
                }
            }
        }
        back
    }

    /// Report the first edge of every chain longer than `limit` hops.
    fn chain_depth(&self, back: &BTreeSet<(&'m Name, usize)>, limit: u32, out: &mut Diagnostics) {
        // longest chain ending at each node, over the acyclic graph
        let mut incoming: BTreeMap<&Name, Vec<&Name>> = BTreeMap::new();
        for (&from, edges) in &self.edges {
            for (i, d) in edges.iter().enumerate() {
                if !back.contains(&(from, i)) {
                    incoming.entry(&d.to.value).or_default().push(from);
                }
            }
        }
        let mut depth: BTreeMap<&Name, u32> = BTreeMap::new();
        let mut best: BTreeMap<&Name, &Name> = BTreeMap::new();
        for &node in self.edges.keys() {
            depth_to(node, &incoming, &mut depth, &mut best);
        }
        for (&from, edges) in &self.edges {
            let before = depth.get(from).copied().unwrap_or(0);
            if before != limit {
                continue;
            }
            for (i, d) in edges.iter().enumerate() {
                if back.contains(&(from, i)) {
                    continue;
                }
                let mut chain = vec![from.as_str()];
                let mut cur = from;
                while let Some(&prev) = best.get(cur) {
                    chain.push(prev.as_str());
                    cur = prev;
                }
                chain.reverse();
                chain.push(d.to.value.as_str());
                out.push(
                    Diagnostic::new(
                        Code::DelegationDepth,
                        format!(
                            "delegation chain {} is {} hops deep, more than {limit}",
                            chain.join(" → "),
                            limit + 1
                        ),
                    )
                    .primary(d.to.loc, "this hop exceeds the limit")
                    .help(
                        "shorten the chain, or raise `guardrails.max_delegation_depth` in nhi.yaml",
                    ),
                );
            }
        }
    }

    /// A delegate may pass on what it received only as many further hops as
    /// the delegation's `max_depth` allows.
    fn grant_depths(&self, limit: u32, out: &mut Diagnostics) {
        for (&from, edges) in &self.edges {
            for d in edges {
                let Some(max) = &d.max_depth else { continue };
                let set: BTreeSet<&str> = d.actions.iter().map(|a| a.value.as_str()).collect();
                let mut path = vec![from, &d.to.value];
                self.walk_grant(from, d, max.value.min(limit), &set, &mut path, out);
            }
        }
    }

    fn walk_grant(
        &self,
        origin: &Name,
        grant: &Delegation,
        remaining: u32,
        set: &BTreeSet<&str>,
        path: &mut Vec<&'m Name>,
        out: &mut Diagnostics,
    ) {
        let Some(&node) = path.last() else { return };
        for next in self.out(node) {
            if path.contains(&&next.to.value) {
                continue;
            }
            let passed: BTreeSet<&str> = next
                .actions
                .iter()
                .map(|a| a.value.as_str())
                .filter(|a| set.contains(a))
                .collect();
            if passed.is_empty() {
                continue;
            }
            if remaining == 0 {
                let actions: Vec<String> = passed.iter().map(|a| format!("`{a}`")).collect();
                let max = grant.max_depth.as_ref().map_or(0, |m| m.value);
                let mut d = Diagnostic::new(
                    Code::DelegationDepth,
                    format!(
                        "`{node}` passes on {} received from `{origin}` beyond its `max_depth` of {max}",
                        actions.join(", ")
                    ),
                )
                .primary(next.to.loc, "delegated one hop too far");
                if let Some(m) = &grant.max_depth {
                    d = d.secondary(m.loc, "depth limited here");
                }
                out.push(d.help("remove the actions from this delegation, or raise `max_depth` where they were delegated"));
                continue;
            }
            path.push(&next.to.value);
            self.walk_grant(origin, grant, remaining - 1, &passed, path, out);
            path.pop();
        }
    }
}

fn depth_to<'a>(
    node: &'a Name,
    incoming: &BTreeMap<&'a Name, Vec<&'a Name>>,
    depth: &mut BTreeMap<&'a Name, u32>,
    best: &mut BTreeMap<&'a Name, &'a Name>,
) -> u32 {
    if let Some(&d) = depth.get(node) {
        return d;
    }
    // iterative post-order over predecessors (the graph is acyclic here)
    let mut stack = vec![(node, false)];
    while let Some((n, expanded)) = stack.pop() {
        if depth.contains_key(n) {
            continue;
        }
        let preds = incoming.get(n).map_or(&[][..], Vec::as_slice);
        if expanded {
            let mut d = 0;
            for &p in preds {
                let pd = depth.get(p).copied().unwrap_or(0).saturating_add(1);
                if pd > d {
                    d = pd;
                    best.insert(n, p);
                }
            }
            depth.insert(n, d);
        } else {
            stack.push((n, true));
            stack.extend(
                preds
                    .iter()
                    .filter(|p| !depth.contains_key(*p))
                    .map(|&p| (p, false)),
            );
        }
    }
    depth.get(node).copied().unwrap_or(0)
}
