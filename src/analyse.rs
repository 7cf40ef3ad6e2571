//! What the checked model means for access, judged on one day: the
//! enforcement plan. An [`Analysis`] is built once per run from the model
//! and the date: how each identity stands (and so whether it renders at
//! all), which targets each lands in, and every delegation chain. The lint
//! rules, the renderers, the diff, the review calendar and the proofs all
//! read it; none decides these facts again.
//!
//! Beside it, pure functions of the model: the conditions each grant
//! carries ([`checks`]), how each target enforces them ([`enforce`]), how
//! an identity proves who it is to a cloud ([`federation`]), what an action means at permission level
//! ([`permissions`]), where an identity stands in its lifecycle
//! ([`lifecycle`]), and the compiler's own answer to an authorization
//! request ([`decide`]). The Cedar core turns the same facts into
//! policies; [`decide`] answers from the model directly, so tests can hold
//! the two against each other.

pub mod chains;
pub mod checks;
pub mod decide;
pub mod enforce;
pub mod federation;
pub mod lifecycle;
pub mod permissions;
pub mod places;
pub mod subject;

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::model::{Date, Grant, Identity, Model, Name, Platform, State};

pub use chains::{Chain, Hop, MAX_CHAINS, TooManyChains};
pub use checks::{
    Check, Test, canonical, conditions, context_checks, context_written, narrowing, where_checks,
    written,
};
pub use decide::{Decision, Reason, Request, decide};
pub use federation::Cloud;

/// How an identity stands on the day of the analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Standing {
    /// In use.
    Active,
    /// Quarantined: it renders, and every target denies it everything.
    Suspended,
    /// Offboarded: it renders to nothing.
    Revoked,
    /// Past its expiry date: it renders to nothing.
    Expired,
}

impl Standing {
    /// How `identity` stands on `today`: past its expiry date nothing else
    /// matters; before it, its state decides.
    #[must_use]
    pub fn of(identity: &Identity, today: Date) -> Self {
        match identity.state.value {
            _ if identity.is_expired(today) => Self::Expired,
            State::Revoked => Self::Revoked,
            State::Suspended => Self::Suspended,
            State::Active => Self::Active,
        }
    }

    /// Whether the identity renders into the targets: a revoked or expired
    /// one renders to nothing (its access is revoked).
    #[must_use]
    pub const fn renders(self) -> bool {
        matches!(self, Self::Active | Self::Suspended)
    }
}

/// The targets an identity lands in beside Cedar, where every identity
/// that renders lands. One that does not render lands nowhere.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lands {
    /// AWS must grant it something: the target is configured and one of
    /// its allowed actions means something there.
    pub aws: bool,
    /// Google Cloud must grant it something.
    pub gcp: bool,
    /// Azure must grant it something.
    pub azure: bool,
    /// The namespaces it acts in on the cluster, when it does.
    pub kubernetes: Option<Vec<String>>,
    /// Whether it acts there through its AWS role (a CI pipeline, by an EKS
    /// access entry) rather than as its service accounts.
    pub through_role: bool,
}

impl Lands {
    /// Landing nowhere.
    pub const NOWHERE: Self = Self {
        aws: false,
        gcp: false,
        azure: false,
        kubernetes: None,
        through_role: false,
    };

    /// Whether it lands in a target.
    #[must_use]
    pub const fn on(&self, platform: Platform) -> bool {
        match platform {
            Platform::Aws => self.aws,
            Platform::Gcp => self.gcp,
            Platform::Azure => self.azure,
            Platform::Kubernetes => self.kubernetes.is_some(),
        }
    }

    /// The targets it lands in beside Cedar, in order.
    #[must_use]
    pub fn platforms(&self) -> Vec<Platform> {
        Platform::ALL
            .iter()
            .copied()
            .filter(|p| self.on(*p))
            .collect()
    }

    /// Whether it lands in a cloud.
    #[must_use]
    pub const fn cloud(&self, cloud: Cloud) -> bool {
        match cloud {
            Cloud::Aws => self.aws,
            Cloud::Gcp => self.gcp,
            Cloud::Azure => self.azure,
        }
    }

    /// Where an identity lands: a cloud it runs in that is configured and
    /// must grant it something; the cluster, when it runs there, is no CI
    /// pipeline and has a namespace to run in, or when it is a pipeline
    /// that reaches an EKS cluster through its role.
    fn of(model: &Model, identity: &Identity) -> Self {
        let t = &model.settings.targets;
        let runs_in = places::places(model, identity);
        let lands = |platform, cloud| {
            runs_in.contains(&platform) && federation::needs(model, identity, cloud)
        };
        let through_role = places::through_access_entry(model, identity);
        let in_cluster = runs_in.contains(&Platform::Kubernetes)
            && t.kubernetes.is_some()
            && !places::is_pipeline(identity)
            || through_role;
        Self {
            aws: t.aws.is_some() && lands(Platform::Aws, Cloud::Aws),
            gcp: t.gcp.is_some() && lands(Platform::Gcp, Cloud::Gcp),
            azure: t.azure.is_some() && lands(Platform::Azure, Cloud::Azure),
            kubernetes: in_cluster
                .then(|| places::namespaces(model, identity))
                .flatten(),
            through_role,
        }
    }
}

