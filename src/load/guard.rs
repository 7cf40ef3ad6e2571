//! Reading files defensively: size budgets, UTF-8, and symbolic links that
//! would lead out of the workspace.

#![expect(
    clippy::disallowed_methods,
    reason = "this module is where the workspace's files are read"
)]

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Loc, SourceFile, Span};

/// Limits on what a workspace may hold.
#[derive(Clone, Copy, Debug)]
pub struct FileBudget {
    /// Largest file, in bytes.
    pub max_file_bytes: u64,
    /// Most identity files.
    pub max_files: usize,
}

impl Default for FileBudget {
    fn default() -> Self {
        Self {
            max_file_bytes: 1024 * 1024,
            max_files: 1_000_000,
        }
    }
}

/// The outcome of reading one file: its text (possibly empty, for display)
/// and the problem that stopped it, if any.
#[derive(Debug)]
pub struct ReadFile {
    /// Text to keep in the source database.
    pub text: String,
    /// Why the file cannot be parsed, as a diagnostic to place in it.
    pub problem: Option<Problem>,
}

/// A reason a file could not be read, before it has a [`FileId`].
#[derive(Debug, Clone)]
pub enum Problem {
    /// I/O error (message).
    Io(String),
    /// Not UTF-8, with the offset of the first bad byte.
    NotUtf8(usize),
    /// Larger than the budget (size in bytes).
    TooLarge(u64),
    /// A symlink to a place outside the workspace.
    SymlinkEscape,
    /// Not a regular file (what it is instead).
    NotRegular(&'static str),
}

impl Problem {
    /// The diagnostic, once the file has an id.
    #[must_use]
    pub fn into_diagnostic(
        self,
        file: FileId,
        source: &SourceFile,
        budget: FileBudget,
    ) -> Diagnostic {
        let whole = Loc::new(file, Span::default());
        match self {
            Self::Io(message) => {
                Diagnostic::new(Code::Io, format!("cannot read file: {message}")).primary(whole, "")
            }
            Self::NotUtf8(offset) => {
                let at = source.line_col(offset);
                Diagnostic::new(Code::NotUtf8, "file is not valid UTF-8")
                    .primary(Loc::new(file, Span::new(offset, 0)), "invalid byte here")
                    .help(format!(
                        "save the file as UTF-8 (first invalid byte at line {}, column {})",
                        at.line, at.column
                    ))
            }
            Self::TooLarge(size) => Diagnostic::new(
                Code::FileTooLarge,
                format!(
                    "file is {size} bytes, more than the limit of {} bytes",
                    budget.max_file_bytes
                ),
            )
            .primary(whole, "")
            .help("an identity file is a few hundred bytes; split or shorten it"),
            Self::SymlinkEscape => Diagnostic::new(
                Code::SymlinkEscape,
                "symbolic link points outside the workspace",
            )
            .primary(whole, "")
            .help("copy the file or folder into the workspace, or remove the link"),
            Self::NotRegular(kind) => Diagnostic::new(
                Code::Io,
                format!("this is {kind}, not a regular file: it is not read"),
            )
            .primary(whole, "")
            .help("workspace files are plain files: remove it, or replace it with the file"),
        }
    }
}

/// Read `path` within the budget. A path that is a symbolic link (or any
/// path when `linked` is true) must resolve to a place inside `root`.
#[must_use]
pub fn read(root: &Path, path: &Path, linked: bool, budget: FileBudget) -> ReadFile {
    let fail = |problem| ReadFile {
        text: String::new(),
        problem: Some(problem),
    };
    if linked && let Err(problem) = check_inside(root, path) {
        return fail(problem);
    }
    // opening a FIFO would wait for a writer forever
    if let Some(kind) = std::fs::metadata(path).ok().as_ref().and_then(special_kind) {
        return fail(Problem::NotRegular(kind));
    }
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return fail(Problem::Io(e.kind().to_string())),
    };
    let mut bytes = Vec::new();
    // read one byte past the limit to tell "exactly at" from "over"
    if let Err(e) = file
        .take(budget.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
    {
        return fail(Problem::Io(e.kind().to_string()));
    }
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if len > budget.max_file_bytes {
        let size = std::fs::metadata(path).map_or(len, |m| m.len());
        return fail(Problem::TooLarge(size));
    }
    decode(bytes, budget)
}

/// Bytes already in hand, within the budget, as text.
#[must_use]
pub fn decode(bytes: Vec<u8>, budget: FileBudget) -> ReadFile {
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if len > budget.max_file_bytes {
        return ReadFile {
            text: String::new(),
            problem: Some(Problem::TooLarge(len)),
        };
    }
    match String::from_utf8(bytes) {
        Ok(text) => ReadFile {
            text,
            problem: None,
        },
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            ReadFile {
                text: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                problem: Some(Problem::NotUtf8(offset)),
            }
        }
    }
}

