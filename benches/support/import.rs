//! `nhi import aws` end to end: the release binary reads a generated
//! `get-account-authorization-details` export ([`super::aws_export`]) and
//! writes a new workspace, each run into a fresh folder; beside it, a bare
//! `serde_json` parse of the same file on one core, and `nhi check` of the
//! workspace the import wrote (which must find no errors: an import's
//! warnings — no accountable person, no review, wildcards — are expected).
//!
//! When that check finds errors the bench stops with them, unless
//! `NHI_BENCH_IMPORT_ERRORS=report`: then the import and the parse are
//! still measured, and the check's column names the errors instead of a
//! time (a check that fails stops early, so its time would say nothing).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::{
    NHI, Stats, aws_export, measure as time_runs, nhi_args, nhi_runs, nhi_timed, rss_cell, seconds,
};

/// The largest account the full run imports: AWS caps an account at a few
/// thousand roles, so an export of 100 000 is no account's (and would take
/// most of a GiB). `cargo bench --bench check -- import 100000` measures it
/// anyway.
pub(crate) const FULL_RUN_MAX: usize = 10_000;

/// What the import of one account took.
pub(crate) struct Figures {
    n: usize,
    users: usize,
    megabytes: f64,
    identities: usize,
    checked: Checked,
    parse: Stats,
    import: Stats,
    import_rss: Option<u64>,
    /// `nhi check` of the import and its peak memory, when it finds no
    /// errors.
    check: Option<(Stats, Option<u64>)>,
}

/// What `nhi check` found in the imported workspace.
struct Checked {
    warnings: u64,
    /// Error codes and how many of each.
    errors: Vec<(String, usize)>,
}

/// Generate the export of `n` roles, import it once and check the
/// workspace (no errors, else stop), then time the import, the bare parse
/// and the check `runs` times each.
pub(crate) fn measure(n: usize, runs: usize) -> Figures {
    let tmp = tempfile::Builder::new()
        .prefix("nhi-bench-import-")
        .tempdir()
        .unwrap();
    let scratch = tmp.path();
    let dir = std::env::var_os("NHI_BENCH_KEEP").map_or_else(
        || scratch.join("account"),
        |keep| PathBuf::from(keep).join(format!("nhi-bench-import-{n}")),
    );
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    let export = dir.join("authorization-details.json");
    let into = dir.join("imported");
    let start = Instant::now();
    let counts = aws_export::generate(&export, n);
    eprintln!(
        "{n} roles, {} users: generated a {:.1} MB export in {} at {}",
        counts.users,
        counts.bytes as f64 / 1e6,
        seconds(start.elapsed()),
        export.display()
    );
    let identities = import_once(&export, &into);
    let checked = check_import(&into, n);

    let parse = time_runs(runs, || parse(&export));
    eprintln!("  parse, serde_json → Value, 1 core: {}", parse.cell());
    let args = [
        OsStr::new("import"),
        OsStr::new("aws"),
        export.as_os_str(),
        OsStr::new("--into"),
        into.as_os_str(),
    ];
    let mut times = Vec::new();
    let mut import_rss: Option<u64> = None;
    for _ in 0..runs {
        std::fs::remove_dir_all(&into).unwrap();
        let (t, r) = nhi_timed(scratch, &args, scratch);
        times.push(t);
        import_rss = import_rss.max(r);
    }
    let import = Stats::of(times);
    eprintln!(
        "  nhi import aws, end to end:        {} (peak {})",
        import.cell(),
        rss_cell(import_rss)
    );
    let check = checked.errors.is_empty().then(|| {
        let (check, check_rss) = nhi_runs(&into, &[OsStr::new("check")], scratch, runs);
        eprintln!(
            "  nhi check of the import:           {} (peak {})",
            check.cell(),
            rss_cell(check_rss)
        );
        (check, check_rss)
    });
    Figures {
        n,
        users: counts.users,
        megabytes: counts.bytes as f64 / 1e6,
        identities,
        checked,
        parse,
        import,
        import_rss,
        check,
    }
}

/// Read the export and parse it into a generic value, on one core.
fn parse(export: &Path) -> usize {
    let bytes = std::fs::read(export).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    value["RoleDetailList"].as_array().map_or(0, Vec::len)
}

