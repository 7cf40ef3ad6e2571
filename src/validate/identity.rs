//! One identity file → [`Identity`], with the checks that need only that
//! file: name, durations and dates, `accountable`, allowed ∩ forbidden.

use std::collections::BTreeMap;

use litemap::LiteMap;

use crate::diag::{Code, Diagnostic, Diagnostics, printable};
use crate::model::{
    Attributes, Auth, AuthMethod, Context, Date, Delegation, Duration, Grant, Human, IamName,
    Identity, Kind, KnownAs, McpGrant, Name, Provenance, RateLimits, ReviewCycle, Spanned, State,
    Terms, ToolGrant, time_text,
};
use crate::raw::identity::{self as raw, ActionGrant, AuthShorthand};
use crate::raw::{Entries, OneOrMany};
use crate::source::{FileId, Loc, SourceDb};

use super::{names, parse_date, parse_duration, parse_time};

/// The TTL that `oidc_short_lived_token` stands for.
pub const SHORT_LIVED_TTL: Duration = Duration::from_secs(3600);

/// Convert one raw identity; `None` when its name is unusable.
pub fn convert(
    db: &SourceDb,
    file: FileId,
    raw: &raw::IdentityFile,
    today: Date,
    out: &mut Diagnostics,
) -> Option<Identity> {
    let name = match Name::parse(&raw.agent.value) {
        Some(n) => Spanned::new(n, raw.agent.loc),
        None => {
            out.push(names::invalid_name(&raw.agent, "identity name"));
            return None;
        }
    };
    // an unusable `auth` leaves the identity out, once everything else
    // in its file has been checked and reported
    let auth = auth(&raw.auth, out);
    let usable = auth.is_some();
    let placeholder = || bare_auth(AuthMethod::Oidc, None, raw.agent.loc);
    let identity = read(name, file, raw, auth.unwrap_or_else(placeholder), out);
    names::check_stem(db, &identity, out);
    check_actions(&identity, out);
    reviewed_by_today(&identity, today, out);
    usable.then_some(identity)
}

/// The identity a raw file declares, under its checked name; each value
/// that does not parse is reported and left out.
fn read(
    name: Spanned<Name>,
    file: FileId,
    raw: &raw::IdentityFile,
    auth: Auth,
    out: &mut Diagnostics,
) -> Identity {
    let accountable = raw
        .accountable
        .as_ref()
        .and_then(|a| human(a, "`accountable`", out));
    let review_cycle = raw.review_cycle.as_ref().and_then(|c| review_cycle(c, out));
    let last_reviewed = raw.last_reviewed.as_ref().and_then(|d| parse_date(d, out));
    let expires = raw.expires.as_ref().and_then(|d| parse_date(d, out));
    let unreadable = [
        (
            "accountable",
            raw.accountable.is_some() && accountable.is_none(),
        ),
        (
            "review_cycle",
            raw.review_cycle.is_some() && review_cycle.is_none(),
        ),
        (
            "last_reviewed",
            raw.last_reviewed.is_some() && last_reviewed.is_none(),
        ),
        ("expires", raw.expires.is_some() && expires.is_none()),
    ]
    .into_iter()
    .filter_map(|(key, bad)| bad.then_some(key))
    .collect();
    Identity {
        name,
        file,
        kind: raw.kind.as_ref().map_or(Kind::Agent, |k| k.value),
        owner: raw.owner.clone(),
        identity_type: raw.identity_type.clone(),
        purpose: raw.purpose.clone(),
        accountable,
        acts: raw.acts.clone(),
        auth,
        allowed: grants(raw.allowed_actions.as_deref(), out),
        forbidden: raw.forbidden_actions.clone().unwrap_or_default(),
        audit_log: raw.audit_log.clone(),
        decision_log: raw.decision_log.clone(),
        review_cycle,
        last_reviewed,
        reviewer: raw.reviewer.clone(),
        expires,
        context: raw.context.as_ref().map(context).unwrap_or_default(),
        targets: raw.targets.clone(),
        existing: raw.existing.clone().unwrap_or_default(),
        known_as: raw
            .known_as
            .as_ref()
            .map(|k| known_as(k, out))
            .unwrap_or_default(),
        rate_limits: raw
            .rate_limits
            .as_ref()
            .map(|r| rate_limits(r, out))
            .unwrap_or_default(),
        mcp: raw
            .mcp
            .iter()
            .flat_map(Entries::iter)
            .map(|(server, g)| mcp_grant(server, g))
            .collect(),
        delegations: raw
            .delegation
            .iter()
            .flat_map(|d| d.may_delegate_to.iter().flatten())
            .filter_map(|d| delegation(d, out))
            .collect(),
        provenance: raw.provenance.as_ref().map(provenance).unwrap_or_default(),
        risk_tier: raw.risk_tier.clone(),
        labels: labels(raw),
        state: raw
            .state
            .clone()
            .unwrap_or_else(|| Spanned::new(State::Active, raw.agent.loc)),
        suppressions: suppressions(raw),
        unreadable,
    }
}

