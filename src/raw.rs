//! The input format as written: types that mirror the YAML one to one.
//!
//! These types are what the published JSON Schema is generated from
//! (`schemars`), and what a file's [`Node`] tree is read into by
//! [`FromNode`]. Reading collects every problem of a file (unknown keys with
//! a suggestion, wrong types, missing keys, values outside a fixed set) as
//! diagnostics at their place, and keeps the span of every leaf so later
//! stages can point back at the YAML. Nothing here is checked beyond its
//! shape; [`crate::validate`] turns these into the model.

pub mod decision;
pub mod identity;
pub mod node;
pub mod workspace;

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::diag::{Code, Diagnostic, Diagnostics, backticked, printable};
use crate::model::Keyword;
pub use crate::source::Spanned;
use crate::source::{FileId, Loc, Span};

pub use decision::DecisionFile;
pub use identity::IdentityFile;
pub use node::{Key, Node, Value};
pub use workspace::WorkspaceFile;

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A mapping with free keys (team names, action names, labels), in the
/// order written, each key with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entries<T>(pub Vec<(Spanned<String>, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> Entries<T> {
    /// Iterate over the entries.
    pub fn iter(&self) -> impl Iterator<Item = &(Spanned<String>, T)> {
        self.0.iter()
    }
}

impl<T: JsonSchema> JsonSchema for Entries<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let values = generator.subschema_for::<T>();
        json_schema!({
            "type": "object",
            "additionalProperties": values,
        })
    }
}

/// Reads [`Node`]s of one file into raw types, collecting diagnostics.
#[derive(Debug)]
pub struct Reader<'a> {
    file: FileId,
    text: &'a str,
    diagnostics: &'a mut Diagnostics,
}

impl<'a> Reader<'a> {
    /// A reader for one file.
    pub fn new(file: FileId, text: &'a str, diagnostics: &'a mut Diagnostics) -> Self {
        Self {
            file,
            text,
            diagnostics,
        }
    }

    /// The location of a span of this file.
    #[must_use]
    pub const fn loc(&self, span: Span) -> Loc {
        Loc::new(self.file, span)
    }

    /// Report a diagnostic.
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// The source text of a node (for scalars read as strings).
    fn text_of(&self, node: &Node) -> Option<&str> {
        self.text.get(node.span.start()..node.span.end())
    }

    /// Report that `node` has the wrong type.
    pub fn wrong_type(&mut self, node: &Node, expected: &str) {
        let loc = self.loc(node.span);
        self.report(
            Diagnostic::new(
                Code::WrongType,
                format!("expected {expected}, found {}", node.value.kind()),
            )
            .primary(loc, format!("expected {expected}")),
        );
    }

    /// The entries of a mapping, or a wrong-type diagnostic.
    pub fn expect_map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Key, Node)]> {
        match &node.value {
            Value::Map(entries) => Some(entries),
            _ => {
                self.wrong_type(node, &format!("a mapping ({what})"));
                None
            }
        }
    }

    /// Report a key that the mapping does not define.
    pub fn unknown_field(&mut self, key: &Key, fields: &[&str], what: &str, under: &[&str]) {
        let loc = self.loc(key.span);
        let name = printable(&key.name);
        let d = Diagnostic::new(
            Code::UnknownField,
            format!("unknown key `{name}` in {what}"),
        )
        .primary(loc, "unknown key");
        let d = match under {
            [parent] => d.help(format!(
                "`{name}` is a key of `{parent}`: indent it under `{parent}:`"
            )),
            [] => d.suggest_or(&key.name, fields.iter().copied(), || {
                format!("{what} accepts {}", backticked(fields.iter().copied()))
            }),
            parents => d.help(format!(
                "`{name}` is a key of {}: indent it under the one it belongs to",
                backticked(parents.iter().copied())
            )),
        };
        self.report(d);
    }

    /// Report a required key that is missing.
    pub fn missing_field(&mut self, node: &Node, field: &str, what: &str) {
        let loc = self.loc(Span::new(node.span.start(), 0));
        self.report(
            Diagnostic::new(
                Code::MissingField,
                format!("missing key `{field}` in {what}"),
            )
            .primary(loc, format!("`{field}` is required here")),
        );
    }
}

/// Reading a type from a YAML node.
pub trait FromNode: Sized {
    /// Read the value, reporting every problem; `None` when it is unusable.
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self>;

