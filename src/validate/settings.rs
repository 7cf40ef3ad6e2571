//! `nhi.yaml` (and its catalogue files) → [`Settings`] and severity
//! overrides.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::diag::{Code, Diagnostic, Diagnostics, Severity};
use crate::load::{DEFAULT_IDENTITIES_DIR, DEFAULT_OUTPUT_DIR, DEFAULT_TESTS_DIR};
use crate::model::{
    Action, AgentCoreTarget, AwsCondition, AwsMapping, AwsTarget, AzureMapping, AzureTarget,
    GatewayAuthorizer, GcpMapping, GcpResource, GcpTarget, Guardrails, Human, KubernetesMapping,
    KubernetesTarget, RbacRule, Settings, Spanned, Targets, Team, ToolHiveTarget,
};
use crate::raw::workspace::{self as raw, LintLevel};
use crate::source::FileId;

use super::parse_duration;

/// Per-code severity: `None` turns the code off.
pub type Overrides = BTreeMap<Code, Option<Severity>>;

/// Build the settings from the raw workspace file and catalogues.
pub fn settings(
    workspace: Option<&(FileId, raw::WorkspaceFile)>,
    catalogues: &[(FileId, raw::CatalogueFile)],
    out: &mut Diagnostics,
) -> (Settings, Overrides) {
    let mut settings = Settings {
        identities_dir: PathBuf::from(DEFAULT_IDENTITIES_DIR),
        output_dir: PathBuf::from(DEFAULT_OUTPUT_DIR),
        tests_dir: PathBuf::from(DEFAULT_TESTS_DIR),
        ..Settings::default()
    };
    let mut overrides = Overrides::new();
    let mut actions: Option<BTreeMap<String, Action>> = None;
    if let Some((_, ws)) = workspace {
        workspace_settings(ws, &mut settings, out);
        if let Some(defs) = &ws.actions {
            add_actions(actions.get_or_insert_with(BTreeMap::new), defs, out);
        }
        overrides = overrides_of(ws, out);
    }
    for (_, catalogue) in catalogues {
        add_actions(
            actions.get_or_insert_with(BTreeMap::new),
            &catalogue.actions,
            out,
        );
    }
    settings.actions = actions;
    (settings, overrides)
}

/// The folders, the trust domain, the teams, the targets and the
/// guardrails `nhi.yaml` declares.
fn workspace_settings(ws: &raw::WorkspaceFile, settings: &mut Settings, out: &mut Diagnostics) {
    // a path leaving the workspace was reported while loading
    if let Some(dir) = ws
        .identities
        .as_ref()
        .and_then(|d| crate::load::inside_path(&d.value))
    {
        settings.identities_dir = dir;
    }
    if let Some(dir) = ws
        .output
        .as_ref()
        .and_then(|d| crate::load::inside_path(&d.value))
    {
        settings.output_dir = dir;
    }
    if let Some(dir) = ws
        .tests
        .as_ref()
        .and_then(|d| crate::load::inside_path(&d.value))
    {
        settings.tests_dir = dir;
    }
    settings.trust_domain = ws.trust_domain.clone();
    settings.teams = ws.teams.as_ref().map(|teams| {
        teams
            .iter()
            .map(|(name, team)| (name.value.clone(), team_of(name, team, out)))
            .collect()
    });
    if let Some(targets) = &ws.targets {
        settings.targets = targets_of(targets);
    }
    settings.default_targets = ws.default_targets.clone();
    if let Some(g) = &ws.guardrails {
        settings.guardrails = guardrails_of(g, out);
    }
}

/// The severity overrides of `lints`; an unknown code is reported.
fn overrides_of(ws: &raw::WorkspaceFile, out: &mut Diagnostics) -> Overrides {
    let mut overrides = Overrides::new();
    for (code, level) in ws.lints.iter().flat_map(crate::raw::Entries::iter) {
        match Code::parse(&code.value) {
            // a credential in the workspace is always an error
            Some(Code::InlineSecret) if level.value != LintLevel::Error => out.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    "`SE001` cannot be turned down: a credential in the workspace is always an error",
                )
                .primary(level.loc, "kept an error")
                .help("remove the line; keep secrets in a secret store and point at them with `auth.secret_ref`"),
            ),
            Some(c) => {
                overrides.insert(c, severity_of(level.value));
            }
            None => {
                use strum::IntoEnumIterator;
                let known: Vec<&str> = Code::iter().map(Code::as_str).collect();
                out.push(
                    Diagnostic::new(
                        Code::UnknownCode,
                        format!(
                            "unknown diagnostic code `{}`",
                            crate::diag::printable(&code.value)
                        ),
                    )
                    .primary(code.loc, "no such code")
                    .suggest(&code.value, known.iter().copied()),
                );
            }
        }
    }
    overrides
}

