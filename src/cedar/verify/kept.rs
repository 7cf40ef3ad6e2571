//! [`verify_model`](super::verify_model) through the cache: the shapes of
//! an identity's rendering are kept (`load::cache`, kind
//! [`Kind::IdentityShapes`]) under the hash of everything that rendering
//! reads, so an identity unchanged since the last run is not rendered
//! again; only the distinct shapes are validated, as always.
//!
//! What one identity's Cedar reads (`Renderer::identity`): its own file,
//! its standing, the namespace, whether the schema names any action, and
//! the delegation chains that end at it, which read each delegator's file
//! and standing. The key holds all of these, the settings files whole
//! (more than the rendering reads, never less), and the representative
//! action the shapes are written with. Each shape's text is kept once, by
//! its hash ([`Kind::Shape`]), and a schema and set of shapes that passed
//! validation are not validated again ([`Kind::Verdict`], under the hash
//! of the schema's text and every shape's). A failure is never kept nor
//! answered from the cache:
//! the whole verification runs again without it, so the error is the one
//! a cold run gives.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analyse::{Analysis, Standing};
use crate::load::cache::{self, Key, Kind, Session};
use crate::model::{Identity, Model};
use crate::source::{FileId, SourceDb};

use super::super::{CedarError, Renderer};
use super::{Shapes, Verified};

/// The shapes of one identity's rendering, by the hashes of their texts.
///
/// Which actions its policies name is checked against the schema when it
/// is rendered, and not kept: they are the ones its own file and its
/// delegators' files name (in the key), and the schema holds every action
/// any identity names.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Kept {
    policies: Vec<Key>,
    entities: Vec<Key>,
}

/// Verify through `cache`; see the module docs.
///
/// # Errors
///
/// As [`super::verify_model`].
pub(super) fn verify(
    renderer: &Renderer<'_>,
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    cache: &Session,
) -> Result<Verified, CedarError> {
    let inputs = Inputs::new(renderer, model, analysis, db);
    let rendered = renderer.identities();
    let kept: Option<Vec<(Kept, bool)>> = rendered
        .par_iter()
        .map(|identity| {
            let key = inputs.key(identity);
            match cache.get_with(Kind::IdentityShapes, &key, |bytes| {
                postcard::from_bytes::<Kept>(bytes).ok()
            }) {
                Some(kept) => Some((kept, false)),
                None => Some((inputs.render(identity, key, cache)?, true)),
            }
        })
        .collect();
    // an action the schema lacks: the error as a cold run words it
    let Some(kept) = kept else {
        return super::verify_model_cold(renderer);
    };
    let mut verified = Verified {
        rendered: kept.iter().filter(|(_, fresh)| *fresh).count(),
        validated: false,
    };
    let schema = renderer.schema();
    let policies: BTreeSet<&Key> = kept.iter().flat_map(|(k, _)| &k.policies).collect();
    let entities: BTreeSet<&Key> = kept.iter().flat_map(|(k, _)| &k.entities).collect();
    let mut shapes = Shapes::default();
    for digest in policies {
        let Some(shape) = text(cache, digest) else {
            return super::verify_model_cold(renderer);
        };
        shapes.policies.entry(shape).or_default();
    }
    for digest in entities {
        let Some(shape) = text(cache, digest) else {
            return super::verify_model_cold(renderer);
        };
        shapes.entities.insert(shape);
    }
    shapes.add_policies(&renderer.guardrails(), schema, renderer.prefix());
    for team in renderer.teams(&rendered) {
        shapes.add_entity(&team);
    }
    // the same schema and the same shapes passed before: nothing to ask
    let verdict = verdict(&schema.text(), &shapes);
    if cache.get_bytes(Kind::Verdict, &verdict).is_some() {
        return Ok(verified);
    }
    match shapes.check(schema) {
        Ok(()) => {
            cache.put_bytes(Kind::Verdict, verdict, Vec::new());
            verified.validated = true;
            Ok(verified)
        }
        // the error as a cold run words it, with a policy of the shape
        Err(_) => super::verify_model_cold(renderer),
    }
}

/// The key of the verdict on a schema and a set of shapes.
fn verdict(schema: &str, shapes: &Shapes) -> Key {
    let mut hasher = cache::hasher(Kind::Verdict);
    cache::field(&mut hasher, schema.as_bytes());
    for shape in shapes.policies.keys() {
        cache::field(&mut hasher, shape.as_bytes());
    }
    hasher.update(b"entities");
    for shape in &shapes.entities {
        cache::field(&mut hasher, shape.as_bytes());
    }
    if let Some((_, _, action)) = &shapes.missing {
        cache::field(&mut hasher, action.as_bytes());
    }
    *hasher.finalize().as_bytes()
}

