//! The Azure target: per identity that Azure must grant, a user-assigned
//! managed identity, a federated identity credential for each issuer and
//! subject it presents (created one after another, as Azure requires), and
//! per scope its actions are assigned at, a custom role definition holding
//! their mapped operations and its assignment. Native JSON under
//! `azure/NAME/` and `azure/main.tf.json`.
//!
//! Azure lets no one but its own services create deny assignments: a
//! forbidden or guardrail operation is left out, and subtracted as a
//! `notActions` entry only where one of the role's own wildcards would
//! grant it — nothing it writes pretends to deny what another role grants.
//! A suspended identity keeps its managed identity and a role that grants
//! nothing, and loses its federated credentials, so no token becomes it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analyse::federation::{self, AZURE_AUDIENCE, AzureCredential, Cloud};
use crate::analyse::{self, Analysis, enforce};
use crate::model::{AzureTarget, Identity, Model, Platform};
use crate::source::SourceDb;
use crate::vocabulary::glob;

use super::{Artifact, Artifacts, tags};

pub mod module;

/// The API version of the managed identity resources.
pub const API_VERSION: &str = "2023-01-31";

/// The scope of role definitions and assignments: `scope:`, else the
/// resource group, else the subscription.
#[must_use]
pub fn scope(target: &AzureTarget) -> String {
    if let Some(s) = &target.scope {
        return s.value.clone();
    }
    let subscription = format!("/subscriptions/{}", target.subscription_id.value);
    match &target.resource_group {
        Some(rg) => format!("{subscription}/resourceGroups/{}", rg.value),
        None => subscription,
    }
}

/// Azure operations, control plane and data plane.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Operations {
    /// Control-plane operations.
    pub actions: BTreeSet<String>,
    /// Data-plane operations.
    pub data_actions: BTreeSet<String>,
}

impl Operations {
    /// The operations of `other` one of these patterns grants (Azure
    /// compares operations without regard to case).
    fn covering(&self, other: &Self) -> Self {
        let within = |mine: &BTreeSet<String>, theirs: &BTreeSet<String>| {
            theirs
                .iter()
                .filter(|t| mine.iter().any(|m| glob::overlap(m, t, true)))
                .cloned()
                .collect()
        };
        Self {
            actions: within(&self.actions, &other.actions),
            data_actions: within(&self.data_actions, &other.data_actions),
        }
    }
}

/// The operations of `actions`, by the scope each is assigned at.
fn operations<'a>(
    model: &'a Model,
    actions: impl Iterator<Item = &'a str>,
    default_scope: &str,
) -> BTreeMap<String, Operations> {
    let catalogue = model.settings.actions.as_ref();
    let mut out: BTreeMap<String, Operations> = BTreeMap::new();
    for a in actions.filter_map(|a| catalogue.and_then(|c| c.get(a))) {
        if let Some(m) = &a.azure {
            let scope = m.scope.as_ref().map_or(default_scope, |s| s.value.as_str());
            let ops = out.entry(scope.to_owned()).or_default();
            ops.actions
                .extend(m.actions.iter().map(|x| x.value.clone()));
            ops.data_actions
                .extend(m.data_actions.iter().map(|x| x.value.clone()));
        }
    }
    out
}

/// One custom role of an identity, assigned at one scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    /// Where it is assigned.
    pub scope: String,
    /// What it grants.
    pub allowed: Operations,
    /// Forbidden operations one of the role's own patterns would grant.
    pub not: Operations,
}

/// One identity in Azure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The identity's (and its managed identity's) name.
    pub name: String,
    description: String,
    /// Its managed identity's tags.
    pub tags: tags::Tags,
    /// Its federated credentials.
    pub credentials: Vec<AzureCredential>,
    /// Its roles: the target's scope first, then the others in order.
    pub roles: Vec<Role>,
    /// Whether its managed identity exists already, to be imported.
    existing: bool,
}

impl Rendered {
    /// The name of its `i`th role, in the subscription `subscription`
    /// (custom role names are the tenant's: one per subscription), and
    /// its file stem and Terraform key suffix.
    #[must_use]
    pub fn role_names(&self, i: usize, subscription: &str) -> (String, String) {
        if i == 0 {
            (format!("nhi-{}-{subscription}", self.name), String::new())
        } else {
            (
                format!("nhi-{}-{}-{subscription}", self.name, i + 1),
                format!("-{}", i + 1),
            )
        }
    }
}

