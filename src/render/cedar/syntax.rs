//! Cedar's lexical rules: which names may be written bare, and how any other
//! text is written as a string literal that cannot break out of itself.
//!
//! Every name, action and value from the workspace reaches Cedar text
//! through [`string`] (always) or as a bare name checked by
//! [`is_identifier`] (entity type names and the namespace, which the
//! workspace check has already vetted). Nothing else is ever spliced in.

use std::fmt::Write as _;

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

/// Characters that change how text displays without being visible
/// (bidirectional controls, zero-width characters): escaped, so the file
/// reads as what it means.
pub const fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{061c}' | '\u{180e}' | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
}

/// `s` as a Cedar string literal, quotes included. Backslashes and quotes
/// are escaped; control and invisible characters are written as `\u{…}`.
#[must_use]
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len().saturating_add(2));
    push_string(&mut out, s);
    out
}

/// Append `s` as a Cedar string literal.
pub fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_invisible(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `base.key` when the key is a bare identifier, `base["key"]` otherwise.
pub fn push_access(out: &mut String, base: &str, key: &str) {
    out.push_str(base);
    if is_identifier(key) {
        out.push('.');
        out.push_str(key);
    } else {
        out.push('[');
        push_string(out, key);
        out.push(']');
    }
}

/// `base has key`, quoting the key unless it is a bare identifier.
pub fn push_has(out: &mut String, base: &str, key: &str) {
    out.push_str(base);
    out.push_str(" has ");
    if is_identifier(key) {
        out.push_str(key);
    } else {
        push_string(out, key);
    }
}

/// A record attribute name in a schema: bare when it can be, else quoted.
#[must_use]
pub fn attribute(key: &str) -> String {
    if is_identifier(key) {
        key.to_owned()
    } else {
        string(key)
    }
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

    #[test]
    fn strings_cannot_break_out() {
        assert_eq!(string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(string("x\ny\u{202e}"), r#""x\ny\u{202e}""#);
        assert_eq!(string("Zürich"), "\"Zürich\"");
        let mut s = String::new();
        push_access(&mut s, "context", "job id");
        assert_eq!(s, r#"context["job id"]"#);
    }
}
