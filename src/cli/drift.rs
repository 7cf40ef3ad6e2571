//! `nhi drift`: what a cloud holds, from its own exports, against what
//! the workspace renders for it.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::import::read_export;
use super::{CliError, Context, ExitStatus, Io, clean_workspace, resolve, show_diagnostics};
use crate::diff::Risk;
use crate::drift;
use crate::source::SourceDb;

/// Arguments of `nhi drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The cloud the exports come from
    #[arg(value_enum)]
    pub cloud: DriftCloud,
    /// The exports, as the cloud's CLI writes them (as for `nhi import`)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format: human text on stderr, or a machine format on stdout
    #[arg(long, value_enum, default_value_t = DriftFormat::Human)]
    pub format: DriftFormat,
    /// Exit 1 when any difference reaches this risk
    #[arg(long, value_enum, value_name = "RISK")]
    pub fail_on: Option<Risk>,
}

/// The clouds nhi compares with their exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftCloud {
    /// AWS IAM roles and users.
    Aws,
}

/// Formats of `nhi drift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftFormat {
    /// One line per difference, highest risk first (stderr).
    Human,
    /// One JSON document, `version: 1` (stdout).
    Json,
    /// A pull-request or issue comment (stdout).
    Markdown,
    /// SARIF 2.1.0 (stdout).
    Sarif,
}

/// Run `nhi drift`.
///
/// # Errors
///
/// When the workspace cannot be loaded or rendered, an export cannot be
/// read, or output fails.
pub fn run(args: &DriftArgs, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let Some((_root, checked)) = clean_workspace(cx, io, false)? else {
        return Ok(ExitStatus::Findings);
    };
    let Some(target) = checked.model.settings.targets.aws.as_ref() else {
        return Err(CliError::usage(
            "the workspace configures no AWS target to compare the account with",
            Some("set `targets.aws` in nhi.yaml".to_owned()),
        ));
    };
    let mut db = SourceDb::new();
    let mut ids = Vec::new();
    for path in &args.files {
        let text = read_export(&resolve(cx, path))?;
        ids.push(db.add(path.clone(), text));
    }
    let account = match args.cloud {
        DriftCloud::Aws => crate::import::aws::account(&mut db, &ids),
    };
    let account = match account {
        Ok(a) => a,
        Err(diagnostics) => {
            show_diagnostics(&diagnostics, &db, cx, io)?;
            return Ok(ExitStatus::Findings);
        }
    };
    let report = drift::aws(
        &checked.model,
        &checked.analysis,
        &checked.db,
        target,
        &account,
    )?;
    match args.format {
        DriftFormat::Human => io.stderr.write_all(drift::human(&report).as_bytes())?,
        DriftFormat::Json => io.stdout.write_all(drift::json(&report).as_bytes())?,
        DriftFormat::Markdown => io.stdout.write_all(drift::markdown(&report).as_bytes())?,
        DriftFormat::Sarif => io.stdout.write_all(drift::sarif(&report).as_bytes())?,
    }
    Ok(match (args.fail_on, report.highest()) {
        (Some(limit), Some(highest)) if highest >= limit => ExitStatus::Findings,
        _ => ExitStatus::Clean,
    })
}
