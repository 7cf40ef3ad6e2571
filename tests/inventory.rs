//! The inventory: every identity of every shipped workspace, its targets
//! held against the files each target rendered, its lifecycle read from
//! the model, and no credential in it.

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

use nhi::analyse::lifecycle;
use nhi::check;
use nhi::load::{self, LoadOptions};

use rendered::{build, checked_inventory};
use support::{TODAY, date, workspace, workspaces};

#[test]
fn every_shipped_workspace_lists_each_identity_where_it_was_rendered() {
    for ws in workspaces() {
        let (_out, files) = build(&ws);
        let inventory = checked_inventory(&files);
        let root = load::find_root(&ws).unwrap();
        let checked = check::workspace(&root, LoadOptions::default(), date(TODAY)).unwrap();
        let names: Vec<String> = checked
            .model
            .identities
            .keys()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            inventory.keys().cloned().collect::<Vec<_>>(),
            names,
            "{}",
            ws.display()
        );
        for identity in checked.model.identities.values() {
            let e = &inventory[identity.name.value.as_str()];
            let at = format!("{}: {}", ws.display(), identity.name.value);
            assert_eq!(e["owner"], identity.owner.value, "{at}");
            assert_eq!(e["state"], identity.state.value.as_str(), "{at}");
            assert_eq!(
                e["auth_method"],
                identity.auth.method.value.as_str(),
                "{at}"
            );
            assert_eq!(
                e["review_due"].as_str(),
                lifecycle::review_due(identity)
                    .map(|d| d.to_string())
                    .as_deref(),
                "{at}"
            );
            assert_eq!(e["source"], checked.db.display_path(identity.file), "{at}");
            assert!(ws.join(e["source"].as_str().unwrap()).is_file(), "{at}");
        }
        // the shipped workspaces render into every target they configure
        let targets: std::collections::BTreeSet<&str> = inventory
            .values()
            .flat_map(|e| e["targets"].as_array().unwrap())
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(targets.len() >= 4, "{}: {targets:?}", ws.display());
    }
}

#[test]
fn the_inventory_names_the_auth_method_and_nothing_of_the_credential() {
    let tmp = workspace(&[
        (
            "identities/legacy.yaml",
            "agent: legacy\nowner: t\npurpose: \"=cmd|' /C calc'!A0\"\nauth:\n  method: api_key\n  secret_ref: vault://kv/legacy-token\n  rotation: 30d\n  issuer: https://issuer.example.com\n  subject: legacy-subject\nallowed_actions: [read]\n",
        ),
        (
            "identities/a.yaml",
            "agent: a\nowner: t\nauth: oidc\nallowed_actions: [read]\nreview_cycle: 90d\nlast_reviewed: 2026-10-01\nreviewer: ada@example.com\n",
        ),
    ]);
    let (_out, files) = build(tmp.path());
    let inventory = checked_inventory(&files);
    for file in ["inventory.json", "inventory.csv"] {
        for secret in [
            "vault://",
            "legacy-token",
            "issuer.example.com",
            "legacy-subject",
            "30d",
        ] {
            assert!(!files[file].contains(secret), "{file} holds `{secret}`");
        }
    }
    assert_eq!(inventory["legacy"]["auth_method"], "api_key");
    // a spreadsheet shows the purpose as text rather than running it
    assert!(
        files["inventory.csv"].contains(",'=cmd|' /C calc'!A0,"),
        "{}",
        files["inventory.csv"]
    );
    assert_eq!(inventory["legacy"]["purpose"], "=cmd|' /C calc'!A0");
    assert_eq!(inventory["a"]["review_cycle"], "90d");
    assert_eq!(inventory["a"]["review_due"], "2026-12-30");
    assert_eq!(inventory["a"]["targets"], serde_json::json!(["cedar"]));
}

#[test]
fn an_agent_is_listed_with_what_acts_its_mcp_servers_and_its_rate_limits() {
    let (_out, files) = build(&support::repo().join("examples/ai-agent-platform"));
    let inventory = checked_inventory(&files);
    let agent = &inventory["platform-assistant"];
    assert_eq!(agent["provider"], "anthropic");
    assert_eq!(agent["model"], "claude-sonnet");
    assert_eq!(
        agent["mcp_servers"],
        serde_json::json!(["argocd", "crossplane-claims", "kubectl"])
    );
    assert_eq!(agent["requests_per_minute"], 30);
    assert_eq!(agent["concurrent_claims"], 3);
    let row = files["inventory.csv"]
        .lines()
        .find(|l| l.starts_with("platform-assistant,"))
        .unwrap();
    assert!(
        row.contains(",anthropic,claude-sonnet,argocd crossplane-claims kubectl,30,3,"),
        "{row}"
    );
}
