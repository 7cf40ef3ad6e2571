//! `nhi graph` end to end: snapshots of both formats for a shipped
//! workspace, a structural check that every edge joins declared nodes and
//! every line is one the format expects, hostile labels, standings, and a
//! workspace with errors.

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

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use support::{nhi, repo, text, workspace, workspaces};

fn agents() -> PathBuf {
    repo().join("examples/ai-agent-platform")
}

fn graph(dir: &Path, format: &str) -> String {
    let out = nhi(dir, &["graph", "--format", format]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// A node id: what nhi spells ids with.
fn id(s: &str) -> Option<(&str, &str)> {
    let end = s
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        .unwrap_or(s.len());
    (end > 0).then(|| s.split_at(end))
}

/// A label: one quoted string with no quote inside, then `rest`.
fn label<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let inner = s.strip_prefix(open)?.strip_prefix('"')?;
    let end = inner.find('"')?;
    inner[end + 1..].strip_prefix(close)
}

/// The nodes and edges of a DOT graph, failing on any line that is not a
/// node, an edge, a comment or the fixed frame.
fn dot_structure(dot: &str) -> (BTreeSet<String>, Vec<(String, String)>) {
    let mut nodes = BTreeSet::new();
    let mut edges = Vec::new();
    let frame = [
        "digraph nhi {",
        "  rankdir=LR;",
        "  node [fontname=\"Helvetica\", fontsize=11];",
        "  edge [fontname=\"Helvetica\", fontsize=10];",
        "}",
    ];
    for line in dot.lines() {
        if frame.contains(&line) || line.starts_with("  // ") {
            continue;
        }
        let rest = line
            .strip_prefix("  \"")
            .unwrap_or_else(|| panic!("{line}"));
        let (from, rest) = id(rest).unwrap_or_else(|| panic!("{line}"));
        let rest = rest.strip_prefix('"').unwrap_or_else(|| panic!("{line}"));
        if let Some(rest) = rest.strip_prefix(" -> \"") {
            let (to, rest) = id(rest).unwrap_or_else(|| panic!("{line}"));
            assert!(rest.starts_with("\" [") && rest.ends_with("];"), "{line}");
            edges.push((from.to_owned(), to.to_owned()));
        } else {
            let rest = rest
                .strip_prefix(" [label=")
                .unwrap_or_else(|| panic!("{line}"));
            // the label ends at the first unescaped quote
            let mut chars = rest.chars();
            assert_eq!(chars.next(), Some('"'), "{line}");
            let mut escaped = false;
            let mut tail = String::new();
            let mut closed = false;
            for c in chars.by_ref() {
                match (escaped, c) {
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        closed = true;
                        break;
                    }
                    _ => escaped = false,
                }
            }
            tail.extend(chars);
            assert!(
                closed && tail.starts_with(", ") && tail.ends_with("];"),
                "{line}"
            );
            assert!(tail.matches('"').count().is_multiple_of(2), "{line}");
            assert!(nodes.insert(from.to_owned()), "declared twice: {from}");
        }
    }
    (nodes, edges)
}

/// The nodes and edges of a Mermaid flowchart, failing on any line that
/// is not a node, an edge, a comment, a class or a link style.
fn mermaid_structure(mermaid: &str) -> (BTreeSet<String>, Vec<(String, String)>) {
    let mut nodes = BTreeSet::new();
    let mut edges = Vec::new();
    let mut lines = mermaid.lines();
    assert_eq!(lines.next(), Some("flowchart LR"));
    for line in lines {
        if ["  %% ", "  classDef ", "  linkStyle "]
            .iter()
            .any(|p| line.starts_with(p))
        {
            assert!(!line.contains('"'), "{line}");
            continue;
        }
        let rest = line.strip_prefix("  ").unwrap_or_else(|| panic!("{line}"));
        let (from, rest) = id(rest).unwrap_or_else(|| panic!("{line}"));
        let arrow = [" --> ", " -.-x "]
            .iter()
            .find_map(|a| rest.strip_prefix(a))
            .or_else(|| label(rest, " ==>|", "| "));
        if let Some(rest) = arrow {
            let (to, tail) = id(rest).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(tail, "", "{line}");
            edges.push((from.to_owned(), to.to_owned()));
            continue;
        }
        let tail = [("[", "]"), ("(", ")"), ("([", "])"), ("{{", "}}")]
            .iter()
            .find_map(|(open, close)| label(rest, open, close))
            .unwrap_or_else(|| panic!("{line}"));
        let class = tail.strip_prefix(":::").unwrap_or_else(|| panic!("{line}"));
        assert!(id(class).is_some_and(|(_, t)| t.is_empty()), "{line}");
        assert!(nodes.insert(from.to_owned()), "declared twice: {from}");
    }
    (nodes, edges)
}

