//! The workspace file as written (`nhi.yaml`) and the catalogue files it
//! includes.

use crate::model::{
    Access, AuthMethod, AwsPrerequisite, GatewayAuthorizer, GcpPrerequisite, Platform,
};

use super::{Entries, OneOrMany, Spanned, raw_enum, raw_struct};

raw_struct! {
    /// The workspace: where identities live, teams, the action catalogue,
    /// targets, guardrails and lint severities. Every key is optional.
    pub struct WorkspaceFile as "the workspace" {
        /// Folder holding the identity files (default `identities`).
        identities: Option<Spanned<String>>,
        /// Output folder of `nhi build` (default `dist`).
        output: Option<Spanned<String>>,
        /// Folder holding the decision tests that `nhi test` runs (default
        /// `decisions`).
        tests: Option<Spanned<String>>,
        /// SPIFFE trust domain (`example.org`).
        trust_domain: Option<Spanned<String>>,
        /// Owning teams, by name.
        teams: Option<Entries<Team>>,
        /// The action catalogue: business verbs and what they mean in each
        /// target.
        actions: Option<Entries<ActionDef>>,
        /// Further catalogue files (relative paths), each holding `actions`.
        include: Option<Vec<Spanned<String>>>,
        /// Target settings.
        targets: Option<Targets>,
        /// Where an identity runs when its file names no `targets`
        /// (default: those its `auth` names: an audience, a service
        /// account, a runtime).
        default_targets: Option<Vec<Spanned<Platform>>>,
        /// Organisation-wide rules no identity may break.
        guardrails: Option<Guardrails>,
        /// Severity per diagnostic code or name: `error`, `warning`, `info`
        /// or `off`.
        lints: Option<Entries<Spanned<LintLevel>>>,
        /// The MCP servers the workspace's agents call, by name, each with
        /// its pinned tool list.
        mcp_servers: Option<Entries<McpServer>>,
    }
}

raw_struct! {
    /// An MCP server: where it is, and the tools it offers.
    pub struct McpServer as "an MCP server" {
        /// What the server is for.
        description: Option<Spanned<String>>,
        /// The server's URL: the protected resource its clients present
        /// tokens to (RFC 9728 `resource`).
        url: Option<Spanned<String>>,
        /// The server's `tools/list` response, pinned in the repository
        /// (a relative path to its JSON): tools and arguments that identity
        /// files name are checked against it.
        tools: Option<Spanned<String>>,
        /// The OAuth authorization servers that issue its tokens (RFC 9728
        /// `authorization_servers`).
        authorization_servers: Option<Vec<Spanned<String>>>,
        /// The OAuth scopes its tokens carry, each with the tools it
        /// grants (RFC 9728 `scopes_supported`): a tool a scope names may
        /// be called only with a token that carries one of its scopes.
        scopes: Option<Entries<Vec<Spanned<String>>>>,
    }
}

raw_struct! {
    /// A catalogue file named in `include`.
    pub struct CatalogueFile as "a catalogue file" {
        /// Actions, as in `nhi.yaml`.
        actions: Entries<ActionDef>,
    }
}

raw_struct! {
    /// A team that owns identities.
    pub struct Team as "a team" {
        /// What the team does.
        description: Option<Spanned<String>>,
        /// The team's handle on the code host (`@org/platform`), for
        /// CODEOWNERS.
        handle: Option<Spanned<String>>,
        /// A contact address.
        email: Option<Spanned<String>>,
        /// The humans in the team (email addresses or `user:<id>`).
        members: Option<Vec<Spanned<String>>>,
    }
}

