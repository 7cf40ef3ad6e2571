//! `nhi drift`: what a cloud holds, from its own exports, against what
//! the workspace renders for it.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::import::read_export;
use super::{CliError, Context, ExitStatus, Io, clean_workspace, resolve, show_diagnostics};
use crate::check::Checked;
use crate::diag::Diagnostics;
use crate::diff::Risk;
use crate::drift;
use crate::source::{FileId, SourceDb};

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
    /// Google Cloud service accounts.
    Gcp,
    /// Azure user-assigned managed identities.
    Azure,
    /// Kubernetes ServiceAccounts and their RBAC.
    Kubernetes,
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
    let mut db = SourceDb::new();
    let mut ids = Vec::new();
    for path in &args.files {
        let text = read_export(&resolve(cx, path))?;
        ids.push(db.add(path.clone(), text));
    }
    let report = match compare(args.cloud, &checked, &mut db, &ids)? {
        Ok(report) => report,
        Err(diagnostics) => {
            show_diagnostics(&diagnostics, &db, cx, io)?;
            return Ok(ExitStatus::Findings);
        }
    };
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

/// The workspace's side and the exports' side of one cloud, compared; the
/// exports' problems as diagnostics.
fn compare(
    cloud: DriftCloud,
    checked: &Checked,
    db: &mut SourceDb,
    ids: &[FileId],
) -> Result<Result<drift::Report, Diagnostics>, CliError> {
    let (model, analysis, wdb) = (&checked.model, &checked.analysis, &checked.db);
    let targets = &model.settings.targets;
    let missing = |cloud: &str| {
        CliError::usage(
            format!("the workspace configures no {cloud} target to compare the exports with"),
            Some(format!("set `targets.{cloud}` in nhi.yaml")),
        )
    };
    let report = match cloud {
        DriftCloud::Aws => {
            let target = targets.aws.as_ref().ok_or_else(|| missing("aws"))?;
            let declared = drift::aws::declared(model, analysis, wdb, target)?;
            crate::import::aws::account(db, ids)
                .map(|account| drift::compare(&declared, &drift::aws::observed(&account)))
        }
        DriftCloud::Gcp => {
            let target = targets.gcp.as_ref().ok_or_else(|| missing("gcp"))?;
            let declared = drift::gcp::declared(model, analysis, wdb, target);
            crate::import::gcp::project(db, ids)
                .map(|project| drift::compare(&declared, &drift::gcp::observed(&project)))
        }
        DriftCloud::Azure => {
            let target = targets.azure.as_ref().ok_or_else(|| missing("azure"))?;
            let declared = drift::azure::declared(model, analysis, wdb, target);
            crate::import::azure::subscription(db, ids).map(|subscription| {
                drift::compare(&declared, &drift::azure::observed(&subscription))
            })
        }
        DriftCloud::Kubernetes => {
            let declared = drift::kubernetes::declared(model, analysis, wdb);
            crate::import::kubernetes::objects(db, ids).map(|objects| {
                drift::compare(&declared, &drift::kubernetes::observed(model, &objects))
            })
        }
    };
    Ok(report)
}
