//! The MCP gateways' Cedar: what `nhi build` renders for Amazon Bedrock
//! AgentCore Policy validates against the schema rendered beside it, and
//! the Cedar authorizer over exactly those files allows the tool calls the
//! agent's file allows and denies the rest.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::disallowed_methods,
    reason = "tests build workspaces on disk and fail loudly"
)]

#[path = "support/workspaces.rs"]
mod support;

use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request, Schema, ValidationMode,
    Validator,
};
use serde_json::{Value, json};
use support::{nhi, text};

const GATEWAY: &str =
    "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/agents-gw-7k2m9q4x1p";
const AGENT: &str = "platform-assistant-client";
/// The scopes of the agent's token.
const SCOPE: &str = "openid kubectl:read";

/// The agent platform, built; the schema and policies of one gateway's
/// folder.
fn gateway(folder: &str, schema: &str) -> (Schema, PolicySet) {
    let dir = support::example("ai-agent-platform");
    let out = nhi(dir.path(), &["build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let read =
        |f: &str| std::fs::read_to_string(dir.path().join("dist").join(folder).join(f)).unwrap();
    let schema = Schema::from_cedarschema_str(&read(schema))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .0;
    let policies = PolicySet::from_str(&read("policies.cedar")).unwrap();
    (schema, policies)
}

/// The AgentCore schema and policies.
fn agentcore() -> (Schema, PolicySet) {
    gateway("agentcore", "agentcore.cedarschema")
}

/// What the gateway decides for `principal` calling `tool` with `input`.
fn call(
    schema: &Schema,
    policies: &PolicySet,
    principal: &str,
    scope: &str,
    tool: &str,
    input: Value,
) -> (Decision, Vec<String>) {
    let principal = EntityUid::from_str(&format!("AgentCore::OAuthUser::\"{principal}\"")).unwrap();
    let action = EntityUid::from_str(&format!("AgentCore::Action::\"{tool}\"")).unwrap();
    let resource = EntityUid::from_str(&format!("AgentCore::Gateway::\"{GATEWAY}\"")).unwrap();
    let entities = Entities::from_json_value(
        json!([{
            "uid": {"type": "AgentCore::OAuthUser", "id": principal.id().unescaped()},
            "attrs": {"id": principal.id().unescaped()},
            "parents": [],
            "tags": {"scope": scope},
        }]),
        Some(schema),
    )
    .unwrap();
    let context = Context::from_json_value(
        json!({"input": input, "system": {"now": {"__extn": {"fn": "datetime", "arg": "2026-11-22T10:00:00Z"}}}}),
        Some((schema, &action)),
    )
    .unwrap_or_else(|e| panic!("{tool}: {e}"));
    let request = Request::new(principal, action, resource, context, Some(schema)).unwrap();
    decide(&request, policies, &entities, tool)
}

/// The Cedar authorizer's decision, which must raise no evaluation error,
/// and each deciding policy by its `@id`, as the rendered file names it.
fn decide(
    request: &Request,
    policies: &PolicySet,
    entities: &Entities,
    tool: &str,
) -> (Decision, Vec<String>) {
    let response = Authorizer::new().is_authorized(request, policies, entities);
    assert!(
        response.diagnostics().errors().next().is_none(),
        "{tool}: evaluation errors"
    );
    let reasons = response
        .diagnostics()
        .reason()
        .filter_map(|id| policies.policy(id)?.annotation("id").map(str::to_owned))
        .collect();
    (response.decision(), reasons)
}

fn kind(value: &str) -> Value {
    json!({"__entity": {"type": "AgentCore::CrossplaneClaims___create_claim_Input_kind", "id": value}})
}

#[test]
fn agentcore_policies_validate_against_their_schema() {
    let (schema, policies) = agentcore();
    let result = Validator::new(schema).validate(&policies, ValidationMode::Strict);
    let errors: Vec<String> = result
        .validation_errors()
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let warnings: Vec<String> = result
        .validation_warnings()
        .map(ToString::to_string)
        .collect();
    assert!(warnings.is_empty(), "{warnings:#?}");
    // one statement per allowed and per forbidden tool, each under the
    // service's limit
    assert_eq!(policies.policies().count(), 7 + 4);
    for p in policies.policies() {
        assert!(p.to_string().len() <= 10_000);
    }
}

#[test]
fn agentcore_allows_the_calls_the_agent_file_allows_and_denies_the_rest() {
    let (schema, policies) = agentcore();
    let ask = |principal: &str, tool: &str, input: Value| {
        call(&schema, &policies, principal, SCOPE, tool, input).0
    };
    // held to the dev team's namespace
    let pods = json!({"resourceType": "pods", "namespace": "dev-team"});
    assert_eq!(
        ask(AGENT, "Kubectl___kubectl_get", pods.clone()),
        Decision::Allow
    );
    assert_eq!(
        ask(
            AGENT,
            "Kubectl___kubectl_get",
            json!({"resourceType": "pods", "namespace": "payments"})
        ),
        Decision::Deny
    );
    // nobody else is this agent
    assert_eq!(
        ask("someone-else", "Kubectl___kubectl_get", pods),
        Decision::Deny
    );
    // a tool it was never given
    assert_eq!(
        ask(
            AGENT,
            "Kubectl___kubectl_scale",
            json!({"resourceType": {"__entity": {"type": "AgentCore::Kubectl___kubectl_scale_Input_resourceType", "id": "deployment"}}, "name": "api", "namespace": "dev-team", "replicas": 0})
        ),
        Decision::Deny
    );
    // a forbidden tool is denied by its forbid, even in its namespace
    let (decision, reasons) = call(
        &schema,
        &policies,
        AGENT,
        SCOPE,
        "Kubectl___kubectl_delete",
        json!({"resourceType": "pods", "name": "api-0", "namespace": "dev-team"}),
    );
    assert_eq!(decision, Decision::Deny);
    assert_eq!(
        reasons,
        ["platform-assistant:kubectl:kubectl_delete:forbidden"]
    );
    // an enum argument: databases and buckets only
    let claim = |k: &str| json!({"namespace": "dev-team", "kind": kind(k), "name": "orders-db"});
    assert_eq!(
        ask(
            AGENT,
            "CrossplaneClaims___create_claim",
            claim("PostgreSQLInstance")
        ),
        Decision::Allow
    );
    assert_eq!(
        ask(AGENT, "CrossplaneClaims___create_claim", claim("Cluster")),
        Decision::Deny
    );
    // an optional argument must be given and match: a real sync is refused
    let sync = |extra: Value| {
        let mut input = json!({"applicationName": "orders", "project": "dev-team"});
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        ask(AGENT, "Argocd___sync_application", input)
    };
    assert_eq!(sync(json!({"dryRun": false})), Decision::Allow);
    assert_eq!(sync(json!({"dryRun": true})), Decision::Deny);
    assert_eq!(sync(json!({})), Decision::Deny);
    // listing without naming the project is not listing the team's own
    assert_eq!(
        ask(AGENT, "Argocd___list_applications", json!({})),
        Decision::Deny
    );
    assert_eq!(
        ask(
            AGENT,
            "Argocd___list_applications",
            json!({"project": "dev-team"})
        ),
        Decision::Allow
    );
}

#[test]
fn what_the_agentcore_gateway_cannot_take_is_refused_at_its_line() {
    let ws = support::workspace(&[
        (
            "nhi.yaml",
            "teams: {ops: {}}\n\
             targets:\n  agentcore:\n    gateway: arn:aws:bedrock-agentcore:eu-west-1:12345:gateway/gw\n    targets: {tickets: Tick-ets, nowhere: Nowhere}\n\
             mcp_servers:\n  tickets: {tools: mcp/tickets.json}\n  3d-render: {url: https://mcp.example.com/render}\n",
        ),
        (
            "mcp/tickets.json",
            r#"[{"name": "get-ticket", "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}}},
 {"name": "close_ticket", "inputSchema": {"type": "object", "properties": {"ticket-id": {"type": "string"}}}}]"#,
        ),
        (
            "identities/triage.yaml",
            "agent: triage\nowner: ops\nauth: oauth_client_credentials\nmcp:\n  tickets:\n    tools: [get-ticket]\n",
        ),
    ]);
    let (code, diagnostics) = support::check_json(ws.path());
    assert_eq!(code, Some(1));
    let mut found: Vec<(String, String, u64)> = diagnostics
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["file"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    let at = |c: &str, f: &str, l: u64| (c.to_owned(), f.to_owned(), l);
    assert_eq!(
        found,
        [
            // the subject the gateway would know the agent by
            at("SC003", "identities/triage.yaml", 3),
            // a server with no pinned tools: no schema for its tools
            at("SC003", "nhi.yaml", 8),
            // the gateway's ARN; a target name with `-`; a server whose
            // default target name starts with a digit
            at("SC007", "nhi.yaml", 4),
            at("SC007", "nhi.yaml", 5),
            at("SC007", "nhi.yaml", 8),
            // tool and argument names Cedar cannot read
            at("SC007", "mcp/tickets.json", 1),
            at("SC007", "mcp/tickets.json", 2),
            // a target for a server nobody declared
            at("RF005", "nhi.yaml", 5),
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>(),
        "{diagnostics:#?}"
    );
}

/// ToolHive's config of the `kubectl` server, its schema and policies.
fn toolhive() -> (Value, Schema, PolicySet) {
    let dir = support::example("ai-agent-platform");
    let out = nhi(dir.path(), &["build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let folder = dir.path().join("dist/toolhive/kubectl");
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("authz.json")).unwrap()).unwrap();
    let (schema, policies) = gateway("toolhive/kubectl", "schema.cedarschema");
    (config, schema, policies)
}

/// What ToolHive decides for `principal` calling `tool` with `arguments`,
/// asked as ToolHive asks: `Client`, `call_tool`, `Tool` under `MCP`, each
/// argument as `arg_<name>`, every number a decimal.
fn toolhive_call(
    schema: &Schema,
    policies: &PolicySet,
    principal: &str,
    scope: &str,
    tool: &str,
    arguments: Value,
) -> (Decision, Vec<String>) {
    let principal = EntityUid::from_str(&format!("Client::\"{principal}\"")).unwrap();
    let action = EntityUid::from_str("Action::\"call_tool\"").unwrap();
    let resource = EntityUid::from_str(&format!("Tool::\"{tool}\"")).unwrap();
    let entities = Entities::from_json_value(
        json!([
            {"uid": {"type": "Client", "id": principal.id().unescaped()}, "attrs": {}, "parents": []},
            {"uid": {"type": "Tool", "id": tool}, "attrs": {}, "parents": [{"type": "MCP", "id": "kubectl"}]},
            {"uid": {"type": "MCP", "id": "kubectl"}, "attrs": {}, "parents": []},
        ]),
        Some(schema),
    )
    .unwrap();
    let mut context = serde_json::Map::new();
    context.insert("claim_scope".to_owned(), json!(scope));
    for (k, v) in arguments.as_object().unwrap() {
        let v = match v {
            Value::Number(n) => {
                json!({"__extn": {"fn": "decimal", "arg": format!("{:.4}", n.as_f64().unwrap())}})
            }
            other => other.clone(),
        };
        context.insert(format!("arg_{k}"), v);
    }
    let context = Context::from_json_value(Value::Object(context), Some((schema, &action)))
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    let request = Request::new(principal, action, resource, context, Some(schema)).unwrap();
    decide(&request, policies, &entities, tool)
}

#[test]
fn toolhive_config_holds_one_policy_per_string_and_validates_against_its_schema() {
    let (config, schema, policies) = toolhive();
    assert_eq!(config["version"], "1.0");
    assert_eq!(config["type"], "cedarv1");
    assert_eq!(config["cedar"]["entities_json"], "[]");
    let strings: Vec<&str> = config["cedar"]["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    // each string one policy (ToolHive's parser reads one), the same as
    // the .cedar file beside it
    for p in &strings {
        assert_eq!(PolicySet::from_str(p).unwrap().policies().count(), 1, "{p}");
    }
    assert_eq!(strings.len(), policies.policies().count());
    assert_eq!(
        strings.len(),
        3 + 2,
        "the kubectl tools: three allowed, two forbidden"
    );
    let result = Validator::new(schema).validate(&policies, ValidationMode::Strict);
    let errors: Vec<String> = result
        .validation_errors()
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn toolhive_allows_the_calls_the_agent_file_allows_and_denies_the_rest() {
    let (_, schema, policies) = toolhive();
    let ask = |principal: &str, tool: &str, arguments: Value| {
        toolhive_call(&schema, &policies, principal, SCOPE, tool, arguments).0
    };
    let pods = json!({"resourceType": "pods", "namespace": "dev-team"});
    assert_eq!(ask(AGENT, "kubectl_get", pods.clone()), Decision::Allow);
    assert_eq!(
        ask(
            AGENT,
            "kubectl_get",
            json!({"resourceType": "pods", "namespace": "payments"})
        ),
        Decision::Deny
    );
    // no namespace given: the guard holds, nothing is allowed, no error
    assert_eq!(
        ask(AGENT, "kubectl_get", json!({"resourceType": "pods"})),
        Decision::Deny
    );
    assert_eq!(
        ask("someone-else", "kubectl_get", pods.clone()),
        Decision::Deny
    );
    let (decision, _) = toolhive_call(&schema, &policies, AGENT, "openid", "kubectl_get", pods);
    assert_eq!(decision, Decision::Deny, "a token without `kubectl:read`");
    assert_eq!(
        ask(
            AGENT,
            "kubectl_scale",
            json!({"resourceType": "deployment", "name": "api", "namespace": "dev-team", "replicas": 0})
        ),
        Decision::Deny
    );
    let (decision, reasons) = toolhive_call(
        &schema,
        &policies,
        AGENT,
        SCOPE,
        "exec_in_pod",
        json!({"name": "api-0", "namespace": "dev-team"}),
    );
    assert_eq!(decision, Decision::Deny);
    assert_eq!(
        reasons,
        ["platform-assistant:kubectl:exec_in_pod:forbidden"]
    );
}

#[test]
fn toolhive_needs_declared_servers_and_agents_it_can_tell() {
    let ws = support::workspace(&[
        (
            "nhi.yaml",
            "teams: {ops: {}}\ntargets:\n  toolhive: {servers: [tickets, tikets]}\nmcp_servers:\n  tickets: {url: https://mcp.example.com/tickets}\n",
        ),
        (
            "identities/triage.yaml",
            "agent: triage\nowner: ops\nauth: oauth_client_credentials\nmcp:\n  tickets:\n    tools: [get_ticket]\n",
        ),
    ]);
    let (code, diagnostics) = support::check_json(ws.path());
    assert_eq!(code, Some(1));
    let errors: Vec<(String, String, u64, String)> = diagnostics
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["file"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["help"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (
                "SC003".to_owned(),
                "identities/triage.yaml".to_owned(),
                3,
                "set `auth.subject` to the `sub` its tokens carry (an OAuth client's id)"
                    .to_owned()
            ),
            (
                "RF005".to_owned(),
                "nhi.yaml".to_owned(),
                3,
                "did you mean `tickets`?".to_owned()
            ),
        ],
        "{diagnostics:#?}"
    );
}

#[test]
fn each_server_publishes_its_protected_resource_metadata() {
    let dir = support::example("ai-agent-platform");
    let out = nhi(dir.path(), &["build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let read = |f: &str| std::fs::read_to_string(dir.path().join("dist").join(f)).unwrap();
    let metadata: Value =
        serde_json::from_str(&read("mcp/kubectl/oauth-protected-resource.json")).unwrap();
    assert_eq!(
        metadata,
        json!({
            "resource": "https://mcp.agents.example.com/kubectl",
            "authorization_servers": ["https://login.example.com"],
            "scopes_supported": ["kubectl:read", "kubectl:write"],
            "bearer_methods_supported": ["header"],
            "resource_name": "The cluster, through the platform's Kubernetes MCP server",
        })
    );
    // a server with no scopes says none (RFC 9728 leaves empty members out)
    let argocd: Value =
        serde_json::from_str(&read("mcp/argocd/oauth-protected-resource.json")).unwrap();
    assert!(argocd.get("scopes_supported").is_none(), "{argocd}");
    // where each server serves it
    assert!(
        read("README.md").contains("`mcp/kubectl/oauth-protected-resource.json` at `https://mcp.agents.example.com/.well-known/oauth-protected-resource/kubectl`"),
        "{}",
        read("README.md")
    );
}

#[test]
fn a_scope_must_be_a_scope_token_naming_tools_the_server_has() {
    let ws = support::workspace(&[
        (
            "nhi.yaml",
            "teams: {ops: {}}\nmcp_servers:\n  tickets:\n    url: http://mcp.example.com/tickets\n    tools: mcp/tickets.json\n    scopes:\n      \"tickets read\": [get_ticket]\n      tickets:write: [close_tiket]\n",
        ),
        (
            "mcp/tickets.json",
            r#"[{"name": "get_ticket", "inputSchema": {"type": "object"}}, {"name": "close_ticket", "inputSchema": {"type": "object"}}]"#,
        ),
        (
            "identities/triage.yaml",
            "agent: triage\nowner: ops\nauth: oauth_client_credentials\n",
        ),
    ]);
    let (code, diagnostics) = support::check_json(ws.path());
    assert_eq!(code, Some(1));
    let errors: Vec<(String, u64, String)> = diagnostics
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (
                "SC007".to_owned(),
                4,
                "`http://mcp.example.com/tickets` is not an https URL without a fragment"
                    .to_owned()
            ),
            (
                "SC007".to_owned(),
                7,
                "`tickets read` is not an OAuth scope".to_owned()
            ),
            (
                "RF006".to_owned(),
                8,
                "MCP server `tickets` has no tool `close_tiket`".to_owned()
            ),
        ],
        "{diagnostics:#?}"
    );
}

#[test]
fn a_tool_list_pinned_as_yaml_renders_as_the_same_list_in_json() {
    // `nhi check` reads a pinned list as YAML, of which JSON is a part: a
    // list kept in YAML's own style must give the gateway the same schema
    let render = |dir: &std::path::Path| {
        let out = nhi(dir, &["build"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        std::fs::read_to_string(dir.join("dist/agentcore/agentcore.cedarschema")).unwrap()
    };
    let json = support::example("ai-agent-platform");
    let yaml = support::example("ai-agent-platform");
    let list = yaml.path().join("mcp/kubectl.tools.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&list).unwrap()).unwrap();
    let block = serde_saphyr::to_string(&doc).unwrap();
    assert!(serde_json::from_str::<Value>(&block).is_err(), "{block}");
    std::fs::write(&list, block).unwrap();
    assert_eq!(render(yaml.path()), render(json.path()));
}
