//! Unused Google Cloud service accounts, from Activity Analyzer.
//!
//! Each identity that lands in Google Cloud is the service account
//! `ACCOUNT_ID@PROJECT.iam.gserviceaccount.com` (the renderer's name, in
//! the target's project). It is `unused-identity` when a
//! `serviceAccountLastAuthentication` export of the project, observed up
//! to today (a day or two late, as Activity Analyzer is), says it last
//! authenticated before the window, or does not list it while observing
//! since the window's start. A key export shows use (a key that
//! authenticated in the window), never its absence.
//!
//! Activity Analyzer says when an account authenticated, not which
//! permission it used: no `unused-action` comes from Google Cloud.

use std::collections::BTreeMap;

use super::{Report, current_from};
use crate::analyse::Analysis;
use crate::analyse::federation::Cloud;
use crate::import::activity::{ACCOUNT_ACTIVITY, Activities, Period};
use crate::model::{Date, GcpTarget, Model};
use crate::source::SourceDb;
use crate::vocabulary::gcp::account_id;

/// The unused service accounts of the workspace's Google Cloud identities
/// since `since`, as of the analysis's day.
#[must_use]
pub fn report(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    target: &GcpTarget,
    exports: &[Activities],
    usage_db: &SourceDb,
    since: Date,
) -> Report {
    let mut report = Report::new(since);
    let project = target.project.value.as_str();
    let ours = |a: &Activities| {
        a.projects.contains(project)
            || target
                .project_number
                .as_ref()
                .is_some_and(|n| a.projects.contains(&n.value))
    };
    for a in exports {
        if a.accounts.is_empty() && a.keys.is_empty() {
            report.notes.push(format!(
                "{}: Activity Analyzer lists no activity, and so no period it observed: nothing is claimed from it",
                usage_db.display_path(a.file)
            ));
        } else if !ours(a) {
            report.unmatched.push(usage_db.display_path(a.file));
        }
    }
    let mine: Vec<&Activities> = exports.iter().filter(|a| ours(a)).collect();
    let today = analysis.today();
    let current = listing(&mine, today);
    if !mine.is_empty() {
        report
            .notes
            .extend(coverage_note(project, current, today, since));
    }
    let last_by_email = seen(&mine);
    for identity in analysis.landing(model, Cloud::Gcp) {
        let name = identity.name.value.to_string();
        let email =
            format!("{}@{project}.iam.gserviceaccount.com", account_id(&name)).to_ascii_lowercase();
        let (listed, last) = last_by_email.get(&email).copied().unwrap_or((false, None));
        if last.is_some_and(|d| d >= since) {
            report.used.insert((name.clone(), None));
            report.covered.push(name);
            continue;
        }
        let Some(observed) = current else {
            continue;
        };
        let detail = if listed {
            format!(
                "Activity Analyzer records `{email}` last authenticating on {}, observed to {}",
                last.map_or_else(|| "no day".to_owned(), |d| d.to_string()),
                observed.end
            )
        } else if observed.start <= since {
            format!(
                "Activity Analyzer records no authentication of `{email}` from {} to {}",
                observed.start, observed.end
            )
        } else {
            continue;
        };
        report.unused_identity(db, identity, last, &detail);
        report.covered.push(name);
    }
    report
}

/// Each service account the exports name, by email: whether an account
/// export lists it, and the last day it or a key of it authenticated.
fn seen(exports: &[&Activities]) -> BTreeMap<String, (bool, Option<Date>)> {
    let mut out: BTreeMap<String, (bool, Option<Date>)> = BTreeMap::new();
    for a in exports {
        for (email, last) in &a.accounts {
            let e = out.entry(email.clone()).or_insert((true, None));
            e.0 = true;
            e.1 = e.1.max(*last);
        }
        for (email, last) in &a.keys {
            let e = out.entry(email.clone()).or_insert((false, None));
            e.1 = e.1.max(*last);
        }
    }
    out
}

/// The period of the current account export that observed longest: one
/// listing service accounts, whose observation ends at most [`super::LAG_DAYS`]
/// before `today`.
fn listing(exports: &[&Activities], today: Date) -> Option<Period> {
    let from = current_from(today);
    exports
        .iter()
        .filter(|a| a.lists_accounts)
        .filter_map(|a| a.observed)
        .filter(|p| p.end >= from)
        .min_by_key(|p| (p.start, std::cmp::Reverse(p.end)))
}

/// What the exports cannot say of the project's accounts, if anything.
fn coverage_note(
    project: &str,
    current: Option<Period>,
    today: Date,
    since: Date,
) -> Option<String> {
    match current {
        None => Some(format!(
            "Google Cloud: no `{ACCOUNT_ACTIVITY}` export of `{project}` observed up to {} or later: no service account is claimed unused",
            current_from(today)
        )),
        Some(p) if p.start > since => Some(format!(
            "Google Cloud: Activity Analyzer observed `{project}` only from {}, after the window starts ({since}): service accounts it does not list are not claimed unused",
            p.start
        )),
        Some(_) => None,
    }
}
