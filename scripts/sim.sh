#!/usr/bin/env bash
# Runs the seeded cluster simulator.
#   scripts/sim.sh [--nodes N] [--seed S] [--runs R] [--steps K] [--trace]
# Builds what it needs, runs R seeded runs starting at S and prints one summary line per run. On the
# first violation it prints the details and SEED=<s> and exits non-zero; `--runs 1 --seed <s>`
# replays that run exactly (add --trace to see every message).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target paxoskv-sim >/dev/null
exec build/bin/paxoskv-sim "$@"
