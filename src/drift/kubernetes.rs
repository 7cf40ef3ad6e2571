//! Kubernetes: the ServiceAccounts, Roles, ClusterRoles and their bindings
//! of `kubectl get serviceaccounts,roles,rolebindings,clusterroles,
//! clusterrolebindings -A -o json` (as `nhi import kubernetes` reads it),
//! against what the workspace renders.
//!
//! Each ServiceAccount nhi renders (a pipeline that reaches the cluster
//! through its AWS role: the group `nhi:NAME`) is compared with the
//! cluster's: the roles and bindings nhi renders for it (their rules and
//! subjects), every other binding that names it, the annotations that
//! bind it to a cloud identity (who it becomes there), and its labels and
//! nhi's annotations. ServiceAccounts of namespaces the workspace does not
//! name, the cluster's own, and `default` accounts bound to nothing are
//! left aside.

use std::collections::{BTreeMap, BTreeSet};

use super::{Declared, Facets, Held, Observed};
use crate::analyse::Analysis;
use crate::import::kubernetes::{Object, Rule, SYSTEM_NAMESPACES};
use crate::model::Model;
use crate::render::kubernetes;
use crate::source::SourceDb;

/// Annotation prefixes that bind a ServiceAccount to a cloud identity.
const CLOUD_BINDINGS: [&str; 3] = [
    "eks.amazonaws.com/",
    "iam.gke.io/",
    "azure.workload.identity/",
];

/// The ServiceAccounts (and access groups) the workspace renders.
#[must_use]
pub fn declared(model: &Model, analysis: &Analysis, db: &SourceDb) -> Vec<Declared> {
    let mut out = Vec::new();
    for (identity, rendered) in kubernetes::identities(model, analysis, db) {
        // the rendered objects, read back as the cluster's are read
        let objects: Vec<Object> = rendered
            .iter()
            .filter_map(|o| serde_json::to_value(o).ok())
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect();
        let cluster = Cluster::new(&objects);
        for (principal, labels) in cluster.principals(true) {
            out.push(Declared {
                identity: identity.name.value.to_string(),
                file: db.display_path(identity.file),
                held: cluster.held(&principal, labels),
            });
        }
    }
    out
}

/// The ServiceAccounts (and `nhi:` access groups) the cluster holds.
#[must_use]
pub fn observed(model: &Model, objects: &[Object]) -> Vec<Observed> {
    let managed: BTreeSet<&str> = model
        .settings
        .targets
        .kubernetes
        .iter()
        .flat_map(|k| k.namespaces.iter().chain(&k.owned_namespaces))
        .map(|n| n.value.as_str())
        .collect();
    let cluster = Cluster::new(objects);
    cluster
        .principals(false)
        .into_iter()
        .map(|(principal, labels)| {
            let bound = !cluster.bindings_of(&principal).is_empty();
            let not_managed = match &principal {
                Principal::Account(ns, _) if SYSTEM_NAMESPACES.contains(&ns.as_str()) => {
                    Some("service accounts the cluster runs itself with")
                }
                Principal::Account(ns, _)
                    if !managed.is_empty() && !managed.contains(ns.as_str()) =>
                {
                    Some("service accounts of namespaces the workspace does not name")
                }
                Principal::Account(_, name) if name == "default" && !bound => {
                    Some("`default` service accounts bound to nothing")
                }
                _ => None,
            };
            Observed {
                held: cluster.held(&principal, labels),
                not_managed,
            }
        })
        .collect()
}

/// Who a binding binds: a ServiceAccount, or an access group.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Principal {
    Account(String, String),
    Group(String),
}

/// The objects of one side, indexed.
struct Cluster<'a> {
    accounts: BTreeMap<(String, String), &'a Object>,
    roles: BTreeMap<String, &'a Object>,
    bindings: Vec<&'a Object>,
}

impl<'a> Cluster<'a> {
    fn new(objects: &'a [Object]) -> Self {
        let mut cluster = Self {
            accounts: BTreeMap::new(),
            roles: BTreeMap::new(),
            bindings: Vec::new(),
        };
        for o in objects {
            let ns = o.metadata.namespace.clone().unwrap_or_default();
            match o.kind.as_str() {
                "ServiceAccount" => {
                    cluster.accounts.insert((ns, o.metadata.name.clone()), o);
                }
                "Role" | "ClusterRole" => {
                    cluster.roles.insert(named(o), o);
                }
                "RoleBinding" | "ClusterRoleBinding" => cluster.bindings.push(o),
                _ => {}
            }
        }
        cluster
    }

