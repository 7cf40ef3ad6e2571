//! The AWS target's Terraform: a module, `aws/main.tf.json` (the account,
//! name prefix, tags and prerequisites as variables; the roles, users and
//! prerequisites as resources; every principal an output; no provider),
//! and a root, `terraform/aws/main.tf.json`, that configures the provider
//! from the workspace, calls the module and imports the roles and users
//! that exist already.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::super::terraform::{self, Import, Outputs, Variables};
use super::{PATH, POLICY_NAME, PolicyDocument, Rendered, Statement, guardrail_denies};
use crate::analyse::federation::issuer_host;
use crate::model::{AwsPrerequisite, AwsTarget, Model};
use crate::render::{Artifact, Artifacts, RenderError};

/// Where the module and the root go: the provider is the 5.x of the
/// offline mirror and the current 6.x.
const LAYOUT: terraform::Layout = terraform::Layout {
    module: "aws/main.tf.json",
    root: "terraform/aws/main.tf.json",
    source: "../../aws",
    // 5.72.1: the last of the `*_exclusive` resources that keep each
    // role's and user's policies to the one nhi renders
    providers: &[("aws", "hashicorp/aws", ">= 5.72.1, < 7.0")],
};
/// The name of the permissions boundary nhi renders, after the prefix.
pub const BOUNDARY: &str = "nhi-boundary";
/// The boundary's native JSON, when the workspace manages it.
pub const BOUNDARY_FILE: &str = "aws/permissions-boundary.json";
const BOUNDARY_DESCRIPTION: &str =
    "What nhi's roles and users may do at most: the workspace's grants, minus its guardrails";
/// The most characters (whitespace aside) IAM allows in a managed policy.
pub const MAX_MANAGED_POLICY_CHARS: usize = 6_144;

/// The Terraform resources of the AWS target.
#[derive(Debug, Default, Serialize)]
struct Resources {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_eks_access_entry: BTreeMap<String, AccessEntry>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_iam_openid_connect_provider: BTreeMap<&'static str, OidcProvider>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_iam_policy: BTreeMap<&'static str, ManagedPolicy>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_iam_role: BTreeMap<String, IamRole>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_iam_role_policies_exclusive: BTreeMap<String, RolePoliciesExclusive>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_iam_role_policy: BTreeMap<String, IamRolePolicy>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_iam_role_policy_attachments_exclusive: BTreeMap<String, RoleAttachmentsExclusive>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_iam_user: BTreeMap<String, IamUser>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_iam_user_policies_exclusive: BTreeMap<String, UserPoliciesExclusive>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_iam_user_policy: BTreeMap<String, IamUserPolicy>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_iam_user_policy_attachments_exclusive: BTreeMap<String, UserAttachmentsExclusive>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_rolesanywhere_profile: BTreeMap<&'static str, Profile>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    aws_rolesanywhere_trust_anchor: BTreeMap<&'static str, TrustAnchor>,
}

/// The IAM Roles Anywhere trust anchor: the CA the workloads'
/// certificates chain to.
#[derive(Debug, Serialize)]
struct TrustAnchor {
    count: &'static str,
    name: &'static str,
    enabled: bool,
    source: Vec<AnchorSource>,
    tags: &'static str,
    lifecycle: Lifecycle,
}

#[derive(Debug, Serialize)]
struct AnchorSource {
    source_type: &'static str,
    source_data: Vec<AnchorData>,
}

#[derive(Debug, Serialize)]
struct AnchorData {
    x509_certificate_data: &'static str,
}

#[derive(Debug, Serialize)]
struct Lifecycle {
    precondition: Vec<Precondition>,
}

#[derive(Debug, Serialize)]
struct Precondition {
    condition: &'static str,
    error_message: &'static str,
}

/// The IAM Roles Anywhere profile of the roles the anchor serves.
#[derive(Debug, Serialize)]
struct Profile {
    count: &'static str,
    name: &'static str,
    enabled: bool,
    role_arns: Vec<String>,
    tags: &'static str,
}

#[derive(Debug, Serialize)]
struct AccessEntry {
    count: &'static str,
    cluster_name: String,
    principal_arn: String,
    kubernetes_groups: Vec<String>,
    #[serde(rename = "type")]
    ty: &'static str,
}

