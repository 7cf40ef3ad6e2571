//! `nhi diff` end to end: the generated workspace is committed to a fresh
//! Git repository, one identity in a hundred is changed (a forbidden
//! action dropped, an action gained, a shorter TTL, a new owner, in turn),
//! a few are removed and a few moved to another folder unchanged, and that
//! is committed too. The release binary then compares the two commits,
//! both read from the object database, and the first commit with the
//! working tree.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::{Stats, nhi_json, nhi_runs, nhi_timed, rss_cell, workspace};

/// What `nhi diff` took at one size.
pub(crate) struct Figures {
    n: usize,
    edited: usize,
    changes: usize,
    artifacts: usize,
    commits: Stats,
    working_tree: Stats,
    rss_kib: Option<u64>,
}

/// The edit made to identity `i`, if any, and the changes it must produce.
#[derive(Clone, Copy)]
pub(crate) enum Edit {
    DropForbidden,
    GainAction,
    ShorterTtl,
    NewOwner,
    Remove,
    Move,
}

impl Edit {
    /// One identity in a hundred, cycling through the kinds; one in a
    /// thousand removed and one in a thousand moved. Only identities that
    /// neither delegate nor are delegated to (`i % 5` is 2 or 3) are
    /// removed or change owner, so the head checks clean.
    pub(crate) fn of(i: usize) -> Option<Self> {
        match (i % 1000, i % 100) {
            (502, _) => Some(Self::Remove),
            (703, _) => Some(Self::Move),
            (_, 0) => Some(Self::DropForbidden),
            (_, 25) => Some(Self::GainAction),
            (_, 50) => Some(Self::ShorterTtl),
            (_, 72) => Some(Self::NewOwner),
            _ => None,
        }
    }

    /// The change kinds it must be reported with.
    const fn kinds(self) -> &'static [&'static str] {
        match self {
            Self::DropForbidden => &["forbidden-dropped"],
            Self::GainAction => &["action-gained", "new-access"],
            Self::ShorterTtl => &["ttl-lowered"],
            Self::NewOwner => &["owner-changed"],
            Self::Remove => &["identity-removed"],
            Self::Move => &[],
        }
    }

    pub(crate) fn apply(self, path: &Path, root: &Path) {
        let text = std::fs::read_to_string(path).unwrap();
        let edited = match self {
            Self::DropForbidden => {
                let (head, tail) = text.split_once("forbidden_actions:\n").unwrap();
                let (_, rest) = tail.split_once('\n').unwrap();
                format!("{head}forbidden_actions:\n{rest}")
            }
            Self::GainAction => {
                let words: Vec<&str> = text
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .collect();
                let gained = (0..workspace::GRANTABLE)
                    .map(workspace::action)
                    .find(|a| !words.contains(&a.as_str()))
                    .unwrap();
                text.replacen(
                    "allowed_actions:\n",
                    &format!("allowed_actions:\n  - {gained}\n"),
                    1,
                )
            }
            Self::ShorterTtl => text.replacen("  ttl: 1h\n", "  ttl: 45m\n", 1),
            Self::NewOwner => {
                let owner = text
                    .lines()
                    .find_map(|l| l.strip_prefix("owner: "))
                    .unwrap();
                let other = if owner == "security" {
                    "platform"
                } else {
                    "security"
                };
                text.replacen(
                    &format!("owner: {owner}\n"),
                    &format!("owner: {other}\n"),
                    1,
                )
            }
            Self::Remove => {
                std::fs::remove_file(path).unwrap();
                return;
            }
            Self::Move => {
                let moved = root
                    .join("identities/moved")
                    .join(path.file_name().unwrap());
                std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
                std::fs::rename(path, moved).unwrap();
                return;
            }
        };
        assert_ne!(edited, text, "the edit changed {}", path.display());
        std::fs::write(path, edited).unwrap();
    }
}

/// Stage everything under the work tree and commit it.
pub(crate) fn commit(repo: &git2::Repository, message: &str) {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::new("bench", "bench@example.com", &git2::Time::new(0, 0)).unwrap();
    let parent = repo.head().ok().map(|h| h.peel_to_commit().unwrap());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap();
}

/// Commit the workspace at `root`, edit and commit again, then time
/// `nhi diff --base HEAD~1 --head HEAD --format json` (and check what it
/// reports) and `nhi diff --base HEAD~1 --format markdown`. The workspace
/// is left as the edited head.
pub(crate) fn measure(
    n: usize,
    root: &Path,
    paths: &[PathBuf],
    scratch: &Path,
    runs: usize,
) -> Figures {
    let repo = git2::Repository::init(root).unwrap();
    commit(&repo, "base");
    let mut expected: Vec<&str> = Vec::new();
    let mut edited = 0;
    for (i, path) in paths.iter().enumerate() {
        if let Some(edit) = Edit::of(i) {
            edit.apply(path, root);
            expected.extend(edit.kinds());
            edited += 1;
        }
    }
    commit(&repo, "head");

    let both = [
        "diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
    ]
    .map(OsStr::new);
    let report = nhi_json(root, &both);
    let mut found: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    found.sort_unstable();
    expected.sort_unstable();
    assert_eq!(
        found, expected,
        "nhi diff reported other changes than were made"
    );
    let artifacts = report["artifacts"].as_array().unwrap().len();
    assert!(artifacts > 0, "no rendered file differs");

    let (commits, rss_kib) = nhi_runs(root, &both, scratch, runs);
    let tree = ["diff", "--base", "HEAD~1", "--format", "markdown"].map(OsStr::new);
    let working_tree = Stats::of(
        (0..runs)
            .map(|_| nhi_timed(root, &tree, scratch).0)
            .collect(),
    );
    eprintln!(
        "  nhi diff, two commits (json):      {} ({} changes, {artifacts} files differ, peak {}); against the working tree (markdown) {}",
        commits.cell(),
        found.len(),
        rss_cell(rss_kib),
        working_tree.cell()
    );
    Figures {
        n,
        edited,
        changes: found.len(),
        artifacts,
        commits,
        working_tree,
        rss_kib,
    }
}

/// The README table of `nhi diff`.
pub(crate) fn table(rows: &[&Figures], cores: usize, runs: usize) {
    println!();
    println!(
        "`nhi diff` on two revisions of the generated workspace, {cores} cores, median of \
         {runs} runs (fastest in parentheses): both sides checked and rendered, the change \
         list, permission-level new access and the rendered files compared."
    );
    println!();
    println!(
        "| identities | identities edited | changes | rendered files that differ | `nhi diff`, two commits | `nhi diff`, commit ↔ working tree (markdown) | peak RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.n,
            r.edited,
            r.changes,
            r.artifacts,
            r.commits.cell(),
            r.working_tree.cell(),
            rss_cell(r.rss_kib),
        );
    }
}
