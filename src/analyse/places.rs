//! Where each identity runs: the targets its file names (`targets`), else
//! the workspace's default (`default_targets`), else those its `auth`
//! implies — a cloud's token exchange as the audience, a Kubernetes service
//! account or SPIFFE ID in a namespace, the cluster's issuer (and with it
//! the cluster's cloud), a cloud runtime. A mapping in the catalogue is not
//! a grant in a cloud the identity does not run in.
//!
//! A CI pipeline federated from GitHub or GitLab never runs in the
//! cluster: a job on a hosted runner cannot use a Kubernetes service
//! account.

use std::collections::BTreeSet;

use super::federation::{self, issuer_host};
use crate::model::{AuthMethod, ClusterPlatform, Identity, Model, Platform};

/// Where `identity` runs (beside Cedar), as its file, the workspace or its
/// `auth` says. A target named here may still not be configured, or need
/// nothing of the identity: [`super::Lands`] says where it lands.
#[must_use]
pub fn places(model: &Model, identity: &Identity) -> BTreeSet<Platform> {
    let listed = identity
        .targets
        .as_ref()
        .or(model.settings.default_targets.as_ref());
    match listed {
        Some(list) => list.iter().map(|t| t.value).collect(),
        None => implied(model, identity),
    }
}

/// The targets an identity's `auth` implies.
fn implied(model: &Model, identity: &Identity) -> BTreeSet<Platform> {
    let mut out = BTreeSet::new();
    if let Some(audience) = &identity.auth.audience {
        out.extend(audience_platform(&audience.value));
    }
    if let Some(runtime) = &identity.provenance.runtime {
        out.extend(runtime_platforms(&runtime.value));
    }
    if model.settings.targets.kubernetes.is_some() && in_cluster(model, identity) {
        out.insert(Platform::Kubernetes);
        // federated through the cluster's issuer: the cluster's own cloud
        if through_cluster_issuer(model, identity)
            && let Some(cloud) = cluster_cloud(model)
        {
            out.insert(cloud);
        }
    }
    if is_pipeline(identity) {
        out.remove(&Platform::Kubernetes);
    }
    out
}

/// The cloud whose token exchange an audience names.
fn audience_platform(audience: &str) -> Option<Platform> {
    let a = audience.trim();
    if a.starts_with("sts.") && a.ends_with(".amazonaws.com") {
        Some(Platform::Aws)
    } else if a.starts_with("api://AzureADTokenExchange") {
        Some(Platform::Azure)
    } else if a.contains("iam.googleapis.com/projects/") && a.contains("/workloadIdentityPools/") {
        Some(Platform::Gcp)
    } else {
        None
    }
}

/// Runtimes (`provenance.runtime`) and the targets they run in.
const RUNTIMES: &[(&str, &[Platform])] = &[
    ("aks", &[Platform::Azure, Platform::Kubernetes]),
    ("app-engine", &[Platform::Gcp]),
    ("app-service", &[Platform::Azure]),
    ("aws-lambda", &[Platform::Aws]),
    ("azure-container-apps", &[Platform::Azure]),
    ("azure-functions", &[Platform::Azure]),
    ("cloud-functions", &[Platform::Gcp]),
    ("cloud-run", &[Platform::Gcp]),
    ("container-apps", &[Platform::Azure]),
    ("ec2", &[Platform::Aws]),
    ("ecs", &[Platform::Aws]),
    ("eks", &[Platform::Aws, Platform::Kubernetes]),
    ("fargate", &[Platform::Aws]),
    ("gce", &[Platform::Gcp]),
    ("gke", &[Platform::Gcp, Platform::Kubernetes]),
    ("k8s", &[Platform::Kubernetes]),
    ("kubernetes", &[Platform::Kubernetes]),
    ("lambda", &[Platform::Aws]),
];

/// The targets a runtime runs in.
fn runtime_platforms(runtime: &str) -> Vec<Platform> {
    let key = runtime.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    RUNTIMES
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, platforms)| platforms.to_vec())
        .unwrap_or_default()
}

/// Whether an identity is meant for the cluster: `kubernetes` is in its
/// list of targets (or the workspace's), or, where nothing lists them, it
/// names its own namespaces.
#[must_use]
pub fn meant_for_cluster(model: &Model, identity: &Identity) -> bool {
    let listed = identity
        .targets
        .as_ref()
        .or(model.settings.default_targets.as_ref());
    match listed {
        Some(list) => list.iter().any(|t| t.value == Platform::Kubernetes),
        None => identity
            .context
            .namespaces
            .as_ref()
            .is_some_and(|n| !n.is_empty()),
    }
}

/// Whether a CI pipeline meant for the cluster reaches it through its AWS
/// role, by an EKS access entry: the cluster is EKS and named
/// (`targets.kubernetes.cluster_name`), the pipeline has a role in AWS,
/// holds Kubernetes actions and has namespaces to act in.
#[must_use]
pub fn through_access_entry(model: &Model, identity: &Identity) -> bool {
    let t = &model.settings.targets;
    let named = t
        .kubernetes
        .as_ref()
        .is_some_and(|k| k.cluster_name.is_some());
    let kubernetes_actions = || {
        model.settings.actions.as_ref().is_some_and(|c| {
            identity.allowed.iter().any(|g| {
                c.get(&g.action.value)
                    .is_some_and(|a| a.means_something_in(Platform::Kubernetes))
            })
        })
    };
    named
        && is_pipeline(identity)
        && federation::cluster_platform(model) == ClusterPlatform::Eks
        && t.aws.is_some()
        && places(model, identity).contains(&Platform::Aws)
        && federation::needs(model, identity, federation::Cloud::Aws)
        && federation::aws(model, identity).is_ok()
        && meant_for_cluster(model, identity)
        && kubernetes_actions()
        && namespaces(model, identity).is_some()
}

