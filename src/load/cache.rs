//! The parse cache: each file's parsed document, known by the BLAKE3 hash
//! of its bytes, kept between runs in `.nhi/cache/` under the workspace
//! root, so that a file unchanged since the last run is not parsed again.
//!
//! A document is what [`super::yaml::parse`] makes of the text and no
//! more: the same bytes always give the same document, so a hit is exactly
//! what a parse would give. The key also holds nhi's version and the YAML
//! budgets, so another nhi, or other budgets, never read an entry. Only
//! documents that parsed cleanly, with no secret in them, are kept: every
//! other file is read the long way, with its diagnostics.
//!
//! The pack holds entries of other kinds too, for the stages after
//! loading (see [`Kind`]): each kind is keyed by the hash of everything
//! its value depends on, under a tag of its own, so that no two kinds can
//! share a key.
//!
//! The cache is one pack file, written whole by the run that used it (see
//! `emit::store_cache`): of each kind the run consulted, the entries it
//! hit or made; of every other kind, what it found. So it holds what the
//! workspace is now, and a command that reads only documents does not
//! throw away what `nhi check` keeps. Its last 32 bytes are a MAC of the
//! rest (BLAKE3, keyed) under the user's own cache key, 32 random bytes
//! kept outside every workspace (`$XDG_CACHE_HOME/nhi/cache-key`, else
//! `~/.cache/nhi/cache-key`): a pack that someone else wrote — committed
//! to a repository, copied from another machine — is never trusted, nor
//! one that is missing, truncated, of another format or version, or
//! damaged; each is ignored and replaced. An entry that does not decode is
//! a miss. Two runs at once each write their own pack under a temporary
//! name and rename it into place, so a reader sees one whole pack or the
//! other. With no home folder to keep a key in, nothing is cached.
//!
//! The entries that tell which files changed ([`Kind::Stat`]) are kept
//! apart, in a pack of their own beside it (the stat index, sealed and
//! written the same way, always whole: it is small), which a question
//! reads without the rest (see [`Session::open_stats`]).

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use serde::Deserialize;

use crate::raw::node::{Key as MapKey, Node, Value};
use crate::source::{FileId, SourceDb, SourceFile, Span};

use super::source::Stamp;
use super::yaml::Budget;

/// The folder under the workspace root that holds the cache.
pub const DIR: &str = ".nhi/cache";
/// The pack file, in [`DIR`].
pub const PACK: &str = "parse.bin";
/// The delta beside it, in [`DIR`]: what runs added since the pack was
/// written whole.
pub const DELTA: &str = "delta.bin";
/// The stat index beside them, in [`DIR`]: the entries of
/// [`Kind::Stat`], in a pack of their own, so that a question reads what
/// it needs to know of every file without reading the rest.
pub const STATS: &str = "stat.bin";
/// What a pack starts with, its format's version in the last byte.
const MAGIC: &[u8; 8] = b"NHIPRS\x00\x07";

/// An entry's key: the hash of nhi's version, its kind and everything its
/// value depends on.
pub type Key = [u8; 32];

/// What an entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A file's parsed document.
    Document,
    /// The Cedar shapes of one identity's rendering (`cedar::verify`).
    IdentityShapes,
    /// One Cedar policy or entity shape, by the hash of its text.
    Shape,
    /// That a schema and a set of shapes passed validation (no value).
    Verdict,
    /// What the checks of one stage found about one identity (`check`).
    Found,
    /// What an identity file converts to, with no problem found (`load`).
    Checked,
    /// An identity file's stamp, the hash of its text then, and what the
    /// text tells of its delegations (`load`).
    Stat,
}

impl Kind {
    const ALL: [Self; 7] = [
        Self::Document,
        Self::IdentityShapes,
        Self::Shape,
        Self::Verdict,
        Self::Found,
        Self::Checked,
        Self::Stat,
    ];

    const fn byte(self) -> u8 {
        match self {
            Self::Document => 0,
            Self::IdentityShapes => 1,
            Self::Shape => 2,
            Self::Verdict => 3,
            Self::Found => 4,
            Self::Checked => 5,
            Self::Stat => 6,
        }
    }

    fn of(byte: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.byte() == byte)
    }

    const fn bit(self) -> u8 {
        1 << self.byte()
    }
}

