//! Kubernetes: `kubectl get serviceaccounts,roles,rolebindings,
//! clusterroles,clusterrolebindings -A -o json` (one `List`, or several
//! files of them).
//!
//! Each ServiceAccount that a binding grants something, or that is not
//! the cluster's own, becomes an identity running as that ServiceAccount
//! (`oidc` without an issuer: its projected token) in its namespaces. The
//! rules of every Role and ClusterRole bound to it become catalogue
//! actions — a ClusterRole bound cluster-wide stays cluster-wide — named
//! after the role. People (`User` and `Group` subjects), the `default`
//! ServiceAccount of each namespace and the cluster's own accounts and
//! `system:` roles are left out and counted.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{
    AuthDoc, ContextDoc, IDENTITIES_DIR, IdentityDoc, Imported, Names, TeamDoc, identity_file,
    malformed,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceDb};

/// Namespaces the cluster runs itself in.
pub const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct List {
    kind: String,
    items: Vec<Object>,
}

/// A ServiceAccount, Role, ClusterRole or binding, as far as nhi reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Object {
    /// Its kind.
    pub kind: String,
    /// Its name, namespace, labels and annotations.
    pub metadata: Metadata,
    /// A role's rules.
    pub rules: Vec<Rule>,
    /// A binding's subjects.
    pub subjects: Vec<Subject>,
    /// A binding's role.
    pub role_ref: Option<RoleRef>,
}

/// An object's metadata.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Metadata {
    /// Its name.
    pub name: String,
    /// Its namespace (none for cluster-wide objects).
    pub namespace: Option<String>,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Its annotations.
    pub annotations: BTreeMap<String, String>,
}

/// An RBAC rule.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(default, rename_all = "camelCase")]
pub struct Rule {
    /// API groups.
    #[serde(rename(serialize = "api_groups"))]
    pub api_groups: Vec<String>,
    /// Resources.
    pub resources: Vec<String>,
    /// Verbs.
    pub verbs: Vec<String>,
    /// Resource names it narrows to.
    #[serde(
        rename(serialize = "resource_names"),
        skip_serializing_if = "Vec::is_empty"
    )]
    pub resource_names: Vec<String>,
    /// Non-resource URLs.
    #[serde(skip_serializing)]
    pub non_resource_urls: Vec<String>,
}

/// A binding's subject.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Subject {
    /// `ServiceAccount`, `User` or `Group`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// A ServiceAccount's namespace.
    pub namespace: Option<String>,
}

/// A binding's role.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleRef {
    /// `Role` or `ClusterRole`.
    pub kind: String,
    /// Its name.
    pub name: String,
}

#[derive(Debug, Serialize)]
struct KubernetesDoc {
    rules: Vec<Rule>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    cluster_wide: bool,
}

#[derive(Debug, Serialize)]
struct ActionDoc {
    description: String,
    kubernetes: KubernetesDoc,
}

#[derive(Debug, Serialize)]
struct TargetsDoc {
    kubernetes: KubernetesTargetDoc,
}

#[derive(Debug, Serialize)]
struct KubernetesTargetDoc {
    namespaces: BTreeSet<String>,
}

/// Read the exports, and make the workspace they describe.
///
/// # Errors
///
/// Every file that is not a `kubectl get … -o json` list, or that holds a
/// credential, as located diagnostics; then nothing is made.
pub fn import(db: &mut SourceDb, files: &[FileId]) -> Result<Imported, Diagnostics> {
    let objects = objects(db, files)?;
    Ok(Cluster::new(&objects).import())
}

