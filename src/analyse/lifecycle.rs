//! Where an identity stands in its lifecycle on a given day: when its next
//! review is due and whether that is past or near, and when its purpose
//! ends. The lint rules, `nhi review` and the inventory read the same
//! answers.

use crate::model::{Date, Identity};

/// How many days ahead "soon" looks when nothing says otherwise.
pub const DEFAULT_WINDOW_DAYS: u32 = 30;

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

/// The last day of a window of `days` starting today.
fn horizon(today: Date, days: u32) -> Date {
    today
        .checked_add(jiff::Span::new().days(i64::from(days)))
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
