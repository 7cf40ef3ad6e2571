//! The graph as a Mermaid flowchart: teams as boxes, identities as rounded
//! boxes (suspended in red, revoked and expired greyed), delegations as
//! thick labelled arrows, and forbidden actions as red dotted edges ending
//! in a cross (`-.-x`). Paste it into a ```` ```mermaid ```` block.

use std::fmt::Write as _;

use crate::analyse::Standing;

use super::{GUARDRAILS_ID, Graph, Node, action_id, identity_id, team_id, visible};

/// The classes nodes are drawn with (suspended in red, revoked and expired
/// greyed, forbidden actions and the guardrails in red).
const CLASSES: [&str; 6] = [
    "classDef team fill:#e8eef7,stroke:#4a6fa5,color:#1b2b44",
    "classDef identity fill:#ffffff,stroke:#333333,color:#111111",
    "classDef suspended fill:#fde2e2,stroke:#c00000,color:#c00000",
    "classDef retired fill:#f2f2f2,stroke:#9e9e9e,color:#9e9e9e,stroke-dasharray:4 3",
    "classDef forbidden fill:#fff5f5,stroke:#c00000,color:#c00000",
    "classDef guardrail fill:#fde2e2,stroke:#c00000,color:#c00000,stroke-width:2px",
];

const fn class(node: &Node) -> &'static str {
    match node.standing {
        Standing::Active => "identity",
        Standing::Suspended => "suspended",
        Standing::Revoked | Standing::Expired => "retired",
    }
}

/// The flowchart.
#[must_use]
pub fn render(graph: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    nodes(graph, &mut out);
    let denied = edges(graph, &mut out);
    for c in CLASSES {
        let _ = writeln!(out, "  {c}");
    }
    if !denied.is_empty() {
        let denied: Vec<String> = denied.map(|n| n.to_string()).collect();
        let _ = writeln!(
            out,
            "  linkStyle {} stroke:#c00000,color:#c00000",
            denied.join(",")
        );
    }
    out
}

/// Teams, identities, the guardrails and every forbidden action.
fn nodes(graph: &Graph, out: &mut String) {
    if !graph.teams.is_empty() {
        out.push_str("  %% teams\n");
    }
    for t in &graph.teams {
        let _ = writeln!(out, "  {}[{}]:::team", team_id(t), text(t));
    }
    if !graph.identities.is_empty() {
        out.push_str("  %% identities\n");
    }
    for i in &graph.identities {
        let _ = writeln!(
            out,
            "  {}({}):::{}",
            identity_id(&i.name),
            text(&i.label()),
            class(i)
        );
    }
    let actions = graph.actions();
    if !actions.is_empty() {
        out.push_str("  %% forbidden actions\n");
    }
    if !graph.guardrails.is_empty() {
        let _ = writeln!(
            out,
            "  {GUARDRAILS_ID}{{{{{}}}}}:::guardrail",
            text("guardrails (nhi.yaml)")
        );
    }
    for a in &actions {
        let _ = writeln!(out, "  {}([{}]):::forbidden", action_id(a), text(a));
    }
}

/// Ownership, delegation and forbidden actions; the numbers of the
/// forbidden-action edges, which are drawn in red.
fn edges(graph: &Graph, out: &mut String) -> std::ops::Range<usize> {
    let mut edges = 0_usize;
    if !graph.identities.is_empty() {
        out.push_str("  %% ownership\n");
    }
    for i in &graph.identities {
        let _ = writeln!(out, "  {} --> {}", team_id(&i.owner), identity_id(&i.name));
        edges += 1;
    }
    if !graph.delegations.is_empty() {
        out.push_str("  %% delegation\n");
    }
    for d in &graph.delegations {
        let _ = writeln!(
            out,
            "  {} ==>|{}| {}",
            identity_id(&d.from),
            text(&d.actions.join(", ")),
            identity_id(&d.to)
        );
        edges += 1;
    }
    let first_denied = edges;
    if !graph.denials.is_empty() || !graph.guardrails.is_empty() {
        out.push_str("  %% forbidden: denied whatever else allows it\n");
    }
    for d in &graph.denials {
        let _ = writeln!(
            out,
            "  {} -.-x {}",
            identity_id(&d.identity),
            action_id(&d.action)
        );
        edges += 1;
    }
    for a in &graph.guardrails {
        let _ = writeln!(out, "  {GUARDRAILS_ID} -.-x {}", action_id(a));
        edges += 1;
    }
    first_denied..edges
}

/// `s` as a quoted Mermaid label. Letters, digits, spaces and a few
/// punctuation marks stay as they are; every other character, `"`, `#`,
/// `<`, `>`, `&`, `|`, `` ` `` and `%` among them, is written as an entity
/// code (`#34;`), which Mermaid shows as the character and never parses.
/// Control and invisible characters show as U+FFFD.
#[must_use]
pub fn text(s: &str) -> String {
    let mut out = String::from("\"");
    for c in visible(s) {
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                ' ' | '-' | '_' | '.' | ',' | ':' | '/' | '@' | '(' | ')' | '+'
            )
        {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn labels_cannot_end_their_quotes_or_add_markup() {
        assert_eq!(text("platform-team"), "\"platform-team\"");
        assert_eq!(text("a\"] --> b[\"x"), "\"a#34;#93; --#62; b#91;#34;x\"");
        assert_eq!(text("<img src=x>"), "\"#60;img src#61;x#62;\"");
        assert_eq!(
            text("#quot; & |`%%"),
            "\"#35;quot#59; #38; #124;#96;#37;#37;\""
        );
        assert_eq!(text("line\nbreak\u{202e}"), "\"line#65533;break#65533;\"");
        assert_eq!(text("équipe"), "\"#233;quipe\"");
    }
}
