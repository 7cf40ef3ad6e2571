//! Hostile and careless input, as an attacker or a hurried user would
//! write it: every command answers with diagnostics, never a crash.

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
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{nhi, text, workspace};

const CATALOGUE: &str = "actions:\n  read_logs:\n    description: Read logs\n    access: read\n";

/// A decision test about identity `a`.
const ABOUT_A: &str = "tests:\n  - {principal: a, action: read_logs, expect: allow}\n";

#[test]
fn a_diagnostic_far_along_a_line_is_shown_around_its_column() {
    // an unknown action after 70 000 characters of one flow sequence
    let identity = format!(
        "agent: a\nowner: t\nauth: {{method: oidc, ttl: 1h}}\nallowed_actions: [read_logs,{}nope_action]\n",
        " ".repeat(70_000)
    );
    // (a decision test about `a`, so that `nhi test` reads its file)
    let tmp = workspace(&[
        ("nhi.yaml", CATALOGUE),
        ("identities/a.yaml", &identity),
        ("decisions/a.yaml", ABOUT_A),
    ]);
    for command in [&["check"][..], &["build", "--check"], &["test"]] {
        let out = nhi(tmp.path(), command);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command:?}: {stderr}");
        assert!(
            stderr.contains("action `nope_action` is not in the action catalogue"),
            "{command:?}: {stderr}"
        );
        // the file's own line and column, and a line cut to a screen
        assert!(stderr.contains("identities/a.yaml:4:70029]"), "{stderr}");
        assert!(
            stderr.lines().all(|l| l.chars().count() < 400),
            "{command:?}: a line of {} characters",
            stderr.lines().map(|l| l.chars().count()).max().unwrap_or(0)
        );
    }
}

// ---------------------------------------------------------------------------
// Crash safety

/// A workspace of `n` workloads in the cluster and AWS; `version` changes
/// every identity's purpose (so every rendered file) and which of them
/// exist (so files are created and removed).
fn estate(dir: &Path, n: usize, version: usize) {
    let settings = "targets:\n  aws:\n    account_id: \"123456789012\"\n    oidc_providers: [https://oidc.eks.eu-west-1.amazonaws.com/id/ABC]\n  kubernetes:\n    platform: eks\n    namespaces: [apps]\n    oidc_issuer: https://oidc.eks.eu-west-1.amazonaws.com/id/ABC\nactions:\n  read_logs:\n    aws: {actions: [\"logs:GetLogEvents\"], resources: [\"arn:aws:logs:*:123456789012:log-group:app:*\"]}\n    kubernetes:\n      rules: [{api_groups: [\"\"], resources: [configmaps], verbs: [get]}]\n";
    std::fs::write(dir.join("nhi.yaml"), settings).unwrap();
    let identities = dir.join("identities");
    let _ = std::fs::remove_dir_all(&identities);
    std::fs::create_dir_all(&identities).unwrap();
    for i in (version % 2..n + version % 2).filter(|i| i % 7 != version % 7) {
        std::fs::write(
            identities.join(format!("w{i}.yaml")),
            format!(
                "agent: w{i}\nkind: workload\nowner: t\npurpose: Reads the logs of app {i}, version {version}\nauth:\n  method: oidc\n  issuer: https://oidc.eks.eu-west-1.amazonaws.com/id/ABC\n  subject: system:serviceaccount:apps:w{i}\n  audience: sts.amazonaws.com\n  ttl: 1h\nallowed_actions: [read_logs]\ntargets: [aws, kubernetes]\n"
            ),
        )
        .unwrap();
    }
}

/// Every file under `dir`, by path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    support::files_under(dir)
}

/// What killed builds leave beside the output folder or in it.
fn leftovers(root: &Path) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".dist."))
        .collect();
    found.extend(
        tree(&root.join("dist"))
            .into_keys()
            .filter(|p| p.contains(".tmp-") || p.contains(".nhi-next") || p.contains(".nhi-prev")),
    );
    found
}