/// A hasher for a key of `kind`, seeded with nhi's version and the kind:
/// the caller adds everything the entry depends on.
#[must_use]
pub fn hasher(kind: Kind) -> blake3::Hasher {
    let mut hasher = blake3::Hasher::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(&[0, kind.byte()]);
    hasher
}

/// Add one field of a key, its length first, so that fields never run
/// together.
pub fn field(hasher: &mut blake3::Hasher, bytes: &[u8]) {
    hasher.update(&u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_le_bytes());
    hasher.update(bytes);
}

/// Add every file of `db` that is not an identity file (`is_identity`):
/// the settings, whole, by path and text — more than any check reads of
/// them, never less.
pub fn settings(hasher: &mut blake3::Hasher, db: &SourceDb, is_identity: impl Fn(FileId) -> bool) {
    for id in db.ids().filter(|&id| !is_identity(id)) {
        if let Some(file) = db.get(id) {
            field(hasher, file.path().as_os_str().as_encoded_bytes());
            field(hasher, file.hash());
        }
    }
}

/// The key of a file's text, parsed under `budget`.
#[must_use]
pub fn key(file: &SourceFile, budget: Budget) -> Key {
    let mut hasher = hasher(Kind::Document);
    limits(&mut hasher, budget);
    hasher.update(file.hash());
    *hasher.finalize().as_bytes()
}

/// Add the limits a file was parsed under: a document parsed under other
/// limits may have been refused, or accepted, where these would not.
pub fn limits(hasher: &mut blake3::Hasher, budget: Budget) {
    for n in [budget.max_depth, budget.max_nodes, budget.max_aliases] {
        hasher.update(&u64::try_from(n).unwrap_or(u64::MAX).to_le_bytes());
    }
}

/// How long before a run a file must have last changed for the run to
/// note its stamp: two seconds, the coarsest clock of a common file
/// system.
const TICK: i128 = 2_000_000_000;

/// The key of a file's stamp: its workspace-relative path, and the limits
/// what its text tells was read under.
fn stat_key(path: &Path, budget: Budget) -> Key {
    let mut hasher = hasher(Kind::Stat);
    limits(&mut hasher, budget);
    field(&mut hasher, path.as_os_str().as_encoded_bytes());
    *hasher.finalize().as_bytes()
}

/// Now, in nanoseconds since the epoch (0 when the clock is before it).
#[expect(
    clippy::disallowed_methods,
    reason = "a file's stamp is told against the clock"
)]
fn now() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i128::try_from(d.as_nanos()).unwrap_or(0))
}

/// The bytes of a cache key.
pub type Secret = [u8; 32];

/// Where the user's cache key is kept: `$XDG_CACHE_HOME/nhi/cache-key`,
/// else `$HOME/.cache/nhi/cache-key`; `None` with neither.
#[must_use]
pub fn secret_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    base.is_absolute()
        .then(|| base.join("nhi").join("cache-key"))
}

/// The user's cache key, when there is one.
#[must_use]
#[expect(clippy::disallowed_methods, reason = "loading reads the file system")]
pub fn read_secret() -> Option<Secret> {
    std::fs::read(secret_path()?).ok()?.try_into().ok()
}

/// The path of the pack under a workspace root.
#[must_use]
pub fn pack_path(root: &Path) -> PathBuf {
    root.join(DIR).join(PACK)
}

/// The path of the delta under a workspace root.
#[must_use]
pub fn delta_path(root: &Path) -> PathBuf {
    root.join(DIR).join(DELTA)
}

/// The path of the stat index under a workspace root.
#[must_use]
pub fn stats_path(root: &Path) -> PathBuf {
    root.join(DIR).join(STATS)
}

/// What a run leaves: the pack (whole or a delta), and the stat index
/// (always whole: it is small).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Left {
    /// The pack, when it changed.
    pub pack: Option<Written>,
    /// The stat index, when it changed.
    pub stats: Option<Vec<u8>>,
}

/// What a run leaves: the pack whole (and no delta), or a delta over the
/// pack it found.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    /// A new pack, holding every entry the run keeps.
    Whole(Vec<u8>),
    /// A new delta, holding what the run keeps that the pack lacks.
    Delta(Vec<u8>),
}

