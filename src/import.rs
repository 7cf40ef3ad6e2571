//! Bringing an existing estate under code: the clouds' own exports → a
//! new workspace (`nhi.yaml`, one identity file per non-human principal,
//! and the catalogue its permissions need).
//!
//! Offline: the input is what the clouds' CLIs write (`aws iam
//! get-account-authorization-details`, the credential report), recognised
//! by content, never a live API. Exports are large and untrusted: each is
//! scanned for credentials before it is parsed (a credential in an export
//! is reported at its place, masked, and nothing is written), a malformed
//! one is an error at its line, and what cannot be said in YAML (a
//! `NotAction`, a trust in everyone) is left out and written down, in the
//! identity file and in the report, for the human who adopts it.
//!
//! Humans and what the cloud owns are never imported as non-human
//! identities: they are skipped and counted, by reason.

pub mod activity;
pub mod audit;
pub mod aws;
pub mod azure;
pub mod gcp;
pub mod kubernetes;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::load::secrets;
use crate::model::Name;
use crate::source::{FileId, Loc, SourceDb, Span};

/// The folder the identity files go to.
pub const IDENTITIES_DIR: &str = "identities";
/// The team owning what nothing in the export assigns an owner.
pub const UNOWNED: &str = "unowned";
/// The longest action name the import makes.
const MAX_ACTION_NAME: usize = 64;
/// The most bytes one export may hold.
pub const MAX_EXPORT_BYTES: usize = 1 << 30;

/// What an import made: the workspace's files, and what it left out.
#[derive(Debug, Default)]
pub struct Imported {
    /// Workspace-relative path → text.
    pub files: BTreeMap<String, String>,
    /// The identities written.
    pub identities: Vec<String>,
    /// Principals left out: reason → their names in the cloud.
    pub skipped: BTreeMap<&'static str, Vec<String>>,
    /// What a human must decide or know, per identity.
    pub notes: BTreeMap<String, Vec<String>>,
}

/// An identity file as the import writes it.
#[derive(Debug, Serialize)]
pub struct IdentityDoc {
    /// The identity's name.
    pub agent: String,
    /// `workload`, `pipeline` or `service`.
    pub kind: &'static str,
    /// The owning team.
    pub owner: String,
    /// The purpose, when the export says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// The kind of principal.
    pub identity_type: &'static str,
    /// How it authenticates.
    pub auth: AuthDoc,
    /// Where it runs.
    pub targets: Vec<&'static str>,
    /// Where it exists already: the clouds of `targets`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub existing: Vec<&'static str>,
    /// Its names in the targets, when not nhi's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_as: Option<KnownAsDoc>,
    /// `suspended` when every target denies it everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'static str>,
    /// The day its purpose ends, when the cloud records one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Allowed catalogue actions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_actions: Vec<String>,
    /// Forbidden catalogue actions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forbidden_actions: Vec<String>,
    /// Where it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<ContextDoc>,
    /// Tags carried over.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `auth` as the import writes it.
#[derive(Debug, Serialize)]
pub struct AuthDoc {
    /// The method.
    pub method: &'static str,
    /// The issuer, or the AWS service or principal of `attested`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The audience.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The client id Azure gave its managed identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// `context` as the import writes it.
#[derive(Debug, Serialize)]
pub struct ContextDoc {
    /// The namespaces it runs in.
    pub namespaces: Vec<String>,
}

/// `known_as` as the import writes it.
#[derive(Debug, Serialize)]
pub struct KnownAsDoc {
    /// The IAM path and name.
    pub aws: String,
}

/// A team as the import writes it.
#[derive(Debug, Serialize)]
pub struct TeamDoc {
    /// What it owns.
    pub description: String,
}

/// Names handed out once each, in the order asked: a second principal
/// whose name maps to a taken one gets `-2`, `-3`…
#[derive(Debug, Default)]
pub struct Names {
    taken: BTreeSet<String>,
    /// The next suffix to try for each base, so that a thousand roles
    /// with one policy name cost a thousand tries, not half a million.
    next: BTreeMap<String, usize>,
}

impl Names {
    /// A unique DNS-1123 label for what the cloud calls `raw`.
    pub fn identity(&mut self, raw: &str) -> String {
        let base = label(raw);
        self.unique(&base, Name::MAX_LEN, '-')
    }

    /// A unique snake_case action name for what the cloud calls `raw`.
    pub fn action(&mut self, raw: &str) -> String {
        self.unique(&snake(raw), MAX_ACTION_NAME, '_')
    }

