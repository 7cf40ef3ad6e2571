//! "Does the head grant anything the base did not?", answered at
//! permission level in every target rather than by comparing action names:
//! an action renamed with the same mapping grants nothing new, and a
//! catalogue mapping widened grants new access to every identity holding
//! the action.

use std::collections::BTreeSet;

use rayon::prelude::*;

use crate::analyse::permissions::{self, Rule};
use crate::analyse::{self, Check, Standing, conditions};
use crate::model::Identity;

use super::{Change, ChangeKind, Risk, Side};

/// One thing an identity may do in one target.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Atom {
    /// A Cedar action under conditions.
    Cedar(String, Vec<Check>),
    /// An IAM action (lower-case, as IAM compares them) on a resource
    /// pattern, and the action as the reference spells it.
    Aws(String, String, String),
    /// A Google Cloud permission.
    Gcp(String),
    /// An Azure operation pattern (lower-case), control or data plane.
    Azure(bool, String),
    /// One RBAC grant: API group, resource, verb, resource name (`""`: any).
    Kubernetes(String, String, String, String),
}

impl Atom {
    fn describe(&self) -> String {
        match self {
            Self::Cedar(a, checks) if checks.is_empty() => format!("Cedar `{a}`"),
            Self::Cedar(a, _) => format!("Cedar `{a}` (under its conditions)"),
            Self::Aws(_, r, spelled) => format!("AWS `{spelled}` on `{r}`"),
            Self::Gcp(p) => format!("Google Cloud `{p}`"),
            Self::Azure(_, op) => format!("Azure `{op}`"),
            Self::Kubernetes(g, r, v, n) => {
                let group = if g.is_empty() { "core" } else { g };
                let name = if n.is_empty() {
                    String::new()
                } else {
                    format!(" `{n}`")
                };
                format!("Kubernetes `{v}` on {group}/`{r}`{name}")
            }
        }
    }
}

/// A pattern that holds another: equal, `*`, or a `prefix*` the other
/// starts with. (Sufficient, and never claims cover it does not have.)
fn holds(base: &str, head: &str) -> bool {
    base == "*"
        || base == head
        || base
            .strip_suffix('*')
            .is_some_and(|prefix| !prefix.contains(['*', '?']) && head.starts_with(prefix))
}

fn covered(atom: &Atom, base: &BTreeSet<Atom>) -> bool {
    if base.contains(atom) {
        return true;
    }
    base.iter().any(|b| match (b, atom) {
        (Atom::Cedar(ba, bc), Atom::Cedar(ha, hc)) => ba == ha && !super::changes::widens(bc, hc),
        (Atom::Aws(ba, br, _), Atom::Aws(ha, hr, _)) => ba == ha && holds(br, hr),
        (Atom::Azure(bd, bo), Atom::Azure(hd, ho)) => bd == hd && holds(bo, ho),
        (Atom::Kubernetes(bg, br, bv, bn), Atom::Kubernetes(hg, hr, hv, hn)) => {
            holds(bg, hg) && holds(br, hr) && holds(bv, hv) && (bn.is_empty() || bn == hn)
        }
        _ => false,
    })
}

fn rule_atoms(rule: &Rule, out: &mut BTreeSet<Atom>) {
    let names: Vec<String> = if rule.resource_names.is_empty() {
        vec![String::new()]
    } else {
        rule.resource_names.clone()
    };
    for g in &rule.api_groups {
        for r in &rule.resources {
            for v in &rule.verbs {
                for n in &names {
                    out.insert(Atom::Kubernetes(g.clone(), r.clone(), v.clone(), n.clone()));
                }
            }
        }
    }
}

/// What an identity may do, in Cedar and every target it lands in: a
/// mapping in a cloud it does not run in grants nothing, and one it starts
/// running in grants everything its actions map to there.
fn atoms(side: Side<'_>, identity: &Identity) -> BTreeSet<Atom> {
    let mut out = BTreeSet::new();
    if side.analysis.standing(identity) != Standing::Active {
        return out;
    }
    let model = side.model;
    let lands = side.analysis.lands(identity);
    let catalogue = model.settings.actions.as_ref();
    let forbidden: BTreeSet<&str> = analyse::forbidden(model, identity).collect();
    for g in &identity.allowed {
        let action = g.action.value.as_str();
        if forbidden.contains(action) {
            continue;
        }
        out.insert(Atom::Cedar(action.to_owned(), conditions(identity, g)));
        let Some(def) = catalogue.and_then(|c| c.get(action)) else {
            continue;
        };
        let p = permissions::of(def);
        if lands.aws
            && let Some(aws) = &p.aws
        {
            for (a, spelled) in &aws.actions {
                for r in &aws.resources {
                    out.insert(Atom::Aws(a.clone(), r.clone(), spelled.clone()));
                }
            }
        }
        if lands.gcp {
            out.extend(p.gcp.iter().flatten().map(|x| Atom::Gcp(x.clone())));
        }
        if lands.azure
            && let Some(az) = &p.azure
        {
            out.extend(
                az.actions
                    .iter()
                    .map(|x| Atom::Azure(false, x.to_ascii_lowercase())),
            );
            out.extend(
                az.data_actions
                    .iter()
                    .map(|x| Atom::Azure(true, x.to_ascii_lowercase())),
            );
        }
        if lands.kubernetes.is_some() {
            for rule in p.kubernetes.iter().flatten() {
                rule_atoms(rule, &mut out);
            }
        }
    }
    out
}

/// A `new-access` change for every identity the head grants something the
/// base did not, naming what (up to five items, then how many more).
#[must_use]
pub fn new_access(base: Side<'_>, head: Side<'_>) -> Vec<Change> {
    let renamed = super::changes::renames(base.model, head.model);
    let identities: Vec<_> = head.model.identities.iter().collect();
    identities
        .par_iter()
        .filter_map(|(name, hi)| {
            // a renamed identity is held against what it had under its old name
            let old = renamed
                .get(name.as_str())
                .map_or(name.as_str(), String::as_str);
            let before = base
                .model
                .identities
                .get(old)
                .map(|bi| atoms(base, bi))
                .unwrap_or_default();
            let after = atoms(head, hi);
            let new: Vec<&Atom> = after.iter().filter(|a| !covered(a, &before)).collect();
            if new.is_empty() {
                return None;
            }
            let mut shown: Vec<String> = new.iter().take(5).map(|a| a.describe()).collect();
            if new.len() > 5 {
                shown.push(format!("and {} more", new.len() - 5));
            }
            Some(Change {
                risk: Risk::High,
                identity: Some(name.to_string()),
                kind: ChangeKind::NewAccess,
                summary: format!("gains access it did not have: {}", shown.join("; ")),
            })
        })
        .collect()
}
