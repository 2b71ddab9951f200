#!/usr/bin/env bash
# Installs dependencies, builds and runs every test; then builds and runs them all again under
# AddressSanitizer and UndefinedBehaviorSanitizer. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

step() { printf '\n==> %s\n' "$*"; }

step "release build (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
step "tests"
ctest --test-dir build --output-on-failure -j2 --timeout 600

step "sanitizer build (build-asan/, ASan+UBSan)"
# The sweep runs fewer seeds here: the sanitizers make each run about ten times slower.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPAXOSKV_SANITIZE=ON \
  -DPAXOSKV_BENCHMARKS=OFF -DPAXOSKV_SIM_SWEEP_SEEDS=300 >/dev/null
cmake --build build-asan -j2
step "tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2 --timeout 900

step "fuzz the decoders (client frames, peer frames, config) for 10 s each under ASan+UBSan"
scripts/fuzz.sh --seconds 10

step "core purity: src/paxos includes no I/O, thread, lock or clock header"
if grep -rnE '#include *[<"](asio|thread|mutex|condition_variable|fstream|filesystem|chrono|random|sys/socket)' src/paxos; then
  echo "src/paxos must stay pure" >&2
  exit 1
fi

printf '\nall tests passed\n'
