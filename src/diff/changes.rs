//! The semantic change list: identities added, removed or renamed, and for
//! each identity in both, what it gained, lost or loosened — compared on
//! the model, so moving a file, reordering keys or editing comments
//! changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyse::subject;
use crate::analyse::{Check, Lands, Test, canonical, context_checks, narrowing};
use crate::diag::backticked;
use crate::model::{Access, AuthMethod, Date, Identity, Model, Platform, State};
use crate::vocabulary::context::{APPROVED_AT, APPROVED_BY, NOW};

use super::{Change, ChangeKind, Edge, Risk, Side, Status};

/// How strong an authentication method is: higher is harder to steal or
/// replay.
#[must_use]
pub const fn strength(method: AuthMethod) -> u8 {
    match method {
        AuthMethod::Attested => 5,
        AuthMethod::Spiffe | AuthMethod::Mtls => 4,
        AuthMethod::Oidc => 3,
        AuthMethod::OauthClientCredentials => 2,
        AuthMethod::ApiKey => 1,
    }
}

/// What an identity delegates to one delegate: the actions, the longest
/// TTL, the deepest `max_depth`.
type Reach = (BTreeSet<String>, Option<u64>, Option<u32>);

/// An identity without its places: what the comparison looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Facts {
    owner: String,
    kind: &'static str,
    purpose: Option<String>,
    accountable: Option<String>,
    method: AuthMethod,
    trust: (Option<String>, Option<String>, Option<String>),
    ttl: Option<u64>,
    rotation: Option<u64>,
    allowed: BTreeMap<String, Vec<Check>>,
    forbidden: BTreeSet<String>,
    tools: BTreeMap<String, Vec<Check>>,
    forbidden_tools: BTreeSet<String>,
    rate_limits: [Option<u32>; 2],
    context: Vec<Check>,
    delegations: BTreeMap<String, Reach>,
    review: Option<String>,
    expires: Option<Date>,
    state: State,
    logs: (Option<&'static str>, Option<&'static str>),
    risk_tier: Option<&'static str>,
    labels: BTreeMap<String, String>,
    provenance: [Option<String>; 4],
}

fn text(v: Option<&crate::model::Spanned<String>>) -> Option<String> {
    v.map(|s| s.value.clone())
}

pub(crate) fn facts(i: &Identity) -> Facts {
    let mut allowed = BTreeMap::new();
    for g in &i.allowed {
        allowed
            .entry(g.action.value.clone())
            .or_insert_with(|| narrowing(g));
    }
    let mut delegations: BTreeMap<String, Reach> = BTreeMap::new();
    for d in &i.delegations {
        let e = delegations.entry(d.to.value.to_string()).or_default();
        e.0.extend(d.actions.iter().map(|a| a.value.clone()));
        e.1 = e.1.max(d.ttl.as_ref().map(|t| t.value.as_secs()));
        e.2 = e.2.max(d.max_depth.as_ref().map(|m| m.value));
    }
    let mut tools = BTreeMap::new();
    let mut forbidden_tools = BTreeSet::new();
    for grant in &i.mcp {
        let server = &grant.server.value;
        for t in &grant.tools {
            tools
                .entry(tool_name(server, &t.tool.value))
                .or_insert_with(|| tool_narrowing(t));
        }
        forbidden_tools.extend(grant.forbidden.iter().map(|t| tool_name(server, &t.value)));
    }
    let p = &i.provenance;
    Facts {
        owner: i.owner.value.clone(),
        kind: i.kind.as_str(),
        purpose: text(i.purpose.as_ref()),
        accountable: i.accountable.as_ref().map(|a| a.value.as_str().to_owned()),
        method: i.auth.method.value,
        trust: (
            text(i.auth.issuer.as_ref()),
            text(i.auth.subject.as_ref()),
            text(i.auth.audience.as_ref()),
        ),
        ttl: i.auth.ttl.as_ref().map(|t| t.value.as_secs()),
        rotation: i.auth.rotation.as_ref().map(|t| t.value.as_secs()),
        allowed,
        forbidden: i.forbidden.iter().map(|f| f.value.clone()).collect(),
        tools,
        forbidden_tools,
        rate_limits: [
            i.rate_limits.requests_per_minute.as_ref().map(|r| r.value),
            i.rate_limits.concurrent_claims.as_ref().map(|c| c.value),
        ],
        context: canonical(context_checks(i)),
        delegations,
        review: i.review_cycle.as_ref().map(|c| c.value.to_string()),
        expires: i.expires.as_ref().map(|e| e.value),
        state: i.state.value,
        logs: (
            i.audit_log.as_ref().map(|l| l.value.as_str()),
            i.decision_log.as_ref().map(|l| l.value.as_str()),
        ),
        risk_tier: i.risk_tier.as_ref().map(|r| r.value.as_str()),
        labels: i
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect(),
        provenance: [
            text(p.provider.as_ref()),
            text(p.model.as_ref()),
            text(p.version.as_ref()),
            text(p.runtime.as_ref()),
        ],
    }
}

