//! `nhi diff --prove` on the generated workspace, after [`super::diff`]
//! has committed it: for each size of change (10 and 100 identities), that
//! many identities not otherwise edited each gain an action, the change is
//! committed, and the release binary compares the two commits with and
//! without `--prove`. The proof must find new access for exactly the
//! identities edited; its cost follows them, not the workspace.
//!
//! The solver is cvc5 1.3: `CVC5`, or what `scripts/install-cvc5.sh`
//! installs under `target/cvc5`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::diff::{Edit, commit};
use crate::{Stats, nhi_json, nhi_runs, rss_cell};

/// The sizes of change proven.
pub(crate) const CHANGED: [usize; 2] = [10, 100];

/// What one size of change took.
pub(crate) struct Figures {
    n: usize,
    changed: usize,
    queries: u64,
    plain: Stats,
    proved: Stats,
    rss_kib: Option<u64>,
}

/// The solver the benchmark proves with ([`crate::nhi_args`] hands it to
/// every `--prove` run).
pub(crate) fn solver() -> PathBuf {
    std::env::var_os("CVC5")
        .filter(|p| !p.is_empty())
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/cvc5/bin/cvc5"),
            PathBuf::from,
        )
}

/// Measure every size of [`CHANGED`] on the committed workspace at `root`.
pub(crate) fn measure(
    n: usize,
    root: &Path,
    paths: &[PathBuf],
    scratch: &Path,
    runs: usize,
) -> Vec<Figures> {
    let cvc5 = solver();
    assert!(
        cvc5.is_file(),
        "the --prove benchmark needs cvc5 1.3: run scripts/install-cvc5.sh, or set CVC5"
    );
    let repo = git2::Repository::open(root).unwrap();
    // identities the diff benchmark left alone, spread over the workspace
    let untouched: Vec<&PathBuf> = paths
        .iter()
        .enumerate()
        .filter(|(i, p)| Edit::of(*i).is_none() && p.is_file())
        .map(|(_, p)| p)
        .collect();
    let mut out = Vec::new();
    // each size of change starts one identity further on
    for (start, changed) in CHANGED.into_iter().enumerate() {
        let step = (untouched.len() / changed / CHANGED.len()).max(1);
        let chosen: Vec<&PathBuf> = untouched
            .iter()
            .skip(start)
            .step_by(step)
            .take(changed)
            .copied()
            .collect();
        assert_eq!(
            chosen.len(),
            changed,
            "workspace too small for {changed} changes"
        );
        let mut expected: Vec<String> = Vec::new();
        for path in &chosen {
            Edit::GainAction.apply(path, root);
            expected.push(path.file_stem().unwrap().to_string_lossy().into_owned());
        }
        expected.sort();
        commit(&repo, &format!("{changed} identities gain an action"));

        let plain_args = [
            "diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
        ];
        let mut proved_args = plain_args.to_vec();
        proved_args.push("--prove");
        let proved_args: Vec<&OsStr> = proved_args.iter().map(OsStr::new).collect();
        let plain_args: Vec<&OsStr> = plain_args.iter().map(OsStr::new).collect();

        // the proof finds what was done, and only that
        let report = nhi_json(root, &proved_args);
        let proof = &report["proof"];
        let mut gained: Vec<String> = proof["identities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                assert_eq!(p["outcome"], "new-access", "{p}");
                p["identity"].as_str().unwrap().to_owned()
            })
            .collect();
        gained.sort();
        assert_eq!(
            gained, expected,
            "the proof concerns exactly the identities changed"
        );
        let queries = proof["stats"]["queries"].as_u64().unwrap();

        let (plain, _) = nhi_runs(root, &plain_args, scratch, runs);
        let (proved, rss_kib) = nhi_runs(root, &proved_args, scratch, runs);
        eprintln!(
            "  nhi diff --prove, {changed} identities changed: {} ({queries} queries; without --prove {}; peak {})",
            proved.cell(),
            plain.cell(),
            rss_cell(rss_kib)
        );
        out.push(Figures {
            n,
            changed,
            queries,
            plain,
            proved,
            rss_kib,
        });
    }
    out
}

/// The README table of `nhi diff --prove`.
pub(crate) fn table(rows: &[&Figures], cores: usize, runs: usize) {
    println!();
    println!(
        "`nhi diff --prove` on two commits of the generated workspace, {cores} cores, median of \
         {runs} runs (fastest in parentheses): each changed identity gains an action, and the \
         proof finds new access for exactly those; cvc5 1.3.1 through scripts/install-cvc5.sh."
    );
    println!();
    println!(
        "| identities | identities changed | queries | `nhi diff` | `nhi diff --prove` | peak RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.n,
            r.changed,
            r.queries,
            r.plain.cell(),
            r.proved.cell(),
            rss_cell(r.rss_kib)
        );
    }
}
