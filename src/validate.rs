//! Raw documents → the checked [`Model`], with every problem in what the
//! workspace declares reported at its place.
//!
//! Validation never stops at the first problem: each identity file is
//! converted on its own, in parallel ([`identity`]); then each identity's
//! references to the settings, the guardrails it must respect and the MCP
//! tools it names are checked, again each on its own and in parallel;
//! then the checks that span files, or read the settings alone, run over
//! the whole model: unique names ([`names`]), delegates that exist
//! ([`refs`]), delegation chains ([`delegation`]), the catalogue's
//! mappings ([`catalogue`]) and the target settings ([`targets`]). What the model means for access, and the
//! lint rules over it, are later stages (`analyse`, `lint`).

pub mod catalogue;
pub mod delegation;
pub mod identity;
pub mod mcp;
pub mod names;
pub mod refs;
pub mod settings;
pub mod targets;

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::diag::{Code, Diagnostic, Diagnostics, Memo, printable};
use crate::load::involve::Partial;
use crate::load::{Loaded, LoadedIdentity};
use crate::model::{Date, Duration, Identity, Model, Spanned, Time};
use crate::source::SourceDb;

pub use settings::Overrides;

/// A validated workspace: the model, the files it was read from, and
/// every problem found so far (not yet sorted, no override applied).
#[derive(Debug)]
pub struct Validated {
    /// The model built from every identity that could be read.
    pub model: Model,
    /// Every file read.
    pub db: SourceDb,
    /// Every problem found while loading and validating.
    pub diagnostics: Diagnostics,
    /// The severity overrides of `nhi.yaml`.
    pub overrides: Overrides,
    /// Of a partial load: what is known of the files it did not read.
    pub partial: Option<Partial>,
}

/// Convert every raw identity of a workspace loaded with its raw
/// documents, as of `today`, in parallel.
#[must_use]
pub fn identities(loaded: Loaded, today: Date) -> Loaded<Box<Identity>> {
    let Loaded {
        root,
        db,
        workspace,
        catalogues,
        tool_lists,
        identities,
        mut diagnostics,
        cache,
        partial,
    } = loaded;
    let converted: Vec<_> = identities
        .into_par_iter()
        .map(|loaded| {
            let mut out = Diagnostics::new();
            let value = loaded
                .value
                .and_then(|raw| identity::convert(&db, loaded.file, &raw, today, &mut out))
                .map(Box::new);
            (
                LoadedIdentity {
                    file: loaded.file,
                    value,
                    declared_name: loaded.declared_name,
                },
                out,
            )
        })
        .collect();
    let mut identities = Vec::with_capacity(converted.len());
    for (identity, out) in converted {
        diagnostics.extend(out);
        identities.push(identity);
    }
    Loaded {
        root,
        db,
        workspace,
        catalogues,
        tool_lists,
        identities,
        diagnostics,
        cache,
        partial,
    }
}

/// The name [`Memo`] knows this stage's checks of one identity by.
const STAGE: &str = "validate";

/// Build the model from converted identities (boxed, so moving them into
/// the model does not need a second copy of them all) and the settings,
/// and run the checks that span files.
#[must_use]
pub fn workspace(loaded: Loaded<Box<Identity>>, memo: Option<&dyn Memo>) -> Validated {
    let Loaded {
        db,
        workspace,
        catalogues,
        tool_lists,
        identities,
        mut diagnostics,
        partial,
        ..
    } = loaded;
    let (mut settings, overrides) =
        settings::settings(workspace.as_ref(), &catalogues, &mut diagnostics);
    settings.mcp_servers = mcp::servers(
        workspace.as_ref().and_then(|(_, w)| w.mcp_servers.as_ref()),
        &tool_lists,
        &mut diagnostics,
    );
    // names declared anywhere, even in files that could not be read, so a
    // reference to them is not reported a second time
    let mut declared = names::declared(&identities, &db);
    // and, of a partial load, in the files it did not read
    declared.extend(partial.iter().flat_map(|p| p.names.iter().cloned()));
    let mut model = Model {
        settings,
        identities: BTreeMap::new(),
    };
    names::unique(
        identities.into_iter().filter_map(|i| i.value),
        &mut model,
        &mut diagnostics,
    );
    let found: Vec<Diagnostics> = model
        .identities
        .par_iter()
        .map(|(_, identity)| {
            if let Some(found) = memo.and_then(|m| m.recall(STAGE, identity.file)) {
                return found;
            }
            let mut found = Diagnostics::new();
            refs::identity(&model, identity, &mut found);
            targets::identity(identity, &mut found);
            mcp::identity(&model, identity, &mut found);
            if let Some(m) = memo {
                m.keep(STAGE, identity.file, &found);
            }
            found
        })
        .collect();
    for found in found {
        diagnostics.extend(found);
    }
    refs::settings(&model, &mut diagnostics);
    refs::delegates(&model, &declared, &mut diagnostics);
    delegation::check(&model, &mut diagnostics);
    targets::check(&model, &mut diagnostics);
    targets::check_settings(&model, &mut diagnostics);
    catalogue::check(&model, &mut diagnostics);
    mcp::check(&model, &mut diagnostics);
    Validated {
        model,
        db,
        diagnostics,
        overrides,
        partial,
    }
}

/// How to read one kind of scalar and what to say when it is malformed.
struct ScalarKind<T> {
    parse: fn(&str) -> Option<T>,
    code: Code,
    what: &'static str,
    label: &'static str,
    help: &'static str,
}

impl<T> ScalarKind<T> {
    fn read(&self, value: &Spanned<String>, out: &mut Diagnostics) -> Option<Spanned<T>> {
        let parsed = (self.parse)(&value.value).map(|v| Spanned::new(v, value.loc));
        if parsed.is_none() {
            out.push(
                Diagnostic::new(
                    self.code,
                    format!("invalid {} `{}`", self.what, printable(&value.value)),
                )
                .primary(value.loc, self.label)
                .help(self.help),
            );
        }
        parsed
    }
}

/// Parse a duration value, reporting it when it is malformed.
pub(crate) fn parse_duration(
    value: &Spanned<String>,
    out: &mut Diagnostics,
) -> Option<Spanned<Duration>> {
    ScalarKind {
        parse: Duration::parse,
        code: Code::InvalidDuration,
        what: "duration",
        label: "not a duration",
        help: "write a positive duration such as `15m`, `1h`, `12h` or `90d`",
    }
    .read(value, out)
}

/// Parse an instant, reporting it when it is malformed.
pub(crate) fn parse_time(value: &Spanned<String>, out: &mut Diagnostics) -> Option<Spanned<Time>> {
    ScalarKind {
        parse: crate::model::parse_time,
        code: Code::InvalidDate,
        what: "time",
        label: "not an instant",
        help: "write an instant in UTC such as `2026-12-31T17:00:00Z` (or with an offset, `+01:00`), or a date `YYYY-MM-DD` for its midnight in UTC; whole seconds only",
    }
    .read(value, out)
}

/// Parse a date value, reporting it when it is malformed.
pub(crate) fn parse_date(value: &Spanned<String>, out: &mut Diagnostics) -> Option<Spanned<Date>> {
    ScalarKind {
        parse: crate::model::parse_date,
        code: Code::InvalidDate,
        what: "date",
        label: "not a calendar date",
        help: "write the date as `YYYY-MM-DD`, such as `2026-03-31`",
    }
    .read(value, out)
}
