//! The command line: arguments, the shared context, and dispatch to one
//! module per subcommand. Commands write only to the [`Io`] they are given
//! (machine formats to stdout, human text to stderr) and return an
//! [`ExitStatus`].

pub mod build;
pub mod can;
pub mod check;
pub mod completions;
pub mod diff;
pub mod drift;
pub mod explain;
pub mod graph;
pub mod import;
pub mod init;
pub mod man;
pub mod new;
pub mod prove;
pub mod review;
pub mod schema;
pub mod test;

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::check::Checked;
use crate::diag::Diagnostics;
use crate::diag::human::Style;
use crate::load::{self, LoadOptions};
use crate::model::{Date, Time};
use crate::source::SourceDb;

/// The non-human identity compiler: declare agents, CI jobs, bots and
/// workloads in YAML; check, explain and render them.
#[derive(Debug, Parser)]
#[command(name = "nhi", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Whether the command reads only the few files it involves
    /// (`nhi can`), not the whole workspace.
    #[must_use]
    pub const fn reads_little(&self) -> bool {
        matches!(self.command, Command::Can(_))
    }
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Run as if started in DIR (the workspace is found from there upward)
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// When to colour human output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// The date that date-dependent checks use (default: today, UTC)
    #[arg(long, global = true, env = "NHI_TODAY", value_name = "YYYY-MM-DD")]
    pub today: Option<String>,
    /// Read nothing from the workspace's cache (`.nhi/cache`) and leave
    /// none (a file both sides of `nhi diff` hold is still parsed once)
    #[arg(
        long,
        global = true,
        env = "NHI_NO_CACHE",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub no_cache: bool,
}

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When writing to a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the workspace and report every problem at its place
    Check(check::CheckArgs),
    /// Render every target into the output folder (or check it is current)
    Build(build::BuildArgs),
    /// Answer whether an identity may take an action, and which policies decide it
    Can(can::CanArgs),
    /// Run the workspace's decision tests against the rendered policies
    Test(test::TestArgs),
    /// Show what a change does to every identity, between Git revisions
    Diff(diff::DiffArgs),
    /// List reviews that are due or overdue and identities about to expire
    Review(review::ReviewArgs),
    /// Draw who owns each identity, who delegates what, and what is forbidden
    Graph(graph::GraphArgs),
    /// Explain a rule: what it reports, why, an example and the fix
    Explain(explain::ExplainArgs),
    /// Create a workspace: nhi.yaml, an identity folder and the schemas
    Init(init::InitArgs),
    /// Create a workspace from a cloud's own exports of what exists
    Import(import::ImportArgs),
    /// Compare a cloud's own exports with what the workspace renders for it
    Drift(drift::DriftArgs),
    /// Create a new identity file from a template that passes `check`
    New(new::NewArgs),
    /// Print or write the JSON Schemas of the input files
    Schema(schema::SchemaArgs),
    /// Print a shell completion script
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff)
    Man(man::ManArgs),
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing failed (exit 0).
    Clean,
    /// Findings that fail the run (exit 1).
    Findings,
    /// Usage, I/O or internal error (exit 2).
    Error,
}

impl ExitStatus {
    /// The process exit code.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::Clean => 0,
            Self::Findings => 1,
            Self::Error => 2,
        }
    }
}

/// Where a command writes, and what it knows about the terminal.
pub struct Io<'a> {
    /// Machine-readable output.
    pub stdout: Box<dyn Write + 'a>,
    /// Human-readable output and errors.
    pub stderr: Box<dyn Write + 'a>,
    /// Whether stdout is a terminal.
    pub stdout_is_terminal: bool,
    /// Whether stderr is a terminal.
    pub stderr_is_terminal: bool,
    /// Whether `NO_COLOR` is set to something.
    pub no_color: bool,
}

impl std::fmt::Debug for Io<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io").finish_non_exhaustive()
    }
}

