//! Names that must be safe in the targets before anything is rendered: the
//! Cedar namespace and resource types (bare identifiers in Cedar text), and
//! context keys, which must not collide with the keys delegation uses.

use crate::diag::{Code, Diagnostic, Diagnostics, backticked, printable};
use crate::model::{
    AwsPrerequisite, AwsTarget, AzureTarget, GcpPrerequisite, GcpTarget, Identity, Model, Spanned,
};
use crate::vocabulary::cedar::{NHI_TYPES, is_namespace, is_type_name};
use crate::vocabulary::context::{APPROVED_BY, RESERVED_CONTEXT_KEYS, TIME_KEYS};

/// Run the checks.
pub fn check(model: &Model, out: &mut Diagnostics) {
    if let Some(ns) = &model.settings.targets.cedar_namespace
        && !is_namespace(&ns.value)
    {
        out.push(
            Diagnostic::new(
                Code::InvalidTargetName,
                format!("`{}` is not a Cedar namespace", printable(&ns.value)),
            )
            .primary(ns.loc, "not a namespace")
            .help("write identifiers joined by `::`, such as `Acme` or `Acme::Agents`; each starts with a letter and holds only letters, digits and `_`"),
        );
    }
    for action in model.settings.actions.iter().flat_map(|a| a.values()) {
        for ty in &action.cedar_resource_types {
            resource_type(ty, out);
        }
    }
}

/// The keys of an identity's context and conditions: none a target
/// reserves.
pub fn identity(identity: &Identity, out: &mut Diagnostics) {
    for (key, values) in &identity.context.attributes {
        let loc = values.first().map_or(identity.name.loc, |v| v.loc);
        reserved_key(key, loc, out);
    }
    for grant in &identity.allowed {
        for (key, values) in &grant.conditions {
            let loc = values.first().map_or(grant.action.loc, |v| v.loc);
            reserved_key(key, loc, out);
        }
    }
}

fn resource_type(ty: &Spanned<String>, out: &mut Diagnostics) {
    let name = ty.value.as_str();
    if NHI_TYPES.contains(&name) {
        out.push(
            Diagnostic::new(
                Code::InvalidTargetName,
                format!("resource type `{name}` is a name nhi's Cedar schema uses itself"),
            )
            .primary(ty.loc, "reserved type name")
            .help(format!(
                "rename it (for example `Ci{name}`); {} name the identities, teams and requests in Cedar",
                backticked(NHI_TYPES)
            )),
        );
    } else if !is_type_name(name) {
        out.push(
            Diagnostic::new(
                Code::InvalidTargetName,
                format!("resource type `{}` is not a Cedar type name", printable(name)),
            )
            .primary(ty.loc, "not a Cedar identifier")
            .help("start with a letter and use only letters, digits and `_`, such as `BuildPipeline`; Cedar's own words (`in`, `has`, `String`, …) are reserved"),
        );
    }
}

fn reserved_key(key: &str, loc: crate::source::Loc, out: &mut Diagnostics) {
    if key == APPROVED_BY {
        out.push(
            Diagnostic::new(
                Code::ReservedContextKey,
                format!("context key `{key}` is reserved for approvals"),
            )
            .primary(loc, "reserved key")
            .help("write `approval: TEAM` on the allowed action instead: it requires this key, and every target that cannot check it says so"),
        );
    }
    if TIME_KEYS.contains(&key) {
        out.push(
            Diagnostic::new(
                Code::ReservedContextKey,
                format!("context key `{key}` is reserved for time-boxed grants"),
            )
            .primary(loc, "reserved key")
            .help("`now` is the instant of the request and `approved_at` that of its approval: write `valid_from`, `valid_until` or `valid_for` on the allowed action instead"),
        );
    }
    if RESERVED_CONTEXT_KEYS.contains(&key) {
        out.push(
            Diagnostic::new(
                Code::ReservedContextKey,
                format!("context key `{key}` is reserved for delegation"),
            )
            .primary(loc, "reserved key")
            .help("`delegator` and `delegation_chain` carry the identities a request is made on behalf of; name the attribute differently"),
        );
    }
}

/// The target settings are well formed: ids, regions and URLs have the
/// form their cloud requires.
pub fn check_settings(model: &Model, out: &mut Diagnostics) {
    let t = &model.settings.targets;
    if let Some(aws) = &t.aws {
        aws_settings(aws, out);
    }
    if let Some(gcp) = &t.gcp {
        gcp_settings(gcp, out);
    }
    if let Some(azure) = &t.azure {
        azure_settings(azure, out);
    }
    if let Some(i) = t.kubernetes.as_ref().and_then(|k| k.oidc_issuer.as_ref()) {
        form(
            i,
            is_https_url,
            "an OIDC issuer URL",
            "the cluster's service account issuer: `https://oidc.eks.REGION.amazonaws.com/id/ID`",
            out,
        );
    }
}

