//! How each target enforces the conditions of a grant, decided once: the
//! renderers write what is decided here, and the lint rules report what a
//! target cannot enforce, so that no target is silently broader than the
//! file nor silently dead.
//!
//! In AWS, the conditions of a grant (its identity's `context` and its
//! `where`) become, by what they describe:
//!
//! - the region a request is made in: `aws:RequestedRegion`, with the AWS
//!   regions among those listed (the others are other clouds');
//! - the caller's environment or namespace: nothing AWS can read in a
//!   request, so enforced by the trust when it lets only those callers
//!   assume the role (a GitHub subject pinned to `environment:production`,
//!   a service account or SPIFFE ID in the namespace, only the cluster's
//!   workloads when all the cluster's `environments` are accepted), and
//!   otherwise not at all;
//! - any other attribute, of what the action acts on: a tag condition
//!   where AWS evaluates one for the action (`aws:ResourceTag/KEY` on
//!   resources that carry tags, `aws:RequestTag/KEY` for an action that
//!   creates what it is authorized on), and otherwise not at all.
//!
//! A grant's AWS actions that take different tag conditions are allowed by
//! one statement each.

use std::collections::BTreeMap;

use crate::model::{AwsMapping, Grant, Identity, Model};
use crate::vocabulary::aws::{self, Tags};
use crate::vocabulary::context::{ENVIRONMENT, NAMESPACE, REGION};
use crate::vocabulary::regions;

use super::federation::{AwsTrust, issuer_host};
use super::{Check, conditions};

/// Why a target cannot enforce a condition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unenforceable {
    /// It describes the caller (its environment or namespace), which the
    /// target cannot read in a request, and the trust does not pin it.
    Caller,
    /// It describes what these actions act on, and the target evaluates no
    /// condition of that kind for them (AWS: no tag condition).
    Untaggable(Vec<String>),
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

/// The values of a trust that pin who may assume the role: OIDC subjects
/// or certificate attributes.
fn trusted(trust: &AwsTrust) -> &[String] {
    match trust {
        AwsTrust::WebIdentity { subjects, .. } => subjects,
        AwsTrust::RolesAnywhere { values, .. } => values,
        AwsTrust::User => &[],
    }
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

/// Whether the role trusts only workloads of the workspace's cluster: its
/// service accounts through the cluster's issuer, or SPIFFE IDs of the
/// workspace's trust domain in the form the cluster's SPIRE issues
/// (`spiffe://DOMAIN/ns/NS/sa/NAME`).
fn trusts_only_the_cluster(model: &Model, trust: &AwsTrust) -> bool {
    let cluster = model.settings.targets.kubernetes.as_ref();
    match trust {
        AwsTrust::WebIdentity {
            issuer, subjects, ..
        } => {
            let cluster_issuer = cluster
                .and_then(|k| k.oidc_issuer.as_ref())
                .map(|i| issuer_host(&i.value));
            cluster_issuer == Some(issuer.as_str())
                && subjects
                    .iter()
                    .all(|s| s.starts_with("system:serviceaccount:"))
        }
        AwsTrust::RolesAnywhere { values, .. } => {
            let Some(domain) = model.settings.trust_domain.as_ref() else {
                return false;
            };
            let prefix = format!("spiffe://{}/ns/", domain.value);
            !values.is_empty() && values.iter().all(|v| v.starts_with(&prefix))
        }
        AwsTrust::User => false,
    }
}

/// Whether the trust lets only callers the check accepts assume the role:
/// every subject it trusts pins an accepted value, or (for environments)
/// it trusts only the cluster, whose environments are all accepted.
fn trust_pins(model: &Model, trust: &AwsTrust, check: &Check) -> bool {
    let accepted = |v: &str| check.values.iter().any(|a| a == v);
    let pinned: fn(&str) -> Option<&str> = match check.key.as_str() {
        ENVIRONMENT => {
            let cluster = model
                .settings
                .targets
                .kubernetes
                .as_ref()
                .map(|k| k.environments.as_slice())
                .unwrap_or_default();
            if !cluster.is_empty()
                && cluster.iter().all(|e| accepted(&e.value))
                && trusts_only_the_cluster(model, trust)
            {
                return true;
            }
            pinned_environment
        }
        NAMESPACE => pinned_namespace,
        _ => return false,
    };
    let subjects = trusted(trust);
    !subjects.is_empty()
        && subjects
            .iter()
            .all(|s| !crate::vocabulary::glob::is_pattern(s) && pinned(s).is_some_and(accepted))
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

/// The AWS regions a region check accepts.
fn aws_regions(check: &Check) -> Vec<String> {
    check
        .values
        .iter()
        .filter(|r| regions::is_aws(r))
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
    let mut common = BTreeMap::new();
    let mut attributes = Vec::new();
    let mut unenforced = Vec::new();
    for check in checks {
        match check.key.as_str() {
            REGION => {
                let accepted = aws_regions(&check);
                if accepted.is_empty() {
                    // no AWS request is made in another cloud's region
                    return AwsAllow {
                        no_region: Some(check),
                        ..AwsAllow::default()
                    };
                }
                common.insert("aws:RequestedRegion".to_owned(), accepted);
            }
            ENVIRONMENT | NAMESPACE if trust_pins(model, trust, &check) => {}
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
        match tags {
            Some(tags) => {
                for check in &attributes {
                    equals.insert(
                        format!("{}{}", tags.key_prefix(), check.key),
                        check.values.clone(),
                    );
                }
            }
            None => {
                for check in &attributes {
                    unenforced.push(Unenforced {
                        check: check.clone(),
                        why: Unenforceable::Untaggable(actions.clone()),
                    });
                }
            }
        }
        statements.push(AwsStatement {
            tags,
            actions,
            equals,
        });
    }
    unenforced.sort();
    AwsAllow {
        statements,
        unenforced,
        no_region: None,
    }
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
