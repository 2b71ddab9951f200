#!/usr/bin/env bash
# Shows paxoskv working end to end on this machine: installs dependencies, builds, starts a local
# 3-node cluster, writes and reads, kills the leader with SIGKILL, shows the new leader and that
# the data is still there, and stops the cluster (only the processes it started).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PAXOSKV_CLUSTER_DIR=${PAXOSKV_CLUSTER_DIR:-/tmp/paxoskv-demo}
cli=$root/build/bin/paxoskv
export PAXOSKV_ENDPOINTS=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

trap 'scripts/cluster.sh stop >/dev/null 2>&1 || true' EXIT
rm -rf "$PAXOSKV_CLUSTER_DIR"  # a fresh cluster every time

step "install dependencies, build, start a 3-node cluster on 127.0.0.1"
scripts/cluster.sh start --nodes 3

step "write and read"
run "$cli" put catalog/db/metrics '{"retention":"30d"}'
run "$cli" put catalog/db/logs '{"retention":"7d"}'
run "$cli" cas catalog/db/logs '{"retention":"14d"}' --expect-value '{"retention":"7d"}'
run "$cli" get catalog/db/logs
run "$cli" scan catalog/
echo "(a linearizable read through a follower is redirected to the leader:)"
echo "$ PAXOSKV_ENDPOINTS=127.0.0.1:7103 paxoskv get catalog/db/metrics"
PAXOSKV_ENDPOINTS=127.0.0.1:7103 "$cli" get catalog/db/metrics

leader=$("$cli" status -w json | grep -o '"leader_id": *[0-9]*' | head -1 | grep -o '[0-9]*$')
step "kill the leader (node $leader) with SIGKILL"
run scripts/cluster.sh kill "$leader"
start=$(date +%s%N)
until "$cli" put after-failover yes --timeout-ms 500 >/dev/null 2>&1; do :; done
echo "first write accepted $(( ($(date +%s%N) - start) / 1000000 )) ms after the kill"

step "the new leader, and the data still there"
run "$cli" status -w table || true
run "$cli" get catalog/db/logs
run "$cli" get after-failover

step "restart the old leader: it rejoins and catches up"
run scripts/cluster.sh restart "$leader"
for _ in $(seq 1 50); do
  PAXOSKV_ENDPOINTS=127.0.0.1:710$leader "$cli" get after-failover --serializable >/dev/null 2>&1 && break
  sleep 0.1
done
echo "$ PAXOSKV_ENDPOINTS=127.0.0.1:710$leader paxoskv get after-failover --serializable"
PAXOSKV_ENDPOINTS=127.0.0.1:710$leader "$cli" get after-failover --serializable
run "$cli" status -w table

step "stop the cluster"
run scripts/cluster.sh stop
trap - EXIT