fn assert_edges_join_declared_nodes(nodes: &BTreeSet<String>, edges: &[(String, String)]) {
    for (from, to) in edges {
        assert!(nodes.contains(from), "edge from undeclared {from}");
        assert!(nodes.contains(to), "edge to undeclared {to}");
    }
}

#[test]
fn the_agent_platform_as_mermaid_and_dot() {
    let mermaid = graph(&agents(), "mermaid");
    let dot = graph(&agents(), "dot");
    insta::assert_snapshot!("agents-mermaid", mermaid);
    insta::assert_snapshot!("agents-dot", dot);
    // 5 teams, 8 identities, the guardrails and 9 forbidden actions; 8
    // owners, 3 delegations, 16 forbidden actions and 2 guardrails
    for (nodes, edges) in [mermaid_structure(&mermaid), dot_structure(&dot)] {
        assert_eq!(nodes.len(), 5 + 8 + 1 + 9);
        assert_eq!(edges.len(), 8 + 3 + 16 + 2);
        assert_edges_join_declared_nodes(&nodes, &edges);
    }
    // the denied edges are the ones Mermaid's link style paints red
    assert!(mermaid.contains(
        "\n  linkStyle 11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28 stroke:#c00000"
    ));
}

#[test]
fn every_shipped_workspace_draws_a_well_formed_graph() {
    for ws in workspaces() {
        for (nodes, edges) in [
            mermaid_structure(&graph(&ws, "mermaid")),
            dot_structure(&graph(&ws, "dot")),
        ] {
            assert!(!edges.is_empty(), "{}", ws.display());
            assert_edges_join_declared_nodes(&nodes, &edges);
        }
    }
}

/// No teams are declared, so an owner is any text: the one hostile input
/// a graph label takes.
const HOSTILE_OWNER: &str = r#""a\"]-->x[\"b <script>alert(1)</script> #quot; `md` %% c\nd \\N\\l |x| {{y}} \"; z -> w [label=\"" "#;

fn hostile() -> tempfile::TempDir {
    workspace(&[
        (
            "nhi.yaml",
            "guardrails:\n  forbidden_actions: [change_permissions]\n",
        ),
        (
            "identities/end.yaml",
            &format!(
                "agent: end\nowner: {HOSTILE_OWNER}\nauth: oidc\nstate: suspended\n\
                 allowed_actions: [read_ci]\nforbidden_actions: [read_secret]\n\
                 delegation:\n  may_delegate_to:\n    - {{agent: o, actions: [read_ci]}}\n"
            ),
        ),
        (
            "identities/o.yaml",
            "agent: o\nowner: \"équipe\\u202eevil\"\nauth: oidc\nallowed_actions: [read_ci]\nstate: revoked\n",
        ),
        (
            "identities/x.yaml",
            "agent: x\nowner: plain-team\nauth: oidc\nallowed_actions: [read_ci]\nexpires: 2026-01-01\n",
        ),
    ])
}

