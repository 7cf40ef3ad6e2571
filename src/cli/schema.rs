//! `nhi schema`: print or write the JSON Schemas of the input files.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::{CliError, Context, ExitStatus, Io, resolve};
use crate::schema::{SchemaKind, generate};

/// Arguments of `nhi schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema to print (with no `--out`)
    #[arg(value_enum, default_value_t = SchemaKind::Identity)]
    pub kind: SchemaKind,
    /// Write every schema into this folder instead of printing one
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Print one schema, or write all of them.
///
/// # Errors
///
/// When a file cannot be written.
pub fn run(args: &SchemaArgs, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let Some(out) = &args.out else {
        io.stdout.write_all(generate(args.kind).as_bytes())?;
        return Ok(ExitStatus::Clean);
    };
    let dir = resolve(cx, out);
    for kind in SchemaKind::ALL {
        let path = dir.join(kind.file_name());
        crate::emit::write_atomic(&path, generate(kind).as_bytes()).map_err(|source| {
            CliError::Io {
                action: "write",
                path: path.clone(),
                source,
            }
        })?;
        writeln!(io.stderr, "wrote {}", path.display())?;
    }
    Ok(ExitStatus::Clean)
}
