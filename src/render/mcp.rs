//! What the MCP gateways share: an agent's tool grants as Cedar statements
//! — a `permit` per allowed tool, its `where` a condition on the call's
//! arguments, a `forbid` per forbidden tool, one `forbid` of every tool
//! for a suspended agent — each gateway spelling the call its own way
//! ([`Spelling`]).

use std::fmt::Write as _;

use crate::analyse::Analysis;
use crate::cedar::syntax::{push_access, push_has, string};
use crate::model::mcp::{Argument, ArgumentKind, Tool};
use crate::model::{Identity, Model, ToolGrant};

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
                if let Some(when) = condition(spelling, server, tool, t) {
                    let _ = write!(text, "\nwhen {{ {when} }}");
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
