//! Where an identity stands in its lifecycle on a given day: when its next
//! review is due and whether that is past or near, and when its purpose
//! ends. The lint rules, `nhi review` and the inventory read the same
//! answers.

use crate::model::{Date, Grant, Guardrails, Identity};

/// How many days ahead "soon" looks when nothing says otherwise.
pub const DEFAULT_WINDOW_DAYS: u32 = 30;

/// The expiry notice window of the guardrails, in whole days
/// (`guardrails.expiry_notice`, else [`DEFAULT_WINDOW_DAYS`]).
#[must_use]
pub fn notice_days(guardrails: &Guardrails) -> u32 {
    guardrails
        .expiry_notice
        .as_ref()
        .map_or(DEFAULT_WINDOW_DAYS, |d| window_days(d.value))
}

/// Where an identity's review stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Review {
    /// The review was due before today.
    Overdue(Date),
    /// The review falls due today or within the window.
    DueSoon(Date),
    /// The next review is further away than the window.
    Scheduled(Date),
    /// A review cycle is set, but no review was ever recorded
    /// (`last_reviewed`): due now.
    NeverReviewed,
    /// No review cycle is set: nobody is asked to look at it again.
    Unscheduled,
}

impl Review {
    /// The date the review is due, where one is known.
    #[must_use]
    pub const fn due(self) -> Option<Date> {
        match self {
            Self::Overdue(d) | Self::DueSoon(d) | Self::Scheduled(d) => Some(d),
            Self::NeverReviewed | Self::Unscheduled => None,
        }
    }
}

/// Where an identity's end of purpose stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Expiry {
    /// It expired on that date (on or before today): it renders to nothing.
    Expired(Date),
    /// It expires within the window.
    Soon(Date),
    /// It expires later.
    Later(Date),
    /// No expiry is set.
    Never,
}

impl Expiry {
    /// The expiry date, where one is set.
    #[must_use]
    pub const fn date(self) -> Option<Date> {
        match self {
            Self::Expired(d) | Self::Soon(d) | Self::Later(d) => Some(d),
            Self::Never => None,
        }
    }
}

/// The last day of a window of `days` starting today (the last date there
/// is, for a window longer than any calendar).
fn horizon(today: Date, days: u32) -> Date {
    jiff::Span::new()
        .try_days(i64::from(days))
        .ok()
        .and_then(|span| today.checked_add(span).ok())
        .unwrap_or(Date::MAX)
}

/// The date the next review is due: the last review plus the cycle.
#[must_use]
pub fn review_due(identity: &Identity) -> Option<Date> {
    let cycle = identity.review_cycle.as_ref()?.value;
    let last = identity.last_reviewed.as_ref()?.value;
    cycle.next_after(last)
}

/// Where the identity's review stands on `today`, "soon" meaning within
/// `days`.
#[must_use]
pub fn review(identity: &Identity, today: Date, days: u32) -> Review {
    if identity.review_cycle.is_none() {
        return Review::Unscheduled;
    }
    match review_due(identity) {
        // a cycle so long that the date overflows: not due in this era
        None if identity.last_reviewed.is_some() => Review::Scheduled(Date::MAX),
        None => Review::NeverReviewed,
        Some(due) if due < today => Review::Overdue(due),
        Some(due) if due <= horizon(today, days) => Review::DueSoon(due),
        Some(due) => Review::Scheduled(due),
    }
}

/// Where the identity's expiry stands on `today`, "soon" meaning within
/// `days`.
#[must_use]
pub fn expiry(identity: &Identity, today: Date, days: u32) -> Expiry {
    match identity.expires.as_ref().map(|e| e.value) {
        None => Expiry::Never,
        Some(d) if d <= today => Expiry::Expired(d),
        Some(d) if d <= horizon(today, days) => Expiry::Soon(d),
        Some(d) => Expiry::Later(d),
    }
}

/// The start of `day`, in UTC: the instant a grant's window is compared
/// with on that day.
#[must_use]
pub fn start_of(day: Date) -> Option<crate::model::Time> {
    day.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// The allowed actions of `identity` whose window ended before `today`
/// began (in UTC): they grant nothing any more. A window that holds at no
/// time is an error of its own (AC007), not an expiry.
pub fn expired_grants(identity: &Identity, today: Date) -> impl Iterator<Item = &Grant> {
    let start = start_of(today);
    identity.allowed.iter().filter(move |g| {
        let empty = g
            .terms()
            .valid_from
            .as_ref()
            .zip(g.terms().valid_until.as_ref())
            .is_some_and(|(f, u)| f.value >= u.value);
        !empty
            && g.terms()
                .valid_until
                .as_ref()
                .zip(start)
                .is_some_and(|(until, start)| until.value <= start)
    })
}

/// The number of days a look-ahead window of `within` covers, counting a
/// part of a day as a whole one (`36h` looks two days ahead), so that a
/// window never ends before the time it was asked to cover.
#[must_use]
pub fn window_days(within: crate::model::Duration) -> u32 {
    u32::try_from(within.as_secs().div_ceil(86_400)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_WINDOW_DAYS, Date, horizon, window_days};
    use crate::model::{Duration, parse_date};

    fn days(text: &str) -> u32 {
        window_days(Duration::parse(text).unwrap())
    }

    #[test]
    fn windows_count_whole_days_rounding_up() {
        assert_eq!(days("30d"), DEFAULT_WINDOW_DAYS);
        assert_eq!(days("8w"), 56);
        assert_eq!(days("1d"), 1);
        assert_eq!(days("36h"), 2);
        assert_eq!(days("1s"), 1);
        // longer than any calendar: the window reaches the last date
        assert_eq!(window_days(Duration::from_secs(u64::MAX / 2)), u32::MAX);
    }

    #[test]
    fn a_window_longer_than_the_calendar_ends_on_the_last_date() {
        let today = parse_date("2026-11-22").unwrap();
        assert_eq!(horizon(today, 30), parse_date("2026-12-22").unwrap());
        // more days than a span can hold, and more than are left
        assert_eq!(horizon(today, u32::MAX), Date::MAX);
        assert_eq!(horizon(today, 7_000_000), Date::MAX);
    }
}
