//! The action catalogue's cloud mappings: every AWS action exists (checked
//! against the service reference), every ARN, GCP permission and Azure
//! operation is well formed, wildcards are deliberate, and every action
//! that identities use means something in each cloud the workspace renders.

use std::collections::BTreeMap;

use crate::analyse::permissions::Clouds;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Action, AwsMapping, AzureMapping, KubernetesMapping, Model, Spanned};
use crate::diag::printable;
use crate::source::Loc;
use crate::vocabulary::{aws, glob};

/// IAM condition operators (each may take `IfExists`, and the set
/// operators a `ForAllValues:`/`ForAnyValue:` prefix).
const IAM_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

/// Run every catalogue check.
pub fn check(model: &Model, out: &mut Diagnostics) {
    for action in model.settings.actions.iter().flat_map(BTreeMap::values) {
        if let Some(m) = &action.aws {
            aws_mapping(action, m, out);
        }
        if let Some(g) = &action.gcp {
            for p in &g.permissions {
                gcp_permission(p, out);
            }
        }
        if let Some(m) = &action.azure {
            azure_mapping(action, m, out);
        }
        if let Some(m) = &action.kubernetes
            && allowed_by_someone(model, &action.name.value)
        {
            kubernetes_mapping(action, m, out);
        }
    }
    unmapped(model, out);
}

fn unknown(
    value: &Spanned<String>,
    message: String,
    label: &str,
    help: impl Into<String>,
) -> Diagnostic {
    Diagnostic::new(Code::UnknownPermission, message)
        .primary(value.loc, label)
        .help(help)
}

fn aws_mapping(action: &Action, m: &AwsMapping, out: &mut Diagnostics) {
    let reference = aws::reference();
    for a in &m.actions {
        let expanded = match reference.map(|r| r.expand(&a.value)) {
            Some(Ok(expanded)) => expanded,
            Some(Err(e)) => {
                let what = if e.unknown_service {
                    "service of"
                } else {
                    "action"
                };
                out.push(unknown(
                    a,
                    format!("AWS has no {what} `{}`", printable(&a.value)),
                    "not in the AWS service authorization reference",
                    e.suggestion.unwrap_or_else(|| {
                        "write `service:Action`, such as `s3:GetObject`".to_owned()
                    }),
                ));
                continue;
            }
            None => continue,
        };
        if glob::is_pattern(&a.value) && m.wildcard_reason.is_none() {
            let highest = reference
                .and_then(|r| r.highest_access(&a.value))
                .map_or("", aws::AccessLevel::as_str);
            out.push(wildcard(
                a.loc,
                format!(
                    "`{}` of action `{}` grants {} AWS actions by wildcard, up to {highest} access",
                    a.value,
                    action.name.value,
                    expanded.len()
                ),
            ));
        }
    }
    if m.resources.is_empty() && !m.actions.is_empty() && m.wildcard_reason.is_none() {
        out.push(wildcard(
            m.loc,
            format!(
                "the AWS mapping of `{}` names no `resources`: it applies to every resource",
                action.name.value
            ),
        ));
    }
    for r in &m.resources {
        if r.value == "*" {
            if m.wildcard_reason.is_none() {
                out.push(wildcard(
                    r.loc,
                    format!(
                        "the AWS mapping of `{}` applies to every resource (`*`)",
                        action.name.value
                    ),
                ));
            }
        } else if !is_arn(&r.value) {
            out.push(unknown(
                r,
                format!("`{}` is not an ARN", printable(&r.value)),
                "not an ARN",
                "write `arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE` (wildcards allowed), or `*`",
            ));
        }
    }
    for (op, condition) in &m.conditions {
        let base = op
            .strip_prefix("ForAllValues:")
            .or_else(|| op.strip_prefix("ForAnyValue:"))
            .unwrap_or(op);
        let base = base.strip_suffix("IfExists").unwrap_or(base);
        if !IAM_OPERATORS.contains(&base) {
            out.push(
                Diagnostic::new(
                    Code::UnknownPermission,
                    format!("`{}` is not an IAM condition operator", printable(op)),
                )
                .primary(condition.loc, "unknown operator")
                .maybe_help(crate::diag::did_you_mean(op, IAM_OPERATORS.iter().copied())),
            );
        }
    }
}

/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, wildcards allowed.
fn is_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, service, _, _, resource]
        if ["aws", "aws-cn", "aws-us-gov", "*"].contains(partition)
            && !service.is_empty()
            && !resource.is_empty()
            && !s.chars().any(char::is_whitespace))
}

fn gcp_permission(p: &Spanned<String>, out: &mut Diagnostics) {
    let parts: Vec<&str> = p.value.split('.').collect();
    let ok = parts.len() >= 3
        && parts
            .iter()
            .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()))
        && parts
            .first()
            .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_lowercase()));
    if p.value.contains('*') {
        out.push(unknown(
            p,
            format!(
                "`{}` is a wildcard: Google Cloud custom roles take exact permissions",
                printable(&p.value)
            ),
            "not an exact permission",
            "list each permission, such as `storage.objects.get`",
        ));
    } else if !ok {
        out.push(unknown(
            p,
            format!(
                "`{}` is not a Google Cloud IAM permission",
                printable(&p.value)
            ),
            "not `service.resource.verb`",
            "write it as `service.resource.verb`, such as `cloudbuild.builds.get`",
        ));
    }
}

