//! The Kubernetes target: every rendered object parses back into its
//! k8s-openapi type (or, for SPIRE's ClusterSPIFFEID, nhi's own), which
//! identities run on the cluster and where, the bindings to the clouds,
//! least-privilege RBAC, and the manifest of one identity.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::disallowed_methods,
    reason = "tests build workspaces on disk and fail loudly"
)]

#[path = "support/workspaces.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use nhi::render::kubernetes::ClusterSpiffeId;
use serde::Deserialize;
use support::{nhi, repo, text, workspace, workspaces};

fn build(dir: &Path) -> (tempfile::TempDir, BTreeMap<String, String>) {
    let out = tempfile::tempdir().unwrap();
    let run = nhi(dir, &["build", "--out", out.path().to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let dir = out.path().join("kubernetes");
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        files.insert(
            p.file_name().unwrap().to_string_lossy().into_owned(),
            std::fs::read_to_string(&p).unwrap(),
        );
    }
    (out, files)
}

/// Every object of a manifest, parsed into its own type.
#[derive(Debug, Default)]
struct Parsed {
    service_accounts: Vec<ServiceAccount>,
    roles: Vec<Role>,
    role_bindings: Vec<RoleBinding>,
    cluster_roles: Vec<ClusterRole>,
    cluster_role_bindings: Vec<ClusterRoleBinding>,
    spiffe_ids: Vec<ClusterSpiffeId>,
    namespaces: Vec<Namespace>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head {
    api_version: String,
    kind: String,
}

fn parse(manifest: &str) -> Parsed {
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(manifest).unwrap();
    let mut out = Parsed::default();
    for doc in docs {
        let head: Head = serde_json::from_value(doc.clone()).unwrap();
        match (head.api_version.as_str(), head.kind.as_str()) {
            ("v1", "ServiceAccount") => out
                .service_accounts
                .push(serde_json::from_value(doc).unwrap()),
            ("rbac.authorization.k8s.io/v1", "Role") => {
                out.roles.push(serde_json::from_value(doc).unwrap())
            }
            ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
                out.role_bindings.push(serde_json::from_value(doc).unwrap());
            }
            ("rbac.authorization.k8s.io/v1", "ClusterRole") => {
                out.cluster_roles.push(serde_json::from_value(doc).unwrap());
            }
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
                out.cluster_role_bindings
                    .push(serde_json::from_value(doc).unwrap());
            }
            ("spire.spiffe.io/v1alpha1", "ClusterSPIFFEID") => {
                out.spiffe_ids.push(serde_json::from_value(doc).unwrap());
            }
            ("v1", "Namespace") => out.namespaces.push(serde_json::from_value(doc).unwrap()),
            other => panic!("unexpected object {other:?}"),
        }
    }
    out
}

