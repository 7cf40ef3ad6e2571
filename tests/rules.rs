//! The rule documentation: one Markdown file per diagnostic code,
//! `docs/rules/<CODE>.md`, which `nhi explain CODE` prints. Every code of
//! the registry has one, in the fixed format, and its examples run: each
//! `## Bad` workspace reports the code at the file and line it names, each
//! `## Good` workspace reports neither the code nor any error. An example
//! is the base workspace `docs/rules/base/` with the example's files added
//! (a `file=nhi.yaml` block replaces the base one).
//!
//! The format, which this file parses strictly:
//!
//! ````text
//! # AC001 allowed-and-forbidden
//!
//! What the code reports and why it matters (one or two paragraphs).
//!
//! ## Bad
//!
//! ```yaml file=identities/release-assistant.yaml line=7
//! …
//! ```
//!
//! ## Good
//!
//! ```yaml file=identities/release-assistant.yaml
//! …
//! ```
//!
//! ## Fix
//!
//! How to fix it (one paragraph).
//! ````
//!
//! Exactly one block of `## Bad` carries `line=N`, the 1-based line of its
//! file where the code is reported. Codes whose input cannot be written as
//! a text file are [`ILLUSTRATED`]: their examples are ```` ```text ````
//! blocks, and another test writes their input at run time.

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

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use nhi::diag::Code;
use serde_json::Value;
use strum::IntoEnumIterator;
use support::{nhi, repo, text};

/// Codes whose input cannot be a text file of an example (bytes that are
/// not UTF-8, a file over the size budget, a symbolic link, more files
/// than the count budget, a rendering broken on purpose or a solver that
/// gives up, for the `--prove` codes), each with the test under `tests/` that writes
/// that input at run time and asserts the code: `(code, test file, test
/// function)`. `LD001` is not among them: an `include` of a missing file
/// shows it.
const ILLUSTRATED: &[(&str, &str, &str)] = &[
    (
        "LD002",
        "check.rs",
        "non_utf8_bytes_are_ld002_at_the_first_bad_byte",
    ),
    (
        "LD008",
        "check.rs",
        "a_64_mib_scalar_is_ld008_and_is_not_read_in_full",
    ),
    (
        "LD009",
        "check.rs",
        "a_symlink_out_of_the_workspace_is_ld009",
    ),
    ("LD011", "check.rs", "more_files_than_the_budget_is_ld011"),
    (
        "PF001",
        "prove.rs",
        "a_rendering_that_loses_a_forbid_is_pf001_with_the_request",
    ),
    (
        "PF002",
        "prove.rs",
        "a_policy_that_can_error_is_refuted_by_never_errors",
    ),
    (
        "PF003",
        "prove.rs",
        "a_delegation_that_loses_its_delegators_environment_is_pf003",
    ),
    (
        "PF004",
        "prove.rs",
        "an_undecided_query_is_pf004_never_proven",
    ),
];

fn rules_dir() -> PathBuf {
    repo().join("docs/rules")
}

fn is_illustrated(code: Code) -> bool {
    ILLUSTRATED.iter().any(|(c, _, _)| *c == code.as_str())
}

/// Codes that `nhi test` reports rather than `nhi check`.
fn is_decision_code(code: Code) -> bool {
    code.as_str().starts_with("DT")
}

// ---------------------------------------------------------------------------
// The format

/// One fenced block of an example.
#[derive(Debug)]
enum Block {
    /// A file of the example's workspace.
    File {
        path: String,
        line: Option<usize>,
        body: String,
    },
    /// An illustration, not run.
    Text,
}

/// A parsed `docs/rules/<CODE>.md`.
#[derive(Debug)]
struct RuleDoc {
    bad: Vec<Block>,
    good: Vec<Block>,
}

/// Paragraphs (runs of non-blank lines) of prose.
fn paragraphs(lines: &[&str]) -> usize {
    lines
        .split(|l| l.trim().is_empty())
        .filter(|p| !p.is_empty())
        .count()
}

