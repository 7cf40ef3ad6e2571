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

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use memchr::memmem;
use rayon::prelude::*;

use crate::raw::{Node, Value};
use crate::source::SourceDb;

use super::guard::{Found, ReadFile};
use super::source::Source;
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

/// One identity file after the scan.
struct Pick {
    /// Its text, while it is selected or may delegate.
    read: Option<ReadFile>,
    /// Whether it is read in full.
    selected: bool,
    /// Whether its text could delegate (and is kept for a closer look).
    may_delegate: bool,
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

/// Read every identity file once and keep the ones `needs` involves, in
/// the order found, with what is known of the rest.
pub(super) fn select(
    source: &dyn Source,
    found: Vec<Found>,
    options: LoadOptions,
    needs: &Needs,
) -> (Vec<(Found, ReadFile)>, Partial) {
    let mut picks: Vec<Pick> = found
        .par_iter()
        .map(|f| {
            let read = source.read(f, options.files);
            let selected = read.problem.is_some()
                || needs.names.contains(&stem(&f.path))
                || needs.terms.iter().any(|t| holds(&read.text, t));
            let may_delegate = holds(&read.text, "delegation") || holds(&read.text, "\\");
            Pick {
                read: (selected || may_delegate).then_some(read),
                selected,
                may_delegate,
                delegator: false,
            }
        })
        .collect();
    let partial = Partial {
        names: found.iter().map(|f| stem(&f.path)).collect(),
        files: found.len(),
    };
    delegators(&found, &mut picks, options, needs);
    let selected = found
        .into_iter()
        .zip(picks)
        .filter_map(|(f, pick)| pick.read.filter(|_| pick.selected).map(|read| (f, read)))
        .collect();
    (selected, partial)
}

/// What a file delegates to, once parsed: its own names (stem and
/// declared) and its delegates; `None` when that cannot be told.
type Delegates = Option<(Vec<String>, Vec<String>)>;

/// Select every file that delegates to an involved identity, until no
/// more are found.
fn delegators(found: &[Found], picks: &mut [Pick], options: LoadOptions, needs: &Needs) {
    let mut involved: BTreeSet<String> = needs.delegated.clone();
    let mut frontier: Vec<String> = involved.iter().cloned().collect();
    let mut parsed: BTreeMap<usize, Delegates> = BTreeMap::new();
    while !frontier.is_empty() {
        let finders: Vec<memmem::Finder<'_>> = frontier.iter().map(memmem::Finder::new).collect();
        let mut next = Vec::new();
        for (i, (f, pick)) in found.iter().zip(picks.iter_mut()).enumerate() {
            if !pick.may_delegate || pick.delegator {
                continue;
            }
            let Some(read) = &pick.read else { continue };
            let bytes = read.text.as_bytes();
            let named = finders.iter().any(|f| f.find(bytes).is_some())
                || memchr::memchr(b'\\', bytes).is_some();
            if !named {
                continue;
            }
            let delegates = parsed
                .entry(i)
                .or_insert_with(|| delegates_of(&f.path, &read.text, options));
            match delegates {
                // it cannot be told: read it, and report what is wrong
                None => pick.selected = true,
                Some((own, to)) => {
                    if to.iter().any(|d| involved.contains(d)) {
                        pick.selected = true;
                        pick.delegator = true;
                        next.extend(own.iter().filter(|n| !involved.contains(*n)).cloned());
                    }
                }
            }
        }
        next.sort();
        next.dedup();
        involved.extend(next.iter().cloned());
        frontier = next;
    }
}

/// Parse one file on its own (secrets masked, as every load does) and read
/// its names and delegates.
fn delegates_of(path: &Path, text: &str, options: LoadOptions) -> Delegates {
    let mut db = SourceDb::new();
    let file = db.add(path.to_path_buf(), Arc::from(text));
    let node = parse_text(file, db.get(file)?, options).node?;
    let mut own = vec![stem(path)];
    if let Some(Value::Str(name)) = field(&node, "agent").map(|n| &n.value) {
        own.push(name.clone());
    }
    let mut to = Vec::new();
    if let Some(delegation) = field(&node, "delegation") {
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
