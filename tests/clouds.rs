//! The cloud targets: the rendered files for the release assistant, every
//! JSON file of every shipped workspace parsed back, trust and lifecycle
//! rules, and Terraform JSON that cannot be tricked into interpolation.

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

use serde_json::Value;
use support::{nhi, repo, text, workspace, workspaces};

/// Build a workspace into a temporary folder and read every file back.
fn build(dir: &Path) -> (tempfile::TempDir, BTreeMap<String, String>) {
    support::build_files(dir)
}

fn json(files: &BTreeMap<String, String>, path: &str) -> Value {
    serde_json::from_str(
        files
            .get(path)
            .unwrap_or_else(|| panic!("no {path}: {:?}", files.keys())),
    )
    .unwrap()
}

#[test]
fn the_release_assistant_renders_into_every_cloud() {
    // the shipped seed, in the repository's workspace told to run every
    // identity in every target
    let settings = std::fs::read_to_string(repo().join("nhi.yaml")).unwrap();
    let seed = std::fs::read_to_string(repo().join("identities/release-assistant.yaml")).unwrap();
    let tmp = workspace(&[
        (
            "nhi.yaml",
            &format!("{settings}\ndefault_targets: [aws, gcp, azure, kubernetes]\n"),
        ),
        ("identities/release-assistant.yaml", &seed),
    ]);
    let (_out, files) = build(tmp.path());
    for (cloud, names) in [
        (
            "aws",
            &["role.json", "trust-policy.json", "permissions-policy.json"][..],
        ),
        (
            "gcp",
            &[
                "service-account.json",
                "role.json",
                "project-binding.json",
                "service-account-policy.json",
                "deny-policy.json",
            ][..],
        ),
        (
            "azure",
            &[
                "managed-identity.json",
                "federated-credentials.json",
                "role-definition.json",
            ][..],
        ),
    ] {
        for file in names {
            insta::assert_snapshot!(
                format!("release-assistant-{cloud}-{file}"),
                files[&format!("{cloud}/release-assistant/{file}")]
            );
        }
    }
}

#[test]
fn every_rendered_json_file_parses_and_every_cloud_renders() {
    for ws in workspaces() {
        let (_out, files) = build(&ws);
        for cloud in ["aws", "gcp", "azure"] {
            assert!(
                files.contains_key(&format!("{cloud}/main.tf.json")),
                "{}: no {cloud}",
                ws.display()
            );
            let identities = files
                .keys()
                .filter(|f| f.starts_with(&format!("{cloud}/")) && f.matches('/').count() == 2)
                .count();
            assert!(
                identities >= 3,
                "{}: {cloud} renders {identities} files",
                ws.display()
            );
        }
        let mut parsed = 0;
        for (path, body) in &files {
            if path.ends_with(".json") {
                serde_json::from_str::<Value>(body)
                    .unwrap_or_else(|e| panic!("{}: {path}: {e}", ws.display()));
                parsed += 1;
            }
        }
        assert!(parsed > 10, "{}: {parsed}", ws.display());
        // every role's Terraform policy is the native file, byte for byte
        let tf = json(&files, "aws/main.tf.json");
        for (name, policy) in tf["resource"]["aws_iam_role_policy"].as_object().unwrap() {
            let native: Value = json(&files, &format!("aws/{name}/permissions-policy.json"));
            let embedded: Value = serde_json::from_str(policy["policy"].as_str().unwrap()).unwrap();
            assert_eq!(native, embedded, "{name}");
        }
    }
}

/// The identities a build renders into `target`: its per-identity folders
/// (or, for the cluster, its manifests).
fn rendered_in(files: &BTreeMap<String, String>, target: &str) -> Vec<String> {
    let mut names: Vec<String> = files
        .keys()
        .filter_map(|f| f.strip_prefix(&format!("{target}/")))
        .filter_map(|rest| match rest.split_once('/') {
            Some((name, _)) => Some(name.to_owned()),
            None => rest
                .strip_suffix(".yaml")
                // the kustomization and the owned namespaces are no identity's
                .filter(|n| *n != "kustomization" && *n != "_namespaces")
                .map(str::to_owned),
        })
        .collect();
    names.dedup();
    names
}

