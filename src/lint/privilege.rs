//! Privilege rules: an identity that may change permissions, hold
//! everything in a target, become any service account of a Google Cloud
//! project, or start workloads as other identities in the cluster, is
//! flagged where it is granted (OWASP NHI5).

use std::collections::BTreeSet;

use crate::analyse::{enforce, is_forbidden};
use crate::diag::{Code, Diagnostic, Diagnostics, backticked};
use crate::model::{Access, Action, Grant, Identity, Model, Platform};

use super::LintContext;

/// Google Cloud permissions that act as a service account: held on a
/// project, they act as every service account in it.
const IMPERSONATION: [&str; 7] = [
    "iam.serviceAccountKeys.create",
    "iam.serviceAccounts.actAs",
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.getOpenIdToken",
    "iam.serviceAccounts.implicitDelegation",
    "iam.serviceAccounts.signBlob",
    "iam.serviceAccounts.signJwt",
];

/// Kubernetes resources that run a workload (by API group), and the
/// subresource that enters one: creating any runs code as a service
/// account of the namespace.
const WORKLOADS: [(&str, &str); 10] = [
    ("", "pods"),
    ("", "pods/exec"),
    ("", "pods/attach"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

/// Why holding the action is administrative, if it is.
fn administrative(action: &Action) -> Option<String> {
    if action.access.as_ref().map(|a| a.value) == Some(Access::PermissionsManagement) {
        return Some("it manages permissions".to_owned());
    }
    if let Some(aws) = &action.aws
        && let Some(a) = aws
            .actions
            .iter()
            .find(|a| a.value == "*" || a.value.eq_ignore_ascii_case("iam:*"))
    {
        return Some(format!("its AWS mapping grants `{}`", a.value));
    }
    if let Some(az) = &action.azure
        && az
            .actions
            .iter()
            .chain(&az.data_actions)
            .any(|a| a.value == "*")
    {
        return Some("its Azure mapping grants `*`".to_owned());
    }
    if let Some(k) = &action.kubernetes
        && k.rules.iter().any(|r| {
            r.verbs.iter().any(|v| v.value == "*") && r.resources.iter().any(|x| x.value == "*")
        })
    {
        return Some("its Kubernetes rules grant every verb on every resource".to_owned());
    }
    None
}

/// Report every allowed action that makes an identity an administrator
/// or lets it become any service account of its project.
pub fn identity(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    if !cx.analysis.renders(identity) {
        return;
    }
    administrator(cx, identity, out);
    let lands = cx.analysis.lands(identity);
    if lands.gcp {
        impersonation(cx.model, identity, out);
    }
    if lands.aws {
        super::escalation::check(cx.model, identity, out);
    }
}

/// Report every allowed action that lets an identity start workloads as
/// other identities.
pub fn workspace(cx: &LintContext<'_>, out: &mut Diagnostics) {
    for identity in cx.analysis.live(cx.model) {
        if let Some(namespaces) = &cx.analysis.lands(identity).kubernetes {
            takeover(cx, identity, namespaces, out);
        }
    }
}

/// The allowed actions a target grants the identity, with their
/// definitions, forbidden ones left out.
fn granted<'m>(
    model: &'m Model,
    identity: &'m Identity,
    platform: Platform,
) -> Vec<(&'m Grant, &'m Action)> {
    let catalogue = model.settings.actions.as_ref();
    let names: BTreeSet<&str> = enforce::granted(model, identity, platform).collect();
    identity
        .allowed
        .iter()
        .filter(|g| names.contains(g.action.value.as_str()))
        .filter(|g| !is_forbidden(model, identity, &g.action.value))
        .filter_map(|g| Some((g, catalogue?.get(&g.action.value)?)))
        .collect()
}

/// Google Cloud: a permission that acts as a service account, held on
/// the whole project.
fn impersonation(model: &Model, identity: &Identity, out: &mut Diagnostics) {
    let mut found: BTreeSet<&str> = BTreeSet::new();
    let mut first = None;
    for (grant, action) in granted(model, identity, Platform::Gcp) {
        for p in action.gcp.iter().flat_map(|m| &m.permissions) {
            if IMPERSONATION.contains(&p.value.as_str()) {
                found.insert(p.value.as_str());
                first.get_or_insert(grant);
            }
        }
    }
    let (Some(grant), Some(gcp)) = (first, &model.settings.targets.gcp) else {
        return;
    };
    out.push(
        Diagnostic::new(
            Code::ProjectWideImpersonation,
            format!(
                "`{}`'s role grants {} on the whole project `{}`: it can act as any service account there",
                identity.name.value,
                backticked(found.iter().copied()),
                gcp.project.value
            ),
        )
        .primary(grant.action.loc, "bound on the project")
        .help("keep the service accounts it must act as in a project of their own, or accept it and suppress this rule with the reason a reviewer should read"),
    );
}

/// Whether a rule lets its holder create a workload (or enter one).
fn starts_workloads(rule: &crate::model::RbacRule) -> bool {
    let has = |list: &[crate::model::Spanned<String>], v: &str| {
        list.iter().any(|x| x.value == "*" || x.value == v)
    };
    has(&rule.verbs, "create")
        && WORKLOADS
            .iter()
            .any(|(group, resource)| has(&rule.api_groups, group) && has(&rule.resources, resource))
}

/// The cluster: a Role that creates workloads in a namespace where other
/// identities run as their service accounts.
fn takeover(
    cx: &LintContext<'_>,
    identity: &Identity,
    namespaces: &[String],
    out: &mut Diagnostics,
) {
    let model = cx.model;
    let Some((grant, action)) = granted(model, identity, Platform::Kubernetes)
        .into_iter()
        .find(|(_, a)| {
            a.kubernetes
                .iter()
                .flat_map(|k| &k.rules)
                .any(starts_workloads)
        })
    else {
        return;
    };
    let cluster_wide = action.kubernetes.as_ref().is_some_and(|k| k.cluster_wide);
    let mut others: BTreeSet<String> = BTreeSet::new();
    let mut shared: BTreeSet<String> = BTreeSet::new();
    for other in cx.analysis.live(model).filter(|o| o.name != identity.name) {
        for ns in cx.analysis.lands(other).kubernetes.iter().flatten() {
            if cluster_wide || namespaces.contains(ns) {
                others.insert(other.name.value.to_string());
                shared.insert(ns.clone());
            }
        }
    }
    if others.is_empty() {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::WorkloadTakeover,
            format!(
                "`{}` may `{}`, which starts workloads in {}, where {} run as their service accounts: what it starts can run as any of them",
                identity.name.value,
                grant.action.value,
                backticked(shared.iter().map(String::as_str)),
                backticked(others.iter().map(String::as_str))
            ),
        )
        .primary(grant.action.loc, "creates workloads")
        .help("run it in a namespace of its own, or let a controller that runs as nobody else start the workloads; or suppress this rule with the reason a reviewer should read"),
    );
}

/// Report every allowed action that makes its identity an administrator.
fn administrator(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    let Some(catalogue) = cx.model.settings.actions.as_ref() else {
        return;
    };
    for grant in &identity.allowed {
        let Some(action) = catalogue.get(&grant.action.value) else {
            continue;
        };
        if let Some(why) = administrative(action) {
            out.push(
                Diagnostic::new(
                    Code::AdminPermission,
                    format!(
                        "`{}` may `{}`: {why}",
                        identity.name.value, grant.action.value
                    ),
                )
                .primary(grant.action.loc, "administrative access")
                .secondary(action.name.loc, "defined here")
                .help("split the task so the identity needs less, narrow the action with `where`, or keep it and suppress this rule with the reason a reviewer should read"),
            );
        }
    }
}
