//! The Google Cloud target: per identity that Google Cloud must grant, a
//! service account, a custom role holding exactly the mapped permissions,
//! the project binding of one to the other, the workload identity
//! federation binding that lets its issuer and subject act as the service
//! account, and an IAM deny policy for its forbidden and guardrail
//! permissions. Native JSON under `gcp/NAME/` and `gcp/main.tf.json`.
//!
//! Service accounts carry no labels, so what the other clouds put in tags
//! (owner, review date, source file) goes into the description. Deny
//! policies take only the permissions Google lists as supported for them;
//! the API refuses others when the policy is applied.
//!
//! A suspended identity keeps its objects: its service account is
//! disabled (Google then rejects the tokens it holds and issues no new
//! ones, whatever it is granted) and its custom role's stage is
//! `DISABLED` (the role's bindings grant nothing). A deny policy cannot
//! say "everything": Google takes wildcards per service only, and refuses
//! a policy naming a service that deny policies do not support.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analyse::federation::{self, Cloud, GcpTrust};
use crate::analyse::{self, Analysis, enforce};
use crate::model::{AuthMethod, GcpTarget, Identity, Model, Platform, time_text};
use crate::source::SourceDb;
use crate::vocabulary::gcp::{self, account_id, deny_permission, numbered_role_id, role_id};

use super::{Artifact, Artifacts, tags};

pub mod module;

/// The role granting workload identity federation on a service account.
pub const WORKLOAD_IDENTITY_USER: &str = "roles/iam.workloadIdentityUser";

/// One identity in Google Cloud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The identity's name.
    pub name: String,
    /// Its service account's id.
    pub account_id: String,
    /// Its service account's email.
    pub email: String,
    role_id: String,
    /// Its service account's description.
    pub description: String,
    /// What its first role grants, bound without a condition.
    permissions: BTreeSet<String>,
    /// Its other roles, each bound under a condition.
    conditional: Vec<Conditional>,
    denied: BTreeSet<String>,
    /// How it is reached.
    pub trust: GcpTrust,
    /// Whether its service account is disabled.
    pub disabled: bool,
    /// Whether its service account exists already, to be imported.
    existing: bool,
    /// The OIDC issuer it comes through the pool from, and its subjects.
    issuer: Option<(String, Vec<String>)>,
}

/// A custom role bound under an IAM condition: the permissions a `where`
/// narrows to the resources it names.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Conditional {
    permissions: BTreeSet<String>,
    condition: Condition,
}

/// An IAM condition on a role binding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// Its title.
    pub title: String,
    /// Its description.
    pub description: String,
    /// Its CEL expression.
    pub expression: String,
}

/// Render the Google Cloud target: every identity that lands in Google
/// Cloud.
#[must_use]
pub fn render(model: &Model, analysis: &Analysis, db: &SourceDb, target: &GcpTarget) -> Artifacts {
    let mut out = Artifacts::new();
    let all = accounts(model, analysis, db, target);
    for r in &all {
        files(r, target, &mut out);
    }
    out.extend(module::render(&all, target));
    out
}

/// Every identity that lands in Google Cloud, as it is rendered there.
#[must_use]
pub fn accounts(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    target: &GcpTarget,
) -> Vec<Rendered> {
    analysis
        .landing(model, Cloud::Gcp)
        // a workspace that checked clean can federate every identity it needs
        .filter_map(|identity| {
            let trust = federation::gcp(model, identity).ok()?;
            Some(rendered(model, analysis, db, identity, trust, target))
        })
        .collect()
}

/// What an identity's allowed actions grant in Google Cloud: the
/// permissions granted on every resource, and per condition those granted
/// only on the resources a `where` names (with the actions and names the
/// condition stands for).
type Grants = (
    BTreeSet<String>,
    BTreeMap<String, (BTreeSet<String>, BTreeSet<String>, String)>,
);