/// The enforcement plan of a checked model on one day.
#[derive(Clone, Debug)]
pub struct Analysis {
    today: Date,
    lands: BTreeMap<Name, Lands>,
    chains: Result<BTreeMap<Name, Vec<Chain>>, TooManyChains>,
}

impl Analysis {
    /// Analyse `model` as of `today`.
    #[must_use]
    pub fn new(model: &Model, today: Date) -> Self {
        let lands = model
            .identities
            .par_iter()
            .filter(|(_, i)| Standing::of(i, today).renders())
            .map(|(name, i)| (name.clone(), Lands::of(model, i)))
            .collect();
        let chains = chains::chains(model, today).map(|all| {
            let mut by_delegate: BTreeMap<Name, Vec<Chain>> = BTreeMap::new();
            for chain in all {
                by_delegate
                    .entry(chain.delegate.clone())
                    .or_default()
                    .push(chain);
            }
            by_delegate
        });
        Self {
            today,
            lands,
            chains,
        }
    }

    /// The day the workspace is judged on.
    #[must_use]
    pub const fn today(&self) -> Date {
        self.today
    }

    /// How an identity stands.
    #[must_use]
    pub fn standing(&self, identity: &Identity) -> Standing {
        Standing::of(identity, self.today)
    }

    /// Whether an identity renders into the targets.
    #[must_use]
    pub fn renders(&self, identity: &Identity) -> bool {
        self.standing(identity).renders()
    }

    /// Whether an identity renders but is quarantined (denied everything).
    #[must_use]
    pub fn suspended(&self, identity: &Identity) -> bool {
        self.standing(identity) == Standing::Suspended
    }

    /// The identities of `model` that render, in name order.
    pub fn live<'m>(&self, model: &'m Model) -> impl Iterator<Item = &'m Identity> {
        let today = self.today;
        model
            .identities
            .values()
            .map(AsRef::as_ref)
            .filter(move |i| Standing::of(i, today).renders())
    }

    /// The targets an identity lands in.
    #[must_use]
    pub fn lands(&self, identity: &Identity) -> &Lands {
        self.lands
            .get(&identity.name.value)
            .unwrap_or(&Lands::NOWHERE)
    }

    /// The identities of `model` that land in a cloud, in name order.
    pub fn landing<'a, 'm: 'a>(
        &'a self,
        model: &'m Model,
        cloud: Cloud,
    ) -> impl Iterator<Item = &'m Identity> + 'a {
        self.live(model).filter(move |i| self.lands(i).cloud(cloud))
    }

    /// Every delegation chain, by the delegate that acts along it, each
    /// list in path order.
    ///
    /// # Errors
    ///
    /// When the workspace has more than [`MAX_CHAINS`] chains.
    pub fn chains(&self) -> Result<&BTreeMap<Name, Vec<Chain>>, TooManyChains> {
        self.chains.as_ref().map_err(|e| *e)
    }
}

/// The grant of an action to an identity, if it holds one (an action
/// listed twice is reported, and its first entry counts).
#[must_use]
pub fn grant_of<'m>(identity: &'m Identity, action: &str) -> Option<&'m Grant> {
    identity.allowed.iter().find(|g| g.action.value == action)
}

/// Whether an action is forbidden to an identity, by its own file or by a
/// guardrail.
#[must_use]
pub fn is_forbidden(model: &Model, identity: &Identity, action: &str) -> bool {
    identity.forbidden.iter().any(|f| f.value == action) || is_guardrail(model, action)
}

/// Every action forbidden to an identity: its own, then the guardrails'.
pub fn forbidden<'a>(model: &'a Model, identity: &'a Identity) -> impl Iterator<Item = &'a str> {
    identity.forbidden.iter().map(|f| f.value.as_str()).chain(
        model
            .settings
            .guardrails
            .forbidden_actions
            .iter()
            .map(|g| g.value.as_str()),
    )
}

/// Whether an organisation guardrail forbids an action.
#[must_use]
pub fn is_guardrail(model: &Model, action: &str) -> bool {
    model
        .settings
        .guardrails
        .forbidden_actions
        .iter()
        .any(|g| g.value == action)
}