raw_struct! {
    /// A business action and what it means in every target.
    pub struct ActionDef as "an action" {
        /// What the action does.
        description: Option<Spanned<String>>,
        /// How sensitive it is.
        access: Option<Spanned<Access>>,
        /// Whether it is critical: every identity allowed it must hold it
        /// under a human's `approval` (AC006).
        critical: Option<Spanned<bool>>,
        /// Cedar resource types it applies to.
        cedar: Option<CedarMapping>,
        /// AWS IAM actions and resources.
        aws: Option<Spanned<AwsMapping>>,
        /// GCP IAM permissions.
        gcp: Option<Spanned<GcpMapping>>,
        /// Azure role-definition actions.
        azure: Option<Spanned<AzureMapping>>,
        /// Kubernetes RBAC rules.
        kubernetes: Option<KubernetesMapping>,
    }
}

raw_struct! {
    /// Cedar meaning of an action.
    pub struct CedarMapping as "a Cedar mapping" {
        /// Resource entity types the action applies to.
        resource_types: Option<Vec<Spanned<String>>>,
    }
}

raw_struct! {
    /// AWS meaning of an action. An empty `actions` list says the action
    /// deliberately means nothing in AWS.
    pub struct AwsMapping as "an AWS mapping" {
        /// IAM actions (`codebuild:BatchGetBuilds`), wildcards allowed
        /// (`s3:Get*`).
        actions: Vec<Spanned<String>>,
        /// Resource ARNs (default `*`).
        resources: Option<Vec<Spanned<String>>>,
        /// IAM conditions added to the action's statements: operator →
        /// condition key → value or values
        /// (`{StringEquals: {"aws:ResourceTag/team": payments}}`).
        conditions: Option<Entries<Entries<OneOrMany>>>,
        /// Why a wildcard (`*`, `s3:*`, every resource) in this mapping is
        /// deliberate; without one, a wildcard is reported.
        wildcard_reason: Option<Spanned<String>>,
    }
}

raw_struct! {
    /// GCP meaning of an action. An empty `permissions` list says the
    /// action deliberately means nothing in Google Cloud.
    pub struct GcpMapping as "a GCP mapping" {
        /// IAM permissions (`cloudbuild.builds.get`), exact: custom roles
        /// take no wildcards.
        permissions: Vec<Spanned<String>>,
        /// The `where` key whose values name the resources the permissions
        /// act on: a grant narrowed by it is bound under an IAM condition
        /// on the resource's name.
        names: Option<Spanned<String>>,
        /// The resources that key names: their type and full name.
        resource: Option<Spanned<GcpResource>>,
    }
}

raw_struct! {
    /// The Google Cloud resources a `where` key names, as IAM Conditions
    /// see them.
    pub struct GcpResource as "a GCP resource" {
        /// The resource type (`artifactregistry.googleapis.com/Repository`).
        kind = "type": Spanned<String>,
        /// The full resource name, `{name}` standing for the `where` value
        /// and `{project}` for the target's project
        /// (`projects/{project}/locations/europe-west1/repositories/{name}`).
        name: Spanned<String>,
    }
}

raw_struct! {
    /// Azure meaning of an action. Empty lists say the action deliberately
    /// means nothing in Azure.
    pub struct AzureMapping as "an Azure mapping" {
        /// Control-plane actions (`Microsoft.Web/sites/read`).
        actions: Option<Vec<Spanned<String>>>,
        /// Data-plane actions.
        data_actions: Option<Vec<Spanned<String>>>,
        /// Where its role is assigned (`/subscriptions/…/resourceGroups/…`;
        /// default the target's scope).
        scope: Option<Spanned<String>>,
        /// Why a wildcard in this mapping is deliberate; without one, a
        /// wildcard is reported.
        wildcard_reason: Option<Spanned<String>>,
    }
}

raw_struct! {
    /// Kubernetes meaning of an action.
    pub struct KubernetesMapping as "a Kubernetes mapping" {
        /// RBAC rules.
        rules: Vec<Spanned<RbacRule>>,
        /// Whether the rules need a ClusterRole.
        cluster_wide: Option<Spanned<bool>>,
        /// The `where` key whose values name the objects the rules act on:
        /// a grant narrowed by it gets them as `resourceNames`.
        names: Option<Spanned<String>>,
        /// Why a wildcard (`*` verbs, resources or API groups) in these
        /// rules is deliberate; without one, a wildcard is reported.
        wildcard_reason: Option<Spanned<String>>,
    }
}

