//! Drift: what a cloud holds, from its own exports, against what the
//! workspace renders for it — per identity, what is missing, what was
//! added by hand and what differs, each ranked as `nhi diff` ranks a
//! change ([`Risk`]).
//!
//! Each cloud's module reads both sides into the same shape, a principal
//! and its [`Facets`] (who may become it, what the objects nhi renders
//! grant it, what else it holds, its keys, state and tags), and one
//! comparison reports the differences, for every cloud alike. Contents
//! are compared for meaning, not text: each facet is a set of canonical
//! entries, so order, ids and formatting are no difference.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::diff::Risk;
use crate::model::Model;
use crate::source::SourceDb;

pub mod aws;
pub mod azure;
pub mod gcp;
pub mod kubernetes;

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $risk:ident, $description:literal; )*) => {
        /// What kind of drift.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, strum::EnumIter)]
        pub enum DriftKind {
            $( $(#[$doc])* $variant, )*
        }

        impl DriftKind {
            /// The stable name, such as `principal-unmanaged`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $name, )* }
            }

            /// The risk it carries.
            #[must_use]
            pub const fn risk(self) -> Risk {
                match self { $( Self::$variant => Risk::$risk, )* }
            }

            /// What it means, in a sentence.
            #[must_use]
            pub const fn description(self) -> &'static str {
                match self { $( Self::$variant => $description, )* }
            }
        }
    };
}

kinds! {
    /// A principal nobody declared.
    PrincipalUnmanaged = "principal-unmanaged", High, "a principal in the cloud that no identity renders: made by hand or by another tool, reviewed by nobody";
    /// A grant the workspace does not render.
    GrantAdded = "grant-added", High, "a principal holds a policy, group, role binding or role assignment that the workspace does not render";
    /// A key the workspace does not declare.
    KeyAdded = "key-added", High, "a principal has a long-lived key, though its identity authenticates without one";
    /// A trust that differs.
    TrustDiffers = "trust-differs", High, "who may become the principal is not what the workspace renders: someone else may";
    /// Permissions that differ.
    PermissionsDiffer = "permissions-differ", High, "what the objects nhi renders grant the principal differs from the workspace, or they are gone";
    /// A boundary that differs.
    BoundaryDiffers = "boundary-differs", High, "a principal's permissions boundary is not the workspace's, or is gone";
    /// A state that differs.
    StateDiffers = "state-differs", High, "a principal is enabled that the workspace suspends, or disabled that it runs";
    /// A principal not in the cloud.
    PrincipalMissing = "principal-missing", Medium, "a principal the workspace renders is not in the cloud: not applied yet, or deleted by hand";
    /// A path that differs.
    PathDiffers = "path-differs", Medium, "a principal is under another path than the workspace renders";
    /// Tags that differ.
    TagsDiffer = "tags-differ", Low, "a principal's tags, labels or description are not the ones the workspace renders";
}

impl Serialize for DriftKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One difference between the cloud and the workspace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Drift {
    /// Its risk.
    pub risk: Risk,
    /// What kind.
    pub kind: DriftKind,
    /// The identity it concerns (none for an unmanaged principal).
    pub identity: Option<String>,
    /// The identity's file.
    pub file: Option<String>,
    /// The principal, as the cloud names it in full.
    pub principal: String,
    /// What differs, in a sentence.
    pub detail: String,
}

/// What a cloud holds against what the workspace renders for it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Every difference, highest risk first.
    pub drifts: Vec<Drift>,
    /// Principals compared.
    pub compared: usize,
    /// Principals left aside as people's or the cloud's own, by reason.
    pub left_aside: BTreeMap<&'static str, usize>,
}

impl Report {
    /// The highest risk found.
    #[must_use]
    pub fn highest(&self) -> Option<Risk> {
        self.drifts.iter().map(|d| d.risk).max()
    }
}

/// What drift compares of a principal, on either side. A facet that one
/// side cannot tell (the exports leave it out) is `None` there and not
/// compared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facets {
    /// Where it lives, in a cloud with paths.
    pub path: Option<String>,
    /// Who may become it, each entry canonical.
    pub trust: Option<BTreeSet<String>>,
    /// The objects nhi renders to grant it (`inline policy \`nhi\``,
    /// `Role \`ns/nhi-x\``), each with its content, canonical; on the
    /// cloud's side `None` when the exports hold the object but not what
    /// it grants.
    pub permissions: BTreeMap<String, Option<BTreeSet<String>>>,
    /// Everything else it holds, named as `permissions` names objects
    /// (`managed policy \`ARN\``, `group \`ops\``).
    pub grants: BTreeSet<String>,
    /// Its long-lived keys; on the workspace's side, those it may have
    /// (`None`: any, for an identity that authenticates with a key).
    pub keys: Option<BTreeSet<String>>,
    /// Its permissions boundary, if it has one.
    pub boundary: Option<Option<String>>,
    /// Whether it is disabled.
    pub disabled: Option<bool>,
    /// Its tags, labels or description.
    pub tags: Option<BTreeMap<String, String>>,
}

