//! Terraform JSON (`*.tf.json`), the form of HCL a program writes: one
//! document per cloud with its provider requirement and resources — for
//! AWS a module (variables, locals, resources, outputs, no provider) and
//! a small root that configures the provider and calls it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Artifact, Artifacts};

/// One output of a document: each identity's name to an attribute of its
/// resource (what a workload or another module needs: a role's ARN, a
/// service account's email, a managed identity's client id).
#[derive(Clone, Serialize)]
pub struct Output {
    description: &'static str,
    value: serde_json::Value,
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
        outputs.insert(
            name,
            Output {
                description,
                value: serde_json::to_value(value).unwrap_or_default(),
            },
        );
    }
}

/// Add the output `name` whose value is `value` (an expression, or an
/// object of them).
pub fn output_of(
    outputs: &mut Outputs,
    name: &'static str,
    description: &'static str,
    value: impl Into<serde_json::Value>,
) {
    outputs.insert(
        name,
        Output {
            description,
            value: value.into(),
        },
    );
}

/// A module's input.
#[derive(Serialize)]
pub struct Variable {
    /// Its Terraform type (`string`, `bool`, `map(string)`).
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// What it sets.
    pub description: &'static str,
    /// Its value when the caller sets none (`null`: unset).
    pub default: serde_json::Value,
}

/// A module's inputs, by name.
pub type Variables = BTreeMap<&'static str, Variable>;

/// An input of type `ty` with a default.
pub fn variable(
    variables: &mut Variables,
    name: &'static str,
    ty: &'static str,
    description: &'static str,
    default: impl Into<serde_json::Value>,
) {
    variables.insert(
        name,
        Variable {
            ty,
            description,
            default: default.into(),
        },
    );
}

#[derive(Serialize)]
struct Module<'a, R: Serialize> {
    terraform: Settings,
    variable: Variables,
    #[serde(skip_serializing_if = "is_empty")]
    locals: serde_json::Value,
    resource: &'a R,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    output: Outputs,
}

fn is_empty(v: &serde_json::Value) -> bool {
    v.as_object().is_some_and(serde_json::Map::is_empty)
}

/// A provider a document requires: its local name, source and versions.
pub type Provider = (&'static str, &'static str, &'static str);

fn settings(providers: &[Provider]) -> Settings {
    Settings {
        required_providers: providers
            .iter()
            .map(|&(name, source, version)| (name, Requirement { source, version }))
            .collect(),
    }
}

/// A module: the providers it requires, its inputs, locals, resources and
/// outputs, and no provider configuration (the caller's).
#[must_use]
pub fn module<L: Serialize, R: Serialize>(
    providers: &[Provider],
    variables: Variables,
    locals: &L,
    resources: &R,
    outputs: Outputs,
) -> String {
    pretty(&Module {
        terraform: settings(providers),
        variable: variables,
        locals: serde_json::to_value(locals).unwrap_or_default(),
        resource: resources,
        output: outputs,
    })
}

/// An object that exists already, adopted into `to`.
#[derive(Serialize)]
pub struct Import {
    /// The resource address, in the root (`module.nhi.aws_iam_role.x`).
    pub to: String,
    /// The object's id in the cloud.
    pub id: String,
}

/// The import of the object `id` into the module's resource of type `ty`
/// for the identity `name`.
#[must_use]
pub fn import(ty: &str, name: &str, id: String) -> Import {
    Import {
        to: format!("module.{MODULE}.{ty}.{}", resource_name(name)),
        id,
    }
}

/// Where a cloud's module and root go, and what they require.
pub struct Layout {
    /// The module's file (`aws/main.tf.json`).
    pub module: &'static str,
    /// The root's file (`terraform/aws/main.tf.json`).
    pub root: &'static str,
    /// The module as the root's `source` names it (`../../aws`).
    pub source: &'static str,
    /// The providers, the one the root configures first.
    pub providers: &'static [Provider],
}

/// A module's parts: its inputs, locals, resources and outputs.
pub struct Parts<'a, L: Serialize, R: Serialize> {
    /// Its inputs.
    pub variables: Variables,
    /// Its locals.
    pub locals: &'a L,
    /// Its resources.
    pub resources: &'a R,
    /// Its outputs, which the root passes on.
    pub outputs: Outputs,
}

/// A cloud's module and the root that configures the provider with
/// `configuration`, calls it and adopts `imports`.
#[must_use]
pub fn module_and_root<L: Serialize, R: Serialize, P: Serialize>(
    layout: &Layout,
    parts: Parts<'_, L, R>,
    configuration: Option<P>,
    imports: Vec<Import>,
) -> Artifacts {
    let mut out = Artifacts::new();
    out.insert(Artifact::new(
        layout.root,
        root(
            layout.providers,
            configuration,
            layout.source,
            imports,
            &parts.outputs,
        ),
        None,
    ));
    out.insert(Artifact::new(
        layout.module,
        module(
            layout.providers,
            parts.variables,
            parts.locals,
            parts.resources,
            parts.outputs,
        ),
        None,
    ));
    out
}

#[derive(Serialize)]
struct Root<P: Serialize> {
    terraform: Settings,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    provider: BTreeMap<&'static str, P>,
    module: BTreeMap<&'static str, Call>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    import: Vec<Import>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    output: BTreeMap<&'static str, Forward>,
}

#[derive(Serialize)]
struct Call {
    source: String,
}

#[derive(Serialize)]
struct Forward {
    description: &'static str,
    value: String,
}

/// The name of the module in the root that calls it.
pub const MODULE: &str = "nhi";

/// A root that configures the first of `providers`, calls the module at
/// `source` with its defaults, adopts `imports` and passes every output on.
#[must_use]
pub fn root<P: Serialize>(
    providers: &[Provider],
    configuration: Option<P>,
    source: &str,
    imports: Vec<Import>,
    outputs: &Outputs,
) -> String {
    let name = providers.first().map_or("", |p| p.0);
    pretty(&Root {
        terraform: settings(providers),
        provider: configuration.into_iter().map(|p| (name, p)).collect(),
        module: BTreeMap::from([(
            MODULE,
            Call {
                source: source.to_owned(),
            },
        )]),
        import: imports,
        output: outputs
            .iter()
            .map(|(key, o)| {
                (
                    *key,
                    Forward {
                        description: o.description,
                        value: format!("${{module.{MODULE}.{key}}}"),
                    },
                )
            })
            .collect(),
    })
}

fn pretty(doc: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    text
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