/// The teams whose approval a grant needs, if any.
fn gate(checks: &[Check]) -> Option<Vec<String>> {
    checks
        .iter()
        .find(|c| c.key == APPROVED_BY)
        .and_then(|c| c.values().map(<[String]>::to_vec))
}

/// The keys of a grant's approval and time window, which change apart.
const APART: [&str; 3] = [APPROVED_BY, NOW, APPROVED_AT];

/// A grant's checks but its approval and time window.
fn ungated(checks: &[Check]) -> Vec<Check> {
    checks
        .iter()
        .filter(|c| !APART.contains(&c.key.as_str()))
        .cloned()
        .collect()
}

/// A grant's time window: its checks of `now` and `approved_at`.
fn window(checks: &[Check]) -> Vec<Check> {
    checks
        .iter()
        .filter(|c| [NOW, APPROVED_AT].contains(&c.key.as_str()))
        .cloned()
        .collect()
}

/// A time window in words.
fn window_text(checks: &[Check]) -> String {
    checks
        .iter()
        .map(|c| match c.test {
            Test::Within(d) => format!("for {d} after each approval"),
            _ => c.accepts(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How an allowed action's time window changed.
fn windows(action: &str, before: &[Check], after: &[Check], push: &mut Found<'_>) {
    let (was, now) = (window(before), window(after));
    if was == now {
        return;
    }
    let (kind, said) = if now.is_empty() {
        (
            ChangeKind::WindowRemoved,
            format!(
                "`{action}` holds at any time now, not only {}",
                window_text(&was)
            ),
        )
    } else if was.is_empty() {
        (
            ChangeKind::WindowAdded,
            format!("`{action}` holds only {} now", window_text(&now)),
        )
    } else if widens(&was, &now) {
        (
            ChangeKind::WindowWidened,
            format!(
                "`{action}` holds {}, not only {}",
                window_text(&now),
                window_text(&was)
            ),
        )
    } else {
        (
            ChangeKind::WindowNarrowed,
            format!(
                "`{action}` holds only {}, not {}",
                window_text(&now),
                window_text(&was)
            ),
        )
    };
    push.add(kind, said);
}

fn list_of(teams: &[String]) -> String {
    backticked(teams.iter().map(String::as_str))
}

/// A tool as a change names it.
fn tool_name(server: &str, tool: &str) -> String {
    format!("`{tool}` of `{server}`")
}

/// A tool grant's argument conditions, canonical.
fn tool_narrowing(grant: &crate::model::ToolGrant) -> Vec<Check> {
    canonical(
        grant
            .conditions
            .iter()
            .map(|(argument, values)| {
                let mut values: Vec<String> = values.iter().map(|v| v.value.clone()).collect();
                values.sort();
                values.dedup();
                Check {
                    key: argument.value.clone(),
                    test: Test::OneOf(values),
                }
            })
            .collect(),
    )
}

/// Whether `head` accepts anything `base` refused: a check dropped, or a
/// value added to one.
#[must_use]
pub fn widens(base: &[Check], head: &[Check]) -> bool {
    base.iter().any(|b| {
        head.iter()
            .find(|h| h.key == b.key)
            .is_none_or(|h| !b.test.includes(&h.test))
    })
}

fn duration(s: Option<u64>) -> String {
    s.map_or_else(
        || "none".to_owned(),
        |s| crate::model::Duration::from_secs(s).to_string(),
    )
}

fn list(items: &BTreeSet<String>) -> String {
    backticked(items.iter().map(String::as_str))
}

/// The risk of gaining an action, by how sensitive the catalogue says it is.
fn gain_risk(model: &Model, action: &str) -> Risk {
    match model
        .settings
        .actions
        .as_ref()
        .and_then(|c| c.get(action))
        .and_then(|a| a.access.as_ref())
        .map(|a| a.value)
    {
        Some(Access::Write | Access::PermissionsManagement) => Risk::High,
        _ => Risk::Medium,
    }
}

/// Identities renamed: new name → old name, where an identity gone from
/// the base and one new in the head are the same in everything else.
#[must_use]
pub fn renames(base: &Model, head: &Model) -> BTreeMap<String, String> {
    let (b, h) = (&base.identities, &head.identities);
    let added: Vec<(&str, Facts)> = h
        .iter()
        .filter(|(n, _)| !b.contains_key(*n))
        .map(|(n, i)| (n.as_str(), facts(i)))
        .collect();
    let mut out = BTreeMap::new();
    for (old, identity) in b.iter().filter(|(n, _)| !h.contains_key(*n)) {
        let f = facts(identity);
        if let Some((new, _)) = added
            .iter()
            .find(|(new, af)| !out.contains_key(*new) && *af == f)
        {
            out.insert((*new).to_owned(), old.to_string());
        }
    }
    out
}

/// The changes of one identity (or of the workspace), as they are found.
struct Found<'a> {
    identity: Option<&'a str>,
    out: &'a mut Vec<Change>,
}

impl Found<'_> {
    /// A change at its kind's risk.
    fn add(&mut self, kind: ChangeKind, summary: String) {
        self.add_at(kind.risk(), kind, summary);
    }

    /// A change at another risk than its kind's highest.
    fn add_at(&mut self, risk: Risk, kind: ChangeKind, summary: String) {
        self.out
            .push(Change::with_risk(risk, kind, self.identity, summary));
    }
}

/// Every change between the two workspaces.
#[must_use]
pub fn compare(base: Side<'_>, head: Side<'_>) -> Vec<Change> {
    let mut out = Vec::new();
    let (b, h) = (&base.model.identities, &head.model.identities);
    let removed: Vec<&Identity> = b
        .iter()
        .filter(|(n, _)| !h.contains_key(*n))
        .map(|(_, i)| i.as_ref())
        .collect();
    let added: Vec<&Identity> = h
        .iter()
        .filter(|(n, _)| !b.contains_key(*n))
        .map(|(_, i)| i.as_ref())
        .collect();
    let renamed = renames(base.model, head.model);
    let renamed_to: BTreeSet<&str> = renamed.keys().map(String::as_str).collect();
    for r in &removed {
        if let Some((to, _)) = renamed
            .iter()
            .find(|(_, from)| *from == r.name.value.as_str())
        {
            out.push(Change::new(
                ChangeKind::IdentityRenamed,
                Some(to),
                format!("renamed from `{}`; nothing else changed", r.name.value),
            ));
        } else {
            out.push(Change::new(
                ChangeKind::IdentityRemoved,
                Some(r.name.value.as_str()),
                "removed (offboarded): every target stops rendering it".to_owned(),
            ));
        }
    }
    for a in added
        .iter()
        .filter(|a| !renamed_to.contains(a.name.value.as_str()))
    {
        let actions: BTreeSet<String> = a.allowed.iter().map(|g| g.action.value.clone()).collect();
        out.push(Change::new(
            ChangeKind::IdentityAdded,
            Some(a.name.value.as_str()),
            format!(
                "added, owned by `{}`, allowed {}",
                a.owner.value,
                if actions.is_empty() {
                    "nothing".to_owned()
                } else {
                    list(&actions)
                }
            ),
        ));
    }
    for (name, bi) in b {
        if let Some(hi) = h.get(name) {
            identity(base, head, bi, hi, &mut out);
        }
    }
    workspace(base.model, head.model, &mut out);
    out
}

fn identity(base: Side<'_>, head: Side<'_>, bi: &Identity, hi: &Identity, out: &mut Vec<Change>) {
    let push = &mut Found {
        identity: Some(hi.name.value.as_str()),
        out,
    };
    let renders = (base.analysis.renders(bi), head.analysis.renders(hi));
    if renders == (true, true) {
        targets(base.analysis.lands(bi), head.analysis.lands(hi), push);
    }
    let (b, h) = (facts(bi), facts(hi));
    if b == h {
        return;
    }
    for (action, checks) in &h.allowed {
        let gates = b
            .allowed
            .get(action)
            .map(|before| (gate(before), gate(checks)));
        match gates {
            Some((Some(was), None)) => push.add(
                ChangeKind::ApprovalRemoved,
                format!(
                    "`{action}` no longer needs the approval of {}",
                    list_of(&was)
                ),
            ),
            Some((Some(was), Some(now))) if was != now => push.add(
                ChangeKind::ApprovalChanged,
                format!(
                    "`{action}` needs the approval of {}, not {}",
                    list_of(&now),
                    list_of(&was)
                ),
            ),
            Some((None, Some(now))) => push.add(
                ChangeKind::ApprovalAdded,
                format!("`{action}` needs the approval of {} now", list_of(&now)),
            ),
            _ => {}
        }
        if let Some(before) = b.allowed.get(action) {
            windows(action, before, checks, push);
        }
        let checks = &ungated(checks);
        match b.allowed.get(action).map(|before| ungated(before)).as_ref() {
            None => push.add_at(
                gain_risk(head.model, action),
                ChangeKind::ActionGained,
                format!("may now `{action}`"),
            ),
            Some(before) if widens(before, checks) => push.add(
                ChangeKind::NarrowingWidened,
                format!("`{action}` is narrowed less: its `where` conditions accept more"),
            ),
            Some(before) if widens(checks, before) => push.add(
                ChangeKind::NarrowingTightened,
                format!("`{action}` is narrowed further"),
            ),
            Some(_) => {}
        }
    }
    for action in b.allowed.keys().filter(|a| !h.allowed.contains_key(*a)) {
        push.add(ChangeKind::ActionLost, format!("may no longer `{action}`"));
    }
    for f in b.forbidden.difference(&h.forbidden) {
        push.add(
            ChangeKind::ForbiddenDropped,
            format!("`{f}` is no longer forbidden"),
        );
    }
    for f in h.forbidden.difference(&b.forbidden) {
        push.add(
            ChangeKind::ForbiddenAdded,
            format!("`{f}` is now forbidden"),
        );
    }
    tools(&b, &h, push);
    rate_limits(&b, &h, push);
    auth(&b, &h, push);
    if widens(&b.context, &h.context) {
        push.add(
            ChangeKind::ContextWidened,
            "may act in more environments, regions, namespaces or contexts".to_owned(),
        );
    } else if widens(&h.context, &b.context) {
        push.add(
            ChangeKind::ContextNarrowed,
            "may act in fewer environments, regions, namespaces or contexts".to_owned(),
        );
    }
    delegations(&b, &h, push);
    answerable(&b, &h, push);
    end(&b, &h, renders, push);
    records(&b, &h, push);
}

/// MCP tools an identity may call, or forbids itself, that changed.
fn tools(b: &Facts, h: &Facts, push: &mut Found<'_>) {
    for (tool, checks) in &h.tools {
        match b.tools.get(tool) {
            None => push.add(ChangeKind::ToolGained, format!("may now call {tool}")),
            Some(before) if widens(before, checks) => push.add(
                ChangeKind::ToolNarrowingWidened,
                format!("{tool} is narrowed less: its `where` conditions accept more"),
            ),
            Some(before) if widens(checks, before) => push.add(
                ChangeKind::ToolNarrowingTightened,
                format!("{tool} is narrowed further"),
            ),
            Some(_) => {}
        }
    }
    for tool in b.tools.keys().filter(|t| !h.tools.contains_key(*t)) {
        push.add(ChangeKind::ToolLost, format!("may no longer call {tool}"));
    }
    for t in b.forbidden_tools.difference(&h.forbidden_tools) {
        push.add(
            ChangeKind::ForbiddenToolDropped,
            format!("{t} is no longer forbidden"),
        );
    }
    for t in h.forbidden_tools.difference(&b.forbidden_tools) {
        push.add(
            ChangeKind::ForbiddenToolAdded,
            format!("{t} is now forbidden"),
        );
    }
}

/// Rate limits raised, removed, lowered or set.
fn rate_limits(b: &Facts, h: &Facts, push: &mut Found<'_>) {
    let names = ["requests a minute", "resource claims at once"];
    for ((before, after), what) in b.rate_limits.iter().zip(&h.rate_limits).zip(names) {
        let said = |v: &Option<u32>| v.map_or_else(|| "no limit".to_owned(), |n| n.to_string());
        let summary = format!("{what}: {} → {}", said(before), said(after));
        match (before, after) {
            (Some(b), Some(a)) if a > b => push.add(ChangeKind::RateLimitRaised, summary),
            (Some(_), None) => push.add(ChangeKind::RateLimitRaised, summary),
            (Some(b), Some(a)) if a < b => push.add(ChangeKind::RateLimitLowered, summary),
            (None, Some(_)) => push.add(ChangeKind::RateLimitLowered, summary),
            _ => {}
        }
    }
}

/// Targets an identity starts or stops landing in.
fn targets(base: &Lands, head: &Lands, push: &mut Found<'_>) {
    let (b, h): (BTreeSet<Platform>, BTreeSet<Platform>) = (
        base.platforms().into_iter().collect(),
        head.platforms().into_iter().collect(),
    );
    for t in h.difference(&b) {
        push.add(
            ChangeKind::TargetAdded,
            format!("now lands in `{t}`: it is rendered there and granted what its actions map to"),
        );
    }
    for t in b.difference(&h) {
        push.add(
            ChangeKind::TargetRemoved,
            format!("no longer lands in `{t}`: its objects there are removed"),
        );
    }
}

fn auth(b: &Facts, h: &Facts, push: &mut Found<'_>) {
    if b.method != h.method {
        let kind = match strength(h.method).cmp(&strength(b.method)) {
            std::cmp::Ordering::Less => ChangeKind::AuthWeakened,
            std::cmp::Ordering::Greater => ChangeKind::AuthStrengthened,
            std::cmp::Ordering::Equal => ChangeKind::AuthChanged,
        };
        push.add(
            kind,
            format!(
                "authenticates with `{}` instead of `{}`",
                h.method, b.method
            ),
        );
    }
    // a subject matters where an issuer's tokens are trusted
    let federated = h.trust.0.is_some();
    if federated && subject::widens(b.trust.1.as_deref(), h.trust.1.as_deref()) {
        push.add(
            ChangeKind::SubjectWidened,
            match &h.trust.1 {
                Some(s) => format!("its subject `{s}` admits workloads that the old one did not"),
                None => "it names no subject: any workload of its issuer may present it".to_owned(),
            },
        );
    } else if b.trust != h.trust {
        push.add(
            ChangeKind::TrustChanged,
            "its issuer, subject or audience changed: a different workload may now present it"
                .to_owned(),
        );
    }
    if h.ttl > b.ttl && b.ttl.is_some() || (b.ttl.is_some() && h.ttl.is_none()) {
        push.add(
            ChangeKind::TtlRaised,
            format!(
                "tokens live {} instead of {}",
                duration(h.ttl),
                duration(b.ttl)
            ),
        );
    } else if h.ttl < b.ttl || (b.ttl.is_none() && h.ttl.is_some()) {
        push.add(
            ChangeKind::TtlLowered,
            format!(
                "tokens live {} instead of {}",
                duration(h.ttl),
                duration(b.ttl)
            ),
        );
    }
    if h.rotation > b.rotation && b.rotation.is_some()
        || (b.rotation.is_some() && h.rotation.is_none())
    {
        push.add(
            ChangeKind::RotationLengthened,
            format!(
                "its secret rotates every {} instead of {}",
                duration(h.rotation),
                duration(b.rotation)
            ),
        );
    }
}

fn delegations(b: &Facts, h: &Facts, push: &mut Found<'_>) {
    for (to, (actions, ttl, depth)) in &h.delegations {
        match b.delegations.get(to) {
            None => push.add(
                ChangeKind::DelegationAdded,
                format!("may delegate {} to `{to}`", list(actions)),
            ),
            Some((before, bttl, bdepth)) => {
                let more: BTreeSet<String> = actions.difference(before).cloned().collect();
                if !more.is_empty() {
                    push.add(
                        ChangeKind::DelegationWidened,
                        format!("delegates {} more to `{to}`", list(&more)),
                    );
                }
                if ttl > bttl || (bttl.is_some() && ttl.is_none()) {
                    push.add(
                        ChangeKind::DelegationTtlRaised,
                        format!(
                            "delegations to `{to}` live {} instead of {}",
                            duration(*ttl),
                            duration(*bttl)
                        ),
                    );
                }
                if depth > bdepth || (bdepth.is_some() && depth.is_none()) {
                    push.add(
                        ChangeKind::DelegationDeepened,
                        format!("`{to}` may pass its delegation further"),
                    );
                }
                if before.difference(actions).next().is_some() {
                    push.add(
                        ChangeKind::DelegationNarrowed,
                        format!("delegates less to `{to}`"),
                    );
                }
            }
        }
    }
    for to in b
        .delegations
        .keys()
        .filter(|t| !h.delegations.contains_key(*t))
    {
        push.add(
            ChangeKind::DelegationRemoved,
            format!("no longer delegates to `{to}`"),
        );
    }
}

/// Who answers for it, and its state.
fn answerable(b: &Facts, h: &Facts, push: &mut Found<'_>) {
    if b.owner != h.owner {
        push.add(
            ChangeKind::OwnerChanged,
            format!("owned by `{}` instead of `{}`", h.owner, b.owner),
        );
    }
    if b.accountable != h.accountable {
        push.add(
            ChangeKind::AccountableChanged,
            format!(
                "`{}` answers for it instead of `{}`",
                h.accountable.as_deref().unwrap_or("nobody"),
                b.accountable.as_deref().unwrap_or("nobody")
            ),
        );
    }
    if b.state != h.state {
        // back in use is the risk; quarantine and offboarding narrow
        let risk = if h.state == State::Active {
            Risk::High
        } else {
            Risk::Low
        };
        push.add_at(
            risk,
            ChangeKind::StateChanged,
            format!("`{}` instead of `{}`", h.state, b.state),
        );
    }
}

/// Its end and its review; `renders` says whether it renders in the base
/// and in the head.
fn end(b: &Facts, h: &Facts, renders: (bool, bool), push: &mut Found<'_>) {
    let (was, is) = renders;
    if b.expires != h.expires {
        let kind = match (b.expires, h.expires) {
            (Some(_), None) => ChangeKind::ExpiryRemoved,
            (Some(x), Some(y)) if y > x => ChangeKind::ExpiryExtended,
            _ => ChangeKind::ExpirySet,
        };
        let when = h
            .expires
            .map_or_else(|| "never".to_owned(), |d| d.to_string());
        push.add(
            kind,
            format!(
                "expires {when}{}",
                if !was && is {
                    ", so it renders again"
                } else {
                    ""
                }
            ),
        );
    }
    if b.review != h.review {
        push.add(
            ChangeKind::ReviewCycleChanged,
            format!(
                "reviewed {} instead of {}",
                h.review.as_deref().unwrap_or("never"),
                b.review.as_deref().unwrap_or("never")
            ),
        );
    }
}

/// Its logs, its risk tier, what is acting and what it is.
fn records(b: &Facts, h: &Facts, push: &mut Found<'_>) {
    let weaker_log =
        |x: Option<&str>, y: Option<&str>| x == Some("required") && y != Some("required");
    if weaker_log(b.logs.0, h.logs.0) || weaker_log(b.logs.1, h.logs.1) {
        push.add(
            ChangeKind::LoggingRelaxed,
            "an audit or decision log is no longer required".to_owned(),
        );
    }
    if b.risk_tier != h.risk_tier {
        push.add(
            ChangeKind::RiskTierChanged,
            format!(
                "risk tier `{}` instead of `{}`",
                h.risk_tier.unwrap_or("none"),
                b.risk_tier.unwrap_or("none")
            ),
        );
    }
    if b.provenance != h.provenance {
        push.add(
            ChangeKind::ProvenanceChanged,
            "what is acting (provider, model, version or runtime) changed".to_owned(),
        );
    }
    if b.kind != h.kind || b.purpose != h.purpose || b.labels != h.labels {
        push.add(
            ChangeKind::DescriptionChanged,
            "its kind, purpose or labels changed".to_owned(),
        );
    }
}

fn workspace(base: &Model, head: &Model, out: &mut Vec<Change>) {
    let (b, h) = (&base.settings.guardrails, &head.settings.guardrails);
    let names = |g: &crate::model::Guardrails| -> BTreeSet<String> {
        g.forbidden_actions
            .iter()
            .map(|a| a.value.clone())
            .collect()
    };
    let (bf, hf) = (names(b), names(h));
    for a in bf.difference(&hf) {
        out.push(Change::new(
            ChangeKind::GuardrailDropped,
            None,
            format!("the guardrail no longer forbids `{a}` to every identity"),
        ));
    }
    for a in hf.difference(&bf) {
        out.push(Change::new(
            ChangeKind::GuardrailAdded,
            None,
            format!("a guardrail now forbids `{a}` to every identity"),
        ));
    }
    let secs = |d: &Option<crate::model::Spanned<crate::model::Duration>>| {
        d.as_ref().map(|d| d.value.as_secs())
    };
    if secs(&h.max_token_ttl) > secs(&b.max_token_ttl) && secs(&b.max_token_ttl).is_some()
        || (secs(&b.max_token_ttl).is_some() && secs(&h.max_token_ttl).is_none())
    {
        out.push(Change::new(
            ChangeKind::GuardrailTtlRaised,
            None,
            format!(
                "the longest token allowed is {} instead of {}",
                duration(secs(&h.max_token_ttl)),
                duration(secs(&b.max_token_ttl))
            ),
        ));
    }
    let methods = |g: &crate::model::Guardrails| -> BTreeSet<&'static str> {
        g.allowed_auth_methods
            .iter()
            .map(|m| m.value.as_str())
            .collect()
    };
    let (bm, hm) = (methods(b), methods(h));
    if !bm.is_empty() && (hm.is_empty() || hm.difference(&bm).next().is_some()) {
        out.push(Change::new(
            ChangeKind::GuardrailAuthWidened,
            None,
            "the guardrails allow more authentication methods".to_owned(),
        ));
    }
}

/// The delegation edges of every identity whose delegations changed, in
/// both workspaces: `added`, `removed` or `kept`.
#[must_use]
pub fn delegation_edges(base: &Model, head: &Model) -> Vec<Edge> {
    let edges = |m: &Model| -> BTreeMap<(String, String), BTreeSet<String>> {
        let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for i in m.identities.values() {
            for d in &i.delegations {
                out.entry((i.name.value.to_string(), d.to.value.to_string()))
                    .or_default()
                    .extend(d.actions.iter().map(|a| a.value.clone()));
            }
        }
        out
    };
    let (b, h) = (edges(base), edges(head));
    let changed: BTreeSet<&String> = b
        .iter()
        .filter(|(k, v)| h.get(*k) != Some(v))
        .chain(h.iter().filter(|(k, v)| b.get(*k) != Some(v)))
        .map(|((from, _), _)| from)
        .collect();
    let mut out = Vec::new();
    for ((from, to), actions) in &h {
        if changed.contains(from) {
            let status = if b.get(&(from.clone(), to.clone())) == Some(actions) {
                Status::Kept
            } else if b.contains_key(&(from.clone(), to.clone())) {
                Status::Changed
            } else {
                Status::Added
            };
            out.push(Edge {
                from: from.clone(),
                to: to.clone(),
                actions: actions.iter().cloned().collect(),
                status,
            });
        }
    }
    for ((from, to), actions) in &b {
        if changed.contains(from) && !h.contains_key(&(from.clone(), to.clone())) {
            out.push(Edge {
                from: from.clone(),
                to: to.clone(),
                actions: actions.iter().cloned().collect(),
                status: Status::Removed,
            });
        }
    }
    out.sort();
    out
}
