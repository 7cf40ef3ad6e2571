//! The conditions a grant carries, as tests of the request context: the
//! identity's `context` on everything it does, and each grant's `where`
//! narrowing, approval and time window, in one canonical form so that equal conditions print and
//! compare the same however they were written.

use std::collections::BTreeMap;

use crate::diag::backticked;
use crate::model::{Duration, Grant, Identity, Spanned, Time, time_text};
use crate::source::Loc;
use crate::vocabulary::context::{APPROVED_AT, APPROVED_BY, ENVIRONMENT, NAMESPACE, NOW, REGION};

/// One attribute test of a request's context.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Check {
    /// The context key.
    pub key: String,
    /// What its value must be.
    pub test: Test,
}

/// What a context value must be.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Test {
    /// One of these strings, sorted and without repeats (no value, or an
    /// empty list, never passes).
    OneOf(Vec<String>),
    /// An instant (`now`) at or after `from` and before `until`.
    Between {
        /// The first instant that passes.
        from: Option<Time>,
        /// The first instant that no longer passes.
        until: Option<Time>,
    },
    /// An instant (`approved_at`) at or before the request's `now`, and
    /// less than this long before it.
    Within(Duration),
}

impl Check {
    fn new<'a>(key: &str, values: impl IntoIterator<Item = &'a String>) -> Self {
        let mut values: Vec<String> = values.into_iter().cloned().collect();
        values.sort();
        values.dedup();
        Self {
            key: key.to_owned(),
            test: Test::OneOf(values),
        }
    }

    /// The accepted values of a string test (`None`: a test of instants).
    #[must_use]
    pub fn values(&self) -> Option<&[String]> {
        match &self.test {
            Test::OneOf(values) => Some(values),
            Test::Between { .. } | Test::Within(_) => None,
        }
    }

    /// Whether a context passes the test.
    #[must_use]
    pub fn passes(&self, attributes: &BTreeMap<String, String>) -> bool {
        let Some(value) = attributes.get(&self.key) else {
            return false;
        };
        let time = || crate::model::parse_time(value);
        match &self.test {
            Test::OneOf(values) => values.iter().any(|a| a == value),
            Test::Between { from, until } => {
                time().is_some_and(|t| from.is_none_or(|f| f <= t) && until.is_none_or(|u| t < u))
            }
            Test::Within(d) => {
                let now = attributes
                    .get(NOW)
                    .and_then(|n| crate::model::parse_time(n));
                // as Cedar reads it: approved at the epoch or later, at or
                // before the request, less than `d` before it
                match (time(), now) {
                    (Some(at), Some(now)) => {
                        Time::UNIX_EPOCH <= at
                            && at <= now
                            && now.duration_since(at).as_secs() < secs(*d)
                    }
                    _ => false,
                }
            }
        }
    }

    /// Whether no value can pass.
    #[must_use]
    pub fn is_unsatisfiable(&self) -> bool {
        match &self.test {
            Test::OneOf(values) => values.is_empty(),
            Test::Between {
                from: Some(f),
                until: Some(u),
            } => f >= u,
            Test::Between { .. } | Test::Within(_) => false,
        }
    }

    /// What the test accepts, in words: ``one of `a`, `b` ``, `from …
    /// until …`, ``at most 1h before the request's `now` ``.
    #[must_use]
    pub fn accepts(&self) -> String {
        match &self.test {
            Test::OneOf(values) => {
                format!("one of {}", backticked(values.iter().map(String::as_str)))
            }
            Test::Between { from, until } => {
                let mut parts = Vec::new();
                if let Some(f) = from {
                    parts.push(format!("from {}", time_text(*f)));
                }
                if let Some(u) = until {
                    parts.push(format!("until {}", time_text(*u)));
                }
                parts.join(" ")
            }
            Test::Within(d) => format!("at most {d} before the request's `{NOW}`"),
        }
    }
}

impl Test {
    /// Whether it accepts everything `other` accepts.
    #[must_use]
    pub fn includes(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::OneOf(mine), Self::OneOf(theirs)) => theirs.iter().all(|v| mine.contains(v)),
            (
                Self::Between { from, until },
                Self::Between {
                    from: from2,
                    until: until2,
                },
            ) => {
                let starts = match (from, from2) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(a), Some(b)) => a <= b,
                };
                let ends = match (until, until2) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(a), Some(b)) => a >= b,
                };
                starts && ends
            }
            (Self::Within(a), Self::Within(b)) => a >= b,
            _ => false,
        }
    }
}

