//! Replacing an output folder as a whole: the next state is built in a
//! fresh sibling folder and exchanged with the old one in one rename, so
//! that a process killed at any moment leaves either the old complete
//! folder or the new one. The siblings a killed run leaves behind are
//! removed by the next, which holds a lock on the parent folder while it
//! writes: a second nhi writing the same parent waits for the first.
//!
//! What nhi did not write in the folder (a `.terraform` directory, a
//! team's notes) is carried into the next state by hard links, not copied.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::EmitError;

/// Siblings of the output folder `NAME`: `.NAME.nhi-next-PID` (being
/// built) and `.NAME.nhi-prev-PID` (the state it replaced).
const NEXT: &str = "nhi-next";
const PREV: &str = "nhi-prev";

fn io_error<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(io::Error) -> EmitError + 'p {
    move |source| EmitError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The parent of `dir` and `dir`'s name in it.
fn parent_and_name(dir: &Path) -> Result<(PathBuf, String), EmitError> {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let parent = dir.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    });
    match (parent, name) {
        (Some(parent), Some(name)) => Ok((parent.to_path_buf(), name)),
        _ => Err(EmitError::UnsafePath {
            path: dir.display().to_string(),
        }),
    }
}

/// A sibling of `dir` of one `kind`, for this process.
fn sibling(parent: &Path, name: &str, kind: &str) -> PathBuf {
    parent.join(format!(".{name}.{kind}-{}", std::process::id()))
}