/// Read the exports: every object of their lists.
///
/// # Errors
///
/// As [`import`].
pub fn objects(db: &mut SourceDb, files: &[FileId]) -> Result<Vec<Object>, Diagnostics> {
    let mut out = Diagnostics::new();
    let mut objects = Vec::new();
    for &file in files {
        if super::scan(db, file, &mut out) {
            continue;
        }
        let text: Arc<str> = db.get(file).map(|f| f.text().clone()).unwrap_or_default();
        match serde_json::from_str::<List>(&text) {
            Ok(list) if list.kind == "List" || list.kind.ends_with("List") => {
                objects.extend(list.items);
            }
            Ok(_) => out.push(not_a_list(db, file)),
            Err(e) => out.push(malformed(db, file, &e, "a `kubectl get -o json` list")),
        }
    }
    if out.has_errors() {
        return Err(out);
    }
    Ok(objects)
}

fn not_a_list(db: &SourceDb, file: FileId) -> Diagnostic {
    super::not_an_export(
        db,
        file,
        "a list of Kubernetes objects",
        "it holds no `List` of objects",
        "give `kubectl get serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings -A -o json` output",
    )
}

/// A role, by kind, namespace (roles only) and name.
type RoleKey = (String, Option<String>, String);

/// What the cluster holds, indexed.
struct Cluster<'a> {
    accounts: BTreeMap<(String, String), &'a Object>,
    roles: BTreeMap<RoleKey, &'a Object>,
    bindings: Vec<&'a Object>,
}

/// What a ServiceAccount is granted: rules, cluster-wide or not, with the
/// role they come from.
type Granted = Vec<(Vec<Rule>, bool, String)>;

/// A ServiceAccount: its namespace and name.
type Account = (String, String);

/// What the bindings grant each ServiceAccount, and what each note says.
type Bound = (BTreeMap<Account, Granted>, BTreeMap<Account, Vec<String>>);

impl<'a> Cluster<'a> {
    fn new(objects: &'a [Object]) -> Self {
        let mut accounts = BTreeMap::new();
        let mut roles = BTreeMap::new();
        let mut bindings = Vec::new();
        for o in objects {
            let ns = o.metadata.namespace.clone();
            match o.kind.as_str() {
                "ServiceAccount" => {
                    accounts.insert((ns.unwrap_or_default(), o.metadata.name.clone()), o);
                }
                "Role" => {
                    roles.insert(("Role".to_owned(), ns, o.metadata.name.clone()), o);
                }
                "ClusterRole" => {
                    roles.insert(("ClusterRole".to_owned(), None, o.metadata.name.clone()), o);
                }
                "RoleBinding" | "ClusterRoleBinding" => bindings.push(o),
                _ => {}
            }
        }
        bindings.sort_by(|a, b| {
            (&a.kind, &a.metadata.namespace, &a.metadata.name).cmp(&(
                &b.kind,
                &b.metadata.namespace,
                &b.metadata.name,
            ))
        });
        Self {
            accounts,
            roles,
            bindings,
        }
    }

    /// Every binding's grant to each ServiceAccount, and the notes of what
    /// could not be followed; bindings to people are counted.
    fn grants(&self, out: &mut Imported) -> Bound {
        let mut grants: BTreeMap<Account, Granted> = BTreeMap::new();
        let mut notes: BTreeMap<Account, Vec<String>> = BTreeMap::new();
        for b in &self.bindings {
            let Some(role_ref) = &b.role_ref else {
                continue;
            };
            if role_ref.name.starts_with("system:") {
                out.skipped
                    .entry("bindings of the cluster's own `system:` roles")
                    .or_default()
                    .push(b.metadata.name.clone());
                continue;
            }
            let cluster_wide = b.kind == "ClusterRoleBinding";
            let key_ns = (role_ref.kind == "Role")
                .then(|| b.metadata.namespace.clone())
                .flatten();
            let role = self
                .roles
                .get(&(role_ref.kind.clone(), key_ns, role_ref.name.clone()));
            for s in &b.subjects {
                if s.kind != "ServiceAccount" {
                    out.skipped
                        .entry("bindings to people (`User` and `Group` subjects)")
                        .or_default()
                        .push(format!(
                            "{}/{} → {} {}",
                            b.kind, b.metadata.name, s.kind, s.name
                        ));
                    continue;
                }
                let ns = s
                    .namespace
                    .clone()
                    .or_else(|| b.metadata.namespace.clone())
                    .unwrap_or_default();
                let key = (ns, s.name.clone());
                let binding = match &b.metadata.namespace {
                    Some(ns) => format!("{} `{ns}/{}`", b.kind, b.metadata.name),
                    None => format!("{} `{}`", b.kind, b.metadata.name),
                };
                notes.entry(key.clone()).or_default().push(format!(
                    "bound by {binding}: nhi renders its own binding, so delete this one once nhi's manifests are applied"
                ));
                match role {
                    Some(r) => grants.entry(key).or_default().push((r.rules.clone(), cluster_wide, format!("{} `{}`", role_ref.kind, role_ref.name))),
                    None => notes.entry(key).or_default().push(format!(
                        "{} `{}` binds {} `{}`, which is not in the export: what it grants is left out",
                        b.kind, b.metadata.name, role_ref.kind, role_ref.name
                    )),
                }
            }
        }
        (grants, notes)
    }

