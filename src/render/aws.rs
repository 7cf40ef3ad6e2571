//! The AWS target: per identity that AWS must grant, an IAM role whose
//! trust policy matches its `auth` (OIDC web identity federation, or IAM
//! Roles Anywhere for certificates; an IAM user only for `api_key`), a
//! permissions policy with an `Allow` per allowed action and an explicit
//! `Deny` per forbidden and guardrail action, and tags naming its owner,
//! purpose, review date and source file. Native JSON under `aws/NAME/`
//! (what `aws iam create-role` and `put-role-policy` take); the same as a
//! Terraform module with a root that applies it ([`module`]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analyse::federation::{self, AwsPrincipal, AwsTrust, Cloud};
use crate::analyse::{self, Analysis, enforce, grant_of, places};
use crate::model::{
    Action, AwsMapping, AwsPrerequisite, AwsTarget, IamName, Identity, Model, Platform, Time,
    time_text,
};
use crate::source::SourceDb;
use crate::vocabulary::aws::{self, Tags as TagCondition};

use super::tags::{self, Tags};
use super::{Artifact, Artifacts, RenderError};

pub mod module;

/// The IAM path of every role and user nhi renders.
pub const PATH: &str = "/nhi/";
/// What a trust names for the IAM Roles Anywhere trust anchor the
/// workspace's Terraform creates: the module puts the anchor's ARN in its
/// place, and no native file is written with it.
pub const MANAGED_ANCHOR: &str = "${nhi:roles-anywhere-trust-anchor}";
/// The name of each identity's inline permissions policy.
pub const POLICY_NAME: &str = "nhi-permissions";
/// The most characters (whitespace aside) IAM allows in a role's inline
/// policies.
pub const MAX_POLICY_CHARS: usize = 10_240;

/// An IAM policy document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    /// Always `2012-10-17`.
    pub version: &'static str,
    /// The statements.
    pub statement: Vec<Statement>,
}

/// An IAM policy statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// Its id: what it renders (`AllowReadCiStatus`).
    pub sid: String,
    /// `Allow` or `Deny`.
    pub effect: &'static str,
    /// Who (trust policies only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// IAM actions.
    pub action: Vec<String>,
    /// Resource ARNs (permissions policies only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Vec<String>>,
    /// Operator → condition key → accepted values.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub condition: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

/// A trust policy's principal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Principal {
    /// An OIDC identity provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub federated: Option<String>,
    /// An AWS service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// An AWS account or principal.
    #[serde(rename = "AWS", skip_serializing_if = "Option::is_none")]
    pub aws: Option<String>,
}

/// The role (or user) of one identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The identity's name: the role or user name.
    pub name: String,
    /// The trust policy (`None`: an IAM user).
    pub trust: Option<PolicyDocument>,
    /// The permissions policy.
    pub permissions: PolicyDocument,
    /// Role description.
    pub description: String,
    /// Longest session, in seconds.
    pub max_session: u64,
    /// Tags.
    pub tags: Tags,
    /// The EKS cluster a CI pipeline reaches through this role, and the
    /// Kubernetes group its access entry maps the role to.
    pub access_entry: Option<(String, String)>,
    /// Whether its role (or user) exists already, to be imported.
    pub existing: bool,
    /// The path and name its role or user keeps (`known_as.aws`), when
    /// not nhi's own.
    pub known_as: Option<IamName>,
}

impl Rendered {
    /// The role or user's path.
    #[must_use]
    pub fn path(&self) -> &str {
        self.known_as.as_ref().map_or(PATH, |k| k.path.as_str())
    }

    /// The role or user's name in `target`.
    #[must_use]
    pub fn iam_name(&self, target: &AwsTarget) -> String {
        self.known_as.as_ref().map_or_else(
            || format!("{}{}", target.prefix(), self.name),
            |k| k.name.clone(),
        )
    }
}

/// Render the AWS target: every identity that lands in AWS.
///
/// # Errors
///
/// When an identity's policy is larger than IAM accepts.
pub fn render(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    target: &AwsTarget,
) -> Result<Artifacts, RenderError> {
    let mut out = Artifacts::new();
    let roles = principals(model, analysis, db)?;
    for rendered in &roles {
        files(rendered, target, &mut out);
    }
    out.extend(module::render(model, &roles, target)?);
    Ok(out)
}

/// The role (or user) of every identity that lands in AWS, in name order.
///
/// # Errors
///
/// When an identity's policy is larger than IAM accepts.
pub fn principals(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
) -> Result<Vec<Rendered>, RenderError> {
    let mut roles = Vec::new();
    for identity in analysis.landing(model, Cloud::Aws) {
        // a workspace that checked clean can federate every identity it needs
        let Ok(trust) = federation::aws(model, identity) else {
            continue;
        };
        roles.push(identity_role(model, analysis, db, identity, &trust)?);
    }
    Ok(roles)
}

