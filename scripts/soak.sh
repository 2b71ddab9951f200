#!/usr/bin/env bash
# Steady write load against a local cluster for a while, sampling the size of every node's data
# directory: with snapshots and log trimming it must level off instead of growing with the load.
#
#   scripts/soak.sh [--minutes M] [--nodes 3|5] [--in-flight N] [--keys K] [--value-size B]
#                   [--interval-entries E] [--segment-bytes S]
#
# Defaults: 10 minutes, 3 nodes, 64 in flight, 10,000 keys, 256-byte values, a snapshot every
# 20,000 entries, 8 MiB WAL segments. Prints one line per sample and a verdict; exits 1 when the
# data directories kept growing (the largest size in the second half of the run exceeds the
# largest in the first half by more than 50%, or the bound computed from the settings).
# Uses its own cluster directory (/tmp/paxoskv-soak) and stops every process it started.
# PAXOSKV_BUILD_DIR selects the binaries (default build/, built by scripts/cluster.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=10 nodes=3 in_flight=64 keys=10000 value_size=256 interval=20000 segment=$((8 << 20))
while (($#)); do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --in-flight) in_flight=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --value-size) value_size=$2; shift 2 ;;
    --interval-entries) interval=$2; shift 2 ;;
    --segment-bytes) segment=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak: unknown argument $1" >&2; exit 2 ;;
  esac
done

export PAXOSKV_CLUSTER_DIR=/tmp/paxoskv-soak
cluster() { "$root/scripts/cluster.sh" "$@"; }
bench_pid=""
cleanup() {
  [ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null || true
  cluster stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

cluster stop >/dev/null 2>&1 || true
rm -rf "$PAXOSKV_CLUSTER_DIR"
# The servers read these as configuration (PAXOSKV_<SECTION>_<KEY>).
PAXOSKV_SNAPSHOT_INTERVAL_ENTRIES=$interval PAXOSKV_STORAGE_SEGMENT_BYTES=$segment \
  cluster start --nodes "$nodes"
endpoints=$(seq -s, 1 "$nodes" | sed -E 's/([0-9]+)/127.0.0.1:710\1/g')

seconds=$((minutes * 60))
out=$PAXOSKV_CLUSTER_DIR/soak-bench.json
"${PAXOSKV_BUILD_DIR:-$root/build}/bin/paxoskv" bench --endpoints "$endpoints" --in-flight "$in_flight" \
  --duration-s "$seconds" --warmup-s 0 --keys "$keys" --key-size 16 --value-size "$value_size" \
  --read-ratio 0 --json "$out" --quiet &
bench_pid=$!

# Bound from the settings: about two snapshot intervals of log (trimming keeps one interval
# behind the newest snapshot) plus the segment being written and one more, three snapshots, and
# slack for headers. Entry bytes: value + key + command framing (~40 bytes).
entry_bytes=$((value_size + 16 + 40))
snapshot_bytes=$((keys * (value_size + 16 + 40)))
bound=$((3 * interval * entry_bytes + 2 * segment + 3 * snapshot_bytes + (4 << 20)))

samples=$((seconds / 30))
((samples < 2)) && samples=2
step=$((seconds / samples))
declare -a maxima
printf "%8s" "time_s"
for i in $(seq 1 "$nodes"); do printf " %14s" "node${i}_bytes"; done
printf "\n"
for s in $(seq 1 "$samples"); do
  sleep "$step"
  printf "%8d" $((s * step))
  sample_max=0
  for i in $(seq 1 "$nodes"); do
    bytes=$(du -sb "$PAXOSKV_CLUSTER_DIR/data/node$i" 2>/dev/null | cut -f1)
    printf " %14d" "${bytes:-0}"
    ((${bytes:-0} > sample_max)) && sample_max=${bytes:-0}
  done
  printf "\n"
  maxima+=("$sample_max")
done
wait "$bench_pid" || true
bench_pid=""

half=$((${#maxima[@]} / 2))
first=0 second=0
for ((k = 0; k < ${#maxima[@]}; k++)); do
  if ((k < half)); then ((maxima[k] > first)) && first=${maxima[k]}; else ((maxima[k] > second)) && second=${maxima[k]}; fi
done
ops=$(grep -o '"ok": *[0-9]*' "$out" | tail -1 | grep -o '[0-9]*$' || echo "?")
echo "writes acknowledged: $ops; largest data directory: first half $first bytes, second half" \
  "$second bytes; bound from the settings $bound bytes"
cluster status || true
if ((second > first * 3 / 2 || second > bound)); then
  echo "soak: FAILED: the data directories kept growing"
  exit 1
fi
echo "soak: ok: disk use levelled off"
