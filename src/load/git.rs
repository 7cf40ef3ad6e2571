//! A workspace at a Git revision, read with git2 straight from the object
//! database: no checkout, no temporary clone.

#![expect(
    clippy::disallowed_methods,
    reason = "finding the repository and the workspace in it reads the file system"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Repository, TreeWalkMode, TreeWalkResult};

use super::source::Memory;

/// Why a revision could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GitError {
    /// Not inside a Git work tree.
    #[error("`{path}` is not inside a Git repository")]
    #[diagnostic(
        code(nhi::git::repository),
        help("run nhi diff in a clone of the repository, or compare with --head at a revision")
    )]
    NotARepository {
        /// Where the search started.
        path: PathBuf,
    },
    /// A revision that names no commit here.
    #[error("revision `{rev}` is not in this clone{}", if *shallow { " (a shallow clone)" } else { "" })]
    #[diagnostic(code(nhi::git::revision))]
    UnknownRevision {
        /// The revision as given.
        rev: String,
        /// Whether the clone is shallow.
        shallow: bool,
        /// What to do.
        #[help]
        help: String,
    },
    /// Anything else git2 reports.
    #[error("git: {message}")]
    #[diagnostic(code(nhi::git::other))]
    Other {
        /// What git2 said.
        message: String,
    },
}

impl From<git2::Error> for GitError {
    fn from(e: git2::Error) -> Self {
        Self::Other {
            message: e.message().to_owned(),
        }
    }
}

/// A repository and where the workspace lies in it.
pub struct Repo {
    repo: Repository,
    /// The workspace folder relative to the repository's root.
    prefix: PathBuf,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Repo {
    /// The repository holding the workspace rooted at `root` (absolute).
    ///
    /// # Errors
    ///
    /// When `root` is not in a Git work tree.
    pub fn discover(root: &Path) -> Result<Self, GitError> {
        let repo = Repository::discover(root).map_err(|_| GitError::NotARepository {
            path: root.to_path_buf(),
        })?;
        let workdir = repo
            .workdir()
            .and_then(|w| w.canonicalize().ok())
            .ok_or_else(|| GitError::NotARepository {
                path: root.to_path_buf(),
            })?;
        let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let prefix = canonical
            .strip_prefix(&workdir)
            .unwrap_or(Path::new(""))
            .to_path_buf();
        Ok(Self { repo, prefix })
    }

    /// The workspace folder relative to the repository's root, `/`-separated
    /// (empty at the root): how `CODEOWNERS` spells paths.
    #[must_use]
    pub fn slash_prefix(&self) -> String {
        self.prefix
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The workspace folder relative to the repository's root.
    #[must_use]
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// The workspace's YAML files at `rev`, keyed by workspace-relative
    /// path, and the commit's short id. Symbolic links and submodules in the
    /// tree are not followed; files are read up to `max_bytes` (a larger
    /// one is kept as that many bytes and one more, so the loader reports
    /// it).
    ///
    /// # Errors
    ///
    /// When the revision is not in the clone, or the object database fails.
    pub fn workspace_at(&self, rev: &str, max_bytes: u64) -> Result<(Memory, String), GitError> {
        let object = self.repo.revparse_single(rev).map_err(|_| {
            let shallow = self.repo.is_shallow();
            GitError::UnknownRevision {
                rev: rev.to_owned(),
                shallow,
                help: if shallow {
                    format!("fetch more history, such as `git fetch --deepen=50` or `git fetch origin {rev}`")
                } else {
                    format!("fetch it (`git fetch origin {rev}`) or name an existing branch, tag or commit")
                },
            }
        })?;
        let commit = object.peel_to_commit()?;
        let short = commit
            .as_object()
            .short_id()
            .ok()
            .and_then(|b| b.as_str().ok().map(str::to_owned))
            .unwrap_or_default();
        let root_tree = commit.tree()?;
        let tree = if self.prefix.as_os_str().is_empty() {
            Some(root_tree)
        } else {
            match root_tree.get_path(&self.prefix) {
                Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
                    Some(entry.to_object(&self.repo)?.peel_to_tree()?)
                }
                // the workspace does not exist at that revision: it is empty there
                _ => None,
            }
        };
        let mut files = BTreeMap::new();
        if let Some(tree) = tree {
            let mut failure = None;
            tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
                let name = entry.name().unwrap_or("");
                let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
                // 0o120000: a symbolic link; commits are submodules
                if entry.kind() != Some(ObjectType::Blob)
                    || entry.filemode() == 0o120_000
                    || !is_yaml
                {
                    return TreeWalkResult::Ok;
                }
                match self.repo.find_blob(entry.id()) {
                    Ok(blob) => {
                        let content = blob.content();
                        let keep =
                            usize::try_from(max_bytes.saturating_add(1)).unwrap_or(usize::MAX);
                        let bytes = content
                            .get(..keep.min(content.len()))
                            .unwrap_or(content)
                            .to_vec();
                        files.insert(PathBuf::from(dir).join(name), bytes);
                        TreeWalkResult::Ok
                    }
                    Err(e) => {
                        failure = Some(e);
                        TreeWalkResult::Abort
                    }
                }
            })?;
            if let Some(e) = failure {
                return Err(e.into());
            }
        }
        let label = if self.prefix.as_os_str().is_empty() {
            format!("{rev}:")
        } else {
            format!("{rev}:{}", self.prefix.display())
        };
        Ok((Memory::new(PathBuf::from(label), files), short))
    }
}
