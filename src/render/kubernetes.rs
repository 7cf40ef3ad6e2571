//! The Kubernetes target: per identity that runs on the cluster and per
//! namespace it runs in, a ServiceAccount carrying its owner, purpose,
//! review date and source file and the annotations that bind it to its
//! cloud identities; a Role (a ClusterRole for cluster-wide rules) holding
//! exactly the RBAC rules of its allowed actions, bound to it; and a SPIRE
//! `ClusterSPIFFEID` giving its pods the SPIFFE ID built from its name.
//! One multi-document YAML file per identity under `kubernetes/`, and a
//! `kustomization.yaml` listing them.
//!
//! RBAC has no deny: that no allowed rule grants what a forbidden or
//! guardrail action maps to is checked before anything renders (AC005). A
//! suspended identity keeps every object it has when active, labelled
//! `nhi.dev/state: suspended`, and is granted nothing: its roles hold no
//! rule, its bindings bind no one, and no token is mounted. Rendering the
//! emptied objects, rather than leaving them out, matters: a plain
//! `kubectl apply` overwrites what it applied before but never deletes
//! what it no longer sees. Its SPIFFE ID stays: that is who it is, not
//! what it may do, and every target denies that identity everything.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use serde::Serialize;

use crate::analyse::federation::{self, AwsTrust};
use crate::analyse::{Analysis, enforce, grant_of, places};
use crate::model::{ClusterPlatform, Identity, Model, Platform, RbacRule, Spanned};
use crate::source::SourceDb;

use super::{Artifact, Artifacts, aws, tags};

/// The label every object nhi renders carries.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "nhi");
/// The label naming the identity an object belongs to.
pub const IDENTITY_LABEL: &str = "nhi.dev/identity";
/// The label every object of a suspended identity carries, set to
/// `suspended` (an active identity's objects carry none).
pub const STATE_LABEL: &str = "nhi.dev/state";

/// One rendered Kubernetes object.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Object {
    /// A service account.
    ServiceAccount(Box<ServiceAccount>),
    /// A namespaced role.
    Role(Box<Role>),
    /// Its binding.
    RoleBinding(Box<RoleBinding>),
    /// A cluster role (cluster-wide rules).
    ClusterRole(Box<ClusterRole>),
    /// Its binding.
    ClusterRoleBinding(Box<ClusterRoleBinding>),
    /// The identity's SPIFFE ID for SPIRE.
    ClusterSpiffeId(Box<ClusterSpiffeId>),
    /// A namespace the workspace owns.
    Namespace(Box<Namespace>),
}

/// A SPIRE controller manager `ClusterSPIFFEID` (`spire.spiffe.io/v1alpha1`).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSpiffeId {
    /// `spire.spiffe.io/v1alpha1`.
    pub api_version: String,
    /// `ClusterSPIFFEID`.
    pub kind: String,
    /// Its metadata.
    pub metadata: ObjectMeta,
    /// What it issues, and to which pods.
    pub spec: ClusterSpiffeIdSpec,
}

/// The spec of a `ClusterSPIFFEID`.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSpiffeIdSpec {
    /// The SPIFFE ID (a template SPIRE fills per pod).
    #[serde(rename = "spiffeIDTemplate")]
    pub spiffe_id_template: String,
    /// The namespaces whose pods it applies to.
    pub namespace_selector: LabelSelector,
    /// The pods: those running as the identity's service account.
    pub workload_selector_templates: Vec<String>,
    /// The longest X.509 SVID lifetime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
    /// The longest JWT-SVID lifetime.
    #[serde(rename = "jwtTtl", skip_serializing_if = "Option::is_none")]
    pub jwt_ttl: Option<String>,
}

/// Render the Kubernetes target: every identity that runs on the
/// cluster.
#[must_use]
pub fn render(model: &Model, analysis: &Analysis, db: &SourceDb) -> Artifacts {
    let mut out = Artifacts::new();
    let mut files = Vec::new();
    for (identity, objects) in identities(model, analysis, db) {
        let path = format!("kubernetes/{}.yaml", identity.name.value);
        out.insert(Artifact::new(
            &path,
            yaml(&objects),
            Some(identity.name.value.to_string()),
        ));
        files.push(format!("{}.yaml", identity.name.value));
    }
    // the namespaces the workspace owns, applied before what runs in them
    if let Some(k) = &model.settings.targets.kubernetes
        && !k.owned_namespaces.is_empty()
    {
        let names: BTreeSet<&str> = k
            .owned_namespaces
            .iter()
            .map(|n| n.value.as_str())
            .collect();
        let labels = BTreeMap::from([(MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned())]);
        let objects: Vec<Object> = names
            .into_iter()
            .map(|n| {
                Object::Namespace(Box::new(Namespace {
                    metadata: meta(n.to_owned(), None, &labels),
                    ..Namespace::default()
                }))
            })
            .collect();
        out.insert(Artifact::new(
            &format!("kubernetes/{NAMESPACES}"),
            yaml(&objects),
            None,
        ));
        files.insert(0, NAMESPACES.to_owned());
    }
    out.insert(Artifact::new(
        "kubernetes/kustomization.yaml",
        kustomization(&files),
        None,
    ));
    out
}

