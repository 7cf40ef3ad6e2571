#!/usr/bin/env bash
# Fuzz nhi with libFuzzer (cargo-fuzz; fuzz/): seed each target's corpus
# from the shipped workspaces (and `import` from the import fixtures), then run every target for SECONDS (default
# 60) and print how many inputs each ran. Any crash, hang (a run over 10 s)
# or out-of-memory (over 2 GiB) fails the script, and libFuzzer leaves the
# input under fuzz/artifacts/TARGET/.
#
#   scripts/fuzz.sh              # a minute per target, as CI does
#   scripts/fuzz.sh 3600 render  # an hour of one target
#
# Needs a C++ compiler (libFuzzer is built from source). The targets build
# with the stable toolchain and the coverage flags `cargo fuzz build -s
# none` passes (cargo-fuzz itself is not needed; `cd fuzz && cargo fuzz run
# TARGET -s none` works as well): no sanitizer, as nhi forbids unsafe code,
# so what the fuzzer looks for is a panic, a hang or unbounded memory.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(check_identity check_workspace render diff import)


# the seed corpus: the shipped workspaces' own files
workspaces=(. examples/*/)
corpus=fuzz/corpus
mkdir -p "$corpus"/{check_identity,check_workspace,render,diff,import}
# one workspace as one input: `#@@ PATH` before each file
as_input() {
  local ws=$1 skip=${2:-}
  (cd "$ws" && { find nhi.yaml catalogue identities -name '*.yaml' -type f 2>/dev/null || true; } | sort) |
    while read -r f; do
      [[ "$f" == "$skip" ]] && continue
      printf '#@@ %s\n' "$f"
      cat "$ws/$f"
    done
}
n=0
for ws in "${workspaces[@]}"; do
  n=$((n + 1))
  for f in $(cd "$ws" && find identities -name '*.yaml' -type f | sort); do
    cp "$ws/$f" "$corpus/check_identity/$(echo "$ws$f" | tr '/.' '__')"
  done
  as_input "$ws" > "$corpus/check_workspace/workspace-$n"
  cp "$corpus/check_workspace/workspace-$n" "$corpus/render/workspace-$n"
  first=$(cd "$ws" && find identities -name '*.yaml' -type f | sort | head -1)
  { as_input "$ws" "$first"; echo '#@@@'; as_input "$ws"; } > "$corpus/diff/added-$n"
  { as_input "$ws"; echo '#@@@'; as_input "$ws" "$first"; } > "$corpus/diff/removed-$n"
done

# the import fixtures, each behind the byte that picks its importer
selector=0
for cloud in aws gcp azure kubernetes; do
  for f in tests/fixtures/import/"$cloud"/*.json tests/fixtures/import/"$cloud"/*.csv; do
    [[ -f "$f" ]] || continue
    { printf "\\x$(printf '%02x' "$selector")"; cat "$f"; } > "$corpus/import/$cloud-$(basename "$f")"
  done
  selector=$((selector + 1))
done
# and the usage exports, behind the byte that picks the usage readers
for f in tests/fixtures/usage/*/*.json tests/fixtures/usage/*/*.log; do
  [[ -f "$f" ]] || continue
  { printf '\x04'; cat "$f"; } > "$corpus/import/usage-$(basename "$(dirname "$f")")-$(basename "$f")"
done

cd fuzz
host=$(rustc -vV | sed -n 's/^host: //p')
# what `cargo fuzz build -s none` passes, for the fuzz targets only (not
# build scripts and proc macros: hence --target)
RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions" \
  cargo build --release --locked --target "$host" --bins >&2
status=0
for t in "${targets[@]}"; do
  log=$(mktemp)
  mkdir -p "artifacts/$t"
  if "target/$host/release/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz: $t: $runs runs in ${seconds}s, no crash, hang or out-of-memory"
  else
    status=1
    echo "fuzz: $t FAILED" >&2
    grep -E 'ERROR|panicked|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -20 >&2 || tail -30 "$log" >&2
  fi
  rm -f "$log"
done
exit $status
