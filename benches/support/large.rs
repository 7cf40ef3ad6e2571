//! `cargo bench --bench check -- large`: the estate one machine must hold,
//! 1 000 000 generated identities unless sizes are given. At each size the
//! workspace is generated as for the full run, then the release binary runs
//! `nhi check` and `nhi build` (into a fresh folder each run), with no
//! cache: their times and peak memory, the figures the targets are set on
//! (check ≤ 4 GiB, build ≤ 6 GiB at a million identities). Nothing else is
//! measured: the full run's other rows would take hours at this size.
//!
//! A run that fails is recorded as failed, with how (its exit status, or
//! the signal that ended it: `9` when the kernel ran out of memory) and its
//! peak memory until then, and the bench goes on.
//!
//! At a million identities the files take 1.5 GB under `TMPDIR` and are
//! generated in under a minute; with `NHI_BENCH_RUNS=1` the run took
//! five minutes on 2 cores (2026-12-08), and its build 21 GiB of memory.

use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::{Stats, nhi_attempt, rss_cell, seconds, workspace};

/// The size the mode runs at when none is given.
pub(crate) const DEFAULT: usize = 1_000_000;

/// How one command fared over its runs.
enum Fared {
    /// Every run exited 0: the times, and the highest peak memory.
    Done(Stats, Option<u64>),
    /// A run did not: how it ended, and its peak memory.
    Failed(String, Option<u64>),
}

impl Fared {
    fn time(&self) -> String {
        match self {
            Self::Done(stats, _) => stats.cell(),
            Self::Failed(how, _) => format!("failed: {how}"),
        }
    }

    fn rss(&self) -> String {
        match self {
            Self::Done(_, rss) => rss_cell(*rss),
            Self::Failed(_, rss) => format!("{} when it ended", rss_cell(*rss)),
        }
    }
}

/// What the mode measured at one size.
pub(crate) struct Figures {
    n: usize,
    megabytes: f64,
    generated: Duration,
    check: Fared,
    build: Fared,
}

/// Run `args` `runs` times (`before` each run), stopping at the first run
/// that fails.
fn fare(root: &Path, args: &[&OsStr], scratch: &Path, runs: usize, before: impl Fn()) -> Fared {
    let mut times = Vec::new();
    let mut peak: Option<u64> = None;
    for _ in 0..runs {
        before();
        let (t, rss, out) = nhi_attempt(root, args, scratch, false);
        peak = peak.max(rss);
        if !out.status.success() {
            let how = out.status.code().map_or_else(
                || {
                    use std::os::unix::process::ExitStatusExt;
                    format!("ended by signal {}", out.status.signal().unwrap_or(0))
                },
                |code| format!("exit {code}"),
            );
            return Fared::Failed(how, rss);
        }
        times.push(t);
    }
    Fared::Done(Stats::of(times), peak)
}

/// Generate `n` identities under `scratch`, then time `nhi check` and
/// `nhi build` on them.
pub(crate) fn measure(n: usize, runs: usize) -> Figures {
    let tmp = tempfile::Builder::new()
        .prefix("nhi-bench-large-")
        .tempdir()
        .unwrap();
    let scratch = tmp.path();
    let root = scratch.join("ws");
    let start = Instant::now();
    let (_, bytes) = workspace::generate(&root, n);
    let generated = start.elapsed();
    eprintln!(
        "{n} identities: generated {:.1} MB in {}",
        bytes as f64 / 1e6,
        seconds(generated)
    );
    let check = fare(&root, &[OsStr::new("check")], scratch, runs, || {});
    eprintln!("  nhi check: {}, peak {}", check.time(), check.rss());
    let out = scratch.join("out");
    let build = [
        OsStr::new("build"),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--today"),
        OsStr::new(crate::TODAY),
    ];
    let fresh = || {
        if out.exists() {
            std::fs::remove_dir_all(&out).unwrap();
        }
    };
    let build = fare(&root, &build, scratch, runs, fresh);
    eprintln!("  nhi build: {}, peak {}", build.time(), build.rss());
    Figures {
        n,
        megabytes: bytes as f64 / 1e6,
        generated,
        check,
        build,
    }
}

/// The Markdown table of the mode.
pub(crate) fn table(rows: &[Figures], cores: usize, runs: usize) {
    println!();
    println!(
        "`nhi check` and `nhi build` of the largest estates, the release binary on {cores} \
         cores with no cache, median of {runs} runs (fastest in parentheses); `nhi build` \
         writes a fresh empty folder each run. Targets at 1 000 000 identities: peak memory \
         ≤ 4 GiB for check, ≤ 6 GiB for build."
    );
    println!();
    println!(
        "| identities | files (MB) | generated in | `nhi check` | peak RSS of check | `nhi build` | peak RSS of build |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.0} | {} | {} | {} | {} | {} |",
            r.n,
            r.megabytes,
            seconds(r.generated),
            r.check.time(),
            r.check.rss(),
            r.build.time(),
            r.build.rss(),
        );
    }
}
