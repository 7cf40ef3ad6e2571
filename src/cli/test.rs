//! `nhi test`: run the workspace's decision tests against the rendered
//! policies.

use std::io::Write;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::authorize::Authorizer;
use crate::cedar;
use crate::decisions;
use crate::load::{self, LoadOptions};

use super::{CliError, Context, ExitStatus, Io, clean_workspace, show_diagnostics};

/// Arguments of `nhi test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Output format: human text on stderr, or JSON on stdout
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
}

/// Formats of `nhi test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// Each failure at its place, then a summary (stderr).
    Human,
    /// One JSON document (stdout).
    Json,
}

#[derive(Debug, Serialize)]
struct Summary<'a> {
    version: u32,
    passed: usize,
    failed: usize,
    tests: Vec<TestView<'a>>,
    /// Why no test ran, when none could.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The JSON summary of a run in which no test could run.
fn none_ran(error: String, io: &mut Io<'_>) -> Result<(), CliError> {
    let summary = Summary {
        version: 1,
        passed: 0,
        failed: 0,
        tests: Vec::new(),
        error: Some(error),
    };
    let mut text = serde_json::to_string_pretty(&summary).unwrap_or_default();
    text.push('\n');
    io.stdout.write_all(text.as_bytes())?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct TestView<'a> {
    name: &'a str,
    file: String,
    line: usize,
    principal: &'a str,
    action: &'a str,
    expected: &'static str,
    actual: Option<&'static str>,
    policies: Vec<&'a str>,
    passed: bool,
}

/// Run `nhi test`: exit 1 when any test fails.
///
/// # Errors
///
/// When the workspace cannot be loaded or its rendering fails.
pub fn run(args: &TestArgs, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let json = args.format == TestFormat::Json;
    // a machine reading stdout gets a document saying why, not nothing
    let clean = match clean_workspace(cx, io, false) {
        Err(CliError::Load(e)) if json => {
            none_ran(e.to_string(), io)?;
            return Err(CliError::Load(e));
        }
        other => other?,
    };
    let Some((root, mut checked)) = clean else {
        writeln!(io.stderr, "no tests run: fix the errors above first")?;
        if json {
            none_ran("the workspace has errors (see stderr)".to_owned(), io)?;
        }
        return Ok(ExitStatus::Findings);
    };
    let dir = checked.model.settings.tests_dir.clone();
    let mut loaded = load::decisions(&root, &dir, &mut checked.db, LoadOptions::default())?;
    loaded.diagnostics.apply_overrides(&checked.overrides);
    let rendering = cedar::render(&checked.model, &checked.analysis, &checked.db)?;
    let authorizer = Authorizer::new(&checked.model, &rendering)?;
    let report = decisions::run(&checked.model, &rendering, &authorizer, &loaded.files);
    // a file that cannot be read counts as one failure
    let unreadable = loaded.diagnostics.count(crate::diag::Severity::Error);
    let failed = report.failed() + unreadable;
    let mut diagnostics = loaded.diagnostics;
    diagnostics.extend(report.diagnostics.clone());
    diagnostics.scrub(&checked.db);
    diagnostics.sort(&checked.db);
    match args.format {
        TestFormat::Human => {
            if !diagnostics.is_empty() {
                show_diagnostics(&diagnostics, &checked.db, cx, io)?;
            }
            if report.outcomes.is_empty() && diagnostics.is_empty() {
                writeln!(
                    io.stderr,
                    "no decision tests in {}/ (write them as YAML files there)",
                    dir.display()
                )?;
            }
            writeln!(io.stderr, "{} passed, {failed} failed", report.passed())?;
        }
        TestFormat::Json => {
            let summary = summary(&report, &checked.db, failed);
            let mut text = serde_json::to_string_pretty(&summary).unwrap_or_default();
            text.push('\n');
            io.stdout.write_all(checked.db.mask(&text).as_bytes())?;
            if unreadable > 0 {
                show_diagnostics(&diagnostics, &checked.db, cx, io)?;
            }
        }
    }
    Ok(if failed == 0 {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}

fn summary<'a>(
    report: &'a decisions::Report<'a, '_>,
    db: &crate::source::SourceDb,
    failed: usize,
) -> Summary<'a> {
    let tests = report
        .outcomes
        .iter()
        .map(|o| {
            let t = &o.test.value;
            TestView {
                name: &o.name,
                file: db.display_path(o.file),
                line: db.line_col(o.test.loc).line,
                principal: &t.principal.value,
                action: &t.action.value,
                expected: decisions::expected(t.expect.value).as_str(),
                actual: o.answer.as_ref().map(|a| a.decision.as_str()),
                policies: o
                    .answer
                    .iter()
                    .flat_map(|a| a.deciders.iter().map(|d| d.policy.id.as_str()))
                    .collect(),
                passed: o.passed,
            }
        })
        .collect();
    Summary {
        version: 1,
        passed: report.passed(),
        failed,
        tests,
        error: None,
    }
}
