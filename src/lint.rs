//! The lint stage: rules over the checked model and its analysis, mapped
//! to the OWASP NHI Top 10, each family of rules in a file of its own and
//! registered in [`FAMILIES`]; then each identity's suppressions
//! ([`suppress`]). A rule reports; it never changes the model.
//!
//! What the workspace declares is checked before this stage (`validate`):
//! a rule may assume every reference resolves, and judges only identities
//! that render (the analysis says which) unless its docs say otherwise.

pub mod catalogue;
pub mod credentials;
pub mod enforcement;
pub mod escalation;
pub mod federation;
pub mod isolation;
pub mod lifecycle;
pub mod ownership;
pub mod permissions;
pub mod privilege;
pub mod suppress;
pub mod targets;

use crate::analyse::Analysis;
use crate::diag::{Code, Diagnostics};
use crate::model::Model;

/// What every rule reads.
#[derive(Clone, Copy, Debug)]
pub struct LintContext<'a> {
    /// The checked model.
    pub model: &'a Model,
    /// Its analysis: the day, who renders, where each identity lands.
    pub analysis: &'a Analysis,
}

/// A family of rules: its name, the codes it reports and its check.
#[derive(Clone, Copy, Debug)]
pub struct Family {
    /// The family's name (kebab-case, as its file is named).
    pub name: &'static str,
    /// Every code its check reports.
    pub codes: &'static [Code],
    /// The check.
    pub check: fn(&LintContext<'_>, &mut Diagnostics),
}

/// Every family, in the order they run. (Their findings are sorted after,
/// so the order shows only in how the table reads.)
pub const FAMILIES: &[Family] = &[
    Family {
        name: "catalogue",
        codes: &[
            Code::WildcardPermission,
            Code::RbacEscalation,
            Code::UnmappedAction,
        ],
        check: catalogue::check,
    },
    Family {
        name: "targets",
        codes: &[
            Code::InvalidTargetName,
            Code::NoTarget,
            Code::ClusterUnreachable,
            Code::MissingClientId,
            Code::ExistingNotImported,
        ],
        check: targets::check,
    },
    Family {
        name: "enforcement",
        codes: &[
            Code::UnenforcedCondition,
            Code::NoRegionInTarget,
            Code::AzureCannotDeny,
            Code::ConditionTooLarge,
        ],
        check: enforcement::check,
    },
    Family {
        name: "permissions",
        codes: &[Code::PermissionOverlap],
        check: permissions::check,
    },
    Family {
        name: "federation",
        codes: &[Code::UnboundIdentity],
        check: federation::check,
    },
    Family {
        name: "lifecycle",
        codes: &[
            Code::ReviewOverdue,
            Code::ReviewMissing,
            Code::IdentityExpired,
            Code::IdentityExpiring,
            Code::GrantExpired,
        ],
        check: lifecycle::check,
    },
    Family {
        name: "ownership",
        codes: &[
            Code::AccountableMissing,
            Code::PurposeMissing,
            Code::HumanPrincipal,
            Code::UnloggedHighRisk,
        ],
        check: ownership::check,
    },
    Family {
        name: "credentials",
        codes: &[
            Code::StaticCredential,
            Code::RotationTooLong,
            Code::TtlTooLong,
            Code::UnpinnedFederation,
            Code::SecretUnreferenced,
            Code::WildcardSubject,
        ],
        check: credentials::check,
    },
    Family {
        name: "isolation",
        codes: &[
            Code::EnvironmentReuse,
            Code::NameEncodesContext,
            Code::IdentityReuse,
        ],
        check: isolation::check,
    },
    Family {
        name: "privilege",
        codes: &[
            Code::AdminPermission,
            Code::ProjectWideImpersonation,
            Code::WorkloadTakeover,
            Code::AwsPrivilegeEscalation,
        ],
        check: privilege::check,
    },
];

/// Run every family, then apply the identities' suppressions to
/// everything found so far (what the earlier stages reported included).
pub fn run(cx: &LintContext<'_>, out: &mut Diagnostics) {
    for family in FAMILIES {
        (family.check)(cx, out);
    }
    suppress::apply(cx.model, out);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use strum::IntoEnumIterator;

    use super::FAMILIES;
    use crate::diag::Code;

    #[test]
    fn families_report_distinct_codes() {
        let mut seen = BTreeSet::new();
        for family in FAMILIES {
            assert!(!family.codes.is_empty(), "{}", family.name);
            for code in family.codes {
                assert!(seen.insert(*code), "{code} is in two families");
            }
        }
        let names: BTreeSet<&str> = FAMILIES.iter().map(|f| f.name).collect();
        assert_eq!(names.len(), FAMILIES.len());
    }

    /// An identity may suppress only a lint rule (or a repeated action,
    /// which the identity's own conversion reports).
    #[test]
    fn every_suppressible_code_is_a_lint_rule() {
        let lint: BTreeSet<Code> = FAMILIES.iter().flat_map(|f| f.codes).copied().collect();
        for code in Code::iter().filter(|c| c.suppressible()) {
            assert!(
                lint.contains(&code) || code == Code::DuplicateAction,
                "{code} is suppressible but no lint family reports it"
            );
        }
    }
}
