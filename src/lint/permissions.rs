//! Least privilege at permission level: no allowed action may expand to a
//! permission that one of the identity's forbidden actions, or a guardrail,
//! covers — in any cloud the workspace renders.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyse::permissions::{self, Clouds, Overlap, Permissions};
use crate::diag::{Code, Diagnostic, Diagnostics};

use super::LintContext;

/// Run the check.
pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    let model = cx.model;
    let clouds = Clouds::of(model);
    let Some(catalogue) = &model.settings.actions else {
        return;
    };
    if !(clouds.aws || clouds.gcp || clouds.azure || clouds.kubernetes) {
        return;
    }
    let expanded: BTreeMap<&str, Permissions> = catalogue
        .iter()
        .map(|(name, action)| (name.as_str(), permissions::of(action)))
        .collect();
    let guardrails: Vec<_> = model.settings.guardrails.forbidden_actions.iter().collect();
    // each pair of actions is compared once, however many identities hold it
    let mut cache: BTreeMap<(&str, &str), Option<Overlap>> = BTreeMap::new();
    let mut pair = |a: &'_ str, f: &'_ str| -> Option<Overlap> {
        let (Some((a, pa)), Some((f, pf))) = (expanded.get_key_value(a), expanded.get_key_value(f))
        else {
            return None;
        };
        cache
            .entry((a, f))
            .or_insert_with(|| permissions::overlap(pa, pf, clouds))
            .clone()
    };
    for identity in model.identities.values() {
        let own: Vec<_> = identity.forbidden.iter().collect();
        let mut seen = BTreeSet::new();
        for grant in &identity.allowed {
            let a = grant.action.value.as_str();
            for (f, guard) in own
                .iter()
                .map(|f| (*f, false))
                .chain(guardrails.iter().map(|g| (*g, true)))
            {
                if f.value == a || !seen.insert((a, f.value.as_str())) {
                    continue;
                }
                let Some(o) = pair(a, &f.value) else { continue };
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
}
