#!/usr/bin/env bash
# paxoskv side by side with etcd, the reference peer, on this machine in one run.
#
#   benchmarks/compare-etcd.sh [--quick] [options]
#
# Starts a 3-member etcd cluster (Debian's etcd-server, fsync on, default settings), then a 3-node
# paxoskv cluster (fsync on, configs/cluster3), one after the other on 127.0.0.1 ports that are
# free, and runs the same closed-loop workloads against each with the same flags: 16-byte keys,
# 256-byte values; write-only, read-only (linearizable gets) and 50/50, each at 1, 16 and 128
# requests in flight. etcd is driven by etcd-bench (benchmarks/peers/etcd, etcd's own Go client),
# paxoskv by `paxoskv bench`; both write the same summary JSON. Each cluster starts on a settled
# disk: the previous cluster's data directories are deleted and every dirty page written back.
#
# Failover, per system, --failover-rounds times: a writer at 1 in flight logs every request to a
# CSV; the leader is SIGKILLed at a recorded time and restarted a few seconds later. Failover = the
# receive time of the first successful write sent after the kill, minus the kill time. Done once
# more for etcd with election timeouts like paxoskv's (tick_ms x election_timeout_ticks from
# configs/cluster3/node1.toml; heartbeat a tenth of it, etcd's own ratio).
#
# CPU: utime+stime of the servers (from /proc/<pid>/stat) and of the load generator, before and
# after each point, as a percentage of one core and in CPU-microseconds per operation.
#
# Prints one table and writes it (table.md), with every summary JSON, under
# benchmarks/results/<UTC timestamp>/. Everything it starts is stopped by PID on any exit.
#
# Options:
#   --quick                  smoke run: 2 s per point, 0.5 s warm-up, 3 failover rounds
#   --duration-s S           measured seconds per point (default 10)
#   --warmup-s S             unmeasured seconds before each point (default 1)
#   --keys N                 key space (default 1000)
#   --connections-max N      connections = min(in flight, N) (default 16)
#   --failover-rounds N      leader kills per system (default 5; 0 = no failover runs)
#   --failover-attempt-timeout-ms MS
#                            the writer's attempt timeout during failover runs (default 100): how
#                            soon a write stuck at a dead leader is retried elsewhere, i.e. the
#                            resolution of the measurement (the clients' everyday default is 1000)
#   --only etcd|paxoskv      run one system only
#   --out DIR                results directory (default benchmarks/results/<timestamp>)
#   --keep-server-logs       copy the servers' logs to DIR/logs (always done after a failure)
#
# Environment:
#   COMPARE_PAXOSKV_BUILD_DIR  CMake build directory for paxoskv-server and paxoskv, built here
#                              first (default: build/ under the repository root)
#   COMPARE_PAXOSKV_BIN_DIR    use paxoskv-server and paxoskv from this directory; build nothing
#   COMPARE_ETCD_BENCH_DIR     where etcd-bench is built (default: build/peers/etcd-bench)
#   COMPARE_PAXOSKV_CONFIG_DIR node1.toml..node3.toml to start paxoskv from (default:
#                              configs/cluster3; addresses and data directories are overridden)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
script_start=$SECONDS

usage() { sed -n '2,47p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

duration_s=10
warmup_s=1
keys=1000
connections_max=16
failover_rounds=5
failover_attempt_ms=100
systems=(etcd paxoskv)
out=""
keep_server_logs=0
while (($#)); do
  case "$1" in
    --quick) duration_s=2; warmup_s=0.5; failover_rounds=3; shift ;;
    --duration-s) duration_s=${2:?}; shift 2 ;;
    --warmup-s) warmup_s=${2:?}; shift 2 ;;
    --keys) keys=${2:?}; shift 2 ;;
    --connections-max) connections_max=${2:?}; shift 2 ;;
    --failover-rounds) failover_rounds=${2:?}; shift 2 ;;
    --failover-attempt-timeout-ms) failover_attempt_ms=${2:?}; shift 2 ;;
    --only)
      case "${2:-}" in
        etcd | paxoskv) systems=("$2") ;;
        *) echo "compare-etcd.sh: --only takes etcd or paxoskv" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --keep-server-logs) keep_server_logs=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "compare-etcd.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
number='^[0-9]+([.][0-9]+)?$'
for v in "$duration_s" "$warmup_s"; do
  [[ $v =~ $number ]] || { echo "compare-etcd.sh: not a number of seconds: $v" >&2; exit 2; }
