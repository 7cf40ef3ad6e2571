//! Kubernetes usage: the API server's audit log, as its log backend writes
//! it (`--audit-log-path`): one `audit.k8s.io/v1` `Event` per line (a line
//! holding an `EventList`, as a webhook receiver may store it, is read as
//! its events).
//!
//! What is kept of each event is what RBAC decided on: who asked
//! (`user.username`, or `impersonatedUser` when someone acted as another),
//! the `verb`, and the object (`objectRef`: API group, resource,
//! subresource, namespace, name), with the day it was asked
//! (`requestReceivedTimestamp`, else `stageTimestamp`). Requests are kept
//! only for ServiceAccounts (`system:serviceaccount:NS:NAME`), each
//! distinct request once with the last day it was seen; every event, of
//! anyone, counts for the days the logs cover (earliest to latest).
//!
//! Logs are large: the file is read one line at a time and nothing of a
//! line outlives it but the request it names. What is kept is bounded
//! ([`MAX_REQUESTS`]); past it, a ServiceAccount's requests are no longer
//! told apart and it is marked so, for nothing to be claimed about it. A
//! line that is not an audit event is an error at its line.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Date, parse_date};
use crate::source::{FileId, Loc, SourceDb, Span};

/// The most distinct requests kept, over every ServiceAccount.
pub const MAX_REQUESTS: usize = 500_000;
/// The most malformed lines of one file reported one by one.
const MAX_LINE_ERRORS: usize = 20;
/// The user name prefix of a ServiceAccount.
pub const SERVICE_ACCOUNT_USER: &str = "system:serviceaccount:";

/// One request as RBAC sees it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Request {
    /// The verb (`get`, `list`, `watch`, `create`, `patch`…).
    pub verb: String,
    /// The API group (`""`: the core group).
    pub api_group: String,
    /// The resource (`""`: a non-resource request such as `/healthz`).
    pub resource: String,
    /// The subresource (`""`: none).
    pub subresource: String,
    /// The namespace (`""`: cluster-scoped).
    pub namespace: String,
    /// The object's name (`""`: none, as for `list` or `create`).
    pub name: String,
}

/// What one ServiceAccount asked for.
#[derive(Clone, Debug, Default)]
pub struct Requests {
    /// The last day it asked for anything.
    pub last: Option<Date>,
    /// Each distinct request, with the last day it was asked.
    pub seen: BTreeMap<Request, Date>,
    /// Whether some of its requests were not kept ([`MAX_REQUESTS`]).
    pub overflow: bool,
}

/// What the audit logs say.
#[derive(Clone, Debug, Default)]
pub struct AuditLog {
    /// The files read.
    pub files: Vec<FileId>,
    /// The day of the earliest event.
    pub first: Option<Date>,
    /// The day of the latest event.
    pub last: Option<Date>,
    /// The events read.
    pub events: u64,
    /// Each ServiceAccount's requests, by (namespace, name).
    pub accounts: BTreeMap<(String, String), Requests>,
    /// The distinct requests kept.
    kept: usize,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawEvent {
    api_version: String,
    kind: String,
    verb: String,
    user: RawUser,
    impersonated_user: Option<RawUser>,
    object_ref: Option<RawObjectRef>,
    request_received_timestamp: Option<String>,
    stage_timestamp: Option<String>,
    /// The events of an `EventList`.
    items: Vec<RawEvent>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawUser {
    username: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawObjectRef {
    api_group: String,
    resource: String,
    subresource: String,
    namespace: String,
    name: String,
}

/// The first lines looked at to recognise a log.
const SNIFF_LINES: usize = 5;

/// Whether a text is an audit log: one of its first non-blank lines is an
/// audit event (or a list of them).
#[must_use]
pub fn recognise(text: &str) -> bool {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .any(|l| serde_json::from_str::<RawEvent>(l).is_ok_and(|e| is_audit(&e)))
}

fn is_audit(event: &RawEvent) -> bool {
    event.api_version.starts_with("audit.k8s.io/")
        && matches!(event.kind.as_str(), "Event" | "EventList")
}

/// Read one audit log into `log`, line by line.
///
/// # Errors
///
/// Every line that is not an audit event with a timestamp, at its line
/// (the first twenty, then how many more).
pub fn read(db: &SourceDb, file: FileId, log: &mut AuditLog) -> Result<(), Diagnostics> {
    let text = db.get(file).map(|f| f.text().clone()).unwrap_or_default();
    let mut errors = Diagnostics::new();
    let mut more = 0usize;
    let mut offset = 0usize;
    log.files.push(file);
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        if body.trim().is_empty() {
            continue;
        }
        if let Err(d) = read_line(file, start, body, log) {
            if errors.len() < MAX_LINE_ERRORS {
                errors.push(d);
            } else {
                more += 1;
            }
        }
    }
    if more > 0 {
        errors.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "{more} more lines of `{}` are not audit events",
                    db.display_path(file)
                ),
            )
            .primary(Loc::new(file, Span::new(0, text.len().min(1))), "this file"),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Read one line, which starts at byte `start` of the file.
fn read_line(file: FileId, start: usize, body: &str, log: &mut AuditLog) -> Result<(), Diagnostic> {
    let event: RawEvent = serde_json::from_str(body).map_err(|e| {
        // serde_json counts columns in bytes
        let mut at = e.column().saturating_sub(1).min(body.len());
        while !body.is_char_boundary(at) {
            at = at.saturating_sub(1);
        }
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        line_error(
            file,
            start + at,
            &format!("this line is not JSON: {message}"),
        )
    })?;
    if !is_audit(&event) {
        return Err(line_error(
            file,
            start,
            "this line is not a Kubernetes audit event (`apiVersion: audit.k8s.io/v1`, `kind: Event`)",
        ));
    }
    if event.kind == "EventList" {
        for item in &event.items {
            record(file, start, item, log)?;
        }
        return Ok(());
    }
    record(file, start, &event, log)
}

fn line_error(file: FileId, at: usize, message: &str) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, message.to_owned())
        .primary(Loc::new(file, Span::new(at, 1)), "here")
        .help(
            "give the audit log as the API server's log backend writes it: one JSON event per line",
        )
}

