//! Hostile and careless input, as an attacker or a hurried user would
//! write it: every command answers with diagnostics, never a crash.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::disallowed_methods,
    reason = "tests build workspaces on disk and fail loudly"
)]

#[path = "support/workspaces.rs"]
mod support;

use support::{nhi, text, workspace};

const CATALOGUE: &str = "actions:\n  read_logs:\n    description: Read logs\n    access: read\n";

#[test]
fn a_diagnostic_far_along_a_line_is_shown_around_its_column() {
    // an unknown action after 70 000 characters of one flow sequence
    let identity = format!(
        "agent: a\nowner: t\nauth: {{method: oidc, ttl: 1h}}\nallowed_actions: [read_logs,{}nope_action]\n",
        " ".repeat(70_000)
    );
    let tmp = workspace(&[("nhi.yaml", CATALOGUE), ("identities/a.yaml", &identity)]);
    for command in [&["check"][..], &["build", "--check"], &["test"]] {
        let out = nhi(tmp.path(), command);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command:?}: {stderr}");
        assert!(
            stderr.contains("action `nope_action` is not in the action catalogue"),
            "{command:?}: {stderr}"
        );
        // the file's own line and column, and a line cut to a screen
        assert!(stderr.contains("identities/a.yaml:4:70029]"), "{stderr}");
        assert!(
            stderr.lines().all(|l| l.chars().count() < 400),
            "{command:?}: a line of {} characters",
            stderr.lines().map(|l| l.chars().count()).max().unwrap_or(0)
        );
    }
}
