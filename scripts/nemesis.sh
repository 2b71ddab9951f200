#!/usr/bin/env bash
# The fault-injection harness with linearizability checking on a real cluster (issue 6).
#   scripts/nemesis.sh [--nodes 3|5] [--time SECONDS] [--seed S] [--clients C] [--keys K]
#                      [--recovery-bound-ms MS] [--out DIR] [--keep]
# Starts a 3- or 5-node cluster on 127.0.0.1 with --enable-fault-injection, runs C clients (put,
# get, delete, cas on K keys at a time) while a seeded schedule kills, pauses, partitions (one way,
# both ways, the OmniPaxos paper's quorum-loss, constrained-election and chained shapes) and slows
# or fails the fsync of nodes, one fault at a time; every fault kind runs at least once. Then it
# heals everything and checks: the history is linearizable (paxoskv-check), no acknowledged write
# is lost, every node has the same state hash and applied index, and writes resumed within the
# bound after every heal. Prints a summary; exit 0 = pass, 1 = violation (history, fault log and
# node logs kept in the directory it names, with the command that replays the schedule), 3 = the
# checker gave up. Defaults: 3 nodes, 120 s, 5 clients, 5 keys, a random seed (printed).
# PAXOSKV_BUILD_DIR selects the build directory (default build/). The short run is in ctest:
# `ctest --test-dir build -L nemesis`.
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
while (($#)); do
  case "$1" in
    --nodes | --time | --seed | --clients | --keys | --recovery-bound-ms | --out)
      args+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    --keep) args+=("$1"); shift ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "nemesis: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

build="${PAXOSKV_BUILD_DIR:-build}"
if [[ -z "${PAXOSKV_BUILD_DIR:-}" ]]; then
  scripts/deps.sh
  cmake -S . -B "$build" >/dev/null
fi
cmake --build "$build" -j2 --target paxoskv-server paxoskv-check paxoskv-nemesis >/dev/null
# exec: the harness itself stops every server it started by PID, also on ^C.
exec "$build/bin/paxoskv-nemesis" "${args[@]}"