#[test]
#[cfg(unix)]
fn a_build_killed_at_any_moment_leaves_the_old_output_or_the_new() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // what nhi did not write stays, whatever happens
    std::fs::create_dir_all(root.join("dist/aws/.terraform")).unwrap();
    std::fs::write(root.join("dist/aws/.terraform/lock"), "mine").unwrap();
    let n = 600;
    let mut states = Vec::new();
    let mut took = Duration::ZERO;
    for version in 0..2 {
        estate(root, n, version);
        let started = Instant::now();
        let out = nhi(root, &["build"]);
        took = took.max(started.elapsed());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        states.push(tree(&root.join("dist")));
    }
    assert_ne!(states[0], states[1]);
    assert!(states[1].len() > 1000, "{} files", states[1].len());
    let kills = 24;
    // from the start of a build to well past its end
    let moment = |k: u32| took.mul_f64(2.0 * f64::from(k) / f64::from(kills));
    let (mut old, mut new) = (0, 0);
    for k in 0..kills {
        // rebuild the other version, and kill the build part of the way in
        let on_disk = states
            .iter()
            .position(|s| *s == tree(&root.join("dist")))
            .expect("the output is one complete state");
        estate(root, n, 1 - on_disk);
        let mut child = Command::new(env!("CARGO_BIN_EXE_nhi"))
            .args(["build"])
            .current_dir(root)
            .env("NHI_TODAY", support::TODAY)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(moment(k));
        let _ = child.kill();
        child.wait().unwrap();
        let now = tree(&root.join("dist"));
        match states.iter().position(|s| *s == now) {
            Some(s) if s == on_disk => old += 1,
            Some(_) => new += 1,
            None => panic!(
                "kill {k} after {:?}: the output is neither the old state nor the new one ({} files)",
                moment(k),
                now.len()
            ),
        }
    }
    // the next build removes what the killed ones left
    let out = nhi(root, &["build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(leftovers(root), Vec::<String>::new());
    assert_eq!(
        std::fs::read_to_string(root.join("dist/aws/.terraform/lock")).unwrap(),
        "mine"
    );
    eprintln!("{kills} kills over builds of {took:?}: the old output {old} times, the new {new}");
}

#[test]
#[cfg(unix)]
fn the_output_folder_never_holds_the_workspace_nor_leads_out_of_it() {
    let seed = "agent: a\nowner: t\nauth: {method: oidc, ttl: 1h}\nallowed_actions: [read_logs]\nreview_cycle: quarterly\n";
    let elsewhere = tempfile::tempdir().unwrap();
    for (output, link) in [
        (".", None),
        ("dist", Some("dist")),
        ("build/dist", Some("build")),
    ] {
        let tmp = workspace(&[
            ("nhi.yaml", &format!("output: {output}\n{CATALOGUE}")),
            ("identities/a.yaml", seed),
        ]);
        if let Some(link) = link {
            std::os::unix::fs::symlink(elsewhere.path(), tmp.path().join(link)).unwrap();
        }
        let out = nhi(tmp.path(), &["build"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{output}: {stderr}");
        // (the message wraps at the terminal's width)
        let why = if link.is_some() {
            "it resolves to"
        } else {
            "it holds the workspace"
        };
        assert!(stderr.contains(why), "{output}: {stderr}");
        assert!(
            std::fs::read_dir(elsewhere.path())
                .unwrap()
                .next()
                .is_none(),
            "{output}: written through the link"
        );
    }
    // elsewhere, when said on the command line
    let tmp = workspace(&[("nhi.yaml", CATALOGUE), ("identities/a.yaml", seed)]);
    let target = elsewhere.path().join("out");
    let out = nhi(tmp.path(), &["build", "--out", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(target.join("cedar").is_dir());
}

// ---------------------------------------------------------------------------
// Files the loader refuses

const SEED: &str =
    "agent: a\nowner: t\nauth: {method: oidc, ttl: 1h}\nallowed_actions: [read_logs]\n";

/// `nhi check --format json` on the workspace: its exit code and each
/// diagnostic as `CODE FILE: MESSAGE`.
fn check(dir: &Path) -> (Option<i32>, Vec<String>) {
    let (code, diagnostics) = support::check_json(dir);
    let found = diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {}: {}",
                d["code"].as_str().unwrap(),
                d["file"].as_str().unwrap_or(""),
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    (code, found)
}

#[test]
#[cfg(unix)]
fn links_out_of_the_workspace_are_refused_at_any_depth() {
    use std::os::unix::fs::symlink;
    let elsewhere = workspace(&[("x.yaml", SEED), ("deep/b.yaml", SEED)]);
    // the identity folder itself, linked out
    let tmp = workspace(&[("nhi.yaml", CATALOGUE)]);
    symlink(elsewhere.path(), tmp.path().join("identities")).unwrap();
    let (code, found) = check(tmp.path());
    assert_eq!(code, Some(1), "{found:?}");
    assert!(
        found.contains(&"LD009 identities: symbolic link points outside the workspace".to_owned()),
        "{found:?}"
    );
    // and a build removes nothing it rendered before
    let tmp = workspace(&[("nhi.yaml", CATALOGUE), ("identities/a.yaml", SEED)]);
    assert_eq!(nhi(tmp.path(), &["build"]).status.code(), Some(0));
    std::fs::rename(tmp.path().join("identities"), tmp.path().join("kept")).unwrap();
    symlink(elsewhere.path(), tmp.path().join("identities")).unwrap();
    let out = nhi(tmp.path(), &["build"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(tmp.path().join("dist/cedar").is_dir());
    // a folder inside it, linked out
    let tmp = workspace(&[("nhi.yaml", CATALOGUE), ("identities/a.yaml", SEED)]);
    symlink(
        elsewhere.path().join("deep"),
        tmp.path().join("identities/team"),
    )
    .unwrap();
    let (code, found) = check(tmp.path());
    assert_eq!(code, Some(1));
    assert!(
        found.contains(
            &"LD009 identities/team: symbolic link points outside the workspace".to_owned()
        ),
        "{found:?}"
    );
}

#[test]
#[cfg(unix)]
fn what_is_not_a_regular_file_is_refused_without_waiting() {
    let fifo = |path: &Path| {
        let made = Command::new("mkfifo").arg(path).status().unwrap();
        assert!(made.success());
    };
    // a FIFO among the identities and among the decision tests
    let tmp = workspace(&[("nhi.yaml", CATALOGUE), ("identities/a.yaml", SEED)]);
    fifo(&tmp.path().join("identities/x.yaml"));
    let (code, found) = check(tmp.path());
    assert_eq!(code, Some(1));
    assert!(
        found.contains(
            &"LD001 identities/x.yaml: this is a FIFO, not a regular file: it is not read"
                .to_owned()
        ),
        "{found:?}"
    );
    let tmp = workspace(&[("nhi.yaml", CATALOGUE), ("identities/a.yaml", SEED)]);
    std::fs::create_dir_all(tmp.path().join("decisions")).unwrap();
    fifo(&tmp.path().join("decisions/x.yaml"));
    let out = nhi(tmp.path(), &["test"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("this is a FIFO"),
        "{}",
        text(&out.stderr)
    );
    // nhi.yaml that is a folder or a FIFO: never the defaults in its place
    for make in [
        &(|p: &Path| std::fs::create_dir(p).unwrap()) as &dyn Fn(&Path),
        &fifo,
    ] {
        let tmp = workspace(&[("identities/a.yaml", SEED)]);
        make(&tmp.path().join("nhi.yaml"));
        let (code, found) = check(tmp.path());
        assert_eq!(code, Some(1), "{found:?}");
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("LD001 nhi.yaml: `nhi.yaml` is ")
                    && f.ends_with(
                        "not a regular file: the workspace's settings and guardrails cannot be read"
                    )),
            "{found:?}"
        );
    }
}

#[test]
fn a_team_handle_code_hosts_would_not_take_is_an_error_at_its_line() {
    let settings = format!(
        "teams:\n  a: {{description: A, handle: \"@example/team a\"}}\n  b: {{description: B, handle: \"@example/b\\n* @evil\"}}\n  c: {{description: C, handle: \"@x#y\"}}\n  d: {{description: D, handle: \"@@x\"}}\n  e: {{description: E, handle: \"@example/e\"}}\n{CATALOGUE}"
    );
    let tmp = workspace(&[
        ("nhi.yaml", &settings),
        ("identities/x.yaml", &SEED.replace("owner: t", "owner: e")),
    ]);
    let (code, found) = check(tmp.path());
    assert_eq!(code, Some(1), "{found:?}");
    let bad: Vec<&String> = found.iter().filter(|f| f.starts_with("SC007")).collect();
    assert_eq!(
        bad,
        [
            "SC007 nhi.yaml: `@example/team a` is not a code-host handle",
            "SC007 nhi.yaml: `@example/b\u{fffd}* @evil` is not a code-host handle",
            "SC007 nhi.yaml: `@x#y` is not a code-host handle",
            "SC007 nhi.yaml: `@@x` is not a code-host handle",
        ]
    );
}

#[test]
fn machine_formats_say_why_nothing_could_be_checked() {
    let tmp = workspace(&[("nhi.yaml", CATALOGUE)]);
    for format in ["json", "sarif", "github"] {
        let out = nhi(tmp.path(), &["check", "--format", format]);
        assert_eq!(out.status.code(), Some(2), "{format}");
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("LD001")
                && stdout.contains("cannot read the identity folder `identities`"),
            "{format}: {stdout:?}"
        );
        assert!(text(&out.stderr).contains("cannot read the identity folder"));
    }
    let out = nhi(tmp.path(), &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["errors"], 1);
    // and `nhi test`, with or without a workspace that loads
    let out = nhi(tmp.path(), &["test", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot read the identity folder `identities`")
    );
    let tmp = workspace(&[
        ("nhi.yaml", CATALOGUE),
        ("identities/a.yaml", "agent: a\n"),
        ("decisions/a.yaml", ABOUT_A),
    ]);
    let out = nhi(tmp.path(), &["test", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["error"], "the workspace has errors (see stderr)");
    assert_eq!(json["tests"], serde_json::json!([]));
}

#[test]
fn what_a_terminal_would_hide_or_reorder_is_shown_replaced() {
    // an unknown action on a line that a right-to-left override would
    // rearrange, with a zero-width space (YAML itself refuses an escape)
    let identity = "agent: a\nowner: t\nauth: {method: oidc, ttl: 1h}\nallowed_actions: [read_logs, nope] # \u{202e}}lanigiro{ [2J\u{200b}\n";
    let tmp = workspace(&[("nhi.yaml", CATALOGUE), ("identities/a.yaml", identity)]);
    let out = nhi(tmp.path(), &["check"]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("action `nope` is not in the action catalogue"),
        "{stderr}"
    );
    assert!(
        stderr.contains("# \u{fffd}}lanigiro{ [2J\u{fffd}"),
        "{stderr}"
    );
    for hidden in ['\u{202e}', '\u{1b}', '\u{200b}'] {
        assert!(!stderr.contains(hidden), "{hidden:?} in {stderr:?}");
    }
    // the column is still the file's
    assert!(stderr.contains("identities/a.yaml:4:30]"), "{stderr}");
}

#[test]
fn a_policy_variable_in_a_where_value_is_a_literal_in_aws_as_in_cedar() {
    let settings = "targets:\n  aws:\n    account_id: \"123456789012\"\n    oidc_providers: [https://token.actions.githubusercontent.com]\nactions:\n  read_logs:\n    aws: {actions: [\"logs:GetLogEvents\"], resources: [\"arn:aws:logs:*:123456789012:log-group:app:*\"]}\n";
    let identity = "agent: a\nowner: t\nauth:\n  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/app:ref:refs/heads/main\n  audience: sts.amazonaws.com\nallowed_actions:\n  - action: read_logs\n    where: {team: [\"${aws:username}\"]}\n";
    let tmp = workspace(&[("nhi.yaml", settings), ("identities/a.yaml", identity)]);
    let out = tempfile::tempdir().unwrap();
    let run = nhi(
        tmp.path(),
        &["build", "--out", out.path().to_str().unwrap()],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("aws/a/permissions-policy.json")).unwrap(),
    )
    .unwrap();
    let allow = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Effect"] == "Allow")
        .unwrap();
    assert_eq!(
        allow["Condition"]["StringEquals"]["aws:ResourceTag/team"],
        serde_json::json!(["${$}{aws:username}"])
    );
    // Cedar compares the characters as written
    let cedar = std::fs::read_to_string(out.path().join("cedar/policies.cedar")).unwrap();
    assert!(cedar.contains("\"${aws:username}\""), "{cedar}");
}

// ---------------------------------------------------------------------------
// Diagnostics, as a hurried user meets them

/// The diagnostics of one identity file, as `CODE LINE: MESSAGE | HELP`.
fn of_file(identity: &str, settings: &str) -> Vec<String> {
    let tmp = workspace(&[("nhi.yaml", settings), ("identities/a.yaml", identity)]);
    support::check_json(tmp.path())
        .1
        .iter()
        .filter(|d| d["file"] == "identities/a.yaml")
        .map(|d| {
            format!(
                "{} {}: {} | {}",
                d["code"].as_str().unwrap(),
                d["line"],
                d["message"].as_str().unwrap(),
                d["help"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn indentation_mistakes_are_said_at_their_line_with_the_fix() {
    let head = "agent: a\nowner: t\nauth: {method: oidc, ttl: 1h}\nallowed_actions: [read_logs]\n";
    // a tab, at its own line
    let found = of_file(&format!("{head}\treview_cycle: quarterly\n"), CATALOGUE);
    assert_eq!(
        found,
        [
            "LD003 5: invalid YAML: a tab indents this line, and YAML indents with spaces only | replace the tab with spaces, as many as the keys around it are indented by"
        ]
    );
    // a key indented deeper than its siblings
    let found = of_file(
        "agent: a\nowner: t\n  auth: {method: oidc, ttl: 1h}\n",
        CATALOGUE,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("LD003 3: invalid YAML: mapping values are not allowed in this context | a line is indented deeper than the key before it"),
        "{found:?}"
    );
    // the children of `context:` written beside it
    let found = of_file(
        &format!("{head}context:\nenvironments: [production]\n"),
        CATALOGUE,
    );
    assert!(
        found.contains(&"SC001 6: unknown key `environments` in an identity | `environments` is a key of `context`: indent it under `context:`".to_owned()),
        "{found:?}"
    );
}

#[test]
fn every_problem_of_a_file_is_reported_at_once_and_none_twice() {
    // a bad auth method no longer hides the file's other problems, and a
    // malformed value is not also reported missing
    let found = of_file(
        "agent: a\nowner: t\nauth: {method: magic, ttl: 1h}\nallowed_actions: [read_logs]\nreview_cycle: fortnightly\nlast_reviewed: 2026-13-45\nexpires: 2027-02-30\naccountable: the-team\n",
        CATALOGUE,
    );
    let codes: Vec<&str> = found.iter().map(|f| &f[..f.find(':').unwrap()]).collect();
    assert_eq!(
        codes,
        ["SC004 3", "SC004 5", "SC006 6", "SC006 7", "RF004 8"],
        "{found:?}"
    );
    // a misspelt action is not in the catalogue: that, and nothing else
    let settings = "targets:\n  aws:\n    account_id: \"123456789012\"\n    oidc_providers: [https://token.actions.githubusercontent.com]\nactions:\n  read_logs:\n    aws: {actions: [\"logs:GetLogEvents\"], resources: [\"arn:aws:logs:*:123456789012:log-group:app:*\"]}\n";
    let found = of_file(
        "agent: a\nowner: t\npurpose: Reads logs\naccountable: ada@example.com\nauth:\n  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/app:ref:refs/heads/main\n  audience: sts.amazonaws.com\n  ttl: 1h\nallowed_actions: [read_logz]\nreview_cycle: quarterly\nlast_reviewed: 2026-11-01\n",
        settings,
    );
    assert_eq!(
        found,
        ["RF001 11: action `read_logz` is not in the action catalogue | did you mean `read_logs`?"]
    );
    // nor, delegated, one the delegator does not hold (DG001)
    let found = of_file(
        &format!(
            "{SEED}delegation:\n  may_delegate_to:\n    - {{agent: b, actions: [read_logz], ttl: 10m}}\n"
        ),
        CATALOGUE,
    );
    let codes: Vec<&str> = found.iter().map(|f| &f[..f.find(':').unwrap()]).collect();
    assert!(
        codes.contains(&"RF001 7") && !codes.iter().any(|c| c.starts_with("DG001")),
        "{found:?}"
    );
}

// ---------------------------------------------------------------------------
// Secrets, wherever they are written

const GITHUB_TOKEN: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

/// Every output of check (each format) and test on the workspace.
fn every_output(dir: &Path) -> String {
    let mut all = String::new();
    for args in [
        &["check"][..],
        &["check", "--format", "json"],
        &["check", "--format", "sarif"],
        &["check", "--format", "github"],
        &["test"],
        &["build"],
    ] {
        let out = nhi(dir, args);
        all.push_str(&text(&out.stdout));
        all.push_str(&text(&out.stderr));
    }
    all
}

#[test]
fn a_secret_is_found_and_hidden_in_keys_comments_and_files_that_do_not_parse() {
    let token = GITHUB_TOKEN;
    let cases = [
        // a key: not echoed by the unknown-key message
        format!("{SEED}{token}: x\n"),
        // a label's key: would reach the tags of every cloud
        format!("{SEED}labels:\n  {token}: x\n"),
        // a comment beside an error
        format!("{SEED}review_cycle: fortnightly # {token}\n"),
        // malformed YAML
        format!("{SEED}labels: [{token}\n"),
    ];
    for identity in &cases {
        let tmp = workspace(&[("nhi.yaml", CATALOGUE), ("identities/a.yaml", identity)]);
        let all = every_output(tmp.path());
        assert!(!all.contains(token), "{identity}:\n{all}");
        assert!(
            all.contains("value looks like a GitHub token"),
            "{identity}:\n{all}"
        );
        assert!(!tmp.path().join("dist").exists());
    }
    // a file that is not UTF-8
    let tmp = workspace(&[("nhi.yaml", CATALOGUE)]);
    std::fs::create_dir_all(tmp.path().join("identities")).unwrap();
    let mut bytes = format!("{SEED}# {token}\n").into_bytes();
    bytes.extend_from_slice(b"purpose: caf\xe9\n");
    std::fs::write(tmp.path().join("identities/a.yaml"), bytes).unwrap();
    let all = every_output(tmp.path());
    assert!(all.contains("LD002") && !all.contains(token), "{all}");
}

#[test]
fn tokens_of_every_kind_are_found_inside_values_and_in_decision_files() {
    for (value, kind) in [
        (
            "deploy with aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "a credential",
        ),
        ("npm_abcdefghijklmnopqrstuvwxyz0123456789", "an npm token"),
        (
            "hf_abcdefghijklmnopqrstuvwxyz01234567",
            "a Hugging Face token",
        ),
        (
            "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            "a SendGrid API key",
        ),
    ] {
        let tmp = workspace(&[
            ("nhi.yaml", CATALOGUE),
            (
                "identities/a.yaml",
                &format!("{SEED}purpose: \"{value}\"\n"),
            ),
        ]);
        let all = every_output(tmp.path());
        assert!(
            all.contains(&format!("value looks like {kind}")),
            "{value}: {all}"
        );
        let secret = value.rsplit(['=', ' ']).next().unwrap();
        assert!(!all.contains(secret), "{value}: {all}");
    }
    let tmp = workspace(&[
        ("nhi.yaml", CATALOGUE),
        ("identities/a.yaml", SEED),
        (
            "decisions/a.yaml",
            &format!(
                "tests:\n  - name: reads with {GITHUB_TOKEN}\n    principal: a\n    action: read_logs\n    expect: allow\n"
            ),
        ),
    ]);
    let out = nhi(tmp.path(), &["test"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("value looks like a GitHub token") && !stderr.contains(GITHUB_TOKEN),
        "{stderr}"
    );
}
