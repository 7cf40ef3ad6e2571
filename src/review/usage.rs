//! Unused access, from what the clouds record: each allowed action none of
//! whose permissions was used within the window (OWASP NHI5, overprivileged
//! NHI), and each identity that used nothing at all (NHI1, improper
//! offboarding), at the line of the file to remove.
//!
//! AWS: IAM Access Advisor (`aws iam get-service-last-accessed-details`,
//! its job generated with `--granularity ACTION_LEVEL`) says when each
//! service the principal may use, and each tracked action of it, was last
//! used; the credential report says when a user last used a key or its
//! password. An action counts as unused only when the report can tell: its
//! service is in the report, and either nothing of the service was used in
//! the window, or the service's actions are tracked and none matching the
//! action's permissions was. Where the report cannot tell (a service
//! tracked only as a whole and used), nothing is claimed.
//!
//! Google Cloud ([`gcp`]): Activity Analyzer says when each service account
//! last authenticated, never which permission it used, so it shows unused
//! identities only, never an unused action. Kubernetes ([`kubernetes`]):
//! the API server's audit log shows each request of each ServiceAccount,
//! matched against the RBAC rules of each allowed action; only logs that
//! cover the whole window claim anything.
//!
//! Files are recognised by their content ([`exports`]), and clouds mix in
//! one run ([`combine`]): what one export shows used is never reported
//! unused on another's word, and what no export can tell is said in the
//! report's notes, not guessed.

pub mod exports;
pub mod gcp;
pub mod kubernetes;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analyse::Analysis;
use crate::import::aws::{AccessAdvisor, Usage};
use crate::model::{AwsTarget, Date, Identity, Model};
use crate::render::aws;
use crate::source::SourceDb;
use crate::vocabulary::glob;

/// What a finding says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finding {
    /// An identity that used nothing in the window.
    UnusedIdentity,
    /// An allowed action none of whose permissions was used.
    UnusedAction,
}

impl Finding {
    /// The stable name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UnusedIdentity => "unused-identity",
            Self::UnusedAction => "unused-action",
        }
    }

    /// The OWASP NHI Top 10 risk it is evidence of.
    #[must_use]
    pub const fn owasp(self) -> &'static str {
        match self {
            Self::UnusedIdentity => "NHI1",
            Self::UnusedAction => "NHI5",
        }
    }
}

/// One unused grant or identity, at its line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unused {
    /// The identity.
    pub identity: String,
    /// What is unused.
    pub finding: Finding,
    /// The allowed action (for `unused-action`).
    pub action: Option<String>,
    /// The identity's file.
    pub file: String,
    /// The line to remove (1-based).
    pub line: usize,
    /// Its column (1-based).
    pub column: usize,
    /// The last day it was used, if ever.
    pub last_used: Option<String>,
    /// What the report says, in a sentence.
    pub detail: String,
}

/// Unused access, and what the reports could not be matched to.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The first day of the window.
    pub since: String,
    /// Every finding, by identity and line.
    pub unused: Vec<Unused>,
    /// Identities the reports cover.
    pub covered: Vec<String>,
    /// Reports naming no identity of the workspace (an Access Advisor
    /// report of no identity, an Activity Analyzer export of another
    /// project), by file.
    pub unmatched: Vec<String>,
    /// What the reports could not tell, and so where nothing is claimed.
    pub notes: Vec<String>,
    /// What the reports show used in the window: an identity (no action),
    /// or one of its actions.
    #[serde(skip)]
    pub used: BTreeSet<(String, Option<String>)>,
}

/// How many days before today an export may end and still count as
/// current: Activity Analyzer reports a day late, and audit logs reach a
/// collector with a delay.
pub const LAG_DAYS: i64 = 2;

/// The earliest day an export current on `today` may end.
fn current_from(today: Date) -> Date {
    today
        .checked_sub(jiff::Span::new().days(LAG_DAYS))
        .unwrap_or(today)
}

