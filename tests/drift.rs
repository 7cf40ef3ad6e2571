//! `nhi drift gcp|azure|kubernetes`: a workspace is built, its output
//! "applied" — turned into exactly what the clouds' CLIs print once it is
//! in place (`gcloud … --format=json`, `az … list`, `kubectl get -o json`)
//! — and drift then finds nothing; after changes by hand, exactly those,
//! at their risk. (AWS, against the AWS API itself, is in conformance.)

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

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::{nhi, text};

const PROJECT: &str = "example-storefront";
const SUBSCRIPTION: &str = "9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";

/// The CI/CD example, built into a scratch copy.
fn built() -> tempfile::TempDir {
    let dir = support::example("cicd-pipelines");
    let out = nhi(dir.path(), &["build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    dir
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Each identity folder of a cloud's output.
fn folders(ws: &Path, cloud: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(ws.join("dist").join(cloud))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Write each export into `dir`; their paths.
fn write(dir: &Path, exports: &[(&str, Value)]) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    exports
        .iter()
        .map(|(name, value)| {
            let path = dir.join(name);
            std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
            path.display().to_string()
        })
        .collect()
}

/// `nhi drift CLOUD FILES --format json`: its exit code and report.
fn drift(ws: &Path, cloud: &str, files: &[String]) -> (Option<i32>, Value) {
    let mut args = vec!["drift", cloud];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--format", "json", "--fail-on", "high"]);
    let out = nhi(ws, &args);
    let stdout = text(&out.stdout);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", text(&out.stderr)));
    (out.status.code(), report)
}

/// Each difference as (risk, kind, identity or `-`).
fn found(report: &Value) -> Vec<(String, String, String)> {
    report["drifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["risk"].as_str().unwrap().to_owned(),
                d["kind"].as_str().unwrap().to_owned(),
                d["identity"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

fn expect(risk: &str, kind: &str, who: &str) -> (String, String, String) {
    (risk.to_owned(), kind.to_owned(), who.to_owned())
}

/// What `gcloud` prints about the project once the output is applied:
/// service accounts, the project's policy, each custom role described,
/// each account's own policy, and keys (Google's own default account
/// among the accounts).
fn gcp_exports(ws: &Path) -> Vec<(String, Value)> {
    let mut accounts = vec![json!({
        "email": "734512345678-compute@developer.gserviceaccount.com",
        "displayName": "Compute Engine default service account",
        "projectId": PROJECT,
    })];
    let mut bindings = Vec::new();
    let mut out = Vec::new();
    for dir in folders(ws, "gcp") {
        let account = read(&dir.join("service-account.json"));
        let id = account["accountId"].as_str().unwrap();
        let body = &account["serviceAccount"];
        accounts.push(json!({
            "email": format!("{id}@{PROJECT}.iam.gserviceaccount.com"),
            "displayName": body["displayName"],
            "description": body["description"],
            "disabled": body["disabled"].as_bool().unwrap_or(false),
            "projectId": PROJECT,
            "name": format!("projects/{PROJECT}/serviceAccounts/{id}@{PROJECT}.iam.gserviceaccount.com"),
        }));
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_str().unwrap().to_owned();
            if let Some(suffix) = file
                .strip_prefix("project-binding")
                .and_then(|s| s.strip_suffix(".json"))
            {
                let binding = read(&path);
                let mut role = read(&dir.join(format!("role{suffix}.json")));
                role["name"] = binding["role"].clone();
                role["etag"] = json!("BwYl3Kx2c9E=");
                out.push((format!("role-{id}{suffix}.json"), role));
                bindings.push(binding);
            } else if file == "service-account-policy.json" {
                let mut policy = read(&path);
                policy["etag"] = json!("BwYl3Kx2c9E=");
                out.push((format!("sa-{id}-iam-policy.json"), policy));
            }
        }
    }
    out.push(("service-accounts.json".to_owned(), Value::Array(accounts)));
    out.push((
        "iam-policy.json".to_owned(),
        json!({"bindings": bindings, "etag": "BwYl3Kx2c9E=", "version": 3}),
    ));
    out
}

fn with_names(exports: &[(String, Value)]) -> Vec<(&str, Value)> {
    exports
        .iter()
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect()
}

#[test]
fn gcp_drift_is_nothing_once_applied_and_exactly_what_was_done_by_hand() {
    let ws = built();
    let exports = gcp_exports(ws.path());
    let files = write(&ws.path().join("export"), &with_names(&exports));
    let (code, report) = drift(ws.path(), "gcp", &files);
    assert_eq!(found(&report), [], "{report:#}");
    assert_eq!(code, Some(0));
    assert_eq!(report["compared"], 5, "{report:#}");
    assert_eq!(
        report["left_aside"]["Google-made default service accounts"],
        1
    );

    // by hand: Owner granted to the deployer, a key made for the mirror, a
    // permission added to the deployer's role, an account made
    let mut exports = exports;
    for (name, value) in &mut exports {
        match name.as_str() {
            "iam-policy.json" => value["bindings"].as_array_mut().unwrap().push(json!({
                "role": "roles/owner",
                "members": [format!("serviceAccount:storefront-deployer@{PROJECT}.iam.gserviceaccount.com")],
            })),
            "role-storefront-deployer.json" => value["includedPermissions"]
                .as_array_mut()
                .unwrap()
                .push(json!("iam.serviceAccounts.setIamPolicy")),
            "service-accounts.json" => value.as_array_mut().unwrap().push(json!({
                "email": format!("made-by-hand@{PROJECT}.iam.gserviceaccount.com"),
                "projectId": PROJECT,
            })),
            _ => {}
        }
    }
    exports.push((
        "keys-image-mirror.json".to_owned(),
        json!([{
            "name": format!("projects/{PROJECT}/serviceAccounts/image-mirror@{PROJECT}.iam.gserviceaccount.com/keys/3f2a8c4b9d1e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"),
            "keyType": "USER_MANAGED",
            "keyAlgorithm": "KEY_ALG_RSA_2048",
            "validAfterTime": "2026-10-01T09:00:00Z",
            "validBeforeTime": "9999-12-31T23:59:59Z",
        }]),
    ));
    let files = write(&ws.path().join("export-2"), &with_names(&exports));
    let (code, report) = drift(ws.path(), "gcp", &files);
    assert_eq!(
        found(&report),
        [
            expect("high", "key-added", "image-mirror"),
            expect("high", "grant-added", "storefront-deployer"),
            expect("high", "permissions-differ", "storefront-deployer"),
            expect("high", "principal-unmanaged", "-"),
        ],
        "{report:#}"
    );
    assert_eq!(code, Some(1));
    let details: Vec<&str> = report["drifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["detail"].as_str().unwrap())
        .collect();
    assert!(details[1].contains("role `roles/owner`"), "{details:?}");
    assert!(details[3].contains("made-by-hand@"), "{details:?}");
}

/// What `az` prints about the subscription once the output is applied:
/// the managed identities, their federated credentials, the custom role
/// definitions and their assignments.
fn azure_exports(ws: &Path) -> Vec<(String, Value)> {
    let group = format!("/subscriptions/{SUBSCRIPTION}/resourcegroups/pipeline-identities");
    let mut identities = Vec::new();
    let mut credentials = Vec::new();
    let mut roles = Vec::new();
    let mut assignments = Vec::new();
    for (n, dir) in folders(ws, "azure").iter().enumerate() {
        let mi = read(&dir.join("managed-identity.json"));
        let name = mi["name"].as_str().unwrap();
        let id =
            format!("{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}");
        let principal = format!("0b1c2d3e-4f50-4617-8283-94a5b6c7d8e{n}");
        identities.push(json!({
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
            "id": id, "name": name, "location": mi["location"],
            "principalId": principal, "clientId": format!("7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2{n}"),
            "tenantId": "5b4a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "resourceGroup": "pipeline-identities",
            "tags": mi["tags"],
        }));
        for c in read(&dir.join("federated-credentials.json"))
            .as_array()
            .unwrap()
        {
            credentials.push(json!({
                "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
                "id": format!("{id}/federatedIdentityCredentials/{}", c["name"].as_str().unwrap()),
                "name": c["name"], "issuer": c["properties"]["issuer"],
                "subject": c["properties"]["subject"], "audiences": c["properties"]["audiences"],
                "resourceGroup": "pipeline-identities",
            }));
        }
        let role = read(&dir.join("role-definition.json"));
        let guid = format!("5f4e3d2c-1b0a-4987-a6b5-c4d3e2f1a0b{n}");
        let definition = format!(
            "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        );
        roles.push(json!({
            "type": "Microsoft.Authorization/roleDefinitions",
            "id": definition, "name": guid, "roleName": role["Name"], "roleType": "CustomRole",
            "description": role["Description"], "assignableScopes": role["AssignableScopes"],
            "permissions": [{
                "actions": role["Actions"], "notActions": role["NotActions"],
                "dataActions": role["DataActions"], "notDataActions": role["NotDataActions"],
            }],
        }));
        assignments.push(json!({
            "type": "Microsoft.Authorization/roleAssignments",
            "principalId": principal, "principalType": "ServicePrincipal",
            "principalName": format!("7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2{n}"),
            "roleDefinitionId": definition, "roleDefinitionName": role["Name"],
            "scope": role["AssignableScopes"][0],
        }));
    }
    vec![
        ("identities.json".to_owned(), Value::Array(identities)),
        (
            "federated-credentials.json".to_owned(),
            Value::Array(credentials),
        ),
        ("role-definitions.json".to_owned(), Value::Array(roles)),
        (
            "role-assignments.json".to_owned(),
            Value::Array(assignments),
        ),
    ]
}

#[test]
fn azure_drift_is_nothing_once_applied_and_exactly_what_was_done_by_hand() {
    let ws = built();
    let exports = azure_exports(ws.path());
    let files = write(&ws.path().join("export"), &with_names(&exports));
    let (code, report) = drift(ws.path(), "azure", &files);
    assert_eq!(found(&report), [], "{report:#}");
    assert_eq!(code, Some(0));
    assert_eq!(report["compared"], 4, "{report:#}");

    // by hand: Owner assigned to the plan pipeline, a credential for
    // another repository added to the apply pipeline, a tag edited, an
    // identity made
    let mut exports = exports;
    let plan = exports[0].1[3]["principalId"].clone();
    let apply = exports[0].1[2]["id"].as_str().unwrap().to_owned();
    exports[0].1[0]["tags"]["nhi:owner"] = json!("someone-else");
    let mut made = exports[0].1[1].clone();
    made["name"] = json!("made-by-hand");
    made["id"] = json!(apply.replace("terraform-apply", "made-by-hand"));
    made["principalId"] = json!("9f8e7d6c-5b4a-4392-8172-6f5e4d3c2b1a");
    exports[0].1.as_array_mut().unwrap().push(made);
    exports[1].1.as_array_mut().unwrap().push(json!({
        "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
        "id": format!("{apply}/federatedIdentityCredentials/by-hand"),
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": "repo:someone/else:ref:refs/heads/main",
        "audiences": ["api://AzureADTokenExchange"],
    }));
    exports[3].1.as_array_mut().unwrap().push(json!({
        "type": "Microsoft.Authorization/roleAssignments",
        "principalId": plan, "principalType": "ServicePrincipal",
        "roleDefinitionId": format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
        "roleDefinitionName": "Owner", "scope": format!("/subscriptions/{SUBSCRIPTION}"),
    }));
    let files = write(&ws.path().join("export-2"), &with_names(&exports));
    let (code, report) = drift(ws.path(), "azure", &files);
    assert_eq!(
        found(&report),
        [
            expect("high", "trust-differs", "terraform-apply"),
            expect("high", "grant-added", "terraform-plan"),
            expect("high", "principal-unmanaged", "-"),
            expect("low", "tags-differ", "partner-portal-deployer"),
        ],
        "{report:#}"
    );
    assert_eq!(code, Some(1));
    assert!(
        report["drifts"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("role `Owner`"),
        "{report:#}"
    );
}

/// What `kubectl get serviceaccounts,roles,rolebindings,clusterroles,
/// clusterrolebindings -A -o json` prints once the output is applied
/// (with what the API server and `kubectl apply` add), and the cluster's
/// own accounts beside it.
fn cluster_export(ws: &Path) -> Value {
    let mut items = vec![
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "coredns", "namespace": "kube-system"}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "orders"}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "prometheus", "namespace": "monitoring"}}),
    ];
    let mut files: Vec<PathBuf> = std::fs::read_dir(ws.join("dist/kubernetes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let docs: Vec<Value> =
            serde_saphyr::from_multiple(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for (n, mut doc) in docs.into_iter().enumerate() {
            let kind = doc["kind"].as_str().unwrap_or_default();
            if !matches!(
                kind,
                "ServiceAccount" | "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding"
            ) {
                continue;
            }
            let applied = doc.to_string();
            let meta = doc["metadata"].as_object_mut().unwrap();
            meta.insert(
                "uid".to_owned(),
                json!(format!("3c1d2e4f-0000-4000-8000-{n:012}")),
            );
            meta.insert(
                "creationTimestamp".to_owned(),
                json!("2026-11-20T10:00:00Z"),
            );
            meta.entry("annotations")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .unwrap()
                .insert(
                    "kubectl.kubernetes.io/last-applied-configuration".to_owned(),
                    json!(applied),
                );
            items.push(doc);
        }
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}})
}

#[test]
fn kubernetes_drift_is_nothing_once_applied_and_exactly_what_was_done_by_hand() {
    let ws = built();
    let mut export = cluster_export(ws.path());
    let files = write(&ws.path().join("export"), &[("rbac.json", export.clone())]);
    let (code, report) = drift(ws.path(), "kubernetes", &files);
    assert_eq!(found(&report), [], "{report:#}");
    assert_eq!(code, Some(0));
    assert_eq!(
        report["left_aside"].as_object().unwrap().len(),
        3,
        "{report:#}"
    );

    // by hand: `edit` bound to the consumer, a rule added to the backup's
    // role, the release's role annotation pointed elsewhere, an account made
    let items = export["items"].as_array_mut().unwrap();
    for item in items.iter_mut() {
        let name = item["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match (item["kind"].as_str().unwrap(), name.as_str()) {
            ("Role", "nhi-orders-db-backup") => item["rules"].as_array_mut().unwrap().push(
                json!({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}),
            ),
            ("ServiceAccount", "orders-consumer") => {
                item["metadata"]["labels"]["nhi.dev/owner"] = json!("someone-else");
            }
            _ => {}
        }
    }
    items.push(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "consumer-can-edit", "namespace": "orders"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"kind": "ServiceAccount", "name": "orders-consumer", "namespace": "orders"}],
    }));
    items.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "made-by-hand", "namespace": "orders"}}));
    let files = write(&ws.path().join("export-2"), &[("rbac.json", export)]);
    let (code, report) = drift(ws.path(), "kubernetes", &files);
    assert_eq!(
        found(&report),
        [
            expect("high", "grant-added", "orders-consumer"),
            expect("high", "permissions-differ", "orders-db-backup"),
            expect("high", "principal-unmanaged", "-"),
            expect("low", "tags-differ", "orders-consumer"),
        ],
        "{report:#}"
    );
    assert_eq!(code, Some(1));
    assert!(
        report["drifts"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("RoleBinding `orders/consumer-can-edit` of ClusterRole `edit`"),
        "{report:#}"
    );
}

#[test]
fn drift_without_the_clouds_target_is_a_usage_error() {
    let ws = support::seed();
    std::fs::write(ws.path().join("x.json"), "[]").unwrap();
    let out = nhi(ws.path(), &["drift", "gcp", "x.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("set `targets.gcp` in nhi.yaml"),
        "{}",
        text(&out.stderr)
    );
}