/// Every identity that runs on the cluster, with the objects rendered
/// for it.
#[must_use]
pub fn identities<'m>(
    model: &'m Model,
    analysis: &Analysis,
    db: &SourceDb,
) -> Vec<(&'m Identity, Vec<Object>)> {
    analysis
        .live(model)
        .filter_map(|identity| {
            let namespaces = analysis.lands(identity).kubernetes.as_ref()?;
            Some((identity, objects(model, analysis, db, identity, namespaces)))
        })
        .collect()
}

/// The file of the namespaces the workspace owns (an identity's name
/// never starts with `_`).
const NAMESPACES: &str = "_namespaces.yaml";

/// Objects as multi-document YAML, each document headed by what it is.
#[must_use]
pub fn yaml(objects: &[Object]) -> String {
    let mut text = String::from("# Generated by nhi from the workspace: do not edit.\n");
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            text.push_str("---\n");
        }
        text.push_str(&serde_saphyr::to_string(o).unwrap_or_default());
    }
    text
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Kustomization<'a> {
    api_version: &'static str,
    kind: &'static str,
    resources: &'a [String],
}

fn kustomization(files: &[String]) -> String {
    let mut text = String::from("# Generated by nhi from the workspace: do not edit.\n");
    text.push_str(
        &serde_saphyr::to_string(&Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            resources: files,
        })
        .unwrap_or_default(),
    );
    text
}

/// A label value within Kubernetes' rules: up to 63 letters, digits,
/// `-`, `_` and `.`, alphanumeric at both ends.
fn label_value(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    cleaned
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

fn labels(identity: &Identity, suspended: bool) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned()),
        (IDENTITY_LABEL.to_owned(), identity.name.value.to_string()),
        (
            "nhi.dev/owner".to_owned(),
            label_value(&identity.owner.value),
        ),
    ]);
    if suspended {
        labels.insert(
            STATE_LABEL.to_owned(),
            identity.state.value.as_str().to_owned(),
        );
    }
    labels
}

/// What the other clouds put in tags, as annotations; and the cloud
/// bindings of the service account.
fn annotations(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    identity: &Identity,
) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = tags::facts(identity, analysis, db)
        .into_iter()
        .filter(|(k, _)| k.starts_with("nhi:") && k != "nhi:identity" && k != "nhi:owner")
        .map(|(k, v)| (k.replacen("nhi:", "nhi.dev/", 1), v))
        .collect();
    let ttl = identity.auth.ttl.as_ref().map(|t| t.value.as_secs());
    let t = &model.settings.targets;
    let lands = analysis.lands(identity);
    // exactly the cluster's platform's workload identity, for this
    // identity's principal in that cloud
    match federation::cluster_platform(model) {
        ClusterPlatform::Eks => {
            if let Some(target) = &t.aws
                && lands.aws
                && let Ok(AwsTrust::WebIdentity {
                    audiences,
                    subjects,
                    ..
                }) = federation::aws(model, identity)
                && subjects.iter().all(|s| {
                    s.strip_prefix("system:serviceaccount:")
                        .and_then(|rest| rest.split_once(':'))
                        .is_some_and(|(_, name)| name == identity.name.value.as_str())
                })
            {
                out.insert(
                    "eks.amazonaws.com/role-arn".to_owned(),
                    aws::role_arn(target, identity),
                );
                if let Some(aud) = audiences.first() {
                    out.insert("eks.amazonaws.com/audience".to_owned(), aud.clone());
                }
                if let Some(ttl) = ttl {
                    // the projected token's lifetime: what the webhook accepts
                    out.insert(
                        "eks.amazonaws.com/token-expiration".to_owned(),
                        ttl.clamp(600, 86_400).to_string(),
                    );
                }
            }
        }
        ClusterPlatform::Gke => {
            if let Some(target) = &t.gcp
                && lands.gcp
            {
                out.insert(
                    "iam.gke.io/gcp-service-account".to_owned(),
                    format!(
                        "{}@{}.iam.gserviceaccount.com",
                        crate::vocabulary::gcp::account_id(identity.name.value.as_str()),
                        target.project.value
                    ),
                );
            }
        }
        ClusterPlatform::Aks => {
            if let Some(target) = &t.azure
                && lands.azure
                && federation::azure(model, identity).is_ok()
            {
                // the client id exists once Azure has created the identity
                // (azurerm_user_assigned_identity.NAME.client_id): its file
                // records it, and TG015 says so until it does
                if let Some(id) = &identity.auth.client_id {
                    out.insert(
                        "azure.workload.identity/client-id".to_owned(),
                        id.value.clone(),
                    );
                }
                out.insert(
                    "azure.workload.identity/tenant-id".to_owned(),
                    target.tenant_id.value.clone(),
                );
                if let Some(ttl) = ttl {
                    out.insert(
                        "azure.workload.identity/service-account-token-expiration".to_owned(),
                        ttl.clamp(3600, 86_400).to_string(),
                    );
                }
            }
        }
        ClusterPlatform::Other => {}
    }
    out
}