done
for v in "$keys" "$connections_max" "$failover_rounds" "$failover_attempt_ms"; do
  [[ $v =~ ^[0-9]+$ ]] || { echo "compare-etcd.sh: not a whole number: $v" >&2; exit 2; }
done
((keys >= 1 && connections_max >= 1 && failover_attempt_ms >= 1)) ||
  { echo "compare-etcd.sh: --keys, --connections-max and the attempt timeout must be positive" >&2; exit 2; }

# The workload points: name, in flight, read ratio.
points=(
  "write-1 1 0" "write-16 16 0" "write-128 128 0"
  "read-1 1 1" "read-16 16 1" "read-128 128 1"
  "mixed-1 1 0.5" "mixed-16 16 0.5" "mixed-128 128 0.5"
)
key_size=16
value_size=256
# Failover round timing (seconds): kill this long after the writer starts, restart the dead
# leader this long after the kill, and let the writer run this long after the restart.
kill_after_s=1.5
restart_after_s=4
after_restart_s=1

stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=${out:-$root/benchmarks/results/$stamp}
mkdir -p "$results/logs"
results=$(cd "$results" && pwd)
work=$(mktemp -d /tmp/compare-etcd.XXXXXX)

log() { printf '[compare-etcd %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- processes: every one started here is remembered by PID and stopped on any exit ----------

proc_pids=()
proc_starts=()
spawned_pid=""

# start_time PID: the process's start time (field 22 of /proc/PID/stat, clock ticks since boot)
# in $start_time_ticks, or "" if the process is gone or a zombie.
start_time() {
  local line
  local -a f
  start_time_ticks=""
  { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 0
  read -r -a f <<<"${line##*) }"
  [ "${f[0]}" != Z ] && start_time_ticks=${f[19]}
}

# True if $1 is a process spawned here and still running: same PID and same start time, so a
# PID reused by another process after ours ended never matches.
is_ours() {
  local pid=$1 i
  [ -n "$pid" ] || return 1
  start_time "$pid"
  [ -n "$start_time_ticks" ] || return 1
  for i in "${!proc_pids[@]}"; do
    [ "${proc_pids[i]}" = "$pid" ] && [ "${proc_starts[i]}" = "$start_time_ticks" ] && return 0
  done
  return 1
}

# spawn LOGFILE COMMAND...: runs COMMAND in the background; its PID lands in $spawned_pid.
spawn() {
  local logfile=$1
  shift
  "$@" >>"$logfile" 2>&1 &
  spawned_pid=$!
  start_time "$spawned_pid"
  proc_pids+=("$spawned_pid")
  proc_starts+=("$start_time_ticks")
}

# stop_pid PID: SIGTERM, then SIGKILL after 5 s.
stop_pid() {
  local pid=$1 i
  is_ours "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    is_ours "$pid" || break
    sleep 0.1
  done
  if is_ours "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true # reap it now, so that its CPU time is not counted later
}

cleanup() {
  local rc=$? i
  trap - EXIT HUP INT TERM
  trap '' PIPE # the output may be a closed pipe: still stop everything
  for i in "${!proc_pids[@]}"; do
    if is_ours "${proc_pids[i]}"; then kill -TERM "${proc_pids[i]}" 2>/dev/null || true; fi
  done
  for _ in $(seq 1 50); do
    local alive=0
    for i in "${!proc_pids[@]}"; do
      is_ours "${proc_pids[i]}" && alive=1
    done
    ((alive)) || break
    sleep 0.1
  done
  for i in "${!proc_pids[@]}"; do
    if is_ours "${proc_pids[i]}"; then kill -KILL "${proc_pids[i]}" 2>/dev/null || true; fi
  done
  if ((rc != 0 || keep_server_logs)); then
    # The servers' logs, for a post-mortem; data directories are deleted either way.
    (cd "$work" && find . -name '*.log' -exec cp --parents {} "$results/logs/" \;) 2>/dev/null || true
    ((rc == 0)) || log "failed (exit $rc); server logs copied under $results/logs"
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

# ---- dependencies and builds -------------------------------------------------------------------

install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]}"
  local sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

has_system() { [[ " ${systems[*]} " == *" $1 "* ]]; }

install_packages jq coreutils
if has_system etcd; then
  install_packages etcd-server etcd-client
  etcd_bench=$("$root/benchmarks/peers/etcd/build.sh" --out "${COMPARE_ETCD_BENCH_DIR:-$root/build/peers/etcd-bench}" | tail -n 1)
  [ -x "$etcd_bench" ] || die "etcd-bench did not build"
fi
if has_system paxoskv; then
  if [ -n "${COMPARE_PAXOSKV_BIN_DIR:-}" ]; then
    pk_bin=$(cd "$COMPARE_PAXOSKV_BIN_DIR" && pwd)
  else
    pk_build=${COMPARE_PAXOSKV_BUILD_DIR:-$root/build}
    log "building paxoskv-server and paxoskv in $pk_build"
    "$root/scripts/deps.sh"
    if [ ! -f "$pk_build/CMakeCache.txt" ]; then
      cmake -S "$root" -B "$pk_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$results/logs/cmake.log" 2>&1 ||
        die "cmake configure failed; see $results/logs/cmake.log"
    fi
    cmake --build "$pk_build" -j "$(nproc)" --target paxoskv-server paxoskv >>"$results/logs/cmake.log" 2>&1 ||
      die "building paxoskv failed; see $results/logs/cmake.log"
    pk_bin=$pk_build/bin
  fi
  for b in paxoskv-server paxoskv; do
    [ -x "$pk_bin/$b" ] || die "$pk_bin/$b is missing"
  done
  if ! "$pk_bin/paxoskv" bench --help >/dev/null 2>&1; then
    log "WARNING: $pk_bin/paxoskv has no 'bench' subcommand yet: measuring etcd only"
    systems=(etcd)
  fi
fi
has_system etcd || has_system paxoskv || die "nothing to measure"

# ---- ports, CPU time ---------------------------------------------------------------------------

# Ports come from below the kernel's ephemeral range, where outgoing connections cannot hold them.
read -r ephemeral_low _ </proc/sys/net/ipv4/ip_local_port_range
port_low=10000
port_high=$((ephemeral_low > port_low + 1000 ? ephemeral_low - 1 : 65000))
next_port=$((port_low + RANDOM % (port_high - port_low - 100)))
# A free TCP port on 127.0.0.1 (nothing accepts connections there), never handed out twice.
alloc_port() {
  while :; do
    next_port=$((next_port + 1))
    ((next_port <= port_high)) || next_port=$port_low
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$next_port") 2>/dev/null; then
      allocated_port=$next_port
      return
    fi
  done
}

clk_tck=$(getconf CLK_TCK)

# Sum of utime+stime, in clock ticks, of the given PIDs (processes that are gone count 0).
cpu_ticks() {
  local sum=0 pid line
  local -a f
  for pid in "$@"; do
    if { read -r line <"/proc/$pid/stat"; } 2>/dev/null; then
      read -r -a f <<<"${line##*) }"
      sum=$((sum + f[11] + f[12]))
    fi
  done
  echo "$sum"
}

# Sets $children_cpu_ms to the CPU milliseconds used by this shell's reaped children so far
# (bash's `times`, second line). Not a $(...) function: a subshell's `times` sees its own children.
children_cpu_ms=0
read_children_cpu_ms() {
  local file=$work/times.txt line part
  times >"$file"
  { read -r _; read -r line; } <"$file"
  children_cpu_ms=0
  for part in $line; do
    [[ $part =~ ^([0-9]+)m([0-9]+)[.]([0-9]+)s$ ]] || continue
    children_cpu_ms=$((children_cpu_ms + (BASH_REMATCH[1] * 60 + BASH_REMATCH[2]) * 1000 + 10#${BASH_REMATCH[3]}))
  done
}

# settle_disk [DIR...]: deletes the data directories of a system that was stopped, then waits until
# the kernel has written back every dirty page (bounded: 60 s), so that the next system starts on
# a quiet disk. etcd leaves tens of MB of dirty pages behind (its bbolt file and preallocated WAL
# segments); without this their writeback and discards land on the next system's fdatasyncs.
settle_disk() {
  local deadline=$((SECONDS + 60)) dirty_kb
  (($#)) && rm -rf "$@"
  sync
  while ((SECONDS < deadline)); do
    dirty_kb=$(awk '/^(Dirty|Writeback):/ { s += $2 } END { print s + 0 }' /proc/meminfo)
    ((dirty_kb < 1024)) && break
    sync
    sleep 0.2
  done
  sleep 1  # and let the device finish what it was told
}

# ---- etcd cluster ------------------------------------------------------------------------------

etcd_pids=()
etcd_client_port=()
etcd_peer_port=()
etcd_extra=()
etcd_dir=""
etcd_endpoints=""
etcd_initial_cluster=""

etcdctl_() { ETCDCTL_API=3 etcdctl --endpoints "$etcd_endpoints" --command-timeout=2s "$@"; }

etcd_start_member() {
  local i=$1 pp=${etcd_peer_port[$1]} cp=${etcd_client_port[$1]}
  spawn "$etcd_dir/m$i.log" etcd --name "m$i" --data-dir "$etcd_dir/m$i.data" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --listen-client-urls "http://127.0.0.1:$cp" --advertise-client-urls "http://127.0.0.1:$cp" \
    --initial-cluster "$etcd_initial_cluster" --initial-cluster-state new \
    --initial-cluster-token "$(basename "$etcd_dir")" --logger zap --log-outputs stderr \
    "${etcd_extra[@]}"
  etcd_pids[i]=$spawned_pid
}

# etcd_start LABEL [etcd flags...]: a fresh 3-member cluster; waits until all three are healthy.
etcd_start() {
  local label=$1 i
  shift
  etcd_extra=("$@")
  etcd_dir=$work/$label
  mkdir -p "$etcd_dir"
  etcd_initial_cluster=""
  etcd_endpoints=""
  for i in 1 2 3; do
    alloc_port; etcd_peer_port[i]=$allocated_port
    alloc_port; etcd_client_port[i]=$allocated_port
    etcd_initial_cluster+="${etcd_initial_cluster:+,}m$i=http://127.0.0.1:${etcd_peer_port[i]}"
    etcd_endpoints+="${etcd_endpoints:+,}127.0.0.1:${etcd_client_port[i]}"
  done
  for i in 1 2 3; do etcd_start_member "$i"; done
  etcd_wait_healthy || die "etcd cluster $label did not become healthy; logs in $results/logs"
  log "etcd cluster $label up: $etcd_endpoints (pids ${etcd_pids[*]:1}) $*"
}

etcd_wait_healthy() {
  local deadline=$((SECONDS + 30)) i
  while ((SECONDS < deadline)); do
    for i in 1 2 3; do
      is_ours "${etcd_pids[i]}" || { log "etcd member m$i exited"; return 1; }
    done
    if etcdctl_ endpoint health >/dev/null 2>&1 && [ -n "$(etcd_leader)" ]; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# Member number (1..3) of the current leader, empty if none is known.
etcd_leader() {
  local ep
  ep=$(etcdctl_ endpoint status 2>/dev/null | awk -F', ' '$5 == "true" { print $1; exit }')
  local i
  for i in 1 2 3; do
    [ "$ep" = "127.0.0.1:${etcd_client_port[i]}" ] && echo "$i" && return
  done
}

etcd_stop() {
  local i
  for i in 1 2 3; do stop_pid "${etcd_pids[i]}"; done
}

# ---- paxoskv cluster ---------------------------------------------------------------------------

pk_pids=()
pk_client_port=()
pk_peer_port=()
pk_dir=""
pk_endpoints=""
pk_peers=""
pk_config_dir=${COMPARE_PAXOSKV_CONFIG_DIR:-$root/configs/cluster3}
pk_overrides=()

pk_start_member() {
  local i=$1
  spawn "$pk_dir/node$i.log" "$pk_bin/paxoskv-server" \
    --config "$pk_config_dir/node$i.toml" --set "node.data_dir=$pk_dir/node$i.data" \
    --set "network.peer_listen=127.0.0.1:${pk_peer_port[i]}" \
    --set "network.client_listen=127.0.0.1:${pk_client_port[i]}" \
    --set "peers=$pk_peers" "${pk_overrides[@]}"
  pk_pids[i]=$spawned_pid
}

pk_start() {
  local i
  pk_dir=$work/paxoskv
  mkdir -p "$pk_dir"
  pk_peers=""
  pk_endpoints=""
  for i in 1 2 3; do
    alloc_port; pk_peer_port[i]=$allocated_port
    alloc_port; pk_client_port[i]=$allocated_port
    pk_peers+="${pk_peers:+,}$i=127.0.0.1:${pk_peer_port[i]}/127.0.0.1:${pk_client_port[i]}"
    pk_endpoints+="${pk_endpoints:+,}127.0.0.1:${pk_client_port[i]}"
  done
  # fsync on, whatever the shipped configuration says (servers that predate the key have it on).
  pk_overrides=()
  grep -q '^[[:space:]]*fsync[[:space:]]*=' "$pk_config_dir/node1.toml" && pk_overrides+=(--set storage.fsync=on)
  for i in 1 2 3; do pk_start_member "$i"; done
  pk_wait_healthy || die "paxoskv cluster did not become healthy; logs in $results/logs"
  log "paxoskv cluster up: $pk_endpoints (pids ${pk_pids[*]:1})"
}

pk_status_json() { "$pk_bin/paxoskv" --endpoints "$pk_endpoints" status -w json 2>/dev/null; }

# Healthy: every node answers status and one of them is the leader.
pk_wait_healthy() {
  local deadline=$((SECONDS + 30)) i status
  while ((SECONDS < deadline)); do
    for i in 1 2 3; do
      is_ours "${pk_pids[i]}" || { log "paxoskv node $i exited"; return 1; }
    done
    status=$(pk_status_json || true)
    if [ -n "$status" ] &&
      [ "$(jq '[.endpoints[] | select(.node != null)] | length' <<<"$status" 2>/dev/null)" = 3 ] &&
      [ -n "$(pk_leader_of "$status")" ]; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

pk_leader_of() {
  local ep i
  ep=$(jq -r '[.endpoints[] | select(.node.role == "leader") | .endpoint][0] // empty' <<<"$1" 2>/dev/null)
  for i in 1 2 3; do
    [ "$ep" = "127.0.0.1:${pk_client_port[i]}" ] && echo "$i" && return
  done
}

pk_leader() { pk_leader_of "$(pk_status_json || true)"; }

pk_stop() {
  local i
  for i in 1 2 3; do stop_pid "${pk_pids[i]}"; done
}

# ---- one measured point ------------------------------------------------------------------------

# driver SYSTEM: the load generator's command for that system.
driver() {
  case "$1" in
    etcd) echo "$etcd_bench" ;;
    paxoskv) echo "$pk_bin/paxoskv bench" ;;
  esac
}

endpoints_of() { [ "$1" = etcd ] && echo "$etcd_endpoints" || echo "$pk_endpoints"; }
server_pids_of() { [ "$1" = etcd ] && echo "${etcd_pids[*]:1}" || echo "${pk_pids[*]:1}"; }

# run_driver SYSTEM NAME ARGS...: runs the system's load generator (bounded by `timeout`) with the
# common flags plus ARGS, JSON to $results/SYSTEM/NAME.json, progress to logs/. Sets
# $driver_wall_us, $driver_cpu_ms and $server_cpu_ticks, and returns the generator's exit status.
run_driver() {
  local system=$1 name=$2
  shift 2
  local -a cmd servers
  read -r -a cmd <<<"$(driver "$system")"
  read -r -a servers <<<"$(server_pids_of "$system")"
  mkdir -p "$results/$system"
  local limit
  limit=$(awk -v d="$duration_s" -v w="$warmup_s" 'BEGIN { printf "%d", d + w + 60 }')
  local s0 s1 c0 c1 w0 w1 rc=0 endpoints
  endpoints=$(endpoints_of "$system")
  s0=$(cpu_ticks "${servers[@]}")
  read_children_cpu_ms
  c0=$children_cpu_ms
  w0=${EPOCHREALTIME/./} # no $(...): a subshell would be counted as the generator's CPU
  spawn "$results/logs/$system-$name.log" timeout -k 5 "$limit" "${cmd[@]}" \
    --endpoints "$endpoints" --keys "$keys" --key-size "$key_size" \
    --value-size "$value_size" --distribution uniform --json "$results/$system/$name.json" "$@"
  wait "$spawned_pid" || rc=$?
  w1=${EPOCHREALTIME/./}
  read_children_cpu_ms
  c1=$children_cpu_ms
  s1=$(cpu_ticks "${servers[@]}")
  driver_wall_us=$((w1 - w0))
  driver_cpu_ms=$((c1 - c0))
  server_cpu_ticks=$((s1 - s0))
  return "$rc"
}

# The whole script, builds included, stays under 15 minutes: a step (point or failover round)
# that might not finish within the budget is skipped, and the table says so.
budget_s=900
skipped=()
check_budget() {
  local need=$1 step=$2
  if ((SECONDS - script_start + need > budget_s)); then
    log "skipping $step: it could pass the ${budget_s} s budget ($((SECONDS - script_start)) s used)"
    skipped+=("$step")
    return 1
  fi
}

# run_point SYSTEM NAME IN_FLIGHT READ_RATIO: one workload point, recorded in points.tsv.
run_point() {
  local system=$1 name=$2 in_flight=$3 read_ratio=$4
  check_budget "$(awk -v d="$duration_s" -v w="$warmup_s" 'BEGIN { printf "%d", d + w + 10 }')" \
    "$system $name" || return 0
  local connections=$((in_flight < connections_max ? in_flight : connections_max))
  run_driver "$system" "$name" --in-flight "$in_flight" --connections "$connections" \
    --read-ratio "$read_ratio" --cas-ratio 0 --duration-s "$duration_s" --warmup-s "$warmup_s" ||
    die "$system $name: the load generator failed (exit $?); see $results/logs/$system-$name.log"
  local json=$results/$system/$name.json
  local t
  t=$(jq -r '.intervals[0].total | [.throughput_per_s, .p50_us, .p99_us, .ok, .errors, .timeouts]
             | map(. // 0 | tostring) | join("\t")' "$json")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$system" "$name" "$in_flight" "$read_ratio" "$t" \
    "$driver_wall_us" "$(awk -v t="$server_cpu_ticks" -v h="$clk_tck" 'BEGIN { printf "%d", t * 1e6 / h }')" \
    "$((driver_cpu_ms * 1000))" >>"$results/points.tsv"
  local thr p50 p99
  IFS=$'\t' read -r thr p50 p99 _ <<<"$t"
  log "$system $name: $(awk -v t="$thr" -v a="$p50" -v b="$p99" \
    'BEGIN { printf "%.0f ops/s, p50 %.2f ms, p99 %.2f ms", t, a / 1000, b / 1000 }')"
}

# preload SYSTEM: every key written before the reads. etcd-bench has --preload; `paxoskv bench`
# writes at 128 in flight long enough to cover the key space many times over (the write points
# that come first cover it again).
preload() {
  local system=$1
  if [ "$system" = etcd ]; then
    run_driver etcd preload --preload --in-flight 64 --connections 16 --read-ratio 0 \
      --duration-s 0.2 --warmup-s 0 || die "etcd preload failed"
  else
    # Random keys for 0.5 s (some 20,000 puts: each of 1000 keys is written with near certainty).
    # A longer preload (it was 2 s) left its writeback and a snapshot for the first measured point.
    run_driver paxoskv preload --in-flight 128 --connections 16 --read-ratio 0 \
      --duration-s 0.5 --warmup-s 0 || die "paxoskv preload failed"
  fi
  rm -f "$results/$system/preload.json"
}

# ---- failover ----------------------------------------------------------------------------------

# failover LABEL SYSTEM: --failover-rounds leader kills; one line per round in failover.tsv.
failover() {
  local label=$1 system=$2 round leader pid kill_us
  local writer_s
  writer_s=$(awk -v a="$kill_after_s" -v b="$restart_after_s" -v c="$after_restart_s" \
    'BEGIN { print a + b + c }')
  for round in $(seq 1 "$failover_rounds"); do
    check_budget 20 "$label failover round $round" || break
    if [ "$system" = etcd ]; then
      etcd_wait_healthy || die "$label: the cluster is not healthy before round $round"
      leader=$(etcd_leader)
      pid=${etcd_pids[leader]}
    else
      pk_wait_healthy || die "$label: the cluster is not healthy before round $round"
      leader=$(pk_leader)
      pid=${pk_pids[leader]}
    fi
    [ -n "$leader" ] || die "$label: no leader before round $round"
    local csv=$work/$label-$round.csv
    local -a cmd
    read -r -a cmd <<<"$(driver "$system")"
    mkdir -p "$results/$system"
    spawn "$results/logs/$label-failover-$round.log" timeout -k 5 60 "${cmd[@]}" \
      --endpoints "$(endpoints_of "$system")" --keys "$keys" --key-size "$key_size" \
      --value-size "$value_size" --in-flight 1 --connections 1 --read-ratio 0 --cas-ratio 0 \
      --duration-s "$writer_s" --warmup-s 0 --attempt-timeout-ms "$failover_attempt_ms" \
      --json "$results/$system/$label-failover-$round.json" --csv "$csv"
    local writer=$spawned_pid
    sleep "$kill_after_s"
    is_ours "$pid" || die "$label round $round: the leader (node $leader) is not running"
    kill_us=${EPOCHREALTIME/./}
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    sleep "$restart_after_s"
    if [ "$system" = etcd ]; then etcd_start_member "$leader"; else pk_start_member "$leader"; fi
    wait "$writer" || die "$label round $round: the writer failed; see $results/logs/$label-failover-$round.log"
    # The first ok write sent after the kill: a write in flight at the kill that succeeds
    # right after it was committed before the kill and says nothing about the new leader.
    # Also recorded: the first ok write *received* after the kill, whenever it was sent.
    local ms any_ms
    read -r ms any_ms < <(awk -F, -v k="$kill_us" '
         NR > 1 && $6 == "ok" && $4 >= k { if (first == 0 || $5 < first) first = $5 }
         NR > 1 && $6 == "ok" && $5 >= k { if (any == 0 || $5 < any) any = $5 }
         NR > 1 && $6 == "ok" && $5 < k { before++ }
         function out(t) { return t == 0 ? "none" : sprintf("%.1f", (t - k) / 1000) }
         END { if (before == 0) print "nostart nostart"; else print out(first), out(any) }' "$csv")
    [ "$ms" = nostart ] && die "$label round $round: the writer had no successful write before the kill"
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$round" "$leader" "$ms" "$any_ms" >>"$results/failover.tsv"
    log "$label round $round: killed node $leader (pid $pid); writes resumed after $ms ms"
  done
}

# ---- the runs ----------------------------------------------------------------------------------

printf 'system\tworkload\tin_flight\tread_ratio\tthroughput_per_s\tp50_us\tp99_us\tok\terrors\ttimeouts\twall_us\tserver_cpu_us\tgenerator_cpu_us\n' \
  >"$results/points.tsv"
printf 'label\tround\tkilled_node\tfailover_ms\tfirst_ok_received_ms\n' >"$results/failover.tsv"

# paxoskv's election timeout, for etcd "configured alike".
cfg_value() {
  awk -F= -v k="$1" '$1 ~ "^[[:space:]]*" k "[[:space:]]*$" { gsub(/[^0-9]/, "", $2); print $2; exit }' \
    "$pk_config_dir/node1.toml"
}
tick_ms=$(cfg_value tick_ms)
election_ticks=$(cfg_value election_timeout_ticks)
tick_ms=${tick_ms:-10}
election_ticks=${election_ticks:-20}
pk_election_ms=$((tick_ms * election_ticks))
alike_heartbeat_ms=$((pk_election_ms / 10 > 0 ? pk_election_ms / 10 : 1))

log "results in $results; $duration_s s per point after $warmup_s s warm-up, $keys keys," \
  "failover rounds $failover_rounds"

if has_system etcd; then
  settle_disk
  etcd_start etcd
  etcd_version=$(etcd --version 2>/dev/null | awk '/etcd Version/ { print $3 }')
  preload etcd
  for p in "${points[@]}"; do
    read -r name in_flight read_ratio <<<"$p"
    run_point etcd "$name" "$in_flight" "$read_ratio"
  done
  ((failover_rounds > 0)) && failover etcd etcd
  etcd_stop
  settle_disk "$etcd_dir"
  if ((failover_rounds > 0)); then
    etcd_start etcd-alike --heartbeat-interval "$alike_heartbeat_ms" --election-timeout "$pk_election_ms"
    failover etcd-alike etcd
    etcd_stop
    settle_disk "$etcd_dir"
  fi
fi

if has_system paxoskv; then
  has_system etcd || settle_disk
  pk_start
  preload paxoskv
  for p in "${points[@]}"; do
    read -r name in_flight read_ratio <<<"$p"
    run_point paxoskv "$name" "$in_flight" "$read_ratio"
  done
  ((failover_rounds > 0)) && failover paxoskv paxoskv
  pk_stop
fi

# ---- the table ---------------------------------------------------------------------------------

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')
git -C "$root" diff --quiet HEAD 2>/dev/null || commit+="+uncommitted changes"

{
  echo "# paxoskv vs etcd, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "$(nproc) cores, $(uname -r); etcd ${etcd_version:-(not run)} (Debian etcd-server, 3 members," \
    "fsync on, default settings) driven by etcd-bench; paxoskv $commit" \
    "(3 nodes, ${pk_config_dir#"$root"/}, fsync on) driven by \`paxoskv bench\`. Closed loop, ${duration_s} s per point" \
    "after ${warmup_s} s warm-up, ${keys} keys (uniform), ${key_size}-byte keys, ${value_size}-byte values," \
    "connections = min(in flight, ${connections_max}); reads are linearizable."
  echo
  awk -F'\t' '
    function ms(us) { return sprintf("%.2f", us / 1000) }
    function ratio(a, b) { return (b > 0 && a != "") ? sprintf("%.2fx", a / b) : "-" }
    NR == 1 { next }
    { key = $2; if (!(key in seen)) { seen[key] = 1; order[++n] = key; inflight[key] = $3 }
      thr[$1, key] = $5; p50[$1, key] = $6; p99[$1, key] = $7
      bad[$1, key] = ($9 + $10 > 0) ? sprintf(" (%d err, %d timeouts)", $9, $10) : "" }
    END {
      print "| workload | in flight | etcd ops/s | etcd p50 ms | etcd p99 ms | paxoskv ops/s | paxoskv p50 ms | paxoskv p99 ms | ops/s paxoskv/etcd | p50 paxoskv/etcd | p99 paxoskv/etcd |"
      print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
      for (i = 1; i <= n; i++) {
        k = order[i]; line = "| " k " | " inflight[k]
        split("etcd paxoskv", sys, " ")
        for (s = 1; s <= 2; s++) {
          if ((sys[s], k) in thr) line = line sprintf(" | %.0f%s | %s | %s", thr[sys[s], k], bad[sys[s], k], ms(p50[sys[s], k]), ms(p99[sys[s], k]))
          else line = line " | - | - | -"
        }
        if (("etcd", k) in thr && ("paxoskv", k) in thr)
          line = line " | " ratio(thr["paxoskv", k], thr["etcd", k]) " | " ratio(p50["paxoskv", k], p50["etcd", k]) " | " ratio(p99["paxoskv", k], p99["etcd", k]) " |"
        else line = line " | - | - | - |"
        print line
      }
    }' "$results/points.tsv"
  echo
  if ((failover_rounds > 0)); then
    awk -F'\t' -v pk="$pk_election_ms" -v hb="$alike_heartbeat_ms" -v tick="$tick_ms" -v ticks="$election_ticks" \
        -v attempt="$failover_attempt_ms" -v restart_ms="$(awk -v r="$restart_after_s" 'BEGIN { print r * 1000 }')" '
      NR == 1 { next }
      { if (!($1 in cnt)) order[++n] = $1; cnt[$1]++
        if ($4 == "none") none[$1]++; else v[$1, ++ok[$1]] = $4 + 0 }
      END {
        desc["etcd"] = "etcd, default timeouts (heartbeat 100 ms, election 1000 ms)"
        desc["etcd-alike"] = sprintf("etcd, timeouts like paxoskv (heartbeat %d ms, election %d ms)", hb, pk)
        desc["paxoskv"] = sprintf("paxoskv, default configuration (tick %d ms x %d ticks = %d ms)", tick, ticks, pk)
        for (i = 1; i <= n; i++) {
          l = order[i]; m = ok[l]
          for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (v[l, b] < v[l, a]) { t = v[l, a]; v[l, a] = v[l, b]; v[l, b] = t }
          if (m == 0) { printf "- failover %s: writes never resumed in %d rounds\n", desc[l], cnt[l]; continue }
          med = (m % 2) ? v[l, (m + 1) / 2] : (v[l, m / 2] + v[l, m / 2 + 1]) / 2
          all = ""; for (a = 1; a <= m; a++) {
            all = all (a > 1 ? ", " : "") sprintf("%.0f", v[l, a]) (v[l, a] > restart_ms ? "*" : "")
            if (v[l, a] > restart_ms) late = 1
          }
          printf "- failover %s: median %.0f ms, max %.0f ms over %d rounds (%s ms)%s\n", desc[l], med, v[l, m], cnt[l], all,
            none[l] ? sprintf("; %d rounds never resumed", none[l]) : ""
        }
        printf "  (SIGKILL of the leader to the first successful write sent after it, 1 write in flight, attempt timeout %d ms)\n", attempt
        if (late) printf "  (* writes resumed only after the killed node was restarted, %d ms after the kill)\n", restart_ms
      }' "$results/failover.tsv"
    echo
  fi
  awk -F'\t' '
    NR == 1 { next }
    { wall = $11 / 1e6; ops = $5 * wall
      server_per_op = ops > 0 ? $12 / ops : 0; generator_per_op = ops > 0 ? $13 / ops : 0
      printf "- cpu %s %s: servers %.0f%% (%.1f us/op), generator %.0f%% (%.1f us/op)\n", $1, $2,
        100 * $12 / 1e6 / wall, server_per_op, 100 * $13 / 1e6 / wall, generator_per_op }' \
    "$results/points.tsv"
  echo "  (CPU of all three servers and of the load generator over the generator's whole run, warm-up included, as % of one core; per op = CPU time / (ops/s x run time))"
  if ((${#skipped[@]})); then
    echo
    echo "Skipped to stay within ${budget_s} s: ${skipped[*]}."
  fi
} >"$results/table.md"

cat "$results/table.md"
log "done in $((SECONDS - script_start)) s; table and JSON in $results"
