//! The entities file: every rendered identity with its attributes, its
//! owning team as parent and its labels as tags, and every team.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{Identity, Model, Spanned};
use crate::vocabulary::cedar::TEAM_TYPE;

use super::policy::principal_type;

/// An entity in Cedar's JSON entity format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entity {
    /// Type and id.
    pub uid: Uid,
    /// Attributes.
    pub attrs: Attrs,
    /// Parent entities.
    pub parents: Vec<Uid>,
    /// Tags (an identity's labels).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// An entity's type (namespace included) and id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Uid {
    /// The entity type.
    #[serde(rename = "type")]
    pub ty: String,
    /// The id.
    pub id: String,
}

/// A reference to another entity inside attributes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntityRef {
    /// The referenced entity.
    #[serde(rename = "__entity")]
    pub entity: Uid,
}

/// The attributes of an entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Attrs {
    /// An identity.
    Identity(Box<IdentityAttrs>),
    /// A team.
    Team(TeamAttrs),
}

/// What the entities file says about an identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[expect(
    missing_docs,
    reason = "each field is the identity key of the same name"
)]
pub struct IdentityAttrs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accountable: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acts: Option<&'static str>,
    pub auth_method: &'static str,
    pub environments: BTreeSet<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_type: Option<&'static str>,
    pub kind: &'static str,
    pub namespaces: BTreeSet<String>,
    pub owner: EntityRef,
    pub provenance: Provenance,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    pub regions: BTreeSet<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_tier: Option<&'static str>,
    pub state: &'static str,
}

/// What is acting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[expect(
    missing_docs,
    reason = "each field is the provenance key of the same name"
)]
pub struct Provenance {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// What the entities file says about a team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[expect(missing_docs, reason = "each field is the team key of the same name")]
pub struct TeamAttrs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
}

impl Entity {
    /// The entity with every value replaced by a placeholder of the same
    /// type, keeping which attributes, parents and tags it has: two
    /// entities of the same shape conform to a schema alike.
    #[must_use]
    pub fn shape(&self) -> Self {
        let ph = |s: &Option<String>| s.as_ref().map(|_| "_".to_owned());
        let set = |s: &BTreeSet<String>| {
            if s.is_empty() {
                BTreeSet::new()
            } else {
                BTreeSet::from(["_".to_owned()])
            }
        };
        let uid = |u: &Uid| Uid {
            ty: u.ty.clone(),
            id: "_".to_owned(),
        };
        let attrs = match &self.attrs {
            Attrs::Identity(a) => Attrs::Identity(Box::new(IdentityAttrs {
                accountable: ph(&a.accountable),
                acts: a.acts.map(|_| "_"),
                auth_method: "_",
                environments: set(&a.environments),
                identity_type: a.identity_type.map(|_| "_"),
                kind: "_",
                namespaces: set(&a.namespaces),
                owner: EntityRef {
                    entity: uid(&a.owner.entity),
                },
                provenance: Provenance {
                    model: ph(&a.provenance.model),
                    provider: ph(&a.provenance.provider),
                    runtime: ph(&a.provenance.runtime),
                    version: ph(&a.provenance.version),
                },
                purpose: ph(&a.purpose),
                regions: set(&a.regions),
                risk_tier: a.risk_tier.map(|_| "_"),
                state: "_",
            })),
            Attrs::Team(t) => Attrs::Team(TeamAttrs {
                description: ph(&t.description),
                email: ph(&t.email),
                handle: ph(&t.handle),
            }),
        };
        Self {
            uid: uid(&self.uid),
            attrs,
            parents: self.parents.iter().map(uid).collect(),
            tags: if self.tags.is_empty() {
                BTreeMap::new()
            } else {
                BTreeMap::from([("_".to_owned(), "_".to_owned())])
            },
        }
    }
}

fn text(value: Option<&Spanned<String>>) -> Option<String> {
    value.map(|v| v.value.clone())
}

fn values(list: &[Spanned<String>]) -> BTreeSet<String> {
    list.iter().map(|v| v.value.clone()).collect()
}

/// The entity of one identity, under a namespace prefix.
#[must_use]
pub fn identity(ns: &str, identity: &Identity) -> Entity {
    let team = Uid {
        ty: format!("{ns}{TEAM_TYPE}"),
        id: identity.owner.value.clone(),
    };
    let p = &identity.provenance;
    let attrs = IdentityAttrs {
        accountable: identity
            .accountable
            .as_ref()
            .map(|a| a.value.as_str().to_owned()),
        acts: identity.acts.as_ref().map(|a| a.value.as_str()),
        auth_method: identity.auth.method.value.as_str(),
        environments: values(identity.context.environments.as_deref().unwrap_or_default()),
        identity_type: identity.identity_type.as_ref().map(|t| t.value.as_str()),
        kind: identity.kind.as_str(),
        namespaces: values(identity.context.namespaces.as_deref().unwrap_or_default()),
        owner: EntityRef {
            entity: team.clone(),
        },
        provenance: Provenance {
            model: text(p.model.as_ref()),
            provider: text(p.provider.as_ref()),
            runtime: text(p.runtime.as_ref()),
            version: text(p.version.as_ref()),
        },
        purpose: text(identity.purpose.as_ref()),
        regions: values(identity.context.regions.as_deref().unwrap_or_default()),
        risk_tier: identity.risk_tier.as_ref().map(|r| r.value.as_str()),
        state: identity.state.value.as_str(),
    };
    Entity {
        uid: Uid {
            ty: format!("{ns}{}", principal_type(identity.kind)),
            id: identity.name.value.to_string(),
        },
        attrs: Attrs::Identity(Box::new(attrs)),
        parents: vec![team],
        tags: identity
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect(),
    }
}

/// The entity of a team: declared in `nhi.yaml`, or only named as an owner.
#[must_use]
pub fn team(ns: &str, model: &Model, name: &str) -> Entity {
    let declared = model.settings.teams.as_ref().and_then(|t| t.get(name));
    Entity {
        uid: Uid {
            ty: format!("{ns}{TEAM_TYPE}"),
            id: name.to_owned(),
        },
        attrs: Attrs::Team(TeamAttrs {
            description: declared.and_then(|t| text(t.description.as_ref())),
            email: declared.and_then(|t| text(t.email.as_ref())),
            handle: declared.and_then(|t| text(t.handle.as_ref())),
        }),
        parents: Vec::new(),
        tags: BTreeMap::new(),
    }
}
