//! Google Cloud: what `gcloud … --format=json` prints about a project's
//! service accounts, each file recognised by its content —
//! `iam service-accounts list`, `projects get-iam-policy`, each account's
//! own `iam service-accounts get-iam-policy` (named after the account),
//! `iam service-accounts keys list`, `iam roles list` and `iam roles
//! describe` (custom roles, and the predefined roles whose permissions the
//! workspace should carry), and `iam workload-identity-pools providers
//! list`.
//!
//! A service account that a pool principal may act as
//! (`roles/iam.workloadIdentityUser`) is `oidc` with the provider's issuer
//! and the principal's subject; one with a user-managed key is `api_key`;
//! any other is `attested`: Google Cloud runs something as it. Each role
//! bound to it on the project becomes a catalogue action of the role's
//! permissions. Google's own accounts (the Compute Engine and App Engine
//! defaults, service agents) and people are left out and counted.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AuthDoc, IDENTITIES_DIR, IdentityDoc, Imported, Names, TeamDoc, identity_file, malformed,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceDb};

/// The role a pool principal needs to act as a service account.
const WORKLOAD_IDENTITY_USER: &str = "roles/iam.workloadIdentityUser";

/// A service account, as `gcloud iam service-accounts list` prints it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceAccount {
    /// Its email.
    pub email: String,
    /// Its display name.
    pub display_name: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Whether it is disabled.
    pub disabled: bool,
    /// Its project.
    pub project_id: String,
}

/// An IAM policy.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Policy {
    bindings: Vec<Binding>,
}

/// A role binding of an IAM policy.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Binding {
    /// The role.
    pub role: String,
    /// Who holds it.
    pub members: Vec<String>,
    /// Its condition, if any.
    pub condition: Option<Value>,
}

/// A service account key (its id and dates, never its material).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Key {
    /// `projects/P/serviceAccounts/EMAIL/keys/ID`.
    pub name: String,
    /// `USER_MANAGED` or `SYSTEM_MANAGED`.
    pub key_type: String,
    /// When it became valid.
    pub valid_after_time: Option<String>,
    /// When it stops being valid.
    pub valid_before_time: Option<String>,
}

