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
    let (file, meta) = match open_regular(path) {
        Ok(opened) => opened,
        Err(problem) => return fail(problem),
    };
    let bytes = match meta.as_ref().map(std::fs::Metadata::len) {
        // a size the file system knows is read in one call: the bytes it
        // had when asked (as `git` reads a file), with no call after them
        // to find the end
        Some(len) if len > 0 => {
            if len > budget.max_file_bytes {
                return fail(Problem::TooLarge(len));
            }
            read_known(file, len)
        }
        // no size known (or none told): read to the end, one byte past
        // the limit to tell "exactly at" from "over"
        _ => read_to_limit(file, budget),
    };
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(e) => return fail(Problem::Io(e.kind().to_string())),
    };
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if len > budget.max_file_bytes {
        let size = std::fs::metadata(path).map_or(len, |m| m.len());
        return fail(Problem::TooLarge(size));
    }
    decode(bytes, budget)
}

/// The first `len` bytes of `file`: fewer when it has shrunk since.
fn read_known(mut file: File, len: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0; usize::try_from(len).unwrap_or(usize::MAX)];
    let mut filled = 0;
    while let Some(rest) = bytes.get_mut(filled..).filter(|rest| !rest.is_empty()) {
        match file.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

/// `file` to its end, or to one byte past the budget.
fn read_to_limit(file: File, budget: FileBudget) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(budget.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Open a regular file for reading, with what it is. Opening a FIFO would
/// wait for a writer forever: on Linux the file is opened without
/// waiting and then asked what it is, elsewhere the path is asked first.
fn open_regular(path: &Path) -> Result<(File, Option<std::fs::Metadata>), Problem> {
    let io = |e: std::io::Error| Problem::Io(e.kind().to_string());
    #[cfg(target_os = "linux")]
    let (file, meta) = {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed())
            .open(path)
            .map_err(io)?;
        let meta = file.metadata().ok();
        (file, meta)
    };
    #[cfg(not(target_os = "linux"))]
    let meta = std::fs::metadata(path).ok();
    if let Some(kind) = meta.as_ref().and_then(special_kind) {
        return Err(Problem::NotRegular(kind));
    }
    #[cfg(not(target_os = "linux"))]
    let file = File::open(path).map_err(io)?;
    Ok((file, meta))
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
    kind_of(meta.file_type())
}

/// What a file type is, if not a regular file or a folder.
fn kind_of(t: std::fs::FileType) -> Option<&'static str> {
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
            // the folder listing says what an entry is; only a link needs a
            // look at what it leads to
            let listed = entry.file_type().ok();
            let linked = listed.is_none_or(|t| t.is_symlink());
            let ty = if linked {
                std::fs::metadata(&path).ok().map(|m| m.file_type())
            } else {
                listed
            };
            if ty.is_some_and(|t| t.is_dir()) {
                stack.push(path);
                continue;
            }
            if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
                continue;
            }
            if let Some(kind) = ty.and_then(kind_of) {
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
    out.files.sort_by(|a, b| path_order(&a.path, &b.path));
    out.refused.sort_by(|a, b| path_order(&a.0, &b.0));
    Ok(out)
}

/// The order of [`Path`]'s own comparison, component by component, for
/// paths without `.` or doubled separators (as a walk makes them):
/// byte by byte with a separator below every other byte. Ten times
/// faster than `Path::cmp`, which splits both paths into components at
/// every comparison.
fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    fn bytes(p: &Path) -> impl Iterator<Item = u8> + '_ {
        p.as_os_str().as_encoded_bytes().iter().map(|&c| {
            if std::path::is_separator(char::from(c)) {
                0
            } else {
                c
            }
        })
    }
    bytes(a).cmp(bytes(b))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::path_order;

    #[test]
    fn walked_paths_sort_as_paths_do() {
        let paths = [
            "/w/identities/a.yaml",
            "/w/identities/a-b.yaml",
            "/w/identities/a/b.yaml",
            "/w/identities/a-/x.yaml",
            "/w/identities/a.b/c.yaml",
            "/w/identities/a0.yaml",
            "/w/identities/A.yaml",
            "/w/identities/é.yaml",
            "/w/identities/z/a/b.yaml",
            "/w/identities/z/a.yaml",
            "/w/identities/z.yaml",
        ];
        for a in paths {
            for b in paths {
                assert_eq!(
                    path_order(Path::new(a), Path::new(b)),
                    Path::new(a).cmp(Path::new(b)),
                    "{a} against {b}"
                );
            }
        }
    }
}
