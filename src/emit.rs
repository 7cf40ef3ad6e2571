//! Writing files: single files atomically (a temporary file in the same
//! folder, then a rename), and the build output as a whole: the next state
//! built beside the old one and exchanged with it in one rename, so that a
//! failure, or a kill at any moment, leaves the old output or the new one.
//!
//! The output folder keeps a manifest (`.nhi-manifest.json`) of the files
//! nhi wrote there. Only those are ever removed: anything else in the
//! folder (a `.terraform` directory, notes of its users) is left alone.

#![expect(
    clippy::disallowed_methods,
    reason = "this module is where files are written"
)]

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::render::{Artifact, Artifacts};

mod swap;

/// The manifest of the files nhi wrote into an output folder.
pub const MANIFEST: &str = ".nhi-manifest.json";

/// Leave the cache a run used, where it changed: its pack written whole
/// (and the delta over the old one removed) or a delta over the pack, and
/// its stat index, each under a temporary name and renamed into place;
/// and a `.gitignore` that keeps `.nhi/` out of Git. Each is sealed with
/// the user's cache key,
/// made on first use. A cache that cannot be written is no error: the
/// next run parses again.
pub fn store_cache(session: crate::load::cache::Session) {
    use crate::load::cache;
    let root = session.root().to_path_buf();
    let ignore = root.join(".nhi").join(".gitignore");
    if !session.keeps() {
        return;
    }
    let Some(secret) = session.secret().copied().or_else(make_secret) else {
        return;
    };
    let left = session.pack(&secret);
    let pack = match left.pack {
        Some(cache::Written::Whole(bytes)) => {
            let written = write_atomic(&cache::pack_path(&root), &bytes);
            // the old delta is over the old pack: never read again
            let _ = fs::remove_file(cache::delta_path(&root));
            Some(written)
        }
        Some(cache::Written::Delta(bytes)) => Some(write_atomic(&cache::delta_path(&root), &bytes)),
        None => None,
    };
    let stats = left
        .stats
        .map(|bytes| write_atomic(&cache::stats_path(&root), &bytes));
    if pack.into_iter().chain(stats).any(|written| written.is_ok()) {
        // once: a file the user changed is theirs
        let _ = create_new(
            &ignore,
            b"# nhi's cache: safe to delete, never committed\n*\n",
        );
    }
}

/// Make the user's cache key: 32 random bytes, readable by the user alone.
/// When another run made it first, theirs is the key.
fn make_secret() -> Option<crate::load::cache::Secret> {
    let path = crate::load::cache::secret_path()?;
    let mut secret = [0_u8; 32];
    getrandom::fill(&mut secret).ok()?;
    fs::create_dir_all(path.parent()?).ok()?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(&secret).ok()?;
            file.sync_all().ok()?;
            Some(secret)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => crate::load::cache::read_secret(),
        Err(_) => None,
    }
}

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

