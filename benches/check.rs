//! `cargo bench --bench check`: generates workspaces of realistic
//! identities and times `nhi check` end to end beside the bare YAML parse
//! of the same files, in the same run; then `nhi build`, Cedar decisions
//! and Cedar validation on the same workspace; and prints Markdown tables
//! ready to paste into the README.
//!
//! ```text
//! cargo bench --bench check                     # 1000, 10000 and 100000 identities
//! cargo bench --bench check -- 1000 10000       # sizes on the command line
//! NHI_BENCH_SIZES=1000,10000 NHI_BENCH_RUNS=5 cargo bench --bench check
//! cargo bench --bench check -- import 1000 10000  # only `nhi import aws`, of 1000 and 10000 roles
//! NHI_BENCH_RUNS=1 cargo bench --bench check -- large  # only check and build, of 1 000 000
//! ```
//!
//! * Sizes: the numbers after `--`, else `NHI_BENCH_SIZES` (comma
//!   separated), else `1000,10000,100000`.
//! * `import` among the words after `--` runs only the `nhi import aws`
//!   rows (below), at the sizes given, any size; the full run measures them
//!   at the sizes up to 10 000 roles.
//! * `large` among the words after `--` runs only `nhi check` and `nhi
//!   build`, at the sizes given, else at 1 000 000 identities
//!   (`support/large.rs`): the estate one machine must hold.
//! * Runs per measurement: `NHI_BENCH_RUNS` (default 3); the tables show the
//!   median, with the fastest run in parentheses.
//! * Workspaces are written under the system temporary folder (`TMPDIR`),
//!   deterministically, and removed afterwards. Every one must check clean:
//!   the bench stops with the diagnostics if `nhi check` finds anything.
//! * `NHI_BENCH_KEEP=<folder>` writes each workspace to
//!   `<folder>/nhi-bench-<size>` instead, and keeps it for profiling.
//! * Peak memory of `nhi check` and `nhi build` is read with `/usr/bin/time`
//!   when it is installed (Debian/Ubuntu package `time`), else shown as
//!   `n/a`.
//!
//! The timed `nhi check` is the release binary Cargo builds for this bench
//! (`CARGO_BIN_EXE_nhi`), run as a child process: start-up, walking the
//! folder, reading, parsing, converting, the cross-file checks and exit.
//!
//! At each size the bench also measures (`support/build.rs`,
//! `support/cedar.rs`):
//!
//! * `nhi build --out <fresh folder>`, the same binary end to end, each run
//!   into a new empty folder: its time, peak memory and the size of what it
//!   wrote; then `nhi build --check` against that output (it must exit 0);
//!   then, with the cache a build left and its output in place, `nhi
//!   build` after one identity file changed.
//! * Decisions, in process through the library: the workspace is checked
//!   (`check::workspace`), rendered (`cedar::render`) and handed to
//!   an `authorize::Authorizer`. A deterministic list of queries (for a
//!   sample of identities: an allowed action in its usual context, a
//!   forbidden one, one it never mentions, and for delegates a delegated
//!   one) is decided once cold (the first decision for a principal parses
//!   its policies), then again, warm, at least 20 000 times with
//!   `Authorizer::decide` (only the policies that can apply). 20 of them are
//!   also decided with `Authorizer::decide_whole` (the whole policy set; its
//!   first call builds the set), which must agree.
//! * Validation of the rendered Cedar: `verify::verify` (each distinct
//!   policy and entity shape once, as `nhi build` does) beside
//!   `verify::verify_full` (every policy strictly), the latter timed once
//!   (it takes seconds at 1 000 identities) and only up to 10 000.
//! * `nhi import aws` (`support/aws_export.rs`, `support/import.rs`): a
//!   deterministic `aws iam get-account-authorization-details` export of
//!   that many roles (every kind of trust, inline, customer- and
//!   AWS-managed policies, tags, service-linked and Identity Center roles,
//!   a tenth as many users in groups) is imported by the release binary,
//!   each run into a fresh folder: its time and peak memory beside a bare
//!   `serde_json` parse of the same file on one core, then `nhi check` of
//!   the workspace it wrote, which must find no errors (warnings are what
//!   an import leaves a person to decide). With `NHI_BENCH_KEEP` the export
//!   and the imported workspace stay in `<folder>/nhi-bench-import-<size>`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    reason = "a benchmark harness: it writes files, prints figures and stops loudly on failure"
)]
#![allow(missing_docs, reason = "a benchmark binary")]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use nhi::load::{self, LoadOptions, yaml};
use nhi::source::SourceDb;

