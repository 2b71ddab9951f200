#!/usr/bin/env bash
# Builds etcd-bench, the etcd load generator of benchmarks/compare-etcd.sh, offline from Debian's
# packages: Go 1.19 and etcd 3.4's client sources (golang-etcd-server-dev) in GOPATH mode, with no
# module proxy and no download.
#
#   benchmarks/peers/etcd/build.sh [--out DIR] [--test]
#
#   --out DIR   where the binary (DIR/etcd-bench) and the Go build cache go
#               (default: build/peers/etcd-bench under the repository root)
#   --test      also run the Go unit tests and go vet
#
# Installs its Debian packages first with apt-get (silent when they are present). Prints the path
# of the binary on its last line.
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../../.." && pwd)
out=$root/build/peers/etcd-bench
run_tests=0
while (($#)); do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --test) run_tests=1; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

packages=(
  golang-go                               # the Go 1.19 toolchain
  golang-etcd-server-dev                  # go.etcd.io/etcd/clientv3 (3.4) and its dependencies
  golang-google-grpc-dev                  # gRPC status codes
  golang-go.uber-zap-dev                  # clientv3's logger, set to errors only
  golang-github-codahale-hdrhistogram-dev # latency histograms
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "build.sh: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
# GOPATH mode against the Debian sources; nothing may be fetched. GOFLAGS is cleared so that a
# caller's -mod=... (meaningless without modules) cannot break the build.
export GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS='' GOCACHE=$out/gocache
export GOTOOLCHAIN=local CGO_ENABLED=0
cd "$src"
if ((run_tests)); then
  go vet . >&2
  go test -count=1 . >&2
fi
go build -trimpath -o "$out/etcd-bench" .
echo "$out/etcd-bench"
