//! Writing files: single files atomically (a temporary file in the same
//! folder, then a rename), and the build output as a whole: every changed
//! file staged first, then moved into place, stale files removed, so a
//! failure leaves the previous output as it was.
//!
//! The output folder keeps a manifest (`.nhi-manifest.json`) of the files
//! nhi wrote there. Only those are ever removed: anything else in the
//! folder (a `.terraform` directory, a README) is left alone.

#![expect(
    clippy::disallowed_methods,
    reason = "this module is where files are written"
)]

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::render::{Artifact, Artifacts};

/// The manifest of the files nhi wrote into an output folder.
pub const MANIFEST: &str = ".nhi-manifest.json";

/// Write `bytes` to `path` atomically, creating parent folders.
///
/// # Errors
///
/// Any I/O error; the target is then unchanged.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = stage(path, bytes)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Write `bytes` next to `path` under a temporary name and return that name.
fn stage(path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Create a new file with `bytes`; fail if it exists.
///
/// # Errors
///
/// `AlreadyExists` when the file is there; any other I/O error.
pub fn create_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Why the output could not be written or compared.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum EmitError {
    /// An I/O error on a path.
    #[error("cannot {action} `{path}`: {source}")]
    #[diagnostic(code(nhi::emit::io))]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A path that would leave the output folder.
    #[error("refusing to write `{path}`: it is not a plain path inside the output folder")]
    #[diagnostic(code(nhi::emit::path))]
    UnsafePath {
        /// The path.
        path: String,
    },
    /// A symbolic link inside the output folder, which could redirect a
    /// write elsewhere.
    #[error("refusing to write through the symbolic link `{path}` in the output folder")]
    #[diagnostic(
        code(nhi::emit::symlink),
        help("replace the link with a folder, or write elsewhere with --out")
    )]
    Symlink {
        /// The link.
        path: PathBuf,
    },
}

/// A difference between the rendered output and the folder on disk.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// A file that does not exist yet.
    Create(String),
    /// A file whose contents differ.
    Update(String),
    /// A file nhi wrote before that the output no longer has.
    Remove(String),
}

impl Change {
    /// The file's path relative to the output folder.
    #[must_use]
    pub fn path(&self) -> &str {
        match self {
            Self::Create(p) | Self::Update(p) | Self::Remove(p) => p,
        }
    }
}

/// The output compared with the folder: what would change, and how many
/// files are already up to date.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files to create, update or remove, in path order.
    pub changes: Vec<Change>,
    /// Files already as rendered.
    pub unchanged: usize,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    generator: String,
    version: u32,
    files: BTreeSet<String>,
}

/// The artifacts plus the manifest that lists them.
fn with_manifest(artifacts: &Artifacts) -> Artifacts {
    let manifest = Manifest {
        generator: "nhi".to_owned(),
        version: 1,
        files: artifacts.iter().map(|a| a.path.clone()).collect(),
    };
    let mut text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    text.push('\n');
    let mut all = artifacts.clone();
    all.insert(Artifact::new(MANIFEST, text, None));
    all
}

/// A relative path of plain components, as a path under `dir`.
fn inside(dir: &Path, path: &str) -> Result<PathBuf, EmitError> {
    let relative = Path::new(path);
    let plain = !path.is_empty()
        && relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if plain {
        Ok(dir.join(relative))
    } else {
        Err(EmitError::UnsafePath {
            path: path.to_owned(),
        })
    }
}

