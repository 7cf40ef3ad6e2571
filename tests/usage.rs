//! `nhi review --usage` beyond AWS: what Google Cloud's Activity Analyzer
//! and a cluster's audit log show unused, at the line to remove; nothing
//! claimed where the exports cannot tell; malformed exports as errors at
//! their line. The workspace is `tests/fixtures/usage/platform` (a GKE
//! platform whose workloads run as ServiceAccounts and act as Google
//! service accounts), the exports are under `tests/fixtures/usage/gcp`
//! and `…/kubernetes`, and every run is as of 2026-11-22: the default
//! window of 90 days starts on 2026-08-24.

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

use serde_json::Value;
use support::{nhi, repo, text};

/// An Activity Analyzer export of another project, from the workspace.
const OTHER_PROJECT: &str = "../gcp/other-project.json";

fn platform() -> PathBuf {
    repo().join("tests/fixtures/usage/platform")
}

fn export(path: &str) -> String {
    repo()
        .join("tests/fixtures/usage")
        .join(path)
        .display()
        .to_string()
}

/// `nhi review --format json --usage FILES… EXTRA…` in `ws`: the report.
fn report(ws: &Path, files: &[String], extra: &[&str]) -> Value {
    let mut args = vec!["review", "--format", "json", "--usage"];
    args.extend(files.iter().map(String::as_str));
    args.extend(extra);
    let out = nhi(ws, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// One finding: identity, finding, action (`-` for none), file, line,
/// column, last used (`never`).
type Row = (String, String, String, String, u64, u64, String);

fn found(report: &Value) -> Vec<Row> {
    report["unused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["identity"].as_str().unwrap().to_owned(),
                u["finding"].as_str().unwrap().to_owned(),
                u["action"].as_str().unwrap_or("-").to_owned(),
                u["file"].as_str().unwrap().to_owned(),
                u["line"].as_u64().unwrap(),
                u["column"].as_u64().unwrap(),
                u["last_used"].as_str().unwrap_or("never").to_owned(),
            )
        })
        .collect()
}

fn row(identity: &str, finding: &str, action: &str, at: (u64, u64), last: &str) -> Row {
    (
        identity.to_owned(),
        finding.to_owned(),
        action.to_owned(),
        format!("identities/{identity}.yaml"),
        at.0,
        at.1,
        last.to_owned(),
    )
}

