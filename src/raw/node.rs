//! A YAML document as a tree whose every node and mapping key keeps the
//! span of its text: what the loader parses a file into, and what the raw
//! types are read from.

use serde::Serialize;

use crate::source::Span;

/// A YAML value with the span of its text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it is written.
    pub span: Span,
}

/// The value of a YAML node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false` (YAML 1.2 spellings only).
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in the order written.
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its span.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Key {
    /// The key's text.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

impl Node {
    /// The document as JSON: what a JSON file of it holds (an integer too
    /// large for JSON's numbers becomes a float, a NaN or an infinity
    /// `null`, as `serde_json` writes them).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match &self.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => i64::try_from(*i)
                .map(Json::from)
                .or_else(|_| u64::try_from(*i).map(Json::from))
                .unwrap_or_else(|_| {
                    #[expect(
                        clippy::cast_precision_loss,
                        reason = "beyond 64 bits, as JSON reads it"
                    )]
                    let f = *i as f64;
                    Json::from(f)
                }),
            Value::Float(f) => Json::from(*f),
            Value::Str(s) => Json::String(s.clone()),
            Value::Seq(items) => Json::Array(items.iter().map(Self::to_json).collect()),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl Value {
    /// The word for the value's type in messages ("a string", "a mapping").
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Int(_) => "an integer",
            Self::Float(_) => "a number",
            Self::Str(_) => "a string",
            Self::Seq(_) => "a sequence",
            Self::Map(_) => "a mapping",
        }
    }
}
