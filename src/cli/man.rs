//! `nhi man`: the man page, generated from the command line definition.

use clap::{Args, CommandFactory};

use super::{Cli, CliError, ExitStatus, Io};

/// Arguments of `nhi man`.
#[derive(Debug, Args)]
pub struct ManArgs {}

/// Print the man page in roff.
///
/// # Errors
///
/// When output cannot be written.
pub fn run(_args: &ManArgs, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let page = clap_mangen::Man::new(Cli::command());
    page.render(&mut io.stdout)?;
    Ok(ExitStatus::Clean)
}
