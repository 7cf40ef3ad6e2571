//! The command line end to end, the published schemas, and the
//! repository's own workspaces.

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

use support::{nhi, repo, text, workspaces};

use std::path::{Path, PathBuf};

use nhi::schema::{SchemaKind, generate};

#[test]
fn shipped_workspaces_check_clean() {
    for ws in workspaces() {
        let out = nhi(&ws, &["check", "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", ws.display());
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut found: Vec<(String, String)> = Vec::new();
        let mut waived: Vec<String> = Vec::new();
        for d in json["diagnostics"].as_array().unwrap() {
            let (code, file) = (d["code"].as_str().unwrap(), d["file"].as_str().unwrap());
            if code == "SUP001" {
                assert!(d["message"].as_str().unwrap().starts_with("`TG011`"), "{d}");
                waived.push(file.to_owned());
            } else {
                found.push((code.to_owned(), file.to_owned()));
            }
        }
        waived.dedup();
        // the seed is shipped verbatim, so the lint rules say what it does
        // not yet declare; the CI/CD example keeps a review calendar with
        // something to do (`nhi review`) and two deployers that can act as
        // any service account of their project; Azure says, where
        // identities forbid what it cannot deny, that it cannot; everything
        // else is complete
        let expected: Vec<(&str, &str)> = if ws == repo() {
            let mut seed: Vec<(&str, &str)> = ["OWN001", "OWN002", "LC002"]
                .iter()
                .map(|c| (*c, "identities/release-assistant.yaml"))
                .collect();
            seed.extend([
                ("TG013", "identities/metrics-collector.yaml"),
                ("TG013", "nhi.yaml"),
            ]);
            seed
        } else if ws.ends_with("cicd-pipelines") {
            vec![
                ("LC004", "identities/azure/partner-portal-deployer.yaml"),
                ("TG013", "identities/azure/partner-portal-deployer.yaml"),
                ("TG013", "identities/azure/portal-sync.yaml"),
                ("LC002", "identities/cluster/orders-consumer.yaml"),
                // Cloud Run deploys act as their runtime account, and the
                // project holds terraform-apply's too
                ("PRV002", "identities/cluster/rollout-coordinator.yaml"),
                ("PRV002", "identities/gcp/storefront-deployer.yaml"),
                ("TG013", "identities/terraform/terraform-apply.yaml"),
                ("LC001", "identities/terraform/terraform-plan.yaml"),
                ("TG013", "identities/terraform/terraform-plan.yaml"),
                ("TG013", "nhi.yaml"),
            ]
        } else {
            vec![("TG013", "identities/recruiting-assistant.yaml")]
        };
        let mut expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(c, f)| (c.to_owned(), f.to_owned()))
            .collect();
        expected.sort();
        found.sort();
        assert_eq!(found, expected, "{}", ws.display());
        // and the conditions a target cannot enforce that each identity
        // accepts, with its reason (nothing else is waived)
        let accepted: &[&str] = if ws == repo() {
            &[
                "identities/metrics-collector.yaml",
                "identities/warehouse-reporter.yaml",
            ]
        } else if ws.ends_with("cicd-pipelines") {
            &[
                "identities/azure/partner-portal-deployer.yaml",
                "identities/azure/portal-sync.yaml",
                "identities/cluster/orders-db-backup.yaml",
                "identities/cluster/orders-release.yaml",
                "identities/cluster/rollout-coordinator.yaml",
                "identities/gcp/image-mirror.yaml",
                "identities/gcp/storefront-deployer.yaml",
                "identities/terraform/terraform-plan.yaml",
            ]
        } else {
            &[
                "identities/help-centre-indexer.yaml",
                "identities/knowledge-retriever.yaml",
                "identities/recruiting-assistant.yaml",
                "identities/refund-agent.yaml",
                "identities/support-triage.yaml",
            ]
        };
        assert_eq!(waived, accepted, "{}", ws.display());
    }
}

#[test]
fn the_seed_example_is_shipped_verbatim() {
    let shipped =
        std::fs::read_to_string(repo().join("identities/release-assistant.yaml")).unwrap();
    let template = include_str!("../src/cli/templates/release-assistant.yaml");
    assert_eq!(shipped, template);
    assert!(shipped.starts_with(
        "# Example: identity model for an internal release agent\nagent: release-assistant\n"
    ));
}