/// A role, as `gcloud iam roles list|describe` prints it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Role {
    /// `roles/X` or `projects/P/roles/X`.
    pub name: String,
    /// Its title.
    pub title: Option<String>,
    /// Its permissions (`describe` only).
    pub included_permissions: Option<Vec<String>>,
    /// Its launch stage (`GA`, `DISABLED`…).
    pub stage: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Provider {
    name: String,
    oidc: Option<Oidc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Oidc {
    issuer_uri: String,
}

/// Everything the exports say about the project.
#[derive(Default)]
pub struct Project {
    /// Its service accounts.
    pub accounts: Vec<ServiceAccount>,
    /// The project's role bindings.
    pub bindings: Vec<Binding>,
    /// Each account's own policy, by account id, where the exports hold it.
    pub account_policies: BTreeMap<String, Vec<Binding>>,
    /// Service account keys.
    pub keys: Vec<Key>,
    /// Roles, by name.
    pub roles: BTreeMap<String, Role>,
    providers: Vec<Provider>,
}

#[derive(Debug, Serialize)]
struct GcpDoc {
    permissions: Vec<String>,
}

#[derive(Debug, Serialize)]
struct ActionDoc {
    description: String,
    gcp: GcpDoc,
}

#[derive(Debug, Serialize)]
struct TargetsDoc {
    gcp: GcpTargetDoc,
}

#[derive(Debug, Serialize)]
struct GcpTargetDoc {
    project: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    project_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workload_identity_pool: Option<String>,
}

/// Read the exports, and make the workspace they describe.
///
/// # Errors
///
/// Every file that is none of the exports above, or that holds a
/// credential, as located diagnostics; then nothing is made.
pub fn import(db: &mut SourceDb, files: &[FileId]) -> Result<Imported, Diagnostics> {
    let project = project(db, files)?;
    Ok(Writer::default().run(&project))
}

/// Read the exports: what they say about the project.
///
/// # Errors
///
/// As [`import`].
pub fn project(db: &mut SourceDb, files: &[FileId]) -> Result<Project, Diagnostics> {
    let mut out = Diagnostics::new();
    let mut project = Project::default();
    let mut policies = Vec::new();
    for &file in files {
        if super::scan(db, file, &mut out) {
            continue;
        }
        if let Err(d) = read(db, file, &mut project, &mut policies) {
            out.push(d);
        }
    }
    // an account's own policy is the file named after it
    for (file, policy) in policies {
        let stem = db
            .get(file)
            .and_then(|f| f.path().file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let owner = project
            .accounts
            .iter()
            .map(|a| a.email.split('@').next().unwrap_or_default().to_owned())
            .filter(|id| stem.contains(id.as_str()))
            .max_by_key(String::len);
        match owner {
            Some(id) => {
                project.account_policies.entry(id).or_default().extend(policy.bindings);
            }
            None => out.push(whole_file(
                db,
                file,
                "it binds a pool principal to a service account, and its name names no account of the list: name it after the account (`ci-deployer.json`)",
            )),
        }
    }
    if out.has_errors() {
        return Err(out);
    }
    Ok(project)
}

fn whole_file(db: &SourceDb, file: FileId, why: &str) -> Diagnostic {
    super::not_an_export(
        db,
        file,
        "a Google Cloud export",
        why,
        "give what `gcloud iam service-accounts list`, `gcloud projects get-iam-policy`, `gcloud iam service-accounts get-iam-policy`, `gcloud iam service-accounts keys list`, `gcloud iam roles list|describe` and `gcloud iam workload-identity-pools providers list` print with `--format=json`",
    )
}

fn read(
    db: &SourceDb,
    file: FileId,
    project: &mut Project,
    policies: &mut Vec<(FileId, Policy)>,
) -> Result<(), Diagnostic> {
    let text: Arc<str> = db.get(file).map(|f| f.text().clone()).unwrap_or_default();
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| malformed(db, file, &e, "a Google Cloud export"))?;
    match &value {
        Value::Object(o) if o.contains_key("bindings") => {
            let policy: Policy = super::parse(db, file, value, "a Google Cloud export")?;
            if policy
                .bindings
                .iter()
                .any(|b| b.role == WORKLOAD_IDENTITY_USER)
            {
                policies.push((file, policy));
            } else {
                project.bindings.extend(policy.bindings);
            }
        }
        Value::Object(o) if o.contains_key("includedPermissions") => {
            let role: Role = super::parse(db, file, value, "a Google Cloud export")?;
            project.roles.insert(role.name.clone(), role);
        }
        Value::Array(items) => {
            let Some(first) = items.first() else {
                return Ok(());
            };
            let name = first
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if first.get("keyType").is_some() {
                project.keys.extend(super::parse::<Vec<Key>>(
                    db,
                    file,
                    value,
                    "a Google Cloud export",
                )?);
            } else if first.get("email").is_some() {
                project.accounts.extend(super::parse::<Vec<ServiceAccount>>(
                    db,
                    file,
                    value,
                    "a Google Cloud export",
                )?);
            } else if name.contains("/workloadIdentityPools/") {
                project.providers.extend(super::parse::<Vec<Provider>>(
                    db,
                    file,
                    value,
                    "a Google Cloud export",
                )?);
            } else if name.contains("roles/") {
                for role in super::parse::<Vec<Role>>(db, file, value, "a Google Cloud export")? {
                    project.roles.entry(role.name.clone()).or_insert(role);
                }
            } else {
                return Err(whole_file(
                    db,
                    file,
                    "its list holds neither service accounts, keys, roles nor pool providers",
                ));
            }
        }
        _ => return Err(whole_file(db, file, "it is none of the exports nhi reads")),
    }
    Ok(())
}

/// Why an account is Google's own, if it is.
#[must_use]
pub fn googles(email: &str) -> Option<&'static str> {
    let (id, domain) = email.split_once('@').unwrap_or((email, ""));
    if domain == "developer.gserviceaccount.com" || domain == "appspot.gserviceaccount.com" {
        Some("Google-made default service accounts")
    } else if domain == "cloudservices.gserviceaccount.com"
        || id.starts_with("service-")
        || domain.starts_with("gcp-sa-")
        || !domain.ends_with(".iam.gserviceaccount.com")
    {
        Some("Google-managed service agents")
    } else {
        None
    }
}

