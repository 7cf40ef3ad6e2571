//! Diagnostics: what `nhi` found, where, and how serious it is.
//!
//! A [`Diagnostic`] is a value with a stable [`Code`], a [`Severity`], a
//! one-line message, labelled spans into the input and optional help. The
//! library only collects them; the `human`, `json`, `sarif` and `github`
//! renderers under `diag/` turn a sorted [`Diagnostics`] into text.

mod excerpt;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::source::{FileId, Loc, SourceDb};

/// How serious a finding is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Severity {
    /// Shown, never fails the run.
    Info,
    /// Shown, does not fail the run.
    Warning,
    /// Fails the run (exit 1).
    Error,
}

impl Severity {
    /// The lower-case name used in every output format.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A risk of the OWASP Non-Human Identities Top 10 (2025).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, strum::EnumIter, strum::IntoStaticStr,
)]
pub enum Owasp {
    /// NHI1: improper offboarding.
    #[strum(serialize = "NHI1")]
    Nhi1,
    /// NHI2: secret leakage.
    #[strum(serialize = "NHI2")]
    Nhi2,
    /// NHI3: vulnerable third-party NHI.
    #[strum(serialize = "NHI3")]
    Nhi3,
    /// NHI4: insecure authentication.
    #[strum(serialize = "NHI4")]
    Nhi4,
    /// NHI5: overprivileged NHI.
    #[strum(serialize = "NHI5")]
    Nhi5,
    /// NHI6: insecure cloud deployment configurations.
    #[strum(serialize = "NHI6")]
    Nhi6,
    /// NHI7: long-lived secrets.
    #[strum(serialize = "NHI7")]
    Nhi7,
    /// NHI8: environment isolation.
    #[strum(serialize = "NHI8")]
    Nhi8,
    /// NHI9: NHI reuse.
    #[strum(serialize = "NHI9")]
    Nhi9,
    /// NHI10: human use of NHI.
    #[strum(serialize = "NHI10")]
    Nhi10,
}

impl Owasp {
    /// `NHI1` … `NHI10`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The risk's title, as OWASP names it.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Nhi1 => "Improper Offboarding",
            Self::Nhi2 => "Secret Leakage",
            Self::Nhi3 => "Vulnerable Third-Party NHI",
            Self::Nhi4 => "Insecure Authentication",
            Self::Nhi5 => "Overprivileged NHI",
            Self::Nhi6 => "Insecure Cloud Deployment Configurations",
            Self::Nhi7 => "Long-Lived Secrets",
            Self::Nhi8 => "Environment Isolation",
            Self::Nhi9 => "NHI Reuse",
            Self::Nhi10 => "Human Use of NHI",
        }
    }
}

macro_rules! owasp {
    () => {
        None
    };
    ($o:ident) => {
        Some(Owasp::$o)
    };
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $name:literal, $sev:ident, [$($owasp:ident)?], $summary:literal; )*) => {
        /// Every diagnostic `nhi` can report. A code never changes meaning.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, strum::EnumIter)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// The stable code, such as `SC001`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $code, )* }
            }

            /// The kebab-case name, read as "allow ‹name›".
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $( Self::$variant => $name, )* }
            }

            /// The severity unless `nhi.yaml` overrides it.
            #[must_use]
            pub const fn default_severity(self) -> Severity {
                match self { $( Self::$variant => Severity::$sev, )* }
            }

            /// The OWASP Non-Human Identities Top 10 (2025) risk the code
            /// guards against, if it maps to one.
            #[must_use]
            pub const fn owasp(self) -> Option<Owasp> {
                match self { $( Self::$variant => owasp!($($owasp)?), )* }
            }

            /// The rule's documentation (`docs/rules/<CODE>.md`): what it
            /// reports and why, a bad and a good example, and the fix.
            #[must_use]
            pub const fn doc(self) -> &'static str {
                match self { $( Self::$variant => include_str!(concat!("../docs/rules/", $code, ".md")), )* }
            }

            /// One sentence on what the code reports.
            #[must_use]
            pub const fn summary(self) -> &'static str {
                match self { $( Self::$variant => $summary, )* }
            }
        }
    };
}