/// A duration's seconds as a comparison of instants reads them.
fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Two tests of one key, as one: what both accept.
fn both(a: Test, b: Test) -> Test {
    match (a, b) {
        (Test::OneOf(mut a), Test::OneOf(b)) => {
            a.retain(|v| b.contains(v));
            Test::OneOf(a)
        }
        (
            Test::Between { from, until },
            Test::Between {
                from: from2,
                until: until2,
            },
        ) => Test::Between {
            from: from.max(from2),
            until: match (until, until2) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        },
        (Test::Within(a), Test::Within(b)) => Test::Within(a.min(b)),
        // a key tested as a string and as an instant: nothing passes both
        // (nhi reserves the instant keys, so a checked workspace has none)
        _ => Test::OneOf(Vec::new()),
    }
}

/// A conjunction of checks in canonical form: one check per key (several
/// checks of a key accept what all of them accept), sorted by key, so
/// equal conditions print and compare the same whatever order they were
/// written in.
#[must_use]
pub fn canonical(checks: Vec<Check>) -> Vec<Check> {
    let mut by_key: BTreeMap<String, Test> = BTreeMap::new();
    for check in checks {
        match by_key.entry(check.key) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(check.test);
            }
            std::collections::btree_map::Entry::Occupied(mut e) => {
                let a = std::mem::replace(e.get_mut(), Test::OneOf(Vec::new()));
                *e.get_mut() = both(a, check.test);
            }
        }
    }
    by_key
        .into_iter()
        .map(|(key, test)| Check { key, test })
        .collect()
}

/// Where a condition was written: the grant's `where`, else the identity's
/// `context` (its first value).
#[must_use]
pub fn written(identity: &Identity, grant: &Grant, key: &str) -> Option<Loc> {
    let first = |values: &[Spanned<String>]| values.first().map(|v| v.loc);
    if let Some(values) = grant.conditions.get(key) {
        return first(values);
    }
    match key {
        APPROVED_BY => return grant.terms().approval.as_ref().map(|a| a.loc),
        // the end is what lapses, so what a reader looks for first
        NOW => {
            return grant
                .terms()
                .valid_until
                .as_ref()
                .map(|t| t.loc)
                .or_else(|| grant.terms().valid_from.as_ref().map(|t| t.loc));
        }
        APPROVED_AT => return grant.terms().valid_for.as_ref().map(|d| d.loc),
        _ => {}
    }
    context_written(identity, key)
}

/// Where an identity's `context` sets a key (its first value).
#[must_use]
pub fn context_written(identity: &Identity, key: &str) -> Option<Loc> {
    identity.context.values(key)?.first().map(|v| v.loc)
}

/// The checks an identity's `context` puts on everything it does.
#[must_use]
pub fn context_checks(identity: &Identity) -> Vec<Check> {
    let c = &identity.context;
    let mut checks = Vec::new();
    // an empty list accepts nothing, like every list of accepted values
    for (key, values) in [
        (ENVIRONMENT, &c.environments),
        (REGION, &c.regions),
        (NAMESPACE, &c.namespaces),
    ] {
        if let Some(values) = values {
            checks.push(Check::new(key, values.iter().map(|v| &v.value)));
        }
    }
    for (key, values) in &c.attributes {
        checks.push(Check::new(key, values.iter().map(|v| &v.value)));
    }
    checks
}

/// The checks a grant's `where` narrowing adds.
#[must_use]
pub fn where_checks(grant: &Grant) -> Vec<Check> {
    grant
        .conditions
        .iter()
        .map(|(key, values)| Check::new(key, values.iter().map(|v| &v.value)))
        .chain(
            grant
                .terms()
                .approval
                .iter()
                .map(|team| Check::new(APPROVED_BY, [&team.value])),
        )
        .chain(window_checks(grant))
        .collect()
}

/// The checks a grant's time window adds: `now` in it, and `approved_at`
/// recent enough.
fn window_checks(grant: &Grant) -> impl Iterator<Item = Check> {
    let from = grant.terms().valid_from.as_ref().map(|t| t.value);
    let until = grant.terms().valid_until.as_ref().map(|t| t.value);
    let between = (from.is_some() || until.is_some()).then(|| Check {
        key: NOW.to_owned(),
        test: Test::Between { from, until },
    });
    let within = grant.terms().valid_for.as_ref().map(|d| Check {
        key: APPROVED_AT.to_owned(),
        test: Test::Within(d.value),
    });
    // a window that does not parse holds at no time
    let never = grant.terms().malformed_window.then(|| Check {
        key: NOW.to_owned(),
        test: Test::Between {
            from: Some(Time::MAX),
            until: Some(Time::MIN),
        },
    });
    between.into_iter().chain(within).chain(never)
}

/// A grant's `where` narrowing, canonical.
#[must_use]
pub fn narrowing(grant: &Grant) -> Vec<Check> {
    canonical(where_checks(grant))
}

/// Every condition a grant carries, canonical: the identity's context and
/// the grant's narrowing.
#[must_use]
pub fn conditions(identity: &Identity, grant: &Grant) -> Vec<Check> {
    let mut checks = context_checks(identity);
    checks.extend(where_checks(grant));
    canonical(checks)
}
