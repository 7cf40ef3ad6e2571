//! The request context nhi's policies read: the keys that every target's
//! conditions name. `context` and `where` in an identity file become
//! tests of these keys (and of the attribute keys they declare); the two
//! delegation keys are set from the delegation chain, never written.

/// The context key of the environment a request is made in.
pub const ENVIRONMENT: &str = "environment";
/// The context key of the region a request is made in.
pub const REGION: &str = "region";
/// The context key of the Kubernetes namespace a request is made from.
pub const NAMESPACE: &str = "namespace";
/// The context key naming the identity the principal acts on behalf of
/// (OIDC-A `delegator_sub`).
pub const DELEGATOR: &str = "delegator";
/// The context key listing every identity in the delegation chain (OIDC-A
/// `delegation_chain`).
pub const DELEGATION_CHAIN: &str = "delegation_chain";
/// The context key naming the team whose member approved the request: a
/// grant with an `approval` holds only with it. The gateway that asks sets
/// it once a human of that team has approved.
pub const APPROVED_BY: &str = "approved_by";
/// The context key of the instant a request is made at (a Cedar
/// `datetime`): a grant with `valid_from` or `valid_until` holds only
/// with it, inside its window. The gateway that asks sets it.
pub const NOW: &str = "now";
/// The context key of the instant the request was approved at (a Cedar
/// `datetime`): a grant with `valid_for` holds only from then, for that
/// long.
pub const APPROVED_AT: &str = "approved_at";
/// Context keys that hold instants, not strings.
pub const TIME_KEYS: [&str; 2] = [NOW, APPROVED_AT];
/// Context keys that carry delegation and cannot be used by `where` or
/// `context.attributes`.
pub const RESERVED_CONTEXT_KEYS: [&str; 2] = [DELEGATOR, DELEGATION_CHAIN];

/// The word an identity file declares a context key with: a grant's
/// `approval` declares `approved_by`, `valid_for` declares `approved_at`
/// (and `now`), `valid_from` and `valid_until` declare `now`; any other key
/// (a `where` or `context.attributes` key) is written as itself.
#[must_use]
pub fn declared_as(key: &str) -> &str {
    match key {
        APPROVED_BY => "approval",
        APPROVED_AT => "valid_for",
        NOW => "valid_",
        key => key,
    }
}