codes! {
    /// A file could not be read.
    Io = "LD001", "unreadable-file", Error, [], "a file of the workspace could not be read";
    /// A file is not UTF-8.
    NotUtf8 = "LD002", "non-utf8-file", Error, [], "a file is not valid UTF-8 text";
    /// YAML syntax error.
    YamlSyntax = "LD003", "yaml-syntax-error", Error, [], "a file is not well-formed YAML";
    /// More than one YAML document in a file.
    MultipleDocuments = "LD004", "multiple-documents", Error, [], "a file holds more than one YAML document";
    /// The file holds no document.
    EmptyFile = "LD005", "empty-file", Error, [], "a file holds no YAML document";
    /// An explicit YAML tag.
    YamlTag = "LD006", "yaml-tag", Error, [], "a YAML tag (`!foo`) appears where plain data is expected";
    /// An input budget was exceeded (aliases, nesting, node count).
    InputBudget = "LD007", "input-budget-exceeded", Error, [], "a file exceeds an input budget (alias expansion, nesting depth or size)";
    /// A file is larger than the size budget.
    FileTooLarge = "LD008", "file-too-large", Error, [], "a file is larger than the file size budget";
    /// A symbolic link points outside the workspace.
    SymlinkEscape = "LD009", "symlink-outside-workspace", Error, [], "a symbolic link points outside the workspace";
    /// A mapping repeats a key.
    DuplicateKey = "LD010", "duplicate-key", Error, [], "a mapping repeats a key";
    /// Too many identity files.
    TooManyFiles = "LD011", "too-many-files", Error, [], "the workspace holds more identity files than the file count budget";
    /// A field the format does not define.
    UnknownField = "SC001", "unknown-field", Error, [], "a key that the format does not define";
    /// A value of the wrong type.
    WrongType = "SC002", "wrong-type", Error, [], "a value has the wrong type";
    /// A required field is missing.
    MissingField = "SC003", "missing-field", Error, [], "a required key is missing";
    /// A value outside a fixed set.
    UnknownValue = "SC004", "unknown-value", Error, [], "a value is not one of the accepted choices";
    /// A duration that does not parse.
    InvalidDuration = "SC005", "invalid-duration", Error, [], "a duration does not parse (expected forms like `15m`, `1h`, `90d`)";
    /// A date that does not parse.
    InvalidDate = "SC006", "invalid-date", Error, [], "a date does not parse (expected `YYYY-MM-DD`)";
    /// A value of the right type but not acceptable.
    InvalidValue = "SC007", "invalid-value", Error, [], "a value is malformed";
    /// A severity override names a code that does not exist.
    UnknownCode = "SC008", "unknown-code", Error, [], "`lints` in `nhi.yaml` names a code that does not exist";
    /// A pinned tool list that cannot be read.
    InvalidToolList = "SC009", "invalid-tool-list", Error, [], "an MCP server's pinned `tools/list` is not a list of tools nhi can read";
    /// A name that is not a DNS-1123 label.
    InvalidName = "NM001", "invalid-name", Error, [], "a name is not a DNS-1123 label";
    /// The file stem differs from the identity's name.
    NameFileMismatch = "NM002", "name-file-mismatch", Error, [], "an identity's file is not named after it";
    /// Two identities share a name.
    DuplicateName = "NM003", "duplicate-name", Error, [], "two identities have the same name";
    /// An action that the catalogue does not define.
    UnknownAction = "RF001", "unknown-action", Error, [], "an action is not in the workspace's action catalogue";
    /// A team that the workspace does not define.
    UnknownTeam = "RF002", "unknown-team", Error, [Nhi1], "an owner is not a team of the workspace";
    /// A delegate that is not an identity of the workspace.
    UnknownDelegate = "RF003", "unknown-delegate", Error, [], "a delegate is not an identity of the workspace";
    /// `accountable` does not name a human.
    AccountableNotHuman = "RF004", "accountable-not-human", Error, [Nhi1], "`accountable` names a team, an agent or nothing rather than a human";
    /// An MCP server the workspace does not declare.
    UnknownMcpServer = "RF005", "unknown-mcp-server", Error, [], "an identity names an MCP server that `mcp_servers` does not declare";
    /// A tool its server does not offer.
    UnknownTool = "RF006", "unknown-tool", Error, [], "a tool is not in its MCP server's pinned tool list";
    /// An argument or value a tool does not take.
    InvalidToolArgument = "RF007", "invalid-tool-argument", Error, [], "a tool's `where` names an argument its input schema does not define, or a value the argument cannot take";
    /// An action is both allowed and forbidden.
    AllowedAndForbidden = "AC001", "allowed-and-forbidden", Error, [Nhi5], "an action is both allowed and forbidden";
    /// An organisation guardrail forbids an allowed action.
    GuardrailAllowed = "AC002", "guardrail-action-allowed", Error, [Nhi5], "an allowed action is forbidden by an organisation guardrail";
    /// The auth method is not among those the guardrails allow.
    AuthMethodNotAllowed = "AC003", "auth-method-not-allowed", Error, [Nhi4], "an authentication method is not allowed by the guardrails";
    /// An action listed twice.
    DuplicateAction = "AC004", "duplicate-action", Warning, [], "an action is listed twice";
    /// A critical action allowed without an approval.
    CriticalUngated = "AC006", "critical-action-ungated", Error, [Nhi5], "an action the catalogue marks critical is allowed without a human's `approval`";
    /// A grant whose time window holds no instant.
    EmptyWindow = "AC007", "empty-window", Error, [], "an allowed action's `valid_from` is not before its `valid_until`: it holds at no time";
    /// A grant whose `where` leaves no value.
    HoldsNowhere = "AC008", "grant-holds-nowhere", Error, [], "an allowed action's `where` admits no value of a key that its identity's `context` allows: it holds nowhere";
    /// A delegate would receive an action the delegator is not allowed.
    DelegationWidens = "DG001", "delegation-widens", Error, [Nhi5], "a delegation grants an action the delegator is not allowed";
    /// A delegate would receive a forbidden action.
    DelegationForbidden = "DG002", "delegation-of-forbidden", Error, [Nhi5], "a delegation grants an action that is forbidden to the delegator or the delegate";
    /// A delegation TTL longer than the delegator's.
    DelegationTtl = "DG003", "delegation-ttl-longer", Error, [Nhi7], "a delegation lasts longer than the delegator's own token";
    /// A delegation cycle.
    DelegationCycle = "DG004", "delegation-cycle", Error, [Nhi5], "delegations form a cycle";
    /// A delegation chain deeper than allowed.
    DelegationDepth = "DG005", "delegation-too-deep", Error, [Nhi5], "a delegation chain is deeper than its `max_depth` or the guardrail";
    /// An identity delegates to itself.
    SelfDelegation = "DG006", "self-delegation", Error, [Nhi5], "an identity delegates to itself";
    /// A delegated action no request can use.
    DelegationNeverApplies = "DG007", "delegation-never-applies", Warning, [], "a delegated action can never be used: no request meets both the delegator's and the delegate's conditions";
    /// A credential written into a file.
    InlineSecret = "SE001", "inline-secret", Error, [Nhi2], "a value looks like a credential (key, token or private key)";
    /// A name that a target cannot take.
    InvalidTargetName = "TG001", "invalid-target-name", Error, [], "a name cannot be used in a target (a Cedar namespace or resource type that is not an identifier, or is reserved)";
    /// A context key that delegation reserves.
    ReservedContextKey = "TG002", "reserved-context-key", Error, [], "a `where` or context attribute key is one that nhi reserves for delegation (`delegator`, `delegation_chain`), approvals (`approved_by`) or time-boxed grants (`now`, `approved_at`)";
    /// A used action has no mapping for an enabled target.
    UnmappedAction = "TG003", "unmapped-action", Warning, [Nhi6], "an action that identities use has no mapping for a target the workspace renders (so the target can neither grant nor deny it)";
    /// A permission the cloud does not have, or a malformed one.
    UnknownPermission = "TG004", "unknown-permission", Error, [Nhi6], "a catalogue mapping names an AWS action that does not exist, or a malformed ARN, GCP permission or Azure operation";
    /// A wildcard in a mapping (OWASP NHI5: overprivileged NHI).
    WildcardPermission = "TG005", "wildcard-permission", Warning, [Nhi5], "a catalogue mapping grants by wildcard (`*`, `s3:*`, every resource) without a `wildcard_reason` (OWASP NHI5)";
    /// A cloud cannot federate the identity's credential.
    UnboundIdentity = "TG006", "unbound-identity", Error, [Nhi4], "an identity that a cloud must grant cannot be federated into it (issuer not registered, no subject, no trust anchor)";
    /// RBAC that lets an identity grant itself more.
    RbacEscalation = "TG007", "rbac-escalation", Error, [Nhi5], "an allowed action's Kubernetes rules hold `escalate`, `bind` or `impersonate`, which let an identity grant itself more than its role (OWASP NHI5)";
    /// A target an identity names that the workspace does not configure.
    TargetNotConfigured = "TG008", "target-not-configured", Error, [], "`targets` (or `default_targets`) names a cloud or cluster that `nhi.yaml` configures no settings for";
    /// An identity whose actions mean something in a target it runs in none of.
    NoTarget = "TG009", "no-target", Warning, [Nhi6], "an identity's actions mean something in a configured cloud, but nothing says where it runs (`targets`, an `audience`, a service account, a runtime), so no cloud renders it";
    /// Kubernetes actions an identity cannot use in the cluster.
    ClusterUnreachable = "TG010", "cluster-unreachable", Warning, [Nhi6], "an identity meant for the cluster (`kubernetes` in its `targets` or the workspace's `default_targets`, or, listing none, its own namespaces) cannot run there — a CI pipeline, or no namespace known — so nothing is rendered for it in the cluster";
    /// A condition a target cannot enforce: it grants without it.
    UnenforcedCondition = "TG011", "unenforced-condition", Warning, [Nhi5], "a condition of an identity's `context` or `where` that a target cannot evaluate (the caller's environment or namespace where the trust does not pin it, an attribute of what an action acts on where the action takes no tag condition): the target grants without it, and only Cedar holds the identity to it";
    /// Regions that name none of a target's regions.
    NoRegionInTarget = "TG012", "no-region-in-target", Error, [], "an identity that runs in a cloud lists regions, none of them that cloud's (`europe-west1` is Google Cloud's, `eu-west-1` AWS's): the cloud would deny it everything";
    /// Forbidden actions Azure cannot deny.
    AzureCannotDeny = "TG013", "azure-cannot-deny", Info, [Nhi5], "an identity that runs in Azure forbids actions that mean something there (or a guardrail does): Azure lets no one deny, so they are left out of its role, and any other role assigned to its managed identity still grants them";
    /// A `where` naming more resources than one Google Cloud condition holds.
    ConditionTooLarge = "TG014", "condition-too-large", Error, [], "a `where` narrows an action in Google Cloud to more resources than one IAM condition can compare (it takes at most 12 logical operators): Google Cloud would refuse the binding";
    /// An AKS ServiceAccount without its managed identity's client id.
    MissingClientId = "TG015", "missing-client-id", Warning, [], "an identity runs on AKS and in Azure, and its file records no `auth.client_id`: Azure assigns its managed identity's client id when it creates it, and until the ServiceAccount carries it (`azure.workload.identity/client-id`) its pods get no Microsoft Entra token";
    /// `existing` names a target where nothing of the identity is imported.
    ExistingNotImported = "TG016", "existing-not-imported", Warning, [], "an identity's `existing` names a target where nhi imports nothing for it: one it does not run in, or Kubernetes, where applying the manifests adopts objects that exist already. The line says something about the estate that no rendered file acts on";
    /// An allowed action's permissions are covered by a forbidden one's.
    PermissionOverlap = "AC005", "permission-overlap", Error, [Nhi5], "an allowed action expands to a permission that a forbidden action or a guardrail covers";
    /// A decision test's expected decision differs from the rendered one.
    DecisionMismatch = "DT001", "decision-mismatch", Error, [], "a decision test expects allow and the rendered policies deny, or the reverse";
    /// A decision test names something the workspace does not have.
    UnknownTestReference = "DT002", "unknown-test-reference", Error, [], "a decision test names a principal, action, resource type, context key or delegator that the workspace does not have";
    /// A review is overdue.
    ReviewOverdue = "LC001", "review-overdue", Warning, [Nhi1], "an identity's last review plus its review cycle is before today";
    /// No review is scheduled or none was ever recorded.
    ReviewMissing = "LC002", "review-missing", Warning, [Nhi1], "an identity has no review cycle, or has one but no recorded review (`last_reviewed`)";
    /// The identity has expired.
    IdentityExpired = "LC003", "identity-expired", Warning, [Nhi1], "an identity's `expires` date has passed: it renders to nothing, and its file should go";
    /// The identity expires soon.
    IdentityExpiring = "LC004", "identity-expiring", Info, [Nhi1], "an identity expires within the notice window (`guardrails.expiry_notice`, default 30 days)";
    /// A time-boxed grant whose window has passed.
    GrantExpired = "LC005", "grant-expired", Warning, [Nhi1], "an allowed action's `valid_until` has passed: Cedar, AWS and Google Cloud refuse it from then on, and its entry should go (`nhi review` lists them)";
    /// No accountable human.
    AccountableMissing = "OWN001", "accountable-missing", Warning, [Nhi1], "an identity names no accountable human (`accountable`)";
    /// No purpose.
    PurposeMissing = "OWN002", "purpose-missing", Warning, [Nhi1], "an identity states no business purpose (`purpose`)";
    /// A person where a non-human principal belongs.
    HumanPrincipal = "OWN003", "human-principal", Warning, [Nhi10], "an identity's owner or authentication subject looks like a person (an email address, `user:…`, a team member)";
    /// A high-risk identity whose actions or decisions are not logged.
    UnloggedHighRisk = "OWN004", "unlogged-high-risk", Warning, [Nhi10], "a `risk_tier: high` identity does not require both `audit_log` and `decision_log`";
    /// A static credential.
    StaticCredential = "CR001", "static-credential", Warning, [Nhi7], "an identity authenticates with a static API key";
    /// A secret rotated too rarely, or never.
    RotationTooLong = "CR002", "rotation-too-long", Warning, [Nhi7], "a secret-based identity rotates its secret less often than the guardrail (`guardrails.max_secret_rotation`, default 90 days), or declares no rotation";
    /// A token that lives too long.
    TtlTooLong = "CR003", "ttl-too-long", Error, [Nhi7], "a token or delegation lives longer than the guardrail (`guardrails.max_token_ttl`, default 12 hours)";
    /// A federated credential that any workload of the issuer could present.
    UnpinnedFederation = "CR004", "unpinned-federation", Warning, [Nhi4], "an OIDC identity names an issuer but no subject, so any workload that issuer serves could present it";
    /// A secret with no reference to where it is kept.
    SecretUnreferenced = "CR005", "secret-unreferenced", Warning, [Nhi2], "a secret-based identity does not say where its secret is kept (`secret_ref`)";
    /// A subject whose wildcard admits other repositories' or workloads' tokens.
    WildcardSubject = "CR006", "wildcard-subject", Error, [Nhi4], "an identity's `auth.subject` holds a wildcard that can match another repository's, project's or workload's tokens (`*`, `repo:*`, `repo:org/*`)";
    /// Administrative or wildcard access held by an identity.
    AdminPermission = "PRV001", "admin-permission", Warning, [Nhi5], "an identity is allowed an action that manages permissions or grants everything in a target";
    /// A Google Cloud role that lets an identity act as every service account.
    ProjectWideImpersonation = "PRV002", "project-wide-impersonation", Warning, [Nhi5], "an identity's Google Cloud role grants a permission that acts as a service account (`iam.serviceAccounts.actAs`, `getAccessToken`, `signJwt`…) on the whole project: it can become any service account there";
    /// A Role that lets an identity run workloads as other identities.
    WorkloadTakeover = "PRV003", "workload-takeover", Warning, [Nhi5], "an identity may create pods, jobs, deployments or exec sessions in a namespace where other identities run as their service accounts: what it starts can run as any of them";
    /// An identity's AWS permissions hold a privilege-escalation path.
    AwsPrivilegeEscalation = "PRV004", "aws-privilege-escalation", Warning, [Nhi5], "an identity's AWS permissions hold a known privilege-escalation path (a new policy version, a policy put on itself, keys for another user, a role passed to compute it starts…): it can give itself more than it holds";
    /// Production and other environments in one identity.
    EnvironmentReuse = "ENV001", "environment-reuse", Warning, [Nhi8], "one identity acts both in an isolated environment (`production` by default) and in others";
    /// A name that encodes where or how it runs.
    NameEncodesContext = "ENV002", "name-encodes-context", Warning, [Nhi8], "an identity's name encodes an environment, a region or a deployment (`production-importer-eu-west`), which belong in `context`";
    /// Two identities that are one.
    IdentityReuse = "REU001", "identity-reuse", Warning, [Nhi9], "two identities have the same authentication subject and the same permissions";
    /// A finding suppressed by the identity.
    Suppressed = "SUP001", "suppressed", Info, [], "an identity suppresses a finding, with the reason it gives";
    /// A suppression that suppresses nothing.
    UnusedSuppression = "SUP002", "unused-suppression", Warning, [], "an identity suppresses a rule that reports nothing in it";
    /// A suppression that is not allowed.
    InvalidSuppression = "SUP003", "invalid-suppression", Error, [], "a suppression names an unknown code, a code that cannot be suppressed, or gives no reason";
    /// A forbidden action the rendered policies may allow.
    ProofForbiddenAllowed = "PF001", "proof-forbidden-allowed", Error, [Nhi5], "`--prove`: the rendered Cedar allows a request for an action that the identity or a guardrail forbids (with the request)";
    /// A rendered policy that can fail to evaluate.
    ProofPolicyErrors = "PF002", "proof-policy-errors", Error, [], "`--prove`: a rendered Cedar policy can raise an evaluation error, which the authorizer would skip (with the request)";
    /// A delegate that exceeds its delegator.
    ProofDelegateExceeds = "PF003", "proof-delegate-exceeds", Error, [Nhi5], "`--prove`: a delegate acting on behalf of its delegator is allowed a request that the delegator itself is not (with the request)";
    /// A proof the solver did not finish.
    ProofUndecided = "PF004", "proof-undecided", Error, [], "`--prove`: the solver did not decide a property within the time limit, so it is not proven";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Code {
    /// Whether an identity may suppress the code (`suppress:` with a
    /// reason): the lint rules, which judge an identity that is otherwise
    /// sound. Errors in what an identity means, guardrails and secrets
    /// are never suppressed.
    #[must_use]
    pub const fn suppressible(self) -> bool {
        matches!(
            self,
            Self::DuplicateAction
                | Self::ReviewOverdue
                | Self::ReviewMissing
                | Self::IdentityExpired
                | Self::IdentityExpiring
                | Self::GrantExpired
                | Self::AccountableMissing
                | Self::PurposeMissing
                | Self::HumanPrincipal
                | Self::UnloggedHighRisk
                | Self::StaticCredential
                | Self::RotationTooLong
                | Self::UnpinnedFederation
                | Self::SecretUnreferenced
                | Self::AdminPermission
                | Self::ProjectWideImpersonation
                | Self::WorkloadTakeover
                | Self::AwsPrivilegeEscalation
                | Self::EnvironmentReuse
                | Self::NameEncodesContext
                | Self::IdentityReuse
                | Self::UnenforcedCondition
                | Self::MissingClientId
                | Self::ExistingNotImported
                | Self::DelegationNeverApplies
        )
    }

    /// The code for a code string such as `SC001` (case-insensitive).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        use strum::IntoEnumIterator;
        Self::iter().find(|c| c.as_str().eq_ignore_ascii_case(s) || c.name() == s)
    }
}

