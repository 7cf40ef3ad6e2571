//! The checked model: what the workspace declares, once every value is
//! known to be well-formed.
//!
//! Downstream code (analysis, renderers, diff) works on these types only and
//! never re-checks them: a [`Name`] is a DNS-1123 label, a [`Duration`] a
//! positive number of seconds, a [`Date`] a calendar date. Every value that a
//! later diagnostic may point at keeps its [`Spanned`] place.

use litemap::LiteMap;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

pub mod keywords;
pub mod mcp;
pub mod targets;

pub use crate::source::Spanned;
use crate::source::{FileId, Loc};
pub(crate) use keywords::keyword_enum;
pub use keywords::{
    Access, Acts, AuthMethod, AwsPrerequisite, ClusterPlatform, GatewayAuthorizer, GcpPrerequisite,
    IdentityType, Keyword, Kind, Platform, Requirement, RiskTier, State,
};
pub use mcp::{McpGrant, McpServer, ToolGrant};
pub use targets::{
    AgentCoreTarget, AwsTarget, AzureTarget, GcpTarget, KubernetesTarget, Targets, ToolHiveTarget,
};

/// A DNS-1123 label: 1–63 characters of `a-z`, `0-9` and `-`, starting and
/// ending with a letter or digit. Safe as a file name, a Cedar string, an
/// IAM role name and a Kubernetes object name.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Name(String);

impl Name {
    /// The longest name.
    pub const MAX_LEN: usize = 63;

    /// A name, if `s` is a DNS-1123 label.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let bytes = s.as_bytes();
        let edge_ok =
            |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let ok = !bytes.is_empty()
            && bytes.len() <= Self::MAX_LEN
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            && edge_ok(bytes.first())
            && edge_ok(bytes.last());
        ok.then(|| Self(s.to_owned()))
    }

    /// The name as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// A positive length of time, in whole seconds.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Duration(u64);

impl Duration {
    /// A duration of `seconds`.
    #[must_use]
    pub const fn from_secs(seconds: u64) -> Self {
        Self(seconds)
    }

    /// The number of seconds.
    #[must_use]
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// Parse `15m`, `1h`, `90d`, `2w`, `1h30m`, `3600s` or ISO 8601
    /// (`PT15M`). Days count as 24 hours; months and years are refused as
    /// ambiguous. Zero and negative durations are refused.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let span: jiff::Span = s.trim().parse().ok()?;
        if span.get_months() != 0 || span.get_years() != 0 || span.is_negative() {
            return None;
        }
        let seconds = span
            .total((
                jiff::Unit::Second,
                jiff::SpanRelativeTo::days_are_24_hours(),
            ))
            .ok()?;
        if !(seconds >= 1.0 && seconds.fract() == 0.0 && seconds < 1e15) {
            return None;
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked above: a positive whole number below 1e15"
        )]
        let whole = seconds as u64;
        Some(Self(whole))
    }
}

impl fmt::Display for Duration {
    /// The shortest exact form: `90d`, `1h`, `1h30m`, `45s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        let mut wrote = false;
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            let n = rest / size;
            rest %= size;
            if n > 0 {
                write!(f, "{n}{unit}")?;
                wrote = true;
            }
        }
        if !wrote {
            f.write_str("0s")?;
        }
        Ok(())
    }
}

/// A calendar date.
pub type Date = jiff::civil::Date;

/// An instant, in UTC.
pub type Time = jiff::Timestamp;

/// Parse an instant: RFC 3339 with an offset (`2026-12-31T17:00:00Z`,
/// `2026-12-31T18:00:00+01:00`), or a date, which means its midnight in
/// UTC. Sub-second instants are refused: every target compares seconds.
#[must_use]
pub fn parse_time(s: &str) -> Option<Time> {
    let s = s.trim();
    let time = match parse_date(s) {
        Some(date) => date.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp(),
        None => s.parse::<Time>().ok()?,
    };
    (time.subsec_nanosecond() == 0).then_some(time)
}