fn parse_info(info: &str) -> Result<Block, String> {
    let mut words = info.split_whitespace();
    match words.next() {
        Some("text") if words.next().is_none() => Ok(Block::Text),
        Some("yaml" | "json") => {
            let (mut path, mut line) = (None, None);
            for word in words {
                match word.split_once('=') {
                    Some(("file", p)) if path.is_none() && !p.is_empty() => {
                        path = Some(p.to_owned());
                    }
                    Some(("line", n)) if line.is_none() => {
                        let n: usize = n
                            .parse()
                            .map_err(|_| format!("`line={n}` is not a line number"))?;
                        line = Some(n);
                    }
                    _ => return Err(format!("unexpected `{word}` in ```{info}")),
                }
            }
            let path = path.ok_or_else(|| format!("```{info} names no `file=`"))?;
            let safe = Path::new(&path)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
            if !safe {
                return Err(format!(
                    "`file={path}` must be a relative path inside the workspace"
                ));
            }
            Ok(Block::File {
                path,
                line,
                body: String::new(),
            })
        }
        _ => Err(format!(
            "a block must be ```yaml file=PATH [line=N], ```json file=PATH [line=N] or ```text, not ```{info}"
        )),
    }
}

/// Parse a rule document, checking its title and sections.
fn parse(code: Code, markdown: &str) -> Result<RuleDoc, String> {
    let lines: Vec<&str> = markdown.lines().collect();
    let title = format!("# {} {}", code.as_str(), code.name());
    if lines.first() != Some(&title.as_str()) {
        return Err(format!(
            "the first line must be `{title}`, not `{}`",
            lines.first().unwrap_or(&"")
        ));
    }
    // the prose of each part: explanation, Bad, Good, Fix
    let mut prose: [Vec<&str>; 4] = Default::default();
    let mut blocks: [Vec<Block>; 4] = Default::default();
    let mut headings = Vec::new();
    let mut part = 0;
    let mut open: Option<Block> = None;
    for (number, line) in lines.iter().enumerate().skip(1) {
        let at = |m: String| format!("line {}: {m}", number + 1);
        if let Some(block) = open.as_mut() {
            if line.trim_end() == "```" {
                blocks[part].push(open.take().unwrap());
            } else if let Block::File { body, .. } = block {
                body.push_str(line);
                body.push('\n');
            }
            continue;
        }
        if let Some(info) = line.strip_prefix("```") {
            if part == 0 || part == 3 {
                return Err(at("code blocks belong under `## Bad` and `## Good`".into()));
            }
            open = Some(parse_info(info.trim()).map_err(at)?);
        } else if let Some(heading) = line.strip_prefix("## ") {
            headings.push(heading.trim_end().to_owned());
            part = match heading.trim_end() {
                "Bad" if part == 0 => 1,
                "Good" if part == 1 => 2,
                "Fix" if part == 2 => 3,
                other => {
                    return Err(at(format!(
                        "unexpected section `## {other}`: the sections are `## Bad`, `## Good`, `## Fix`, in that order"
                    )));
                }
            };
        } else if line.starts_with('#') {
            return Err(at(format!("unexpected heading `{line}`")));
        } else {
            prose[part].push(line);
        }
    }
    if open.is_some() {
        return Err("a code block is not closed".into());
    }
    if headings != ["Bad", "Good", "Fix"] {
        return Err(format!(
            "the sections must be `## Bad`, `## Good`, `## Fix`; found {headings:?}"
        ));
    }
    if !(1..=2).contains(&paragraphs(&prose[0])) {
        return Err("the explanation must be one or two paragraphs".into());
    }
    if paragraphs(&prose[3]) != 1 {
        return Err("`## Fix` must be one paragraph".into());
    }
    let [_, bad, good, _] = blocks;
    Ok(RuleDoc { bad, good })
}