    /// The value when the key is absent: `None` makes the key required.
    fn when_missing() -> Option<Self> {
        None
    }

    /// The keys a mapping of this type accepts (none for other types): a
    /// key of one found beside it was meant to be indented under it.
    fn nested_fields() -> &'static [&'static str] {
        &[]
    }
}

impl FromNode for String {
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            // a number or boolean where text is expected keeps its spelling (`1.10`)
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                reader.text_of(node).map(str::to_owned)
            }
            _ => {
                reader.wrong_type(node, "a string");
                None
            }
        }
    }
}

impl FromNode for bool {
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self> {
        if let Value::Bool(b) = node.value {
            Some(b)
        } else {
            reader.wrong_type(node, "`true` or `false`");
            None
        }
    }
}

impl FromNode for u32 {
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self> {
        match node.value {
            Value::Int(i) => {
                let v = u32::try_from(i).ok();
                if v.is_none() {
                    let loc = reader.loc(node.span);
                    reader.report(
                        Diagnostic::new(Code::InvalidValue, "number out of range")
                            .primary(loc, "expected a whole number from 0 to 4294967295"),
                    );
                }
                v
            }
            _ => {
                reader.wrong_type(node, "a whole number");
                None
            }
        }
    }
}

impl<T: FromNode> FromNode for Spanned<T> {
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self> {
        let loc = reader.loc(node.span);
        T::from_node(node, reader).map(|value| Self { value, loc })
    }
    fn when_missing() -> Option<Self> {
        None
    }
    fn nested_fields() -> &'static [&'static str] {
        T::nested_fields()
    }
}

impl<T: FromNode> FromNode for Option<T> {
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self> {
        if node.value == Value::Null {
            return Some(None);
        }
        T::from_node(node, reader).map(Some)
    }
    fn when_missing() -> Option<Self> {
        Some(None)
    }
    fn nested_fields() -> &'static [&'static str] {
        T::nested_fields()
    }
}

impl<T: FromNode> FromNode for Vec<T> {
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self> {
        let Value::Seq(items) = &node.value else {
            reader.wrong_type(node, "a sequence");
            return None;
        };
        // keep the readable items: one bad entry is reported, the rest still count
        Some(
            items
                .iter()
                .filter_map(|item| T::from_node(item, reader))
                .collect(),
        )
    }
    fn nested_fields() -> &'static [&'static str] {
        T::nested_fields()
    }
}

impl<T: FromNode> FromNode for Entries<T> {
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self> {
        let entries = reader.expect_map(node, "keys to values")?;
        Some(Self(
            entries
                .iter()
                .filter_map(|(key, value)| {
                    let key = Spanned::new(key.name.clone(), reader.loc(key.span));
                    T::from_node(value, reader).map(|v| (key, v))
                })
                .collect(),
        ))
    }
}

/// One string or a list of strings (`where` values, for example).
#[derive(Clone, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum OneOrMany {
    /// A single value.
    One(Spanned<String>),
    /// Several values.
    Many(Vec<Spanned<String>>),
}

impl OneOrMany {
    /// The values, one or many.
    #[must_use]
    pub fn values(&self) -> Vec<&Spanned<String>> {
        match self {
            Self::One(v) => vec![v],
            Self::Many(vs) => vs.iter().collect(),
        }
    }
}

impl FromNode for OneOrMany {
    fn from_node(node: &Node, reader: &mut Reader<'_>) -> Option<Self> {
        match &node.value {
            Value::Seq(_) => Vec::from_node(node, reader).map(Self::Many),
            _ => Spanned::from_node(node, reader).map(Self::One),
        }
    }
}

