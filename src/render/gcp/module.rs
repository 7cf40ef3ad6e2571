//! The Google Cloud target's Terraform: a module, `gcp/main.tf.json` (the
//! project, its number and the workload identity pool as variables; every
//! service account an output; no provider), and a root,
//! `terraform/gcp/main.tf.json`, that configures the provider, calls it and
//! imports the service accounts that exist already.
//!
//! A custom role's id ends in a random suffix drawn when the role is first
//! created: Google keeps a deleted role's id for 37 days, so an identity
//! revoked and reinstated within them would otherwise find its role id
//! taken.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::super::terraform::{self, Outputs, Variables};
use super::{Condition, GcpTrust, Rendered, WORKLOAD_IDENTITY_USER, principal, roles, stage};
use crate::analyse::federation::issuer_host;
use crate::model::{GcpPrerequisite, GcpTarget};
use crate::render::Artifacts;
use crate::vocabulary::gcp::provider_id;

/// Where the module and the root go: google 7 and the current 8, and the
/// random provider for the custom roles' id suffixes.
const LAYOUT: terraform::Layout = terraform::Layout {
    module: "gcp/main.tf.json",
    root: "terraform/gcp/main.tf.json",
    source: "../../gcp",
    providers: &[
        ("google", "hashicorp/google", ">= 7.0, < 9.0"),
        ("random", "hashicorp/random", ">= 3.0, < 4.0"),
    ],
};
/// The longest id before a role's random suffix (`_` and six hex digits)
/// and its number (`.N`), within Google's 64.
const ROLE_ID_STEM: usize = 54;

#[derive(Debug, Default, Serialize)]
struct Resources {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    random_id: BTreeMap<String, TfRandomId>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    google_iam_workload_identity_pool: BTreeMap<&'static str, TfPool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    google_iam_workload_identity_pool_provider: BTreeMap<String, TfPoolProvider>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    google_service_account: BTreeMap<String, TfServiceAccount>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    google_project_iam_custom_role: BTreeMap<String, TfCustomRole>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    google_project_iam_member: BTreeMap<String, TfProjectMember>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    google_service_account_iam_binding: BTreeMap<String, TfAccountBinding>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    google_iam_deny_policy: BTreeMap<String, TfDenyPolicy>,
}

/// The workload identity pool, when the module manages it.
#[derive(Debug, Serialize)]
struct TfPool {
    count: &'static str,
    project: &'static str,
    workload_identity_pool_id: &'static str,
    description: &'static str,
}

/// An OIDC provider of the pool: one issuer, only the subjects the
/// workspace federates from it.
#[derive(Debug, Serialize)]
struct TfPoolProvider {
    count: &'static str,
    project: &'static str,
    workload_identity_pool_id: &'static str,
    workload_identity_pool_provider_id: String,
    description: String,
    attribute_mapping: BTreeMap<&'static str, &'static str>,
    attribute_condition: String,
    oidc: Vec<TfOidc>,
}

#[derive(Debug, Serialize)]
struct TfOidc {
    issuer_uri: String,
}

/// The random suffix of an identity's custom role ids, drawn once.
#[derive(Debug, Serialize)]
struct TfRandomId {
    byte_length: u8,
}

#[derive(Debug, Serialize)]
struct TfServiceAccount {
    project: String,
    account_id: String,
    display_name: String,
    description: String,
    disabled: bool,
}

#[derive(Debug, Serialize)]
struct TfCustomRole {
    project: String,
    role_id: String,
    title: String,
    description: String,
    stage: &'static str,
    permissions: Vec<String>,
}

#[derive(Debug, Serialize)]
struct TfProjectMember {
    project: String,
    role: String,
    member: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    condition: Vec<Condition>,
}

#[derive(Debug, Serialize)]
struct TfAccountBinding {
    service_account_id: String,
    role: &'static str,
    members: Vec<String>,
}

#[derive(Debug, Serialize)]
struct TfDenyPolicy {
    parent: String,
    name: String,
    display_name: String,
    rules: Vec<TfDenyRules>,
}

#[derive(Debug, Serialize)]
struct TfDenyRules {
    deny_rule: Vec<TfDenyRule>,
}