    /// Every ServiceAccount, and every `nhi:` group a binding names, with
    /// the ServiceAccount's labels; on the workspace's side, groups only
    /// where it renders no ServiceAccount.
    fn principals(&self, declared: bool) -> Vec<(Principal, Option<&'a Object>)> {
        let mut out: Vec<(Principal, Option<&Object>)> = self
            .accounts
            .iter()
            .map(|((ns, name), o)| (Principal::Account(ns.clone(), name.clone()), Some(*o)))
            .collect();
        if !declared || out.is_empty() {
            let groups: BTreeSet<&str> = self
                .bindings
                .iter()
                .flat_map(|b| &b.subjects)
                .filter(|s| s.kind == "Group" && s.name.starts_with("nhi:"))
                .map(|s| s.name.as_str())
                .collect();
            out.extend(
                groups
                    .into_iter()
                    .map(|g| (Principal::Group(g.to_owned()), None)),
            );
        }
        out
    }

    /// The bindings that name a principal.
    fn bindings_of(&self, principal: &Principal) -> Vec<&'a Object> {
        self.bindings
            .iter()
            .copied()
            .filter(|b| {
                b.subjects.iter().any(|s| match principal {
                    Principal::Account(ns, name) => {
                        s.kind == "ServiceAccount"
                            && &s.name == name
                            && s.namespace.as_ref().or(b.metadata.namespace.as_ref()) == Some(ns)
                    }
                    Principal::Group(g) => s.kind == "Group" && &s.name == g,
                })
            })
            .collect()
    }

    /// A principal's facets: what its bindings and their roles hold.
    fn held(&self, principal: &Principal, account: Option<&Object>) -> Held {
        let mut permissions = BTreeMap::new();
        let mut grants = BTreeSet::new();
        for b in self.bindings_of(principal) {
            let role = b.role_ref.as_ref().map_or_else(String::new, |r| {
                let ns = (r.kind == "Role")
                    .then_some(b.metadata.namespace.as_deref())
                    .flatten();
                object_name(&r.kind, ns, &r.name)
            });
            let name = format!("{} of {role}", named(b));
            let subjects = b
                .subjects
                .iter()
                .map(|s| match &s.namespace {
                    Some(ns) => format!("subject {} `{ns}/{}`", s.kind, s.name),
                    None => format!("subject {} `{}`", s.kind, s.name),
                })
                .collect();
            permissions.insert(name.clone(), Some(subjects));
            grants.insert(name);
            if let Some(r) = self.roles.get(&role) {
                permissions.insert(role, Some(r.rules.iter().map(rule).collect()));
            }
        }
        let (word, key, shown) = match principal {
            Principal::Account(ns, name) => (
                "ServiceAccount",
                format!("{ns}/{name}"),
                format!("system:serviceaccount:{ns}:{name}"),
            ),
            Principal::Group(g) => ("group", g.clone(), format!("group {g}")),
        };
        let metadata = account.map(|o| &o.metadata);
        Held {
            word,
            key,
            shown,
            facets: Facets {
                trust: metadata.map(|m| {
                    m.annotations
                        .iter()
                        .filter(|(k, _)| CLOUD_BINDINGS.iter().any(|p| k.starts_with(p)))
                        .map(|(k, v)| format!("annotation `{k}: {v}`"))
                        .collect()
                }),
                permissions,
                grants,
                tags: metadata.map(|m| {
                    let labels = m
                        .labels
                        .iter()
                        .map(|(k, v)| (format!("label {k}"), v.clone()));
                    let notes = m
                        .annotations
                        .iter()
                        .filter(|(k, _)| k.starts_with("nhi.dev/"))
                        .map(|(k, v)| (format!("annotation {k}"), v.clone()));
                    labels.chain(notes).collect()
                }),
                ..Facets::default()
            },
        }
    }
}

/// An object, as drift names it: `Role \`ns/name\``.
fn named(o: &Object) -> String {
    object_name(&o.kind, o.metadata.namespace.as_deref(), &o.metadata.name)
}

fn object_name(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} `{ns}/{name}`"),
        None => format!("{kind} `{name}`"),
    }
}

/// A rule, canonical: each list a sorted set.
fn rule(r: &Rule) -> String {
    let set = |v: &[String]| {
        let s: BTreeSet<&str> = v.iter().map(String::as_str).collect();
        s.into_iter().collect::<Vec<_>>().join(",")
    };
    format!(
        "rule apiGroups [{}] resources [{}] verbs [{}] resourceNames [{}] nonResourceURLs [{}]",
        set(&r.api_groups),
        set(&r.resources),
        set(&r.verbs),
        set(&r.resource_names),
        set(&r.non_resource_urls)
    )
}