/// An instant as every target writes it: `2026-12-31T17:00:00Z`.
#[must_use]
pub fn time_text(time: Time) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parse a `YYYY-MM-DD` date.
#[must_use]
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if s.len() != 10 {
        return None;
    }
    s.parse().ok()
}

/// How often an identity is reviewed.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum ReviewCycle {
    /// Every month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every six months.
    Semiannual,
    /// Every year.
    Annual,
    /// Every given duration.
    Every(Duration),
}

impl ReviewCycle {
    /// The named cycles, as written.
    pub const NAMES: &'static [&'static str] = &["monthly", "quarterly", "semiannual", "annual"];

    /// Parse a named cycle or a duration.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "monthly" => Some(Self::Monthly),
            "quarterly" => Some(Self::Quarterly),
            "semiannual" => Some(Self::Semiannual),
            "annual" | "yearly" => Some(Self::Annual),
            other => Duration::parse(other).map(Self::Every),
        }
    }

    /// The date the next review is due after a review on `last`.
    #[must_use]
    pub fn next_after(self, last: Date) -> Option<Date> {
        let span = match self {
            Self::Monthly => jiff::Span::new().months(1),
            Self::Quarterly => jiff::Span::new().months(3),
            Self::Semiannual => jiff::Span::new().months(6),
            Self::Annual => jiff::Span::new().years(1),
            // a cycle longer than a span can hold has no next date
            Self::Every(d) => jiff::Span::new()
                .try_days(i64::try_from(d.as_secs().div_ceil(86_400)).ok()?)
                .ok()?,
        };
        last.checked_add(span).ok()
    }
}

impl fmt::Display for ReviewCycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Monthly => f.write_str("monthly"),
            Self::Quarterly => f.write_str("quarterly"),
            Self::Semiannual => f.write_str("semiannual"),
            Self::Annual => f.write_str("annual"),
            Self::Every(d) => d.fmt(f),
        }
    }
}

/// A named human: an email address or `user:<id>`.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Human(String);

impl Human {
    /// A human reference, if `s` has the form of one.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let email = s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
                && domain.matches('@').count() == 0
        });
        let user = s.strip_prefix("user:").is_some_and(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
        (email || user).then(|| Self(s.to_owned()))
    }

    /// As written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How an identity authenticates.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Auth {
    /// The method.
    pub method: Spanned<AuthMethod>,
    /// Token issuer.
    pub issuer: Option<Spanned<String>>,
    /// Subject asserted by the issuer.
    pub subject: Option<Spanned<String>>,
    /// Audience.
    pub audience: Option<Spanned<String>>,
    /// Token or session lifetime.
    pub ttl: Option<Spanned<Duration>>,
    /// Secret rotation period.
    pub rotation: Option<Spanned<Duration>>,
    /// Reference to where a secret lives.
    pub secret_ref: Option<Spanned<String>>,
    /// The client id Azure assigned its managed identity.
    pub client_id: Option<Spanned<String>>,
    /// The whole `auth` value.
    pub loc: Loc,
}

/// Attributes and the values each accepts (any of), sorted by attribute:
/// a grant's `where`, a context's other attributes.
pub type Attributes = LiteMap<String, Vec<Spanned<String>>>;

/// An allowed action, possibly narrowed by attribute conditions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Grant {
    /// The action.
    pub action: Spanned<String>,
    /// `where`: attribute → accepted values (any of).
    pub conditions: Attributes,
    /// Its approval and time window, when it has either: most grants have
    /// neither, and a grant stays small without them.
    pub terms: Option<Box<Terms>>,
}

impl Grant {
    /// A grant of `action` under `conditions` and `terms`.
    #[must_use]
    pub fn new(action: Spanned<String>, conditions: Attributes, terms: Terms) -> Self {
        Self {
            action,
            conditions,
            terms: (terms != NO_TERMS).then(|| Box::new(terms)),
        }
    }

