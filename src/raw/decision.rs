//! A decision test file as written (`decisions/*.yaml`): requests and the
//! decision the rendered policies must give them.

use super::{Entries, Spanned, raw_enum, raw_struct};

raw_struct! {
    /// Decision tests: each asks whether a principal may take an action and
    /// says what the answer must be. `nhi test` runs them against the
    /// rendered Cedar policies.
    pub struct DecisionFile as "a decision test file" {
        /// The tests, in the order they run.
        tests: Vec<Spanned<DecisionTest>>,
    }
}

raw_struct! {
    /// One request and its expected decision.
    pub struct DecisionTest as "a decision test" {
        /// What the test shows, in a few words (default: principal and
        /// action).
        name: Option<Spanned<String>>,
        /// The identity that acts.
        principal: Spanned<String>,
        /// The action it asks for.
        action: Spanned<String>,
        /// The resource, as `Type::id` (default: any resource of the
        /// action's first resource type).
        resource: Option<Spanned<String>>,
        /// Context attributes of the request (`environment`, `region`,
        /// `namespace`, `where` keys…), each a string.
        context: Option<Entries<Spanned<String>>>,
        /// The identities the principal acts on behalf of: the immediate
        /// delegator first, then whoever delegated to it, back to the
        /// origin.
        on_behalf_of: Option<Vec<Spanned<String>>>,
        /// The decision the policies must give.
        expect: Spanned<Expectation>,
    }
}

raw_enum! {
    /// An expected decision.
    pub enum Expectation as "expected decision" {
        /// The request is allowed.
        Allow = "allow",
        /// The request is denied.
        Deny = "deny",
    }
}