#[test]
fn every_rendered_object_parses_back_into_its_type() {
    for ws in workspaces() {
        let (_out, files) = build(&ws);
        let kustomization: serde_json::Value =
            serde_saphyr::from_str(&files["kustomization.yaml"]).unwrap();
        let listed: Vec<&str> = kustomization["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        let manifests: Vec<&String> = files
            .keys()
            .filter(|f| *f != "kustomization.yaml")
            .collect();
        assert_eq!(listed, manifests, "{}", ws.display());
        assert!(manifests.len() >= 3, "{}", ws.display());
        for name in manifests {
            let p = parse(&files[name]);
            let identity = name.trim_end_matches(".yaml");
            if name == "_namespaces.yaml" {
                // the namespaces the workspace owns, and nothing else
                assert!(!p.namespaces.is_empty() && p.roles.is_empty(), "{name}");
                continue;
            }
            if p.service_accounts.is_empty() {
                // a pipeline through its access entry: bound as its group
                for binding in &p.role_bindings {
                    let subject = &binding.subjects.as_ref().unwrap()[0];
                    assert_eq!(subject.kind, "Group", "{name}");
                    assert_eq!(subject.name, format!("nhi:{identity}"));
                }
                assert!(!p.role_bindings.is_empty(), "{name}");
                continue;
            }
            // one role and one binding per service account, each naming it
            assert_eq!(p.roles.len(), p.service_accounts.len(), "{name}");
            for (sa, binding) in p.service_accounts.iter().zip(&p.role_bindings) {
                assert_eq!(sa.metadata.name.as_deref(), Some(identity));
                let subject = &binding.subjects.as_ref().unwrap()[0];
                assert_eq!(subject.name, identity);
                assert_eq!(subject.namespace, sa.metadata.namespace);
                assert_eq!(binding.role_ref.name, format!("nhi-{identity}"));
                let labels = sa.metadata.labels.as_ref().unwrap();
                assert_eq!(labels["app.kubernetes.io/managed-by"], "nhi");
                assert_eq!(labels["nhi.dev/identity"], identity);
                assert!(
                    sa.metadata
                        .annotations
                        .as_ref()
                        .unwrap()
                        .contains_key("nhi.dev/source")
                );
            }
        }
    }
}

#[test]
fn the_release_assistant_manifest() {
    let (_out, files) = build(&repo());
    insta::assert_snapshot!(
        "release-assistant-kubernetes",
        files["release-assistant.yaml"]
    );
}

fn cluster(extra: &str) -> tempfile::TempDir {
    workspace(&[
        (
            "nhi.yaml",
            "trust_domain: example.org\ntargets:\n  aws:\n    account_id: \"123456789012\"\n    oidc_providers: [https://oidc.eks.eu-west-1.amazonaws.com/id/ABC, https://token.actions.githubusercontent.com]\n  kubernetes:\n    namespaces: [apps]\n    oidc_issuer: https://oidc.eks.eu-west-1.amazonaws.com/id/ABC\nactions:\n  read_pods:\n    aws: {actions: []}\n    kubernetes:\n      rules: [{api_groups: [\"\"], resources: [pods], verbs: [get, list]}]\n  list_nodes:\n    aws: {actions: []}\n    kubernetes:\n      cluster_wide: true\n      rules: [{api_groups: [\"\"], resources: [nodes], verbs: [list]}]\n  read_logs:\n    aws: {actions: [\"logs:GetLogEvents\"], resources: [\"arn:aws:logs:*:123456789012:log-group:app:*\"]}\n",
        ),
        (
            "identities/watcher.yaml",
            &format!(
                "agent: watcher\nowner: t\nauth: {{method: oidc, ttl: 30m}}\nallowed_actions: [read_pods, list_nodes, read_logs]\ncontext:\n  namespaces: [apps, batch]\n{extra}"
            ),
        ),
        (
            "identities/logger.yaml",
            "agent: logger\nowner: t\nauth: oidc_short_lived_token\nallowed_actions: [read_logs]\n",
        ),
        (
            "identities/pipeline.yaml",
            "agent: pipeline\nowner: t\nauth: {method: oidc, issuer: https://token.actions.githubusercontent.com, subject: \"repo:x/y:ref:refs/heads/main\"}\nallowed_actions: [read_logs]\n",
        ),
    ])
}

#[test]
fn identities_run_where_they_say_with_their_cloud_bindings() {
    let tmp = cluster("");
    let (_out, files) = build(tmp.path());
    // a pipeline that runs outside the cluster gets no service account
    assert!(!files.contains_key("pipeline.yaml"), "{:?}", files.keys());
    let w = parse(&files["watcher.yaml"]);
    let namespaces: Vec<&str> = w
        .service_accounts
        .iter()
        .map(|s| s.metadata.namespace.as_deref().unwrap())
        .collect();
    assert_eq!(namespaces, ["apps", "batch"]);
    let sa = &w.service_accounts[0];
    let annotations = sa.metadata.annotations.as_ref().unwrap();
    assert_eq!(
        annotations["eks.amazonaws.com/role-arn"],
        "arn:aws:iam::123456789012:role/nhi/watcher"
    );
    assert_eq!(annotations["eks.amazonaws.com/token-expiration"], "1800");
    assert_eq!(
        sa.automount_service_account_token,
        Some(true),
        "it calls the API server"
    );
    // exactly its rules: namespaced in a Role, cluster-wide in a ClusterRole
    let rules = w.roles[0].rules.as_ref().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        rules[0].resources.as_deref(),
        Some(&["pods".to_owned()][..])
    );
    assert_eq!(rules[0].verbs, ["get", "list"]);
    let cluster_rules = w.cluster_roles[0].rules.as_ref().unwrap();
    assert_eq!(
        cluster_rules[0].resources.as_deref(),
        Some(&["nodes".to_owned()][..])
    );
    let subjects = w.cluster_role_bindings[0].subjects.as_ref().unwrap();
    assert_eq!(subjects.len(), 2);
    // its SPIFFE ID from its stable name, for its pods only, TTL from auth
    let spiffe = &w.spiffe_ids[0].spec;
    assert_eq!(
        spiffe.spiffe_id_template,
        "spiffe://example.org/ns/{{ .PodMeta.Namespace }}/sa/watcher"
    );
    assert_eq!(spiffe.workload_selector_templates, ["k8s:sa:watcher"]);
    assert_eq!(spiffe.ttl.as_deref(), Some("30m"));
    let selector = &spiffe
        .namespace_selector
        .match_expressions
        .as_ref()
        .unwrap()[0];
    assert_eq!(
        selector.values.as_deref(),
        Some(&["apps".to_owned(), "batch".to_owned()][..])
    );
    // an identity that does not call the API server gets no token mounted
    let l = parse(&files["logger.yaml"]);
    assert_eq!(
        l.service_accounts[0].automount_service_account_token,
        Some(false)
    );
    assert_eq!(l.roles[0].rules.as_deref(), Some(&[][..]));
    assert!(l.cluster_roles.is_empty());
}

