//! `cargo bench --bench check`: generates workspaces of realistic
//! identities and times `nhi check` end to end beside the bare YAML parse
//! of the same files, in the same run, then prints Markdown tables ready to
//! paste into the README.
//!
//! ```text
//! cargo bench --bench check                     # 1000, 10000 and 100000 identities
//! cargo bench --bench check -- 1000 10000       # sizes on the command line
//! NHI_BENCH_SIZES=1000,10000 NHI_BENCH_RUNS=5 cargo bench --bench check
//! ```
//!
//! * Sizes: the numbers after `--`, else `NHI_BENCH_SIZES` (comma
//!   separated), else `1000,10000,100000`.
//! * Runs per measurement: `NHI_BENCH_RUNS` (default 3); the tables show the
//!   median, with the fastest run in parentheses.
//! * Workspaces are written under the system temporary folder (`TMPDIR`),
//!   deterministically, and removed afterwards. Every one must check clean:
//!   the bench stops with the diagnostics if `nhi check` finds anything.
//! * `NHI_BENCH_KEEP=<folder>` writes each workspace to
//!   `<folder>/nhi-bench-<size>` instead, and keeps it for profiling.
//! * Peak memory of `nhi check` is read with `/usr/bin/time` when it is
//!   installed (Debian/Ubuntu package `time`), else shown as `n/a`.
//!
//! The timed `nhi check` is the release binary Cargo builds for this bench
//! (`CARGO_BIN_EXE_nhi`), run as a child process: start-up, walking the
//! folder, reading, parsing, converting, the cross-file checks and exit.

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

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nhi::load::{self, LoadOptions, yaml};
use nhi::source::SourceDb;
use rayon::prelude::*;

/// The date every check runs as of (all generated review dates are before
/// it), so results do not depend on the clock.
const TODAY: &str = "2026-11-22";

// ---------------------------------------------------------------------------
// generation

/// A small deterministic generator (xorshift64*), so every run writes the
/// same workspace.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TEAMS: [&str; 20] = [
    "platform",
    "payments",
    "billing",
    "identity",
    "data-eng",
    "ml-infra",
    "support",
    "growth",
    "security",
    "sre",
    "mobile",
    "web",
    "search",
    "logistics",
    "finance",
    "legal-ops",
    "hr-systems",
    "analytics",
    "release-eng",
    "partner-api",
];

/// 15 verbs × 20 nouns: a catalogue of 300 actions.
const VERBS: [(&str, &str); 15] = [
    ("read", "read"),
    ("list", "list"),
    ("get", "read"),
    ("search", "read"),
    ("export", "read"),
    ("create", "write"),
    ("update", "write"),
    ("approve", "write"),
    ("cancel", "write"),
    ("sync", "write"),
    ("import", "write"),
    ("archive", "write"),
    ("tag", "tagging"),
    ("delete", "write"),
    ("grant", "permissions_management"),
];
const NOUNS: [&str; 20] = [
    "invoice",
    "ticket",
    "order",
    "build",
    "report",
    "ledger",
    "customer_profile",
    "artifact",
    "metric",
    "schedule",
    "payment",
    "refund",
    "shipment",
    "contract",
    "dataset",
    "model_card",
    "deployment",
    "incident",
    "secret_ref",
    "audit_event",
];
const ACTIONS: usize = VERBS.len() * NOUNS.len();
/// The last two actions are forbidden by the guardrails; nobody uses them.
const GUARDED: usize = 2;
/// Identity-level forbidden actions come from the last actions before the
/// guarded ones; allowed actions from everything before that, so the two are
/// always disjoint and a delegation never hands on a forbidden action.
const FORBIDDEN_POOL: usize = 40;
const GRANTABLE: usize = ACTIONS - GUARDED - FORBIDDEN_POOL;

const PURPOSES: [&str; 12] = [
    "importer",
    "reconciler",
    "notifier",
    "reviewer",
    "exporter",
    "triager",
    "summarizer",
    "scheduler",
    "auditor",
    "router",
    "syncer",
    "planner",
];

fn action(i: usize) -> String {
    let (verb, _) = VERBS[i % VERBS.len()];
    format!("{verb}_{}", NOUNS[i / VERBS.len()])
}

/// `svc-000123-invoice-importer`: a DNS-1123 label, unique per index.
fn name(i: usize) -> String {
    let noun = NOUNS[i % NOUNS.len()].replace('_', "-");
    format!("svc-{i:06}-{noun}-{}", PURPOSES[(i / 7) % PURPOSES.len()])
}