#[test]
fn no_label_can_break_out_of_its_node() {
    let ws = hostile();
    let mermaid = graph(ws.path(), "mermaid");
    let dot = graph(ws.path(), "dot");
    // 3 teams, 3 identities, the guardrails and 2 actions; 3 owners, one
    // delegation, one forbidden action and one guardrail
    for (nodes, edges) in [mermaid_structure(&mermaid), dot_structure(&dot)] {
        assert_eq!(nodes.len(), 9, "{nodes:?}");
        assert_eq!(edges.len(), 6, "{edges:?}");
        assert_edges_join_declared_nodes(&nodes, &edges);
    }
    for out in [&mermaid, &dot] {
        assert!(!out.contains('\u{202e}'));
    }
    // Mermaid would read markup and markdown: it sees neither
    assert!(!mermaid.contains("<script") && !mermaid.contains('`'));
    insta::assert_snapshot!("hostile-mermaid", mermaid);
    insta::assert_snapshot!("hostile-dot", dot);
}

#[test]
fn suspended_is_red_and_revoked_or_expired_greyed() {
    let ws = hostile();
    let mermaid = graph(ws.path(), "mermaid");
    assert!(mermaid.contains("  identity_end(\"end (suspended)\"):::suspended\n"));
    assert!(mermaid.contains("  identity_o(\"o (revoked)\"):::retired\n"));
    assert!(mermaid.contains("  identity_x(\"x (expired)\"):::retired\n"));
    let dot = graph(ws.path(), "dot");
    assert!(dot.contains(
        "  \"identity_end\" [label=\"end (suspended)\", shape=ellipse, style=filled, fillcolor=\"#fde2e2\", color=\"#c00000\""
    ));
    assert!(dot.contains(
        "  \"identity_x\" [label=\"x (expired)\", shape=ellipse, style=dashed, color=\"#9e9e9e\""
    ));
    assert!(dot.contains(
        "  \"identity_end\" -> \"action_read_secret\" [style=dashed, color=red, arrowhead=tee];"
    ));
    // before its expiry date, x is drawn as active
    let out = nhi(ws.path(), &["--today", "2025-12-31", "graph"]);
    assert!(text(&out.stdout).contains("  identity_x(\"x\"):::identity\n"));
}

#[test]
fn the_graph_does_not_depend_on_where_files_are() {
    let files: Vec<(String, String)> = std::fs::read_dir(agents().join("identities"))
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    let config = std::fs::read_to_string(agents().join("nhi.yaml")).unwrap();
    let catalogue = std::fs::read_to_string(agents().join("catalogue/actions.yaml")).unwrap();
    let tool_lists: Vec<(String, String)> = std::fs::read_dir(agents().join("mcp"))
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (format!("mcp/{name}"), std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    // every identity in a folder of its own, written in reverse order
    let mut moved: Vec<(String, &str)> = vec![
        ("nhi.yaml".to_owned(), config.as_str()),
        ("catalogue/actions.yaml".to_owned(), catalogue.as_str()),
    ];
    moved.extend(tool_lists.iter().map(|(p, b)| (p.clone(), b.as_str())));
    for (name, body) in files.iter().rev() {
        moved.push((format!("identities/{name}.d/{name}"), body.as_str()));
    }
    let refs: Vec<(&str, &str)> = moved.iter().map(|(p, b)| (p.as_str(), *b)).collect();
    let ws = workspace(&refs);
    for format in ["mermaid", "dot"] {
        assert_eq!(
            graph(ws.path(), format),
            graph(&agents(), format),
            "{format}"
        );
    }
}

#[test]
fn a_workspace_with_errors_has_no_graph() {
    let ws = workspace(&[
        ("nhi.yaml", "teams:\n  platform-team: {}\n"),
        (
            "identities/orphan.yaml",
            "agent: orphan\nowner: nobody-team\nauth: oidc\n",
        ),
    ]);
    for format in ["mermaid", "dot"] {
        let out = nhi(ws.path(), &["graph", "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(out.stdout.is_empty());
        let stderr = text(&out.stderr);
        assert!(stderr.contains("RF002"), "{stderr}");
        assert!(stderr.contains("no graph: fix the errors above first"));
    }
}
