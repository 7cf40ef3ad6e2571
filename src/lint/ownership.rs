//! Ownership rules: a named human answers for every identity, it states
//! its purpose, a person never hides behind it (OWASP NHI1, NHI10), and a
//! high-risk identity leaves a trail.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{AuthMethod, Identity, IdentityType, Model, Requirement, RiskTier, Spanned};

use super::LintContext;

/// Report missing accountability and purpose, people where a non-human
/// principal belongs, and unlogged high-risk identities.
pub fn check(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    if !cx.analysis.renders(identity) {
        return;
    }
    accountable(identity, out);
    purpose(identity, out);
    human(identity, &|v| is_member(cx.model, v), out);
    logs(identity, out);
}

/// Whether `address`, in lower case, is a member's of one of the
/// workspace's teams.
fn is_member(model: &Model, address: &str) -> bool {
    model
        .settings
        .teams
        .iter()
        .flat_map(|t| t.values())
        .flat_map(|t| t.members.iter())
        .any(|m| m.value.as_str().eq_ignore_ascii_case(address))
}

fn accountable(identity: &Identity, out: &mut Diagnostics) {
    // a malformed `accountable` was reported where it is written
    if identity.accountable.is_none() && !identity.unreadable.contains("accountable") {
        out.push(
            Diagnostic::new(
                Code::AccountableMissing,
                format!("no human is accountable for `{}`", identity.name.value),
            )
            .primary(identity.name.loc, "no `accountable`")
            .help("name the one person who answers for it: `accountable: ada@example.com` (a team owns it; a person answers for it)"),
        );
    }
}

fn purpose(identity: &Identity, out: &mut Diagnostics) {
    let stated = identity
        .purpose
        .as_ref()
        .is_some_and(|p| !p.value.trim().is_empty());
    if !stated {
        let loc = identity
            .purpose
            .as_ref()
            .map_or(identity.name.loc, |p| p.loc);
        out.push(
            Diagnostic::new(
                Code::PurposeMissing,
                format!("`{}` states no purpose", identity.name.value),
            )
            .primary(loc, "no `purpose`")
            .help("say in one sentence what it is for (`purpose: Publish release notes for tagged releases`): reviewers hold its access against it, and it ends when the purpose does"),
        );
    }
}

/// Whether a value names a person: an email address that is not a
/// cloud's service account, `user:…`, or a team member's address.
fn personal(value: &str, is_member: &dyn Fn(&str) -> bool) -> bool {
    let v = value.trim().to_ascii_lowercase();
    if is_member(&v) || v.starts_with("user:") || v.starts_with("users/") {
        return true;
    }
    // Google Cloud service accounts and workload pools are addressed by email
    const SERVICE_DOMAINS: [&str; 2] = ["gserviceaccount.com", "svc.id.goog"];
    v.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.contains([':', '/'])
            && !SERVICE_DOMAINS.iter().any(|s| domain.ends_with(s))
    })
}

fn human(identity: &Identity, is_member: &dyn Fn(&str) -> bool, out: &mut Diagnostics) {
    let name = &identity.name.value;
    if personal(&identity.owner.value, is_member) {
        out.push(
            Diagnostic::new(
                Code::HumanPrincipal,
                format!("`{name}` is owned by a person, `{}`", identity.owner.value),
            )
            .primary(identity.owner.loc, "a person")
            .help("a team owns an identity (`owner: platform-team`); name the person in `accountable`"),
        );
    }
    if let Some(subject) = &identity.auth.subject
        && identity.auth.method.value != AuthMethod::ApiKey
        && personal(&subject.value, is_member)
    {
        out.push(
            Diagnostic::new(
                Code::HumanPrincipal,
                format!("`{name}` authenticates as a person, `{}`", subject.value),
            )
            .primary(subject.loc, "a person's subject")
            .help("a non-human identity presents its own workload credential (a CI job's or service account's subject), never a person's login"),
        );
    }
    if let Some(t) = &identity.identity_type
        && t.value == IdentityType::MachineUser
    {
        out.push(
            Diagnostic::new(
                Code::HumanPrincipal,
                format!("`{name}` is a user account used by a machine"),
            )
            .primary(t.loc, "a machine user")
            .help("give it a workload identity, service account or managed identity of its own; a user account mixes what people and machines do"),
        );
    }
}

fn logs(identity: &Identity, out: &mut Diagnostics) {
    let Some(tier) = &identity.risk_tier else {
        return;
    };
    if tier.value != RiskTier::High {
        return;
    }
    let required =
        |r: Option<&Spanned<Requirement>>| r.is_some_and(|r| r.value == Requirement::Required);
    let missing: Vec<&str> = [
        ("audit_log", required(identity.audit_log.as_ref())),
        ("decision_log", required(identity.decision_log.as_ref())),
    ]
    .into_iter()
    .filter(|(_, ok)| !ok)
    .map(|(key, _)| key)
    .collect();
    if !missing.is_empty() {
        let keys: Vec<String> = missing.iter().map(|k| format!("`{k}: required`")).collect();
        out.push(
            Diagnostic::new(
                Code::UnloggedHighRisk,
                format!(
                    "high-risk `{}` does not require {}",
                    identity.name.value,
                    keys.join(" and ")
                ),
            )
            .primary(tier.loc, "high risk")
            .help(format!(
                "add {}: what a high-risk identity did, and why it decided to, must be on record",
                keys.join(" and ")
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_told_from_service_accounts() {
        let members = |v: &str| v == "ada@example.com";
        assert!(personal("Ada@Example.com", &members));
        assert!(personal("grace@example.com", &members));
        assert!(personal("user:grace", &members));
        assert!(!personal(
            "deployer@my-project.iam.gserviceaccount.com",
            &members
        ));
        assert!(!personal("repo:example/web:ref:refs/heads/main", &members));
        assert!(!personal("system:serviceaccount:ci:runner", &members));
        assert!(!personal("platform-team", &members));
    }
}