fn grants(model: &Model, identity: &Identity, project: &str) -> Grants {
    let mut everywhere = BTreeSet::new();
    let mut narrowed: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>, String)> =
        BTreeMap::new();
    let catalogue = model.settings.actions.as_ref();
    for grant in &identity.allowed {
        let Some(action) = catalogue.and_then(|c| c.get(&grant.action.value)) else {
            continue;
        };
        let Some(mapping) = &action.gcp else {
            continue;
        };
        let plan = enforce::plan(model, identity, grant, action, Platform::Gcp);
        if !plan.granted {
            continue;
        }
        let window = window_of(&plan.window);
        let mut permissions: Vec<String> = mapping
            .permissions
            .iter()
            .map(|p| p.value.clone())
            .collect();
        if let (Some(names), Some(resource), Some(key)) =
            (&plan.names, &mapping.resource, &mapping.names)
        {
            let kind = &resource.kind.value;
            let full: Vec<String> = names
                .iter()
                .map(|n| gcp::resource_name(&resource.name.value, project, n))
                .collect();
            let mut expression = gcp::condition(kind, &full);
            let mut what = format!("{} {}", key.value, names.join(", "));
            if let Some((time, when)) = &window {
                expression = format!("{expression} && {time}");
                what = format!("{what}, {when}");
            }
            let entry = narrowed
                .entry(expression)
                .or_insert_with(|| (BTreeSet::new(), BTreeSet::new(), what));
            entry.1.insert(grant.action.value.clone());
            let (named, unnamed): (Vec<String>, Vec<String>) =
                permissions.into_iter().partition(|p| gcp::narrows(kind, p));
            entry.0.extend(named);
            permissions = unnamed;
        }
        match window {
            // what names cannot narrow is still held to the window
            Some((time, when)) if !permissions.is_empty() => {
                let entry = narrowed
                    .entry(time)
                    .or_insert_with(|| (BTreeSet::new(), BTreeSet::new(), when));
                entry.1.insert(grant.action.value.clone());
                entry.0.extend(permissions);
            }
            _ => everywhere.extend(permissions),
        }
    }
    (everywhere, narrowed)
}

/// What a condition holds permissions to, after "only": the resources it
/// names (`on repository web`), or its time window (`until …`).
fn only(what: &str) -> String {
    if what.starts_with("from ") || what.starts_with("until ") {
        what.to_owned()
    } else {
        format!("on {what}")
    }
}

/// A time window as an IAM condition on `request.time`, and in words.
fn window_of(window: &enforce::Window) -> Option<(String, String)> {
    let from = window.from.map(time_text);
    let until = window.until.map(time_text);
    let expression = gcp::time_condition(from.as_deref(), until.as_deref())?;
    let words = [("from", from), ("until", until)]
        .into_iter()
        .filter_map(|(w, t)| t.map(|t| format!("{w} {t}")))
        .collect::<Vec<_>>()
        .join(" ");
    Some((expression, words))
}

fn permissions_of<'a>(
    model: &'a Model,
    actions: impl Iterator<Item = &'a str>,
) -> BTreeSet<String> {
    let catalogue = model.settings.actions.as_ref();
    actions
        .filter_map(|a| catalogue.and_then(|c| c.get(a)))
        .filter_map(|a| a.gcp.as_ref())
        .flat_map(|g| g.permissions.iter().map(|p| p.value.clone()))
        .collect()
}

/// The description: the purpose, then what the other clouds tag.
fn description(identity: &Identity, analysis: &Analysis, db: &SourceDb) -> String {
    let mut parts = Vec::new();
    // first, so that no cut to Google's length loses it
    if analysis.suspended(identity) {
        parts.push("suspended".to_owned());
    }
    parts.push(tags::description(identity));
    parts.push(format!("owner {}", identity.owner.value));
    if let Some(due) = tags::review_due(identity) {
        parts.push(format!("review due {due}"));
    }
    if let Some(e) = &identity.expires {
        parts.push(format!("expires {}", e.value));
    }
    parts.push(format!("nhi: {}", db.display_path(identity.file)));
    let text: String = parts.join("; ");
    text.chars().take(256).collect()
}

fn rendered(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    identity: &Identity,
    trust: GcpTrust,
    target: &GcpTarget,
) -> Rendered {
    let name = identity.name.value.to_string();
    let account_id = account_id(&name);
    let (allowed, narrowed) = grants(model, identity, &target.project.value);
    let forbidden = permissions_of(model, analyse::forbidden(model, identity));
    // forbidden always wins: a denied permission is never granted
    let permissions: BTreeSet<String> = allowed.difference(&forbidden).cloned().collect();
    let conditional = narrowed
        .into_iter()
        .filter_map(|(expression, (granted, actions, what))| {
            let permissions: BTreeSet<String> = granted
                .into_iter()
                .filter(|p| !forbidden.contains(p) && !permissions.contains(p))
                .collect();
            let actions: Vec<String> = actions.into_iter().collect();
            (!permissions.is_empty()).then(|| Conditional {
                permissions,
                condition: Condition {
                    title: what.chars().take(100).collect(),
                    description: format!("{} of {name}, only {}", actions.join(", "), only(&what))
                        .chars()
                        .take(256)
                        .collect(),
                    expression,
                },
            })
        })
        .collect();
    Rendered {
        email: format!(
            "{account_id}@{}.iam.gserviceaccount.com",
            target.project.value
        ),
        role_id: role_id(&name),
        description: description(identity, analysis, db),
        permissions,
        conditional,
        denied: forbidden.iter().map(|p| deny_permission(p)).collect(),
        disabled: analysis.suspended(identity),
        existing: identity.existing.iter().any(|p| p.value == Platform::Gcp),
        issuer: pool_issuer(model, identity, &trust),
        trust,
        account_id,
        name,
    }
}