// The labels and suppressions of a file, each collected from an iterator
// that knows its length, which sizes it exactly (a `flat_map` of an option
// would not): a workspace holds millions of them.

fn labels(raw: &raw::IdentityFile) -> LiteMap<String, Spanned<String>> {
    raw.labels.as_ref().map_or_else(LiteMap::new, |labels| {
        labels
            .iter()
            .map(|(k, v)| (k.value.clone(), v.clone()))
            .collect()
    })
}

fn suppressions(raw: &raw::IdentityFile) -> Vec<crate::model::Suppression> {
    raw.suppress.as_deref().map_or_else(Vec::new, |suppress| {
        suppress
            .iter()
            .map(|s| crate::model::Suppression {
                rule: s.value.rule.clone(),
                reason: s.value.reason.clone(),
                loc: s.loc,
            })
            .collect()
    })
}

/// Rate limits, each at least 1 (a limit of 0 is reported and left out).
fn rate_limits(raw: &raw::RateLimits, out: &mut Diagnostics) -> RateLimits {
    let positive = |v: &Option<Spanned<u32>>, out: &mut Diagnostics| {
        let v = v.as_ref()?;
        if v.value == 0 {
            out.push(
                Diagnostic::new(Code::InvalidValue, "a rate limit of 0 allows nothing")
                    .primary(v.loc, "zero")
                    .help("remove the tools or actions it should not use instead; a limit is at least 1"),
            );
            return None;
        }
        Some(v.clone())
    };
    RateLimits {
        requests_per_minute: positive(&raw.requests_per_minute, out),
        concurrent_claims: positive(&raw.concurrent_claims, out),
    }
}

/// What an agent may call on one MCP server.
fn mcp_grant(server: &Spanned<String>, raw: &raw::McpGrant) -> McpGrant {
    McpGrant {
        server: server.clone(),
        tools: raw
            .tools
            .iter()
            .map(|t| match t {
                raw::ToolGrant::Name(tool) => ToolGrant {
                    tool: tool.clone(),
                    conditions: Vec::new(),
                },
                raw::ToolGrant::Narrowed(n) => ToolGrant {
                    tool: n.value.tool.clone(),
                    conditions: n
                        .value
                        .condition
                        .iter()
                        .flat_map(Entries::iter)
                        .map(|(k, v)| (k.clone(), v.0.values().into_iter().cloned().collect()))
                        .collect(),
                },
            })
            .collect(),
        forbidden: raw.forbidden_tools.clone().unwrap_or_default(),
    }
}

/// Whether [`convert`], run on another day, found of `identity` what it
/// would find `today`, when it reported nothing then: of the day, it reads
/// only whether the last review is after it.
#[must_use]
pub fn clean_on(identity: &Identity, today: Date) -> bool {
    identity
        .last_reviewed
        .as_ref()
        .is_none_or(|reviewed| reviewed.value <= today)
}

/// A review cannot have taken place after the day of the check.
fn reviewed_by_today(identity: &Identity, today: Date, out: &mut Diagnostics) {
    if !clean_on(identity, today)
        && let Some(reviewed) = &identity.last_reviewed
    {
        out.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "last review date {} is after today ({today})",
                    reviewed.value
                ),
            )
            .primary(reviewed.loc, "in the future")
            .help(
                "write the date the review took place; pass `--today` to check as of another day",
            ),
        );
    }
}

/// The diagnostic for a value that should name a human.
#[must_use]
pub fn not_a_human(value: &Spanned<String>, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::AccountableNotHuman,
        format!("{what} `{}` does not name a human", printable(&value.value)),
    )
    .primary(value.loc, "not an email address or `user:<id>`")
    .help("name the person who answers for it: an email address (`ada@example.com`) or `user:<id>`")
}

fn human(value: &Spanned<String>, what: &str, out: &mut Diagnostics) -> Option<Spanned<Human>> {
    match Human::parse(&value.value) {
        Some(h) => Some(Spanned::new(h, value.loc)),
        None => {
            out.push(not_a_human(value, what));
            None
        }
    }
}

