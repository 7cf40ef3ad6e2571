//! `nhi test`: run the workspace's decision tests against the rendered
//! policies.

use std::io::Write;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::authorize::Authorizer;
use crate::cedar;
use crate::decisions;
use crate::load::{self, LoadOptions};

use std::path::PathBuf;

use crate::cedar::schema::SchemaDoc;
use crate::check::Checked;
use crate::source::SourceDb;

use super::{CliError, Context, ExitStatus, Involving, Io, show_diagnostics};

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
    let tested = match involved(cx, io) {
        Err(CliError::Load(e)) if json => {
            none_ran(e.to_string(), io)?;
            return Err(CliError::Load(e));
        }
        other => other?,
    };
    let Some(tested) = tested else {
        writeln!(io.stderr, "no tests run: fix the errors above first")?;
        if json {
            none_ran("the workspace has errors (see stderr)".to_owned(), io)?;
        }
        return Ok(ExitStatus::Findings);
    };
    report(args, cx, io, tested)
}

/// Run the tests read and report them.
fn report(
    args: &TestArgs,
    cx: &Context,
    io: &mut Io<'_>,
    tested: Involved,
) -> Result<ExitStatus, CliError> {
    let Involved {
        checked,
        rendering,
        mut loaded,
        dir,
        whole,
    } = tested;
    loaded.diagnostics.apply_overrides(&checked.overrides);
    let authorizer = Authorizer::new(&checked.model, &rendering)?;
    let names = checked.identity_names();
    let known = decisions::Known {
        identities: &names,
        schema: whole.as_ref().unwrap_or(&rendering.schema),
    };
    let report = decisions::run_with(
        &checked.model,
        &rendering,
        &authorizer,
        &loaded.files,
        known,
    );
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

/// What the tests involve, checked and rendered, with the tests read.
struct Involved {
    checked: Checked,
    rendering: cedar::Rendering,
    loaded: load::Decisions,
    dir: PathBuf,
    /// The whole workspace's schema, read only when a test names an action
    /// or context key no file declares, to suggest what was meant.
    whole: Option<SchemaDoc>,
}

/// Load and check only the identity files the tests involve (see
/// [`load::involve`]): their principals, the identities they act on
/// behalf of and every delegator of a principal, and the files declaring
/// an action or context key a test names that those do not. `None` when
/// those files have errors (shown).
fn involved(cx: &Context, io: &mut Io<'_>) -> Result<Option<Involved>, CliError> {
    let asking = Involving::open(cx)?;
    let involved = involved_in(&asking, cx, io);
    asking.leave();
    involved
}

fn involved_in(
    asking: &Involving,
    cx: &Context,
    io: &mut Io<'_>,
) -> Result<Option<Involved>, CliError> {
    let root = asking.root();
    let dir = load::tests_dir(root, cx.load_options());
    let asked = load::decisions(root, &dir, &mut SourceDb::new(), LoadOptions::default())?;
    let mut needs = decisions::needs(&asked.files);
    let Some(mut checked) = asking.clean(cx, io, &needs)? else {
        return Ok(None);
    };
    let mut rendering = cedar::render(&checked.model, &checked.analysis, &checked.db)?;
    needs.terms = decisions::undeclared(&asked.files, &rendering.schema);
    if !needs.terms.is_empty() {
        let Some(again) = asking.clean(cx, io, &needs)? else {
            return Ok(None);
        };
        checked = again;
        rendering = cedar::render(&checked.model, &checked.analysis, &checked.db)?;
    }
    let whole = if decisions::undeclared(&asked.files, &rendering.schema).is_empty() {
        None
    } else {
        let whole = crate::check::workspace(root, cx.load_options(), cx.today)?;
        Some(
            cedar::Renderer::new(&whole.model, &whole.analysis, &whole.db)?
                .schema()
                .clone(),
        )
    };
    let loaded = load::decisions(root, &dir, &mut checked.db, LoadOptions::default())?;
    Ok(Some(Involved {
        checked,
        rendering,
        loaded,
        dir,
        whole,
    }))
}

fn summary<'a>(report: &'a decisions::Report<'a, '_>, db: &SourceDb, failed: usize) -> Summary<'a> {
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

#[cfg(test)]
#[expect(clippy::disallowed_methods, reason = "the tests write workspaces")]
mod tests {
    use std::path::Path;

    use super::{Involved, TestArgs, TestFormat, involved, report};
    use crate::cedar;
    use crate::cli::can::tests::{chains, context, quiet, repo};
    use crate::cli::{Context, Io};
    use crate::load::{self, LoadOptions};

