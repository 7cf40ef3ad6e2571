//! `nhi review`: the review and expiry calendar, for the team that runs
//! the periodic access review.

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::analyse::lifecycle::{DEFAULT_WINDOW_DAYS, window_days};
use crate::model::Duration;
use crate::review;

use std::path::PathBuf;

use super::import::read_export;
use super::{CliError, Context, ExitStatus, Io, clean_workspace, resolve, show_diagnostics};
use crate::review::usage::exports::Exports;
use crate::source::SourceDb;

/// Arguments of `nhi review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// How far ahead to look, as a duration such as `30d` or `8w` (default:
    /// 30d)
    #[arg(long, value_name = "DURATION", value_parser = parse_within)]
    pub within: Option<u32>,
    /// List every identity, not only those that need attention
    #[arg(long)]
    pub all: bool,
    /// Output format (stdout)
    #[arg(long, value_enum, default_value_t = ReviewFormat::Table)]
    pub format: ReviewFormat,
    /// Instead of the calendar, the allowed actions and identities these
    /// usage exports show unused, each recognised by its content, clouds
    /// mixed: IAM Access Advisor reports (`aws iam
    /// get-service-last-accessed-details`) and credential reports;
    /// Activity Analyzer exports (`gcloud policy-intelligence
    /// query-activity --activity-type=serviceAccountLastAuthentication
    /// --format=json`, unused service accounts only); Kubernetes audit logs
    /// (one `audit.k8s.io/v1` event per line, claimed from only when they
    /// cover the whole window)
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub usage: Vec<PathBuf>,
    /// With `--usage`: unused means not used for this long (default: 90d)
    #[arg(long, value_name = "DURATION", value_parser = parse_within, requires = "usage")]
    pub unused_for: Option<u32>,
}

/// Formats of `nhi review`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewFormat {
    /// Aligned columns and a summary line.
    Table,
    /// One JSON document (`version: 1`).
    Json,
    /// A header row and one row per identity, for spreadsheets.
    Csv,
}

/// The days a `--within` duration covers.
fn parse_within(text: &str) -> Result<u32, String> {
    Duration::parse(text)
        .map(window_days)
        .ok_or_else(|| "not a duration: write it like `30d`, `8w` or `90d`".to_owned())
}

/// Run `nhi review`: the calendar on stdout, exit 0; exit 1 without it
/// when the workspace has errors.
///
/// # Errors
///
/// When the workspace cannot be loaded, or output fails.
pub fn run(args: &ReviewArgs, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let Some((_, checked)) = clean_workspace(cx, io, false)? else {
        writeln!(io.stderr, "no calendar: fix the errors above first")?;
        return Ok(ExitStatus::Findings);
    };
    if !args.usage.is_empty() {
        return usage(args, cx, &checked, io);
    }
    let days = args.within.unwrap_or(DEFAULT_WINDOW_DAYS);
    let calendar = review::calendar(
        &checked.model,
        &checked.analysis,
        &checked.db,
        days,
        args.all,
    );
    let text = match args.format {
        ReviewFormat::Table => calendar.table(),
        ReviewFormat::Json => calendar.json(),
        ReviewFormat::Csv => calendar.csv()?,
    };
    io.stdout.write_all(checked.db.mask(&text).as_bytes())?;
    Ok(ExitStatus::Clean)
}

/// The days `--unused-for` covers by default.
const DEFAULT_UNUSED_DAYS: u32 = 90;

/// `nhi review --usage`: unused access, on stdout.
fn usage(
    args: &ReviewArgs,
    cx: &Context,
    checked: &crate::check::Checked,
    io: &mut Io<'_>,
) -> Result<ExitStatus, CliError> {
    let mut db = SourceDb::new();
    let mut ids = Vec::new();
    for path in &args.usage {
        let text = read_export(&resolve(cx, path))?;
        ids.push(db.add(path.clone(), text));
    }
    let exports = match review::usage::exports::read(&mut db, &ids) {
        Ok(e) => e,
        Err(diagnostics) => {
            show_diagnostics(&diagnostics, &db, cx, io)?;
            return Ok(ExitStatus::Findings);
        }
    };
    let days = args.unused_for.unwrap_or(DEFAULT_UNUSED_DAYS);
    let since = cx
        .today
        .checked_sub(jiff::Span::new().days(i64::from(days)))
        .unwrap_or(cx.today);
    let report = usage_report(checked, &exports, &db, since)?;
    let text = match args.format {
        ReviewFormat::Table => report.table(),
        ReviewFormat::Json => report.json(),
        ReviewFormat::Csv => report.csv()?,
    };
    io.stdout
        .write_all(checked.db.mask(&db.mask(&text)).as_bytes())?;
    Ok(ExitStatus::Clean)
}

/// What the exports show unused, each cloud's against its target.
///
/// # Errors
///
/// A usage error naming the setting a cloud's exports need and the
/// workspace lacks.
fn usage_report(
    checked: &crate::check::Checked,
    exports: &Exports,
    db: &SourceDb,
    since: crate::model::Date,
) -> Result<review::usage::Report, CliError> {
    let (model, analysis, wdb) = (&checked.model, &checked.analysis, &checked.db);
    let targets = &model.settings.targets;
    let mut reports = Vec::new();
    if let Some(usage) = &exports.aws {
        let target = targets.aws.as_ref().ok_or_else(|| {
            missing(
                "AWS target whose usage the reports could show",
                "set `targets.aws` in nhi.yaml",
            )
        })?;
        reports.push(review::usage::aws(
            model, analysis, wdb, target, usage, db, since,
        ));
    }
    if !exports.gcp.is_empty() {
        let target = targets.gcp.as_ref().ok_or_else(|| {
            missing(
                "Google Cloud target whose service accounts Activity Analyzer could show",
                "set `targets.gcp` (its `project`) in nhi.yaml",
            )
        })?;
        reports.push(review::usage::gcp::report(
            model,
            analysis,
            wdb,
            target,
            &exports.gcp,
            db,
            since,
        ));
    }
    if let Some(log) = &exports.audit {
        if targets.kubernetes.is_none() {
            return Err(missing(
                "Kubernetes target whose ServiceAccounts the audit logs could show",
                "set `targets.kubernetes` in nhi.yaml",
            ));
        }
        let on_cluster = analysis.live(model).any(|i| {
            let lands = analysis.lands(i);
            lands.kubernetes.is_some() && !lands.through_role
        });
        if !on_cluster {
            return Err(CliError::usage(
                "no identity of the workspace runs on the cluster as its ServiceAccounts, whose requests the audit logs could show",
                Some(
                    "give the identities that run on the cluster `kubernetes` in their `targets`"
                        .to_owned(),
                ),
            ));
        }
        reports.push(review::usage::kubernetes::report(
            model, analysis, wdb, log, since,
        ));
    }
    Ok(review::usage::combine(since, reports))
}

/// The usage error of a workspace without the target an export needs.
fn missing(what: &str, help: &str) -> CliError {
    CliError::usage(
        format!("the workspace configures no {what}"),
        Some(help.to_owned()),
    )
}
