//! Azure: what `az` prints (JSON) about a subscription's managed
//! identities, each file recognised by its content — `az identity list`,
//! `az identity federated-credential list` (one file per identity),
//! `az role definition list` (the custom roles, and the built-in roles
//! whose permissions the workspace should carry) and `az role assignment
//! list --all`.
//!
//! Each user-assigned managed identity becomes an identity: `oidc` with
//! its federated credential's issuer and subject when it has one, else
//! `attested` (Azure runs something as it). Each role assigned to it
//! becomes a catalogue action of the role's actions and data actions at
//! the assignment's scope. People and groups, service principals that are
//! not managed identities, and system-assigned identities are left out and
//! counted.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AuthDoc, IDENTITIES_DIR, IdentityDoc, Imported, Names, TeamDoc, identity_file, malformed,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceDb};
use crate::vocabulary::glob;

/// A user-assigned managed identity, as `az identity list` prints it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ManagedIdentity {
    /// Its resource id.
    pub id: String,
    /// Its name.
    pub name: String,
    location: Option<String>,
    /// The object id of its service principal, which assignments name.
    pub principal_id: String,
    client_id: Option<String>,
    tenant_id: Option<String>,
    resource_group: Option<String>,
    /// Its tags.
    pub tags: Option<BTreeMap<String, String>>,
}

/// A federated identity credential.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Credential {
    /// Its resource id, under its managed identity's.
    pub id: String,
    /// The token issuer.
    pub issuer: String,
    /// The token subject.
    pub subject: String,
    /// The token audiences.
    pub audiences: Vec<String>,
}

/// A role definition, as `az role definition list` prints it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RoleDefinition {
    id: String,
    /// Its GUID.
    pub name: String,
    /// Its name as people read it.
    pub role_name: String,
    /// What it grants.
    pub permissions: Vec<Permission>,
}

/// One block of a role definition's permissions.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Permission {
    /// Control-plane operations.
    pub actions: Vec<String>,
    /// Those taken back.
    pub not_actions: Vec<String>,
    /// Data-plane operations.
    pub data_actions: Vec<String>,
    /// Those taken back.
    pub not_data_actions: Vec<String>,
}

/// A role assignment, as `az role assignment list --all` prints it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Assignment {
    /// Who holds it.
    pub principal_id: String,
    principal_name: Option<String>,
    principal_type: String,
    /// The role's resource id.
    pub role_definition_id: String,
    /// The role's name.
    pub role_definition_name: Option<String>,
    /// Where it holds.
    pub scope: String,
    /// Its condition, if any.
    pub condition: Option<String>,
}

impl Assignment {
    /// Its role's GUID, lower-case, as [`Subscription::roles`] keys it.
    #[must_use]
    pub fn role_guid(&self) -> String {
        self.role_definition_id
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    }
}

/// Everything the exports say about the subscription.
#[derive(Default)]
pub struct Subscription {
    /// Its managed identities.
    pub identities: Vec<ManagedIdentity>,
    /// Their federated credentials.
    pub credentials: Vec<Credential>,
    /// Role definitions, by GUID (lower-case).
    pub roles: BTreeMap<String, RoleDefinition>,
    /// Role assignments.
    pub assignments: Vec<Assignment>,
}

#[derive(Debug, Serialize)]
struct AzureDoc {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    actions: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    data_actions: Vec<String>,
    scope: String,
}

#[derive(Debug, Serialize)]
struct ActionDoc {
    description: String,
    azure: AzureDoc,
}

#[derive(Debug, Serialize)]
struct TargetsDoc {
    azure: AzureTargetDoc,
}

#[derive(Debug, Serialize)]
struct AzureTargetDoc {
    subscription_id: String,
    tenant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
}

/// Read the exports, and make the workspace they describe.
///
/// # Errors
///
/// Every file that is none of the exports above, or that holds a
/// credential, as located diagnostics; then nothing is made.
pub fn import(db: &mut SourceDb, files: &[FileId]) -> Result<Imported, Diagnostics> {
    let subscription = subscription(db, files)?;
    Ok(Writer::default().run(&subscription))
}

/// Read the exports: what they say about the subscription.
///
/// # Errors
///
/// As [`import`].
pub fn subscription(db: &mut SourceDb, files: &[FileId]) -> Result<Subscription, Diagnostics> {
    let mut out = Diagnostics::new();
    let mut subscription = Subscription::default();
    for &file in files {
        if super::scan(db, file, &mut out) {
            continue;
        }
        if let Err(d) = read(db, file, &mut subscription) {
            out.push(d);
        }
    }
    if out.has_errors() {
        return Err(out);
    }
    Ok(subscription)
}

fn whole_file(db: &SourceDb, file: FileId, why: &str) -> Diagnostic {
    super::not_an_export(
        db,
        file,
        "an Azure export",
        why,
        "give what `az identity list`, `az identity federated-credential list`, `az role definition list` and `az role assignment list --all` print",
    )
}

