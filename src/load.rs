//! Loading a workspace: find `nhi.yaml`, read every identity file within
//! the budgets, parse each once (in parallel) and read it into raw types.
//!
//! Loading reports problems of single files (YAML, shape, credentials in the
//! text) as diagnostics; it fails with a [`LoadError`] only when it cannot
//! run at all (no such folder, unreadable identity folder).

pub mod cache;
pub mod git;
pub mod guard;
pub mod involve;
pub mod secrets;
pub mod source;
pub mod yaml;

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::raw::{
    self, Entries, FromNode, Node, Reader, Spanned, Value, identity::IdentityFile,
    workspace::CatalogueFile,
};
use crate::source::{FileId, Loc, SourceDb, SourceFile, Span};

use guard::FileBudget;

/// The name of the workspace file.
pub const WORKSPACE_FILE: &str = "nhi.yaml";
/// The identity folder when `nhi.yaml` names none.
pub const DEFAULT_IDENTITIES_DIR: &str = "identities";
/// The output folder when `nhi.yaml` names none.
pub const DEFAULT_OUTPUT_DIR: &str = "dist";
/// The decision test folder when `nhi.yaml` names none.
pub const DEFAULT_TESTS_DIR: &str = "decisions";

/// Why a workspace could not be loaded at all.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LoadError {
    /// The starting folder does not exist or cannot be read.
    #[error("cannot use `{path}` as the workspace: {source}")]
    #[diagnostic(code(nhi::load::workspace))]
    Workspace {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The identity folder does not exist or cannot be read.
    #[error("cannot read the identity folder `{path}`: {source}")]
    #[diagnostic(
        code(nhi::load::identities),
        help("create it, point `identities:` in nhi.yaml at the right folder, or run `nhi init`")
    )]
    IdentityDir {
        /// The folder, relative to the workspace root.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The decision test folder exists but cannot be read.
    #[error("cannot read the decision test folder `{path}`: {source}")]
    #[diagnostic(code(nhi::load::tests))]
    TestDir {
        /// The folder, relative to the workspace root.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// What loading found: the files' texts, the raw documents and the problems.
#[derive(Debug)]
pub struct Loaded<T = IdentityFile> {
    /// The workspace root (absolute, canonical).
    pub root: PathBuf,
    /// Every file read.
    pub db: SourceDb,
    /// `nhi.yaml`, when present and readable.
    pub workspace: Option<(FileId, raw::WorkspaceFile)>,
    /// Catalogue files named by `include`.
    pub catalogues: Vec<(FileId, CatalogueFile)>,
    /// The pinned `tools/list` of each MCP server that names one: the
    /// server's name, the file and its document.
    pub tool_lists: Vec<(String, FileId, Node)>,
    /// Identity files, each with its document (raw, or converted by
    /// [`load_with`]) if it could be read, and the name it declares if that
    /// much could be read.
    pub identities: Vec<LoadedIdentity<T>>,
    /// Problems found while loading.
    pub diagnostics: Diagnostics,
    /// The parse cache this load used, when it used one.
    pub cache: Option<cache::Session>,
    /// Of a load of only what a question involves ([`load_involving`]):
    /// what is known of the identity files it did not read.
    pub partial: Option<involve::Partial>,
}

/// One identity file after loading.
#[derive(Debug)]
pub struct LoadedIdentity<T = IdentityFile> {
    /// The file.
    pub file: FileId,
    /// The document, if its shape was right (and it converted).
    pub value: Option<T>,
    /// The `agent` value, if readable, even when the rest was not.
    pub declared_name: Option<Spanned<String>>,
}

impl<T> LoadedIdentity<T> {
    /// The file, before anything is read of it.
    const fn of(file: FileId) -> Self {
        Self {
            file,
            value: None,
            declared_name: None,
        }
    }
}

/// Options of a load.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// File budgets.
    pub files: FileBudget,
    /// YAML budgets.
    pub yaml: yaml::Budget,
    /// Whether a load from the disk reads documents it parsed before from
    /// the workspace's parse cache ([`cache`]), and keeps the ones it
    /// parses: `nhi` does, unless `--no-cache`.
    pub cache: bool,
}

/// The workspace root for `start`: the nearest folder at or above it that
/// holds `nhi.yaml`, else `start` itself.
///
/// # Errors
///
/// When `start` does not exist.
#[expect(
    clippy::disallowed_methods,
    reason = "workspace discovery reads the file system"
)]
pub fn find_root(start: &Path) -> Result<PathBuf, LoadError> {
    let start = start
        .canonicalize()
        .map_err(|source| LoadError::Workspace {
            path: start.to_path_buf(),
            source,
        })?;
    if !start.is_dir() {
        return Err(LoadError::Workspace {
            path: start,
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
        });
    }
    // any entry named nhi.yaml marks the root: one that is not a file is
    // reported when loaded, never passed over for a folder further up
    Ok(start
        .ancestors()
        .find(|dir| std::fs::symlink_metadata(dir.join(WORKSPACE_FILE)).is_ok())
        .unwrap_or(&start)
        .to_path_buf())
}

