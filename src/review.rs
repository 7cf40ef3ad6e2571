//! The review and expiry calendar: where each identity's review and end of
//! purpose stand on a given day, as one status a reviewer acts on, sorted
//! by urgency. `nhi review` prints it as a table, JSON or CSV.
//!
//! The dates come from [`crate::analyse::lifecycle`]; this module only
//! decides which of the facts that hold is the one to act on, and lays the
//! rows out. Nothing from an identity's `auth` reaches a row.

pub mod usage;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::analyse::Analysis;
use crate::analyse::lifecycle::{self, Expiry, Review};
use crate::model::{Date, Identity, Model, ReviewCycle, State, time_text};
use crate::source::SourceDb;

/// What a reviewer does about an identity. When several hold, the first
/// in this order is the one reported, and rows sort in this order:
///
/// 1. `expired`: its expiry date has passed, so it already renders to
///    nothing, whatever its state; delete it or give it a new date.
/// 2. `revoked`: offboarded; check its objects are gone from every target.
/// 3. `suspended`: quarantined; restore or revoke it.
/// 4. `grant expired`: an allowed action's `valid_until` passed before
///    today; it grants nothing any more, and its entry should go.
/// 5. `overdue`: its review was due before today.
/// 6. `never reviewed`: it has a review cycle but no recorded review.
/// 7. `expiring`: it expires within the window; extend it or let it end
///    (ahead of a routine review, which its end may make moot).
/// 8. `due`: its review falls due within the window.
/// 9. `no review cycle`: nobody will ever be asked to look at it again.
/// 10. `ok`: nothing to do within the window.
///
/// Every row also lists its expired grants, whatever its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Status {
    /// Its expiry date is today or earlier.
    #[serde(rename = "expired")]
    Expired,
    /// Its state is `revoked`.
    #[serde(rename = "revoked")]
    Revoked,
    /// Its state is `suspended`.
    #[serde(rename = "suspended")]
    Suspended,
    /// An allowed action's window ended before today.
    #[serde(rename = "grant expired")]
    GrantExpired,
    /// Its review was due before today.
    #[serde(rename = "overdue")]
    Overdue,
    /// A review cycle is set but no review is recorded.
    #[serde(rename = "never reviewed")]
    NeverReviewed,
    /// It expires within the window.
    #[serde(rename = "expiring")]
    Expiring,
    /// Its review falls due within the window.
    #[serde(rename = "due")]
    Due,
    /// No review cycle is set.
    #[serde(rename = "no review cycle")]
    NoReviewCycle,
    /// Nothing is due within the window.
    #[serde(rename = "ok")]
    Ok,
}

impl Status {
    /// Every status, most urgent first.
    pub const ALL: [Self; 10] = [
        Self::Expired,
        Self::Revoked,
        Self::Suspended,
        Self::GrantExpired,
        Self::Overdue,
        Self::NeverReviewed,
        Self::Expiring,
        Self::Due,
        Self::NoReviewCycle,
        Self::Ok,
    ];

    /// The status as printed.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Suspended => "suspended",
            Self::GrantExpired => "grant expired",
            Self::Overdue => "overdue",
            Self::NeverReviewed => "never reviewed",
            Self::Expiring => "expiring",
            Self::Due => "due",
            Self::NoReviewCycle => "no review cycle",
            Self::Ok => "ok",
        }
    }

    /// Whether a reviewer has something to do about it within the window.
    #[must_use]
    pub const fn needs_attention(self) -> bool {
        !matches!(self, Self::Ok)
    }
}