    /// Its approval and time window (none of either when it has no terms).
    #[must_use]
    pub fn terms(&self) -> &Terms {
        self.terms.as_deref().unwrap_or(&NO_TERMS)
    }
}

/// The terms of a grant that is neither approved nor time-boxed.
static NO_TERMS: Terms = Terms {
    approval: None,
    valid_from: None,
    valid_until: None,
    valid_for: None,
    malformed_window: false,
};

/// When an allowed action holds: the approval it needs and its time window.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Terms {
    /// The team that must approve each request, if any.
    pub approval: Option<Spanned<String>>,
    /// When the grant starts to hold (`valid_from`).
    pub valid_from: Option<Spanned<Time>>,
    /// When it stops holding (`valid_until`, exclusive).
    pub valid_until: Option<Spanned<Time>>,
    /// How long it holds after each approval (`valid_for`).
    pub valid_for: Option<Spanned<Duration>>,
    /// A time field that does not parse (SC005, SC006): the grant holds at
    /// no time, so that a window lowered from an error never widens it.
    pub malformed_window: bool,
}

/// Context attributes under which an identity may act.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Context {
    /// Environments (`None`: any; an empty list accepts none).
    pub environments: Option<Vec<Spanned<String>>>,
    /// Regions (`None`: any; an empty list accepts none).
    pub regions: Option<Vec<Spanned<String>>>,
    /// Kubernetes namespaces (`None`: any; an empty list accepts none).
    pub namespaces: Option<Vec<Spanned<String>>>,
    /// Other attributes.
    pub attributes: Attributes,
}

impl Context {
    /// The values the context allows for a request context key (`None`:
    /// it does not set the key, so any value).
    #[must_use]
    pub fn values(&self, key: &str) -> Option<&[Spanned<String>]> {
        use crate::vocabulary::context::{ENVIRONMENT, NAMESPACE, REGION};
        match key {
            ENVIRONMENT => self.environments.as_deref(),
            REGION => self.regions.as_deref(),
            NAMESPACE => self.namespaces.as_deref(),
            other => self.attributes.get(other).map(Vec::as_slice),
        }
    }
}

/// One delegation: the delegate and what it may receive.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Delegation {
    /// The delegate.
    pub to: Spanned<Name>,
    /// The actions delegated.
    pub actions: Vec<Spanned<String>>,
    /// Lifetime of a delegated token.
    pub ttl: Option<Spanned<Duration>>,
    /// Further hops allowed (0: the delegate may not pass it on).
    pub max_depth: Option<Spanned<u32>>,
    /// The whole entry.
    pub loc: Loc,
}

/// What is acting.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// Provider.
    pub provider: Option<Spanned<String>>,
    /// Model.
    pub model: Option<Spanned<String>>,
    /// Version.
    pub version: Option<Spanned<String>>,
    /// Runtime.
    pub runtime: Option<Spanned<String>>,
}

/// How much an agent may do at its gateways (each at least 1).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RateLimits {
    /// Requests a minute, at most.
    pub requests_per_minute: Option<Spanned<u32>>,
    /// Resource claims held at once, at most.
    pub concurrent_claims: Option<Spanned<u32>>,
}

