//! Loading only what a question involves: the identity files a decision
//! about one principal can depend on, found without parsing the rest.
//!
//! A decision on a principal's request reads its own policies, the
//! policies of every delegation chain ending at it and the guardrails.
//! The chains are written in the delegators' files, so besides the files
//! named by the question, every file that delegates to an involved
//! identity is involved, transitively. A file can delegate only if its
//! text holds `delegation`, and can name an identity only if it holds the
//! name (or a backslash: an escape in a double-quoted string can spell
//! either without its letters), so one scan of the bytes leaves a few
//! files to parse. A file that cannot be read or parsed might delegate:
//! it is loaded, and its problem reported, rather than passed over.
//!
//! What that scan tells of a file ([`Delegation`]) is kept in the cache
//! with the file's stamp, by this load and by every whole one: a file the
//! file system says is unchanged since is read only when it is involved.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use memchr::memmem;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::raw::{Node, Value};
use crate::source::SourceDb;

use super::cache::Session;
use super::guard::{Found, ReadFile};
use super::source::{Source, Stamp};
use super::{LoadOptions, parse_text};

/// What a question involves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// Identities read by name: the file whose stem is the name (as `nhi
    /// check` requires of every identity), in any subfolder.
    pub names: BTreeSet<String>,
    /// Identities whose delegators are read too: every identity that
    /// delegates to one of them, and to those, transitively.
    pub delegated: BTreeSet<String>,
    /// Text: every identity file that holds one of these is read.
    pub terms: BTreeSet<String>,
}

impl Needs {
    /// What a request by `principal`, on behalf of `chain`, involves.
    #[must_use]
    pub fn request(principal: &str, chain: &[String]) -> Self {
        let mut names: BTreeSet<String> = chain.iter().cloned().collect();
        names.insert(principal.to_owned());
        Self {
            names,
            delegated: BTreeSet::from([principal.to_owned()]),
            terms: BTreeSet::new(),
        }
    }
}

/// What a partial load knows of the files it did not read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Partial {
    /// The name of every identity file of the workspace (its stem), read
    /// or not.
    pub names: BTreeSet<String>,
    /// How many identity files the workspace has.
    pub files: usize,
}

/// What an identity file's text tells of the delegations it writes, as
/// far as choosing the files a question involves needs it. It is kept in
/// the cache with the file's stamp ([`super::cache::Session::note`]), so
/// that a file unchanged since a run read it is not read again to tell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delegation {
    /// It delegates to no one: its text holds neither `delegation` nor an
    /// escape that could spell it.
    None,
    /// Its own names (its stem and the name it declares) and the agents it
    /// delegates to.
    To {
        /// Its stem, and its `agent` when that is a string.
        own: Vec<String>,
        /// The `agent` of each of its `may_delegate_to` grants.
        to: Vec<String>,
    },
}

/// What a file delegates to, once parsed: its own names (stem and
/// declared) and its delegates; `None` when that cannot be told.
type Delegates = Option<(Vec<String>, Vec<String>)>;

/// What a scan knows of one identity file's delegations.
enum Scan {
    /// It delegates to no one.
    None,
    /// Its text may delegate: the part that can name a delegate is kept
    /// ([`delegating_part`]), and the file read again in full if that
    /// names an involved identity.
    Text(Box<str>),
    /// Parsed: its names and delegates, or `None` when that cannot be
    /// told; and whether that may be kept in the cache (not when it was
    /// read from a text with a credential in it).
    Told(Delegates, bool),
    /// Known from the cache: its names and delegates.
    Known(Vec<String>, Vec<String>),
}

/// One identity file after the scan.
struct Pick {
    /// Its text, while it is selected or was found delegating: `None`
    /// when it has not been read or was let go.
    read: Option<ReadFile>,
    /// Its stamp, taken before it was read, and the hash of the text read,
    /// when the cache is kept and the file was read cleanly (boxed: a
    /// question asked with no cache scans every file without one).
    read_as: Option<Box<(Stamp, [u8; 32])>>,
    /// Whether it is read in full.
    selected: bool,
    /// What is known of its delegations.
    scan: Scan,
    /// Whether it was found delegating to an involved identity.
    delegator: bool,
}