/// The files of a section.
fn files(blocks: &[Block]) -> Vec<(&str, &str)> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::File { path, body, .. } => Some((path.as_str(), body.as_str())),
            Block::Text => None,
        })
        .collect()
}

/// The `(file, line)` a Bad example must be reported at.
fn marked(blocks: &[Block]) -> Vec<(&str, usize)> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::File {
                path,
                line: Some(n),
                ..
            } => Some((path.as_str(), *n)),
            _ => None,
        })
        .collect()
}

/// Check what the format requires of a document's examples.
fn check_examples(code: Code, doc: &RuleDoc) -> Result<(), String> {
    if !marked(&doc.good).is_empty() {
        return Err("`line=` belongs in `## Bad` only".into());
    }
    for (section, blocks) in [("Bad", &doc.bad), ("Good", &doc.good)] {
        if blocks.is_empty() {
            return Err(format!("`## {section}` has no example"));
        }
        let paths: Vec<&str> = files(blocks).iter().map(|(p, _)| *p).collect();
        let unique: BTreeSet<&str> = paths.iter().copied().collect();
        if unique.len() != paths.len() {
            return Err(format!("`## {section}` writes a file twice: {paths:?}"));
        }
    }
    let marks = marked(&doc.bad);
    if is_illustrated(code) {
        if !marks.is_empty() {
            return Err("an illustrated-only code has no `line=` in `## Bad`".into());
        }
        return Ok(());
    }
    let [(path, line)] = marks[..] else {
        return Err(format!(
            "exactly one block of `## Bad` carries `line=N`; found {}",
            marks.len()
        ));
    };
    if files(&doc.good).is_empty() {
        return Err("`## Good` has no ```yaml file=… block to run".into());
    }
    let (_, body) = files(&doc.bad)
        .into_iter()
        .find(|(p, _)| *p == path)
        .unwrap();
    if line == 0 || line > body.lines().count() {
        return Err(format!(
            "`line={line}` is outside `{path}` ({} lines)",
            body.lines().count()
        ));
    }
    Ok(())
}

/// Read and parse the document of `code`.
fn document(code: Code) -> Result<RuleDoc, String> {
    let path = rules_dir().join(format!("{}.md", code.as_str()));
    let markdown = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let doc = parse(code, &markdown)?;
    check_examples(code, &doc)?;
    Ok(doc)
}

// ---------------------------------------------------------------------------
// Running an example

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The base workspace with the section's files written into it.
fn build(blocks: &[Block]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&rules_dir().join("base"), tmp.path());
    for (path, body) in files(blocks) {
        let path = tmp.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    tmp
}

/// A diagnostic as a run reports it.
#[derive(Debug, PartialEq, Eq)]
struct Found {
    code: String,
    file: String,
    line: usize,
    severity: String,
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}:{}",
            self.code, self.severity, self.file, self.line
        )
    }
}

fn list(found: &[Found]) -> String {
    if found.is_empty() {
        return "no diagnostics".into();
    }
    found.iter().fold(String::new(), |mut s, f| {
        let _ = write!(s, "\n    {f}");
        s
    })
}

/// What `nhi check --format json` reports.
fn check(dir: &Path) -> Result<Vec<Found>, String> {
    let out = nhi(dir, &["check", "--format", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "`nhi check --format json` printed no JSON ({e}), exit {:?}:\n{}",
            out.status.code(),
            text(&out.stderr)
        )
    })?;
    Ok(json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| Found {
            code: d["code"].as_str().unwrap().to_owned(),
            file: d["file"].as_str().unwrap_or("").to_owned(),
            line: d["line"]
                .as_u64()
                .map_or(0, |l| usize::try_from(l).unwrap()),
            severity: d["severity"].as_str().unwrap().to_owned(),
        })
        .collect())
}

