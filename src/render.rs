//! Rendering: pure functions from the checked model and its analysis to
//! the files each target reads. Renderers do no I/O and read no clock; the
//! analysis carries the date that decides expiry.

pub mod agentcore;
pub mod aws;
pub mod azure;
pub mod cedar;
pub mod codeowners;
pub mod gcp;
pub mod inventory;
pub mod kubernetes;
mod mcp;
pub mod readme;
pub mod tags;
pub mod terraform;
pub mod toolhive;

use std::collections::BTreeMap;

use crate::analyse::Analysis;
use crate::cedar::CedarError;
use crate::model::Model;
use crate::source::SourceDb;

/// A target that `nhi build` renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// Cedar schema, policies and entities (needs no settings).
    Cedar,
    /// AWS IAM roles and policies (when `targets.aws` is set).
    Aws,
    /// Google Cloud service accounts, roles and bindings (`targets.gcp`).
    Gcp,
    /// Azure managed identities, role definitions and assignments
    /// (`targets.azure`).
    Azure,
    /// Kubernetes service accounts, RBAC and SPIFFE IDs
    /// (`targets.kubernetes`).
    Kubernetes,
}

impl Target {
    /// Every target.
    pub const ALL: [Self; 5] = [
        Self::Cedar,
        Self::Aws,
        Self::Gcp,
        Self::Azure,
        Self::Kubernetes,
    ];

    /// Its folder in the output.
    #[must_use]
    pub const fn dir(self) -> &'static str {
        match self {
            Self::Cedar => cedar::DIR,
            Self::Aws => "aws",
            Self::Gcp => "gcp",
            Self::Azure => "azure",
            Self::Kubernetes => "kubernetes",
        }
    }
}

/// One output file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
    /// The identity it renders, when it renders one.
    pub source: Option<String>,
}

impl Artifact {
    /// An artifact from its path, text and source identity.
    #[must_use]
    pub fn new(path: &str, text: String, source: Option<String>) -> Self {
        Self {
            path: path.to_owned(),
            bytes: text.into_bytes(),
            source,
        }
    }
}

/// Output files keyed by path: always sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Artifacts(BTreeMap<String, Artifact>);

impl Artifacts {
    /// No files.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) a file.
    pub fn insert(&mut self, artifact: Artifact) {
        self.0.insert(artifact.path.clone(), artifact);
    }

    /// Add every file of another set.
    pub fn extend(&mut self, other: Self) {
        self.0.extend(other.0);
    }

    /// The file at a path.
    #[must_use]
    pub fn get(&self, path: &str) -> Option<&Artifact> {
        self.0.get(path)
    }

    /// The files, in path order.
    pub fn iter(&self) -> impl Iterator<Item = &Artifact> {
        self.0.values()
    }

    /// Number of files.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why rendering failed. Every variant is an internal error: the workspace
/// checked clean, yet what nhi rendered from it is not what the target
/// accepts.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RenderError {
    /// The Cedar core refused the workspace or what it rendered.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cedar(#[from] CedarError),
    /// An identity's AWS policy is larger than IAM accepts.
    #[error("the AWS permissions policy of `{identity}` is {size} characters; IAM accepts {limit}")]
    #[diagnostic(
        code(nhi::render::aws_policy_size),
        help(
            "split the identity's work across narrower identities, or map its actions to fewer IAM actions and resources"
        )
    )]
    AwsPolicyTooLarge {
        /// The identity.
        identity: String,
        /// Its policy's size, whitespace aside.
        size: usize,
        /// IAM's limit.
        limit: usize,
    },
    /// Cedar's MCP schema generator refused the pinned tool lists.
    #[error("the gateway's Cedar schema cannot be made from the pinned tool lists: {why}")]
    #[diagnostic(
        code(nhi::render::tool_list),
        help(
            "AgentCore names each tool `<Target>___<tool>`, which Cedar must read as one identifier: tool and argument names of letters, digits and `_`"
        )
    )]
    ToolList {
        /// What the generator said.
        why: String,
    },
    /// An AgentCore statement is longer than the service takes.
    #[error(
        "an AgentCore Policy statement of `{identity}` is {size} characters; CreatePolicy takes {limit}"
    )]
    #[diagnostic(
        code(nhi::render::agentcore_statement_size),
        help("narrow the tool's `where` to fewer values")
    )]
    StatementTooLarge {
        /// The identity.
        identity: String,
        /// The statement's size.
        size: usize,
        /// The service's limit.
        limit: usize,
    },
}

/// A JSON file's text: pretty-printed, ending in a newline.
pub(crate) fn json_file(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// What rendering needs beyond the model and its analysis.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The workspace's folder in its repository (`/`-separated; empty at
    /// the root), for `CODEOWNERS`.
    pub repo_prefix: String,
}

/// Render every target of the model, as its analysis judges it.
///
/// # Errors
///
/// See [`RenderError`].
pub fn render(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    options: &Options,
) -> Result<Artifacts, RenderError> {
    let rendering = crate::cedar::render(model, analysis, db)?;
    crate::cedar::verify::verify(&rendering)?;
    let mut artifacts = cedar::artifacts(&rendering);
    let targets = &model.settings.targets;
    if let Some(target) = &targets.aws {
        artifacts.extend(aws::render(model, analysis, db, target)?);
    }
    if let Some(target) = &targets.gcp {
        artifacts.extend(gcp::render(model, analysis, db, target));
    }
    if let Some(target) = &targets.azure {
        artifacts.extend(azure::render(model, analysis, db, target));
    }
    if targets.kubernetes.is_some() {
        artifacts.extend(kubernetes::render(model, analysis, db));
    }
    if let Some(target) = &targets.agentcore {
        artifacts.extend(agentcore::render(model, analysis, target)?);
    }
    if let Some(target) = &targets.toolhive {
        artifacts.extend(toolhive::render(model, analysis, target));
    }
    artifacts.extend(mcp::metadata(model));
    artifacts.insert(codeowners::render(model, db, &options.repo_prefix));
    // last: the inventory records what every other target rendered
    let targets = inventory::rendered_targets(&rendering, &artifacts);
    artifacts.extend(inventory::render(&inventory::inventory(
        model, analysis, db, &targets,
    )));
    // and what the folder holds, and how to apply it
    let readme = readme::render(model, analysis, &artifacts);
    artifacts.insert(readme);
    Ok(artifacts)
}
