//! MCP servers and what agents may call on them: each server's pinned
//! `tools/list` read into its tools and their arguments, and every tool,
//! argument and value an identity names checked against it.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Code, Diagnostic, Diagnostics, printable};
use crate::model::mcp::{Argument, ArgumentKind, Tool, ToolList};
use crate::model::{
    AgentCoreTarget, GatewayAuthorizer, Identity, McpServer, Model, Name, Spanned, ToolHiveTarget,
};
use crate::raw::Entries;
use crate::raw::node::{Node, Value};
use crate::raw::workspace::McpServer as RawServer;
use crate::source::{FileId, Loc, Span};
use crate::vocabulary::cedar::is_identifier;

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
                scopes: server
                    .scopes
                    .iter()
                    .flat_map(Entries::iter)
                    .map(|(scope, tools)| (scope.clone(), tools.clone()))
                    .collect(),
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
    let mut definitions = Vec::new();
    for item in items {
        let Some(tool) = tool_of(file, item, out) else {
            continue;
        };
        definitions.push(item.to_json());
        if tools.contains_key(&tool.name.value) {
            out.push(invalid(
                file,
                item.span,
                format!(
                    "the tool list names `{}` twice",
                    printable(&tool.name.value)
                ),
                "a second tool of this name",
            ));
            continue;
        }
        tools.insert(tool.name.value.clone(), tool);
    }
    Some(ToolList {
        file,
        tools,
        definitions,
    })
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

/// The MCP servers of the settings, and what the AgentCore and ToolHive
/// gateways need of them and of the identities calling through them.
pub fn check(model: &Model, out: &mut Diagnostics) {
    for server in model.settings.mcp_servers.values() {
        server_settings(server, out);
    }
    if let Some(target) = &model.settings.targets.agentcore {
        agentcore(model, target, out);
    }
    if let Some(target) = &model.settings.targets.toolhive {
        toolhive(model, target, out);
    }
}

/// RF005: `server` names no server of `mcp_servers`.
fn unknown_server(model: &Model, server: &Spanned<String>) -> Diagnostic {
    let servers = &model.settings.mcp_servers;
    Diagnostic::new(
        Code::UnknownMcpServer,
        format!(
            "MCP server `{}` is not declared in `mcp_servers`",
            printable(&server.value)
        ),
    )
    .primary(server.loc, "no such server")
    .suggest_or(&server.value, servers.keys().map(String::as_str), || {
        "declare it under `mcp_servers` in nhi.yaml, with its pinned `tools`".to_owned()
    })
}

/// A gateway that knows a calling agent only by its token's `sub`, and an
/// agent whose file does not say it.
fn no_subject(identity: &Identity, gateway: &str) -> Option<Diagnostic> {
    identity.auth.subject.is_none().then(|| {
        Diagnostic::new(
            Code::MissingField,
            format!(
                "`{}` calls MCP tools through {gateway}, which knows it only by its token's `sub`",
                identity.name.value
            ),
        )
        .primary(identity.auth.loc, "no `subject`")
        .help("set `auth.subject` to the `sub` its tokens carry (an OAuth client's id)")
    })
}

/// What ToolHive needs: servers the workspace declares, and a way to tell
/// each calling agent (its token's `sub`).
fn toolhive(model: &Model, target: &ToolHiveTarget, out: &mut Diagnostics) {
    let servers = &model.settings.mcp_servers;
    for server in &target.servers {
        if !servers.contains_key(&server.value) {
            out.push(unknown_server(model, server));
        }
    }
    for identity in model.identities.values() {
        if identity.mcp.iter().any(|g| target.runs(&g.server.value))
            && let Some(d) = no_subject(identity, "ToolHive")
        {
            out.push(d);
        }
    }
}

/// A server's URL and authorization servers (https, no fragment: what
/// RFC 9728 takes as a resource or issuer identifier), and its scopes
/// (RFC 6749 scope tokens, each naming tools the server has).
fn server_settings(server: &McpServer, out: &mut Diagnostics) {
    for url in server.url.iter().chain(&server.authorization_servers) {
        let ok = url
            .value
            .strip_prefix("https://")
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
            && !url.value.contains(['#', ' ']);
        if !ok {
            out.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{}` is not an https URL without a fragment", printable(&url.value)),
                )
                .primary(url.loc, "not an OAuth resource or issuer identifier")
                .help("write the server's (or the authorization server's) https URL, as its clients name it"),
            );
        }
    }
    for (scope, tools) in &server.scopes {
        let token = !scope.value.is_empty()
            && scope
                .value
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !token {
            out.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{}` is not an OAuth scope", printable(&scope.value)),
                )
                .primary(
                    scope.loc,
                    "spaces, quotes and backslashes cannot be in a scope",
                )
                .help("name the scope as the authorization server issues it (`tickets:read`)"),
            );
        }
        for tool in tools {
            tool_exists(server, tool, out);
        }
    }
}

