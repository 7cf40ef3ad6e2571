//! The rendered files of two workspaces, compared line by line (with the
//! similar crate) as unified diffs.

use serde::Serialize;
use similar::TextDiff;

use crate::render::Artifacts;

use super::Status;

/// One file that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileDiff {
    /// Its path in the output folder.
    pub path: String,
    /// Added, removed or changed.
    pub status: Status,
    /// The unified diff (`--- base/PATH`, `+++ head/PATH`).
    pub diff: String,
}

/// Every file that differs between two sets of artifacts, in path order.
#[must_use]
pub fn compare(base: &Artifacts, head: &Artifacts) -> Vec<FileDiff> {
    let mut paths: Vec<&str> = base.iter().map(|a| a.path.as_str()).collect();
    paths.extend(head.iter().map(|a| a.path.as_str()));
    paths.sort_unstable();
    paths.dedup();
    let mut out = Vec::new();
    for path in paths {
        let (b, h) = (base.get(path), head.get(path));
        let status = match (b, h) {
            (None, Some(_)) => Status::Added,
            (Some(_), None) => Status::Removed,
            (Some(x), Some(y)) if x.bytes != y.bytes => Status::Changed,
            _ => continue,
        };
        // only a file that differs is read as text
        let text = |a: Option<&crate::render::Artifact>| {
            a.map(|a| String::from_utf8_lossy(&a.bytes).into_owned())
                .unwrap_or_default()
        };
        let (b, h) = (text(b), text(h));
        let diff = TextDiff::from_lines(&b, &h)
            .unified_diff()
            .context_radius(3)
            .header(&format!("base/{path}"), &format!("head/{path}"))
            .to_string();
        out.push(FileDiff {
            path: path.to_owned(),
            status,
            diff,
        });
    }
    out
}