/// Load the workspace rooted at `root` (see [`find_root`]), keeping each
/// identity's raw document.
///
/// # Errors
///
/// When the identity folder cannot be read.
pub fn load(root: &Path, options: LoadOptions) -> Result<Loaded, LoadError> {
    load_with(root, options, &|_, _, raw, _| Some(raw))
}

/// Turns one raw identity into what the caller keeps, reporting problems.
pub type Convert<'a, T> =
    dyn Fn(&SourceDb, FileId, IdentityFile, &mut Diagnostics) -> Option<T> + Sync + 'a;

/// How what [`Convert`] makes of an identity file is kept in the cache
/// between runs ([`cache::Kind::Checked`]), so that a file unchanged since
/// is neither parsed nor converted again. Only the value of a file with no
/// problem and no credential is kept.
///
/// The key is the file's path and text and the YAML budgets: a conversion
/// that reads anything else must check, in [`Keep::decode`], that what it
/// found then still holds.
pub trait Keep<T>: Sync {
    /// The value as bytes; `None` when it cannot be kept.
    fn encode(&self, value: &T) -> Option<Vec<u8>>;
    /// The value back from its bytes; `None` when they do not decode, or
    /// when what the conversion found no longer holds.
    fn decode(&self, bytes: &[u8]) -> Option<T>;
}

/// Load the workspace rooted at `root`, converting each identity as soon as
/// it is read, in the same parallel pass: the raw documents of a large
/// workspace never have to be held all at once.
///
/// # Errors
///
/// When the identity folder cannot be read.
pub fn load_with<T: Send>(
    root: &Path,
    options: LoadOptions,
    convert: &Convert<'_, T>,
) -> Result<Loaded<T>, LoadError> {
    load_disk(root, options, None, convert, None)
}

/// [`load_with`], through the parse cache `cache` when one is given (else
/// the workspace's own when `options.cache` is set), which comes back in
/// [`Loaded::cache`].
///
/// With `keep`, what `convert` made of each file is kept in the cache too.
///
/// # Errors
///
/// When the identity folder cannot be read.
pub fn load_disk<T: Send>(
    root: &Path,
    options: LoadOptions,
    cache: Option<cache::Session>,
    convert: &Convert<'_, T>,
    keep: Option<&dyn Keep<T>>,
) -> Result<Loaded<T>, LoadError> {
    let disk = disk(root)?;
    let cache = cache.or_else(|| {
        options
            .cache
            .then(|| cache::Session::open(source::Source::root(&disk)))
    });
    load_source(&disk, options, (convert, keep), cache, None)
}

/// Load a workspace from any [`Source`](source::Source): the disk, or a
/// Git tree held in memory.
///
/// # Errors
///
/// When the identity folder cannot be read.
pub fn load_from<T: Send>(
    source: &dyn source::Source,
    options: LoadOptions,
    convert: &Convert<'_, T>,
) -> Result<Loaded<T>, LoadError> {
    load_source(source, options, (convert, None), None, None)
}

/// [`load_from`], with a parse cache: documents it holds are not parsed
/// again, and the ones parsed are kept in it. The cache comes back in
/// [`Loaded::cache`]; with `keep`, what `convert` made of each file is
/// kept in it too.
///
/// # Errors
///
/// When the identity folder cannot be read.
pub fn load_cached<T: Send>(
    source: &dyn source::Source,
    options: LoadOptions,
    cache: Option<cache::Session>,
    convert: &Convert<'_, T>,
    keep: Option<&dyn Keep<T>>,
) -> Result<Loaded<T>, LoadError> {
    load_source(source, options, (convert, keep), cache, None)
}

