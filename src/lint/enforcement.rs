//! What a target cannot enforce of what the file says: a condition it
//! grants without (`TG011`), regions that leave a cloud none of its own
//! (`TG012`), forbidden actions Azure cannot deny (`TG013`), and a `where`
//! naming more resources than a Google Cloud condition holds (`TG014`). The
//! enforcement plan decides; these rules say it at the line that wrote
//! it, once per target.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyse::enforce::{self, Unenforceable, Unenforced};
use crate::analyse::{Check, Test, federation, is_forbidden, written};
use crate::diag::{Code, Diagnostic, Diagnostics, backticked};
use crate::model::{Grant, Identity, Model, Platform};
use crate::source::Loc;
use crate::vocabulary::context::{
    APPROVED_AT, APPROVED_BY, NAMESPACE, REGION, RESERVED_CONTEXT_KEYS, TIME_KEYS,
};
use crate::vocabulary::gcp;

use super::LintContext;

/// What the targets an identity lands in cannot enforce of its file.
pub fn identity(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    if !cx.analysis.renders(identity) {
        return;
    }
    for platform in cx.analysis.lands(identity).platforms() {
        target(cx.model, identity, platform, out);
    }
    if cx.analysis.lands(identity).azure {
        azure_cannot_deny(cx.model, identity, out);
    }
}

/// The guardrails Azure cannot deny, once, when an identity lands there.
pub fn workspace(cx: &LintContext<'_>, out: &mut Diagnostics) {
    if cx
        .analysis
        .live(cx.model)
        .any(|identity| cx.analysis.lands(identity).azure)
    {
        guardrails_in_azure(cx.model, out);
    }
}

/// A `where` that narrows an action in Google Cloud to more resources than
/// one IAM condition compares.
fn too_many_names(
    identity: &Identity,
    grant: &Grant,
    key: &str,
    names: &[String],
    out: &mut Diagnostics,
) {
    // a time window takes one `&&` per bound
    let bounds = usize::from(grant.terms().valid_from.is_some())
        + usize::from(grant.terms().valid_until.is_some());
    let most = gcp::MAX_CONDITION_NAMES.saturating_sub(bounds);
    if names.len() <= most {
        return;
    }
    let Some(loc) = written(identity, grant, key) else {
        return;
    };
    out.push(
        Diagnostic::new(
            Code::ConditionTooLarge,
            format!(
                "`{}` narrows `{}` to {} `{key}` names in Google Cloud, and one IAM condition compares at most {most}{}",
                identity.name.value,
                grant.action.value,
                names.len(),
                if bounds > 0 { " beside its time window" } else { "" }
            ),
        )
        .primary(loc, "too many names for one Google Cloud condition")
        .help("split the grant into actions over fewer resources, or name a resource that holds them (a repository, a bucket) instead"),
    );
}

/// Whether an action means something in Azure.
fn in_azure(model: &Model, action: &str) -> bool {
    model
        .settings
        .actions
        .as_ref()
        .and_then(|c| c.get(action))
        .is_some_and(|a| a.means_something_in(Platform::Azure))
}

/// Said once per identity in Azure, at its first forbidden action that
/// means something there.
fn azure_cannot_deny(model: &Model, identity: &Identity, out: &mut Diagnostics) {
    let Some(first) = identity
        .forbidden
        .iter()
        .find(|f| in_azure(model, &f.value))
    else {
        return;
    };
    out.push(
        Diagnostic::new(
            Code::AzureCannotDeny,
            format!(
                "Azure cannot deny: `{}`'s forbidden actions are left out of its role, and another role assigned to its managed identity would still grant them",
                identity.name.value
            ),
        )
        .primary(first.loc, "left out in Azure, not denied")
        .help("keep its managed identity to the one role nhi assigns it; Cedar and the other clouds deny these actions"),
    );
}

/// Said once for the workspace, at its first guardrail that means
/// something in Azure.
fn guardrails_in_azure(model: &Model, out: &mut Diagnostics) {
    let guardrails = &model.settings.guardrails.forbidden_actions;
    let Some(first) = guardrails.iter().find(|g| in_azure(model, &g.value)) else {
        return;
    };
    out.push(
        Diagnostic::new(
            Code::AzureCannotDeny,
            "Azure cannot deny: the guardrails are left out of every role nhi assigns, and another role assigned to a managed identity would still grant them".to_owned(),
        )
        .primary(first.loc, "left out in Azure, not denied")
        .help("keep Azure's managed identities to the roles nhi assigns them; Cedar and the other clouds deny the guardrails"),
    );
}

/// A target's name in a sentence, what holds the identity's grants there,
/// and what admits the identity.
/// Whether nhi reserves a context key (TG002).
fn is_reserved(key: &str) -> bool {
    key == APPROVED_BY || TIME_KEYS.contains(&key) || RESERVED_CONTEXT_KEYS.contains(&key)
}