/// The stem of an identity file's path.
fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn holds(text: &str, needle: &str) -> bool {
    memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
}

/// Whether a text can write a delegation: it holds `delegation`, or a
/// backslash (an escape in a double-quoted string can spell it).
pub(super) fn may_delegate(text: &str) -> bool {
    holds(text, "delegation") || holds(text, "\\")
}

/// The part of a text that may delegate in which it can name a delegate:
/// from its first `delegation` on, as a delegate is named in the value of
/// that key, which follows the key. The whole text when an escape could
/// spell the key elsewhere, or when that part holds an alias (`*`), which
/// could name a delegate written before it.
fn delegating_part(text: &str) -> &str {
    let tail = memmem::find(text.as_bytes(), b"delegation").and_then(|at| text.get(at..));
    match tail {
        Some(tail) if !holds(text, "\\") && !holds(tail, "*") => tail,
        _ => text,
    }
}

/// What the text of the identity file at `path` tells of its delegations,
/// from its document `node` when it was parsed (with secrets masked), else
/// from the text parsed now; `None` when that cannot be told.
pub(super) fn delegation(
    path: &Path,
    text: &str,
    node: Option<&Node>,
    options: LoadOptions,
) -> Option<Delegation> {
    if !may_delegate(text) {
        return Some(Delegation::None);
    }
    let (own, to) = match node {
        Some(node) => delegates_in(path, node)?,
        None => match delegates_of(path, text, options) {
            (told, true) => told?,
            // nothing read from a text with a credential in it is kept
            (_, false) => return None,
        },
    };
    Some(Delegation::To { own, to })
}

/// Read every identity file once and keep the ones `needs` involves, in
/// the order found, with what is known of the rest. With a `cache`, a file
/// whose stamp it knows is read only when it is involved, and what the
/// files read tell is noted in it.
pub(super) fn select(
    source: &dyn Source,
    found: Vec<Found>,
    options: LoadOptions,
    needs: &Needs,
    cache: Option<&Session>,
) -> (Vec<(Found, ReadFile)>, Partial) {
    let mut picks: Vec<Pick> = found
        .par_iter()
        .map(|f| scan(source, f, options, needs, cache))
        .collect();
    let partial = Partial {
        names: found.iter().map(|f| stem(&f.path)).collect(),
        files: found.len(),
    };
    delegators(source, &found, &mut picks, options, needs);
    if let Some(cache) = cache {
        note(cache, &found, &picks, options);
    }
    let selected = found
        .into_par_iter()
        .zip(picks)
        .filter(|(_, pick)| pick.selected)
        .map(|(f, pick)| {
            // a delegator the cache told of is read only now
            let read = pick.read.unwrap_or_else(|| source.read(&f, options.files));
            (f, read)
        })
        .collect();
    (selected, partial)
}

/// Scan one identity file: from the cache when it knows the file
/// unchanged and the question does not look for text, else from its text.
fn scan(
    source: &dyn Source,
    f: &Found,
    options: LoadOptions,
    needs: &Needs,
    cache: Option<&Session>,
) -> Pick {
    let named = needs.names.contains(&stem(&f.path));
    let stamp = cache.and_then(|_| source.stamp(f));
    let known = cache
        .zip(stamp.as_ref())
        .and_then(|(cache, stamp)| cache.known::<Delegation>(&f.path, stamp, options.yaml));
    if let (Some((_, Some(delegation))), false, true) = (&known, named, needs.terms.is_empty()) {
        let scan = match delegation {
            Delegation::None => Scan::None,
            Delegation::To { own, to } => Scan::Known(own.clone(), to.clone()),
        };
        return Pick {
            read: None,
            read_as: None,
            selected: false,
            scan,
            delegator: false,
        };
    }
    // noted unless the cache knows it unchanged already
    let stamp = stamp.filter(|_| known.is_none());
    let read = source.read(f, options.files);
    let selected =
        read.problem.is_some() || named || needs.terms.iter().any(|t| holds(&read.text, t));
    let scan = if may_delegate(&read.text) {
        Scan::Text(Box::from(delegating_part(&read.text)))
    } else {
        Scan::None
    };
    let read_as = stamp
        .filter(|_| read.problem.is_none())
        .map(|stamp| Box::new((stamp, *blake3::hash(read.text.as_bytes()).as_bytes())));
    Pick {
        read_as,
        read: selected.then_some(read),
        selected,
        scan,
        delegator: false,
    }
}