/// Load from the disk only the identity files a question involves (see
/// [`involve`]), with `nhi.yaml` and the files it names: [`Loaded::partial`]
/// tells what else the workspace holds. Of the cache, only what it knows
/// of each identity file's stamp and delegations is read and noted
/// ([`cache::Kind::Stat`]): the caller leaves it behind, the rest of it
/// as found.
///
/// # Errors
///
/// When the identity folder cannot be read.
pub fn load_involving<T: Send>(
    root: &Path,
    options: LoadOptions,
    needs: &involve::Needs,
    convert: &Convert<'_, T>,
    cache: Option<&cache::Session>,
) -> Result<Loaded<T>, LoadError> {
    let disk = disk(root)?;
    load_source(&disk, options, (convert, None), None, Some((needs, cache)))
}

/// The workspace on disk at `root`, made canonical.
#[expect(clippy::disallowed_methods, reason = "loading reads the file system")]
fn disk(root: &Path) -> Result<source::Disk, LoadError> {
    let root = root.canonicalize().map_err(|source| LoadError::Workspace {
        path: root.to_path_buf(),
        source,
    })?;
    Ok(source::Disk::new(root))
}

/// A conversion, and how its values are kept (if they are).
type Conversion<'c, 'k, T> = (&'c Convert<'c, T>, Option<&'k dyn Keep<T>>);

fn load_source<T: Send>(
    source: &dyn source::Source,
    options: LoadOptions,
    convert: Conversion<'_, '_, T>,
    cache: Option<cache::Session>,
    needs: Option<(&involve::Needs, Option<&cache::Session>)>,
) -> Result<Loaded<T>, LoadError> {
    let mut loaded = Loaded::empty(source.root(), cache);
    loaded.read_workspace(source, options);

    let mut identities_dir = PathBuf::from(DEFAULT_IDENTITIES_DIR);
    let mut includes = Vec::new();
    if let Some((_, workspace)) = &loaded.workspace {
        if let Some(dir) = &workspace.identities
            && let Some(dir) = relative_path(dir, &mut loaded.diagnostics)
        {
            identities_dir = dir;
        }
        for path in workspace.output.iter().chain(&workspace.tests) {
            relative_path(path, &mut loaded.diagnostics);
        }
        for include in workspace.include.iter().flatten() {
            if let Some(path) = relative_path(include, &mut loaded.diagnostics) {
                includes.push((None, path, include.loc));
            }
        }
        for (server, mcp) in workspace.mcp_servers.iter().flat_map(Entries::iter) {
            if let Some(tools) = &mcp.tools
                && let Some(path) = relative_path(tools, &mut loaded.diagnostics)
            {
                includes.push((Some(server.value.clone()), path, tools.loc));
            }
        }
    }
    loaded.read_includes(source, options, includes);

    let walked = source
        .walk(&identities_dir, options.files.max_files)
        .map_err(|source| LoadError::IdentityDir {
            path: identities_dir.display().to_string(),
            source,
        })?;
    for (path, problem) in walked.refused {
        if let Some(d) = refused(&mut loaded.db, &path, problem, options.files) {
            loaded.diagnostics.push(d);
        }
    }
    let paths = walked.files;
    if walked.truncated {
        let anchor = loaded.db.add(identities_dir.clone(), Arc::from(""));
        loaded.diagnostics.push(
            Diagnostic::new(
                Code::TooManyFiles,
                format!(
                    "more than {} identity files; the rest were not read",
                    options.files.max_files
                ),
            )
            .primary(Loc::new(anchor, Span::default()), ""),
        );
    }
    let reads = match needs {
        None => {
            let cache = loaded.cache.as_ref();
            let reads: Vec<_> = paths
                .par_iter()
                .map(|f| read_or_recall(source, f, options, cache))
                .collect();
            paths.into_iter().zip(reads).collect()
        }
        Some((needs, stat)) => {
            let (reads, partial) = involve::select(source, paths, options, needs, stat);
            loaded.partial = Some(partial);
            reads
                .into_iter()
                .map(|(f, read)| (f, Read::Now(read, None)))
                .collect()
        }
    };
    loaded.read_identities(source, reads, options, convert);
    Ok(loaded)
}

/// Decision test files read from a folder of the workspace.
#[derive(Debug, Default)]
pub struct Decisions {
    /// Each file that could be read, with its document.
    pub files: Vec<(FileId, raw::DecisionFile)>,
    /// Problems of the files.
    pub diagnostics: Diagnostics,
}

/// Read every decision test file under `dir` (relative to `root`) into
/// `db`. A missing folder holds no tests.
///
/// # Errors
///
/// When the folder exists but cannot be read.
#[expect(clippy::disallowed_methods, reason = "loading reads the file system")]
pub fn decisions(
    root: &Path,
    dir: &Path,
    db: &mut SourceDb,
    options: LoadOptions,
) -> Result<Decisions, LoadError> {
    let mut out = Decisions::default();
    let full = root.join(dir);
    if !full.exists() {
        return Ok(out);
    }
    let walked =
        guard::walk(root, &full, options.files.max_files).map_err(|source| LoadError::TestDir {
            path: dir.display().to_string(),
            source,
        })?;
    for (path, problem) in walked.refused {
        let rel = path.strip_prefix(root).unwrap_or(&path);
        if let Some(d) = refused(db, rel, problem, options.files) {
            out.diagnostics.push(d);
        }
    }
    for found in walked.files {
        let read = guard::read(root, &found.path, found.linked, options.files);
        let rel = found
            .path
            .strip_prefix(root)
            .unwrap_or(&found.path)
            .to_path_buf();
        let file = db.add(rel, Arc::from(read.text));
        let Some(source) = db.get(file) else { continue };
        if let Some(problem) = read.problem {
            // a file that cannot be parsed is still shown: not its secrets
            let redact = secrets::scan_text(file, source.text(), &mut out.diagnostics);
            out.diagnostics
                .push(problem.into_diagnostic(file, source, options.files));
            db.redact(file, &redact);
            continue;
        }
        let parsed = parse_file(file, source, options, None);
        out.diagnostics.extend(parsed.diagnostics);
        if let Some(node) = parsed.node {
            let text = source.text().clone();
            let mut reader = Reader::new(file, &text, &mut out.diagnostics);
            if let Some(doc) = raw::DecisionFile::from_node(&node, &mut reader) {
                out.files.push((file, doc));
            }
        }
        if !parsed.redact.is_empty() {
            db.redact(file, &parsed.redact);
        }
    }
    Ok(out)
}

/// A path nhi would not read, added empty to `db` so that a diagnostic can
/// name it.
fn add_refused(db: &mut SourceDb, path: &Path) -> FileId {
    db.add(path.to_path_buf(), Arc::from(""))
}

/// The diagnostic of a path nhi would not read.
fn refused(
    db: &mut SourceDb,
    path: &Path,
    problem: guard::Problem,
    budget: FileBudget,
) -> Option<Diagnostic> {
    let file = add_refused(db, path);
    db.get(file)
        .map(|source| problem.into_diagnostic(file, source, budget))
}

/// The decision test folder `nhi.yaml` at `root` names (relative to
/// `root`), or the default: what [`decisions`] is given, known before the
/// identities are loaded. Problems of `nhi.yaml` are left to the load.
#[must_use]
pub fn tests_dir(root: &Path, options: LoadOptions) -> PathBuf {
    let mut loaded = Loaded::<()>::empty(root, None);
    if let Ok(disk) = disk(root) {
        loaded.read_workspace(&disk, options);
    }
    loaded
        .workspace
        .and_then(|(_, w)| w.tests)
        .and_then(|t| inside_path(&t.value))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_TESTS_DIR))
}

