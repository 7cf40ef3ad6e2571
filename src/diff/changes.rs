//! The semantic change list: identities added, removed or renamed, and for
//! each identity in both, what it gained, lost or loosened — compared on
//! the model, so moving a file, reordering keys or editing comments
//! changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use super::{Change, Edge, Risk, Side};
use crate::analyse::{Check, canonical, context_checks, narrowing};
use crate::model::{Access, AuthMethod, Date, Identity, Model, State};

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

/// Whether `head` accepts anything `base` refused: a check dropped, or a
/// value added to one.
#[must_use]
pub fn widens(base: &[Check], head: &[Check]) -> bool {
    base.iter().any(|b| {
        head.iter()
            .find(|h| h.key == b.key)
            .is_none_or(|h| h.values.iter().any(|v| !b.values.contains(v)))
    })
}

fn duration(s: Option<u64>) -> String {
    s.map_or_else(
        || "none".to_owned(),
        |s| crate::model::Duration::from_secs(s).to_string(),
    )
}

fn list(items: &BTreeSet<String>) -> String {
    items
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
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
                Risk::Low,
                Some(to),
                "identity-renamed",
                format!("renamed from `{}`; nothing else changed", r.name.value),
            ));
        } else {
            out.push(Change::new(
                Risk::Low,
                Some(r.name.value.as_str()),
                "identity-removed",
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
            Risk::Medium,
            Some(a.name.value.as_str()),
            "identity-added",
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
    let (b, h) = (facts(bi), facts(hi));
    if b == h {
        return;
    }
    let name = hi.name.value.as_str();
    let mut push =
        |risk, kind, summary: String| out.push(Change::new(risk, Some(name), kind, summary));
    for (action, checks) in &h.allowed {
        match b.allowed.get(action) {
            None => push(
                gain_risk(head.model, action),
                "action-gained",
                format!("may now `{action}`"),
            ),
            Some(before) if widens(before, checks) => push(
                Risk::Medium,
                "narrowing-widened",
                format!("`{action}` is narrowed less: its `where` conditions accept more"),
            ),
            Some(before) if widens(checks, before) => push(
                Risk::Low,
                "narrowing-tightened",
                format!("`{action}` is narrowed further"),
            ),
            Some(_) => {}
        }
    }
    for action in b.allowed.keys().filter(|a| !h.allowed.contains_key(*a)) {
        push(
            Risk::Low,
            "action-lost",
            format!("may no longer `{action}`"),
        );
    }
    for f in b.forbidden.difference(&h.forbidden) {
        push(
            Risk::High,
            "forbidden-dropped",
            format!("`{f}` is no longer forbidden"),
        );
    }
    for f in h.forbidden.difference(&b.forbidden) {
        push(
            Risk::Low,
            "forbidden-added",
            format!("`{f}` is now forbidden"),
        );
    }
    auth(&b, &h, &mut push);
    if widens(&b.context, &h.context) {
        push(
            Risk::Medium,
            "context-widened",
            "may act in more environments, regions, namespaces or contexts".to_owned(),
        );
    } else if widens(&h.context, &b.context) {
        push(
            Risk::Low,
            "context-narrowed",
            "may act in fewer environments, regions, namespaces or contexts".to_owned(),
        );
    }
    delegations(&b, &h, &mut push);
    let renders = (base.analysis.renders(bi), head.analysis.renders(hi));
    lifecycle(&b, &h, renders, &mut push);
}

fn auth(b: &Facts, h: &Facts, push: &mut impl FnMut(Risk, &'static str, String)) {
    if b.method != h.method {
        let (risk, kind) = match strength(h.method).cmp(&strength(b.method)) {
            std::cmp::Ordering::Less => (Risk::High, "auth-weakened"),
            std::cmp::Ordering::Greater => (Risk::Low, "auth-strengthened"),
            std::cmp::Ordering::Equal => (Risk::Medium, "auth-changed"),
        };
        push(
            risk,
            kind,
            format!(
                "authenticates with `{}` instead of `{}`",
                h.method, b.method
            ),
        );
    }
    if b.trust != h.trust {
        push(
            Risk::Medium,
            "trust-changed",
            "its issuer, subject or audience changed: a different workload may now present it"
                .to_owned(),
        );
    }
    if h.ttl > b.ttl && b.ttl.is_some() || (b.ttl.is_some() && h.ttl.is_none()) {
        push(
            Risk::Medium,
            "ttl-raised",
            format!(
                "tokens live {} instead of {}",
                duration(h.ttl),
                duration(b.ttl)
            ),
        );
    } else if h.ttl < b.ttl || (b.ttl.is_none() && h.ttl.is_some()) {
        push(
            Risk::Low,
            "ttl-lowered",
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
        push(
            Risk::Medium,
            "rotation-lengthened",
            format!(
                "its secret rotates every {} instead of {}",
                duration(h.rotation),
                duration(b.rotation)
            ),
        );
    }
}

fn delegations(b: &Facts, h: &Facts, push: &mut impl FnMut(Risk, &'static str, String)) {
    for (to, (actions, ttl, depth)) in &h.delegations {
        match b.delegations.get(to) {
            None => push(
                Risk::High,
                "delegation-added",
                format!("may delegate {} to `{to}`", list(actions)),
            ),
            Some((before, bttl, bdepth)) => {
                let more: BTreeSet<String> = actions.difference(before).cloned().collect();
                if !more.is_empty() {
                    push(
                        Risk::High,
                        "delegation-widened",
                        format!("delegates {} more to `{to}`", list(&more)),
                    );
                }
                if ttl > bttl || (bttl.is_some() && ttl.is_none()) {
                    push(
                        Risk::Medium,
                        "delegation-ttl-raised",
                        format!(
                            "delegations to `{to}` live {} instead of {}",
                            duration(*ttl),
                            duration(*bttl)
                        ),
                    );
                }
                if depth > bdepth || (bdepth.is_some() && depth.is_none()) {
                    push(
                        Risk::Medium,
                        "delegation-deepened",
                        format!("`{to}` may pass its delegation further"),
                    );
                }
                if before.difference(actions).next().is_some() {
                    push(
                        Risk::Low,
                        "delegation-narrowed",
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
        push(
            Risk::Low,
            "delegation-removed",
            format!("no longer delegates to `{to}`"),
        );
    }
}

/// Who answers for it, its state, its end and review, its logs and what
/// it is; `renders` says whether it renders in the base and in the head.
fn lifecycle(
    b: &Facts,
    h: &Facts,
    renders: (bool, bool),
    push: &mut impl FnMut(Risk, &'static str, String),
) {
    if b.owner != h.owner {
        push(
            Risk::Medium,
            "owner-changed",
            format!("owned by `{}` instead of `{}`", h.owner, b.owner),
        );
    }
    if b.accountable != h.accountable {
        push(
            Risk::Medium,
            "accountable-changed",
            format!(
                "`{}` answers for it instead of `{}`",
                h.accountable.as_deref().unwrap_or("nobody"),
                b.accountable.as_deref().unwrap_or("nobody")
            ),
        );
    }
    if b.state != h.state {
        let risk = if h.state == State::Active {
            Risk::High
        } else {
            Risk::Low
        };
        push(
            risk,
            "state-changed",
            format!("`{}` instead of `{}`", h.state, b.state),
        );
    }
    let (was, is) = renders;
    if b.expires != h.expires {
        let (risk, kind) = match (b.expires, h.expires) {
            (Some(_), None) => (Risk::Medium, "expiry-removed"),
            (Some(x), Some(y)) if y > x => (Risk::Low, "expiry-extended"),
            _ => (Risk::Info, "expiry-set"),
        };
        let when = h
            .expires
            .map_or_else(|| "never".to_owned(), |d| d.to_string());
        push(
            risk,
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
        push(
            Risk::Low,
            "review-cycle-changed",
            format!(
                "reviewed {} instead of {}",
                h.review.as_deref().unwrap_or("never"),
                b.review.as_deref().unwrap_or("never")
            ),
        );
    }
    let weaker_log =
        |x: Option<&str>, y: Option<&str>| x == Some("required") && y != Some("required");
    if weaker_log(b.logs.0, h.logs.0) || weaker_log(b.logs.1, h.logs.1) {
        push(
            Risk::Medium,
            "logging-relaxed",
            "an audit or decision log is no longer required".to_owned(),
        );
    }
    if b.risk_tier != h.risk_tier {
        push(
            Risk::Info,
            "risk-tier-changed",
            format!(
                "risk tier `{}` instead of `{}`",
                h.risk_tier.unwrap_or("none"),
                b.risk_tier.unwrap_or("none")
            ),
        );
    }
    if b.provenance != h.provenance {
        push(
            Risk::Low,
            "provenance-changed",
            "what is acting (provider, model, version or runtime) changed".to_owned(),
        );
    }
    if b.kind != h.kind || b.purpose != h.purpose || b.labels != h.labels {
        push(
            Risk::Info,
            "description-changed",
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
            Risk::High,
            None,
            "guardrail-dropped",
            format!("the guardrail no longer forbids `{a}` to every identity"),
        ));
    }
    for a in hf.difference(&bf) {
        out.push(Change::new(
            Risk::Low,
            None,
            "guardrail-added",
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
            Risk::Medium,
            None,
            "guardrail-ttl-raised",
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
            Risk::Medium,
            None,
            "guardrail-auth-widened",
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
                "kept"
            } else if b.contains_key(&(from.clone(), to.clone())) {
                "changed"
            } else {
                "added"
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
                status: "removed",
            });
        }
    }
    out.sort();
    out
}
