//! Lifecycle rules: an identity is reviewed on its cycle and ends when its
//! purpose does, and a time-boxed grant goes when its window ends (OWASP
//! NHI1, improper offboarding).

use crate::analyse::lifecycle::{self, Expiry, Review};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Date, Identity, time_text};

use super::LintContext;

/// Report overdue and missing reviews, and expired and expiring identities.
pub fn check(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    let today = cx.analysis.today();
    let notice = lifecycle::notice_days(&cx.model.settings.guardrails);
    expiry(identity, today, notice, out);
    // a revoked or expired identity has no access left to review
    if cx.analysis.renders(identity) {
        review(identity, today, out);
        expired_grants(identity, today, out);
    }
}

fn review(identity: &Identity, today: Date, out: &mut Diagnostics) {
    let name = &identity.name;
    match lifecycle::review(identity, today, 0) {
        Review::Overdue(due) => {
            let mut d = Diagnostic::new(
                Code::ReviewOverdue,
                format!("the review of `{}` is overdue since {due}", name.value),
            );
            if let Some(last) = &identity.last_reviewed {
                d = d.primary(last.loc, format!("last reviewed {}", last.value));
            }
            if let Some(cycle) = &identity.review_cycle {
                d = d.secondary(cycle.loc, format!("reviewed {}", cycle.value));
            }
            out.push(d.help(format!(
                "review what `{}` may do and whether it is still needed, then set `last_reviewed` to the day of the review",
                name.value
            )));
        }
        // a malformed value was reported where it is written
        Review::NeverReviewed if identity.unreadable.contains("last_reviewed") => {}
        Review::Unscheduled if identity.unreadable.contains("review_cycle") => {}
        Review::NeverReviewed => {
            let mut d = Diagnostic::new(
                Code::ReviewMissing,
                format!("`{}` has never been reviewed", name.value),
            );
            if let Some(cycle) = &identity.review_cycle {
                d = d.primary(cycle.loc, "a cycle, but no `last_reviewed`");
            }
            out.push(d.help(
                "record the last review (`last_reviewed: YYYY-MM-DD`, and `reviewer`); a new identity counts its creation as its first review",
            ));
        }
        Review::Unscheduled => out.push(
            Diagnostic::new(
                Code::ReviewMissing,
                format!("`{}` has no review cycle: nobody is asked to look at it again", name.value),
            )
            .primary(name.loc, "no `review_cycle`")
            .help("add `review_cycle: quarterly` (or `monthly`, `semiannual`, `annual`, `90d`) and `last_reviewed`"),
        ),
        Review::DueSoon(_) | Review::Scheduled(_) => {}
    }
}

fn expired_grants(identity: &Identity, today: Date, out: &mut Diagnostics) {
    for grant in lifecycle::expired_grants(identity, today) {
        let Some(until) = &grant.terms().valid_until else {
            continue;
        };
        out.push(
            Diagnostic::new(
                Code::GrantExpired,
                format!(
                    "the window of `{}` of `{}` ended at {}: its entry should go",
                    grant.action.value,
                    identity.name.value,
                    time_text(until.value)
                ),
            )
            .primary(until.loc, "ended")
            .help("remove it: Cedar, AWS and Google Cloud refuse the action from then on, but a target that cannot hold it to the window (TG011) grants it still; grant it again, with a new window, if it is needed again"),
        );
    }
}

fn expiry(identity: &Identity, today: Date, notice: u32, out: &mut Diagnostics) {
    let Some(expires) = &identity.expires else {
        return;
    };
    match lifecycle::expiry(identity, today, notice) {
        Expiry::Expired(date) => out.push(
            Diagnostic::new(
                Code::IdentityExpired,
                format!(
                    "`{}` expired on {date}: it renders to nothing",
                    identity.name.value
                ),
            )
            .primary(expires.loc, "expired")
            .help("offboard it: remove the file (Git keeps its history), or move `expires` if its purpose continues"),
        ),
        Expiry::Soon(date) => {
            let days = (date - today).get_days();
            out.push(
                Diagnostic::new(
                    Code::IdentityExpiring,
                    format!(
                        "`{}` expires on {date}, in {days} day{}",
                        identity.name.value,
                        if days == 1 { "" } else { "s" }
                    ),
                )
                .primary(expires.loc, "expires soon")
                .help("from that day on it renders to nothing; extend `expires` now if its purpose continues"),
            );
        }
        Expiry::Later(_) | Expiry::Never => {}
    }
}