/// One catalogue rule as RBAC rules: narrowed to `names` on the verbs RBAC
/// narrows by name (the rule's own names, if any, kept only where they
/// agree), and as written on the others.
fn policy_rules(r: &RbacRule, names: Option<&[String]>) -> Vec<PolicyRule> {
    let strings =
        |v: &[Spanned<String>]| -> Vec<String> { v.iter().map(|x| x.value.clone()).collect() };
    let rule = |verbs: Vec<String>, resource_names: Vec<String>| PolicyRule {
        api_groups: Some(strings(&r.api_groups)),
        resources: Some(strings(&r.resources)),
        verbs,
        resource_names: (!resource_names.is_empty()).then_some(resource_names),
        non_resource_urls: None,
    };
    let own = strings(&r.resource_names);
    let Some(names) = names else {
        return vec![rule(strings(&r.verbs), own)];
    };
    let (unnamed, named): (Vec<String>, Vec<String>) = strings(&r.verbs)
        .into_iter()
        .partition(|v| enforce::UNNAMED_VERBS.contains(&v.as_str()));
    let mut narrowed: Vec<String> = names
        .iter()
        .filter(|n| own.is_empty() || own.contains(n))
        .cloned()
        .collect();
    narrowed.sort();
    narrowed.dedup();
    let mut out = Vec::new();
    if !named.is_empty() && !narrowed.is_empty() {
        out.push(rule(named, narrowed));
    }
    if !unnamed.is_empty() {
        out.push(rule(unnamed, own));
    }
    out
}

/// The RBAC rules of the identity's allowed actions, as the enforcement
/// plan decides them: namespaced, and cluster-wide (whatever its state).
fn rules(model: &Model, identity: &Identity) -> (Vec<PolicyRule>, Vec<PolicyRule>) {
    let mut namespaced = Vec::new();
    let mut cluster = Vec::new();
    let catalogue = model.settings.actions.as_ref();
    let mut allowed: Vec<&str> = identity
        .allowed
        .iter()
        .map(|g| g.action.value.as_str())
        .collect();
    allowed.sort_unstable();
    allowed.dedup();
    for a in allowed {
        let (Some(grant), Some(action)) = (grant_of(identity, a), catalogue.and_then(|c| c.get(a)))
        else {
            continue;
        };
        let Some(k) = action.kubernetes.as_ref() else {
            continue;
        };
        let plan = enforce::plan(model, identity, grant, action, Platform::Kubernetes);
        if !plan.granted {
            continue;
        }
        for r in &k.rules {
            let rules = policy_rules(r, plan.names.as_deref());
            if k.cluster_wide {
                cluster.extend(rules);
            } else {
                namespaced.extend(rules);
            }
        }
    }
    (namespaced, cluster)
}

fn meta(name: String, namespace: Option<&str>, labels: &BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: namespace.map(str::to_owned),
        labels: Some(labels.clone()),
        ..ObjectMeta::default()
    }
}

