#!/usr/bin/env bash
# Conformance: what nhi renders for every shipped workspace (and for
# tests/fixtures/state, an identity in each lifecycle state), checked by
# validators nhi shares no code with. Installs them (pinned) under target/
# (a virtualenv, and Cedar's CLI by scripts/install-cedar-cli.sh), builds
# each workspace into a temporary folder, and fails on any finding.
#
#   scripts/conformance.sh
#
# - parliament 1.6.4 (PyPI): every AWS permissions policy
#   (scripts/conformance/aws_policies.py says which one finding it filters,
#   and why). Trust policies are left out: parliament misreads OIDC
#   federation principals.
# - terraform validate, with the hashicorp/aws provider from a local
#   filesystem mirror (NHI_TF_MIRROR, default /opt/tf-plugins): every
#   terraform/aws root and the aws/ module it calls. No Terraform provider can be fetched from the
#   registries this project reaches, so when terraform or the mirror is
#   absent this step says so and is skipped (failing under CI=true); google and azurerm have no
#   mirror here, and tests/terraform.rs checks their files against the
#   providers' schemas instead.
#   With them, scripts/terraform-schemas.sh --check also says whether the
#   AWS part of data/terraform-schemas.json is the provider's own schema.
# - a real apply (scripts/conformance/aws_apply.py, with moto 5.2.5 from
#   PyPI serving the IAM API on 127.0.0.1): every workspace's
#   terraform/aws root applied, every role and user read back and compared
#   with the native JSON, planned again with no changes, an edit behind
#   Terraform's back caught, the account exported with the AWS CLI
#   (awscli 1.46.3 from PyPI), imported with `nhi import aws` and rebuilt to
#   the same roles and policies, `nhi drift aws` silent on that export and
#   exact about a policy attached and a role made by hand, one identity
#   suspended and re-applied,
#   destroyed; and one workspace's aws/ module used twice, for two
#   accounts. It needs the same terraform and mirror, and is skipped (and
#   fails under CI=true) with them.
# - kubernetes-validate 1.37.0 (PyPI), --strict, against the Kubernetes
#   1.33 OpenAPI schemas (k8s-openapi's version): every kubernetes/*.yaml;
#   it skips custom resources, so scripts/conformance/spiffe_ids.py checks
#   each ClusterSPIFFEID against SPIRE's CRD (data/crds/), no unknown
#   property allowed.
# - scripts/aws-service-reference.py --check: the shipped AWS service
#   reference is what parliament carries.
# - cedarpy 4.12.2 (PyPI; the Cedar engine built apart from nhi's, at
#   another version): every workspace's cedar/ folder and every MCP gateway
#   folder (agentcore/, toolhive/*/) validates against the schema rendered
#   beside it (scripts/conformance/gateways.py).
# - cedar-policy-cli 4.14.1 (crates.io; Cedar's own `cedar` command, built
#   apart from nhi by scripts/install-cedar-cli.sh): the same folders
#   validate against the schema beside them with no warning (`cedar
#   validate`), and over examples/ai-agent-platform's rendered files
#   `cedar authorize` allows a tool call the agent's file allows and denies,
#   by its forbid, one the file forbids, at the ToolHive and at the
#   AgentCore gateway (the requests tests/gateways.rs asks of nhi's Cedar),
#   and in its cedar/ folder allows a time-boxed grant inside its window but
#   not at its end or before it, and a refund within its approval's 15
#   minutes but not after them (the decision tests of
#   decisions/support.yaml) (scripts/conformance/cedar_requests.sh).
#
# What the rendered files mean — that every target decides as Cedar does —
# is held by tests/agreement.rs, with the IAM evaluator that
# scripts/install-iam-simulate.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/conformance-venv
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check parliament==1.6.4 kubernetes-validate==1.37.0 \
  'moto[server]==5.2.5' boto3==1.44.18 awscli==1.46.3 cedarpy==4.12.2