/// Why a command could not run.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CliError {
    /// Loading failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] load::LoadError),
    /// Bad arguments.
    #[error("{message}")]
    #[diagnostic(code(nhi::usage))]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do.
        #[help]
        help: Option<String>,
    },
    /// An I/O error on a named path.
    #[error("cannot {action} `{path}`: {source}")]
    #[diagnostic(code(nhi::io))]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Reading a Git revision failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] load::git::GitError),
    /// Rendering failed its own checks (an internal error).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Render(#[from] crate::render::RenderError),
    /// The Cedar core refused the workspace or what it rendered (an
    /// internal error).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cedar(#[from] crate::cedar::CedarError),
    /// A proof could not be attempted.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Prove(#[from] crate::prove::ProveError),
    /// Writing the output folder failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Emit(#[from] crate::emit::EmitError),
    /// A query could not be asked.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Authorize(#[from] crate::authorize::AuthorizeError),
    /// Writing output failed.
    #[error("cannot write output: {0}")]
    #[diagnostic(code(nhi::output))]
    Output(#[from] std::io::Error),
}

impl CliError {
    /// A usage error with optional help.
    pub fn usage(message: impl Into<String>, help: Option<String>) -> Self {
        Self::Usage {
            message: message.into(),
            help,
        }
    }
}

/// What every command gets: the starting folder, the date, the styling.
#[derive(Debug, Clone)]
pub struct Context {
    /// Where the command starts (`-C` or the current folder).
    pub start: PathBuf,
    /// The date for date-dependent checks.
    pub today: Date,
    /// The instant a question is asked at (`nhi can`): the clock's, or the
    /// start of `--today`'s day when it is given.
    pub now: Time,
    /// Whether the workspace's parse cache is used (not `--no-cache`).
    pub cache: bool,
    /// Style of human output on stderr.
    pub style: Style,
    /// Whether output on stdout may be coloured.
    pub stdout_color: bool,
}

/// Run a parsed command line.
pub fn run(cli: &Cli, io: &mut Io<'_>) -> ExitStatus {
    let result = context(&cli.global, io).and_then(|cx| dispatch(&cli.command, &cx, io));
    match result {
        Ok(status) => status,
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Clean,
        Err(error) => {
            let style = style_for(cli.global.color, io.stderr_is_terminal, io.no_color);
            report_error(&error, style, io);
            ExitStatus::Error
        }
    }
}

fn dispatch(command: &Command, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    match command {
        Command::Check(args) => check::run(args, cx, io),
        Command::Build(args) => build::run(args, cx, io),
        Command::Can(args) => can::run(args, cx, io),
        Command::Test(args) => test::run(args, cx, io),
        Command::Diff(args) => diff::run(args, cx, io),
        Command::Review(args) => review::run(args, cx, io),
        Command::Graph(args) => graph::run(args, cx, io),
        Command::Explain(args) => explain::run(args, cx, io),
        Command::Init(args) => init::run(args, cx, io),
        Command::Import(args) => import::run(args, cx, io),
        Command::Drift(args) => drift::run(args, cx, io),
        Command::New(args) => new::run(args, cx, io),
        Command::Schema(args) => schema::run(args, cx, io),
        Command::Completions(args) => completions::run(args, io),
        Command::Man(args) => man::run(args, io),
    }
}

fn report_error(error: &CliError, style: Style, io: &mut Io<'_>) {
    let theme = if style.color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(style.width);
    let mut text = String::new();
    if handler.render_report(&mut text, error).is_err() {
        text = format!("error: {error}\n");
    }
    // nothing more can be done if stderr itself is gone
    let _ = io.stderr.write_all(text.as_bytes());
}

fn style_for(choice: ColorChoice, terminal: bool, no_color: bool) -> Style {
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    };
    Style { color, width: 100 }
}

fn context(global: &GlobalArgs, io: &Io<'_>) -> Result<Context, CliError> {
    let start = match &global.dir {
        Some(dir) => dir.clone(),
        None => PathBuf::from("."),
    };
    let (today, now) = match &global.today {
        Some(text) => {
            let day = crate::model::parse_date(text).ok_or_else(|| {
                CliError::usage(
                    format!("invalid date `{text}` for --today / NHI_TODAY"),
                    Some("write it as YYYY-MM-DD".to_owned()),
                )
            })?;
            let start = crate::analyse::lifecycle::start_of(day)
                .ok_or_else(|| CliError::usage(format!("`{text}` has no start in UTC"), None))?;
            (day, start)
        }
        None => clock(),
    };
    Ok(Context {
        start,
        today,
        now,
        cache: !global.no_cache,
        style: style_for(global.color, io.stderr_is_terminal, io.no_color),
        stdout_color: style_for(global.color, io.stdout_is_terminal, io.no_color).color,
    })
}

