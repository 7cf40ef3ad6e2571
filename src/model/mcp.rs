//! Agents' MCP servers and tools: the servers a workspace declares, each
//! with the tool list its `tools/list` response pins, and what each agent
//! may call on them.

use std::collections::BTreeMap;

use crate::source::FileId;

use super::Spanned;

/// An MCP server the workspace's agents call.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct McpServer {
    /// Its name (a key of `mcp_servers`).
    pub name: Spanned<String>,
    /// What it is for.
    pub description: Option<Spanned<String>>,
    /// Its URL: the protected resource its clients present tokens to.
    pub url: Option<Spanned<String>>,
    /// The authorization servers that issue its tokens.
    pub authorization_servers: Vec<Spanned<String>>,
    /// Its OAuth scopes, each with the tools it grants.
    pub scopes: Vec<(Spanned<String>, Vec<Spanned<String>>)>,
    /// Its pinned `tools/list`, when the workspace pins one (`None`: the
    /// tools agents name are not checked).
    pub tools: Option<ToolList>,
}

impl McpServer {
    /// The scopes that grant a tool (none: the tool needs no scope).
    #[must_use]
    pub fn scopes_of(&self, tool: &str) -> Vec<&str> {
        self.scopes
            .iter()
            .filter(|(_, tools)| tools.iter().any(|t| t.value == tool))
            .map(|(scope, _)| scope.value.as_str())
            .collect()
    }
}

/// A server's pinned `tools/list` response.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ToolList {
    /// The file that holds it.
    pub file: FileId,
    /// Its tools, by name.
    pub tools: BTreeMap<String, Tool>,
    /// Each named tool as the server describes it, in the order of the
    /// list: what a gateway's schema is generated from.
    pub definitions: Vec<serde_json::Value>,
}

/// One tool of a server.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tool {
    /// Its name.
    pub name: Spanned<String>,
    /// Its arguments (the properties of its `inputSchema`), by name.
    pub arguments: BTreeMap<String, Argument>,
}

/// One argument of a tool.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Argument {
    /// The JSON Schema type of its values.
    pub kind: ArgumentKind,
    /// Whether every call must give it.
    pub required: bool,
    /// The values its schema allows (`enum`), when it lists them.
    pub values: Option<Vec<String>>,
}

/// The JSON Schema type of an argument.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ArgumentKind {
    /// `string`.
    String,
    /// `integer`.
    Integer,
    /// `number`.
    Number,
    /// `boolean`.
    Boolean,
    /// `array`, `object`, `null`, several types or none: no `where` can
    /// narrow it to a value.
    Other,
}

impl ArgumentKind {
    /// The kind a schema `type` names.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        match text {
            "string" => Self::String,
            "integer" => Self::Integer,
            "number" => Self::Number,
            "boolean" => Self::Boolean,
            _ => Self::Other,
        }
    }

    /// Its name in JSON Schema.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Other => "structured",
        }
    }

    /// Its name after an article (`an integer`).
    #[must_use]
    pub const fn with_article(self) -> &'static str {
        match self {
            Self::String => "a string",
            Self::Integer => "an integer",
            Self::Number => "a number",
            Self::Boolean => "a boolean",
            Self::Other => "a structured",
        }
    }

    /// Whether `value`, as written in YAML, is a value of this kind.
    #[must_use]
    pub fn accepts(self, value: &str) -> bool {
        match self {
            Self::String => true,
            Self::Integer => value.parse::<i64>().is_ok(),
            Self::Number => value.parse::<f64>().is_ok_and(f64::is_finite),
            Self::Boolean => matches!(value, "true" | "false"),
            Self::Other => false,
        }
    }
}

/// What an agent may call on one MCP server.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct McpGrant {
    /// The server (a key of `mcp_servers`).
    pub server: Spanned<String>,
    /// The tools it may call.
    pub tools: Vec<ToolGrant>,
    /// The tools it must never call.
    pub forbidden: Vec<Spanned<String>>,
}

/// One allowed tool, narrowed by its arguments or not.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ToolGrant {
    /// The tool.
    pub tool: Spanned<String>,
    /// Each argument it is narrowed by, with the values it may take.
    pub conditions: Vec<(Spanned<String>, Vec<Spanned<String>>)>,
}