impl<T: Send> Loaded<T> {
    /// Nothing loaded yet, from `root`.
    fn empty(root: &Path, cache: Option<cache::Session>) -> Self {
        Self {
            root: root.to_path_buf(),
            db: SourceDb::new(),
            workspace: None,
            catalogues: Vec::new(),
            tool_lists: Vec::new(),
            identities: Vec::new(),
            diagnostics: Diagnostics::new(),
            cache,
            partial: None,
        }
    }

    /// Read `nhi.yaml`, when there is one. One that is not a regular file
    /// is an error, never the defaults in its place: they would drop the
    /// guardrails.
    fn read_workspace(&mut self, source: &dyn source::Source, options: LoadOptions) {
        let workspace_path = Path::new(WORKSPACE_FILE);
        match source.entry(workspace_path) {
            source::Entry::File => {
                if let Some((file, node)) = self.read_one(source, workspace_path, options) {
                    self.workspace = self.read_raw(file, &node).map(|w| (file, w));
                }
            }
            source::Entry::Missing => {}
            source::Entry::Other(kind) => {
                let file = add_refused(&mut self.db, workspace_path);
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::Io,
                        format!("`{WORKSPACE_FILE}` is {kind}, not a regular file: the workspace's settings and guardrails cannot be read"),
                    )
                    .primary(Loc::new(file, Span::default()), "")
                    .help(format!("make `{WORKSPACE_FILE}` the workspace's settings file")),
                );
            }
        }
    }

    /// Read the files `nhi.yaml` names: included catalogues and pinned
    /// tool lists, each at the line that names it.
    fn read_includes(
        &mut self,
        source: &dyn source::Source,
        options: LoadOptions,
        includes: Vec<(Option<String>, PathBuf, Loc)>,
    ) {
        for (server, path, loc) in includes {
            let missing = match source.entry(&path) {
                source::Entry::File => None,
                source::Entry::Missing => Some("does not exist".to_owned()),
                source::Entry::Other(kind) => Some(format!("is {kind}, not a regular file")),
            };
            if let Some(why) = missing {
                let what = if server.is_some() {
                    "tool list"
                } else {
                    "included file"
                };
                self.diagnostics.push(
                    Diagnostic::new(Code::Io, format!("{what} `{}` {why}", path.display()))
                        .primary(loc, "named here"),
                );
                continue;
            }
            let Some((file, node)) = self.read_one(source, &path, options) else {
                continue;
            };
            match server {
                Some(server) => self.tool_lists.push((server, file, node)),
                None => {
                    if let Some(catalogue) = self.read_raw::<CatalogueFile>(file, &node) {
                        self.catalogues.push((file, catalogue));
                    }
                }
            }
        }
    }

    /// Read, add and parse one file (`nhi.yaml`, a catalogue).
    fn read_one(
        &mut self,
        source: &dyn source::Source,
        path: &Path,
        options: LoadOptions,
    ) -> Option<(FileId, Node)> {
        let found = guard::Found {
            path: path.to_path_buf(),
            linked: true,
        };
        let read = source.read(&found, options.files);
        let file = self.db.add(path.to_path_buf(), Arc::from(read.text));
        let source = self.db.get(file)?;
        if let Some(problem) = read.problem {
            // a file that cannot be parsed is still shown: not its secrets
            let mut diagnostics = Diagnostics::new();
            let redact = secrets::scan_text(file, source.text(), &mut diagnostics);
            diagnostics.push(problem.into_diagnostic(file, source, options.files));
            self.finish(file, diagnostics, &redact);
            return None;
        }
        let parsed = parse_file(file, source, options, self.cache.as_ref());
        parsed.keep(self.cache.as_ref());
        self.finish(file, parsed.diagnostics, &parsed.redact);
        parsed.node.map(|node| (file, node))
    }

    fn read_raw<R: FromNode>(&mut self, file: FileId, node: &Node) -> Option<R> {
        let text = self
            .db
            .get(file)
            .map(|f| f.text().clone())
            .unwrap_or_else(|| Arc::from(""));
        let mut reader = Reader::new(file, &text, &mut self.diagnostics);
        R::from_node(node, &mut reader)
    }

    fn finish(&mut self, file: FileId, diagnostics: Diagnostics, redact: &[(Span, String)]) {
        self.diagnostics.extend(diagnostics);
        if !redact.is_empty() {
            self.db.redact(file, redact);
        }
    }

    /// Read, parse and convert every identity file in one parallel pass,
    /// in the order given. A file read from the disk is not held once it
    /// is converted, unless something was found in it: its text is read
    /// again if a later message quotes it, so that a large workspace's
    /// texts are never all held at once.
    fn read_identities(
        &mut self,
        source: &dyn source::Source,
        reads: Vec<(guard::Found, Read)>,
        options: LoadOptions,
        convert: Conversion<'_, '_, T>,
    ) {
        let reads: Vec<_> = reads
            .into_iter()
            .map(|(f, read)| {
                let file = match &read {
                    Read::Unchanged(hash, later) => {
                        self.db.add_later(f.path.clone(), *hash, later.clone())
                    }
                    Read::Now(..) | Read::Pending(_) => self.db.reserve(f.path.clone()),
                };
                (file, f, read)
            })
            .collect();
        let pass = Pass {
            source,
            db: &self.db,
            cache: self.cache.as_ref(),
            options,
            convert,
        };
        let results: Vec<_> = reads
            .into_par_iter()
            .map(|(file, found, read)| pass.identity(file, &found, read))
            .collect();
        for ((identity, diagnostics, redact), read) in results {
            if let Some(read) = read {
                self.db.fill(identity.file, read);
            }
            self.finish(identity.file, diagnostics, &redact);
            self.identities.push(identity);
        }
    }
}