raw_struct! {
    /// One RBAC policy rule.
    pub struct RbacRule as "an RBAC rule" {
        /// API groups (`""` for the core group).
        api_groups: Vec<Spanned<String>>,
        /// Resources (`pods`, `deployments`).
        resources: Vec<Spanned<String>>,
        /// Verbs (`get`, `list`, `watch`).
        verbs: Vec<Spanned<String>>,
        /// Restrict to these resource names.
        resource_names: Option<Vec<Spanned<String>>>,
    }
}

raw_struct! {
    /// Settings of the targets that need them.
    pub struct Targets as "targets" {
        /// Cedar.
        cedar: Option<CedarTarget>,
        /// AWS.
        aws: Option<AwsTarget>,
        /// Google Cloud.
        gcp: Option<GcpTarget>,
        /// Azure.
        azure: Option<AzureTarget>,
        /// Kubernetes.
        kubernetes: Option<KubernetesTarget>,
        /// Amazon Bedrock AgentCore Gateway: its Policy engine decides the
        /// agents' MCP tool calls.
        agentcore: Option<AgentCoreTarget>,
        /// ToolHive: the Cedar authorization config of each MCP server it
        /// runs.
        toolhive: Option<ToolHiveTarget>,
    }
}

raw_struct! {
    /// ToolHive, which runs MCP servers behind its own Cedar authorizer.
    pub struct ToolHiveTarget as "the ToolHive target" {
        /// The MCP servers it runs (default: every server of
        /// `mcp_servers`).
        servers: Option<Vec<Spanned<String>>>,
    }
}

raw_struct! {
    /// An Amazon Bedrock AgentCore Gateway, with a Policy engine attached.
    pub struct AgentCoreTarget as "the AgentCore target" {
        /// The gateway's ARN
        /// (`arn:aws:bedrock-agentcore:REGION:ACCOUNT:gateway/ID`).
        gateway: Spanned<String>,
        /// How the gateway authenticates callers: `oauth` (a JWT; the
        /// default) or `iam` (SigV4, as the identity's AWS role).
        authorizer: Option<Spanned<GatewayAuthorizer>>,
        /// The gateway target each MCP server is, by server name, where it
        /// is not the server's name in PascalCase (`support-desk` →
        /// `SupportDesk`).
        targets: Option<Entries<Spanned<String>>>,
    }
}

raw_struct! {
    /// Cedar settings.
    pub struct CedarTarget as "the Cedar target" {
        /// Cedar namespace for the schema and policies.
        namespace: Option<Spanned<String>>,
    }
}

raw_struct! {
    /// AWS settings.
    pub struct AwsTarget as "the AWS target" {
        /// The 12-digit account id.
        account_id: Spanned<String>,
        /// Default region.
        region: Option<Spanned<String>>,
        /// ARN of a permissions boundary for every role.
        permissions_boundary: Option<Spanned<String>>,
        /// OIDC issuers registered as IAM identity providers.
        oidc_providers: Option<Vec<Spanned<String>>>,
        /// IAM Roles Anywhere trust anchor ARN (for SPIFFE and mTLS).
        roles_anywhere_trust_anchor: Option<Spanned<String>>,
        /// Put before the name of every role, user and policy nhi creates
        /// (`ci-`): up to 32 of the characters IAM names take.
        #[schemars(regex(pattern = r"^[A-Za-z0-9+=,.@_-]{0,32}$"))]
        name_prefix: Option<Spanned<String>>,
        /// The prerequisites nhi renders as Terraform resources (each one
        /// also a module variable): `oidc_providers`, `permissions_boundary`
        /// (then `permissions_boundary` above stays unset), `roles_anywhere`.
        manage: Option<Vec<Spanned<AwsPrerequisite>>>,
    }
}

