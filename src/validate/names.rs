//! Names: DNS-1123 labels, equal to the file's stem, unique in the
//! workspace.

use std::collections::BTreeSet;

use crate::diag::{Code, Diagnostic, Diagnostics, printable};
use crate::load::LoadedIdentity;
use crate::model::{Identity, Model, Name, Spanned};
use crate::source::SourceDb;

/// The diagnostic for a name that is not a DNS-1123 label.
#[must_use]
pub fn invalid_name(name: &Spanned<String>, what: &str) -> Diagnostic {
    let suggestion = suggest(&name.value);
    let a = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let help = match suggestion {
        Some(s) if s != name.value => format!(
            "{a} {what} is a DNS-1123 label: 1 to 63 of `a-z`, `0-9` and `-`, starting and ending with a letter or digit; for example `{s}`"
        ),
        _ => format!(
            "{a} {what} is a DNS-1123 label: 1 to 63 of `a-z`, `0-9` and `-`, starting and ending with a letter or digit"
        ),
    };
    Diagnostic::new(
        Code::InvalidName,
        format!(
            "{what} `{}` is not a DNS-1123 label",
            printable(&name.value)
        ),
    )
    .primary(name.loc, "invalid name")
    .help(help)
}

/// The diagnostic for an action name that is not a snake_case
/// identifier.
#[must_use]
pub fn invalid_action_name(name: &Spanned<String>) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidName,
        format!(
            "action name `{}` is not a snake_case identifier",
            printable(&name.value)
        ),
    )
    .primary(name.loc, "invalid action name")
    .help("action names are business verbs in snake_case, such as `read_ci_status`")
}

/// A valid label close to `s`, if there is an obvious one.
fn suggest(s: &str) -> Option<String> {
    let mapped: String = s
        .chars()
        .map(|c| match c {
            'A'..='Z' => c.to_ascii_lowercase(),
            '_' | ' ' | '.' => '-',
            c => c,
        })
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect();
    let trimmed = mapped.trim_matches('-');
    Name::parse(trimmed).map(|n| n.as_str().to_owned())
}

/// The file stem must be the identity's name.
pub fn check_stem(db: &SourceDb, identity: &Identity, out: &mut Diagnostics) {
    let Some(file) = db.get(identity.file) else {
        return;
    };
    let stem = file
        .path()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if stem != identity.name.value.as_str() {
        out.push(
            Diagnostic::new(
                Code::NameFileMismatch,
                format!(
                    "identity `{}` is declared in `{}`",
                    identity.name.value,
                    file.display_path()
                ),
            )
            .primary(identity.name.loc, "name declared here")
            .help(format!(
                "name the file `{}.yaml`, or change `agent` to `{}`",
                identity.name.value,
                printable(&stem)
            )),
        );
    }
}

/// Insert identities into the model; a second identity of the same name is
/// reported against the first. Identities arrive in file order (files get
/// their ids in path order), so "first" is the same whatever the disk's
/// listing order.
pub fn unique(
    all: impl IntoIterator<Item = Box<Identity>>,
    model: &mut Model,
    out: &mut Diagnostics,
) {
    for identity in all {
        if let Some(first) = model.identities.get(&identity.name.value) {
            out.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    format!("identity `{}` is declared twice", identity.name.value),
                )
                .primary(identity.name.loc, "declared again here")
                .secondary(first.name.loc, "first declared here")
                .help("each identity has its own name and file; rename or remove one"),
            );
            continue;
        }
        model
            .identities
            .insert(identity.name.value.clone(), identity);
    }
}

/// Every name a file declares, even when the rest of the file was unusable,
/// so that references to it are not reported twice.
#[must_use]
pub fn declared<T>(identities: &[LoadedIdentity<T>], db: &SourceDb) -> BTreeSet<String> {
    identities
        .iter()
        .filter_map(|i| {
            i.declared_name
                .as_ref()
                .map(|n| n.value.clone())
                .or_else(|| {
                    db.get(i.file).and_then(|f| {
                        f.path()
                            .file_stem()
                            .map(|s| s.to_string_lossy().into_owned())
                    })
                })
        })
        .collect()
}