/// What the load's pass over the identity files reads with.
struct Pass<'a, T> {
    source: &'a dyn source::Source,
    db: &'a SourceDb,
    cache: Option<&'a cache::Session>,
    options: LoadOptions,
    convert: Conversion<'a, 'a, T>,
}

impl<T> Pass<'_, T> {
    /// Read the identity file `file` (unless the cache knows it unchanged),
    /// parse and convert it: what it gave, and its text, if read now, to
    /// hold — or only its hash, when nothing was found in it and the
    /// source can read it again.
    fn identity(
        &self,
        file: FileId,
        found: &guard::Found,
        read: Read,
    ) -> (ReadOne<T>, Option<SourceFile>) {
        let options = self.options;
        let (read, stamp) = match read {
            Read::Unchanged(..) => (None, None),
            Read::Now(read, stamp) => (Some(read), stamp),
            Read::Pending(stamp) => (Some(self.source.read(found, options.files)), stamp),
        };
        let (text, problem) = read.map_or((None, None), |r| {
            let text = SourceFile::new(found.path.clone(), Arc::from(r.text));
            (Some(text), r.problem)
        });
        let unread = problem.is_some();
        let Some(held) = text.as_ref().or_else(|| self.db.get(file)) else {
            return (
                (LoadedIdentity::of(file), Diagnostics::new(), Vec::new()),
                text,
            );
        };
        // what a clean read tells is noted with its stamp
        let noted = self.cache.zip(stamp).filter(|_| !unread);
        let (one, delegation) = read_identity(
            (self.db, file, held),
            problem,
            options,
            self.convert,
            self.cache,
            noted.is_some(),
        );
        if let Some((cache, stamp)) = noted {
            let told = delegation.as_ref();
            cache.note(held.path(), &stamp, held.hash(), told, options.yaml);
        }
        let (_, diagnostics, redact) = &one;
        let quiet = !unread && diagnostics.is_empty() && redact.is_empty();
        let text = text.map(|text| match self.source.later(found, options.files) {
            Some(later) if quiet => {
                // the caches know a file by the hash of what was read
                if self.cache.is_some() {
                    let _ = text.hash();
                }
                text.forget(later)
            }
            _ => text,
        });
        (one, text)
    }
}

