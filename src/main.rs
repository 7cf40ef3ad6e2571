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
    // a question reads a few files: the 2 MiB pages the allocator asks the
    // kernel for would be most of its memory, and save it no time
    #[cfg(target_os = "linux")]
    if cli.reads_little() {
        // a kernel that refuses leaves the pages as they were
        rustix::thread::disable_transparent_huge_pages(true).unwrap_or_default();
    }
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