/// What `nhi test` reports: the summary of `--format json`, and the coded
/// diagnostics of the human format, which alone carries them (each is its
/// code on a line of its own, then its message, then a snippet headed by
/// `╭─[file:line:column]`).
fn decision_tests(dir: &Path) -> (Value, Vec<Found>) {
    let out = nhi(dir, &["test", "--format", "json"]);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "`nhi test --format json` printed no JSON ({e}):\n{}",
            text(&out.stderr)
        )
    });
    let out = nhi(dir, &["test"]);
    let mut found = Vec::new();
    let mut pending: Option<String> = None;
    for line in text(&out.stderr).lines() {
        let trimmed = line.trim();
        if Code::iter().any(|c| c.as_str() == trimmed) {
            pending = Some(trimmed.to_owned());
        } else if let (Some(code), Some((_, rest))) = (&pending, line.split_once("╭─[")) {
            let place = rest.trim_end().trim_end_matches(']');
            let mut parts = place.rsplitn(3, ':');
            let (_column, line, file) = (parts.next(), parts.next(), parts.next());
            found.push(Found {
                code: code.clone(),
                file: file.unwrap_or("").to_owned(),
                line: line.and_then(|l| l.parse().ok()).unwrap_or(0),
                // `nhi test` counts every finding as a failed test
                severity: "error".into(),
            });
            pending = None;
        }
    }
    (summary, found)
}

