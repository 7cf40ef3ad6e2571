//! YAML text → a span-carrying [`Node`] tree, with input budgets.
//!
//! Every file is parsed once, by serde-saphyr, into the small tree of
//! [`crate::raw::node`] whose every node and mapping key keeps its byte
//! span. The typed reading in [`crate::raw`] then walks that tree and
//! reports *every* problem of a file at its place, instead of stopping at
//! the first one as a derived `Deserialize` would.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Error as YamlError, Location, Spanned};

use crate::diag::{Code, Diagnostic};
use crate::raw::{Key, Node, Value};
use crate::source::{FileId, Loc, SourceFile, Span};

fn span_of(location: &Location) -> Span {
    let span = location.span();
    match (span.byte_offset(), span.byte_len()) {
        (Some(start), Some(len)) => Span::new(
            usize::try_from(start).unwrap_or(usize::MAX),
            usize::try_from(len).unwrap_or(0),
        ),
        _ => Span::default(),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Self {
            span: span_of(&spanned.referenced),
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<String>::deserialize(deserializer)?;
        Ok(Self {
            span: span_of(&spanned.referenced),
            name: spanned.value,
        })
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Value::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Limits that keep hostile YAML cheap to reject.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Deepest nesting of collections.
    pub max_depth: usize,
    /// Most nodes in one file, aliases expanded.
    pub max_nodes: usize,
    /// Most alias references in one file.
    pub max_aliases: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_nodes: 100_000,
            max_aliases: 1_000,
        }
    }
}

/// Parse one file's text into a [`Node`].
///
/// # Errors
///
/// A diagnostic (with its code and place) when the text is not one
/// well-formed YAML document within the budget.
pub fn parse(file: FileId, source: &SourceFile, budget: Budget) -> Result<Node, Box<Diagnostic>> {
    let text: &str = source.text();
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: budget.max_depth,
            max_nodes: budget.max_nodes,
            max_aliases: budget.max_aliases,
            max_documents: 2,
        },
        reject_unsupported_tags: true,
        strict_booleans: true,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options::<Node>(text, options)
        .map_err(|error| Box::new(diagnostic_for(file, source, &error)))
}

fn diagnostic_for(file: FileId, source: &SourceFile, error: &YamlError) -> Diagnostic {
    let mut inner = error;
    while let YamlError::WithSnippet { error, .. } | YamlError::AliasError { error, .. } = inner {
        inner = error;
    }
    let loc = error
        .location()
        .map_or(Loc::new(file, Span::default()), |l| {
            let span = span_of(&l);
            if span == Span::default() && (l.line() > 1 || l.column() > 1) {
                let line = usize::try_from(l.line()).unwrap_or(usize::MAX);
                let column = usize::try_from(l.column()).unwrap_or(usize::MAX);
                Loc::new(file, Span::new(source.offset_of(line, column), 0))
            } else {
                Loc::new(file, span)
            }
        });
    let raw = inner.to_string();
    let detail = strip_location_prefix(&raw);
    match inner {
        YamlError::MultipleDocuments { .. } => Diagnostic::new(
            Code::MultipleDocuments,
            "file holds more than one YAML document",
        )
        .primary(loc, "second document starts here")
        .help("keep one identity per file, without `---` separators between documents"),
        YamlError::UnsupportedTag { .. } => {
            Diagnostic::new(Code::YamlTag, "YAML tags are not supported")
                .primary(loc, "tag here")
                .help("remove the tag and write the plain value")
        }
        YamlError::DuplicateMappingKey { key, .. } => {
            let key = key.as_deref().unwrap_or("?");
            Diagnostic::new(
                Code::DuplicateKey,
                format!("duplicate key `{}`", printable(key)),
            )
            .primary(loc, "repeated here")
            .help("each key may appear once in a mapping; merge the two entries")
        }
        YamlError::Budget { breach, .. } => Diagnostic::new(
            Code::InputBudget,
            format!("file exceeds an input budget: {}", describe_breach(breach)),
        )
        .primary(loc, "budget exceeded here")
        .help(
            "identity files are small, flat documents; remove the deep nesting or alias expansion",
        ),
        YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => Diagnostic::new(
            Code::InputBudget,
            "file exceeds an input budget: too many alias expansions",
        )
        .primary(loc, "alias expanded here")
        .help("write the values out instead of expanding anchors many times"),
        YamlError::InvalidUtf8Input => Diagnostic::new(Code::NotUtf8, "file is not valid UTF-8")
            .primary(loc, "")
            .help("save the file as UTF-8"),
        _ if detail.contains("recursion limit") || detail.contains("nesting") => Diagnostic::new(
            Code::InputBudget,
            "file exceeds an input budget: nesting is too deep",
        )
        .primary(loc, "nesting limit reached here")
        .help("identity files are small, flat documents; remove the deep nesting"),
        _ => syntax(file, source, loc, detail),
    }
}

