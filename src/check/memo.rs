//! What the checks about one identity found, kept in the cache between
//! runs ([`Kind::Found`]): under the hash of the stage, nhi's version, the
//! day, every settings file (`nhi.yaml`, the catalogue, the pinned tool
//! lists: more than a check reads, never less) and the identity file's
//! path and text. An identity file that changed, or any change to the
//! settings, or another day, and its checks run again.
//!
//! Nothing is kept or recalled in a workspace where a credential was
//! found: what a check says may quote a value, and a credential never
//! reaches the cache.

use foldhash::{HashMap, HashSet};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::diag::{Code, Diagnostic, Diagnostics, Label, Memo, Severity};
use crate::load::cache::{self, Key, Kind, Session};
use crate::model::Date;
use crate::source::{FileId, Loc, SourceDb, Span};

/// The cache, as the per-identity checks see it.
pub(super) struct Kept<'s> {
    cache: &'s Session,
    /// Each identity file's key: the settings, the day, its path and text.
    keys: HashMap<FileId, Key>,
    /// Each file's path, by id.
    paths: Vec<String>,
    /// Each file's id, by path.
    ids: HashMap<String, FileId>,
}

impl<'s> Kept<'s> {
    /// The memo of a run on `today` over the files of `db`, of which
    /// `identities` are identity files; `None` when a credential was found.
    pub(super) fn new(
        cache: &'s Session,
        db: &SourceDb,
        identities: &[FileId],
        today: Date,
    ) -> Option<Self> {
        if !db.secrets().is_empty() {
            return None;
        }
        let paths: Vec<String> = db
            .ids()
            .map(|id| {
                db.get(id)
                    .map(|f| f.path().to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect();
        let ids = db
            .ids()
            .zip(&paths)
            .map(|(id, path)| (path.clone(), id))
            .collect();
        let mut settings = cache::hasher(Kind::Found);
        cache::field(&mut settings, today.to_string().as_bytes());
        let identity_files: HashSet<&FileId> = identities.iter().collect();
        cache::settings(&mut settings, db, |id| identity_files.contains(&id));
        let keys = identities
            .iter()
            .filter_map(|&id| {
                let file = db.get(id)?;
                let mut hasher = settings.clone();
                cache::field(&mut hasher, file.path().as_os_str().as_encoded_bytes());
                cache::field(&mut hasher, file.hash());
                Some((id, *hasher.finalize().as_bytes()))
            })
            .collect();
        Some(Self {
            cache,
            keys,
            paths,
            ids,
        })
    }

    fn key(&self, stage: &str, file: FileId) -> Option<Key> {
        let mut hasher = blake3::Hasher::new();
        hasher.update(self.keys.get(&file)?);
        cache::field(&mut hasher, stage.as_bytes());
        Some(*hasher.finalize().as_bytes())
    }
}

impl Memo for Kept<'_> {
    fn recall(&self, stage: &'static str, file: FileId) -> Option<Diagnostics> {
        let key = self.key(stage, file)?;
        let stored: Vec<Stored> = self
            .cache
            .get_with(Kind::Found, &key, |bytes| postcard::from_bytes(bytes).ok())?;
        let mut found = Diagnostics::new();
        for d in stored {
            found.push(d.diagnostic(&self.ids)?);
        }
        Some(found)
    }

    fn keep(&self, stage: &'static str, file: FileId, found: &Diagnostics) {
        let Some(key) = self.key(stage, file) else {
            return;
        };
        let stored: Option<Vec<Stored>> =
            found.iter().map(|d| Stored::of(d, &self.paths)).collect();
        if let Some(bytes) = stored.and_then(|s| postcard::to_allocvec(&s).ok()) {
            self.cache.put_bytes(Kind::Found, key, bytes);
        }
    }
}

/// A diagnostic as the cache holds it: its places by path.
#[derive(Serialize, Deserialize)]
struct Stored {
    code: String,
    severity: String,
    message: String,
    labels: Vec<StoredLabel>,
    help: Option<String>,
    notes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredLabel {
    path: String,
    start: usize,
    len: usize,
    message: Option<String>,
    primary: bool,
}

impl Stored {
    fn of(d: &Diagnostic, paths: &[String]) -> Option<Self> {
        Some(Self {
            code: d.code.as_str().to_owned(),
            severity: d.severity.as_str().to_owned(),
            message: d.message.clone(),
            labels: d
                .labels
                .iter()
                .map(|l| {
                    Some(StoredLabel {
                        path: paths.get(l.loc.file.index())?.clone(),
                        start: l.loc.span.start(),
                        len: l.loc.span.len(),
                        message: l.message.clone(),
                        primary: l.primary,
                    })
                })
                .collect::<Option<_>>()?,
            help: d.help.clone(),
            notes: d.notes.clone(),
        })
    }

    fn diagnostic(self, ids: &HashMap<String, FileId>) -> Option<Diagnostic> {
        Some(Diagnostic {
            code: Code::parse(&self.code)?,
            severity: Severity::from_str(&self.severity).ok()?,
            message: self.message,
            labels: self
                .labels
                .into_iter()
                .map(|l| {
                    Some(Label {
                        loc: Loc::new(*ids.get(&l.path)?, Span::new(l.start, l.len)),
                        message: l.message,
                        primary: l.primary,
                    })
                })
                .collect::<Option<_>>()?,
            help: self.help,
            notes: self.notes,
        })
    }
}
