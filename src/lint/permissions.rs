//! Least privilege at permission level: no allowed action may expand to a
//! permission that one of the identity's forbidden actions, or a guardrail,
//! covers — in any cloud the workspace renders.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::analyse::permissions::{self, Clouds, Overlap, Permissions};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Identity, Model};

use super::LintContext;

/// What each catalogue action expands to in the clouds the workspace
/// renders, and which pairs of actions share a permission: worked out once
/// a run, when an identity first asks, and shared by every identity.
#[derive(Debug)]
pub struct Overlaps<'m> {
    model: &'m Model,
    clouds: Clouds,
    expanded: OnceLock<BTreeMap<&'m str, Permissions>>,
    /// Each pair of actions compared so far, compared once however many
    /// identities hold it.
    pairs: Mutex<HashMap<(&'m str, &'m str), Option<Overlap>>>,
}

impl<'m> Overlaps<'m> {
    /// Nothing worked out yet, for `model`.
    #[must_use]
    pub fn new(model: &'m Model) -> Self {
        Self {
            model,
            clouds: Clouds::of(model),
            expanded: OnceLock::new(),
            pairs: Mutex::new(HashMap::new()),
        }
    }

    /// The first permission allowed action `a` grants that forbidden
    /// action `f` covers, when both are in the catalogue.
    fn pair(&self, a: &str, f: &str) -> Option<Overlap> {
        let expanded = self.expanded.get_or_init(|| {
            self.model
                .settings
                .actions
                .iter()
                .flatten()
                .map(|(name, action)| (name.as_str(), permissions::of(action)))
                .collect()
        });
        let ((a, pa), (f, pf)) = (expanded.get_key_value(a)?, expanded.get_key_value(f)?);
        let key = (*a, *f);
        if let Some(known) = self
            .pairs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return known.clone();
        }
        // worked out outside the lock: another thread may do the same
        // pair at once, and find the same
        let found = permissions::overlap(pa, pf, self.clouds);
        self.pairs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, found.clone());
        found
    }
}

/// Report each allowed action of `identity` that grants a permission one
/// of its forbidden actions, or a guardrail, covers.
pub fn identity(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    let model = cx.model;
    let clouds = cx.overlaps.clouds;
    if model.settings.actions.is_none()
        || !(clouds.aws || clouds.gcp || clouds.azure || clouds.kubernetes)
    {
        return;
    }
    let guardrails = &model.settings.guardrails.forbidden_actions;
    let mut seen = BTreeSet::new();
    for grant in &identity.allowed {
        let a = grant.action.value.as_str();
        for (f, guard) in identity
            .forbidden
            .iter()
            .map(|f| (f, false))
            .chain(guardrails.iter().map(|g| (g, true)))
        {
            if f.value == a || !seen.insert((a, f.value.as_str())) {
                continue;
            }
            let Some(o) = cx.overlaps.pair(a, &f.value) else {
                continue;
            };
            let whose = if guard {
                "an organisation guardrail"
            } else {
                "this identity"
            };
            out.push(
                    Diagnostic::new(
                        Code::PermissionOverlap,
                        format!(
                            "allowed action `{a}` grants {} in {}, which forbidden action `{}` covers",
                            o.permission, o.cloud, f.value
                        ),
                    )
                    .primary(grant.action.loc, "allowed here")
                    .secondary(f.loc, format!("forbidden by {whose} here"))
                    .help("forbidden always wins, so the grant would not hold: narrow the mappings so they do not share the permission, or drop one of the two actions"),
                );
        }
    }
}