/// An identity file as the load found it.
enum Read {
    /// Read already, with its stamp when the source gives one.
    Now(guard::ReadFile, Option<source::Stamp>),
    /// To read in the load's pass, with its stamp when the source gives
    /// one.
    Pending(Option<source::Stamp>),
    /// Unchanged since a run that read it: the hash of its text, and how
    /// to read it if something asks.
    Unchanged([u8; 32], crate::source::ReadLater),
}

/// How an identity file is to be read: in the load's pass, unless the
/// cache knows it has not changed since a run read it: then only its hash
/// is known, and it is read when (if ever) its text is asked for.
fn read_or_recall(
    source: &dyn source::Source,
    file: &guard::Found,
    options: LoadOptions,
    cache: Option<&cache::Session>,
) -> Read {
    let stamp = cache.and_then(|_| source.stamp(file));
    if let (Some(cache), Some(stamp)) = (cache, &stamp)
        && let Some((hash, _)) = cache.known::<involve::Delegation>(&file.path, stamp, options.yaml)
        && let Some(later) = source.later(file, options.files)
    {
        return Read::Unchanged(hash, later);
    }
    Read::Pending(stamp)
}

struct Parsed {
    node: Option<Node>,
    diagnostics: Diagnostics,
    redact: Vec<(Span, String)>,
    /// The key to keep the document under, when it was parsed now (not
    /// found in the cache) cleanly, with no secret in it.
    keepable: Option<cache::Key>,
}