/// Select every file that delegates to an involved identity, until no
/// more are found.
fn delegators(
    source: &dyn Source,
    found: &[Found],
    picks: &mut [Pick],
    options: LoadOptions,
    needs: &Needs,
) {
    let mut involved: BTreeSet<String> = needs.delegated.clone();
    let mut frontier: Vec<String> = involved.iter().cloned().collect();
    while !frontier.is_empty() {
        let finders: Vec<memmem::Finder<'_>> = frontier.iter().map(memmem::Finder::new).collect();
        let mut next = Vec::new();
        for (f, pick) in found.iter().zip(picks.iter_mut()) {
            if pick.delegator {
                continue;
            }
            if let Scan::Text(part) = &pick.scan {
                let bytes = part.as_bytes();
                let named = finders.iter().any(|f| f.find(bytes).is_some())
                    || memchr::memchr(b'\\', bytes).is_some();
                if !named {
                    continue;
                }
                pick.scan = told(source, f, pick, options);
            }
            let (own, to) = match &pick.scan {
                Scan::None | Scan::Text(_) => continue,
                // it cannot be told: read it, and report what is wrong
                Scan::Told(None, _) => {
                    pick.selected = true;
                    continue;
                }
                Scan::Told(Some((own, to)), _) | Scan::Known(own, to) => (own, to),
            };
            if to.iter().any(|d| involved.contains(d)) {
                pick.selected = true;
                pick.delegator = true;
                next.extend(own.iter().filter(|n| !involved.contains(*n)).cloned());
            } else if !pick.selected {
                // read again to tell, it is not involved after all
                pick.read = None;
            }
        }
        next.sort();
        next.dedup();
        involved.extend(next.iter().cloned());
        frontier = next;
    }
}

/// What a file whose text may delegate, and names an involved identity,
/// tells once parsed: from its text in full, read again unless it is
/// selected already. A text read again that is not the one first read
/// (the file changed between) is not noted in the cache.
fn told(source: &dyn Source, f: &Found, pick: &mut Pick, options: LoadOptions) -> Scan {
    let read = pick
        .read
        .get_or_insert_with(|| source.read(f, options.files));
    if let Some((_, hash)) = pick.read_as.as_deref()
        && (read.problem.is_some() || blake3::hash(read.text.as_bytes()).as_bytes() != hash)
    {
        pick.read_as = None;
    }
    let (told, clean) = delegates_of(&f.path, &read.text, options);
    Scan::Told(told, clean)
}

/// Note in the cache what each file read tells of its delegations, when
/// it was told in full: a file whose text was not parsed is left for a
/// run that parses it.
fn note(cache: &Session, found: &[Found], picks: &[Pick], options: LoadOptions) {
    found.par_iter().zip(picks).for_each(|(f, pick)| {
        let Some((stamp, hash)) = pick.read_as.as_deref() else {
            return;
        };
        let delegation = match &pick.scan {
            Scan::None => Some(Delegation::None),
            Scan::Told(Some((own, to)), true) => Some(Delegation::To {
                own: own.clone(),
                to: to.clone(),
            }),
            Scan::Told(None, true) => None,
            Scan::Text(_) | Scan::Told(_, false) | Scan::Known(..) => return,
        };
        cache.note(&f.path, stamp, hash, delegation.as_ref(), options.yaml);
    });
}

