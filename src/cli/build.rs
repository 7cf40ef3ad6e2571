//! `nhi build`: check the workspace, render every target and write the
//! output folder, or (`--check`) report what in it is stale.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::emit::{self, Change};

use super::{CliError, Context, ExitStatus, Io, clean_workspace, resolve};

/// Arguments of `nhi build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Write into DIR instead of the workspace's output folder (`output:`
    /// in nhi.yaml, default `dist`)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write nothing: exit 1 and list the files that differ when the output
    /// folder on disk is stale
    #[arg(long)]
    pub check: bool,
}

/// Run `nhi build`.
///
/// # Errors
///
/// When the workspace cannot be loaded, rendering fails its own checks, or
/// the output cannot be written.
pub fn run(args: &BuildArgs, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let Some((root, checked)) = clean_workspace(cx, io, true)? else {
        writeln!(io.stderr, "nothing built: fix the errors above first")?;
        return Ok(ExitStatus::Findings);
    };
    // CODEOWNERS names files from the repository's root
    let repo_prefix = crate::load::git::Repo::discover(&root)
        .map(|r| r.slash_prefix())
        .unwrap_or_default();
    let artifacts = crate::render::render(
        &checked.model,
        &checked.analysis,
        &checked.db,
        &crate::render::Options { repo_prefix },
    )?;
    // a credential in the workspace (even with SE001 turned off) is never
    // written out
    if let Some(leak) = artifacts.iter().find(|a| checked.db.leaks(&a.bytes)) {
        writeln!(
            io.stderr,
            "nothing built: a value that looks like a credential would be written to `{}`\n  help: remove it from the workspace (`SE001` reports where it is); keep secrets in a secret store and reference them with `auth.secret_ref`",
            leak.path
        )?;
        return Ok(ExitStatus::Findings);
    }
    let (dir, shown) = match &args.out {
        Some(out) => (resolve(cx, out), out.display().to_string()),
        None => {
            let rel = &checked.model.settings.output_dir;
            (root.join(rel), rel.display().to_string())
        }
    };
    emit::check_output(&root, &dir, args.out.is_none())?;
    if args.check {
        let plan = emit::plan(&dir, &artifacts)?;
        if plan.changes.is_empty() {
            writeln!(
                io.stderr,
                "{shown}/ is up to date ({} files)",
                plan.unchanged
            )?;
            return Ok(ExitStatus::Clean);
        }
        writeln!(
            io.stderr,
            "{shown}/ is stale: {} of {} files differ from what `nhi build` renders",
            plan.changes.len(),
            plan.changes.len() + plan.unchanged
        )?;
        for change in &plan.changes {
            let what = match change {
                Change::Create(_) => "missing",
                Change::Update(_) => "differs",
                Change::Remove(_) => "no longer rendered",
            };
            writeln!(io.stderr, "  {what:<18} {shown}/{}", change.path())?;
        }
        writeln!(io.stderr, "run `nhi build` and commit the result")?;
        return Ok(ExitStatus::Findings);
    }
    let plan = emit::write(&dir, &artifacts)?;
    let count = |f: fn(&Change) -> bool| plan.changes.iter().filter(|c| f(c)).count();
    writeln!(
        io.stderr,
        "built {shown}/: {} created, {} updated, {} removed, {} unchanged",
        count(|c| matches!(c, Change::Create(_))),
        count(|c| matches!(c, Change::Update(_))),
        count(|c| matches!(c, Change::Remove(_))),
        plan.unchanged
    )?;
    Ok(ExitStatus::Clean)
}
