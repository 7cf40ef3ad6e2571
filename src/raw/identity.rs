//! The identity file as written (`identities/<name>.yaml`).

use schemars::JsonSchema;

use crate::model::{Acts, AuthMethod, IdentityType, Kind, Platform, Requirement, RiskTier, State};

use super::{Entries, FromNode, OneOrMany, Reader, Spanned, raw_enum, raw_struct};
use super::{Node, Value};

raw_struct! {
    /// One non-human identity: an AI agent, a CI job, a bot or a workload.
    ///
    /// The file's stem must equal `agent`. Only `agent`, `owner` and `auth`
    /// are required; everything else narrows or documents the identity.
    pub struct IdentityFile as "an identity" {
        /// The identity's name: a DNS-1123 label, unique in the workspace,
        /// equal to the file's stem. Names every kind of identity, not only
        /// agents. Say what it does (`invoice-importer`), never where it runs.
        #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
        agent: Spanned<String>,
        /// What the principal is.
        kind: Option<Spanned<Kind>>,
        /// The owning team (a key of `teams` in `nhi.yaml`).
        owner: Spanned<String>,
        /// The kind of credential-bearing principal in the target systems.
        identity_type: Option<Spanned<IdentityType>>,
        /// The business purpose, in one sentence.
        purpose: Option<Spanned<String>>,
        /// The named human who answers for this identity: an email address
        /// or `user:<id>`, never a team or an agent.
        accountable: Option<Spanned<String>>,
        /// Whether the identity acts on its own or on behalf of a user.
        acts: Option<Spanned<Acts>>,
        /// How the identity authenticates: a shorthand such as
        /// `oidc_short_lived_token`, or a mapping with `method` and details.
        auth: Auth,
        /// Business actions the identity may perform; an entry may narrow an
        /// action with `where`.
        allowed_actions: Option<Vec<ActionGrant>>,
        /// Business actions the identity must never perform. Forbidden
        /// always wins.
        forbidden_actions: Option<Vec<Spanned<String>>>,
        /// Whether every action must be audit-logged.
        audit_log: Option<Spanned<Requirement>>,
        /// Whether every decision the identity takes must be logged (required
        /// for `risk_tier: high`).
        decision_log: Option<Spanned<Requirement>>,
        /// How often the identity is reviewed: `monthly`, `quarterly`,
        /// `semiannual`, `annual`, or a duration such as `90d`.
        review_cycle: Option<Spanned<String>>,
        /// The date of the last review (`YYYY-MM-DD`).
        #[schemars(extend("format" = "date"))]
        last_reviewed: Option<Spanned<String>>,
        /// Who did the last review (an email address or `user:<id>`).
        reviewer: Option<Spanned<String>>,
        /// The date the identity's purpose ends (`YYYY-MM-DD`); from that day
        /// on it renders to nothing.
        #[schemars(extend("format" = "date"))]
        expires: Option<Spanned<String>>,
        /// Conditions under which the identity may act (rendered as
        /// conditions, never as part of the name).
        context: Option<Context>,
        /// The clouds and clusters it runs in (`aws`, `gcp`, `azure`,
        /// `kubernetes`); by default the workspace's `default_targets`,
        /// else those its `auth` names (an audience, a service account, a
        /// runtime). It is rendered into no other, whatever its actions
        /// map to.
        targets: Option<Vec<Spanned<Platform>>>,
        /// The clouds where its objects exist already, made by hand or by
        /// another tool (`aws`, `gcp`, `azure`): their Terraform adopts
        /// them with `import` blocks instead of creating them.
        existing: Option<Vec<Spanned<Platform>>>,
        /// What a target already calls the identity's principal, when that
        /// is not the name nhi gives it: an existing role or user that
        /// keeps its own name and path rather than being replaced.
        known_as: Option<KnownAs>,
        /// The MCP servers the agent may call (keys of `mcp_servers` in
        /// `nhi.yaml`), each with the tools it may call; a tool entry may
        /// narrow its arguments with `where`.
        mcp: Option<Entries<McpGrant>>,
        /// How much it may do at its gateways: requests a minute, resource
        /// claims held at once.
        rate_limits: Option<RateLimits>,
        /// Identities this one may delegate to, each with a narrower scope.
        delegation: Option<Delegation>,
        /// What is acting: provider, model, version, runtime.
        provenance: Option<Provenance>,
        /// Risk tier of the identity.
        risk_tier: Option<Spanned<RiskTier>>,
        /// Free key/value pairs carried into every target.
        labels: Option<Entries<Spanned<String>>>,
        /// `active` (default), `suspended` (deny everything, keep the
        /// objects) or `revoked` (render nothing).
        state: Option<Spanned<State>>,
        /// Lint rules this identity is exempt from, each with the reason;
        /// `nhi check` reports every suppression it applies.
        suppress: Option<Vec<Spanned<Suppression>>>,
    }
}