    fn unique(&mut self, base: &str, max: usize, sep: char) -> String {
        let mut n = self.next.get(base).copied().unwrap_or(1);
        loop {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("{sep}{n}")
            };
            let keep = max.saturating_sub(suffix.len());
            let head: String = base.chars().take(keep).collect();
            let candidate = format!("{}{suffix}", head.trim_end_matches(sep));
            n += 1;
            if self.taken.insert(candidate.clone()) {
                self.next.insert(base.to_owned(), n);
                return candidate;
            }
        }
    }
}

/// `raw` as a DNS-1123 label: lower case, every other character a `-`,
/// runs of `-` collapsed, at most 63 characters.
#[must_use]
pub fn label(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    let out: String = out.chars().take(Name::MAX_LEN).collect();
    let out = out.trim_matches('-');
    if out.is_empty() {
        "imported".to_owned()
    } else {
        out.to_owned()
    }
}

/// `raw` as a snake_case action name: words split at case changes and
/// punctuation, joined by `_`, starting with a letter.
#[must_use]
pub fn snake(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        let prev = i.checked_sub(1).and_then(|p| chars.get(p));
        let next = chars.get(i + 1);
        // a word starts at `aB`, `1B` and the last capital of `ABc`
        let starts = c.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(char::is_ascii_lowercase))
            });
        if starts && !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    let out = out.trim_matches('_');
    match out.chars().next() {
        None => "imported".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("action_{out}"),
        Some(_) => out.to_owned(),
    }
}

/// Scan an export for credentials before anything reads it: each is
/// reported at its place and masked. Whether any was found.
pub fn scan(db: &mut SourceDb, file: FileId, out: &mut Diagnostics) -> bool {
    let Some(text) = db.get(file).map(|f| f.text().clone()) else {
        return false;
    };
    let found = secrets::scan_text(file, &text, out);
    let any = !found.is_empty();
    if any {
        db.redact(file, &found);
    }
    any
}

/// A malformed export, at the place the JSON reader stopped.
#[must_use]
pub fn malformed(db: &SourceDb, file: FileId, error: &serde_json::Error, what: &str) -> Diagnostic {
    let offset = db
        .get(file)
        .map_or(0, |f| f.offset_of(error.line(), error.column()));
    let start = offset.saturating_sub(1);
    Diagnostic::new(
        Code::InvalidValue,
        format!("this is not {what} nhi can read: {}", strip_position(error)),
    )
    .primary(Loc::new(file, Span::new(start, 1)), "here")
    .help(format!(
        "give the file exactly as the cloud's CLI writes {what}"
    ))
}

fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => text,
    }
}

/// A YAML document under its header comment.
#[must_use]
pub fn document(header: &[String], body: &impl Serialize) -> String {
    let mut text = String::new();
    for line in header {
        for l in line.lines() {
            text.push_str("# ");
            text.push_str(&crate::source::without_controls(l));
            text.push('\n');
        }
    }
    text.push_str(&serde_saphyr::to_string(body).unwrap_or_default());
    text
}

/// `nhi.yaml` as an import writes it.
#[derive(Debug, Serialize)]
struct WorkspaceDoc<T> {
    identities: &'static str,
    include: Vec<String>,
    teams: BTreeMap<String, TeamDoc>,
    targets: T,
}

/// The team of what nothing assigns an owner.
#[must_use]
pub fn unowned() -> TeamDoc {
    TeamDoc {
        description: "Imported identities nothing assigns an owner: give each its team".to_owned(),
    }
}

/// The team owning an imported identity: the one its tags or labels name
/// (as a label), else [`UNOWNED`]; entered in `teams`.
pub fn owner_team(teams: &mut BTreeMap<String, TeamDoc>, named: Option<&str>) -> String {
    let Some(owner) = named.map(label) else {
        teams.entry(UNOWNED.to_owned()).or_insert_with(unowned);
        return UNOWNED.to_owned();
    };
    teams.entry(owner.clone()).or_insert_with(|| TeamDoc {
        description: "Owns the imported identities whose tags or labels name it".to_owned(),
    });
    owner
}

/// The workspace around the identities an import wrote: `nhi.yaml`, with
/// the teams (at least [`UNOWNED`]) and `targets` (the cloud's settings),
/// including the catalogue, which goes in files of its own.
pub fn write_workspace<T: Serialize, A: Serialize>(
    out: &mut Imported,
    cloud: &str,
    mut teams: BTreeMap<String, TeamDoc>,
    targets: T,
    catalogue: BTreeMap<String, A>,
    what: &str,
) {
    if teams.is_empty() {
        teams.insert(UNOWNED.to_owned(), unowned());
    }
    let catalogues = catalogue_files(
        cloud,
        &[
            "yaml-language-server: $schema=../schema/workspace.schema.json".to_owned(),
            what.to_owned(),
        ],
        catalogue,
    );
    let settings = WorkspaceDoc {
        identities: IDENTITIES_DIR,
        include: catalogues.iter().map(|(p, _)| p.clone()).collect(),
        teams,
        targets,
    };
    let header = [
        "yaml-language-server: $schema=schema/workspace.schema.json".to_owned(),
        format!("imported by `nhi import {cloud}` from what exists already"),
    ];
    out.files
        .insert("nhi.yaml".to_owned(), document(&header, &settings));
    out.files.extend(catalogues);
}