/// The Kubernetes group an EKS access entry maps a pipeline's role to.
#[must_use]
pub fn access_group(name: &str) -> String {
    format!("nhi:{name}")
}

/// Whether an identity is a CI pipeline federated from GitHub Actions or
/// GitLab: its subject names a repository or project, or its issuer is
/// GitHub's or GitLab's.
#[must_use]
pub fn is_pipeline(identity: &Identity) -> bool {
    let auth = &identity.auth;
    let subject = auth
        .subject
        .as_ref()
        .is_some_and(|s| s.value.starts_with("repo:") || s.value.starts_with("project_path:"));
    let issuer = auth.issuer.as_ref().is_some_and(|i| {
        matches!(
            issuer_host(&i.value),
            "token.actions.githubusercontent.com" | "gitlab.com"
        )
    });
    subject || issuer
}

/// Whether anything in an identity says it runs in the cluster: its own
/// namespaces, a service account or SPIFFE subject in a namespace, the
/// cluster's issuer, or an OIDC identity that names no issuer and so runs
/// as its service account.
fn in_cluster(model: &Model, identity: &Identity) -> bool {
    let own = identity
        .context
        .namespaces
        .as_ref()
        .is_some_and(|n| !n.is_empty());
    own || subject_namespace(identity).is_some() || through_cluster_issuer(model, identity)
}

/// Whether an identity's tokens come from the cluster's issuer: it names
/// it, or names none and runs as its service account.
fn through_cluster_issuer(model: &Model, identity: &Identity) -> bool {
    let auth = &identity.auth;
    let cluster = model.settings.targets.cluster_issuer();
    match &auth.issuer {
        None => auth.method.value == AuthMethod::Oidc,
        Some(issuer) => {
            cluster.is_some_and(|c| issuer_host(&c.value) == issuer_host(&issuer.value))
        }
    }
}

/// The cloud whose managed Kubernetes runs the cluster.
#[must_use]
pub fn cluster_cloud(model: &Model) -> Option<Platform> {
    match federation::cluster_platform(model) {
        ClusterPlatform::Eks => Some(Platform::Aws),
        ClusterPlatform::Gke => Some(Platform::Gcp),
        ClusterPlatform::Aks => Some(Platform::Azure),
        ClusterPlatform::Other => None,
    }
}

/// The namespace a service account or SPIFFE subject names
/// (`system:serviceaccount:NS:NAME`, `spiffe://…/ns/NS/sa/NAME`).
#[must_use]
pub fn subject_namespace(identity: &Identity) -> Option<&str> {
    let s = identity.auth.subject.as_ref()?.value.as_str();
    s.strip_prefix("system:serviceaccount:")
        .and_then(|rest| rest.split(':').next())
        .or_else(|| {
            s.strip_prefix("spiffe://")
                .and_then(|rest| rest.split_once("/ns/"))
                .and_then(|(_, rest)| rest.split('/').next())
        })
        .filter(|ns| !ns.is_empty())
}

/// The namespaces an identity runs in on the cluster: its own, the one its
/// subject names, else the workspace's; `None` when none is known.
#[must_use]
pub fn namespaces(model: &Model, identity: &Identity) -> Option<Vec<String>> {
    let own = identity
        .context
        .namespaces
        .as_ref()
        .filter(|n| !n.is_empty())
        .map(|n| n.iter().map(|v| v.value.clone()).collect::<Vec<_>>());
    let defaults = || {
        model
            .settings
            .targets
            .kubernetes
            .as_ref()
            .map(|k| {
                k.namespaces
                    .iter()
                    .map(|n| n.value.clone())
                    .collect::<Vec<_>>()
            })
            .filter(|n| !n.is_empty())
    };
    let mut namespaces = own
        .or_else(|| subject_namespace(identity).map(|ns| vec![ns.to_owned()]))
        .or_else(defaults)?;
    namespaces.sort();
    namespaces.dedup();
    Some(namespaces)
}

#[cfg(test)]
mod tests {
    use super::{Platform, audience_platform, runtime_platforms};

    #[test]
    fn audiences_and_runtimes_name_their_cloud() {
        assert_eq!(audience_platform("sts.amazonaws.com"), Some(Platform::Aws));
        assert_eq!(
            audience_platform("api://AzureADTokenExchange"),
            Some(Platform::Azure)
        );
        assert_eq!(
            audience_platform(
                "https://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/x"
            ),
            Some(Platform::Gcp)
        );
        assert_eq!(audience_platform("knowledge-api"), None);
        assert_eq!(runtime_platforms("Cloud Run"), [Platform::Gcp]);
        assert_eq!(
            runtime_platforms("eks"),
            [Platform::Aws, Platform::Kubernetes]
        );
        assert!(runtime_platforms("github-actions").is_empty());
    }
}