raw_struct! {
    /// One exemption from a lint rule.
    pub struct Suppression as "a suppression" {
        /// The rule's code (`CR001`) or name (`static-credential`).
        rule: Spanned<String>,
        /// Why the rule does not apply here, for the reviewer.
        reason: Spanned<String>,
    }
}

raw_enum! {
    /// The shorthand form of `auth`.
    pub enum AuthShorthand as "auth shorthand" {
        /// OIDC with a short-lived token (default TTL 1h).
        OidcShortLivedToken = "oidc_short_lived_token",
        /// OIDC federation.
        Oidc = "oidc",
        /// A SPIFFE SVID.
        SpiffeSvid = "spiffe_svid",
        /// A SPIFFE identity.
        Spiffe = "spiffe",
        /// OAuth 2.0 client credentials.
        OauthClientCredentials = "oauth_client_credentials",
        /// Mutual TLS.
        Mtls = "mtls",
        /// Platform attestation.
        Attested = "attested",
        /// A static API key (long-lived; discouraged).
        ApiKey = "api_key",
    }
}

/// `auth`: a shorthand string or a mapping.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(untagged)]
pub enum Auth {
    /// `auth: oidc_short_lived_token`.
    Shorthand(Spanned<AuthShorthand>),
    /// `auth: {method: oidc, issuer: …}`.
    Spec(Box<Spanned<AuthSpec>>),
    /// A value that could not be read (and was reported): the rest of the
    /// file is still checked.
    #[schemars(skip)]
    Invalid,
}

impl FromNode for Auth {
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self> {
        Some(match node.value {
            Value::Map(_) => {
                Spanned::from_node(node, reader).map_or(Self::Invalid, |s| Self::Spec(Box::new(s)))
            }
            Value::Str(_) => {
                Spanned::from_node(node, reader).map_or(Self::Invalid, Self::Shorthand)
            }
            _ => {
                reader.wrong_type(node, "an auth shorthand string or a mapping");
                Self::Invalid
            }
        })
    }
    fn nested_fields() -> &'static [&'static str] {
        AuthSpec::FIELDS
    }
}

raw_struct! {
    /// The full form of `auth`.
    pub struct AuthSpec as "auth" {
        /// The method.
        method: Spanned<AuthMethod>,
        /// Token issuer (OIDC issuer URL, SPIFFE trust domain).
        issuer: Option<Spanned<String>>,
        /// The subject the issuer asserts (`repo:org/app:ref:refs/heads/main`,
        /// `system:serviceaccount:ns:name`).
        subject: Option<Spanned<String>>,
        /// The audience tokens are issued for.
        audience: Option<Spanned<String>>,
        /// How long one token or session lasts (`15m`, `1h`).
        ttl: Option<Spanned<String>>,
        /// For secrets: how often the secret is rotated (`30d`).
        rotation: Option<Spanned<String>>,
        /// For secrets: where the secret lives (`vault://…`, `aws-sm://…`),
        /// never the secret itself.
        secret_ref: Option<Spanned<String>>,
        /// The client id it presents to Microsoft Entra: its managed
        /// identity's, which Azure assigns when it creates the identity
        /// (`az identity show --query clientId`). On AKS, its
        /// ServiceAccount's `azure.workload.identity/client-id`.
        client_id: Option<Spanned<String>>,
    }
}

/// An allowed action: a name, or a mapping that narrows it.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(untagged)]
pub enum ActionGrant {
    /// `read_ci_status`.
    Name(Spanned<String>),
    /// `{action: read_candidate_profile, where: {job_id: [J42]}}`.
    // boxed: most actions are plain names
    Narrowed(Box<Spanned<NarrowedAction>>),
}

impl FromNode for ActionGrant {
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self> {
        match node.value {
            Value::Map(_) => Spanned::from_node(node, reader).map(|n| Self::Narrowed(Box::new(n))),
            _ => Spanned::from_node(node, reader).map(Self::Name),
        }
    }
}

raw_struct! {
    /// An allowed action narrowed by attribute conditions.
    pub struct NarrowedAction as "a narrowed action" {
        /// The action.
        action: Spanned<String>,
        /// Attribute conditions: each key must equal the value, or one of
        /// the values of a list.
        condition = "where": Option<Entries<OneOrMany>>,
        /// The team (a key of `teams`) one of whose members must approve
        /// each request: the request's `approved_by` must name it.
        approval: Option<Spanned<String>>,
        /// When the grant starts to hold: `2026-12-01T09:00:00Z`, or a
        /// date (its midnight, UTC). The request's `now` must not be
        /// before it.
        valid_from: Option<Spanned<String>>,
        /// When the grant stops holding, as `valid_from`: the request's
        /// `now` must be before it. `nhi review` lists grants past it.
        valid_until: Option<Spanned<String>>,
        /// How long the grant holds after each approval (`1h`, `30m`):
        /// the request's `now` must be at or after its `approved_at`, and
        /// less than this after it. Needs `approval`.
        valid_for: Option<Spanned<String>>,
    }
}