/// The status of an identity on `today`, looking `days` ahead.
#[must_use]
pub fn status(identity: &Identity, today: Date, days: u32) -> Status {
    let expiry = lifecycle::expiry(identity, today, days);
    if matches!(expiry, Expiry::Expired(_)) {
        return Status::Expired;
    }
    match identity.state.value {
        State::Revoked => return Status::Revoked,
        State::Suspended => return Status::Suspended,
        State::Active => {}
    }
    if lifecycle::expired_grants(identity, today).next().is_some() {
        return Status::GrantExpired;
    }
    match (lifecycle::review(identity, today, days), expiry) {
        (Review::Overdue(_), _) => Status::Overdue,
        (Review::NeverReviewed, _) => Status::NeverReviewed,
        (_, Expiry::Soon(_)) => Status::Expiring,
        (Review::DueSoon(_), _) => Status::Due,
        (Review::Unscheduled, _) => Status::NoReviewCycle,
        (Review::Scheduled(_), _) => Status::Ok,
    }
}

/// One identity's line in the calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row<'a> {
    /// The identity's name.
    pub name: &'a str,
    /// The owning team.
    pub owner: &'a str,
    /// The accountable human, where one is named.
    pub accountable: Option<&'a str>,
    /// The business purpose, where one is written.
    pub purpose: Option<&'a str>,
    /// The date of the last review.
    pub last_reviewed: Option<Date>,
    /// Who did the last review.
    pub reviewer: Option<&'a str>,
    /// How often it is reviewed.
    pub review_cycle: Option<ReviewCycle>,
    /// When the next review is due.
    pub review_due: Option<Date>,
    /// When its purpose ends.
    pub expires: Option<Date>,
    /// Its lifecycle state.
    pub state: State,
    /// What to do about it.
    pub status: Status,
    /// Its file, relative to the workspace root.
    pub file: String,
    /// Its allowed actions whose window ended before today.
    pub expired_grants: Vec<ExpiredGrant<'a>>,
}

/// An allowed action whose window ended: its entry should go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpiredGrant<'a> {
    /// The action.
    pub action: &'a str,
    /// When it ended, `2026-12-31T17:00:00Z`.
    pub ended: String,
    /// The line of its `valid_until` in the identity's file.
    pub line: usize,
}

impl Row<'_> {
    /// The date the status is about: the expiry date for `expired` and
    /// `expiring`, the review due date otherwise.
    #[must_use]
    pub const fn date(&self) -> Option<Date> {
        match self.status {
            Status::Expired | Status::Expiring => self.expires,
            _ => self.review_due,
        }
    }
}

/// The calendar as of one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar<'a> {
    /// The day it is drawn up on.
    pub today: Date,
    /// How many days ahead it looks.
    pub within_days: u32,
    /// Identities in the workspace, listed or not.
    pub total: usize,
    /// Whether every identity is listed, not only those that need
    /// attention.
    pub all: bool,
    /// The rows, most urgent first, then by [`Row::date`] (dated rows
    /// first), then by name.
    pub rows: Vec<Row<'a>>,
}

/// The calendar of a checked workspace on the day of its analysis, looking
/// `within_days` ahead: every identity when `all` is set, otherwise those
/// that need attention.
#[must_use]
pub fn calendar<'a>(
    model: &'a Model,
    analysis: &Analysis,
    db: &SourceDb,
    within_days: u32,
    all: bool,
) -> Calendar<'a> {
    let today = analysis.today();
    let mut rows: Vec<Row<'a>> = model
        .identities
        .values()
        .map(|i| row(i, db, today, within_days))
        .filter(|r| all || r.status.needs_attention())
        .collect();
    rows.sort_by(|a, b| {
        a.status
            .cmp(&b.status)
            .then_with(|| a.date().is_none().cmp(&b.date().is_none()))
            .then_with(|| a.date().cmp(&b.date()))
            .then_with(|| a.name.cmp(b.name))
    });
    Calendar {
        today,
        within_days,
        total: model.identities.len(),
        all,
        rows,
    }
}

