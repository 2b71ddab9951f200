#!/usr/bin/env bash
# Installs exactly the Debian packages paxoskv needs to build and test. Idempotent: when every
# package is already present it prints nothing and exits 0.
set -euo pipefail

packages=(
  cmake make g++            # toolchain
  libgtest-dev libgmock-dev # unit and scenario tests
  librapidcheck-dev         # property tests
  libbenchmark-dev          # micro-benchmarks
  libcli11-dev              # command-line parsing
  libasio-dev               # networking (standalone Asio)
  libcereal-dev             # message and log-entry serialization
  libtomlplusplus-dev       # configuration files
  libspdlog-dev libfmt-dev  # logging
  nlohmann-json3-dev        # JSON output of the CLI
  clang libclang-rt-14-dev  # libFuzzer targets
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
