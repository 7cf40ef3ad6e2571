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

/// An action's permissions in every cloud it is mapped to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    /// AWS, if mapped.
    pub aws: Option<AwsPermissions>,
    /// Google Cloud permissions, if mapped.
    pub gcp: Option<BTreeSet<String>>,
    /// Azure, if mapped.
    pub azure: Option<AzurePermissions>,
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
        }
    }
}
