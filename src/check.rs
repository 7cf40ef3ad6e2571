//! The driver of the checking half of the pipeline: load the workspace
//! (from disk, or from any source such as a Git revision), validate it
//! into the model, analyse the model once, and run the lint rules over
//! both; then apply the severity overrides and sort, so that every command
//! starts from the same [`Checked`] workspace.

use std::collections::BTreeSet;
use std::path::Path;

mod memo;

use crate::analyse::Analysis;
use crate::diag::{Diagnostics, Memo};
use crate::lint;
use crate::load::cache::Session;
use crate::load::involve::{Needs, Partial};
use crate::load::{self, LoadError, LoadOptions, Loaded};
use crate::model::{Date, Identity, Model};
use crate::raw::identity::IdentityFile;
use crate::source::{FileId, SourceDb};
use crate::validate::{self, Overrides, Validated};

/// A checked workspace.
#[derive(Debug)]
pub struct Checked {
    /// The model built from every identity that could be read.
    pub model: Model,
    /// What the model means on the day it was checked.
    pub analysis: Analysis,
    /// Every file read.
    pub db: SourceDb,
    /// Every problem, with overrides applied, sorted.
    pub diagnostics: Diagnostics,
    /// The severity overrides of `nhi.yaml`, for files read later
    /// (decision tests).
    pub overrides: Overrides,
    /// The parse cache the load used, for the caller to leave behind
    /// (`emit::store_cache`).
    pub cache: Option<Session>,
    /// Of a check of only what a question involves ([`involving`]): what
    /// is known of the identity files it did not read.
    pub partial: Option<Partial>,
}

impl Checked {
    /// The name of every identity of the workspace: of a partial check,
    /// of every identity file, read or not.
    #[must_use]
    pub fn identity_names(&self) -> BTreeSet<String> {
        self.partial
            .as_ref()
            .map_or_else(|| self.model.names(), |p| p.names.clone())
    }
}

/// Load and check the workspace rooted at `root` as of `today`, converting
/// each identity as it is read.
///
/// # Errors
///
/// When the workspace cannot be loaded at all.
pub fn workspace(root: &Path, options: LoadOptions, today: Date) -> Result<Checked, LoadError> {
    workspace_cached(root, options, today, None)
}

/// [`workspace`], through the parse cache `cache` when one is given, which
/// the [`Checked`] hands back in `cache`.
///
/// # Errors
///
/// When the workspace cannot be loaded at all.
pub fn workspace_cached(
    root: &Path,
    options: LoadOptions,
    today: Date,
    cache: Option<Session>,
) -> Result<Checked, LoadError> {
    let keep = KeepIdentity::on(today);
    let loaded = load::load_disk(root, options, cache, &converted(today), Some(&keep))?;
    Ok(finish(loaded, today))
}

/// Load and check only the identity files `needs` involves (see
/// [`load::involve`]), as of `today`: enough to decide a request exactly
/// as the whole workspace would, with the problems of those files alone.
/// What `cache` knows of the other files spares reading them (see
/// [`load::load_involving`]).
///
/// # Errors
///
/// When the workspace cannot be loaded at all.
pub fn involving(
    root: &Path,
    options: LoadOptions,
    today: Date,
    needs: &Needs,
    cache: Option<&Session>,
) -> Result<Checked, LoadError> {
    let loaded = load::load_involving(root, options, needs, &converted(today), cache)?;
    Ok(finish(loaded, today))
}

/// Load and check a workspace from any source (a Git tree held in memory,
/// say) as of `today`.
///
/// # Errors
///
/// When the workspace cannot be loaded at all.
pub fn source(
    source: &dyn load::source::Source,
    options: LoadOptions,
    today: Date,
) -> Result<Checked, LoadError> {
    source_cached(source, options, today, None)
}

/// [`source`], reading documents from a parse cache (and keeping the ones
/// it parses there), which the [`Checked`] hands back in `cache`: one
/// cache serves both sides of a diff.
///
/// # Errors
///
/// When the workspace cannot be loaded at all.
pub fn source_cached(
    source: &dyn load::source::Source,
    options: LoadOptions,
    today: Date,
    cache: Option<Session>,
) -> Result<Checked, LoadError> {
    let keep = KeepIdentity::on(today);
    let loaded = load::load_cached(source, options, cache, &converted(today), Some(&keep))?;
    Ok(finish(loaded, today))
}

/// What an identity file converts to as of `today`.
fn converted(
    today: Date,
) -> impl Fn(&SourceDb, FileId, IdentityFile, &mut Diagnostics) -> Option<Box<Identity>> + Sync {
    move |db, file, raw, out| validate::identity::convert(db, file, &raw, today, out).map(Box::new)
}

/// How a converted identity is kept in the cache, in postcard's encoding.
/// The conversion reads the day too: one kept is recalled only on a day
/// its conversion would still report nothing
/// ([`validate::identity::clean_on`]).
struct KeepIdentity {
    today: Date,
}

impl KeepIdentity {
    const fn on(today: Date) -> Self {
        Self { today }
    }
}

impl load::Keep<Box<Identity>> for KeepIdentity {
    fn encode(&self, value: &Box<Identity>) -> Option<Vec<u8>> {
        postcard::to_allocvec(value).ok()
    }

    fn decode(&self, bytes: &[u8]) -> Option<Box<Identity>> {
        let identity: Box<Identity> = postcard::from_bytes(bytes).ok()?;
        validate::identity::clean_on(&identity, self.today).then_some(identity)
    }
}

/// Check a workspace loaded with its raw documents, as of `today`.
#[must_use]
pub fn loaded(loaded: Loaded, today: Date) -> Checked {
    finish(validate::identities(loaded, today), today)
}

fn finish(mut loaded: Loaded<Box<Identity>>, today: Date) -> Checked {
    let cache = loaded.cache.take();
    let files: Vec<_> = loaded.identities.iter().map(|i| i.file).collect();
    let memo = cache
        .as_ref()
        .and_then(|c| memo::Kept::new(c, &loaded.db, &files, today));
    let memo = memo.as_ref().map(|m| m as &dyn Memo);
    let Validated {
        model,
        db,
        mut diagnostics,
        overrides,
        partial,
    } = validate::workspace(loaded, memo);
    let analysis = Analysis::new(&model, today);
    lint::run(&model, &analysis, &mut diagnostics, memo);
    diagnostics.apply_overrides(&overrides);
    diagnostics.scrub(&db);
    diagnostics.sort(&db);
    Checked {
        model,
        analysis,
        db,
        diagnostics,
        overrides,
        cache,
        partial,
    }
}
