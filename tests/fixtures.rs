//! `nhi check` over fixture workspaces: every bad input and every semantic
//! check, asserting the code, the file and the line of each diagnostic.
//!
//! Each folder under `tests/fixtures/check/` is a workspace with a file
//! `expected` listing `CODE path:line`, one diagnostic a line. Inputs too
//! large or too strange to commit (deep nesting, a 64 MiB scalar, invalid
//! UTF-8, symbolic links) are written by the tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::disallowed_methods,
    reason = "tests build workspaces on disk and fail loudly"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use nhi::diag::human::Style;
use nhi::diag::{Diagnostic, Diagnostics};
use nhi::load::{self, LoadOptions};
use nhi::source::SourceDb;
use nhi::validate::{self, Checked};

const TODAY: &str = "2026-11-22";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != "expected" {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Copy a fixture into a fresh folder (the repository's own nhi.yaml must
/// not be found by the upward search) and check it.
fn check_fixture(name: &str) -> (tempfile::TempDir, Checked) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join(name), tmp.path());
    let checked = check_dir(tmp.path());
    (tmp, checked)
}

fn check_dir(dir: &Path) -> Checked {
    let root = load::find_root(dir).unwrap();
    let loaded = load::load(&root, LoadOptions::default()).unwrap();
    validate::validate(loaded, nhi::model::parse_date(TODAY).unwrap())
}

fn place(d: &Diagnostic, db: &SourceDb) -> String {
    let loc = d.primary_loc().expect("every diagnostic has a place");
    format!(
        "{} {}:{}",
        d.code,
        db.display_path(loc.file),
        db.line_col(loc).line
    )
}

fn places(checked: &Checked) -> Vec<String> {
    let mut out: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| place(d, &checked.db))
        .collect();
    out.sort();
    out
}

fn human(diagnostics: &Diagnostics, db: &SourceDb) -> String {
    nhi::diag::human::render(
        diagnostics,
        db,
        Style {
            color: false,
            width: 100,
        },
    )
}

fn find<'a>(checked: &'a Checked, code: &str) -> &'a Diagnostic {
    checked
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", places(checked)))
}

/// The text a label underlines.
fn underlined<'a>(checked: &'a Checked, d: &Diagnostic, primary: bool) -> &'a str {
    let label = d
        .labels
        .iter()
        .find(|l| l.primary == primary)
        .expect("label");
    checked
        .db
        .get(label.loc.file)
        .unwrap()
        .slice(label.loc.span)
        .unwrap()
}

#[test]
fn every_fixture_reports_its_codes_at_their_lines() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 30, "fixtures missing: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let expected: Vec<String> = {
            let text = std::fs::read_to_string(fixtures().join(name).join("expected")).unwrap();
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            lines.sort();
            lines
        };
        let (_tmp, checked) = check_fixture(name);
        let actual = places(&checked);
        if actual != expected {
            failures.push(format!(
                "{name}:\n  expected {expected:?}\n  actual   {actual:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn messages_name_the_problem_and_help_fixes_it() {
    let (_t, c) = check_fixture("unknown-field");
    let d = find(&c, "SC001");
    assert_eq!(d.message, "unknown key `ownr` in an identity");
    assert_eq!(d.help.as_deref(), Some("did you mean `owner`?"));
    assert_eq!(underlined(&c, d, true), "ownr");

    let (_t, c) = check_fixture("allowed-and-forbidden");
    let d = find(&c, "AC001");
    assert_eq!(underlined(&c, d, true), "deploy_production");
    let secondary = d.labels.iter().find(|l| !l.primary).unwrap();
    assert_eq!(
        c.db.line_col(secondary.loc).line,
        5,
        "forbidden here, on the forbidden_actions line"
    );

    let (_t, c) = check_fixture("guardrail-action-allowed");
    let d = find(&c, "AC002");
    let secondary = d.labels.iter().find(|l| !l.primary).unwrap();
    assert_eq!(c.db.display_path(secondary.loc.file), "nhi.yaml");
    assert_eq!(underlined(&c, d, false), "change_permissions");

    let (_t, c) = check_fixture("unknown-action");
    assert_eq!(
        find(&c, "RF001").help.as_deref(),
        Some("did you mean `read_ci_status`?")
    );
    let (_t, c) = check_fixture("unknown-team");
    assert_eq!(
        find(&c, "RF002").help.as_deref(),
        Some("did you mean `platform-team`?")
    );
    let (_t, c) = check_fixture("unknown-value");
    assert_eq!(
        find(&c, "SC004").help.as_deref(),
        Some("did you mean `quarterly`?")
    );

    let (_t, c) = check_fixture("duplicate-name");
    let d = find(&c, "NM003");
    let first = d.labels.iter().find(|l| !l.primary).unwrap();
    assert_eq!(c.db.display_path(first.loc.file), "identities/a.yaml");

    let (_t, c) = check_fixture("delegation-cycle-3");
    assert_eq!(find(&c, "DG004").message, "delegation cycle: a → b → c → a");
    let (_t, c) = check_fixture("delegation-too-deep");
    assert_eq!(
        find(&c, "DG005").message,
        "delegation chain a → b → c → d is 3 hops deep, more than 2"
    );
}

#[test]
fn warnings_do_not_fail_and_overrides_apply() {
    let (_t, c) = check_fixture("duplicate-action");
    assert!(
        !c.diagnostics.has_errors(),
        "a duplicate action is a warning"
    );
    let (_t, c) = check_fixture("lint-overrides");
    assert!(find(&c, "AC004").severity == nhi::diag::Severity::Error);
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("inline-secret"), tmp.path());
    let config = std::fs::read_to_string(tmp.path().join("nhi.yaml")).unwrap();
    std::fs::write(
        tmp.path().join("nhi.yaml"),
        config + "lints:\n  inline-secret: off\n",
    )
    .unwrap();
    assert!(places(&check_dir(tmp.path())).is_empty());
}

#[test]
fn secrets_never_reach_any_output() {
    let (_t, c) = check_fixture("inline-secret");
    let outputs = [
        human(&c.diagnostics, &c.db),
        nhi::diag::json::render(&c.diagnostics, &c.db),
        nhi::diag::sarif::render(&c.diagnostics, &c.db),
        nhi::diag::github::render(&c.diagnostics, &c.db),
    ];
    for out in &outputs {
        assert!(out.contains("SE001"), "{out}");
        for secret in [
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "IOSFODNN7",
            "klmnopqrstuv",
        ] {
            assert!(!out.contains(secret), "secret leaked:\n{out}");
        }
    }
    assert!(outputs[0].contains("value looks like an AWS access key"));
    assert!(outputs[0].contains("value looks like a GitHub token"));
}

/// A workspace with one valid identity plus one generated file.
fn generated(name: &str, bytes: &[u8]) -> (tempfile::TempDir, Checked) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("identities")).unwrap();
    std::fs::write(
        tmp.path().join("identities/ok.yaml"),
        "agent: ok\nowner: t\nauth: oidc\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("identities").join(name), bytes).unwrap();
    let checked = check_dir(tmp.path());
    (tmp, checked)
}

