//! How each target enforces the conditions of a grant, decided once: the
//! renderers write what is decided here, and the lint rules report what a
//! target cannot enforce, so that no target is silently broader than the
//! file nor silently dead.
//!
//! A grant's conditions (its identity's `context`, its `where`, its
//! approval and its time window) are of five kinds, by what they describe:
//!
//! - the **caller**: its environment and namespace, and (outside AWS) the
//!   region its requests are made in. No cloud reads these in a request;
//!   a target enforces one through whom it admits — a trust pinned to the
//!   value (a GitHub subject `…:environment:production`, a service account
//!   or SPIFFE ID in the namespace), or only the workspace's cluster, all
//!   of whose declared `environments` (and `regions`) are accepted. The
//!   cluster itself places each identity in its namespaces.
//! - the **region** of an AWS request: `aws:RequestedRegion`, with the AWS
//!   regions among those listed (the others are other clouds').
//! - any other attribute, of **what an action acts on**: in AWS a tag
//!   condition where AWS evaluates one for the action (`aws:ResourceTag/KEY`
//!   on resources that carry tags, `aws:RequestTag/KEY` for an action that
//!   creates what it is authorized on), the actions that take different
//!   tag conditions in a statement each; no other target can narrow by it.
//! - the **time** of a request (a grant's window, a test of `now`): AWS on
//!   `aws:CurrentTime`, Google Cloud in the binding's condition on
//!   `request.time`; Azure and the cluster have no condition on time.
//! - a human's **approval** (`approved_by`, and `approved_at` for a time
//!   after it), which no cloud can ask for.
//!
//! A condition a target cannot enforce is [`Unenforced`]: the target grants
//! without it, and only Cedar holds the identity to it.

use std::collections::BTreeMap;

use crate::model::{
    Action, AwsMapping, GcpMapping, Grant, Identity, KubernetesMapping, Model, Platform, Time,
};
use crate::vocabulary::aws::{self, Tags};
use crate::vocabulary::context::{APPROVED_AT, APPROVED_BY, ENVIRONMENT, NAMESPACE, REGION};
use crate::vocabulary::{gcp, glob, regions};

use super::federation::{self, AwsTrust, GcpTrust, issuer_host};
use super::{Check, Test, conditions, places};

/// Why a target cannot enforce a condition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unenforceable {
    /// It describes the caller, which the target cannot read in a request,
    /// and whom the target admits does not pin it.
    Caller,
    /// It describes what these AWS actions act on, and AWS evaluates no tag
    /// condition for them.
    Untaggable(Vec<String>),
    /// It names what the action acts on, and the target narrows the rest
    /// of the action to those names, but not these permissions (Google
    /// Cloud) or verbs (the cluster): they act on another resource, or on
    /// none by name.
    Unnamed(Vec<String>),
    /// It describes what the action acts on, and the target has no
    /// condition to narrow by it.
    NoCondition,
    /// It is a human's approval of the request (who approved it, or how
    /// long ago), which no cloud can ask for.
    Approval,
    /// It is a time window, and the target has no condition on the time
    /// of a request.
    Time,
}

/// A condition a target cannot enforce: the target grants without it, and
/// only Cedar holds the identity to it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unenforced {
    /// The condition.
    pub check: Check,
    /// Why.
    pub why: Unenforceable,
}

/// One Allow statement of a grant in AWS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsStatement {
    /// The tag condition its actions take (`None`: no tag condition).
    pub tags: Option<Tags>,
    /// The mapping's action patterns it allows.
    pub actions: Vec<String>,
    /// `StringEquals` conditions beyond the mapping's own: key → values.
    pub equals: BTreeMap<String, Vec<String>>,
    /// The time window of the grant, on `aws:CurrentTime`.
    pub window: Window,
}

/// A time window a target enforces: the first instant it grants, and the
/// first it no longer does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// The first instant granted.
    pub from: Option<Time>,
    /// The first instant no longer granted.
    pub until: Option<Time>,
}

impl Window {
    fn of(check: &Check) -> Option<Self> {
        match check.test {
            Test::Between { from, until } => Some(Self { from, until }),
            Test::OneOf(_) | Test::Within(_) => None,
        }
    }

    /// Whether it holds at every instant.
    #[must_use]
    pub const fn is_always(&self) -> bool {
        self.from.is_none() && self.until.is_none()
    }
}