/// The workspace being written.
#[derive(Default)]
struct Writer {
    names: Names,
    action_names: Names,
    actions: BTreeMap<Vec<String>, String>,
    catalogue: BTreeMap<String, ActionDoc>,
    teams: BTreeMap<String, TeamDoc>,
    pool: Option<(String, String)>,
}

impl Writer {
    fn run(mut self, project: &Project) -> Imported {
        let mut out = Imported::default();
        for b in &project.bindings {
            for m in b
                .members
                .iter()
                .filter(|m| !m.starts_with("serviceAccount:"))
            {
                out.skipped
                    .entry("project bindings to people and groups")
                    .or_default()
                    .push(format!("{m} → {}", b.role));
            }
        }
        let mut accounts: Vec<&ServiceAccount> = project.accounts.iter().collect();
        accounts.sort_by(|a, b| a.email.cmp(&b.email));
        accounts.dedup_by(|a, b| a.email == b.email);
        for account in accounts {
            if let Some(why) = googles(&account.email) {
                out.skipped
                    .entry(why)
                    .or_default()
                    .push(account.email.clone());
                continue;
            }
            self.account(project, account, &mut out);
        }
        self.finish(project, out)
    }

    fn account(&mut self, project: &Project, account: &ServiceAccount, out: &mut Imported) {
        let id = account.email.split('@').next().unwrap_or_default();
        let name = self.names.identity(id);
        let mut notes = Vec::new();
        let auth = self.auth(project, account, id, &mut notes);
        let member = format!("serviceAccount:{}", account.email);
        let mut allowed = Vec::new();
        for b in project
            .bindings
            .iter()
            .filter(|b| b.members.contains(&member))
        {
            if b.condition.is_some() {
                notes.push(format!("its binding of `{}` holds a condition nhi cannot say: left out, so it may do less than in the project", b.role));
                continue;
            }
            let Some(permissions) = project
                .roles
                .get(&b.role)
                .and_then(|r| r.included_permissions.clone())
            else {
                notes.push(format!("the permissions of `{}` are not in the exports: give `gcloud iam roles describe {} --format=json` to carry them", b.role, b.role));
                continue;
            };
            let title = project.roles.get(&b.role).and_then(|r| r.title.clone());
            allowed.push(self.action(permissions, &b.role, title.as_deref()));
        }
        if account.disabled {
            notes.push("it is disabled: imported suspended, denied everything".to_owned());
        }
        let purpose = account
            .description
            .clone()
            .or_else(|| account.display_name.clone());
        let owner = super::owner_team(&mut self.teams, None);
        let doc = IdentityDoc {
            agent: name.clone(),
            kind: if auth.method == "oidc" {
                "pipeline"
            } else {
                "workload"
            },
            owner,
            purpose: purpose.filter(|p| !p.trim().is_empty()),
            identity_type: if auth.method == "oidc" {
                "workload_identity"
            } else {
                "service_account"
            },
            auth,
            targets: vec!["gcp"],
            existing: vec!["gcp"],
            known_as: None,
            state: account.disabled.then_some("suspended"),
            expires: None,
            allowed_actions: allowed,
            forbidden_actions: Vec::new(),
            context: None,
            labels: BTreeMap::new(),
        };
        if name != id {
            notes.push(format!("its account id `{id}` is not a name nhi gives an identity: rendered, it is `{name}`"));
        }
        let text = identity_file(&doc, &format!("service account {}", account.email), &notes);
        out.files
            .insert(format!("{IDENTITIES_DIR}/{name}.yaml"), text);
        out.identities.push(name.clone());
        out.notes.insert(name, notes);
    }