#[test]
fn deep_nesting_is_a_budget_error() {
    let text = format!(
        "agent: deep\nowner: t\nauth: oidc\nlabels: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (_t, c) = generated("deep.yaml", text.as_bytes());
    assert_eq!(places(&c), ["LD007 identities/deep.yaml:4"]);
}

#[test]
fn a_64_mib_scalar_is_refused_before_parsing() {
    let mut text = b"agent: big\nowner: t\nauth: oidc\npurpose: ".to_vec();
    text.resize(text.len() + 64 * 1024 * 1024, b'x');
    let (_t, c) = generated("big.yaml", &text);
    assert_eq!(places(&c), ["LD008 identities/big.yaml:1"]);
    assert!(
        find(&c, "LD008")
            .message
            .contains("more than the limit of 1048576 bytes")
    );
}

#[test]
fn invalid_utf8_is_reported_at_its_line() {
    let (_t, c) = generated(
        "bin.yaml",
        b"agent: bin\nowner: t\npurpose: caf\xe9\nauth: oidc\n",
    );
    assert_eq!(places(&c), ["LD002 identities/bin.yaml:3"]);
}

#[test]
fn symlinks_out_of_the_workspace_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("x.yaml"),
        "agent: x\nowner: t\nauth: oidc\n",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("identities")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("x.yaml"),
        tmp.path().join("identities/x.yaml"),
    )
    .unwrap();
    // a linked folder outside is not walked at all
    std::os::unix::fs::symlink(outside.path(), tmp.path().join("identities/elsewhere")).unwrap();
    // a link inside the workspace is fine
    std::fs::write(
        tmp.path().join("y.yaml"),
        "agent: y\nowner: t\nauth: oidc\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        tmp.path().join("y.yaml"),
        tmp.path().join("identities/y.yaml"),
    )
    .unwrap();
    let c = check_dir(tmp.path());
    assert_eq!(places(&c), ["LD009 identities/x.yaml:1"]);
    assert!(c.model.identities.keys().any(|n| n.as_str() == "y"));
}

#[test]
fn rendered_diagnostics() {
    for name in [
        "unknown-field",
        "allowed-and-forbidden",
        "yaml-syntax",
        "inline-secret",
        "guardrail-action-allowed",
    ] {
        let (_t, c) = check_fixture(name);
        insta::assert_snapshot!(name, human(&c.diagnostics, &c.db));
    }
}

#[test]
fn output_does_not_depend_on_location_or_file_order() {
    let render = |dir: &Path| {
        let c = check_dir(dir);
        nhi::diag::json::render(&c.diagnostics, &c.db)
    };
    let names = ["name-injection", "delegation-cycle-3", "duplicate-name"];
    for name in names {
        let a = tempfile::tempdir().unwrap();
        copy_dir(&fixtures().join(name), &a.path().join("somewhere/deeper"));
        // write the files in reverse order, elsewhere
        let b = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        collect(&fixtures().join(name), &fixtures().join(name), &mut files);
        files.reverse();
        for rel in &files {
            let target = b.path().join(rel);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(fixtures().join(name).join(rel), target).unwrap();
        }
        let first = render(&a.path().join("somewhere/deeper"));
        assert!(first.contains("\"code\""), "{first}");
        assert_eq!(first, render(b.path()), "{name}");
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.file_name().is_some_and(|n| n != "expected") {
            out.push(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
    out.sort();
}

fn nhi(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nhi"))
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("NHI_TODAY", TODAY)
        .output()
        .unwrap()
}

#[test]
fn exit_codes_and_streams() {
    let seed = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("seed-without-workspace"), seed.path());
    let out = nhi(seed.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());

    let bad = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("unknown-field"), bad.path());
    let out = nhi(bad.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "human output goes to stderr");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("identities/a.yaml:6:1") && stderr.contains("2 errors"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "NO_COLOR means no escape codes");

    for format in ["json", "sarif", "github"] {
        let out = nhi(bad.path(), &["check", "--format", format]);
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stderr.is_empty(), "{format} goes to stdout only");
        assert!(
            String::from_utf8(out.stdout).unwrap().contains("SC001"),
            "{format}"
        );
    }
    let out = nhi(Path::new("/nonexistent/nowhere"), &["check"]);
    assert_eq!(out.status.code(), Some(2));
}