/// What AWS makes of one allowed action of an identity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsAllow {
    /// Its statements (none: no request can meet its conditions).
    pub statements: Vec<AwsStatement>,
    /// The conditions AWS cannot enforce for it.
    pub unenforced: Vec<Unenforced>,
    /// A region condition that names no AWS region: AWS denies the grant
    /// everywhere.
    pub no_region: Option<Check>,
}

/// What a target other than AWS makes of one allowed action: whether it
/// can be met at all, and what the target cannot enforce.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Whether the target grants it (no empty list of accepted values, and
    /// a region of the cloud's own when regions are listed).
    pub granted: bool,
    /// The names of the objects it is narrowed to: in the cluster its
    /// rules' `resourceNames` (on the verbs RBAC narrows by name), in
    /// Google Cloud the resources its binding's condition admits (for the
    /// permissions a condition narrows).
    pub names: Option<Vec<String>>,
    /// The conditions the target cannot enforce for it.
    pub unenforced: Vec<Unenforced>,
    /// A region condition that names none of a cloud's regions.
    pub no_region: Option<Check>,
    /// The time window Google Cloud holds the grant to (a condition on
    /// `request.time`); no other target has one.
    pub window: Window,
}

/// Whom a target admits as the identity.
#[derive(Debug, Default)]
struct Admitted {
    /// The subjects (or certificate attributes) its trust pins.
    subjects: Vec<String>,
    /// Whether only workloads of the workspace's cluster are admitted.
    cluster_only: bool,
    /// In the cluster, the namespaces its Roles are placed in: a request
    /// in another finds nothing.
    placed: Vec<String>,
}

/// Whether every subject is a workload of the workspace's cluster: a
/// service account, or a SPIFFE ID of the workspace's trust domain in the
/// form the cluster's SPIRE issues (`spiffe://DOMAIN/ns/NS/sa/NAME`).
fn cluster_subjects(model: &Model, subjects: &[String]) -> bool {
    let spiffe = model
        .settings
        .trust_domain
        .as_ref()
        .map(|d| format!("spiffe://{}/ns/", d.value));
    !subjects.is_empty()
        && subjects.iter().all(|s| {
            s.starts_with("system:serviceaccount:")
                || spiffe.as_ref().is_some_and(|p| s.starts_with(p.as_str()))
        })
}

/// Whether `issuer` is the workspace's cluster's.
fn cluster_issuer(model: &Model, issuer: &str) -> bool {
    model
        .settings
        .targets
        .cluster_issuer()
        .is_some_and(|c| issuer_host(&c.value) == issuer_host(issuer))
}

/// Whom an AWS role's trust admits.
fn admitted_aws(model: &Model, trust: &AwsTrust) -> Admitted {
    match trust {
        AwsTrust::WebIdentity {
            issuer, subjects, ..
        } => Admitted {
            cluster_only: cluster_issuer(model, issuer)
                && subjects
                    .iter()
                    .all(|s| s.starts_with("system:serviceaccount:")),
            subjects: subjects.clone(),
            placed: Vec::new(),
        },
        AwsTrust::RolesAnywhere { values, .. } => Admitted {
            cluster_only: cluster_subjects(model, values)
                && values.iter().all(|v| v.starts_with("spiffe://")),
            subjects: values.clone(),
            placed: Vec::new(),
        },
        AwsTrust::User | AwsTrust::Assumed(_) => Admitted::default(),
    }
}

/// Whom a target other than AWS admits as the identity.
fn admitted(model: &Model, identity: &Identity, platform: Platform) -> Admitted {
    match platform {
        Platform::Aws => federation::aws(model, identity)
            .map(|t| admitted_aws(model, &t))
            .unwrap_or_default(),
        Platform::Gcp => match federation::gcp(model, identity) {
            Ok(GcpTrust::Pool { members }) => {
                let subjects: Vec<String> = members.iter().filter_map(|m| gcp_subject(m)).collect();
                Admitted {
                    cluster_only: cluster_subjects(model, &subjects),
                    subjects,
                    placed: Vec::new(),
                }
            }
            Ok(GcpTrust::Key | GcpTrust::Attached) | Err(_) => Admitted::default(),
        },
        Platform::Azure => {
            let credentials = federation::azure(model, identity).unwrap_or_default();
            let subjects: Vec<String> = credentials.iter().map(|c| c.subject.clone()).collect();
            let through_cluster = credentials
                .iter()
                .all(|c| cluster_issuer(model, &c.issuer) || c.subject.starts_with("spiffe://"));
            Admitted {
                cluster_only: through_cluster && cluster_subjects(model, &subjects),
                subjects,
                placed: Vec::new(),
            }
        }
        Platform::Kubernetes => {
            let placed = places::namespaces(model, identity).unwrap_or_default();
            if places::through_access_entry(model, identity) {
                // a pipeline: whom its AWS role admits, placed by its Roles
                let aws = federation::aws(model, identity)
                    .map(|t| admitted_aws(model, &t))
                    .unwrap_or_default();
                return Admitted { placed, ..aws };
            }
            // the identity is its service accounts, in its namespaces
            Admitted {
                subjects: placed
                    .iter()
                    .map(|ns| format!("system:serviceaccount:{ns}:{}", identity.name.value))
                    .collect(),
                cluster_only: true,
                placed,
            }
        }
    }
}

