//! Revocation through Git, proven per target. One workspace
//! (`tests/fixtures/state`) configures every target and declares four
//! identical identities that differ only in their lifecycle: `working-bot` is active, `quarantined-bot`
//! suspended, `offboarded-bot` revoked and `lapsed-bot` expired (before
//! the tests' date). In every target the suspended one keeps its objects
//! and is explicitly denied everything (or, where the target has no deny,
//! granted nothing); the revoked and the expired one leave no object at
//! all. CODEOWNERS and the inventory keep all four: they are the record of
//! what exists.

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

#[path = "support/rendered.rs"]
mod rendered;

use std::collections::BTreeMap;
use std::path::PathBuf;

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use nhi::render::kubernetes::ClusterSpiffeId;
use rendered::{build, checked_inventory, json};
use serde_json::{Value, json};
use support::{TODAY, nhi, repo, text};

const ACTIVE: &str = "working-bot";
const SUSPENDED: &str = "quarantined-bot";
const GONE: [&str; 2] = ["offboarded-bot", "lapsed-bot"];
/// The day `lapsed-bot`'s purpose ended, before the tests' date.
const EXPIRED: &str = "2026-06-30";

/// The workspace: `tests/fixtures/state`, which the conformance
/// validators also check.
fn lifecycles() -> PathBuf {
    repo().join("tests/fixtures/state")
}

/// The files of one target's folder.
fn target(files: &BTreeMap<String, String>, dir: &str) -> BTreeMap<String, String> {
    files
        .iter()
        .filter(|(p, _)| p.starts_with(&format!("{dir}/")))
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect()
}

/// Revoked and expired identities leave nothing in a target: no file,
/// and no mention in any shared file.
fn nothing_of_the_gone(files: &BTreeMap<String, String>, dir: &str) {
    let files = target(files, dir);
    assert!(!files.is_empty(), "{dir}/ renders");
    for gone in GONE {
        for (path, contents) in &files {
            assert!(!path.contains(gone), "{path}");
            assert!(!contents.contains(gone), "{path} mentions `{gone}`");
        }
    }
}

/// One policy of the policy file, from its `@id` to its `;`.
fn policy<'a>(policies: &'a str, id: &str) -> &'a str {
    let start = policies
        .find(&format!("@id(\"{id}\")"))
        .unwrap_or_else(|| panic!("policy {id}"));
    let end = policies[start..].find(";\n").unwrap() + start + 1;
    &policies[start..end]
}

#[test]
fn the_expired_identity_expired_before_the_tests_date() {
    let file = std::fs::read_to_string(lifecycles().join("identities/lapsed-bot.yaml")).unwrap();
    assert!(file.contains(&format!("\nexpires: {EXPIRED}\n")), "{file}");
    assert!(EXPIRED < TODAY);
}

#[test]
fn cedar_forbids_everything_a_suspended_identity_does_or_is_done_for_it() {
    let (_out, files) = build(&lifecycles());
    let policies = &files["cedar/policies.cedar"];
    assert_eq!(
        policy(policies, "quarantined-bot:suspended"),
        "@id(\"quarantined-bot:suspended\")\n@source(\"identities/quarantined-bot.yaml\")\nforbid (\n  principal == Agent::\"quarantined-bot\",\n  action,\n  resource\n);"
    );
    assert_eq!(
        policy(policies, "quarantined-bot:suspended-delegation"),
        "@id(\"quarantined-bot:suspended-delegation\")\n@source(\"identities/quarantined-bot.yaml\")\nforbid (\n  principal,\n  action,\n  resource\n)\nwhen {\n  context has delegation_chain && context.delegation_chain.contains(\"quarantined-bot\")\n};"
    );
    // its objects stay: its entity (saying so) and its other policies
    let entities = json(&files, "cedar/entities.json");
    let state = |name: &str| {
        entities
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["uid"]["id"] == name && e["attrs"]["kind"].is_string())
            .map(|e| e["attrs"]["state"].clone())
    };
    assert_eq!(state(SUSPENDED), Some(json!("suspended")));
    assert_eq!(state(ACTIVE), Some(json!("active")));
    policy(policies, "quarantined-bot:allow");
    assert!(!policies.contains("working-bot:suspended"));
    nothing_of_the_gone(&files, "cedar");
}

