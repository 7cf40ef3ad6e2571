//! The action catalogue's cloud mappings name what exists: every AWS
//! action is in the service reference, and every ARN, IAM condition
//! operator, GCP permission and Azure operation is well formed. What the
//! mappings grant (wildcards, escalation) and which cloud an action means
//! nothing in are lint rules ([`crate::lint::catalogue`]).

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics, printable};
use crate::model::{AwsMapping, GcpMapping, Model, Spanned};
use crate::vocabulary::{aws, gcp};

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
            aws_mapping(m, out);
        }
        if let Some(g) = &action.gcp {
            for p in &g.permissions {
                gcp_permission(p, out);
            }
            gcp_names(g, out);
        }
        if let Some(scope) = action.azure.as_ref().and_then(|m| m.scope.as_ref()) {
            super::targets::azure_scope(scope, out);
        }
        for op in action
            .azure
            .iter()
            .flat_map(|m| m.actions.iter().chain(&m.data_actions))
        {
            if !is_azure_operation(&op.value) {
                out.push(unknown(
                    op,
                    format!("`{}` is not an Azure operation", printable(&op.value)),
                    "not `Provider.Namespace/resource/…/verb`",
                    "write it as `Microsoft.Web/sites/read`",
                ));
            }
        }
    }
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

fn aws_mapping(m: &AwsMapping, out: &mut Diagnostics) {
    let reference = aws::reference();
    for a in &m.actions {
        if let Some(Err(e)) = reference.map(|r| r.expand(&a.value)) {
            let what = if e.unknown_service {
                "service of"
            } else {
                "action"
            };
            out.push(unknown(
                a,
                format!("AWS has no {what} `{}`", printable(&a.value)),
                "not in the AWS service authorization reference",
                e.suggestion
                    .unwrap_or_else(|| "write `service:Action`, such as `s3:GetObject`".to_owned()),
            ));
        }
    }
    for r in m.resources.iter().filter(|r| r.value != "*") {
        if !is_arn(&r.value) {
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
                .suggest(op, IAM_OPERATORS.iter().copied()),
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

/// A GCP mapping's `names` and `resource` come together, and say a
/// resource type and name Google Cloud's conditions can compare.
fn gcp_names(g: &GcpMapping, out: &mut Diagnostics) {
    match (&g.names, &g.resource) {
        (Some(key), None) => out.push(
            Diagnostic::new(
                Code::UnknownPermission,
                format!(
                    "`names: {}` does not say which Google Cloud resources it names",
                    printable(&key.value)
                ),
            )
            .primary(key.loc, "no `resource` beside it")
            .help("add `resource: {type: SERVICE.googleapis.com/Type, name: \"projects/{project}/…/{name}\"}`"),
        ),
        (None, Some(r)) => out.push(
            Diagnostic::new(
                Code::UnknownPermission,
                "`resource` is named by no `where` key",
            )
            .primary(r.loc, "no `names` beside it")
            .help("add `names: KEY`, the `where` key whose values are the resources' names"),
        ),
        _ => {}
    }
    let Some(r) = &g.resource else {
        return;
    };
    if !gcp::is_resource_type(&r.kind.value) {
        out.push(unknown(
            &r.kind,
            format!(
                "`{}` is not a Google Cloud resource type",
                printable(&r.kind.value)
            ),
            "not `SERVICE.googleapis.com/Type`",
            "write it as IAM Conditions name it, such as `artifactregistry.googleapis.com/Repository`",
        ));
    }
    if let Some(problem) = gcp::template_problem(&r.name.value) {
        out.push(unknown(
            &r.name,
            format!(
                "`{}` is not a resource name template: {problem}",
                printable(&r.name.value)
            ),
            "not a resource name",
            "write the full name, such as `projects/{project}/locations/europe-west1/repositories/{name}`",
        ));
    }
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

/// Whether `op` is an Azure operation: `*`, or
/// `Provider.Namespace/resource/…/verb` (wildcards allowed).
#[must_use]
pub fn is_azure_operation(op: &str) -> bool {
    op == "*"
        || op.split_once('/').is_some_and(|(provider, rest)| {
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
        })
}