fn notes(report: &Value) -> Vec<String> {
    report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// A copy of a fixture export in `dir`, with `edit` applied to its text.
fn edited(dir: &Path, path: &str, edit: impl Fn(String) -> String) -> String {
    let original = std::fs::read_to_string(export(path)).unwrap();
    let name = Path::new(path).file_name().unwrap();
    let copy = dir.join(name);
    std::fs::write(&copy, edit(original)).unwrap();
    copy.display().to_string()
}

#[test]
fn activity_analyzer_names_each_idle_service_account_at_its_name() {
    let report = report(
        &platform(),
        &[export("gcp/service-accounts.json"), export("gcp/keys.json")],
        &[],
    );
    assert_eq!(report["since"], "2026-08-24");
    // report-builder authenticated on 2026-11-20 and is not reported;
    // legacy-exporter last did in May; nightly-sync is not listed while
    // Google observed the project from 2026-05-01 to 2026-11-21. Google
    // says nothing per permission: no action is ever reported from it.
    assert_eq!(
        found(&report),
        [
            row(
                "legacy-exporter",
                "unused-identity",
                "-",
                (2, 8),
                "2026-05-02"
            ),
            row("nightly-sync", "unused-identity", "-", (2, 8), "never"),
        ]
    );
    assert_eq!(
        strings(&report["covered"]),
        ["legacy-exporter", "nightly-sync", "report-builder"]
    );
    assert_eq!(notes(&report), Vec::<String>::new());
    let details: Vec<&str> = report["unused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        details,
        [
            "Activity Analyzer records `legacy-exporter@example-platform.iam.gserviceaccount.com` last authenticating on 2026-05-02, observed to 2026-11-21",
            "Activity Analyzer records no authentication of `nightly-sync@example-platform.iam.gserviceaccount.com` from 2026-05-01 to 2026-11-21",
        ]
    );
    // a longer window reaches back to May: legacy-exporter counts as used,
    // and Google did not observe a year, so an unlisted account is not
    // claimed unused either
    let year = self::report(
        &platform(),
        &[export("gcp/service-accounts.json")],
        &["--unused-for", "365d"],
    );
    assert_eq!(found(&year), Vec::<Row>::new());
    assert_eq!(
        notes(&year),
        [
            "Google Cloud: Activity Analyzer observed `example-platform` only from 2026-05-01, after the window starts (2025-11-22): service accounts it does not list are not claimed unused"
        ]
    );
}

#[test]
fn google_exports_that_cannot_tell_claim_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // keys say when a key was used, not that the account was not
    let keys = report(&platform(), &[export("gcp/keys.json")], &[]);
    assert_eq!(found(&keys), Vec::<Row>::new());
    assert_eq!(
        notes(&keys),
        [
            "Google Cloud: no `serviceAccountLastAuthentication` export of `example-platform` observed up to 2026-11-20 or later: no service account is claimed unused"
        ]
    );
    // an export from October says nothing of November
    let stale = edited(tmp.path(), "gcp/service-accounts.json", |t| {
        t.replace("2026-11-21T08:00:00Z", "2026-10-01T07:00:00Z")
    });
    let old = report(&platform(), &[stale], &[]);
    assert_eq!(found(&old), Vec::<Row>::new());
    assert_eq!(strings(&old["covered"]), ["report-builder"]);
    // gcloud prints `[]` when it recorded nothing: no period, no claim
    let empty = tmp.path().join("none.json");
    std::fs::write(&empty, "[]\n").unwrap();
    let none = report(&platform(), &[empty.display().to_string()], &[]);
    assert_eq!(found(&none), Vec::<Row>::new());
    assert!(
        notes(&none)[0].ends_with(
            "none.json: Activity Analyzer lists no activity, and so no period it observed: nothing is claimed from it"
        ),
        "{:?}",
        notes(&none)
    );
    // another project's export names no identity of the workspace (a
    // path is resolved, and shown, from the workspace)
    let other = report(&platform(), &[OTHER_PROJECT.to_owned()], &[]);
    assert_eq!(found(&other), Vec::<Row>::new());
    assert_eq!(strings(&other["unmatched"]), [OTHER_PROJECT]);
}

