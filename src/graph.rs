//! The ownership and delegation graph of a workspace, for documentation and
//! reviews: which team owns each identity, who delegates what to whom, and
//! which actions each identity (and the organisation's guardrails) forbid.
//!
//! [`graph`] reads the checked model into a [`Graph`] whose every list is
//! sorted; [`mermaid`] and [`dot`] write it out. Node ids are derived from
//! names by a fixed, injective spelling that uses only `[a-z0-9_]`, and
//! every label is escaped for its format, so no name, owner or action can
//! end a label, add a node or an edge, or change how the graph displays.

pub mod dot;
pub mod mermaid;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::analyse::{Analysis, Standing};
use crate::model::Model;

/// What a label adds to an identity's name, so that its standing reads
/// without colour too.
#[must_use]
pub const fn suffix(standing: Standing) -> &'static str {
    match standing {
        Standing::Active => "",
        Standing::Suspended => " (suspended)",
        Standing::Revoked => " (revoked)",
        Standing::Expired => " (expired)",
    }
}

/// An identity in the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Its name.
    pub name: String,
    /// The team that owns it.
    pub owner: String,
    /// Its standing on the day the graph is drawn.
    pub standing: Standing,
    /// What acts as it, from its provenance: provider and model.
    pub model: Option<String>,
}

impl Node {
    /// The label: the name, what acts as it (provider and model) where
    /// its provenance says, and the standing when not active.
    #[must_use]
    pub fn label(&self) -> String {
        let model = self
            .model
            .as_ref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default();
        format!("{}{model}{}", self.name, suffix(self.standing))
    }
}

/// The provider and model of an identity's provenance (`anthropic
/// claude-sonnet`), either alone where the other is not said.
fn provenance(identity: &crate::model::Identity) -> Option<String> {
    let p = &identity.provenance;
    let parts: Vec<&str> = [&p.provider, &p.model]
        .into_iter()
        .flatten()
        .map(|s| s.value.as_str())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// A delegation: `from` may hand `actions` to `to`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Delegates {
    /// The delegator.
    pub from: String,
    /// The delegate.
    pub to: String,
    /// The actions delegated, sorted.
    pub actions: Vec<String>,
}

/// A forbidden action: `identity` may never take `action`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Denial {
    /// The identity.
    pub identity: String,
    /// The action.
    pub action: String,
}

/// The graph of a workspace on one day. Every list is sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// The teams: those declared in `nhi.yaml` and every owner named.
    pub teams: Vec<String>,
    /// The identities, by name.
    pub identities: Vec<Node>,
    /// Every delegation, by delegator then delegate.
    pub delegations: Vec<Delegates>,
    /// Every action an identity forbids itself.
    pub denials: Vec<Denial>,
    /// The actions the guardrails forbid every identity.
    pub guardrails: Vec<String>,
}

impl Graph {
    /// Every action a denial or a guardrail names: the action nodes.
    #[must_use]
    pub fn actions(&self) -> BTreeSet<&str> {
        self.denials
            .iter()
            .map(|d| d.action.as_str())
            .chain(self.guardrails.iter().map(String::as_str))
            .collect()
    }
}

/// The graph of a checked workspace, as its analysis judges each identity.
#[must_use]
pub fn graph(model: &Model, analysis: &Analysis) -> Graph {
    let mut teams: BTreeSet<String> = model
        .settings
        .teams
        .iter()
        .flat_map(|t| t.keys().cloned())
        .collect();
    let mut identities = Vec::new();
    let mut delegations = Vec::new();
    let mut denials = BTreeSet::new();
    for identity in model.identities.values() {
        let name = identity.name.value.as_str();
        teams.insert(identity.owner.value.clone());
        identities.push(Node {
            name: name.to_owned(),
            owner: identity.owner.value.clone(),
            standing: analysis.standing(identity),
            model: provenance(identity),
        });
        for d in &identity.delegations {
            let actions: BTreeSet<String> = d.actions.iter().map(|a| a.value.clone()).collect();
            delegations.push(Delegates {
                from: name.to_owned(),
                to: d.to.value.as_str().to_owned(),
                actions: actions.into_iter().collect(),
            });
        }
        for action in identity.forbidden_names() {
            denials.insert(Denial {
                identity: name.to_owned(),
                action: action.to_owned(),
            });
        }
    }
    identities.sort_by(|a, b| a.name.cmp(&b.name));
    delegations.sort();
    let guardrails: BTreeSet<String> = model
        .settings
        .guardrails
        .forbidden_actions
        .iter()
        .map(|a| a.value.clone())
        .collect();
    Graph {
        teams: teams.into_iter().collect(),
        identities,
        delegations,
        denials: denials.into_iter().collect(),
        guardrails: guardrails.into_iter().collect(),
    }
}

/// The id of the node that stands for all guardrails.
pub const GUARDRAILS_ID: &str = "guardrails";

/// The node id of a team.
#[must_use]
pub fn team_id(name: &str) -> String {
    node_id("team", name, b'-')
}

/// The node id of an identity.
#[must_use]
pub fn identity_id(name: &str) -> String {
    node_id("identity", name, b'-')
}

/// The node id of an action.
#[must_use]
pub fn action_id(name: &str) -> String {
    node_id("action", name, b'_')
}

/// `prefix_` and the name, when it is made of `[a-z0-9]` and `separator`
/// (written `_`: a one-to-one spelling, since the other separator never
/// occurs); otherwise `prefixx_` and the name's bytes in hex. Either way
/// only `[a-z0-9_]`, never a word the formats reserve (Mermaid's `end`),
/// and two names never share an id.
fn node_id(prefix: &str, name: &str, separator: u8) -> String {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == separator);
    if plain {
        return format!("{prefix}_{}", name.replace(char::from(separator), "_"));
    }
    let mut out = format!("{prefix}x_");
    for b in name.bytes() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Text as it may be shown: control and invisible characters (which could
/// break a line or reorder what is displayed) become U+FFFD.
fn visible(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().map(|c| {
        if c.is_control() || crate::source::is_invisible(c) {
            '\u{fffd}'
        } else {
            c
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{action_id, identity_id, team_id};

    #[test]
    fn ids_are_plain_distinct_and_never_reserved() {
        assert_eq!(
            identity_id("release-assistant"),
            "identity_release_assistant"
        );
        assert_eq!(identity_id("end"), "identity_end");
        assert_eq!(action_id("read_ci_status"), "action_read_ci_status");
        assert_eq!(team_id("platform-team"), "team_platform_team");
        // names of other shapes are spelled in hex, under another prefix
        assert_eq!(team_id("Platform Team"), "teamx_506c6174666f726d205465616d");
        assert_eq!(action_id("read-ci"), "actionx_726561642d6369");
        assert_eq!(team_id(""), "teamx_");
        let ids = [
            team_id("a-b"),
            team_id("a_b"),
            team_id("a--b"),
            team_id("a__b"),
            team_id("x_61"),
        ];
        let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "{ids:?}");
        for id in ids {
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{id}"
            );
        }
    }
}