/// The OIDC issuer and subjects of an identity that comes through the
/// workload identity pool (not GKE's own workload identity, not a
/// certificate).
fn pool_issuer(
    model: &Model,
    identity: &Identity,
    trust: &GcpTrust,
) -> Option<(String, Vec<String>)> {
    let GcpTrust::Pool { members } = trust else {
        return None;
    };
    let through_pool = members.iter().all(|m| m.starts_with("principal://"));
    let oidc = matches!(
        identity.auth.method.value,
        AuthMethod::Oidc | AuthMethod::OauthClientCredentials
    );
    (through_pool && oidc)
        .then(|| federation::oidc_subjects(model, identity).ok())
        .flatten()
}

/// A custom role's launch stage: `DISABLED` for a suspended identity, so
/// that its binding grants nothing even where the service account is
/// not yet disabled.
const fn stage(r: &Rendered) -> &'static str {
    if r.disabled { "DISABLED" } else { "GA" }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceAccountBody<'a> {
    account_id: &'a str,
    service_account: ServiceAccount<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceAccount<'a> {
    display_name: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    disabled: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Role<'a> {
    title: String,
    description: &'a str,
    stage: &'static str,
    included_permissions: &'a BTreeSet<String>,
}

#[derive(Serialize)]
struct Binding {
    role: String,
    members: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition: Option<Condition>,
}

#[derive(Serialize)]
struct Policy {
    bindings: Vec<Binding>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DenyPolicy<'a> {
    display_name: String,
    rules: Vec<DenyRuleWrapper<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DenyRuleWrapper<'a> {
    deny_rule: DenyRule<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DenyRule<'a> {
    denied_principals: Vec<String>,
    denied_permissions: &'a BTreeSet<String>,
}

/// An identity's custom roles, numbered from 1: its id, its permissions,
/// and the condition its binding holds (none for the first).
#[must_use]
pub fn roles(r: &Rendered) -> Vec<(usize, String, &BTreeSet<String>, Option<&Condition>)> {
    let mut out = vec![(1, r.role_id.clone(), &r.permissions, None)];
    for (i, c) in r.conditional.iter().enumerate() {
        let n = i + 2;
        out.push((
            n,
            numbered_role_id(&r.name, n),
            &c.permissions,
            Some(&c.condition),
        ));
    }
    out
}

fn principal(email: &str) -> String {
    format!("principal://iam.googleapis.com/projects/-/serviceAccounts/{email}")
}

fn files(r: &Rendered, target: &GcpTarget, out: &mut Artifacts) {
    let dir = format!("gcp/{}", r.name);
    let source = Some(r.name.clone());
    let mut add = |file: &str, text: String| {
        out.insert(Artifact::new(
            &format!("{dir}/{file}"),
            text,
            source.clone(),
        ));
    };
    add(
        "service-account.json",
        super::json_file(&ServiceAccountBody {
            account_id: &r.account_id,
            service_account: ServiceAccount {
                display_name: &r.name,
                description: &r.description,
                disabled: r.disabled,
            },
        }),
    );
    for (n, id, permissions, condition) in roles(r) {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        add(
            &format!("role{suffix}.json"),
            super::json_file(&Role {
                title: format!("nhi {}{}", r.name, suffix),
                description: &r.description,
                stage: stage(r),
                included_permissions: permissions,
            }),
        );
        add(
            &format!("project-binding{suffix}.json"),
            super::json_file(&Binding {
                role: format!("projects/{}/roles/{id}", target.project.value),
                members: vec![format!("serviceAccount:{}", r.email)],
                condition: condition.cloned(),
            }),
        );
    }
    if let GcpTrust::Pool { members } = &r.trust {
        add(
            "service-account-policy.json",
            super::json_file(&Policy {
                bindings: vec![Binding {
                    role: WORKLOAD_IDENTITY_USER.to_owned(),
                    members: members.clone(),
                    condition: None,
                }],
            }),
        );
    }
    if !r.denied.is_empty() {
        add(
            "deny-policy.json",
            super::json_file(&DenyPolicy {
                display_name: format!("nhi {} forbidden", r.name),
                rules: vec![DenyRuleWrapper {
                    deny_rule: DenyRule {
                        denied_principals: vec![principal(&r.email)],
                        denied_permissions: &r.denied,
                    },
                }],
            }),
        );
    }
}