/// A principal of one side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// What it is, in a word (`role`, `service account`).
    pub word: &'static str,
    /// Its name, as both sides name it.
    pub key: String,
    /// Its full name in the cloud (an ARN, an email, a resource id).
    pub shown: String,
    /// What is compared.
    pub facets: Facets,
}

/// A principal the workspace renders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    /// The identity.
    pub identity: String,
    /// Its file.
    pub file: String,
    /// What it renders.
    pub held: Held,
}

impl Declared {
    /// What the identity `name` of the workspace renders.
    #[must_use]
    pub fn of(model: &Model, db: &SourceDb, name: &str, held: Held) -> Self {
        Self {
            identity: name.to_owned(),
            file: model
                .identities
                .get(name)
                .map(|i| db.display_path(i.file))
                .unwrap_or_default(),
            held,
        }
    }
}

/// A principal the cloud holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// What it holds.
    pub held: Held,
    /// Why it is no non-human identity nhi manages: a person's, or the
    /// cloud's own.
    pub not_managed: Option<&'static str>,
}

/// Compare what the workspace renders with what the cloud holds.
#[must_use]
pub fn compare(declared: &[Declared], observed: &[Observed]) -> Report {
    let mut report = Report::default();
    let by_key: BTreeMap<(&str, &str), &Observed> = observed
        .iter()
        .map(|o| ((o.held.word, o.held.key.as_str()), o))
        .collect();
    let mut matched: BTreeSet<(&str, &str)> = BTreeSet::new();
    for d in declared {
        let mut push = |kind: DriftKind, principal: &str, detail: String| {
            report.drifts.push(Drift {
                risk: kind.risk(),
                kind,
                identity: Some(d.identity.clone()),
                file: Some(d.file.clone()),
                principal: principal.to_owned(),
                detail,
            });
        };
        let key = (d.held.word, d.held.key.as_str());
        let Some(found) = by_key.get(&key) else {
            push(
                DriftKind::PrincipalMissing,
                &d.held.shown,
                format!("the cloud has no {} `{}`", d.held.word, d.held.key),
            );
            continue;
        };
        matched.insert(key);
        report.compared += 1;
        for (kind, detail) in facets(&d.held.facets, &found.held.facets) {
            push(kind, &found.held.shown, detail);
        }
    }
    for o in observed {
        if matched.contains(&(o.held.word, o.held.key.as_str())) {
            continue;
        }
        if let Some(why) = o.not_managed {
            *report.left_aside.entry(why).or_default() += 1;
            continue;
        }
        report.drifts.push(Drift {
            risk: DriftKind::PrincipalUnmanaged.risk(),
            kind: DriftKind::PrincipalUnmanaged,
            identity: None,
            file: None,
            principal: o.held.shown.clone(),
            detail: format!(
                "no identity renders the {} `{}`: declare it (`nhi import` writes its file) or delete it",
                o.held.word, o.held.key
            ),
        });
    }
    // highest risk first; within a risk, identities by name, then what
    // no identity declares
    report.drifts.sort_by(|a, b| {
        let key = |d: &Drift| {
            (
                d.identity.is_none(),
                d.identity.clone(),
                d.principal.clone(),
                d.kind,
                d.detail.clone(),
            )
        };
        b.risk.cmp(&a.risk).then_with(|| key(a).cmp(&key(b)))
    });
    report.drifts.dedup();
    report
}

/// How one principal's facets differ, the workspace's `want` against the
/// cloud's `got`.
fn facets(want: &Facets, got: &Facets) -> Vec<(DriftKind, String)> {
    let mut out = Vec::new();
    if let (Some(w), Some(g)) = (&want.path, &got.path)
        && w != g
    {
        out.push((
            DriftKind::PathDiffers,
            format!("under `{g}`, where the workspace renders `{w}`"),
        ));
    }
    if let (Some(w), Some(g)) = (&want.trust, &got.trust)
        && w != g
    {
        out.push((DriftKind::TrustDiffers, difference("trust", w, g)));
    }
    for (name, w) in &want.permissions {
        match (w, got.permissions.get(name)) {
            (_, None) => out.push((DriftKind::PermissionsDiffer, format!("it has no {name}"))),
            (Some(w), Some(Some(g))) if w != g => {
                out.push((DriftKind::PermissionsDiffer, difference(name, w, g)));
            }
            _ => {}
        }
    }
    for grant in got
        .grants
        .iter()
        .filter(|g| !want.grants.contains(*g) && !want.permissions.contains_key(*g))
    {
        out.push((DriftKind::GrantAdded, grant.clone()));
    }
    if let (Some(allowed), Some(held)) = (&want.keys, &got.keys) {
        for key in held.difference(allowed) {
            out.push((
                DriftKind::KeyAdded,
                format!("key `{key}`, though its identity authenticates without one"),
            ));
        }
    }
    if let (Some(w), Some(g)) = (&want.boundary, &got.boundary)
        && w != g
    {
        let said = |b: &Option<String>| b.as_ref().map_or("none".to_owned(), |b| format!("`{b}`"));
        out.push((
            DriftKind::BoundaryDiffers,
            format!(
                "permissions boundary {}, where the workspace renders {}",
                said(g),
                said(w)
            ),
        ));
    }
    if let (Some(w), Some(g)) = (want.disabled, got.disabled)
        && w != g
    {
        out.push((
            DriftKind::StateDiffers,
            if g {
                "it is disabled, where the workspace runs it".to_owned()
            } else {
                "it is enabled, where the workspace suspends it".to_owned()
            },
        ));
    }
    if let (Some(w), Some(g)) = (&want.tags, &got.tags) {
        let keys: BTreeSet<&str> = w
            .keys()
            .chain(g.keys())
            .map(String::as_str)
            .filter(|k| w.get(*k) != g.get(*k))
            .collect();
        if !keys.is_empty() {
            out.push((
                DriftKind::TagsDiffer,
                format!("{} differ", crate::diag::backticked(keys.into_iter())),
            ));
        }
    }
    out
}

