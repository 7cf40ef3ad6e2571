//! `nhi init`: scaffold a workspace that passes `nhi check`.

use std::io::Write;

use clap::Args;

use super::{CliError, Context, ExitStatus, Io};
use crate::emit::create_new;
use crate::schema::{SchemaKind, generate};

const WORKSPACE: &str = include_str!("templates/nhi.yaml");
const EXAMPLE: &str = include_str!("templates/release-assistant.yaml");
const DECISIONS: &str = include_str!("templates/decisions.yaml");

/// Arguments of `nhi init`.
#[derive(Debug, Args)]
pub struct InitArgs {}

/// Write `nhi.yaml`, `identities/release-assistant.yaml`, a decision test
/// file and the schemas into the starting folder; refuse to overwrite
/// anything.
///
/// # Errors
///
/// When a file exists already or cannot be written.
pub fn run(_args: &InitArgs, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let root = &cx.start;
    let files: Vec<(std::path::PathBuf, String)> = [
        (root.join(crate::load::WORKSPACE_FILE), WORKSPACE.to_owned()),
        (
            root.join("identities").join("release-assistant.yaml"),
            EXAMPLE.to_owned(),
        ),
        (
            root.join(crate::load::DEFAULT_TESTS_DIR)
                .join("release-assistant.yaml"),
            DECISIONS.to_owned(),
        ),
    ]
    .into_iter()
    .chain(SchemaKind::ALL.map(|k| (root.join("schema").join(k.file_name()), generate(k))))
    .collect();
    #[expect(
        clippy::disallowed_methods,
        reason = "init checks what exists before writing"
    )]
    if let Some((path, _)) = files.iter().find(|(p, _)| p.exists()) {
        return Err(CliError::usage(
            format!("`{}` exists already", path.display()),
            Some("`nhi init` only creates a new workspace; it never overwrites".to_owned()),
        ));
    }
    for (path, text) in &files {
        create_new(path, text.as_bytes()).map_err(|source| CliError::Io {
            action: "create",
            path: path.clone(),
            source,
        })?;
        writeln!(io.stderr, "created {}", path.display())?;
    }
    writeln!(
        io.stderr,
        "next: `nhi check`, `nhi test`, `nhi build`, then `nhi new NAME --owner platform-team`"
    )?;
    Ok(ExitStatus::Clean)
}