/// The permissions boundary of every role and user: the one nhi renders,
/// or the one the workspace names.
#[must_use]
pub fn boundary_arn(target: &AwsTarget) -> Option<String> {
    if target.manages(AwsPrerequisite::PermissionsBoundary) {
        return Some(format!(
            "arn:aws:iam::{}:policy{PATH}{}{}",
            target.account_id.value,
            target.prefix(),
            module::BOUNDARY
        ));
    }
    target
        .permissions_boundary
        .as_ref()
        .map(|b| b.value.clone())
}

/// The ARN of the role nhi renders for `identity`: under nhi's path and
/// the workspace's prefix, or as it is `known_as`.
#[must_use]
pub fn role_arn(target: &AwsTarget, identity: &Identity) -> String {
    match &identity.known_as.aws {
        Some(k) => format!(
            "arn:aws:iam::{}:role{}{}",
            target.account_id.value, k.value.path, k.value.name
        ),
        None => format!(
            "arn:aws:iam::{}:role{PATH}{}{}",
            target.account_id.value,
            target.prefix(),
            identity.name.value
        ),
    }
}

fn pascal(action: &str) -> String {
    action
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn identity_role(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    identity: &Identity,
    trust: &AwsTrust,
) -> Result<Rendered, RenderError> {
    let name = identity.name.value.to_string();
    let permissions = permissions(model, analysis, identity, trust);
    let size = serde_json::to_string(&permissions).map_or(0, |s| s.len());
    if size > MAX_POLICY_CHARS {
        return Err(RenderError::AwsPolicyTooLarge {
            identity: name,
            size,
            limit: MAX_POLICY_CHARS,
        });
    }
    let ttl = identity
        .auth
        .ttl
        .as_ref()
        .map_or(3600, |t| t.value.as_secs());
    Ok(Rendered {
        trust: trust_policy(trust),
        permissions,
        description: tags::description(identity),
        max_session: ttl.clamp(3600, 43_200),
        tags: tags::aws(&tags::facts(identity, analysis, db)),
        access_entry: analysis
            .lands(identity)
            .through_role
            .then_some(model.settings.targets.kubernetes.as_ref())
            .flatten()
            .and_then(|k| k.cluster_name.as_ref())
            .map(|c| (c.value.clone(), places::access_group(&name))),
        existing: identity.existing.iter().any(|p| p.value == Platform::Aws),
        known_as: identity.known_as.aws.as_ref().map(|k| k.value.clone()),
        name,
    })
}

fn trust_policy(trust: &AwsTrust) -> Option<PolicyDocument> {
    let statement = match trust {
        AwsTrust::User => return None,
        AwsTrust::Assumed(by) => {
            let (service, aws) = match by {
                AwsPrincipal::Service(s) => (Some(s.clone()), None),
                AwsPrincipal::Aws(a) => (None, Some(a.clone())),
            };
            Statement {
                sid: "Attested".to_owned(),
                effect: "Allow",
                principal: Some(Principal {
                    federated: None,
                    service,
                    aws,
                }),
                action: vec!["sts:AssumeRole".to_owned()],
                resource: None,
                condition: BTreeMap::new(),
            }
        }
        AwsTrust::WebIdentity {
            provider_arn,
            issuer,
            audiences,
            subjects,
        } => {
            let like = subjects.iter().any(|s| s.contains(['*', '?']));
            let literals = |v: &[String]| v.iter().map(|s| aws::literal(s)).collect::<Vec<_>>();
            let mut condition = BTreeMap::new();
            condition.insert(
                "StringEquals".to_owned(),
                BTreeMap::from([(format!("{issuer}:aud"), literals(audiences))]),
            );
            condition
                .entry(if like { "StringLike" } else { "StringEquals" }.to_owned())
                .or_insert_with(BTreeMap::new)
                .insert(format!("{issuer}:sub"), literals(subjects));
            Statement {
                sid: "WebIdentity".to_owned(),
                effect: "Allow",
                principal: Some(Principal {
                    federated: Some(provider_arn.clone()),
                    service: None,
                    aws: None,
                }),
                action: vec!["sts:AssumeRoleWithWebIdentity".to_owned()],
                resource: None,
                condition,
            }
        }
        AwsTrust::RolesAnywhere {
            trust_anchor,
            attribute,
            values,
        } => Statement {
            sid: "RolesAnywhere".to_owned(),
            effect: "Allow",
            principal: Some(Principal {
                federated: None,
                service: Some("rolesanywhere.amazonaws.com".to_owned()),
                aws: None,
            }),
            action: vec![
                "sts:AssumeRole".to_owned(),
                "sts:SetSourceIdentity".to_owned(),
                "sts:TagSession".to_owned(),
            ],
            resource: None,
            condition: BTreeMap::from([
                (
                    "ArnEquals".to_owned(),
                    BTreeMap::from([(
                        "aws:SourceArn".to_owned(),
                        vec![
                            trust_anchor
                                .clone()
                                .unwrap_or_else(|| MANAGED_ANCHOR.to_owned()),
                        ],
                    )]),
                ),
                (
                    "StringEquals".to_owned(),
                    BTreeMap::from([(
                        format!("aws:PrincipalTag/{attribute}"),
                        values.iter().map(|v| aws::literal(v)).collect(),
                    )]),
                ),
            ]),
        },
    };
    Some(PolicyDocument {
        version: "2012-10-17",
        statement: vec![statement],
    })
}

/// An Allow statement's conditions: the mapping's own, and the ones the
/// enforcement plan adds (`None` when the two accept no common value).
fn allow_conditions(
    mapping: &AwsMapping,
    equals: BTreeMap<String, Vec<String>>,
    window: enforce::Window,
) -> Option<BTreeMap<String, BTreeMap<String, Vec<String>>>> {
    let mut out: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (op, c) in &mapping.conditions {
        let keys = out.entry(op.clone()).or_default();
        for (key, values) in &c.keys {
            keys.insert(
                key.clone(),
                values.iter().map(|v| v.value.clone()).collect(),
            );
        }
    }
    for (key, values) in equals {
        // what the file says, never a policy variable
        let values: Vec<String> = values.iter().map(|v| aws::literal(v)).collect();
        let same = out.entry("StringEquals".to_owned()).or_default();
        match same.get_mut(&key) {
            Some(existing) => {
                existing.retain(|v| values.contains(v));
                if existing.is_empty() {
                    return None;
                }
            }
            None => {
                same.insert(key, values);
            }
        }
    }
    // the time window, on the time AWS receives the request
    for (op, bound) in [
        ("DateGreaterThanEquals", window.from),
        ("DateLessThan", window.until),
    ] {
        let Some(t) = bound else {
            continue;
        };
        let keys = out.entry(op.to_owned()).or_default();
        let t = match keys.get(aws::CURRENT_TIME) {
            None => t,
            // the mapping bounds the time too: the stricter bound holds
            Some(theirs) => {
                let theirs: Option<Vec<Time>> =
                    theirs.iter().map(|v| crate::model::parse_time(v)).collect();
                let theirs = theirs.filter(|v| !v.is_empty())?;
                let later = op == "DateGreaterThanEquals";
                theirs
                    .into_iter()
                    .fold(t, |a, b| if later { a.max(b) } else { a.min(b) })
            }
        };
        keys.insert(aws::CURRENT_TIME.to_owned(), vec![time_text(t)]);
    }
    Some(out)
}

/// The Allow statements of one allowed action, as the enforcement plan
/// decides them: one per tag condition its AWS actions take.
fn allows(name: &str, mapping: &AwsMapping, plan: enforce::AwsAllow) -> Vec<Statement> {
    let mut resources: Vec<String> = mapping.resources.iter().map(|r| r.value.clone()).collect();
    resources.sort();
    resources.dedup();
    if resources.is_empty() {
        resources.push("*".to_owned());
    }
    let several = plan.statements.len() > 1;
    plan.statements
        .into_iter()
        .filter_map(|s| {
            let suffix = match s.tags {
                _ if !several => "",
                Some(TagCondition::Resource) => "",
                Some(TagCondition::Request) => "OnCreate",
                None => "Untagged",
            };
            Some(Statement {
                sid: format!("Allow{}{suffix}", pascal(name)),
                effect: "Allow",
                principal: None,
                action: s.actions,
                resource: Some(resources.clone()),
                condition: allow_conditions(mapping, s.equals, s.window)?,
            })
        })
        .collect()
}

fn statement_of(sid: String, effect: &'static str, action: &Action) -> Option<Statement> {
    let m = action.aws.as_ref().filter(|m| !m.actions.is_empty())?;
    let mut actions: Vec<String> = m.actions.iter().map(|a| a.value.clone()).collect();
    actions.sort();
    actions.dedup();
    let mut resources: Vec<String> = m.resources.iter().map(|r| r.value.clone()).collect();
    resources.sort();
    resources.dedup();
    if resources.is_empty() {
        resources.push("*".to_owned());
    }
    Some(Statement {
        sid,
        effect,
        principal: None,
        action: actions,
        resource: Some(resources),
        condition: BTreeMap::new(),
    })
}

/// A Deny statement per guardrail action, in action order.
fn guardrail_denies(model: &Model) -> Vec<Statement> {
    let catalogue = model.settings.actions.as_ref();
    let mut guardrails: Vec<&str> = model
        .settings
        .guardrails
        .forbidden_actions
        .iter()
        .map(|g| g.value.as_str())
        .collect();
    guardrails.sort_unstable();
    guardrails.dedup();
    guardrails
        .into_iter()
        .filter_map(|g| {
            let action = catalogue.and_then(|c| c.get(g))?;
            statement_of(format!("Guardrail{}", pascal(g)), "Deny", action)
        })
        .collect()
}

/// The permissions policy: quarantine first, then the denies, then the
/// allows, each in action order.
fn permissions(
    model: &Model,
    analysis: &Analysis,
    identity: &Identity,
    trust: &AwsTrust,
) -> PolicyDocument {
    let catalogue = model.settings.actions.as_ref();
    let action = |name: &str| catalogue.and_then(|c| c.get(name));
    let mut statement = Vec::new();
    if analysis.suspended(identity) {
        statement.push(Statement {
            sid: "Suspended".to_owned(),
            effect: "Deny",
            principal: None,
            action: vec!["*".to_owned()],
            resource: Some(vec!["*".to_owned()]),
            condition: BTreeMap::new(),
        });
    }
    statement.extend(guardrail_denies(model));
    // a guardrail already denies what it names
    let mut forbidden: Vec<&str> = identity
        .forbidden
        .iter()
        .map(|f| f.value.as_str())
        .filter(|f| !analyse::is_guardrail(model, f))
        .collect();
    forbidden.sort_unstable();
    forbidden.dedup();
    for f in forbidden {
        if let Some(s) =
            action(f).and_then(|a| statement_of(format!("Deny{}", pascal(f)), "Deny", a))
        {
            statement.push(s);
        }
    }
    let mut allowed: Vec<&str> = identity
        .allowed
        .iter()
        .map(|g| g.action.value.as_str())
        .collect();
    allowed.sort_unstable();
    allowed.dedup();
    for a in allowed {
        let (Some(mapping), Some(grant)) = (
            action(a).and_then(|d| d.aws.as_ref()),
            grant_of(identity, a),
        ) else {
            continue;
        };
        let plan = enforce::aws(model, identity, grant, mapping, trust);
        statement.extend(allows(a, mapping, plan));
    }
    PolicyDocument {
        version: "2012-10-17",
        statement,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RoleSpec<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<&'a str>,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_session_duration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions_boundary: Option<&'a str>,
    tags: Vec<TagSpec<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TagSpec<'a> {
    key: &'a str,
    value: &'a str,
}

fn files(r: &Rendered, target: &AwsTarget, out: &mut Artifacts) {
    let boundary = boundary_arn(target);
    let user = r.trust.is_none();
    let name = r.iam_name(target);
    let spec = RoleSpec {
        role_name: (!user).then_some(name.as_str()),
        user_name: user.then_some(name.as_str()),
        path: r.path(),
        description: (!user).then_some(r.description.as_str()),
        max_session_duration: (!user).then_some(r.max_session),
        permissions_boundary: boundary.as_deref(),
        tags: r
            .tags
            .iter()
            .map(|(key, value)| TagSpec { key, value })
            .collect(),
    };
    let dir = format!("aws/{}", r.name);
    let source = Some(r.name.clone());
    if let Some(trust) = &r.trust {
        out.insert(Artifact::new(
            &format!("{dir}/role.json"),
            super::json_file(&spec),
            source.clone(),
        ));
        // a trust anchor Terraform creates has no ARN before it does
        if !serde_json::to_string(trust).is_ok_and(|t| t.contains(MANAGED_ANCHOR)) {
            out.insert(Artifact::new(
                &format!("{dir}/trust-policy.json"),
                super::json_file(trust),
                source.clone(),
            ));
        }
    } else {
        out.insert(Artifact::new(
            &format!("{dir}/user.json"),
            super::json_file(&spec),
            source.clone(),
        ));
    }
    if let Some((cluster, group)) = &r.access_entry
        && r.trust.is_some()
    {
        out.insert(Artifact::new(
            &format!("{dir}/eks-access-entry.json"),
            super::json_file(&AccessEntrySpec {
                cluster_name: cluster,
                principal_arn: format!(
                    "arn:aws:iam::{}:role{}{name}",
                    target.account_id.value,
                    r.path()
                ),
                kubernetes_groups: [group],
                ty: "STANDARD",
            }),
            source.clone(),
        ));
    }
    out.insert(Artifact::new(
        &format!("{dir}/permissions-policy.json"),
        super::json_file(&r.permissions),
        source,
    ));
}

/// An EKS access entry (`aws eks create-access-entry --cli-input-json`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessEntrySpec<'a> {
    cluster_name: &'a str,
    principal_arn: String,
    kubernetes_groups: [&'a str; 1],
    #[serde(rename = "type")]
    ty: &'static str,
}
