//! Credential rules: no static keys where a federated credential would do,
//! secrets rotated and kept in a vault, tokens short-lived, federation
//! pinned to one workload, and no subject that other workloads' tokens can
//! match (OWASP NHI2, NHI4, NHI7).

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{AuthMethod, Guardrails, Identity};

use super::LintContext;
use crate::analyse::subject::{self, Reach};

/// Report static and unrotated secrets, long-lived tokens and unpinned
/// federation.
pub fn check(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    let g = &cx.model.settings.guardrails;
    ttl(identity, g, out);
    if !cx.analysis.renders(identity) {
        return;
    }
    secrets(identity, g, out);
    pinned(identity, out);
    wildcard(identity, out);
}

/// Whether the method authenticates with a stored secret.
const fn secret_based(method: AuthMethod) -> bool {
    matches!(
        method,
        AuthMethod::ApiKey | AuthMethod::OauthClientCredentials
    )
}

/// Says where a limit comes from when no guardrail set it.
fn default_note(set: bool, key: &str) -> String {
    if set {
        String::new()
    } else {
        format!(" (the default; `guardrails.{key}` in nhi.yaml sets another)")
    }
}

fn ttl(identity: &Identity, g: &Guardrails, out: &mut Diagnostics) {
    let limit = g.token_ttl_limit();
    let name = &identity.name.value;
    let mut report = |loc, what: String, value: crate::model::Duration| {
        let mut d = Diagnostic::new(
            Code::TtlTooLong,
            format!(
                "{what} of `{name}` last {value}, longer than the {limit} allowed{}",
                default_note(g.max_token_ttl.is_some(), "max_token_ttl")
            ),
        )
        .primary(loc, "too long")
        .help(format!(
            "shorten it to {limit} or less: a stolen token is only as dangerous as it is long-lived"
        ));
        if let Some(set) = &g.max_token_ttl {
            d = d.secondary(set.loc, "the guardrail");
        }
        out.push(d);
    };
    if let Some(t) = &identity.auth.ttl
        && t.value > limit
    {
        report(t.loc, "tokens".to_owned(), t.value);
    }
    for delegation in &identity.delegations {
        if let Some(t) = &delegation.ttl
            && t.value > limit
        {
            report(
                t.loc,
                format!("delegations to `{}`", delegation.to.value),
                t.value,
            );
        }
    }
}

fn secrets(identity: &Identity, g: &Guardrails, out: &mut Diagnostics) {
    let auth = &identity.auth;
    let method = auth.method.value;
    let name = &identity.name.value;
    if method == AuthMethod::ApiKey {
        out.push(
            Diagnostic::new(
                Code::StaticCredential,
                format!("`{name}` authenticates with a static API key"),
            )
            .primary(auth.method.loc, "a long-lived secret")
            .help("federate it (`oidc`, `spiffe`) so it holds no secret; where the service takes nothing but keys, keep the key in a vault (`secret_ref`), rotate it (`rotation`) and suppress this rule with the reason"),
        );
    }
    if !secret_based(method) {
        return;
    }
    if auth.secret_ref.is_none() {
        out.push(
            Diagnostic::new(
                Code::SecretUnreferenced,
                format!("`{name}` does not say where its secret is kept"),
            )
            .primary(auth.method.loc, "no `secret_ref`")
            .help("add `secret_ref: vault://…` (or `aws-sm://…`, `gcp-sm://…`, `azure-kv://…`): a secret nobody can locate is one nobody rotates or revokes"),
        );
    }
    let limit = g.rotation_limit();
    match &auth.rotation {
        None => out.push(
            Diagnostic::new(
                Code::RotationTooLong,
                format!("the secret of `{name}` is never rotated"),
            )
            .primary(auth.method.loc, "no `rotation`")
            .help(format!(
                "add `rotation: {limit}` or shorter, and rotate it on that cycle"
            )),
        ),
        Some(r) if r.value > limit => {
            let mut d = Diagnostic::new(
                Code::RotationTooLong,
                format!(
                    "the secret of `{name}` rotates every {}, less often than every {limit}{}",
                    r.value,
                    default_note(g.max_secret_rotation.is_some(), "max_secret_rotation")
                ),
            )
            .primary(r.loc, "too rarely")
            .help(format!("rotate it every {limit} or more often"));
            if let Some(set) = &g.max_secret_rotation {
                d = d.secondary(set.loc, "the guardrail");
            }
            out.push(d);
        }
        Some(_) => {}
    }
}

/// A wildcard in the subject that another repository's, project's or
/// workload's tokens can match: every cloud would trust them, or none.
fn wildcard(identity: &Identity, out: &mut Diagnostics) {
    let Some(subject) = &identity.auth.subject else {
        return;
    };
    if subject::reach(&subject.value) != Reach::Open {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::WildcardSubject,
            format!(
                "the subject of `{}` holds a wildcard that other repositories' or workloads' tokens can match",
                identity.name.value
            ),
        )
        .primary(subject.loc, "matches more than this workload")
        .help("pin the repository or project and use a wildcard only after it (`repo:org/app:ref:refs/heads/release-*`), or name the one workload exactly"),
    );
}

fn pinned(identity: &Identity, out: &mut Diagnostics) {
    let auth = &identity.auth;
    if auth.method.value != AuthMethod::Oidc || auth.subject.is_some() {
        return;
    }
    if let Some(issuer) = &auth.issuer {
        out.push(
            Diagnostic::new(
                Code::UnpinnedFederation,
                format!(
                    "any workload `{}` issues tokens to could present itself as `{}`",
                    issuer.value, identity.name.value
                ),
            )
            .primary(issuer.loc, "an issuer, but no `subject`")
            .help("pin the one workload: `subject: repo:org/app:ref:refs/heads/main` (GitHub Actions) or `system:serviceaccount:ns:name` (Kubernetes)"),
        );
    }
}