/// A kept shape's text.
fn text(cache: &Session, digest: &Key) -> Option<String> {
    cache.get_with(Kind::Shape, digest, |bytes| {
        std::str::from_utf8(bytes).ok().map(str::to_owned)
    })
}

/// What every identity's key shares, and each identity file's hash.
struct Inputs<'r, 'm> {
    renderer: &'r Renderer<'m>,
    model: &'m Model,
    analysis: &'m Analysis,
    db: &'m SourceDb,
    shared: Key,
    representative: String,
    files: BTreeMap<FileId, Key>,
}

impl<'r, 'm> Inputs<'r, 'm> {
    fn new(
        renderer: &'r Renderer<'m>,
        model: &'m Model,
        analysis: &'m Analysis,
        db: &'m SourceDb,
    ) -> Self {
        let files: BTreeMap<FileId, Key> = model
            .identities
            .par_iter()
            .map(|(_, i)| (i.file, file_hash(db, i.file)))
            .collect();
        let schema = renderer.schema();
        let representative = schema.actions.keys().next().cloned().unwrap_or_default();
        let mut shared = cache::hasher(Kind::IdentityShapes);
        cache::settings(&mut shared, db, |id| files.contains_key(&id));
        cache::field(&mut shared, renderer.prefix().as_bytes());
        cache::field(&mut shared, representative.as_bytes());
        shared.update(&[u8::from(schema.actions.is_empty())]);
        Self {
            renderer,
            model,
            analysis,
            db,
            shared: *shared.finalize().as_bytes(),
            representative,
            files,
        }
    }

    /// The key of an identity's shapes.
    fn key(&self, identity: &Identity) -> Key {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.shared);
        self.file(&mut hasher, identity);
        let chains = self.analysis.chains().ok();
        for chain in chains
            .and_then(|c| c.get(&identity.name.value))
            .into_iter()
            .flatten()
        {
            hasher.update(b"chain");
            for name in &chain.delegators {
                cache::field(&mut hasher, name.as_str().as_bytes());
                if let Some(delegator) = self.model.identities.get(name) {
                    self.file(&mut hasher, delegator);
                }
            }
        }
        *hasher.finalize().as_bytes()
    }

    /// An identity's file, by path and hash, and its standing.
    fn file(&self, hasher: &mut blake3::Hasher, identity: &Identity) {
        let path = self.db.get(identity.file).map(|f| f.path().as_os_str());
        cache::field(hasher, path.unwrap_or_default().as_encoded_bytes());
        let hash = self.files.get(&identity.file).copied().unwrap_or_default();
        hasher.update(&hash);
        hasher.update(&[match self.analysis.standing(identity) {
            Standing::Active => 0,
            Standing::Suspended => 1,
            Standing::Revoked => 2,
            Standing::Expired => 3,
        }]);
    }

    /// Render an identity, keep its shapes under `key` and return them;
    /// `None` when a policy names an action the schema lacks.
    fn render(&self, identity: &Identity, key: Key, cache: &Session) -> Option<Kept> {
        let ns = self.renderer.prefix();
        let (policies, entity) = self.renderer.identity(identity);
        let schema = self.renderer.schema();
        let mut kept = Kept::default();
        for policy in &policies {
            if !policy
                .actions
                .iter()
                .flatten()
                .all(|a| schema.actions.contains_key(a))
            {
                return None;
            }
            let shape = policy.shape(ns, &self.representative);
            kept.policies.push(keep(cache, shape));
        }
        let entity = serde_json::to_string(&entity.shape()).unwrap_or_default();
        kept.entities.push(keep(cache, entity));
        if let Ok(bytes) = postcard::to_allocvec(&kept) {
            cache.put_bytes(Kind::IdentityShapes, key, bytes);
        }
        Some(kept)
    }
}

/// Keep a shape's text under its hash, which is returned.
fn keep(cache: &Session, shape: String) -> Key {
    let mut hasher = cache::hasher(Kind::Shape);
    hasher.update(shape.as_bytes());
    let digest = *hasher.finalize().as_bytes();
    cache.put_bytes(Kind::Shape, digest, shape.into_bytes());
    digest
}

/// The hash of a file's text.
fn file_hash(db: &SourceDb, file: FileId) -> Key {
    db.get(file).map(|f| *f.hash()).unwrap_or_default()
}
