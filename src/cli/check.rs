//! `nhi check`: load and validate the workspace, report every problem.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::cedar::verify;
use crate::check::Checked;
use crate::diag::{self, Diagnostics};
use crate::prove::{Prover, properties};
use crate::source::SourceDb;

use super::prove::{ProveArgs, elapsed};
use super::{
    CliError, Context, ExitStatus, Io, check_workspace_caching, resolve, show_diagnostics,
};

/// Arguments of `nhi check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Report only on these files or folders (the whole workspace is still
    /// loaded, so references are checked)
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Output format: human text on stderr, or a machine format on stdout
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
    /// Prove that forbidden actions are denied, that no policy can error
    /// and that no delegate exceeds its delegator
    #[command(flatten)]
    pub prove: ProveArgs,
}

/// Formats of `nhi check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Source snippets with labels (stderr).
    Human,
    /// One JSON document (stdout).
    Json,
    /// SARIF 2.1.0 (stdout).
    Sarif,
    /// GitHub Actions workflow annotations (stdout).
    Github,
}

/// Run `nhi check`.
///
/// # Errors
///
/// When the workspace cannot be loaded, a path is outside it, or output
/// cannot be written.
pub fn run(args: &CheckArgs, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let (root, checked) = match check_workspace_caching(cx) {
        Ok(loaded) => loaded,
        // a machine reading stdout gets a document saying why, not nothing
        Err(CliError::Load(e)) if args.format != CheckFormat::Human => {
            let mut diagnostics = Diagnostics::new();
            let mut d = diag::Diagnostic::new(diag::Code::Io, e.to_string());
            if let Some(help) = miette::Diagnostic::help(&e) {
                d = d.help(help.to_string());
            }
            diagnostics.push(d);
            write(args.format, &diagnostics, &SourceDb::new(), cx, io)?;
            return Err(CliError::Load(e));
        }
        Err(e) => return Err(e),
    };
    let Checked {
        db,
        mut diagnostics,
        model,
        analysis,
        cache,
        ..
    } = checked;
    let mut proved = None;
    if !diagnostics.has_errors() {
        // what the workspace renders must be what the targets accept
        if let Some(config) = args.prove.config() {
            let rendering = crate::cedar::render(&model, &analysis, &db)?;
            verify::verify(&rendering)?;
            let mut prover = Prover::start(&config, &rendering.schema)?;
            let (summary, found) = properties::prove(&mut prover, &model, &analysis, &rendering)?;
            diagnostics.extend(found);
            diagnostics.sort(&db);
            proved = Some(summary);
        } else {
            verify::verify_model(&model, &analysis, &db, cache.as_ref())?;
        }
    } else if let Some(config) = args.prove.config() {
        // a missing solver is reported even when there is nothing to prove
        config.version()?;
    }
    if let Some(cache) = cache {
        crate::emit::store_cache(cache);
    }
    if !args.paths.is_empty() {
        let keep = relative_paths(cx, &root, &args.paths)?;
        only_paths(&mut diagnostics, &db, &keep);
    }
    write(args.format, &diagnostics, &db, cx, io)?;
    match proved {
        Some(s) => writeln!(
            io.stderr,
            "proof ({}): {} forbidden-action, {} never-error and {} delegation properties in {} ({} queries, {} settled without the solver)",
            s.solver,
            s.denied,
            s.never_errors,
            s.delegations,
            elapsed(s.stats.millis),
            s.stats.queries,
            s.stats.without_solver,
        )?,
        None if args.prove.prove => writeln!(io.stderr, "not proven: the workspace has errors")?,
        None => {}
    }
    Ok(if diagnostics.has_errors() {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}

/// Write diagnostics in a format to the stream it belongs on.
///
/// # Errors
///
/// When output cannot be written.
pub fn write(
    format: CheckFormat,
    diagnostics: &Diagnostics,
    db: &SourceDb,
    cx: &Context,
    io: &mut Io<'_>,
) -> Result<(), CliError> {
    match format {
        CheckFormat::Human => show_diagnostics(diagnostics, db, cx, io)?,
        CheckFormat::Json => io
            .stdout
            .write_all(diag::json::render(diagnostics, db).as_bytes())?,
        CheckFormat::Sarif => io
            .stdout
            .write_all(diag::sarif::render(diagnostics, db).as_bytes())?,
        CheckFormat::Github => io
            .stdout
            .write_all(diag::github::render(diagnostics, db).as_bytes())?,
    }
    Ok(())
}

#[expect(
    clippy::disallowed_methods,
    reason = "paths given on the command line are resolved on disk"
)]
fn relative_paths(cx: &Context, root: &Path, paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    paths
        .iter()
        .map(|p| {
            let full = resolve(cx, p);
            let real = full.canonicalize().map_err(|source| CliError::Io {
                action: "find",
                path: p.clone(),
                source,
            })?;
            real.strip_prefix(root).map(Path::to_path_buf).map_err(|_| {
                CliError::usage(
                    format!(
                        "`{}` is outside the workspace `{}`",
                        p.display(),
                        root.display()
                    ),
                    Some(
                        "pass files of the workspace, or point -C at the right workspace"
                            .to_owned(),
                    ),
                )
            })
        })
        .collect()
}

fn only_paths(diagnostics: &mut Diagnostics, db: &SourceDb, keep: &[PathBuf]) {
    diagnostics.retain(|d| {
        d.primary_loc()
            .and_then(|l| db.get(l.file))
            .is_none_or(|f| {
                keep.iter()
                    .any(|k| k.as_os_str().is_empty() || f.path().starts_with(k))
            })
    });
}
