//! `nhi check` on every kind of bad input and for every semantic check.
//!
//! Each case is a workspace under `tests/fixtures/check/<case>/`, copied to
//! a fresh temporary folder before it is loaded (the repository's own
//! `nhi.yaml` must not be found by the upward search). Every diagnostic is
//! asserted by its code, its workspace-relative file and its line; messages,
//! help and the labelled text are asserted where they carry the meaning.
//! Each case folder also holds an `expected` file (`CODE path:line`, one a
//! line) for other harnesses; [`assert_places`] keeps it equal to the list
//! asserted here.
//!
//! Inputs too large or too odd to commit (invalid UTF-8, 100 000-deep
//! nesting, a 64 MiB scalar, symbolic links) are written at test time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::disallowed_methods,
    reason = "tests build workspaces on disk and fail loudly"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nhi::check::{self, Checked};
use nhi::diag::human::Style;
use nhi::diag::{Code, Diagnostic, Label, Severity};
use nhi::load::guard::FileBudget;
use nhi::load::{self, LoadOptions};

/// The date every case is checked on.
const TODAY: &str = "2026-06-01";

/// A diagnostic's place: code, workspace-relative path, line.
type Place = (String, String, usize);

/// A `nhi.yaml` for workspaces generated at test time.
const GENERATED_NHI_YAML: &str = "teams:\n  platform-team: {}\n";

// ---------------------------------------------------------------------------
// Helpers

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check")
}

/// Copy a folder, skipping the `expected` files; `reverse` creates the
/// entries in the opposite order (for the determinism test).
fn copy_dir(from: &Path, to: &Path, reverse: bool) {
    std::fs::create_dir_all(to).unwrap();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(from)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    if reverse {
        entries.reverse();
    }
    for path in entries {
        let name = path.file_name().unwrap();
        if path.is_dir() {
            copy_dir(&path, &to.join(name), reverse);
        } else if name != "expected" {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

/// A fresh temporary copy of a fixture.
fn workspace(fixture: &str) -> tempfile::TempDir {
    let dir = fixtures().join(fixture);
    assert!(dir.is_dir(), "no fixture {}", dir.display());
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&dir, tmp.path(), false);
    tmp
}

fn date(text: &str) -> nhi::model::Date {
    nhi::model::parse_date(text).unwrap()
}

/// Find the workspace from `dir` upward and check it the way `nhi check`
/// does (each identity converted as it is read).
fn check_dir(dir: &Path, today: &str) -> Checked {
    check_dir_with(dir, today, LoadOptions::default())
}

fn check_dir_with(dir: &Path, today: &str, options: LoadOptions) -> Checked {
    let root = load::find_root(dir).unwrap();
    let mut checked = check::workspace(&root, options, date(today)).unwrap();
    // these fixtures are minimal identities judged on what they mean; the
    // lint rules, which judge how complete they are, have their own tests
    // (tests/lints.rs)
    checked.diagnostics.retain(|d| !is_lint(d.code));
    checked
}

/// The lint rules that judge an identity's completeness and hygiene.
fn is_lint(code: Code) -> bool {
    code.suppressible() && code != Code::DuplicateAction
        || matches!(
            code,
            Code::Suppressed | Code::UnusedSuppression | Code::InvalidSuppression
        )
}

/// Each diagnostic's message with its help.
fn messages_and_help(c: &Checked) -> Vec<(String, String)> {
    c.diagnostics
        .iter()
        .map(|d| (d.message.clone(), s(help(d))))
        .collect()
}

/// Check a fixture; the folder is kept alive with the result.
fn check(fixture: &str, today: &str) -> (tempfile::TempDir, Checked) {
    let tmp = workspace(fixture);
    let checked = check_dir(tmp.path(), today);
    (tmp, checked)
}

fn place(c: &Checked, d: &Diagnostic) -> Place {
    let loc = d.primary_loc().expect("every diagnostic has a place");
    (
        d.code.as_str().to_owned(),
        c.db.display_path(loc.file),
        c.db.line_col(loc).line,
    )
}

fn places(c: &Checked) -> Vec<Place> {
    c.diagnostics.iter().map(|d| place(c, d)).collect()
}

/// (code, path, line) of every diagnostic of a fixture, in output order.
fn run(fixture: &str, today: &str) -> Vec<Place> {
    places(&check(fixture, today).1)
}

/// (code, path, line, message) of every diagnostic, in output order.
fn messages(c: &Checked) -> Vec<(String, String, usize, String)> {
    c.diagnostics
        .iter()
        .map(|d| {
            let (code, path, line) = place(c, d);
            (code, path, line, d.message.clone())
        })
        .collect()
}

/// The human rendering, without colour.
fn human(c: &Checked) -> String {
    nhi::diag::human::render(
        &c.diagnostics,
        &c.db,
        Style {
            color: false,
            width: 100,
        },
    )
}

/// The human rendering of a fixture's diagnostics.
fn render(fixture: &str, today: &str) -> String {
    let (tmp, c) = check(fixture, today);
    let text = human(&c);
    let root = tmp.path().canonicalize().unwrap();
    assert!(!text.contains(&*tmp.path().to_string_lossy()), "{text}");
    assert!(!text.contains(&*root.to_string_lossy()), "{text}");
    text
}

fn owned(expected: &[(&str, &str, usize)]) -> Vec<Place> {
    expected
        .iter()
        .map(|&(code, path, line)| (code.to_owned(), path.to_owned(), line))
        .collect()
}

/// Assert a fixture's diagnostics, in output order, and that its `expected`
/// file lists the same places.
fn assert_places(fixture: &str, expected: &[(&str, &str, usize)]) -> (tempfile::TempDir, Checked) {
    let (tmp, c) = check(fixture, TODAY);
    assert_eq!(places(&c), owned(expected), "{fixture}:\n{}", human(&c));
    let file = std::fs::read_to_string(fixtures().join(fixture).join("expected"))
        .unwrap_or_else(|e| panic!("{fixture}/expected: {e}"));
    let mut listed: Vec<&str> = file.lines().collect();
    listed.sort_unstable();
    let mut wanted: Vec<String> = expected
        .iter()
        .map(|(code, path, line)| format!("{code} {path}:{line}"))
        .collect();
    wanted.sort();
    assert_eq!(listed, wanted, "{fixture}/expected is out of date");
    (tmp, c)
}

/// The only diagnostic with `code`.
fn only<'a>(c: &'a Checked, code: &str) -> &'a Diagnostic {
    let found: Vec<&Diagnostic> = c
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == code)
        .collect();
    assert_eq!(found.len(), 1, "one {code} expected in {:?}", places(c));
    found[0]
}

/// The diagnostic with `code` on `line`.
fn at<'a>(c: &'a Checked, code: &str, path: &str, line: usize) -> &'a Diagnostic {
    c.diagnostics
        .iter()
        .find(|d| place(c, d) == (code.to_owned(), path.to_owned(), line))
        .unwrap_or_else(|| panic!("no {code} at {path}:{line} in {:?}", places(c)))
}

/// A label's file, line and the text it underlines.
fn label(c: &Checked, l: &Label) -> (String, usize, String) {
    let file = c.db.get(l.loc.file).unwrap();
    (
        c.db.display_path(l.loc.file),
        c.db.line_col(l.loc).line,
        file.slice(l.loc.span).unwrap_or("").to_owned(),
    )
}

fn primary(c: &Checked, d: &Diagnostic) -> (String, usize, String) {
    label(
        c,
        d.labels
            .iter()
            .find(|l| l.primary)
            .expect("a primary label"),
    )
}

fn secondary(c: &Checked, d: &Diagnostic) -> (String, usize, String) {
    let seconds: Vec<&Label> = d.labels.iter().filter(|l| !l.primary).collect();
    assert_eq!(seconds.len(), 1, "one secondary label: {d:?}");
    label(c, seconds[0])
}

fn no_secondary(d: &Diagnostic) {
    assert!(d.labels.iter().all(|l| l.primary), "{d:?}");
}

fn help(d: &Diagnostic) -> &str {
    d.help.as_deref().unwrap_or("")
}

fn s(text: &str) -> String {
    text.to_owned()
}

/// A workspace written at test time: a small `nhi.yaml` and these files.
fn generated(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("nhi.yaml"), GENERATED_NHI_YAML).unwrap();
    std::fs::create_dir(tmp.path().join("identities")).unwrap();
    for (name, bytes) in files {
        std::fs::write(tmp.path().join("identities").join(name), bytes).unwrap();
    }
    tmp
}

const OK_IDENTITY: &[u8] = b"agent: ok\nowner: platform-team\nauth: oidc\n";

// ---------------------------------------------------------------------------
// Bad input

#[test]
fn malformed_yaml_is_ld003_and_other_files_are_still_checked() {
    let (_t, c) = assert_places(
        "ld003-yaml-syntax",
        &[("LD003", "identities/broken.yaml", 3)],
    );
    let d = only(&c, "LD003");
    assert!(d.message.starts_with("invalid YAML: "), "{}", d.message);
    // the parser's own "at line N" is not repeated: the label shows the place
    assert!(!d.message.contains("line 3"), "{}", d.message);
    assert!(c.model.identities.contains_key("fine"));
    assert!(!c.model.identities.contains_key("broken"));
}

#[test]
fn wrong_types_are_sc002_each_at_its_value() {
    let (_t, c) = assert_places(
        "sc002-wrong-type",
        &[
            ("SC002", "identities/listed.yaml", 2),
            ("SC002", "identities/listed.yaml", 3),
            ("SC002", "identities/typed.yaml", 4),
            ("SC002", "identities/typed.yaml", 5),
            ("SC002", "identities/typed.yaml", 6),
        ],
    );
    let m = |path, line| at(&c, "SC002", path, line).message.clone();
    assert_eq!(
        m("identities/listed.yaml", 2),
        "expected a string, found a sequence"
    );
    assert_eq!(
        m("identities/listed.yaml", 3),
        "expected an auth shorthand string or a mapping, found an integer"
    );
    assert_eq!(
        m("identities/typed.yaml", 4),
        "expected a sequence, found a string"
    );
    assert_eq!(
        m("identities/typed.yaml", 5),
        "expected a string, found a sequence"
    );
    assert_eq!(
        m("identities/typed.yaml", 6),
        "expected a mapping (delegation), found a boolean"
    );
    let d = at(&c, "SC002", "identities/typed.yaml", 4);
    assert_eq!(primary(&c, d).2, "read_ci_status");
    // optional keys with a bad value are dropped, the identity is kept;
    // required keys with a bad value make it unusable
    assert!(c.model.identities.contains_key("typed"));
    assert!(!c.model.identities.contains_key("listed"));
}