const fn severity_of(level: LintLevel) -> Option<Severity> {
    match level {
        LintLevel::Error => Some(Severity::Error),
        LintLevel::Warning => Some(Severity::Warning),
        LintLevel::Info => Some(Severity::Info),
        LintLevel::Off => None,
    }
}

fn team_of(name: &Spanned<String>, team: &raw::Team, out: &mut Diagnostics) -> Team {
    if crate::model::Name::parse(&name.value).is_none() {
        out.push(super::names::invalid_name(name, "team name"));
    }
    let members = team
        .members
        .iter()
        .flatten()
        .filter_map(|m| match Human::parse(&m.value) {
            Some(h) => Some(Spanned::new(h, m.loc)),
            None => {
                out.push(super::identity::not_a_human(m, "team member"));
                None
            }
        })
        .collect();
    if let Some(h) = &team.handle
        && !crate::vocabulary::codehost::is_handle(&h.value)
    {
        out.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "`{}` is not a code-host handle",
                    crate::diag::printable(&h.value)
                ),
            )
            .primary(h.loc, "not `@user`, `@org/team` or an email address")
            .help("write the team as the code host names it, such as `@example/platform-team`: CODEOWNERS would otherwise lose its required review"),
        );
    }
    Team {
        name: name.clone(),
        description: team.description.clone(),
        handle: team.handle.clone(),
        email: team.email.clone(),
        members,
    }
}

fn add_actions(
    actions: &mut BTreeMap<String, Action>,
    defs: &crate::raw::Entries<raw::ActionDef>,
    out: &mut Diagnostics,
) {
    for (name, def) in defs.iter() {
        if !is_action_name(&name.value) {
            out.push(super::names::invalid_action_name(name));
            continue;
        }
        if let Some(first) = actions.get(&name.value) {
            out.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    format!("action `{}` is defined twice", name.value),
                )
                .primary(name.loc, "defined again here")
                .secondary(first.name.loc, "first defined here"),
            );
            continue;
        }
        actions.insert(name.value.clone(), action_of(name, def));
    }
}

/// Action names: `[a-z][a-z0-9_]*`, at most 128 characters: safe as a
/// Cedar action id, a file name and an IAM statement id.
#[must_use]
pub fn is_action_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 128
}

fn action_of(name: &Spanned<String>, def: &raw::ActionDef) -> Action {
    Action {
        name: name.clone(),
        description: def.description.clone(),
        access: def.access.clone(),
        critical: def.critical.clone(),
        cedar_resource_types: def
            .cedar
            .as_ref()
            .and_then(|c| c.resource_types.clone())
            .unwrap_or_default(),
        aws: def.aws.as_ref().map(|a| AwsMapping {
            actions: a.value.actions.clone(),
            resources: a.value.resources.clone().unwrap_or_default(),
            conditions: a
                .value
                .conditions
                .iter()
                .flat_map(crate::raw::Entries::iter)
                .map(|(op, keys)| {
                    let keys = keys
                        .iter()
                        .map(|(k, v)| (k.value.clone(), v.values().into_iter().cloned().collect()))
                        .collect();
                    (op.value.clone(), AwsCondition { loc: op.loc, keys })
                })
                .collect(),
            wildcard_reason: a.value.wildcard_reason.clone(),
            loc: a.loc,
        }),
        gcp: def.gcp.as_ref().map(|g| GcpMapping {
            permissions: g.value.permissions.clone(),
            names: g.value.names.clone(),
            resource: g.value.resource.as_ref().map(|r| GcpResource {
                kind: r.value.kind.clone(),
                name: r.value.name.clone(),
                loc: r.loc,
            }),
            loc: g.loc,
        }),
        azure: def.azure.as_ref().map(|a| AzureMapping {
            actions: a.value.actions.clone().unwrap_or_default(),
            data_actions: a.value.data_actions.clone().unwrap_or_default(),
            scope: a.value.scope.clone(),
            wildcard_reason: a.value.wildcard_reason.clone(),
            loc: a.loc,
        }),
        kubernetes: def.kubernetes.as_ref().map(|k| {
            let rules = k
                .rules
                .iter()
                .map(|r| RbacRule {
                    api_groups: r.value.api_groups.clone(),
                    resources: r.value.resources.clone(),
                    verbs: r.value.verbs.clone(),
                    resource_names: r.value.resource_names.clone().unwrap_or_default(),
                    loc: r.loc,
                })
                .collect();
            KubernetesMapping {
                rules,
                cluster_wide: k.cluster_wide.as_ref().is_some_and(|c| c.value),
                names: k.names.clone(),
                wildcard_reason: k.wildcard_reason.clone(),
            }
        }),
    }
}

