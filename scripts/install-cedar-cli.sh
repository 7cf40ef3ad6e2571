#!/usr/bin/env bash
# Install Cedar's own command-line tool, `cedar` from the crate
# cedar-policy-cli 4.14.1 (crates.io), that scripts/conformance.sh runs
# on the MCP gateways' Cedar: built apart from nhi (its own target folder,
# its own features, the versions of its own lock file), so it shares no
# build with the cedar-policy that nhi links. Writes the executable
# target/cedar-cli/bin/cedar and prints its path; does nothing when it is
# already there and answers with that version.
#
#   cedar=$(scripts/install-cedar-cli.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.14.1
root=target/cedar-cli
bin=$root/bin/cedar
if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "cedar-policy-cli $version" ]; then
  echo "$PWD/$bin"
  exit 0
fi
if ! command -v cargo >/dev/null; then
  echo "install-cedar-cli: cargo is required" >&2
  exit 2
fi
echo "install-cedar-cli: building cedar-policy-cli $version (a few minutes)" >&2
# a target folder of its own, whatever CARGO_TARGET_DIR the caller has:
# the main build's artifacts and features are left alone. Unoptimised
# (--debug): it decides a handful of requests, and builds in 90 s rather
# than 220 s on two cores
CARGO_TARGET_DIR=$PWD/$root/build cargo install --quiet --locked --debug --version "=$version" \
  --root "$root" cedar-policy-cli >&2
# as `cargo install` does with the target folder it makes itself: only the
# executable is kept (the build is over half a gigabyte)
rm -rf "$root/build"
"$bin" --version >&2
echo "$PWD/$bin"