#[test]
fn unknown_fields_are_sc001_with_did_you_mean() {
    let (_t, c) = assert_places(
        "sc001-unknown-field",
        &[
            ("SC001", "identities/typo.yaml", 3),
            ("SC001", "identities/typo.yaml", 6),
        ],
    );
    let top = at(&c, "SC001", "identities/typo.yaml", 3);
    assert_eq!(top.message, "unknown key `purpse` in an identity");
    assert_eq!(help(top), "did you mean `purpose`?");
    assert_eq!(primary(&c, top).2, "purpse");
    let nested = at(&c, "SC001", "identities/typo.yaml", 6);
    assert_eq!(nested.message, "unknown key `audiance` in auth");
    assert_eq!(help(nested), "did you mean `audience`?");
    assert_eq!(primary(&c, nested).2, "audiance");
    // an unknown key does not make the identity unusable
    assert!(c.model.identities.contains_key("typo"));
}

#[test]
fn unknown_fields_without_a_close_match_list_the_keys() {
    let (_t, c) = assert_places(
        "sc001-unknown-field-elsewhere",
        &[
            ("SC001", "identities/extra.yaml", 4),
            ("SC001", "nhi.yaml", 16),
        ],
    );
    let d = at(&c, "SC001", "identities/extra.yaml", 4);
    assert_eq!(d.message, "unknown key `zzz` in an identity");
    assert!(
        help(d).starts_with("an identity accepts `agent`, `kind`, `owner`,"),
        "{}",
        help(d)
    );
    let d = at(&c, "SC001", "nhi.yaml", 16);
    assert_eq!(d.message, "unknown key `gaurdrails` in the workspace");
    assert_eq!(help(d), "did you mean `guardrails`?");
}

#[test]
fn a_missing_required_key_is_sc003_where_the_mapping_starts() {
    let (_t, c) = assert_places(
        "sc003-missing-field",
        &[
            ("SC003", "identities/delegator.yaml", 6),
            ("SC003", "identities/ownerless.yaml", 2),
        ],
    );
    assert_eq!(
        at(&c, "SC003", "identities/ownerless.yaml", 2).message,
        "missing key `owner` in an identity"
    );
    assert_eq!(
        at(&c, "SC003", "identities/delegator.yaml", 6).message,
        "missing key `actions` in a delegation"
    );
    assert!(!c.model.identities.contains_key("ownerless"));
    assert!(c.model.identities["delegator"].delegations.is_empty());
}

#[test]
fn duplicate_keys_are_ld010_at_the_repeat() {
    let (_t, c) = assert_places(
        "ld010-duplicate-key",
        &[
            ("LD010", "identities/dup.yaml", 4),
            ("LD010", "identities/nested.yaml", 6),
        ],
    );
    assert_eq!(
        at(&c, "LD010", "identities/dup.yaml", 4).message,
        "duplicate key `owner`"
    );
    assert_eq!(
        at(&c, "LD010", "identities/nested.yaml", 6).message,
        "duplicate key `ttl`"
    );
    assert!(c.model.identities.is_empty());
}

#[test]
fn several_documents_in_one_file_are_ld004() {
    let (_t, c) = assert_places(
        "ld004-multiple-documents",
        &[("LD004", "identities/multi.yaml", 5)],
    );
    // neither document is taken
    assert!(c.model.identities.is_empty());
}

#[test]
fn empty_and_comment_only_files_are_ld005() {
    let (_t, c) = assert_places(
        "ld005-empty-and-comments",
        &[
            ("LD005", "identities/comments.yaml", 1),
            ("LD005", "identities/empty.yaml", 1),
        ],
    );
    assert!(
        c.diagnostics
            .iter()
            .all(|d| d.message == "file holds no YAML document")
    );
}

#[test]
fn yaml_tags_are_ld006() {
    let (_t, c) = assert_places(
        "ld006-yaml-tags",
        &[
            ("LD006", "identities/custom.yaml", 3),
            ("LD006", "identities/python.yaml", 4),
        ],
    );
    assert!(c.model.identities.is_empty());
}

#[test]
fn an_alias_bomb_is_ld007() {
    let (_t, c) = assert_places("ld007-alias-bomb", &[("LD007", "identities/lol.yaml", 9)]);
    let d = only(&c, "LD007");
    assert!(
        d.message.starts_with("file exceeds an input budget"),
        "{}",
        d.message
    );
}

#[test]
fn deep_nesting_is_ld007() {
    let text = format!(
        "agent: deep\nowner: platform-team\nauth: oidc\nlabels: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let tmp = generated(&[("deep.yaml", text.as_bytes()), ("ok.yaml", OK_IDENTITY)]);
    let c = check_dir(tmp.path(), TODAY);
    assert_eq!(places(&c), owned(&[("LD007", "identities/deep.yaml", 4)]));
    let d = only(&c, "LD007");
    assert!(d.message.contains("nesting is too deep"), "{}", d.message);
    assert!(c.model.identities.contains_key("ok"));
    // the snippet of a 200 000-character line renders without trouble
    assert!(human(&c).contains("LD007"));
}

#[test]
fn a_64_mib_scalar_is_ld008_and_is_not_read_in_full() {
    let mut text = b"agent: big\nowner: platform-team\nauth: oidc\npurpose: ".to_vec();
    text.resize(text.len() + 64 * 1024 * 1024, b'x');
    text.push(b'\n');
    let size = text.len();
    let tmp = generated(&[("big.yaml", &text), ("ok.yaml", OK_IDENTITY)]);
    drop(text);
    let c = check_dir(tmp.path(), TODAY);
    assert_eq!(places(&c), owned(&[("LD008", "identities/big.yaml", 1)]));
    assert_eq!(
        only(&c, "LD008").message,
        format!("file is {size} bytes, more than the limit of 1048576 bytes")
    );
    // the text is not kept either
    let big = c.db.find(Path::new("identities/big.yaml")).unwrap();
    assert!(c.db.get(big).unwrap().text().len() < 1024);
    assert!(c.model.identities.contains_key("ok"));
}

#[test]
fn non_utf8_bytes_are_ld002_at_the_first_bad_byte() {
    let tmp = generated(&[
        (
            "latin1.yaml",
            b"agent: latin1\nowner: platform-team\npurpose: caf\xe9\nauth: oidc\n",
        ),
        // "agent: x" saved as UTF-16 with a byte order mark
        (
            "utf16.yaml",
            b"\xff\xfea\x00g\x00e\x00n\x00t\x00:\x00 \x00x\x00\n\x00",
        ),
        ("ok.yaml", OK_IDENTITY),
    ]);
    let c = check_dir(tmp.path(), TODAY);
    assert_eq!(
        places(&c),
        owned(&[
            ("LD002", "identities/latin1.yaml", 3),
            ("LD002", "identities/utf16.yaml", 1),
        ])
    );
    let d = at(&c, "LD002", "identities/latin1.yaml", 3);
    assert_eq!(d.message, "file is not valid UTF-8");
    assert!(help(d).contains("line 3, column 13"), "{}", help(d));
    let text = human(&c);
    assert!(text.contains("identities/latin1.yaml:3:13"), "{text}");
    assert!(c.model.identities.contains_key("ok"));
}

#[test]
fn names_that_try_paths_or_injection_are_nm001() {
    let (_t, c) = assert_places(
        "nm001-invalid-names",
        &[
            ("NM001", "identities/delegator.yaml", 7),
            ("NM001", "identities/injection.yaml", 1),
            ("NM001", "identities/long.yaml", 1),
            ("NM001", "identities/passwd.yaml", 1),
            ("NM001", "identities/spaces.yaml", 1),
            ("NM001", "identities/underscore.yaml", 1),
            ("NM001", "identities/upper.yaml", 1),
            ("NM001", "nhi.yaml", 3),
            ("NM001", "nhi.yaml", 6),
        ],
    );
    // none of them reaches the model, so no renderer ever sees them
    let names: Vec<&str> = c.model.identities.keys().map(|n| n.as_str()).collect();
    assert_eq!(names, ["delegator"]);
    assert!(c.model.identities["delegator"].delegations.is_empty());

    let m = |path, line| at(&c, "NM001", path, line).message.clone();
    assert_eq!(
        m("identities/passwd.yaml", 1),
        "identity name `../../etc/passwd` is not a DNS-1123 label"
    );
    assert_eq!(
        m("identities/injection.yaml", 1),
        "identity name `a\"; permit(principal, action, resource);` is not a DNS-1123 label"
    );
    assert_eq!(
        m("identities/delegator.yaml", 7),
        "delegate name `../delegator` is not a DNS-1123 label"
    );
    assert_eq!(
        m("nhi.yaml", 3),
        "team name `Platform_Team` is not a DNS-1123 label"
    );
    assert_eq!(
        m("nhi.yaml", 6),
        "action name `DeleteEverything` is not a snake_case identifier"
    );
    for (path, example) in [
        ("identities/upper.yaml", "release-assistant"),
        ("identities/underscore.yaml", "release-assistant"),
        ("identities/spaces.yaml", "release-assistant"),
    ] {
        let d = at(&c, "NM001", path, 1);
        assert!(
            help(d).ends_with(&format!("for example `{example}`")),
            "{path}: {}",
            help(d)
        );
    }
    // the 64-character name gets no example: there is no obvious fix
    assert!(!help(at(&c, "NM001", "identities/long.yaml", 1)).contains("for example"));
}

#[test]
fn a_file_named_unlike_its_identity_is_nm002() {
    let (_t, c) = assert_places(
        "nm002-name-file-mismatch",
        &[("NM002", "identities/release-bot.yaml", 2)],
    );
    let d = only(&c, "NM002");
    assert_eq!(
        d.message,
        "identity `release-assistant` is declared in `identities/release-bot.yaml`"
    );
    assert_eq!(
        help(d),
        "name the file `release-assistant.yaml`, or change `agent` to `release-bot`"
    );
}

#[test]
fn a_name_declared_twice_is_nm003_pointing_at_the_first() {
    let (_t, c) = assert_places(
        "nm003-duplicate-name",
        &[("NM003", "identities/team-b/shared.yaml", 2)],
    );
    let d = only(&c, "NM003");
    assert_eq!(d.message, "identity `shared` is declared twice");
    assert_eq!(
        secondary(&c, d),
        (s("identities/team-a/shared.yaml"), 1, s("shared"))
    );
    // the first one (by path) is kept
    let kept = &c.model.identities["shared"];
    assert_eq!(
        c.db.display_path(kept.file),
        "identities/team-a/shared.yaml"
    );
}

#[test]
fn a_symlink_out_of_the_workspace_is_ld009() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("stolen.yaml"),
        "agent: stolen\nowner: platform-team\nauth: oidc\n",
    )
    .unwrap();
    let tmp = generated(&[("ok.yaml", OK_IDENTITY)]);
    let ids = tmp.path().join("identities");
    std::os::unix::fs::symlink(outside.path().join("stolen.yaml"), ids.join("stolen.yaml"))
        .unwrap();
    // a linked folder outside the workspace is not walked, and said so
    std::os::unix::fs::symlink(outside.path(), ids.join("elsewhere")).unwrap();
    // a link that stays inside the workspace is fine
    std::fs::write(
        tmp.path().join("inside.yaml"),
        "agent: inside\nowner: platform-team\nauth: oidc\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(tmp.path().join("inside.yaml"), ids.join("inside.yaml")).unwrap();

    let c = check_dir(tmp.path(), TODAY);
    assert_eq!(
        places(&c),
        owned(&[
            ("LD009", "identities/elsewhere", 1),
            ("LD009", "identities/stolen.yaml", 1)
        ])
    );
    assert!(
        c.diagnostics
            .iter()
            .all(|d| d.message == "symbolic link points outside the workspace")
    );
    let names: Vec<&str> = c.model.identities.keys().map(|n| n.as_str()).collect();
    assert_eq!(names, ["inside", "ok"]);
    // nothing of the outside file was read
    let stolen = c.db.find(Path::new("identities/stolen.yaml")).unwrap();
    assert_eq!(&**c.db.get(stolen).unwrap().text(), "");
}