/// How much of a pack may be waste (entries no run uses any more) or
/// delta before the pack is written whole again: a quarter.
const SLACK: usize = 4;
/// The bytes of an entry before its value: key, kind and length.
const ENTRY: usize = 32 + 1 + 4;

/// The entries of a pack: where each key's encoded document lies.
#[derive(Default)]
struct Pack {
    bytes: Vec<u8>,
    index: Index,
    /// The MAC that ends the pack: what a delta over it names.
    mac: Option<[u8; 32]>,
    /// The pack's own bytes (before a delta's, which follow them).
    base_len: usize,
}

impl std::fmt::Debug for Pack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Pack({} entries, {} bytes)",
            self.index.len(),
            self.bytes.len()
        )
    }
}

impl Pack {
    /// Read a pack's bytes; `None` when they are not a whole pack of this
    /// format and version.
    fn read(bytes: Vec<u8>, secret: &Secret) -> Option<Self> {
        let (index, over, mac) = Self::entries(&bytes, secret, 0)?;
        (over == [0; 32]).then_some(Self {
            base_len: bytes.len(),
            bytes,
            index,
            mac: Some(mac),
        })
    }

    /// Add a delta's entries, when it is a whole delta over this pack;
    /// otherwise leave the pack as it is.
    fn add_delta(&mut self, delta: &[u8], secret: &Secret) {
        let Some(mac) = self.mac else {
            return;
        };
        let Some((index, over, _)) = Self::entries(delta, secret, self.bytes.len()) else {
            return;
        };
        if over != mac {
            return;
        }
        self.bytes.extend_from_slice(delta);
        self.index.extend(index);
    }

    /// The entries of a pack or delta, at their places once its bytes
    /// start at `offset`; what pack it is a delta over (zeros: none); its
    /// MAC.
    fn entries(
        bytes: &[u8],
        secret: &Secret,
        offset: usize,
    ) -> Option<(Index, [u8; 32], [u8; 32])> {
        let body_len = bytes.len().checked_sub(32)?;
        let (body, mac) = bytes.split_at(body_len);
        let mac: [u8; 32] = mac.try_into().ok()?;
        // constant time, as BLAKE3's own comparison of hashes is
        if blake3::keyed_hash(secret, body) != blake3::Hash::from_bytes(mac) {
            return None;
        }
        let mut at = Reader { bytes: body, at: 0 };
        if at.take(MAGIC.len())? != MAGIC {
            return None;
        }
        let version_len = usize::from(at.u16()?);
        let version = at.take(version_len)?;
        if version != env!("CARGO_PKG_VERSION").as_bytes() {
            return None;
        }
        let over: [u8; 32] = at.take(32)?.try_into().ok()?;
        let count = at.u32()?;
        let mut index = HashMap::with_capacity(usize::try_from(count).ok()?);
        for _ in 0..count {
            let key: Key = at.take(32)?.try_into().ok()?;
            let kind = Kind::of(*at.take(1)?.first()?)?;
            let len = usize::try_from(at.u32()?).ok()?;
            let start = at.at;
            at.take(len)?;
            index.insert(key, (kind, offset + start, len, AtomicBool::new(false)));
        }
        (at.at == body.len()).then_some((index, over, mac))
    }

    /// A pack (or a delta `over` a pack) of `entries`, sealed.
    fn write(&self, entries: &Used, over: [u8; 32], secret: &Secret) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        let version = env!("CARGO_PKG_VERSION").as_bytes();
        out.extend_from_slice(&u16::try_from(version.len()).ok()?.to_le_bytes());
        out.extend_from_slice(version);
        out.extend_from_slice(&over);
        out.extend_from_slice(&u32::try_from(entries.len()).ok()?.to_le_bytes());
        for (key, (kind, fresh)) in entries {
            let bytes = match fresh {
                Some(bytes) => bytes.as_slice(),
                None => self.get(key)?.1,
            };
            out.extend_from_slice(key);
            out.push(kind.byte());
            out.extend_from_slice(&u32::try_from(bytes.len()).ok()?.to_le_bytes());
            out.extend_from_slice(bytes);
        }
        let mac = blake3::keyed_hash(secret, &out);
        out.extend_from_slice(mac.as_bytes());
        Some(out)
    }

    /// The key and kind of each entry `keep` keeps.
    fn kept(&self, keep: impl Fn(&Key, Kind, &AtomicBool) -> bool) -> Vec<(Key, Kind)> {
        self.index
            .iter()
            .filter(|(key, (kind, _, _, used))| keep(key, *kind, used))
            .map(|(key, (kind, _, _, _))| (*key, *kind))
            .collect()
    }

    fn get(&self, key: &Key) -> Option<(Kind, &[u8])> {
        let &(kind, start, len, _) = self.index.get(key)?;
        Some((kind, self.bytes.get(start..start + len)?))
    }

    /// The bytes of the entry of `kind` under `key`, marked used.
    fn hit(&self, kind: Kind, key: &Key) -> Option<&[u8]> {
        let (found, start, len, used) = self.index.get(key)?;
        if *found != kind {
            return None;
        }
        used.store(true, Ordering::Relaxed);
        self.bytes.get(*start..start + len)
    }
}

