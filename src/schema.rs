//! The published JSON Schemas, generated from the raw types.
//!
//! `schema/identity.schema.json`, `schema/workspace.schema.json` and
//! `schema/decisions.schema.json` are written by `nhi schema --out schema`; a test fails when the committed
//! files differ from what this module generates.

use schemars::generate::SchemaSettings;

use crate::raw::{DecisionFile, IdentityFile, WorkspaceFile};

/// Which schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    /// An identity file (`identities/<name>.yaml`).
    Identity,
    /// The workspace file (`nhi.yaml`).
    Workspace,
    /// A decision test file (`decisions/*.yaml`).
    Decisions,
}

impl SchemaKind {
    /// Every schema.
    pub const ALL: [Self; 3] = [Self::Identity, Self::Workspace, Self::Decisions];

    /// The file name under `schema/`.
    #[must_use]
    pub const fn file_name(self) -> &'static str {
        match self {
            Self::Identity => "identity.schema.json",
            Self::Workspace => "workspace.schema.json",
            Self::Decisions => "decisions.schema.json",
        }
    }
}

/// The schema as pretty JSON, ending in a newline.
#[must_use]
pub fn generate(kind: SchemaKind) -> String {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let (schema, title) = match kind {
        SchemaKind::Identity => (
            generator.into_root_schema_for::<IdentityFile>(),
            "nhi identity",
        ),
        SchemaKind::Workspace => (
            generator.into_root_schema_for::<WorkspaceFile>(),
            "nhi workspace (nhi.yaml)",
        ),
        SchemaKind::Decisions => (
            generator.into_root_schema_for::<DecisionFile>(),
            "nhi decision tests",
        ),
    };
    let mut value = schema.to_value();
    if let Some(object) = value.as_object_mut() {
        object.insert("title".to_owned(), title.into());
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