#[expect(
    clippy::disallowed_methods,
    reason = "the default of --today is the clock's date"
)]
fn clock() -> (Date, Time) {
    let now = jiff::Timestamp::now();
    (now.to_zoned(jiff::tz::TimeZone::UTC).date(), now)
}

/// Load and check the workspace found from `cx.start`: its root, and the
/// workspace checked.
///
/// # Errors
///
/// When the workspace cannot be loaded at all.
pub fn check_workspace(cx: &Context) -> Result<(PathBuf, Checked), CliError> {
    let (root, mut checked) = check_workspace_caching(cx)?;
    if let Some(cache) = checked.cache.take() {
        crate::emit::store_cache(cache);
    }
    Ok((root, checked))
}

/// [`check_workspace`], handing back the cache session in
/// [`Checked::cache`] for the caller to use further and then store.
///
/// # Errors
///
/// When the workspace cannot be loaded at all.
pub fn check_workspace_caching(cx: &Context) -> Result<(PathBuf, Checked), CliError> {
    let root = load::find_root(&cx.start)?;
    let checked = crate::check::workspace(&root, cx.load_options(), cx.today)?;
    Ok((root, checked))
}

impl Context {
    /// How commands load the workspace from the disk.
    #[must_use]
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            cache: self.cache,
            ..LoadOptions::default()
        }
    }
}

/// Load and check the workspace for a command that needs it clean:
/// report its diagnostics (warnings too, when `warnings` is set) and
/// return the root and the checked workspace, or `None` when it has
/// errors.
///
/// # Errors
///
/// When the workspace cannot be loaded at all, or output fails.
pub fn clean_workspace(
    cx: &Context,
    io: &mut Io<'_>,
    warnings: bool,
) -> Result<Option<(PathBuf, Checked)>, CliError> {
    let (root, checked) = check_workspace(cx)?;
    let errors = checked.diagnostics.has_errors();
    if errors || (warnings && !checked.diagnostics.is_empty()) {
        show_diagnostics(&checked.diagnostics, &checked.db, cx, io)?;
    }
    Ok((!errors).then_some((root, checked)))
}

/// The workspace a question reads only part of (see [`load::involve`]):
/// its root, and its cache when kept, which each of the question's loads
/// consults for what it knows of the identity files not involved.
pub struct Involving {
    root: PathBuf,
    cache: Option<load::cache::Session>,
}

impl Involving {
    /// The workspace found from `cx.start`, and its cache.
    ///
    /// # Errors
    ///
    /// When no workspace can be found there.
    pub fn open(cx: &Context) -> Result<Self, CliError> {
        let root = load::find_root(&cx.start)?;
        let cache = cx.cache.then(|| load::cache::Session::open_stats(&root));
        Ok(Self { root, cache })
    }

    /// The workspace's root.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Load and check only what `needs` involves, for a command that
    /// needs those files clean: report their errors and return `None` when
    /// they have any. Problems of files the question does not involve are
    /// not looked for.
    ///
    /// # Errors
    ///
    /// When the workspace cannot be loaded at all, or output fails.
    pub fn clean(
        &self,
        cx: &Context,
        io: &mut Io<'_>,
        needs: &load::involve::Needs,
    ) -> Result<Option<Checked>, CliError> {
        let options = cx.load_options();
        let cache = self.cache.as_ref();
        let checked = crate::check::involving(&self.root, options, cx.today, needs, cache)?;
        if checked.diagnostics.has_errors() {
            show_diagnostics(&checked.diagnostics, &checked.db, cx, io)?;
            return Ok(None);
        }
        Ok(Some(checked))
    }

    /// Leave the cache behind with what the loads noted in it.
    pub fn leave(self) {
        if let Some(cache) = self.cache {
            crate::emit::store_cache(cache);
        }
    }
}

/// Write diagnostics for people, on stderr.
///
/// # Errors
///
/// When output cannot be written.
pub fn show_diagnostics(
    diagnostics: &Diagnostics,
    db: &SourceDb,
    cx: &Context,
    io: &mut Io<'_>,
) -> Result<(), CliError> {
    let text = crate::diag::human::render(diagnostics, db, cx.style);
    io.stderr.write_all(text.as_bytes())?;
    Ok(())
}

/// `path` relative to the current folder or `-C`.
#[must_use]
pub fn resolve(cx: &Context, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cx.start.join(path)
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
