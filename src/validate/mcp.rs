//! MCP servers and what agents may call on them: each server's pinned
//! `tools/list` read into its tools and their arguments, and every tool,
//! argument and value an identity names checked against it.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Code, Diagnostic, Diagnostics, printable};
use crate::model::mcp::{Argument, ArgumentKind, Tool, ToolList};
use crate::model::{Identity, McpServer, Model, Name, Spanned};
use crate::raw::node::{Node, Value};
use crate::raw::workspace::McpServer as RawServer;
use crate::raw::Entries;
use crate::source::{FileId, Loc, Span};

/// The workspace's MCP servers, each with its pinned tool list when it
/// names one that reads.
pub fn servers(
    raw: Option<&Entries<RawServer>>,
    tool_lists: &[(String, FileId, Node)],
    out: &mut Diagnostics,
) -> BTreeMap<String, McpServer> {
    let mut servers = BTreeMap::new();
    for (name, server) in raw.iter().flat_map(|e| e.iter()) {
        if Name::parse(&name.value).is_none() {
            out.push(
                Diagnostic::new(
                    Code::InvalidName,
                    format!(
                        "MCP server name `{}` is not a DNS-1123 label",
                        printable(&name.value)
                    ),
                )
                .primary(name.loc, "not a name nhi can render")
                .help("use lowercase letters, digits and `-` (`support-desk`)"),
            );
            continue;
        }
        let tools = tool_lists
            .iter()
            .find(|(server, _, _)| *server == name.value)
            .and_then(|(_, file, node)| tool_list(*file, node, out));
        servers.insert(
            name.value.clone(),
            McpServer {
                name: name.clone(),
                description: server.description.clone(),
                url: server.url.clone(),
                authorization_servers: server.authorization_servers.clone().unwrap_or_default(),
                tools,
            },
        );
    }
    servers
}

fn invalid(file: FileId, span: Span, message: String, label: &str) -> Diagnostic {
    Diagnostic::new(Code::InvalidToolList, message)
        .primary(Loc::new(file, span), label)
        .help("pin the server's `tools/list` response as the server returns it: `{\"result\": {\"tools\": [...]}}`, `{\"tools\": [...]}` or the list of tools itself")
}

fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.value {
        Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
        _ => None,
    }
}

/// A pinned `tools/list` response: the JSON-RPC response, its result, or
/// the list of tools itself.
fn tool_list(file: FileId, node: &Node, out: &mut Diagnostics) -> Option<ToolList> {
    let list = get(node, "result")
        .and_then(|r| get(r, "tools"))
        .or_else(|| get(node, "tools"))
        .unwrap_or(node);
    let Value::Seq(items) = &list.value else {
        out.push(invalid(
            file,
            list.span,
            "this is not a `tools/list` response: it holds no list of tools".to_owned(),
            "no `tools` list",
        ));
        return None;
    };
    let mut tools = BTreeMap::new();
    for item in items {
        let Some(tool) = tool_of(file, item, out) else {
            continue;
        };
        if tools.contains_key(&tool.name.value) {
            out.push(invalid(
                file,
                item.span,
                format!("the tool list names `{}` twice", printable(&tool.name.value)),
                "a second tool of this name",
            ));
            continue;
        }
        tools.insert(tool.name.value.clone(), tool);
    }
    Some(ToolList { file, tools })
}