/// Where the inventory says each identity lands.
fn inventory_targets(files: &BTreeMap<String, String>) -> BTreeMap<String, Vec<String>> {
    json(files, "inventory.json")["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let targets = i["targets"].as_array().unwrap();
            (
                i["name"].as_str().unwrap().to_owned(),
                targets
                    .iter()
                    .map(|t| t.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn an_identity_renders_only_where_it_runs() {
    let fixture = repo().join("tests/fixtures/check/tg009-tg010-where-identities-run");
    let (_out, files) = build(&fixture);
    // its own list, its audience, its service account: nothing else
    assert_eq!(
        rendered_in(&files, "aws"),
        ["aws-worker", "deployer", "exchanger"]
    );
    assert_eq!(rendered_in(&files, "kubernetes"), ["in-cluster"]);
    let lands = inventory_targets(&files);
    assert_eq!(lands["in-cluster"], ["cedar", "kubernetes"]);
    // a pipeline listed for the cluster, a workload with no namespace,
    // `targets: []`, an identity nothing places: Cedar only
    for name in ["pipeline", "nowhere-in-cluster", "cedar-only", "unplaced"] {
        assert_eq!(lands[name], ["cedar"], "{name}");
    }

    // a GitHub Actions job starting CodePipeline gets no Google service
    // account, no Azure identity and no ServiceAccount
    let (_out, root) = build(&repo());
    assert_eq!(inventory_targets(&root)["web-deployer"], ["cedar", "aws"]);
    // pipelines federated from GitHub or GitLab are never service
    // accounts; one reaches the EKS cluster through its AWS role
    let (_out, cicd) = build(&repo().join("examples/cicd-pipelines"));
    assert_eq!(
        rendered_in(&cicd, "kubernetes"),
        [
            "orders-consumer",
            "orders-db-backup",
            "orders-release",
            "rollout-coordinator"
        ]
    );
    assert!(!cicd["kubernetes/orders-release.yaml"].contains("kind: ServiceAccount"));
    assert!(cicd.contains_key("aws/orders-release/eks-access-entry.json"));
    assert_eq!(
        inventory_targets(&cicd)["terraform-apply"],
        ["cedar", "aws", "gcp", "azure"]
    );
}

/// A workspace with one identity of each kind of AWS credential.
fn aws_workspace(extra: &str) -> tempfile::TempDir {
    workspace(&[
        (
            "nhi.yaml",
            "trust_domain: example.org\ndefault_targets: [aws, gcp, azure, kubernetes]\ntargets:\n  aws:\n    account_id: \"123456789012\"\n    oidc_providers: [https://token.actions.githubusercontent.com, https://oidc.eks.eu-west-1.amazonaws.com/id/ABC]\n    roles_anywhere_trust_anchor: arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/t1\n  gcp: {project: example-project, project_number: \"4123\", workload_identity_pool: ci-pool}\n  azure: {subscription_id: 7d1e4c2a-3b5f-4e6d-8a9c-0b1f2e3d4c5a, tenant_id: 2c9f8e7d-6b5a-4c3d-9e1f-0a2b3c4d5e6f, resource_group: ids, location: westeurope, spiffe_issuer: \"https://oidc.example.org\"}\n  kubernetes:\n    namespaces: [apps]\n    oidc_issuer: https://oidc.eks.eu-west-1.amazonaws.com/id/ABC\nactions:\n  read_logs:\n    aws: {actions: [\"logs:GetLogEvents\"], resources: [\"arn:aws:logs:*:123456789012:log-group:app:*\"]}\n    gcp: {permissions: [logging.logEntries.list]}\n    azure: {actions: [Microsoft.Insights/logs/read]}\n  read_home:\n    aws:\n      actions: [\"s3:GetObject\"]\n      resources: [\"arn:aws:s3:::home/${aws:username}/*\"]\n    gcp: {permissions: []}\n    azure: {actions: []}\n  write_logs:\n    aws: {actions: [\"logs:PutLogEvents\"], resources: [\"arn:aws:logs:*:123456789012:log-group:app:*\"]}\n    gcp: {permissions: [logging.logEntries.create]}\n    azure: {data_actions: [Microsoft.Insights/logs/write]}\n",
        ),
        (
            "identities/ci-job.yaml",
            &format!(
                "agent: ci-job\nowner: t\npurpose: \"Costs ${{var.x}} %{{if}} nothing, & more\"\nauth:\n  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/app:ref:refs/heads/main\n  ttl: 15m\nallowed_actions:\n  - read_home\n  - action: read_logs\n    where: {{team: [payments]}}\nforbidden_actions: [write_logs]\ncontext:\n  regions: [eu-west-1, europe-west1, westeurope]\n{extra}"
            ),
        ),
        (
            "identities/pod.yaml",
            "agent: pod\nowner: t\nauth: oidc_short_lived_token\nallowed_actions: [read_logs]\n",
        ),
        (
            "identities/mesh.yaml",
            "agent: mesh\nowner: t\nauth: spiffe\nallowed_actions: [read_logs]\ncontext:\n  namespaces: [mesh]\n",
        ),
        (
            "identities/legacy.yaml",
            "agent: legacy\nowner: t\nauth: {method: api_key, secret_ref: \"vault://kv/legacy\"}\nallowed_actions: [read_home]\n",
        ),
    ])
}

#[test]
fn trust_follows_the_credential() {
    let tmp = aws_workspace("");
    let (_out, files) = build(tmp.path());
    // a pipeline: its issuer, audience and subject, nothing broader
    let ci = json(&files, "aws/ci-job/trust-policy.json");
    let st = &ci["Statement"][0];
    assert_eq!(
        st["Principal"]["Federated"],
        "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    );
    assert_eq!(
        st["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"],
        serde_json::json!(["repo:example/app:ref:refs/heads/main"])
    );
    assert_eq!(
        st["Condition"]["StringEquals"]["token.actions.githubusercontent.com:aud"],
        serde_json::json!(["sts.amazonaws.com"])
    );
    // no issuer: its Kubernetes service account, through the cluster issuer
    let pod = json(&files, "aws/pod/trust-policy.json");
    assert_eq!(
        pod["Statement"][0]["Condition"]["StringEquals"]["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"],
        serde_json::json!(["system:serviceaccount:apps:pod"])
    );
    // a SPIFFE workload: IAM Roles Anywhere, bound to its SPIFFE ID
    let mesh = json(&files, "aws/mesh/trust-policy.json");
    let st = &mesh["Statement"][0];
    assert_eq!(st["Principal"]["Service"], "rolesanywhere.amazonaws.com");
    assert_eq!(
        st["Condition"]["StringEquals"]["aws:PrincipalTag/x509SAN/URI"],
        serde_json::json!(["spiffe://example.org/ns/mesh/sa/mesh"])
    );
    assert_eq!(
        st["Condition"]["ArnEquals"]["aws:SourceArn"],
        serde_json::json!(["arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/t1"])
    );
    // only an identity that declares an API key gets an IAM user
    assert!(files.contains_key("aws/legacy/user.json"));
    assert!(!files.contains_key("aws/legacy/trust-policy.json"));
    assert!(
        !files
            .keys()
            .any(|f| f.starts_with("aws/") && f.ends_with("user.json") && !f.contains("legacy"))
    );
    let tf = json(&files, "aws/main.tf.json");
    assert!(tf["resource"]["aws_iam_user"]["legacy"].is_object());
    assert!(tf["resource"]["aws_iam_role"]["legacy"].is_null());
    // sessions never shorter than IAM allows
    assert_eq!(
        json(&files, "aws/ci-job/role.json")["MaxSessionDuration"],
        3600
    );
}

/// (code, line, message) of every error `nhi check` reports.
fn errors(dir: &Path) -> Vec<(String, u64, String)> {
    let out = nhi(dir, &["check", "--format", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_wildcard_subject_renders_only_where_the_cloud_matches_it() {
    let release = "repo:example/app:ref:refs/heads/release-*";
    // AWS compares `sub` with StringLike: the pattern, inside its repository
    let aws_only = workspace(&[
        (
            "nhi.yaml",
            "default_targets: [aws]\ntargets:\n  aws:\n    account_id: \"123456789012\"\n    oidc_providers: [https://token.actions.githubusercontent.com]\nactions:\n  read_logs:\n    aws: {actions: [\"logs:GetLogEvents\"], resources: [\"arn:aws:logs:*:123456789012:log-group:app:*\"]}\n",
        ),
        (
            "identities/ci-job.yaml",
            &format!(
                "agent: ci-job\nowner: t\nauth:\n  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: {release}\nallowed_actions: [read_logs]\n"
            ),
        ),
    ]);
    let (_out, files) = build(aws_only.path());
    let trust = json(&files, "aws/ci-job/trust-policy.json");
    let condition = &trust["Statement"][0]["Condition"];
    assert_eq!(
        condition["StringLike"]["token.actions.githubusercontent.com:sub"],
        serde_json::json!([release])
    );
    assert!(condition["StringEquals"]["token.actions.githubusercontent.com:sub"].is_null());

    // Google Cloud and Azure compare it exactly: refused at the subject
    let clouds = aws_workspace("");
    let file = clouds.path().join("identities/ci-job.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("repo:example/app:ref:refs/heads/main", release),
    )
    .unwrap();
    let found = errors(clouds.path());
    let at_subject: Vec<(&str, u64)> = found.iter().map(|(c, l, _)| (c.as_str(), *l)).collect();
    assert_eq!(at_subject, [("TG006", 7), ("TG006", 7)], "{found:?}");
    assert!(
        found
            .iter()
            .any(|(_, _, m)| m.starts_with("Azure compares the subject exactly"))
    );
    assert!(
        found
            .iter()
            .any(|(_, _, m)| m.starts_with("Google Cloud compares the subject exactly"))
    );

    // a wildcard any repository's tokens match: one error, no trust anywhere
    std::fs::write(
        &file,
        text.replace("repo:example/app:ref:refs/heads/main", "\"repo:*\""),
    )
    .unwrap();
    let found = errors(clouds.path());
    let codes: Vec<(&str, u64)> = found.iter().map(|(c, l, _)| (c.as_str(), *l)).collect();
    assert_eq!(codes, [("CR006", 7)], "{found:?}");
    let out = nhi(clouds.path(), &["build", "--out", "dist"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!clouds.path().join("dist").exists());
}

#[test]
fn permissions_allow_narrowly_and_deny_explicitly() {
    let tmp = aws_workspace("");
    let (_out, files) = build(tmp.path());
    let policy = json(&files, "aws/ci-job/permissions-policy.json");
    let by_sid: BTreeMap<&str, &Value> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["Sid"].as_str().unwrap(), s))
        .collect();
    let deny = by_sid["DenyWriteLogs"];
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(deny["Action"], serde_json::json!(["logs:PutLogEvents"]));
    let allow = by_sid["AllowReadLogs"];
    assert_eq!(
        allow["Condition"]["StringEquals"],
        serde_json::json!({
            "aws:RequestedRegion": ["eu-west-1"],
            "aws:ResourceTag/team": ["payments"],
        })
    );
    assert_eq!(by_sid.len(), 3, "{by_sid:?}");
}

#[test]
fn terraform_json_never_interpolates_what_the_workspace_wrote() {
    let tmp = aws_workspace("");
    let (_out, files) = build(tmp.path());
    let tf = &files["aws/main.tf.json"];
    // the purpose and the IAM policy variable are literals, escaped
    let doc: Value = serde_json::from_str(tf).unwrap();
    let role = &doc["resource"]["aws_iam_role"]["ci-job"];
    assert_eq!(
        role["description"],
        "Costs $${var.x} %%{if} nothing, & more"
    );
    let policy = doc["resource"]["aws_iam_role_policy"]["ci-job"]["policy"]
        .as_str()
        .unwrap();
    assert!(policy.contains("home/$${aws:username}/*"), "{policy}");
    assert_eq!(role["name"], "${var.name_prefix}ci-job");
    // the only interpolations are nhi's own: references to what the module
    // declares, never text from the workspace
    for (i, _) in tf.match_indices("${") {
        let before = &tf[..i];
        assert!(
            before.ends_with('$')
                || [
                    "${aws_",
                    "${var.",
                    "${local.",
                    "${merge(var.tags, local.tags[",
                    "${each.value.",
                    "${{ for host, p in local.oidc_providers",
                ]
                .iter()
                .any(|own| tf[i..].starts_with(own)),
            "unescaped interpolation at {i}: {}",
            &tf[i..(i + 40).min(tf.len())]
        );
    }
    // the native policy keeps the variable as IAM reads it
    let native = &files["aws/ci-job/permissions-policy.json"];
    assert!(native.contains("home/${aws:username}/*"));
}

#[test]
fn suspended_identities_keep_their_role_and_are_denied_everything() {
    let tmp = aws_workspace("state: suspended\n");
    let (_out, files) = build(tmp.path());
    let policy = json(&files, "aws/ci-job/permissions-policy.json");
    let first = &policy["Statement"][0];
    assert_eq!(first["Sid"], "Suspended");
    assert_eq!(first["Effect"], "Deny");
    assert_eq!(first["Action"], serde_json::json!(["*"]));
    assert_eq!(first["Resource"], serde_json::json!(["*"]));
    assert!(files.contains_key("aws/ci-job/trust-policy.json"));

    for gone in ["state: revoked\n", "expires: 2026-01-01\n"] {
        let tmp = aws_workspace(gone);
        let (_out, files) = build(tmp.path());
        assert!(
            !files.keys().any(|f| f.starts_with("aws/ci-job/")),
            "{gone}"
        );
        let tf = json(&files, "aws/main.tf.json");
        assert!(tf["resource"]["aws_iam_role"]["ci-job"].is_null(), "{gone}");
    }
}

#[test]
fn google_cloud_binds_the_pool_subject_and_denies_what_is_forbidden() {
    let tmp = aws_workspace("");
    let (_out, files) = build(tmp.path());
    let policy = json(&files, "gcp/ci-job/service-account-policy.json");
    assert_eq!(
        policy["bindings"][0],
        serde_json::json!({
            "role": "roles/iam.workloadIdentityUser",
            "members": ["principal://iam.googleapis.com/projects/4123/locations/global/workloadIdentityPools/ci-pool/subject/repo:example/app:ref:refs/heads/main"],
        })
    );
    let pod = json(&files, "gcp/pod/service-account-policy.json");
    assert!(
        pod["bindings"][0]["members"][0]
            .as_str()
            .unwrap()
            .ends_with("/subject/system:serviceaccount:apps:pod")
    );
    assert_eq!(
        json(&files, "gcp/ci-job/role.json")["includedPermissions"],
        serde_json::json!(["logging.logEntries.list"])
    );
    let deny = json(&files, "gcp/ci-job/deny-policy.json");
    assert_eq!(
        deny["rules"][0]["denyRule"]["deniedPermissions"],
        serde_json::json!(["logging.googleapis.com/logEntries.create"])
    );
    assert_eq!(
        deny["rules"][0]["denyRule"]["deniedPrincipals"],
        serde_json::json!([
            "principal://iam.googleapis.com/projects/-/serviceAccounts/ci-job@example-project.iam.gserviceaccount.com"
        ])
    );
    // short names are lengthened to the 6 characters Google requires
    assert_eq!(
        json(&files, "gcp/pod/service-account.json")["accountId"],
        "pod-sa-nhi"
    );
    assert_eq!(
        json(&files, "gcp/ci-job/service-account.json")["accountId"],
        "ci-job"
    );
    let tf = json(&files, "gcp/main.tf.json");
    assert_eq!(
        tf["resource"]["google_service_account"]["ci-job"]["disabled"],
        false
    );
    // nothing in Google Cloud for an identity whose actions mean nothing there
    assert!(!files.keys().any(|f| f.starts_with("gcp/legacy/")));

    let tmp = aws_workspace("state: suspended\n");
    let (_out, files) = build(tmp.path());
    assert_eq!(
        json(&files, "gcp/ci-job/service-account.json")["serviceAccount"]["disabled"],
        true
    );
    let tf = json(&files, "gcp/main.tf.json");
    assert_eq!(
        tf["resource"]["google_service_account"]["ci-job"]["disabled"],
        true
    );
}

#[test]
fn azure_federates_each_subject_and_leaves_out_what_is_forbidden() {
    let tmp = aws_workspace("");
    let (_out, files) = build(tmp.path());
    assert_eq!(
        json(&files, "azure/ci-job/federated-credentials.json"),
        serde_json::json!([{
            "name": "nhi-ci-job-1",
            "properties": {
                "issuer": "https://token.actions.githubusercontent.com",
                "subject": "repo:example/app:ref:refs/heads/main",
                "audiences": ["api://AzureADTokenExchange"],
            },
        }])
    );
    let mesh = json(&files, "azure/mesh/federated-credentials.json");
    assert_eq!(mesh[0]["properties"]["issuer"], "https://oidc.example.org");
    assert_eq!(
        mesh[0]["properties"]["subject"],
        "spiffe://example.org/ns/mesh/sa/mesh"
    );
    let role = json(&files, "azure/ci-job/role-definition.json");
    assert_eq!(
        role["Actions"],
        serde_json::json!(["Microsoft.Insights/logs/read"])
    );
    // the forbidden write is left out: nothing of the role would grant it,
    // so no `NotDataActions` pretends to deny it
    assert_eq!(role["NotDataActions"], serde_json::json!([]));
    assert_eq!(role["DataActions"], serde_json::json!([]));
    assert_eq!(
        role["AssignableScopes"],
        serde_json::json!([
            "/subscriptions/7d1e4c2a-3b5f-4e6d-8a9c-0b1f2e3d4c5a/resourceGroups/ids"
        ])
    );
    let tf = json(&files, "azure/main.tf.json");
    let assignment = &tf["resource"]["azurerm_role_assignment"]["ci-job"];
    assert_eq!(
        assignment["role_definition_id"],
        "${azurerm_role_definition.ci-job.role_definition_resource_id}"
    );
    assert_eq!(
        assignment["principal_id"],
        "${azurerm_user_assigned_identity.ci-job.principal_id}"
    );

    let tmp = aws_workspace("state: suspended\n");
    let (_out, files) = build(tmp.path());
    let role = json(&files, "azure/ci-job/role-definition.json");
    assert_eq!(role["Actions"], serde_json::json!([]));
    assert_eq!(role["NotActions"], serde_json::json!([]));
    assert_eq!(
        json(&files, "azure/ci-job/federated-credentials.json"),
        serde_json::json!([])
    );
    assert!(files.contains_key("azure/ci-job/managed-identity.json"));

    for gone in ["state: revoked\n", "expires: 2026-01-01\n"] {
        let tmp = aws_workspace(gone);
        let (_out, files) = build(tmp.path());
        for cloud in ["gcp", "azure"] {
            assert!(
                !files
                    .keys()
                    .any(|f| f.starts_with(&format!("{cloud}/ci-job/"))),
                "{gone}"
            );
        }
    }
}

/// Every string of a JSON document, depth first.
fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

/// Every reference in every unescaped `${…}` of a Terraform JSON document
/// names something the document declares: one of its resources (`type.name`),
/// variables (`var.x`), locals (`local.x`) or module calls (`module.x`).
fn references_resolve(tf: &str) {
    let doc: Value = serde_json::from_str(tf).unwrap();
    let mut all = Vec::new();
    strings(&doc, &mut all);
    let mut checked = 0;
    for text in all {
        let mut rest = text;
        while let Some(i) = rest.find("${") {
            let escaped = rest[..i].ends_with('$');
            let after = &rest[i + 2..];
            rest = after;
            if escaped {
                continue;
            }
            // up to the first `}`; a nested `${` is reached on its own turn
            let body = &after[..after.find('}').unwrap_or(after.len())];
            for (n, part) in body.split('"').enumerate() {
                if n % 2 == 1 {
                    continue; // a quoted literal
                }
                for token in part.split(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
                {
                    let Some((first, tail)) = token.split_once('.') else {
                        continue;
                    };
                    let second = tail.split('.').next().unwrap();
                    let declared = match first {
                        "" | "each" => true,
                        "var" => doc["variable"].get(second).is_some(),
                        "local" => doc["locals"].get(second).is_some(),
                        "module" => doc["module"].get(second).is_some(),
                        ty => doc["resource"][ty].get(second).is_some(),
                    };
                    assert!(declared, "undeclared `{token}` in `${{{body}}}`");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 0, "no reference at all");
}

#[test]
fn every_terraform_reference_resolves_and_no_literal_interpolates() {
    let tmp = aws_workspace("");
    let mut all = vec![build(tmp.path()).1];
    for ws in workspaces() {
        all.push(build(&ws).1);
    }
    // the check sees a reference to nothing
    for dangling in [
        r#"{"resource":{"aws_iam_role":{"a":{"name":"${aws_iam_role.b.arn}"}}}}"#,
        r#"{"resource":{"aws_iam_role":{"a":{"name":"${var.prefix}a"}}}}"#,
    ] {
        assert!(
            std::panic::catch_unwind(|| references_resolve(dangling)).is_err(),
            "{dangling}"
        );
    }
    for files in &all {
        for file in [
            "aws/main.tf.json",
            "terraform/aws/main.tf.json",
            "gcp/main.tf.json",
            "terraform/gcp/main.tf.json",
            "azure/main.tf.json",
            "terraform/azure/main.tf.json",
        ] {
            references_resolve(&files[file]);
        }
    }
}

#[test]
fn overlapping_permissions_stop_the_build_before_anything_renders() {
    let fixture = repo().join("tests/fixtures/check/ac005-permission-overlap");
    let tmp = workspace(&[
        (
            "nhi.yaml",
            &std::fs::read_to_string(fixture.join("nhi.yaml")).unwrap(),
        ),
        (
            "identities/reporter.yaml",
            &std::fs::read_to_string(fixture.join("identities/reporter.yaml")).unwrap(),
        ),
    ]);
    let out = nhi(tmp.path(), &["build"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("AC005"), "{stderr}");
    assert!(
        stderr.contains(
            "allowed action `read_reports` grants `s3:GetObject` on `arn:aws:s3:::reports/*`"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("forbidden action `read_payroll` covers"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing built"), "{stderr}");
    assert!(!tmp.path().join("dist").exists());
}

// ---------------------------------------------------------------------------
// Terraform JSON against the providers' resource schemas

/// Check one block (a resource body or a nested block) against its schema,
/// collecting every problem under `path`.
fn conforms(body: &Value, schema: &Value, path: &str, problems: &mut Vec<String>) {
    let Some(body) = body.as_object() else {
        problems.push(format!("{path}: not an object"));
        return;
    };
    let attributes = schema["attributes"].as_object().unwrap();
    let blocks = schema["blocks"].as_object().unwrap();
    for (key, value) in body {
        if let Some(a) = attributes.get(key) {
            if a["computed_only"] == true {
                problems.push(format!("{path}.{key}: computed, cannot be set"));
            }
        } else if let Some(b) = blocks.get(key) {
            let items: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            let min = b["min_items"].as_u64().unwrap_or(0);
            let max = b["max_items"].as_u64();
            let n = items.len() as u64;
            if n < min || max.is_some_and(|m| n > m) {
                problems.push(format!(
                    "{path}.{key}: {n} blocks, schema allows {min}..{max:?}"
                ));
            }
            for (i, item) in items.into_iter().enumerate() {
                conforms(item, b, &format!("{path}.{key}[{i}]"), problems);
            }
        } else {
            problems.push(format!("{path}.{key}: no such argument"));
        }
    }
    for (key, a) in attributes {
        if a["required"] == true && !body.contains_key(key) {
            problems.push(format!("{path}.{key}: required, missing"));
        }
    }
    for (key, b) in blocks {
        if b["min_items"].as_u64().unwrap_or(0) > 0 && !body.contains_key(key) {
            problems.push(format!("{path}.{key}: required block, missing"));
        }
    }
}

fn schemas() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(repo().join("data/terraform-schemas.json")).unwrap(),
    )
    .unwrap()
}

#[test]
fn terraform_json_matches_the_provider_resource_schemas() {
    let schemas = schemas();
    let resources = &schemas["resources"];
    let tmp = aws_workspace("");
    let mut builds = vec![build(tmp.path()).1];
    // and the lifecycle states: what a suspended identity renders
    for ws in workspaces()
        .into_iter()
        .chain([repo().join("tests/fixtures/state")])
    {
        builds.push(build(&ws).1);
    }
    let mut checked = 0;
    for files in &builds {
        for cloud in ["aws", "gcp", "azure"] {
            let doc: Value =
                serde_json::from_str(&files[&format!("{cloud}/main.tf.json")]).unwrap();
            let mut problems = Vec::new();
            for (ty, by_name) in doc["resource"].as_object().unwrap() {
                let schema = &resources[ty];
                assert!(schema.is_object(), "no schema for {ty}");
                for (name, body) in by_name.as_object().unwrap() {
                    // Terraform's own meta-arguments: an ordering names
                    // resources of the same document
                    let mut body = body.clone();
                    for meta in ["count", "for_each", "lifecycle", "provider"] {
                        body.as_object_mut().unwrap().remove(meta);
                    }
                    if let Some(after) = body.as_object_mut().unwrap().remove("depends_on") {
                        for address in after.as_array().unwrap() {
                            let (t, n) = address.as_str().unwrap().split_once('.').unwrap();
                            assert!(doc["resource"][t][n].is_object(), "{ty}.{name}: {address}");
                        }
                    }
                    conforms(&body, schema, &format!("{ty}.{name}"), &mut problems);
                    checked += 1;
                }
            }
            assert!(problems.is_empty(), "{cloud}: {problems:#?}");
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn the_schema_check_catches_what_a_provider_would_refuse() {
    let schemas = schemas();
    let role = &schemas["resources"]["aws_iam_role"];
    let mut problems = Vec::new();
    conforms(
        &serde_json::json!({"nmae": "x", "arn": "y"}),
        role,
        "aws_iam_role.r",
        &mut problems,
    );
    problems.sort();
    assert_eq!(
        problems,
        [
            "aws_iam_role.r.arn: computed, cannot be set",
            "aws_iam_role.r.assume_role_policy: required, missing",
            "aws_iam_role.r.nmae: no such argument",
        ]
    );
    let mut problems = Vec::new();
    conforms(
        &serde_json::json!({"name": "n", "parent": "p"}),
        &schemas["resources"]["google_iam_deny_policy"],
        "google_iam_deny_policy.d",
        &mut problems,
    );
    assert_eq!(
        problems,
        ["google_iam_deny_policy.d.rules: required block, missing"]
    );
}

#[test]
fn aws_conditions_are_only_those_aws_evaluates() {
    let tmp = workspace(&[
        (
            "nhi.yaml",
            "default_targets: [aws]\ntargets:\n  aws:\n    account_id: \"123456789012\"\n    oidc_providers: [https://token.actions.githubusercontent.com]\nactions:\n  read_logs:\n    aws: {actions: [\"logs:GetLogEvents\"], resources: [\"arn:aws:logs:*:123456789012:log-group:app:*\"]}\n  back_up:\n    # a create, a describe on `*` only, and a read of a taggable snapshot\n    aws:\n      actions: [\"rds:CreateDBSnapshot\", \"rds:DescribeDBSnapshots\", \"rds:DescribeDBEngineVersions\"]\n      resources: [\"arn:aws:rds:eu-west-1:123456789012:db:orders\", \"arn:aws:rds:eu-west-1:123456789012:snapshot:orders-*\"]\n",
        ),
        (
            "identities/backup.yaml",
            "agent: backup\nowner: t\nauth:\n  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/ops:environment:production\nallowed_actions:\n  - read_logs\n  - action: back_up\n    where: {service: [orders]}\ncontext:\n  environments: [production]\n  regions: [eu-west-1, europe-west1, westeurope]\n",
        ),
    ]);
    let (_out, files) = build(tmp.path());
    let policy = json(&files, "aws/backup/permissions-policy.json");
    let allows: BTreeMap<String, (Value, Value)> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["Sid"].as_str().unwrap().to_owned(),
                (s["Action"].clone(), s["Condition"].clone()),
            )
        })
        .collect();
    let region = serde_json::json!(["eu-west-1"]);
    // the environment is pinned by the trust; the region is AWS's own
    assert_eq!(
        allows["AllowReadLogs"],
        (
            serde_json::json!(["logs:GetLogEvents"]),
            serde_json::json!({"StringEquals": {"aws:RequestedRegion": region}})
        )
    );
    // one statement per tag condition the actions take
    assert_eq!(
        allows["AllowBackUp"],
        (
            serde_json::json!(["rds:DescribeDBSnapshots"]),
            serde_json::json!({"StringEquals": {"aws:RequestedRegion": region, "aws:ResourceTag/service": ["orders"]}})
        )
    );
    assert_eq!(
        allows["AllowBackUpOnCreate"],
        (
            serde_json::json!(["rds:CreateDBSnapshot"]),
            serde_json::json!({"StringEquals": {"aws:RequestedRegion": region, "aws:RequestTag/service": ["orders"]}})
        )
    );
    assert_eq!(
        allows["AllowBackUpUntagged"],
        (
            serde_json::json!(["rds:DescribeDBEngineVersions"]),
            serde_json::json!({"StringEquals": {"aws:RequestedRegion": region}})
        )
    );
    assert_eq!(allows.len(), 4, "{allows:?}");
    // no condition AWS never supplies anywhere
    let text = &files["aws/backup/permissions-policy.json"];
    assert!(!text.contains("environment"), "{text}");
    assert!(!text.contains("europe-west1"), "{text}");
}

#[test]
fn azure_subtracts_only_from_its_own_wildcards_and_assigns_each_scope() {
    let subscription = "/subscriptions/7d1e4c2a-3b5f-4e6d-8a9c-0b1f2e3d4c5a";
    let tmp = workspace(&[
        (
            "nhi.yaml",
            &format!(
                "default_targets: [azure]\n# the overlap is accepted here: forbidden wins inside the role\nlints: {{AC005: warning}}\ntargets:\n  azure: {{subscription_id: 7d1e4c2a-3b5f-4e6d-8a9c-0b1f2e3d4c5a, tenant_id: 2c9f8e7d-6b5a-4c3d-9e1f-0a2b3c4d5e6f, resource_group: ids, location: westeurope}}\n  kubernetes: {{namespaces: [apps], oidc_issuer: \"https://oidc.example.com/cluster\"}}\nactions:\n  manage_sites:\n    azure: {{actions: [\"Microsoft.Web/sites/*\"], wildcard_reason: the portal team runs its own sites}}\n  restart_sites:\n    azure: {{actions: [Microsoft.Web/sites/restart/action]}}\n  read_secrets:\n    azure: {{data_actions: [Microsoft.KeyVault/vaults/secrets/getSecret/action], scope: {subscription}/resourceGroups/vaults}}\n"
            ),
        ),
        (
            "identities/portal-operator.yaml",
            "agent: portal-operator\nowner: t\nauth: {method: oidc, ttl: 30m}\nallowed_actions: [manage_sites, read_secrets]\nforbidden_actions: [restart_sites]\ncontext:\n  namespaces: [apps, batch]\n",
        ),
    ]);
    let (_out, files) = build(tmp.path());
    // forbidden wins inside the role's own wildcard; nothing else pretends
    let role = json(&files, "azure/portal-operator/role-definition.json");
    assert_eq!(
        role["Actions"],
        serde_json::json!(["Microsoft.Web/sites/*"])
    );
    assert_eq!(
        role["NotActions"],
        serde_json::json!(["Microsoft.Web/sites/restart/action"])
    );
    assert_eq!(
        role["AssignableScopes"],
        serde_json::json!([format!("{subscription}/resourceGroups/ids")])
    );
    // the secret read, at its own scope, in a role of its own
    let vault = json(&files, "azure/portal-operator/role-definition-2.json");
    // custom role names are the tenant's: the subscription makes them its own
    assert_eq!(
        vault["Name"],
        format!(
            "nhi-portal-operator-2-{}",
            subscription.trim_start_matches("/subscriptions/")
        )
    );
    assert_eq!(
        vault["DataActions"],
        serde_json::json!(["Microsoft.KeyVault/vaults/secrets/getSecret/action"])
    );
    assert_eq!(vault["Actions"], serde_json::json!([]));
    assert_eq!(
        vault["AssignableScopes"],
        serde_json::json!([format!("{subscription}/resourceGroups/vaults")])
    );
    let tf = json(&files, "azure/main.tf.json");
    let assignments = &tf["resource"]["azurerm_role_assignment"];
    // the subscription is the module's variable, the other group a literal
    assert_eq!(
        assignments["portal-operator-2"]["scope"],
        "/subscriptions/${var.subscription_id}/resourceGroups/vaults"
    );
    assert_eq!(
        assignments["portal-operator"]["scope"],
        "/subscriptions/${var.subscription_id}/resourceGroups/${var.resource_group_name}"
    );
    assert_eq!(
        tf["resource"]["azurerm_role_definition"]["portal-operator-2"]["name"],
        "nhi-portal-operator-2-${var.subscription_id}"
    );
    assert_eq!(
        assignments["portal-operator-2"]["role_definition_id"],
        "${azurerm_role_definition.portal-operator-2.role_definition_resource_id}"
    );
    // one credential per namespace, each created after the one before
    let credentials = &tf["resource"]["azurerm_federated_identity_credential"];
    assert!(credentials["portal-operator-1"]["depends_on"].is_null());
    assert_eq!(
        credentials["portal-operator-2"]["depends_on"],
        serde_json::json!(["azurerm_federated_identity_credential.portal-operator-1"])
    );
    assert_eq!(
        credentials["portal-operator-2"]["subject"],
        "system:serviceaccount:batch:portal-operator"
    );
}

#[test]
fn google_cloud_binds_a_where_on_named_resources_under_a_condition() {
    let tmp = workspace(&[
        (
            "nhi.yaml",
            r#"actions:
  push_image:
    description: Push an image
    access: write
    gcp:
      permissions: [artifactregistry.repositories.uploadArtifacts, artifactregistry.repositories.list]
      names: repository
      resource:
        type: artifactregistry.googleapis.com/Repository
        name: projects/{project}/locations/europe-west1/repositories/{name}
  pull_image:
    description: Pull an image
    access: read
    gcp:
      permissions: [artifactregistry.repositories.downloadArtifacts]
      names: repository
      resource:
        type: artifactregistry.googleapis.com/Repository
        name: projects/{project}/locations/europe-west1/repositories/{name}
targets:
  gcp: {project: example-project, project_number: "4123", workload_identity_pool: ci-pool}
"#,
        ),
        (
            "identities/mirror.yaml",
            r#"agent: mirror
kind: pipeline
owner: platform
purpose: Mirror the web and storefront images
accountable: ada.lovelace@example.com
auth:
  method: oidc
  issuer: https://gitlab.com
  subject: project_path:example/mirror:ref_type:branch:ref:main
  audience: https://iam.googleapis.com/projects/4123/locations/global/workloadIdentityPools/ci-pool/providers/gitlab
  ttl: 15m
allowed_actions:
  - action: push_image
    where: {repository: [web, "${storefront}"]}
  - action: pull_image
    where: {repository: [web]}
review_cycle: quarterly
last_reviewed: 2026-11-01
"#,
        ),
    ]);
    // the listing is checked on the project, not a repository: granted there
    assert_eq!(
        support::check_messages(tmp.path(), "TG011"),
        [
            "Google Cloud narrows `push_image` of `mirror` to the `repository` named, but not `artifactregistry.repositories.list`: its service account's role grants them whatever their `repository`, and only Cedar holds it to `${storefront}`, `web`"
        ]
    );
    let (_out, files) = build(tmp.path());
    assert_eq!(
        json(&files, "gcp/mirror/role.json")["includedPermissions"],
        serde_json::json!(["artifactregistry.repositories.list"])
    );
    let repo = |name: &str| {
        format!(
            "resource.name == \"projects/example-project/locations/europe-west1/repositories/{name}\""
        )
    };
    let kind = "resource.type == \"artifactregistry.googleapis.com/Repository\"";
    // one role per set of names, each bound under its condition
    let mut bound = BTreeMap::new();
    for n in [2, 3] {
        let role = json(&files, &format!("gcp/mirror/role-{n}.json"));
        let binding = json(&files, &format!("gcp/mirror/project-binding-{n}.json"));
        assert_eq!(
            binding["role"],
            format!("projects/example-project/roles/nhi_mirror.{n}")
        );
        bound.insert(
            binding["condition"]["expression"]
                .as_str()
                .unwrap()
                .to_owned(),
            role["includedPermissions"].clone(),
        );
    }
    assert_eq!(
        bound,
        BTreeMap::from([
            (
                format!("{kind} && ({} || {})", repo("${storefront}"), repo("web")),
                serde_json::json!(["artifactregistry.repositories.uploadArtifacts"])
            ),
            (
                format!("{kind} && {}", repo("web")),
                serde_json::json!(["artifactregistry.repositories.downloadArtifacts"])
            ),
        ])
    );
    assert!(!files.contains_key("gcp/mirror/role-4.json"));
    // Terraform: the same conditions, with `${` a literal, not an interpolation
    let tf = json(&files, "gcp/main.tf.json");
    let members = &tf["resource"]["google_project_iam_member"];
    assert!(members["mirror"]["condition"].is_null());
    let expressions: Vec<&str> = ["mirror_2", "mirror_3"]
        .iter()
        .map(|k| members[k]["condition"][0]["expression"].as_str().unwrap())
        .collect();
    assert!(
        expressions
            .iter()
            .any(|e| e.contains("repositories/$${storefront}\"")),
        "{expressions:?}"
    );
    assert_eq!(
        members["mirror_2"]["role"],
        "${google_project_iam_custom_role.mirror_2.name}"
    );
}

#[test]
fn the_output_folder_says_what_it_holds_and_the_order_to_apply_it() {
    let (_out, files) = build(&repo().join("examples/cicd-pipelines"));
    let readme = &files["README.md"];
    // each folder with the number of files it holds
    let aws = files.keys().filter(|p| p.starts_with("aws/")).count();
    assert!(
        readme.contains("| `aws/` |") && readme.contains(&format!(" | {aws} |")),
        "{readme}"
    );
    // what must exist, from the workspace's settings: not what the
    // modules create (this workspace manages its OIDC providers and pool)
    assert!(
        readme.contains("the resource group `pipeline-identities`"),
        "{readme}"
    );
    assert!(!readme.contains("the IAM OIDC provider"), "{readme}");
    assert!(!readme.contains("the workload identity pool"), "{readme}");
    let (_out, agents) = build(&repo().join("examples/ai-agent-platform"));
    assert!(
        agents["README.md"]
            .contains("the IAM OIDC provider `https://token.actions.githubusercontent.com`")
    );
    // AWS is applied through its root, the others as they are
    assert!(
        readme.contains("`cd terraform/aws && terraform init && terraform apply`"),
        "{readme}"
    );
    assert!(
        readme.contains("`cd terraform/gcp && terraform init && terraform apply`"),
        "{readme}"
    );
    // (the namespaces it owns are rendered: not something to create first)
    assert!(
        !readme.contains("in the cluster, the namespaces"),
        "{readme}"
    );
    // the clouds before the cluster, the cluster before the gateway
    let at = |s: &str| readme.find(s).unwrap_or_else(|| panic!("{s}: {readme}"));
    assert!(at("1. **What must exist first**") < at("2. **The clouds**"));
    assert!(at("2. **The clouds**") < at("3. **The cluster**"));
    assert!(at("3. **The cluster**") < at("4. **The gateway**"));
    // a workspace of Cedar alone says only what it has
    let seed = support::seed();
    let (_out, files) = build(seed.path());
    let readme = &files["README.md"];
    assert!(
        !readme.contains("The clouds") && !readme.contains("The cluster"),
        "{readme}"
    );
    assert!(readme.contains("1. **The gateway**"), "{readme}");
}

#[test]
fn every_rendered_principal_is_a_terraform_output() {
    for ws in workspaces() {
        let (_out, files) = build(&ws);
        for (cloud, ty, output, attribute) in [
            ("aws", "aws_iam_role", "role_arns", "arn"),
            ("aws", "aws_iam_user", "user_arns", "arn"),
            (
                "gcp",
                "google_service_account",
                "service_account_emails",
                "email",
            ),
            (
                "azure",
                "azurerm_user_assigned_identity",
                "client_ids",
                "client_id",
            ),
            (
                "azure",
                "azurerm_user_assigned_identity",
                "principal_ids",
                "principal_id",
            ),
        ] {
            let Some(text) = files.get(&format!("{cloud}/main.tf.json")) else {
                continue;
            };
            let doc: Value = serde_json::from_str(text).unwrap();
            let principals = doc["resource"][ty].as_object().cloned().unwrap_or_default();
            let value = doc["output"][output]["value"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            assert_eq!(principals.len(), value.len(), "{}: {output}", ws.display());
            for key in principals.keys() {
                let name = key.strip_prefix('_').unwrap_or(key);
                assert_eq!(
                    value[name],
                    format!("${{{ty}.{key}.{attribute}}}"),
                    "{}: {output}",
                    ws.display()
                );
            }
        }
    }
}

/// `aws_workspace` with its AWS settings extended by `settings` (indented
/// under `targets.aws`) and the CI job's file by `extra`.
fn aws_workspace_with(settings: &str, extra: &str) -> tempfile::TempDir {
    let tmp = aws_workspace(extra);
    let path = tmp.path().join("nhi.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "  aws:\n    account_id: \"123456789012\"\n",
        &format!("  aws:\n    account_id: \"123456789012\"\n{settings}"),
    );
    std::fs::write(&path, text).unwrap();
    tmp
}

#[test]
fn the_aws_terraform_is_a_module_with_a_root_that_adopts_existing_roles() {
    let tmp = aws_workspace_with(
        "    name_prefix: ci-\n    manage: [oidc_providers, permissions_boundary]\n",
        "existing: [aws]\n",
    );
    let (_out, files) = build(tmp.path());
    let module = json(&files, "aws/main.tf.json");
    // a module: no provider inside, every setting a variable defaulting to nhi.yaml
    assert!(module.get("provider").is_none(), "{module:#}");
    let var = |name: &str| module["variable"][name]["default"].clone();
    assert_eq!(var("account_id"), "123456789012");
    assert_eq!(var("name_prefix"), "ci-");
    assert_eq!(var("manage_oidc_providers"), true);
    assert_eq!(var("manage_permissions_boundary"), true);
    assert_eq!(var("permissions_boundary_arn"), Value::Null);
    assert_eq!(
        var("roles_anywhere_trust_anchor_arn"),
        "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/t1"
    );
    let resource = &module["resource"];
    assert_eq!(
        resource["aws_iam_role"]["ci-job"]["name"],
        "${var.name_prefix}ci-job"
    );
    assert_eq!(
        resource["aws_iam_user"]["legacy"]["name"],
        "${var.name_prefix}legacy"
    );
    // the trust names the provider the module creates, or the account's own
    let trust = resource["aws_iam_role"]["ci-job"]["assume_role_policy"]
        .as_str()
        .unwrap();
    assert!(
        trust.contains(
            "\"Federated\":\"${local.oidc_provider_arns[\"token.actions.githubusercontent.com\"]}\""
        ),
        "{trust}"
    );
    let arn = module["locals"]["oidc_provider_arns"]["token.actions.githubusercontent.com"]
        .as_str()
        .unwrap();
    assert!(
        arn.contains(
            "aws_iam_openid_connect_provider.nhi[\"token.actions.githubusercontent.com\"].arn"
        ),
        "{arn}"
    );
    assert!(
        arn.contains(
            "arn:aws:iam::${var.account_id}:oidc-provider/token.actions.githubusercontent.com"
        ),
        "{arn}"
    );
    assert_eq!(
        module["locals"]["oidc_providers"]["token.actions.githubusercontent.com"],
        serde_json::json!({"url": "https://token.actions.githubusercontent.com", "client_ids": ["sts.amazonaws.com"]})
    );
    let mesh = resource["aws_iam_role"]["mesh"]["assume_role_policy"]
        .as_str()
        .unwrap();
    assert!(
        mesh.contains("\"aws:SourceArn\":[\"${local.roles_anywhere_trust_anchor_arn}\"]"),
        "{mesh}"
    );
    // the boundary: what the workspace grants, minus nothing (no guardrails here)
    let boundary = json(&files, "aws/permissions-boundary.json");
    assert_eq!(
        boundary["Statement"][0]["Action"],
        serde_json::json!(["logs:GetLogEvents", "s3:GetObject"])
    );
    assert_eq!(
        boundary["Statement"][0]["Resource"],
        serde_json::json!(["*"])
    );
    let native = json(&files, "aws/ci-job/role.json");
    assert_eq!(native["RoleName"], "ci-ci-job");
    assert_eq!(
        native["PermissionsBoundary"],
        "arn:aws:iam::123456789012:policy/nhi/ci-nhi-boundary"
    );
    let policy: Value = serde_json::from_str(
        resource["aws_iam_policy"]["permissions_boundary"]["policy"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(policy, boundary);
    // every principal and prerequisite is an output
    for output in [
        "role_arns",
        "user_arns",
        "permissions_boundary_arn",
        "oidc_provider_arns",
    ] {
        assert!(module["output"][output].is_object(), "{output}");
    }
    // the root: the provider, the module, the import of the role that exists
    let root = json(&files, "terraform/aws/main.tf.json");
    assert_eq!(root["module"]["nhi"]["source"], "../../aws");
    assert_eq!(
        root["import"],
        serde_json::json!([{"to": "module.nhi.aws_iam_role.ci-job", "id": "ci-ci-job"}])
    );
    assert_eq!(
        root["output"]["role_arns"]["value"],
        "${module.nhi.role_arns}"
    );
    // the ServiceAccount names the prefixed role
    let sa = &files["kubernetes/pod.yaml"];
    assert!(
        sa.contains("arn:aws:iam::123456789012:role/nhi/ci-pod"),
        "{sa}"
    );
}

#[test]
fn aws_settings_that_cannot_be_right_are_refused_at_their_line() {
    // a prefix IAM names cannot hold, and a boundary both named and managed
    let tmp = aws_workspace_with(
        "    name_prefix: \"ci job/\"\n    permissions_boundary: arn:aws:iam::123456789012:policy/b\n    manage: [permissions_boundary]\n",
        "",
    );
    let messages = support::check_messages(tmp.path(), "SC007");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`ci job/` is not an IAM name prefix")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("names a permissions boundary and also has nhi render one")),
        "{messages:?}"
    );
    // a prefix that makes a role name longer than IAM's 64 characters
    let tmp = aws_workspace_with(&format!("    name_prefix: {}\n", "p".repeat(32)), "");
    let long = "a-worker-whose-name-runs-to-forty-chars";
    std::fs::write(
        tmp.path().join(format!("identities/{long}.yaml")),
        format!(
            "agent: {long}\nowner: t\nauth: oidc_short_lived_token\nallowed_actions: [read_logs]\n"
        ),
    )
    .unwrap();
    let too_long = support::check_messages(tmp.path(), "TG001");
    assert!(
        too_long
            .iter()
            .any(|m| m.contains("too long to name an IAM role")),
        "{too_long:?}"
    );
    assert!(support::check_messages(aws_workspace("").path(), "TG001").is_empty());
}

#[test]
fn google_and_azure_terraform_are_modules_with_roots_that_adopt_existing_identities() {
    let tmp = aws_workspace("existing: [gcp, azure]\n");
    let (_out, files) = build(tmp.path());
    let gcp = json(&files, "gcp/main.tf.json");
    assert!(gcp.get("provider").is_none(), "{gcp:#}");
    assert_eq!(gcp["variable"]["project"]["default"], "example-project");
    let role = &gcp["resource"]["google_project_iam_custom_role"]["ci-job"];
    // a new id each time the role is created: Google holds deleted ids 37 days
    assert_eq!(role["role_id"], "nhi_ci_job_${random_id.ci-job.hex}");
    assert_eq!(role["project"], "${var.project}");
    assert_eq!(gcp["resource"]["random_id"]["ci-job"]["byte_length"], 3);
    let members = &gcp["resource"]["google_service_account_iam_binding"]["ci-job"]["members"];
    assert_eq!(
        members[0],
        "principal://iam.googleapis.com/projects/${var.project_number}/locations/global/workloadIdentityPools/${var.workload_identity_pool}/subject/repo:example/app:ref:refs/heads/main"
    );
    let root = json(&files, "terraform/gcp/main.tf.json");
    assert_eq!(root["provider"]["google"]["project"], "example-project");
    assert_eq!(
        root["import"],
        serde_json::json!([{
            "to": "module.nhi.google_service_account.ci-job",
            "id": "projects/example-project/serviceAccounts/ci-job@example-project.iam.gserviceaccount.com",
        }])
    );
    let azure = json(&files, "azure/main.tf.json");
    assert!(azure.get("provider").is_none(), "{azure:#}");
    assert_eq!(
        azure["resource"]["azurerm_user_assigned_identity"]["ci-job"]["resource_group_name"],
        "${var.resource_group_name}"
    );
    // the team's tags beside each identity's own, which win
    assert_eq!(
        azure["resource"]["azurerm_user_assigned_identity"]["ci-job"]["tags"],
        "${merge(var.tags, local.tags[\"ci-job\"])}"
    );
    assert_eq!(
        azure["locals"]["tags"]["ci-job"]["nhi:owner"], "t",
        "{azure:#}"
    );
    let root = json(&files, "terraform/azure/main.tf.json");
    assert_eq!(
        root["import"],
        serde_json::json!([{
            "to": "module.nhi.azurerm_user_assigned_identity.ci-job",
            "id": "/subscriptions/7d1e4c2a-3b5f-4e6d-8a9c-0b1f2e3d4c5a/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ci-job",
        }])
    );
    assert_eq!(root["module"]["nhi"]["source"], "../../azure");
    assert!(root["provider"]["azurerm"]["features"].is_object());
    // no identity is marked existing in AWS here: nothing imported there
    assert!(
        json(&files, "terraform/aws/main.tf.json")
            .get("import")
            .is_none()
    );
}

#[test]
fn a_managed_pool_has_a_provider_per_issuer_accepting_only_the_workspace_subjects() {
    let tmp = aws_workspace("");
    let path = tmp.path().join("nhi.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "workload_identity_pool: ci-pool}",
        "workload_identity_pool: ci-pool, manage: [workload_identity_pool]}",
    );
    std::fs::write(&path, text).unwrap();
    let (_out, files) = build(tmp.path());
    let gcp = json(&files, "gcp/main.tf.json");
    assert_eq!(
        gcp["variable"]["manage_workload_identity_pool"]["default"],
        true
    );
    let pool = &gcp["resource"]["google_iam_workload_identity_pool"]["nhi"];
    assert_eq!(
        pool["workload_identity_pool_id"],
        "${var.workload_identity_pool}"
    );
    let github = &gcp["resource"]["google_iam_workload_identity_pool_provider"]["token-actions-githubusercontent"];
    assert_eq!(
        github["oidc"][0]["issuer_uri"],
        "https://token.actions.githubusercontent.com"
    );
    assert_eq!(
        github["attribute_mapping"],
        serde_json::json!({"google.subject": "assertion.sub"})
    );
    assert_eq!(
        github["attribute_condition"],
        "assertion.sub in [\"repo:example/app:ref:refs/heads/main\"]"
    );
    // the cluster's issuer, for the workloads that run as service accounts
    let cluster = &gcp["resource"]["google_iam_workload_identity_pool_provider"]["oidc-eks-eu-west-1-amazonaws-com"];
    assert_eq!(
        cluster["attribute_condition"], "assertion.sub in [\"system:serviceaccount:apps:pod\"]",
        "{gcp:#}"
    );
    // no longer something to create first
    assert!(!files["README.md"].contains("the workload identity pool `ci-pool`"));
    // and a workspace that manages a pool it does not name is told so
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("workload_identity_pool: ci-pool, ", "");
    std::fs::write(&path, text).unwrap();
    let messages = support::check_messages(tmp.path(), "SC007");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("names no pool or project number")),
        "{messages:?}"
    );
}

#[test]
fn a_managed_roles_anywhere_anchor_serves_the_certificate_bound_roles() {
    let tmp = aws_workspace_with("    manage: [roles_anywhere]\n", "");
    let path = tmp.path().join("nhi.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "    roles_anywhere_trust_anchor: arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/t1\n",
        "",
    );
    std::fs::write(&path, text).unwrap();
    let (_out, files) = build(tmp.path());
    let module = json(&files, "aws/main.tf.json");
    assert_eq!(module["variable"]["manage_roles_anywhere"]["default"], true);
    assert_eq!(
        module["variable"]["roles_anywhere_trust_anchor_arn"]["default"],
        Value::Null
    );
    let anchor = &module["resource"]["aws_rolesanywhere_trust_anchor"]["nhi"];
    assert_eq!(
        anchor["source"][0]["source_data"][0]["x509_certificate_data"],
        "${var.roles_anywhere_ca_certificate}"
    );
    assert_eq!(
        module["resource"]["aws_rolesanywhere_profile"]["nhi"]["role_arns"],
        serde_json::json!(["${aws_iam_role.mesh.arn}"])
    );
    let mesh = module["resource"]["aws_iam_role"]["mesh"]["assume_role_policy"]
        .as_str()
        .unwrap();
    assert!(
        mesh.contains("\"aws:SourceArn\":[\"${local.roles_anywhere_trust_anchor_arn}\"]"),
        "{mesh}"
    );
    // the anchor has no ARN before Terraform creates it: no native trust
    assert!(!files.contains_key("aws/mesh/trust-policy.json"));
    assert!(files.contains_key("aws/mesh/permissions-policy.json"));
    assert!(
        !files
            .values()
            .any(|f| f.contains("nhi:roles-anywhere-trust-anchor"))
    );
    // both named and managed: which one is meant?
    let both = aws_workspace_with("    manage: [roles_anywhere]\n", "");
    let messages = support::check_messages(both.path(), "SC007");
    assert!(
        messages
            .iter()
            .any(|m| m
                .contains("names an IAM Roles Anywhere trust anchor and also has nhi render one")),
        "{messages:?}"
    );
}

/// A workspace with one AWS role per identity given, all allowed to read
/// reports.
fn adopted_workspace(identities: &[(&str, &str)]) -> tempfile::TempDir {
    let mut files = vec![(
        "nhi.yaml".to_owned(),
        "teams: {t: {description: Runs it}}\ntargets:\n  aws: {account_id: \"123456789012\", name_prefix: team-}\nactions:\n  read_reports:\n    aws: {actions: [\"s3:GetObject\"], resources: [\"arn:aws:s3:::reports/*\"]}\n".to_owned(),
    )];
    for (name, extra) in identities {
        files.push((
            format!("identities/{name}.yaml"),
            format!(
                "agent: {name}\nowner: t\ntargets: [aws]\nallowed_actions: [read_reports]\n{extra}"
            ),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    workspace(&refs)
}

#[test]
fn an_attested_role_trusts_the_aws_service_or_principal_that_vouches_for_it() {
    let tmp = adopted_workspace(&[
        (
            "reports-lambda",
            "auth: {method: attested, issuer: lambda.amazonaws.com}\n",
        ),
        (
            "tools-account",
            "auth: {method: attested, issuer: \"arn:aws:iam::210987654321:role/deployer\"}\n",
        ),
    ]);
    let (_out, files) = build(tmp.path());
    let lambda = &json(&files, "aws/reports-lambda/trust-policy.json")["Statement"][0];
    assert_eq!(
        lambda["Principal"],
        serde_json::json!({"Service": "lambda.amazonaws.com"})
    );
    assert_eq!(lambda["Action"], serde_json::json!(["sts:AssumeRole"]));
    assert!(lambda.get("Condition").is_none());
    let tools = &json(&files, "aws/tools-account/trust-policy.json")["Statement"][0];
    assert_eq!(
        tools["Principal"],
        serde_json::json!({"AWS": "arn:aws:iam::210987654321:role/deployer"})
    );
    // the Terraform trusts the same
    let tf = json(&files, "aws/main.tf.json");
    let trust: Value = serde_json::from_str(
        tf["resource"]["aws_iam_role"]["reports-lambda"]["assume_role_policy"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
    // what AWS cannot hand a role to is refused at its line
    let bad = adopted_workspace(&[
        ("no-issuer", "auth: attested\n"),
        (
            "odd-issuer",
            "auth:\n  method: attested\n  issuer: https://example.com\n",
        ),
    ]);
    let errs = errors(bad.path());
    assert!(
        errs.iter()
            .any(|(c, l, m)| c == "TG006" && *l == 5 && m.contains("no-issuer")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|(c, l, m)| c == "TG006" && *l == 7 && m.contains("https://example.com")),
        "{errs:?}"
    );
}

#[test]
fn a_role_known_by_its_own_name_keeps_it_in_every_aws_file() {
    let tmp = adopted_workspace(&[
        (
            "report-reader",
            "auth: {method: attested, issuer: lambda.amazonaws.com}\nexisting: [aws]\nknown_as: {aws: /service-role/ReportReader}\n",
        ),
        (
            "fresh",
            "auth: {method: attested, issuer: ec2.amazonaws.com}\n",
        ),
    ]);
    let (_out, files) = build(tmp.path());
    let role = json(&files, "aws/report-reader/role.json");
    assert_eq!(role["RoleName"], "ReportReader");
    assert_eq!(role["Path"], "/service-role/");
    // the Terraform keeps the name and path (no prefix), and the root
    // adopts the role under it rather than creating another
    let tf = json(&files, "aws/main.tf.json");
    let r = &tf["resource"]["aws_iam_role"]["report-reader"];
    assert_eq!(r["name"], "ReportReader");
    assert_eq!(r["path"], "/service-role/");
    let root = json(&files, "terraform/aws/main.tf.json");
    assert_eq!(
        root["import"],
        serde_json::json!([{"to": "module.nhi.aws_iam_role.report-reader", "id": "ReportReader"}])
    );
    // an identity without one keeps nhi's path and the workspace's prefix
    let fresh = json(&files, "aws/fresh/role.json");
    assert_eq!(fresh["RoleName"], "team-fresh");
    assert_eq!(fresh["Path"], "/nhi/");
    assert_eq!(
        tf["resource"]["aws_iam_role"]["fresh"]["name"],
        "${var.name_prefix}fresh"
    );
    // a name IAM would refuse is an error at its line
    let bad = adopted_workspace(&[(
        "bad",
        "auth: {method: attested, issuer: lambda.amazonaws.com}\nknown_as: {aws: \"/a//b/Report Reader\"}\n",
    )]);
    let errs = errors(bad.path());
    assert!(
        errs.iter()
            .any(|(c, l, m)| c == "SC007" && *l == 6 && m.contains("not an IAM role or user name")),
        "{errs:?}"
    );
}

#[test]
fn an_attested_service_account_binds_no_one_to_act_as_it() {
    let tmp = workspace(&[
        (
            "nhi.yaml",
            "teams: {t: {description: Runs it}}\ntargets:\n  gcp: {project: example-project, project_number: \"4123\", workload_identity_pool: ci-pool}\nactions:\n  read_reports:\n    gcp: {permissions: [storage.objects.get]}\n",
        ),
        (
            "identities/report-reader.yaml",
            "agent: report-reader\nowner: t\nauth: attested\ntargets: [gcp]\nallowed_actions: [read_reports]\n",
        ),
    ]);
    assert_eq!(errors(tmp.path()), Vec::new());
    let (_out, files) = build(tmp.path());
    // the account and its role, and no principal that may act as it:
    // Google Cloud runs the workload it is attached to as it
    assert!(files.contains_key("gcp/report-reader/service-account.json"));
    assert!(files.contains_key("gcp/report-reader/role.json"));
    assert!(!files.contains_key("gcp/report-reader/service-account-policy.json"));
    let tf = json(&files, "gcp/main.tf.json");
    assert!(tf["resource"]["google_service_account"]["report-reader"].is_object());
    assert!(
        tf["resource"]["google_service_account_iam_binding"].is_null(),
        "{tf}"
    );
}

#[test]
fn an_attested_managed_identity_federates_nothing() {
    let tmp = workspace(&[
        (
            "nhi.yaml",
            "teams: {t: {description: Runs it}}\ntargets:\n  azure: {subscription_id: 7d1e4c2a-3b5f-4e6d-8a9c-0b1f2e3d4c5a, tenant_id: 2c9f8e7d-6b5a-4c3d-9e1f-0a2b3c4d5e6f, resource_group: ids, location: westeurope}\nactions:\n  read_reports:\n    azure: {data_actions: [Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read]}\n",
        ),
        (
            "identities/report-reader.yaml",
            "agent: report-reader\nowner: t\nauth: attested\ntargets: [azure]\nallowed_actions: [read_reports]\n",
        ),
    ]);
    assert_eq!(errors(tmp.path()), Vec::new());
    let (_out, files) = build(tmp.path());
    // the managed identity and its role, and no federated credential:
    // Azure runs what it is attached to as it
    let tf = json(&files, "azure/main.tf.json");
    assert!(
        tf["resource"]["azurerm_user_assigned_identity"]["report-reader"].is_object(),
        "{tf}"
    );
    assert!(
        tf["resource"]["azurerm_role_assignment"].is_object(),
        "{tf}"
    );
    assert!(
        tf["resource"]["azurerm_federated_identity_credential"].is_null(),
        "{tf}"
    );
}