fn workspace_file() -> String {
    let mut s = String::from("identities: identities\ntrust_domain: example.org\n");
    s.push_str("teams:\n");
    for team in TEAMS {
        let _ = writeln!(
            s,
            "  {team}:\n    description: The {team} team\n    handle: \"@example/{team}\"\n    email: {team}@example.com"
        );
    }
    s.push_str("actions:\n");
    for a in 0..ACTIONS {
        let (verb, access) = VERBS[a % VERBS.len()];
        let noun = NOUNS[a / VERBS.len()].replace('_', " ");
        let _ = writeln!(
            s,
            "  {}:\n    description: {}s {noun} records in the system of record\n    access: {access}",
            action(a),
            capitalise(verb),
        );
    }
    let _ = writeln!(
        s,
        "guardrails:\n  forbidden_actions: [{}, {}]\n  max_token_ttl: 1h\n  max_delegation_depth: 4",
        action(ACTIONS - 1),
        action(ACTIONS - 2)
    );
    s
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

/// Distinct numbers in `base..base + range`, `count` of them.
fn distinct(rng: &mut Rng, count: usize, base: usize, range: usize) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::with_capacity(count);
    while out.len() < count {
        let a = base + rng.below(range);
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// Whether identity `i` delegates (to `i + 1`, which never delegates
/// itself, so there are no cycles and every chain is one hop).
const fn delegates(i: usize, n: usize) -> bool {
    i.is_multiple_of(5) && i + 1 < n
}

fn identity_file(i: usize, n: usize, rng: &mut Rng) -> String {
    let count = 10 + rng.below(21);
    let allowed = distinct(rng, count, 0, GRANTABLE);
    let count = 2 + rng.below(4);
    let forbidden = distinct(rng, count, GRANTABLE, FORBIDDEN_POOL);
    // a few grants are narrowed to staging; delegations hand on only the
    // plain ones
    let narrowed = |k: usize| k % 6 == 5;
    let mut s = String::with_capacity(1600);
    let _ = writeln!(s, "agent: {}", name(i));
    let kind = rng.pick(&["agent", "agent", "workload", "pipeline", "service"]);
    let _ = writeln!(s, "kind: {kind}");
    let _ = writeln!(s, "owner: {}", TEAMS[i % TEAMS.len()]);
    s.push_str("identity_type: workload_identity\n");
    let _ = writeln!(
        s,
        "purpose: {} {} for the {} team; flags anomalies for human review",
        capitalise(&NOUNS[i % NOUNS.len()].replace('_', " ")),
        PURPOSES[(i / 7) % PURPOSES.len()],
        TEAMS[i % TEAMS.len()],
    );
    let _ = writeln!(
        s,
        "accountable: {}.{}@example.com",
        rng.pick(&[
            "ana", "ben", "chen", "dara", "eli", "fatima", "goran", "hana"
        ]),
        rng.pick(&[
            "silva", "okafor", "li", "novak", "schmidt", "tanaka", "haddad"
        ]),
    );
    let _ = writeln!(
        s,
        "acts: {}",
        if kind == "agent" {
            "on_behalf_of_user"
        } else {
            "autonomous"
        }
    );
    let _ = writeln!(
        s,
        "auth:\n  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/{}:ref:refs/heads/main\n  audience: sts.amazonaws.com\n  ttl: 1h",
        name(i)
    );
    s.push_str("allowed_actions:\n");
    for (k, a) in allowed.iter().enumerate() {
        if narrowed(k) {
            let _ = writeln!(
                s,
                "  - action: {}\n    where:\n      env: [staging]",
                action(*a)
            );
        } else {
            let _ = writeln!(s, "  - {}", action(*a));
        }
    }
    s.push_str("forbidden_actions:\n");
    for a in &forbidden {
        let _ = writeln!(s, "  - {}", action(*a));
    }
    s.push_str("audit_log: required\n");
    let high = i % 10 == 3;
    if high {
        s.push_str("decision_log: required\nrisk_tier: high\n");
    } else {
        let _ = writeln!(s, "risk_tier: {}", rng.pick(&["low", "medium"]));
    }
    let _ = writeln!(
        s,
        "review_cycle: {}",
        rng.pick(&["monthly", "quarterly", "semiannual", "90d"])
    );
    let _ = writeln!(
        s,
        "last_reviewed: 2026-{:02}-{:02}",
        1 + rng.below(10),
        1 + rng.below(28)
    );
    let _ = writeln!(
        s,
        "reviewer: {}@example.com",
        rng.pick(&["security-lead", "iam-review", "ciso-office"])
    );
    let _ = writeln!(
        s,
        "context:\n  environments: [staging, production]\n  regions: [{}]\n  namespaces: [{}]",
        rng.pick(&["eu-west-1", "us-east-1", "ap-southeast-2"]),
        TEAMS[i % TEAMS.len()],
    );
    let _ = writeln!(
        s,
        "provenance:\n  provider: {}\n  model: {}\n  version: \"{}\"\n  runtime: {}",
        rng.pick(&["example-ai", "in-house"]),
        rng.pick(&["agent-large", "agent-small", "classifier-v2"]),
        1 + rng.below(5),
        rng.pick(&["kubernetes", "github-actions", "lambda"]),
    );
    s.push_str("labels:\n");
    let labels = [
        ("cost-center", format!("cc-{:04}", i % 250)),
        (
            "data-class",
            rng.pick(&["public", "internal", "confidential"]).to_owned(),
        ),
        ("system", NOUNS[i % NOUNS.len()].replace('_', "-")),
        ("tier", rng.pick(&["gold", "silver", "bronze"]).to_owned()),
        ("compliance", rng.pick(&["sox", "gdpr", "pci"]).to_owned()),
    ];
    for (key, value) in labels.iter().take(3 + rng.below(3)) {
        let _ = writeln!(s, "  {key}: {value}");
    }
    if delegates(i, n) {
        let plain: Vec<String> = allowed
            .iter()
            .enumerate()
            .filter(|&(k, _)| !narrowed(k))
            .map(|(_, a)| action(*a))
            .collect();
        let give = &plain[..(2 + rng.below(3)).min(plain.len())];
        let _ = writeln!(
            s,
            "delegation:\n  may_delegate_to:\n    - agent: {}\n      actions: [{}]\n      ttl: 30m\n      max_depth: 0",
            name(i + 1),
            give.join(", ")
        );
    }
    s
}

/// Write the workspace; return the identity files' paths and total bytes.
fn generate(dir: &Path, n: usize) -> (Vec<PathBuf>, u64) {
    let identities = dir.join("identities");
    std::fs::create_dir_all(&identities).unwrap();
    let workspace = workspace_file();
    std::fs::write(dir.join("nhi.yaml"), &workspace).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut bytes = workspace.len() as u64;
    let mut paths = Vec::with_capacity(n);
    for i in 0..n {
        let text = identity_file(i, n, &mut rng);
        bytes += text.len() as u64;
        let path = identities.join(format!("{}.yaml", name(i)));
        std::fs::write(&path, text).unwrap();
        paths.push(path);
    }
    (paths, bytes)
}

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
        let checked = nhi::validate::validate(loaded, today);
        validate_times.push(start.elapsed());
        assert!(
            checked.diagnostics.is_empty(),
            "load + validate found problems"
        );
    }
    let fused = measure(runs, || {
        let checked = nhi::validate::check(root, LoadOptions::default(), today).unwrap();
        assert!(
            checked.diagnostics.is_empty(),
            "validate::check found problems"
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
    command
        .arg("-C")
        .arg(root)
        .arg("check")
        .env("NHI_TODAY", TODAY)
        .env("NO_COLOR", "1");
    command
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

/// Time `nhi check` as a child process; with `/usr/bin/time`, also its peak
/// resident memory in KiB.
fn check_once(root: &Path, scratch: &Path) -> (Duration, Option<u64>) {
    let with_time = Path::new(TIME).is_file();
    let report = scratch.join("time.txt");
    let mut command = if with_time {
        let mut c = Command::new(TIME);
        c.arg("-f").arg("%M").arg("-o").arg(&report).arg(NHI);
        c.arg("-C")
            .arg(root)
            .arg("check")
            .env("NHI_TODAY", TODAY)
            .env("NO_COLOR", "1");
        c
    } else {
        nhi_command(root)
    };
    let start = Instant::now();
    let out = command.output().unwrap();
    let elapsed = start.elapsed();
    assert!(
        out.status.success(),
        "nhi check failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let rss = with_time
        .then(|| std::fs::read_to_string(&report).ok())
        .flatten()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()));
    (elapsed, rss)
}

// ---------------------------------------------------------------------------
// the run

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
    // Cargo passes `--bench` to a bench without the libtest harness
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !args.is_empty() {
        return args.iter().flat_map(|a| parse(a)).collect();
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
    phases: Phases,
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
    let (paths, bytes) = generate(&root, n);
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

    let mut times = Vec::new();
    let mut rss_kib: Option<u64> = None;
    for _ in 0..runs {
        let (t, r) = check_once(&root, scratch);
        times.push(t);
        rss_kib = rss_kib.max(r);
    }
    let check = Stats::of(times);
    eprintln!("  nhi check, end to end:             {}", check.cell());

    let phases = phases(&root, runs);
    eprintln!(
        "  in process: load {}, validate {}, validate::check {}",
        phases.load.cell(),
        phases.validate.cell(),
        phases.fused.cell()
    );
    Row {
        n,
        megabytes: bytes as f64 / 1e6,
        plain,
        layer,
        layer_parallel,
        check,
        rss_kib,
        phases,
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
    let rows: Vec<Row> = sizes.iter().map(|&n| run(n, runs)).collect();

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
    for r in &rows {
        println!(
            "| {} | {:.1} | {} | {} | {} | {} | {} | {} |",
            r.n,
            r.megabytes,
            r.plain.cell(),
            r.layer.cell(),
            r.check.cell(),
            ratio(r.check, r.plain),
            ratio(r.check, r.layer),
            r.rss_kib.map_or_else(
                || "n/a".to_owned(),
                |kib| format!("{:.0} MiB", kib as f64 / 1024.0)
            ),
        );
    }
    println!();
    println!(
        "Where the time goes, in process on {cores} cores (median, fastest in parentheses): \
         `load::load` walks, reads, parses and reads raw documents; `validate::validate` \
         converts them and runs the cross-file checks; `validate::check` does both in one \
         pass, as `nhi check` does."
    );
    println!();
    println!(
        "| identities | parse, nhi YAML layer ({cores} cores) | `load::load` | `validate::validate` | `validate::check` | `nhi check` process | process − `validate::check` |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
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
