//! The `nhi` command: parse the command line, run, map the status to an
//! exit code. Everything else lives in the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use nhi::cli::{Cli, Io, run};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut io = Io {
        stdout_is_terminal: stdout.is_terminal(),
        stderr_is_terminal: stderr.is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        stdout: Box::new(stdout.lock()),
        stderr: Box::new(stderr.lock()),
    };
    let status = run(&cli, &mut io);
    ExitCode::from(status.code())
}