#[derive(Debug, Serialize)]
struct OidcProvider {
    for_each: &'static str,
    url: &'static str,
    client_id_list: &'static str,
    tags: &'static str,
}

#[derive(Debug, Serialize)]
struct ManagedPolicy {
    count: &'static str,
    name: String,
    path: &'static str,
    description: &'static str,
    policy: String,
    tags: &'static str,
}

#[derive(Debug, Serialize)]
struct IamRole {
    name: String,
    path: String,
    description: String,
    assume_role_policy: String,
    max_session_duration: u64,
    permissions_boundary: &'static str,
    tags: String,
}

#[derive(Debug, Serialize)]
struct IamRolePolicy {
    name: &'static str,
    role: String,
    policy: String,
}

#[derive(Debug, Serialize)]
struct IamUser {
    name: String,
    path: String,
    permissions_boundary: &'static str,
    tags: String,
}

#[derive(Debug, Serialize)]
struct IamUserPolicy {
    name: &'static str,
    user: String,
    policy: String,
}

/// The inline policies a role keeps: nhi's only. Any other, put there by
/// hand or before the role was adopted, is deleted on apply.
#[derive(Debug, Serialize)]
struct RolePoliciesExclusive {
    role_name: String,
    policy_names: Vec<String>,
}

/// The managed policies attached to a role: none; any attached by hand is
/// detached on apply.
#[derive(Debug, Serialize)]
struct RoleAttachmentsExclusive {
    role_name: String,
    policy_arns: [String; 0],
}

/// The inline policies a user keeps: nhi's only.
#[derive(Debug, Serialize)]
struct UserPoliciesExclusive {
    user_name: String,
    policy_names: Vec<String>,
}

/// The managed policies attached to a user: none.
#[derive(Debug, Serialize)]
struct UserAttachmentsExclusive {
    user_name: String,
    policy_arns: [String; 0],
}

