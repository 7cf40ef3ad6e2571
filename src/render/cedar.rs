//! The Cedar target: the schema, the policy set and the entities file that
//! an agent gateway, an application or Amazon Verified Permissions
//! evaluates, written from what the Cedar core renders.

use crate::cedar::Rendering;

use super::{Artifact, Artifacts};

/// The folder of the Cedar target in the output.
pub const DIR: &str = "cedar";
/// The schema file.
pub const SCHEMA_FILE: &str = "cedar/schema.cedarschema";
/// The policy file.
pub const POLICIES_FILE: &str = "cedar/policies.cedar";
/// The entities file.
pub const ENTITIES_FILE: &str = "cedar/entities.json";

/// The three files.
#[must_use]
pub fn artifacts(rendering: &Rendering) -> Artifacts {
    let mut out = Artifacts::new();
    out.insert(Artifact::new(SCHEMA_FILE, rendering.schema.text(), None));
    out.insert(Artifact::new(
        POLICIES_FILE,
        rendering.policies_text(),
        None,
    ));
    out.insert(Artifact::new(
        ENTITIES_FILE,
        rendering.entities_text(),
        None,
    ));
    out
}