/// An auth of a method (and lifetime) alone, written at `loc`.
fn bare_auth(method: AuthMethod, ttl: Option<Duration>, loc: Loc) -> Auth {
    Auth {
        method: Spanned::new(method, loc),
        issuer: None,
        subject: None,
        audience: None,
        ttl: ttl.map(|t| Spanned::new(t, loc)),
        rotation: None,
        secret_ref: None,
        client_id: None,
        loc,
    }
}

fn auth(raw: &raw::Auth, out: &mut Diagnostics) -> Option<Auth> {
    Some(match raw {
        // reported where it was read
        raw::Auth::Invalid => return None,
        raw::Auth::Shorthand(s) => {
            let (method, ttl) = match s.value {
                AuthShorthand::OidcShortLivedToken => (AuthMethod::Oidc, Some(SHORT_LIVED_TTL)),
                AuthShorthand::Oidc => (AuthMethod::Oidc, None),
                AuthShorthand::SpiffeSvid | AuthShorthand::Spiffe => (AuthMethod::Spiffe, None),
                AuthShorthand::OauthClientCredentials => (AuthMethod::OauthClientCredentials, None),
                AuthShorthand::Mtls => (AuthMethod::Mtls, None),
                AuthShorthand::Attested => (AuthMethod::Attested, None),
                AuthShorthand::ApiKey => (AuthMethod::ApiKey, None),
            };
            bare_auth(method, ttl, s.loc)
        }
        raw::Auth::Spec(spec) => {
            let a = &spec.value;
            if let Some(id) = &a.client_id {
                super::targets::form(
                    id,
                    super::targets::is_guid,
                    "an Azure client id",
                    "the GUID Azure assigned its managed identity (`az identity show --query clientId`)",
                    out,
                );
            }
            Auth {
                method: a.method.clone(),
                issuer: a.issuer.clone(),
                subject: a.subject.clone(),
                audience: a.audience.clone(),
                ttl: a.ttl.as_ref().and_then(|t| parse_duration(t, out)),
                rotation: a.rotation.as_ref().and_then(|t| parse_duration(t, out)),
                secret_ref: a.secret_ref.clone(),
                client_id: a.client_id.clone(),
                loc: spec.loc,
            }
        }
    })
}

fn grants(raw: Option<&[ActionGrant]>, out: &mut Diagnostics) -> Vec<Grant> {
    // from the slice, whose length sizes the vector exactly: a workspace
    // holds millions of grants
    raw.map_or_else(Vec::new, |raw| raw.iter().map(|g| grant(g, out)).collect())
}

fn grant(raw: &ActionGrant, out: &mut Diagnostics) -> Grant {
    match raw {
        ActionGrant::Name(action) => {
            Grant::new(action.clone(), Attributes::new(), Terms::default())
        }
        ActionGrant::Narrowed(n) => {
            let n = &n.value;
            let mut terms = Terms {
                approval: n.approval.clone(),
                valid_from: n.valid_from.as_ref().and_then(|t| parse_time(t, out)),
                valid_until: n.valid_until.as_ref().and_then(|t| parse_time(t, out)),
                valid_for: n.valid_for.as_ref().and_then(|d| parse_duration(d, out)),
                malformed_window: false,
            };
            terms.malformed_window = (n.valid_from.is_some() && terms.valid_from.is_none())
                || (n.valid_until.is_some() && terms.valid_until.is_none())
                || (n.valid_for.is_some() && terms.valid_for.is_none());
            let grant = Grant::new(n.action.clone(), attributes(n.condition.as_ref()), terms);
            window(&grant, out);
            grant
        }
    }
}

/// A grant's time window can hold: it starts before it ends, and a time
/// counted from an approval has an approval to count from.
fn window(grant: &Grant, out: &mut Diagnostics) {
    if let (Some(from), Some(until)) = (&grant.terms().valid_from, &grant.terms().valid_until)
        && from.value >= until.value
    {
        out.push(
            Diagnostic::new(
                Code::EmptyWindow,
                format!(
                    "`{}` is valid from {} until {}: no request falls in between",
                    grant.action.value,
                    time_text(from.value),
                    time_text(until.value)
                ),
            )
            .primary(until.loc, "not after `valid_from`")
            .secondary(from.loc, "starts here")
            .help("`valid_until` is the first instant the grant no longer holds: make it later than `valid_from`"),
        );
    }
    if let (Some(valid_for), None) = (&grant.terms().valid_for, &grant.terms().approval) {
        out.push(
            Diagnostic::new(
                Code::MissingField,
                format!(
                    "`{}` is valid for {} after its approval, and has no `approval`",
                    grant.action.value, valid_for.value
                ),
            )
            .primary(valid_for.loc, "counts from an approval")
            .help("add `approval: TEAM`, the team whose member approves each request, or write `valid_until` for a fixed end"),
        );
    }
}