/// How many entries only one side has.
fn difference(what: &str, want: &BTreeSet<String>, got: &BTreeSet<String>) -> String {
    format!(
        "its {what} has {} entr{} the workspace does not render, and lacks {} it does",
        got.difference(want).count(),
        if got.difference(want).count() == 1 {
            "y"
        } else {
            "ies"
        },
        want.difference(got).count()
    )
}

/// The report as JSON (`version: 1`).
#[must_use]
pub fn json(report: &Report) -> String {
    let doc = serde_json::json!({
        "version": 1,
        "compared": report.compared,
        "left_aside": report.left_aside,
        "drifts": report.drifts,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The report for people: one line per difference, highest risk first.
#[must_use]
pub fn human(report: &Report) -> String {
    let mut out = String::new();
    for d in &report.drifts {
        let who = d.identity.as_deref().unwrap_or("(unmanaged)");
        let _ = writeln!(
            out,
            "{:<6} {:<19} {who}: {} — {}",
            d.risk.as_str(),
            d.kind.as_str(),
            d.principal,
            d.detail
        );
    }
    let _ = writeln!(
        out,
        "{} compared, {} difference(s){}",
        report.compared,
        report.drifts.len(),
        aside(report)
    );
    out
}

fn aside(report: &Report) -> String {
    if report.left_aside.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = report
        .left_aside
        .iter()
        .map(|(why, n)| format!("{n} {why}"))
        .collect();
    format!("; left aside: {}", parts.join(", "))
}

/// The report as a Markdown comment.
#[must_use]
pub fn markdown(report: &Report) -> String {
    let mut out = String::from("### nhi drift\n\n");
    if report.drifts.is_empty() {
        let _ = writeln!(
            out,
            "The cloud matches the workspace: {} principals compared{}.",
            report.compared,
            aside(report)
        );
        return out;
    }
    out.push_str("| risk | kind | identity | principal | what differs |\n|---|---|---|---|---|\n");
    for d in &report.drifts {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | `{}` | {} |",
            d.risk.as_str(),
            d.kind.as_str(),
            d.identity
                .as_deref()
                .map_or("—".to_owned(), |i| format!("`{i}`")),
            cell(&d.principal),
            cell(&d.detail)
        );
    }
    let _ = writeln!(
        out,
        "\n{} principals compared, {} difference(s){}.",
        report.compared,
        report.drifts.len(),
        aside(report)
    );
    out
}

/// Text safe in a Markdown table cell.
fn cell(text: &str) -> String {
    crate::source::without_controls(text)
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('\n', " ")
}

/// The report as SARIF 2.1.0: one rule per kind of drift, one result per
/// difference, at the identity's file when there is one.
#[must_use]
pub fn sarif(report: &Report) -> String {
    use strum::IntoEnumIterator;
    let rules: Vec<Value> = DriftKind::iter()
        .map(|k| {
            serde_json::json!({
                "id": k.as_str(),
                "shortDescription": {"text": k.description()},
                "defaultConfiguration": {"level": level(k.risk())},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .drifts
        .iter()
        .map(|d| {
            let mut r = serde_json::json!({
                "ruleId": d.kind.as_str(),
                "level": level(d.risk),
                "message": {"text": format!("{}: {}", d.principal, d.detail)},
            });
            if let (Some(file), Some(fields)) = (&d.file, r.as_object_mut()) {
                fields.insert(
                    "locations".to_owned(),
                    serde_json::json!([{
                        "physicalLocation": {"artifactLocation": {"uri": file}, "region": {"startLine": 1}}
                    }]),
                );
            }
            r
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "nhi drift",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

const fn level(risk: Risk) -> &'static str {
    match risk {
        Risk::High => "error",
        Risk::Medium => "warning",
        Risk::Low | Risk::Info => "note",
    }
}