impl Parsed {
    /// Keep the document in the cache, if it is to be kept.
    fn keep(&self, cache: Option<&cache::Session>) {
        if let (Some(cache), Some(key), Some(node)) = (cache, self.keepable, &self.node) {
            cache.put(key, node);
        }
    }
}

/// Parse one file, from the cache when it holds the file's bytes (a file
/// that parsed cleanly before, with no secret in it).
fn parse_file(
    file: FileId,
    source: &SourceFile,
    options: LoadOptions,
    cache: Option<&cache::Session>,
) -> Parsed {
    let key = cache.map(|_| cache::key(source, options.yaml));
    if let (Some(cache), Some(key)) = (cache, &key)
        && let Some(node) = cache.get(key)
    {
        return Parsed {
            node: Some(node),
            diagnostics: Diagnostics::new(),
            redact: Vec::new(),
            keepable: None,
        };
    }
    let mut parsed = parse_text(file, source, options);
    if parsed.node.is_some() && parsed.diagnostics.is_empty() && parsed.redact.is_empty() {
        parsed.keepable = key;
    }
    parsed
}

fn parse_text(file: FileId, source: &SourceFile, options: LoadOptions) -> Parsed {
    let mut diagnostics = Diagnostics::new();
    // what the raw text holds is masked before the parser sees it
    let mut redact = secrets::scan_text(file, source.text(), &mut diagnostics);
    // (with `x`: a `*` would read as an alias)
    let masked = (!redact.is_empty()).then(|| source.masked_with(&redact, b'x'));
    let source = masked.as_ref().unwrap_or(source);
    let node = match yaml::parse(file, source, options.yaml) {
        Ok(node) => {
            redact.extend(secrets::scan(file, &node, &mut diagnostics));
            if node.value == Value::Null {
                diagnostics.push(
                    Diagnostic::new(Code::EmptyFile, "file holds no YAML document")
                        .primary(Loc::new(file, Span::default()), "")
                        .help("write the identity's keys, or delete the file"),
                );
                None
            } else {
                Some(node)
            }
        }
        Err(diagnostic) => {
            diagnostics.push(*diagnostic);
            None
        }
    };
    Parsed {
        node,
        diagnostics,
        redact,
        keepable: None,
    }
}

/// What reading one identity file gave: the identity, its problems, and
/// the credentials to mask in its text.
type ReadOne<T> = (LoadedIdentity<T>, Diagnostics, Vec<(Span, String)>);

/// Read one identity file, from the cache when it holds what the file
/// converts to; with `tell`, also what its text tells of its delegations
/// (see [`involve::Delegation`]), when that can be told.
fn read_identity<T>(
    (db, file, source): (&SourceDb, FileId, &SourceFile),
    problem: Option<guard::Problem>,
    options: LoadOptions,
    (convert, keep): Conversion<'_, '_, T>,
    cache: Option<&cache::Session>,
    tell: bool,
) -> (ReadOne<T>, Option<involve::Delegation>) {
    let mut identity = LoadedIdentity::of(file);
    if let Some(problem) = problem {
        // a file that cannot be parsed is still shown: not its secrets
        let mut diagnostics = Diagnostics::new();
        let redact = secrets::scan_text(file, source.text(), &mut diagnostics);
        diagnostics.push(problem.into_diagnostic(file, source, options.files));
        return ((identity, diagnostics, redact), None);
    }
    let kept = cache.zip(keep).map(|(cache, keep)| Kept {
        cache,
        keep,
        key: checked_key(source, options),
    });
    if let Some(kept) = &kept
        && let Some((declared_name, value)) = kept.recall(file)
    {
        identity.declared_name = declared_name;
        identity.value = Some(value);
        // kept only when clean: told from the text, parsed if it must be
        let told = tell
            .then(|| involve::delegation(source.path(), source.text(), None, options))
            .flatten();
        return ((identity, Diagnostics::new(), Vec::new()), told);
    }
    let mut parsed = parse_file(file, source, options, cache);
    let told = (tell && parsed.redact.is_empty())
        .then(|| match &parsed.node {
            Some(node) => involve::delegation(source.path(), source.text(), Some(node), options),
            // a text that does not parse tells nothing, unless it could
            // not delegate anyway
            None => (!involve::may_delegate(source.text())).then_some(involve::Delegation::None),
        })
        .flatten();
    if let Some(node) = &parsed.node {
        identity.declared_name = declared_name(file, node);
        let mut reader = Reader::new(file, source.text(), &mut parsed.diagnostics);
        let raw = IdentityFile::from_node(node, &mut reader);
        identity.value = raw.and_then(|raw| convert(db, file, raw, &mut parsed.diagnostics));
    }
    // what it converts to is kept in place of its document, when it can be
    match (&kept, &identity.value) {
        (Some(kept), Some(value))
            if parsed.diagnostics.is_empty()
                && parsed.redact.is_empty()
                && kept.keep(file, identity.declared_name.as_ref(), value) => {}
        _ => parsed.keep(cache),
    }
    ((identity, parsed.diagnostics, parsed.redact), told)
}