fn read(db: &SourceDb, file: FileId, subscription: &mut Subscription) -> Result<(), Diagnostic> {
    let text: Arc<str> = db.get(file).map(|f| f.text().clone()).unwrap_or_default();
    let value: Value =
        serde_json::from_str(&text).map_err(|e| malformed(db, file, &e, "an Azure export"))?;
    let Value::Array(items) = &value else {
        return Err(whole_file(db, file, "az prints these lists as JSON arrays"));
    };
    let Some(first) = items.first() else {
        return Ok(());
    };
    let ty = first
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match ty {
        "Microsoft.ManagedIdentity/userAssignedIdentities" => {
            subscription
                .identities
                .extend(super::parse::<Vec<ManagedIdentity>>(
                    db,
                    file,
                    value,
                    "an Azure export",
                )?);
        }
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials" => {
            subscription
                .credentials
                .extend(super::parse::<Vec<Credential>>(
                    db,
                    file,
                    value,
                    "an Azure export",
                )?);
        }
        "Microsoft.Authorization/roleDefinitions" => {
            for role in super::parse::<Vec<RoleDefinition>>(db, file, value, "an Azure export")? {
                subscription
                    .roles
                    .insert(role.name.to_ascii_lowercase(), role);
            }
        }
        "Microsoft.Authorization/roleAssignments" => {
            subscription
                .assignments
                .extend(super::parse::<Vec<Assignment>>(
                    db,
                    file,
                    value,
                    "an Azure export",
                )?);
        }
        _ => {
            return Err(whole_file(
                db,
                file,
                "its list holds neither managed identities, federated credentials, role definitions nor role assignments",
            ));
        }
    }
    Ok(())
}

/// The workspace being written.
#[derive(Default)]
struct Writer {
    names: Names,
    action_names: Names,
    actions: BTreeMap<(Vec<String>, Vec<String>, String), String>,
    catalogue: BTreeMap<String, ActionDoc>,
    teams: BTreeMap<String, TeamDoc>,
}

impl Writer {
    fn run(mut self, subscription: &Subscription) -> Imported {
        let mut out = Imported::default();
        let mut identities: Vec<&ManagedIdentity> = subscription.identities.iter().collect();
        identities.sort_by_key(|i| i.id.to_ascii_lowercase());
        identities.dedup_by(|a, b| a.id.eq_ignore_ascii_case(&b.id));
        let known: BTreeSet<&str> = identities.iter().map(|i| i.principal_id.as_str()).collect();
        for a in &subscription.assignments {
            let who = a
                .principal_name
                .clone()
                .unwrap_or_else(|| a.principal_id.clone());
            let role = a.role_definition_name.clone().unwrap_or_default();
            match a.principal_type.as_str() {
                "User" | "Group" => out.skipped.entry("role assignments to people and groups").or_default().push(format!("{who} → {role}")),
                _ if !known.contains(a.principal_id.as_str()) => out
                    .skipped
                    .entry("service principals that are no user-assigned managed identity (app registrations, system-assigned identities)")
                    .or_default()
                    .push(format!("{who} → {role}")),
                _ => {}
            }
        }
        for identity in &identities {
            self.identity(subscription, identity, &mut out);
        }
        self.finish(&identities, out)
    }

    fn identity(&mut self, subscription: &Subscription, mi: &ManagedIdentity, out: &mut Imported) {
        let name = self.names.identity(&mi.name);
        let mut notes = Vec::new();
        let credentials: Vec<&Credential> = subscription
            .credentials
            .iter()
            .filter(|c| {
                c.id.to_ascii_lowercase().starts_with(&format!(
                    "{}/federatedidentitycredentials/",
                    mi.id.to_ascii_lowercase()
                ))
            })
            .collect();
        if credentials.len() > 1 {
            notes.push(format!(
                "it has {} federated credentials: only the first is kept",
                credentials.len()
            ));
        }
        let auth = match credentials.first() {
            Some(c) => AuthDoc {
                method: "oidc",
                issuer: Some(c.issuer.clone()),
                subject: Some(c.subject.clone()),
                audience: c.audiences.first().cloned(),
                client_id: mi.client_id.clone(),
            },
            None => AuthDoc {
                method: "attested",
                issuer: None,
                subject: None,
                audience: None,
                client_id: mi.client_id.clone(),
            },
        };
        let mut allowed = Vec::new();
        for a in subscription
            .assignments
            .iter()
            .filter(|a| a.principal_id == mi.principal_id)
        {
            if let Some(action) = self.assignment(subscription, a, &mut notes)
                && !allowed.contains(&action)
            {
                allowed.push(action);
            }
        }
        let tags = mi.tags.clone().unwrap_or_default();
        let owner = super::owner_team(
            &mut self.teams,
            tags.get("owner")
                .or_else(|| tags.get("team"))
                .map(String::as_str),
        );
        let purpose = tags
            .get("purpose")
            .or_else(|| tags.get("description"))
            .cloned();
        let labels = tags
            .into_iter()
            .filter(|(k, _)| !["owner", "team", "purpose", "description"].contains(&k.as_str()))
            .collect();
        let doc = IdentityDoc {
            agent: name.clone(),
            kind: if auth.method == "oidc" {
                "pipeline"
            } else {
                "workload"
            },
            owner,
            purpose,
            identity_type: "managed_identity",
            auth,
            targets: vec!["azure"],
            existing: vec!["azure"],
            known_as: None,
            state: None,
            expires: None,
            allowed_actions: allowed,
            forbidden_actions: Vec::new(),
            context: None,
            labels,
        };
        if name != mi.name {
            notes.push(format!(
                "its name `{}` is not a name nhi gives an identity: rendered, it is `{name}`",
                mi.name
            ));
        }
        let text = identity_file(&doc, &format!("managed identity {}", mi.id), &notes);
        out.files
            .insert(format!("{IDENTITIES_DIR}/{name}.yaml"), text);
        out.identities.push(name.clone());
        out.notes.insert(name, notes);
    }

