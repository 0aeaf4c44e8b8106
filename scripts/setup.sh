#!/usr/bin/env bash
# Installs every Debian package this project needs to build, test, benchmark and run.
# Idempotent; run as root (or through sudo). Nothing else is downloaded or vendored.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config git ccache
  # sanitizer and fuzz builds (clang-14 cannot compile std::views with libstdc++ 12)
  clang-16 libclang-rt-16-dev clang-format
  # gRPC, protobuf, abseil
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  # crypto
  libssl-dev libsecp256k1-dev libcrypto++-dev
  # configuration, CLI, logs, JSON, metrics
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev prometheus-cpp-dev
  # storage backends
  libpq-dev libcurl4-openssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  # servers started by storage tests, tools the operator guide uses
  postgresql ceph-mon ceph-osd radosgw netcat-openbsd curl procps iproute2 psmisc
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts a PostgreSQL cluster on install; tests start their own throwaway servers instead.
echo "setup: done"
