//! Raw documents → the checked [`Model`], with every problem reported.
//!
//! Validation never stops at the first problem: each file is converted on
//! its own (in parallel), then the checks that span files (unique names,
//! references, guardrails, delegation chains) run over the whole model.

pub mod catalogue;
pub mod credentials;
pub mod delegation;
pub mod federation;
pub mod identity;
pub mod isolation;
pub mod lifecycle;
pub mod names;
pub mod ownership;
pub mod permissions;
pub mod privilege;
pub mod refs;
pub mod settings;
pub mod suppress;
pub mod targets;

use rayon::prelude::*;

use crate::diag::{Code, Diagnostic, Diagnostics};
use std::path::Path;

use crate::load::{self, LoadError, LoadOptions, Loaded, LoadedIdentity};
use crate::model::{Date, Duration, Identity, Model, Spanned};
use crate::source::SourceDb;

/// The result of checking a workspace.
#[derive(Debug)]
pub struct Checked {
    /// The model built from every identity that could be read.
    pub model: Model,
    /// Every file read.
    pub db: SourceDb,
    /// Every problem, with overrides applied, sorted.
    pub diagnostics: Diagnostics,
    /// The severity overrides of `nhi.yaml`, for files read later
    /// (decision tests).
    pub overrides: settings::Overrides,
}

/// Load and check the workspace rooted at `root` as of `today`, converting
/// each identity as it is read.
///
/// # Errors
///
/// When the workspace cannot be loaded at all.
pub fn check(root: &Path, options: LoadOptions, today: Date) -> Result<Checked, LoadError> {
    let loaded = load::load_with(root, options, &|db, file, raw, out| {
        identity::convert(db, file, &raw, today, out).map(Box::new)
    })?;
    Ok(finish(loaded, today))
}

/// Load and check a workspace from any source (a Git tree held in memory,
/// say) as of `today`.
///
/// # Errors
///
/// When the workspace cannot be loaded at all.
pub fn check_source(
    source: &dyn load::source::Source,
    options: LoadOptions,
    today: Date,
) -> Result<Checked, LoadError> {
    let loaded = load::load_from(source, options, &|db, file, raw, out| {
        identity::convert(db, file, &raw, today, out).map(Box::new)
    })?;
    Ok(finish(loaded, today))
}

/// Check a workspace loaded with its raw documents as of `today`.
#[must_use]
pub fn validate(loaded: Loaded, today: Date) -> Checked {
    let Loaded {
        root,
        db,
        workspace,
        catalogues,
        identities,
        mut diagnostics,
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
    finish(
        Loaded {
            root,
            db,
            workspace,
            catalogues,
            identities,
            diagnostics,
        },
        today,
    )
}

/// The checks that span files, on converted identities (boxed, so moving
/// them into the model does not need a second copy of them all).
fn finish(loaded: Loaded<Box<Identity>>, today: Date) -> Checked {
    let Loaded {
        db,
        workspace,
        catalogues,
        identities,
        mut diagnostics,
        ..
    } = loaded;
    let (settings, overrides) =
        settings::settings(workspace.as_ref(), &catalogues, &mut diagnostics);
    // names declared anywhere, even in files that could not be read, so a
    // reference to them is not reported a second time
    let declared = names::declared(&identities, &db);
    let mut model = Model {
        settings,
        identities: std::collections::BTreeMap::new(),
    };
    names::unique(
        identities.into_iter().filter_map(|i| i.value),
        &mut model,
        &mut diagnostics,
    );
    refs::check(&model, &declared, &mut diagnostics);
    delegation::check(&model, &mut diagnostics);
    targets::check(&model, &mut diagnostics);
    targets::check_settings(&model, today, &mut diagnostics);
    catalogue::check(&model, &mut diagnostics);
    permissions::check(&model, &mut diagnostics);
    federation::check(&model, today, &mut diagnostics);
    lifecycle::check(&model, today, &mut diagnostics);
    ownership::check(&model, today, &mut diagnostics);
    credentials::check(&model, today, &mut diagnostics);
    isolation::check(&model, today, &mut diagnostics);
    privilege::check(&model, today, &mut diagnostics);
    suppress::apply(&model, &mut diagnostics);

    diagnostics.apply_overrides(&overrides);
    diagnostics.scrub(&db);
    diagnostics.sort(&db);
    Checked {
        model,
        db,
        diagnostics,
        overrides,
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
                    format!(
                        "invalid {} `{}`",
                        self.what,
                        crate::diag::printable(&value.value)
                    ),
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