    /// Tests that reach far along delegation chains, and misspell or
    /// invent what they name.
    const TESTS: &str = "tests:
  - {principal: leaf, action: read, context: {ticket: T1}, expect: allow}
  - {principal: leaf, action: deploy, on_behalf_of: [mid, root], expect: allow}
  - {principal: leaf, action: read, on_behalf_of: [esc], context: {ticket: T2}, expect: allow}
  - {principal: lone, action: audit, expect: deny}
  - {principal: lone, action: deplyo, expect: deny}
  - {principal: lone, action: read, context: {tickte: T1}, expect: allow}
  - {principal: leef, action: read, expect: allow}
  - {principal: mid, action: read, on_behalf_of: [fra], expect: allow}
  - principal: timed
    action: pay
    context: {approved_by: t, now: '2026-11-22T10:00:00Z', approved_at: '2026-11-22T09:55:00Z'}
    expect: allow
";

    /// What `nhi test` prints from `tested`: status, stdout, stderr.
    fn printed(format: TestFormat, cx: &Context, tested: Option<Involved>) -> String {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut io = Io {
            stdout: Box::new(&mut stdout),
            stderr: Box::new(&mut stderr),
            stdout_is_terminal: false,
            stderr_is_terminal: false,
            no_color: true,
        };
        let status = report(&TestArgs { format }, cx, &mut io, tested.expect("clean"))
            .map_err(|e| e.to_string());
        drop(io);
        format!(
            "{status:?}\n{}\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        )
    }

    /// What `nhi test` reads: the files the tests involve.
    fn read(cx: &Context) -> Option<Involved> {
        involved(cx, &mut quiet()).expect("loads")
    }

    /// The whole workspace at `root`, as `nhi test` read it before it read
    /// only what the tests involve.
    fn whole(root: &Path, cx: &Context) -> Option<Involved> {
        let root = load::find_root(root).expect("a root");
        let mut checked =
            crate::check::workspace(&root, LoadOptions::default(), cx.today).expect("loads");
        assert!(!checked.diagnostics.has_errors());
        let rendering =
            cedar::render(&checked.model, &checked.analysis, &checked.db).expect("renders");
        let dir = checked.model.settings.tests_dir.clone();
        let loaded = load::decisions(&root, &dir, &mut checked.db, LoadOptions::default())
            .expect("tests read");
        Some(Involved {
            checked,
            rendering,
            loaded,
            dir,
            whole: None,
        })
    }

    #[test]
    fn the_tests_report_the_same_from_the_files_they_involve_as_from_the_whole_workspace() {
        let tmp = chains();
        std::fs::create_dir_all(tmp.path().join("decisions")).expect("a folder");
        std::fs::write(tmp.path().join("decisions/far.yaml"), TESTS).expect("written");
        let roots = [
            tmp.path().to_path_buf(),
            repo(),
            repo().join("examples/ai-agent-platform"),
            repo().join("examples/cicd-pipelines"),
        ];
        for root in &roots {
            let cx = context(root);
            for format in [TestFormat::Human, TestFormat::Json] {
                let partial = read(&cx);
                assert!(
                    partial
                        .as_ref()
                        .is_some_and(|p| p.checked.partial.is_some())
                );
                let got = printed(format, &cx, partial);
                let expected = printed(format, &cx, whole(root, &cx));
                assert_eq!(got, expected, "{}", root.display());
                assert!(got.contains("passed"), "{got}");
            }
        }
    }

    #[test]
    fn the_tests_read_only_what_they_involve_and_an_error_elsewhere_does_not_stop_them() {
        let tmp = chains();
        std::fs::create_dir_all(tmp.path().join("decisions")).expect("a folder");
        std::fs::write(
            tmp.path().join("decisions/lone.yaml"),
            "tests:\n  - {principal: lone, action: read, expect: allow}\n",
        )
        .expect("written");
        std::fs::write(
            tmp.path().join("identities/broken.yaml"),
            "agent: broken\nowner: [",
        )
        .expect("written");
        let cx = context(tmp.path());
        let tested = read(&cx);
        let read: Vec<&str> = tested
            .iter()
            .flat_map(|t| t.checked.model.identities.keys())
            .map(|n| n.as_str())
            .collect();
        assert_eq!(read, ["lone"]);
        let said = printed(TestFormat::Human, &cx, tested);
        assert!(said.starts_with("Ok(Clean)"), "{said}");
        assert!(said.ends_with("1 passed, 0 failed\n"), "{said}");
    }
}
