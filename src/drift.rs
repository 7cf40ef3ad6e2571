//! Drift: what a cloud holds, from its own exports, against what the
//! workspace renders for it — per identity, what is missing, what was
//! added by hand and what differs, each ranked as `nhi diff` ranks a
//! change ([`Risk`]).
//!
//! Policies are compared for meaning, not text: statements as a set, their
//! ids aside, every list as a set, an account id in a principal as its
//! root ARN.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::analyse::Analysis;
use crate::diff::Risk;
use crate::import::aws::{Kind, Principal};
use crate::model::{AwsTarget, Model};
use crate::render::RenderError;
use crate::render::aws::{self, MANAGED_ANCHOR, POLICY_NAME, Rendered};
use crate::source::SourceDb;

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
    /// A role or user nobody declared.
    PrincipalUnmanaged = "principal-unmanaged", High, "a role or user in the account that no identity renders: made by hand or by another tool, reviewed by nobody";
    /// A policy the workspace does not render.
    PolicyAttached = "policy-attached", High, "a role or user carries a managed or inline policy that the workspace does not render";
    /// A group the workspace does not render.
    GroupAdded = "group-added", High, "a user is in a group, whose policies it holds, that the workspace does not render";
    /// A trust that differs.
    TrustDiffers = "trust-differs", High, "a role's trust policy is not the one the workspace renders: someone else may assume it";
    /// Permissions that differ.
    PermissionsDiffer = "permissions-differ", High, "a role's or user's permissions policy is not the one the workspace renders";
    /// A boundary that differs.
    BoundaryDiffers = "boundary-differs", High, "a role's or user's permissions boundary is not the workspace's, or is gone";
    /// A principal not in the account.
    PrincipalMissing = "principal-missing", Medium, "a role or user the workspace renders is not in the account: not applied yet, or deleted by hand";
    /// A path that differs.
    PathDiffers = "path-differs", Medium, "a role or user is under another path than the workspace renders";
    /// Tags that differ.
    TagsDiffer = "tags-differ", Low, "a role's or user's tags are not the ones the workspace renders";
}

impl Serialize for DriftKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One difference between the account and the workspace.
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
    /// The role or user, as its ARN says it.
    pub principal: String,
    /// What differs, in a sentence.
    pub detail: String,
}

/// What an account holds against what the workspace renders for it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Every difference, highest risk first.
    pub drifts: Vec<Drift>,
    /// Roles and users compared.
    pub compared: usize,
    /// Principals left aside as people's or AWS's own, by reason.
    pub left_aside: BTreeMap<&'static str, usize>,
}

impl Report {
    /// The highest risk found.
    #[must_use]
    pub fn highest(&self) -> Option<Risk> {
        self.drifts.iter().map(|d| d.risk).max()
    }
}

/// Compare an AWS account with what the workspace renders for it.
///
/// # Errors
///
/// When the workspace cannot be rendered for AWS.
pub fn aws(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    target: &AwsTarget,
    account: &[Principal],
) -> Result<Report, RenderError> {
    let rendered = aws::principals(model, analysis, db)?;
    let mut report = Report::default();
    let mut by_key: BTreeMap<(Kind, &str, String), &Principal> = BTreeMap::new();
    for p in account {
        by_key.insert((p.kind, p.path.as_str(), p.name.clone()), p);
    }
    let mut by_name: BTreeMap<(Kind, String), &Principal> = BTreeMap::new();
    for p in account {
        by_name.insert((p.kind, p.name.clone()), p);
    }
    let boundary = aws::boundary_arn(target);
    let mut matched: BTreeSet<&str> = BTreeSet::new();
    for r in &rendered {
        let kind = if r.trust.is_some() {
            Kind::Role
        } else {
            Kind::User
        };
        let name = r.iam_name(target);
        let file = model
            .identities
            .get(r.name.as_str())
            .map(|i| db.display_path(i.file));
        let mut push = |kind: DriftKind, principal: &str, detail: String| {
            report.drifts.push(Drift {
                risk: kind.risk(),
                kind,
                identity: Some(r.name.clone()),
                file: file.clone(),
                principal: principal.to_owned(),
                detail,
            });
        };
        let found = by_key
            .get(&(kind, r.path(), name.clone()))
            .or_else(|| by_name.get(&(kind, name.clone())));
        let Some(found) = found else {
            push(
                DriftKind::PrincipalMissing,
                &format!("{}{name}", r.path()),
                format!("the account has no {} `{name}`", kind_word(kind)),
            );
            continue;
        };
        matched.insert(found.arn.as_str());
        report.compared += 1;
        for (kind, detail) in compare(r, found, boundary.as_deref()) {
            push(kind, &found.arn, detail);
        }
    }
    for p in account.iter().filter(|p| !matched.contains(p.arn.as_str())) {
        if let Some(why) = p.not_managed {
            *report.left_aside.entry(why).or_default() += 1;
            continue;
        }
        report.drifts.push(Drift {
            risk: DriftKind::PrincipalUnmanaged.risk(),
            kind: DriftKind::PrincipalUnmanaged,
            identity: None,
            file: None,
            principal: p.arn.clone(),
            detail: format!(
                "no identity renders the {} `{}`: declare it (`nhi import aws` writes its file) or delete it",
                kind_word(p.kind),
                p.name
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
            )
        };
        b.risk.cmp(&a.risk).then_with(|| key(a).cmp(&key(b)))
    });
    Ok(report)
}

const fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Role => "role",
        Kind::User => "user",
    }
}