/// A file that is not the export nhi expected, said of the whole file.
#[must_use]
pub fn not_an_export(db: &SourceDb, file: FileId, what: &str, why: &str, help: &str) -> Diagnostic {
    let len = db.get(file).map_or(0, |f| f.text().len().min(1));
    Diagnostic::new(
        Code::InvalidValue,
        format!("`{}` is not {what} nhi reads: {why}", db.display_path(file)),
    )
    .primary(Loc::new(file, Span::new(0, len)), "this file")
    .help(help.to_owned())
}

/// A JSON value read as `T`, or a located error naming `what` it is not.
///
/// # Errors
///
/// When the value does not read as `T`.
pub fn parse<T: serde::de::DeserializeOwned>(
    db: &SourceDb,
    file: FileId,
    value: serde_json::Value,
    what: &str,
) -> Result<T, Diagnostic> {
    serde_json::from_value(value).map_err(|e| malformed(db, file, &e, what))
}

/// The largest catalogue file the import writes, well under the loader's
/// per-file budget.
const MAX_CATALOGUE_BYTES: usize = 256 * 1024;

/// A catalogue as files of at most [`MAX_CATALOGUE_BYTES`] each
/// (`catalogue/CLOUD.yaml`, then `catalogue/CLOUD-2.yaml`…), with the
/// paths to include, in order.
#[must_use]
pub fn catalogue_files<T: Serialize>(
    cloud: &str,
    header: &[String],
    actions: BTreeMap<String, T>,
) -> Vec<(String, String)> {
    #[derive(Serialize)]
    struct Doc<T> {
        actions: BTreeMap<String, T>,
    }
    let mut files = Vec::new();
    let mut chunk: BTreeMap<String, T> = BTreeMap::new();
    let mut size = 0;
    let flush = |chunk: BTreeMap<String, T>, files: &mut Vec<(String, String)>| {
        let path = match files.len() {
            0 => format!("catalogue/{cloud}.yaml"),
            n => format!("catalogue/{cloud}-{}.yaml", n + 1),
        };
        files.push((path, document(header, &Doc { actions: chunk })));
    };
    for (name, action) in actions {
        let one = serde_saphyr::to_string(&action).map_or(0, |t| t.len()) + name.len();
        if size + one > MAX_CATALOGUE_BYTES && !chunk.is_empty() {
            flush(std::mem::take(&mut chunk), &mut files);
            size = 0;
        }
        size += one;
        chunk.insert(name, action);
    }
    if !chunk.is_empty() || files.is_empty() {
        flush(chunk, &mut files);
    }
    files
}

/// The file of an identity: its schema line, where it came from, what a
/// human must still decide and what was left out, then the identity.
#[must_use]
pub fn identity_file(doc: &IdentityDoc, origin: &str, notes: &[String]) -> String {
    let mut header = vec![
        "yaml-language-server: $schema=../schema/identity.schema.json".to_owned(),
        format!("imported from {origin}"),
    ];
    let mut decide = Vec::new();
    if doc.owner == UNOWNED {
        decide.push("the owning team");
    }
    if doc.purpose.is_none() {
        decide.push("its purpose");
    }
    decide.extend(["the accountable person", "its review cycle"]);
    header.push(format!("to decide: {}", decide.join(", ")));
    header.extend(notes.iter().cloned());
    document(&header, doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_dns_names() {
        assert_eq!(
            label("AWS-QuickSetup_EnableCRecording"),
            "aws-quicksetup-enablecrecording"
        );
        assert_eq!(label("__"), "imported");
        assert_eq!(label(&"A".repeat(80)).len(), 63);
        let mut names = Names::default();
        assert_eq!(names.identity("MyRole"), "myrole");
        assert_eq!(names.identity("myrole"), "myrole-2");
        assert_eq!(names.identity(&"x".repeat(70)).len(), 63);
        assert_eq!(
            names.identity(&"x".repeat(70)),
            format!("{}-2", "x".repeat(61))
        );
    }

    #[test]
    fn snake_case_action_names() {
        assert_eq!(snake("ReadTerraformState"), "read_terraform_state");
        assert_eq!(snake("AWS-QuickSetup policy 2"), "aws_quick_setup_policy_2");
        assert_eq!(
            snake("AmazonSSMManagedInstanceCore"),
            "amazon_ssm_managed_instance_core"
        );
        assert_eq!(snake("2fa"), "action_2fa");
        assert_eq!(snake("--"), "imported");
    }
}
