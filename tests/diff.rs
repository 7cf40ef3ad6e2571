//! `nhi diff` over real Git repositories built in temporary folders with
//! git2: the change list and risks of each kind of change, changes that
//! change nothing, revisions that are not there, and the PR comment.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::disallowed_methods,
    reason = "tests build repositories on disk and fail loudly"
)]

#[path = "support/workspaces.rs"]
mod support;

#[path = "support/repo.rs"]
mod repo;

use repo::{HELPER, NHI_YAML, RELEASE, Repo, kinds, owned};
use serde_json::Value;
use support::{nhi, text};

#[test]
fn an_action_gained_is_new_access_at_permission_level() {
    let r = Repo::new();
    r.write(
        "identities/helper.yaml",
        &HELPER.replace("[read_ci_status]", "[read_ci_status, publish_artifact]"),
    );
    let (code, report) = r.diff(&[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        kinds(&report),
        owned(&[
            ("high", "helper", "action-gained"),
            ("high", "helper", "new-access"),
        ])
    );
    let summary = report["changes"][1]["summary"].as_str().unwrap();
    assert!(
        summary.contains("AWS `s3:PutObject` on `arn:aws:s3:::artifacts/*`"),
        "{summary}"
    );
    assert!(summary.contains("Cedar `publish_artifact`"), "{summary}");
    // and the rendered policy shows it
    let files: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"aws/helper/permissions-policy.json"),
        "{files:?}"
    );
    assert!(files.contains(&"cedar/policies.cedar"), "{files:?}");
    // --fail-on stops a pull request at that risk
    let (code, _) = r.diff(&["--fail-on", "high"]);
    assert_eq!(code, Some(1));
}

#[test]
fn an_identity_that_starts_running_in_a_cloud_gains_its_mappings_there() {
    let r = Repo::new();
    // Google Cloud configured, the helper's action mapped there: it runs in
    // AWS only, so nothing of it renders in Google Cloud
    let with_gcp = NHI_YAML
        .replace(
            "    aws: {actions: [\"codebuild:BatchGetBuilds\"]",
            "    gcp: {permissions: [cloudbuild.builds.get]}\n    aws: {actions: [\"codebuild:BatchGetBuilds\"]",
        )
        .replace(
            "default_targets: [aws]\n",
            "  gcp: {project: example-project, project_number: \"4123\", workload_identity_pool: ci-pool}\ndefault_targets: [aws]\n",
        );
    r.write("nhi.yaml", &with_gcp);
    r.commit("Google Cloud configured");
    let (_, report) = r.diff(&[]);
    assert_eq!(kinds(&report), owned(&[]));

    r.write(
        "identities/helper.yaml",
        &format!("{HELPER}targets: [aws, gcp]\n"),
    );
    let (_, report) = r.diff(&[]);
    assert_eq!(
        kinds(&report),
        owned(&[
            ("high", "helper", "new-access"),
            ("medium", "helper", "target-added"),
        ])
    );
    let summaries: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        [
            "gains access it did not have: Google Cloud `cloudbuild.builds.get`",
            "now lands in `gcp`: it is rendered there and granted what its actions map to",
        ]
    );

    // leaving AWS: low, its role there goes
    r.write("identities/helper.yaml", &format!("{HELPER}targets: []\n"));
    let (_, report) = r.diff(&[]);
    assert_eq!(
        kinds(&report),
        owned(&[("low", "helper", "target-removed")])
    );
    assert_eq!(
        report["changes"][0]["summary"],
        "no longer lands in `aws`: its objects there are removed"
    );
}

#[test]
fn a_forbidden_action_removed_is_high_risk() {
    let r = Repo::new();
    r.write(
        "identities/release-assistant.yaml",
        &RELEASE.replace("forbidden_actions: [deploy_production]\n", ""),
    );
    let (_, report) = r.diff(&[]);
    assert_eq!(
        kinds(&report),
        owned(&[("high", "release-assistant", "forbidden-dropped")])
    );
}

#[test]
fn a_subject_that_admits_more_workflows_is_high_risk() {
    let r = Repo::new();
    r.write(
        "identities/helper.yaml",
        &HELPER.replace("refs/heads/helper", "refs/heads/*"),
    );
    let (_, report) = r.diff(&[]);
    assert_eq!(
        kinds(&report),
        owned(&[("high", "helper", "subject-widened")])
    );
    assert_eq!(
        report["changes"][0]["summary"],
        "its subject `repo:example/web:ref:refs/heads/*` admits workloads that the old one did not"
    );
    // another exact workload is a changed trust, not a wider one
    r.write(
        "identities/helper.yaml",
        &HELPER.replace("refs/heads/helper", "refs/heads/main"),
    );
    let (_, report) = r.diff(&[]);
    assert_eq!(
        kinds(&report),
        owned(&[("medium", "helper", "trust-changed")])
    );
}

