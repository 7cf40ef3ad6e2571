//! `cargo bench --bench check`: generates workspaces of realistic
//! identities and times `nhi check` end to end beside the bare YAML parse
//! of the same files, in the same run.
//!
//! Sizes come from `NHI_BENCH_SIZES` (default `1000,10000,100000`), runs
//! per measurement from `NHI_BENCH_RUNS` (default 3; the best is shown).
//! Peak memory is read with `/usr/bin/time` when it is installed (Debian
//! package `time`).

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::disallowed_methods,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    reason = "a benchmark harness: it writes files, prints figures and may stop on failure"
)]
#![allow(missing_docs, reason = "a benchmark binary")]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nhi::source::SourceDb;

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
}

const ACTIONS: usize = 300;
const TEAMS: usize = 20;
const FORBIDDEN_POOL: usize = 40;
const VERBS: [&str; 6] = ["read", "write", "list", "approve", "export", "sync"];
const NOUNS: [&str; 10] = [
    "invoice", "ticket", "order", "build", "report", "ledger", "profile", "artifact", "metric",
    "schedule",
];
const PURPOSES: [&str; 4] = ["importer", "reconciler", "notifier", "reviewer"];

fn action(i: usize) -> String {
    format!(
        "{}_{}_{i:03}",
        VERBS[i % VERBS.len()],
        NOUNS[(i / VERBS.len()) % NOUNS.len()]
    )
}

fn name(i: usize) -> String {
    format!(
        "svc-{i:06}-{}-{}",
        NOUNS[i % NOUNS.len()],
        PURPOSES[i % PURPOSES.len()]
    )
}

fn workspace_file() -> String {
    let mut s = String::from("identities: identities\n");
    s.push_str("teams:\n");
    for t in 0..TEAMS {
        let _ = writeln!(
            s,
            "  team-{t:02}:\n    description: Team {t}\n    handle: \"@example/team-{t:02}\""
        );
    }
    s.push_str("actions:\n");
    for a in 0..ACTIONS {
        let access = if a % 6 == 1 { "write" } else { "read" };
        let _ = writeln!(
            s,
            "  {}:\n    description: Business action number {a}\n    access: {access}",
            action(a)
        );
    }
    // two actions that no identity is given: the guardrail never fires
    let _ = writeln!(
        s,
        "guardrails:\n  forbidden_actions: [{}, {}]\n  max_token_ttl: 1h\n  max_delegation_depth: 4",
        action(ACTIONS - 1),
        action(ACTIONS - 2)
    );
    s
}

fn identity_file(i: usize, n: usize, rng: &mut Rng) -> String {
    // allowed actions come from the first part of the catalogue, forbidden
    // ones from the rest, so a delegation never hands on a forbidden action
    let grantable = ACTIONS - 2 - FORBIDDEN_POOL;
    let count = 10 + rng.below(21);
    let mut allowed: Vec<usize> = Vec::with_capacity(count);
    while allowed.len() < count {
        let a = rng.below(grantable);
        if !allowed.contains(&a) {
            allowed.push(a);
        }
    }
    let mut forbidden = Vec::new();
    while forbidden.len() < 2 + rng.below(4) {
        let a = grantable + rng.below(FORBIDDEN_POOL);
        if !forbidden.contains(&a) {
            forbidden.push(a);
        }
    }
    let mut s = String::new();
    let _ = writeln!(s, "agent: {}", name(i));
    let _ = writeln!(
        s,
        "kind: {}",
        ["agent", "workload", "pipeline", "service"][i % 4]
    );
    let _ = writeln!(s, "owner: team-{:02}", i % TEAMS);
    let _ = writeln!(
        s,
        "purpose: Handles {} work for business unit {}",
        NOUNS[i % NOUNS.len()],
        i % 37
    );
    let _ = writeln!(s, "accountable: owner{:04}@example.com", i % 5000);
    s.push_str("identity_type: workload_identity\n");
    let _ = writeln!(
        s,
        "auth:\n  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/app-{i}:ref:refs/heads/main\n  audience: sts.amazonaws.com\n  ttl: 1h"
    );
    s.push_str("allowed_actions:\n");
    for (k, a) in allowed.iter().enumerate() {
        if k % 7 == 3 {
            let _ = writeln!(
                s,
                "  - action: {}\n    where: {{env: [staging]}}",
                action(*a)
            );
        } else {
            let _ = writeln!(s, "  - {}", action(*a));
        }
    }
    let forbidden: Vec<String> = forbidden.iter().map(|a| action(*a)).collect();
    let _ = writeln!(s, "forbidden_actions: [{}]", forbidden.join(", "));
    s.push_str("audit_log: required\nreview_cycle: quarterly\n");
    let _ = writeln!(s, "last_reviewed: 2026-{:02}-{:02}", 1 + i % 10, 1 + i % 28);
    s.push_str("context:\n  environments: [staging, production]\n  regions: [eu-west-1]\n");
    s.push_str("provenance:\n  provider: example-ai\n  model: agent-large\n  version: \"3\"\n  runtime: kubernetes\n");
    s.push_str("labels:\n");
    for l in 0..3 + i % 3 {
        let _ = writeln!(s, "  label-{l}: value-{}", (i + l) % 97);
    }
    // one in five delegates part of its access to a later identity that
    // does not delegate itself: no cycles, depth 1
    if i.is_multiple_of(5) && i + 1 < n {
        let to = i + 1;
        let give: Vec<String> = allowed.iter().take(3).map(|a| action(*a)).collect();
        let _ = writeln!(
            s,
            "delegation:\n  may_delegate_to:\n    - agent: {}\n      actions: [{}]\n      ttl: 30m\n      max_depth: 0",
            name(to),
            give.join(", ")
        );
    }
    s
}