#[test]
fn suspended_identities_keep_their_objects_and_lose_their_rules() {
    let tmp = cluster("state: suspended\n");
    let (_out, files) = build(tmp.path());
    let w = parse(&files["watcher.yaml"]);
    assert_eq!(w.service_accounts.len(), 2);
    assert_eq!(
        w.service_accounts[0].automount_service_account_token,
        Some(false)
    );
    assert!(w.roles.iter().all(|r| r.rules.as_deref() == Some(&[][..])));
    // the cluster role stays, emptied, so that applying it takes back
    // what it granted; no binding binds anyone
    assert_eq!(w.cluster_roles.len(), 1);
    assert_eq!(w.cluster_roles[0].rules.as_deref(), Some(&[][..]));
    assert!(
        w.role_bindings
            .iter()
            .map(|b| &b.subjects)
            .chain(w.cluster_role_bindings.iter().map(|b| &b.subjects))
            .all(|s| s.as_deref() == Some(&[][..]))
    );
    assert_eq!(w.role_bindings.len(), 2);
    assert_eq!(w.cluster_role_bindings.len(), 1);

    for gone in ["state: revoked\n", "expires: 2026-01-01\n"] {
        let tmp = cluster(gone);
        let (_out, files) = build(tmp.path());
        assert!(!files.contains_key("watcher.yaml"), "{gone}");
        let k: serde_json::Value = serde_saphyr::from_str(&files["kustomization.yaml"]).unwrap();
        assert!(
            !k["resources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "watcher.yaml")
        );
    }
}

#[test]
fn a_where_on_names_becomes_resource_names_on_the_verbs_rbac_narrows() {
    let tmp = workspace(&[
        (
            "nhi.yaml",
            "default_targets: [kubernetes]\ntargets:\n  kubernetes:\n    namespaces: [apps]\n    environments: [production]\n    regions: [eu-west-1]\nactions:\n  deploy:\n    kubernetes:\n      names: service\n      rules:\n        - {api_groups: [apps], resources: [deployments], verbs: [get, patch]}\n        - {api_groups: [apps], resources: [deployments], verbs: [list], resource_names: [web]}\n  scale:\n    kubernetes:\n      names: service\n      rules:\n        - {api_groups: [apps], resources: [deployments/scale], verbs: [update], resource_names: [web, api]}\n",
        ),
        (
            "identities/deployer.yaml",
            "agent: deployer\nowner: t\nauth: spiffe\nallowed_actions:\n  - action: deploy\n    where: {service: [web, storefront]}\n  - action: scale\n    where: {service: [storefront]}\ncontext:\n  environments: [production]\n  regions: [eu-west-1]\n",
        ),
    ]);
    let (_out, files) = build(tmp.path());
    let parsed = parse(&files["deployer.yaml"]);
    let rules: Vec<(Vec<String>, Option<Vec<String>>)> = parsed.roles[0]
        .rules
        .iter()
        .flatten()
        .map(|r| (r.verbs.clone(), r.resource_names.clone()))
        .collect();
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        rules,
        [
            // the names of the `where`, on the verbs that name an object
            (
                owned(&["get", "patch"]),
                Some(owned(&["storefront", "web"]))
            ),
            // a list names none: as written
            (owned(&["list"]), Some(owned(&["web"]))),
            // `scale` may act on `web` and `api`, the grant on `storefront`
            // only: nothing is left, so nothing is rendered
        ]
    );
    // the cluster declares the environment and region it runs in, so
    // neither is reported; the list is
    assert_eq!(
        support::check_messages(tmp.path(), "TG011"),
        [
            "The cluster narrows `deploy` of `deployer` to the `service` named, but not `list`: its Role allows them whatever their `service`, and only Cedar holds it to `storefront`, `web`"
        ]
    );
}