/// Where each entry of a pack lies: its kind, start and length, and
/// whether this run used it (set without a lock: runs hit thousands).
type Index = HashMap<Key, (Kind, usize, usize, AtomicBool)>;

/// A cursor over a pack's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

/// A document as the pack holds it: [`Node`] as its derived `Serialize`
/// writes it (the parser deserializes `Node` from YAML, so the pack reads
/// it back through this twin of the same shape, field for field and
/// variant for variant).
#[derive(Deserialize)]
struct Stored {
    value: StoredValue,
    span: Span,
}

#[derive(Deserialize)]
enum StoredValue {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Stored>),
    Map(Vec<(StoredKey, Stored)>),
}

#[derive(Deserialize)]
struct StoredKey {
    name: String,
    span: Span,
}

impl From<Stored> for Node {
    fn from(s: Stored) -> Self {
        let value = match s.value {
            StoredValue::Null => Value::Null,
            StoredValue::Bool(b) => Value::Bool(b),
            StoredValue::Int(i) => Value::Int(i),
            StoredValue::Float(f) => Value::Float(f),
            StoredValue::Str(t) => Value::Str(t),
            StoredValue::Seq(items) => Value::Seq(items.into_iter().map(Self::from).collect()),
            StoredValue::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            MapKey {
                                name: k.name,
                                span: k.span,
                            },
                            Self::from(v),
                        )
                    })
                    .collect(),
            ),
        };
        Self {
            value,
            span: s.span,
        }
    }
}

/// The entries a run used: each one's kind and, when the run made it, its
/// encoded value.
type Used = BTreeMap<Key, (Kind, Option<Vec<u8>>)>;

/// One run's use of the cache: the pack it found, and every entry it hit
/// or made, for the pack it leaves. An entry the run made is read back
/// from it too, so that a file both sides of a diff hold is parsed once.
#[derive(Debug)]
pub struct Session {
    root: PathBuf,
    secret: Option<Secret>,
    /// Whether the run leaves a pack: not of a [`Session::memory`].
    keeps: bool,
    /// The pack found, of every kind but [`Kind::Stat`].
    found: Pack,
    /// The stat index found.
    stats: Pack,
    /// Whether the run read the pack (not only the stat index): one that
    /// did not leaves it as it is.
    whole: bool,
    /// Key → its kind and the encoded value, when new (a hit is copied
    /// from `found`).
    used: Mutex<Used>,
    /// The kinds the run looked up or made, a bit each.
    consulted: AtomicU8,
    /// When the run started, in nanoseconds since the epoch: what it
    /// reads of a file is known as of then.
    started: i128,
}

impl Session {
    /// The cache of the workspace at `root`: its pack and stat index, or
    /// none of either when it is missing or cannot be used.
    #[must_use]
    pub fn open(root: &Path) -> Self {
        Self::opened(root, true)
    }

    /// The stat index of the workspace at `root` alone, for a run that
    /// asks nothing else of the cache (a question): the pack is neither
    /// read nor written.
    #[must_use]
    pub fn open_stats(root: &Path) -> Self {
        Self::opened(root, false)
    }