/// Import once, untimed, which must exit 0; say what it reported and
/// return the identity files it wrote.
fn import_once(export: &Path, into: &Path) -> usize {
    let mut command = Command::new(NHI);
    nhi_args(
        &mut command,
        export.parent().unwrap(),
        &[
            OsStr::new("import"),
            OsStr::new("aws"),
            export.as_os_str(),
            OsStr::new("--into"),
            into.as_os_str(),
        ],
    );
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "nhi import aws failed ({}):\n{stderr}",
        out.status
    );
    for line in stderr.lines().filter(|l| !l.starts_with("next:")) {
        eprintln!("  | {line}");
    }
    std::fs::read_dir(into.join("identities")).unwrap().count()
}

/// `nhi check --format json` of the imported workspace: stop, with the
/// first errors, unless it finds none (or `NHI_BENCH_IMPORT_ERRORS=report`).
fn check_import(root: &Path, n: usize) -> Checked {
    let mut command = Command::new(NHI);
    let args = [
        OsStr::new("check"),
        OsStr::new("--format"),
        OsStr::new("json"),
    ];
    nhi_args(&mut command, root, &args);
    let out = command.output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let diagnostics = report["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let count = |severity: &str| {
        let mut codes = BTreeMap::<String, usize>::new();
        for d in diagnostics.iter().filter(|d| d["severity"] == severity) {
            *codes
                .entry(d["code"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
        }
        let mut codes: Vec<_> = codes.into_iter().collect();
        codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        codes
    };
    let listed = |codes: &[(String, usize)]| {
        codes
            .iter()
            .map(|(c, k)| format!("{c} ×{k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let errors = count("error");
    let warnings = report["summary"]["warnings"].as_u64().unwrap_or(0);
    eprintln!(
        "  nhi check of the import: {} errors ({}), {warnings} warnings ({})",
        errors.iter().map(|(_, k)| k).sum::<usize>(),
        listed(&errors),
        listed(&count("warning"))
    );
    let clean = report["summary"]["errors"] == 0 && errors.is_empty();
    let report_only = std::env::var("NHI_BENCH_IMPORT_ERRORS").is_ok_and(|v| v == "report");
    if !clean && !report_only {
        let shown: Vec<_> = diagnostics
            .iter()
            .filter(|d| d["severity"] == "error")
            .take(10)
            .collect();
        panic!(
            "nhi check finds errors in the import of {n} roles (status {})\nfirst ones: {}\nstderr: {}\n\
             (NHI_BENCH_IMPORT_ERRORS=report measures the import anyway)",
            out.status,
            serde_json::to_string_pretty(&shown).unwrap(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if clean {
        assert!(
            out.status.success(),
            "nhi check exits {} without errors",
            out.status
        );
    }
    Checked { warnings, errors }
}

/// The Markdown table of `nhi import aws`.
pub(crate) fn table(rows: &[&Figures], cores: usize, runs: usize) {
    if rows.is_empty() {
        return;
    }
    println!();
    println!(
        "`nhi import aws` of a generated `aws iam get-account-authorization-details` export \
         (roles of every kind of trust, 1–4 inline policies of 2–6 statements each, managed \
         policies, tags; a tenth as many users, in groups), {cores} cores, median of {runs} runs \
         (fastest in parentheses), warm page cache. The parse reads the file and parses it with \
         `serde_json` into a generic value on one core; `nhi import aws` is the release binary, \
         end to end (scan for credentials, parse, convert, write a new workspace); `nhi check` \
         then checks that workspace (no errors; warnings for what a person must still decide)."
    );
    println!();
    println!(
        "| roles | users | export (MB) | identities written | parse, serde_json → Value (1 core) | `nhi import aws` ({cores} cores) | import ÷ parse | peak RSS of import | `nhi check` of the import | peak RSS of check | warnings |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {:.1} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.n,
            r.users,
            r.megabytes,
            r.identities,
            r.parse.cell(),
            r.import.cell(),
            crate::ratio(r.import, r.parse),
            rss_cell(r.import_rss),
            r.check.map_or_else(
                || {
                    let errors: Vec<_> = r
                        .checked
                        .errors
                        .iter()
                        .map(|(c, k)| format!("{c} ×{k}"))
                        .collect();
                    format!("errors: {}", errors.join(", "))
                },
                |(check, _)| check.cell()
            ),
            rss_cell(r.check.and_then(|(_, rss)| rss)),
            r.checked.warnings,
        );
    }
}