/// Parse one file on its own (secrets masked, as every load does) and read
/// its names and delegates (`None` when that cannot be told), and whether
/// its text is free of credentials.
fn delegates_of(path: &Path, text: &str, options: LoadOptions) -> (Delegates, bool) {
    let mut db = SourceDb::new();
    let file = db.add(path.to_path_buf(), Arc::from(text));
    let Some(source) = db.get(file) else {
        return (None, false);
    };
    let parsed = parse_text(file, source, options);
    let clean = parsed.redact.is_empty();
    (
        parsed.node.and_then(|node| delegates_in(path, &node)),
        clean,
    )
}

/// The names and delegates a parsed document writes; `None` when that
/// cannot be told.
fn delegates_in(path: &Path, node: &Node) -> Delegates {
    let mut own = vec![stem(path)];
    if let Some(Value::Str(name)) = field(node, "agent").map(|n| &n.value) {
        own.push(name.clone());
    }
    let mut to = Vec::new();
    if let Some(delegation) = field(node, "delegation") {
        let Some(grants) = field(delegation, "may_delegate_to") else {
            // no delegates, or a shape nhi will report when it reads it
            return matches!(delegation.value, Value::Map(_) | Value::Null).then_some((own, to));
        };
        let grants = match &grants.value {
            Value::Seq(grants) => grants.as_slice(),
            Value::Null => &[],
            _ => return None,
        };
        for grant in grants {
            match field(grant, "agent").map(|n| &n.value) {
                Some(Value::Str(name)) => to.push(name.clone()),
                _ => return None,
            }
        }
    }
    Some((own, to))
}