/// Count one event, and keep its request when a ServiceAccount made it.
fn record(
    file: FileId,
    start: usize,
    event: &RawEvent,
    log: &mut AuditLog,
) -> Result<(), Diagnostic> {
    let day = event
        .request_received_timestamp
        .as_deref()
        .or(event.stage_timestamp.as_deref())
        .and_then(|t| t.get(..10))
        .and_then(parse_date)
        .ok_or_else(|| {
            line_error(
                file,
                start,
                "this audit event has no `requestReceivedTimestamp` nhi can read",
            )
        })?;
    log.events += 1;
    log.first = Some(log.first.map_or(day, |d| d.min(day)));
    log.last = Some(log.last.map_or(day, |d| d.max(day)));
    let user = event.impersonated_user.as_ref().unwrap_or(&event.user);
    let Some((namespace, name)) = user
        .username
        .strip_prefix(SERVICE_ACCOUNT_USER)
        .and_then(|rest| rest.split_once(':'))
    else {
        return Ok(());
    };
    let object = event.object_ref.as_ref();
    let field = |f: fn(&RawObjectRef) -> &String| object.map(f).cloned().unwrap_or_default();
    let request = Request {
        verb: event.verb.clone(),
        api_group: field(|o| &o.api_group),
        resource: field(|o| &o.resource),
        subresource: field(|o| &o.subresource),
        namespace: field(|o| &o.namespace),
        name: field(|o| &o.name),
    };
    let full = log.kept >= MAX_REQUESTS;
    let requests = log
        .accounts
        .entry((namespace.to_owned(), name.to_owned()))
        .or_default();
    requests.last = Some(requests.last.map_or(day, |d| d.max(day)));
    match requests.seen.get_mut(&request) {
        Some(last) => *last = (*last).max(day),
        None if full => requests.overflow = true,
        None => {
            requests.seen.insert(request, day);
            log.kept += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;

    fn log(text: &str) -> (AuditLog, Result<(), Diagnostics>) {
        let mut db = SourceDb::new();
        let file = db.add(PathBuf::from("audit.log"), Arc::from(text));
        let mut log = AuditLog::default();
        let result = read(&db, file, &mut log);
        (log, result)
    }

    const EVENT: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete","verb":"get","user":{"username":"system:serviceaccount:apps:builder"},"objectRef":{"resource":"configmaps","namespace":"apps","name":"builder","apiVersion":"v1"},"requestReceivedTimestamp":"2026-11-20T09:14:03.512344Z"}"#;

    #[test]
    fn keeps_each_service_accounts_requests_with_their_last_day() {
        let other = EVENT
            .replace("system:serviceaccount:apps:builder", "alice@example.com")
            .replace("2026-11-20", "2026-08-01");
        let (log, result) = log(&format!("{EVENT}\n\n{other}\n{EVENT}\n"));
        assert!(result.is_ok());
        assert_eq!(log.events, 3);
        assert_eq!(log.first, parse_date("2026-08-01"));
        assert_eq!(log.last, parse_date("2026-11-20"));
        let builder = &log.accounts[&("apps".to_owned(), "builder".to_owned())];
        assert_eq!(builder.seen.len(), 1);
        assert!(recognise(EVENT));
        assert!(!recognise("{\"kind\": \"Event\"}"));
    }

    #[test]
    fn whoever_acts_as_a_service_account_counts_as_it() {
        let as_builder = EVENT.replace(
            "\"user\":{\"username\":\"system:serviceaccount:apps:builder\"}",
            "\"user\":{\"username\":\"alice@example.com\"},\"impersonatedUser\":{\"username\":\"system:serviceaccount:apps:builder\"}",
        );
        assert_ne!(as_builder, EVENT);
        let (log, result) = log(&as_builder);
        assert!(result.is_ok());
        assert_eq!(
            log.accounts.keys().collect::<Vec<_>>(),
            [&("apps".to_owned(), "builder".to_owned())]
        );
    }

    #[test]
    fn hostile_lines_are_errors_never_panics() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        for line in [
            "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"requestReceivedTimestamp\":\"2026-11-2é\"}",
            "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":[{}]}",
            "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"verb\":7}",
            "ééé{",
            deep.as_str(),
        ] {
            let (_, result) = log(line);
            assert_eq!(result.map_err(|e| e.len()), Err(1), "{line}");
        }
        let (many, result) = log(&"x\n".repeat(MAX_LINE_ERRORS + 5));
        assert_eq!(result.map_err(|e| e.len()), Err(MAX_LINE_ERRORS + 1));
        assert_eq!(many.events, 0);
    }

    #[test]
    fn a_line_that_is_no_event_is_an_error_at_its_line() {
        let (_, result) = log(&format!("{EVENT}\n{{\"kind\": \n{{\"a\": 1}}\n"));
        let errors = result.unwrap_err();
        assert_eq!(errors.len(), 2);
    }
}
