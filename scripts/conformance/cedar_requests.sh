#!/usr/bin/env bash
# The rendered Cedar, asked by Cedar's own command-line tool (`cedar
# authorize`, cedar-policy-cli, from scripts/install-cedar-cli.sh), over
# exactly the files `nhi build` renders for examples/ai-agent-platform:
#
# - at the ToolHive gateway and at the AgentCore one, one tool call the
#   platform assistant's file allows and one it forbids. They are requests
#   that tests/gateways.rs asks of the cedar-policy crate nhi links (same
#   principal, action, resource, entities and context), so another build of
#   Cedar confirms the same decisions, and the same policy deciding each;
# - in the workspace's own Cedar (cedar/), a time-boxed grant inside its
#   window, at its end and before it, and a refund approved within its
#   15 minutes and after them: the decision tests of
#   decisions/support.yaml, which `nhi test` asks of nhi's Cedar.
#
#   cedar_requests.sh CEDAR DIST
#
# CEDAR is the `cedar` executable, DIST the build of
# examples/ai-agent-platform. Each request is checked against the schema
# rendered beside the policies (a request it refuses is an error, not a
# DENY). Exits 1 naming the request whose answer differs.
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: gateway_requests.sh CEDAR DIST" >&2
  exit 2
fi
cedar=$1
dist=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ask FOLDER SCHEMA ENTITIES REQUEST WANT POLICY: the request
# $tmp/REQUEST.json, with the entities $tmp/ENTITIES.json, over
# DIST/FOLDER's policies.cedar and SCHEMA must be decided WANT (ALLOW or
# DENY), with POLICY (its @id) among the policies that decided it (`-`: a
# default deny, no policy applied).
ask() {
  local folder=$dist/$1 schema=$2 entities=$3 request=$4 want=$5 policy=$6
  local out rc=0 code=0
  [[ $want == DENY ]] && code=2 # `cedar authorize`: ALLOW exits 0, DENY 2, an error 1
  out=$("$cedar" authorize --verbose --error-format plain \
    --schema "$folder/$schema" --schema-format cedar --policies "$folder/policies.cedar" \
    --entities "$tmp/$entities.json" --request-json "$tmp/$request.json" 2>&1) || rc=$?
  local decided="  $policy"
  [[ $policy == - ]] && decided="note: no policies applied to this request"
  if [[ $rc -ne $code ]] || [[ $(grep -m1 -xE 'ALLOW|DENY' <<<"$out") != "$want" ]] \
    || ! grep -qxF "$decided" <<<"$out"; then
    echo "cedar_requests: $1: $request: expected $want by $policy; cedar authorize exits $rc with:" >&2
    printf '%s\n' "$out" >&2
    return 1
  fi
  echo "cedar_requests: $1: $request: $want by $policy" >&2
}

# --- ToolHive, the `kubectl` server (toolhive/kubectl/) ---------------------
# As ToolHive asks: the client, `call_tool`, the tool under its server
# `MCP::"kubectl"`, the token's scope as `claim_scope` and each argument as
# `arg_<name>`.
cat >"$tmp/toolhive-entities.json" <<'JSON'
[
  {"uid": {"type": "Client", "id": "platform-assistant-client"}, "attrs": {}, "parents": []},
  {"uid": {"type": "Tool", "id": "kubectl_get"}, "attrs": {}, "parents": [{"type": "MCP", "id": "kubectl"}]},
  {"uid": {"type": "Tool", "id": "exec_in_pod"}, "attrs": {}, "parents": [{"type": "MCP", "id": "kubectl"}]},
  {"uid": {"type": "MCP", "id": "kubectl"}, "attrs": {}, "parents": []}
]
JSON
# Allowed: identities/platform-assistant.yaml gives it `kubectl_get` where
# namespace is dev-team, and nhi.yaml puts `kubectl_get` under the scope
# `kubectl:read`, which its token carries.
cat >"$tmp/toolhive-get-pods-in-dev-team.json" <<'JSON'
{
  "principal": "Client::\"platform-assistant-client\"",
  "action": "Action::\"call_tool\"",
  "resource": "Tool::\"kubectl_get\"",
  "context": {"claim_scope": "openid kubectl:read", "arg_resourceType": "pods", "arg_namespace": "dev-team"}
}
JSON
# Denied: `exec_in_pod` is in its `forbidden_tools`, so its forbid decides,
# even in its own namespace and with a token that reads.
cat >"$tmp/toolhive-exec-in-pod.json" <<'JSON'
{
  "principal": "Client::\"platform-assistant-client\"",
  "action": "Action::\"call_tool\"",
  "resource": "Tool::\"exec_in_pod\"",
  "context": {"claim_scope": "openid kubectl:read", "arg_name": "api-0", "arg_namespace": "dev-team"}
}
JSON