raw_struct! {
    /// Google Cloud settings.
    pub struct GcpTarget as "the GCP target" {
        /// Project id.
        project: Spanned<String>,
        /// Project number (for workload identity principals).
        project_number: Option<Spanned<String>>,
        /// Workload identity pool id.
        workload_identity_pool: Option<Spanned<String>>,
        /// The prerequisites nhi renders as Terraform resources (each one
        /// also a module variable): `workload_identity_pool`, the pool and
        /// an OIDC provider per issuer, accepting only the workspace's
        /// subjects.
        manage: Option<Vec<Spanned<GcpPrerequisite>>>,
    }
}

raw_struct! {
    /// Azure settings.
    pub struct AzureTarget as "the Azure target" {
        /// Subscription id.
        subscription_id: Spanned<String>,
        /// Tenant id.
        tenant_id: Spanned<String>,
        /// Resource group holding the managed identities.
        resource_group: Option<Spanned<String>>,
        /// Location of the managed identities.
        location: Option<Spanned<String>>,
        /// Scope of the role definitions and assignments (default: the
        /// resource group, else the subscription).
        scope: Option<Spanned<String>>,
        /// Issuer of the SPIFFE JWT-SVIDs (SPIRE's OIDC discovery
        /// provider), which Azure federates SPIFFE identities through.
        spiffe_issuer: Option<Spanned<String>>,
    }
}

raw_struct! {
    /// Kubernetes settings.
    pub struct KubernetesTarget as "the Kubernetes target" {
        /// Namespaces an identity runs in when its context names none.
        namespaces: Option<Vec<Spanned<String>>>,
        /// Namespaces the workspace owns: each is rendered as a Namespace
        /// object, applied before what runs in it.
        owned_namespaces: Option<Vec<Spanned<String>>>,
        /// The environments the cluster's workloads run in: a cloud that
        /// trusts only the cluster's tokens knows its callers are in them.
        environments: Option<Vec<Spanned<String>>>,
        /// The regions the cluster runs in (its cloud's names).
        regions: Option<Vec<Spanned<String>>>,
        /// The platform it runs on (`eks`, `gke`, `aks`, `other`): its
        /// service accounts carry that platform's annotations. Default: the
        /// one its `oidc_issuer` names, else `other`.
        platform: Option<Spanned<crate::model::ClusterPlatform>>,
        /// On EKS, the cluster's name: a CI pipeline meant for the cluster
        /// reaches it through its IAM role, by an EKS access entry.
        cluster_name: Option<Spanned<String>>,
        /// The cluster's service account token issuer (its OIDC issuer
        /// URL): identities that name no issuer run as their Kubernetes
        /// service account and are federated through it.
        oidc_issuer: Option<Spanned<String>>,
    }
}

raw_struct! {
    /// Organisation-wide guardrails.
    pub struct Guardrails as "guardrails" {
        /// Actions no identity may hold.
        forbidden_actions: Option<Vec<Spanned<String>>>,
        /// The longest token or session TTL (`1h`).
        max_token_ttl: Option<Spanned<String>>,
        /// The longest rotation period of a secret (`90d`).
        max_secret_rotation: Option<Spanned<String>>,
        /// Auth methods identities may use.
        allowed_auth_methods: Option<Vec<Spanned<AuthMethod>>>,
        /// The deepest delegation chain.
        max_delegation_depth: Option<Spanned<u32>>,
        /// How long before an identity expires `nhi check` starts saying
        /// so (`30d`, the default).
        expiry_notice: Option<Spanned<String>>,
        /// Environments no identity may share with any other environment
        /// (default `[production]`).
        isolated_environments: Option<Vec<Spanned<String>>>,
    }
}

raw_enum! {
    /// A severity override.
    pub enum LintLevel as "lint level" {
        /// Fails the run.
        Error = "error",
        /// Reported, does not fail.
        Warning = "warning",
        /// Reported as information.
        Info = "info",
        /// Not reported.
        Off = "off",
    }
}