    #[expect(clippy::disallowed_methods, reason = "loading reads the file system")]
    fn opened(root: &Path, whole: bool) -> Self {
        let secret = read_secret();
        let read = |path: PathBuf| {
            let secret = secret.as_ref()?;
            Pack::read(std::fs::read(path).ok()?, secret)
        };
        let found = whole
            .then(|| {
                let mut pack = read(pack_path(root))?;
                if let (Some(secret), Ok(delta)) = (&secret, std::fs::read(delta_path(root))) {
                    pack.add_delta(&delta, secret);
                }
                Some(pack)
            })
            .flatten()
            .unwrap_or_default();
        let stats = read(stats_path(root)).unwrap_or_default();
        Self::new(root, secret, true, found, stats, whole)
    }

    /// A session that reads no pack and leaves none (`--no-cache`): it
    /// only spares parsing a file twice in one run.
    #[must_use]
    pub fn memory(root: &Path) -> Self {
        Self::new(root, None, false, Pack::default(), Pack::default(), true)
    }

    fn new(
        root: &Path,
        secret: Option<Secret>,
        keeps: bool,
        found: Pack,
        stats: Pack,
        whole: bool,
    ) -> Self {
        Self {
            root: root.to_path_buf(),
            secret,
            keeps,
            found,
            stats,
            whole,
            used: Mutex::new(BTreeMap::new()),
            consulted: AtomicU8::new(0),
            started: now(),
        }
    }

    /// The hash of a file's text as a run read it before, when the file
    /// system says the file has not changed since (its stamp is the same),
    /// with what was noted the text tells (of its delegations:
    /// [`super::involve::Delegation`]), if anything.
    #[must_use]
    pub fn known<T: serde::de::DeserializeOwned>(
        &self,
        path: &Path,
        stamp: &Stamp,
        budget: Budget,
    ) -> Option<([u8; 32], Option<T>)> {
        self.get_with(Kind::Stat, &stat_key(path, budget), |bytes| {
            let (then, hash, told): (Stamp, [u8; 32], Option<T>) =
                postcard::from_bytes(bytes).ok()?;
            (then == *stamp).then_some((hash, told))
        })
    }

    /// Note the hash of a file's text as this run read it, its stamp, and
    /// what the text tells (when that is known, under `budget`), when the
    /// file had not changed for a while before the run
    /// started: a change within the same tick of the clock as the run read
    /// it would not show in its stamp, and one after a while always does.
    pub fn note<T: serde::Serialize>(
        &self,
        path: &Path,
        stamp: &Stamp,
        hash: &[u8; 32],
        told: Option<&T>,
        budget: Budget,
    ) {
        let settled = self.started - TICK;
        if stamp.modified < settled
            && stamp.changed < settled
            && let Ok(bytes) = postcard::to_allocvec(&(stamp, hash, told))
        {
            self.put_bytes(Kind::Stat, stat_key(path, budget), bytes);
        }
    }

    /// Whether the run leaves a pack behind.
    #[must_use]
    pub const fn keeps(&self) -> bool {
        self.keeps
    }

    /// The user's cache key this run found, if any.
    #[must_use]
    pub const fn secret(&self) -> Option<&Secret> {
        self.secret.as_ref()
    }

    /// The document of a file, when the pack holds it or this run parsed
    /// it already.
    #[must_use]
    pub fn get(&self, key: &Key) -> Option<Node> {
        self.read(Kind::Document, key, |bytes| {
            postcard::from_bytes::<Stored>(bytes).ok().map(Node::from)
        })
    }

    /// Keep a document this run parsed.
    pub fn put(&self, key: Key, node: &Node) {
        if let Ok(bytes) = postcard::to_allocvec(node) {
            self.put_bytes(Kind::Document, key, bytes);
        }
    }

    /// The encoded value of an entry of `kind`, when the pack holds it or
    /// this run made it.
    #[must_use]
    pub fn get_bytes(&self, kind: Kind, key: &Key) -> Option<Vec<u8>> {
        self.read(kind, key, |bytes| Some(bytes.to_vec()))
    }

    /// The value of an entry of `kind` as `decode` reads it from its
    /// bytes, when the pack holds it or this run made it.
    pub fn get_with<T>(
        &self,
        kind: Kind,
        key: &Key,
        decode: impl FnOnce(&[u8]) -> Option<T>,
    ) -> Option<T> {
        self.read(kind, key, decode)
    }