/// The subject a Google Cloud member admits: a pool principal's subject,
/// or the Kubernetes service account of a GKE workload identity member
/// (`serviceAccount:P.svc.id.goog[NS/NAME]`).
fn gcp_subject(member: &str) -> Option<String> {
    if let Some((_, subject)) = member.split_once("/subject/") {
        return Some(subject.to_owned());
    }
    let (_, rest) = member.split_once(".svc.id.goog[")?;
    let (ns, name) = rest.strip_suffix(']')?.split_once('/')?;
    Some(format!("system:serviceaccount:{ns}:{name}"))
}

/// The environment a subject pins (`…:environment:NAME`, as GitHub
/// Actions writes it for a job in a deployment environment).
fn pinned_environment(subject: &str) -> Option<&str> {
    let (_, rest) = subject.split_once(":environment:")?;
    Some(rest.split(':').next().unwrap_or(rest)).filter(|e| !e.is_empty())
}

/// The namespace a subject pins: a Kubernetes service account
/// (`system:serviceaccount:NS:NAME`) or a SPIFFE ID (`spiffe://…/ns/NS/…`).
fn pinned_namespace(subject: &str) -> Option<&str> {
    subject
        .strip_prefix("system:serviceaccount:")
        .and_then(|rest| rest.split(':').next())
        .or_else(|| {
            subject
                .strip_prefix("spiffe://")
                .and_then(|rest| rest.split_once("/ns/"))
                .and_then(|(_, rest)| rest.split('/').next())
        })
        .filter(|ns| !ns.is_empty())
}

/// Whether whom a target admits is held to what a caller check accepts:
/// every subject pins an accepted value, or only the cluster is admitted
/// and every environment the cluster declares is accepted (and, for
/// requests to the cluster itself, every region).
fn caller_held(model: &Model, admitted: &Admitted, check: &Check, platform: Platform) -> bool {
    let accepted = |v: &str| check.values().unwrap_or_default().iter().any(|a| a == v);
    let cluster = model.settings.targets.kubernetes.as_ref();
    let declared = match check.key.as_str() {
        ENVIRONMENT => cluster.map(|k| k.environments.as_slice()),
        REGION if platform == Platform::Kubernetes => cluster.map(|k| k.regions.as_slice()),
        _ => None,
    }
    .unwrap_or_default();
    // a request to the cluster is made in its region, whoever makes it
    let by_cluster = admitted.cluster_only || check.key == REGION;
    if by_cluster && !declared.is_empty() && declared.iter().all(|d| accepted(&d.value)) {
        return true;
    }
    if check.key == NAMESPACE && !admitted.placed.is_empty() {
        return admitted.placed.iter().all(|ns| accepted(ns));
    }
    let pinned: fn(&str) -> Option<&str> = match check.key.as_str() {
        ENVIRONMENT => pinned_environment,
        NAMESPACE => pinned_namespace,
        _ => return false,
    };
    !admitted.subjects.is_empty()
        && admitted
            .subjects
            .iter()
            .all(|s| !glob::is_pattern(s) && pinned(s).is_some_and(accepted))
}

/// The tag condition of each of a mapping's action patterns.
fn by_tags(mapping: &AwsMapping) -> BTreeMap<Option<Tags>, Vec<String>> {
    let reference = aws::reference();
    let mut groups: BTreeMap<Option<Tags>, Vec<String>> = BTreeMap::new();
    for a in &mapping.actions {
        let tags = reference.and_then(|r| r.tags(&a.value));
        groups.entry(tags).or_default().push(a.value.clone());
    }
    for actions in groups.values_mut() {
        actions.sort();
        actions.dedup();
    }
    groups
}