#[test]
fn an_unreadable_file_is_ld001() {
    let tmp = generated(&[("ok.yaml", OK_IDENTITY)]);
    std::os::unix::fs::symlink(
        tmp.path().join("nowhere.yaml"),
        tmp.path().join("identities/dangling.yaml"),
    )
    .unwrap();
    let c = check_dir(tmp.path(), TODAY);
    assert_eq!(
        places(&c),
        owned(&[("LD001", "identities/dangling.yaml", 1)])
    );
    assert!(only(&c, "LD001").message.starts_with("cannot read file: "));
}

#[test]
fn paths_in_nhi_yaml_that_leave_the_workspace_are_sc007() {
    let (_t, c) = assert_places(
        "sc007-paths-leaving-the-workspace",
        &[
            ("SC007", "nhi.yaml", 1),
            ("SC007", "nhi.yaml", 3),
            ("SC007", "nhi.yaml", 4),
            ("LD001", "nhi.yaml", 5),
        ],
    );
    let got: Vec<(String, String)> = c
        .diagnostics
        .iter()
        .map(|d| (d.message.clone(), primary(&c, d).2))
        .collect();
    assert_eq!(
        got,
        [
            (s("path must stay inside the workspace"), s("../../etc")),
            (s("path must stay inside the workspace"), s("/etc/passwd")),
            (
                s("path must stay inside the workspace"),
                s("../outside.yaml")
            ),
            (
                s("included file `catalogue/missing.yaml` does not exist"),
                s("catalogue/missing.yaml")
            ),
        ]
    );
    // nothing outside was read; the default identity folder was
    let paths: Vec<String> = c.db.ids().map(|id| c.db.display_path(id)).collect();
    assert_eq!(paths, ["nhi.yaml", "identities/ok.yaml"]);
    assert!(c.model.identities.contains_key("ok"));
}

#[test]
fn an_invalid_path_in_nhi_yaml_is_reported_and_never_used() {
    let tmp = generated(&[("ok.yaml", OK_IDENTITY)]);
    std::fs::write(
        tmp.path().join("nhi.yaml"),
        "identities: ../outside\noutput: ../../escape\nteams:\n  platform-team: {}\n",
    )
    .unwrap();
    let c = check_dir(tmp.path(), TODAY);
    assert_eq!(
        places(&c),
        owned(&[("SC007", "nhi.yaml", 1), ("SC007", "nhi.yaml", 2)])
    );
    // the model describes the folders that are actually used
    assert_eq!(c.model.settings.identities_dir, Path::new("identities"));
    assert_eq!(c.model.settings.output_dir, Path::new("dist"));
}

#[test]
fn a_missing_identity_folder_is_an_error() {
    // `identities:` names a folder that is not there (a typo, a bad merge)
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("nhi.yaml"),
        "identities: agents\nteams:\n  platform-team: {}\n",
    )
    .unwrap();
    std::fs::create_dir(tmp.path().join("identities")).unwrap();
    std::fs::write(tmp.path().join("identities/ok.yaml"), OK_IDENTITY).unwrap();
    let root = load::find_root(tmp.path()).unwrap();
    let error = load::load(&root, LoadOptions::default()).unwrap_err();
    assert!(
        matches!(&error, load::LoadError::IdentityDir { path, .. } if path == "agents"),
        "{error:?}"
    );
    let out = nhi(tmp.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot read the identity folder `agents`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_file_quiet_when_read_is_let_go_and_quoted_from_the_disk_when_asked() {
    let tmp = generated(&[
        (
            "lead.yaml",
            b"agent: lead\nowner: platform-team\nauth: oidc\nallowed_actions: [read]\ndelegation:\n  may_delegate_to:\n    - agent: ghost\n      actions: [read]\n",
        ),
        ("typo.yaml", b"agent: typo\nowner: platform-team\nauth: oidc\nownr: x\n"),
        ("ok.yaml", OK_IDENTITY),
    ]);
    let c = check_dir(tmp.path(), "2026-12-01");
    let held = |name: &str| {
        let id =
            c.db.ids()
                .find(|&id| c.db.display_path(id) == format!("identities/{name}.yaml"))
                .unwrap();
        format!("{:?}", c.db.get(id).unwrap()).contains("read: true")
    };
    // a file with a problem found as it was read is held; the others were
    // let go once converted
    assert!(held("typo"));
    assert!(!held("lead") && !held("ok"));
    // a problem found later, across files, quotes its file read again
    let unknown = only(&c, "RF003");
    assert_eq!(
        primary(&c, unknown),
        (s("identities/lead.yaml"), 7, s("ghost"))
    );
    assert!(held("lead") && !held("ok"));
}

#[test]
fn more_files_than_the_budget_is_ld011() {
    let tmp = generated(&[
        ("a.yaml", b"agent: a\nowner: platform-team\nauth: oidc\n"),
        ("b.yaml", b"agent: b\nowner: platform-team\nauth: oidc\n"),
        ("c.yaml", b"agent: c\nowner: platform-team\nauth: oidc\n"),
    ]);
    let options = LoadOptions {
        files: FileBudget {
            max_files: 2,
            ..FileBudget::default()
        },
        ..LoadOptions::default()
    };
    let c = check_dir_with(tmp.path(), TODAY, options);
    assert_eq!(places(&c), owned(&[("LD011", "identities", 1)]));
    assert_eq!(
        only(&c, "LD011").message,
        "more than 2 identity files; the rest were not read"
    );
    assert_eq!(c.model.identities.len(), 2);
}

#[test]
fn an_action_defined_twice_is_nm003() {
    let (_t, c) = assert_places(
        "nm003-action-defined-twice",
        &[("NM003", "catalogue/ci.yaml", 2)],
    );
    let d = only(&c, "NM003");
    assert_eq!(d.message, "action `read_ci_status` is defined twice");
    assert_eq!(secondary(&c, d), (s("nhi.yaml"), 6, s("read_ci_status")));
    // the included catalogue counts: `trigger_build` is known
    let actions = c.model.settings.actions.as_ref().unwrap();
    assert!(actions.contains_key("trigger_build"));
}

#[test]
fn control_characters_in_delegated_actions_are_nm001_and_nothing_more() {
    // an invalid name is that, not also an action the delegator lacks
    let (_t, c) = assert_places(
        "dg001-control-characters",
        &[
            ("NM001", "identities/lead.yaml", 9),
            ("NM001", "identities/lead.yaml", 10),
        ],
    );
    // the name check shows the value tamed
    assert_eq!(
        at(&c, "NM001", "identities/lead.yaml", 9).message,
        "action name `\u{fffd}[2J\u{fffd}[Hall clear` is not a snake_case identifier"
    );
}

#[test]
fn control_characters_never_reach_the_output() {
    let (_t, c) = check("dg001-control-characters", TODAY);
    for d in &c.diagnostics {
        assert!(!d.message.contains('\u{1b}'), "{:?}", d.message);
    }
    for (format, text) in all_renderings(&c) {
        assert!(!text.contains('\u{1b}'), "{format}: {text:?}");
    }
}

// ---------------------------------------------------------------------------
// Secrets

/// Every credential written in `se001-inline-secrets`, and pieces of them.
const SECRETS: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "IOSFODNN7",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "abcdefghijklmnopqrstuvwxyz0123456789",
    "hunter2",
    "q8Zr1x0pLw3vT9k2",
    "MIIEpAIBAAKCAQEAzq8Zr1x0pLw3vT9k2",
    "xoxb-1234567890-abcdefghij",
    "1234567890-abcdefghij",
    "sk-abcdefghijklmnopqrstuvwxyz012345",
];