cedar=$(scripts/install-cedar-cli.sh)

cargo build --locked --quiet --bin nhi
# where cargo put it: a shared CARGO_TARGET_DIR, or target/
nhi=${CARGO_TARGET_DIR:-target}/debug/nhi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# and the lifecycle states, which no shipped workspace has all of
workspaces=(. examples/*/ tests/fixtures/state/)
for ws in "${workspaces[@]}"; do
  name=$(basename "$(cd "$ws" && pwd)")
  NHI_TODAY=2026-11-22 "$nhi" -C "$ws" build --out "$out/$name" >/dev/null
done

# the linter must see a bad policy as bad, or its silence proves nothing
printf '%s' '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}]}' >"$out/known-bad.json"
if "$venv/bin/python" scripts/conformance/aws_policies.py "$out/known-bad.json" >/dev/null 2>&1; then
  echo "conformance: parliament accepted a policy with an unknown action" >&2
  exit 1
fi

shopt -s nullglob
policies=("$out"/*/aws/*/permissions-policy.json)
"$venv/bin/python" scripts/conformance/aws_policies.py "${policies[@]}"
echo "conformance: ${#workspaces[@]} workspaces, ${#policies[@]} AWS policies clean" >&2

printf 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\nautomountToken: false\n' >"$out/known-bad.yaml"
if "$venv/bin/kubernetes-validate" --strict --quiet -k 1.33 "$out/known-bad.yaml" >/dev/null 2>&1; then
  echo "conformance: kubernetes-validate accepted an unknown field" >&2
  exit 1
fi
printf 'apiVersion: spire.spiffe.io/v1alpha1\nkind: ClusterSPIFFEID\nmetadata: {name: x}\nspec: {spiffeIDTemplate: x, ttll: 1h}\n' >"$out/known-bad-spiffe.yaml"
if "$venv/bin/python" scripts/conformance/spiffe_ids.py data/crds/spire.spiffe.io_clusterspiffeids.yaml "$out/known-bad-spiffe.yaml" >/dev/null 2>&1; then
  echo "conformance: the ClusterSPIFFEID check accepted an unknown field" >&2
  exit 1
fi
manifests=()
for f in "$out"/*/kubernetes/*.yaml; do
  [[ "$(basename "$f")" == kustomization.yaml ]] || manifests+=("$f")
done
"$venv/bin/kubernetes-validate" --strict --quiet --no-warn -k 1.33 "${manifests[@]}" >&2
"$venv/bin/python" scripts/conformance/spiffe_ids.py data/crds/spire.spiffe.io_clusterspiffeids.yaml "${manifests[@]}"
echo "conformance: ${#manifests[@]} Kubernetes manifests valid" >&2

# the gateways' Cedar, validated by another build of Cedar
mkdir -p "$out/known-bad-gateway"
printf 'entity Client;\nentity Tool;\naction "call_tool" appliesTo { principal: [Client], resource: [Tool], context: {} };\n' \
  >"$out/known-bad-gateway/schema.cedarschema"
printf 'permit (principal, action == Action::"call_tool", resource) when { context.arg_x == "y" };\n' \
  >"$out/known-bad-gateway/policies.cedar"
if "$venv/bin/python" scripts/conformance/gateways.py "$out/known-bad-gateway" 2>/dev/null; then
  echo "conformance: cedarpy accepted a policy reading an undeclared context attribute" >&2
  exit 1
fi
gateways=("$out"/*/agentcore "$out"/*/toolhive/*/)
# and every workspace's own Cedar, which the gateways' validators check too
cedar_dirs=("$out"/*/cedar "${gateways[@]}")
if [[ ${#gateways[@]} -eq 0 ]]; then
  echo "conformance: no workspace renders an MCP gateway: nothing to validate" >&2
  exit 1
fi
"$venv/bin/python" scripts/conformance/gateways.py "${cedar_dirs[@]}"
echo "conformance: ${#cedar_dirs[@]} Cedar folders (${#gateways[@]} of MCP gateways) validate with cedarpy" >&2

# and by Cedar's own CLI, which must also decide the example's tool calls
# as nhi's tests do
# (exit 3: the policies do not validate; 1 would be any other error)
status=0
"$cedar" validate --schema "$out/known-bad-gateway/schema.cedarschema" --schema-format cedar \
  --policies "$out/known-bad-gateway/policies.cedar" >/dev/null 2>&1 || status=$?
if [[ $status -ne 3 ]]; then
  echo "conformance: cedar validate did not reject a policy reading an undeclared context attribute (exit $status)" >&2
  exit 1
fi
for dir in "${cedar_dirs[@]}"; do
  schemas=("$dir"/*.cedarschema)
  if [[ ${#schemas[@]} -ne 1 ]]; then
    echo "conformance: $dir has ${#schemas[@]} .cedarschema files, not one" >&2
    exit 1
  fi
  if ! "$cedar" validate --deny-warnings --error-format plain --schema "${schemas[0]}" --schema-format cedar \
    --policies "$dir/policies.cedar" >"$out/cedar-validate.log" 2>&1; then
    echo "conformance: cedar validate rejects $dir" >&2
    cat "$out/cedar-validate.log" >&2
    exit 1
  fi
done
scripts/conformance/cedar_requests.sh "$cedar" "$out/ai-agent-platform"
echo "conformance: ${#cedar_dirs[@]} Cedar folders validate with cedar-policy-cli, and it decides 4 of the example's tool calls and 5 of its time-boxed requests as nhi's tests do" >&2

mirror=${NHI_TF_MIRROR:-/opt/tf-plugins}
if command -v terraform >/dev/null && [[ -d "$mirror/registry.terraform.io/hashicorp/aws" ]]; then
  rc="$out/terraform.rc"
  printf 'provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n' "$mirror" >"$rc"
  validate() {
    (cd "$1" && TF_CLI_CONFIG_FILE="$rc" terraform init -backend=false -input=false -no-color >/dev/null \
      && TF_CLI_CONFIG_FILE="$rc" terraform validate -no-color >/dev/null)
  }
  mkdir -p "$out/tf-bad"
  printf '%s' '{"resource":{"aws_iam_role":{"r":{"nmae":"x","assume_role_policy":"{}"}}}}' >"$out/tf-bad/main.tf.json"
  if validate "$out/tf-bad" 2>/dev/null; then
    echo "conformance: terraform validate accepted a misspelt attribute" >&2
    exit 1
  fi
  checked=0
  # each root as rendered, calling its module at ../../aws
  for dir in "$out"/*/terraform/aws; do
    if ! validate "$dir"; then
      echo "conformance: terraform validate rejects $dir" >&2
      (cd "$dir" && TF_CLI_CONFIG_FILE="$rc" terraform validate -no-color) >&2 || true
      exit 1
    fi
    checked=$((checked + 1))
  done
  echo "conformance: terraform validate accepts $checked terraform/aws roots and their aws/ modules" >&2
  NHI_TF_MIRROR="$mirror" scripts/terraform-schemas.sh --check
  # a real apply: moto's IAM API on 127.0.0.1, started and stopped by the script
  "$venv/bin/python" scripts/conformance/aws_apply.py --nhi "$nhi" --terraform-rc "$rc" \
    --twice examples/cicd-pipelines "${workspaces[@]}"
else
  echo "conformance: SKIPPED terraform validate and the AWS apply: terraform or the hashicorp/aws mirror at $mirror is absent" >&2
  if [[ "${CI:-}" == true ]]; then
    echo "conformance: CI must run terraform validate and the AWS apply: install terraform and the provider mirror" >&2
    exit 1
  fi
fi

"$venv/bin/python" scripts/aws-service-reference.py --check
echo "conformance: data/aws-service-reference.json is current" >&2