/// A syntax error, said as its likely cause: a tab in an indentation at
/// or before it (YAML indents with spaces only), or a line indented unlike
/// the keys around it.
fn syntax(file: FileId, source: &SourceFile, loc: Loc, detail: &str) -> Diagnostic {
    let text = source.text();
    let upto = text
        .get(loc.span.start()..)
        .and_then(|rest| rest.find('\n'))
        .map_or(text.len(), |i| loc.span.start() + i);
    let mut offset = 0;
    for line in text.get(..upto).unwrap_or("").split('\n') {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(tab) = line.get(..indent).and_then(|i| i.find('\t')) {
            return Diagnostic::new(
                Code::YamlSyntax,
                "invalid YAML: a tab indents this line, and YAML indents with spaces only",
            )
            .primary(Loc::new(file, Span::new(offset + tab, 1)), "a tab")
            .help("replace the tab with spaces, as many as the keys around it are indented by");
        }
        offset += line.len() + 1;
    }
    let help = if detail.contains("mapping values are not allowed") {
        Some(
            "a line is indented deeper than the key before it, or a value holds `: ` without quotes: indent the keys of one mapping by the same number of spaces, and quote such a value",
        )
    } else if detail.contains("did not find expected key")
        || detail.contains("did not find expected '-'")
    {
        Some(
            "a line is indented differently from the keys around it: indent the keys of one mapping (and the items of one list) by the same number of spaces",
        )
    } else {
        None
    };
    let d = Diagnostic::new(Code::YamlSyntax, format!("invalid YAML: {detail}"))
        .primary(loc, detail.to_owned());
    match help {
        Some(h) => d.help(h),
        None => d,
    }
}

fn describe_breach(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    let text = format!("{breach:?}");
    let name = text.split([' ', '{', '(']).next().unwrap_or("limit");
    match name {
        "Depth" => "nesting is too deep".to_owned(),
        "Nodes" => "too many nodes".to_owned(),
        "Aliases" | "AliasAnchorRatio" => "too many aliases".to_owned(),
        "ScalarBytes" => "too much scalar text".to_owned(),
        "Events" => "too many YAML events".to_owned(),
        "Documents" => "too many documents".to_owned(),
        other => format!("limit `{other}` reached"),
    }
}

/// Keys may be hostile: show them without control characters, and short.
fn printable(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(64).collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

/// serde-saphyr messages start with "error: line N column M: "; the place
/// is shown by our own label.
fn strip_location_prefix(message: &str) -> &str {
    let message = strip_leading_location(message);
    // and the parser's own " at line N, column M" suffix
    message.split(" at line ").next().unwrap_or(message)
}

fn strip_leading_location(message: &str) -> &str {
    let message = message.strip_prefix("error: ").unwrap_or(message);
    if message.starts_with("line ")
        && let Some((_, rest)) = message.split_once(": ")
    {
        return rest.lines().next().unwrap_or(rest);
    }
    message.lines().next().unwrap_or(message)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::source::SourceDb;

    fn parse_str(text: &str) -> Result<Node, Box<Diagnostic>> {
        let mut db = SourceDb::new();
        let id = db.add("t.yaml".into(), Arc::from(text));
        parse(id, db.get(id).unwrap(), Budget::default())
    }

    #[test]
    fn keys_and_values_keep_their_spans() {
        let node = parse_str("agent: release-assistant\nlist: [a, b]\n").unwrap();
        let Value::Map(entries) = node.value else {
            panic!("not a map")
        };
        let (key, value) = &entries[0];
        assert_eq!(key.name, "agent");
        assert_eq!(key.span, Span::new(0, 5));
        assert_eq!(value.span, Span::new(7, 17));
        let Value::Seq(items) = &entries[1].1.value else {
            panic!("not a seq")
        };
        assert_eq!(items[1].span, Span::new(35, 1));
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let node = parse_str("a: no\n").unwrap();
        let Value::Map(entries) = node.value else {
            panic!()
        };
        assert_eq!(entries[0].1.value, Value::Str("no".into()));
    }

    #[test]
    fn bad_input_gets_a_code() {
        assert_eq!(
            parse_str("a: 1\na: 2\n").unwrap_err().code,
            Code::DuplicateKey
        );
        assert_eq!(
            parse_str("a: 1\n---\nb: 1\n").unwrap_err().code,
            Code::MultipleDocuments
        );
        assert_eq!(parse_str("a: !x 1\n").unwrap_err().code, Code::YamlTag);
        assert_eq!(parse_str("a: [1\n").unwrap_err().code, Code::YamlSyntax);
        let deep = format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse_str(&deep).unwrap_err().code, Code::InputBudget);
    }
}