#[test]
fn committed_schemas_are_current() {
    for kind in SchemaKind::ALL {
        let path = repo().join("schema").join(kind.file_name());
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let fresh = generate(kind);
        if committed != fresh {
            let diff = similar_lines(&committed, &fresh);
            panic!(
                "{} is stale; regenerate it with `cargo run -- schema --out schema`\n{diff}",
                path.display()
            );
        }
    }
}

/// The first differing lines, enough to see what changed.
fn similar_lines(old: &str, new: &str) -> String {
    old.lines()
        .zip(new.lines())
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .take(5)
        .map(|(i, (a, b))| format!("line {}:\n- {a}\n+ {b}\n", i + 1))
        .collect()
}

fn yaml_to_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator(kind: SchemaKind) -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(&generate(kind)).unwrap();
    assert!(
        jsonschema::meta::is_valid(&schema),
        "{kind:?} schema is not a valid JSON Schema"
    );
    jsonschema::validator_for(&schema).unwrap()
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(yaml_files(&path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
    out
}

#[test]
fn schemas_accept_every_shipped_file() {
    let identity = validator(SchemaKind::Identity);
    let workspace = validator(SchemaKind::Workspace);
    let decisions = validator(SchemaKind::Decisions);
    let mut checked = 0;
    let mut tests = 0;
    for ws in workspaces() {
        let config = yaml_to_json(&ws.join("nhi.yaml"));
        let errors: Vec<String> = workspace
            .iter_errors(&config)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}/nhi.yaml: {errors:?}", ws.display());
        for file in yaml_files(&ws.join("identities")) {
            let doc = yaml_to_json(&file);
            let errors: Vec<String> = identity.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", file.display());
            checked += 1;
        }
        for file in yaml_files(&ws.join("decisions")) {
            let doc = yaml_to_json(&file);
            let errors: Vec<String> = decisions.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", file.display());
            tests += 1;
        }
    }
    assert!(checked >= 10, "only {checked} identity files found");
    assert!(tests >= 4, "only {tests} decision test files found");
    let bad = serde_json::json!({"tests": [{"principal": "a", "action": "b", "expect": "maybe"}]});
    assert!(!decisions.is_valid(&bad));
}

#[test]
fn schemas_reject_what_check_rejects() {
    let identity = validator(SchemaKind::Identity);
    let bad = [
        serde_json::json!({"agent": "a", "owner": "t", "auth": "oidc", "ownr": "x"}),
        serde_json::json!({"agent": "A_B", "owner": "t", "auth": "oidc"}),
        serde_json::json!({"agent": "a", "owner": "t", "auth": "password"}),
        serde_json::json!({"agent": "a", "owner": "t"}),
        serde_json::json!({"agent": "a", "owner": "t", "auth": {"method": "oidc", "ttl": 5}}),
    ];
    for doc in bad {
        assert!(!identity.is_valid(&doc), "{doc}");
    }
    let good = serde_json::json!({
        "agent": "a", "owner": "t",
        "auth": {"method": "oidc", "ttl": "15m"},
        "allowed_actions": ["x", {"action": "y", "where": {"job_id": ["J42"], "c": "d"}}]
    });
    assert!(identity.is_valid(&good));
}

#[test]
fn help_of_every_command_is_reviewed() {
    let commands = [
        "",
        "check",
        "build",
        "can",
        "test",
        "diff",
        "review",
        "graph",
        "explain",
        "init",
        "import",
        "drift",
        "new",
        "schema",
        "completions",
        "man",
    ];
    for command in commands {
        let mut args: Vec<&str> = command.split_whitespace().collect();
        args.push("--help");
        let out = nhi(&repo(), &args);
        assert_eq!(out.status.code(), Some(0));
        let name = if command.is_empty() {
            "help".to_owned()
        } else {
            format!("help-{command}")
        };
        insta::assert_snapshot!(name, text(&out.stdout));
    }
}