/// Render the Azure target: every identity that lands in Azure.
#[must_use]
pub fn render(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    target: &AzureTarget,
) -> Artifacts {
    let mut out = Artifacts::new();
    let all = identities(model, analysis, db, target);
    for r in &all {
        files(r, target, &mut out);
    }
    out.extend(module::render(&all, target));
    out
}

/// Every identity that lands in Azure, as it is rendered there.
#[must_use]
pub fn identities(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    target: &AzureTarget,
) -> Vec<Rendered> {
    analysis
        .landing(model, Cloud::Azure)
        // a workspace that checked clean can federate every identity it needs
        .filter_map(|identity| {
            let credentials = federation::azure(model, identity).ok()?;
            Some(rendered(
                model,
                analysis,
                db,
                identity,
                credentials,
                &scope(target),
            ))
        })
        .collect()
}

fn rendered(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    identity: &Identity,
    credentials: Vec<AzureCredential>,
    default_scope: &str,
) -> Rendered {
    let suspended = analysis.suspended(identity);
    let mut by_scope = if suspended {
        BTreeMap::new()
    } else {
        operations(
            model,
            enforce::granted(model, identity, Platform::Azure),
            default_scope,
        )
    };
    let forbidden: Operations =
        operations(model, analyse::forbidden(model, identity), default_scope)
            .into_values()
            .fold(Operations::default(), |mut all, ops| {
                all.actions.extend(ops.actions);
                all.data_actions.extend(ops.data_actions);
                all
            });
    // the target's scope first (a suspended identity keeps a role there
    // that grants nothing), then the others in order
    let first = by_scope.remove(default_scope).unwrap_or_default();
    let roles: Vec<Role> = std::iter::once((default_scope.to_owned(), first))
        .chain(by_scope)
        .map(|(scope, allowed)| Role {
            not: allowed.covering(&forbidden),
            scope,
            allowed,
        })
        .collect();
    Rendered {
        name: identity.name.value.to_string(),
        description: tags::description(identity),
        tags: tags::azure(&tags::facts(identity, analysis, db)),
        credentials: if suspended { Vec::new() } else { credentials },
        roles,
        existing: identity.existing.iter().any(|p| p.value == Platform::Azure),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManagedIdentity<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    api_version: &'static str,
    name: &'a str,
    location: &'a str,
    tags: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
struct Credential<'a> {
    name: String,
    properties: CredentialProperties<'a>,
}

#[derive(Serialize)]
struct CredentialProperties<'a> {
    issuer: &'a str,
    subject: &'a str,
    audiences: [&'static str; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RoleDefinition<'a> {
    name: String,
    is_custom: bool,
    description: &'a str,
    actions: &'a BTreeSet<String>,
    not_actions: &'a BTreeSet<String>,
    data_actions: &'a BTreeSet<String>,
    not_data_actions: &'a BTreeSet<String>,
    assignable_scopes: [String; 1],
}

fn credential_name(name: &str, i: usize) -> String {
    format!("nhi-{name}-{}", i + 1)
}

fn files(r: &Rendered, target: &AzureTarget, out: &mut Artifacts) {
    let dir = format!("azure/{}", r.name);
    let source = Some(r.name.clone());
    let mut add = |file: &str, text: String| {
        out.insert(Artifact::new(
            &format!("{dir}/{file}"),
            text,
            source.clone(),
        ));
    };
    let location = target.location.as_ref().map_or("", |l| l.value.as_str());
    add(
        "managed-identity.json",
        super::json_file(&ManagedIdentity {
            ty: "Microsoft.ManagedIdentity/userAssignedIdentities",
            api_version: API_VERSION,
            name: &r.name,
            location,
            tags: r
                .tags
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        }),
    );
    let credentials: Vec<Credential<'_>> = r
        .credentials
        .iter()
        .enumerate()
        .map(|(i, c)| Credential {
            name: credential_name(&r.name, i),
            properties: CredentialProperties {
                issuer: &c.issuer,
                subject: &c.subject,
                audiences: [AZURE_AUDIENCE],
            },
        })
        .collect();
    add("federated-credentials.json", super::json_file(&credentials));
    for (i, role) in r.roles.iter().enumerate() {
        let (name, suffix) = r.role_names(i, &target.subscription_id.value);
        add(
            &format!("role-definition{suffix}.json"),
            super::json_file(&RoleDefinition {
                name,
                is_custom: true,
                description: &r.description,
                actions: &role.allowed.actions,
                not_actions: &role.not.actions,
                data_actions: &role.allowed.data_actions,
                not_data_actions: &role.not.data_actions,
                assignable_scopes: [role.scope.clone()],
            }),
        );
    }
}
