//! The settings of the targets that need them, checked: every id and URL
//! has the form its cloud requires (`validate` reports those that do not,
//! and leaves them out of nothing: a renderer prints what is written).

use super::{AwsPrerequisite, ClusterPlatform, GatewayAuthorizer, GcpPrerequisite};
use crate::source::Spanned;

/// Settings of the targets; a cloud is rendered when its settings are
/// present.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Targets {
    /// Cedar namespace.
    pub cedar_namespace: Option<Spanned<String>>,
    /// AWS settings, if the target is configured.
    pub aws: Option<AwsTarget>,
    /// GCP settings, if configured.
    pub gcp: Option<GcpTarget>,
    /// Azure settings, if configured.
    pub azure: Option<AzureTarget>,
    /// Kubernetes settings, if configured.
    pub kubernetes: Option<KubernetesTarget>,
    /// Amazon Bedrock AgentCore Gateway settings, if configured.
    pub agentcore: Option<AgentCoreTarget>,
    /// ToolHive settings, if configured.
    pub toolhive: Option<ToolHiveTarget>,
}

/// ToolHive, which runs MCP servers behind its own Cedar authorizer.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ToolHiveTarget {
    /// The MCP servers it runs (empty: every server).
    pub servers: Vec<Spanned<String>>,
}

impl ToolHiveTarget {
    /// Whether ToolHive runs the server.
    #[must_use]
    pub fn runs(&self, server: &str) -> bool {
        self.servers.is_empty() || self.servers.iter().any(|s| s.value == server)
    }
}

/// The Amazon Bedrock AgentCore Gateway whose Policy engine decides the
/// agents' tool calls.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentCoreTarget {
    /// The gateway's ARN: the resource of every policy.
    pub gateway: Spanned<String>,
    /// How it authenticates callers.
    pub authorizer: GatewayAuthorizer,
    /// The gateway target of each MCP server that has one other than its
    /// default, by server name.
    pub target_names: Vec<(Spanned<String>, Spanned<String>)>,
}

impl AgentCoreTarget {
    /// The gateway target that fronts a server: the one `targets` names,
    /// else the server's name in PascalCase (`support-desk` →
    /// `SupportDesk`).
    #[must_use]
    pub fn target_name(&self, server: &str) -> String {
        if let Some((_, name)) = self.target_names.iter().find(|(s, _)| s.value == server) {
            return name.value.clone();
        }
        server
            .split(['-', '_'])
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect()
    }
}

impl Targets {
    /// The cluster's service account issuer, when the cluster and its
    /// issuer are configured.
    #[must_use]
    pub fn cluster_issuer(&self) -> Option<&Spanned<String>> {
        self.kubernetes.as_ref()?.oidc_issuer.as_ref()
    }
}

/// The AWS account identities land in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AwsTarget {
    /// The 12-digit account id.
    pub account_id: Spanned<String>,
    /// Default region.
    pub region: Option<Spanned<String>>,
    /// ARN of a permissions boundary for every role.
    pub permissions_boundary: Option<Spanned<String>>,
    /// OIDC issuers registered as IAM identity providers.
    pub oidc_providers: Vec<Spanned<String>>,
    /// IAM Roles Anywhere trust anchor ARN (for SPIFFE and mTLS).
    pub roles_anywhere_trust_anchor: Option<Spanned<String>>,
    /// Put before the name of every role, user and policy nhi creates.
    pub name_prefix: Option<Spanned<String>>,
    /// The prerequisites nhi renders as resources.
    pub manage: Vec<Spanned<AwsPrerequisite>>,
}

impl AwsTarget {
    /// Whether the workspace manages this prerequisite.
    #[must_use]
    pub fn manages(&self, p: AwsPrerequisite) -> bool {
        self.manage.iter().any(|m| m.value == p)
    }

    /// The name prefix, or none.
    #[must_use]
    pub fn prefix(&self) -> &str {
        self.name_prefix.as_ref().map_or("", |p| p.value.as_str())
    }
}

/// The Google Cloud project identities land in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GcpTarget {
    /// Project id.
    pub project: Spanned<String>,
    /// Project number (for workload identity principals).
    pub project_number: Option<Spanned<String>>,
    /// Workload identity pool id.
    pub workload_identity_pool: Option<Spanned<String>>,
    /// The prerequisites nhi renders as resources.
    pub manage: Vec<Spanned<GcpPrerequisite>>,
}

impl GcpTarget {
    /// Whether the workspace manages this prerequisite.
    #[must_use]
    pub fn manages(&self, p: GcpPrerequisite) -> bool {
        self.manage.iter().any(|m| m.value == p)
    }
}

/// The Azure subscription identities land in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AzureTarget {
    /// Subscription id.
    pub subscription_id: Spanned<String>,
    /// Tenant id.
    pub tenant_id: Spanned<String>,
    /// Resource group holding the managed identities.
    pub resource_group: Option<Spanned<String>>,
    /// Location of the managed identities.
    pub location: Option<Spanned<String>>,
    /// Scope of the role definitions and assignments (default: the
    /// resource group, else the subscription).
    pub scope: Option<Spanned<String>>,
    /// Issuer of the SPIFFE JWT-SVIDs, which Azure federates SPIFFE
    /// identities through.
    pub spiffe_issuer: Option<Spanned<String>>,
}

/// The Kubernetes cluster identities land in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KubernetesTarget {
    /// Namespaces an identity runs in when its context names none.
    pub namespaces: Vec<Spanned<String>>,
    /// Namespaces the workspace owns (rendered as Namespace objects).
    pub owned_namespaces: Vec<Spanned<String>>,
    /// The environments the cluster's workloads run in (empty: unknown).
    pub environments: Vec<Spanned<String>>,
    /// The regions the cluster runs in (empty: unknown).
    pub regions: Vec<Spanned<String>>,
    /// The platform it runs on, as `nhi.yaml` says.
    pub platform: Option<Spanned<ClusterPlatform>>,
    /// On EKS, the cluster's name (for access entries).
    pub cluster_name: Option<Spanned<String>>,
    /// The cluster's service account token issuer (its OIDC issuer URL).
    pub oidc_issuer: Option<Spanned<String>>,
}