/// A file reached through a symbolic link must still lie in the workspace.
fn check_inside(root: &Path, path: &Path) -> Result<(), Problem> {
    let real = path
        .canonicalize()
        .map_err(|e| Problem::Io(e.kind().to_string()))?;
    if real.starts_with(root) {
        Ok(())
    } else {
        Err(Problem::SymlinkEscape)
    }
}

/// A file found by [`walk`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// Its path.
    pub path: PathBuf,
    /// Whether it is a symbolic link (checked when read).
    pub linked: bool,
}

/// What [`walk`] found under a folder.
#[derive(Debug, Default)]
pub struct Walked {
    /// The YAML files, sorted.
    pub files: Vec<Found>,
    /// Whether the count budget cut the list short.
    pub truncated: bool,
    /// What it would not read, and why: a link (at any depth, the folder
    /// itself included) that leads out of the workspace, or a YAML name
    /// that is not a regular file (a FIFO would block the read forever).
    pub refused: Vec<(PathBuf, Problem)>,
}

/// What kind of thing a path is, when it is not a regular file or folder.
#[must_use]
pub fn special_kind(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() || t.is_dir() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Every `*.yaml`/`*.yml` file under `dir`, sorted, skipping hidden entries.
/// Symbolic links are followed only when they stay inside `root`; one that
/// leads out, and a YAML name that is not a regular file, are refused.
///
/// # Errors
///
/// The I/O error of the top folder.
pub fn walk(root: &Path, dir: &Path, max_files: usize) -> std::io::Result<Walked> {
    let mut out = Walked::default();
    let mut stack = vec![dir.to_path_buf()];
    let mut seen_dirs = std::collections::BTreeSet::new();
    let mut first = true;
    while let Some(current) = stack.pop() {
        let real = match current.canonicalize() {
            Ok(real) => real,
            // the identity folder itself must exist
            Err(e) if first => return Err(e),
            Err(_) => continue,
        };
        if !real.starts_with(root) {
            out.refused.push((current, Problem::SymlinkEscape));
            continue;
        }
        if !seen_dirs.insert(real) {
            // a loop
            continue;
        }
        let entries = match std::fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(e) if first => return Err(e),
            Err(_) => continue,
        };
        first = false;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let linked = entry.file_type().is_ok_and(|t| t.is_symlink());
            let meta = std::fs::metadata(&path);
            if meta.as_ref().is_ok_and(std::fs::Metadata::is_dir) {
                stack.push(path);
                continue;
            }
            if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
                continue;
            }
            if let Some(kind) = meta.as_ref().ok().and_then(special_kind) {
                out.refused.push((path, Problem::NotRegular(kind)));
                continue;
            }
            if linked && let Err(problem) = check_inside(root, &path) {
                out.refused.push((path, problem));
                continue;
            }
            if out.files.len() >= max_files {
                out.truncated = true;
                break;
            }
            out.files.push(Found { path, linked });
        }
    }
    out.files.sort();
    out.refused.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}