/// One tool: its name and the arguments of its `inputSchema`.
fn tool_of(file: FileId, item: &Node, out: &mut Diagnostics) -> Option<Tool> {
    let Some(Node {
        value: Value::Str(name),
        span,
    }) = get(item, "name")
    else {
        out.push(invalid(
            file,
            item.span,
            "a tool of the list has no `name`".to_owned(),
            "a tool without a name",
        ));
        return None;
    };
    let schema = get(item, "inputSchema");
    let required: BTreeSet<&str> = match schema.and_then(|s| get(s, "required")) {
        Some(Node {
            value: Value::Seq(names),
            ..
        }) => names
            .iter()
            .filter_map(|n| match &n.value {
                Value::Str(s) => Some(s.as_str()),
                _ => None,
            })
            .collect(),
        _ => BTreeSet::new(),
    };
    let arguments = match schema.and_then(|s| get(s, "properties")).map(|p| &p.value) {
        Some(Value::Map(properties)) => properties
            .iter()
            .map(|(k, v)| {
                (
                    k.name.clone(),
                    argument(v, required.contains(k.name.as_str())),
                )
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    Some(Tool {
        name: Spanned::new(name.clone(), Loc::new(file, *span)),
        arguments,
    })
}

fn argument(schema: &Node, required: bool) -> Argument {
    let kind = match get(schema, "type").map(|t| &t.value) {
        Some(Value::Str(t)) => ArgumentKind::parse(t),
        _ => ArgumentKind::Other,
    };
    let values = match get(schema, "enum").map(|e| &e.value) {
        Some(Value::Seq(values)) => Some(
            values
                .iter()
                .filter_map(|v| match &v.value {
                    Value::Str(s) => Some(s.clone()),
                    Value::Int(i) => Some(i.to_string()),
                    Value::Float(f) => Some(f.to_string()),
                    Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    };
    Argument {
        kind,
        required,
        values,
    }
}

/// Every MCP server, tool, argument and value each identity names.
pub fn check(model: &Model, out: &mut Diagnostics) {
    for identity in model.identities.values() {
        check_identity(model, identity, out);
    }
}

fn check_identity(model: &Model, identity: &Identity, out: &mut Diagnostics) {
    let servers = &model.settings.mcp_servers;
    for grant in &identity.mcp {
        let Some(server) = servers.get(&grant.server.value) else {
            out.push(
                Diagnostic::new(
                    Code::UnknownMcpServer,
                    format!(
                        "MCP server `{}` is not declared in `mcp_servers`",
                        printable(&grant.server.value)
                    ),
                )
                .primary(grant.server.loc, "no such server")
                .suggest_or(
                    &grant.server.value,
                    servers.keys().map(String::as_str),
                    || "declare it under `mcp_servers` in nhi.yaml, with its pinned `tools`".to_owned(),
                ),
            );
            continue;
        };
        let forbidden: BTreeSet<&str> = grant.forbidden.iter().map(|t| t.value.as_str()).collect();
        for t in grant.tools.iter().map(|t| &t.tool).chain(&grant.forbidden) {
            tool_exists(server, t, out);
        }
        for t in &grant.tools {
            if forbidden.contains(t.tool.value.as_str()) {
                out.push(
                    Diagnostic::new(
                        Code::AllowedAndForbidden,
                        format!(
                            "tool `{}` of `{}` is both allowed and forbidden",
                            printable(&t.tool.value),
                            server.name.value
                        ),
                    )
                    .primary(t.tool.loc, "allowed here")
                    .help("forbidden always wins: remove it from one of the lists"),
                );
            }
            let tool = server.tools.as_ref().and_then(|l| l.tools.get(&t.tool.value));
            for (argument, values) in &t.conditions {
                argument_takes(server, tool, argument, values, out);
            }
        }
    }
}

fn tool_exists(server: &McpServer, tool: &Spanned<String>, out: &mut Diagnostics) {
    let Some(list) = &server.tools else {
        return;
    };
    if list.tools.contains_key(&tool.value) {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::UnknownTool,
            format!(
                "MCP server `{}` has no tool `{}`",
                server.name.value,
                printable(&tool.value)
            ),
        )
        .primary(tool.loc, "not in its pinned tool list")
        .suggest_or(&tool.value, list.tools.keys().map(String::as_str), || {
            format!(
                "its tools are {}",
                crate::diag::backticked(list.tools.keys().map(String::as_str))
            )
        }),
    );
}

fn argument_takes(
    server: &McpServer,
    tool: Option<&Tool>,
    argument: &Spanned<String>,
    values: &[Spanned<String>],
    out: &mut Diagnostics,
) {
    let Some(tool) = tool else {
        return;
    };
    let Some(schema) = tool.arguments.get(&argument.value) else {
        out.push(
            Diagnostic::new(
                Code::InvalidToolArgument,
                format!(
                    "tool `{}` of `{}` takes no argument `{}`",
                    tool.name.value,
                    server.name.value,
                    printable(&argument.value)
                ),
            )
            .primary(argument.loc, "not in its input schema")
            .suggest_or(
                &argument.value,
                tool.arguments.keys().map(String::as_str),
                || "it takes no arguments a `where` can name".to_owned(),
            ),
        );
        return;
    };
    for value in values {
        let why = if !schema.kind.accepts(&value.value) {
            Some(format!("not {} value", schema.kind.with_article()))
        } else {
            schema
                .values
                .as_ref()
                .filter(|allowed| !allowed.contains(&value.value))
                .map(|_| "not one of the values its schema allows".to_owned())
        };
        if let Some(why) = why {
            let mut d = Diagnostic::new(
                Code::InvalidToolArgument,
                format!(
                    "argument `{}` of tool `{}` cannot be `{}`",
                    argument.value,
                    tool.name.value,
                    printable(&value.value)
                ),
            )
            .primary(value.loc, why);
            d = match &schema.values {
                Some(allowed) => d.suggest_or(&value.value, allowed.iter().map(String::as_str), || {
                    format!(
                        "its values are {}",
                        crate::diag::backticked(allowed.iter().map(String::as_str))
                    )
                }),
                None if schema.kind == ArgumentKind::Other => {
                    d.help("a `where` narrows strings, numbers and booleans; this argument takes structured values")
                }
                None => d.help(format!("write {} value", schema.kind.with_article())),
            };
            out.push(d);
        }
    }
}