/// Every rendering of a check's diagnostics.
fn all_renderings(c: &Checked) -> [(&'static str, String); 4] {
    [
        ("human", human(c)),
        ("json", nhi::diag::json::render(&c.diagnostics, &c.db)),
        ("sarif", nhi::diag::sarif::render(&c.diagnostics, &c.db)),
        ("github", nhi::diag::github::render(&c.diagnostics, &c.db)),
    ]
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows `{secret}`:\n{text}");
    }
}

#[test]
fn credentials_are_se001_at_each_value() {
    let (_t, c) = assert_places(
        "se001-inline-secrets",
        &[
            ("SE001", "identities/leaky.yaml", 5),
            ("SE001", "identities/leaky.yaml", 8),
            ("SE001", "identities/leaky.yaml", 9),
            ("SE001", "identities/leaky.yaml", 10),
            ("SE001", "identities/leaky.yaml", 12),
            ("SE001", "nhi.yaml", 3),
        ],
    );
    let m = |path, line| at(&c, "SE001", path, line).message.clone();
    assert_eq!(
        m("identities/leaky.yaml", 5),
        "value looks like an AWS access key"
    );
    assert_eq!(
        m("identities/leaky.yaml", 8),
        "value looks like a GitHub token"
    );
    assert_eq!(
        m("identities/leaky.yaml", 9),
        "value looks like a URL with an embedded password"
    );
    assert_eq!(
        m("identities/leaky.yaml", 10),
        "value looks like a credential (a secret-named key with a secret-like value)"
    );
    assert_eq!(
        m("identities/leaky.yaml", 12),
        "value looks like a private key"
    );
    assert_eq!(m("nhi.yaml", 3), "value looks like a Slack token");
    // the label underlines the masked value
    let d = at(&c, "SE001", "identities/leaky.yaml", 5);
    assert_eq!(primary(&c, d).2, "*".repeat("AKIAIOSFODNN7EXAMPLE".len()));
}

#[test]
fn credentials_never_reach_any_output() {
    let (_t, c) = check("se001-inline-secrets", TODAY);
    assert_eq!(c.diagnostics.len(), 6);
    for (format, text) in all_renderings(&c) {
        assert!(text.contains("SE001"), "{format}:\n{text}");
        assert_no_secret(format, &text);
    }
    // nor the file texts kept for snippets
    for id in c.db.ids() {
        assert_no_secret("source text", c.db.get(id).unwrap().text());
    }
    // the rest of the file is shown as written
    let text = human(&c);
    assert!(text.contains("secret_ref: ****"), "{text}");
    assert!(text.contains("signing_key: |"), "{text}");
}

#[test]
fn credentials_in_the_wrong_field_are_se001_too() {
    // a token pasted as `auth`, an access key as `owner`, an API key as
    // `review_cycle`: reported as credentials, and as the wrong value
    assert_places(
        "se001-secret-in-other-field",
        &[
            ("RF002", "identities/owner.yaml", 2),
            ("SE001", "identities/owner.yaml", 2),
            ("SC004", "identities/owner.yaml", 4),
            ("SE001", "identities/owner.yaml", 4),
            ("SC004", "identities/pasted.yaml", 3),
            ("SE001", "identities/pasted.yaml", 3),
        ],
    );
}

