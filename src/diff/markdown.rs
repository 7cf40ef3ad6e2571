//! The pull-request comment: a summary, every change riskiest first, a
//! Mermaid diagram of the delegation chains that changed, and the rendered
//! artifacts' diffs folded away. Nothing in it depends on the time or the
//! machine, so posting it again for the same change changes nothing.

use std::fmt::Write as _;

use super::{Report, Risk};

/// The first line of every comment nhi writes: what a bot looks for to
/// update its comment instead of adding another.
pub const MARKER: &str = "<!-- nhi diff -->";

/// GitHub refuses comments over 65 536 characters; the artifacts' diffs
/// give way first.
const MAX_CHARS: usize = 60_000;

const fn badge(risk: Risk) -> &'static str {
    match risk {
        Risk::High => "🔴 high",
        Risk::Medium => "🟠 medium",
        Risk::Low => "🟢 low",
        Risk::Info => "⚪ info",
    }
}

/// Markdown cell text: pipes and line breaks cannot end the cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A Mermaid node id for an identity name (DNS labels, so only `-` to
/// spell differently).
fn node(name: &str) -> String {
    name.replace('-', "_")
}

/// The comment.
#[must_use]
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKER}");
    let _ = writeln!(
        out,
        "## nhi diff: `{}` → `{}`\n",
        cell(&report.base),
        cell(&report.head)
    );
    if report.changes.is_empty() {
        out.push_str("No identity changes: nothing gains or loses access.\n");
    } else {
        let counts: Vec<String> = [Risk::High, Risk::Medium, Risk::Low, Risk::Info]
            .into_iter()
            .filter(|r| report.count(*r) > 0)
            .map(|r| format!("**{}** {}", report.count(r), r.as_str()))
            .collect();
        let _ = writeln!(
            out,
            "{} changes: {}.\n",
            report.changes.len(),
            counts.join(", ")
        );
        out.push_str("| risk | identity | change | kind |\n|---|---|---|---|\n");
        for c in &report.changes {
            let who = c
                .identity
                .as_deref()
                .map_or_else(|| "*workspace*".to_owned(), |i| format!("`{i}`"));
            let _ = writeln!(
                out,
                "| {} | {who} | {} | `{}` |",
                badge(c.risk),
                cell(&c.summary),
                c.kind
            );
        }
    }
    if !report.delegation.is_empty() {
        out.push_str("\n### Delegation chains that changed\n\n```mermaid\ngraph LR\n");
        for e in &report.delegation {
            let arrow = match e.status {
                "removed" => "-.->",
                "added" | "changed" => "==>",
                _ => "-->",
            };
            let _ = writeln!(
                out,
                "  {}[\"{}\"] {arrow}|\"{} ({})\"| {}[\"{}\"]",
                node(&e.from),
                e.from,
                e.actions.join(", "),
                e.status,
                node(&e.to),
                e.to
            );
        }
        out.push_str("```\n");
    }
    if !report.artifacts.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>Rendered artifacts: {} files differ</summary>\n",
            report.artifacts.len()
        );
        let mut cut = 0;
        for f in &report.artifacts {
            // a fence longer than any run of backticks in the diff
            let longest = f.diff.split(|c| c != '`').map(str::len).max().unwrap_or(0);
            let fence = "`".repeat(longest.max(2) + 1);
            let block = format!(
                "\n`{}` ({})\n\n{fence}diff\n{}{fence}\n",
                f.path, f.status, f.diff
            );
            if out.len() + block.len() > MAX_CHARS {
                cut += 1;
                continue;
            }
            out.push_str(&block);
        }
        if cut > 0 {
            let _ = writeln!(
                out,
                "\n{cut} more files differ; run `nhi diff` to see them all."
            );
        }
        out.push_str("\n</details>\n");
    }
    out
}
