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
pub mod delegation;
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

use rayon::prelude::*;

use crate::analyse::Analysis;
use crate::diag::{Code, Diagnostics, Memo};
use crate::model::{Identity, Model};

/// What every rule reads.
#[derive(Clone, Copy, Debug)]
pub struct LintContext<'a> {
    /// The checked model.
    pub model: &'a Model,
    /// Its analysis: the day, who renders, where each identity lands.
    pub analysis: &'a Analysis,
    /// Which catalogue actions share a permission, worked out as asked.
    pub overlaps: &'a permissions::Overlaps<'a>,
}

/// A family of rules: its name, the codes it reports and its checks,
/// split by what they read.
#[derive(Clone, Copy, Debug)]
pub struct Family {
    /// The family's name (kebab-case, as its file is named).
    pub name: &'static str,
    /// Every code its checks report.
    pub codes: &'static [Code],
    /// The rules about one identity, reading the settings, the analysis of
    /// that identity and nothing of any other identity: run for each
    /// identity on its own, in parallel.
    pub identity: Option<IdentityCheck>,
    /// The rules over the workspace as a whole: the settings alone, or
    /// what several identities share.
    pub workspace: Option<WorkspaceCheck>,
}

/// A family's rules about one identity.
pub type IdentityCheck = fn(&LintContext<'_>, &Identity, &mut Diagnostics);
/// A family's rules over the whole workspace.
pub type WorkspaceCheck = fn(&LintContext<'_>, &mut Diagnostics);

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
        identity: None,
        workspace: Some(catalogue::check),
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
        identity: Some(targets::identity),
        workspace: Some(targets::workspace),
    },
    Family {
        name: "enforcement",
        codes: &[
            Code::UnenforcedCondition,
            Code::NoRegionInTarget,
            Code::AzureCannotDeny,
            Code::ConditionTooLarge,
        ],
        identity: Some(enforcement::identity),
        workspace: Some(enforcement::workspace),
    },
    Family {
        name: "permissions",
        codes: &[Code::PermissionOverlap],
        identity: Some(permissions::identity),
        workspace: None,
    },
    Family {
        name: "federation",
        codes: &[Code::UnboundIdentity],
        identity: Some(federation::check),
        workspace: None,
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
        identity: Some(lifecycle::check),
        workspace: None,
    },
    Family {
        name: "ownership",
        codes: &[
            Code::AccountableMissing,
            Code::PurposeMissing,
            Code::HumanPrincipal,
            Code::UnloggedHighRisk,
        ],
        identity: Some(ownership::check),
        workspace: None,
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
        identity: Some(credentials::check),
        workspace: None,
    },
    Family {
        name: "isolation",
        codes: &[
            Code::EnvironmentReuse,
            Code::NameEncodesContext,
            Code::IdentityReuse,
        ],
        identity: Some(isolation::identity),
        workspace: Some(isolation::workspace),
    },
    Family {
        name: "delegation",
        codes: &[Code::DelegationNeverApplies],
        identity: None,
        workspace: Some(delegation::check),
    },
    Family {
        name: "privilege",
        codes: &[
            Code::AdminPermission,
            Code::ProjectWideImpersonation,
            Code::WorkloadTakeover,
            Code::AwsPrivilegeEscalation,
        ],
        identity: Some(privilege::identity),
        workspace: Some(privilege::workspace),
    },
];

/// The name [`Memo`] knows the rules about one identity by, with the
/// revision of what they are: counted up when a rule moves into or out of
/// them, so that what a build of the same version kept before is not
/// recalled.
const STAGE: &str = "lint 2";

/// Run every family over `model` and its `analysis`, then apply the
/// identities' suppressions to everything found so far (what the earlier
/// stages reported included).
pub fn run(model: &Model, analysis: &Analysis, out: &mut Diagnostics, memo: Option<&dyn Memo>) {
    let overlaps = permissions::Overlaps::new(model);
    let cx = &LintContext {
        model,
        analysis,
        overlaps: &overlaps,
    };
    let found: Vec<Diagnostics> = cx
        .model
        .identities
        .par_iter()
        .map(|(_, identity)| {
            if let Some(found) = memo.and_then(|m| m.recall(STAGE, identity.file)) {
                return found;
            }
            let mut found = Diagnostics::new();
            for check in FAMILIES.iter().filter_map(|f| f.identity) {
                check(cx, identity, &mut found);
            }
            if let Some(m) = memo {
                m.keep(STAGE, identity.file, &found);
            }
            found
        })
        .collect();
    for found in found {
        out.extend(found);
    }
    for check in FAMILIES.iter().filter_map(|f| f.workspace) {
        check(cx, out);
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