fn targets_of(t: &raw::Targets) -> Targets {
    Targets {
        cedar_namespace: t.cedar.as_ref().and_then(|c| c.namespace.clone()),
        aws: t.aws.as_ref().map(|a| AwsTarget {
            account_id: a.account_id.clone(),
            region: a.region.clone(),
            permissions_boundary: a.permissions_boundary.clone(),
            oidc_providers: a.oidc_providers.clone().unwrap_or_default(),
            roles_anywhere_trust_anchor: a.roles_anywhere_trust_anchor.clone(),
            name_prefix: a.name_prefix.clone(),
            manage: a.manage.clone().unwrap_or_default(),
        }),
        gcp: t.gcp.as_ref().map(|g| GcpTarget {
            project: g.project.clone(),
            project_number: g.project_number.clone(),
            workload_identity_pool: g.workload_identity_pool.clone(),
            manage: g.manage.clone().unwrap_or_default(),
        }),
        azure: t.azure.as_ref().map(|a| AzureTarget {
            subscription_id: a.subscription_id.clone(),
            tenant_id: a.tenant_id.clone(),
            resource_group: a.resource_group.clone(),
            location: a.location.clone(),
            scope: a.scope.clone(),
            spiffe_issuer: a.spiffe_issuer.clone(),
        }),
        kubernetes: t.kubernetes.as_ref().map(|k| KubernetesTarget {
            namespaces: k.namespaces.clone().unwrap_or_default(),
            owned_namespaces: k.owned_namespaces.clone().unwrap_or_default(),
            environments: k.environments.clone().unwrap_or_default(),
            regions: k.regions.clone().unwrap_or_default(),
            platform: k.platform.clone(),
            cluster_name: k.cluster_name.clone(),
            oidc_issuer: k.oidc_issuer.clone(),
        }),
        agentcore: t.agentcore.as_ref().map(|a| AgentCoreTarget {
            gateway: a.gateway.clone(),
            authorizer: a
                .authorizer
                .as_ref()
                .map_or(GatewayAuthorizer::Oauth, |x| x.value),
            target_names: a
                .targets
                .iter()
                .flat_map(crate::raw::Entries::iter)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }),
        toolhive: t.toolhive.as_ref().map(|h| ToolHiveTarget {
            servers: h.servers.clone().unwrap_or_default(),
        }),
    }
}

fn guardrails_of(g: &raw::Guardrails, out: &mut Diagnostics) -> Guardrails {
    Guardrails {
        forbidden_actions: g.forbidden_actions.clone().unwrap_or_default(),
        max_token_ttl: g
            .max_token_ttl
            .as_ref()
            .and_then(|d| parse_duration(d, out)),
        max_secret_rotation: g
            .max_secret_rotation
            .as_ref()
            .and_then(|d| parse_duration(d, out)),
        allowed_auth_methods: g.allowed_auth_methods.clone().unwrap_or_default(),
        max_delegation_depth: g.max_delegation_depth.clone(),
        expiry_notice: g
            .expiry_notice
            .as_ref()
            .and_then(|d| parse_duration(d, out)),
        isolated_environments: g.isolated_environments.clone().unwrap_or_default(),
    }
}
