//! Google Cloud: the project's service accounts, role bindings, custom
//! roles, keys and each account's own policy, from `gcloud … --format=json`
//! (as `nhi import gcp` reads them), against what the workspace renders.
//!
//! A service account is compared by its email: who may act as it (its
//! own policy, where the exports hold it), what its custom roles grant
//! (where `gcloud iam roles describe` gave their permissions) and under
//! which condition, every other role bound to it on the project, its
//! user-managed keys (an identity that authenticates without a key has
//! none), whether it is disabled, and its description (where nhi writes
//! what the other clouds tag). Deny policies are not in these exports and
//! not compared.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Declared, Facets, Held, Observed};
use crate::analyse::Analysis;
use crate::analyse::federation::GcpTrust;
use crate::import::gcp::{Project, googles};
use crate::model::{GcpTarget, Model};
use crate::render::gcp::{self, WORKLOAD_IDENTITY_USER};
use crate::source::SourceDb;

const WORD: &str = "service account";

/// The service accounts the workspace renders for the project.
#[must_use]
pub fn declared(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    target: &GcpTarget,
) -> Vec<Declared> {
    gcp::accounts(model, analysis, db, target)
        .iter()
        .map(|r| {
            let trust = match &r.trust {
                GcpTrust::Pool { members } => members
                    .iter()
                    .map(|m| bound(WORKLOAD_IDENTITY_USER, m))
                    .collect(),
                GcpTrust::Key | GcpTrust::Attached => BTreeSet::new(),
            };
            let permissions = gcp::roles(r)
                .into_iter()
                .map(|(_, id, permissions, condition)| {
                    let role = format!("projects/{}/roles/{id}", target.project.value);
                    let mut content = permissions.clone();
                    content.extend(condition.map(|c| only_if(&c.expression)));
                    (custom(&role), Some(content))
                })
                .collect();
            Declared::of(
                model,
                db,
                &r.name,
                Held {
                    word: WORD,
                    key: r.email.clone(),
                    shown: r.email.clone(),
                    facets: Facets {
                        trust: Some(trust),
                        permissions,
                        keys: (!matches!(r.trust, GcpTrust::Key)).then(BTreeSet::new),
                        disabled: Some(r.disabled),
                        tags: Some(described(&r.description)),
                        ..Facets::default()
                    },
                },
            )
        })
        .collect()
}

/// The service accounts the project holds.
#[must_use]
pub fn observed(project: &Project) -> Vec<Observed> {
    let mut seen = BTreeSet::new();
    project
        .accounts
        .iter()
        .filter(|a| seen.insert(a.email.as_str()))
        .map(|a| {
            let id = a.email.split('@').next().unwrap_or_default();
            let member = format!("serviceAccount:{}", a.email);
            let mut permissions: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
            let mut grants = BTreeSet::new();
            for b in project
                .bindings
                .iter()
                .filter(|b| b.members.contains(&member))
            {
                let condition = b
                    .condition
                    .as_ref()
                    .and_then(|c| c.get("expression"))
                    .and_then(Value::as_str);
                if b.role.starts_with("projects/") {
                    let content = project
                        .roles
                        .get(&b.role)
                        .and_then(|r| r.included_permissions.as_ref())
                        .map(|p| {
                            let mut content: BTreeSet<String> = p.iter().cloned().collect();
                            content.extend(condition.map(only_if));
                            content
                        });
                    permissions.insert(custom(&b.role), content);
                    grants.insert(custom(&b.role));
                } else {
                    grants.insert(match condition {
                        Some(c) => format!("role `{}` {}", b.role, only_if(c)),
                        None => format!("role `{}`", b.role),
                    });
                }
            }
            let keys = project
                .keys
                .iter()
                .filter(|k| k.key_type == "USER_MANAGED")
                .filter_map(|k| {
                    let (account, key) = k.name.split_once("/keys/")?;
                    account
                        .ends_with(&format!("/serviceAccounts/{}", a.email))
                        .then(|| key.to_owned())
                })
                .collect();
            Observed {
                held: Held {
                    word: WORD,
                    key: a.email.clone(),
                    shown: a.email.clone(),
                    facets: Facets {
                        trust: project.account_policies.get(id).map(|bindings| {
                            bindings
                                .iter()
                                .flat_map(|b| b.members.iter().map(|m| bound(&b.role, m)))
                                .collect()
                        }),
                        permissions,
                        grants,
                        keys: Some(keys),
                        disabled: Some(a.disabled),
                        tags: Some(described(a.description.as_deref().unwrap_or_default())),
                        ..Facets::default()
                    },
                },
                not_managed: googles(&a.email),
            }
        })
        .collect()
}

fn bound(role: &str, member: &str) -> String {
    format!("{member} holds `{role}`")
}

fn custom(role: &str) -> String {
    format!("custom role `{role}`")
}

fn only_if(expression: &str) -> String {
    format!("only if `{expression}`")
}

fn described(text: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("description".to_owned(), text.to_owned())])
}
