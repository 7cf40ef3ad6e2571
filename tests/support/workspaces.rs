//! What the CLI-level test binaries share: the repository's workspaces,
//! temporary workspaces, and running the `nhi` binary.

#![allow(dead_code, reason = "each test binary uses a part of this")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The date every command runs as of.
pub(crate) const TODAY: &str = "2026-11-22";

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A `YYYY-MM-DD` date.
pub(crate) fn date(text: &str) -> nhi::model::Date {
    nhi::model::parse_date(text).unwrap()
}

/// The cvc5 1.3 solver for `--prove`: `CVC5`, or the one
/// `scripts/install-cvc5.sh` installs under `target/cvc5`.
pub(crate) fn solver() -> PathBuf {
    if let Some(path) = std::env::var_os("CVC5").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let installed = repo().join("target/cvc5/bin/cvc5");
    assert!(
        installed.is_file(),
        "the --prove tests need cvc5 1.3: run scripts/install-cvc5.sh, or set CVC5 to a cvc5 1.3 executable"
    );
    installed
}

/// Run the binary in `dir` as of [`TODAY`], without colour, with the
/// solver of [`solver`] when there is one.
pub(crate) fn nhi(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nhi"));
    command
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("NHI_TODAY", TODAY)
        // the cache key of the tests' user, not of whoever runs them
        .env("XDG_CACHE_HOME", cache_home());
    if args.contains(&"--prove") {
        command.env("CVC5", solver());
    }
    command.output().expect("nhi runs")
}

/// Where the tests keep nhi's cache key (`$XDG_CACHE_HOME/nhi/cache-key`).
pub(crate) fn cache_home() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache")
}

/// Output bytes as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every workspace shipped with the repository: its root and the examples.
pub(crate) fn workspaces() -> Vec<PathBuf> {
    let mut all = vec![repo()];
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repo().join("examples"))
        .expect("examples/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("nhi.yaml").is_file())
        .collect();
    examples.sort();
    assert!(examples.len() >= 2, "at least two example workspaces");
    all.extend(examples);
    all
}

/// A temporary workspace holding these files.
pub(crate) fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (path, contents) in files {
        let path = tmp.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    tmp
}

/// A copy of a shipped example (`examples/NAME`) in a temporary folder,
/// without any output it holds.
pub(crate) fn example(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                if entry.file_name() != "dist" {
                    copy(&entry.path(), &target);
                }
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    copy(&repo().join("examples").join(name), tmp.path());
    tmp
}

/// A temporary workspace holding only the user's release-assistant file.
pub(crate) fn seed() -> tempfile::TempDir {
    let seed = std::fs::read_to_string(
        repo().join("tests/fixtures/check/seed-only/identities/release-assistant.yaml"),
    )
    .unwrap();
    workspace(&[("identities/release-assistant.yaml", &seed)])
}

/// Every file under `dir`, by its path there, as bytes.
pub(crate) fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Build a workspace into a temporary folder (as of [`TODAY`]) and read
/// every file back, by its path in the folder.
pub(crate) fn build_files(dir: &Path) -> (tempfile::TempDir, BTreeMap<String, String>) {
    let out = tempfile::tempdir().unwrap();
    let run = nhi(dir, &["build", "--out", out.path().to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let files = files_under(out.path())
        .into_iter()
        .map(|(path, bytes)| (path, String::from_utf8(bytes).unwrap()))
        .collect();
    (out, files)
}

/// The messages of the diagnostics with `code` that `nhi check --format
/// json` reports for the workspace in `dir`.
pub(crate) fn check_messages(dir: &Path, code: &str) -> Vec<String> {
    check_json(dir)
        .1
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| d["message"].as_str().unwrap().to_owned())
        .collect()
}

/// `nhi check --format json` on the workspace in `dir`: its exit code and
/// its diagnostics.
pub(crate) fn check_json(dir: &Path) -> (Option<i32>, Vec<serde_json::Value>) {
    let out = nhi(dir, &["check", "--format", "json"]);
    let parsed = serde_json::from_slice::<serde_json::Value>(&out.stdout);
    assert!(parsed.is_ok(), "{}", text(&out.stderr));
    let json = parsed.unwrap();
    let diagnostics = json["diagnostics"].as_array().cloned().unwrap_or_default();
    (out.status.code(), diagnostics)
}
