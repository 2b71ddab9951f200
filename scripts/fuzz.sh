#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each one for N seconds.
#   scripts/fuzz.sh [--seconds N]   (default 60 per target)
# Exits non-zero if a target crashes, hits a sanitizer report, leaks, or times out on one input;
# the reproducer is left in build-fuzz/fuzz-artifacts/<target>/ (replay: build-fuzz/bin/<target>
# <file>). The working corpus grows in build-fuzz/fuzz-corpus/<target>/, seeded from
# fuzz_seed_corpus and tests/fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs a value}"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: --seconds wants a positive integer, got '$seconds'" >&2
  exit 2
fi

build=build-fuzz
cache="$build/CMakeCache.txt"
if [[ -f "$cache" ]] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' "$cache"; then
  echo "fuzz.sh: $build/ was configured with another compiler; remove it first" >&2
  exit 2
fi
CXX="${CXX:-clang++}" cmake -S . -B "$build" -DPAXOSKV_FUZZ=ON -DPAXOSKV_BENCHMARKS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

# name:max_len (bytes). The frame limits in the targets are 4 KiB and 16 KiB; inputs somewhat
# longer than one frame let libFuzzer build multi-frame streams.
targets=(fuzz_client_frames:16384 fuzz_peer_frames:65536)
if [[ -f src/common/server_config.cc ]]; then
  targets+=(fuzz_config:8192)
else
  echo "fuzz.sh: src/common/server_config.cc does not exist yet; skipping fuzz_config" >&2
fi
names=()
for t in "${targets[@]}"; do names+=("${t%%:*}"); done
cmake --build "$build" -j2 --target "${names[@]}" fuzz_seed_corpus

corpus="$build/fuzz-corpus"
"$build/bin/fuzz_seed_corpus" "$corpus"

status=0
summary=()
for t in "${targets[@]}"; do
  name="${t%%:*}"
  max_len="${t##*:}"
  mkdir -p "$corpus/$name" "$build/fuzz-artifacts/$name"
  if [[ -d "tests/fuzz/corpus/$name" ]]; then
    find "tests/fuzz/corpus/$name" -maxdepth 1 -type f -exec cp {} "$corpus/$name/" \;
  fi
  log="$build/fuzz-artifacts/$name.log"
  printf '\n==> %s for %s s\n' "$name" "$seconds"
  rc=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/bin/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$name/" \
    "$corpus/$name" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' "$log" | tail -1)
  if [[ $rc -ne 0 ]]; then
    tail -60 "$log"
    summary+=("$name: FAILED (exit $rc) after ${runs:-?} runs; see $log and its artifacts dir")
    status=1
  else
    summary+=("$name: ok, ${runs:-?} runs, ${rate:-?} exec/s, coverage ${cov:-?} edges")
  fi
  tail -3 "$log"
done

printf '\n==> fuzz summary (%s s per target)\n' "$seconds"
printf '%s\n' "${summary[@]}"
exit $status