fn attributes(entries: Option<&Entries<OneOrMany>>) -> Attributes {
    // from the entries' own iterator, whose length sizes the map exactly
    entries.map_or_else(Attributes::new, |entries| {
        entries
            .iter()
            .map(|(k, v)| (k.value.clone(), v.values().into_iter().cloned().collect()))
            .collect()
    })
}

fn context(raw: &raw::Context) -> Context {
    Context {
        environments: raw.environments.clone(),
        regions: raw.regions.clone(),
        namespaces: raw.namespaces.clone(),
        attributes: attributes(raw.attributes.as_ref()),
    }
}

fn known_as(raw: &raw::KnownAs, out: &mut Diagnostics) -> KnownAs {
    let aws = raw.aws.as_ref().and_then(|a| match IamName::parse(&a.value) {
        Some(n) => Some(Spanned::new(n, a.loc)),
        None => {
            out.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{}` is not an IAM role or user name", printable(&a.value)),
                )
                .primary(a.loc, "not `[/path/]name`")
                .help("write the name (1–64 of `A-Z a-z 0-9 + = , . @ _ -`), after its path when that is not `/` (`/service-role/invoice-importer`)"),
            );
            None
        }
    });
    KnownAs { aws }
}

fn provenance(raw: &raw::Provenance) -> Provenance {
    Provenance {
        provider: raw.provider.clone(),
        model: raw.model.clone(),
        version: raw.version.clone(),
        runtime: raw.runtime.clone(),
    }
}

fn delegation(raw: &Spanned<raw::DelegationGrant>, out: &mut Diagnostics) -> Option<Delegation> {
    let d = &raw.value;
    let Some(to) = Name::parse(&d.agent.value) else {
        out.push(names::invalid_name(&d.agent, "delegate name"));
        return None;
    };
    Some(Delegation {
        to: Spanned::new(to, d.agent.loc),
        actions: d.actions.clone(),
        ttl: d.ttl.as_ref().and_then(|t| parse_duration(t, out)),
        max_depth: d.max_depth.clone(),
        loc: raw.loc,
    })
}

fn review_cycle(value: &Spanned<String>, out: &mut Diagnostics) -> Option<Spanned<ReviewCycle>> {
    if let Some(cycle) = ReviewCycle::parse(&value.value) {
        return Some(Spanned::new(cycle, value.loc));
    }
    out.push(
        Diagnostic::new(
            Code::UnknownValue,
            format!("unknown review cycle `{}`", printable(&value.value)),
        )
        .primary(value.loc, "not a review cycle")
        .suggest_or(&value.value, ReviewCycle::NAMES.iter().copied(), || {
            "write `monthly`, `quarterly`, `semiannual`, `annual` or a duration such as `90d`"
                .to_owned()
        }),
    );
    None
}

/// Allowed ∩ forbidden = ∅, and no action listed twice.
fn check_actions(identity: &Identity, out: &mut Diagnostics) {
    let mut seen: BTreeMap<&str, &Spanned<String>> = BTreeMap::new();
    for g in &identity.allowed {
        if let Some(first) = seen.insert(&g.action.value, &g.action) {
            out.push(duplicate(&g.action, first, "allowed_actions"));
        }
    }
    let mut forbidden: BTreeMap<&str, &Spanned<String>> = BTreeMap::new();
    for f in &identity.forbidden {
        if let Some(first) = forbidden.insert(&f.value, f) {
            out.push(duplicate(f, first, "forbidden_actions"));
        }
    }
    for g in &identity.allowed {
        if let Some(f) = forbidden.get(g.action.value.as_str()) {
            out.push(
                Diagnostic::new(
                    Code::AllowedAndForbidden,
                    format!(
                        "action `{}` is both allowed and forbidden",
                        printable(&g.action.value)
                    ),
                )
                .primary(g.action.loc, "allowed here")
                .secondary(f.loc, "forbidden here")
                .help("forbidden always wins; remove it from `allowed_actions`"),
            );
        }
    }
}

fn duplicate(again: &Spanned<String>, first: &Spanned<String>, list: &str) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateAction,
        format!(
            "action `{}` is listed twice in `{list}`",
            printable(&again.value)
        ),
    )
    .primary(again.loc, "listed again here")
    .secondary(first.loc, "first listed here")
    .help("remove the repeated entry")
}
