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
    /// usage exports show unused: IAM Access Advisor reports (`aws iam
    /// get-service-last-accessed-details`) and credential reports
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
    let Some(target) = checked.model.settings.targets.aws.as_ref() else {
        return Err(CliError::usage(
            "the workspace configures no AWS target whose usage the reports could show",
            Some("set `targets.aws` in nhi.yaml".to_owned()),
        ));
    };
    let mut db = SourceDb::new();
    let mut ids = Vec::new();
    for path in &args.usage {
        let text = read_export(&resolve(cx, path))?;
        ids.push(db.add(path.clone(), text));
    }
    let usage = match crate::import::aws::usage(&mut db, &ids) {
        Ok(u) => u,
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
    let report = review::usage::aws(
        &checked.model,
        &checked.analysis,
        &checked.db,
        target,
        &usage,
        &db,
        since,
    );
    let text = match args.format {
        ReviewFormat::Table => report.table(),
        ReviewFormat::Json => report.json(),
        ReviewFormat::Csv => report.csv()?,
    };
    io.stdout
        .write_all(checked.db.mask(&db.mask(&text)).as_bytes())?;
    Ok(ExitStatus::Clean)
}
