//! Writing Cedar text: how any text is written as a string literal that
//! cannot break out of itself, and attribute names bare where they may be.
//!
//! Every name, action and value from the workspace reaches Cedar text
//! through [`string`] (always) or as a bare name checked by
//! [`is_identifier`] (entity type names and the namespace, which the
//! workspace check has already vetted). Nothing else is ever spliced in.

use std::fmt::Write as _;

use crate::source::is_invisible;
use crate::vocabulary::cedar::is_identifier;

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
    fn strings_cannot_break_out() {
        assert_eq!(string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(string("x\ny\u{202e}"), r#""x\ny\u{202e}""#);
        assert_eq!(string("Zürich"), "\"Zürich\"");
        let mut s = String::new();
        push_access(&mut s, "context", "job id");
        assert_eq!(s, r#"context["job id"]"#);
    }
}