const fn words(platform: Platform) -> (&'static str, &'static str, &'static str) {
    match platform {
        Platform::Aws => ("AWS", "its role allows", "its role's trust does not pin it"),
        Platform::Gcp => (
            "Google Cloud",
            "its service account's role grants",
            "the pool principals that may act as its service account do not pin it",
        ),
        Platform::Azure => (
            "Azure",
            "its managed identity's role grants",
            "its federated credentials do not pin it",
        ),
        Platform::Kubernetes => (
            "The cluster",
            "its Role allows",
            "the cluster does not declare it",
        ),
    }
}

/// A condition a target cannot enforce, gathered at the line that wrote
/// it: the condition, why (of the first action), the catalogue actions
/// concerned and what of them the target grants without it (in AWS their
/// IAM actions, in Google Cloud permissions, in the cluster verbs).
struct Gap {
    check: Check,
    why: Unenforceable,
    actions: BTreeSet<String>,
    items: BTreeSet<String>,
}

/// What the target makes of each allowed action that means something
/// there: what it cannot enforce, and a region list without its own.
/// What the enforcement plan makes of one allowed action in a target: what
/// it cannot enforce, a region list without the target's own, and (in
/// Google Cloud) the `where` key and names its condition compares.
struct Planned<'i> {
    grant: &'i Grant,
    unenforced: Vec<Unenforced>,
    no_region: Option<Check>,
    named: Option<(String, Vec<String>)>,
}

fn plans<'i>(model: &Model, identity: &'i Identity, platform: Platform) -> Vec<Planned<'i>> {
    let trust = match platform {
        Platform::Aws => match federation::aws(model, identity) {
            Ok(trust) => Some(trust),
            Err(_) => return Vec::new(),
        },
        _ => None,
    };
    let catalogue = model.settings.actions.as_ref();
    let mut out = Vec::new();
    for grant in &identity.allowed {
        let action = grant.action.value.as_str();
        let Some(def) = catalogue.and_then(|c| c.get(action)) else {
            continue;
        };
        if !def.means_something_in(platform) || is_forbidden(model, identity, action) {
            continue;
        }
        match (&trust, &def.aws) {
            (Some(trust), Some(mapping)) => {
                let p = enforce::aws(model, identity, grant, mapping, trust);
                out.push(Planned {
                    grant,
                    unenforced: p.unenforced,
                    no_region: p.no_region,
                    named: None,
                });
            }
            _ => {
                let p = enforce::plan(model, identity, grant, def, platform);
                let key = def
                    .gcp
                    .as_ref()
                    .and_then(|g| g.names.as_ref())
                    .filter(|_| platform == Platform::Gcp && p.granted);
                out.push(Planned {
                    grant,
                    named: key.zip(p.names).map(|(k, n)| (k.value.clone(), n)),
                    unenforced: p.unenforced,
                    no_region: p.no_region,
                });
            }
        }
    }
    out
}

fn target(model: &Model, identity: &Identity, platform: Platform, out: &mut Diagnostics) {
    let mut no_region: BTreeMap<Loc, Check> = BTreeMap::new();
    let mut gaps: BTreeMap<Loc, Gap> = BTreeMap::new();
    for Planned {
        grant,
        unenforced,
        no_region: missing,
        named,
    } in plans(model, identity, platform)
    {
        if let Some((key, names)) = named {
            too_many_names(identity, grant, &key, &names, out);
        }
        if let Some(check) = missing
            && let Some(loc) = written(identity, grant, REGION)
        {
            no_region.insert(loc, check);
        }
        for Unenforced { check, why } in unenforced {
            // a reserved key written as a `where` key is TG002 already
            if grant.conditions.contains_key(&check.key) && is_reserved(&check.key) {
                continue;
            }
            // and a time after no approval is SC003
            if check.key == APPROVED_AT && grant.terms().approval.is_none() {
                continue;
            }
            let Some(loc) = written(identity, grant, &check.key) else {
                continue;
            };
            let gap = gaps.entry(loc).or_insert_with(|| Gap {
                why: why.clone(),
                check,
                actions: BTreeSet::new(),
                items: BTreeSet::new(),
            });
            gap.actions.insert(grant.action.value.clone());
            if let Unenforceable::Untaggable(items) | Unenforceable::Unnamed(items) = why {
                gap.items.extend(items);
            }
        }
    }
    for (loc, check) in no_region {
        out.push(no_region_in(identity, platform, loc, &check));
    }
    for (loc, gap) in gaps {
        out.push(unenforced(identity, platform, loc, &gap));
    }
}