/// Fail if any existing folder between `dir` and `path` is a symbolic link.
fn no_symlinks(dir: &Path, path: &Path) -> Result<(), EmitError> {
    let Ok(rest) = path.strip_prefix(dir) else {
        return Ok(());
    };
    let mut at = dir.to_path_buf();
    for component in rest.components() {
        at.push(component);
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(EmitError::Symlink { path: at });
            }
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

fn read_manifest(dir: &Path) -> BTreeSet<String> {
    fs::read_to_string(dir.join(MANIFEST))
        .ok()
        .and_then(|text| serde_json::from_str::<Manifest>(&text).ok())
        .map(|m| m.files)
        .unwrap_or_default()
}

/// Compare the artifacts (and their manifest) with the folder `dir`.
///
/// # Errors
///
/// When a path is unsafe or a file cannot be read.
pub fn plan(dir: &Path, artifacts: &Artifacts) -> Result<Plan, EmitError> {
    let all = with_manifest(artifacts);
    let mut plan = Plan::default();
    for artifact in all.iter() {
        let path = inside(dir, &artifact.path)?;
        match fs::read(&path) {
            Ok(bytes) if bytes == artifact.bytes => plan.unchanged += 1,
            Ok(_) => plan.changes.push(Change::Update(artifact.path.clone())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                plan.changes.push(Change::Create(artifact.path.clone()));
            }
            Err(source) => {
                return Err(EmitError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        }
    }
    for old in read_manifest(dir) {
        if all.get(&old).is_none()
            && let Ok(path) = inside(dir, &old)
            && fs::symlink_metadata(&path).is_ok()
        {
            plan.changes.push(Change::Remove(old));
        }
    }
    plan.changes.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(plan)
}

/// Bring the folder `dir` to the artifacts: stage every changed file, move
/// them all into place, then remove the stale ones. Returns what changed.
///
/// # Errors
///
/// When a path is unsafe, a symbolic link is in the way, or a write fails;
/// staged files are then removed and the folder keeps its old files.
pub fn write(dir: &Path, artifacts: &Artifacts) -> Result<Plan, EmitError> {
    let plan = plan(dir, artifacts)?;
    let all = with_manifest(artifacts);
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let unstage = |staged: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in staged {
            let _ = fs::remove_file(tmp);
        }
    };
    for change in &plan.changes {
        let (Change::Create(p) | Change::Update(p)) = change else {
            continue;
        };
        let Some(artifact) = all.get(p) else { continue };
        let target = inside(dir, p)?;
        let result = no_symlinks(dir, &target).and_then(|()| {
            stage(&target, &artifact.bytes).map_err(|source| EmitError::Io {
                action: "write",
                path: target.clone(),
                source,
            })
        });
        match result {
            Ok(tmp) => staged.push((tmp, target)),
            Err(e) => {
                unstage(&staged);
                return Err(e);
            }
        }
    }
    // the manifest goes last, so it never lists a file that is not there
    staged.sort_by_key(|(_, target)| target.ends_with(MANIFEST));
    for (i, (tmp, target)) in staged.iter().enumerate() {
        if let Err(source) = fs::rename(tmp, target) {
            unstage(staged.get(i..).unwrap_or_default());
            return Err(EmitError::Io {
                action: "replace",
                path: target.clone(),
                source,
            });
        }
    }
    for change in &plan.changes {
        if let Change::Remove(p) = change {
            let path = inside(dir, p)?;
            no_symlinks(dir, path.parent().unwrap_or(dir))?;
            fs::remove_file(&path).map_err(|source| EmitError::Io {
                action: "remove",
                path: path.clone(),
                source,
            })?;
            // tidy folders the stale file leaves empty; a non-empty one stays
            let mut parent = path.parent();
            while let Some(p) = parent.filter(|p| *p != dir && p.starts_with(dir)) {
                if fs::remove_dir(p).is_err() {
                    break;
                }
                parent = p.parent();
            }
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifacts(files: &[(&str, &str)]) -> Artifacts {
        let mut a = Artifacts::new();
        for (path, text) in files {
            a.insert(Artifact::new(path, (*text).to_owned(), None));
        }
        a
    }

    #[test]
    fn writes_updates_and_removes_only_what_it_wrote() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("dist");
        let first = artifacts(&[("cedar/a.cedar", "a"), ("cedar/old/b.cedar", "b")]);
        let plan = write(&dir, &first).unwrap();
        assert_eq!(plan.changes.len(), 3, "two files and the manifest");
        fs::write(dir.join("cedar/mine.txt"), "kept").unwrap();

        let second = artifacts(&[("cedar/a.cedar", "a2")]);
        let plan = write(&dir, &second).unwrap();
        assert_eq!(
            plan.changes,
            vec![
                Change::Update(MANIFEST.to_owned()),
                Change::Update("cedar/a.cedar".to_owned()),
                Change::Remove("cedar/old/b.cedar".to_owned()),
            ]
        );
        assert_eq!(fs::read_to_string(dir.join("cedar/a.cedar")).unwrap(), "a2");
        assert!(!dir.join("cedar/old").exists(), "emptied folder removed");
        assert_eq!(
            fs::read_to_string(dir.join("cedar/mine.txt")).unwrap(),
            "kept"
        );
        let again = plan_of(&dir, &second);
        assert!(again.changes.is_empty());
        assert_eq!(again.unchanged, 2);
    }

    fn plan_of(dir: &Path, a: &Artifacts) -> Plan {
        plan(dir, a).unwrap()
    }

    #[test]
    fn refuses_paths_that_leave_the_folder_and_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("dist");
        for bad in ["../x", "/etc/x", "a/../../x", ""] {
            let err = write(&dir, &artifacts(&[(bad, "x")])).unwrap_err();
            assert!(matches!(err, EmitError::UnsafePath { .. }), "{bad}");
        }
        #[cfg(unix)]
        {
            let outside = tmp.path().join("outside");
            fs::create_dir_all(&outside).unwrap();
            fs::create_dir_all(&dir).unwrap();
            std::os::unix::fs::symlink(&outside, dir.join("cedar")).unwrap();
            let err = write(&dir, &artifacts(&[("cedar/a.cedar", "a")])).unwrap_err();
            assert!(matches!(err, EmitError::Symlink { .. }));
            assert!(fs::read_dir(&outside).unwrap().next().is_none());
        }
    }
}
