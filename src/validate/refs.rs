//! References between files: owners, actions, delegates, and the
//! organisation guardrails every identity must respect.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Code, Diagnostic, Diagnostics, printable};
use crate::model::{Identity, Model, Platform, Spanned};

use super::settings::is_action_name;

/// The references of the settings: the guardrails' actions and the
/// default targets.
pub fn settings(model: &Model, out: &mut Diagnostics) {
    let settings = &model.settings;
    for g in &settings.guardrails.forbidden_actions {
        action_exists(model, g, out);
    }
    for t in settings.default_targets.iter().flatten() {
        target_configured(model, t, out);
    }
}

/// The references of one identity to the settings (owner, targets,
/// actions, teams) and the guardrails it must respect.
pub fn identity(model: &Model, identity: &Identity, out: &mut Diagnostics) {
    owner(model, identity, out);
    for t in identity.targets.iter().flatten() {
        target_configured(model, t, out);
    }
    for a in actions_of(identity) {
        action_exists(model, a, out);
    }
    guardrails(model, identity, out);
    gated(model, identity, out);
    accountable(model, identity, out);
    holds_somewhere(identity, out);
}

/// Every `where` of an identity admits a value of its key that the
/// identity's `context` allows: both apply to every request, so a grant
/// whose `where` leaves none holds nowhere, and no target renders it.
fn holds_somewhere(identity: &Identity, out: &mut Diagnostics) {
    for grant in &identity.allowed {
        for (key, values) in &grant.conditions {
            let context = identity.context.values(key);
            let admitted = values
                .iter()
                .any(|v| context.is_none_or(|context| context.iter().any(|c| c.value == v.value)));
            if admitted {
                continue;
            }
            let at = values.first().map_or(grant.action.loc, |v| v.loc);
            let mut d = Diagnostic::new(
                Code::HoldsNowhere,
                format!(
                    "`{}` holds nowhere: its `where` admits no `{key}` that `{}` acts in",
                    grant.action.value, identity.name.value
                ),
            )
            .primary(
                at,
                if values.is_empty() {
                    format!("its `where` lists no `{key}`")
                } else {
                    "outside the context".to_owned()
                },
            );
            if let Some(first) = context.and_then(<[Spanned<String>]>::first) {
                d = d.secondary(first.loc, "the identity's context");
            }
            out.push(d.help(format!(
                "a `where` narrows the identity's `context`: name a `{key}` the context lists, or widen the context"
            )));
        }
    }
}

/// Every delegate is an identity of the workspace (or one `declared` in a
/// file that could not be read, already reported).
pub fn delegates(model: &Model, declared: &BTreeSet<String>, out: &mut Diagnostics) {
    for identity in model.identities.values() {
        for d in &identity.delegations {
            if !model.identities.contains_key(&d.to.value)
                && !declared.contains(d.to.value.as_str())
            {
                let names = model.identities.keys().map(crate::model::Name::as_str);
                out.push(
                    Diagnostic::new(
                        Code::UnknownDelegate,
                        format!(
                            "delegate `{}` is not an identity of the workspace",
                            d.to.value
                        ),
                    )
                    .primary(d.to.loc, "no such identity")
                    .suggest(d.to.value.as_str(), names),
                );
            }
        }
    }
}

/// A target an identity runs in must be one the workspace configures.
fn target_configured(model: &Model, target: &Spanned<Platform>, out: &mut Diagnostics) {
    let t = &model.settings.targets;
    let configured = match target.value {
        Platform::Aws => t.aws.is_some(),
        Platform::Gcp => t.gcp.is_some(),
        Platform::Azure => t.azure.is_some(),
        Platform::Kubernetes => t.kubernetes.is_some(),
    };
    if !configured {
        out.push(
            Diagnostic::new(
                Code::TargetNotConfigured,
                format!("the workspace configures no `{}` target", target.value),
            )
            .primary(target.loc, "not configured in nhi.yaml")
            .help(format!(
                "add its settings under `targets.{}` in nhi.yaml, or remove it from the list",
                target.value
            )),
        );
    }
}

fn actions_of(identity: &Identity) -> impl Iterator<Item = &Spanned<String>> {
    identity
        .allowed
        .iter()
        .map(|g| &g.action)
        .chain(&identity.forbidden)
        .chain(identity.delegations.iter().flat_map(|d| &d.actions))
}

