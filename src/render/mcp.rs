//! What the MCP gateways share: an agent's tool grants as Cedar statements
//! — a `permit` per allowed tool, its `where` a condition on the call's
//! arguments, a `forbid` per forbidden tool, one `forbid` of every tool
//! for a suspended agent — each gateway spelling the call its own way
//! ([`Spelling`]).

use std::fmt::Write as _;

use serde::Serialize;

use crate::analyse::Analysis;
use crate::cedar::syntax::{push_access, push_has, string};
use crate::model::mcp::{Argument, ArgumentKind, Tool};
use crate::model::{Identity, McpServer, Model, ToolGrant};

use super::{Artifact, Artifacts};

/// How one gateway writes a tool call in Cedar.
pub(super) trait Spelling {
    /// The action and resource of a policy scope for one tool.
    fn scope(&self, server: &str, tool: &str) -> String;
    /// The action and resource of a scope that covers every tool.
    fn everything(&self) -> String;
    /// Where an argument is read: the record and its key.
    fn argument(&self, name: &str) -> (&'static str, String);
    /// An argument's value as a Cedar literal of the type the gateway
    /// gives it.
    fn literal(
        &self,
        server: &str,
        tool: &str,
        argument: &str,
        schema: &Argument,
        value: &str,
    ) -> String;
    /// Whether an argument every call must give is still guarded with
    /// `has` (a gateway that checks no schema).
    fn guards_required(&self) -> bool;
    /// The test that the caller's token has a `scope` claim, and the
    /// claim's value (a space-delimited string).
    fn scope_claim(&self) -> (&'static str, &'static str);
}

/// Every statement of one identity, on the servers `on` keeps, each after
/// a blank line.
pub(super) fn statements(
    model: &Model,
    analysis: &Analysis,
    identity: &Identity,
    principal: &str,
    spelling: &impl Spelling,
    on: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let name = identity.name.value.as_str();
    let grants: Vec<_> = identity
        .mcp
        .iter()
        .filter(|g| on(&g.server.value))
        .collect();
    let mut out = Vec::new();
    if grants.is_empty() {
        return out;
    }
    if analysis.suspended(identity) {
        out.push(format!(
            "@id(\"{name}:suspended\")\nforbid (\n  principal == {principal},\n  {}\n);\n",
            spelling.everything()
        ));
    } else {
        for grant in &grants {
            let server = grant.server.value.as_str();
            let tools = model
                .settings
                .mcp_servers
                .get(server)
                .and_then(|s| s.tools.as_ref());
            for t in &grant.tools {
                let tool = tools.and_then(|l| l.tools.get(&t.tool.value));
                let mut text = format!(
                    "@id(\"{name}:{server}:{}\")\npermit (\n  principal == {principal},\n  {}\n)",
                    t.tool.value,
                    spelling.scope(server, &t.tool.value)
                );
                let scopes = model
                    .settings
                    .mcp_servers
                    .get(server)
                    .map(|s| s.scopes_of(&t.tool.value))
                    .unwrap_or_default();
                let when: Vec<String> = condition(spelling, server, tool, t)
                    .into_iter()
                    .chain(scope_condition(spelling, &scopes))
                    .collect();
                if !when.is_empty() {
                    let _ = write!(text, "\nwhen {{ {} }}", when.join(" && "));
                }
                text.push_str(";\n");
                out.push(text);
            }
        }
    }
    for grant in &grants {
        let server = grant.server.value.as_str();
        for t in &grant.forbidden {
            out.push(format!(
                "@id(\"{name}:{server}:{}:forbidden\")\nforbid (\n  principal == {principal},\n  {}\n);\n",
                t.value,
                spelling.scope(server, &t.value)
            ));
        }
    }
    out
}

/// That the caller's token carries one of `scopes`, if the tool needs
/// any: its `scope` claim is a space-delimited list, so the scope must be
/// the whole claim or one of its words.
fn scope_condition(spelling: &impl Spelling, scopes: &[&str]) -> Option<String> {
    if scopes.is_empty() {
        return None;
    }
    let (has, claim) = spelling.scope_claim();
    let any: Vec<String> = scopes
        .iter()
        .map(|scope| {
            // a scope token holds no space, quote or backslash; `*` is the
            // one character a pattern reads as a wildcard
            let pattern = scope.replace('*', "\\*");
            format!(
                "{claim} == {} || {claim} like \"{pattern} *\" || {claim} like \"* {pattern}\" || {claim} like \"* {pattern} *\"",
                string(scope)
            )
        })
        .collect();
    Some(format!("{has} && ({})", any.join(" || ")))
}

/// The condition a `where` puts on a tool's arguments, if any.
fn condition(
    spelling: &impl Spelling,
    server: &str,
    tool: Option<&Tool>,
    grant: &ToolGrant,
) -> Option<String> {
    let parts: Vec<String> = grant
        .conditions
        .iter()
        .filter_map(|(argument, values)| {
            let schema = tool?.arguments.get(&argument.value)?;
            let (record, key) = spelling.argument(&argument.value);
            let mut attr = String::new();
            push_access(&mut attr, record, &key);
            let literals: Vec<String> = values
                .iter()
                .map(|v| {
                    spelling.literal(server, &grant.tool.value, &argument.value, schema, &v.value)
                })
                .collect();
            let test = match literals.as_slice() {
                [one] => format!("{attr} == {one}"),
                many => format!("[{}].contains({attr})", many.join(", ")),
            };
            Some(if schema.required && !spelling.guards_required() {
                test
            } else {
                let mut guarded = String::new();
                push_has(&mut guarded, record, &key);
                format!("{guarded} && {test}")
            })
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" && "))
}

/// A value as a literal of the argument's JSON Schema type, numbers as
/// decimals and strings as strings.
pub(super) fn plain_literal(schema: &Argument, value: &str) -> String {
    match schema.kind {
        ArgumentKind::Integer | ArgumentKind::Boolean => value.to_owned(),
        ArgumentKind::Number => decimal_literal(value),
        ArgumentKind::String | ArgumentKind::Other => string(value),
    }
}

/// A number as a Cedar `decimal`: a point, at most four places.
pub(super) fn decimal_literal(value: &str) -> String {
    let n: f64 = value.parse().unwrap_or_default();
    let text = format!("{n:.4}");
    let trimmed = text.trim_end_matches('0');
    let text = if trimmed.ends_with('.') {
        format!("{trimmed}0")
    } else {
        trimmed.to_owned()
    };
    format!("decimal(\"{text}\")")
}

/// The folder of the servers' metadata.
pub(super) const DIR: &str = "mcp";

/// RFC 9728 protected resource metadata: what a client of the server
/// reads to learn where to get a token and with which scopes. Members
/// with no value are left out, as the RFC requires.
#[derive(Serialize)]
struct Metadata<'a> {
    resource: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authorization_servers: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes_supported: Vec<&'a str>,
    bearer_methods_supported: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<&'a str>,
}

