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
    let out = tempfile::tempdir().unwrap();
    let run = nhi(dir, &["build", "--out", out.path().to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let mut files = BTreeMap::new();
    let mut stack = vec![out.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(out.path()).unwrap().display().to_string();
                files.insert(rel, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    (out, files)
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
fn the_release_assistant_renders_to_an_aws_role() {
    let (_out, files) = build(&repo());
    for file in ["role.json", "trust-policy.json", "permissions-policy.json"] {
        insta::assert_snapshot!(
            format!("release-assistant-aws-{file}"),
            files[&format!("aws/release-assistant/{file}")]
        );
    }
}

#[test]
fn every_rendered_json_file_parses_and_every_cloud_renders() {
    for ws in workspaces() {
        let (_out, files) = build(&ws);
        assert!(
            files.contains_key("aws/main.tf.json"),
            "{}: no AWS",
            ws.display()
        );
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

/// A workspace with one identity of each kind of AWS credential.
fn aws_workspace(extra: &str) -> tempfile::TempDir {
    workspace(&[
        (
            "nhi.yaml",
            "trust_domain: example.org\ntargets:\n  aws:\n    account_id: \"123456789012\"\n    oidc_providers: [https://token.actions.githubusercontent.com, https://oidc.eks.eu-west-1.amazonaws.com/id/ABC]\n    roles_anywhere_trust_anchor: arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/t1\n  kubernetes:\n    namespaces: [apps]\nactions:\n  read_logs:\n    aws: {actions: [\"logs:GetLogEvents\"], resources: [\"arn:aws:logs:*:123456789012:log-group:app:*\"]}\n  read_home:\n    aws:\n      actions: [\"s3:GetObject\"]\n      resources: [\"arn:aws:s3:::home/${aws:username}/*\"]\n  write_logs:\n    aws: {actions: [\"logs:PutLogEvents\"], resources: [\"arn:aws:logs:*:123456789012:log-group:app:*\"]}\n",
        ),
        (
            "identities/ci.yaml",
            &format!(
                "agent: ci\nowner: t\npurpose: \"Costs ${{var.x}} %{{if}} nothing, & more\"\nauth:\n  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/app:ref:refs/heads/main\n  ttl: 15m\nallowed_actions:\n  - read_home\n  - action: read_logs\n    where: {{team: [payments]}}\nforbidden_actions: [write_logs]\ncontext:\n  regions: [eu-west-1]\n{extra}"
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
            "agent: legacy\nowner: t\nauth: {method: api_key, secret_ref: \"vault://kv/legacy\"}\nallowed_actions: [read_logs]\n",
        ),
    ])
}

#[test]
fn trust_follows_the_credential() {
    let tmp = aws_workspace("");
    let (_out, files) = build(tmp.path());
    // a pipeline: its issuer, audience and subject, nothing broader
    let ci = json(&files, "aws/ci/trust-policy.json");
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
    assert_eq!(json(&files, "aws/ci/role.json")["MaxSessionDuration"], 3600);
}

#[test]
fn permissions_allow_narrowly_and_deny_explicitly() {
    let tmp = aws_workspace("");
    let (_out, files) = build(tmp.path());
    let policy = json(&files, "aws/ci/permissions-policy.json");
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
    let role = &doc["resource"]["aws_iam_role"]["ci"];
    assert_eq!(
        role["description"],
        "Costs $${var.x} %%{if} nothing, & more"
    );
    let policy = doc["resource"]["aws_iam_role_policy"]["ci"]["policy"]
        .as_str()
        .unwrap();
    assert!(policy.contains("home/$${aws:username}/*"), "{policy}");
    // the only interpolations are nhi's own references
    for (i, _) in tf.match_indices("${") {
        let before = &tf[..i];
        assert!(
            before.ends_with('$') || tf[i..].starts_with("${aws_iam_"),
            "unescaped interpolation at {i}: {}",
            &tf[i..(i + 40).min(tf.len())]
        );
    }
    // the native policy keeps the variable as IAM reads it
    let native = &files["aws/ci/permissions-policy.json"];
    assert!(native.contains("home/${aws:username}/*"));
}

#[test]
fn suspended_identities_keep_their_role_and_are_denied_everything() {
    let tmp = aws_workspace("state: suspended\n");
    let (_out, files) = build(tmp.path());
    let policy = json(&files, "aws/ci/permissions-policy.json");
    let first = &policy["Statement"][0];
    assert_eq!(first["Sid"], "Suspended");
    assert_eq!(first["Effect"], "Deny");
    assert_eq!(first["Action"], serde_json::json!(["*"]));
    assert_eq!(first["Resource"], serde_json::json!(["*"]));
    assert!(files.contains_key("aws/ci/trust-policy.json"));

    for gone in ["state: revoked\n", "expires: 2026-01-01\n"] {
        let tmp = aws_workspace(gone);
        let (_out, files) = build(tmp.path());
        assert!(!files.keys().any(|f| f.starts_with("aws/ci/")), "{gone}");
        let tf = json(&files, "aws/main.tf.json");
        assert!(tf["resource"]["aws_iam_role"]["ci"].is_null(), "{gone}");
    }
}
