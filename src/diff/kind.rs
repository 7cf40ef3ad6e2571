//! Every kind of change `nhi diff` reports, in one table: its stable name,
//! the risk it carries and what it means. A kind's name never changes
//! meaning (pull-request bots and `--format json` readers match on it).

use serde::{Serialize, Serializer};

use super::Risk;

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $risk:ident, $description:literal; )*) => {
        /// What kind of change.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumIter)]
        pub enum ChangeKind {
            $( $(#[$doc])* $variant, )*
        }

        impl ChangeKind {
            /// The stable name, such as `action-gained`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $name, )* }
            }

            /// The risk the change carries. `action-gained` is high for an
            /// action of write or permissions-management access and medium
            /// otherwise, `state-changed` high back to `active` and low
            /// otherwise: where they are lower, the change says so
            /// ([`super::Change::with_risk`]).
            #[must_use]
            pub const fn risk(self) -> Risk {
                match self { $( Self::$variant => Risk::$risk, )* }
            }

            /// What the change means, in a sentence.
            #[must_use]
            pub const fn description(self) -> &'static str {
                match self { $( Self::$variant => $description, )* }
            }
        }
    };
}

kinds! {
    /// Permission-level new access in some target.
    NewAccess = "new-access", High, "the head lets an identity do something in a target that the base did not";
    /// New access found by the solver (`--prove`).
    NewAccessProven = "new-access-proven", High, "the head's Cedar allows a request that the base's denied (`--prove`)";
    /// A forbidden action allowed, found by the solver (`--prove`).
    ForbiddenAllowed = "forbidden-allowed", High, "the head's Cedar allows an action that the base forbade (`--prove`)";
    /// A proof the solver did not finish (`--prove`).
    ProofUndecided = "proof-undecided", High, "the solver did not decide within the time limit, so no new access is not proven (`--prove`)";
    /// An action newly allowed.
    ActionGained = "action-gained", High, "an identity may take an action it could not (medium for an action of read or list access)";
    /// A forbidden action no longer forbidden.
    ForbiddenDropped = "forbidden-dropped", High, "an action an identity forbade itself is no longer forbidden";
    /// A weaker authentication method.
    AuthWeakened = "auth-weakened", High, "an identity authenticates with a weaker method";
    /// A subject that admits more workloads.
    SubjectWidened = "subject-widened", High, "an identity's subject admits tokens of workloads that it did not (a wildcard, or no subject)";
    /// A time-boxed action held at any time.
    WindowRemoved = "window-removed", High, "an action an identity could take only in a time window (or for a while after an approval) holds at any time: standing privilege";
    /// An action no longer held under a human's approval.
    ApprovalRemoved = "approval-removed", High, "an action an identity could take only with a human's approval no longer needs one";
    /// An MCP tool newly allowed.
    ToolGained = "tool-gained", High, "an agent may call an MCP tool it could not";
    /// A forbidden MCP tool no longer forbidden.
    ForbiddenToolDropped = "forbidden-tool-dropped", High, "an MCP tool an agent forbade itself is no longer forbidden";
    /// A new delegate.
    DelegationAdded = "delegation-added", High, "an identity may delegate to another it did not";
    /// More actions delegated.
    DelegationWidened = "delegation-widened", High, "an identity delegates more actions to a delegate";
    /// A guardrail action no longer forbidden.
    GuardrailDropped = "guardrail-dropped", High, "a guardrail no longer forbids an action to every identity";
    /// A lifecycle state changed.
    StateChanged = "state-changed", High, "an identity's state changed (low to `suspended` or `revoked`)";
    /// An identity added.
    IdentityAdded = "identity-added", Medium, "an identity is new";
    /// A target an identity newly lands in.
    TargetAdded = "target-added", Medium, "an identity lands in a target it did not (its `targets`, the workspace's `default_targets` or its `auth` say it runs there now)";
    /// A narrowing that accepts more.
    NarrowingWidened = "narrowing-widened", Medium, "an action's `where` conditions accept more";
    /// A tool's argument conditions that accept more.
    ToolNarrowingWidened = "tool-narrowing-widened", Medium, "an MCP tool's `where` conditions on its arguments accept more";
    /// A time window that accepts more instants.
    WindowWidened = "window-widened", Medium, "a time-boxed action holds for longer: its window starts earlier, ends later, or lasts longer after an approval";
    /// Another team approves an action.
    ApprovalChanged = "approval-changed", Medium, "another team's approval lets an identity take an action";
    /// A higher or removed rate limit.
    RateLimitRaised = "rate-limit-raised", Medium, "an agent may make more requests a minute or hold more resource claims at once, or is no longer limited";
    /// More environments, regions, namespaces or contexts.
    ContextWidened = "context-widened", Medium, "an identity may act in more environments, regions, namespaces or contexts";
    /// Another authentication method of the same strength.
    AuthChanged = "auth-changed", Medium, "an identity authenticates with another method of the same strength";
    /// Another issuer, subject or audience.
    TrustChanged = "trust-changed", Medium, "an identity's issuer, subject or audience changed";
    /// Longer-lived tokens.
    TtlRaised = "ttl-raised", Medium, "an identity's tokens live longer";
    /// A secret rotated less often.
    RotationLengthened = "rotation-lengthened", Medium, "an identity's secret rotates less often";
    /// Longer-lived delegations.
    DelegationTtlRaised = "delegation-ttl-raised", Medium, "delegations to a delegate live longer";
    /// A delegation passed further.
    DelegationDeepened = "delegation-deepened", Medium, "a delegate may pass its delegation further";
    /// Another owning team.
    OwnerChanged = "owner-changed", Medium, "another team owns an identity";
    /// Another accountable human.
    AccountableChanged = "accountable-changed", Medium, "another human answers for an identity";
    /// No expiry any more.
    ExpiryRemoved = "expiry-removed", Medium, "an identity no longer expires";
    /// A log no longer required.
    LoggingRelaxed = "logging-relaxed", Medium, "an audit or decision log is no longer required";
    /// A longer token allowed by the guardrails.
    GuardrailTtlRaised = "guardrail-ttl-raised", Medium, "the guardrails allow longer-lived tokens";
    /// More authentication methods allowed by the guardrails.
    GuardrailAuthWidened = "guardrail-auth-widened", Medium, "the guardrails allow more authentication methods";
    /// An identity removed.
    IdentityRemoved = "identity-removed", Low, "an identity is removed (offboarded): every target stops rendering it";
    /// An identity renamed, nothing else changed.
    IdentityRenamed = "identity-renamed", Low, "an identity has a new name and is the same in everything else";
    /// An action no longer allowed.
    ActionLost = "action-lost", Low, "an identity may no longer take an action";
    /// A target an identity no longer lands in.
    TargetRemoved = "target-removed", Low, "an identity no longer lands in a target: its objects there are removed";
    /// A narrowing that accepts less.
    NarrowingTightened = "narrowing-tightened", Low, "an action's `where` conditions accept less";
    /// An MCP tool no longer allowed.
    ToolLost = "tool-lost", Low, "an agent may no longer call an MCP tool";
    /// A tool's argument conditions that accept less.
    ToolNarrowingTightened = "tool-narrowing-tightened", Low, "an MCP tool's `where` conditions on its arguments accept less";
    /// A newly forbidden MCP tool.
    ForbiddenToolAdded = "forbidden-tool-added", Low, "an agent forbids itself another MCP tool";
    /// A time window that accepts fewer instants.
    WindowNarrowed = "window-narrowed", Low, "a time-boxed action holds for less time";
    /// An action newly time-boxed.
    WindowAdded = "window-added", Low, "an action an identity held at any time holds only in a time window now";
    /// An action newly held under a human's approval.
    ApprovalAdded = "approval-added", Low, "an identity may take an action only with a human's approval now";
    /// A lower or new rate limit.
    RateLimitLowered = "rate-limit-lowered", Low, "an agent may make fewer requests a minute or hold fewer resource claims at once";
    /// A newly forbidden action.
    ForbiddenAdded = "forbidden-added", Low, "an identity forbids itself another action";
    /// Fewer environments, regions, namespaces or contexts.
    ContextNarrowed = "context-narrowed", Low, "an identity may act in fewer environments, regions, namespaces or contexts";
    /// A stronger authentication method.
    AuthStrengthened = "auth-strengthened", Low, "an identity authenticates with a stronger method";
    /// Shorter-lived tokens.
    TtlLowered = "ttl-lowered", Low, "an identity's tokens live less long";
    /// Fewer actions delegated.
    DelegationNarrowed = "delegation-narrowed", Low, "an identity delegates less to a delegate";
    /// A delegate dropped.
    DelegationRemoved = "delegation-removed", Low, "an identity no longer delegates to a delegate";
    /// A later expiry.
    ExpiryExtended = "expiry-extended", Low, "an identity expires later";
    /// Another review cycle.
    ReviewCycleChanged = "review-cycle-changed", Low, "an identity is reviewed on another cycle";
    /// Another provider, model, version or runtime.
    ProvenanceChanged = "provenance-changed", Low, "what is acting (provider, model, version or runtime) changed";
    /// A new guardrail action.
    GuardrailAdded = "guardrail-added", Low, "a guardrail forbids another action to every identity";
    /// An expiry set or brought forward.
    ExpirySet = "expiry-set", Info, "an identity's expiry is set or brought forward";
    /// Another risk tier.
    RiskTierChanged = "risk-tier-changed", Info, "an identity's risk tier changed";
    /// Another kind, purpose or labels.
    DescriptionChanged = "description-changed", Info, "an identity's kind, purpose or labels changed";
}

