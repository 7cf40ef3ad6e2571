//! `nhi graph`: the ownership and delegation graph, for documentation and
//! reviews.

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::graph;

use super::{CliError, Context, ExitStatus, Io, clean_workspace};

/// Arguments of `nhi graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Output format (stdout)
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

/// Formats of `nhi graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (renders in GitHub and GitLab Markdown).
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
}

/// Run `nhi graph`: the graph on stdout, exit 0; exit 1 without it when
/// the workspace has errors.
///
/// # Errors
///
/// When the workspace cannot be loaded, or output fails.
pub fn run(args: &GraphArgs, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let Some((_, checked)) = clean_workspace(cx, io, false)? else {
        writeln!(io.stderr, "no graph: fix the errors above first")?;
        return Ok(ExitStatus::Findings);
    };
    let g = graph::graph(&checked.model, &checked.analysis);
    let text = match args.format {
        GraphFormat::Mermaid => graph::mermaid::render(&g),
        GraphFormat::Dot => graph::dot::render(&g),
    };
    io.stdout.write_all(checked.db.mask(&text).as_bytes())?;
    Ok(ExitStatus::Clean)
}