/// The protected resource metadata of every server with a `url`, under
/// `mcp/SERVER/oauth-protected-resource.json`: the server serves it at
/// its `/.well-known/oauth-protected-resource` URL.
#[must_use]
pub(super) fn metadata(model: &Model) -> Artifacts {
    let mut out = Artifacts::new();
    for server in model.settings.mcp_servers.values() {
        let Some(url) = &server.url else {
            continue;
        };
        out.insert(Artifact::new(
            &format!("{DIR}/{}/oauth-protected-resource.json", server.name.value),
            super::json_file(&Metadata {
                resource: &url.value,
                authorization_servers: server
                    .authorization_servers
                    .iter()
                    .map(|a| a.value.as_str())
                    .collect(),
                scopes_supported: scopes(server),
                bearer_methods_supported: ["header"],
                resource_name: server.description.as_ref().map(|d| d.value.as_str()),
            }),
            None,
        ));
    }
    out
}

fn scopes(server: &McpServer) -> Vec<&str> {
    server
        .scopes
        .iter()
        .map(|(s, _)| s.value.as_str())
        .collect()
}

/// Where a server serves its metadata: the well-known path inserted
/// between its host and its path (RFC 9728, section 3).
#[must_use]
pub(super) fn well_known(url: &str) -> String {
    let rest = url.strip_prefix("https://").unwrap_or(url);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        format!("https://{host}/.well-known/oauth-protected-resource")
    } else {
        format!("https://{host}/.well-known/oauth-protected-resource/{path}")
    }
}