fn no_region_in(identity: &Identity, platform: Platform, loc: Loc, check: &Check) -> Diagnostic {
    let (cloud, _, _) = words(platform);
    Diagnostic::new(
        Code::NoRegionInTarget,
        format!(
            "`{}` runs in {cloud}, but its regions ({}) name none of {cloud}'s: {cloud} would deny it everything",
            identity.name.value,
            backticked(check.values().unwrap_or_default().iter().map(String::as_str))
        ),
    )
    .primary(loc, format!("no {cloud} region in this list"))
    .help(format!(
        "add the {cloud} regions it acts in: each cloud takes its own regions from the list (`eu-west-1` is AWS's, `europe-west1` Google Cloud's, `westeurope` Azure's)"
    ))
}

/// How the trust could hold a caller condition.
fn pin_help(key: &str) -> &'static str {
    match key {
        NAMESPACE => {
            "run it as its service account in the namespace (`system:serviceaccount:NS:NAME`, or its SPIFFE ID)"
        }
        REGION => {
            "run it only in the cluster and declare the cluster's regions (`targets.kubernetes.regions`)"
        }
        _ => {
            "pin the environment in its subject (`repo:ORG/REPO:environment:NAME` for a GitHub Actions job in a deployment environment), or run it only in the cluster and declare the cluster's `environments`"
        }
    }
}

fn unenforced(identity: &Identity, platform: Platform, loc: Loc, gap: &Gap) -> Diagnostic {
    let (target, grants, unpinned) = words(platform);
    // the target within a sentence
    let within = if platform == Platform::Kubernetes {
        "the cluster"
    } else {
        target
    };
    let name = &identity.name.value;
    let values = match (&gap.check.test, gap.check.values()) {
        (_, Some(values)) => backticked(values.iter().map(String::as_str)),
        (Test::Within(d), None) => format!("requests less than {d} after their approval"),
        (_, None) => gap.check.accepts(),
    };
    let approval = match gap.check.test {
        Test::Within(_) => values.clone(),
        _ => format!("the approval of {values}"),
    };
    let key = &gap.check.key;
    let actions = backticked(gap.actions.iter().map(String::as_str));
    let suppress = "; or suppress TG011 for this identity with the reason it is acceptable";
    let items = backticked(gap.items.iter().map(String::as_str));
    let (message, label, help) = match &gap.why {
        Unenforceable::Caller => (
            format!(
                "{target} cannot see the {key} of `{name}`'s requests, and {unpinned}: {grants} {actions} in every {key}, and only Cedar holds it to {values}"
            ),
            format!("not enforced by {within}"),
            format!("{}{suppress}", pin_help(key)),
        ),
        Unenforceable::Approval => (
            format!(
                "{target} cannot ask for a human's approval: {grants} {actions} of `{name}` without one, and only Cedar holds it to {approval}"
            ),
            format!("not enforced by {within}"),
            format!(
                "keep the action where only the Cedar gateway decides it (map it to nothing in {within}), or grant it in {within} just in time, once approved{suppress}"
            ),
        ),
        Unenforceable::Time => (
            format!(
                "{target} has no condition on the time of a request: {grants} {actions} of `{name}` at any time, and only Cedar holds it to its window, {values}"
            ),
            format!("not enforced by {within}"),
            format!(
                "keep the action where only Cedar decides it (map it to nothing in {within}), or remove the grant from the file when its window ends (`nhi review` lists expired grants){suppress}"
            ),
        ),
        Unenforceable::NoCondition => (
            format!(
                "{target} has no condition to narrow {actions} of `{name}` by `{key}`: {grants} them whatever their `{key}`, and only Cedar holds it to {values}"
            ),
            format!("not enforced by {within}"),
            format!("keep the action's permissions narrow in the catalogue's mapping{suppress}"),
        ),
        Unenforceable::Unnamed(_) => (
            format!(
                "{target} narrows {actions} of `{name}` to the `{key}` named, but not {items}: {grants} them whatever their `{key}`, and only Cedar holds it to {values}"
            ),
            format!("not enforced by {within} for {items}"),
            format!(
                "map the action to what acts on the named resource only, or give what acts on others an action of its own{suppress}"
            ),
        ),
        Unenforceable::Untaggable(_) => (
            format!(
                "AWS evaluates no tag condition for {items} of `{name}`: {grants} them whatever their `{key}`, and only Cedar holds it to {values}"
            ),
            "not enforced by AWS for these actions".to_owned(),
            format!(
                "narrow them by resource ARN in the catalogue's mapping, or map the action to AWS actions on taggable resources{suppress}"
            ),
        ),
    };
    Diagnostic::new(Code::UnenforcedCondition, message)
        .primary(loc, label)
        .help(help)
}