/// The regions of a check that belong to a cloud (all of them, for the
/// cluster).
fn regions_of(check: &Check, platform: Platform) -> Vec<String> {
    let of: fn(&str) -> bool = match platform {
        Platform::Aws => regions::is_aws,
        Platform::Gcp => regions::is_gcp,
        Platform::Azure => regions::is_azure,
        Platform::Kubernetes => |_| true,
    };
    check
        .values()
        .unwrap_or_default()
        .iter()
        .filter(|r| of(r))
        .cloned()
        .collect()
}

/// What AWS makes of `grant`, an allowed action of `identity` mapped to
/// `mapping`, under the role's `trust`.
#[must_use]
pub fn aws(
    model: &Model,
    identity: &Identity,
    grant: &Grant,
    mapping: &AwsMapping,
    trust: &AwsTrust,
) -> AwsAllow {
    let checks = conditions(identity, grant);
    if mapping.actions.is_empty() || checks.iter().any(Check::is_unsatisfiable) {
        return AwsAllow::default();
    }
    let admitted = admitted_aws(model, trust);
    let mut common = BTreeMap::new();
    let mut attributes = Vec::new();
    let mut unenforced = Vec::new();
    let mut window = Window::default();
    for check in checks {
        // a window is a test of `now`; a `where` on `now` (TG002) is not
        if let Some(w) = Window::of(&check) {
            window = w;
            continue;
        }
        match check.key.as_str() {
            REGION => {
                let accepted = regions_of(&check, Platform::Aws);
                if accepted.is_empty() {
                    // no AWS request is made in another cloud's region
                    return AwsAllow {
                        no_region: Some(check),
                        ..AwsAllow::default()
                    };
                }
                common.insert("aws:RequestedRegion".to_owned(), accepted);
            }
            APPROVED_BY | APPROVED_AT => unenforced.push(Unenforced {
                check,
                why: Unenforceable::Approval,
            }),
            ENVIRONMENT | NAMESPACE if caller_held(model, &admitted, &check, Platform::Aws) => {}
            ENVIRONMENT | NAMESPACE => unenforced.push(Unenforced {
                check,
                why: Unenforceable::Caller,
            }),
            _ => attributes.push(check),
        }
    }
    let mut groups = by_tags(mapping);
    if attributes.is_empty() {
        // nothing to narrow by tags: one statement
        let mut all: Vec<String> = groups.into_values().flatten().collect();
        all.sort();
        groups = BTreeMap::from([(None, all)]);
    }
    let mut statements = Vec::new();
    // resource tags, then request tags, then none
    for tags in [Some(Tags::Resource), Some(Tags::Request), None] {
        let Some(actions) = groups.remove(&tags) else {
            continue;
        };
        let mut equals = common.clone();
        for check in &attributes {
            match tags {
                Some(tags) => {
                    equals.insert(
                        format!("{}{}", tags.key_prefix(), check.key),
                        check.values().unwrap_or_default().to_vec(),
                    );
                }
                None => unenforced.push(Unenforced {
                    check: check.clone(),
                    why: Unenforceable::Untaggable(actions.clone()),
                }),
            }
        }
        statements.push(AwsStatement {
            tags,
            actions,
            equals,
            window,
        });
    }
    unenforced.sort();
    AwsAllow {
        statements,
        unenforced,
        no_region: None,
    }
}

/// Verbs RBAC cannot narrow by name: they name no object, or many.
pub const UNNAMED_VERBS: [&str; 5] = ["create", "list", "watch", "deletecollection", "*"];

/// The verbs of a Kubernetes mapping that cannot be narrowed by name.
fn unnamed_verbs(mapping: &KubernetesMapping) -> Vec<String> {
    let verbs: std::collections::BTreeSet<&str> = mapping
        .rules
        .iter()
        .flat_map(|r| &r.verbs)
        .map(|v| v.value.as_str())
        .filter(|v| UNNAMED_VERBS.contains(v))
        .collect();
    verbs.into_iter().map(str::to_owned).collect()
}

/// The permissions of a GCP mapping that a condition on the resources it
/// names does not narrow.
fn unnarrowed(mapping: &GcpMapping, kind: &str) -> Vec<String> {
    mapping
        .permissions
        .iter()
        .filter(|p| !gcp::narrows(kind, &p.value))
        .map(|p| p.value.clone())
        .collect()
}

