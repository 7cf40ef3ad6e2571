//! The `json` format: one versioned document with every diagnostic.

use serde::Serialize;

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::source::{Loc, SourceDb};

/// The version of this document's shape; bumped on any breaking change.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    summary: Summary,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    infos: usize,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
    #[serde(flatten)]
    place: Option<Place>,
    labels: Vec<JsonLabel<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    notes: &'a [String],
}

#[derive(Serialize)]
struct Place {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

impl Place {
    fn new(loc: Loc, db: &SourceDb) -> Self {
        let start = db.line_col(loc);
        let end = db.end_line_col(loc);
        Self {
            file: db.display_path(loc.file),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
        }
    }
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    #[serde(flatten)]
    place: Place,
    /// `null` when the label only marks the span.
    message: Option<&'a str>,
    primary: bool,
}

fn diagnostic<'a>(d: &'a Diagnostic, db: &SourceDb) -> JsonDiagnostic<'a> {
    JsonDiagnostic {
        code: d.code.as_str(),
        name: d.code.name(),
        severity: d.severity.as_str(),
        message: &d.message,
        place: d.primary_loc().map(|loc| Place::new(loc, db)),
        labels: d
            .labels
            .iter()
            .map(|l| JsonLabel {
                place: Place::new(l.loc, db),
                message: l.message.as_deref(),
                primary: l.primary,
            })
            .collect(),
        help: d.help.as_deref(),
        notes: &d.notes,
    }
}

/// Render diagnostics as one pretty-printed JSON document.
#[must_use]
pub fn render(diagnostics: &Diagnostics, db: &SourceDb) -> String {
    let document = Document {
        version: VERSION,
        summary: Summary {
            errors: diagnostics.count(Severity::Error),
            warnings: diagnostics.count(Severity::Warning),
            infos: diagnostics.count(Severity::Info),
        },
        diagnostics: diagnostics.iter().map(|d| diagnostic(d, db)).collect(),
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;
    use crate::diag::test_support::sample;

    #[test]
    fn json_carries_code_place_labels_and_help() {
        let (diagnostics, db) = sample();
        let value: serde_json::Value = serde_json::from_str(&render(&diagnostics, &db)).unwrap();
        assert_eq!(value["version"], 1);
        assert_eq!(value["summary"]["errors"], 1);
        assert_eq!(value["summary"]["warnings"], 1);
        let first = &value["diagnostics"][0];
        assert_eq!(first["code"], "AC001");
        assert_eq!(first["name"], "allowed-and-forbidden");
        assert_eq!(first["file"], "identities/a.yaml");
        assert_eq!(
            (first["line"].as_u64(), first["column"].as_u64()),
            (Some(3), Some(19))
        );
        assert_eq!(first["end_column"], 29);
        assert_eq!(first["labels"][1]["line"], 4);
        assert_eq!(first["labels"][1]["primary"], false);
        assert_eq!(first["help"], "remove it");
        assert!(value["diagnostics"][1].get("help").is_none());
    }

    #[test]
    fn json_document_shape() {
        let (diagnostics, db) = sample();
        insta::assert_snapshot!(render(&diagnostics, &db), @r#"
        {
          "version": 1,
          "summary": {
            "errors": 1,
            "warnings": 1,
            "infos": 0
          },
          "diagnostics": [
            {
              "code": "AC001",
              "name": "allowed-and-forbidden",
              "severity": "error",
              "message": "action `deploy_prod` is both allowed and forbidden",
              "file": "identities/a.yaml",
              "line": 3,
              "column": 19,
              "end_line": 3,
              "end_column": 29,
              "labels": [
                {
                  "file": "identities/a.yaml",
                  "line": 3,
                  "column": 19,
                  "end_line": 3,
                  "end_column": 29,
                  "message": "allowed here",
                  "primary": true
                },
                {
                  "file": "identities/a.yaml",
                  "line": 4,
                  "column": 21,
                  "end_line": 4,
                  "end_column": 31,
                  "message": "forbidden here",
                  "primary": false
                }
              ],
              "help": "remove it"
            },
            {
              "code": "AC004",
              "name": "duplicate-action",
              "severity": "warning",
              "message": "100% sure, twice: here",
              "file": "identities/a.yaml",
              "line": 3,
              "column": 32,
              "end_line": 3,
              "end_column": 42,
              "labels": [
                {
                  "file": "identities/a.yaml",
                  "line": 3,
                  "column": 32,
                  "end_line": 3,
                  "end_column": 42,
                  "message": "listed again",
                  "primary": true
                }
              ]
            }
          ]
        }
        "#);
    }

    #[test]
    fn json_without_a_location_has_no_place() {
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(Diagnostic::new(Code::TooManyFiles, "too many files").note("a note"));
        insta::assert_snapshot!(render(&diagnostics, &SourceDb::new()), @r#"
        {
          "version": 1,
          "summary": {
            "errors": 1,
            "warnings": 0,
            "infos": 0
          },
          "diagnostics": [
            {
              "code": "LD011",
              "name": "too-many-files",
              "severity": "error",
              "message": "too many files",
              "labels": [],
              "notes": [
                "a note"
              ]
            }
          ]
        }
        "#);
    }
}