    /// Keep an entry of `kind` this run made.
    pub fn put_bytes(&self, kind: Kind, key: Key, bytes: Vec<u8>) {
        self.consulted.fetch_or(kind.bit(), Ordering::Relaxed);
        if let Ok(mut used) = self.used.lock() {
            used.insert(key, (kind, Some(bytes)));
        }
    }

    /// Decode the entry of `kind` under `key` with `decode`: a hit is kept
    /// for the next pack.
    fn read<T>(&self, kind: Kind, key: &Key, decode: impl FnOnce(&[u8]) -> Option<T>) -> Option<T> {
        self.consulted.fetch_or(kind.bit(), Ordering::Relaxed);
        let found = self.found_of(kind);
        if found.index.contains_key(key) {
            // kept as used even when it does not decode: it is this key's
            // value, and the next run finds it the same
            return decode(found.hit(kind, key)?);
        }
        // copied out, so that others read while this one decodes
        let made = match self.used.lock().ok()?.get(key)? {
            (made_kind, Some(made)) if *made_kind == kind => made.clone(),
            _ => return None,
        };
        decode(&made)
    }

    /// Where the entries of `kind` were found.
    const fn found_of(&self, kind: Kind) -> &Pack {
        match kind {
            Kind::Stat => &self.stats,
            _ => &self.found,
        }
    }

    /// The workspace root the cache belongs to.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// What this run leaves, under `secret`, where it differs from what
    /// it found: the entries it used, and of the kinds it never consulted,
    /// every entry found. Of the pack, those the pack lacks go into a
    /// delta over it, so a run that changed a file writes about that file,
    /// not the workspace; the pack is written whole when there is none, or
    /// when the delta and the entries no run uses any more would grow past
    /// a quarter of it. The stat index is written whole.
    #[must_use]
    pub fn pack(self, secret: &Secret) -> Left {
        if !self.keeps {
            return Left::default();
        }
        let consulted = self.consulted.into_inner();
        let Ok(fresh) = self.used.into_inner() else {
            return Left::default();
        };
        let (stats, fresh): (Used, Used) = fresh
            .into_iter()
            .partition(|(_, (kind, _))| *kind == Kind::Stat);
        Left {
            pack: self
                .whole
                .then(|| left_pack(&self.found, fresh, consulted, secret))
                .flatten(),
            stats: left_stats(&self.stats, stats, consulted, secret),
        }
    }
}

/// Of the entries found, whether the next pack keeps one: used by this
/// run (and not made again), or of a kind it never consulted.
fn kept(fresh: &Used, consulted: u8, key: &Key, kind: Kind, used: &AtomicBool) -> bool {
    !fresh.contains_key(key) && (used.load(Ordering::Relaxed) || consulted & kind.bit() == 0)
}

/// The stat index a run leaves, when it differs from the one found.
fn left_stats(found: &Pack, fresh: Used, consulted: u8, secret: &Secret) -> Option<Vec<u8>> {
    let still = |key: &Key, kind: Kind, used: &AtomicBool| kept(&fresh, consulted, key, kind, used);
    // (looked at before anything is copied: most runs change nothing)
    let dropped = found
        .index
        .iter()
        .any(|(key, (kind, _, _, used))| !fresh.contains_key(key) && !still(key, *kind, used));
    if fresh.is_empty() && !dropped {
        return None;
    }
    let entries = found.kept(still);
    let mut all = fresh;
    all.extend(entries.into_iter().map(|(key, kind)| (key, (kind, None))));
    found.write(&all, [0; 32], secret)
}