/// A checked identity.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// Its name.
    pub name: Spanned<Name>,
    /// The file it is declared in.
    pub file: FileId,
    /// What it is.
    pub kind: Kind,
    /// Owning team.
    pub owner: Spanned<String>,
    /// Kind of principal in the targets.
    pub identity_type: Option<Spanned<IdentityType>>,
    /// Business purpose.
    pub purpose: Option<Spanned<String>>,
    /// Accountable human.
    pub accountable: Option<Spanned<Human>>,
    /// Acting mode.
    pub acts: Option<Spanned<Acts>>,
    /// Authentication.
    pub auth: Auth,
    /// Allowed actions.
    pub allowed: Vec<Grant>,
    /// Forbidden actions.
    pub forbidden: Vec<Spanned<String>>,
    /// Audit log requirement.
    pub audit_log: Option<Spanned<Requirement>>,
    /// Decision log requirement.
    pub decision_log: Option<Spanned<Requirement>>,
    /// Review cycle.
    pub review_cycle: Option<Spanned<ReviewCycle>>,
    /// Last review.
    pub last_reviewed: Option<Spanned<Date>>,
    /// Last reviewer.
    pub reviewer: Option<Spanned<String>>,
    /// End of purpose.
    pub expires: Option<Spanned<Date>>,
    /// Context attributes.
    pub context: Context,
    /// The targets it runs in, when its file says (`None`: the
    /// workspace's default, else what its `auth` implies).
    pub targets: Option<Vec<Spanned<Platform>>>,
    /// The clouds where its objects exist already: Terraform imports them.
    pub existing: Vec<Spanned<Platform>>,
    /// What targets already call its principals (`known_as`).
    pub known_as: KnownAs,
    /// The MCP servers it may call, each with its tools.
    pub mcp: Vec<McpGrant>,
    /// How much it may do at its gateways.
    pub rate_limits: RateLimits,
    /// Delegations.
    pub delegations: Vec<Delegation>,
    /// Provenance.
    pub provenance: Provenance,
    /// Risk tier.
    pub risk_tier: Option<Spanned<RiskTier>>,
    /// Labels.
    pub labels: LiteMap<String, Spanned<String>>,
    /// Lifecycle state.
    pub state: Spanned<State>,
    /// Lint rules it is exempt from.
    pub suppressions: Vec<Suppression>,
    /// Keys its file writes whose values were reported as malformed and
    /// left out: no rule reports them missing as well. (Only an identity
    /// with none is kept between runs: its file was reported.)
    #[serde(serialize_with = "none_unreadable", deserialize_with = "no_unreadable")]
    pub unreadable: BTreeSet<&'static str>,
}

/// Write the unreadable keys of an identity kept between runs: there are
/// none, or it is not kept.
fn none_unreadable<S: serde::Serializer>(
    keys: &BTreeSet<&'static str>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if keys.is_empty() {
        serializer.serialize_unit()
    } else {
        Err(serde::ser::Error::custom(
            "an identity with unreadable keys",
        ))
    }
}

/// Read back the unreadable keys of an identity kept between runs: none.
fn no_unreadable<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeSet<&'static str>, D::Error> {
    <() as serde::Deserialize>::deserialize(deserializer)?;
    Ok(BTreeSet::new())
}

/// The names an identity's principals already have in the targets.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KnownAs {
    /// Its IAM role or user, under its own path and name.
    pub aws: Option<Spanned<IamName>>,
}

/// An IAM role or user's path and name.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IamName {
    /// The path: `/`, or `/` + segments + `/`.
    pub path: String,
    /// The name: 1–64 of `A-Z a-z 0-9 + = , . @ _ -`.
    pub name: String,
}

impl IamName {
    /// The longest role or user name.
    pub const MAX_NAME: usize = 64;
    /// The longest path.
    pub const MAX_PATH: usize = 512;

    /// Read `[/path/]name`, if IAM accepts both parts.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let (path, name) = match s.rsplit_once('/') {
            Some((dir, name)) => (format!("{dir}/"), name),
            None => ("/".to_owned(), s),
        };
        let name_ok = (1..=Self::MAX_NAME).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
        let path_ok = path.starts_with('/')
            && path.len() <= Self::MAX_PATH
            && !path.contains("//")
            && path.bytes().all(|b| (0x21..=0x7e).contains(&b));
        (name_ok && path_ok).then(|| Self {
            path,
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for IamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path != "/" {
            f.write_str(&self.path)?;
        }
        f.write_str(&self.name)
    }
}

/// An identity's exemption from a lint rule, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Suppression {
    /// The rule, as written (a code or a name).
    pub rule: Spanned<String>,
    /// Why.
    pub reason: Spanned<String>,
    /// The whole entry.
    pub loc: Loc,
}