/// The siblings of `dir` of one `kind` that runs left behind.
fn siblings(parent: &Path, name: &str, kind: &str) -> Vec<PathBuf> {
    let prefix = format!(".{name}.{kind}-");
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            e.file_name().to_str().is_some_and(|n| {
                n.strip_prefix(&prefix)
                    .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
            })
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// An exclusive lock on the folder holding the output folder, released
/// when dropped.
pub(super) struct Lock {
    _file: Option<fs::File>,
}

impl Lock {
    /// Wait for the lock on `dir`'s parent (created if missing).
    pub(super) fn take(dir: &Path) -> Result<Self, EmitError> {
        let (parent, _) = parent_and_name(dir)?;
        fs::create_dir_all(&parent).map_err(io_error("create", &parent))?;
        // a folder opens for reading on Unix, and takes an advisory lock
        let file = if cfg!(unix) {
            let file = fs::File::open(&parent).map_err(io_error("open", &parent))?;
            file.lock().map_err(io_error("lock", &parent))?;
            Some(file)
        } else {
            None
        };
        Ok(Self { _file: file })
    }
}

/// Undo what killed runs left: with the lock held, every sibling is a
/// dead run's. An output folder that a fallback exchange left missing is
/// put back from the state it replaced.
pub(super) fn sweep(dir: &Path) -> Result<(), EmitError> {
    let (parent, name) = parent_and_name(dir)?;
    if fs::symlink_metadata(dir).is_err()
        && let Some(prev) = siblings(&parent, &name, PREV).pop()
    {
        fs::rename(&prev, dir).map_err(io_error("restore", dir))?;
    }
    for kind in [NEXT, PREV] {
        for left in siblings(&parent, &name, kind) {
            fs::remove_dir_all(&left).map_err(io_error("remove", &left))?;
        }
    }
    Ok(())
}

/// Build the next state of `dir` with `fill` in a fresh sibling, then
/// exchange it with `dir` (or move it there, when `dir` does not exist)
/// and remove the state it replaced.
pub(super) fn replace(
    dir: &Path,
    fill: impl FnOnce(&Path) -> Result<(), EmitError>,
) -> Result<(), EmitError> {
    let (parent, name) = parent_and_name(dir)?;
    let next = sibling(&parent, &name, NEXT);
    let built = fs::create_dir(&next)
        .map_err(io_error("create", &next))
        .and_then(|()| fill(&next));
    let built = built.and_then(|()| flush(&next).map_err(io_error("write", &next)));
    if let Err(e) = built {
        let _ = fs::remove_dir_all(&next);
        return Err(e);
    }
    if fs::symlink_metadata(dir).is_err() {
        return fs::rename(&next, dir).map_err(io_error("create", dir));
    }
    let prev = sibling(&parent, &name, PREV);
    if exchange(&next, dir).is_ok() {
        // `next` now holds the state `dir` had
        fs::rename(&next, &prev).map_err(io_error("move", &next))?;
    } else {
        // two renames: a run killed between them leaves `dir` missing,
        // and the next run's sweep puts `prev` back
        fs::rename(dir, &prev).map_err(io_error("move", dir))?;
        if let Err(source) = fs::rename(&next, dir) {
            let _ = fs::rename(&prev, dir);
            let _ = fs::remove_dir_all(&next);
            return Err(EmitError::Io {
                action: "replace",
                path: dir.to_path_buf(),
                source,
            });
        }
    }
    fs::remove_dir_all(&prev).map_err(io_error("remove", &prev))
}

/// Write what was written under `dir` to disk, before it is swapped in:
/// one flush of its file system rather than one per file.
#[cfg(target_os = "linux")]
fn flush(dir: &Path) -> io::Result<()> {
    let folder = fs::File::open(dir)?;
    rustix::fs::syncfs(&folder).map_err(io::Error::from)
}

/// Each file was written to disk as it was written.
#[cfg(not(target_os = "linux"))]
fn flush(_: &Path) -> io::Result<()> {
    Ok(())
}

/// Exchange two folders in one step, where the system can.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Whether a file name is a temporary file an earlier version of nhi left
/// when killed (`.NAME.tmp-PID`).
fn is_old_leftover(name: &str) -> bool {
    name.starts_with('.')
        && name
            .rsplit_once(".tmp-")
            .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Carry what nhi did not write from `old` into `new`: every file,
/// symbolic link and empty folder whose path (relative, `/`-separated) is
/// not in `ours`, by hard link where the system allows.
pub(super) fn carry_over(old: &Path, new: &Path, ours: &BTreeSet<String>) -> Result<(), EmitError> {
    // the folders nhi's own files live in: emptied, they go
    let mut our_dirs = BTreeSet::new();
    for path in ours {
        let mut at = path.as_str();
        while let Some((dir, _)) = at.rsplit_once('/') {
            our_dirs.insert(dir.to_owned());
            at = dir;
        }
    }
    walk(old, new, "", ours, &our_dirs)
}

fn walk(
    old: &Path,
    new: &Path,
    prefix: &str,
    ours: &BTreeSet<String>,
    our_dirs: &BTreeSet<String>,
) -> Result<(), EmitError> {
    let from = if prefix.is_empty() {
        old.to_path_buf()
    } else {
        old.join(prefix)
    };
    let entries = match fs::read_dir(&from) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(EmitError::Io {
                action: "read",
                path: from,
                source,
            });
        }
    };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    if names.is_empty() && !prefix.is_empty() && !our_dirs.contains(prefix) {
        let to = new.join(prefix);
        fs::create_dir_all(&to).map_err(io_error("create", &to))?;
    }
    for name in names {
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        if ours.contains(&rel) || is_old_leftover(&name) {
            continue;
        }
        let source = old.join(&rel);
        let meta = fs::symlink_metadata(&source).map_err(io_error("read", &source))?;
        if meta.is_dir() {
            walk(old, new, &rel, ours, our_dirs)?;
            continue;
        }
        let target = new.join(&rel);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io_error("create", parent))?;
        }
        if meta.file_type().is_symlink() {
            copy_link(&source, &target)?;
        } else if fs::hard_link(&source, &target).is_err() {
            fs::copy(&source, &target).map_err(io_error("copy", &source))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn copy_link(source: &Path, target: &Path) -> Result<(), EmitError> {
    let points_to = fs::read_link(source).map_err(io_error("read", source))?;
    std::os::unix::fs::symlink(points_to, target).map_err(io_error("link", target))
}

#[cfg(not(unix))]
fn copy_link(source: &Path, target: &Path) -> Result<(), EmitError> {
    fs::copy(source, target)
        .map(|_| ())
        .map_err(io_error("copy", source))
}