/// What the checks of one stage found about one identity, remembered
/// between runs: the stage asks before it checks an identity and hands
/// over what it found. `check` keeps it in the cache, under the hash of
/// the identity's file, the settings files and the day.
pub trait Memo: Sync {
    /// What `stage` found in `file` before, from the same inputs.
    fn recall(&self, stage: &'static str, file: FileId) -> Option<Diagnostics>;
    /// What `stage` found in `file`.
    fn keep(&self, stage: &'static str, file: FileId, found: &Diagnostics);
}

/// A labelled span of a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub loc: Loc,
    /// What it says there.
    pub message: Option<String>,
    /// The offending place (true) or a place that explains it (false).
    pub primary: bool,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Effective severity.
    pub severity: Severity,
    /// One line, lower-case, no final period.
    pub message: String,
    /// Labelled spans; the first primary one is where the finding is.
    pub labels: Vec<Label>,
    /// Advice.
    pub help: Option<String>,
    /// Further notes.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity and no label yet.
    #[must_use]
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.default_severity(),
            message: message.into(),
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    /// Add the primary label.
    #[must_use]
    pub fn primary(mut self, loc: Loc, message: impl Into<String>) -> Self {
        // most have one label: room for as many as given, not four
        self.labels.reserve_exact(1);
        self.labels.push(Label {
            loc,
            message: Some(message.into()).filter(|m: &String| !m.is_empty()),
            primary: true,
        });
        self
    }

    /// Add a secondary label.
    #[must_use]
    pub fn secondary(mut self, loc: Loc, message: impl Into<String>) -> Self {
        self.labels.reserve_exact(1);
        self.labels.push(Label {
            loc,
            message: Some(message.into()).filter(|m: &String| !m.is_empty()),
            primary: false,
        });
        self
    }

    /// Set the help text.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Set the help text when there is one.
    #[must_use]
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Help with the closest of `candidates` to what was `given` ("did
    /// you mean `x`?"), when one is close.
    #[must_use]
    pub fn suggest<'a>(self, given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        self.maybe_help(did_you_mean(given, candidates))
    }

    /// Help with the closest of `candidates` to what was `given`, or else
    /// `otherwise`.
    #[must_use]
    pub fn suggest_or<'a>(
        self,
        given: &str,
        candidates: impl IntoIterator<Item = &'a str>,
        otherwise: impl FnOnce() -> String,
    ) -> Self {
        let help = did_you_mean(given, candidates).unwrap_or_else(otherwise);
        self.help(help)
    }

