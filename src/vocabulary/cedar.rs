//! Cedar's own vocabulary: which names may be written bare in Cedar text
//! (entity types, the namespace, attribute keys) and which type names
//! nhi's schema uses itself, so that no catalogue name can take one.
//!
//! The lint rules and the Cedar core read the same rules: a name the
//! check lets through is one the Cedar writer may print bare.

/// The entity type of teams.
pub const TEAM_TYPE: &str = "Team";
/// The resource type of actions whose catalogue entry names none.
pub const RESOURCE_TYPE: &str = "Resource";
/// The common type of every request context.
pub const CONTEXT_TYPE: &str = "RequestContext";
/// Every principal entity type, in schema order.
pub const PRINCIPAL_TYPES: [&str; 4] = ["Agent", "Workload", "Pipeline", "Service"];
/// Type names the schema itself uses: no catalogue resource type may take
/// one.
pub const NHI_TYPES: [&str; 8] = [
    "Agent",
    "Workload",
    "Pipeline",
    "Service",
    TEAM_TYPE,
    RESOURCE_TYPE,
    CONTEXT_TYPE,
    "Action",
];

/// Words Cedar's grammar reserves or gives a role in policies.
const RESERVED_WORDS: &[&str] = &[
    "true",
    "false",
    "if",
    "then",
    "else",
    "in",
    "is",
    "like",
    "has",
    "principal",
    "action",
    "resource",
    "context",
    "permit",
    "forbid",
    "when",
    "unless",
];

/// Type names a Cedar schema gives a meaning of its own.
const RESERVED_TYPES: &[&str] = &[
    "Bool",
    "Boolean",
    "Long",
    "String",
    "Set",
    "Record",
    "Entity",
    "Extension",
    "ipaddr",
    "decimal",
    "datetime",
    "duration",
];

/// Whether `s` is a Cedar identifier that may be written bare: ASCII
/// letters, digits and `_`, not starting with a digit, not a reserved word,
/// not in the `__cedar` namespace.
#[must_use]
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED_WORDS.contains(&s)
        && !s.starts_with("__cedar")
}

/// Whether `s` may name an entity type of the schema: an identifier that is
/// not one of the schema's own type names.
#[must_use]
pub fn is_type_name(s: &str) -> bool {
    is_identifier(s) && !RESERVED_TYPES.contains(&s)
}

/// Whether `s` is a namespace path: identifiers joined by `::`.
#[must_use]
pub fn is_namespace(s: &str) -> bool {
    !s.is_empty() && s.split("::").all(is_type_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_exclude_reserved_words_and_odd_characters() {
        for good in ["Pipeline", "job_id", "_x", "A1"] {
            assert!(is_identifier(good), "{good}");
        }
        for bad in ["", "1a", "in", "has", "a-b", "a b", "a\"", "__cedar", "é"] {
            assert!(!is_identifier(bad), "{bad}");
        }
        assert!(is_namespace("Acme::Agents"));
        assert!(!is_namespace("Acme::"));
        assert!(!is_namespace("Acme::String"));
        assert!(!is_type_name("Set"));
    }
}