#[test]
fn auth_weakened_from_oidc_to_an_api_key_is_high_risk() {
    let r = Repo::new();
    r.write(
        "identities/helper.yaml",
        "agent: helper\nowner: platform-team\nauth:\n  method: api_key\n  secret_ref: vault://kv/helper\n  rotation: 30d\nallowed_actions: [read_ci_status]\n",
    );
    let (_, report) = r.diff(&[]);
    let got = kinds(&report);
    assert!(
        got.contains(&(
            "high".to_owned(),
            "helper".to_owned(),
            "auth-weakened".to_owned()
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "medium".to_owned(),
            "helper".to_owned(),
            "trust-changed".to_owned()
        )),
        "{got:?}"
    );
    let summary = &report["changes"][0]["summary"];
    assert_eq!(summary, "authenticates with `api_key` instead of `oidc`");
}

#[test]
fn a_delegate_widened_is_high_risk_and_its_chain_is_drawn() {
    let r = Repo::new();
    r.write(
        "identities/helper.yaml",
        &HELPER.replace("[read_ci_status]", "[read_ci_status, publish_artifact]"),
    );
    r.commit("helper may publish");
    r.write(
        "identities/release-assistant.yaml",
        &RELEASE.replace(
            "      actions: [read_ci_status]",
            "      actions: [read_ci_status, publish_artifact]",
        ),
    );
    let (_, report) = r.diff(&[]);
    assert_eq!(
        kinds(&report),
        owned(&[("high", "release-assistant", "delegation-widened")])
    );
    assert_eq!(
        report["delegation"][0],
        serde_json::json!({"from": "release-assistant", "to": "helper", "actions": ["publish_artifact", "read_ci_status"], "status": "changed"})
    );
}

#[test]
fn an_identity_removed_is_offboarded() {
    let r = Repo::new();
    r.write(
        "identities/release-assistant.yaml",
        &RELEASE.replace("delegation:\n  may_delegate_to:\n    - agent: helper\n      actions: [read_ci_status]\n", ""),
    );
    r.commit("no more delegation");
    r.remove("identities/helper.yaml");
    let (_, report) = r.diff(&[]);
    assert_eq!(
        kinds(&report),
        owned(&[("low", "helper", "identity-removed")])
    );
    let files: Vec<(&str, &str)> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["path"].as_str().unwrap(), a["status"].as_str().unwrap()))
        .collect();
    assert!(
        files.contains(&("aws/helper/role.json", "removed")),
        "{files:?}"
    );
}

#[test]
fn moving_a_file_or_reformatting_it_changes_nothing() {
    let r = Repo::new();
    // moved into another folder, unchanged
    r.remove("identities/helper.yaml");
    r.write("identities/ci/helper.yaml", HELPER);
    let (_, report) = r.diff(&[]);
    assert_eq!(kinds(&report), []);
    // comments, key order and flow style only
    r.commit("moved");
    r.write(
        "identities/release-assistant.yaml",
        "agent: release-assistant   # renamed nothing\nforbidden_actions:\n  - deploy_production\nallowed_actions:\n  - publish_artifact\n  - read_ci_status\nauth: {method: oidc, issuer: \"https://token.actions.githubusercontent.com\", ttl: 60m, subject: \"repo:example/web:ref:refs/heads/main\"}\nowner: platform-team\ndelegation: {may_delegate_to: [{agent: helper, actions: [read_ci_status]}]}\n",
    );
    let (code, report) = r.diff(&[]);
    assert_eq!(code, Some(0));
    assert_eq!(kinds(&report), []);
    assert_eq!(
        report["artifacts"],
        serde_json::json!([]),
        "nothing renders differently"
    );
}

