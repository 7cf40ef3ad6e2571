//! The Azure target's Terraform: a module, `azure/main.tf.json` (the
//! subscription, resource group and location as variables; every managed
//! identity's client and principal ids as outputs; no provider), and a
//! root, `terraform/azure/main.tf.json`, that configures the provider,
//! calls it and imports the managed identities that exist already.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::super::terraform::{self, Variables};
use super::{AZURE_AUDIENCE, Rendered, credential_name};
use crate::model::AzureTarget;
use crate::render::Artifacts;

/// Where the module and the root go: azurerm 4
/// (`user_assigned_identity_id` replaced `parent_id` in 4.65) and the
/// current 5.
const LAYOUT: terraform::Layout = terraform::Layout {
    module: "azure/main.tf.json",
    root: "terraform/azure/main.tf.json",
    source: "../../azure",
    providers: &[("azurerm", "hashicorp/azurerm", ">= 4.65, < 6.0")],
};

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
    tags: String,
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

/// The subscription's and resource group's own names in a literal, as the
/// module's variables.
fn variables_in(text: &str, target: &AzureTarget) -> String {
    let subscription = format!("/subscriptions/{}", target.subscription_id.value);
    let mut out = terraform::literal(text);
    if let Some(group) = &target.resource_group {
        out = out.replace(
            &format!("{subscription}/resourceGroups/{}", group.value),
            "/subscriptions/${var.subscription_id}/resourceGroups/${var.resource_group_name}",
        );
    }
    out.replace(&subscription, "/subscriptions/${var.subscription_id}")
}

/// An identity's managed identity, its federated credentials, and per
/// scope its role definition and assignment.
fn identity_tf(
    res: &mut Resources,
    locals: &mut BTreeMap<String, BTreeMap<String, String>>,
    r: &Rendered,
    target: &AzureTarget,
) {
    let lit = terraform::literal;
    let key = terraform::resource_name(&r.name);
    locals.insert(
        r.name.clone(),
        r.tags.iter().map(|(k, v)| (lit(k), lit(v))).collect(),
    );
    res.azurerm_user_assigned_identity.insert(
        key.clone(),
        TfIdentity {
            name: r.name.clone(),
            resource_group_name: "${var.resource_group_name}".to_owned(),
            location: "${var.location}".to_owned(),
            tags: format!("${{merge(var.tags, local.tags[\"{}\"])}}", r.name),
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
        // the subscription is the module's variable
        let (name, suffix) = r.role_names(i, "${var.subscription_id}");
        let role_key = format!("{key}{suffix}");
        let scope = variables_in(&role.scope, target);
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

/// The module's inputs, each defaulting to what the workspace says.
fn variables(target: &AzureTarget) -> Variables {
    let mut v = Variables::new();
    terraform::variable(
        &mut v,
        "subscription_id",
        "string",
        "the subscription the managed identities, roles and assignments are created in",
        target.subscription_id.value.clone(),
    );
    terraform::variable(
        &mut v,
        "resource_group_name",
        "string",
        "the resource group holding the managed identities",
        target
            .resource_group
            .as_ref()
            .map_or(String::new(), |g| g.value.clone()),
    );
    terraform::variable(
        &mut v,
        "tags",
        "map(string)",
        "tags on every managed identity, beside each identity's own (which win)",
        serde_json::Value::Object(serde_json::Map::new()),
    );
    terraform::variable(
        &mut v,
        "location",
        "string",
        "the location of the managed identities",
        target
            .location
            .as_ref()
            .map_or(String::new(), |l| l.value.clone()),
    );
    v
}

/// The module and the root of the Azure target.
pub(super) fn render(all: &[Rendered], target: &AzureTarget) -> Artifacts {
    let mut res = Resources::default();
    let mut tags = BTreeMap::new();
    for r in all {
        identity_tf(&mut res, &mut tags, r, target);
    }
    let outputs = outputs(&res);
    let group = target
        .resource_group
        .as_ref()
        .map_or("", |g| g.value.as_str());
    let imports = all
        .iter()
        .filter(|r| r.existing)
        .map(|r| {
            terraform::import(
                "azurerm_user_assigned_identity",
                &r.name,
                format!(
                    "/subscriptions/{}/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
                    target.subscription_id.value, r.name
                ),
            )
        })
        .collect();
    let provider = Provider {
        features: BTreeMap::new(),
        subscription_id: terraform::literal(&target.subscription_id.value),
        tenant_id: terraform::literal(&target.tenant_id.value),
    };
    terraform::module_and_root(
        &LAYOUT,
        terraform::Parts {
            variables: variables(target),
            locals: &BTreeMap::from([("tags", tags)]),
            resources: &res,
            outputs,
        },
        Some(provider),
        imports,
    )
}
