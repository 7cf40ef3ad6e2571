//! The pull-request comment: a summary, every change riskiest first, a
//! Mermaid diagram of the delegation chains that changed, and the rendered
//! artifacts' diffs folded away. Nothing in it depends on the time or the
//! machine, so posting it again for the same change changes nothing.

use std::fmt::Write as _;

use crate::prove::access::{AccessProof, IdentityProof, Outcome};

use super::{Report, Risk, Status};

/// The first line of every comment nhi writes: what a bot looks for to
/// update its comment instead of adding another.
pub const MARKER: &str = "<!-- nhi diff -->";

/// GitHub refuses comments over 65 536 characters. The artifacts' diffs
/// give way first, then the delegation diagram, then the change table's
/// last (least risky) rows; each cut says how much it left out.
const MAX_CHARS: usize = 60_000;
/// Where the change table stops, leaving room for the diagram.
const TABLE_CHARS: usize = 40_000;
/// Where the proof's table stops.
const PROOF_CHARS: usize = 45_000;
/// Where the delegation diagram stops.
const DIAGRAM_CHARS: usize = 50_000;

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

/// A Mermaid node id for an identity: the graph's, which no name can turn
/// into a word Mermaid reserves (`end`).
fn node(name: &str) -> String {
    crate::graph::identity_id(name)
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
    changes_section(report, &mut out);
    if let Some(proof) = &report.proof {
        proof_section(proof, &mut out);
    }
    delegation_section(report, &mut out);
    artifacts_section(report, &mut out);
    out
}

/// The summary line and the change table, riskiest first.
fn changes_section(report: &Report, out: &mut String) {
    if report.changes.is_empty() {
        out.push_str("No identity changes: nothing gains or loses access.\n");
        return;
    }
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
    let mut cut = 0;
    for c in &report.changes {
        let who = c
            .identity
            .as_deref()
            .map_or_else(|| "*workspace*".to_owned(), |i| format!("`{i}`"));
        let row = format!(
            "| {} | {who} | {} | `{}` |\n",
            badge(c.risk),
            cell(&c.summary),
            c.kind
        );
        if cut > 0 || out.len() + row.len() > TABLE_CHARS {
            cut += 1;
            continue;
        }
        out.push_str(&row);
    }
    if cut > 0 {
        let _ = writeln!(out, "\n{cut} more changes; run `nhi diff` to see them all.");
    }
}

/// A Mermaid diagram of the delegation edges that changed.
fn delegation_section(report: &Report, out: &mut String) {
    if report.delegation.is_empty() {
        return;
    }
    out.push_str("\n### Delegation chains that changed\n\n```mermaid\ngraph LR\n");
    let mut cut = 0;
    for e in &report.delegation {
        let arrow = match e.status {
            Status::Removed => "-.->",
            Status::Added | Status::Changed => "==>",
            Status::Kept => "-->",
        };
        let edge = format!(
            "  {}[\"{}\"] {arrow}|\"{} ({})\"| {}[\"{}\"]\n",
            node(&e.from),
            e.from,
            e.actions.join(", "),
            e.status,
            node(&e.to),
            e.to
        );
        if cut > 0 || out.len() + edge.len() > DIAGRAM_CHARS {
            cut += 1;
            continue;
        }
        out.push_str(&edge);
    }
    out.push_str("```\n");
    if cut > 0 {
        let _ = writeln!(
            out,
            "\n{cut} more delegations changed; run `nhi diff --format json` to see them all."
        );
    }
}