# --- Amazon Bedrock AgentCore Policy (agentcore/) ---------------------------
# As the gateway asks: the OAuth client with its token's scope as the tag
# `scope`, the action `<Target>___<tool>`, the gateway's ARN, the tool's
# arguments as `context.input` and the time as `context.system.now`.
cat >"$tmp/agentcore-entities.json" <<'JSON'
[
  {"uid": {"type": "AgentCore::OAuthUser", "id": "platform-assistant-client"},
   "attrs": {"id": "platform-assistant-client"}, "parents": [], "tags": {"scope": "openid kubectl:read"}}
]
JSON
# Allowed: the same `kubectl_get` in dev-team, through the target `Kubectl`.
cat >"$tmp/agentcore-get-pods-in-dev-team.json" <<'JSON'
{
  "principal": "AgentCore::OAuthUser::\"platform-assistant-client\"",
  "action": "AgentCore::Action::\"Kubectl___kubectl_get\"",
  "resource": "AgentCore::Gateway::\"arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/agents-gw-7k2m9q4x1p\"",
  "context": {
    "input": {"resourceType": "pods", "namespace": "dev-team"},
    "system": {"now": {"__extn": {"fn": "datetime", "arg": "2026-11-22T10:00:00Z"}}}
  }
}
JSON
# Denied: `kubectl_delete` is in its `forbidden_tools`, so its forbid
# decides, even in its own namespace.
cat >"$tmp/agentcore-delete-pod.json" <<'JSON'
{
  "principal": "AgentCore::OAuthUser::\"platform-assistant-client\"",
  "action": "AgentCore::Action::\"Kubectl___kubectl_delete\"",
  "resource": "AgentCore::Gateway::\"arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/agents-gw-7k2m9q4x1p\"",
  "context": {
    "input": {"resourceType": "pods", "name": "api-0", "namespace": "dev-team"},
    "system": {"now": {"__extn": {"fn": "datetime", "arg": "2026-11-22T10:00:00Z"}}}
  }
}
JSON

# --- The workspace's own Cedar (cedar/) ------------------------------------
# As the platform's gateway asks: the agent, the action on an article or an
# order, the request's context with its time as `now` (and, for a refund,
# who approved it and when), and the entities rendered beside the policies.
cp "$dist/cedar/entities.json" "$tmp/workspace-entities.json"
# request NAME ACTION RESOURCE CONTEXT: $tmp/NAME.json, by support-triage
request() {
  cat >"$tmp/$1.json" <<JSON
{
  "principal": "Agents::Agent::\"support-triage\"",
  "action": "Agents::Action::\"$2\"",
  "resource": "$3",
  "context": {"environment": "production", "region": "eu-west-1", "namespace": "agents", "channel": "email", $4}
}
JSON
}
at() { printf '{"__extn": {"fn": "datetime", "arg": "%s"}}' "$1"; }
# identities/support-triage.yaml: `sync_knowledge_base` valid from
# 2026-11-16T08:00:00Z until 2027-01-31T18:00:00Z
request sync-in-window sync_knowledge_base 'Agents::Article::\"returns\"' "\"now\": $(at 2026-12-07T10:00:00Z)"
request sync-at-its-end sync_knowledge_base 'Agents::Article::\"returns\"' "\"now\": $(at 2027-01-31T18:00:00Z)"
request sync-before-it sync_knowledge_base 'Agents::Article::\"returns\"' "\"now\": $(at 2026-11-16T07:59:59Z)"
# `issue_refund` with a customer-care lead's approval, valid for 15m
refund="\"currency\": \"GBP\", \"amount_band\": \"under_100\", \"approved_by\": \"customer-care-leads\", \"approved_at\": $(at 2026-12-07T10:02:00Z)"
request refund-approved issue_refund 'Agents::Order::\"o-1\"' "$refund, \"now\": $(at 2026-12-07T10:16:59Z)"
request refund-approval-stale issue_refund 'Agents::Order::\"o-1\"' "$refund, \"now\": $(at 2026-12-07T10:17:00Z)"

# a check that cannot fail proves nothing: a forbidden call expected to be
# allowed must be caught
if ask toolhive/kubectl schema.cedarschema toolhive-entities toolhive-exec-in-pod \
  ALLOW platform-assistant:kubectl:exec_in_pod:forbidden 2>/dev/null; then
  echo "cedar_requests: a forbidden call passed as allowed" >&2
  exit 1
fi

ask toolhive/kubectl schema.cedarschema toolhive-entities toolhive-get-pods-in-dev-team \
  ALLOW platform-assistant:kubectl:kubectl_get
ask toolhive/kubectl schema.cedarschema toolhive-entities toolhive-exec-in-pod \
  DENY platform-assistant:kubectl:exec_in_pod:forbidden
ask agentcore agentcore.cedarschema agentcore-entities agentcore-get-pods-in-dev-team \
  ALLOW platform-assistant:kubectl:kubectl_get
ask agentcore agentcore.cedarschema agentcore-entities agentcore-delete-pod \
  DENY platform-assistant:kubectl:kubectl_delete:forbidden
ask cedar schema.cedarschema workspace-entities sync-in-window \
  ALLOW support-triage:allow:sync_knowledge_base
ask cedar schema.cedarschema workspace-entities sync-at-its-end DENY -
ask cedar schema.cedarschema workspace-entities sync-before-it DENY -
ask cedar schema.cedarschema workspace-entities refund-approved \
  ALLOW support-triage:allow:issue_refund
ask cedar schema.cedarschema workspace-entities refund-approval-stale DENY -
