//! How far an identity's authentication subject reaches: one workload,
//! a pattern inside one pinned repository or project, or a pattern open
//! to workloads of others.
//!
//! A subject is what a cloud's trust compares with the token's `sub`
//! claim. A wildcard (`*`, `?`) inside the repository or project part of a
//! GitHub (`repo:OWNER/REPO:…`) or GitLab (`project_path:GROUP/PROJECT:…`)
//! subject, or anywhere in a subject of any other form, lets a token of
//! another repository, project, organisation, namespace or workload
//! match: any GitHub repository can assume a role that trusts
//! `repo:*`. A wildcard after a pinned repository (`repo:org/app:ref:
//! refs/heads/release-*`) reaches only that repository's workflows.

use crate::vocabulary::glob;

/// How far a subject reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// No wildcard: one workload.
    Exact,
    /// A wildcard only after a pinned repository or project.
    Pinned,
    /// A wildcard that can match another repository, project,
    /// organisation or workload.
    Open,
}

/// The subject formats whose repository or project part is pinned: the
/// claim's prefix, and what it names.
const PINNED_FORMATS: [(&str, &str); 2] = [("repo:", "repository"), ("project_path:", "project")];

/// How far `subject` reaches.
#[must_use]
pub fn reach(subject: &str) -> Reach {
    if !glob::is_pattern(subject) {
        return Reach::Exact;
    }
    let pinned = PINNED_FORMATS.iter().any(|(prefix, _)| {
        subject.strip_prefix(prefix).is_some_and(|rest| {
            rest.split_once(':').is_some_and(|(path, _)| {
                !glob::is_pattern(path)
                    && path.split('/').count() >= 2
                    && path.split('/').all(|part| !part.is_empty())
            })
        })
    });
    if pinned { Reach::Pinned } else { Reach::Open }
}

/// Whether a trust that admits `head` admits a workload that one
/// admitting `base` did not: a subject dropped (every workload of the
/// issuer), or a pattern that matches the old subject and more.
#[must_use]
pub fn widens(base: Option<&str>, head: Option<&str>) -> bool {
    match (base, head) {
        (Some(_), None) => true,
        (Some(b), Some(h)) => b != h && glob::is_pattern(h) && glob::matches(h, b, false),
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{Reach, reach, widens};

    #[test]
    fn wildcards_inside_a_pinned_repository_stay_inside_it() {
        for exact in [
            "repo:example/web:ref:refs/heads/main",
            "system:serviceaccount:orders:orders-db-backup",
            "spiffe://example.com/ns/orders/sa/orders-consumer",
        ] {
            assert_eq!(reach(exact), Reach::Exact, "{exact}");
        }
        for pinned in [
            "repo:org/app:ref:refs/heads/release-*",
            "repo:org/app:*",
            "project_path:group/sub/project:ref_type:branch:ref:*",
        ] {
            assert_eq!(reach(pinned), Reach::Pinned, "{pinned}");
        }
        for open in [
            "*",
            "repo:*",
            "repo:*/x",
            "repo:org/*",
            "repo:org/app*",
            "repo:org/ap?:ref:refs/heads/main",
            "repo:org:*",
            "project_path:group/*:ref_type:branch:ref:main",
            "system:serviceaccount:*:deployer",
            "spiffe://example.com/ns/orders/sa/*",
            "client-*",
        ] {
            assert_eq!(reach(open), Reach::Open, "{open}");
        }
    }

    #[test]
    fn a_subject_widens_when_the_new_one_admits_the_old_and_more() {
        let main = Some("repo:org/app:ref:refs/heads/main");
        assert!(widens(main, Some("repo:org/app:ref:refs/heads/*")));
        assert!(widens(main, None));
        assert!(widens(
            Some("repo:org/app:ref:refs/heads/release-*"),
            Some("repo:org/app:*")
        ));
        assert!(!widens(main, main));
        assert!(!widens(main, Some("repo:org/app:environment:production")));
        assert!(!widens(Some("repo:org/app:ref:refs/heads/*"), main));
        assert!(!widens(None, main));
    }
}