/// The value of `key` in a mapping node.
fn field<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::disallowed_methods,
        reason = "a test builds a workspace on disk and fails loudly"
    )]

    use std::path::PathBuf;
    use std::sync::Mutex;

    use super::*;
    use crate::load::guard::{FileBudget, Walked};
    use crate::load::source::{Disk, Entry};

    /// The disk, counting the identity files read.
    struct Counting {
        disk: Disk,
        read: Mutex<Vec<PathBuf>>,
    }

    impl Source for Counting {
        fn entry(&self, rel: &Path) -> Entry {
            self.disk.entry(rel)
        }
        fn read(&self, file: &Found, budget: FileBudget) -> ReadFile {
            self.read.lock().unwrap().push(file.path.clone());
            self.disk.read(file, budget)
        }
        fn walk(&self, dir: &Path, max_files: usize) -> std::io::Result<Walked> {
            self.disk.walk(dir, max_files)
        }
        fn root(&self) -> &Path {
            self.disk.root()
        }
        fn stamp(&self, file: &Found) -> Option<Stamp> {
            self.disk.stamp(file)
        }
        fn later(&self, file: &Found, budget: FileBudget) -> Option<crate::source::ReadLater> {
            self.disk.later(file, budget)
        }
    }

    impl Counting {
        /// The files `needs` involves, and the files read to tell.
        fn select(&self, needs: &Needs, cache: &Session) -> (Vec<String>, Vec<String>) {
            let found = self.walk(Path::new("identities"), 100).unwrap().files;
            let options = LoadOptions::default();
            let (picked, _) = select(self, found, options, needs, Some(cache));
            let names = |paths: Vec<PathBuf>| {
                let mut names: Vec<String> = paths.iter().map(|p| stem(p)).collect();
                names.sort();
                names
            };
            let read = std::mem::take(&mut *self.read.lock().unwrap());
            (
                names(picked.into_iter().map(|(f, _)| f.path).collect()),
                names(read),
            )
        }
    }

    /// Write the identity file `name` into the workspace at `root`.
    fn put(root: &Path, name: &str, text: &str) {
        let dir = root.join("identities");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.yaml")), text).unwrap();
    }

    fn delegating(name: &str, to: &[&str]) -> String {
        let grants: String = to
            .iter()
            .map(|to| format!("    - agent: {to}\n      actions: [read]\n"))
            .collect();
        format!("agent: {name}\ndelegation:\n  may_delegate_to:\n{grants}")
    }

    #[test]
    fn a_delegate_named_by_an_alias_of_a_name_written_before_the_delegation_is_found() {
        let tmp = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| put(tmp.path(), name, text);
        write("helper", "agent: helper\nallowed_actions: [read]\n");
        write(
            "lead",
            "agent: lead\npurpose: &h helper\ndelegation:\n  may_delegate_to:\n    \
             - agent: *h\n      actions: [read]\n",
        );
        write("other", &delegating("other", &["bystander"]));
        let root = tmp.path().canonicalize().unwrap();
        let disk = Counting {
            disk: Disk::new(root.clone()),
            read: Mutex::new(Vec::new()),
        };
        let (picked, _) = disk.select(&Needs::request("helper", &[]), &Session::memory(&root));
        assert_eq!(picked, ["helper", "lead"]);
        assert_eq!(
            delegating_part("agent: a\ndelegation: {}\n"),
            "delegation: {}\n"
        );
    }

    #[test]
    fn a_question_reads_only_what_it_involves_once_the_cache_knows_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| put(tmp.path(), name, text);
        write("lead", &delegating("lead", &["helper"]));
        write("manager", &delegating("manager", &["lead"]));
        write("helper", "agent: helper\nallowed_actions: [read]\n");
        write("other", &delegating("other", &["bystander"]));
        write("bystander", "agent: bystander\n");
        // a run notes only what had settled before it started
        std::thread::sleep(std::time::Duration::from_millis(2100));
        let root = tmp.path().canonicalize().unwrap();
        let disk = Counting {
            disk: Disk::new(root.clone()),
            read: Mutex::new(Vec::new()),
        };
        let cache = Session::memory(&root);
        let needs = Needs::request("helper", &[]);
        let involved = ["helper", "lead", "manager"].map(str::to_owned).to_vec();
        let everything = ["bystander", "helper", "lead", "manager", "other"]
            .map(str::to_owned)
            .to_vec();

        // the first question reads every file, and notes what each tells:
        // a file that may delegate, but names no one involved, is not
        // parsed, and is read again until a run parses it; one that names
        // an involved identity in the part of it kept is read again in full
        let delegators = ["lead", "manager"].map(str::to_owned);
        let mut reads = [&everything[..], &delegators[..]].concat();
        reads.sort();
        assert_eq!(
            disk.select(&needs, &cache),
            (involved.clone(), reads.clone())
        );
        let (picked, read) = disk.select(&needs, &cache);
        assert_eq!(
            (&picked, read),
            (&involved, [&involved[..], &["other".to_owned()]].concat())
        );
        // as a whole load does (`nhi check`): then a question reads only
        // the files it involves
        let whole = super::super::load_cached(
            &disk,
            LoadOptions::default(),
            Some(cache),
            &|_, _, raw, _| Some(raw),
            None,
        )
        .unwrap();
        assert_eq!(
            disk.read.lock().unwrap().len(),
            1,
            "only `other` is read again"
        );
        disk.read.lock().unwrap().clear();
        let cache = whole.cache.unwrap();
        assert_eq!(disk.select(&needs, &cache), (involved.clone(), involved));

        // a file changed since is read again (and, as it now delegates to
        // an involved identity, once more in full), and what it tells counts
        write("other", &delegating("other", &["bystander", "helper"]));
        let (picked, read) = disk.select(&needs, &cache);
        assert_eq!(picked, ["helper", "lead", "manager", "other"]);
        assert_eq!(read, ["helper", "lead", "manager", "other", "other"]);

        // a question that looks for text reads every file (and the
        // delegators not holding the text once more in full)
        let mut looking = needs.clone();
        looking.terms.insert("bystander".to_owned());
        let (picked, read) = disk.select(&looking, &cache);
        assert_eq!(picked, ["bystander", "helper", "lead", "manager", "other"]);
        assert_eq!(read, reads);
    }
}
