//! `nhi build` end to end: the release binary writes the rendered targets
//! of the generated workspace into a fresh empty folder, then `nhi build
//! --check` compares that folder with what it renders; then `nhi build`
//! with its cache warm and its output in place, one identity file changed
//! before each run.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::{Stats, TODAY, nhi_timed, ratio, rss_cell, warm_runs};

/// What `nhi build` took at one size.
pub(crate) struct Figures {
    n: usize,
    megabytes: f64,
    build: Stats,
    check: Stats,
    rss_kib: Option<u64>,
    warm: Stats,
    warm_rss_kib: Option<u64>,
}

/// Time `nhi -C <root> build --out <scratch>/out --today TODAY`, each run
/// into a new empty folder, and then `nhi build --check` against the last
/// output, which must exit 0; then the same build with the cache warm and
/// the output in place, one identity file of `paths` changed before each
/// run (see [`warm`]).
pub(crate) fn measure(
    n: usize,
    root: &Path,
    paths: &[PathBuf],
    scratch: &Path,
    runs: usize,
) -> Figures {
    let out = scratch.join("out");
    let args = |check: bool| {
        let mut args = vec![
            OsStr::new("build"),
            OsStr::new("--out"),
            out.as_os_str(),
            OsStr::new("--today"),
            OsStr::new(TODAY),
        ];
        if check {
            args.push(OsStr::new("--check"));
        }
        args
    };
    let mut times = Vec::new();
    let mut rss_kib: Option<u64> = None;
    for _ in 0..runs {
        if out.exists() {
            std::fs::remove_dir_all(&out).unwrap();
        }
        let (t, r) = nhi_timed(root, &args(false), scratch);
        times.push(t);
        rss_kib = rss_kib.max(r);
    }
    let build = Stats::of(times);
    let (files, bytes) = size(&out);
    let check = Stats::of(
        (0..runs)
            .map(|_| nhi_timed(root, &args(true), scratch).0)
            .collect(),
    );
    std::fs::remove_dir_all(&out).unwrap();
    eprintln!(
        "  nhi build, end to end:             {} ({files} files, {:.1} MB, peak {}); build --check {}",
        build.cell(),
        bytes as f64 / 1e6,
        rss_cell(rss_kib),
        check.cell()
    );
    let (warm, warm_rss_kib) = warm(root, &args(false), paths, scratch, runs);
    std::fs::remove_dir_all(&out).unwrap();
    eprintln!(
        "  nhi build, warm, one file changed: {} (peak {})",
        warm.cell(),
        rss_cell(warm_rss_kib)
    );
    Figures {
        n,
        megabytes: bytes as f64 / 1e6,
        build,
        check,
        rss_kib,
        warm,
        warm_rss_kib,
    }
}

/// `nhi build` as a pipeline runs it after a commit that changed one
/// identity file: the cache a build left and the output folder in place
/// (see [`warm_runs`]).
fn warm(
    root: &Path,
    args: &[&OsStr],
    paths: &[PathBuf],
    scratch: &Path,
    runs: usize,
) -> (Stats, Option<u64>) {
    warm_runs(root, args, &paths[paths.len() / 3], scratch, runs)
}

/// The files under `dir` and their total size in bytes.
fn size(dir: &Path) -> (usize, u64) {
    let mut files = 0;
    let mut bytes = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            let (f, b) = size(&entry.path());
            files += f;
            bytes += b;
        } else {
            files += 1;
            bytes += entry.metadata().unwrap().len();
        }
    }
    (files, bytes)
}

/// The Markdown table of `nhi build`.
pub(crate) fn table(rows: &[&Figures], cores: usize, runs: usize) {
    println!();
    println!(
        "`nhi build` end to end, the release binary on {cores} cores, median of {runs} runs \
         (fastest in parentheses): check, render every target, verify the Cedar and write \
         a fresh empty output folder, with no cache; `nhi build --check` renders again and \
         compares with that folder (up to date: exit 0); then, with the cache a build left \
         and its output in place, `nhi build` after one identity file changed (a comment \
         appended)."
    );
    println!();
    println!(
        "| identities | output (MB) | `nhi build` ({cores} cores) | `nhi build --check` | peak RSS of build | `nhi build`, warm, one file changed | warm ÷ cold | peak RSS warm |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.1} | {} | {} | {} | {} | {} | {} |",
            r.n,
            r.megabytes,
            r.build.cell(),
            r.check.cell(),
            rss_cell(r.rss_kib),
            r.warm.cell(),
            ratio(r.warm, r.build),
            rss_cell(r.warm_rss_kib),
        );
    }
}
