//! `nhi review`: the review and expiry calendar, for the team that runs
//! the periodic access review.

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::analyse::lifecycle::{DEFAULT_WINDOW_DAYS, window_days};
use crate::model::Duration;
use crate::review;

use super::{CliError, Context, ExitStatus, Io, clean_workspace};

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
