//! Values written as one word from a fixed set: what a principal is, how
//! it authenticates, its state, its risk tier, how sensitive an action is.
//! Each knows its spellings and the JSON Schema that lists them; the raw
//! reader reads any of them the same way.

/// A value written as one word from a fixed set.
pub trait Keyword: Copy + 'static {
    /// What the value is, in messages (`kind`, `auth method`).
    const WHAT: &'static str;
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// The value as written.
    fn as_str(self) -> &'static str;
    /// The value for its spelling.
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }
}

/// Define a keyword enum: the enum, its schema, its spellings and
/// [`Keyword`].
macro_rules! keyword_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident as $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, schemars::JsonSchema, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[schemars(rename = $text)] #[serde(rename = $text)] $variant, )*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$( Self::$variant ),*];

            /// The value as written in YAML.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $text, )* }
            }

            /// The value for its YAML spelling.
            #[must_use]
            pub fn parse(s: &str) -> Option<Self> {
                match s { $( $text => Some(Self::$variant), )* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::model::Keyword for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = Self::ALL;
            fn as_str(self) -> &'static str {
                Self::as_str(self)
            }
        }
    };
}
pub(crate) use keyword_enum;

keyword_enum! {
    /// What the principal is.
    pub enum Kind as "kind" {
        /// An AI agent (the default).
        Agent = "agent",
        /// A workload: a service or job running in a runtime.
        Workload = "workload",
        /// A CI/CD pipeline.
        Pipeline = "pipeline",
        /// A long-running service or bot.
        Service = "service",
    }
}

keyword_enum! {
    /// The kind of principal in the target systems.
    pub enum IdentityType as "identity type" {
        /// Federated workload identity (OIDC, SPIFFE): no stored secret.
        WorkloadIdentity = "workload_identity",
        /// A cloud or cluster service account.
        ServiceAccount = "service_account",
        /// A cloud-managed identity (Azure managed identity and the like).
        ManagedIdentity = "managed_identity",
        /// An OAuth client (client credentials).
        OauthClient = "oauth_client",
        /// A user-like account used by a machine (discouraged).
        MachineUser = "machine_user",
    }
}

keyword_enum! {
    /// Whether the identity acts by itself or for a user.
    pub enum Acts as "acting mode" {
        /// On its own authority.
        Autonomous = "autonomous",
        /// On behalf of the user who invoked it.
        OnBehalfOfUser = "on_behalf_of_user",
    }
}

keyword_enum! {
    /// Whether a log is kept.
    pub enum Requirement as "log requirement" {
        /// Must be kept.
        Required = "required",
        /// Kept where available.
        Optional = "optional",
        /// Not kept.
        Disabled = "disabled",
    }
}

keyword_enum! {
    /// Risk tier.
    pub enum RiskTier as "risk tier" {
        /// Low risk.
        Low = "low",
        /// Medium risk.
        Medium = "medium",
        /// High risk: requires `decision_log: required`.
        High = "high",
    }
}

keyword_enum! {
    /// Lifecycle state.
    pub enum State as "state" {
        /// In use (the default).
        Active = "active",
        /// Quarantined: every target denies everything, objects stay.
        Suspended = "suspended",
        /// Offboarded: renders to nothing.
        Revoked = "revoked",
    }
}

keyword_enum! {
    /// An authentication method.
    pub enum AuthMethod as "auth method" {
        /// OpenID Connect federation with short-lived tokens.
        Oidc = "oidc",
        /// A SPIFFE identity (X.509 or JWT SVID).
        Spiffe = "spiffe",
        /// OAuth 2.0 client credentials.
        OauthClientCredentials = "oauth_client_credentials",
        /// Mutual TLS with a client certificate.
        Mtls = "mtls",
        /// Platform attestation (instance or workload attestation).
        Attested = "attested",
        /// A static API key or access key (long-lived; discouraged).
        ApiKey = "api_key",
    }
}

keyword_enum! {
    /// A cloud or cluster an identity runs in, beside Cedar (where every
    /// identity that renders lands).
    pub enum Platform as "target" {
        /// An AWS account: an IAM role (or user).
        Aws = "aws",
        /// A Google Cloud project: a service account.
        Gcp = "gcp",
        /// An Azure subscription: a managed identity.
        Azure = "azure",
        /// A Kubernetes cluster: a service account in its namespaces.
        Kubernetes = "kubernetes",
    }
}

keyword_enum! {
    /// What an AWS account needs before its roles work, which nhi renders
    /// as Terraform resources when the workspace manages it.
    pub enum AwsPrerequisite as "AWS prerequisite" {
        /// The IAM OIDC identity providers of the issuers roles trust.
        OidcProviders = "oidc_providers",
        /// The permissions boundary of every role and user: what the
        /// workspace grants at most, minus its guardrails.
        PermissionsBoundary = "permissions_boundary",
        /// The IAM Roles Anywhere trust anchor and the profile of the roles
        /// it serves.
        RolesAnywhere = "roles_anywhere",
    }
}

keyword_enum! {
    /// What a Google Cloud project needs before its service accounts can
    /// be federated, which nhi renders when the workspace manages it.
    pub enum GcpPrerequisite as "Google Cloud prerequisite" {
        /// The workload identity pool, and an OIDC provider in it per
        /// issuer its identities come from, accepting only their subjects.
        WorkloadIdentityPool = "workload_identity_pool",
    }
}

keyword_enum! {
    /// How an Amazon Bedrock AgentCore Gateway authenticates its callers,
    /// which decides the principal its Policy engine sees.
    pub enum GatewayAuthorizer as "gateway authorizer" {
        /// A JWT (`CUSTOM_JWT`): the principal is `AgentCore::OAuthUser`,
        /// its id the token's `sub`.
        Oauth = "oauth",
        /// SigV4 (`AWS_IAM`): the principal is `AgentCore::IamEntity`, its
        /// id the caller's role session ARN without the session.
        Iam = "iam",
    }
}

keyword_enum! {
    /// The platform a Kubernetes cluster runs on: which cloud's workload
    /// identity its service accounts are annotated for.
    pub enum ClusterPlatform as "cluster platform" {
        /// Amazon EKS: IAM roles for service accounts.
        Eks = "eks",
        /// Google GKE: workload identity (`PROJECT.svc.id.goog`).
        Gke = "gke",
        /// Azure AKS: Microsoft Entra workload identity.
        Aks = "aks",
        /// Any other: no cloud's annotations.
        Other = "other",
    }
}

keyword_enum! {
    /// How sensitive an action is.
    pub enum Access as "access level" {
        /// Reads data or status.
        Read = "read",
        /// Lists or describes.
        List = "list",
        /// Changes data or triggers work.
        Write = "write",
        /// Tags resources.
        Tagging = "tagging",
        /// Changes permissions.
        PermissionsManagement = "permissions_management",
    }
}