/// The unused access of the workspace's AWS identities since `since`.
#[must_use]
pub fn aws(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    target: &AwsTarget,
    usage: &Usage,
    usage_db: &SourceDb,
    since: Date,
) -> Report {
    let mut report = Report {
        since: since.to_string(),
        ..Report::default()
    };
    let principals = aws::principals(model, analysis, db).unwrap_or_default();
    // each rendered principal by its ARN and by its names
    let mut by_arn: BTreeMap<String, &str> = BTreeMap::new();
    let mut by_name: BTreeMap<String, &str> = BTreeMap::new();
    for p in &principals {
        let kind = if p.trust.is_some() { "role" } else { "user" };
        let name = p.iam_name(target);
        by_arn.insert(
            format!(
                "arn:aws:iam::{}:{kind}{}{name}",
                target.account_id.value,
                p.path()
            ),
            p.name.as_str(),
        );
        by_name.insert(name, p.name.as_str());
        by_name.insert(p.name.clone(), p.name.as_str());
    }
    for advisor in &usage.advisor {
        let whose = advisor
            .entities
            .iter()
            .find_map(|e| by_arn.get(e))
            .or_else(|| by_name.get(&advisor.stem));
        let Some(identity) = whose.and_then(|n| model.identities.get(*n)) else {
            report.unmatched.push(usage_db.display_path(advisor.file));
            continue;
        };
        report.covered.push(identity.name.value.to_string());
        report.unused.extend(unused(
            model,
            db,
            identity,
            advisor,
            since,
            &mut report.used,
        ));
    }
    for p in principals.iter().filter(|p| p.trust.is_none()) {
        let Some((_, last)) = usage.users.get(&p.iam_name(target)) else {
            continue;
        };
        let Some(identity) = model.identities.get(p.name.as_str()) else {
            continue;
        };
        if last.is_some_and(|d| d >= since) {
            report.used.insert((identity.name.value.to_string(), None));
        } else {
            report.unused.push(identity_finding(
                db,
                identity,
                *last,
                "the credential report records no use of its keys in the window",
            ));
        }
    }
    report.unused.sort();
    report.unused.dedup_by(|a, b| {
        a.identity == b.identity
            && a.finding == Finding::UnusedIdentity
            && b.finding == Finding::UnusedIdentity
    });
    report.covered.sort();
    report.covered.dedup();
    report
}

fn identity_finding(
    db: &SourceDb,
    identity: &Identity,
    last: Option<Date>,
    detail: &str,
) -> Unused {
    Unused {
        identity: identity.name.value.to_string(),
        finding: Finding::UnusedIdentity,
        action: None,
        file: db.display_path(identity.file),
        line: db.line_col(identity.name.loc).line,
        column: db.line_col(identity.name.loc).column,
        last_used: last.map(|d| d.to_string()),
        detail: detail.to_owned(),
    }
}

/// What one Access Advisor report shows unused of one identity; what it
/// shows used goes to `used`.
fn unused(
    model: &Model,
    db: &SourceDb,
    identity: &Identity,
    advisor: &AccessAdvisor,
    since: Date,
    used_in_window: &mut BTreeSet<(String, Option<String>)>,
) -> Vec<Unused> {
    let mut out = Vec::new();
    let name = identity.name.value.to_string();
    let recent = |d: &Option<Date>| d.is_some_and(|d| d >= since);
    let last_any = advisor.services.iter().filter_map(|s| s.last).max();
    if advisor.services.iter().any(|s| recent(&s.last)) {
        used_in_window.insert((name.clone(), None));
    } else {
        out.push(identity_finding(
            db,
            identity,
            last_any,
            "Access Advisor records no use of any service in the window",
        ));
    }
    let catalogue = model.settings.actions.as_ref();
    for grant in &identity.allowed {
        let Some(mapping) = catalogue
            .and_then(|c| c.get(&grant.action.value))
            .and_then(|a| a.aws.as_ref())
            .filter(|m| !m.actions.is_empty())
        else {
            continue;
        };
        let mut last: Option<Date> = None;
        let mut decided = true;
        let mut used = false;
        for pattern in &mapping.actions {
            let pattern = pattern.value.as_str();
            let namespace = pattern.split(':').next().unwrap_or_default();
            let services: Vec<_> = advisor
                .services
                .iter()
                .filter(|s| glob::matches(namespace, &s.namespace, true))
                .collect();
            if services.is_empty() {
                decided = false;
                continue;
            }
            for s in services {
                match &s.actions {
                    Some(tracked) if advisor.action_level => {
                        for (_, when) in tracked
                            .iter()
                            .filter(|(a, _)| glob::matches(pattern, a, true))
                        {
                            last = last.max(*when);
                            used |= recent(when);
                        }
                    }
                    _ => {
                        last = last.max(s.last);
                        if recent(&s.last) {
                            // used, but whether this action was, it cannot say
                            decided = false;
                        }
                    }
                }
            }
        }
        if used {
            used_in_window.insert((name.clone(), Some(grant.action.value.clone())));
        }
        if !used && decided {
            out.push(Unused {
                identity: identity.name.value.to_string(),
                finding: Finding::UnusedAction,
                action: Some(grant.action.value.clone()),
                file: db.display_path(identity.file),
                line: db.line_col(grant.action.loc).line,
                column: db.line_col(grant.action.loc).column,
                last_used: last.map(|d| d.to_string()),
                detail: format!(
                    "none of {} was used since {since}",
                    crate::diag::backticked(mapping.actions.iter().map(|a| a.value.as_str()))
                ),
            });
        }
    }
    out
}

