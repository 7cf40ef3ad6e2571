//! Which usage export each file is, told by its content, and what each
//! says: AWS (Access Advisor and credential reports), Google Cloud
//! (Activity Analyzer) and Kubernetes (audit logs), in any mix.

use serde_json::Value;

use crate::diag::{Diagnostic, Diagnostics};
use crate::import::activity::{self, Activities};
use crate::import::audit::{self, AuditLog};
use crate::import::aws::{self, Usage};
use crate::import::{malformed, not_an_export, scan};
use crate::source::{FileId, SourceDb};

/// What the usage exports of one run say, by cloud.
#[derive(Clone, Debug, Default)]
pub struct Exports {
    /// The AWS reports, when any was given.
    pub aws: Option<Usage>,
    /// Each Activity Analyzer export.
    pub gcp: Vec<Activities>,
    /// The audit logs, when any was given.
    pub audit: Option<AuditLog>,
}

/// What kind of export a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Aws,
    Gcp,
    Audit,
}

/// The keys of the JSON documents the AWS reader takes (it says which of
/// them is no usage report).
const AWS_KEYS: [&str; 6] = [
    "ServicesLastAccessed",
    "Content",
    "RoleDetailList",
    "UserDetailList",
    "GroupDetailList",
    "Policies",
];

/// What a file of none of the known kinds should be.
pub const WHAT_IS_READ: &str = "give IAM Access Advisor reports (`aws iam get-service-last-accessed-details`) or credential reports (`aws iam get-credential-report`), Activity Analyzer exports (`gcloud policy-intelligence query-activity --activity-type=serviceAccountLastAuthentication --format=json`), or Kubernetes audit logs (the API server's `--audit-log-path`, one `audit.k8s.io/v1` event per line)";

/// Read the usage exports, each recognised by its content.
///
/// # Errors
///
/// Every file that is none of them, holds a credential, or is malformed,
/// as located diagnostics.
pub fn read(db: &mut SourceDb, files: &[FileId]) -> Result<Exports, Diagnostics> {
    let mut out = Diagnostics::new();
    let mut exports = Exports::default();
    let mut aws_files = Vec::new();
    for &file in files {
        if scan(db, file, &mut out) {
            continue;
        }
        match kind(db, file) {
            Ok(Kind::Aws) => aws_files.push(file),
            Ok(Kind::Gcp) => match activity::read(db, file) {
                Ok(a) => exports.gcp.push(a),
                Err(d) => out.push(d),
            },
            Ok(Kind::Audit) => {
                let log = exports.audit.get_or_insert_with(AuditLog::default);
                if let Err(d) = audit::read(db, file, log) {
                    out.extend(d);
                }
            }
            Err(d) => out.push(d),
        }
    }
    if !aws_files.is_empty() {
        match aws::usage(db, &aws_files) {
            Ok(u) => exports.aws = Some(u),
            Err(d) => out.extend(d),
        }
    }
    if out.has_errors() {
        return Err(out);
    }
    Ok(exports)
}

/// What a file is, by its content.
fn kind(db: &SourceDb, file: FileId) -> Result<Kind, Diagnostic> {
    let text = db.get(file).map(|f| f.text().clone()).unwrap_or_default();
    let trimmed = text.trim_start();
    if trimmed.starts_with("user,arn,") {
        return Ok(Kind::Aws);
    }
    let unknown = |why: &str| not_an_export(db, file, "a usage export", why, WHAT_IS_READ);
    if trimmed.is_empty() {
        return Err(unknown("it is empty"));
    }
    // a log of many lines stops the whole-document reader at its second
    // event, so this costs one line
    match serde_json::from_str::<Value>(&text) {
        Ok(value) if activity::recognise(&value) => Ok(Kind::Gcp),
        Ok(value) if AWS_KEYS.iter().any(|k| value.get(k).is_some()) => Ok(Kind::Aws),
        Ok(_) if audit::recognise(&text) => Ok(Kind::Audit),
        Ok(_) => Err(unknown(
            "it is JSON, but none of the exports `nhi review --usage` reads",
        )),
        Err(_) if audit::recognise(&text) => Ok(Kind::Audit),
        Err(e) => {
            // one JSON document per line, of something else
            let first_line = trimmed.lines().next().unwrap_or_default();
            if serde_json::from_str::<Value>(first_line).is_ok() {
                return Err(unknown(
                    "its lines are JSON, but not Kubernetes audit events",
                ));
            }
            if trimmed.starts_with(['{', '[']) {
                return Err(malformed(db, file, &e, "a usage export"));
            }
            Err(unknown("it is neither JSON nor a credential report"))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;

    fn kind_of(text: &str) -> Result<Kind, String> {
        let mut db = SourceDb::new();
        let file = db.add(PathBuf::from("x.json"), Arc::from(text));
        kind(&db, file).map_err(|d| format!("{d:?}"))
    }

    #[test]
    fn files_are_told_apart_by_content() {
        let event = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get","requestReceivedTimestamp":"2026-11-20T09:14:03Z"}"#;
        assert_eq!(kind_of(event), Ok(Kind::Audit));
        assert_eq!(kind_of(&format!("{event}\n{event}\n")), Ok(Kind::Audit));
        assert_eq!(kind_of("[]"), Ok(Kind::Gcp));
        assert_eq!(
            kind_of(r#"{"JobStatus": "COMPLETED", "ServicesLastAccessed": []}"#),
            Ok(Kind::Aws)
        );
        assert_eq!(kind_of("user,arn,user_creation_time\n"), Ok(Kind::Aws));
        assert!(kind_of(r#"{"items": []}"#).is_err());
        assert!(kind_of("{\"a\": 1}\n{\"a\": 2}\n").is_err());
        assert!(kind_of("[{\"activityType\": ").is_err());
        assert!(kind_of("hello").is_err());
        assert!(kind_of("\n").is_err());
    }
}