    fn import(&self) -> Imported {
        let mut out = Imported::default();
        let (grants, mut notes) = self.grants(&mut out);
        // every ServiceAccount a binding names, and every one the export holds
        let mut accounts: BTreeSet<(String, String)> = self.accounts.keys().cloned().collect();
        accounts.extend(grants.keys().cloned());
        let mut by_name: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (ns, name) in accounts {
            if SYSTEM_NAMESPACES.contains(&ns.as_str()) {
                out.skipped
                    .entry("service accounts the cluster runs itself with")
                    .or_default()
                    .push(format!("{ns}/{name}"));
            } else if name == "default" && !grants.contains_key(&(ns.clone(), name.clone())) {
                out.skipped
                    .entry("`default` service accounts bound to nothing")
                    .or_default()
                    .push(format!("{ns}/{name}"));
            } else {
                by_name.entry(name.clone()).or_default().push((ns, name));
            }
        }
        let mut writer = Writer::default();
        for (name, keys) in by_name {
            let mut granted = Granted::new();
            let mut notes_of = Vec::new();
            for k in &keys {
                granted.extend(grants.get(k).cloned().unwrap_or_default());
                notes_of.extend(notes.remove(k).unwrap_or_default());
            }
            let objects: Vec<&Object> = keys
                .iter()
                .filter_map(|k| self.accounts.get(k).copied())
                .collect();
            writer.identity(&name, &keys, &objects, granted, notes_of, &mut out);
        }
        writer.finish(out)
    }
}

/// The workspace being written.
#[derive(Default)]
struct Writer {
    names: Names,
    action_names: Names,
    actions: BTreeMap<(Vec<Rule>, bool), String>,
    catalogue: BTreeMap<String, ActionDoc>,
    teams: BTreeMap<String, TeamDoc>,
    namespaces: BTreeSet<String>,
}