/// Each rendered file's diff, folded away.
fn artifacts_section(report: &Report, out: &mut String) {
    if report.artifacts.is_empty() {
        return;
    }
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

/// The proof of new access, one row per identity, those that gain access
/// first. It leaves out how long proving took, which would change the
/// comment on every run.
fn proof_section(proof: &AccessProof, out: &mut String) {
    let _ = writeln!(
        out,
        "\n### Proof of new access ({})\n\n{} proven with Cedar's symbolic compiler: {} queries, at most {} ms each.\n",
        proof.solver,
        match proof.identities.len() {
            0 => "Nothing to prove: no identity's Cedar changed, so nothing was".to_owned(),
            1 => "1 identity".to_owned(),
            n => format!("{n} identities"),
        },
        proof.stats.queries,
        proof.limit_millis,
    );
    if proof.identities.is_empty() {
        return;
    }
    out.push_str("| identity | result |\n|---|---|\n");
    let mut rows: Vec<&IdentityProof> = proof.identities.iter().collect();
    rows.sort_by_key(|p| p.outcome == Outcome::NoNewAccess);
    let mut cut = 0;
    for p in rows {
        let mut result = match p.outcome {
            Outcome::NoNewAccess => "✅ no new access (proven)".to_owned(),
            Outcome::NewAccess => "🔴 new access".to_owned(),
            Outcome::Undecided => "🔴 undecided within the time limit".to_owned(),
        };
        for cex in &p.counterexamples {
            let _ = write!(result, "<br>allows {cex}");
        }
        for cex in &p.forbidden_allowed {
            let _ = write!(result, "<br>allows a forbidden action: {cex}");
        }
        let row = format!("| `{}` | {} |\n", p.identity, cell(&result));
        if cut > 0 || out.len() + row.len() > PROOF_CHARS {
            cut += 1;
            continue;
        }
        out.push_str(&row);
    }
    if cut > 0 {
        let _ = writeln!(
            out,
            "\n{cut} more identities proven; run `nhi diff --prove` to see them all."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Change, ChangeKind, Edge, FileDiff};

    /// A change of hundreds of identities still fits one comment, keeps
    /// its riskiest rows and says what it left out.
    #[test]
    fn a_huge_change_fits_one_comment() {
        let changes = (0..5_000)
            .map(|i| Change {
                risk: if i < 10 { Risk::High } else { Risk::Low },
                identity: Some(format!("agent-{i:05}")),
                kind: ChangeKind::ActionGained,
                summary: format!("may now `write_thing_{i}`, on every resource of the kind"),
            })
            .collect();
        let delegation = (0..3_000)
            .map(|i| Edge {
                from: format!("agent-{i:05}"),
                to: format!("agent-{:05}", i + 1),
                actions: vec![
                    "read_ci_status".to_owned(),
                    "create_release_note".to_owned(),
                ],
                status: Status::Added,
            })
            .collect();
        let artifacts = (0..100)
            .map(|i| FileDiff {
                path: format!("cedar/f{i}.cedar"),
                status: Status::Changed,
                diff: "+permit(principal, action, resource);\n".repeat(300),
            })
            .collect();
        let report = Report {
            proof: None,
            base: "HEAD".to_owned(),
            head: "working tree".to_owned(),
            changes,
            delegation,
            artifacts,
        };
        let md = render(&report);
        assert!(md.len() <= 65_536, "{} bytes", md.len());
        assert!(md.starts_with(MARKER));
        assert!(md.contains("`agent-00009`"), "the riskiest rows come first");
        assert!(md.contains("more changes; run `nhi diff` to see them all."));
        assert!(md.contains("more delegations changed"));
        assert!(md.contains("100 more files differ"));
        assert_eq!(md.matches("```mermaid").count(), 1);
        assert!(md.trim_end().ends_with("</details>"));
    }

    /// `end` is a valid identity name and a word Mermaid reserves.
    #[test]
    fn node_ids_are_never_mermaid_keywords() {
        let report = Report {
            proof: None,
            base: "HEAD".to_owned(),
            head: "working tree".to_owned(),
            changes: Vec::new(),
            delegation: vec![Edge {
                from: "end".to_owned(),
                to: "graph".to_owned(),
                actions: vec!["read_ci_status".to_owned()],
                status: Status::Added,
            }],
            artifacts: Vec::new(),
        };
        let md = render(&report);
        assert!(
            md.contains("  identity_end[\"end\"] ==>|\"read_ci_status (added)\"| identity_graph[\"graph\"]\n"),
            "{md}"
        );
    }
}