/// One report of what several say, each from one cloud's exports: what
/// one shows used is not reported unused on another's word (it becomes a
/// note), and the same finding from two clouds is one, with both details.
#[must_use]
pub fn combine(since: Date, reports: Vec<Report>) -> Report {
    let mut out = Report::new(since);
    let mut found: Vec<Unused> = Vec::new();
    for r in reports {
        found.extend(r.unused);
        out.covered.extend(r.covered);
        out.unmatched.extend(r.unmatched);
        out.notes.extend(r.notes);
        out.used.extend(r.used);
    }
    for u in found {
        if out.used.contains(&(u.identity.clone(), u.action.clone())) {
            out.notes.push(format!(
                "{}:{}: `{}`{} is not claimed unused: {}, but another export shows it used since {since}",
                u.file,
                u.line,
                u.identity,
                u.action
                    .as_ref()
                    .map(|a| format!(" `{a}`"))
                    .unwrap_or_default(),
                u.detail
            ));
            continue;
        }
        let same = out
            .unused
            .iter_mut()
            .find(|o| o.identity == u.identity && o.finding == u.finding && o.action == u.action);
        match same {
            Some(o) if o.detail != u.detail => {
                o.detail = format!("{}; {}", o.detail, u.detail);
                o.last_used = o.last_used.clone().max(u.last_used);
            }
            Some(_) => {}
            None => out.unused.push(u),
        }
    }
    out.unused.sort();
    out.covered.sort();
    out.covered.dedup();
    out.unmatched.sort();
    out.unmatched.dedup();
    let mut seen = BTreeSet::new();
    out.notes.retain(|n| seen.insert(n.clone()));
    out
}

impl Report {
    /// An empty report of the window starting on `since`.
    #[must_use]
    pub fn new(since: Date) -> Self {
        Self {
            since: since.to_string(),
            ..Self::default()
        }
    }

    /// A finding that `identity` used nothing, at its name.
    fn unused_identity(
        &mut self,
        db: &SourceDb,
        identity: &Identity,
        last: Option<Date>,
        detail: &str,
    ) {
        self.unused
            .push(identity_finding(db, identity, last, detail));
    }

    /// A finding that `identity` did not use an allowed action, at the
    /// action's entry.
    fn unused_action(
        &mut self,
        db: &SourceDb,
        identity: &Identity,
        action: &crate::source::Spanned<String>,
        last: Option<Date>,
        detail: String,
    ) {
        self.unused.push(Unused {
            identity: identity.name.value.to_string(),
            finding: Finding::UnusedAction,
            action: Some(action.value.clone()),
            file: db.display_path(identity.file),
            line: db.line_col(action.loc).line,
            column: db.line_col(action.loc).column,
            last_used: last.map(|d| d.to_string()),
            detail,
        });
    }

    /// Aligned columns and a summary line.
    #[must_use]
    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for u in &self.unused {
            let _ = writeln!(
                out,
                "{}:{}:{}: {} {} ({}){} — {}; last used {}",
                u.file,
                u.line,
                u.column,
                u.finding.as_str(),
                u.identity,
                u.finding.owasp(),
                u.action
                    .as_ref()
                    .map(|a| format!(" `{a}`"))
                    .unwrap_or_default(),
                u.detail,
                u.last_used.as_deref().unwrap_or("never")
            );
        }
        let _ = writeln!(
            out,
            "{} unused since {}, over {} identities the reports cover{}",
            self.unused.len(),
            self.since,
            self.covered.len(),
            if self.unmatched.is_empty() {
                String::new()
            } else {
                format!(
                    "; reports naming no identity: {}",
                    self.unmatched.join(", ")
                )
            }
        );
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        crate::source::without_controls(&out)
    }

    /// One JSON document (`version: 1`).
    #[must_use]
    pub fn json(&self) -> String {
        let doc = serde_json::json!({
            "version": 1,
            "since": self.since,
            "covered": self.covered,
            "unmatched": self.unmatched,
            "notes": self.notes,
            "unused": self.unused,
        });
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }

    /// A header row and one row per finding (RFC 4180).
    ///
    /// # Errors
    ///
    /// When the CSV writer fails.
    pub fn csv(&self) -> std::io::Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "finding",
            "identity",
            "action",
            "file",
            "line",
            "column",
            "last_used",
            "detail",
        ])?;
        for u in &self.unused {
            w.write_record([
                u.finding.as_str(),
                &u.identity,
                u.action.as_deref().unwrap_or(""),
                &u.file,
                &u.line.to_string(),
                &u.column.to_string(),
                u.last_used.as_deref().unwrap_or(""),
                &u.detail,
            ])?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