    /// Add a note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.reserve_exact(1);
        self.notes.push(note.into());
        self
    }

    /// The primary location, if any.
    #[must_use]
    pub fn primary_loc(&self) -> Option<Loc> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or_else(|| self.labels.first())
            .map(|l| l.loc)
    }
}

/// "did you mean `x`?" for the closest of `candidates`, if one is close.
#[must_use]
pub fn did_you_mean<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| {
            // one typo in a short word (`tll` for `ttl`) scores low on
            // Jaro-Winkler but is the likeliest mistake of all
            let one_edit = strsim::damerau_levenshtein(given, c) <= 1;
            (
                strsim::jaro_winkler(given, c).max(if one_edit { 0.9 } else { 0.0 }),
                c,
            )
        })
        .filter(|&(score, _)| score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Whether a terminal would hide `c`, act on it, or let it reorder what
/// follows: control characters, bidirectional marks, embeddings, overrides
/// and isolates (the "Trojan Source" characters), and zero-width ones.
#[must_use]
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// `s` with what a terminal would hide or reorder shown as U+FFFD; line
/// breaks and tabs kept.
#[must_use]
pub fn tamed(s: &str) -> String {
    s.chars()
        .map(|c| {
            if is_hidden(c) && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Hostile text may hold control characters or be huge: show it tamed.
#[must_use]
pub fn printable(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if is_hidden(c) { '\u{fffd}' } else { c })
        .take(64)
        .collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

/// Names as a message lists them: each in backticks, joined by commas.
#[must_use]
pub fn backticked<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A collection of diagnostics, sorted for output.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An empty collection.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Add all of another collection.
    pub fn extend(&mut self, other: Self) {
        self.items.extend(other.items);
    }

    /// The diagnostics.
    #[must_use]
    pub fn as_slice(&self) -> &[Diagnostic] {
        &self.items
    }

    /// Iterate over them.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// Number of diagnostics.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether any is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// Count by severity.
    #[must_use]
    pub fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == severity).count()
    }

    /// Keep only the diagnostics for which `keep` is true.
    pub fn retain(&mut self, keep: impl FnMut(&Diagnostic) -> bool) {
        self.items.retain(keep);
    }

    /// Apply per-code severity overrides; `None` turns a code off.
    pub fn apply_overrides(&mut self, overrides: &BTreeMap<Code, Option<Severity>>) {
        self.items.retain_mut(|d| match overrides.get(&d.code) {
            Some(Some(severity)) => {
                d.severity = *severity;
                true
            }
            Some(None) => false,
            None => true,
        });
    }

    /// Make every text safe to print: no credential found in the files (nor
    /// the first 64 characters of one, as messages shorten long values) and
    /// no control character that could drive a terminal.
    pub fn scrub(&mut self, db: &SourceDb) {
        let needles = db.secret_needles();
        for d in &mut self.items {
            scrub_text(&mut d.message, &needles);
            if let Some(help) = &mut d.help {
                scrub_text(help, &needles);
            }
            for note in &mut d.notes {
                scrub_text(note, &needles);
            }
            for label in &mut d.labels {
                if let Some(message) = &mut label.message {
                    scrub_text(message, &needles);
                }
            }
        }
    }

    /// Sort by (path, line, column, code, message) and drop exact repeats, so
    /// the output is the same whatever order the files were read in.
    pub fn sort(&mut self, db: &SourceDb) {
        self.items.sort_by_cached_key(|d| {
            let loc = d.primary_loc();
            (
                loc.map(|l| db.display_path(l.file)),
                loc.map(|l| (l.span.start(), l.span.len())),
                d.code,
                d.message.clone(),
            )
        });
        self.items.dedup();
    }
}

fn scrub_text(text: &mut String, secrets: &[String]) {
    for secret in secrets {
        if text.contains(secret.as_str()) {
            *text = text.replace(secret.as_str(), "****");
        }
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        *text = crate::source::without_controls(text);
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use strum::IntoEnumIterator;

    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let codes: Vec<_> = Code::iter().map(Code::as_str).collect();
        let unique: BTreeSet<_> = codes.iter().collect();
        assert_eq!(codes.len(), unique.len());
        let names: BTreeSet<_> = Code::iter().map(Code::name).collect();
        assert_eq!(codes.len(), names.len());
        for code in &codes {
            let letters = code.chars().take_while(char::is_ascii_uppercase).count();
            assert!((2..=4).contains(&letters), "{code}");
            assert_eq!(code.len() - letters, 3, "{code}");
            assert!(!code.starts_with("NHI"), "{code} looks like an OWASP id");
        }
        insta::assert_snapshot!(codes.join("\n"));
    }

    #[test]
    fn suggestion_picks_the_closest_candidate() {
        assert_eq!(
            did_you_mean("ownr", ["owner", "purpose", "agent"]).as_deref(),
            Some("did you mean `owner`?")
        );
        assert_eq!(did_you_mean("zzz", ["owner", "purpose"]), None);
        assert_eq!(
            did_you_mean("tll", ["issuer", "ttl", "audience"]).as_deref(),
            Some("did you mean `ttl`?")
        );
    }
}

/// Shared fixtures for the renderers' tests.
#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::Arc;

    use super::{Code, Diagnostic, Diagnostics};
    use crate::source::{Loc, SourceDb, Span};

    /// A file with an allowed-and-forbidden error (two labels, help) and a
    /// duplicate-action warning whose message needs escaping.
    pub(crate) fn sample() -> (Diagnostics, SourceDb) {
        let text = "agent: a\nowner: t\nallowed_actions: [deploy_prod, deploy_prod]\nforbidden_actions: [deploy_prod]\n";
        let mut db = SourceDb::new();
        let file = db.add("identities/a.yaml".into(), Arc::from(text));
        let at = |needle: &str, nth: usize| {
            let start = text
                .match_indices(needle)
                .nth(nth)
                .map(|(i, _)| i)
                .unwrap_or(0);
            Loc::new(file, Span::new(start, needle.len()))
        };
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(
            Diagnostic::new(
                Code::AllowedAndForbidden,
                "action `deploy_prod` is both allowed and forbidden",
            )
            .primary(at("deploy_prod", 0), "allowed here")
            .secondary(at("deploy_prod", 2), "forbidden here")
            .help("remove it"),
        );
        diagnostics.push(
            Diagnostic::new(Code::DuplicateAction, "100% sure, twice: here")
                .primary(at("deploy_prod", 1), "listed again"),
        );
        diagnostics.sort(&db);
        (diagnostics, db)
    }
}