/// The module's locals: each identity's own tags, the OIDC providers and
/// the ARNs of the prerequisites, managed or given.
#[derive(Debug, Default, Serialize)]
struct Locals {
    tags: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    oidc_providers: BTreeMap<String, OidcLocal>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    oidc_provider_arns: BTreeMap<String, String>,
    permissions_boundary_arn: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles_anywhere_trust_anchor_arn: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct OidcLocal {
    url: String,
    client_ids: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Provider {
    region: String,
}

/// The expression of the Roles Anywhere trust anchor's ARN, managed or
/// given.
const ANCHOR_ARN: &str = "${var.manage_roles_anywhere ? aws_rolesanywhere_trust_anchor.nhi[0].arn : var.roles_anywhere_trust_anchor_arn}";
const ANCHOR_COUNT: &str = "${var.manage_roles_anywhere ? 1 : 0}";

/// The expression of the boundary's ARN, managed or given.
const BOUNDARY_ARN: &str = "${var.manage_permissions_boundary ? aws_iam_policy.permissions_boundary[0].arn : var.permissions_boundary_arn}";

/// The module and the root of the AWS target.
///
/// # Errors
///
/// When the permissions boundary is larger than IAM accepts.
pub fn render(
    model: &Model,
    roles: &[Rendered],
    target: &AwsTarget,
) -> Result<Artifacts, RenderError> {
    let mut resources = Resources::default();
    let mut locals = Locals {
        permissions_boundary_arn: BOUNDARY_ARN,
        ..Locals::default()
    };
    oidc_providers(roles, target, &mut resources, &mut locals);
    let boundary = boundary(model, roles)?;
    resources.aws_iam_policy.insert(
        "permissions_boundary",
        ManagedPolicy {
            count: "${var.manage_permissions_boundary ? 1 : 0}",
            name: format!("${{var.name_prefix}}{BOUNDARY}"),
            path: PATH,
            description: BOUNDARY_DESCRIPTION,
            policy: terraform::literal(&serde_json::to_string(&boundary).unwrap_or_default()),
            tags: "${var.tags}",
        },
    );
    for r in roles {
        principal(r, &mut resources, &mut locals);
    }
    let anywhere = roles_anywhere(target, roles, &mut resources, &mut locals);
    let oidc = !locals.oidc_providers.is_empty();
    let outputs = outputs(&resources, oidc, anywhere);
    let variables = variables(target, &resources, oidc, anywhere);
    let mut out = Artifacts::new();
    if target.manages(AwsPrerequisite::PermissionsBoundary) {
        out.insert(Artifact::new(
            BOUNDARY_FILE,
            crate::render::json_file(&boundary),
            None,
        ));
    }
    let provider = target.region.as_ref().map(|r| Provider {
        region: terraform::literal(&r.value),
    });
    out.extend(terraform::module_and_root(
        &LAYOUT,
        terraform::Parts {
            variables,
            locals: &locals,
            resources: &resources,
            outputs,
        },
        provider,
        imports(roles, target),
    ));
    Ok(out)
}

/// The IAM Roles Anywhere trust anchor and the profile of the roles that
/// trust it, created when the module manages them; whether the workspace
/// has anything to do with Roles Anywhere.
fn roles_anywhere(
    target: &AwsTarget,
    roles: &[Rendered],
    resources: &mut Resources,
    locals: &mut Locals,
) -> bool {
    let served: Vec<String> = roles
        .iter()
        .filter(|r| {
            r.trust.as_ref().is_some_and(|t| {
                t.statement
                    .iter()
                    .any(|s| s.condition.contains_key("ArnEquals"))
            })
        })
        .map(|r| terraform::reference("aws_iam_role", &terraform::resource_name(&r.name), "arn"))
        .collect();
    if served.is_empty()
        && target.roles_anywhere_trust_anchor.is_none()
        && !target.manages(AwsPrerequisite::RolesAnywhere)
    {
        return false;
    }
    locals.roles_anywhere_trust_anchor_arn = Some(ANCHOR_ARN);
    resources.aws_rolesanywhere_trust_anchor.insert(
        "nhi",
        TrustAnchor {
            count: ANCHOR_COUNT,
            name: "${var.name_prefix}nhi",
            enabled: true,
            source: vec![AnchorSource {
                source_type: "CERTIFICATE_BUNDLE",
                source_data: vec![AnchorData {
                    x509_certificate_data: "${var.roles_anywhere_ca_certificate}",
                }],
            }],
            tags: "${var.tags}",
            lifecycle: Lifecycle {
                precondition: vec![Precondition {
                    condition: "${var.roles_anywhere_ca_certificate != null}",
                    error_message: "The trust anchor needs the CA bundle the workloads' certificates chain to: set roles_anywhere_ca_certificate (PEM).",
                }],
            },
        },
    );
    resources.aws_rolesanywhere_profile.insert(
        "nhi",
        Profile {
            count: ANCHOR_COUNT,
            name: "${var.name_prefix}nhi",
            enabled: true,
            role_arns: served,
            tags: "${var.tags}",
        },
    );
    true
}

/// The OIDC providers of the workspace's issuers, each trusted for the
/// audiences its roles accept, created when the module manages them.
fn oidc_providers(
    roles: &[Rendered],
    target: &AwsTarget,
    resources: &mut Resources,
    locals: &mut Locals,
) {
    let mut audiences: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for trust in roles.iter().filter_map(|r| r.trust.as_ref()) {
        for s in &trust.statement {
            if let Some(arn) = s.principal.as_ref().and_then(|p| p.federated.as_ref())
                && let Some((_, host)) = arn.split_once(":oidc-provider/")
            {
                let auds = s
                    .condition
                    .get("StringEquals")
                    .and_then(|c| c.get(&format!("{host}:aud")))
                    .into_iter()
                    .flatten()
                    .cloned();
                audiences.entry(host.to_owned()).or_default().extend(auds);
            }
        }
    }
    for issuer in &target.oidc_providers {
        let host = issuer_host(&issuer.value).to_owned();
        let mut client_ids: Vec<String> = audiences
            .remove(&host)
            .unwrap_or_default()
            .into_iter()
            .collect();
        if client_ids.is_empty() {
            client_ids.push("sts.amazonaws.com".to_owned());
        }
        // the host is a checked URL's: nothing in it ends an HCL string
        locals.oidc_provider_arns.insert(
            host.clone(),
            format!(
                "${{var.manage_oidc_providers ? aws_iam_openid_connect_provider.nhi[\"{host}\"].arn : \"arn:aws:iam::${{var.account_id}}:oidc-provider/{host}\"}}"
            ),
        );
        locals.oidc_providers.insert(
            host.clone(),
            OidcLocal {
                url: terraform::literal(&format!("https://{host}")),
                client_ids: client_ids.iter().map(|c| terraform::literal(c)).collect(),
            },
        );
    }
    if !locals.oidc_providers.is_empty() {
        resources.aws_iam_openid_connect_provider.insert(
            "nhi",
            OidcProvider {
                for_each: "${{ for host, p in local.oidc_providers : host => p if var.manage_oidc_providers }}",
                url: "${each.value.url}",
                client_id_list: "${each.value.client_ids}",
                tags: "${var.tags}",
            },
        );
    }
}

/// The permissions boundary: every IAM action the workspace's roles and
/// users are allowed, on any resource (per service when the actions do
/// not fit), minus the guardrails.
fn boundary(model: &Model, roles: &[Rendered]) -> Result<PolicyDocument, RenderError> {
    let actions: BTreeSet<&str> = roles
        .iter()
        .flat_map(|r| &r.permissions.statement)
        .filter(|s| s.effect == "Allow")
        .flat_map(|s| &s.action)
        .map(String::as_str)
        .collect();
    let services: BTreeSet<String> = actions
        .iter()
        .map(|a| format!("{}:*", a.split_once(':').map_or(*a, |(svc, _)| svc)))
        .collect();
    let statement = |action: Vec<String>| {
        let mut statement = Vec::new();
        if action.is_empty() {
            statement.push(Statement {
                sid: "NothingGranted".to_owned(),
                effect: "Deny",
                principal: None,
                action: vec!["*".to_owned()],
                resource: Some(vec!["*".to_owned()]),
                condition: BTreeMap::new(),
            });
        } else {
            statement.push(Statement {
                sid: "WorkspaceGrants".to_owned(),
                effect: "Allow",
                principal: None,
                action,
                resource: Some(vec!["*".to_owned()]),
                condition: BTreeMap::new(),
            });
        }
        statement.extend(guardrail_denies(model));
        PolicyDocument {
            version: "2012-10-17",
            statement,
        }
    };
    let size = |doc: &PolicyDocument| serde_json::to_string(doc).map_or(0, |s| s.len());
    let exact = statement(actions.iter().map(|a| (*a).to_owned()).collect());
    if size(&exact) <= MAX_MANAGED_POLICY_CHARS {
        return Ok(exact);
    }
    let by_service = statement(services.into_iter().collect());
    if size(&by_service) <= MAX_MANAGED_POLICY_CHARS {
        return Ok(by_service);
    }
    Err(RenderError::AwsPolicyTooLarge {
        identity: BOUNDARY.to_owned(),
        size: size(&by_service),
        limit: MAX_MANAGED_POLICY_CHARS,
    })
}

/// A trust policy as the module writes it: the OIDC provider's ARN is the
/// provider the module manages or the account's own, the Roles Anywhere
/// trust anchor the one it manages or the one given.
fn trust_text(trust: &PolicyDocument) -> String {
    let mut text = terraform::literal(&serde_json::to_string(trust).unwrap_or_default());
    for s in &trust.statement {
        if let Some(arn) = s.principal.as_ref().and_then(|p| p.federated.as_ref())
            && let Some((_, host)) = arn.split_once(":oidc-provider/")
        {
            text = text.replace(
                &format!("\"{arn}\""),
                &format!("\"${{local.oidc_provider_arns[\"{host}\"]}}\""),
            );
        }
        for anchor in s
            .condition
            .get("ArnEquals")
            .and_then(|c| c.get("aws:SourceArn"))
            .into_iter()
            .flatten()
        {
            text = text.replace(
                &format!("\"{}\"", terraform::literal(anchor)),
                "\"${local.roles_anywhere_trust_anchor_arn}\"",
            );
        }
    }
    text
}

/// One identity's role or user, its inline policy and its access entry.
fn principal(r: &Rendered, resources: &mut Resources, locals: &mut Locals) {
    let key = terraform::resource_name(&r.name);
    // every literal goes in escaped: IAM policy variables (`${aws:username}`)
    // and free text must not read as Terraform interpolation
    let policy = terraform::literal(&serde_json::to_string(&r.permissions).unwrap_or_default());
    locals.tags.insert(
        r.name.clone(),
        r.tags
            .iter()
            .map(|(k, v)| (terraform::literal(k), terraform::literal(v)))
            .collect(),
    );
    // a role that keeps its own name takes no prefix
    let name = r.known_as.as_ref().map_or_else(
        || format!("${{var.name_prefix}}{}", r.name),
        |k| terraform::literal(&k.name),
    );
    let path = terraform::literal(r.path());
    let tags = format!("${{merge(var.tags, local.tags[\"{}\"])}}", r.name);
    let Some(trust) = &r.trust else {
        resources.aws_iam_user.insert(
            key.clone(),
            IamUser {
                name,
                path,
                permissions_boundary: "${local.permissions_boundary_arn}",
                tags,
            },
        );
        resources.aws_iam_user_policy.insert(
            key.clone(),
            IamUserPolicy {
                name: POLICY_NAME,
                user: terraform::reference("aws_iam_user", &key, "name"),
                policy,
            },
        );
        resources.aws_iam_user_policies_exclusive.insert(
            key.clone(),
            UserPoliciesExclusive {
                user_name: terraform::reference("aws_iam_user", &key, "name"),
                policy_names: vec![terraform::reference("aws_iam_user_policy", &key, "name")],
            },
        );
        resources.aws_iam_user_policy_attachments_exclusive.insert(
            key.clone(),
            UserAttachmentsExclusive {
                user_name: terraform::reference("aws_iam_user", &key, "name"),
                policy_arns: [],
            },
        );
        return;
    };
    resources.aws_iam_role.insert(
        key.clone(),
        IamRole {
            name,
            path,
            description: terraform::literal(&r.description),
            assume_role_policy: trust_text(trust),
            max_session_duration: r.max_session,
            permissions_boundary: "${local.permissions_boundary_arn}",
            tags,
        },
    );
    resources.aws_iam_role_policy.insert(
        key.clone(),
        IamRolePolicy {
            name: POLICY_NAME,
            role: terraform::reference("aws_iam_role", &key, "id"),
            policy,
        },
    );
    resources.aws_iam_role_policies_exclusive.insert(
        key.clone(),
        RolePoliciesExclusive {
            role_name: terraform::reference("aws_iam_role", &key, "name"),
            policy_names: vec![terraform::reference("aws_iam_role_policy", &key, "name")],
        },
    );
    resources.aws_iam_role_policy_attachments_exclusive.insert(
        key.clone(),
        RoleAttachmentsExclusive {
            role_name: terraform::reference("aws_iam_role", &key, "name"),
            policy_arns: [],
        },
    );
    if let Some((cluster, group)) = &r.access_entry {
        resources.aws_eks_access_entry.insert(
            key.clone(),
            AccessEntry {
                count: "${var.manage_eks_access_entries ? 1 : 0}",
                cluster_name: terraform::literal(cluster),
                principal_arn: terraform::reference("aws_iam_role", &key, "arn"),
                kubernetes_groups: vec![terraform::literal(group)],
                ty: "STANDARD",
            },
        );
    }
}

/// The module's inputs, each defaulting to what the workspace says.
fn variables(target: &AwsTarget, resources: &Resources, oidc: bool, anywhere: bool) -> Variables {
    let mut v = Variables::new();
    terraform::variable(
        &mut v,
        "account_id",
        "string",
        "the AWS account the roles are created in (OIDC provider ARNs name it)",
        target.account_id.value.clone(),
    );
    terraform::variable(
        &mut v,
        "name_prefix",
        "string",
        "put before the name of every role, user and policy",
        target.prefix().to_owned(),
    );
    terraform::variable(
        &mut v,
        "tags",
        "map(string)",
        "tags on every resource, beside each identity's own (which win)",
        Value::Object(serde_json::Map::new()),
    );
    terraform::variable(
        &mut v,
        "manage_permissions_boundary",
        "bool",
        "create the permissions boundary of every role and user (else use permissions_boundary_arn)",
        target.manages(AwsPrerequisite::PermissionsBoundary),
    );
    terraform::variable(
        &mut v,
        "permissions_boundary_arn",
        "string",
        "the ARN of an existing permissions boundary, when the module does not create one (null: none)",
        target
            .permissions_boundary
            .as_ref()
            .map_or(Value::Null, |b| Value::String(b.value.clone())),
    );
    if oidc {
        terraform::variable(
            &mut v,
            "manage_oidc_providers",
            "bool",
            "create the IAM OIDC identity providers the roles trust (else they must exist in the account)",
            target.manages(AwsPrerequisite::OidcProviders),
        );
    }
    if anywhere {
        terraform::variable(
            &mut v,
            "manage_roles_anywhere",
            "bool",
            "create the IAM Roles Anywhere trust anchor (from roles_anywhere_ca_certificate) and the profile of the roles it serves",
            target.manages(AwsPrerequisite::RolesAnywhere),
        );
        terraform::variable(
            &mut v,
            "roles_anywhere_trust_anchor_arn",
            "string",
            "the IAM Roles Anywhere trust anchor the certificate-bound roles trust, when the module does not create one",
            target
                .roles_anywhere_trust_anchor
                .as_ref()
                .map_or(Value::Null, |a| Value::String(a.value.clone())),
        );
        terraform::variable(
            &mut v,
            "roles_anywhere_ca_certificate",
            "string",
            "the PEM bundle of the CA that issues the workloads' certificates, for the trust anchor the module creates",
            Value::Null,
        );
    }
    if !resources.aws_eks_access_entry.is_empty() {
        terraform::variable(
            &mut v,
            "manage_eks_access_entries",
            "bool",
            "create the EKS access entries that map pipeline roles to Kubernetes groups",
            true,
        );
    }
    v
}

/// What the module gives those who apply it: each principal's ARN, and the
/// prerequisites'.
fn outputs(resources: &Resources, oidc: bool, anywhere: bool) -> Outputs {
    let mut outputs = Outputs::new();
    terraform::output(
        &mut outputs,
        "role_arns",
        "each identity's IAM role ARN, by identity",
        "aws_iam_role",
        "arn",
        resources.aws_iam_role.keys(),
    );
    terraform::output(
        &mut outputs,
        "user_arns",
        "each api_key identity's IAM user ARN, by identity",
        "aws_iam_user",
        "arn",
        resources.aws_iam_user.keys(),
    );
    terraform::output_of(
        &mut outputs,
        "permissions_boundary_arn",
        "the permissions boundary of every role and user (null: none)",
        "${local.permissions_boundary_arn}".to_owned(),
    );
    if anywhere {
        terraform::output_of(
            &mut outputs,
            "roles_anywhere_trust_anchor_arn",
            "the IAM Roles Anywhere trust anchor the certificate-bound roles trust",
            "${local.roles_anywhere_trust_anchor_arn}",
        );
        terraform::output_of(
            &mut outputs,
            "roles_anywhere_profile_arn",
            "the IAM Roles Anywhere profile of those roles, when the module creates it (null otherwise)",
            "${var.manage_roles_anywhere ? aws_rolesanywhere_profile.nhi[0].arn : null}",
        );
    }
    if oidc {
        terraform::output_of(
            &mut outputs,
            "oidc_provider_arns",
            "the IAM OIDC identity provider of each issuer, by issuer host",
            "${local.oidc_provider_arns}".to_owned(),
        );
    }
    outputs
}

/// The roles and users that exist already, adopted by the root.
fn imports(roles: &[Rendered], target: &AwsTarget) -> Vec<Import> {
    roles
        .iter()
        .filter(|r| r.existing)
        .map(|r| {
            let ty = if r.trust.is_some() {
                "aws_iam_role"
            } else {
                "aws_iam_user"
            };
            terraform::import(ty, &r.name, r.iam_name(target))
        })
        .collect()
}
