//! What `nhi build` wrote, read back from disk: every file, the identities
//! each target holds objects for, and the inventory held against both.

#![allow(dead_code, reason = "each test binary uses a part of this")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::support::{nhi, text};

/// Build `dir` into a temporary folder: every file written, by its path
/// in the output folder.
pub(crate) fn build(dir: &Path) -> (tempfile::TempDir, BTreeMap<String, String>) {
    let out = tempfile::tempdir().unwrap();
    let run = nhi(dir, &["build", "--out", out.path().to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let mut files = BTreeMap::new();
    read_all(out.path(), out.path(), &mut files);
    (out, files)
}

fn read_all(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            read_all(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).unwrap().to_string_lossy();
            out.insert(
                rel.replace('\\', "/"),
                std::fs::read_to_string(&path).unwrap(),
            );
        }
    }
}

/// A JSON file of the output.
pub(crate) fn json(files: &BTreeMap<String, String>, path: &str) -> Value {
    serde_json::from_str(files.get(path).unwrap_or_else(|| panic!("{path} rendered")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The identity a Terraform resource key stands for.
fn identity_of_key(key: &str) -> String {
    key.strip_prefix('_')
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(key)
        .to_owned()
}

/// The identities with a folder under a cloud's folder, held equal to
/// those its Terraform file creates `resource_types` for.
fn cloud(files: &BTreeMap<String, String>, dir: &str, resource_types: &[&str]) -> BTreeSet<String> {
    let folders: BTreeSet<String> = files
        .keys()
        .filter_map(|p| p.strip_prefix(&format!("{dir}/")))
        .filter_map(|rest| rest.split_once('/').map(|(name, _)| name.to_owned()))
        .collect();
    let tf_path = format!("{dir}/main.tf.json");
    if !files.contains_key(&tf_path) {
        assert!(folders.is_empty(), "{dir}/ without main.tf.json");
        return folders;
    }
    let tf = json(files, &tf_path);
    let mut in_tf = BTreeSet::new();
    for ty in resource_types {
        if let Some(resources) = tf["resource"][*ty].as_object() {
            in_tf.extend(resources.keys().map(|k| identity_of_key(k)));
        }
    }
    assert_eq!(
        folders, in_tf,
        "{dir}: the native files and the Terraform agree"
    );
    folders
}

/// The identities each target holds objects for, read from the files.
pub(crate) fn identities_by_target(
    files: &BTreeMap<String, String>,
) -> BTreeMap<&'static str, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    // Cedar: an entity for the identity; every policy it owns comes with one
    let entities = json(files, "cedar/entities.json");
    let cedar: BTreeSet<String> = entities
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["attrs"]["kind"].is_string())
        .map(|e| e["uid"]["id"].as_str().unwrap().to_owned())
        .collect();
    for line in files["cedar/policies.cedar"].lines() {
        if let Some(id) = line.strip_prefix("@id(\"") {
            let owner = id.split(':').next().unwrap();
            if owner != "nhi.yaml" {
                assert!(cedar.contains(owner), "policy {id} without an entity");
            }
        }
    }
    out.insert("cedar", cedar);
    out.insert(
        "aws",
        cloud(files, "aws", &["aws_iam_role", "aws_iam_user"]),
    );
    out.insert("gcp", cloud(files, "gcp", &["google_service_account"]));
    out.insert(
        "azure",
        cloud(files, "azure", &["azurerm_user_assigned_identity"]),
    );
    let manifests: BTreeSet<String> = files
        .keys()
        .filter_map(|p| p.strip_prefix("kubernetes/"))
        .filter(|f| *f != "kustomization.yaml")
        .map(|f| f.strip_suffix(".yaml").unwrap().to_owned())
        .collect();
    if let Some(k) = files.get("kubernetes/kustomization.yaml") {
        let k: Value = serde_saphyr::from_str(k).unwrap();
        let listed: BTreeSet<String> = k["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().trim_end_matches(".yaml").to_owned())
            .collect();
        assert_eq!(listed, manifests, "the kustomization lists every manifest");
    }
    // the namespaces the workspace owns are no identity's
    let mut manifests = manifests;
    manifests.remove("_namespaces");
    out.insert("kubernetes", manifests);
    out
}

/// The inventory's entries by name, after holding it against the files:
/// its targets are exactly those that hold objects for each identity, an
/// identity renders exactly when it is in Cedar, and the CSV says what
/// the JSON says.
pub(crate) fn checked_inventory(files: &BTreeMap<String, String>) -> BTreeMap<String, Value> {
    let inventory = json(files, "inventory.json");
    assert_eq!(inventory["version"], 1);
    let entries = inventory["identities"].as_array().unwrap();
    let names: Vec<&str> = entries
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(names.is_sorted(), "{names:?}");
    let by_target = identities_by_target(files);
    for (target, identities) in &by_target {
        for name in identities {
            assert!(
                names.contains(&name.as_str()),
                "{target} renders `{name}`, not in the inventory"
            );
        }
    }
    for e in entries {
        let name = e["name"].as_str().unwrap();
        let listed: Vec<&str> = e["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let rendered: Vec<&str> = ["cedar", "aws", "gcp", "azure", "kubernetes"]
            .into_iter()
            .filter(|t| by_target[t].contains(name))
            .collect();
        assert_eq!(listed, rendered, "`{name}`");
        assert_eq!(e["renders"], listed.contains(&"cedar"), "`{name}`");
    }
    let mut csv = csv::Reader::from_reader(files["inventory.csv"].as_bytes());
    let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, nhi::render::inventory::COLUMNS);
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), entries.len());
    for (row, e) in rows.iter().zip(entries) {
        for (column, cell) in header.iter().zip(row.iter()) {
            let expected = match &e[column.as_str()] {
                Value::Null => String::new(),
                Value::String(s) if s.starts_with(['=', '+', '-', '@']) => format!("'{s}"),
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Array(a) => a
                    .iter()
                    .map(|t| t.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(" "),
                other => panic!("`{column}` is {other}"),
            };
            assert_eq!(cell, expected, "`{}` {column}", e["name"]);
        }
    }
    entries
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_owned(), e.clone()))
        .collect()
}
