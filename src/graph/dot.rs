//! The graph in Graphviz DOT: teams as boxes, identities as ellipses
//! (suspended in red, revoked and expired greyed and dashed), delegations
//! as thick labelled arrows, and forbidden actions as red dashed edges
//! ending in a bar (`arrowhead=tee`). `dot -Tsvg` draws it.

use std::fmt::Write as _;

use crate::analyse::Standing;

use super::{GUARDRAILS_ID, Graph, Node, action_id, identity_id, team_id, visible};

const HEADER: &str = "\
digraph nhi {
  rankdir=LR;
  node [fontname=\"Helvetica\", fontsize=11];
  edge [fontname=\"Helvetica\", fontsize=10];
";

const fn style(node: &Node) -> &'static str {
    match node.standing {
        Standing::Active => "shape=ellipse",
        Standing::Suspended => {
            "shape=ellipse, style=filled, fillcolor=\"#fde2e2\", color=\"#c00000\", fontcolor=\"#c00000\""
        }
        Standing::Revoked | Standing::Expired => {
            "shape=ellipse, style=dashed, color=\"#9e9e9e\", fontcolor=\"#9e9e9e\""
        }
    }
}

/// The graph.
#[must_use]
pub fn render(graph: &Graph) -> String {
    let mut out = String::from(HEADER);
    nodes(graph, &mut out);
    edges(graph, &mut out);
    out.push_str("}\n");
    out
}

/// Teams, identities, the guardrails and every forbidden action.
fn nodes(graph: &Graph, out: &mut String) {
    if !graph.teams.is_empty() {
        out.push_str("  // teams\n");
    }
    for t in &graph.teams {
        let _ = writeln!(
            out,
            "  {} [label={}, shape=box, style=\"rounded,filled\", fillcolor=\"#e8eef7\", color=\"#4a6fa5\"];",
            quoted(&team_id(t)),
            quoted(t)
        );
    }
    if !graph.identities.is_empty() {
        out.push_str("  // identities\n");
    }
    for i in &graph.identities {
        let _ = writeln!(
            out,
            "  {} [label={}, {}];",
            quoted(&identity_id(&i.name)),
            quoted(&i.label()),
            style(i)
        );
    }
    let actions = graph.actions();
    if !actions.is_empty() {
        out.push_str("  // forbidden actions\n");
    }
    if !graph.guardrails.is_empty() {
        let _ = writeln!(
            out,
            "  {} [label={}, shape=hexagon, style=filled, fillcolor=\"#fde2e2\", color=\"#c00000\", fontcolor=\"#c00000\"];",
            quoted(GUARDRAILS_ID),
            quoted("guardrails (nhi.yaml)")
        );
    }
    for a in &actions {
        let _ = writeln!(
            out,
            "  {} [label={}, shape=box, style=rounded, color=\"#c00000\", fontcolor=\"#c00000\"];",
            quoted(&action_id(a)),
            quoted(a)
        );
    }
}

/// Ownership, delegation and forbidden actions.
fn edges(graph: &Graph, out: &mut String) {
    if !graph.identities.is_empty() {
        out.push_str("  // ownership\n");
    }
    for i in &graph.identities {
        let _ = writeln!(
            out,
            "  {} -> {} [color=\"#4a6fa5\"];",
            quoted(&team_id(&i.owner)),
            quoted(&identity_id(&i.name))
        );
    }
    if !graph.delegations.is_empty() {
        out.push_str("  // delegation\n");
    }
    for d in &graph.delegations {
        let _ = writeln!(
            out,
            "  {} -> {} [label={}, penwidth=2];",
            quoted(&identity_id(&d.from)),
            quoted(&identity_id(&d.to)),
            quoted(&d.actions.join(", "))
        );
    }
    if !graph.denials.is_empty() || !graph.guardrails.is_empty() {
        out.push_str("  // forbidden: denied whatever else allows it\n");
    }
    let denied = graph
        .denials
        .iter()
        .map(|d| (identity_id(&d.identity), &d.action))
        .chain(
            graph
                .guardrails
                .iter()
                .map(|a| (GUARDRAILS_ID.to_owned(), a)),
        );
    for (from, action) in denied {
        let _ = writeln!(
            out,
            "  {} -> {} [style=dashed, color=red, arrowhead=tee];",
            quoted(&from),
            quoted(&action_id(action))
        );
    }
}

/// `s` as a DOT quoted string. Quotes and backslashes are escaped, so no
/// text ends the string or forms one of Graphviz's `\N`, `\G` or `\l`
/// sequences; control and invisible characters show as U+FFFD. Labels are
/// always quoted strings, never HTML-like `<…>` labels, so `<` and `>`
/// are plain text.
#[must_use]
pub fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in visible(s) {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn strings_cannot_end_early_or_expand() {
        assert_eq!(quoted("platform-team"), "\"platform-team\"");
        assert_eq!(
            quoted("a\"]; b -> c [label=\"x"),
            r#""a\"]; b -> c [label=\"x""#
        );
        assert_eq!(quoted(r"\N\G\l\"), r#""\\N\\G\\l\\""#);
        assert_eq!(quoted("<b>bold</b>"), "\"<b>bold</b>\"");
        assert_eq!(quoted("two\nlines\u{200b}"), "\"two\u{fffd}lines\u{fffd}\"");
    }
}
