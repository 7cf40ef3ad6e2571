//! What the fuzz targets share: a fuzz input as the files of a workspace,
//! loading and checking it in memory as of a fixed day, and reading back
//! every file a build renders as what it claims to be.
//!
//! An input holds files one after another, each introduced by a line
//! `#@@ PATH`; text before the first such line is `identities/fuzz.yaml`.
//! A line `#@@@` ends one workspace and starts the next (for `diff`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use nhi::check::{self, Checked};
use nhi::load::LoadOptions;
use nhi::load::source::Memory;
use nhi::model::Date;
use nhi::render::Artifacts;

/// The day every input is checked as of.
pub fn today() -> Date {
    nhi::model::parse_date("2026-11-22").expect("a date")
}

/// The files of one workspace.
pub type Files = BTreeMap<PathBuf, Vec<u8>>;

/// The workspaces an input holds (one, or several split by `#@@@`).
pub fn workspaces(data: &[u8]) -> Vec<Files> {
    let mut out = vec![Files::new()];
    let mut path = PathBuf::from("identities/fuzz.yaml");
    let mut body: Vec<u8> = Vec::new();
    let flush = |out: &mut Vec<Files>, path: &PathBuf, body: &mut Vec<u8>| {
        if let Some(files) = out.last_mut() {
            files.entry(path.clone()).or_default().append(body);
        }
    };
    for line in data.split_inclusive(|&b| b == b'\n') {
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        if text == b"#@@@" {
            flush(&mut out, &path, &mut body);
            out.push(Files::new());
            path = PathBuf::from("identities/fuzz.yaml");
        } else if let Some(name) = text.strip_prefix(b"#@@ ") {
            flush(&mut out, &path, &mut body);
            path = PathBuf::from(String::from_utf8_lossy(name).into_owned());
        } else {
            body.extend_from_slice(line);
        }
    }
    flush(&mut out, &path, &mut body);
    out
}

/// Load and check a workspace of these files, as `nhi check` does; `None`
/// when it cannot be loaded at all (no identity folder).
pub fn checked(files: Files) -> Option<Checked> {
    let source = Memory::new(PathBuf::from("fuzz"), files);
    check::source(&source, LoadOptions::default(), today()).ok()
}

/// Every diagnostic format, as the commands print them.
pub fn report(c: &Checked) {
    let style = nhi::diag::human::Style {
        color: true,
        width: 100,
    };
    let _ = nhi::diag::human::render(&c.diagnostics, &c.db, style);
    let json = nhi::diag::json::render(&c.diagnostics, &c.db);
    serde_json::from_str::<serde_json::Value>(&json).expect("the JSON report parses");
    let sarif = nhi::diag::sarif::render(&c.diagnostics, &c.db);
    serde_json::from_str::<serde_json::Value>(&sarif).expect("the SARIF report parses");
    let _ = nhi::diag::github::render(&c.diagnostics, &c.db);
}

/// Render every target of a clean workspace; `None` when it has errors.
pub fn built(c: &Checked) -> Option<Artifacts> {
    if c.diagnostics.has_errors() {
        return None;
    }
    let options = nhi::render::Options {
        repo_prefix: String::new(),
    };
    Some(nhi::render::render(&c.model, &c.analysis, &c.db, &options).expect("a clean workspace renders"))
}

/// Read every rendered file back as what its name says it is: JSON, YAML,
/// Cedar policies or schema. A file that does not parse is a crash.
pub fn parse_back(artifacts: &Artifacts) {
    for a in artifacts.iter() {
        let text = std::str::from_utf8(&a.bytes).expect("rendered text is UTF-8");
        let path = a.path.as_str();
        if path.ends_with(".json") {
            serde_json::from_str::<serde_json::Value>(text)
                .unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
        } else if path.ends_with(".yaml") {
            serde_saphyr::from_multiple::<serde_json::Value>(text)
                .unwrap_or_else(|e| panic!("{path} is not YAML: {e}"));
        } else if path.ends_with(".cedar") {
            cedar_policy::PolicySet::from_str(text)
                .unwrap_or_else(|e| panic!("{path} is not Cedar: {e}"));
        } else if path.ends_with(".cedarschema") {
            let (_schema, _warnings) = cedar_policy::Schema::from_cedarschema_str(text)
                .unwrap_or_else(|e| panic!("{path} is not a Cedar schema: {e:?}"));
        }
    }
}