/// Define a raw mapping type: the struct, its schema and its reader.
macro_rules! raw_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident as $what:literal {
            $( $(#[$fmeta:meta])* $field:ident $(= $key:literal)? : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, schemars::JsonSchema)]
        #[schemars(deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                $( #[schemars(rename = $key)] )?
                pub $field: $ty,
            )*
        }

        impl $name {
            /// The keys this mapping accepts.
            pub const FIELDS: &'static [&'static str] = &[$( $crate::raw::raw_key!($field $(, $key)?) ),*];
        }

        impl $crate::raw::FromNode for $name {
            fn from_node(
                node: &$crate::raw::Node,
                reader: &mut $crate::raw::Reader<'_>,
            ) -> Option<Self> {
                let entries = reader.expect_map(node, $what)?;
                $( let mut $field: Option<Option<$ty>> = None; )*
                for (key, value) in entries {
                    match key.name.as_str() {
                        $(
                            $crate::raw::raw_key!($field $(, $key)?) => {
                                $field = Some(<$ty as $crate::raw::FromNode>::from_node(value, reader));
                            }
                        )*
                        _ => {
                            // a key of a field's own mapping, written beside it
                            let mut under: Vec<&'static str> = Vec::new();
                            $(
                                if <$ty as $crate::raw::FromNode>::nested_fields().contains(&key.name.as_str()) {
                                    under.push($crate::raw::raw_key!($field $(, $key)?));
                                }
                            )*
                            reader.unknown_field(key, Self::FIELDS, $what, &under);
                        }
                    }
                }
                let mut complete = true;
                $(
                    let $field: Option<$ty> = match $field {
                        Some(Some(v)) => Some(v),
                        // an optional key with a bad value was reported: read on without it
                        Some(None) => match <$ty as $crate::raw::FromNode>::when_missing() {
                            Some(v) => Some(v),
                            None => { complete = false; None }
                        },
                        None => match <$ty as $crate::raw::FromNode>::when_missing() {
                            Some(v) => Some(v),
                            None => {
                                reader.missing_field(node, $crate::raw::raw_key!($field $(, $key)?), $what);
                                complete = false;
                                None
                            }
                        },
                    };
                )*
                if !complete {
                    return None;
                }
                Some(Self { $( $field: $field?, )* })
            }

            fn nested_fields() -> &'static [&'static str] {
                Self::FIELDS
            }
        }
    };
}
pub(crate) use raw_struct;

/// The YAML key of a raw field: its name, or the literal given.
macro_rules! raw_key {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident, $key:literal) => {
        $key
    };
}
pub(crate) use raw_key;

/// Define a raw enum of fixed strings: the enum
/// ([`keyword_enum`](crate::model::keyword_enum)) and its reader.
macro_rules! raw_enum {
    ($($body:tt)*) => {
        $crate::model::keyword_enum! { $($body)* }
        $crate::raw::keyword_from_node!(@last $($body)*);
    };
}
pub(crate) use raw_enum;

/// Read a keyword: one of its values, else an unknown-value diagnostic
/// with the closest value or the list of them.
pub fn read_keyword<T: Keyword>(node: &Node, reader: &mut Reader<'_>) -> Option<T> {
    let text = String::from_node(node, reader)?;
    if let Some(v) = T::parse(&text) {
        return Some(v);
    }
    let choices = || T::ALL.iter().map(|v| v.as_str());
    let loc = reader.loc(node.span);
    reader.report(
        Diagnostic::new(
            Code::UnknownValue,
            format!("unknown {} `{}`", T::WHAT, printable(&text)),
        )
        .primary(loc, format!("not a known {}", T::WHAT))
        .suggest_or(&text, choices(), || {
            format!("{} is one of {}", T::WHAT, backticked(choices()))
        }),
    );
    None
}

/// Implement [`FromNode`] for keyword types by [`read_keyword`].
macro_rules! keyword_from_node {
    (@last $(#[$meta:meta])* pub enum $name:ident $($rest:tt)*) => {
        $crate::raw::keyword_from_node!($name);
    };
    ($($ty:ty),* $(,)?) => {
        $(
            impl $crate::raw::FromNode for $ty {
                fn from_node(
                    node: &$crate::raw::Node,
                    reader: &mut $crate::raw::Reader<'_>,
                ) -> Option<Self> {
                    $crate::raw::read_keyword(node, reader)
                }
            }
        )*
    };
}
pub(crate) use keyword_from_node;

keyword_from_node!(
    crate::model::Access,
    crate::model::Acts,
    crate::model::AuthMethod,
    crate::model::AwsPrerequisite,
    crate::model::ClusterPlatform,
    crate::model::GatewayAuthorizer,
    crate::model::GcpPrerequisite,
    crate::model::IdentityType,
    crate::model::Kind,
    crate::model::Platform,
    crate::model::Requirement,
    crate::model::RiskTier,
    crate::model::State,
);