fn aws_settings(aws: &AwsTarget, out: &mut Diagnostics) {
    form(
        &aws.account_id,
        |s| s.len() == 12 && digits(s),
        "an AWS account id",
        "12 digits, quoted: `\"123456789012\"`",
        out,
    );
    if let Some(r) = &aws.region {
        form(r, is_region, "an AWS region", "such as `eu-west-1`", out);
    }
    for p in &aws.oidc_providers {
        form(
            p,
            is_https_url,
            "an OIDC issuer URL",
            "the issuer as tokens name it: `https://token.actions.githubusercontent.com`",
            out,
        );
    }
    if let Some(b) = &aws.permissions_boundary {
        form(
            b,
            |s| s.starts_with("arn:aws:iam::") && s.contains(":policy/"),
            "an IAM policy ARN",
            "such as `arn:aws:iam::123456789012:policy/boundary`",
            out,
        );
    }
    if let Some(a) = &aws.roles_anywhere_trust_anchor {
        form(
            a,
            |s| s.starts_with("arn:aws:rolesanywhere:") && s.contains(":trust-anchor/"),
            "an IAM Roles Anywhere trust anchor ARN",
            "such as `arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/ID`",
            out,
        );
    }
    if let Some(p) = &aws.name_prefix {
        form(
            p,
            |s| {
                s.len() <= 32
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
            },
            "an IAM name prefix",
            "up to 32 letters, digits and `+=,.@_-`, such as `ci-`",
            out,
        );
    }
    if let Some(a) = &aws.roles_anywhere_trust_anchor
        && aws.manages(AwsPrerequisite::RolesAnywhere)
    {
        out.push(
            Diagnostic::new(
                Code::InvalidValue,
                "the workspace names an IAM Roles Anywhere trust anchor and also has nhi render one",
            )
            .primary(a.loc, "a trust anchor made elsewhere")
            .help("remove `roles_anywhere_trust_anchor` to use the one nhi renders, or `roles_anywhere` from `manage` to keep this one"),
        );
    }
    if let Some(b) = &aws.permissions_boundary
        && aws.manages(AwsPrerequisite::PermissionsBoundary)
    {
        out.push(
            Diagnostic::new(
                Code::InvalidValue,
                "the workspace names a permissions boundary and also has nhi render one",
            )
            .primary(b.loc, "a boundary made elsewhere")
            .help("remove `permissions_boundary` to use the one nhi renders, or `permissions_boundary` from `manage` to keep this one"),
        );
    }
}

fn gcp_settings(gcp: &GcpTarget, out: &mut Diagnostics) {
    for m in &gcp.manage {
        if m.value == GcpPrerequisite::WorkloadIdentityPool
            && (gcp.workload_identity_pool.is_none() || gcp.project_number.is_none())
        {
            out.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    "nhi is to render the workload identity pool, and the GCP target names no pool or project number",
                )
                .primary(m.loc, "no `workload_identity_pool` or `project_number` to render")
                .help("set `targets.gcp.workload_identity_pool` (its id) and `targets.gcp.project_number`"),
            );
        }
    }
    form(
        &gcp.project,
        is_gcp_project,
        "a Google Cloud project id",
        "6 to 30 lower-case letters, digits and `-`, starting with a letter",
        out,
    );
    if let Some(n) = &gcp.project_number {
        form(
            n,
            digits,
            "a Google Cloud project number",
            "digits only, quoted",
            out,
        );
    }
    if let Some(p) = &gcp.workload_identity_pool {
        form(
            p,
            |s| {
                (4..=32).contains(&s.len())
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            },
            "a workload identity pool id",
            "4 to 32 lower-case letters, digits and `-`",
            out,
        );
    }
}

fn azure_settings(azure: &AzureTarget, out: &mut Diagnostics) {
    for id in [&azure.subscription_id, &azure.tenant_id] {
        form(
            id,
            is_guid,
            "an Azure id",
            "a GUID such as `7d1e4c2a-3b5f-4e6d-8a9c-0b1f2e3d4c5a`",
            out,
        );
    }
    if let Some(s) = &azure.scope {
        azure_scope(s, out);
    }
    if let Some(i) = &azure.spiffe_issuer {
        form(
            i,
            is_https_url,
            "an OIDC issuer URL",
            "SPIRE's OIDC discovery issuer: `https://oidc-discovery.example.org`",
            out,
        );
    }
    if azure.resource_group.is_none() || azure.location.is_none() {
        out.push(
            Diagnostic::new(
                Code::MissingField,
                "the Azure target needs `resource_group` and `location` to create managed identities",
            )
            .primary(azure.subscription_id.loc, "in this Azure target")
            .help("add `resource_group: NAME` and `location: REGION` (such as `westeurope`)"),
        );
    }
}

/// An Azure scope: a subscription, and perhaps a resource group and the
/// resources under it.
pub fn azure_scope(scope: &Spanned<String>, out: &mut Diagnostics) {
    let ok = |s: &str| {
        let mut parts = s.split('/');
        parts.next() == Some("")
            && parts.next() == Some("subscriptions")
            && parts.next().is_some_and(is_guid)
            && parts.all(|p| !p.is_empty())
    };
    form(
        scope,
        ok,
        "an Azure scope",
        "`/subscriptions/GUID` or `/subscriptions/GUID/resourceGroups/NAME`",
        out,
    );
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts.last().is_some_and(|p| digits(p))
}

fn is_https_url(s: &str) -> bool {
    s.strip_prefix("https://").is_some_and(|rest| {
        let host = rest.split('/').next().unwrap_or("");
        // what a URL's path may hold, and nothing that ends a string in
        // the Terraform, JSON or YAML nhi writes
        host.contains('.')
            && !rest.ends_with('/')
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~:/%@!&'()*+,;=".contains(c))
    })
}

fn is_gcp_project(s: &str) -> bool {
    (6..=30).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A GUID: `8-4-4-4-12` hexadecimal digits.
pub(super) fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `SC007` at `value` unless it has the form `ok` accepts.
pub(super) fn form(
    value: &Spanned<String>,
    ok: impl Fn(&str) -> bool,
    what: &str,
    help: &str,
    out: &mut Diagnostics,
) {
    if !ok(&value.value) {
        out.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!("`{}` is not {what}", printable(&value.value)),
            )
            .primary(value.loc, format!("not {what}"))
            .help(format!("write {help}")),
        );
    }
}
