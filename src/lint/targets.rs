//! Where identities land: names each cloud derives from an identity's, or
//! takes from its context, valid and distinct in every target the identity
//! lands in; an identity whose actions mean something in a cloud but that
//! runs in none; Kubernetes actions an identity cannot use in the cluster;
//! an AKS ServiceAccount whose managed identity's client id is not known.

use std::collections::BTreeMap;

use crate::analyse::federation::{self, Cloud};
use crate::analyse::places;
use crate::diag::{Code, Diagnostic, Diagnostics, printable};
use crate::model::{ClusterPlatform, Grant, Identity, Model, Name, Platform};
use crate::vocabulary::gcp;

use super::LintContext;

/// Where an identity lands.
pub fn identity(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    if !cx.analysis.renders(identity) {
        return;
    }
    if !no_target(cx.model, identity, out) {
        cluster_unreachable(cx, identity, out);
    }
    no_client_id(cx, identity, out);
    existing_not_imported(cx, identity, out);
}

/// The names identities take where they land: valid, and distinct.
pub fn workspace(cx: &LintContext<'_>, out: &mut Diagnostics) {
    names(cx, out);
}

/// `existing` naming a target whose Terraform does not import the
/// identity: one it does not land in, or the cluster.
fn existing_not_imported(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    let lands = cx.analysis.lands(identity);
    for e in &identity.existing {
        let why = match e.value {
            Platform::Kubernetes => {
                "applying the manifests adopts Kubernetes objects that exist already: nothing to import"
            }
            Platform::Aws if !lands.aws => "it does not run in AWS",
            Platform::Gcp if !lands.gcp => "it does not run in Google Cloud",
            Platform::Azure if !lands.azure => "it does not run in Azure",
            _ => continue,
        };
        out.push(
            Diagnostic::new(
                Code::ExistingNotImported,
                format!(
                    "`{}` is marked existing in {}, where nothing of it is imported: {why}",
                    identity.name.value, e.value
                ),
            )
            .primary(e.loc, "nothing imported")
            .help("remove it from `existing`, or add the target to the identity's `targets`"),
        );
    }
}

/// Service account and role ids in Google Cloud, managed identity names in
/// Azure, namespaces in Kubernetes: derived from identity names or taken
/// from their context, they must be valid and distinct where each identity
/// lands.
fn names(cx: &LintContext<'_>, out: &mut Diagnostics) {
    let t = &cx.model.settings.targets;
    for ns in t.kubernetes.iter().flat_map(|k| &k.owned_namespaces) {
        if Name::parse(&ns.value).is_none() {
            out.push(not_a_namespace(ns));
        }
    }
    let mut accounts: BTreeMap<String, &Name> = BTreeMap::new();
    for identity in cx.analysis.live(cx.model) {
        let lands = cx.analysis.lands(identity);
        let name = &identity.name;
        if lands.gcp {
            for id in [
                gcp::account_id(name.value.as_str()),
                gcp::role_id(name.value.as_str()),
            ] {
                if let Some(first) = accounts.insert(id.clone(), &name.value) {
                    out.push(
                        Diagnostic::new(
                            Code::InvalidTargetName,
                            format!("`{}` and `{first}` both become `{id}` in Google Cloud", name.value),
                        )
                        .primary(name.loc, "shortened to the same Google Cloud id")
                        .help("Google Cloud service account ids hold at most 30 characters: make the names differ sooner"),
                    );
                }
            }
        }
        if t.kubernetes.is_some() {
            for ns in identity.context.namespaces.iter().flatten() {
                if Name::parse(&ns.value).is_none() {
                    out.push(not_a_namespace(ns));
                }
            }
        }
        if let Some(aws) = &t.aws
            && lands.aws
            && identity.known_as.aws.is_none()
            && aws.prefix().len() + name.value.as_str().len() > 64
        {
            out.push(
                Diagnostic::new(
                    Code::InvalidTargetName,
                    format!(
                        "`{}{}` is too long to name an IAM role or user",
                        aws.prefix(),
                        name.value
                    ),
                )
                .primary(name.loc, "with `targets.aws.name_prefix`, over 64 characters")
                .help("IAM role and user names hold at most 64 characters: shorten the name or the prefix"),
            );
        }
        if lands.azure && name.value.as_str().len() < 3 {
            out.push(
                Diagnostic::new(
                    Code::InvalidTargetName,
                    format!(
                        "`{}` is too short to name an Azure managed identity",
                        name.value
                    ),
                )
                .primary(name.loc, "fewer than 3 characters")
                .help("Azure managed identity names hold 3 to 128 characters"),
            );
        }
    }
}