#[test]
fn revisions_compare_without_a_checkout_and_missing_ones_are_named() {
    let r = Repo::new();
    r.write(
        "identities/release-assistant.yaml",
        &RELEASE.replace("  ttl: 1h\n", "  ttl: 8h\n"),
    );
    r.commit("longer tokens");
    // the working tree is clean: HEAD~1 against HEAD, both from the object database
    let (_, report) = r.diff(&["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(
        kinds(&report),
        owned(&[("medium", "release-assistant", "ttl-raised")])
    );
    assert_eq!(report["base"]["rev"], "HEAD~1");
    assert_eq!(report["head"]["commit"].as_str().unwrap().len(), 7);
    let out = nhi(r.path(), &["diff", "--base", "origin/main"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("revision `origin/main` is not in this clone"),
        "{stderr}"
    );
    assert!(stderr.contains("git fetch origin origin/main"), "{stderr}");
    // outside a repository
    let plain = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(plain.path().join("identities")).unwrap();
    let out = nhi(plain.path(), &["diff"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is not inside a Git repository"));
}

/// CI clones one commit deep: the head is there, its parent is not, and
/// `nhi diff` says so and how to fetch it.
#[test]
fn a_shallow_clone_names_what_to_fetch() {
    let r = Repo::new();
    r.write(
        "identities/release-assistant.yaml",
        &RELEASE.replace("  ttl: 1h\n", "  ttl: 8h\n"),
    );
    r.commit("longer tokens");
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.path().display());
    let status = std::process::Command::new("git")
        .args(["clone", "--quiet", "--depth", "1", &url])
        .arg(clone.path().join("c"))
        .status()
        .expect("git runs");
    assert!(status.success());
    let shallow = clone.path().join("c");
    // the commit that is there compares with the working tree
    let out = nhi(&shallow, &["diff", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["changes"], Value::Array(Vec::new()));
    // the one that is not is named, with the fetch that brings it
    let out = nhi(&shallow, &["diff", "--base", "HEAD~1"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("revision `HEAD~1` is not in this clone (a shallow clone)"),
        "{stderr}"
    );
    assert!(stderr.contains("git fetch --deepen=50"), "{stderr}");
}

#[test]
fn the_pull_request_comment() {
    let r = Repo::new();
    r.write(
        "identities/helper.yaml",
        &HELPER.replace("[read_ci_status]", "[read_ci_status, publish_artifact]"),
    );
    r.write(
        "identities/release-assistant.yaml",
        &RELEASE
            .replace("forbidden_actions: [deploy_production]\n", "")
            .replace(
                "      actions: [read_ci_status]",
                "      actions: [read_ci_status, publish_artifact]",
            ),
    );
    let out = nhi(r.path(), &["diff", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    let comment = text(&out.stdout);
    insta::assert_snapshot!("pull-request-comment", comment);
    // posting it again changes nothing
    assert_eq!(
        text(&nhi(r.path(), &["diff", "--format", "markdown"]).stdout),
        comment
    );
}

/// Every `nhi` command line in an integration file: its subcommand and the
/// flags it passes.
fn invocations(text: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for (i, word) in words.iter().enumerate() {
            if *word != "nhi"
                || !words
                    .get(i + 1)
                    .is_some_and(|w| w.chars().all(|c| c.is_ascii_lowercase()))
            {
                continue;
            }
            let flags = words[i + 2..]
                .iter()
                .take_while(|w| !matches!(**w, ">" | "||" | "&&" | ";" | "|"))
                .map(|w| w.trim_end_matches(';'))
                .filter(|w| {
                    w.strip_prefix("--").is_some_and(|f| {
                        !f.is_empty() && f.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                    })
                })
                .map(str::to_owned)
                .collect();
            found.push((words[i + 1].to_owned(), flags));
        }
    }
    found
}

#[test]
fn the_integration_files_run_commands_nhi_has() {
    let root = support::repo();
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();

    let hooks: Value = serde_saphyr::from_str(&read(".pre-commit-hooks.yaml")).unwrap();
    let hook = &hooks[0];
    assert_eq!(hook["id"], "nhi-check");
    assert_eq!(hook["entry"], "nhi check");
    assert_eq!(hook["language"], "rust");
    assert_eq!(hook["pass_filenames"], true);

    let action: Value = serde_saphyr::from_str(&read("action.yml")).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let gitlab: Value = serde_saphyr::from_str(&read("ci/nhi.gitlab-ci.yml")).unwrap();
    assert!(gitlab["nhi-diff"]["script"].is_array());

    // the comment they update is found by the marker the markdown starts with
    let r = Repo::new();
    let comment = text(&nhi(r.path(), &["diff", "--format", "markdown"]).stdout);
    let marker = comment.lines().next().unwrap();
    assert!(marker.starts_with("<!--"), "{marker}");
    for file in ["action.yml", "ci/nhi.gitlab-ci.yml"] {
        assert!(read(file).contains(marker), "{file} looks for `{marker}`");
    }

    // and every command line they run is one nhi accepts
    let mut seen = 0;
    for file in ["action.yml", "ci/nhi.gitlab-ci.yml"] {
        for (command, flags) in invocations(&read(file)) {
            let help = text(&nhi(&root, &[&command, "--help"]).stdout);
            assert!(
                help.contains("Usage:"),
                "{file}: `nhi {command}` is not a command"
            );
            for flag in flags {
                assert!(
                    help.contains(&flag),
                    "{file}: `nhi {command}` has no `{flag}`"
                );
            }
            seen += 1;
        }
    }
    assert!(seen >= 8, "{seen} command lines found");
}

/// `CODEOWNERS` names files from the repository's root, wherever the
/// workspace sits in it, so the code host routes the approval.
#[test]
fn codeowners_paths_start_at_the_repository_root() {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::init(dir.path()).unwrap();
    let ws = dir.path().join("platform/identities-ws");
    std::fs::create_dir_all(ws.join("identities")).unwrap();
    std::fs::write(ws.join("nhi.yaml"), NHI_YAML).unwrap();
    std::fs::write(ws.join("identities/release-assistant.yaml"), RELEASE).unwrap();
    std::fs::write(ws.join("identities/helper.yaml"), HELPER).unwrap();
    let out = nhi(&ws, &["build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let owners = std::fs::read_to_string(ws.join("dist/CODEOWNERS")).unwrap();
    let rules: Vec<&str> = owners.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        rules,
        [
            "/platform/identities-ws/identities/helper.yaml @example/platform",
            "/platform/identities-ws/identities/release-assistant.yaml @example/platform",
        ]
    );
}

#[test]
fn what_a_terminal_would_hide_or_reorder_is_shown_replaced() {
    // a purpose that reads backwards past a right-to-left override, and
    // clears the screen (an escape, as YAML writes one)
    let r = Repo::new();
    r.write(
        "identities/helper.yaml",
        &format!("{HELPER}purpose: \"Publish notes \u{202e}}}lanigiro{{ \\e[2J done\"\n"),
    );
    for format in ["human", "markdown"] {
        let out = nhi(r.path(), &["diff", "--artifacts", "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let shown = text(&out.stdout);
        assert!(
            shown.contains("Publish notes \u{fffd}"),
            "{format}: {shown}"
        );
        assert!(
            !shown.contains('\u{202e}') && !shown.contains('\u{1b}'),
            "{format}: {shown:?}"
        );
    }
}

#[test]
fn mcp_tools_gained_unforbidden_or_less_narrowed_are_ranked() {
    let r = Repo::new();
    let tools = r#"{"tools": [
      {"name": "get_ticket", "inputSchema": {"type": "object", "properties": {"queue": {"type": "string"}}}},
      {"name": "update_ticket", "inputSchema": {"type": "object", "properties": {"queue": {"type": "string"}}}},
      {"name": "delete_ticket", "inputSchema": {"type": "object"}},
      {"name": "export_tickets", "inputSchema": {"type": "object"}}
    ]}"#;
    r.write(
        "nhi.yaml",
        &format!("{NHI_YAML}mcp_servers:\n  desk: {{tools: mcp/desk.json}}\n"),
    );
    r.write("mcp/desk.json", tools);
    let base = format!(
        "{HELPER}mcp:\n  desk:\n    tools:\n      - tool: get_ticket\n        where: {{queue: [billing]}}\n      - update_ticket\n      - export_tickets\n    forbidden_tools: [delete_ticket]\n"
    );
    r.write("identities/helper.yaml", &base);
    r.commit("the helper calls the desk");
    let head = format!(
        "{HELPER}mcp:\n  desk:\n    tools:\n      - tool: get_ticket\n        where: {{queue: [billing, shipping]}}\n      - update_ticket\n      - delete_ticket\n"
    );
    r.write("identities/helper.yaml", &head);
    let (code, report) = r.diff(&["--fail-on", "high"]);
    assert_eq!(code, Some(1), "a high-risk change fails the run");
    assert_eq!(
        kinds(&report),
        owned(&[
            ("high", "helper", "forbidden-tool-dropped"),
            ("high", "helper", "tool-gained"),
            ("medium", "helper", "tool-narrowing-widened"),
            ("low", "helper", "tool-lost"),
        ])
    );
    let summaries: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries.contains(&"may now call `delete_ticket` of `desk`"),
        "{summaries:?}"
    );
}

#[test]
fn a_rate_limit_raised_or_removed_is_medium_risk() {
    let r = Repo::new();
    r.write(
        "identities/helper.yaml",
        &format!("{HELPER}rate_limits: {{requests_per_minute: 30, concurrent_claims: 2}}\n"),
    );
    r.commit("the helper is limited");
    r.write(
        "identities/helper.yaml",
        &format!("{HELPER}rate_limits: {{requests_per_minute: 600}}\n"),
    );
    let (_, report) = r.diff(&[]);
    assert_eq!(
        kinds(&report),
        owned(&[
            ("medium", "helper", "rate-limit-raised"),
            ("medium", "helper", "rate-limit-raised"),
        ])
    );
    let summaries: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        [
            "requests a minute: 30 → 600",
            "resource claims at once: 2 → no limit"
        ]
    );
}

#[test]
fn an_approval_removed_is_high_risk_and_another_approver_medium() {
    let r = Repo::new();
    r.write(
        "nhi.yaml",
        &NHI_YAML.replace(
            "teams:\n  platform-team: {handle: \"@example/platform\"}\n",
            "teams:\n  platform-team: {handle: \"@example/platform\"}\n  release-managers: {}\n  sre: {}\n",
        ),
    );
    let gated = |team: &str| {
        RELEASE.replace(
            "allowed_actions: [read_ci_status, publish_artifact]\n",
            &format!("allowed_actions:\n  - read_ci_status\n  - action: publish_artifact\n    approval: {team}\n"),
        )
    };
    r.write(
        "identities/release-assistant.yaml",
        &gated("release-managers"),
    );
    r.commit("publishing needs a release manager");
    // the gate dropped
    r.write("identities/release-assistant.yaml", RELEASE);
    let (code, report) = r.diff(&["--fail-on", "high"]);
    assert_eq!(code, Some(1));
    // and Cedar now allows what it refused without the approval
    assert_eq!(
        kinds(&report),
        owned(&[
            ("high", "release-assistant", "approval-removed"),
            ("high", "release-assistant", "new-access"),
        ])
    );
    assert_eq!(
        report["changes"][0]["summary"],
        "`publish_artifact` no longer needs the approval of `release-managers`"
    );
    // another team approves
    r.write("identities/release-assistant.yaml", &gated("sre"));
    let (_, report) = r.diff(&[]);
    // an approval by the new team is access the old gate refused
    assert_eq!(
        kinds(&report),
        owned(&[
            ("high", "release-assistant", "new-access"),
            ("medium", "release-assistant", "approval-changed"),
        ])
    );
}

#[test]
fn a_time_window_removed_is_high_risk_and_one_extended_medium() {
    let r = Repo::new();
    let boxed = |window: &str| {
        RELEASE.replace(
            "allowed_actions: [read_ci_status, publish_artifact]\n",
            &format!(
                "allowed_actions:\n  - read_ci_status\n  - action: publish_artifact\n{window}"
            ),
        )
    };
    let december = "    valid_from: 2026-12-01T00:00:00Z\n    valid_until: 2026-12-15T00:00:00Z\n";
    r.write("identities/release-assistant.yaml", &boxed(december));
    r.commit("publishing for the December release train only");
    // standing again
    r.write("identities/release-assistant.yaml", RELEASE);
    let (code, report) = r.diff(&["--fail-on", "high"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        kinds(&report),
        owned(&[
            ("high", "release-assistant", "new-access"),
            ("high", "release-assistant", "window-removed"),
        ])
    );
    assert_eq!(
        report["changes"][1]["summary"],
        "`publish_artifact` holds at any time now, not only from 2026-12-01T00:00:00Z until 2026-12-15T00:00:00Z"
    );
    // a week longer
    r.write(
        "identities/release-assistant.yaml",
        &boxed(&december.replace("12-15", "12-22")),
    );
    let (_, report) = r.diff(&[]);
    assert_eq!(
        kinds(&report),
        owned(&[
            ("high", "release-assistant", "new-access"),
            ("medium", "release-assistant", "window-widened"),
        ])
    );
    // a week shorter grants nothing new
    r.write(
        "identities/release-assistant.yaml",
        &boxed(&december.replace("12-15", "12-08")),
    );
    let (code, report) = r.diff(&["--fail-on", "medium"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        kinds(&report),
        owned(&[("low", "release-assistant", "window-narrowed")])
    );
}
