//! Azure: the subscription's user-assigned managed identities, their
//! federated credentials, role definitions and role assignments, from
//! `az … ` JSON (as `nhi import azure` reads them), against what the
//! workspace renders.
//!
//! A managed identity is compared by its name (Azure's names ignore
//! case): who may become it (its federated credentials, when the exports
//! hold any), what each of its roles grants at its scope (operations
//! ignore case too), every other role assigned to it, and its tags.

use std::collections::{BTreeMap, BTreeSet};

use super::{Declared, Facets, Held, Observed};
use crate::analyse::Analysis;
use crate::analyse::federation::AZURE_AUDIENCE;
use crate::import::azure::{Assignment, Subscription};
use crate::model::{AzureTarget, Model};
use crate::render::azure::{self, Operations};
use crate::source::SourceDb;

const WORD: &str = "managed identity";

/// The managed identities the workspace renders for the subscription.
#[must_use]
pub fn declared(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    target: &AzureTarget,
) -> Vec<Declared> {
    let subscription = &target.subscription_id.value;
    let group = target.resource_group.as_ref().map(|g| g.value.as_str());
    azure::identities(model, analysis, db, target)
        .iter()
        .map(|r| {
            let trust = r
                .credentials
                .iter()
                .map(|c| credential(&c.issuer, &c.subject, &[AZURE_AUDIENCE]))
                .collect();
            let permissions = r
                .roles
                .iter()
                .enumerate()
                .map(|(i, role)| {
                    let (name, _) = r.role_names(i, subscription);
                    (
                        assigned(&name, &role.scope),
                        Some(operations(&role.allowed, &role.not)),
                    )
                })
                .collect();
            Declared::of(
                model,
                db,
                &r.name,
                Held {
                    word: WORD,
                    key: r.name.to_ascii_lowercase(),
                    shown: group.map_or_else(|| r.name.clone(), |g| {
                        format!("/subscriptions/{subscription}/resourceGroups/{g}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}", r.name)
                    }),
                    facets: Facets {
                        trust: Some(trust),
                        permissions,
                        tags: Some(r.tags.iter().cloned().collect()),
                        ..Facets::default()
                    },
                },
            )
        })
        .collect()
}

/// The managed identities the subscription holds.
#[must_use]
pub fn observed(subscription: &Subscription) -> Vec<Observed> {
    let mut seen = BTreeSet::new();
    subscription
        .identities
        .iter()
        .filter(|mi| seen.insert(mi.id.to_ascii_lowercase()))
        .map(|mi| {
            let prefix = format!(
                "{}/federatedidentitycredentials/",
                mi.id.to_ascii_lowercase()
            );
            // without any credential in the exports, who may become it is unknown
            let trust = (!subscription.credentials.is_empty()).then(|| {
                subscription
                    .credentials
                    .iter()
                    .filter(|c| c.id.to_ascii_lowercase().starts_with(&prefix))
                    .map(|c| {
                        let audiences: Vec<&str> = c.audiences.iter().map(String::as_str).collect();
                        credential(&c.issuer, &c.subject, &audiences)
                    })
                    .collect()
            });
            let mut permissions = BTreeMap::new();
            let mut grants = BTreeSet::new();
            for a in subscription
                .assignments
                .iter()
                .filter(|a| a.principal_id == mi.principal_id)
            {
                let (name, content) = assignment(subscription, a);
                grants.insert(name.clone());
                permissions.insert(name, content);
            }
            Observed {
                held: Held {
                    word: WORD,
                    key: mi.name.to_ascii_lowercase(),
                    shown: mi.id.clone(),
                    facets: Facets {
                        trust,
                        permissions,
                        grants,
                        tags: Some(mi.tags.clone().unwrap_or_default()),
                        ..Facets::default()
                    },
                },
                not_managed: None,
            }
        })
        .collect()
}

/// An assignment, as drift names it, and what its role grants when the
/// exports define the role.
fn assignment(subscription: &Subscription, a: &Assignment) -> (String, Option<BTreeSet<String>>) {
    let role = subscription.roles.get(&a.role_guid());
    let name = a
        .role_definition_name
        .clone()
        .or_else(|| role.map(|r| r.role_name.clone()))
        .unwrap_or_else(|| a.role_definition_id.clone());
    let content = role.map(|role| {
        let mut allowed = Operations::default();
        let mut not = Operations::default();
        for p in &role.permissions {
            allowed.actions.extend(p.actions.iter().cloned());
            allowed.data_actions.extend(p.data_actions.iter().cloned());
            not.actions.extend(p.not_actions.iter().cloned());
            not.data_actions.extend(p.not_data_actions.iter().cloned());
        }
        let mut content = operations(&allowed, &not);
        content.extend(
            a.condition
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .map(|c| format!("only if `{c}`")),
        );
        content
    });
    (assigned(&name, &a.scope), content)
}

fn assigned(role: &str, scope: &str) -> String {
    format!("role `{role}` at `{}`", scope.trim_end_matches('/'))
}

fn credential(issuer: &str, subject: &str, audiences: &[&str]) -> String {
    let mut audiences = audiences.to_vec();
    audiences.sort_unstable();
    format!(
        "issuer `{issuer}`, subject `{subject}`, audiences `{}`",
        audiences.join(", ")
    )
}

/// A role's operations, each named by its kind, in lower case.
fn operations(allowed: &Operations, not: &Operations) -> BTreeSet<String> {
    let kinds = [
        ("actions", &allowed.actions),
        ("dataActions", &allowed.data_actions),
        ("notActions", &not.actions),
        ("notDataActions", &not.data_actions),
    ];
    kinds
        .into_iter()
        .flat_map(|(kind, ops)| {
            ops.iter()
                .map(move |op| format!("{kind} `{}`", op.to_ascii_lowercase()))
        })
        .collect()
}
