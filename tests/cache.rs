//! The parse cache (`.nhi/cache`): every answer is the same with it, warm
//! or cold, as without it; a damaged, foreign or stale cache is ignored
//! and replaced; runs at once never corrupt it; `--no-cache` leaves none.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods,
    reason = "tests build workspaces on disk and fail loudly"
)]

#[path = "support/workspaces.rs"]
mod support;

#[path = "support/repo.rs"]
mod repo;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use support::{files_under, nhi, repo, text, workspaces};

/// A copy of a workspace (without its output) in a temporary folder.
fn copy(from: &Path) -> tempfile::TempDir {
    fn walk(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            let target = to.join(&name);
            if entry.file_type().unwrap().is_dir() {
                // output, examples of the root, and any cache stay behind
                if ![
                    "dist", "examples", ".nhi", "target", ".git", "tests", "src", "fuzz",
                ]
                .contains(&name.to_str().unwrap_or(""))
                {
                    walk(&entry.path(), &target);
                }
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    walk(from, tmp.path());
    tmp
}

/// [`copy`], once its files are settled: a run notes a file's stamp (and
/// later runs take the file as unchanged while it holds) only when the
/// file had not changed for two seconds before the run (a change within
/// the same tick of the clock would not show).
fn settled(from: &Path) -> tempfile::TempDir {
    let tmp = copy(from);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    tmp
}

fn pack(dir: &Path) -> PathBuf {
    dir.join(".nhi/cache/parse.bin")
}

fn delta(dir: &Path) -> PathBuf {
    dir.join(".nhi/cache/delta.bin")
}

fn stats(dir: &Path) -> PathBuf {
    dir.join(".nhi/cache/stat.bin")
}

/// What a user sees of a workspace: `nhi check` in every format, the
/// decision tests, the calendar, and every file `nhi build` writes.
fn answers(dir: &Path, cache: bool) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let flag: &[&str] = if cache { &[] } else { &["--no-cache"] };
    let run = |args: &[&str]| -> Output {
        let mut all: Vec<&str> = flag.to_vec();
        all.extend(args);
        nhi(dir, &all)
    };
    for format in ["human", "json", "sarif", "github"] {
        let o = run(&["check", "--format", format]);
        out.insert(format!("check {format}"), [o.stdout, o.stderr].concat());
    }
    let o = run(&["test"]);
    out.insert("test".to_owned(), [o.stdout, o.stderr].concat());
    let o = run(&["review", "--all", "--format", "json"]);
    out.insert("review".to_owned(), o.stdout);
    let built = tempfile::tempdir().unwrap();
    let o = run(&["build", "--out", built.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for (path, bytes) in files_under(built.path()) {
        out.insert(format!("dist/{path}"), bytes);
    }
    out
}

#[test]
fn every_shipped_workspace_answers_the_same_with_the_cache_cold_warm_and_without() {
    for ws in workspaces() {
        let tmp = copy(&ws);
        let dir = tmp.path();
        let without = answers(dir, false);
        assert!(!dir.join(".nhi").exists(), "--no-cache left a cache");
        let quiet = std::process::Command::new(env!("CARGO_BIN_EXE_nhi"))
            .arg("-C")
            .arg(dir)
            .arg("check")
            .env("NHI_TODAY", support::TODAY)
            .env("XDG_CACHE_HOME", support::cache_home())
            .env("NHI_NO_CACHE", "1")
            .output()
            .unwrap();
        assert!(
            quiet.status.code().is_some_and(|c| c < 2),
            "{}",
            text(&quiet.stderr)
        );
        assert!(!dir.join(".nhi").exists(), "NHI_NO_CACHE=1 left a cache");
        let cold = answers(dir, true);
        assert!(pack(dir).is_file(), "{}: no cache written", ws.display());
        let first = std::fs::read(pack(dir)).unwrap();
        let warm = answers(dir, true);
        assert_eq!(
            without,
            cold,
            "{}: the first cached run differs",
            ws.display()
        );
        assert_eq!(without, warm, "{}: a warm run differs", ws.display());
        // every document was found: nothing to write again
        assert_eq!(std::fs::read(pack(dir)).unwrap(), first, "{}", ws.display());
        assert_eq!(
            std::fs::read_to_string(dir.join(".nhi/.gitignore")).unwrap(),
            "# nhi's cache: safe to delete, never committed\n*\n"
        );
    }
}

#[test]
fn every_problem_is_reported_at_the_same_place_from_the_cache() {
    // the fixtures hold a problem of every kind, at keys, values, items
    let fixtures = repo().join("tests/fixtures/check");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    names.sort();
    assert!(names.len() > 40);
    for fixture in names {
        let tmp = copy(&fixture);
        let dir = tmp.path();
        let report = |args: &[&str]| {
            let o = nhi(dir, args);
            [o.stdout, o.stderr].concat()
        };
        let without = report(&["--no-cache", "check", "--format", "json"]);
        let cold = report(&["check", "--format", "json"]);
        let warm = report(&["check", "--format", "json"]);
        assert_eq!(text(&without), text(&cold), "{}", fixture.display());
        assert_eq!(text(&without), text(&warm), "{}", fixture.display());
    }
}

#[test]
fn a_damaged_or_foreign_cache_is_ignored_and_replaced() {
    let tmp = settled(&repo().join("examples/ai-agent-platform"));
    let dir = tmp.path();
    let want = nhi(dir, &["--no-cache", "check", "--format", "json"]).stdout;
    nhi(dir, &["check"]);
    // the pack, and the stat index beside it
    for file in [pack(dir), stats(dir)] {
        let good = std::fs::read(&file).unwrap();
        let mut flipped = good.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x40;
        // another version's pack, sealed with our own key: the version
        // follows the 8-byte magic and its 2-byte length
        let key: [u8; 32] = std::fs::read(support::cache_home().join("nhi/cache-key"))
            .unwrap()
            .try_into()
            .unwrap();
        let mut other_version = good[..good.len() - 32].to_vec();
        other_version[10] = b'9';
        let mac = *blake3::keyed_hash(&key, &other_version).as_bytes();
        other_version.extend_from_slice(&mac);
        // (the same bytes sealed with the version put back are read: only
        // the version refuses it)
        let mut same = other_version[..other_version.len() - 32].to_vec();
        same[10] = good[10];
        same.extend_from_slice(blake3::keyed_hash(&key, &same).as_bytes());
        assert_eq!(same, good);
        for damaged in [
            b"garbage".to_vec(),
            Vec::new(),
            good[..good.len() / 3].to_vec(),
            flipped,
            other_version,
        ] {
            std::fs::write(&file, &damaged).unwrap();
            let got = nhi(dir, &["check", "--format", "json"]);
            assert_eq!(got.stdout, want, "{}", file.display());
            // replaced by a whole one again
            assert_eq!(std::fs::read(&file).unwrap(), good, "{}", file.display());
        }
    }
}

#[test]
fn a_question_answers_from_the_stat_index_as_from_every_file() {
    let tmp = settled(&repo().join("examples/ai-agent-platform"));
    let dir = tmp.path();
    let question = [
        "can",
        "knowledge-retriever",
        "search_knowledge_base",
        "--on-behalf-of",
        "support-triage",
        "--context",
        "environment=production",
        "--context",
        "region=eu-west-1",
        "--context",
        "namespace=agents",
        "--context",
        "channel=chat",
    ];
    let answers = |cache: bool| {
        let flag: &[&str] = if cache { &[] } else { &["--no-cache"] };
        let asked = nhi(dir, &[flag, &question[..]].concat());
        let tested = nhi(dir, &[flag, &["test"][..]].concat());
        (
            asked.status.code(),
            text(&asked.stdout),
            text(&tested.stdout),
        )
    };
    let allowed = answers(false);
    assert_eq!(allowed.0, Some(0), "{}", allowed.1);
    // from the files, then from what the first question and a check
    // noted of them
    assert_eq!(answers(true), allowed);
    assert!(stats(dir).is_file());
    assert_eq!(answers(true), allowed);
    nhi(dir, &["check"]);
    let noted = std::fs::read(stats(dir)).unwrap();
    assert_eq!(answers(true), allowed);
    // a question reads the stat index alone, and leaves the pack as it is
    let packed = std::fs::read(pack(dir)).unwrap();
    std::fs::remove_file(pack(dir)).unwrap();
    assert_eq!(answers(true), allowed);
    assert!(!pack(dir).exists());
    std::fs::write(pack(dir), &packed).unwrap();
    assert_eq!(std::fs::read(stats(dir)).unwrap(), noted);
    // the delegator changed since: what the index noted of it is not used
    let triage = dir.join("identities/support-triage.yaml");
    let before = std::fs::read_to_string(&triage).unwrap();
    let grant = "    - agent: knowledge-retriever\n      actions: [search_knowledge_base]\n      ttl: 10m\n      max_depth: 0\n";
    assert!(before.contains(grant));
    std::fs::write(&triage, before.replace(grant, "")).unwrap();
    let denied = answers(false);
    assert_eq!(denied.0, Some(1), "{}", denied.1);
    assert_eq!(answers(true), denied);
}

#[test]
fn a_pack_sealed_with_another_users_key_is_never_trusted() {
    let tmp = settled(&repo().join("examples/ai-agent-platform"));
    let dir = tmp.path();
    let want = nhi(dir, &["--no-cache", "check", "--format", "json"]).stdout;
    nhi(dir, &["check"]);
    let ours = std::fs::read(pack(dir)).unwrap();
    // someone else's nhi (a pack committed to the repository, copied from
    // another machine): whole and well formed, but not sealed with our key
    let elsewhere = tempfile::tempdir().unwrap();
    let theirs = std::process::Command::new(env!("CARGO_BIN_EXE_nhi"))
        .arg("-C")
        .arg(dir)
        .args(["check", "--format", "json"])
        .env("NHI_TODAY", support::TODAY)
        .env("XDG_CACHE_HOME", elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(theirs.stdout, want);
    let sealed_elsewhere = std::fs::read(pack(dir)).unwrap();
    // the other key read nothing of ours, and sealed the pack anew
    assert_ne!(sealed_elsewhere, ours);
    assert_eq!(sealed_elsewhere.len(), ours.len());
    // and ours reads nothing of theirs
    assert_eq!(nhi(dir, &["check", "--format", "json"]).stdout, want);
    assert_eq!(std::fs::read(pack(dir)).unwrap(), ours);
    // the key is the user's alone
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = elsewhere.path().join("nhi/cache-key");
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read(&key).unwrap().len(), 32);
    }
}

#[test]
fn a_changed_file_goes_into_a_delta_and_the_pack_is_rewritten_before_waste_grows() {
    let tmp = settled(&repo().join("examples/ai-agent-platform"));
    let dir = tmp.path();
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    nhi(dir, &["check"]);
    let first = std::fs::read(pack(dir)).unwrap();
    assert!(!delta(dir).exists());
    let file = dir.join("identities/refund-agent.yaml");
    let original = std::fs::read_to_string(&file).unwrap();
    let edit = |ttl: usize| {
        let edited = original.replace("ttl: 15m", &format!("ttl: {ttl}m"));
        assert_ne!(edited, original);
        std::fs::write(&file, edited).unwrap();
    };
    edit(10);
    let want = nhi(dir, &["--no-cache", "check", "--format", "json"]).stdout;
    let got = nhi(dir, &["check", "--format", "json"]);
    assert_eq!(text(&got.stdout), text(&want));
    // the pack as it was, and what changed beside it
    assert!(
        std::fs::read(pack(dir)).unwrap() == first,
        "the pack was rewritten"
    );
    assert!(
        size(&delta(dir)) > 0 && size(&delta(dir)) < size(&pack(dir)) / 4,
        "delta of {} bytes beside a pack of {}",
        size(&delta(dir)),
        size(&pack(dir))
    );
    // edit after edit of one file, the delta holds its latest version
    for ttl in 1..=5 {
        edit(ttl);
        nhi(dir, &["check"]);
    }
    assert!(
        std::fs::read(pack(dir)).unwrap() == first,
        "the pack was rewritten"
    );
    assert!(size(&delta(dir)) < size(&pack(dir)) / 4);
    // files removed one after another: once what no run uses passes a
    // quarter of the pack, it is written whole, with what is used alone
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("identities"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| *p != file)
        .collect();
    files.sort();
    let mut rewritten = false;
    for gone in files {
        std::fs::remove_file(gone).unwrap();
        let want = nhi(dir, &["--no-cache", "check", "--format", "json"]).stdout;
        assert_eq!(
            text(&nhi(dir, &["check", "--format", "json"]).stdout),
            text(&want)
        );
        if std::fs::read(pack(dir)).unwrap() != first {
            rewritten = true;
            break;
        }
    }
    assert!(rewritten, "the pack was never written whole again");
    assert!(!delta(dir).exists(), "a delta over the old pack is left");
    assert!(size(&pack(dir)) < first.len() as u64);
    // a file that does not parse is never kept
    let before = size(&pack(dir)) + size(&delta(dir));
    std::fs::write(&file, "agent: [unclosed\n").unwrap();
    nhi(dir, &["check"]);
    assert!(size(&pack(dir)) + size(&delta(dir)) <= before);
}

#[test]
fn runs_at_once_leave_a_whole_cache() {
    let tmp = settled(&repo().join("examples/cicd-pipelines"));
    let dir = tmp.path().to_path_buf();
    let want = nhi(&dir, &["--no-cache", "check", "--format", "json"]).stdout;
    let runs: Vec<_> = (0..6)
        .map(|_| {
            let dir = dir.clone();
            std::thread::spawn(move || nhi(&dir, &["check", "--format", "json"]).stdout)
        })
        .collect();
    for run in runs {
        assert_eq!(run.join().unwrap(), want);
    }
    // whichever run's pack and stat index won, each is whole: a warm run
    // finds everything in them and leaves them as they are
    let whole = std::fs::read(pack(&dir)).unwrap();
    let index = std::fs::read(stats(&dir)).unwrap();
    assert_eq!(nhi(&dir, &["check", "--format", "json"]).stdout, want);
    assert_eq!(std::fs::read(pack(&dir)).unwrap(), whole);
    assert_eq!(std::fs::read(stats(&dir)).unwrap(), index);
    let mut leftovers: Vec<_> = std::fs::read_dir(dir.join(".nhi/cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    leftovers.sort();
    assert_eq!(leftovers, ["parse.bin", "stat.bin"]);
}

#[test]
fn a_secret_never_reaches_the_cache() {
    let tmp = copy(&repo().join("examples/ai-agent-platform"));
    let dir = tmp.path();
    let token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
    let file = dir.join("identities/support-triage.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{text}# token: {token}\n")).unwrap();
    let out = nhi(dir, &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let bytes = std::fs::read(pack(dir)).unwrap();
    assert!(
        !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token is in the cache"
    );
}

#[test]
fn a_diff_parses_what_both_sides_share_once_and_answers_the_same() {
    let r = repo::Repo::new();
    r.write(
        "identities/release-assistant.yaml",
        &repo::RELEASE.replace("ttl: 1h", "ttl: 30m"),
    );
    let args = ["diff", "--base", "HEAD", "--format", "json"];
    let without = nhi(r.path(), &[&["--no-cache"][..], &args].concat()).stdout;
    assert!(!r.path().join(".nhi").exists());
    let cold = nhi(r.path(), &args).stdout;
    let packed = std::fs::read(pack(r.path())).unwrap();
    let warm = nhi(r.path(), &args).stdout;
    assert_eq!(text(&without), text(&cold));
    assert_eq!(text(&without), text(&warm));
    // both versions of the edited file, and what the sides share once:
    // the warm run found everything
    assert_eq!(std::fs::read(pack(r.path())).unwrap(), packed);
    // and the cache is never committed by `git add`
    r.commit("shorter tokens");
    let head = git2::Repository::open(r.path()).unwrap();
    let tree = head.head().unwrap().peel_to_tree().unwrap();
    assert!(tree.get_path(Path::new(".nhi")).is_err());
}

#[test]
fn an_identity_kept_on_one_day_is_checked_again_on_another() {
    let tmp = copy(&repo().join("examples/ai-agent-platform"));
    let dir = tmp.path();
    nhi(dir, &["check"]);
    // the day before coding-assistant's last review: every identity file
    // is in the cache, and still it is reported
    let earlier = ["check", "--today", "2026-10-19", "--format", "json"];
    let want = nhi(dir, &[&["--no-cache"], &earlier[..]].concat()).stdout;
    let got = nhi(dir, &earlier).stdout;
    assert_eq!(text(&got), text(&want));
    assert!(text(&got).contains("last review date 2026-10-20 is after today (2026-10-19)"));
    // and back on the day it was kept
    let want = nhi(dir, &["--no-cache", "check", "--format", "json"]).stdout;
    assert_eq!(
        text(&nhi(dir, &["check", "--format", "json"]).stdout),
        text(&want)
    );
}

#[test]
fn a_clean_identity_file_is_kept_as_what_it_converts_to_in_place_of_its_document() {
    use nhi::load::{LoadOptions, cache};
    let tmp = copy(&repo().join("examples/ai-agent-platform"));
    let dir = tmp.path();
    let clean = std::fs::read_to_string(dir.join("identities/coding-assistant.yaml")).unwrap();
    let broken = clean
        .replace("agent: coding-assistant", "agent: broken")
        .replace("last_reviewed: 2026-10-20", "last_reviewed: 2026-10-40");
    assert_ne!(broken, clean);
    std::fs::write(dir.join("identities/broken.yaml"), broken).unwrap();
    let today = nhi::model::parse_date(support::TODAY).unwrap();
    let options = LoadOptions::default();
    let run = |session: cache::Session| {
        nhi::check::workspace_cached(dir, options, today, Some(session)).unwrap()
    };
    let mut first = run(cache::Session::memory(dir));
    let session = first.cache.take().unwrap();
    let has_document = |path: &str| {
        let file = first
            .db
            .ids()
            .filter_map(|id| first.db.get(id))
            .find(|f| f.path() == Path::new(path))
            .unwrap();
        let key = cache::key(file, options.yaml);
        session.get_bytes(cache::Kind::Document, &key).is_some()
    };
    // what converted cleanly is kept converted; the rest as parsed
    assert!(!has_document("identities/coding-assistant.yaml"));
    assert!(!has_document("identities/refund-agent.yaml"));
    assert!(has_document("identities/broken.yaml"));
    assert!(has_document("nhi.yaml"));
    // and read back, it is the same identity at the same places
    let second = run(session);
    assert_eq!(second.model.identities, first.model.identities);
    let all = |c: &nhi::check::Checked| c.diagnostics.iter().cloned().collect::<Vec<_>>();
    assert_eq!(all(&second), all(&first));
    assert!(
        second
            .diagnostics
            .iter()
            .any(|d| d.message.contains("2026-10-40"))
    );
}

#[test]
fn a_file_changed_with_its_size_and_time_put_back_is_read_again() {
    let tmp = copy(&repo().join("examples/ai-agent-platform"));
    let dir = tmp.path();
    let file = dir.join("identities/refund-agent.yaml");
    // long unchanged: what a run reads of it, later runs take on trust
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let set_old = || {
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(old)
            .unwrap();
    };
    set_old();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    nhi(dir, &["check"]);
    // the same length and modification time, other bytes (`cp -p`,
    // `rsync -t`, a restored backup)
    let original = std::fs::read_to_string(&file).unwrap();
    let edited = original.replace("ttl: 15m", "ttl: 99h");
    assert_eq!(edited.len(), original.len());
    std::fs::write(&file, &edited).unwrap();
    set_old();
    let want = nhi(dir, &["--no-cache", "check", "--format", "json"]).stdout;
    let got = nhi(dir, &["check", "--format", "json"]).stdout;
    assert_eq!(text(&got), text(&want));
    // (the edit is one the check reports)
    assert!(text(&got).contains("tokens of `refund-agent` last 4d3h"));
}