fn generate(dir: &Path, n: usize) -> u64 {
    std::fs::create_dir_all(dir.join("identities")).unwrap();
    std::fs::write(dir.join("nhi.yaml"), workspace_file()).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ n as u64);
    let mut bytes = 0;
    for i in 0..n {
        let text = identity_file(i, n, &mut rng);
        bytes += text.len() as u64;
        std::fs::write(
            dir.join("identities").join(format!("{}.yaml", name(i))),
            text,
        )
        .unwrap();
    }
    bytes
}

fn identity_paths(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir.join("identities"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
}

/// Read every file and parse it with serde-saphyr into a generic value.
fn parse_plain(paths: &[PathBuf]) -> usize {
    let mut nodes = 0;
    for path in paths {
        let text = std::fs::read_to_string(path).unwrap();
        let value: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        nodes += value.as_object().map_or(0, serde_json::Map::len);
    }
    nodes
}

/// Read every file and parse it with nhi's span-keeping YAML layer.
fn parse_nhi(paths: &[PathBuf]) -> usize {
    let mut db = SourceDb::new();
    let mut ok = 0;
    for path in paths {
        let text = std::fs::read_to_string(path).unwrap();
        let id = db.add(path.clone(), Arc::from(text));
        let file = db.get(id).unwrap();
        if nhi::load::yaml::parse(id, file, nhi::load::yaml::Budget::default()).is_ok() {
            ok += 1;
        }
    }
    ok
}

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .min()
        .unwrap()
}

fn nhi_binary() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "nhi"])
        .current_dir(&root)
        .status()
        .unwrap();
    assert!(status.success(), "cargo build --release failed");
    root.join("target/release/nhi")
}

/// Run `nhi check` on the workspace; return its wall time and, when
/// `/usr/bin/time` exists, its peak resident memory in KiB.
fn check(nhi: &Path, dir: &Path) -> (Duration, Option<u64>) {
    let time = Path::new("/usr/bin/time");
    let mut command = if time.exists() {
        let mut c = Command::new(time);
        c.args(["-f", "%M"]).arg(nhi);
        c
    } else {
        Command::new(nhi)
    };
    command
        .arg("-C")
        .arg(dir)
        .arg("check")
        .env("NHI_TODAY", "2026-11-22");
    let start = Instant::now();
    let out = command.output().unwrap();
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "nhi check failed on the generated workspace:\n{stderr}"
    );
    let rss = stderr.lines().last().and_then(|l| l.trim().parse().ok());
    (elapsed, rss)
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("NHI_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,100000".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs = env_or("NHI_BENCH_RUNS", 3_usize);
    let nhi = nhi_binary();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("nhi check benchmark: best of {runs} runs, {cores} cores\n");
    println!(
        "| identities | files (MB) | parse, serde-saphyr → Value (1 core) | parse, nhi YAML layer (1 core) | `nhi check` end to end | check ÷ plain parse | peak RSS of check |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        let tmp = tempfile::tempdir().unwrap();
        let bytes = generate(tmp.path(), n);
        let paths = identity_paths(tmp.path());
        let plain = best(runs, || parse_plain(&paths));
        let layer = best(runs, || parse_nhi(&paths));
        let mut rss = None;
        let total = best(runs, || {
            let (t, r) = check(&nhi, tmp.path());
            rss = r.or(rss);
            t
        });
        println!(
            "| {n} | {:.1} | {:.2} s | {:.2} s | {:.2} s | {:.2}× | {} |",
            bytes as f64 / 1e6,
            plain.as_secs_f64(),
            layer.as_secs_f64(),
            total.as_secs_f64(),
            total.as_secs_f64() / plain.as_secs_f64(),
            rss.map_or_else(
                || "n/a (install `time`)".to_owned(),
                |kb| format!("{} MiB", kb / 1024)
            ),
        );
    }
}