impl Identity {
    /// The names of its allowed actions.
    #[must_use]
    pub fn allowed_names(&self) -> BTreeSet<&str> {
        self.allowed
            .iter()
            .map(|g| g.action.value.as_str())
            .collect()
    }

    /// The names of its forbidden actions.
    #[must_use]
    pub fn forbidden_names(&self) -> BTreeSet<&str> {
        self.forbidden.iter().map(|a| a.value.as_str()).collect()
    }

    /// Whether its expiry date is on or before `today`.
    #[must_use]
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires.as_ref().is_some_and(|e| e.value <= today)
    }
}

/// A team.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Team {
    /// Its name.
    pub name: Spanned<String>,
    /// Description.
    pub description: Option<Spanned<String>>,
    /// Code-host handle.
    pub handle: Option<Spanned<String>>,
    /// Contact address.
    pub email: Option<Spanned<String>>,
    /// Members.
    pub members: Vec<Spanned<Human>>,
}

/// One RBAC rule of a Kubernetes mapping.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RbacRule {
    /// API groups.
    pub api_groups: Vec<Spanned<String>>,
    /// Resources.
    pub resources: Vec<Spanned<String>>,
    /// Verbs.
    pub verbs: Vec<Spanned<String>>,
    /// Resource names.
    pub resource_names: Vec<Spanned<String>>,
    /// The whole rule.
    pub loc: Loc,
}

/// A catalogue action and its meaning per target.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Action {
    /// Its name.
    pub name: Spanned<String>,
    /// Description.
    pub description: Option<Spanned<String>>,
    /// Sensitivity.
    pub access: Option<Spanned<Access>>,
    /// Whether every identity must hold it under a human's approval.
    pub critical: Option<Spanned<bool>>,
    /// Cedar resource types.
    pub cedar_resource_types: Vec<Spanned<String>>,
    /// AWS actions and resources, if mapped.
    pub aws: Option<AwsMapping>,
    /// GCP permissions, if mapped.
    pub gcp: Option<GcpMapping>,
    /// Azure actions and data actions, if mapped.
    pub azure: Option<AzureMapping>,
    /// Kubernetes rules, if mapped.
    pub kubernetes: Option<KubernetesMapping>,
}

impl Action {
    /// Whether it means something in a target: its mapping there grants
    /// at least one permission or rule.
    #[must_use]
    pub fn means_something_in(&self, platform: Platform) -> bool {
        match platform {
            Platform::Aws => self.aws.as_ref().is_some_and(|m| !m.actions.is_empty()),
            Platform::Gcp => self.gcp.as_ref().is_some_and(|m| !m.permissions.is_empty()),
            Platform::Azure => self
                .azure
                .as_ref()
                .is_some_and(|m| !m.actions.is_empty() || !m.data_actions.is_empty()),
            Platform::Kubernetes => self
                .kubernetes
                .as_ref()
                .is_some_and(|m| !m.rules.is_empty()),
        }
    }
}

/// IAM conditions: operator → condition key → accepted values.
pub type AwsConditions = BTreeMap<String, AwsCondition>;

/// The condition keys of one IAM condition operator.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AwsCondition {
    /// Where the operator is written.
    pub loc: Loc,
    /// Condition key → accepted values.
    pub keys: BTreeMap<String, Vec<Spanned<String>>>,
}

/// What an action means in AWS.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AwsMapping {
    /// IAM actions (patterns allowed).
    pub actions: Vec<Spanned<String>>,
    /// Resource ARNs (empty: `*`).
    pub resources: Vec<Spanned<String>>,
    /// Conditions added to the action's statements.
    pub conditions: AwsConditions,
    /// Why a wildcard is deliberate, if it is.
    pub wildcard_reason: Option<Spanned<String>>,
    /// The whole mapping.
    pub loc: Loc,
}