#[test]
fn credentials_quoted_by_other_diagnostics_stay_hidden() {
    let (_t, c) = check("se001-secret-in-other-field", TODAY);
    assert_eq!(c.diagnostics.len(), 6);
    for d in &c.diagnostics {
        assert_no_secret("a message", &d.message);
        assert_no_secret("a help", help(d));
    }
    for (format, text) in all_renderings(&c) {
        assert_no_secret(format, &text);
    }
    let ws = workspace("se001-secret-in-other-field");
    for format in ["human", "json", "sarif", "github"] {
        let out = nhi(ws.path(), &["check", "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert_no_secret(format, &text(&out.stdout));
        assert_no_secret(format, &text(&out.stderr));
    }
}

// ---------------------------------------------------------------------------
// Semantic checks

#[test]
fn allowed_and_forbidden_is_ac001_with_both_places() {
    let (_t, c) = assert_places(
        "ac001-allowed-and-forbidden",
        &[("AC001", "identities/conflicted.yaml", 6)],
    );
    let d = only(&c, "AC001");
    assert_eq!(
        d.message,
        "action `deploy_production` is both allowed and forbidden"
    );
    assert_eq!(
        primary(&c, d),
        (s("identities/conflicted.yaml"), 6, s("deploy_production"))
    );
    assert_eq!(
        secondary(&c, d),
        (s("identities/conflicted.yaml"), 9, s("deploy_production"))
    );
}

#[test]
fn a_duplicate_action_is_an_ac004_warning_that_does_not_fail() {
    let (_t, c) = assert_places(
        "ac004-duplicate-action",
        &[
            ("AC004", "identities/twice.yaml", 4),
            ("AC004", "identities/twice.yaml", 7),
        ],
    );
    assert!(
        c.diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning)
    );
    assert!(!c.diagnostics.has_errors());
    let d = at(&c, "AC004", "identities/twice.yaml", 4);
    assert_eq!(
        d.message,
        "action `read_ci_status` is listed twice in `allowed_actions`"
    );
    // the repeat is underlined, the first one is the secondary label
    let (_, _, first) = secondary(&c, d);
    assert_eq!(first, "read_ci_status");
    let primary_start = d
        .labels
        .iter()
        .find(|l| l.primary)
        .unwrap()
        .loc
        .span
        .start();
    let secondary_start = d
        .labels
        .iter()
        .find(|l| !l.primary)
        .unwrap()
        .loc
        .span
        .start();
    assert!(primary_start > secondary_start);
    let d = at(&c, "AC004", "identities/twice.yaml", 7);
    assert_eq!(secondary(&c, d).1, 6);
    assert!(human(&c).ends_with("2 warnings\n"));
}

#[test]
fn an_unknown_action_is_rf001_with_a_suggestion() {
    let (_t, c) = assert_places(
        "rf001-unknown-action",
        &[
            ("RF001", "identities/typos.yaml", 4),
            ("RF001", "identities/typos.yaml", 4),
            ("RF001", "identities/typos.yaml", 5),
            ("RF001", "nhi.yaml", 13),
        ],
    );
    let got = messages_and_help(&c);
    assert_eq!(
        got,
        [
            (
                s("action `read_ci_stats` is not in the action catalogue"),
                s("did you mean `read_ci_status`?")
            ),
            (
                s("action `xyzzy` is not in the action catalogue"),
                s("declare it under `actions` in nhi.yaml or an included catalogue file")
            ),
            (
                s("action `deploy_prod` is not in the action catalogue"),
                s("did you mean `deploy_production`?")
            ),
            (
                s("action `change_permission` is not in the action catalogue"),
                s("did you mean `change_permissions`?")
            ),
        ]
    );
}

#[test]
fn mcp_servers_tools_arguments_and_values_are_checked_against_the_pinned_tool_list() {
    let (_t, c) = assert_places(
        "rf005-mcp-tools",
        &[
            ("RF006", "identities/triage.yaml", 8),
            ("RF007", "identities/triage.yaml", 10),
            ("RF007", "identities/triage.yaml", 10),
            ("RF007", "identities/triage.yaml", 10),
            ("RF007", "identities/triage.yaml", 10),
            ("AC001", "identities/triage.yaml", 11),
            ("RF006", "identities/triage.yaml", 12),
            ("RF005", "identities/triage.yaml", 13),
            ("SC009", "mcp/broken.json", 3),
            ("SC009", "mcp/broken.json", 4),
        ],
    );
    let got = messages_and_help(&c);
    let expect = |m: &str, h: &str| (s(m), s(h));
    for wanted in [
        expect(
            "MCP server `support-desk` has no tool `get_tickets`",
            "did you mean `get_ticket`?",
        ),
        expect(
            "argument `queue` of tool `update_ticket` cannot be `biling`",
            "did you mean `billing`?",
        ),
        expect(
            "argument `priority` of tool `update_ticket` cannot be `high`",
            "write an integer value",
        ),
        expect(
            "argument `tags` of tool `update_ticket` cannot be `urgent`",
            "a `where` narrows strings, numbers and booleans; this argument takes structured values",
        ),
        expect(
            "tool `update_ticket` of `support-desk` takes no argument `status`",
            "it takes no arguments a `where` can name",
        ),
        expect(
            "MCP server `support-desk` has no tool `purge`",
            "its tools are `delete_ticket`, `get_ticket`, `update_ticket`",
        ),
        expect(
            "MCP server `suport-desk` is not declared in `mcp_servers`",
            "did you mean `support-desk`?",
        ),
    ] {
        assert!(got.contains(&wanted), "{wanted:?} not in {got:#?}");
    }
    // a server without a pinned list checks no tool; the broken list's
    // readable tools still stand
    let servers = &c.model.settings.mcp_servers;
    assert!(servers["wiki"].tools.is_none());
    let broken: Vec<&str> = servers["broken"]
        .tools
        .as_ref()
        .unwrap()
        .tools
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(broken, ["fine"]);
}

#[test]
fn a_critical_action_needs_an_approval_by_a_team_of_the_workspace() {
    let (_t, c) = assert_places(
        "ac006-critical-action-ungated",
        &[
            ("RF002", "identities/deployer.yaml", 6),
            ("TG002", "identities/gated.yaml", 7),
            ("AC006", "identities/release-assistant.yaml", 7),
        ],
    );
    let got = messages_and_help(&c);
    for wanted in [
        (
            s(
                "`deploy_production` is critical, and `release-assistant` is allowed it without anyone's approval",
            ),
            s(
                "allow it as `{action: deploy_production, approval: TEAM}`: each request then needs the approval of a member of that team",
            ),
        ),
        (
            s("approving team `release-manager` is not a team of the workspace"),
            s("did you mean `release-managers`?"),
        ),
        (
            s("context key `approved_by` is reserved for approvals"),
            s(
                "write `approval: TEAM` on the allowed action instead: it requires this key, and every target that cannot check it says so",
            ),
        ),
    ] {
        assert!(got.contains(&wanted), "{wanted:?} not in {got:#?}");
    }
}

/// A `where` that leaves none of the context's values (or no value at
/// all) is AC008 at its values; one that leaves some, or narrows a key
/// the context does not set, is not.
#[test]
fn a_where_outside_the_context_holds_nowhere_and_is_ac008() {
    let (_t, c) = assert_places(
        "ac008-grant-holds-nowhere",
        &[
            ("AC008", "identities/narrowed.yaml", 6),
            ("AC008", "identities/narrowed.yaml", 7),
        ],
    );
    assert_eq!(
        messages(&c).into_iter().map(|m| m.3).collect::<Vec<_>>(),
        [
            "`read_ci_status` holds nowhere: its `where` admits no `region` that `narrowed` acts in",
            "`create_release_note` holds nowhere: its `where` admits no `environment` that `narrowed` acts in",
        ]
    );
    let places: Vec<_> = c.diagnostics.iter().map(|d| secondary(&c, d)).collect();
    assert_eq!(
        places,
        [
            (s("identities/narrowed.yaml"), 15, s("eu-west-1")),
            (s("identities/narrowed.yaml"), 14, s("staging")),
        ]
    );
}

#[test]
fn a_time_window_must_hold_at_some_time_and_count_from_an_approval() {
    let (_t, c) = assert_places(
        "ac007-time-boxed-grants",
        &[
            ("AC007", "identities/swapped.yaml", 7),
            ("SC006", "identities/swapped.yaml", 9),
            ("SC003", "identities/unapproved.yaml", 6),
            ("TG002", "identities/unapproved.yaml", 8),
        ],
    );
    let got = messages_and_help(&c);
    for wanted in [
        (
            s(
                "`read_logs` is valid from 2026-12-20T08:00:00Z until 2026-11-20T08:00:00Z: no request falls in between",
            ),
            s(
                "`valid_until` is the first instant the grant no longer holds: make it later than `valid_from`",
            ),
        ),
        (
            s("invalid time `2026-11-31T08:00:00Z`"),
            s(
                "write an instant in UTC such as `2026-12-31T17:00:00Z` (or with an offset, `+01:00`), or a date `YYYY-MM-DD` for its midnight in UTC; whole seconds only",
            ),
        ),
        (
            s("`restart_service` is valid for 1h after its approval, and has no `approval`"),
            s(
                "add `approval: TEAM`, the team whose member approves each request, or write `valid_until` for a fixed end",
            ),
        ),
        (
            s("context key `now` is reserved for time-boxed grants"),
            s(
                "`now` is the instant of the request and `approved_at` that of its approval: write `valid_from`, `valid_until` or `valid_for` on the allowed action instead",
            ),
        ),
    ] {
        assert!(got.contains(&wanted), "{wanted:?} not in {got:#?}");
    }
    // a window that does not parse holds at no time: lowering SC006 never
    // turns `restart_service` into standing access
    let swapped = &c.model.identities["swapped"];
    let grant = nhi::analyse::grant_of(swapped, "restart_service").unwrap();
    assert!(grant.terms().malformed_window);
    assert!(
        nhi::analyse::conditions(swapped, grant)
            .iter()
            .any(nhi::analyse::Check::is_unsatisfiable)
    );
    // offsets and dates are instants too
    let incident = &c.model.identities["incident-agent"];
    let restart = nhi::analyse::grant_of(incident, "restart_service").unwrap();
    assert_eq!(
        restart
            .terms()
            .valid_until
            .as_ref()
            .map(|t| nhi::model::time_text(t.value)),
        Some(s("2026-12-20T08:00:00Z"))
    );
    assert_eq!(
        nhi::model::parse_time("2026-12-20T09:00:00+01:00").map(nhi::model::time_text),
        Some(s("2026-12-20T08:00:00Z"))
    );
    assert_eq!(
        nhi::model::parse_time("2026-12-20").map(nhi::model::time_text),
        Some(s("2026-12-20T00:00:00Z"))
    );
    assert_eq!(nhi::model::parse_time("2026-12-20T08:00:00.5Z"), None);
}

#[test]
fn an_unknown_owner_team_is_rf002_with_a_suggestion() {
    let (_t, c) = assert_places(
        "rf002-unknown-team",
        &[("RF002", "identities/orphan.yaml", 2)],
    );
    let d = only(&c, "RF002");
    assert_eq!(
        d.message,
        "owner `platfrom-team` is not a team of the workspace"
    );
    assert_eq!(help(d), "did you mean `platform-team`?");
    assert_eq!(primary(&c, d).2, "platfrom-team");
}

#[test]
fn names_cedar_cannot_take_are_tg001() {
    let (_t, c) = assert_places(
        "tg001-invalid-cedar-names",
        &[
            ("TG001", "nhi.yaml", 3),
            ("TG001", "nhi.yaml", 6),
            ("TG001", "nhi.yaml", 8),
        ],
    );
    let ns = at(&c, "TG001", "nhi.yaml", 3);
    assert_eq!(ns.message, "`Acme::in` is not a Cedar namespace");
    assert_eq!(primary(&c, ns).2, "\"Acme::in\"");
    let reserved = at(&c, "TG001", "nhi.yaml", 6);
    assert_eq!(
        reserved.message,
        "resource type `Pipeline` is a name nhi's Cedar schema uses itself"
    );
    assert!(help(reserved).starts_with("rename it (for example `CiPipeline`)"));
    let spaced = at(&c, "TG001", "nhi.yaml", 8);
    assert_eq!(
        spaced.message,
        "resource type `Log Stream` is not a Cedar type name"
    );
}

#[test]
fn context_keys_of_delegation_are_tg002() {
    let (_t, c) = assert_places(
        "tg002-reserved-context-key",
        &[
            ("TG002", "identities/refunder.yaml", 7),
            ("TG002", "identities/refunder.yaml", 12),
        ],
    );
    let d = at(&c, "TG002", "identities/refunder.yaml", 7);
    assert_eq!(
        d.message,
        "context key `delegator` is reserved for delegation"
    );
    assert_eq!(primary(&c, d).2, "support-triage");
}

#[test]
fn a_used_action_without_a_mapping_for_a_rendered_cloud_is_tg003() {
    let (_t, c) = assert_places("tg003-unmapped-action", &[("TG003", "nhi.yaml", 5)]);
    let d = only(&c, "TG003");
    assert_eq!(
        d.message,
        "action `read_logs` has no mapping for Google Cloud"
    );
    assert_eq!(primary(&c, d).2, "read_logs");
    assert_eq!(d.severity, Severity::Warning);
}

#[test]
fn permissions_the_clouds_do_not_have_are_tg004_with_suggestions() {
    let (_t, c) = assert_places(
        "tg004-unknown-permission",
        &[
            ("TG004", "nhi.yaml", 4),
            ("TG004", "nhi.yaml", 4),
            ("TG004", "nhi.yaml", 5),
            ("TG004", "nhi.yaml", 7),
            ("TG004", "nhi.yaml", 9),
            ("TG004", "nhi.yaml", 9),
            ("TG004", "nhi.yaml", 11),
            ("TG004", "nhi.yaml", 16),
            ("TG004", "nhi.yaml", 16),
            ("TG004", "nhi.yaml", 20),
        ],
    );
    let got = messages_and_help(&c);
    for (message, help) in [
        (
            "AWS has no action `s3:GetObjekt`",
            "did you mean `s3:GetObject`?",
        ),
        ("AWS has no service of `s4:GetObject`", "did you mean `s3`?"),
        (
            "`StringEqualz` is not an IAM condition operator",
            "did you mean `StringEquals`?",
        ),
        (
            "`bucket/*` is not an ARN",
            "write `arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE` (wildcards allowed), or `*`",
        ),
        (
            "`storage.objects` is not a Google Cloud IAM permission",
            "write it as `service.resource.verb`, such as `cloudbuild.builds.get`",
        ),
        (
            "`storage.objects.*` is a wildcard: Google Cloud custom roles take exact permissions",
            "list each permission, such as `storage.objects.get`",
        ),
        (
            "`artifactregistry/Repository` is not a Google Cloud resource type",
            "write it as IAM Conditions name it, such as `artifactregistry.googleapis.com/Repository`",
        ),
        (
            "`repositories/{repo}` is not a resource name template: it must hold `{name}` exactly once",
            "write the full name, such as `projects/{project}/locations/europe-west1/repositories/{name}`",
        ),
        (
            "`names: repository` does not say which Google Cloud resources it names",
            "add `resource: {type: SERVICE.googleapis.com/Type, name: \"projects/{project}/…/{name}\"}`",
        ),
    ] {
        assert!(got.contains(&(s(message), s(help))), "{message}: {got:?}");
    }
    let op = at(&c, "TG004", "nhi.yaml", 7);
    assert_eq!(primary(&c, op).2, "StringEqualz");
}

#[test]
fn wildcards_without_a_reason_are_tg005_warnings() {
    let (_t, c) = assert_places(
        "tg005-wildcard-permission",
        &[
            ("TG005", "nhi.yaml", 3),
            ("TG005", "nhi.yaml", 5),
            ("TG005", "nhi.yaml", 12),
        ],
    );
    let star = at(&c, "TG005", "nhi.yaml", 3);
    assert!(
        star.message
            .starts_with("`s3:*` of action `manage_buckets` grants ")
            && star
                .message
                .ends_with(" AWS actions by wildcard, up to Permissions management access"),
        "{}",
        star.message
    );
    assert!(help(star).contains("OWASP NHI5"));
    assert_eq!(
        at(&c, "TG005", "nhi.yaml", 5).message,
        "the AWS mapping of `read_anything` names no `resources`: it applies to every resource"
    );
    assert!(
        c.diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning)
    );
}

