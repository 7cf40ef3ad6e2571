//! What a target cannot enforce of what the file says: a condition it
//! grants without (`TG011`), and regions that leave a cloud none of its
//! own (`TG012`). The enforcement plan decides; these rules say it at the
//! line that wrote the condition, once.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyse::enforce::{self, Unenforceable, Unenforced};
use crate::analyse::federation;
use crate::analyse::{Check, is_forbidden};
use crate::diag::{Code, Diagnostic, Diagnostics, backticked};
use crate::model::{Grant, Identity, Model, Spanned};
use crate::source::Loc;
use crate::vocabulary::context::{ENVIRONMENT, NAMESPACE, REGION};

use super::LintContext;

/// Run the checks.
pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    for identity in cx.analysis.live(cx.model) {
        if cx.analysis.lands(identity).aws {
            aws(cx.model, identity, out);
        }
    }
}

/// Where a condition was written: the grant's `where`, else the identity's
/// `context` (its first value, or the key's list).
fn written<'m>(identity: &'m Identity, grant: &'m Grant, key: &str) -> Option<(bool, Loc)> {
    let first = |values: &'m [Spanned<String>]| values.first().map(|v| v.loc);
    if let Some(values) = grant.conditions.get(key) {
        return first(values).map(|loc| (true, loc));
    }
    let c = &identity.context;
    let values = match key {
        ENVIRONMENT => c.environments.as_deref(),
        REGION => c.regions.as_deref(),
        NAMESPACE => c.namespaces.as_deref(),
        other => c.attributes.get(other).map(Vec::as_slice),
    }?;
    first(values).map(|loc| (false, loc))
}

/// What AWS leaves out for one identity, gathered by where it was written.
#[derive(Default)]
struct Gaps {
    /// Conditions AWS cannot enforce: by location, the condition, why, and
    /// the actions concerned.
    unenforced: BTreeMap<Loc, (Check, bool, BTreeSet<String>, BTreeSet<String>)>,
    /// Region conditions naming no AWS region, by location.
    no_region: BTreeMap<Loc, Check>,
}

fn aws(model: &Model, identity: &Identity, out: &mut Diagnostics) {
    let Ok(trust) = federation::aws(model, identity) else {
        return;
    };
    let catalogue = model.settings.actions.as_ref();
    let mut gaps = Gaps::default();
    for grant in &identity.allowed {
        let action = grant.action.value.as_str();
        let Some(mapping) = catalogue
            .and_then(|c| c.get(action))
            .and_then(|d| d.aws.as_ref())
        else {
            continue;
        };
        if is_forbidden(model, identity, action) {
            continue;
        }
        let plan = enforce::aws(model, identity, grant, mapping, &trust);
        if let Some(check) = plan.no_region
            && let Some((_, loc)) = written(identity, grant, REGION)
        {
            gaps.no_region.insert(loc, check);
        }
        for Unenforced { check, why } in plan.unenforced {
            let Some((_, loc)) = written(identity, grant, &check.key) else {
                continue;
            };
            let entry = gaps.unenforced.entry(loc).or_insert_with(|| {
                let caller = why == Unenforceable::Caller;
                (check.clone(), caller, BTreeSet::new(), BTreeSet::new())
            });
            entry.2.insert(action.to_owned());
            if let Unenforceable::Untaggable(patterns) = why {
                entry.3.extend(patterns);
            }
        }
    }
    for (loc, check) in gaps.no_region {
        out.push(no_region(identity, loc, &check));
    }
    for (loc, (check, caller, actions, patterns)) in gaps.unenforced {
        out.push(if caller {
            caller_unseen(identity, loc, &check, &actions)
        } else {
            untaggable(identity, loc, &check, &patterns)
        });
    }
}

fn no_region(identity: &Identity, loc: Loc, check: &Check) -> Diagnostic {
    Diagnostic::new(
        Code::NoRegionInTarget,
        format!(
            "`{}` runs in AWS, but its regions ({}) name no AWS region: AWS would deny it everything",
            identity.name.value,
            backticked(check.values.iter().map(String::as_str))
        ),
    )
    .primary(loc, "no AWS region in this list")
    .help("add the AWS regions it acts in (`eu-west-1`): each cloud takes its own regions from the list")
}

fn caller_unseen(
    identity: &Identity,
    loc: Loc,
    check: &Check,
    actions: &BTreeSet<String>,
) -> Diagnostic {
    let (what, pin) = if check.key == NAMESPACE {
        (
            "namespace",
            "run it as its service account in the namespace (`system:serviceaccount:NS:NAME`, or its SPIFFE ID)",
        )
    } else {
        (
            "environment",
            "pin the environment in its subject (`repo:ORG/REPO:environment:NAME` for a GitHub Actions job in a deployment environment)",
        )
    };
    Diagnostic::new(
        Code::UnenforcedCondition,
        format!(
            "AWS cannot see the {what} of `{}`'s requests, and its trust does not pin it: its role allows {} in every {what}, and only Cedar holds it to {}",
            identity.name.value,
            backticked(actions.iter().map(String::as_str)),
            backticked(check.values.iter().map(String::as_str))
        ),
    )
    .primary(loc, "not enforced in AWS")
    .help(format!(
        "{pin}; or suppress TG011 for this identity with the reason it is acceptable"
    ))
}

fn untaggable(
    identity: &Identity,
    loc: Loc,
    check: &Check,
    patterns: &BTreeSet<String>,
) -> Diagnostic {
    Diagnostic::new(
        Code::UnenforcedCondition,
        format!(
            "AWS evaluates no tag condition for {} of `{}`: its role allows them whatever their `{}`, and only Cedar holds it to {}",
            backticked(patterns.iter().map(String::as_str)),
            identity.name.value,
            check.key,
            backticked(check.values.iter().map(String::as_str))
        ),
    )
    .primary(loc, "not enforced in AWS for these actions")
    .help("narrow them by resource ARN in the catalogue's mapping, or map the action to AWS actions on taggable resources; or suppress TG011 for this identity with the reason it is acceptable")
}
