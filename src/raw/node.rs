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
