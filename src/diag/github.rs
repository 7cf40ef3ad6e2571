//! The `github` diagnostic format.

use crate::diag::Diagnostics;
use crate::source::SourceDb;

/// Render diagnostics as github.
#[must_use]
pub fn render(diagnostics: &Diagnostics, db: &SourceDb) -> String {
    let _ = (diagnostics, db);
    String::new()
}