/// A workspace on `platform` running one identity in the cluster that also
/// runs in AWS, Google Cloud and Azure.
fn on_platform(platform: &str, issuer: &str) -> tempfile::TempDir {
    workspace(&[
        (
            "nhi.yaml",
            &format!(
                "default_targets: [aws, gcp, azure, kubernetes]\ntargets:\n  aws:\n    account_id: \"123456789012\"\n    oidc_providers: [\"{issuer}\"]\n  gcp: {{project: example-project, project_number: \"4123\", workload_identity_pool: cluster-pool}}\n  azure: {{subscription_id: 7d1e4c2a-3b5f-4e6d-8a9c-0b1f2e3d4c5a, tenant_id: 2c9f8e7d-6b5a-4c3d-9e1f-0a2b3c4d5e6f, resource_group: ids, location: westeurope}}\n  kubernetes:\n    namespaces: [apps]\n    oidc_issuer: \"{issuer}\"\n{platform}actions:\n  read_logs:\n    aws: {{actions: [\"logs:GetLogEvents\"], resources: [\"arn:aws:logs:*:123456789012:log-group:app:*\"]}}\n    gcp: {{permissions: [logging.logEntries.list]}}\n    azure: {{actions: [Microsoft.Insights/logs/read]}}\n"
            ),
        ),
        (
            "identities/reader.yaml",
            "agent: reader\nowner: t\nauth: {method: oidc, ttl: 1h}\nallowed_actions: [read_logs]\n",
        ),
    ])
}

fn service_account_annotations(dir: &Path) -> BTreeMap<String, String> {
    let (_out, files) = build(dir);
    let parsed = parse(&files["reader.yaml"]);
    parsed.service_accounts[0]
        .metadata
        .annotations
        .clone()
        .unwrap()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("nhi.dev/"))
        .collect()
}

