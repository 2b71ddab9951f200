#!/usr/bin/env bash
# Runs a local paxoskv cluster on 127.0.0.1.
#
#   scripts/cluster.sh start  [--nodes 3|5]   build if needed, start the nodes, wait until they serve
#   scripts/cluster.sh status                 per-node table (paxoskv status)
#   scripts/cluster.sh kill N                 SIGKILL node N (to watch a failover)
#   scripts/cluster.sh restart N              start node N again
#   scripts/cluster.sh stop                   stop exactly the processes this script started
#
# State (PID files, logs, data) lives in $PAXOSKV_CLUSTER_DIR (default /tmp/paxoskv-cluster).
# Nodes use configs/cluster<N>/node<i>.toml: peer ports 7001.., client ports 7101...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${PAXOSKV_CLUSTER_DIR:-/tmp/paxoskv-cluster}
# PAXOSKV_BUILD_DIR: use the binaries of another build directory as they are (no build step).
bin=${PAXOSKV_BUILD_DIR:-$root/build}/bin

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

build() {
  if [ -n "${PAXOSKV_BUILD_DIR:-}" ]; then
    :
  elif [ ! -x "$bin/paxoskv-server" ] || [ ! -x "$bin/paxoskv" ] || [ "${PAXOSKV_REBUILD:-1}" = 1 ]; then
    "$root/scripts/deps.sh"
    cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$root/build" -j2 --target paxoskv-server paxoskv >/dev/null
  fi
  # So that `paxoskv put a 1` works as typed: link the CLI onto the PATH when we may.
  if ! command -v paxoskv >/dev/null 2>&1 && [ -w /usr/local/bin ]; then
    ln -sf "$bin/paxoskv" /usr/local/bin/paxoskv
    echo "linked /usr/local/bin/paxoskv -> $bin/paxoskv"
  fi
}

nodes_running() { ls "$dir"/node*.pid 2>/dev/null | wc -l; }

endpoints() {
  local n=$1 eps="" i
  for i in $(seq 1 "$n"); do eps+="${eps:+,}127.0.0.1:$((7100 + i))"; done
  echo "$eps"
}

# True if $1 is the PID of a paxoskv-server we started (guards against PID reuse).
is_ours() {
  [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q "paxoskv-server"
}

start_node() {
  local n=$1 i=$2
  mkdir -p "$dir/data/node$i"
  # The server treats unknown PAXOSKV_* variables as configuration errors: hide this script's own.
  env -u PAXOSKV_CLUSTER_DIR -u PAXOSKV_REBUILD -u PAXOSKV_BUILD_DIR \
    "$bin/paxoskv-server" --config "$root/configs/cluster$n/node$i.toml" \
    --set "node.data_dir=$dir/data/node$i" >>"$dir/node$i.log" 2>&1 &
  echo $! >"$dir/node$i.pid"
}

wait_serving() {
  local n=$1 deadline=$((SECONDS + 15)) i
  while ((SECONDS < deadline)); do
    for i in $(seq 1 "$n"); do
      if ! is_ours "$(cat "$dir/node$i.pid")"; then
        echo "node $i exited; the end of $dir/node$i.log:" >&2
        tail -n 20 "$dir/node$i.log" >&2
        return 1
      fi
    done
    if PAXOSKV_ENDPOINTS=$(endpoints "$n") "$bin/paxoskv" status >/dev/null 2>&1 &&
       PAXOSKV_ENDPOINTS=$(endpoints "$n") "$bin/paxoskv" status -w json 2>/dev/null | grep -q '"role": *"leader"'; then
      return 0
    fi
    sleep 0.2
  done
  echo "cluster did not elect a leader within 15 s; logs in $dir" >&2
  return 1
}

cmd=${1:-}
shift || true
case "$cmd" in
  start)
    n=3
    while (($#)); do
      case "$1" in
        --nodes) n=$2; shift 2 ;;
        *) usage ;;
      esac
    done
    [[ "$n" == 3 || "$n" == 5 ]] || { echo "--nodes must be 3 or 5" >&2; exit 2; }
    if (($(nodes_running) > 0)); then
      echo "a cluster started by this script is already running (state in $dir); stop it first" >&2
      exit 1
    fi
    build
    mkdir -p "$dir"
    echo "$n" >"$dir/size"
    for i in $(seq 1 "$n"); do start_node "$n" "$i"; done
    echo "started $n nodes; data, logs and PIDs in $dir"
    wait_serving "$n"
    PAXOSKV_ENDPOINTS=$(endpoints "$n") "$bin/paxoskv" status -w table
    echo
    echo "try:  paxoskv put a 1 && paxoskv get a      (endpoints: $(endpoints "$n"))"
    ;;
  status)
    n=$(cat "$dir/size" 2>/dev/null || echo 3)
    PAXOSKV_ENDPOINTS=$(endpoints "$n") "$bin/paxoskv" status -w table
    ;;
  kill)
    i=${1:?node number}
    pid=$(cat "$dir/node$i.pid" 2>/dev/null || true)
    if is_ours "$pid"; then kill -KILL "$pid"; echo "killed node $i (pid $pid)"; else echo "node $i is not running"; fi
    ;;
  restart)
    i=${1:?node number}
    n=$(cat "$dir/size" 2>/dev/null || echo 3)
    pid=$(cat "$dir/node$i.pid" 2>/dev/null || true)
    if is_ours "$pid"; then echo "node $i is running (pid $pid)"; exit 1; fi
    start_node "$n" "$i"
    echo "restarted node $i (pid $(cat "$dir/node$i.pid"))"
    ;;
  stop)
    stopped=0
    for f in "$dir"/node*.pid; do
      [ -e "$f" ] || continue
      pid=$(cat "$f")
      if is_ours "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do is_ours "$pid" || break; sleep 0.1; done
        is_ours "$pid" && kill -KILL "$pid" 2>/dev/null || true
        stopped=$((stopped + 1))
      fi
      rm -f "$f"
    done
    echo "stopped $stopped node(s); data and logs remain in $dir"
    ;;
  *) usage ;;
esac
