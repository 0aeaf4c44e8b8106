#!/usr/bin/env bash
# Installs every Debian package this project needs to build, test, benchmark and run, then the
# npm packages of the tests from their committed lock files (`npm ci`). Idempotent; run as root
# (or through sudo). Nothing else is downloaded or vendored.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

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
# node and npm run the independent ML-KEM implementation of the tests (tests/crypto/ml_kem_kat)
# and node-tfhe 1.4.0-alpha.3 / 1.7.0 of the TFHE interop tests (tests/interop/node).
# Debian's nodejs and npm, unless a node with npm is already there: NodeSource's nodejs bundles
# npm and conflicts with Debian's npm package, so asking for the package names would replace it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Debian starts a PostgreSQL cluster on install; tests start their own throwaway servers instead.
fi

# npm packages of the tests, each folder from its committed package-lock.json. `npm ci` starts
# from scratch every time, so it runs only when the lock file changed since the last install
# (a stamp in node_modules records the lock file's hash). It runs as the folder's owner, so that
# a setup run through sudo leaves no root-owned node_modules behind. A failure (no registry) is a
# warning: the interop tests then report themselves skipped, the committed vectors still run.
NPM_FOLDERS=(tests/crypto/ml_kem_kat tests/interop/node tests/interop/tkms)
for folder in "${NPM_FOLDERS[@]}"; do
  dir="$repo/$folder"
  stamp="$dir/node_modules/.kms-lock-sha256"
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup: $folder/node_modules up to date"
    continue
  fi
  owner=$(stat -c %U "$dir")
  as_owner=()
  if [ "$(id -u)" -eq 0 ] && [ "$owner" != root ]; then as_owner=(runuser -u "$owner" --); fi
  echo "setup: npm ci in $folder"
  if (cd "$dir" && "${as_owner[@]}" npm ci --no-audit --no-fund --loglevel=error) &&
    echo "$want" | "${as_owner[@]}" tee "$stamp" >/dev/null; then
    :
  else
    echo "setup: warning: npm ci failed in $folder; its interop tests will be skipped" >&2
  fi
done
echo "setup: done"
