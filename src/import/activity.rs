//! Google Cloud usage: what Activity Analyzer records of a project's
//! service accounts, as `gcloud policy-intelligence query-activity
//! --activity-type=serviceAccountLastAuthentication --project=P
//! --format=json` prints it (and `--activity-type=
//! serviceAccountKeyLastAuthentication` for their keys): a JSON list of
//! activities, or the Policy Analyzer API's own `activities.query`
//! response, `{"activities": […]}`.
//!
//! Each activity names one service account (or key) by its full resource
//! name, `//iam.googleapis.com/projects/P/serviceAccounts/EMAIL[/keys/ID]`,
//! with the time it last authenticated (`activity.lastAuthenticatedTime`)
//! over the `observationPeriod` Google has data for. A service account
//! that did not authenticate in that period is not listed at all: only a
//! `serviceAccountLastAuthentication` export, with its period, can say
//! that of an account; a key export cannot (the account may authenticate
//! without a key). Google reports days, not times (midnight Pacific
//! time), so a day is all this reader keeps.
//!
//! Activity Analyzer says when an account authenticated, never which
//! permission it used: nothing here tells one permission from another.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::{malformed, not_an_export};
use crate::diag::Diagnostic;
use crate::model::{Date, parse_date};
use crate::source::{FileId, SourceDb};

/// The activity type of service accounts' last authentication.
pub const ACCOUNT_ACTIVITY: &str = "serviceAccountLastAuthentication";
/// The activity type of service account keys' last authentication.
pub const KEY_ACTIVITY: &str = "serviceAccountKeyLastAuthentication";

/// The days over which Google observed authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// The first day observed.
    pub start: Date,
    /// The last day observed.
    pub end: Date,
}

/// One Activity Analyzer export.
#[derive(Clone, Debug)]
pub struct Activities {
    /// The file it was read from.
    pub file: FileId,
    /// Whether it lists service accounts (`serviceAccountLastAuthentication`):
    /// only then does an account's absence mean it did not authenticate.
    pub lists_accounts: bool,
    /// The days every activity of it was observed over (`None`: it has
    /// no activity, or its activities name no common period).
    pub observed: Option<Period>,
    /// The projects its activities are of: ids and numbers.
    pub projects: BTreeSet<String>,
    /// Each service account it lists, by email (lower case): the last day
    /// it authenticated.
    pub accounts: BTreeMap<String, Option<Date>>,
    /// Each service account a listed key belongs to, by email: the last
    /// day one of its keys authenticated.
    pub keys: BTreeMap<String, Option<Date>>,
}

/// One activity as the API writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawActivity {
    activity_type: String,
    full_resource_name: String,
    activity: RawDetail,
    observation_period: RawPeriod,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawDetail {
    last_authenticated_time: Option<String>,
    service_account: Option<RawResource>,
    service_account_key: Option<RawResource>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawResource {
    full_resource_name: String,
    /// A string in the API's JSON; a number is taken too.
    project_number: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawPeriod {
    start_time: Option<String>,
    end_time: Option<String>,
}

/// The API's response, as `activities.query` returns it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawResponse {
    activities: Vec<RawActivity>,
}

/// Whether a JSON document is an Activity Analyzer export: a list of
/// activities (an empty list too: what gcloud prints when none were
/// recorded), or a response holding them.
#[must_use]
pub fn recognise(value: &Value) -> bool {
    let is_activity = |v: &Value| v.get("activityType").is_some() && v.get("activity").is_some();
    match value {
        Value::Array(items) => items.iter().all(is_activity),
        Value::Object(map) => map
            .get("activities")
            .and_then(Value::as_array)
            .is_some_and(|items| items.iter().all(is_activity)),
        _ => false,
    }
}

/// Read one Activity Analyzer export.
///
/// # Errors
///
/// When the file does not read as one, at the place it stops reading, or
/// when it holds activities of a type nhi does not read.
pub fn read(db: &SourceDb, file: FileId) -> Result<Activities, Diagnostic> {
    let text = db.get(file).map(|f| f.text().clone()).unwrap_or_default();
    let what = "an Activity Analyzer export";
    let raw = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<RawActivity>>(&text)
            .map_err(|e| malformed(db, file, &e, what))?
    } else {
        serde_json::from_str::<RawResponse>(&text)
            .map_err(|e| malformed(db, file, &e, what))?
            .activities
    };
    let mut out = Activities {
        file,
        lists_accounts: false,
        observed: None,
        projects: BTreeSet::new(),
        accounts: BTreeMap::new(),
        keys: BTreeMap::new(),
    };
    let mut periods = Vec::new();
    for a in raw {
        let is_account = a.activity_type == ACCOUNT_ACTIVITY;
        if !is_account && a.activity_type != KEY_ACTIVITY {
            return Err(not_an_export(
                db,
                file,
                what,
                "it holds activities of another type",
                &format!(
                    "give `gcloud policy-intelligence query-activity --activity-type={ACCOUNT_ACTIVITY}` (or `{KEY_ACTIVITY}`) output, `--format=json`"
                ),
            ));
        }
        periods.push(period(&a.observation_period));
        let resource = a
            .activity
            .service_account
            .as_ref()
            .or(a.activity.service_account_key.as_ref());
        let name = resource.map_or(a.full_resource_name.as_str(), |r| {
            r.full_resource_name.as_str()
        });
        out.projects.extend(project(name));
        out.projects
            .extend(resource.and_then(|r| r.project_number.as_ref().and_then(scalar)));
        let Some(email) = email(name) else {
            continue;
        };
        let last = a.activity.last_authenticated_time.as_deref().and_then(day);
        let seen = if is_account {
            out.lists_accounts = true;
            &mut out.accounts
        } else {
            &mut out.keys
        };
        let entry = seen.entry(email).or_insert(None);
        *entry = (*entry).max(last);
    }
    out.observed = common(&periods);
    Ok(out)
}

