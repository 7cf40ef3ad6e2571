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

use super::{Artifact, Artifacts, tags, terraform};

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

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Operations {
    actions: BTreeSet<String>,
    data_actions: BTreeSet<String>,
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
struct Role {
    scope: String,
    allowed: Operations,
    /// Forbidden operations one of the role's own patterns would grant.
    not: Operations,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Rendered {
    name: String,
    description: String,
    tags: tags::Tags,
    credentials: Vec<AzureCredential>,
    /// Its roles: the target's scope first, then the others in order.
    roles: Vec<Role>,
}

impl Rendered {
    /// The name, file stem and Terraform key suffix of its `i`th role.
    fn role_names(&self, i: usize) -> (String, String) {
        if i == 0 {
            (format!("nhi-{}", self.name), String::new())
        } else {
            (
                format!("nhi-{}-{}", self.name, i + 1),
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
    let mut all = Vec::new();
    for identity in analysis.landing(model, Cloud::Azure) {
        // a workspace that checked clean can federate every identity it needs
        let Ok(credentials) = federation::azure(model, identity) else {
            continue;
        };
        let r = rendered(model, analysis, db, identity, credentials, &scope(target));
        files(&r, target, &mut out);
        all.push(r);
    }
    out.insert(Artifact::new(
        "azure/main.tf.json",
        main_tf(&all, target),
        None,
    ));
    out
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
        let (name, suffix) = r.role_names(i);
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

#[derive(Debug, Default, Serialize)]
struct Resources {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    azurerm_user_assigned_identity: BTreeMap<String, TfIdentity>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    azurerm_federated_identity_credential: BTreeMap<String, TfCredential>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    azurerm_role_definition: BTreeMap<String, TfRoleDefinition>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    azurerm_role_assignment: BTreeMap<String, TfRoleAssignment>,
}

#[derive(Debug, Serialize)]
struct TfIdentity {
    name: String,
    resource_group_name: String,
    location: String,
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
struct TfCredential {
    name: String,
    user_assigned_identity_id: String,
    issuer: String,
    subject: String,
    audience: Vec<&'static str>,
    /// Azure refuses federated credentials of one identity written at
    /// once: each waits for the one before.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
}

#[derive(Debug, Serialize)]
struct TfRoleDefinition {
    name: String,
    scope: String,
    description: String,
    permissions: Vec<TfPermissions>,
    assignable_scopes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct TfPermissions {
    actions: Vec<String>,
    not_actions: Vec<String>,
    data_actions: Vec<String>,
    not_data_actions: Vec<String>,
}

#[derive(Debug, Serialize)]
struct TfRoleAssignment {
    scope: String,
    role_definition_id: String,
    principal_id: String,
    principal_type: &'static str,
}

#[derive(Debug, Serialize)]
struct Provider {
    features: BTreeMap<String, String>,
    subscription_id: String,
    tenant_id: String,
}

fn list(set: &BTreeSet<String>) -> Vec<String> {
    set.iter().map(|s| terraform::literal(s)).collect()
}

/// What the document gives those who apply it: each managed identity's
/// client and principal ids.
fn outputs(res: &Resources) -> terraform::Outputs {
    let mut outputs = terraform::Outputs::new();
    for (name, attribute, description) in [
        (
            "client_ids",
            "client_id",
            "each identity's managed identity client id (`auth.client_id`, the AKS ServiceAccount's `azure.workload.identity/client-id`), by identity",
        ),
        (
            "principal_ids",
            "principal_id",
            "each identity's managed identity principal id, by identity",
        ),
    ] {
        terraform::output(
            &mut outputs,
            name,
            description,
            "azurerm_user_assigned_identity",
            attribute,
            res.azurerm_user_assigned_identity.keys(),
        );
    }
    outputs
}

fn main_tf(all: &[Rendered], target: &AzureTarget) -> String {
    let lit = terraform::literal;
    let group = lit(target
        .resource_group
        .as_ref()
        .map_or("", |g| g.value.as_str()));
    let location = lit(target.location.as_ref().map_or("", |l| l.value.as_str()));
    let mut res = Resources::default();
    for r in all {
        let key = terraform::resource_name(&r.name);
        res.azurerm_user_assigned_identity.insert(
            key.clone(),
            TfIdentity {
                name: r.name.clone(),
                resource_group_name: group.clone(),
                location: location.clone(),
                tags: r.tags.iter().map(|(k, v)| (lit(k), lit(v))).collect(),
            },
        );
        for (i, c) in r.credentials.iter().enumerate() {
            res.azurerm_federated_identity_credential.insert(
                format!("{key}-{}", i + 1),
                TfCredential {
                    name: credential_name(&r.name, i),
                    user_assigned_identity_id: terraform::reference(
                        "azurerm_user_assigned_identity",
                        &key,
                        "id",
                    ),
                    issuer: lit(&c.issuer),
                    subject: lit(&c.subject),
                    audience: vec![AZURE_AUDIENCE],
                    depends_on: (i > 0)
                        .then(|| format!("azurerm_federated_identity_credential.{key}-{i}"))
                        .into_iter()
                        .collect(),
                },
            );
        }
        for (i, role) in r.roles.iter().enumerate() {
            let (name, suffix) = r.role_names(i);
            let role_key = format!("{key}{suffix}");
            let scope = lit(&role.scope);
            res.azurerm_role_definition.insert(
                role_key.clone(),
                TfRoleDefinition {
                    name,
                    scope: scope.clone(),
                    description: lit(&r.description),
                    permissions: vec![TfPermissions {
                        actions: list(&role.allowed.actions),
                        not_actions: list(&role.not.actions),
                        data_actions: list(&role.allowed.data_actions),
                        not_data_actions: list(&role.not.data_actions),
                    }],
                    assignable_scopes: vec![scope.clone()],
                },
            );
            res.azurerm_role_assignment.insert(
                role_key.clone(),
                TfRoleAssignment {
                    scope,
                    role_definition_id: terraform::reference(
                        "azurerm_role_definition",
                        &role_key,
                        "role_definition_resource_id",
                    ),
                    principal_id: terraform::reference(
                        "azurerm_user_assigned_identity",
                        &key,
                        "principal_id",
                    ),
                    principal_type: "ServicePrincipal",
                },
            );
        }
    }
    let outputs = outputs(&res);
    terraform::document(
        "azurerm",
        "hashicorp/azurerm",
        // user_assigned_identity_id replaced parent_id in 4.65
        // azurerm 4 and the current 5
        ">= 4.65, < 6.0",
        Some(Provider {
            features: BTreeMap::new(),
            subscription_id: lit(&target.subscription_id.value),
            tenant_id: lit(&target.tenant_id.value),
        }),
        &res,
        outputs,
    )
}