#[derive(Debug, Serialize)]
struct TfDenyRule {
    denied_principals: Vec<String>,
    denied_permissions: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Provider {
    project: String,
}

/// The project's own names in a literal, as the module's variables: the
/// project in resource names and GKE members, its number and pool in
/// workload identity principals.
fn variables_in(text: &str, target: &GcpTarget) -> String {
    let project = &target.project.value;
    let mut out = terraform::literal(text)
        .replace(&format!("projects/{project}/"), "projects/${var.project}/")
        .replace(
            &format!(":{project}.svc.id.goog["),
            ":${var.project}.svc.id.goog[",
        );
    if let (Some(number), Some(pool)) = (&target.project_number, &target.workload_identity_pool) {
        out = out.replace(
            &format!(
                "projects/{}/locations/global/workloadIdentityPools/{}/",
                number.value, pool.value
            ),
            "projects/${var.project_number}/locations/global/workloadIdentityPools/${var.workload_identity_pool}/",
        );
    }
    out
}

/// An identity's custom roles and their bindings, in Terraform.
fn roles_tf(res: &mut Resources, r: &Rendered, key: &str, target: &GcpTarget) {
    let lit = terraform::literal;
    let mut stem = lit(&r.role_id);
    stem.truncate(ROLE_ID_STEM);
    res.random_id
        .insert(key.to_owned(), TfRandomId { byte_length: 3 });
    for (n, _, permissions, condition) in roles(r) {
        let (role_key, suffix, number) = if n == 1 {
            (key.to_owned(), String::new(), String::new())
        } else {
            (format!("{key}_{n}"), format!("-{n}"), format!(".{n}"))
        };
        res.google_project_iam_custom_role.insert(
            role_key.clone(),
            TfCustomRole {
                project: "${var.project}".to_owned(),
                role_id: format!("{stem}_${{random_id.{key}.hex}}{number}"),
                title: format!("nhi {}{suffix}", r.name),
                description: lit(&r.description),
                stage: stage(r),
                permissions: permissions.iter().map(|p| lit(p)).collect(),
            },
        );
        res.google_project_iam_member.insert(
            role_key.clone(),
            TfProjectMember {
                project: "${var.project}".to_owned(),
                role: terraform::reference("google_project_iam_custom_role", &role_key, "name"),
                member: format!(
                    "serviceAccount:{}",
                    terraform::reference("google_service_account", key, "email")
                ),
                condition: condition
                    .map(|c| Condition {
                        title: lit(&c.title),
                        description: lit(&c.description),
                        expression: variables_in(&c.expression, target),
                    })
                    .into_iter()
                    .collect(),
            },
        );
    }
}

/// An identity's service account, its roles, who may act as it, and what
/// it is denied.
fn identity_tf(res: &mut Resources, r: &Rendered, target: &GcpTarget) {
    let lit = terraform::literal;
    let key = terraform::resource_name(&r.name);
    res.google_service_account.insert(
        key.clone(),
        TfServiceAccount {
            project: "${var.project}".to_owned(),
            account_id: r.account_id.clone(),
            display_name: r.name.clone(),
            description: lit(&r.description),
            disabled: r.disabled,
        },
    );
    roles_tf(res, r, &key, target);
    if let GcpTrust::Pool { members } = &r.trust {
        res.google_service_account_iam_binding.insert(
            key.clone(),
            TfAccountBinding {
                service_account_id: terraform::reference("google_service_account", &key, "name"),
                role: WORKLOAD_IDENTITY_USER,
                members: members.iter().map(|m| variables_in(m, target)).collect(),
            },
        );
    }
    if !r.denied.is_empty() {
        res.google_iam_deny_policy.insert(
            key.clone(),
            TfDenyPolicy {
                parent: "cloudresourcemanager.googleapis.com%2Fprojects%2F${var.project}"
                    .to_owned(),
                name: format!("nhi-{}", r.name),
                display_name: format!("nhi {} forbidden", r.name),
                rules: vec![TfDenyRules {
                    deny_rule: vec![TfDenyRule {
                        denied_principals: vec![principal(&terraform::reference(
                            "google_service_account",
                            &key,
                            "email",
                        ))],
                        denied_permissions: r.denied.iter().map(|p| lit(p)).collect(),
                    }],
                }],
            },
        );
    }
}

/// A CEL string literal.
fn cel_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The pool and an OIDC provider per issuer its identities come from,
/// each accepting only the subjects the workspace federates (Google
/// requires a condition for GitHub's and GitLab's issuers; every issuer
/// gets one). Created when the module manages the pool.
fn pool_tf(res: &mut Resources, all: &[Rendered], outputs: &mut Outputs) {
    const COUNT: &str = "${var.manage_workload_identity_pool ? 1 : 0}";
    let mut issuers: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for (issuer, subjects) in all.iter().filter_map(|r| r.issuer.as_ref()) {
        let host = issuer_host(issuer).to_owned();
        let entry = issuers
            .entry(host)
            .or_insert_with(|| (issuer.clone(), BTreeSet::new()));
        entry.1.extend(subjects.iter().cloned());
    }
    res.google_iam_workload_identity_pool.insert(
        "nhi",
        TfPool {
            count: COUNT,
            project: "${var.project}",
            workload_identity_pool_id: "${var.workload_identity_pool}",
            description: "The external identities nhi federates",
        },
    );
    let mut names = BTreeMap::new();
    let mut taken = BTreeSet::new();
    for (host, (issuer, subjects)) in issuers {
        let mut id = provider_id(&host);
        let mut n = 1;
        while !taken.insert(id.clone()) {
            n += 1;
            let mut stem = provider_id(&host);
            stem.truncate(32 - format!("-{n}").len());
            id = format!("{}-{n}", stem.trim_end_matches('-'));
        }
        let accepted: Vec<String> = subjects.iter().map(|s| cel_string(s)).collect();
        names.insert(
            host.clone(),
            format!(
                "projects/${{var.project_number}}/locations/global/workloadIdentityPools/${{var.workload_identity_pool}}/providers/{id}"
            ),
        );
        res.google_iam_workload_identity_pool_provider.insert(
            id.clone(),
            TfPoolProvider {
                count: COUNT,
                project: "${var.project}",
                workload_identity_pool_id: "${google_iam_workload_identity_pool.nhi[0].workload_identity_pool_id}",
                workload_identity_pool_provider_id: id,
                description: terraform::literal(&format!("Tokens of {issuer} for nhi's identities"))
                    .chars()
                    .take(256)
                    .collect(),
                attribute_mapping: BTreeMap::from([("google.subject", "assertion.sub")]),
                attribute_condition: terraform::literal(&format!(
                    "assertion.sub in [{}]",
                    accepted.join(", ")
                )),
                oidc: vec![TfOidc {
                    issuer_uri: terraform::literal(&issuer),
                }],
            },
        );
    }
    if !names.is_empty() {
        terraform::output_of(
            outputs,
            "workload_identity_providers",
            "the pool provider of each issuer, by issuer host: what a workload's credential configuration names",
            serde_json::to_value(&names).unwrap_or_default(),
        );
    }
}

/// The module's inputs, each defaulting to what the workspace says.
fn variables(target: &GcpTarget) -> Variables {
    let mut v = Variables::new();
    terraform::variable(
        &mut v,
        "project",
        "string",
        "the project the service accounts, roles and bindings are created in",
        target.project.value.clone(),
    );
    if let Some(number) = &target.project_number {
        terraform::variable(
            &mut v,
            "project_number",
            "string",
            "the number of the project holding the workload identity pool",
            number.value.clone(),
        );
    }
    if let Some(pool) = &target.workload_identity_pool {
        terraform::variable(
            &mut v,
            "workload_identity_pool",
            "string",
            "the workload identity pool the external identities come through",
            pool.value.clone(),
        );
        terraform::variable(
            &mut v,
            "manage_workload_identity_pool",
            "bool",
            "create the pool and an OIDC provider per issuer, accepting only the workspace's subjects (else they must exist)",
            target.manages(GcpPrerequisite::WorkloadIdentityPool),
        );
    }
    v
}

/// The module and the root of the Google Cloud target.
#[must_use]
pub(super) fn render(all: &[Rendered], target: &GcpTarget) -> Artifacts {
    let mut res = Resources::default();
    for r in all {
        identity_tf(&mut res, r, target);
    }
    let mut outputs = Outputs::new();
    if target.workload_identity_pool.is_some() {
        pool_tf(&mut res, all, &mut outputs);
    }
    terraform::output(
        &mut outputs,
        "service_account_emails",
        "each identity's service account email, by identity",
        "google_service_account",
        "email",
        res.google_service_account.keys(),
    );
    let imports = all
        .iter()
        .filter(|r| r.existing)
        .map(|r| {
            terraform::import(
                "google_service_account",
                &r.name,
                format!(
                    "projects/{}/serviceAccounts/{}",
                    target.project.value, r.email
                ),
            )
        })
        .collect();
    let provider = Provider {
        project: terraform::literal(&target.project.value),
    };
    terraform::module_and_root(
        &LAYOUT,
        terraform::Parts {
            variables: variables(target),
            locals: &BTreeMap::<String, String>::new(),
            resources: &res,
            outputs,
        },
        Some(provider),
        imports,
    )
}