/// Whether the decision test around `line` of `file` failed.
fn failed_at(summary: &Value, file: &str, line: usize) -> bool {
    summary["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["file"] == file && t["line"].as_u64().is_some_and(|l| l <= line as u64))
        .max_by_key(|t| t["line"].as_u64())
        .is_some_and(|t| t["passed"] == false)
}

/// Run a Bad example: the code must be reported at its mark.
fn run_bad(code: Code, doc: &RuleDoc) -> Result<(), String> {
    let [(file, line)] = marked(&doc.bad)[..] else {
        return Err("exactly one block of `## Bad` carries `line=N`".into());
    };
    let tmp = build(&doc.bad);
    let found = if is_decision_code(code) {
        let checked = check(tmp.path())?;
        if checked.iter().any(|f| f.severity == "error") {
            return Err(format!(
                "`nhi check` must be clean for `nhi test` to run:{}",
                list(&checked)
            ));
        }
        let (summary, found) = decision_tests(tmp.path());
        if !failed_at(&summary, file, line) {
            return Err(format!(
                "no failing decision test at {file}:{line}; `nhi test --format json` says:\n{summary:#}"
            ));
        }
        found
    } else {
        check(tmp.path())?
    };
    if found
        .iter()
        .any(|f| f.code == code.as_str() && f.file == file && f.line == line)
    {
        Ok(())
    } else {
        Err(format!(
            "Bad: expected {code} at {file}:{line}; reported:{}",
            list(&found)
        ))
    }
}

/// Run a Good example: neither the code nor any error.
fn run_good(code: Code, doc: &RuleDoc) -> Result<(), String> {
    let tmp = build(&doc.good);
    let mut found = check(tmp.path())?;
    if is_decision_code(code) && !found.iter().any(|f| f.severity == "error") {
        let (summary, from_tests) = decision_tests(tmp.path());
        if summary["failed"] != 0 {
            return Err(format!(
                "Good: decision tests fail; `nhi test --format json` says:\n{summary:#}"
            ));
        }
        found.extend(from_tests);
    }
    if found
        .iter()
        .any(|f| f.code == code.as_str() || f.severity == "error")
    {
        Err(format!(
            "Good: expected no {code} and no error; reported:{}",
            list(&found)
        ))
    } else {
        Ok(())
    }
}

/// Every code's result, failing once with all the problems.
fn for_every_code(what: &str, mut test: impl FnMut(Code) -> Result<(), String>) {
    let problems: Vec<String> = Code::iter()
        .filter_map(|code| {
            test(code).err().map(|e| {
                format!(
                    "docs/rules/{}.md: {}",
                    code.as_str(),
                    e.replace('\n', "\n  ")
                )
            })
        })
        .collect();
    assert!(problems.is_empty(), "{what}:\n{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------
// The tests

#[test]
fn every_code_has_a_document_in_the_format() {
    for_every_code("rule documents missing or malformed", |code| {
        document(code).map(drop)
    });
}

#[test]
fn every_bad_example_reports_its_code_at_its_line() {
    for_every_code("Bad examples", |code| {
        if is_illustrated(code) {
            return Ok(());
        }
        run_bad(code, &document(code)?)
    });
}

#[test]
fn every_good_example_is_clean() {
    for_every_code("Good examples", |code| {
        let doc = document(code)?;
        if is_illustrated(code) && files(&doc.good).is_empty() {
            return Ok(());
        }
        run_good(code, &doc)
    });
}

#[test]
fn no_document_for_a_code_that_does_not_exist() {
    let codes: BTreeSet<&str> = Code::iter().map(Code::as_str).collect();
    let mut strays = Vec::new();
    for entry in std::fs::read_dir(rules_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if !codes.contains(stem.as_str()) {
                strays.push(stem);
            }
        }
    }
    assert!(
        strays.is_empty(),
        "documents for codes that do not exist: {strays:?}"
    );
}

#[test]
fn illustrated_codes_exist_and_name_the_test_that_covers_them() {
    for (code, file, test) in ILLUSTRATED {
        assert!(
            Code::iter().any(|c| c.as_str() == *code),
            "{code} is not a code"
        );
        let source = std::fs::read_to_string(repo().join("tests").join(file)).unwrap();
        let at = source
            .find(&format!("fn {test}()"))
            .unwrap_or_else(|| panic!("{code}: no `fn {test}()` in tests/{file}"));
        let before = source[..at].trim_end();
        assert!(
            before.ends_with("#[test]"),
            "{code}: tests/{file} `{test}` is not a #[test]"
        );
        assert!(
            source[at..].contains(code),
            "{code}: tests/{file} `{test}` does not assert {code}"
        );
    }
}

#[test]
fn the_format_is_parsed_strictly() {
    let code = Code::AllowedAndForbidden;
    let good = "# AC001 allowed-and-forbidden\n\nWhy.\n\n## Bad\n\n```yaml file=identities/a.yaml line=1\nagent: a\n```\n\n## Good\n\n```yaml file=identities/a.yaml\nagent: a\n```\n\n## Fix\n\nHow.\n";
    let doc = parse(code, good).unwrap();
    check_examples(code, &doc).unwrap();
    assert_eq!(marked(&doc.bad), [("identities/a.yaml", 1)]);
    assert_eq!(files(&doc.good), [("identities/a.yaml", "agent: a\n")]);
    for (wrong, why) in [
        (good.replace("AC001 allowed", "AC001 allow"), "first line"),
        (good.replace("## Good", "## Better"), "unexpected section"),
        (good.replace("## Fix\n\nHow.\n", ""), "sections must be"),
        (good.replace("Why.\n", ""), "explanation"),
        (
            good.replace("yaml file=identities/a.yaml line=1", "yaml"),
            "names no `file=`",
        ),
        (
            good.replace("a.yaml line=1", "a.yaml line=x"),
            "not a line number",
        ),
        (
            good.replace("identities/a.yaml line=1", "../a.yaml line=1"),
            "relative path",
        ),
        (
            good.replace("```yaml file=identities/a.yaml\n", "```toml\n"),
            "a block must be",
        ),
    ] {
        let err = parse(code, &wrong)
            .and_then(|d| check_examples(code, &d))
            .unwrap_err();
        assert!(err.contains(why), "{why}: {err}");
    }
    for (wrong, why) in [
        (good.replace(" line=1", ""), "exactly one block"),
        (good.replace("line=1", "line=2"), "outside"),
        (
            good.replace("a.yaml\nagent", "a.yaml line=1\nagent"),
            "in `## Bad` only",
        ),
    ] {
        let doc = parse(code, &wrong).unwrap();
        let err = check_examples(code, &doc).unwrap_err();
        assert!(err.contains(why), "{why}: {err}");
    }
}