#[path = "support/aws_export.rs"]
mod aws_export;
#[path = "support/build.rs"]
mod build;
#[path = "support/cedar.rs"]
mod cedar;
#[path = "support/diff.rs"]
mod diff;
#[path = "support/import.rs"]
mod import;
#[path = "support/large.rs"]
mod large;
#[path = "support/prove.rs"]
mod prove;
#[path = "support/workspace.rs"]
mod workspace;

/// The date every check runs as of (all generated review dates are before
/// it), so results do not depend on the clock.
const TODAY: &str = "2026-11-22";

// ---------------------------------------------------------------------------
// measurements

/// Median and fastest of a set of runs.
#[derive(Clone, Copy)]
struct Stats {
    median: Duration,
    min: Duration,
}

impl Stats {
    fn of(mut times: Vec<Duration>) -> Self {
        times.sort();
        Self {
            median: times[times.len() / 2],
            min: times[0],
        }
    }
    fn cell(self) -> String {
        format!(
            "{} ({})",
            seconds(self.median),
            seconds(self.min).trim_end_matches(" s")
        )
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{s:.3} s")
    } else {
        format!("{s:.2} s")
    }
}

fn measure<T>(runs: usize, mut f: impl FnMut() -> T) -> Stats {
    Stats::of(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

/// Read every file and parse it with serde-saphyr into a generic value, on
/// one core.
fn parse_plain(paths: &[PathBuf]) -> usize {
    let mut keys = 0;
    for path in paths {
        let text = std::fs::read_to_string(path).unwrap();
        let value: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        keys += value.as_object().map_or(0, serde_json::Map::len);
    }
    keys
}

/// Read one file into the source database and parse it with nhi's
/// span-keeping YAML layer.
fn parse_one(db: &SourceDb, id: nhi::source::FileId) -> bool {
    let file = db.get(id).unwrap();
    yaml::parse(id, file, yaml::Budget::default()).is_ok()
}

/// Read every file and parse it with nhi's YAML layer, on one core.
fn parse_nhi(paths: &[PathBuf]) -> usize {
    let mut db = SourceDb::new();
    let mut ok = 0;
    for path in paths {
        let text = std::fs::read_to_string(path).unwrap();
        let id = db.add(path.clone(), Arc::from(text));
        ok += usize::from(parse_one(&db, id));
    }
    assert_eq!(ok, paths.len(), "a generated file does not parse");
    ok
}

/// The same, reading and parsing on every core (as `nhi check` does).
fn parse_nhi_parallel(paths: &[PathBuf]) -> usize {
    let texts: Vec<String> = paths
        .par_iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let mut db = SourceDb::new();
    let ids: Vec<_> = paths
        .iter()
        .zip(texts)
        .map(|(p, t)| db.add(p.clone(), Arc::from(t)))
        .collect();
    ids.into_par_iter().filter(|&id| parse_one(&db, id)).count()
}

/// The phases of a check, run in this process (on every core).
struct Phases {
    load: Stats,
    validate: Stats,
    fused: Stats,
}

fn phases(root: &Path, runs: usize) -> Phases {
    let today = nhi::model::parse_date(TODAY).unwrap();
    let mut load_times = Vec::new();
    let mut validate_times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let loaded = load::load(root, LoadOptions::default()).unwrap();
        load_times.push(start.elapsed());
        let start = Instant::now();
        let checked = nhi::check::loaded(loaded, today);
        validate_times.push(start.elapsed());
        assert!(
            checked.diagnostics.is_empty(),
            "load + validate found problems"
        );
    }
    let fused = measure(runs, || {
        let checked = nhi::check::workspace(root, LoadOptions::default(), today).unwrap();
        assert!(
            checked.diagnostics.is_empty(),
            "check::workspace found problems"
        );
        checked.model.identities.len()
    });
    Phases {
        load: Stats::of(load_times),
        validate: Stats::of(validate_times),
        fused,
    }
}

const NHI: &str = env!("CARGO_BIN_EXE_nhi");
const TIME: &str = "/usr/bin/time";

fn nhi_command(root: &Path) -> Command {
    let mut command = Command::new(NHI);
    nhi_args(&mut command, root, &[OsStr::new("check")]);
    command
}

/// `-C <root> <args…>`, as of [`TODAY`], without colour.
fn nhi_args(command: &mut Command, root: &Path, args: &[&OsStr]) {
    command
        .arg("-C")
        .arg(root)
        .args(args)
        .env("NHI_TODAY", TODAY)
        .env("NO_COLOR", "1")
        // every figure is a cold one but the warm check's
        .env("NHI_NO_CACHE", "1");
    if args.contains(&OsStr::new("--prove")) {
        command.env("CVC5", prove::solver());
    }
}

/// Run `nhi -C <root> <args…>` once, which must exit 0, and parse what it
/// prints as JSON.
fn nhi_json(root: &Path, args: &[&OsStr]) -> serde_json::Value {
    let mut command = Command::new(NHI);
    nhi_args(&mut command, root, args);
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "nhi {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Run `nhi check --format json` once and stop, with what it found, unless
/// the workspace is clean: no errors, warnings or notes.
fn assert_clean(root: &Path, n: usize) {
    let out = nhi_command(root)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let found = report["diagnostics"]
        .as_array()
        .map_or(usize::MAX, Vec::len);
    if !out.status.success() || found != 0 {
        let shown: Vec<_> = report["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .take(10)
            .collect();
        panic!(
            "nhi check is not clean on the generated workspace of {n} identities \
             (status {}, {found} diagnostics)\nfirst ones: {}\nstderr: {}",
            out.status,
            serde_json::to_string_pretty(&shown).unwrap(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Time `nhi -C <root> <args…>` as a child process, which must exit 0; with
/// `/usr/bin/time`, also its peak resident memory in KiB.
fn nhi_timed(root: &Path, args: &[&OsStr], scratch: &Path) -> (Duration, Option<u64>) {
    nhi_timed_with(root, args, scratch, false)
}

/// [`nhi_timed`], with the parse cache when `cache` is set.
fn nhi_timed_with(
    root: &Path,
    args: &[&OsStr],
    scratch: &Path,
    cache: bool,
) -> (Duration, Option<u64>) {
    let (elapsed, rss, out) = nhi_attempt(root, args, scratch, cache);
    assert!(
        out.status.success(),
        "nhi {} failed ({}):\n{}",
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (elapsed, rss)
}

/// Run `nhi -C <root> <args…>` once as a child process, with the parse
/// cache when `cache` is set: its time, its peak resident memory in KiB
/// (with `/usr/bin/time`, even when it failed) and what it printed.
fn nhi_attempt(
    root: &Path,
    args: &[&OsStr],
    scratch: &Path,
    cache: bool,
) -> (Duration, Option<u64>, std::process::Output) {
    let with_time = Path::new(TIME).is_file();
    let report = scratch.join("time.txt");
    let mut command = if with_time {
        let mut c = Command::new(TIME);
        c.arg("-f").arg("%M").arg("-o").arg(&report).arg(NHI);
        c
    } else {
        Command::new(NHI)
    };
    nhi_args(&mut command, root, args);
    if cache {
        command.env_remove("NHI_NO_CACHE");
    }
    let start = Instant::now();
    let out = command.output().unwrap();
    let elapsed = start.elapsed();
    // the last line: before it, a run that failed is described
    let rss = with_time
        .then(|| std::fs::read_to_string(&report).ok())
        .flatten()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()));
    (elapsed, rss, out)
}

/// Time `nhi -C <root> <args…>` `runs` times: the times, and the highest
/// peak resident memory in KiB when it was measured.
fn nhi_runs(root: &Path, args: &[&OsStr], scratch: &Path, runs: usize) -> (Stats, Option<u64>) {
    let mut times = Vec::new();
    let mut rss_kib: Option<u64> = None;
    for _ in 0..runs {
        let (t, r) = nhi_timed(root, args, scratch);
        times.push(t);
        rss_kib = rss_kib.max(r);
    }
    (Stats::of(times), rss_kib)
}

/// `nhi check` with the cache warm and one identity file changed, as in a
/// pre-commit hook or an editor (see [`warm_runs`]).
fn warm_check(root: &Path, paths: &[PathBuf], scratch: &Path, runs: usize) -> (Stats, Option<u64>) {
    let file = &paths[paths.len() / 2];
    warm_runs(root, &[OsStr::new("check")], file, scratch, runs)
}

/// `nhi <args>` with the cache warm and one identity file changed: one
/// cached run fills the cache, then each run appends a comment to `file`
/// and runs again. The file is put back and the cache removed afterwards,
/// for the cold figures that follow.
fn warm_runs(
    root: &Path,
    args: &[&OsStr],
    file: &Path,
    scratch: &Path,
    runs: usize,
) -> (Stats, Option<u64>) {
    nhi_timed_with(root, args, scratch, true);
    let original = std::fs::read(file).unwrap();
    let mut times = Vec::new();
    let mut rss_kib: Option<u64> = None;
    for run in 0..runs {
        let mut edited = original.clone();
        edited.extend_from_slice(format!("# edit {run}\n").as_bytes());
        std::fs::write(file, edited).unwrap();
        let (t, r) = nhi_timed_with(root, args, scratch, true);
        times.push(t);
        rss_kib = rss_kib.max(r);
    }
    std::fs::write(file, original).unwrap();
    std::fs::remove_dir_all(root.join(".nhi")).unwrap();
    (Stats::of(times), rss_kib)
}

/// One `nhi can` question, timed with no cache and with a warm one.
struct Asked {
    cold: Stats,
    cold_rss_kib: Option<u64>,
    warm: Stats,
    warm_rss_kib: Option<u64>,
}

/// Time the question `args` (which the workspace allows) cold, then with
/// the cache a cached `nhi check` leaves; the cache is removed afterwards.
fn asked(root: &Path, args: &[String], scratch: &Path, runs: usize) -> Asked {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    let (cold, cold_rss_kib) = nhi_runs(root, &args, scratch, runs);
    eprintln!("  nhi can, no cache:                 {}", cold.cell());
    nhi_timed_with(root, &[OsStr::new("check")], scratch, true);
    let mut times = Vec::new();
    let mut warm_rss_kib: Option<u64> = None;
    for _ in 0..runs {
        let (t, r) = nhi_timed_with(root, &args, scratch, true);
        times.push(t);
        warm_rss_kib = warm_rss_kib.max(r);
    }
    std::fs::remove_dir_all(root.join(".nhi")).unwrap();
    let warm = Stats::of(times);
    eprintln!("  nhi can, warm cache:               {}", warm.cell());
    Asked {
        cold,
        cold_rss_kib,
        warm,
        warm_rss_kib,
    }
}

/// Peak memory in MiB, or `n/a` when it was not measured.
fn rss_cell(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "n/a".to_owned(),
        |kib| format!("{:.0} MiB", kib as f64 / 1024.0),
    )
}

// ---------------------------------------------------------------------------
// the run

/// The words after `--` (Cargo passes `--bench` to a bench without the
/// libtest harness).
fn words() -> Vec<String> {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect()
}

/// Whether only the `nhi import aws` rows are run: `import` among the
/// words after `--`.
fn import_only() -> bool {
    words().iter().any(|w| w == "import")
}

/// Whether only the largest estates' check and build are run: `large`
/// among the words after `--`.
fn large_only() -> bool {
    words().iter().any(|w| w == "large")
}

fn sizes() -> Vec<usize> {
    let parse = |s: &str| -> Vec<usize> {
        s.split([',', ' '])
            .map(|p| p.trim().replace('_', ""))
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse()
                    .unwrap_or_else(|_| panic!("not a number of identities: `{p}`"))
            })
            .collect()
    };
    let args: Vec<String> = words()
        .into_iter()
        .filter(|w| w != "import" && w != "large")
        .collect();
    if !args.is_empty() {
        return args.iter().flat_map(|a| parse(a)).collect();
    }
    if large_only() {
        return vec![large::DEFAULT];
    }
    std::env::var("NHI_BENCH_SIZES").map_or_else(|_| vec![1_000, 10_000, 100_000], |v| parse(&v))
}

struct Row {
    n: usize,
    megabytes: f64,
    plain: Stats,
    layer: Stats,
    layer_parallel: Stats,
    check: Stats,
    rss_kib: Option<u64>,
    warm: Stats,
    warm_rss_kib: Option<u64>,
    can: Asked,
    phases: Phases,
    build: build::Figures,
    cedar: cedar::Figures,
    diff: diff::Figures,
    prove: Vec<prove::Figures>,
    import: Option<import::Figures>,
}

fn run(n: usize, runs: usize) -> Row {
    let tmp = tempfile::Builder::new()
        .prefix("nhi-bench-")
        .tempdir()
        .unwrap();
    let root = std::env::var_os("NHI_BENCH_KEEP").map_or_else(
        || tmp.path().join("ws"),
        |keep| PathBuf::from(keep).join(format!("nhi-bench-{n}")),
    );
    if root.exists() {
        std::fs::remove_dir_all(&root).unwrap();
    }
    let scratch = tmp.path();
    let start = Instant::now();
    let (paths, bytes) = workspace::generate(&root, n);
    eprintln!(
        "{n} identities: generated {:.1} MB in {} under {}",
        bytes as f64 / 1e6,
        seconds(start.elapsed()),
        root.display()
    );
    assert_clean(&root, n);

    let plain = measure(runs, || parse_plain(&paths));
    eprintln!("  parse, serde-saphyr → Value, 1 core: {}", plain.cell());
    let layer = measure(runs, || parse_nhi(&paths));
    eprintln!("  parse, nhi YAML layer, 1 core:     {}", layer.cell());
    let layer_parallel = measure(runs, || parse_nhi_parallel(&paths));
    eprintln!(
        "  parse, nhi YAML layer, all cores:  {}",
        layer_parallel.cell()
    );

    let (check, rss_kib) = nhi_runs(&root, &[OsStr::new("check")], scratch, runs);
    eprintln!("  nhi check, end to end:             {}", check.cell());
    let (warm, warm_rss_kib) = warm_check(&root, &paths, scratch, runs);
    eprintln!("  nhi check, warm, one file changed: {}", warm.cell());

    let phases = phases(&root, runs);
    eprintln!(
        "  in process: load {}, check::loaded {}, check::workspace {}",
        phases.load.cell(),
        phases.validate.cell(),
        phases.fused.cell()
    );
    let build = build::measure(n, &root, &paths, scratch, runs);
    let cedar = cedar::measure(n, &root, runs);
    let can = asked(&root, &cedar.question, scratch, runs);
    // last: it commits the workspace to Git and edits it
    let diff = diff::measure(n, &root, &paths, scratch, runs);
    // after it: changes of 10 and 100 identities on its head, proven
    let prove = prove::measure(n, &root, &paths, scratch, runs);
    let import = (n <= import::FULL_RUN_MAX).then(|| import::measure(n, runs));
    Row {
        n,
        megabytes: bytes as f64 / 1e6,
        plain,
        layer,
        layer_parallel,
        check,
        rss_kib,
        warm,
        warm_rss_kib,
        can,
        phases,
        build,
        cedar,
        diff,
        prove,
        import,
    }
}

/// One peak memory as a fraction of another, or `n/a`.
fn rss_ratio(a: Option<u64>, b: Option<u64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0 => format!("{:.2}×", a as f64 / b as f64),
        _ => "n/a".to_owned(),
    }
}

fn ratio(a: Stats, b: Stats) -> String {
    format!("{:.2}×", a.median.as_secs_f64() / b.median.as_secs_f64())
}

fn main() {
    let sizes = sizes();
    let runs = std::env::var("NHI_BENCH_RUNS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&r: &usize| r > 0)
        .unwrap_or(3);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if !Path::new(TIME).is_file() {
        eprintln!(
            "note: {TIME} is missing, so peak memory is not measured (install it: apt-get install time)"
        );
    }
    // the binary as shipped: the release profile strips it
    if let Ok(meta) = std::fs::metadata(NHI) {
        #[expect(clippy::cast_precision_loss, reason = "a size in MB, to two decimals")]
        let mb = meta.len() as f64 / 1_000_000.0;
        println!("release binary: {mb:.2} MB ({NHI})");
    }
    if large_only() {
        let rows: Vec<_> = sizes.iter().map(|&n| large::measure(n, runs)).collect();
        large::table(&rows, cores, runs);
        return;
    }
    if import_only() {
        let imported: Vec<_> = sizes.iter().map(|&n| import::measure(n, runs)).collect();
        import::table(&imported.iter().collect::<Vec<_>>(), cores, runs);
        return;
    }
    let rows: Vec<Row> = sizes.iter().map(|&n| run(n, runs)).collect();
    check_tables(&rows, cores, runs);
    let built: Vec<_> = rows.iter().map(|r| &r.build).collect();
    build::table(&built, cores, runs);
    let decided: Vec<_> = rows.iter().map(|r| &r.cedar).collect();
    cedar::decision_table(&decided);
    cedar::validation_table(&decided, cores, runs);
    let diffed: Vec<_> = rows.iter().map(|r| &r.diff).collect();
    diff::table(&diffed, cores, runs);
    let proved: Vec<_> = rows.iter().flat_map(|r| &r.prove).collect();
    prove::table(&proved, cores, runs);
    let imported: Vec<_> = rows.iter().filter_map(|r| r.import.as_ref()).collect();
    import::table(&imported, cores, runs);
}

/// The tables of `nhi check` against the parse, and of its phases.
fn check_tables(rows: &[Row], cores: usize, runs: usize) {
    println!();
    println!(
        "`nhi check` against the bare YAML parse of the same files, {cores} cores, \
         median of {runs} runs (fastest in parentheses), warm page cache. \
         Parse columns read and parse every identity file on one core; \
         `nhi check` is the release binary, end to end, on all cores."
    );
    println!();
    println!(
        "| identities | files (MB) | parse, serde-saphyr → Value (1 core) | parse, nhi YAML layer (1 core) | `nhi check` ({cores} cores) | check ÷ serde-saphyr parse | check ÷ nhi-layer parse | peak RSS of check |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.1} | {} | {} | {} | {} | {} | {} |",
            r.n,
            r.megabytes,
            r.plain.cell(),
            r.layer.cell(),
            r.check.cell(),
            ratio(r.check, r.plain),
            ratio(r.check, r.layer),
            rss_cell(r.rss_kib),
        );
    }
    println!();
    println!(
        "`nhi check` with its parse cache warm and one identity file changed (a \
         comment appended), beside the cold check above (`--no-cache`), same run."
    );
    println!();
    println!(
        "| identities | `nhi check` cold | warm, one file changed | warm ÷ cold | peak RSS cold | peak RSS warm |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.n,
            r.check.cell(),
            r.warm.cell(),
            ratio(r.warm, r.check),
            rss_cell(r.rss_kib),
            rss_cell(r.warm_rss_kib),
        );
    }
    println!();
    println!(
        "One `nhi can` question (a delegate's own grant, in its usual context: an \
         allow), beside the cold `nhi check` above, same run: with no cache, and \
         with the cache a cached `nhi check` left."
    );
    println!();
    println!(
        "| identities | `nhi check` cold | `nhi can`, no cache | ÷ check | `nhi can`, warm cache | ÷ check | peak RSS check | peak RSS `nhi can` | ÷ check |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let can_rss = r.can.cold_rss_kib.max(r.can.warm_rss_kib);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.n,
            r.check.cell(),
            r.can.cold.cell(),
            ratio(r.can.cold, r.check),
            r.can.warm.cell(),
            ratio(r.can.warm, r.check),
            rss_cell(r.rss_kib),
            rss_cell(can_rss),
            rss_ratio(can_rss, r.rss_kib),
        );
    }
    println!();
    println!(
        "Where the time goes, in process on {cores} cores (median, fastest in parentheses): \
         `load::load` walks, reads, parses and reads raw documents; `check::loaded` \
         converts them, runs the cross-file checks and the lint rules; `check::workspace` does both in one \
         pass, as `nhi check` does."
    );
    println!();
    println!(
        "| identities | parse, nhi YAML layer ({cores} cores) | `load::load` | `check::loaded` | `check::workspace` | `nhi check` process | process − `check::workspace` |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.n,
            r.layer_parallel.cell(),
            r.phases.load.cell(),
            r.phases.validate.cell(),
            r.phases.fused.cell(),
            r.check.cell(),
            seconds(r.check.median.saturating_sub(r.phases.fused.median)),
        );
    }
}
