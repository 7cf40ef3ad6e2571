//! What an action means at permission level in each cloud: its IAM actions
//! expanded through the service reference, its resources, its GCP
//! permissions and Azure operations; and whether what one action grants is
//! covered by what another forbids.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::Action;
use crate::vocabulary::{aws, glob};

/// An action's permissions in AWS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsPermissions {
    /// Every IAM action it names, by its lower-case form (IAM compares
    /// actions without case) to its spelling in the reference; a pattern
    /// that names nothing known stands for itself.
    pub actions: BTreeMap<String, String>,
    /// Its resource ARN patterns (`*` when it names none).
    pub resources: Vec<String>,
}

/// An action's permissions in Azure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AzurePermissions {
    /// Control-plane operation patterns.
    pub actions: Vec<String>,
    /// Data-plane operation patterns.
    pub data_actions: Vec<String>,
}

/// One Kubernetes RBAC rule: each list is what it names (`*`: all; no
/// resource names: every object).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    /// API groups.
    pub api_groups: Vec<String>,
    /// Resources.
    pub resources: Vec<String>,
    /// Verbs.
    pub verbs: Vec<String>,
    /// Resource names.
    pub resource_names: Vec<String>,
}

impl Rule {
    /// Whether some request both rules allow.
    #[must_use]
    pub fn overlaps(&self, other: &Self) -> bool {
        let meet = |a: &[String], b: &[String]| {
            a.iter().any(|x| {
                b.iter()
                    .any(|y| x == "*" || y == "*" || glob::overlap(x, y, false))
            })
        };
        meet(&self.api_groups, &other.api_groups)
            && meet(&self.resources, &other.resources)
            && meet(&self.verbs, &other.verbs)
            && (self.resource_names.is_empty()
                || other.resource_names.is_empty()
                || meet(&self.resource_names, &other.resource_names))
    }
}

/// An action's permissions in every cloud it is mapped to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    /// AWS, if mapped.
    pub aws: Option<AwsPermissions>,
    /// Google Cloud permissions, if mapped.
    pub gcp: Option<BTreeSet<String>>,
    /// Azure, if mapped.
    pub azure: Option<AzurePermissions>,
    /// Kubernetes RBAC rules, if mapped.
    pub kubernetes: Option<Vec<Rule>>,
}

/// The permissions of a catalogue action.
#[must_use]
pub fn of(action: &Action) -> Permissions {
    let reference = aws::reference();
    Permissions {
        aws: action.aws.as_ref().map(|m| AwsPermissions {
            actions: m
                .actions
                .iter()
                .flat_map(|a| {
                    reference
                        .and_then(|r| r.expand(&a.value).ok())
                        .unwrap_or_else(|| vec![a.value.clone()])
                })
                .map(|a| (a.to_ascii_lowercase(), a))
                .collect(),
            resources: if m.resources.is_empty() {
                vec!["*".to_owned()]
            } else {
                m.resources.iter().map(|r| r.value.clone()).collect()
            },
        }),
        gcp: action
            .gcp
            .as_ref()
            .map(|g| g.permissions.iter().map(|p| p.value.clone()).collect()),
        azure: action.azure.as_ref().map(|a| AzurePermissions {
            actions: a.actions.iter().map(|x| x.value.clone()).collect(),
            data_actions: a.data_actions.iter().map(|x| x.value.clone()).collect(),
        }),
        kubernetes: action.kubernetes.as_ref().map(|k| {
            let values =
                |v: &[crate::model::Spanned<String>]| v.iter().map(|x| x.value.clone()).collect();
            k.rules
                .iter()
                .map(|r| Rule {
                    api_groups: values(&r.api_groups),
                    resources: values(&r.resources),
                    verbs: values(&r.verbs),
                    resource_names: values(&r.resource_names),
                })
                .collect()
        }),
    }
}

/// A permission both of two actions name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overlap {
    /// The cloud: `AWS`, `Google Cloud` or `Azure`.
    pub cloud: &'static str,
    /// The permission (and resource, for AWS) both name.
    pub permission: String,
}

/// The first permission that `allowed` grants and `forbidden` covers, in
/// the clouds the workspace renders.
#[must_use]
pub fn overlap(allowed: &Permissions, forbidden: &Permissions, clouds: Clouds) -> Option<Overlap> {
    if clouds.aws
        && let (Some(a), Some(f)) = (&allowed.aws, &forbidden.aws)
        && let Some(action) = a
            .actions
            .iter()
            .find(|(lower, _)| f.actions.contains_key(*lower))
            .map(|(_, spelled)| spelled)
        && let Some((ra, _)) = a
            .resources
            .iter()
            .flat_map(|ra| f.resources.iter().map(move |rf| (ra, rf)))
            .find(|(ra, rf)| glob::overlap(ra, rf, false))
    {
        return Some(Overlap {
            cloud: "AWS",
            permission: format!("`{action}` on `{ra}`"),
        });
    }
    if clouds.gcp
        && let (Some(a), Some(f)) = (&allowed.gcp, &forbidden.gcp)
        && let Some(p) = a.intersection(f).next()
    {
        return Some(Overlap {
            cloud: "Google Cloud",
            permission: format!("`{p}`"),
        });
    }
    if clouds.kubernetes
        && let (Some(a), Some(f)) = (&allowed.kubernetes, &forbidden.kubernetes)
        && let Some(rule) = a.iter().find(|ra| f.iter().any(|rf| ra.overlaps(rf)))
    {
        return Some(Overlap {
            cloud: "Kubernetes",
            permission: format!(
                "`{}` on `{}`",
                rule.verbs.join(", "),
                rule.resources.join(", ")
            ),
        });
    }
    if clouds.azure
        && let (Some(a), Some(f)) = (&allowed.azure, &forbidden.azure)
    {
        let pairs = a
            .actions
            .iter()
            .flat_map(|x| f.actions.iter().map(move |y| (x, y)))
            .chain(
                a.data_actions
                    .iter()
                    .flat_map(|x| f.data_actions.iter().map(move |y| (x, y))),
            );
        for (x, y) in pairs {
            if glob::overlap(x, y, true) {
                return Some(Overlap {
                    cloud: "Azure",
                    permission: format!("`{x}`"),
                });
            }
        }
    }
    None
}

/// Which clouds the workspace renders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clouds {
    /// AWS is configured.
    pub aws: bool,
    /// Google Cloud is configured.
    pub gcp: bool,
    /// Azure is configured.
    pub azure: bool,
    /// Kubernetes is configured.
    pub kubernetes: bool,
}

impl Clouds {
    /// The clouds `nhi.yaml` configures.
    #[must_use]
    pub fn of(model: &crate::model::Model) -> Self {
        let t = &model.settings.targets;
        Self {
            aws: t.aws.is_some(),
            gcp: t.gcp.is_some(),
            azure: t.azure.is_some(),
            kubernetes: t.kubernetes.is_some(),
        }
    }
}
