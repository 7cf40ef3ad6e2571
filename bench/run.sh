#!/usr/bin/env bash
# Rerun the benchmark (benches/check.rs) and print its Markdown tables: at
# each size, `nhi check` beside the bare YAML parse and its phases; `nhi
# build` and `nhi build --check` end to end; Cedar decisions in process
# (sliced and whole-set); and Cedar validation, by shape beside every policy
# strictly (the latter only up to 10000 identities).
#
#   bench/run.sh                    # 1000, 10000 and 100000 identities
#   bench/run.sh 1000 10000         # chosen sizes
#   NHI_BENCH_RUNS=5 bench/run.sh   # more runs per measurement (default 3)
#   NHI_BENCH_KEEP=/tmp/ws bench/run.sh 100000   # keep the workspace for profiling
#
# Peak memory of `nhi check` and `nhi build` is measured with /usr/bin/time
# (Debian/Ubuntu: apt-get install time); without it the column shows n/a.
# Workspaces (and the build output) are generated under $TMPDIR (default
# /tmp) and removed afterwards. On two cores, 1000 identities take about a
# minute and 10000 several minutes (most of it the one strict validation of
# every policy); 100000 identities need about 150 MB of files, twice that
# for the build output, and several minutes more.
set -euo pipefail

cd "$(dirname "$0")/.."

if [[ ! -x /usr/bin/time ]]; then
  echo "note: /usr/bin/time not found; peak memory will show n/a (apt-get install time)" >&2
fi

cargo build --release --bin nhi
if [[ $# -gt 0 ]]; then
  exec cargo bench --bench check -- "$@"
else
  exec cargo bench --bench check
fi