#[test]
fn an_allowed_permission_that_a_forbidden_action_covers_is_ac005() {
    let (_t, c) = assert_places(
        "ac005-permission-overlap",
        &[
            ("AC005", "identities/reporter.yaml", 4),
            ("AC005", "identities/reporter.yaml", 4),
            ("TG013", "nhi.yaml", 22),
        ],
    );
    let got: Vec<String> = c.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert_eq!(
        got,
        [
            "allowed action `read_reports` grants `s3:GetObject` on `arn:aws:s3:::reports/*` in AWS, which forbidden action `read_payroll` covers",
            "allowed action `restart_site` grants `Microsoft.Web/sites/restart/action` in Azure, which forbidden action `manage_sites` covers",
            // the guardrail, which Azure leaves out of the role but cannot deny
            "Azure cannot deny: the guardrails are left out of every role nhi assigns, and another role assigned to a managed identity would still grant them",
        ]
    );
    // the same permission on a disjoint resource is no overlap
    assert!(!got.iter().any(|m| m.contains("read_archive")));
    let guard = &c.diagnostics.as_slice()[1];
    assert_eq!(secondary(&c, guard), (s("nhi.yaml"), 22, s("manage_sites")));
}

#[test]
fn an_identity_a_cloud_cannot_federate_is_tg006() {
    let (_t, c) = assert_places(
        "tg006-unbound-identity",
        &[
            ("TG006", "identities/certificate.yaml", 3),
            ("TG006", "identities/no-subject.yaml", 5),
            ("TG006", "identities/unregistered.yaml", 5),
        ],
    );
    assert_eq!(
        messages_and_help(&c),
        [
            (
                s(
                    "`certificate` authenticates by certificate, and the AWS target names no IAM Roles Anywhere trust anchor"
                ),
                s(
                    "set `targets.aws.roles_anywhere_trust_anchor`, or let nhi render one (`manage: [roles_anywhere]`)"
                ),
            ),
            (
                s(
                    "`no-subject` names an OIDC issuer but no subject: a cloud trusting it would trust every token the issuer signs"
                ),
                s("set `auth.subject` to the one workload it is for"),
            ),
            (
                s(
                    "OIDC issuer `https://gitlab.com` of `unregistered` is not registered with the AWS account"
                ),
                s(
                    "add it to `targets.aws.oidc_providers` (the account's IAM OIDC identity providers)"
                ),
            ),
        ]
    );
}

#[test]
fn a_target_the_workspace_does_not_configure_is_tg008() {
    let (_t, c) = assert_places(
        "tg008-unconfigured-target",
        &[
            ("TG008", "identities/reporter.yaml", 9),
            ("TG008", "nhi.yaml", 7),
        ],
    );
    assert_eq!(
        messages_and_help(&c),
        [
            (
                s("the workspace configures no `gcp` target"),
                s("add its settings under `targets.gcp` in nhi.yaml, or remove it from the list"),
            ),
            (
                s("the workspace configures no `azure` target"),
                s("add its settings under `targets.azure` in nhi.yaml, or remove it from the list"),
            ),
        ]
    );
    assert!(
        c.diagnostics.has_errors(),
        "an unconfigured target is an error"
    );
}

#[test]
fn where_an_identity_runs_is_said_or_implied_and_checked() {
    let (_t, c) = assert_places(
        "tg009-tg010-where-identities-run",
        &[
            ("TG010", "identities/deployer.yaml", 10),
            ("TG010", "identities/nowhere-in-cluster.yaml", 5),
            ("TG010", "identities/pipeline.yaml", 10),
            ("TG009", "identities/unplaced-pipeline.yaml", 3),
            ("TG009", "identities/unplaced.yaml", 2),
        ],
    );
    let messages: Vec<String> = messages_and_help(&c).into_iter().map(|(m, _)| m).collect();
    assert_eq!(
        messages,
        [
            "`deployer` is not rendered into the cluster: it is a CI pipeline, which cannot use a Kubernetes service account",
            "`nowhere-in-cluster` is not rendered into the cluster: no namespace is known for it",
            "`pipeline` is not rendered into the cluster: it is a CI pipeline, which cannot use a Kubernetes service account",
            // a pipeline never needs the cluster
            "`unplaced-pipeline` runs in no cloud: its actions mean something in AWS, but nothing says where it runs",
            "`unplaced` runs in no cloud: its actions mean something in AWS and Kubernetes, but nothing says where it runs",
        ]
    );
    // the pipeline listed for the cluster is reported at the list's item
    let pipeline = at(&c, "TG010", "identities/pipeline.yaml", 10);
    assert_eq!(
        primary(&c, pipeline),
        (s("identities/pipeline.yaml"), 10, s("kubernetes"))
    );
    // a pipeline that names namespaces: at its first Kubernetes action
    let deployer = at(&c, "TG010", "identities/deployer.yaml", 10);
    assert_eq!(
        primary(&c, deployer),
        (s("identities/deployer.yaml"), 10, s("read_logs"))
    );
    // said nowhere (`targets: []`), needing nothing, placed by its
    // audience or its service account, or listed without the cluster: quiet
    assert!(!c.diagnostics.has_errors());
}

#[test]
fn target_settings_and_the_names_clouds_derive_are_checked() {
    let (_t, c) = assert_places(
        "sc007-target-settings",
        &[
            ("TG001", "identities/ab.yaml", 1),
            (
                "TG001",
                "identities/invoice-reconciliation-nightly-b.yaml",
                1,
            ),
            ("SC007", "nhi.yaml", 3),
            ("SC007", "nhi.yaml", 4),
            ("SC007", "nhi.yaml", 5),
            ("SC007", "nhi.yaml", 7),
            ("SC007", "nhi.yaml", 8),
            ("SC003", "nhi.yaml", 11),
            ("SC007", "nhi.yaml", 11),
            ("SC007", "nhi.yaml", 14),
        ],
    );
    let got: Vec<String> = c.diagnostics.iter().map(|d| d.message.clone()).collect();
    for message in [
        "`ab` is too short to name an Azure managed identity",
        "`invoice-reconciliation-nightly-b` and `invoice-reconciliation-nightly-a` both become `invoice-reconciliation-nightly` in Google Cloud",
        "`12345` is not an AWS account id",
        "`http://token.actions.githubusercontent.com` is not an OIDC issuer URL",
        "`not-a-guid` is not an Azure id",
        "the Azure target needs `resource_group` and `location` to create managed identities",
    ] {
        assert!(got.iter().any(|m| m == message), "{message}: {got:?}");
    }
}

#[test]
fn rbac_that_escalates_or_grants_by_wildcard_is_flagged() {
    let (_t, c) = assert_places(
        "tg007-rbac-escalation",
        &[
            ("AC005", "identities/operator.yaml", 4),
            ("TG001", "identities/operator.yaml", 7),
            ("TG007", "nhi.yaml", 7),
            ("TG007", "nhi.yaml", 7),
            ("TG007", "nhi.yaml", 11),
            ("TG005", "nhi.yaml", 15),
        ],
    );
    let got: Vec<String> = c.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert_eq!(
        got,
        [
            "allowed action `read_pods` grants `get, list` on `pods` in Kubernetes, which forbidden action `read_pod_logs` covers",
            "namespace `Batch_Jobs` is not a Kubernetes namespace name",
            "allowed action `manage_roles` can `bind`: an identity holding it can grant itself more than its role",
            "allowed action `manage_roles` can `escalate`: an identity holding it can grant itself more than its role",
            "allowed action `act_as_anyone` can `impersonate`: an identity holding it can grant itself more than its role",
            "a Kubernetes rule of allowed action `operate_everything` grants `*` by wildcard",
        ]
    );
    let escalate = &c.diagnostics.as_slice()[3];
    assert_eq!(primary(&c, escalate).2, "escalate");
    assert!(help(escalate).contains("OWASP NHI5"));
    // a mapping no identity is allowed is no risk, however wide
    assert!(!got.iter().any(|m| m.contains("never_used")));
}

#[test]
fn an_unknown_delegate_is_rf003_but_a_broken_file_is_not_reported_twice() {
    let (_t, c) = assert_places(
        "rf003-unknown-delegate",
        &[
            ("LD003", "identities/broken.yaml", 2),
            ("RF003", "identities/lead.yaml", 7),
        ],
    );
    let d = only(&c, "RF003");
    assert_eq!(
        d.message,
        "delegate `helpr` is not an identity of the workspace"
    );
    assert_eq!(help(d), "did you mean `helper`?");
}

#[test]
fn accountable_must_name_a_person_rf004() {
    let (_t, c) = assert_places(
        "rf004-accountable-not-human",
        &[
            ("RF004", "identities/by-team-email.yaml", 4),
            ("RF004", "identities/by-team-name.yaml", 4),
            ("RF004", "nhi.yaml", 4),
        ],
    );
    let d = at(&c, "RF004", "identities/by-team-name.yaml", 4);
    assert_eq!(
        d.message,
        "`accountable` `platform-team` does not name a human"
    );
    no_secondary(d);
    let d = at(&c, "RF004", "identities/by-team-email.yaml", 4);
    assert_eq!(
        d.message,
        "`accountable` names the address of team `platform-team`, not a person"
    );
    assert_eq!(
        secondary(&c, d),
        (s("nhi.yaml"), 3, s("platform@example.com"))
    );
    assert_eq!(
        at(&c, "RF004", "nhi.yaml", 4).message,
        "team member `platform-team` does not name a human"
    );
}

#[test]
fn a_guardrail_forbidden_action_allowed_is_ac002_pointing_at_nhi_yaml() {
    let (_t, c) = assert_places(
        "ac002-guardrail-action-allowed",
        &[("AC002", "identities/admin.yaml", 4)],
    );
    let d = only(&c, "AC002");
    assert_eq!(
        d.message,
        "action `change_permissions` is forbidden by an organisation guardrail"
    );
    assert_eq!(primary(&c, d).2, "change_permissions");
    assert_eq!(
        secondary(&c, d),
        (s("nhi.yaml"), 13, s("change_permissions"))
    );
    // the human output shows nhi.yaml too
    let text = human(&c);
    assert!(text.contains("nhi.yaml:13:"), "{text}");
}