/// The key of what a conversion made of a file: its path and text, and
/// the YAML budgets it was parsed under.
fn checked_key(source: &SourceFile, options: LoadOptions) -> cache::Key {
    let mut hasher = cache::hasher(cache::Kind::Checked);
    cache::limits(&mut hasher, options.yaml);
    cache::field(&mut hasher, source.path().as_os_str().as_encoded_bytes());
    cache::field(&mut hasher, source.hash());
    *hasher.finalize().as_bytes()
}

/// Where one file's converted value is kept.
struct Kept<'a, T> {
    cache: &'a cache::Session,
    keep: &'a dyn Keep<T>,
    key: cache::Key,
}

impl<T> Kept<'_, T> {
    /// The file's `agent` value and converted value, if kept: each place
    /// in them read back as a place in `file`.
    fn recall(&self, file: FileId) -> Option<(Option<Spanned<String>>, T)> {
        self.cache
            .get_with(cache::Kind::Checked, &self.key, |bytes| {
                crate::source::anchored(file, || {
                    let (declared_name, rest) =
                        postcard::take_from_bytes::<Option<Spanned<String>>>(bytes).ok()?;
                    Some((declared_name, self.keep.decode(rest)?))
                })
            })
    }

    /// Keep the file's `agent` value and converted value, unless a place
    /// in them lies outside `file` or the value cannot be kept: whether it
    /// was.
    fn keep(&self, file: FileId, declared_name: Option<&Spanned<String>>, value: &T) -> bool {
        let bytes = crate::source::anchored(file, || {
            let mut bytes = postcard::to_allocvec(&declared_name).ok()?;
            bytes.extend(self.keep.encode(value)?);
            Some(bytes)
        });
        bytes.is_some_and(|bytes| {
            self.cache.put_bytes(cache::Kind::Checked, self.key, bytes);
            true
        })
    }
}

/// The `agent` string of a document, read on its own.
fn declared_name(file: FileId, node: &Node) -> Option<Spanned<String>> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries.iter().find_map(|(key, value)| match &value.value {
        Value::Str(s) if key.name == "agent" => {
            Some(Spanned::new(s.clone(), Loc::new(file, value.span)))
        }
        _ => None,
    })
}

/// A path written in `nhi.yaml` must be relative and stay inside.
/// A path written in `nhi.yaml`, if it is relative and stays inside the
/// workspace.
#[must_use]
pub fn inside_path(value: &str) -> Option<PathBuf> {
    let path = Path::new(value);
    let inside = !value.is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    inside.then(|| path.to_path_buf())
}

fn relative_path(value: &Spanned<String>, diagnostics: &mut Diagnostics) -> Option<PathBuf> {
    if let Some(path) = inside_path(&value.value) {
        Some(path)
    } else {
        diagnostics.push(
            Diagnostic::new(Code::InvalidValue, "path must stay inside the workspace")
                .primary(
                    value.loc,
                    "absolute, empty or leaving the workspace with `..`",
                )
                .help("write a path relative to the folder of nhi.yaml, such as `identities`"),
        );
        None
    }
}