/// The period every activity was observed over: the latest start to the
/// earliest end, when each names one and they overlap.
fn common(periods: &[Option<Period>]) -> Option<Period> {
    let mut all = periods.iter();
    let first = (*all.next()?)?;
    all.try_fold(first, |acc, p| {
        let p = (*p)?;
        Some(Period {
            start: acc.start.max(p.start),
            end: acc.end.min(p.end),
        })
    })
    .filter(|p| p.start <= p.end)
}

fn period(raw: &RawPeriod) -> Option<Period> {
    Some(Period {
        start: day(raw.start_time.as_deref()?)?,
        end: day(raw.end_time.as_deref()?)?,
    })
}

/// The day of an RFC 3339 timestamp (`2026-11-20T08:00:00Z`).
fn day(text: &str) -> Option<Date> {
    text.get(..10).and_then(parse_date)
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The project of a full resource name (`//iam.googleapis.com/projects/P/…`).
fn project(full: &str) -> Option<String> {
    let (_, rest) = full.split_once("/projects/")?;
    let id = rest.split('/').next()?;
    (!id.is_empty() && id != "-").then(|| id.to_owned())
}

/// The service account's email in a full resource name
/// (`…/serviceAccounts/EMAIL` or `…/serviceAccounts/EMAIL/keys/ID`),
/// lower case; none when the account is named by its numeric id.
fn email(full: &str) -> Option<String> {
    let (_, rest) = full.split_once("/serviceAccounts/")?;
    let email = rest.split('/').next()?;
    email.contains('@').then(|| email.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_full_resource_names() {
        let key = "//iam.googleapis.com/projects/p-1/serviceAccounts/Builder@p-1.iam.gserviceaccount.com/keys/0a1b";
        assert_eq!(
            email(key).as_deref(),
            Some("builder@p-1.iam.gserviceaccount.com")
        );
        assert_eq!(project(key).as_deref(), Some("p-1"));
        assert_eq!(
            email("//iam.googleapis.com/projects/-/serviceAccounts/1234"),
            None
        );
        assert_eq!(project("//iam.googleapis.com/projects/-/x"), None);
    }

    #[test]
    fn recognises_lists_of_activities_and_responses() {
        let one = serde_json::json!({"activityType": ACCOUNT_ACTIVITY, "activity": {}});
        assert!(recognise(&serde_json::json!([])));
        assert!(recognise(&serde_json::json!([one.clone()])));
        assert!(recognise(&serde_json::json!({"activities": [one]})));
        assert!(!recognise(&serde_json::json!([{"email": "x"}])));
        assert!(!recognise(&serde_json::json!({"ServicesLastAccessed": []})));
    }

    #[test]
    fn the_common_period_is_where_all_overlap() {
        let d = |s: &str| parse_date(s).unwrap();
        let p = |a: &str, b: &str| {
            Some(Period {
                start: d(a),
                end: d(b),
            })
        };
        assert_eq!(
            common(&[p("2026-01-01", "2026-11-20"), p("2026-02-01", "2026-11-21")]),
            p("2026-02-01", "2026-11-20")
        );
        assert_eq!(common(&[p("2026-01-01", "2026-11-20"), None]), None);
        assert_eq!(common(&[]), None);
    }
}
