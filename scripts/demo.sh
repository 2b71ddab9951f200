#!/usr/bin/env bash
# Shows paxoskv's consensus core at work. Installs dependencies, builds, and runs the seeded
# simulator: a 3-node cluster elects a leader and decides entries while nodes crash and the network
# partitions, then faults stop and the cluster recovers. Every invariant is checked after every
# simulated tick. (The network server and CLI arrive with the next milestone; this script will then
# start a real local cluster.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
echo "==> building (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target paxoskv-sim >/dev/null

seed=${1:-2}
echo
echo "==> one run told as a story: 3 nodes, seed $seed, 1500 ticks of faults"
build/bin/paxoskv-sim --nodes 3 --seed "$seed" --steps 1500 --narrate
echo
echo "==> 20 more runs on 5 nodes, one line each (decided entries, leader changes, faults)"
build/bin/paxoskv-sim --nodes 5 --seed 100 --runs 20
echo
echo "Replay any run exactly with: scripts/sim.sh --nodes N --seed S --runs 1 [--trace]"