/// The `where` key `action`'s mapping in `platform` names objects by, and
/// what naming them leaves unnarrowed.
fn naming(action: &Action, platform: Platform) -> Option<(&str, Vec<String>)> {
    match platform {
        Platform::Kubernetes => {
            let k = action.kubernetes.as_ref()?;
            Some((k.names.as_ref()?.value.as_str(), unnamed_verbs(k)))
        }
        Platform::Gcp => {
            let g = action.gcp.as_ref()?;
            let kind = &g.resource.as_ref()?.kind.value;
            Some((g.names.as_ref()?.value.as_str(), unnarrowed(g, kind)))
        }
        _ => None,
    }
}

/// What Google Cloud, Azure or the cluster makes of `grant`, an allowed
/// action of `identity` that `action` defines. None narrows a grant by
/// the caller's context, so each enforces what whom it admits holds; the
/// cluster also the names its mapping says a `where` key gives
/// (`resourceNames`), and Google Cloud the resources its mapping says a
/// `where` key names (an IAM condition on their names).
#[must_use]
pub fn plan(
    model: &Model,
    identity: &Identity,
    grant: &Grant,
    action: &Action,
    platform: Platform,
) -> Plan {
    let checks = conditions(identity, grant);
    if checks.iter().any(Check::is_unsatisfiable) {
        return Plan::default();
    }
    let admitted = admitted(model, identity, platform);
    let naming = naming(action, platform);
    let mut names = None;
    let mut unenforced = Vec::new();
    let mut window = Window::default();
    for check in checks {
        // a window is a test of `now`; a `where` on `now` (TG002) is not
        if let Some(w) = Window::of(&check) {
            if platform == Platform::Gcp {
                window = w;
            } else {
                unenforced.push(Unenforced {
                    check,
                    why: Unenforceable::Time,
                });
            }
            continue;
        }
        let why = match check.key.as_str() {
            APPROVED_AT => Unenforceable::Approval,
            REGION => {
                let own = regions_of(&check, platform);
                if own.is_empty() {
                    return Plan {
                        no_region: Some(check),
                        ..Plan::default()
                    };
                }
                let own = Check {
                    key: check.key.clone(),
                    test: Test::OneOf(own),
                };
                if caller_held(model, &admitted, &own, platform) {
                    continue;
                }
                Unenforceable::Caller
            }
            APPROVED_BY => Unenforceable::Approval,
            ENVIRONMENT | NAMESPACE if caller_held(model, &admitted, &check, platform) => {
                continue;
            }
            ENVIRONMENT | NAMESPACE => Unenforceable::Caller,
            key => match &naming {
                Some((named, unnamed)) if *named == key => {
                    names = Some(check.values().unwrap_or_default().to_vec());
                    if unnamed.is_empty() {
                        continue;
                    }
                    Unenforceable::Unnamed(unnamed.clone())
                }
                _ => Unenforceable::NoCondition,
            },
        };
        unenforced.push(Unenforced { check, why });
    }
    unenforced.sort();
    Plan {
        granted: true,
        names,
        unenforced,
        no_region: None,
        window,
    }
}

/// The allowed actions of `identity` that `platform` (other than AWS)
/// grants: those whose conditions some request can meet there.
pub fn granted<'i>(
    model: &'i Model,
    identity: &'i Identity,
    platform: Platform,
) -> impl Iterator<Item = &'i str> + 'i {
    let catalogue = model.settings.actions.as_ref();
    identity.allowed.iter().filter_map(move |g| {
        let action = catalogue?.get(&g.action.value)?;
        plan(model, identity, g, action, platform)
            .granted
            .then_some(g.action.value.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::{pinned_environment, pinned_namespace};

    #[test]
    fn subjects_pin_environments_and_namespaces() {
        assert_eq!(
            pinned_environment("repo:example/web:environment:production"),
            Some("production")
        );
        assert_eq!(
            pinned_environment("repo:example/web:ref:refs/heads/main"),
            None
        );
        assert_eq!(
            pinned_namespace("system:serviceaccount:delivery:web"),
            Some("delivery")
        );
        assert_eq!(
            pinned_namespace("spiffe://example.org/ns/agents/sa/triage"),
            Some("agents")
        );
        assert_eq!(
            pinned_namespace("repo:example/web:ref:refs/heads/main"),
            None
        );
    }
}