impl Writer {
    fn identity(
        &mut self,
        sa: &str,
        keys: &[(String, String)],
        objects: &[&Object],
        granted: Granted,
        mut notes: Vec<String>,
        out: &mut Imported,
    ) {
        let name = self.names.identity(sa);
        let namespaces: Vec<String> = keys.iter().map(|(ns, _)| ns.clone()).collect();
        self.namespaces.extend(namespaces.iter().cloned());
        if namespaces.len() > 1 {
            notes.push(format!(
                "it runs as `{sa}` in {} namespaces, whose grants are merged: each namespace gets every one",
                namespaces.len()
            ));
        }
        let mut allowed = Vec::new();
        for (rules, cluster_wide, origin) in granted {
            let (kept, dropped): (Vec<Rule>, Vec<Rule>) = rules
                .into_iter()
                .partition(|r| r.non_resource_urls.is_empty());
            if !dropped.is_empty() {
                notes.push(format!(
                    "{origin} grants non-resource URLs, which nhi cannot say: left out"
                ));
            }
            if kept.is_empty() {
                continue;
            }
            let a = self.action(kept, cluster_wide, &origin);
            if !allowed.contains(&a) {
                allowed.push(a);
            }
        }
        let (owner, labels) = self.owner_and_labels(objects, &mut notes);
        let doc = IdentityDoc {
            agent: name.clone(),
            kind: "workload",
            owner,
            purpose: None,
            identity_type: "service_account",
            auth: AuthDoc {
                method: "oidc",
                issuer: None,
                subject: None,
                audience: None,
                client_id: None,
            },
            targets: vec!["kubernetes"],
            existing: Vec::new(),
            known_as: None,
            state: None,
            expires: None,
            allowed_actions: allowed,
            forbidden_actions: Vec::new(),
            context: Some(ContextDoc { namespaces }),
            labels,
        };
        if name != sa {
            notes.push(format!("its ServiceAccount is `{sa}`, which is not a name nhi gives an identity: rendered, it is `{name}`"));
        }
        let origin = keys
            .iter()
            .map(|(ns, n)| format!("serviceaccount {ns}/{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let text = identity_file(&doc, &origin, &notes);
        out.files
            .insert(format!("{IDENTITIES_DIR}/{name}.yaml"), text);
        out.identities.push(name.clone());
        out.notes.insert(name, notes);
    }

    /// The owner and labels of a ServiceAccount's objects, and a note of
    /// the cloud identity an annotation names.
    fn owner_and_labels(
        &mut self,
        objects: &[&Object],
        notes: &mut Vec<String>,
    ) -> (String, BTreeMap<String, String>) {
        let labels: BTreeMap<String, String> = objects
            .iter()
            .flat_map(|o| o.metadata.labels.iter())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for o in objects {
            for (k, v) in &o.metadata.annotations {
                if k == "eks.amazonaws.com/role-arn"
                    || k == "iam.gke.io/gcp-service-account"
                    || k == "azure.workload.identity/client-id"
                {
                    notes.push(format!("its annotation `{k}: {v}` names its cloud identity: import that cloud too to keep it"));
                }
            }
        }
        let owner = super::owner_team(
            &mut self.teams,
            ["owner", "team", "app.kubernetes.io/part-of"]
                .iter()
                .find_map(|k| labels.get(*k))
                .map(String::as_str),
        );
        let labels = labels
            .into_iter()
            // who deployed it says nothing nhi renders
            .filter(|(k, _)| {
                ![
                    "owner",
                    "team",
                    "app.kubernetes.io/managed-by",
                    "helm.sh/chart",
                ]
                .contains(&k.as_str())
            })
            .collect();
        (owner, labels)
    }

    fn action(&mut self, mut rules: Vec<Rule>, cluster_wide: bool, origin: &str) -> String {
        for r in &mut rules {
            r.api_groups.sort();
            r.resources.sort();
            r.verbs.sort();
            r.resource_names.sort();
        }
        rules.sort();
        let key = (rules, cluster_wide);
        if let Some(n) = self.actions.get(&key) {
            return n.clone();
        }
        let base = origin.split('`').nth(1).unwrap_or(origin);
        let name = self.action_names.action(base);
        self.catalogue.insert(
            name.clone(),
            ActionDoc {
                description: format!("Imported from {origin}"),
                kubernetes: KubernetesDoc {
                    rules: key.0.clone(),
                    cluster_wide,
                },
            },
        );
        self.actions.insert(key, name.clone());
        name
    }

    fn finish(mut self, mut out: Imported) -> Imported {
        super::write_workspace(
            &mut out,
            "kubernetes",
            std::mem::take(&mut self.teams),
            TargetsDoc {
                kubernetes: KubernetesTargetDoc {
                    namespaces: std::mem::take(&mut self.namespaces),
                },
            },
            std::mem::take(&mut self.catalogue),
            "the rules of the imported Roles and ClusterRoles, one action per distinct set",
        );
        out
    }
}