#[test]
fn audit_logs_name_each_unused_action_at_its_line() {
    let report = report(&platform(), &[export("kubernetes/audit.log")], &[]);
    assert_eq!(
        found(&report),
        [
            // it watched its configuration in September (used), but last
            // patched its Deployment in August; its forbidden patch in
            // `default`, outside the namespace its Role is bound in, is
            // no use of the grant
            row(
                "cache-warmer",
                "unused-action",
                "restart_workers",
                (11, 5),
                "2026-08-22"
            ),
            // nothing since reading its pod's logs in August
            row(
                "legacy-exporter",
                "unused-identity",
                "-",
                (2, 8),
                "2026-08-21"
            ),
            row(
                "legacy-exporter",
                "unused-action",
                "read_pod_logs",
                (11, 5),
                "2026-08-21"
            ),
            // never a request: it only calls Google Cloud
            row("nightly-sync", "unused-identity", "-", (2, 8), "never"),
        ]
    );
    // report-builder read its ConfigMap on 2026-11-20: nothing to say;
    // publish_reports has no Kubernetes rule, so the logs say nothing of it
    assert!(
        !found(&report)
            .iter()
            .any(|r| r.0 == "report-builder" || r.2 == "read_config" || r.2 == "publish_reports"),
        "{report}"
    );
    assert_eq!(
        strings(&report["covered"]),
        [
            "cache-warmer",
            "legacy-exporter",
            "nightly-sync",
            "report-builder"
        ]
    );
    assert_eq!(notes(&report), Vec::<String>::new());
    // the table says it at the line, for people
    let out = nhi(
        &platform(),
        &["review", "--usage", &export("kubernetes/audit.log")],
    );
    assert!(
        text(&out.stdout).contains(
            "identities/cache-warmer.yaml:11:5: unused-action cache-warmer (NHI5) `restart_workers` — no request of `system:serviceaccount:apps:cache-warmer` in the window matched its RBAC rules; last used 2026-08-22\n"
        ),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn logs_that_do_not_cover_the_window_claim_nothing() {
    // a week of logs cannot say what was not used in 90 days
    let week = report(&platform(), &[export("kubernetes/last-week.log")], &[]);
    assert_eq!(found(&week), Vec::<Row>::new());
    assert_eq!(week["covered"], serde_json::json!([]));
    let note = "Kubernetes: the audit logs cover 7 days (2026-11-15 to 2026-11-21), not the whole window of 90 days (2026-08-24 to 2026-11-22): nothing is claimed for Kubernetes";
    assert_eq!(notes(&week), [note]);
    let out = nhi(
        &platform(),
        &["review", "--usage", &export("kubernetes/last-week.log")],
    );
    assert_eq!(
        text(&out.stdout),
        format!("0 unused since 2026-08-24, over 0 identities the reports cover\nnote: {note}\n")
    );
    // the full log starts on 2026-08-20: enough for 90 days, not for 120
    let longer = report(
        &platform(),
        &[export("kubernetes/audit.log")],
        &["--unused-for", "120d"],
    );
    assert_eq!(found(&longer), Vec::<Row>::new());
    assert!(
        notes(&longer)[0]
            .starts_with("Kubernetes: the audit logs cover 94 days (2026-08-20 to 2026-11-21)"),
        "{:?}",
        notes(&longer)
    );
    // logs that stop a week ago say nothing of this week
    let tmp = tempfile::tempdir().unwrap();
    let stopped = edited(tmp.path(), "kubernetes/audit.log", |t| {
        t.lines()
            .filter(|l| !l.contains("2026-11-2"))
            .map(|l| format!("{l}\n"))
            .collect()
    });
    assert_eq!(
        found(&report(&platform(), &[stopped], &[])),
        Vec::<Row>::new()
    );
}

#[test]
fn a_malformed_audit_line_is_an_error_at_its_line() {
    let log = export("kubernetes/truncated.log");
    let out = nhi(&platform(), &["review", "--usage", &log]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    // the third line stops mid-string, at its 140th column
    assert!(stderr.contains(&format!("{log}:3:140]")), "{stderr}");
    assert!(
        stderr.contains("this line is not JSON: EOF while parsing a string"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    // a JSON line that is no audit event is one too
    let tmp = tempfile::tempdir().unwrap();
    let mixed = edited(tmp.path(), "kubernetes/audit.log", |t| {
        format!("{t}{{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}}\n")
    });
    let out = nhi(&platform(), &["review", "--usage", &mixed]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!("{mixed}:10:1]")),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("not a Kubernetes audit event"));
}

#[test]
fn clouds_mix_in_one_run() {
    let files = [
        export("gcp/service-accounts.json"),
        export("gcp/keys.json"),
        OTHER_PROJECT.to_owned(),
        export("kubernetes/audit.log"),
    ];
    let both = report(&platform(), &files, &[]);
    // one finding per place, with what each cloud says
    assert_eq!(
        found(&both),
        [
            row(
                "cache-warmer",
                "unused-action",
                "restart_workers",
                (11, 5),
                "2026-08-22"
            ),
            row(
                "legacy-exporter",
                "unused-identity",
                "-",
                (2, 8),
                "2026-08-21"
            ),
            row(
                "legacy-exporter",
                "unused-action",
                "read_pod_logs",
                (11, 5),
                "2026-08-21"
            ),
            row("nightly-sync", "unused-identity", "-", (2, 8), "never"),
        ]
    );
    let legacy = &both["unused"][1]["detail"];
    assert!(
        legacy
            .as_str()
            .unwrap()
            .starts_with("Activity Analyzer records")
            && legacy
                .as_str()
                .unwrap()
                .contains("; the audit logs record no request"),
        "{legacy}"
    );
    assert_eq!(strings(&both["unmatched"]), [OTHER_PROJECT]);
    // what one cloud shows used, another's silence does not make unused:
    // nightly-sync now reads its ConfigMap on the cluster
    let tmp = tempfile::tempdir().unwrap();
    let busy = edited(tmp.path(), "kubernetes/audit.log", |t| {
        let line = t
            .lines()
            .nth(7)
            .unwrap()
            .replace("report-builder", "nightly-sync");
        format!("{t}{line}\n")
    });
    let mixed = report(
        &platform(),
        &[export("gcp/service-accounts.json"), busy],
        &[],
    );
    assert!(
        !found(&mixed).iter().any(|r| r.0 == "nightly-sync"),
        "{mixed}"
    );
    assert_eq!(
        notes(&mixed),
        [
            "identities/nightly-sync.yaml:2: `nightly-sync` is not claimed unused: Activity Analyzer records no authentication of `nightly-sync@example-platform.iam.gserviceaccount.com` from 2026-05-01 to 2026-11-21, but another export shows it used since 2026-08-24"
        ]
    );
}

#[test]
fn a_file_of_no_known_kind_says_which_exports_are_read() {
    // relative, so that the message is as long wherever the repository is
    let out = nhi(&platform(), &["review", "--usage", "nhi.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr).replace('\n', " ");
    for part in [
        "is not a usage export nhi reads",
        "get-service-last-accessed-details",
        "policy-intelligence query-activity",
        "audit.k8s.io/v1",
    ] {
        assert!(stderr.contains(part), "{part}: {stderr}");
    }
}

#[test]
fn each_cloud_needs_its_target() {
    // the seed workspace configures no cloud at all
    let seed = support::seed();
    let cases = [
        (export("gcp/service-accounts.json"), "`targets.gcp`"),
        (export("kubernetes/audit.log"), "`targets.kubernetes`"),
        (export("aws/web-deployer.json"), "`targets.aws`"),
    ];
    for (file, setting) in cases {
        let out = nhi(seed.path(), &["review", "--usage", &file]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(setting), "{}", text(&out.stderr));
    }
    // a Google Cloud export alone needs no AWS target
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    for entry in ["nhi.yaml", "catalogue.yaml"] {
        std::fs::copy(platform().join(entry), ws.join(entry)).unwrap();
    }
    std::fs::create_dir(ws.join("identities")).unwrap();
    std::fs::copy(
        platform().join("identities/nightly-sync.yaml"),
        ws.join("identities/nightly-sync.yaml"),
    )
    .unwrap();
    let alone = report(ws, &[export("gcp/service-accounts.json")], &[]);
    assert_eq!(
        found(&alone),
        [row("nightly-sync", "unused-identity", "-", (2, 8), "never")]
    );
}

#[test]
fn a_credential_in_an_audit_log_is_reported_never_printed() {
    // a log written at `RequestResponse` level carries request bodies: here
    // the Secret a pipeline stored its GitHub token in
    let token = format!("ghp_{}", "x7Kq2Lm9Pz4Rt8Vw1Yb6Nc3Hd5Jf0Gs8Ea2Uo");
    let tmp = tempfile::tempdir().unwrap();
    let log = edited(tmp.path(), "kubernetes/audit.log", |t| {
        let line = t
            .lines()
            .nth(7)
            .unwrap()
            .replace("\"level\":\"Metadata\"", "\"level\":\"RequestResponse\"")
            .replace(
                "\"requestReceivedTimestamp\"",
                &format!(
                    "\"requestObject\":{{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"stringData\":{{\"token\":\"{token}\"}}}},\"requestReceivedTimestamp\""
                ),
            );
        format!("{t}{line}\n")
    });
    for format in ["table", "json"] {
        let out = nhi(
            &platform(),
            &["review", "--format", format, "--usage", &log],
        );
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("GitHub token"), "{stderr}");
        assert!(!stderr.contains(&token) && !text(&out.stdout).contains(&token));
    }
}