/// An AgentCore gateway's ARN.
fn is_gateway_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "bedrock-agentcore", region, account, resource]
            if partition.starts_with("aws")
                && !region.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("gateway/").is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    )
}

/// What the AgentCore gateway needs: its ARN, a target name Cedar can
/// read for every server, tools and arguments named as Cedar identifiers,
/// pinned tool lists, and a way to tell each calling agent.
fn agentcore(model: &Model, target: &AgentCoreTarget, out: &mut Diagnostics) {
    if !is_gateway_arn(&target.gateway.value) {
        out.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "`{}` is not an AgentCore gateway ARN",
                    printable(&target.gateway.value)
                ),
            )
            .primary(
                target.gateway.loc,
                "not `arn:aws:bedrock-agentcore:REGION:ACCOUNT:gateway/ID`",
            )
            .help("copy the gateway's ARN from `aws bedrock-agentcore-control get-gateway`"),
        );
    }
    let servers = &model.settings.mcp_servers;
    for (server, name) in &target.target_names {
        if !servers.contains_key(&server.value) {
            out.push(unknown_server(model, server));
        }
        if !is_target_name(&name.value) {
            out.push(target_name_refused(&name.value, name.loc));
        }
    }
    for server in servers.values() {
        let named = target
            .target_names
            .iter()
            .any(|(s, _)| s.value == server.name.value);
        if !named && !is_target_name(&target.target_name(&server.name.value)) {
            out.push(target_name_refused(
                &target.target_name(&server.name.value),
                server.name.loc,
            ));
        }
        match &server.tools {
            Some(list) => identifiers(server, list, out),
            None => out.push(
                Diagnostic::new(
                    Code::MissingField,
                    format!("MCP server `{}` pins no `tools`: the AgentCore gateway's schema is made from them", server.name.value),
                )
                .primary(server.name.loc, "no pinned tool list")
                .help("pin the server's `tools/list` response in the repository and name it in `tools`"),
            ),
        }
    }
    for identity in model.identities.values().filter(|i| !i.mcp.is_empty()) {
        caller_known(model, target, identity, out);
    }
}

/// A gateway target name nhi can render: AgentCore's, and one Cedar reads
/// as the start of an identifier.
fn is_target_name(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn target_name_refused(name: &str, loc: Loc) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        format!("`{}` cannot be an AgentCore gateway target nhi renders", printable(name)),
    )
    .primary(loc, "its tools would be named `<Target>___<tool>`, which Cedar must read as one identifier")
    .help("name the server's gateway target under `targets.agentcore.targets` with letters and digits, starting with a letter (`SupportDesk`)")
}

/// The tools and arguments of a list, as Cedar identifiers.
fn identifiers(server: &McpServer, list: &ToolList, out: &mut Diagnostics) {
    for tool in list.tools.values() {
        let bad_argument = tool.arguments.keys().find(|a| !is_identifier(a));
        if is_identifier(&tool.name.value) && bad_argument.is_none() {
            continue;
        }
        let what = bad_argument.map_or_else(
            || format!("tool `{}`", printable(&tool.name.value)),
            |a| format!("argument `{}` of tool `{}`", printable(a), tool.name.value),
        );
        out.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!("{what} of `{}` cannot be named in AgentCore's Cedar", server.name.value),
            )
            .primary(tool.name.loc, "not a Cedar identifier")
            .help("AgentCore types each tool's arguments in Cedar: tool and argument names of letters, digits and `_`"),
        );
    }
}

/// The gateway must be able to tell the agent: by its token's `sub`, or
/// by its AWS role.
fn caller_known(
    model: &Model,
    target: &AgentCoreTarget,
    identity: &Identity,
    out: &mut Diagnostics,
) {
    let name = identity.name.value.as_str();
    match target.authorizer {
        GatewayAuthorizer::Oauth => {
            if let Some(d) = no_subject(identity, "the AgentCore gateway") {
                out.push(d);
            }
        }
        GatewayAuthorizer::Iam if model.settings.targets.aws.is_none() => out.push(
            Diagnostic::new(
                Code::MissingField,
                format!("`{name}` calls MCP tools through an IAM-authenticated AgentCore gateway, and the workspace configures no AWS account for its role"),
            )
            .primary(identity.auth.loc, "no AWS role to sign with")
            .help("set `targets.aws`, or use `authorizer: oauth`"),
        ),
        _ => {}
    }
}

/// Every MCP server, tool, argument and value one identity names.
pub fn identity(model: &Model, identity: &Identity, out: &mut Diagnostics) {
    let servers = &model.settings.mcp_servers;
    for grant in &identity.mcp {
        let Some(server) = servers.get(&grant.server.value) else {
            out.push(unknown_server(model, &grant.server));
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
            let tool = server
                .tools
                .as_ref()
                .and_then(|l| l.tools.get(&t.tool.value));
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