#[test]
fn init_then_new_then_check_is_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let out = nhi(tmp.path(), &["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for file in [
        "nhi.yaml",
        "identities/release-assistant.yaml",
        "decisions/release-assistant.yaml",
        "schema/identity.schema.json",
        "schema/decisions.schema.json",
    ] {
        assert!(tmp.path().join(file).is_file(), "{file}");
    }
    let out = nhi(
        tmp.path(),
        &[
            "new",
            "invoice-importer",
            "--owner",
            "platform-team",
            "--purpose",
            "Import supplier invoices: nightly",
            "--accountable",
            "ada@example.com",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let created =
        std::fs::read_to_string(tmp.path().join("identities/invoice-importer.yaml")).unwrap();
    assert!(
        created.starts_with("# yaml-language-server: $schema=../schema/identity.schema.json\n")
    );
    assert!(created.contains("owner: platform-team"));
    assert!(created.contains("accountable: \"ada@example.com\""));
    // creating it is its first review
    assert!(created.contains("last_reviewed: 2026-11-22\n"));
    let out = nhi(tmp.path(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    // only the seed, shipped verbatim, is missing what the lints ask for
    assert!(
        files
            .iter()
            .all(|f| *f == "identities/release-assistant.yaml"),
        "{json}"
    );
    let out = nhi(tmp.path(), &["test"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).ends_with("3 passed, 0 failed\n"));
    let out = nhi(tmp.path(), &["build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(tmp.path().join("dist/cedar/policies.cedar").is_file());

    // init refuses to overwrite, new refuses an existing or badly named identity
    assert_eq!(nhi(tmp.path(), &["init"]).status.code(), Some(2));
    assert_eq!(
        nhi(
            tmp.path(),
            &["new", "invoice-importer", "--owner", "platform-team"]
        )
        .status
        .code(),
        Some(2)
    );
    let out = nhi(tmp.path(), &["new", "Bad_Name", "--owner", "platform-team"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a valid identity name"));
    let out = nhi(tmp.path(), &["new", "x", "--owner", "platfrom-team"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did you mean `platform-team`?"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn completions_and_man_page_are_generated() {
    let out = nhi(&repo(), &["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("_nhi()"));
    let out = nhi(&repo(), &["man"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).starts_with(".ie"),
        "{}",
        &text(&out.stdout)[..40]
    );
    assert!(text(&out.stdout).contains(".TH nhi"));
}

#[test]
fn bad_usage_exits_2() {
    let out = nhi(&repo(), &["check", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let out = nhi(&repo(), &["--today", "2026-13-01", "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid date `2026-13-01`"));
    let out = nhi(&repo(), &["check", "/etc/hostname"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("outside the workspace"));
}

#[test]
fn check_reports_only_the_paths_given() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("identities")).unwrap();
    std::fs::write(
        tmp.path().join("identities/good.yaml"),
        "agent: good\nowner: t\nauth: oidc\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("identities/bad.yaml"),
        "agent: bad\nowner: t\nauth: oidc\nbogus: 1\n",
    )
    .unwrap();
    assert_eq!(nhi(tmp.path(), &["check"]).status.code(), Some(1));
    let out = nhi(tmp.path(), &["check", "identities/good.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = nhi(tmp.path(), &["check", "identities/bad.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("unknown key `bogus`"));
}

#[test]
fn readme_lists_exactly_the_codes_that_exist() {
    use strum::IntoEnumIterator;
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let known: std::collections::BTreeSet<&str> = nhi::diag::Code::iter()
        .map(nhi::diag::Code::as_str)
        .collect();
    for code in &known {
        assert!(
            readme.contains(&format!("| `{code}` |")),
            "{code} is missing from the README's code table"
        );
    }
    // every code-shaped word in the README is a real code
    for word in readme.split(|c: char| !c.is_ascii_alphanumeric()) {
        let letters = word.chars().take_while(char::is_ascii_uppercase).count();
        let digits = word.len() - letters;
        if (2..=4).contains(&letters)
            && digits == 3
            && word[letters..].chars().all(|c| c.is_ascii_digit())
        {
            assert!(known.contains(word), "README mentions unknown code {word}");
        }
    }
}