/// What became of a delegation edge, or of a rendered file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Only the head has it.
    Added,
    /// Both have it, and it differs.
    Changed,
    /// Both have it, the same (delegation edges only).
    Kept,
    /// Only the base has it.
    Removed,
}

impl Status {
    /// `added`, `changed`, `kept` or `removed`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Changed => "changed",
            Self::Kept => "kept",
            Self::Removed => "removed",
        }
    }
}

/// Display, order and serialise a named value by its name, as every
/// report lists it.
macro_rules! by_name {
    ($($ty:ty),*) => {
        $(
            impl std::fmt::Display for $ty {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.pad(self.as_str())
                }
            }

            impl Ord for $ty {
                fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                    self.as_str().cmp(other.as_str())
                }
            }

            impl PartialOrd for $ty {
                fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                    Some(self.cmp(other))
                }
            }

            impl Serialize for $ty {
                fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    serializer.serialize_str(self.as_str())
                }
            }
        )*
    };
}

by_name!(ChangeKind, Status);

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use strum::IntoEnumIterator;

    use super::{ChangeKind, Risk};

    #[test]
    fn kinds_are_unique_kebab_case_and_described() {
        let names: BTreeSet<&str> = ChangeKind::iter().map(ChangeKind::as_str).collect();
        assert_eq!(names.len(), ChangeKind::iter().count());
        for kind in ChangeKind::iter() {
            let name = kind.as_str();
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
            assert!(!kind.description().is_empty(), "{name}");
        }
    }

    /// The README's table of kinds by risk says what this table says.
    #[test]
    fn the_readme_lists_every_kind_under_its_risk() {
        let table: Vec<&str> = include_str!("../../README.md")
            .lines()
            .skip_while(|l| *l != "| risk | kinds |")
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect();
        let row = |risk: Risk| {
            let start = format!("| `{}` ", risk.as_str());
            table
                .iter()
                .find(|l| l.starts_with(&start))
                .copied()
                .unwrap_or_default()
        };
        for kind in ChangeKind::iter() {
            assert!(
                row(kind.risk()).contains(&format!("`{kind}`")),
                "README's `{}` row of change kinds lacks `{kind}`",
                kind.risk().as_str()
            );
        }
    }
}