/// What an action means in Google Cloud.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GcpMapping {
    /// IAM permissions.
    pub permissions: Vec<Spanned<String>>,
    /// The `where` key whose values name the resources they act on.
    pub names: Option<Spanned<String>>,
    /// The resources that key names.
    pub resource: Option<GcpResource>,
    /// The whole mapping.
    pub loc: Loc,
}

/// The Google Cloud resources a `where` key names.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GcpResource {
    /// Resource type (`artifactregistry.googleapis.com/Repository`).
    pub kind: Spanned<String>,
    /// Full resource name with `{name}` (and `{project}`) in it.
    pub name: Spanned<String>,
    /// The whole `resource` mapping.
    pub loc: Loc,
}

/// What an action means in Azure.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AzureMapping {
    /// Control-plane actions.
    pub actions: Vec<Spanned<String>>,
    /// Data-plane actions.
    pub data_actions: Vec<Spanned<String>>,
    /// Where its operations are assigned (default: the target's scope).
    pub scope: Option<Spanned<String>>,
    /// Why a wildcard is deliberate, if it is.
    pub wildcard_reason: Option<Spanned<String>>,
    /// The whole mapping.
    pub loc: Loc,
}

/// What an action means in Kubernetes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KubernetesMapping {
    /// RBAC rules.
    pub rules: Vec<RbacRule>,
    /// Whether they need a ClusterRole.
    pub cluster_wide: bool,
    /// The `where` key whose values name the objects the rules act on
    /// (rendered as `resourceNames`).
    pub names: Option<Spanned<String>>,
    /// Why a wildcard is deliberate, if it is.
    pub wildcard_reason: Option<Spanned<String>>,
}

/// Organisation-wide guardrails.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Guardrails {
    /// Actions no identity may hold.
    pub forbidden_actions: Vec<Spanned<String>>,
    /// Longest token TTL.
    pub max_token_ttl: Option<Spanned<Duration>>,
    /// Longest secret rotation.
    pub max_secret_rotation: Option<Spanned<Duration>>,
    /// Auth methods allowed (empty: all).
    pub allowed_auth_methods: Vec<Spanned<AuthMethod>>,
    /// Deepest delegation chain.
    pub max_delegation_depth: Option<Spanned<u32>>,
    /// How long before expiry to warn.
    pub expiry_notice: Option<Spanned<Duration>>,
    /// Environments isolated from every other (empty: the default).
    pub isolated_environments: Vec<Spanned<String>>,
}

impl Guardrails {
    /// The deepest delegation chain when no guardrail sets one.
    pub const DEFAULT_MAX_DELEGATION_DEPTH: u32 = 5;
    /// The longest token TTL when no guardrail sets one: 12 hours, the
    /// longest session the clouds issue.
    pub const DEFAULT_MAX_TOKEN_TTL: Duration = Duration::from_secs(12 * 3600);
    /// The longest secret rotation when no guardrail sets one: 90 days.
    pub const DEFAULT_MAX_SECRET_ROTATION: Duration = Duration::from_secs(90 * 86_400);
    /// The environment isolated from every other when no guardrail says.
    pub const DEFAULT_ISOLATED_ENVIRONMENT: &'static str = "production";

    /// The deepest delegation chain allowed.
    #[must_use]
    pub fn delegation_depth_limit(&self) -> u32 {
        self.max_delegation_depth
            .as_ref()
            .map_or(Self::DEFAULT_MAX_DELEGATION_DEPTH, |d| d.value)
    }

    /// The longest token TTL allowed.
    #[must_use]
    pub fn token_ttl_limit(&self) -> Duration {
        self.max_token_ttl
            .as_ref()
            .map_or(Self::DEFAULT_MAX_TOKEN_TTL, |d| d.value)
    }

    /// The longest secret rotation allowed.
    #[must_use]
    pub fn rotation_limit(&self) -> Duration {
        self.max_secret_rotation
            .as_ref()
            .map_or(Self::DEFAULT_MAX_SECRET_ROTATION, |d| d.value)
    }