fn azure_mapping(action: &Action, m: &AzureMapping, out: &mut Diagnostics) {
    for op in m.actions.iter().chain(&m.data_actions) {
        let ok = op.value == "*"
            || op.value.split_once('/').is_some_and(|(provider, rest)| {
                provider.split('.').count() >= 2
                    && provider
                        .split('.')
                        .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()))
                    && rest.split('/').all(|s| {
                        !s.is_empty()
                            && s.chars().all(|c| {
                                c.is_ascii_alphanumeric() || matches!(c, '*' | '-' | '_' | '.')
                            })
                    })
            });
        if !ok {
            out.push(unknown(
                op,
                format!("`{}` is not an Azure operation", printable(&op.value)),
                "not `Provider.Namespace/resource/…/verb`",
                "write it as `Microsoft.Web/sites/read`",
            ));
        } else if op.value.contains('*') && m.wildcard_reason.is_none() {
            out.push(wildcard(
                op.loc,
                format!(
                    "`{}` of action `{}` grants Azure operations by wildcard",
                    op.value, action.name.value
                ),
            ));
        }
    }
}

fn allowed_by_someone(model: &Model, action: &str) -> bool {
    model
        .identities
        .values()
        .any(|i| i.allowed.iter().any(|g| g.action.value == action))
}

/// Verbs that let a holder grant itself more than its role.
const ESCALATING_VERBS: [&str; 3] = ["escalate", "bind", "impersonate"];

fn kubernetes_mapping(action: &Action, m: &KubernetesMapping, out: &mut Diagnostics) {
    for rule in &m.rules {
        let wild = rule
            .verbs
            .iter()
            .chain(&rule.resources)
            .chain(&rule.api_groups)
            .find(|v| v.value == "*" || v.value.ends_with("/*"));
        if let Some(w) = wild
            && m.wildcard_reason.is_none()
        {
            out.push(wildcard(
                w.loc,
                format!(
                    "a Kubernetes rule of allowed action `{}` grants `{}` by wildcard",
                    action.name.value, w.value
                ),
            ));
        }
        for verb in rule
            .verbs
            .iter()
            .filter(|v| ESCALATING_VERBS.contains(&v.value.as_str()))
        {
            out.push(
                Diagnostic::new(
                    Code::RbacEscalation,
                    format!(
                        "allowed action `{}` can `{}`: an identity holding it can grant itself more than its role",
                        action.name.value, verb.value
                    ),
                )
                .primary(verb.loc, "escalating verb")
                .help("`escalate` and `bind` let a role grant what it does not hold and `impersonate` lets it act as another principal (OWASP NHI5); map the action without them, and keep such an action forbidden"),
            );
        }
    }
}

fn wildcard(loc: Loc, message: String) -> Diagnostic {
    Diagnostic::new(Code::WildcardPermission, message)
        .primary(loc, "wildcard")
        .help("name the permissions and resources the action needs (OWASP NHI5: overprivileged NHI); if the wildcard is deliberate, say why with `wildcard_reason`")
}

/// Every action identities or guardrails use, with its first use.
fn used(model: &Model) -> BTreeMap<&str, Loc> {
    let mut used: BTreeMap<&str, Loc> = BTreeMap::new();
    for g in &model.settings.guardrails.forbidden_actions {
        used.entry(&g.value).or_insert(g.loc);
    }
    for identity in model.identities.values() {
        for a in identity
            .allowed
            .iter()
            .map(|g| &g.action)
            .chain(&identity.forbidden)
        {
            used.entry(&a.value).or_insert(a.loc);
        }
    }
    used
}

fn unmapped(model: &Model, out: &mut Diagnostics) {
    let clouds = Clouds::of(model);
    let catalogue = model.settings.actions.as_ref();
    for (name, first_use) in used(model) {
        let action = catalogue.and_then(|c| c.get(name));
        let missing: Vec<&str> = [
            (clouds.aws, action.is_some_and(|a| a.aws.is_some()), "AWS"),
            (
                clouds.gcp,
                action.is_some_and(|a| a.gcp.is_some()),
                "Google Cloud",
            ),
            (
                clouds.azure,
                action.is_some_and(|a| a.azure.is_some()),
                "Azure",
            ),
        ]
        .into_iter()
        .filter(|(enabled, mapped, _)| *enabled && !mapped)
        .map(|(_, _, cloud)| cloud)
        .collect();
        if missing.is_empty() {
            continue;
        }
        let loc = action.map_or(first_use, |a| a.name.loc);
        out.push(
            Diagnostic::new(
                Code::UnmappedAction,
                format!("action `{name}` has no mapping for {}", missing.join(", ")),
            )
            .primary(loc, "no mapping for a target the workspace renders")
            .help("map it (`aws:`, `gcp:`, `azure:` in the catalogue) so the target can grant or deny it; an empty list (`aws: {actions: []}`) says it deliberately means nothing there"),
        );
    }
}
