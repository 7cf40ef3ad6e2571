//! `nhi import`: a new workspace from the clouds' own exports.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::{CliError, Context, ExitStatus, Io, resolve, show_diagnostics};
use crate::emit::create_tree;
use crate::import::{self, MAX_EXPORT_BYTES};
use crate::schema::{SchemaKind, generate};
use crate::source::SourceDb;

/// Arguments of `nhi import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The cloud the exports come from
    #[arg(value_enum)]
    pub cloud: Cloud,
    /// The exports, as the cloud's CLI writes them; each is recognised by
    /// its content (AWS: `aws iam get-account-authorization-details`, and
    /// `aws iam get-credential-report` to tell people from machines;
    /// Google Cloud: `gcloud iam service-accounts list`, `projects
    /// get-iam-policy`, each account's `get-iam-policy` named after it,
    /// `keys list`, `iam roles list|describe`, `workload-identity-pools
    /// providers list`, all `--format=json`; Azure: `az identity list`,
    /// `az identity federated-credential list`, `az role definition
    /// list`, `az role assignment list --all`; Kubernetes: `kubectl get serviceaccounts,roles,rolebindings,
    /// clusterroles,clusterrolebindings -A -o json`)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The folder of the new workspace: created, or empty
    #[arg(long, value_name = "DIR", default_value = "imported")]
    pub into: PathBuf,
}

/// The clouds nhi imports from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Cloud {
    /// AWS IAM roles and users.
    Aws,
    /// Google Cloud service accounts and the roles bound to them.
    Gcp,
    /// Azure user-assigned managed identities and their role assignments.
    Azure,
    /// Kubernetes ServiceAccounts and the RBAC bound to them.
    Kubernetes,
}

/// Run `nhi import`.
///
/// # Errors
///
/// When an export cannot be read, or the workspace cannot be written.
pub fn run(args: &ImportArgs, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let mut db = SourceDb::new();
    let mut ids = Vec::new();
    for path in &args.files {
        let full = resolve(cx, path);
        let text = read_export(&full)?;
        ids.push(db.add(path.clone(), text));
    }
    let imported = match args.cloud {
        Cloud::Aws => import::aws::import(&mut db, &ids),
        Cloud::Gcp => import::gcp::import(&mut db, &ids),
        Cloud::Azure => import::azure::import(&mut db, &ids),
        Cloud::Kubernetes => import::kubernetes::import(&mut db, &ids),
    };
    let mut imported = match imported {
        Ok(i) => i,
        Err(diagnostics) => {
            show_diagnostics(&diagnostics, &db, cx, io)?;
            writeln!(io.stderr, "nothing was written")?;
            return Ok(ExitStatus::Findings);
        }
    };
    for kind in SchemaKind::ALL {
        imported
            .files
            .insert(format!("schema/{}", kind.file_name()), generate(kind));
    }
    let dir = resolve(cx, &args.into);
    create_tree(&dir, &imported.files).map_err(|source| CliError::Io {
        action: "create the workspace",
        path: dir.clone(),
        source,
    })?;
    summary(&imported, &args.into, io)?;
    Ok(ExitStatus::Clean)
}

/// Read one export, within the size budget, as UTF-8 text.
///
/// # Errors
///
/// When it cannot be read, is too large or is not UTF-8.
pub fn read_export(path: &PathBuf) -> Result<Arc<str>, CliError> {
    let io_error = |source| CliError::Io {
        action: "read",
        path: path.clone(),
        source,
    };
    #[expect(
        clippy::disallowed_methods,
        reason = "exports are read from where the user keeps them, outside any workspace"
    )]
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_EXPORT_BYTES).unwrap_or(u64::MAX);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() > MAX_EXPORT_BYTES {
        return Err(CliError::usage(
            format!(
                "`{}` is larger than {MAX_EXPORT_BYTES} bytes",
                path.display()
            ),
            Some("split the export, or export one account at a time".to_owned()),
        ));
    }
    String::from_utf8(bytes).map(Arc::from).map_err(|_| {
        CliError::usage(
            format!("`{}` is not UTF-8 text", path.display()),
            Some("give the file exactly as the cloud's CLI writes it".to_owned()),
        )
    })
}

fn summary(
    imported: &import::Imported,
    into: &std::path::Path,
    io: &mut Io<'_>,
) -> Result<(), CliError> {
    writeln!(
        io.stderr,
        "imported {} identities into {}",
        imported.identities.len(),
        into.display()
    )?;
    for (reason, names) in &imported.skipped {
        writeln!(io.stderr, "skipped {} {reason}", names.len())?;
    }
    let undecided = imported.notes.values().filter(|n| !n.is_empty()).count();
    if undecided > 0 {
        writeln!(
            io.stderr,
            "{undecided} identity files say at the top what the export could not tell or nhi could not carry over"
        )?;
    }
    writeln!(
        io.stderr,
        "next: `nhi -C {} check` lists what a person must still decide (owner, purpose, accountable, review)",
        into.display()
    )?;
    Ok(())
}