    /// Whether an environment is isolated from every other.
    #[must_use]
    pub fn is_isolated(&self, environment: &str) -> bool {
        if self.isolated_environments.is_empty() {
            environment == Self::DEFAULT_ISOLATED_ENVIRONMENT
        } else {
            self.isolated_environments
                .iter()
                .any(|e| e.value == environment)
        }
    }
}

/// The workspace settings from `nhi.yaml`.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// Identity folder, relative to the root.
    pub identities_dir: PathBuf,
    /// Output folder, relative to the root.
    pub output_dir: PathBuf,
    /// Decision test folder, relative to the root.
    pub tests_dir: PathBuf,
    /// SPIFFE trust domain.
    pub trust_domain: Option<Spanned<String>>,
    /// Teams, when declared (`None`: owners are not checked).
    pub teams: Option<BTreeMap<String, Team>>,
    /// The action catalogue, when declared (`None`: actions are not checked).
    pub actions: Option<BTreeMap<String, Action>>,
    /// Targets.
    pub targets: Targets,
    /// Where an identity runs when its file does not say (`None`: what its
    /// `auth` implies).
    pub default_targets: Option<Vec<Spanned<Platform>>>,
    /// Guardrails.
    pub guardrails: Guardrails,
    /// MCP servers, by name.
    pub mcp_servers: BTreeMap<String, McpServer>,
}

/// A checked workspace: settings and identities by name.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Model {
    /// Settings.
    pub settings: Settings,
    /// Identities by name (boxed: the map's nodes stay small, and a large
    /// workspace moves into it without a second copy).
    pub identities: BTreeMap<Name, Box<Identity>>,
}

impl Model {
    /// Every identity's name.
    #[must_use]
    pub fn names(&self) -> BTreeSet<String> {
        self.identities
            .keys()
            .map(|n| n.as_str().to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_1123_labels() {
        for good in ["release-assistant", "a", "a1", "x-2-y", &"a".repeat(63)] {
            assert!(Name::parse(good).is_some(), "{good}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "Release",
            "a_b",
            "a.b",
            "../etc",
            "a/b",
            "a b",
            "a\"b",
            &"a".repeat(64),
            "ä",
        ] {
            assert!(Name::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn durations_parse_and_print() {
        let cases = [
            ("15m", 900),
            ("1h", 3600),
            ("90d", 7_776_000),
            ("1h30m", 5400),
            ("2w", 1_209_600),
            ("PT15M", 900),
            ("45s", 45),
        ];
        for (text, secs) in cases {
            assert_eq!(
                Duration::parse(text).map(Duration::as_secs),
                Some(secs),
                "{text}"
            );
        }
        for bad in ["", "0s", "-5m", "1 month", "forever", "15", "1y"] {
            assert_eq!(Duration::parse(bad), None, "{bad}");
        }
        assert_eq!(Duration::from_secs(5400).to_string(), "1h30m");
        assert_eq!(Duration::from_secs(7_776_000).to_string(), "90d");
    }

    #[test]
    fn review_cycles_add_calendar_months() {
        let last = parse_date("2026-01-31").unwrap();
        assert_eq!(
            ReviewCycle::parse("quarterly").unwrap().next_after(last),
            parse_date("2026-04-30")
        );
        assert_eq!(
            ReviewCycle::parse("30d").unwrap().next_after(last),
            parse_date("2026-03-02")
        );
        // longer than the calendar, in units that parse one by one
        let endless = ReviewCycle::parse("7304484d175307616h").unwrap();
        assert_eq!(endless.next_after(last), None);
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("26-1-1"), None);
    }

    #[test]
    fn humans_are_emails_or_user_ids() {
        assert!(Human::parse("ada@example.com").is_some());
        assert!(Human::parse("user:ada").is_some());
        for bad in [
            "platform-team",
            "ada@",
            "@x.com",
            "ada@localhost",
            "user:",
            "ada smith@x.com",
        ] {
            assert!(Human::parse(bad).is_none(), "{bad}");
        }
    }
}
