//! `nhi completions SHELL`: shell completion scripts.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, CliError, ExitStatus, Io};

/// Arguments of `nhi completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Print the completion script for a shell.
///
/// # Errors
///
/// When output cannot be written.
pub fn run(args: &CompletionsArgs, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "nhi", &mut io.stdout);
    io.stdout.flush()?;
    Ok(ExitStatus::Clean)
}
