//! What a change to the workspace does, for review: a semantic change list
//! per identity, each change with a risk and a reason; whether the head
//! grants, at permission level in any target, anything the base did not;
//! and the rendered artifacts of both compared line by line.
//!
//! Everything here is pure: the two workspaces come in checked, from disk
//! or from a Git revision ([`git`]).

pub mod access;
pub mod artifacts;
pub mod changes;
pub mod kind;
pub mod markdown;

use serde::Serialize;

use crate::analyse::Analysis;
use crate::check::Checked;
use crate::model::Model;
use crate::prove::access::AccessProof;
use crate::render::Artifacts;

pub use artifacts::FileDiff;
pub use kind::{ChangeKind, Status};

/// How risky a change is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    clap::ValueEnum,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Risk {
    /// Worth knowing, grants nothing.
    Info,
    /// Narrows access or tightens a rule.
    Low,
    /// Changes who answers for an identity or how far it reaches.
    Medium,
    /// Grants new access or weakens a protection.
    High,
}

impl Risk {
    /// `info`, `low`, `medium` or `high`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One change, for one identity or for the whole workspace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// How risky it is.
    pub risk: Risk,
    /// The identity it concerns (`None`: the workspace).
    pub identity: Option<String>,
    /// What kind of change (`action-gained`, `auth-weakened`…).
    pub kind: ChangeKind,
    /// What changed, in a sentence.
    pub summary: String,
}

impl Change {
    /// A change of a kind, at the kind's risk.
    #[must_use]
    pub fn new(kind: ChangeKind, identity: Option<&str>, summary: String) -> Self {
        Self::with_risk(kind.risk(), kind, identity, summary)
    }

    /// A change of a kind at another risk than the kind's highest (an
    /// action gained that only reads, a state changed away from `active`).
    #[must_use]
    pub fn with_risk(
        risk: Risk,
        kind: ChangeKind,
        identity: Option<&str>,
        summary: String,
    ) -> Self {
        Self {
            risk,
            identity: identity.map(str::to_owned),
            kind,
            summary,
        }
    }
}

/// A delegation edge, for the diagram of changed chains.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edge {
    /// The delegator.
    pub from: String,
    /// The delegate.
    pub to: String,
    /// The actions delegated.
    pub actions: Vec<String>,
    /// Whether the edge is new, changed, gone or kept.
    pub status: Status,
}

/// Everything a review needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The base, as named.
    pub base: String,
    /// The head, as named.
    pub head: String,
    /// Every change, riskiest first.
    pub changes: Vec<Change>,
    /// The delegation edges of identities whose delegations changed.
    pub delegation: Vec<Edge>,
    /// The rendered files that differ, in path order.
    pub artifacts: Vec<FileDiff>,
    /// The proof of new access (`--prove`).
    pub proof: Option<AccessProof>,
}

impl Report {
    /// The highest risk among the changes.
    #[must_use]
    pub fn highest(&self) -> Option<Risk> {
        self.changes.iter().map(|c| c.risk).max()
    }

    /// Add the proof of new access: every identity it does not prove free
    /// of new access gains a `high` change, with the request found.
    pub fn add_proof(&mut self, proof: AccessProof) {
        for p in proof.unproven() {
            let who = Some(p.identity.as_str());
            for cex in &p.counterexamples {
                self.changes.push(Change::new(
                    ChangeKind::NewAccessProven,
                    who,
                    format!("the head allows, and the base denied: {cex}"),
                ));
            }
            for cex in &p.forbidden_allowed {
                self.changes.push(Change::new(
                    ChangeKind::ForbiddenAllowed,
                    who,
                    format!("the head allows an action the base forbade: {cex}"),
                ));
            }
            if !p.undecided.is_empty() {
                self.changes.push(Change::new(
                    ChangeKind::ProofUndecided,
                    who,
                    format!(
                        "not proven: the solver did not decide `{}` within {} ms",
                        p.undecided.join("`, `"),
                        proof.limit_millis
                    ),
                ));
            }
        }
        sort(&mut self.changes);
        self.proof = Some(proof);
    }

    /// How many changes reach each risk.
    #[must_use]
    pub fn count(&self, risk: Risk) -> usize {
        self.changes.iter().filter(|c| c.risk == risk).count()
    }
}

/// A checked workspace on one side of a change: its model, and what the
/// model means on the day of the comparison.
#[derive(Clone, Copy, Debug)]
pub struct Side<'a> {
    /// The model.
    pub model: &'a Model,
    /// Its analysis.
    pub analysis: &'a Analysis,
}

impl<'a> Side<'a> {
    /// The side of a checked workspace.
    #[must_use]
    pub const fn of(checked: &'a Checked) -> Self {
        Self {
            model: &checked.model,
            analysis: &checked.analysis,
        }
    }
}

/// Compare two checked workspaces (and, where both rendered, their
/// artifacts), each named as given.
#[must_use]
pub fn diff(
    base: (&str, Side<'_>, Option<&Artifacts>),
    head: (&str, Side<'_>, Option<&Artifacts>),
) -> Report {
    let mut changes = changes::compare(base.1, head.1);
    changes.extend(access::new_access(base.1, head.1));
    sort(&mut changes);
    let artifacts = match (base.2, head.2) {
        (Some(b), Some(h)) => artifacts::compare(b, h),
        _ => Vec::new(),
    };
    Report {
        base: base.0.to_owned(),
        head: head.0.to_owned(),
        delegation: changes::delegation_edges(base.1.model, head.1.model),
        changes,
        artifacts,
        proof: None,
    }
}

/// Riskiest first, then by identity, kind and summary; no repeats.
fn sort(changes: &mut Vec<Change>) {
    changes.sort_by(|a, b| {
        b.risk
            .cmp(&a.risk)
            .then_with(|| a.identity.cmp(&b.identity))
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.summary.cmp(&b.summary))
    });
    changes.dedup();
}
