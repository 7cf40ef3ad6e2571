//! Where a workspace's files come from: the disk, or a set of files held
//! in memory (a Git tree read straight from the object database). The
//! loader asks only for paths relative to the workspace root.

#![expect(clippy::disallowed_methods, reason = "the disk source reads the disk")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::guard::{self, FileBudget, Found, Problem, ReadFile, Walked};

/// What is at a workspace-relative path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Nothing.
    Missing,
    /// A regular file (or a link to one).
    File,
    /// Something else: a folder, a FIFO, a device.
    Other(&'static str),
}

/// What the file system says of a file without reading it: enough to
/// tell that it has not changed since (a change of its bytes changes its
/// size, its modification time, or at least its change time, which no
/// one can set back).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    /// Its size in bytes.
    pub len: u64,
    /// When its bytes last changed, in nanoseconds since the epoch.
    pub modified: i128,
    /// When its bytes or metadata last changed, likewise.
    pub changed: i128,
    /// Its inode.
    pub inode: u64,
    /// Its device.
    pub device: u64,
}

/// The files of a workspace.
pub trait Source: Sync {
    /// What is at a workspace-relative path.
    fn entry(&self, rel: &Path) -> Entry;
    /// Read one file (as found by [`Source::walk`], or named) within the
    /// budget.
    fn read(&self, file: &Found, budget: FileBudget) -> ReadFile;
    /// Every `*.yaml`/`*.yml` file under a workspace-relative folder, with
    /// workspace-relative paths, sorted; whether the count budget cut the
    /// list short; and what it would not read.
    ///
    /// # Errors
    ///
    /// When the folder itself cannot be read.
    fn walk(&self, dir: &Path, max_files: usize) -> std::io::Result<Walked>;
    /// The root, for messages (an absolute folder, or `REV:PATH`).
    fn root(&self) -> &Path;
    /// What the file system says of a file found by [`Source::walk`],
    /// when it can say it without reading the file: of a file on disk
    /// that is no link.
    fn stamp(&self, _file: &Found) -> Option<Stamp> {
        None
    }
    /// How to read a file within the budget later, on first use, when the
    /// source can (the disk).
    fn later(&self, _file: &Found, _budget: FileBudget) -> Option<crate::source::ReadLater> {
        None
    }
}

/// A workspace on disk.
#[derive(Debug, Clone)]
pub struct Disk {
    root: PathBuf,
}

impl Disk {
    /// A workspace rooted at an absolute, canonical folder.
    #[must_use]
    pub const fn new(root: PathBuf) -> Self {
        Self { root }
    }
}

impl Source for Disk {
    fn entry(&self, rel: &Path) -> Entry {
        match std::fs::metadata(self.root.join(rel)) {
            Err(_) => Entry::Missing,
            Ok(m) if m.is_file() => Entry::File,
            Ok(m) if m.is_dir() => Entry::Other("a folder"),
            Ok(m) => Entry::Other(guard::special_kind(&m).unwrap_or("not a regular file")),
        }
    }

    fn read(&self, file: &Found, budget: FileBudget) -> ReadFile {
        guard::read(&self.root, &self.root.join(&file.path), file.linked, budget)
    }

    fn walk(&self, dir: &Path, max_files: usize) -> std::io::Result<Walked> {
        let walked = guard::walk(&self.root, &self.root.join(dir), max_files)?;
        let relative = |p: &Path| p.strip_prefix(&self.root).unwrap_or(p).to_path_buf();
        Ok(Walked {
            files: walked
                .files
                .into_iter()
                .map(|f| Found {
                    path: relative(&f.path),
                    linked: f.linked,
                })
                .collect(),
            truncated: walked.truncated,
            refused: walked
                .refused
                .into_iter()
                .map(|(p, why)| (relative(&p), why))
                .collect(),
        })
    }

    fn root(&self) -> &Path {
        &self.root
    }

    #[cfg(unix)]
    fn stamp(&self, file: &Found) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        if file.linked {
            return None;
        }
        let meta = std::fs::symlink_metadata(self.root.join(&file.path)).ok()?;
        let ns = |secs: i64, nanos: i64| i128::from(secs) * 1_000_000_000 + i128::from(nanos);
        meta.is_file().then(|| Stamp {
            len: meta.len(),
            modified: ns(meta.mtime(), meta.mtime_nsec()),
            changed: ns(meta.ctime(), meta.ctime_nsec()),
            inode: meta.ino(),
            device: meta.dev(),
        })
    }

    fn later(&self, file: &Found, budget: FileBudget) -> Option<crate::source::ReadLater> {
        let root = self.root.clone();
        let file = file.clone();
        Some(std::sync::Arc::new(move || {
            // a file gone or changed since is read as it is now: its
            // places are clamped to its text
            std::sync::Arc::from(
                guard::read(&root, &root.join(&file.path), file.linked, budget).text,
            )
        }))
    }
}

/// A workspace held in memory: workspace-relative path → bytes.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    root: PathBuf,
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl Memory {
    /// A workspace of these files, named `root` in messages.
    #[must_use]
    pub const fn new(root: PathBuf, files: BTreeMap<PathBuf, Vec<u8>>) -> Self {
        Self { root, files }
    }
}

fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

fn hidden(path: &Path) -> bool {
    path.components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
}

impl Source for Memory {
    fn entry(&self, rel: &Path) -> Entry {
        if self.files.contains_key(rel) {
            Entry::File
        } else if self.files.keys().any(|p| p.starts_with(rel)) {
            Entry::Other("a folder")
        } else {
            Entry::Missing
        }
    }

    fn read(&self, file: &Found, budget: FileBudget) -> ReadFile {
        let Some(bytes) = self.files.get(&file.path) else {
            return ReadFile {
                text: String::new(),
                problem: Some(Problem::Io("not found".to_owned())),
            };
        };
        guard::decode(bytes.clone(), budget)
    }

    fn walk(&self, dir: &Path, max_files: usize) -> std::io::Result<Walked> {
        let under: Vec<&PathBuf> = self
            .files
            .keys()
            .filter(|p| {
                p.starts_with(dir) && is_yaml(p) && !hidden(p.strip_prefix(dir).unwrap_or(p))
            })
            .collect();
        if under.is_empty() && !self.files.keys().any(|p| p.starts_with(dir)) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such folder in this revision",
            ));
        }
        let truncated = under.len() > max_files;
        Ok(Walked {
            files: under
                .into_iter()
                .take(max_files)
                .map(|p| Found {
                    path: p.clone(),
                    linked: false,
                })
                .collect(),
            truncated,
            refused: Vec::new(),
        })
    }

    fn root(&self) -> &Path {
        &self.root
    }
}
