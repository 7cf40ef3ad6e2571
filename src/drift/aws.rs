//! AWS: the roles and users of `aws iam get-account-authorization-details`
//! against those the workspace renders. Policies are compared as sets of
//! statements, their ids aside, every list a set, an account id in a
//! principal as its root ARN. The export carries no description or
//! session duration, so neither is compared; a trust naming a Roles
//! Anywhere anchor that the workspace's Terraform creates has no ARN to
//! compare with and is left aside.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{Declared, Facets, Held, Observed};
use crate::analyse::Analysis;
use crate::import::aws::{Kind, Principal};
use crate::model::{AwsTarget, Model};
use crate::render::RenderError;
use crate::render::aws::{self, MANAGED_ANCHOR, POLICY_NAME};
use crate::source::SourceDb;

/// The roles and users the workspace renders for the account.
///
/// # Errors
///
/// When the workspace cannot be rendered for AWS.
pub fn declared(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    target: &AwsTarget,
) -> Result<Vec<Declared>, RenderError> {
    let boundary = aws::boundary_arn(target);
    let rendered = aws::principals(model, analysis, db)?;
    Ok(rendered
        .iter()
        .map(|r| {
            let word = if r.trust.is_some() { "role" } else { "user" };
            let name = r.iam_name(target);
            let trust = r.trust.as_ref().and_then(|t| {
                let doc = serde_json::to_value(t).unwrap_or_default();
                // a trust anchor Terraform creates has no ARN to compare with
                (!doc.to_string().contains(MANAGED_ANCHOR)).then(|| statements(&doc))
            });
            let permissions = serde_json::to_value(&r.permissions).unwrap_or_default();
            Declared::of(
                model,
                db,
                &r.name,
                Held {
                    word,
                    shown: format!(
                        "arn:aws:iam::{}:{word}{}{name}",
                        target.account_id.value,
                        r.path()
                    ),
                    key: name,
                    facets: Facets {
                        path: Some(r.path().to_owned()),
                        trust,
                        permissions: BTreeMap::from([(
                            inline(POLICY_NAME),
                            Some(statements(&permissions)),
                        )]),
                        boundary: Some(boundary.clone()),
                        tags: Some(r.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
                        ..Facets::default()
                    },
                },
            )
        })
        .collect())
}

/// An inline policy, as drift names it.
fn inline(name: &str) -> String {
    format!("inline policy `{name}`")
}

/// The roles and users the account holds.
#[must_use]
pub fn observed(account: &[Principal]) -> Vec<Observed> {
    account
        .iter()
        .map(|p| {
            let mut grants: BTreeSet<String> = p.inline.keys().map(|n| inline(n)).collect();
            grants.extend(p.attached.iter().map(|a| format!("managed policy `{a}`")));
            grants.extend(p.groups.iter().map(|g| format!("group `{g}`")));
            Observed {
                held: Held {
                    word: match p.kind {
                        Kind::Role => "role",
                        Kind::User => "user",
                    },
                    key: p.name.clone(),
                    shown: p.arn.clone(),
                    facets: Facets {
                        path: Some(p.path.clone()),
                        trust: (p.kind == Kind::Role)
                            .then(|| statements(p.trust.as_ref().unwrap_or(&Value::Null))),
                        permissions: p
                            .inline
                            .iter()
                            .map(|(n, doc)| (inline(n), Some(statements(doc))))
                            .collect(),
                        grants,
                        boundary: Some(p.boundary.clone()),
                        tags: Some(p.tags.clone()),
                        ..Facets::default()
                    },
                },
                not_managed: p.not_managed,
            }
        })
        .collect()
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
            .map(|(k, v)| (k.clone(), value(k, v)))
            .collect::<Map<String, Value>>(),
    )
}

/// A statement's value: every list a sorted set, every scalar a string,
/// an account id as the root ARN IAM reads it as.
fn value(key: &str, value: &Value) -> Value {
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
