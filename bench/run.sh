#!/usr/bin/env bash
# Rerun the `nhi check` benchmark (benches/check.rs) and print its Markdown
# tables.
#
#   bench/run.sh                    # 1000, 10000 and 100000 identities
#   bench/run.sh 1000 10000         # chosen sizes
#   NHI_BENCH_RUNS=5 bench/run.sh   # more runs per measurement (default 3)
#   NHI_BENCH_KEEP=/tmp/ws bench/run.sh 100000   # keep the workspace for profiling
#
# Peak memory is measured with /usr/bin/time (Debian/Ubuntu: apt-get install
# time); without it the column shows n/a. Workspaces are generated under
# $TMPDIR (default /tmp) and removed afterwards; 100000 identities need about
# 150 MB of files and a few minutes on two cores.
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