#[test]
fn an_auth_method_outside_the_guardrails_is_ac003() {
    let (_t, c) = assert_places(
        "ac003-auth-method-not-allowed",
        &[
            ("AC003", "identities/certified.yaml", 4),
            ("AC003", "identities/keyed.yaml", 3),
        ],
    );
    let d = at(&c, "AC003", "identities/keyed.yaml", 3);
    assert_eq!(
        d.message,
        "auth method `api_key` is not allowed by the guardrails"
    );
    assert_eq!(help(d), "use one of `oidc`, `spiffe`");
    assert_eq!(secondary(&c, d), (s("nhi.yaml"), 14, s("oidc")));
    let d = at(&c, "AC003", "identities/certified.yaml", 4);
    assert_eq!(
        d.message,
        "auth method `mtls` is not allowed by the guardrails"
    );
    assert_eq!(primary(&c, d).2, "mtls");
}

#[test]
fn delegating_more_than_one_holds_is_dg001() {
    let (_t, c) = assert_places(
        "dg001-delegation-widens",
        &[("DG001", "identities/lead.yaml", 10)],
    );
    let d = only(&c, "DG001");
    assert_eq!(
        d.message,
        "`lead` delegates `create_release_note`, which it is not allowed itself"
    );
    assert_eq!(primary(&c, d).2, "create_release_note");
}

#[test]
fn delegating_a_forbidden_action_is_dg002_naming_who_forbids_it() {
    let (_t, c) = assert_places(
        "dg002-delegation-of-forbidden",
        &[
            ("DG002", "identities/lead.yaml", 10),
            ("DG002", "identities/lead.yaml", 11),
            ("DG002", "identities/lead.yaml", 12),
        ],
    );
    let cases = [
        (10, "deploy_production", ("identities/lead.yaml", 5)),
        (11, "export_customer_data", ("identities/helper.yaml", 4)),
        (12, "change_permissions", ("nhi.yaml", 13)),
    ];
    for (line, action, (path, forbidden_line)) in cases {
        let d = at(&c, "DG002", "identities/lead.yaml", line);
        assert_eq!(
            d.message,
            format!("`lead` delegates forbidden action `{action}` to `helper`")
        );
        assert_eq!(secondary(&c, d), (s(path), forbidden_line, s(action)));
    }
}

#[test]
fn a_delegation_outlasting_the_delegators_token_is_dg003() {
    let (_t, c) = assert_places(
        "dg003-delegation-ttl-longer",
        &[
            ("DG003", "identities/helper.yaml", 14),
            ("DG003", "identities/lead.yaml", 9),
        ],
    );
    let d = at(&c, "DG003", "identities/lead.yaml", 9);
    assert_eq!(
        d.message,
        "delegation to `helper` lasts 2h, longer than `lead`'s own token (1h)"
    );
    // `oidc_short_lived_token` stands for a one-hour token
    assert_eq!(
        secondary(&c, d),
        (s("identities/lead.yaml"), 3, s("oidc_short_lived_token"))
    );
    let d = at(&c, "DG003", "identities/helper.yaml", 14);
    assert_eq!(
        d.message,
        "delegation to `slow` lasts 16m, longer than `helper`'s own token (15m)"
    );
    assert_eq!(secondary(&c, d), (s("identities/helper.yaml"), 5, s("15m")));
}

#[test]
fn a_cycle_of_two_is_dg004_reported_once() {
    let (_t, c) = assert_places("dg004-cycle-of-two", &[("DG004", "identities/b.yaml", 7)]);
    assert_eq!(only(&c, "DG004").message, "delegation cycle: a → b → a");
}

#[test]
fn a_cycle_of_three_is_dg004_reported_once() {
    let (_t, c) = assert_places("dg004-cycle-of-three", &[("DG004", "identities/c.yaml", 7)]);
    assert_eq!(only(&c, "DG004").message, "delegation cycle: a → b → c → a");
}

#[test]
fn a_chain_deeper_than_the_guardrail_is_dg005() {
    let (_t, c) = assert_places("dg005-chain-too-deep", &[("DG005", "identities/c.yaml", 7)]);
    assert_eq!(
        only(&c, "DG005").message,
        "delegation chain a → b → c → d is 3 hops deep, more than 2"
    );
}

#[test]
fn passing_on_a_grant_of_max_depth_0_is_dg005() {
    let (_t, c) = assert_places("dg005-max-depth-zero", &[("DG005", "identities/b.yaml", 7)]);
    let d = only(&c, "DG005");
    assert_eq!(
        d.message,
        "`b` passes on `read_ci_status` received from `a` beyond its `max_depth` of 0"
    );
    assert_eq!(secondary(&c, d), (s("identities/a.yaml"), 9, s("0")));
}

#[test]
fn delegating_to_oneself_is_dg006_and_nothing_else() {
    let (_t, c) = assert_places(
        "dg006-self-delegation",
        &[("DG006", "identities/narcissus.yaml", 7)],
    );
    assert_eq!(only(&c, "DG006").message, "`narcissus` delegates to itself");
}

#[test]
fn invalid_durations_are_sc005_and_dates_sc006() {
    let (_t, c) = assert_places(
        "sc005-sc006-durations-and-dates",
        &[
            ("SC005", "identities/timing.yaml", 6),
            ("SC005", "identities/timing.yaml", 7),
            ("SC006", "identities/timing.yaml", 8),
            ("SC006", "identities/timing.yaml", 9),
            ("SC005", "identities/timing.yaml", 15),
            ("SC005", "nhi.yaml", 16),
        ],
    );
    let got: Vec<String> = c.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert_eq!(
        got,
        [
            "invalid duration `soon`",
            "invalid duration `3 months`",
            "invalid date `2026-02-30`",
            "invalid date `31/12/2026`",
            "invalid duration `0s`",
            "invalid duration `a fortnight`",
        ]
    );
}

#[test]
fn a_value_outside_its_choices_is_sc004_with_a_suggestion() {
    let (_t, c) = assert_places(
        "sc004-unknown-value",
        &[
            ("SC004", "identities/shorthand.yaml", 3),
            ("SC004", "identities/values.yaml", 3),
            ("SC004", "identities/values.yaml", 5),
            ("SC004", "identities/values.yaml", 6),
        ],
    );
    let got = messages_and_help(&c);
    assert_eq!(
        got,
        [
            (
                s("unknown auth shorthand `oidc_short_lived`"),
                s("did you mean `oidc_short_lived_token`?")
            ),
            (
                s("unknown identity type `workload-identity`"),
                s("did you mean `workload_identity`?")
            ),
            (
                s("unknown review cycle `quartrly`"),
                s("did you mean `quarterly`?")
            ),
            (
                s("unknown risk tier `extreme`"),
                s("risk tier is one of `low`, `medium`, `high`")
            ),
        ]
    );
}

#[test]
fn a_review_after_today_is_sc007() {
    let (_t, c) = assert_places(
        "sc007-reviewed-in-future",
        &[("SC007", "identities/future.yaml", 5)],
    );
    assert_eq!(
        only(&c, "SC007").message,
        "last review date 2027-01-15 is after today (2026-06-01)"
    );
    // the same files checked on the day of the review are fine
    assert_eq!(run("sc007-reviewed-in-future", "2027-01-15"), []);
    // the day before, it is still in the future
    assert_eq!(
        run("sc007-reviewed-in-future", "2027-01-14"),
        owned(&[("SC007", "identities/future.yaml", 5)])
    );
}

#[test]
fn an_unknown_code_in_lints_is_sc008() {
    let (_t, c) = assert_places(
        "sc008-unknown-lint-code",
        &[
            ("SC008", "nhi.yaml", 17),
            ("SC008", "nhi.yaml", 18),
            ("SC004", "nhi.yaml", 19),
        ],
    );
    let d = at(&c, "SC008", "nhi.yaml", 17);
    assert_eq!(d.message, "unknown diagnostic code `AC04`");
    assert_eq!(help(d), "did you mean `AC004`?");
    assert_eq!(
        at(&c, "SC008", "nhi.yaml", 18).message,
        "unknown diagnostic code `NHI2`"
    );
    assert_eq!(
        at(&c, "SC004", "nhi.yaml", 19).message,
        "unknown lint level `loud`"
    );
}

#[test]
fn lints_change_severities_and_turn_codes_off() {
    let (_t, c) = assert_places(
        "lints-overrides",
        &[
            ("SE001", "identities/leaky.yaml", 5),
            ("RF002", "identities/stray.yaml", 2),
            ("AC004", "identities/twice.yaml", 4),
            ("SC007", "nhi.yaml", 18),
        ],
    );
    // AC004: error
    assert_eq!(only(&c, "AC004").severity, Severity::Error);
    assert!(c.diagnostics.has_errors());
    // unknown-team: info (by name)
    assert_eq!(only(&c, "RF002").severity, Severity::Info);
    // SE001 cannot be turned off: it stays an error, and the value masked
    assert_eq!(only(&c, "SE001").severity, Severity::Error);
    assert_eq!(
        only(&c, "SC007").message,
        "`SE001` cannot be turned down: a credential in the workspace is always an error"
    );
    let leaky = c.db.find(Path::new("identities/leaky.yaml")).unwrap();
    assert!(
        !c.db
            .get(leaky)
            .unwrap()
            .text()
            .contains("AKIAIOSFODNN7EXAMPLE")
    );
    assert!(human(&c).ends_with("3 errors, 1 note\n"), "{}", human(&c));
}

