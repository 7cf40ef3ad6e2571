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
//! The cache is one pack file, written whole by the run that used it (see
//! `emit::store_cache`): the entries the run hit or made, nothing else, so
//! it holds what the workspace is now. Its last 32 bytes are a MAC of the
//! rest (BLAKE3, keyed) under the user's own cache key, 32 random bytes
//! kept outside every workspace (`$XDG_CACHE_HOME/nhi/cache-key`, else
//! `~/.cache/nhi/cache-key`): a pack that someone else wrote — committed
//! to a repository, copied from another machine — is never trusted, nor
//! one that is missing, truncated, of another format or version, or
//! damaged; each is ignored and replaced. An entry that does not decode is
//! a miss. Two runs at once each write their own pack under a temporary
//! name and rename it into place, so a reader sees one whole pack or the
//! other. With no home folder to keep a key in, nothing is cached.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Deserialize;

use crate::raw::node::{Key as MapKey, Node, Value};
use crate::source::Span;

use super::yaml::Budget;

/// The folder under the workspace root that holds the cache.
pub const DIR: &str = ".nhi/cache";
/// The pack file, in [`DIR`].
pub const PACK: &str = "parse.bin";
/// What a pack starts with, its format's version in the last byte.
const MAGIC: &[u8; 8] = b"NHIPRS\x00\x01";

/// A file's key: the hash of nhi's version, the budgets and the bytes.
pub type Key = [u8; 32];

/// The key of a file's text, parsed under `budget`.
#[must_use]
pub fn key(text: &str, budget: Budget) -> Key {
    let mut hasher = blake3::Hasher::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(&[0]);
    for n in [budget.max_depth, budget.max_nodes, budget.max_aliases] {
        hasher.update(&u64::try_from(n).unwrap_or(u64::MAX).to_le_bytes());
    }
    hasher.update(text.as_bytes());
    *hasher.finalize().as_bytes()
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

/// The entries of a pack: where each key's encoded document lies.
#[derive(Default)]
struct Pack {
    bytes: Vec<u8>,
    index: HashMap<Key, (usize, usize)>,
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
        let body_len = bytes.len().checked_sub(32)?;
        let (body, mac) = bytes.split_at(body_len);
        // constant time, as BLAKE3's own comparison of hashes is
        if blake3::keyed_hash(secret, body) != blake3::Hash::from_bytes(mac.try_into().ok()?) {
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
        let count = at.u32()?;
        let mut index = HashMap::new();
        for _ in 0..count {
            let key: Key = at.take(32)?.try_into().ok()?;
            let len = usize::try_from(at.u32()?).ok()?;
            let start = at.at;
            at.take(len)?;
            index.insert(key, (start, len));
        }
        (at.at == body.len()).then_some(Self { bytes, index })
    }

    fn get(&self, key: &Key) -> Option<&[u8]> {
        let &(start, len) = self.index.get(key)?;
        self.bytes.get(start..start + len)
    }
}

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

/// One run's use of the cache: the pack it found, and every entry it hit
/// or made, for the pack it leaves. A document the run parsed is read
/// back from it too, so that a file both sides of a diff hold is parsed
/// once.
#[derive(Debug)]
pub struct Session {
    root: PathBuf,
    secret: Option<Secret>,
    /// Whether the run leaves a pack: not of a [`Session::memory`].
    keeps: bool,
    found: Pack,
    /// Key → the encoded document, when new (a hit is copied from `found`).
    used: Mutex<BTreeMap<Key, Option<Vec<u8>>>>,
}

impl Session {
    /// The cache of the workspace at `root`: its pack, or none when it is
    /// missing or cannot be used.
    #[must_use]
    #[expect(clippy::disallowed_methods, reason = "loading reads the file system")]
    pub fn open(root: &Path) -> Self {
        let secret = read_secret();
        let found = secret
            .and_then(|secret| {
                let bytes = std::fs::read(pack_path(root)).ok()?;
                Pack::read(bytes, &secret)
            })
            .unwrap_or_default();
        Self {
            root: root.to_path_buf(),
            secret,
            keeps: true,
            found,
            used: Mutex::new(BTreeMap::new()),
        }
    }

    /// A session that reads no pack and leaves none (`--no-cache`): it
    /// only spares parsing a file twice in one run.
    #[must_use]
    pub fn memory(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            secret: None,
            keeps: false,
            found: Pack::default(),
            used: Mutex::new(BTreeMap::new()),
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
        let Some(found) = self.found.get(key) else {
            let made = self.used.lock().ok()?.get(key)?.clone()?;
            return postcard::from_bytes::<Stored>(&made).ok().map(Node::from);
        };
        let node = postcard::from_bytes::<Stored>(found).ok()?.into();
        if let Ok(mut used) = self.used.lock() {
            used.insert(*key, None);
        }
        Some(node)
    }

    /// Keep a document this run parsed.
    pub fn put(&self, key: Key, node: &Node) {
        if let Ok(bytes) = postcard::to_allocvec(node)
            && let Ok(mut used) = self.used.lock()
        {
            used.insert(key, Some(bytes));
        }
    }

    /// The workspace root the cache belongs to.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The pack this run leaves, under `secret`, when it differs from the
    /// one it found (an entry made, or one no longer used): its bytes.
    #[must_use]
    pub fn pack(self, secret: &Secret) -> Option<Vec<u8>> {
        if !self.keeps {
            return None;
        }
        let used = self.used.into_inner().ok()?;
        let unchanged = used.values().all(Option::is_none) && used.len() == self.found.index.len();
        if unchanged {
            return None;
        }
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        let version = env!("CARGO_PKG_VERSION").as_bytes();
        out.extend_from_slice(&u16::try_from(version.len()).ok()?.to_le_bytes());
        out.extend_from_slice(version);
        out.extend_from_slice(&u32::try_from(used.len()).ok()?.to_le_bytes());
        for (key, fresh) in &used {
            let bytes = match fresh {
                Some(bytes) => bytes.as_slice(),
                None => self.found.get(key)?,
            };
            out.extend_from_slice(key);
            out.extend_from_slice(&u32::try_from(bytes.len()).ok()?.to_le_bytes());
            out.extend_from_slice(bytes);
        }
        let mac = blake3::keyed_hash(secret, &out);
        out.extend_from_slice(mac.as_bytes());
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        Session {
            root: PathBuf::new(),
            secret: Some(SECRET),
            keeps: true,
            found,
            used: Mutex::new(BTreeMap::new()),
        }
    }

    #[test]
    fn a_pack_gives_back_what_was_put_and_refuses_damage() {
        let k = key("agent: [1.5, -7]", Budget::default());
        let s = session(Pack::default());
        s.put(k, &node());
        let bytes = s.pack(&SECRET).unwrap();
        let s = session(Pack::read(bytes.clone(), &SECRET).unwrap());
        assert_eq!(s.get(&k), Some(node()));
        assert_eq!(s.get(&key("agent: x", Budget::default())), None);
        // the same entries, all hit: nothing to write
        assert!(s.pack(&SECRET).is_none());
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
    fn a_document_parsed_once_is_read_back_in_the_same_run() {
        let k = key("agent: [1.5, -7]", Budget::default());
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
        assert!(memory.pack(&SECRET).is_none());
    }

    #[test]
    fn keys_hold_the_budgets_and_the_bytes() {
        let b = Budget::default();
        assert_eq!(key("a: 1", b), key("a: 1", b));
        assert_ne!(key("a: 1", b), key("a: 2", b));
        let smaller = Budget {
            max_depth: 8,
            ..Budget::default()
        };
        assert_ne!(key("a: 1", b), key("a: 1", smaller));
    }
}