fn objects(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    identity: &Identity,
    namespaces: &[String],
) -> Vec<Object> {
    let name = identity.name.value.to_string();
    let role = format!("nhi-{name}");
    // suspended: the same objects, granting nothing
    let suspended = analysis.suspended(identity);
    let labels = labels(identity, suspended);
    let annotations = annotations(model, analysis, db, identity);
    let (mut namespaced, mut cluster) = rules(model, identity);
    let cluster_wide = !cluster.is_empty();
    if suspended {
        namespaced.clear();
        cluster.clear();
    }
    let talks_to_api = !namespaced.is_empty() || !cluster.is_empty();
    // a CI pipeline acts through its AWS role, which the EKS access entry
    // maps to the group `nhi:NAME`; a workload as its service accounts
    let through_role = analysis.lands(identity).through_role;
    let subject = |ns: &str| {
        if through_role {
            Subject {
                api_group: Some("rbac.authorization.k8s.io".to_owned()),
                kind: "Group".to_owned(),
                name: places::access_group(&name),
                namespace: None,
            }
        } else {
            Subject {
                api_group: None,
                kind: "ServiceAccount".to_owned(),
                name: name.clone(),
                namespace: Some(ns.to_owned()),
            }
        }
    };
    let subjects = |namespaces: &[&String]| -> Option<Vec<Subject>> {
        let mut all: Vec<Subject> = if suspended {
            Vec::new()
        } else {
            namespaces.iter().map(|ns| subject(ns)).collect()
        };
        all.dedup_by(|a, b| a.kind == b.kind && a.name == b.name && a.namespace == b.namespace);
        Some(all)
    };
    let mut out = Vec::new();
    for ns in namespaces {
        if !through_role {
            let mut m = meta(name.clone(), Some(ns), &labels);
            m.annotations = Some(annotations.clone());
            out.push(Object::ServiceAccount(Box::new(ServiceAccount {
                metadata: m,
                // only an identity that calls the API server needs its token
                automount_service_account_token: Some(talks_to_api),
                ..ServiceAccount::default()
            })));
        }
        out.push(Object::Role(Box::new(Role {
            metadata: meta(role.clone(), Some(ns), &labels),
            rules: Some(namespaced.clone()),
        })));
        out.push(Object::RoleBinding(Box::new(RoleBinding {
            metadata: meta(role.clone(), Some(ns), &labels),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".to_owned(),
                kind: "Role".to_owned(),
                name: role.clone(),
            },
            subjects: subjects(&[ns]),
        })));
    }
    if cluster_wide {
        out.push(Object::ClusterRole(Box::new(ClusterRole {
            metadata: meta(role.clone(), None, &labels),
            rules: Some(cluster),
            aggregation_rule: None,
        })));
        out.push(Object::ClusterRoleBinding(Box::new(ClusterRoleBinding {
            metadata: meta(role.clone(), None, &labels),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".to_owned(),
                kind: "ClusterRole".to_owned(),
                name: role.clone(),
            },
            subjects: subjects(&namespaces.iter().collect::<Vec<_>>()),
        })));
    }
    if !through_role && let Some(spiffe) = spiffe(model, identity, namespaces, &labels) {
        out.push(Object::ClusterSpiffeId(Box::new(spiffe)));
    }
    out
}

/// A duration as Go writes it (`90m` → `1h30m0s` style without zeros):
/// hours, minutes, seconds; Go's parser takes no days.
#[must_use]
pub fn go_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut out = String::new();
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

/// The identity's `ClusterSPIFFEID`, when the workspace has a trust domain
/// (or the identity a SPIFFE subject).
fn spiffe(
    model: &Model,
    identity: &Identity,
    namespaces: &[String],
    labels: &BTreeMap<String, String>,
) -> Option<ClusterSpiffeId> {
    let name = identity.name.value.as_str();
    let template = match (&identity.auth.subject, &model.settings.trust_domain) {
        (Some(s), _) if s.value.starts_with("spiffe://") => s.value.clone(),
        (_, Some(domain)) => format!(
            "spiffe://{}/ns/{{{{ .PodMeta.Namespace }}}}/sa/{name}",
            domain.value
        ),
        _ => return None,
    };
    let ttl = identity
        .auth
        .ttl
        .as_ref()
        .map(|t| go_duration(t.value.as_secs()));
    Some(ClusterSpiffeId {
        api_version: "spire.spiffe.io/v1alpha1".to_owned(),
        kind: "ClusterSPIFFEID".to_owned(),
        metadata: meta(format!("nhi-{name}"), None, labels),
        spec: ClusterSpiffeIdSpec {
            spiffe_id_template: template,
            namespace_selector: LabelSelector {
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: "kubernetes.io/metadata.name".to_owned(),
                    operator: "In".to_owned(),
                    values: Some(namespaces.to_vec()),
                }]),
                match_labels: None,
            },
            workload_selector_templates: vec![format!("k8s:sa:{name}")],
            jwt_ttl: ttl.clone(),
            ttl,
        },
    })
}
