//! `nhi new NAME --owner TEAM`: a new identity file that passes `check`.

use std::fmt::Write as _;
use std::io::Write;

use clap::Args;

use crate::diag::did_you_mean;
use crate::emit::create_new;
use crate::model::{AuthMethod, Kind, Name};

use super::{CliError, Context, ExitStatus, Io};

/// Arguments of `nhi new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The identity's name (a DNS-1123 label: what it does, not where it runs)
    pub name: String,
    /// The owning team
    #[arg(long)]
    pub owner: String,
    /// What the principal is
    #[arg(long, value_parser = parse_kind, default_value = "agent")]
    pub kind: Kind,
    /// The business purpose, in one sentence
    #[arg(long)]
    pub purpose: Option<String>,
    /// The person who answers for it (an email address or `user:<id>`)
    #[arg(long, value_parser = parse_human)]
    pub accountable: Option<String>,
}

fn parse_human(s: &str) -> Result<String, String> {
    crate::model::Human::parse(s)
        .map(|h| h.as_str().to_owned())
        .ok_or_else(|| "expected an email address or `user:<id>`".to_owned())
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    Kind::parse(s).ok_or_else(|| {
        let all: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        format!("expected one of {}", all.join(", "))
    })
}

/// Write `<identities>/<NAME>.yaml`.
///
/// # Errors
///
/// When the name is not a DNS-1123 label, the owner is not a team, the
/// identity exists, or the file cannot be written.
pub fn run(args: &NewArgs, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let Some(name) = Name::parse(&args.name) else {
        return Err(CliError::usage(
            format!("`{}` is not a valid identity name", args.name),
            Some("use a DNS-1123 label: lower-case letters, digits and `-`, such as `invoice-importer`".to_owned()),
        ));
    };
    let (root, checked) = super::check_workspace(cx)?;
    let settings = &checked.model.settings;
    if let Some(teams) = &settings.teams
        && !teams.contains_key(&args.owner)
    {
        return Err(CliError::usage(
            format!("`{}` is not a team of the workspace", args.owner),
            did_you_mean(&args.owner, teams.keys().map(String::as_str))
                .or_else(|| Some("declare the team under `teams` in nhi.yaml".to_owned())),
        ));
    }
    if checked.model.identities.contains_key(&name) {
        return Err(CliError::usage(
            format!("identity `{name}` exists already"),
            None,
        ));
    }
    let dir = root.join(&settings.identities_dir);
    let path = dir.join(format!("{name}.yaml"));
    let method = settings
        .guardrails
        .allowed_auth_methods
        .first()
        .map_or(AuthMethod::Oidc, |m| m.value);
    let depth = settings.identities_dir.components().count();
    #[expect(
        clippy::disallowed_methods,
        reason = "the modeline is written only when the schema is there"
    )]
    let has_schema = root
        .join("schema")
        .join(crate::schema::SchemaKind::Identity.file_name())
        .is_file();
    let text = template(args, &name, method, has_schema.then_some(depth), cx.today);
    create_new(&path, text.as_bytes()).map_err(|source| CliError::Io {
        action: "create",
        path: path.clone(),
        source,
    })?;
    writeln!(io.stderr, "created {}", path.display())?;
    Ok(ExitStatus::Clean)
}

fn template(
    args: &NewArgs,
    name: &Name,
    method: AuthMethod,
    schema_depth: Option<usize>,
    today: crate::model::Date,
) -> String {
    let mut t = String::new();
    if let Some(depth) = schema_depth {
        let _ = writeln!(
            t,
            "# yaml-language-server: $schema={}schema/identity.schema.json",
            "../".repeat(depth)
        );
    }
    let _ = writeln!(t, "agent: {name}");
    let _ = writeln!(t, "kind: {}", args.kind);
    let _ = writeln!(t, "owner: {}", args.owner);
    match &args.purpose {
        // JSON strings are valid YAML scalars, so any text is quoted safely
        Some(p) => {
            let _ = writeln!(t, "purpose: {}", serde_json::Value::String(p.clone()));
        }
        None => t.push_str("# purpose: one sentence on what it is for\n"),
    }
    match &args.accountable {
        Some(a) => {
            let _ = writeln!(t, "accountable: {}", serde_json::Value::String(a.clone()));
        }
        None => t.push_str("# accountable: the person who answers for it (ada@example.com)\n"),
    }
    let auth = if method == AuthMethod::Oidc {
        "oidc_short_lived_token"
    } else {
        method.as_str()
    };
    let _ = writeln!(t, "auth: {auth}");
    t.push_str("allowed_actions: []\nforbidden_actions: []\naudit_log: required\nreview_cycle: quarterly\n");
    // creating it is its first review: the cycle counts from today
    let _ = writeln!(t, "last_reviewed: {today}");
    t
}