fn action_exists(model: &Model, action: &Spanned<String>, out: &mut Diagnostics) {
    if !is_action_name(&action.value) {
        out.push(super::names::invalid_action_name(action));
        return;
    }
    let Some(catalogue) = &model.settings.actions else {
        return;
    };
    if !catalogue.contains_key(&action.value) {
        out.push(
            Diagnostic::new(
                Code::UnknownAction,
                format!("action `{}` is not in the action catalogue", action.value),
            )
            .primary(action.loc, "unknown action")
            .suggest_or(&action.value, catalogue.keys().map(String::as_str), || {
                "declare it under `actions` in nhi.yaml or an included catalogue file".to_owned()
            }),
        );
    }
}

fn owner(model: &Model, identity: &Identity, out: &mut Diagnostics) {
    let Some(teams) = &model.settings.teams else {
        return;
    };
    let named = std::iter::once(("owner", &identity.owner)).chain(
        identity
            .allowed
            .iter()
            .filter_map(|g| g.terms().approval.as_ref().map(|a| ("approving team", a))),
    );
    for (what, team) in named {
        if !teams.contains_key(&team.value) {
            out.push(
                Diagnostic::new(
                    Code::UnknownTeam,
                    format!(
                        "{what} `{}` is not a team of the workspace",
                        printable(&team.value)
                    ),
                )
                .primary(team.loc, "unknown team")
                .suggest_or(&team.value, teams.keys().map(String::as_str), || {
                    "declare the team under `teams` in nhi.yaml".to_owned()
                }),
            );
        }
    }
}

/// Every critical action an identity is allowed is held under an approval.
fn gated(model: &Model, identity: &Identity, out: &mut Diagnostics) {
    let Some(catalogue) = &model.settings.actions else {
        return;
    };
    for grant in identity
        .allowed
        .iter()
        .filter(|g| g.terms().approval.is_none())
    {
        let Some(critical) = catalogue
            .get(&grant.action.value)
            .and_then(|a| a.critical.as_ref())
            .filter(|c| c.value)
        else {
            continue;
        };
        out.push(
            Diagnostic::new(
                Code::CriticalUngated,
                format!(
                    "`{}` is critical, and `{}` is allowed it without anyone's approval",
                    grant.action.value, identity.name.value
                ),
            )
            .primary(grant.action.loc, "no `approval`")
            .secondary(critical.loc, "marked critical here")
            .help(format!(
                "allow it as `{{action: {}, approval: TEAM}}`: each request then needs the approval of a member of that team",
                grant.action.value
            )),
        );
    }
}

fn guardrails(model: &Model, identity: &Identity, out: &mut Diagnostics) {
    let g = &model.settings.guardrails;
    let forbidden: BTreeMap<&str, &Spanned<String>> = g
        .forbidden_actions
        .iter()
        .map(|a| (a.value.as_str(), a))
        .collect();
    for grant in &identity.allowed {
        if let Some(rule) = forbidden.get(grant.action.value.as_str()) {
            out.push(
                Diagnostic::new(
                    Code::GuardrailAllowed,
                    format!("action `{}` is forbidden by an organisation guardrail", grant.action.value),
                )
                .primary(grant.action.loc, "allowed here")
                .secondary(rule.loc, "forbidden for every identity here")
                .help("remove it from `allowed_actions`; guardrails cannot be overridden by an identity"),
            );
        }
    }
    if !g.allowed_auth_methods.is_empty()
        && !g
            .allowed_auth_methods
            .iter()
            .any(|m| m.value == identity.auth.method.value)
    {
        let allowed: Vec<String> = g
            .allowed_auth_methods
            .iter()
            .map(|m| format!("`{}`", m.value))
            .collect();
        let mut d = Diagnostic::new(
            Code::AuthMethodNotAllowed,
            format!(
                "auth method `{}` is not allowed by the guardrails",
                identity.auth.method.value
            ),
        )
        .primary(identity.auth.method.loc, "method not allowed")
        .help(format!("use one of {}", allowed.join(", ")));
        if let Some(first) = g.allowed_auth_methods.first() {
            d = d.secondary(first.loc, "allowed methods listed here");
        }
        out.push(d);
    }
}

fn accountable(model: &Model, identity: &Identity, out: &mut Diagnostics) {
    let Some(acc) = &identity.accountable else {
        return;
    };
    let Some(teams) = &model.settings.teams else {
        return;
    };
    if let Some(team) = teams.values().find(|t| {
        t.email
            .as_ref()
            .is_some_and(|e| e.value.eq_ignore_ascii_case(acc.value.as_str()))
    }) {
        out.push(
            Diagnostic::new(
                Code::AccountableNotHuman,
                format!(
                    "`accountable` names the address of team `{}`, not a person",
                    team.name.value
                ),
            )
            .primary(acc.loc, "a team's address")
            .secondary(
                team.email.as_ref().map_or(team.name.loc, |e| e.loc),
                "team address declared here",
            )
            .help("name the one person who answers for this identity"),
        );
    }
}