fn row<'a>(identity: &'a Identity, db: &SourceDb, today: Date, days: u32) -> Row<'a> {
    Row {
        name: identity.name.value.as_str(),
        owner: &identity.owner.value,
        accountable: identity.accountable.as_ref().map(|h| h.value.as_str()),
        purpose: identity.purpose.as_ref().map(|p| p.value.as_str()),
        last_reviewed: identity.last_reviewed.as_ref().map(|d| d.value),
        reviewer: identity.reviewer.as_ref().map(|r| r.value.as_str()),
        review_cycle: identity.review_cycle.as_ref().map(|c| c.value),
        review_due: lifecycle::review_due(identity),
        expires: identity.expires.as_ref().map(|e| e.value),
        state: identity.state.value,
        status: status(identity, today, days),
        file: db.display_path(identity.file),
        expired_grants: lifecycle::expired_grants(identity, today)
            .filter_map(|g| {
                let until = g.terms().valid_until.as_ref()?;
                Some(ExpiredGrant {
                    action: &g.action.value,
                    ended: time_text(until.value),
                    line: db.line_col(until.loc).line,
                })
            })
            .collect(),
    }
}

impl Calendar<'_> {
    /// How many listed rows have each status, most urgent first, leaving
    /// out those with none.
    #[must_use]
    pub fn counts(&self) -> Vec<(Status, usize)> {
        let mut counts: BTreeMap<Status, usize> = BTreeMap::new();
        for r in &self.rows {
            *counts.entry(r.status).or_default() += 1;
        }
        counts.into_iter().collect()
    }

    /// The last line of the table: how many rows of each status.
    #[must_use]
    pub fn summary(&self) -> String {
        let counts: Vec<String> = self
            .counts()
            .iter()
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect();
        let identities = plural(self.total, "identity", "identities");
        let days = plural(
            usize::try_from(self.within_days).unwrap_or(usize::MAX),
            "day",
            "days",
        );
        if self.all {
            let mut line = format!("{identities} as of {}, looking {days} ahead", self.today);
            if !counts.is_empty() {
                let _ = write!(line, ": {}", counts.join(", "));
            }
            return line;
        }
        let when = format!("within {days} of {}", self.today);
        if self.rows.is_empty() {
            return format!("nothing needs attention {when} ({identities} ok)");
        }
        let verb = if self.rows.len() == 1 {
            "needs"
        } else {
            "need"
        };
        format!(
            "{} of {identities} {verb} attention {when}: {}",
            self.rows.len(),
            counts.join(", ")
        )
    }

    /// Aligned columns under a header (none when no row is listed), then
    /// the summary line.
    #[must_use]
    pub fn table(&self) -> String {
        const HEADER: [&str; 10] = [
            "STATUS",
            "NAME",
            "OWNER",
            "ACCOUNTABLE",
            "LAST REVIEWED",
            "CYCLE",
            "DUE",
            "EXPIRES",
            "STATE",
            "FILE",
        ];
        let mut lines: Vec<[String; 10]> = Vec::new();
        if !self.rows.is_empty() {
            lines.push(HEADER.map(str::to_owned));
        }
        lines.extend(self.rows.iter().map(|r| {
            [
                r.status.as_str().to_owned(),
                cell(Some(r.name)),
                cell(Some(r.owner)),
                cell(r.accountable),
                cell(date(r.last_reviewed).as_deref()),
                cell(r.review_cycle.map(|c| c.to_string()).as_deref()),
                cell(date(r.review_due).as_deref()),
                cell(date(r.expires).as_deref()),
                r.state.as_str().to_owned(),
                cell(Some(&r.file)),
            ]
        }));
        let mut widths = [0_usize; 10];
        for line in &lines {
            for (w, c) in widths.iter_mut().zip(line) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        for line in &lines {
            let mut text = String::new();
            for (c, w) in line.iter().zip(widths) {
                let _ = write!(text, "{c:<w$}  ");
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        for r in &self.rows {
            for g in &r.expired_grants {
                let _ = writeln!(
                    out,
                    "{}:{}: `{}` of `{}` ended at {}: remove the entry",
                    cell(Some(&r.file)),
                    g.line,
                    cell(Some(g.action)),
                    cell(Some(r.name)),
                    g.ended
                );
            }
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// One JSON document, version 1.
    #[must_use]
    pub fn json(&self) -> String {
        let doc = JsonCalendar {
            version: 1,
            today: self.today.to_string(),
            within_days: self.within_days,
            identities: self.rows.iter().map(JsonRow::from).collect(),
        };
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }

    /// A header row and one row per identity (RFC 4180). Text that a
    /// spreadsheet would read as a formula (`=`, `+`, `-`, `@` first) is
    /// prefixed with `'`, and control characters other than line breaks
    /// are replaced, so no field can run code or rewrite a terminal.
    ///
    /// # Errors
    ///
    /// Never in practice: the rows are written to memory.
    pub fn csv(&self) -> std::io::Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(CSV_HEADER)?;
        for r in &self.rows {
            let j = JsonRow::from(r);
            let fields = [
                Some(j.name.to_owned()),
                Some(j.owner.to_owned()),
                j.accountable.map(str::to_owned),
                j.purpose.map(str::to_owned),
                j.last_reviewed,
                j.reviewer.map(str::to_owned),
                j.review_cycle,
                j.review_due,
                j.expires,
                Some(j.state.as_str().to_owned()),
                Some(j.status.as_str().to_owned()),
                Some(j.file.to_owned()),
                Some(
                    j.expired_grants
                        .iter()
                        .map(|g| format!("{} (ended {}, line {})", g.action, g.ended, g.line))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
                .filter(|s| !s.is_empty()),
            ];
            w.write_record(fields.iter().map(|f| spreadsheet_safe(f.as_deref())))?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The CSV columns: the JSON field names, in the same order.
const CSV_HEADER: [&str; 13] = [
    "name",
    "owner",
    "accountable",
    "purpose",
    "last_reviewed",
    "reviewer",
    "review_cycle",
    "review_due",
    "expires",
    "state",
    "status",
    "file",
    "expired_grants",
];

#[derive(Serialize)]
struct JsonCalendar<'a> {
    version: u32,
    today: String,
    within_days: u32,
    identities: Vec<JsonRow<'a>>,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    name: &'a str,
    owner: &'a str,
    accountable: Option<&'a str>,
    purpose: Option<&'a str>,
    last_reviewed: Option<String>,
    reviewer: Option<&'a str>,
    review_cycle: Option<String>,
    review_due: Option<String>,
    expires: Option<String>,
    state: State,
    status: Status,
    file: &'a str,
    expired_grants: &'a [ExpiredGrant<'a>],
}

impl<'a> From<&'a Row<'_>> for JsonRow<'a> {
    fn from(r: &'a Row<'_>) -> Self {
        Self {
            name: r.name,
            owner: r.owner,
            accountable: r.accountable,
            purpose: r.purpose,
            last_reviewed: date(r.last_reviewed),
            reviewer: r.reviewer,
            review_cycle: r.review_cycle.map(|c| c.to_string()),
            review_due: date(r.review_due),
            expires: date(r.expires),
            state: r.state,
            status: r.status,
            file: &r.file,
            expired_grants: &r.expired_grants,
        }
    }
}

fn date(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

/// A table cell: control characters cannot move the cursor or break the
/// line, and a missing value shows as `-`.
fn cell(s: Option<&str>) -> String {
    s.map_or_else(
        || "-".to_owned(),
        |s| {
            s.chars()
                .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                .collect()
        },
    )
}

fn spreadsheet_safe(s: Option<&str>) -> String {
    let Some(s) = s else {
        return String::new();
    };
    crate::render::inventory::spreadsheet_cell(&crate::source::without_controls(s))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::{Status, calendar};
    use crate::check::{self, Checked};
    use crate::load::LoadOptions;
    use crate::load::source::Memory;
    use crate::model::parse_date;

    const TODAY: &str = "2026-11-22";

    /// A workspace of identities given as `(name, extra YAML lines)`.
    fn workspace(identities: &[(&str, &str)]) -> Checked {
        checked(identities.iter().map(|(name, extra)| {
            let text = format!(
                "agent: {name}\nowner: platform-team\nauth: oidc_short_lived_token\n{extra}"
            );
            (format!("identities/{name}.yaml"), text)
        }))
    }

    fn checked(files: impl IntoIterator<Item = (String, String)>) -> Checked {
        let files: BTreeMap<PathBuf, Vec<u8>> = files
            .into_iter()
            .map(|(path, text)| (PathBuf::from(path), text.into_bytes()))
            .collect();
        let source = Memory::new(PathBuf::from("ws"), files);
        let checked =
            check::source(&source, LoadOptions::default(), parse_date(TODAY).unwrap()).unwrap();
        assert!(
            !checked.diagnostics.has_errors(),
            "{:?}",
            checked.diagnostics
        );
        checked
    }

    fn statuses(c: &Checked, days: u32) -> Vec<(String, Status)> {
        calendar(&c.model, &c.analysis, &c.db, days, true)
            .rows
            .iter()
            .map(|r| (r.name.to_owned(), r.status))
            .collect()
    }

    const QUARTERLY: &str = "review_cycle: quarterly\n";

    #[test]
    fn each_status_and_the_first_that_holds_wins() {
        let c = workspace(&[
            // expired beats its suspension and its overdue review
            (
                "a-expired",
                "state: suspended\nreview_cycle: monthly\nlast_reviewed: 2026-01-01\nexpires: 2026-11-22\n",
            ),
            (
                "b-revoked",
                "state: revoked\nreview_cycle: monthly\nlast_reviewed: 2026-01-01\n",
            ),
            ("c-suspended", "state: suspended\n"),
            // overdue beats expiring
            (
                "d-overdue",
                "review_cycle: monthly\nlast_reviewed: 2026-10-01\nexpires: 2026-12-01\n",
            ),
            ("e-never", QUARTERLY),
            // expiring beats a review due in the window
            (
                "f-expiring",
                "review_cycle: monthly\nlast_reviewed: 2026-11-01\nexpires: 2026-11-23\n",
            ),
            // due today is due, not overdue
            (
                "g-due",
                "review_cycle: monthly\nlast_reviewed: 2026-10-22\n",
            ),
            ("h-unscheduled", "expires: 2027-06-01\n"),
            (
                "i-ok",
                "review_cycle: annual\nlast_reviewed: 2026-06-01\nexpires: 2027-06-01\n",
            ),
        ]);
        let got = statuses(&c, 30);
        let want = [
            ("a-expired", Status::Expired),
            ("b-revoked", Status::Revoked),
            ("c-suspended", Status::Suspended),
            ("d-overdue", Status::Overdue),
            ("e-never", Status::NeverReviewed),
            ("f-expiring", Status::Expiring),
            ("g-due", Status::Due),
            ("h-unscheduled", Status::NoReviewCycle),
            ("i-ok", Status::Ok),
        ];
        assert_eq!(
            got,
            want.map(|(n, s)| (n.to_owned(), s)).to_vec(),
            "rows sort in the order of the statuses"
        );
    }

    #[test]
    fn rows_sort_by_urgency_then_the_date_acted_on_then_name() {
        let c = workspace(&[
            ("a", "review_cycle: monthly\nlast_reviewed: 2026-11-10\n"),
            ("b", "review_cycle: monthly\nlast_reviewed: 2026-11-01\n"),
            ("c", "review_cycle: monthly\nlast_reviewed: 2026-11-01\n"),
            (
                "d",
                "review_cycle: monthly\nlast_reviewed: 2026-11-10\nexpires: 2026-12-20\n",
            ),
            (
                "e",
                "review_cycle: monthly\nlast_reviewed: 2026-11-10\nexpires: 2026-12-01\n",
            ),
        ]);
        let names: Vec<String> = statuses(&c, 30).into_iter().map(|(n, _)| n).collect();
        // expiring by expiry date, then due by due date, ties by name
        assert_eq!(names, ["e", "d", "b", "c", "a"]);
    }

    #[test]
    fn the_window_decides_what_is_due_and_expiring() {
        let c = workspace(&[
            (
                "due-in-ten",
                "review_cycle: monthly\nlast_reviewed: 2026-11-02\n",
            ),
            (
                "ends-in-ten",
                "expires: 2026-12-02\nreview_cycle: annual\nlast_reviewed: 2026-11-01\n",
            ),
        ]);
        let short = statuses(&c, 7);
        assert!(short.iter().all(|(_, s)| *s == Status::Ok), "{short:?}");
        let long = statuses(&c, 10);
        assert_eq!(
            long,
            [
                ("ends-in-ten".to_owned(), Status::Expiring),
                ("due-in-ten".to_owned(), Status::Due)
            ]
        );
    }

    #[test]
    fn by_default_only_what_needs_attention_is_listed() {
        let c = workspace(&[
            ("fine", "review_cycle: annual\nlast_reviewed: 2026-11-01\n"),
            ("late", "review_cycle: monthly\nlast_reviewed: 2026-01-01\n"),
        ]);
        let cal = calendar(&c.model, &c.analysis, &c.db, 30, false);
        assert_eq!(cal.rows.len(), 1);
        assert_eq!(cal.total, 2);
        insta::assert_snapshot!(cal.table(), @r"
        STATUS   NAME  OWNER          ACCOUNTABLE  LAST REVIEWED  CYCLE    DUE         EXPIRES  STATE   FILE
        overdue  late  platform-team  -            2026-01-01     monthly  2026-02-01  -        active  identities/late.yaml
        1 of 2 identities needs attention within 30 days of 2026-11-22: 1 overdue
        ");
        let cal = calendar(&c.model, &c.analysis, &c.db, 1, true);
        assert!(
            cal.table().ends_with(
                "\n2 identities as of 2026-11-22, looking 1 day ahead: 1 overdue, 1 ok\n"
            )
        );
    }

    #[test]
    fn an_empty_calendar_says_so_without_a_header() {
        let c = workspace(&[("fine", "review_cycle: annual\nlast_reviewed: 2026-11-01\n")]);
        let cal = calendar(&c.model, &c.analysis, &c.db, 30, false);
        insta::assert_snapshot!(cal.table(), @"nothing needs attention within 30 days of 2026-11-22 (1 identity ok)");
        let json: serde_json::Value = serde_json::from_str(&cal.json()).unwrap();
        assert_eq!(json["identities"], serde_json::json!([]));
        assert_eq!(cal.csv().unwrap().lines().count(), 1, "the header alone");
    }

    #[test]
    fn csv_fields_cannot_become_formulas_or_escape_codes() {
        let c = workspace(&[(
            "odd",
            "purpose: \"=HYPERLINK(\\\"http://x\\\")\\u001b[2J, then\\nmore\"\nreview_cycle: monthly\n",
        )]);
        let cal = calendar(&c.model, &c.analysis, &c.db, 30, false);
        let csv = cal.csv().unwrap();
        assert!(!csv.contains('\u{1b}'));
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(
            record.get(3),
            Some("'=HYPERLINK(\"http://x\")\u{fffd}[2J, then\nmore")
        );
    }

    #[test]
    fn a_table_cell_cannot_break_its_line() {
        // with no teams declared, an owner is any text
        let c = checked([(
            "identities/odd.yaml".to_owned(),
            "agent: odd\nowner: \"plat\\nform\\u001b[31m\"\nauth: oidc\n".to_owned(),
        )]);
        let table = calendar(&c.model, &c.analysis, &c.db, 30, false).table();
        assert_eq!(table.lines().count(), 3, "{table}");
        assert!(!table.contains('\u{1b}'));
        assert!(table.contains("plat\u{fffd}form\u{fffd}[31m"));
    }
}