/// The pack a run leaves, when it differs from the one found.
fn left_pack(found: &Pack, fresh: Used, consulted: u8, secret: &Secret) -> Option<Written> {
    let kept = |key: &Key, kind: Kind, used: &AtomicBool| kept(&fresh, consulted, key, kind, used);
    // an entry's size in a pack: its key, kind and length, and value
    let fresh_len: usize = fresh
        .values()
        .map(|(_, bytes)| ENTRY + bytes.as_ref().map_or(0, Vec::len))
        .sum();
    let mut waste = 0;
    // what the delta found carries on to the next
    let mut carried: Vec<(Key, Kind)> = Vec::new();
    let mut delta_len = fresh_len;
    #[expect(
        clippy::iter_over_hash_type,
        reason = "sums, and a list the delta sorts by key"
    )]
    for (key, (kind, start, len, used)) in &found.index {
        if !kept(key, *kind, used) {
            if !fresh.contains_key(key) {
                waste += ENTRY + len;
            }
        } else if *start >= found.base_len {
            carried.push((*key, *kind));
            delta_len += ENTRY + len;
        }
    }
    let limit = found.base_len / SLACK;
    if fresh_len == 0 && waste <= limit {
        return None;
    }
    match found.mac {
        Some(over) if delta_len + waste <= limit => {
            let mut delta = fresh;
            delta.extend(carried.into_iter().map(|(key, kind)| (key, (kind, None))));
            Some(Written::Delta(found.write(&delta, over, secret)?))
        }
        _ => {
            let still = found.kept(kept);
            let mut entries = fresh;
            entries.extend(still.into_iter().map(|(key, kind)| (key, (kind, None))));
            Some(Written::Whole(found.write(&entries, [0; 32], secret)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document key of a file holding `text`.
    fn text_key(text: &str, budget: Budget) -> Key {
        let mut db = SourceDb::new();
        let id = db.add(PathBuf::from("f.yaml"), std::sync::Arc::from(text));
        db.get(id).map(|f| key(f, budget)).unwrap_or_default()
    }

    fn node() -> Node {
        Node {
            value: Value::Map(vec![(
                MapKey {
                    name: "agent".to_owned(),
                    span: Span::new(0, 5),
                },
                Node {
                    value: Value::Seq(vec![
                        Node {
                            value: Value::Float(1.5),
                            span: Span::new(8, 3),
                        },
                        Node {
                            value: Value::Int(-7),
                            span: Span::new(13, 2),
                        },
                    ]),
                    span: Span::new(7, 10),
                },
            )]),
            span: Span::new(0, 17),
        }
    }

    const SECRET: Secret = [7; 32];

    fn session(found: Pack) -> Session {
        Session::new(
            Path::new(""),
            Some(SECRET),
            true,
            found,
            Pack::default(),
            true,
        )
    }

    /// The pack a run writes whole.
    #[track_caller]
    fn whole(written: Option<Written>) -> Vec<u8> {
        match written {
            Some(Written::Whole(bytes)) => bytes,
            other => panic!("not a whole pack: {other:?}"),
        }
    }

    #[test]
    fn a_small_change_goes_into_a_delta_until_the_pack_is_a_quarter_waste() {
        let keys: Vec<Key> = (0..20)
            .map(|i| text_key(&format!("agent: a{i}"), Budget::default()))
            .collect();
        let s = session(Pack::default());
        for k in &keys {
            s.put(*k, &node());
        }
        let base = whole(s.pack(&SECRET).pack);
        // every entry used and one made: a delta holding the new one
        let s = session(Pack::read(base.clone(), &SECRET).unwrap());
        for k in &keys {
            assert_eq!(s.get(k), Some(node()));
        }
        let extra = text_key("agent: new", Budget::default());
        s.put(extra, &node());
        let Some(Written::Delta(delta)) = s.pack(&SECRET).pack else {
            panic!("not a delta")
        };
        assert!(delta.len() < base.len() / 4);
        let with_delta = || {
            let mut pack = Pack::read(base.clone(), &SECRET).unwrap();
            pack.add_delta(&delta, &SECRET);
            pack
        };
        let s = session(with_delta());
        assert_eq!(s.get(&extra), Some(node()));
        assert_eq!(s.get(&keys[0]), Some(node()));
        // a delta over another pack, or damaged, or another user's, is not read
        let other = session(Pack::default());
        other.put(keys[0], &node());
        let mut pack = Pack::read(whole(other.pack(&SECRET).pack), &SECRET).unwrap();
        pack.add_delta(&delta, &SECRET);
        assert_eq!(session(pack).get(&extra), None);
        let mut damaged = delta.clone();
        damaged[delta.len() / 2] ^= 1;
        let mut pack = Pack::read(base.clone(), &SECRET).unwrap();
        pack.add_delta(&damaged, &SECRET);
        assert_eq!(session(pack).get(&extra), None);
        let mut pack = Pack::read(base.clone(), &SECRET).unwrap();
        pack.add_delta(&delta, &[8; 32]);
        assert_eq!(session(pack).get(&extra), None);
        // the same again: nothing to write
        let s = session(with_delta());
        for k in keys.iter().chain([&extra]) {
            assert!(s.get(k).is_some());
        }
        assert_eq!(s.pack(&SECRET).pack, None);
        // half the entries no longer used: the pack is written whole,
        // with what is used alone
        let s = session(with_delta());
        for k in keys[..10].iter().chain([&extra]) {
            assert!(s.get(k).is_some());
        }
        let s = session(Pack::read(whole(s.pack(&SECRET).pack), &SECRET).unwrap());
        assert_eq!(s.found.index.len(), 11);
        assert_eq!(s.get(&extra), Some(node()));
        assert_eq!(s.get(&keys[19]), None);
    }

    #[test]
    fn a_pack_gives_back_what_was_put_and_refuses_damage() {
        let k = text_key("agent: [1.5, -7]", Budget::default());
        let s = session(Pack::default());
        s.put(k, &node());
        let bytes = whole(s.pack(&SECRET).pack);
        let s = session(Pack::read(bytes.clone(), &SECRET).unwrap());
        assert_eq!(s.get(&k), Some(node()));
        assert_eq!(s.get(&text_key("agent: x", Budget::default())), None);
        // the same entries, all hit: nothing to write
        assert!(s.pack(&SECRET).pack.is_none());
        // any byte changed, or any cut, and the pack is not read
        for at in [0, 9, bytes.len() / 2, bytes.len() - 1] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 1;
            assert!(Pack::read(damaged, &SECRET).is_none(), "byte {at}");
        }
        assert!(Pack::read(bytes[..bytes.len() - 1].to_vec(), &SECRET).is_none());
        assert!(Pack::read(Vec::new(), &SECRET).is_none());
        // nor under another user's key, whole as it is
        assert!(Pack::read(bytes, &[8; 32]).is_none());
    }

    #[test]
    fn a_run_keeps_what_it_used_of_the_kinds_it_consulted_and_all_of_the_others() {
        let doc = text_key("agent: [1.5, -7]", Budget::default());
        let shape = [9; 32];
        let s = session(Pack::default());
        s.put(doc, &node());
        s.put_bytes(Kind::Shape, shape, b"permit".to_vec());
        let bytes = whole(s.pack(&SECRET).pack);
        let reopen = || session(Pack::read(bytes.clone(), &SECRET).unwrap());
        // a kind is its own: the same key under another kind is a miss
        let s = reopen();
        assert_eq!(s.get_bytes(Kind::Shape, &doc), None);
        assert_eq!(s.get(&shape), None);
        // reading documents only, as `nhi build` does: the shapes stay
        let s = reopen();
        assert_eq!(s.get(&doc), Some(node()));
        assert!(s.pack(&SECRET).pack.is_none(), "nothing changed");
        // a run that consulted documents and used none drops them alone
        let s = reopen();
        assert_eq!(s.get(&text_key("agent: x", Budget::default())), None);
        let left = session(Pack::read(whole(s.pack(&SECRET).pack), &SECRET).unwrap());
        assert_eq!(left.get(&doc), None);
        assert_eq!(
            left.get_bytes(Kind::Shape, &shape).as_deref(),
            Some(&b"permit"[..])
        );
    }

    #[test]
    fn a_document_parsed_once_is_read_back_in_the_same_run() {
        let k = text_key("agent: [1.5, -7]", Budget::default());
        let s = session(Pack::default());
        assert_eq!(s.get(&k), None);
        s.put(k, &node());
        assert_eq!(s.get(&k), Some(node()));
        // without a cache, the same within the run, and no pack left
        let memory = Session::memory(Path::new("ws"));
        assert_eq!(memory.get(&k), None);
        memory.put(k, &node());
        assert_eq!(memory.get(&k), Some(node()));
        assert!(!memory.keeps());
        assert!(memory.pack(&SECRET) == Left::default());
    }

    #[test]
    fn keys_hold_the_budgets_and_the_bytes() {
        let b = Budget::default();
        assert_eq!(text_key("a: 1", b), text_key("a: 1", b));
        assert_ne!(text_key("a: 1", b), text_key("a: 2", b));
        let smaller = Budget {
            max_depth: 8,
            ..Budget::default()
        };
        assert_ne!(text_key("a: 1", b), text_key("a: 1", smaller));
    }
}
