#!/usr/bin/env bash
# Conformance: what nhi renders for every shipped workspace, checked by
# validators nhi shares no code with. Installs them (pinned) into a
# virtualenv under target/, builds each workspace into a temporary folder,
# and fails on any finding.
#
#   scripts/conformance.sh
#
# - parliament 1.6.4 (PyPI): every AWS permissions policy
#   (scripts/conformance/aws_policies.py says which one finding it filters,
#   and why). Trust policies are left out: parliament misreads OIDC
#   federation principals.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/conformance-venv
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check parliament==1.6.4

cargo build --locked --quiet --bin nhi
nhi=target/debug/nhi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

workspaces=(. examples/*/)
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
