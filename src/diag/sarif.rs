//! The `sarif` format: SARIF 2.1.0 for code-scanning services, with
//! workspace-relative locations under the `%SRCROOT%` base.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diag::{Code, Diagnostic, Diagnostics, Severity};
use crate::source::{Loc, SourceDb};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const BASE: &str = "%SRCROOT%";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    /// Columns count characters, as in every other format.
    column_kind: &'static str,
    original_uri_base_ids: BTreeMap<&'static str, BaseId>,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct BaseId {
    description: Text,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

const fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn location(loc: Loc, db: &SourceDb, id: Option<usize>, message: Option<&str>) -> Location {
    let start = db.line_col(loc);
    let end = db.end_line_col(loc);
    Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: db.display_path(loc.file),
                uri_base_id: BASE,
            },
            region: Region {
                start_line: start.line,
                start_column: start.column,
                end_line: end.line,
                // SARIF end columns are exclusive
                end_column: end.column.saturating_add(usize::from(!loc.span.is_empty())),
            },
        },
        message: message.map(|m| Text { text: m.to_owned() }),
    }
}

fn result(d: &Diagnostic, rule_index: usize, db: &SourceDb) -> SarifResult {
    let mut text = d.message.clone();
    if let Some(help) = &d.help {
        text.push('\n');
        text.push_str(help);
    }
    let primary = d.labels.iter().find(|l| l.primary);
    SarifResult {
        rule_id: d.code.as_str(),
        rule_index,
        level: level(d.severity),
        message: Text { text },
        locations: primary
            .map(|l| location(l.loc, db, None, l.message.as_deref()))
            .into_iter()
            .collect(),
        related_locations: d
            .labels
            .iter()
            .filter(|l| !l.primary)
            .enumerate()
            .map(|(i, l)| location(l.loc, db, Some(i), l.message.as_deref()))
            .collect(),
    }
}

/// Render diagnostics as a SARIF 2.1.0 log.
#[must_use]
pub fn render(diagnostics: &Diagnostics, db: &SourceDb) -> String {
    let mut codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
    codes.sort();
    codes.dedup();
    let rules = codes
        .iter()
        .map(|c| Rule {
            id: c.as_str(),
            name: c.name(),
            short_description: Text {
                text: c.summary().to_owned(),
            },
            default_configuration: Configuration {
                level: level(c.default_severity()),
            },
        })
        .collect();
    let results = diagnostics
        .iter()
        .map(|d| result(d, codes.binary_search(&d.code).unwrap_or(0), db))
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "nhi",
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            column_kind: "unicodeCodePoints",
            original_uri_base_ids: BTreeMap::from([(
                BASE,
                BaseId {
                    description: Text {
                        text: "the workspace root".to_owned(),
                    },
                },
            )]),
            results,
        }],
    };
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::test_support::sample;

    #[test]
    fn sarif_has_rules_results_and_relative_locations() {
        let (diagnostics, db) = sample();
        let value: serde_json::Value = serde_json::from_str(&render(&diagnostics, &db)).unwrap();
        assert_eq!(value["version"], "2.1.0");
        let run = &value["runs"][0];
        let rules: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(rules, ["AC001", "AC004"]);
        let first = &run["results"][0];
        assert_eq!(first["ruleId"], "AC001");
        assert_eq!(first["ruleIndex"], 0);
        assert_eq!(first["level"], "error");
        let physical = &first["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "identities/a.yaml");
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(physical["region"]["startColumn"], 19);
        assert_eq!(physical["region"]["endColumn"], 30);
        assert_eq!(
            first["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
            4
        );
        assert_eq!(run["results"][1]["ruleIndex"], 1);
        assert_eq!(run["results"][1]["level"], "warning");
        assert!(!render(&diagnostics, &db).contains("file://"));
    }

    #[test]
    fn sarif_log_shape() {
        let (diagnostics, db) = sample();
        // the driver's version changes with every release
        let driver =
            |version: &str| format!("\"name\": \"nhi\",\n          \"version\": \"{version}\"");
        let out = render(&diagnostics, &db)
            .replace(&driver(env!("CARGO_PKG_VERSION")), &driver("[version]"));
        assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok());
        assert!(out.contains(r#""uri": "identities/a.yaml""#));
        assert!(!out.contains("file:") && !out.contains(r#""uri": "/"#));
        // the whole log, in snapshots/ beside this file
        insta::assert_snapshot!("sarif_log_shape", out);
    }
}