#[test]
fn nhi_can_denies_a_suspended_identity_and_what_is_done_on_its_behalf() {
    let ws = lifecycles();
    let ask = |args: &[&str]| {
        let mut all = vec!["can"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--context", "namespace=apps"]);
        nhi(&ws, &all)
    };
    // the active twin is allowed: the context satisfies its permit
    let out = ask(&[ACTIVE, "read_logs"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    let out = ask(&[SUSPENDED, "read_logs"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("DENY quarantined-bot read_logs\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "forbidden by quarantined-bot:suspended (identities/quarantined-bot.yaml:13:8)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("note: `quarantined-bot` is suspended: every target denies it everything"),
        "{stdout}"
    );

    let out = ask(&[ACTIVE, "read_logs", "--on-behalf-of", SUSPENDED]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("forbidden by quarantined-bot:suspended-delegation"),
        "{}",
        text(&out.stdout)
    );

    let out = ask(&[SUSPENDED, "read_logs", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["decision"], "deny");
    assert_eq!(answer["policies"][0]["id"], "quarantined-bot:suspended");
    assert_eq!(answer["policies"][0]["effect"], "forbid");

    for (gone, note) in [
        (
            "offboarded-bot",
            "`offboarded-bot` is revoked: it renders to nothing".to_owned(),
        ),
        (
            "lapsed-bot",
            format!("`lapsed-bot` expired on {EXPIRED}: it renders to nothing"),
        ),
    ] {
        let out = ask(&[gone, "read_logs"]);
        assert_eq!(out.status.code(), Some(1), "{gone}");
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("no policy permits it: default deny"),
            "{stdout}"
        );
        assert!(stdout.contains(&note), "{stdout}");
    }
}

#[test]
fn aws_denies_a_suspended_role_everything_first() {
    let (_out, files) = build(&lifecycles());
    let deny_all =
        json!({"Sid": "Suspended", "Effect": "Deny", "Action": ["*"], "Resource": ["*"]});
    let policy = json(&files, "aws/quarantined-bot/permissions-policy.json");
    assert_eq!(policy["Statement"][0], deny_all);
    // its role and trust stay, tagged
    assert!(files.contains_key("aws/quarantined-bot/trust-policy.json"));
    let role = json(&files, "aws/quarantined-bot/role.json");
    assert!(
        role["Tags"]
            .as_array()
            .unwrap()
            .contains(&json!({"Key": "nhi:state", "Value": "suspended"})),
        "{role}"
    );
    // the Terraform applies the same policy
    let tf = json(&files, "aws/main.tf.json");
    let embedded: Value = serde_json::from_str(
        tf["resource"]["aws_iam_role_policy"][SUSPENDED]["policy"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(embedded, policy);
    assert!(tf["resource"]["aws_iam_role"][SUSPENDED].is_object());
    // the active twin has no such statement and no state tag
    let active = json(&files, "aws/working-bot/permissions-policy.json");
    assert!(!active["Statement"].as_array().unwrap().contains(&deny_all));
    assert!(!files["aws/working-bot/role.json"].contains("nhi:state"));
    nothing_of_the_gone(&files, "aws");
}

#[test]
fn google_cloud_disables_a_suspended_service_account_and_its_role() {
    let (_out, files) = build(&lifecycles());
    let account = json(&files, "gcp/quarantined-bot/service-account.json");
    assert_eq!(account["serviceAccount"]["disabled"], true);
    assert!(
        account["serviceAccount"]["description"]
            .as_str()
            .unwrap()
            .starts_with("suspended; "),
        "{account}"
    );
    let role = json(&files, "gcp/quarantined-bot/role.json");
    assert_eq!(role["stage"], "DISABLED");
    // its binding and federation stay in place
    for file in ["project-binding.json", "service-account-policy.json"] {
        assert!(files.contains_key(&format!("gcp/quarantined-bot/{file}")));
    }
    let tf = json(&files, "gcp/main.tf.json");
    assert_eq!(
        tf["resource"]["google_service_account"][SUSPENDED]["disabled"],
        true
    );
    assert_eq!(
        tf["resource"]["google_project_iam_custom_role"][SUSPENDED]["stage"],
        "DISABLED"
    );
    // the active twin is enabled, its role generally available
    let active = json(&files, "gcp/working-bot/service-account.json");
    assert!(active["serviceAccount"].get("disabled").is_none());
    assert_eq!(json(&files, "gcp/working-bot/role.json")["stage"], "GA");
    assert_eq!(
        tf["resource"]["google_service_account"][ACTIVE]["disabled"],
        false
    );
    assert_eq!(
        tf["resource"]["google_project_iam_custom_role"][ACTIVE]["stage"],
        "GA"
    );
    nothing_of_the_gone(&files, "gcp");
}

#[test]
fn azure_gives_a_suspended_identity_a_role_that_grants_nothing() {
    let (_out, files) = build(&lifecycles());
    let role = json(&files, "azure/quarantined-bot/role-definition.json");
    assert_eq!(role["Actions"], json!([]));
    assert_eq!(role["DataActions"], json!([]));
    assert_eq!(role["NotActions"], json!([]));
    assert_eq!(role["NotDataActions"], json!([]));
    let tf = json(&files, "azure/main.tf.json");
    assert_eq!(
        tf["resource"]["azurerm_role_definition"][SUSPENDED]["permissions"],
        json!([{"actions": [], "not_actions": [], "data_actions": [], "not_data_actions": []}])
    );
    // no token becomes it: its federated credentials are gone
    assert_eq!(
        json(&files, "azure/quarantined-bot/federated-credentials.json"),
        json!([])
    );
    let credentials = tf["resource"]["azurerm_federated_identity_credential"]
        .as_object()
        .unwrap();
    assert!(
        credentials.keys().all(|k| !k.starts_with(SUSPENDED)),
        "{credentials:?}"
    );
    assert!(credentials.keys().any(|k| k.starts_with("working-bot")));
    // the managed identity and its assignment stay, to reinstate it
    let identity = json(&files, "azure/quarantined-bot/managed-identity.json");
    assert_eq!(identity["tags"]["nhi:state"], "suspended");
    assert!(tf["resource"]["azurerm_role_assignment"][SUSPENDED].is_object());
    // the active twin is granted what it holds
    let active = json(&files, "azure/working-bot/role-definition.json");
    assert_eq!(active["Actions"], json!(["Microsoft.Insights/logs/read"]));
    assert_eq!(active["NotActions"], json!([]));
    nothing_of_the_gone(&files, "azure");
}

/// The objects of a manifest, as JSON, by kind.
fn objects(manifest: &str) -> BTreeMap<String, Vec<Value>> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(manifest).unwrap();
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for doc in docs {
        out.entry(doc["kind"].as_str().unwrap().to_owned())
            .or_default()
            .push(doc);
    }
    out
}

#[test]
fn kubernetes_grants_a_suspended_identity_nothing_and_keeps_its_objects() {
    let (_out, files) = build(&lifecycles());
    let suspended = objects(&files["kubernetes/quarantined-bot.yaml"]);
    let active = objects(&files["kubernetes/working-bot.yaml"]);
    // the same objects as its active twin
    let kinds = |o: &BTreeMap<String, Vec<Value>>| -> Vec<(String, usize)> {
        o.iter().map(|(k, v)| (k.clone(), v.len())).collect()
    };
    assert_eq!(kinds(&suspended), kinds(&active));
    assert_eq!(
        kinds(&suspended),
        [
            ("ClusterRole".to_owned(), 1),
            ("ClusterRoleBinding".to_owned(), 1),
            ("ClusterSPIFFEID".to_owned(), 1),
            ("Role".to_owned(), 1),
            ("RoleBinding".to_owned(), 1),
            ("ServiceAccount".to_owned(), 1),
        ]
    );
    // every object parses into its type and says it is suspended
    for (kind, docs) in &suspended {
        for doc in docs {
            let labels = &doc["metadata"]["labels"];
            assert_eq!(labels["nhi.dev/state"], "suspended", "{kind}");
            assert_eq!(labels["nhi.dev/identity"], SUSPENDED, "{kind}");
            let parsed = match kind.as_str() {
                "ServiceAccount" => {
                    serde_json::from_value::<ServiceAccount>(doc.clone()).map(|_| ())
                }
                "Role" => serde_json::from_value::<Role>(doc.clone()).map(|_| ()),
                "RoleBinding" => serde_json::from_value::<RoleBinding>(doc.clone()).map(|_| ()),
                "ClusterRole" => serde_json::from_value::<ClusterRole>(doc.clone()).map(|_| ()),
                "ClusterRoleBinding" => {
                    serde_json::from_value::<ClusterRoleBinding>(doc.clone()).map(|_| ())
                }
                "ClusterSPIFFEID" => {
                    serde_json::from_value::<ClusterSpiffeId>(doc.clone()).map(|_| ())
                }
                other => panic!("unexpected {other}"),
            };
            parsed.unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
    }
    // no rule grants anything, no binding binds anyone, no token is mounted
    for kind in ["Role", "ClusterRole"] {
        assert_eq!(suspended[kind][0]["rules"], json!([]), "{kind}");
        assert_ne!(active[kind][0]["rules"], json!([]), "{kind}");
    }
    for kind in ["RoleBinding", "ClusterRoleBinding"] {
        assert_eq!(suspended[kind][0]["subjects"], json!([]), "{kind}");
        assert_eq!(
            active[kind][0]["subjects"],
            json!([{"kind": "ServiceAccount", "name": ACTIVE, "namespace": "apps"}]),
            "{kind}"
        );
    }
    let sa = &suspended["ServiceAccount"][0];
    assert_eq!(sa["automountServiceAccountToken"], false);
    assert_eq!(sa["metadata"]["annotations"]["nhi.dev/state"], "suspended");
    assert_eq!(
        active["ServiceAccount"][0]["automountServiceAccountToken"],
        true
    );
    assert!(
        active["ServiceAccount"][0]["metadata"]["labels"]
            .get("nhi.dev/state")
            .is_none()
    );
    // its SPIFFE ID stays: who it is, not what it may do
    assert_eq!(
        suspended["ClusterSPIFFEID"][0]["spec"]["spiffeIDTemplate"],
        "spiffe://example.org/ns/{{ .PodMeta.Namespace }}/sa/quarantined-bot"
    );
    nothing_of_the_gone(&files, "kubernetes");
}

#[test]
fn codeowners_and_the_inventory_keep_every_identity() {
    let (_out, files) = build(&lifecycles());
    // reinstating a revoked identity needs its owner's approval as much
    // as anything else
    for name in [ACTIVE, SUSPENDED, GONE[0], GONE[1]] {
        assert!(
            files["CODEOWNERS"].contains(&format!("/identities/{name}.yaml @example/platform\n")),
            "{}",
            files["CODEOWNERS"]
        );
    }
    let inventory = checked_inventory(&files);
    let every = json!(["cedar", "aws", "gcp", "azure", "kubernetes"]);
    for (name, state, expires, renders, targets) in [
        (ACTIVE, "active", Value::Null, true, every.clone()),
        (SUSPENDED, "suspended", Value::Null, true, every.clone()),
        ("offboarded-bot", "revoked", Value::Null, false, json!([])),
        ("lapsed-bot", "active", json!(EXPIRED), false, json!([])),
    ] {
        let e = &inventory[name];
        assert_eq!(e["state"], state, "{name}");
        assert_eq!(e["expires"], expires, "{name}");
        assert_eq!(e["renders"], renders, "{name}");
        assert_eq!(e["targets"], targets, "{name}");
        assert_eq!(e["review_due"], "2027-01-01", "{name}");
    }
}
