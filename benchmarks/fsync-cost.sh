#!/usr/bin/env bash
# What durability costs: write throughput and latency of a local 3-node cluster at 1, 16 and 128
# requests in flight with storage.fsync on, then the same cluster with storage.fsync off.
#
#   benchmarks/fsync-cost.sh [--duration-s D] [--warmup-s W]
#
# Uses build/bin (built if missing; set FSYNC_COST_BIN_DIR to use other binaries), ports 7001-7003
# and 7101-7103, and its own data directory; stops every server it started. Prints one table and
# writes it, with the raw JSON, under benchmarks/results/fsync-<timestamp>/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
duration=10 warmup=2
while (($#)); do
  case $1 in
    --duration-s) duration=$2; shift 2 ;;
    --warmup-s) warmup=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fsync-cost: unknown argument $1" >&2; exit 2 ;;
  esac
done
bin=${FSYNC_COST_BIN_DIR:-$root/build/bin}
if ! command -v jq >/dev/null; then
  apt_get=(apt-get); [ "$(id -u)" -ne 0 ] && apt_get=(sudo apt-get)
  DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq jq >/dev/null
fi
if [ -z "${FSYNC_COST_BIN_DIR:-}" ]; then
  "$root/scripts/deps.sh"
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$root/build" -j2 --target paxoskv-server paxoskv >/dev/null
fi
out=$root/benchmarks/results/fsync-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
work=$(mktemp -d /tmp/paxoskv-fsync-XXXXXX)
pids=()
stop_servers() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop_servers; [ -n "${keep_work:-}" ] || rm -rf "$work"' EXIT

endpoints=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103
start_cluster() {  # $1 = on|off
  rm -rf "$work/data" && mkdir -p "$work/data"
  for i in 1 2 3; do
    "$bin/paxoskv-server" --config "$root/configs/cluster3/node$i.toml" \
      --set "node.data_dir=$work/data/node$i" --set "storage.fsync=$1" \
      >"$work/node$i-$1.log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 1 100); do
    if "$bin/paxoskv" --endpoints "$endpoints" put fsync-cost-probe 1 >/dev/null 2>&1; then return; fi
    sleep 0.1
  done
  keep_work=1
  echo "fsync-cost: the cluster did not start; see $work/node*-$1.log" >&2
  exit 1
}

declare -A ops p50 p99
for mode in on off; do
  start_cluster "$mode"
  for n in 1 16 128; do
    json=$out/write-$n-fsync-$mode.json
    "$bin/paxoskv" bench --endpoints "$endpoints" --in-flight "$n" --duration-s "$duration" \
      --warmup-s "$warmup" --read-ratio 0 --keys 1000 --key-size 16 --value-size 256 \
      --connections $((n < 16 ? n : 16)) --json "$json" --quiet >/dev/null
    read -r o a b < <(jq -r '.intervals[0].total | "\(.throughput_per_s | floor) \(.p50_us) \(.p99_us)"' "$json")
    ops[$mode-$n]=$o p50[$mode-$n]=$a p99[$mode-$n]=$b
  done
  stop_servers
done

{
  echo "| in flight | fsync on ops/s | p50 / p99 us | fsync off ops/s | p50 / p99 us | on/off throughput |"
  echo "|--:|--:|--:|--:|--:|--:|"
  for n in 1 16 128; do
    ratio=$(awk -v a="${ops[on-$n]}" -v b="${ops[off-$n]}" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }')
    echo "| $n | ${ops[on-$n]} | ${p50[on-$n]} / ${p99[on-$n]} | ${ops[off-$n]} | ${p50[off-$n]} / ${p99[off-$n]} | $ratio |"
  done
} | tee "$out/table.md"
echo "(3 nodes on 127.0.0.1, 16-byte keys, 256-byte values, ${duration} s per point; results in $out)"