/// How one rendered principal and its counterpart in the account differ.
fn compare(r: &Rendered, p: &Principal, boundary: Option<&str>) -> Vec<(DriftKind, String)> {
    let mut out = Vec::new();
    if p.path != r.path() {
        out.push((
            DriftKind::PathDiffers,
            format!(
                "under `{}`, where the workspace renders `{}`",
                p.path,
                r.path()
            ),
        ));
    }
    if let Some(trust) = &r.trust {
        let want = serde_json::to_value(trust).unwrap_or_default();
        // a trust anchor Terraform creates has no ARN to compare with
        let comparable = !want.to_string().contains(MANAGED_ANCHOR);
        let got = p.trust.clone().unwrap_or_default();
        if comparable && statements(&want) != statements(&got) {
            out.push((
                DriftKind::TrustDiffers,
                difference("trust policy", &want, &got),
            ));
        }
    }
    let want = serde_json::to_value(&r.permissions).unwrap_or_default();
    match p.inline.get(POLICY_NAME) {
        None => out.push((
            DriftKind::PermissionsDiffer,
            format!("it has no inline policy `{POLICY_NAME}`"),
        )),
        Some(got) if statements(&want) != statements(got) => out.push((
            DriftKind::PermissionsDiffer,
            difference(&format!("inline policy `{POLICY_NAME}`"), &want, got),
        )),
        Some(_) => {}
    }
    for name in p.inline.keys().filter(|n| n.as_str() != POLICY_NAME) {
        out.push((DriftKind::PolicyAttached, format!("inline policy `{name}`")));
    }
    for arn in &p.attached {
        out.push((DriftKind::PolicyAttached, format!("managed policy `{arn}`")));
    }
    for group in &p.groups {
        out.push((DriftKind::GroupAdded, format!("group `{group}`")));
    }
    if p.boundary.as_deref() != boundary {
        out.push((
            DriftKind::BoundaryDiffers,
            format!(
                "permissions boundary {}, where the workspace renders {}",
                p.boundary
                    .as_deref()
                    .map_or("none".to_owned(), |b| format!("`{b}`")),
                boundary.map_or("none".to_owned(), |b| format!("`{b}`"))
            ),
        ));
    }
    let want: BTreeMap<&str, &str> = r
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let got: BTreeMap<&str, &str> = p
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let keys: BTreeSet<&str> = want
        .keys()
        .chain(got.keys())
        .copied()
        .filter(|k| want.get(k) != got.get(k))
        .collect();
    if !keys.is_empty() {
        out.push((
            DriftKind::TagsDiffer,
            format!("tags {} differ", crate::diag::backticked(keys.into_iter())),
        ));
    }
    out
}

/// How many statements only one side has.
fn difference(what: &str, want: &Value, got: &Value) -> String {
    let (w, g) = (statements(want), statements(got));
    format!(
        "its {what} has {} statement(s) the workspace does not render, and lacks {} it does",
        g.difference(&w).count(),
        w.difference(&g).count()
    )
}

/// A policy's statements, each in a canonical form.
#[must_use]
pub fn statements(doc: &Value) -> BTreeSet<String> {
    let list = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => Vec::new(),
    };
    list.iter()
        .filter_map(Value::as_object)
        .map(|s| {
            let fields = s.iter().filter(|(k, _)| k.as_str() != "Sid");
            sorted(fields).to_string()
        })
        .collect()
}

/// An object with its keys in order (whatever order the reader kept) and
/// each value canonical.
fn sorted<'v>(fields: impl Iterator<Item = (&'v String, &'v Value)>) -> Value {
    let ordered: BTreeMap<&String, &Value> = fields.collect();
    Value::Object(
        ordered
            .into_iter()
            .map(|(k, v)| (k.clone(), canonical(k, v)))
            .collect::<Map<String, Value>>(),
    )
}

/// A statement's value: every list a sorted set, every scalar a string,
/// an account id as the root ARN IAM reads it as.
fn canonical(key: &str, value: &Value) -> Value {
    match value {
        Value::Object(m) => sorted(m.iter()),
        Value::Array(_) | Value::String(_) | Value::Bool(_) | Value::Number(_) => {
            let items: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            let set: BTreeSet<String> = items
                .into_iter()
                .map(|v| {
                    let s = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    if key == "AWS" && s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
                        format!("arn:aws:iam::{s}:root")
                    } else {
                        s
                    }
                })
                .collect();
            // Effect and Version stay scalars; everything else is a set
            if matches!(key, "Effect" | "Version") {
                set.into_iter().next().map_or(Value::Null, Value::String)
            } else {
                Value::Array(set.into_iter().map(Value::String).collect())
            }
        }
        Value::Null => Value::Null,
    }
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
            "The account matches the workspace: {} roles and users compared{}.",
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
        "\n{} roles and users compared, {} difference(s){}.",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_compare_for_meaning() {
        let a = serde_json::json!({"Statement": [{"Sid": "A", "Effect": "Allow", "Action": ["s3:b", "s3:a"], "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": true}}}]});
        let b = serde_json::json!({"Statement": {"Effect": "Allow", "Action": ["s3:a", "s3:b"], "Resource": ["*"],
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}});
        assert_eq!(statements(&a), statements(&b));
        let c = serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "s3:a", "Resource": "*"}]});
        assert_ne!(statements(&a), statements(&c));
        let root = serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}]});
        let arn = serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]}, "Action": ["sts:AssumeRole"]}]});
        assert_eq!(statements(&root), statements(&arn));
        // the order of keys is no difference
        let ordered = serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "s3:a", "Resource": "*"}]});
        let reordered = serde_json::json!({"Statement": [{"Resource": "*", "Action": "s3:a", "Effect": "Allow"}]});
        assert_eq!(statements(&ordered), statements(&reordered));
    }
}