#[test]
fn each_service_account_carries_exactly_its_platforms_annotations() {
    // EKS, named by its issuer: the role's ARN, nothing of the other clouds
    let eks = on_platform("", "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC");
    assert_eq!(
        service_account_annotations(eks.path())
            .keys()
            .collect::<Vec<_>>(),
        [
            "eks.amazonaws.com/audience",
            "eks.amazonaws.com/role-arn",
            "eks.amazonaws.com/token-expiration"
        ]
    );
    // GKE, said in nhi.yaml: the Google service account, bound to the
    // Kubernetes one through the project's workload identity pool
    let gke = on_platform(
        "    platform: gke\n",
        "https://container.googleapis.com/v1/projects/example-project/locations/europe-west1/clusters/apps",
    );
    let annotations = service_account_annotations(gke.path());
    assert_eq!(
        annotations,
        BTreeMap::from([(
            "iam.gke.io/gcp-service-account".to_owned(),
            "reader@example-project.iam.gserviceaccount.com".to_owned()
        )])
    );
    let out = tempfile::tempdir().unwrap();
    let run = nhi(
        gke.path(),
        &["build", "--out", out.path().to_str().unwrap()],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("gcp/reader/service-account-policy.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        policy["bindings"][0]["members"],
        serde_json::json!(["serviceAccount:example-project.svc.id.goog[apps/reader]"])
    );
    // AKS: the tenant and the token's lifetime; the client id once the
    // file records what Azure assigned, and until then TG015 says so
    let aks = on_platform(
        "    platform: aks\n",
        "https://westeurope.oic.prod-aks.azure.com/2c9f8e7d/abc",
    );
    assert_eq!(
        service_account_annotations(aks.path())
            .keys()
            .collect::<Vec<_>>(),
        [
            "azure.workload.identity/service-account-token-expiration",
            "azure.workload.identity/tenant-id"
        ]
    );
    assert_eq!(
        support::check_messages(aks.path(), "TG015"),
        [
            "`reader`'s ServiceAccount on AKS has no `azure.workload.identity/client-id`: its pods get no Microsoft Entra token until its file records its managed identity's client id"
        ]
    );
    let reader = aks.path().join("identities/reader.yaml");
    let recorded = std::fs::read_to_string(&reader).unwrap().replace(
        "ttl: 1h}",
        "ttl: 1h, client_id: 4f6a8c0e-2b4d-4e6f-8a0c-2e4f6a8c0e2b}",
    );
    std::fs::write(&reader, recorded).unwrap();
    assert_eq!(
        service_account_annotations(aks.path())["azure.workload.identity/client-id"],
        "4f6a8c0e-2b4d-4e6f-8a0c-2e4f6a8c0e2b"
    );
    assert!(support::check_messages(aks.path(), "TG015").is_empty());
    std::fs::write(
        &reader,
        "agent: reader\nowner: t\nauth: {method: oidc, ttl: 1h, client_id: reader-app}\nallowed_actions: [read_logs]\n",
    )
    .unwrap();
    assert_eq!(
        support::check_messages(aks.path(), "SC007"),
        ["`reader-app` is not an Azure client id"]
    );
    // another platform: no cloud's annotations
    let other = on_platform(
        "    platform: other\n",
        "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
    );
    assert!(service_account_annotations(other.path()).is_empty());
}

/// An EKS workspace with a GitHub Actions pipeline meant for the cluster.
fn eks_pipeline(cluster_name: &str) -> tempfile::TempDir {
    workspace(&[
        (
            "nhi.yaml",
            &format!(
                "targets:\n  aws:\n    account_id: \"123456789012\"\n    oidc_providers: [https://token.actions.githubusercontent.com]\n  kubernetes:\n    platform: eks\n{cluster_name}    namespaces: [apps]\nactions:\n  roll_out:\n    aws: {{actions: [\"eks:DescribeCluster\"], resources: [\"arn:aws:eks:eu-west-1:123456789012:cluster/apps\"]}}\n    kubernetes:\n      rules: [{{api_groups: [apps], resources: [deployments], verbs: [get, patch]}}]\n"
            ),
        ),
        (
            "identities/deployer.yaml",
            "agent: deployer\nowner: t\nauth:\n  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/web:environment:production\nallowed_actions: [roll_out]\ntargets: [aws, kubernetes]\ncontext:\n  namespaces: [web]\n",
        ),
    ])
}

#[test]
fn a_pipeline_reaches_an_eks_cluster_through_an_access_entry() {
    let tmp = eks_pipeline("    cluster_name: apps\n");
    let out = tempfile::tempdir().unwrap();
    let run = nhi(
        tmp.path(),
        &["build", "--out", out.path().to_str().unwrap()],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert!(
        !text(&run.stderr).contains("TG010"),
        "{}",
        text(&run.stderr)
    );
    // no service account: its Role is bound to the group its role maps to
    let manifest = std::fs::read_to_string(out.path().join("kubernetes/deployer.yaml")).unwrap();
    let p = parse(&manifest);
    assert!(p.service_accounts.is_empty());
    assert!(p.spiffe_ids.is_empty());
    assert_eq!(p.roles[0].metadata.namespace.as_deref(), Some("web"));
    let subjects = p.role_bindings[0].subjects.as_ref().unwrap();
    assert_eq!(subjects.len(), 1);
    assert_eq!(subjects[0].kind, "Group");
    assert_eq!(subjects[0].name, "nhi:deployer");
    // the access entry maps its AWS role to that group
    let entry: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("aws/deployer/eks-access-entry.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        entry,
        serde_json::json!({
            "clusterName": "apps",
            "principalArn": "arn:aws:iam::123456789012:role/nhi/deployer",
            "kubernetesGroups": ["nhi:deployer"],
            "type": "STANDARD",
        })
    );
    let tf: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("aws/main.tf.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        tf["resource"]["aws_eks_access_entry"]["deployer"]["principal_arn"],
        "${aws_iam_role.deployer.arn}"
    );

    // an unnamed cluster: nothing in the cluster, and the warning says why
    let tmp = eks_pipeline("");
    let run = nhi(tmp.path(), &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let warning = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "TG010")
        .unwrap();
    assert!(
        warning["help"]
            .as_str()
            .unwrap()
            .contains("targets.kubernetes.cluster_name"),
        "{warning}"
    );
}

#[test]
fn the_namespaces_the_workspace_owns_are_rendered_first() {
    let (_out, files) = build(&repo().join("examples/cicd-pipelines"));
    let owned = parse(&files["_namespaces.yaml"]);
    let names: Vec<&str> = owned
        .namespaces
        .iter()
        .map(|n| n.metadata.name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["delivery", "orders"]);
    assert!(
        owned
            .namespaces
            .iter()
            .all(|n| n.metadata.labels.as_ref().unwrap()["app.kubernetes.io/managed-by"] == "nhi")
    );
    let kustomization: serde_json::Value =
        serde_saphyr::from_str(&files["kustomization.yaml"]).unwrap();
    assert_eq!(kustomization["resources"][0], "_namespaces.yaml");
    // a workspace that owns none renders none
    let (_out, files) = build(&repo().join("examples/ai-agent-platform"));
    assert!(!files.contains_key("_namespaces.yaml"));
}