    /// How an account is reached: a pool principal, a key, or neither.
    fn auth(
        &mut self,
        project: &Project,
        account: &ServiceAccount,
        id: &str,
        notes: &mut Vec<String>,
    ) -> AuthDoc {
        let keys: Vec<&Key> = project
            .keys
            .iter()
            .filter(|k| {
                k.key_type == "USER_MANAGED"
                    && k.name
                        .contains(&format!("/serviceAccounts/{}/", account.email))
            })
            .collect();
        for k in &keys {
            notes.push(format!(
                "it has a user-managed key valid from {} until {}: a static credential",
                k.valid_after_time.as_deref().unwrap_or("?"),
                k.valid_before_time.as_deref().unwrap_or("?")
            ));
        }
        let principals: Vec<&str> = project
            .account_policies
            .get(id)
            .into_iter()
            .flatten()
            .filter(|b| b.role == WORKLOAD_IDENTITY_USER)
            .flat_map(|b| b.members.iter())
            .filter_map(|m| m.strip_prefix("principal://iam.googleapis.com/"))
            .collect();
        if let Some(principal) = principals.first() {
            // projects/NUMBER/locations/global/workloadIdentityPools/POOL/subject/SUBJECT
            let parts: Vec<&str> = principal.splitn(8, '/').collect();
            if let [_, number, _, _, _, pool, "subject", subject] = parts.as_slice() {
                self.pool
                    .get_or_insert(((*number).to_owned(), (*pool).to_owned()));
                let issuer = project
                    .providers
                    .iter()
                    .find(|p| p.name.contains(&format!("/workloadIdentityPools/{pool}/")))
                    .and_then(|p| p.oidc.as_ref())
                    .map(|o| o.issuer_uri.clone());
                if principals.len() > 1 {
                    notes.push(format!(
                        "{} pool principals may act as it: only the first is kept",
                        principals.len()
                    ));
                }
                if !keys.is_empty() {
                    notes.push(
                        "it is federated too: delete the key once the federation is in use"
                            .to_owned(),
                    );
                }
                return AuthDoc {
                    method: "oidc",
                    issuer,
                    subject: Some((*subject).to_owned()),
                    audience: None,
                    client_id: None,
                };
            }
        }
        let method = if keys.is_empty() {
            "attested"
        } else {
            "api_key"
        };
        AuthDoc {
            method,
            issuer: None,
            subject: None,
            audience: None,
            client_id: None,
        }
    }

    fn action(&mut self, mut permissions: Vec<String>, role: &str, title: Option<&str>) -> String {
        permissions.sort();
        permissions.dedup();
        if let Some(n) = self.actions.get(&permissions) {
            return n.clone();
        }
        let base = role.rsplit('/').next().unwrap_or(role);
        let name = self.action_names.action(base);
        let description = match title {
            Some(t) => format!("Imported from role `{role}` ({t})"),
            None => format!("Imported from role `{role}`"),
        };
        self.catalogue.insert(
            name.clone(),
            ActionDoc {
                description,
                gcp: GcpDoc {
                    permissions: permissions.clone(),
                },
            },
        );
        self.actions.insert(permissions, name.clone());
        name
    }

    fn finish(mut self, project: &Project, mut out: Imported) -> Imported {
        let projects: BTreeSet<&str> = project
            .accounts
            .iter()
            .map(|a| a.project_id.as_str())
            .filter(|p| !p.is_empty())
            .collect();
        let number = self.pool.as_ref().map(|(n, _)| n.clone()).or_else(|| {
            // the Compute Engine default account is named after the project number
            project
                .accounts
                .iter()
                .find_map(|a| {
                    a.email
                        .strip_suffix("-compute@developer.gserviceaccount.com")
                })
                .map(str::to_owned)
        });
        super::write_workspace(
            &mut out,
            "gcp",
            std::mem::take(&mut self.teams),
            TargetsDoc {
                gcp: GcpTargetDoc {
                    project: projects
                        .iter()
                        .next()
                        .map_or_else(|| "unknown-project".to_owned(), |p| (*p).to_owned()),
                    project_number: number,
                    workload_identity_pool: self.pool.as_ref().map(|(_, p)| p.clone()),
                },
            },
            std::mem::take(&mut self.catalogue),
            "the permissions of the roles bound to the imported service accounts",
        );
        out
    }
}