raw_struct! {
    /// How much an agent may do at its gateways.
    pub struct RateLimits as "rate limits" {
        /// Requests (tool calls) a minute, at most.
        requests_per_minute: Option<Spanned<u32>>,
        /// Resource claims (infrastructure, jobs, sessions) it may hold at
        /// once, at most.
        concurrent_claims: Option<Spanned<u32>>,
    }
}

raw_struct! {
    /// What an agent may call on one MCP server.
    pub struct McpGrant as "an MCP grant" {
        /// The tools it may call.
        tools: Vec<ToolGrant>,
        /// Tools it must never call, whatever else allows them. Forbidden
        /// always wins.
        forbidden_tools: Option<Vec<Spanned<String>>>,
    }
}

/// An allowed tool: a name, or a mapping that narrows its arguments.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(untagged)]
pub enum ToolGrant {
    /// `get_ticket`.
    Name(Spanned<String>),
    /// `{tool: update_ticket, where: {queue: [billing]}}`.
    Narrowed(Spanned<NarrowedTool>),
}

impl FromNode for ToolGrant {
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self> {
        match node.value {
            Value::Map(_) => Spanned::from_node(node, reader).map(Self::Narrowed),
            _ => Spanned::from_node(node, reader).map(Self::Name),
        }
    }
}

raw_struct! {
    /// An allowed tool narrowed by its arguments.
    pub struct NarrowedTool as "a narrowed tool" {
        /// The tool.
        tool: Spanned<String>,
        /// Argument conditions: each argument must be present and equal the
        /// value, or one of the values of a list.
        condition = "where": Option<Entries<ArgumentValues>>,
    }
}

/// The values a tool argument may take: a string, number or boolean, or
/// a list of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgumentValues(pub OneOrMany);

impl JsonSchema for ArgumentValues {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ArgumentValues".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A value of the argument, or a list of the values it may take.",
            "anyOf": [
                {"type": ["string", "number", "boolean"]},
                {"type": "array", "items": {"type": ["string", "number", "boolean"]}}
            ]
        })
    }
}

impl FromNode for ArgumentValues {
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self> {
        OneOrMany::from_node(node, reader).map(Self)
    }
}

raw_struct! {
    /// Context attributes under which the identity may act.
    pub struct Context as "context" {
        /// Environments (`staging`, `production`).
        environments: Option<Vec<Spanned<String>>>,
        /// Regions (`eu-west-1`).
        regions: Option<Vec<Spanned<String>>>,
        /// Kubernetes namespaces the identity runs in.
        namespaces: Option<Vec<Spanned<String>>>,
        /// Other attributes, each a value or a list of values.
        attributes: Option<Entries<OneOrMany>>,
    }
}

raw_struct! {
    /// Delegation to other identities.
    pub struct Delegation as "delegation" {
        /// The delegates, each with the actions it may receive.
        may_delegate_to: Option<Vec<Spanned<DelegationGrant>>>,
    }
}

raw_struct! {
    /// One delegate and what it may receive.
    pub struct DelegationGrant as "a delegation" {
        /// The delegate identity's name.
        agent: Spanned<String>,
        /// Actions delegated: a subset of the delegator's allowed actions.
        actions: Vec<Spanned<String>>,
        /// How long a delegated token lasts; no longer than the delegator's.
        ttl: Option<Spanned<String>>,
        /// How many further hops the delegate may pass it on (0: none).
        max_depth: Option<Spanned<u32>>,
    }
}

raw_struct! {
    /// The names an identity's principals already have in the targets.
    pub struct KnownAs as "known names" {
        /// The IAM role (or user) name, after its path when that is not
        /// `/` (`/service-role/invoice-importer`); rendered as it is, with
        /// no `name_prefix` and nhi's own `/nhi/` path left aside.
        #[schemars(regex(pattern = r"^(/[!-~]*/)?[A-Za-z0-9+=,.@_-]{1,64}$"))]
        aws: Option<Spanned<String>>,
    }
}

raw_struct! {
    /// What is acting.
    pub struct Provenance as "provenance" {
        /// Model or software provider.
        provider: Option<Spanned<String>>,
        /// Model name.
        model: Option<Spanned<String>>,
        /// Version.
        version: Option<Spanned<String>>,
        /// Runtime (`github-actions`, `kubernetes`, `lambda`).
        runtime: Option<Spanned<String>>,
    }
}