    /// The catalogue action of one role assignment, when nhi can say it.
    fn assignment(
        &mut self,
        subscription: &Subscription,
        a: &Assignment,
        notes: &mut Vec<String>,
    ) -> Option<String> {
        let role_name = a
            .role_definition_name
            .clone()
            .unwrap_or_else(|| a.role_definition_id.clone());
        if a.condition.as_deref().is_some_and(|c| !c.trim().is_empty()) {
            notes.push(format!("its assignment of `{role_name}` holds a condition nhi cannot say: left out, so it may do less than in Azure"));
            return None;
        }
        let guid = a.role_guid();
        let Some(role) = subscription.roles.get(&guid) else {
            notes.push(format!("the permissions of `{role_name}` are not in the exports: give `az role definition list --name \"{role_name}\"` to carry them"));
            return None;
        };
        let mut actions = BTreeSet::new();
        let mut data_actions = BTreeSet::new();
        for p in &role.permissions {
            let (kept, dropped) = subtract(&p.actions, &p.not_actions);
            actions.extend(kept);
            let (kept_data, dropped_data) = subtract(&p.data_actions, &p.not_data_actions);
            data_actions.extend(kept_data);
            for d in dropped.iter().chain(&dropped_data) {
                notes.push(format!("`{role_name}` grants `{d}` except what its not-actions take back, which nhi cannot say: `{d}` is left out"));
            }
        }
        let key = (
            actions.into_iter().collect::<Vec<_>>(),
            data_actions.into_iter().collect::<Vec<_>>(),
            a.scope.clone(),
        );
        if let Some(n) = self.actions.get(&key) {
            return Some(n.clone());
        }
        let name = self.action_names.action(&role.role_name);
        self.catalogue.insert(
            name.clone(),
            ActionDoc {
                description: format!(
                    "Imported from role `{}` assigned at `{}`",
                    role.role_name, a.scope
                ),
                azure: AzureDoc {
                    actions: key.0.clone(),
                    data_actions: key.1.clone(),
                    scope: a.scope.clone(),
                },
            },
        );
        self.actions.insert(key, name.clone());
        Some(name)
    }

    fn finish(mut self, identities: &[&ManagedIdentity], mut out: Imported) -> Imported {
        let first = identities.first();
        let subscription = first
            .and_then(|i| i.id.split('/').nth(2))
            .unwrap_or("00000000-0000-0000-0000-000000000000")
            .to_owned();
        let groups: BTreeSet<&str> = identities
            .iter()
            .filter_map(|i| i.resource_group.as_deref())
            .collect();
        super::write_workspace(
            &mut out,
            "azure",
            std::mem::take(&mut self.teams),
            TargetsDoc {
                azure: AzureTargetDoc {
                    subscription_id: subscription,
                    tenant_id: first
                        .and_then(|i| i.tenant_id.clone())
                        .unwrap_or_else(|| "00000000-0000-0000-0000-000000000000".to_owned()),
                    resource_group: (groups.len() == 1)
                        .then(|| groups.iter().next().map(|g| (*g).to_owned()))
                        .flatten(),
                    location: first.and_then(|i| i.location.clone()),
                },
            },
            std::mem::take(&mut self.catalogue),
            "the actions of the roles assigned to the imported managed identities",
        );
        out
    }
}

/// `granted` without what `taken` takes back: each pattern some not-action
/// overlaps is dropped whole (returned second), never widened.
fn subtract(granted: &[String], taken: &[String]) -> (Vec<String>, Vec<String>) {
    granted
        .iter()
        .cloned()
        .partition(|g| !taken.iter().any(|t| glob::overlap(g, t, true)))
}
