//! Terraform JSON (`*.tf.json`), the form of HCL a program writes: one
//! document per cloud with its provider requirement and resources.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Serialize)]
struct Document<'a, P: Serialize, R: Serialize> {
    terraform: Settings,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    provider: BTreeMap<&'static str, P>,
    resource: &'a R,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    output: Outputs,
}

/// One output of a document: each identity's name to an attribute of its
/// resource (what a workload or another module needs: a role's ARN, a
/// service account's email, a managed identity's client id).
#[derive(Serialize)]
pub struct Output {
    description: &'static str,
    value: BTreeMap<String, String>,
}

/// A document's outputs, by name.
pub type Outputs = BTreeMap<&'static str, Output>;

/// Add the output `name`: for each resource of type `ty` keyed in `keys`
/// (resource names, see [`resource_name`]), its `attribute`, under the
/// identity's name. Nothing when there is no such resource.
pub fn output<'k>(
    outputs: &mut Outputs,
    name: &'static str,
    description: &'static str,
    ty: &str,
    attribute: &str,
    keys: impl IntoIterator<Item = &'k String>,
) {
    let value: BTreeMap<String, String> = keys
        .into_iter()
        .map(|key| {
            // a resource name is the identity's, `_`-prefixed before a digit
            let identity = key.strip_prefix('_').unwrap_or(key);
            (identity.to_owned(), reference(ty, key, attribute))
        })
        .collect();
    if !value.is_empty() {
        outputs.insert(name, Output { description, value });
    }
}

#[derive(Serialize)]
struct Settings {
    required_providers: BTreeMap<&'static str, Requirement>,
}

#[derive(Serialize)]
struct Requirement {
    source: &'static str,
    version: &'static str,
}

/// A whole Terraform JSON document: the provider requirement, its
/// configuration (if any) and the resources, pretty-printed.
#[must_use]
pub fn document<P: Serialize, R: Serialize>(
    name: &'static str,
    source: &'static str,
    version: &'static str,
    provider: Option<P>,
    resources: &R,
    outputs: Outputs,
) -> String {
    let doc = Document {
        terraform: Settings {
            required_providers: BTreeMap::from([(name, Requirement { source, version })]),
        },
        provider: provider.into_iter().map(|p| (name, p)).collect(),
        resource: resources,
        output: outputs,
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// A resource's name in Terraform for an identity's name: the name itself
/// (DNS labels are Terraform identifiers), `_`-prefixed when it starts
/// with a digit.
#[must_use]
pub fn resource_name(name: &str) -> String {
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name.to_owned()
    }
}

/// An interpolated reference to another resource's attribute.
#[must_use]
pub fn reference(ty: &str, name: &str, attribute: &str) -> String {
    format!("${{{ty}.{name}.{attribute}}}")
}

/// A literal string safe inside Terraform JSON: `${` and `%{` start
/// interpolations and directives, so they are escaped (`$${`, `%%{`).
#[must_use]
pub fn literal(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}
