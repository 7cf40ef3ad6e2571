//! What the catalogue's mappings grant: wildcards that are not
//! deliberate, RBAC that lets an identity grant itself more than its role,
//! and actions that identities use but that mean nothing in a cloud the
//! workspace renders.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt, HashSet};

use crate::analyse::permissions::Clouds;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Action, AwsMapping, AzureMapping, KubernetesMapping, Model};
use crate::source::Loc;
use crate::validate::catalogue::is_azure_operation;
use crate::vocabulary::{aws, glob};

use super::LintContext;

/// Run every catalogue rule.
pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    let model = cx.model;
    let mut allowed: Option<HashSet<&str>> = None;
    for action in model.settings.actions.iter().flat_map(BTreeMap::values) {
        if let Some(m) = &action.aws {
            aws_wildcards(action, m, out);
        }
        if let Some(m) = &action.azure {
            azure_wildcards(action, m, out);
        }
        if let Some(m) = &action.kubernetes
            && allowed
                .get_or_insert_with(|| allowed_by_someone(model))
                .contains(action.name.value.as_str())
        {
            kubernetes_mapping(action, m, out);
        }
    }
    unmapped(model, out);
}

fn aws_wildcards(action: &Action, m: &AwsMapping, out: &mut Diagnostics) {
    if m.wildcard_reason.is_some() {
        return;
    }
    let reference = aws::reference();
    for a in &m.actions {
        // an action AWS does not have is reported by the catalogue check
        let Some(Ok(expanded)) = reference.map(|r| r.expand(&a.value)) else {
            continue;
        };
        if glob::is_pattern(&a.value) {
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
    if m.resources.is_empty() && !m.actions.is_empty() {
        out.push(wildcard(
            m.loc,
            format!(
                "the AWS mapping of `{}` names no `resources`: it applies to every resource",
                action.name.value
            ),
        ));
    }
    for r in m.resources.iter().filter(|r| r.value == "*") {
        out.push(wildcard(
            r.loc,
            format!(
                "the AWS mapping of `{}` applies to every resource (`*`)",
                action.name.value
            ),
        ));
    }
}

fn azure_wildcards(action: &Action, m: &AzureMapping, out: &mut Diagnostics) {
    if m.wildcard_reason.is_some() {
        return;
    }
    for op in m.actions.iter().chain(&m.data_actions) {
        // a malformed operation is reported by the catalogue check
        if is_azure_operation(&op.value) && op.value.contains('*') {
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

/// The actions some identity is allowed.
fn allowed_by_someone(model: &Model) -> HashSet<&str> {
    model
        .identities
        .values()
        .flat_map(|i| &i.allowed)
        .map(|g| g.action.value.as_str())
        .collect()
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

/// Every action identities or guardrails use, with its first use, in
/// name order.
fn used(model: &Model) -> Vec<(&str, Loc)> {
    // a workspace holds many more uses than actions: collect them by hash,
    // then sort the few distinct ones
    let mut used: HashMap<&str, Loc> = HashMap::new();
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
    let mut used: Vec<(&str, Loc)> = used.into_iter().collect();
    used.sort_unstable_by_key(|&(name, _)| name);
    used
}

fn unmapped(model: &Model, out: &mut Diagnostics) {
    let clouds = Clouds::of(model);
    let catalogue = model.settings.actions.as_ref();
    for (name, first_use) in used(model) {
        let action = catalogue.and_then(|c| c.get(name));
        if catalogue.is_some() && action.is_none() {
            // not in the catalogue: RF001 says so, and that is the fix
            continue;
        }
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