/// Create the folder `dir` holding `files` (relative path → text) all at
/// once: written into a folder beside it, then renamed into place, so that
/// a failure or a kill leaves no half-made folder under its name.
///
/// # Errors
///
/// `AlreadyExists` when `dir` exists and is not empty, `InvalidInput` for
/// a path that would leave it; any other I/O error. `dir` is then as it
/// was.
pub fn create_tree(
    dir: &Path,
    files: &std::collections::BTreeMap<String, String>,
) -> io::Result<()> {
    if fs::symlink_metadata(dir).is_ok() && fs::read_dir(dir)?.next().is_some() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the folder exists and is not empty",
        ));
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let name = dir
        .file_name()
        .map_or_else(|| "workspace".into(), |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        // each file is synced before the rename; the syncs wait on the
        // disk, so they go in parallel
        files.par_iter().try_for_each(|(path, text)| {
            let target = inside(&tmp, path)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
            create_new(&target, text.as_bytes())
        })?;
        if fs::symlink_metadata(dir).is_ok() {
            // empty, as checked: the rename needs it gone
            fs::remove_dir(dir)?;
        }
        fs::rename(&tmp, dir)
    })();
    result.inspect_err(|_| {
        let _ = fs::remove_dir_all(&tmp);
    })
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
    /// An output folder that holds the workspace: replacing it would
    /// replace the workspace.
    #[error(
        "refusing to build into `{path}`: it holds the workspace, and the output folder is replaced as a whole"
    )]
    #[diagnostic(
        code(nhi::emit::workspace),
        help("give the output a folder of its own, such as `output: dist`")
    )]
    HoldsWorkspace {
        /// The output folder.
        path: PathBuf,
    },
    /// An output folder of the workspace that resolves outside it.
    #[error("refusing to build into `{path}`: it resolves to `{resolved}`, outside the workspace")]
    #[diagnostic(
        code(nhi::emit::outside),
        help(
            "make `output` a folder inside the workspace rather than a link out of it, or write elsewhere on purpose with --out"
        )
    )]
    Outside {
        /// The output folder, as configured.
        path: PathBuf,
        /// Where it resolves to.
        resolved: PathBuf,
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

/// `path` with every symbolic link of its existing part resolved.
fn resolved(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        #[expect(
            clippy::disallowed_methods,
            reason = "where the output folder really is"
        )]
        if let Ok(real) = existing.canonicalize() {
            return rest.into_iter().rev().fold(real, |p, c| p.join(c));
        }
        match (
            existing.file_name().map(ToOwned::to_owned),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// Whether `dir` may be the output folder of the workspace at `root`: it
/// never holds the workspace (it is replaced as a whole), and when the
/// workspace `configured` it, it stays inside the workspace whatever
/// symbolic links its path goes through.
///
/// # Errors
///
/// [`EmitError::HoldsWorkspace`], [`EmitError::Outside`].
pub fn check_output(root: &Path, dir: &Path, configured: bool) -> Result<(), EmitError> {
    let real_root = resolved(root);
    let real_dir = resolved(dir);
    if real_root.starts_with(&real_dir) {
        return Err(EmitError::HoldsWorkspace {
            path: dir.to_path_buf(),
        });
    }
    if configured && !real_dir.starts_with(&real_root) {
        return Err(EmitError::Outside {
            path: dir.to_path_buf(),
            resolved: real_dir,
        });
    }
    Ok(())
}

/// Bring the folder `dir` to the artifacts. The next state is built in a
/// sibling folder — changed files written, unchanged ones and what nhi
/// did not write hard-linked from the old state, stale files left out —
/// and exchanged with `dir` in one rename ([`swap`]). Returns what changed.
///
/// # Errors
///
/// When `dir` is a symbolic link, a path is unsafe, a symbolic link is in
/// the way, or a write fails; the folder then keeps its old state.
pub fn write(dir: &Path, artifacts: &Artifacts) -> Result<Plan, EmitError> {
    if fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(EmitError::Symlink {
            path: dir.to_path_buf(),
        });
    }
    let _lock = swap::Lock::take(dir)?;
    swap::sweep(dir)?;
    let plan = plan(dir, artifacts)?;
    if plan.changes.is_empty() {
        return Ok(plan);
    }
    let all = with_manifest(artifacts);
    let changed: BTreeSet<&str> = plan.changes.iter().map(Change::path).collect();
    let mut ours = read_manifest(dir);
    ours.extend(all.iter().map(|a| a.path.clone()));
    swap::replace(dir, |next| {
        for artifact in all.iter() {
            let old = inside(dir, &artifact.path)?;
            no_symlinks(dir, &old)?;
            let target = inside(next, &artifact.path)?;
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|source| EmitError::Io {
                    action: "create",
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            if !changed.contains(artifact.path.as_str()) && fs::hard_link(&old, &target).is_ok() {
                continue;
            }
            write_new(&target, &artifact.bytes).map_err(|source| EmitError::Io {
                action: "write",
                path: old,
                source,
            })?;
        }
        swap::carry_over(dir, next, &ours)
    })?;
    Ok(plan)
}

/// Write a file that does not exist yet. On Linux the next state is
/// flushed to disk as a whole before it is swapped in; elsewhere each file
/// is.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    if cfg!(target_os = "linux") {
        Ok(())
    } else {
        file.sync_all()
    }
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

    #[test]
    fn what_killed_runs_left_is_removed_and_a_missing_folder_restored() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("dist");
        let a = artifacts(&[("cedar/a.cedar", "a")]);
        write(&dir, &a).unwrap();
        // a run killed while building, one killed after exchanging, and an
        // older version's temporary file
        fs::create_dir_all(tmp.path().join(".dist.nhi-next-41/cedar")).unwrap();
        fs::create_dir_all(tmp.path().join(".dist.nhi-prev-42")).unwrap();
        fs::write(dir.join("cedar/.a.cedar.tmp-43"), "half").unwrap();
        write(&dir, &artifacts(&[("cedar/a.cedar", "a2")])).unwrap();
        let mut names: Vec<String> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["dist"]);
        assert!(!dir.join("cedar/.a.cedar.tmp-43").exists());
        // a run killed between the two renames of the fallback: the old
        // state is put back before anything else
        fs::rename(&dir, tmp.path().join(".dist.nhi-prev-44")).unwrap();
        let plan = write(&dir, &artifacts(&[("cedar/a.cedar", "a2")])).unwrap();
        assert!(plan.changes.is_empty(), "{:?}", plan.changes);
        assert_eq!(fs::read_to_string(dir.join("cedar/a.cedar")).unwrap(), "a2");
    }

    #[test]
    #[cfg(unix)]
    fn an_output_folder_that_is_a_symbolic_link_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        fs::create_dir_all(&elsewhere).unwrap();
        let dir = tmp.path().join("dist");
        std::os::unix::fs::symlink(&elsewhere, &dir).unwrap();
        let err = write(&dir, &artifacts(&[("cedar/a.cedar", "a")])).unwrap_err();
        assert!(matches!(err, EmitError::Symlink { .. }), "{err}");
        assert!(fs::read_dir(&elsewhere).unwrap().next().is_none());
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
