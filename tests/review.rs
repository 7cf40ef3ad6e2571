//! `nhi review` end to end: the calendar of a shipped workspace in every
//! format, the window and `--all`, CSV quoting, secrets, and a workspace
//! with errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods,
    reason = "tests build workspaces on disk and fail loudly"
)]

#[path = "support/workspaces.rs"]
mod support;

use std::path::PathBuf;

use serde_json::Value;
use support::{TODAY, nhi, repo, text, workspace};

/// The workspace whose calendar the snapshots show: as of [`TODAY`] one
/// review is overdue, one never held, one identity expires within 30 days
/// and three reviews fall due.
fn pipelines() -> PathBuf {
    repo().join("examples/cicd-pipelines")
}

/// `nhi review --format json` with more arguments: exit code and document.
fn json(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["review", "--format", "json"];
    all.extend(args);
    let out = nhi(dir, &all);
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    (out.status.code(), doc)
}

fn names_and_statuses(doc: &Value) -> Vec<(String, String)> {
    doc["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_owned(),
                i["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_calendar_lists_what_needs_attention() {
    let out = nhi(&pipelines(), &["review"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    insta::assert_snapshot!("pipelines-table", text(&out.stdout));
}

#[test]
fn every_identity_as_csv() {
    let out = nhi(&pipelines(), &["review", "--all", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("pipelines-all-csv", text(&out.stdout));
}

#[test]
fn json_has_stable_fields_and_the_same_rows() {
    let (code, doc) = json(&pipelines(), &[]);
    assert_eq!(code, Some(0));
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["today"], TODAY);
    assert_eq!(doc["within_days"], 30);
    let first = &doc["identities"][0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let want = [
        "name",
        "owner",
        "accountable",
        "purpose",
        "last_reviewed",
        "reviewer",
        "review_cycle",
        "review_due",
        "expires",
        "state",
        "status",
        "file",
        "expired_grants",
    ];
    assert_eq!(keys, want);
    assert_eq!(
        names_and_statuses(&doc),
        [
            ("portal-sync", "suspended"),
            ("terraform-plan", "overdue"),
            ("orders-consumer", "never reviewed"),
            ("partner-portal-deployer", "expiring"),
            ("terraform-apply", "due"),
            ("image-mirror", "due"),
            ("rollout-coordinator", "due"),
        ]
        .map(|(n, s)| (n.to_owned(), s.to_owned()))
    );
    assert_eq!(first["review_due"], "2027-01-20");
    assert_eq!(first["file"], "identities/azure/portal-sync.yaml");
    assert_eq!(doc["identities"][2]["last_reviewed"], Value::Null);
}

#[test]
fn all_lists_every_identity_and_within_moves_the_horizon() {
    let (_, all) = json(&pipelines(), &["--all"]);
    let rows = names_and_statuses(&all);
    assert_eq!(rows.len(), 12);
    assert_eq!(rows.iter().filter(|(_, s)| s == "ok").count(), 5);
    assert_eq!(rows.last().unwrap().1, "ok");

    let (_, week) = json(&pipelines(), &["--within", "7d"]);
    assert_eq!(week["within_days"], 7);
    assert_eq!(
        names_and_statuses(&week),
        [
            ("portal-sync".to_owned(), "suspended".to_owned()),
            ("terraform-plan".to_owned(), "overdue".to_owned()),
            ("orders-consumer".to_owned(), "never reviewed".to_owned()),
        ]
    );

    // eight weeks reach every review but the overdue one's
    let (_, eight) = json(&pipelines(), &["--within", "8w"]);
    assert_eq!(eight["within_days"], 56);
    assert_eq!(names_and_statuses(&eight).len(), 11);

    // the global --today moves the calendar too
    let out = nhi(&pipelines(), &["--today", "2026-12-19", "review"]);
    assert!(
        text(&out.stdout).contains("expired         partner-portal-deployer"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn grants_past_their_window_are_listed_at_their_line() {
    let ws = workspace(&[
        (
            "nhi.yaml",
            "teams:\n  ops: {}\nactions:\n  read_logs: {access: read}\n  restart_service: {access: write}\n",
        ),
        (
            "identities/responder.yaml",
            "agent: responder\nowner: ops\nauth: oidc_short_lived_token\nreview_cycle: quarterly\nlast_reviewed: 2026-11-01\nallowed_actions:\n  - read_logs\n  - action: restart_service\n    valid_from: 2026-11-01T08:00:00Z\n    valid_until: 2026-11-08T08:00:00Z\n",
        ),
        (
            "identities/builder.yaml",
            "agent: builder\nowner: ops\nauth: oidc_short_lived_token\nreview_cycle: quarterly\nlast_reviewed: 2026-11-01\nallowed_actions:\n  - action: read_logs\n    valid_until: 2027-01-01\n",
        ),
    ]);
    let (code, doc) = json(ws.path(), &[]);
    assert_eq!(code, Some(0));
    // the window that ended is what needs attention; the one still open
    // does not
    assert_eq!(
        names_and_statuses(&doc),
        [(s("responder"), s("grant expired"))]
    );
    assert_eq!(
        doc["identities"][0]["expired_grants"],
        serde_json::json!([{"action": "restart_service", "ended": "2026-11-08T08:00:00Z", "line": 10}])
    );
    let out = nhi(ws.path(), &["review"]);
    let table = text(&out.stdout);
    assert!(
        table.contains(
            "identities/responder.yaml:10: `restart_service` of `responder` ended at 2026-11-08T08:00:00Z: remove the entry\n"
        ),
        "{table}"
    );
    let out = nhi(ws.path(), &["review", "--all", "--format", "csv"]);
    let csv = text(&out.stdout);
    assert!(
        csv.contains(
            ",identities/responder.yaml,\"restart_service (ended 2026-11-08T08:00:00Z, line 10)\"\n"
        ),
        "{csv}"
    );
    // the day before it ended, nothing had
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nhi"))
        .arg("-C")
        .arg(ws.path())
        .args(["--today", "2026-11-08", "review", "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["identities"], serde_json::json!([]));
}

fn s(text: &str) -> String {
    text.to_owned()
}

#[test]
fn a_bad_window_is_a_usage_error() {
    for bad in ["1 month", "30", "-5d", "0d", "soon"] {
        let out = nhi(&pipelines(), &["review", &format!("--within={bad}")]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(text(&out.stderr).contains("not a duration"), "{bad}");
        assert!(out.stdout.is_empty());
    }
}

const NHI_YAML: &str = "teams:\n  platform-team: {}\n";

#[test]
fn csv_quotes_commas_quotes_and_line_breaks() {
    let ws = workspace(&[
        ("nhi.yaml", NHI_YAML),
        (
            "identities/quoter.yaml",
            "agent: quoter\nowner: platform-team\nauth: oidc\n\
             purpose: \"Reads, then \\\"quotes\\\" the\\nrelease notes\"\n\
             review_cycle: monthly\nlast_reviewed: 2026-01-05\n",
        ),
    ]);
    let out = nhi(ws.path(), &["review", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(
        csv.contains(",\"Reads, then \"\"quotes\"\" the\nrelease notes\","),
        "{csv}"
    );
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.headers().unwrap().get(3), Some("purpose"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].get(3),
        Some("Reads, then \"quotes\" the\nrelease notes")
    );
    assert_eq!(rows[0].get(10), Some("overdue"));
}

#[test]
fn nothing_from_auth_but_its_method_is_shown() {
    let ws = workspace(&[
        ("nhi.yaml", NHI_YAML),
        (
            "identities/keyed.yaml",
            "agent: keyed\nowner: platform-team\n\
             auth:\n  method: api_key\n  rotation: 30d\n  secret_ref: vault://kv/keyed/api-key-9f3a\n  \
             issuer: https://issuer.example.com/keyed-issuer\n",
        ),
    ]);
    for format in ["table", "json", "csv"] {
        let out = nhi(ws.path(), &["review", "--all", "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.contains("keyed"), "{format}: {stdout}");
        for hidden in ["vault://", "api-key-9f3a", "keyed-issuer"] {
            assert!(!stdout.contains(hidden), "{format} shows {hidden}");
        }
    }
}

#[test]
fn a_workspace_with_errors_has_no_calendar() {
    let ws = workspace(&[
        ("nhi.yaml", NHI_YAML),
        (
            "identities/orphan.yaml",
            "agent: orphan\nowner: nobody-team\nauth: oidc\nreview_cycle: monthly\n",
        ),
    ]);
    for format in ["table", "json", "csv"] {
        let out = nhi(ws.path(), &["review", "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(out.stdout.is_empty(), "{format}: {}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("RF002"), "{stderr}");
        assert!(stderr.contains("no calendar: fix the errors above first"));
    }
}