#[test]
fn the_seed_example_checks_clean_without_nhi_yaml() {
    let template = include_str!("../src/cli/templates/release-assistant.yaml");
    let seed =
        std::fs::read_to_string(fixtures().join("seed-only/identities/release-assistant.yaml"))
            .unwrap();
    assert_eq!(seed, template, "the seed example is kept verbatim");
    assert!(seed.starts_with("# Example: identity model for an internal release agent\n"));

    let tmp = workspace("seed-only");
    // no nhi.yaml above the temporary folder either
    assert_eq!(
        load::find_root(tmp.path()).unwrap(),
        tmp.path().canonicalize().unwrap()
    );
    let (_t, c) = assert_places("seed-only", &[]);
    let names: Vec<&str> = c.model.identities.keys().map(|n| n.as_str()).collect();
    assert_eq!(names, ["release-assistant"]);
    let identity = &c.model.identities["release-assistant"];
    assert_eq!(identity.allowed.len(), 3);
    assert_eq!(identity.forbidden.len(), 3);
    assert_eq!(human(&c), "no problems found\n");
}

// ---------------------------------------------------------------------------
// Coverage and determinism

/// Every fixture of this file.
const FIXTURES: &[&str] = &[
    "ac006-critical-action-ungated",
    "ac007-time-boxed-grants",
    "ac008-grant-holds-nowhere",
    "rf005-mcp-tools",
    "ac001-allowed-and-forbidden",
    "ac002-guardrail-action-allowed",
    "ac003-auth-method-not-allowed",
    "ac004-duplicate-action",
    "dg001-control-characters",
    "dg001-delegation-widens",
    "dg002-delegation-of-forbidden",
    "dg003-delegation-ttl-longer",
    "dg004-cycle-of-three",
    "dg004-cycle-of-two",
    "dg005-chain-too-deep",
    "dg005-max-depth-zero",
    "dg006-self-delegation",
    "ld003-yaml-syntax",
    "ld004-multiple-documents",
    "ld005-empty-and-comments",
    "ld006-yaml-tags",
    "ld007-alias-bomb",
    "ld010-duplicate-key",
    "lints-overrides",
    "nm001-invalid-names",
    "nm002-name-file-mismatch",
    "nm003-action-defined-twice",
    "nm003-duplicate-name",
    "rf001-unknown-action",
    "rf002-unknown-team",
    "rf003-unknown-delegate",
    "rf004-accountable-not-human",
    "sc001-unknown-field",
    "sc001-unknown-field-elsewhere",
    "sc002-wrong-type",
    "sc003-missing-field",
    "sc004-unknown-value",
    "sc005-sc006-durations-and-dates",
    "sc007-paths-leaving-the-workspace",
    "sc007-reviewed-in-future",
    "sc008-unknown-lint-code",
    "se001-inline-secrets",
    "se001-secret-in-other-field",
    "seed-only",
    "tg001-invalid-cedar-names",
    "tg002-reserved-context-key",
    "tg003-unmapped-action",
    "tg004-unknown-permission",
    "tg005-wildcard-permission",
    "ac005-permission-overlap",
    "tg006-unbound-identity",
    "sc007-target-settings",
    "tg007-rbac-escalation",
    "tg008-unconfigured-target",
    "tg009-tg010-where-identities-run",
];

/// Codes asserted by the tests that write their input at run time, by
/// the decision test suite (`tests/cedar.rs`: `nhi test` reports them) and
/// by the proofs' tests (`tests/prove.rs`: `nhi check --prove` reports
/// them).
const GENERATED_CODES: &[&str] = &[
    "LD001", "LD002", "LD007", "LD008", "LD009", "LD011", "DT001", "DT002", "PF001", "PF002",
    "PF003", "PF004",
];

#[test]
fn every_code_has_a_case() {
    use strum::IntoEnumIterator;
    let mut covered: BTreeSet<String> = GENERATED_CODES.iter().map(|c| s(c)).collect();
    // the lint rules: each rule's documented examples (tests/rules.rs) and
    // tests/lints.rs (the lint rules that are errors, which an identity
    // may not suppress, included)
    covered.extend(
        Code::iter()
            .filter(|c| {
                is_lint(*c)
                    || matches!(
                        c,
                        Code::TtlTooLong
                            | Code::WildcardSubject
                            | Code::NoRegionInTarget
                            | Code::ConditionTooLarge
                    )
            })
            .map(|c| s(c.as_str())),
    );
    for fixture in FIXTURES {
        let expected = std::fs::read_to_string(fixtures().join(fixture).join("expected")).unwrap();
        covered.extend(
            expected
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .map(str::to_owned),
        );
    }
    let all: BTreeSet<String> = Code::iter().map(|c| s(c.as_str())).collect();
    let missing: Vec<&String> = all.difference(&covered).collect();
    assert!(missing.is_empty(), "codes without a case: {missing:?}");
    let unknown: Vec<&String> = covered.difference(&all).collect();
    assert!(
        unknown.is_empty(),
        "cases for codes that do not exist: {unknown:?}"
    );
}

#[test]
fn output_does_not_depend_on_the_folder_or_the_creation_order() {
    for fixture in FIXTURES {
        let (_first_dir, first) = check(fixture, TODAY);
        // another absolute path, deeper, with every file created in reverse order
        let other = tempfile::tempdir().unwrap();
        let second_dir = other.path().join("a/much/deeper/copy");
        copy_dir(&fixtures().join(fixture), &second_dir, true);
        let second = check_dir(&second_dir, TODAY);
        assert_eq!(messages(&first), messages(&second), "{fixture}");
        assert_eq!(human(&first), human(&second), "{fixture}");
        // `nhi check`'s own entry point agrees, started in a subfolder
        // when there is an nhi.yaml above it to find
        let start = if second_dir.join("nhi.yaml").is_file() {
            second_dir.join("identities")
        } else {
            second_dir.clone()
        };
        let cx = nhi::cli::Context {
            start,
            today: date(TODAY),
            now: nhi::model::parse_time(TODAY).unwrap(),
            cache: false,
            style: Style {
                color: false,
                width: 100,
            },
            stdout_color: false,
        };
        let (_, mut third) = nhi::cli::check_workspace(&cx).unwrap();
        third.diagnostics.retain(|d| !is_lint(d.code));
        assert_eq!(messages(&first), messages(&third), "{fixture}");
        assert_eq!(first.db.len(), third.db.len(), "{fixture}: same files read");
    }
}

// ---------------------------------------------------------------------------
// Rendered output

#[test]
fn snapshot_unknown_field() {
    insta::assert_snapshot!("unknown-field", render("sc001-unknown-field", TODAY));
}

#[test]
fn snapshot_allowed_and_forbidden() {
    insta::assert_snapshot!(
        "allowed-and-forbidden",
        render("ac001-allowed-and-forbidden", TODAY)
    );
}

#[test]
fn snapshot_yaml_syntax_error() {
    insta::assert_snapshot!("yaml-syntax", render("ld003-yaml-syntax", TODAY));
}

#[test]
fn snapshot_inline_secret() {
    let text = render("se001-inline-secrets", TODAY);
    assert_no_secret("human", &text);
    insta::assert_snapshot!("inline-secret", text);
}

// ---------------------------------------------------------------------------
// The binary end to end

/// Run the binary in `dir`, on [`TODAY`] unless `args` say otherwise.
fn nhi(dir: &Path, args: &[&str]) -> Output {
    let today: &[&str] = if args.contains(&"--today") {
        &[]
    } else {
        &["--today", TODAY]
    };
    Command::new(env!("CARGO_BIN_EXE_nhi"))
        .current_dir(dir)
        .arg("-C")
        .arg(dir)
        .args(today)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("NHI_TODAY")
        .output()
        .expect("nhi runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

#[test]
fn binary_exit_codes() {
    // the seed checks with warnings only: what it does not yet say
    let seed = workspace("seed-only");
    let out = nhi(seed.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.ends_with("\n3 warnings\n"), "{stderr}");
    for code in ["OWN001", "OWN002", "LC002"] {
        assert!(stderr.contains(code), "{code}: {stderr}");
    }
    assert!(out.stdout.is_empty());

    let bad = workspace("ac001-allowed-and-forbidden");
    let out = nhi(bad.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));

    // warnings alone do not fail, unless `lints` makes them errors
    let warned = workspace("ac004-duplicate-action");
    assert_eq!(nhi(warned.path(), &["check"]).status.code(), Some(0));
    let raised = workspace("lints-overrides");
    assert_eq!(nhi(raised.path(), &["check"]).status.code(), Some(1));

    let out = Command::new(env!("CARGO_BIN_EXE_nhi"))
        .args(["-C", "/nonexistent", "check"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("/nonexistent"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn binary_writes_machine_formats_to_stdout_and_human_to_stderr() {
    let bad = workspace("ac001-allowed-and-forbidden");

    let out = nhi(bad.path(), &["check"]);
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("AC001"), "{stderr}");
    assert!(
        stderr.contains("identities/conflicted.yaml:6:5"),
        "{stderr}"
    );
    // NO_COLOR: no escape sequences
    assert!(!stderr.contains('\u{1b}'), "{stderr}");

    let out = nhi(bad.path(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<&serde_json::Value> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{json}");
    assert_eq!(errors[0]["code"], "AC001");
    assert_eq!(errors[0]["file"], "identities/conflicted.yaml");
    assert_eq!(errors[0]["line"], 6);

    for format in ["sarif", "github"] {
        let out = nhi(bad.path(), &["check", "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(out.stderr.is_empty(), "{format}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("AC001"), "{format}");
    }
}

#[test]
fn binary_never_prints_credentials() {
    let ws = workspace("se001-inline-secrets");
    for format in ["human", "json", "sarif", "github"] {
        let out = nhi(ws.path(), &["check", "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let output = text(&out.stdout) + &text(&out.stderr);
        assert!(output.contains("SE001"), "{format}: {output}");
        assert_no_secret(format, &output);
    }
}

#[test]
fn binary_takes_today_from_the_flag_or_the_environment() {
    let ws = workspace("sc007-reviewed-in-future");
    assert_eq!(nhi(ws.path(), &["check"]).status.code(), Some(1));
    assert_eq!(
        nhi(ws.path(), &["check", "--today", "2027-01-15"])
            .status
            .code(),
        Some(0)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_nhi"))
        .arg("-C")
        .arg(ws.path())
        .arg("check")
        .env("NO_COLOR", "1")
        .env("NHI_TODAY", "2027-01-15")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