/// Whether the identity's actions mean something in a configured cloud
/// (or the cluster) while nothing says where it runs; reported if so. An
/// empty list (`targets: []`) says it runs in none: only Cedar renders it.
fn no_target(model: &Model, identity: &Identity, out: &mut Diagnostics) -> bool {
    let listed = identity.targets.is_some() || model.settings.default_targets.is_some();
    if listed || !places::places(model, identity).is_empty() {
        return false;
    }
    let t = &model.settings.targets;
    let mut wanted: Vec<&str> = [
        (t.aws.is_some(), Cloud::Aws, "AWS"),
        (t.gcp.is_some(), Cloud::Gcp, "Google Cloud"),
        (t.azure.is_some(), Cloud::Azure, "Azure"),
    ]
    .into_iter()
    .filter(|(configured, cloud, _)| *configured && federation::needs(model, identity, *cloud))
    .map(|(_, _, name)| name)
    .collect();
    if t.kubernetes.is_some()
        && !places::is_pipeline(identity)
        && kubernetes_action(model, identity).is_some()
    {
        wanted.push("Kubernetes");
    }
    if wanted.is_empty() {
        return false;
    }
    out.push(
        Diagnostic::new(
            Code::NoTarget,
            format!(
                "`{}` runs in no cloud: its actions mean something in {}, but nothing says where it runs",
                identity.name.value,
                wanted.join(" and ")
            ),
        )
        .primary(identity.name.loc, "only Cedar renders it")
        .help("say where it runs: `targets: [aws]` (or its clouds and cluster), the audience its tokens are exchanged with (`sts.amazonaws.com`, `api://AzureADTokenExchange`), or `default_targets` in nhi.yaml"),
    );
    true
}

/// The first allowed action that means Kubernetes RBAC rules.
fn kubernetes_action<'m>(model: &Model, identity: &'m Identity) -> Option<&'m Grant> {
    let catalogue = model.settings.actions.as_ref()?;
    identity.allowed.iter().find(|g| {
        catalogue
            .get(&g.action.value)
            .and_then(|a| a.kubernetes.as_ref())
            .is_some_and(|k| !k.rules.is_empty())
    })
}

/// Kubernetes actions an identity cannot use because it does not land in
/// the cluster: a CI pipeline the targets send there (its own list, the
/// workspace's, or its namespaces when nothing is listed), or a workload
/// listed for the cluster with no namespace to run in. A list without
/// `kubernetes` is a decision, and quiet.
fn not_a_namespace(ns: &crate::model::Spanned<String>) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidTargetName,
        format!(
            "namespace `{}` is not a Kubernetes namespace name",
            printable(&ns.value)
        ),
    )
    .primary(ns.loc, "not a DNS-1123 label")
    .help("namespaces are lower-case letters, digits and `-`, at most 63 characters")
}

/// On AKS, a ServiceAccount whose managed identity's client id its file
/// does not record: the workload identity webhook needs it, and Azure
/// assigns it only when it creates the identity.
fn no_client_id(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    let lands = cx.analysis.lands(identity);
    if identity.auth.client_id.is_some()
        || federation::cluster_platform(cx.model) != ClusterPlatform::Aks
        || !lands.azure
        || lands.kubernetes.is_none()
        || lands.through_role
        || federation::azure(cx.model, identity).is_err()
    {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::MissingClientId,
            format!(
                "`{}`'s ServiceAccount on AKS has no `azure.workload.identity/client-id`: its pods get no Microsoft Entra token until its file records its managed identity's client id",
                identity.name.value
            ),
        )
        .primary(identity.auth.loc, "no `client_id`")
        .help("Azure assigns the client id when it creates the managed identity: apply the Azure target, then record it as `auth.client_id` (`az identity show -g GROUP -n NAME --query clientId`)"),
    );
}

fn cluster_unreachable(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    let model = cx.model;
    if model.settings.targets.kubernetes.is_none()
        || cx.analysis.lands(identity).kubernetes.is_some()
    {
        return;
    }
    let own_item = identity
        .targets
        .iter()
        .flatten()
        .find(|t| t.value == Platform::Kubernetes);
    let for_cluster = places::meant_for_cluster(model, identity);
    let action = kubernetes_action(model, identity).map(|g| g.action.loc);
    let pipeline = "it is a CI pipeline, which cannot use a Kubernetes service account";
    let (loc, why) = match (own_item, action) {
        _ if !for_cluster => return,
        (Some(item), _) if places::is_pipeline(identity) => (item.loc, pipeline),
        (_, Some(loc)) if places::is_pipeline(identity) => (loc, pipeline),
        (_, Some(loc)) => (loc, "no namespace is known for it"),
        (_, None) => return,
    };
    let eks = federation::cluster_platform(model) == ClusterPlatform::Eks;
    let help = if why == pipeline && eks {
        "on EKS a pipeline reaches the cluster through its AWS role: name the cluster (`targets.kubernetes.cluster_name`) and let it run in AWS, and nhi renders an EKS access entry for its role; or keep Kubernetes actions with a workload that runs in the cluster"
    } else if why == pipeline {
        "a pipeline reaches a cluster through its cloud role, which nhi renders only for EKS (an access entry): keep Kubernetes actions with a workload that runs in the cluster, or say where this one runs without it (`targets: [aws]`)"
    } else {
        "give it a namespace (`context.namespaces`, or the workspace's `targets.kubernetes.namespaces`), or say where it runs without the cluster (`targets: [aws]`)"
    };
    out.push(
        Diagnostic::new(
            Code::ClusterUnreachable,
            format!(
                "`{}` is not rendered into the cluster: {why}",
                identity.name.value
            ),
        )
        .primary(loc, "no Role or RoleBinding for this")
        .help(help),
    );
}
