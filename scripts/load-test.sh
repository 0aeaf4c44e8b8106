#!/usr/bin/env bash
# File: scripts/load-test.sh
#
# The end-to-end load benchmark of service-spec §10 (docs/performance.md): builds the tools,
# starts a 4-party cluster (default parameters) and a 13-party cluster (test parameters) of
# kms-server processes on loopback with kms-local, generates a key on each (KeyGenPreproc +
# KeyGen), and runs kms-load for ebool, euint16, euint64 and euint128 with 1, 8, 64, 512 and 2048
# public decryption requests sent at once; prints every table at the end. The clusters are always
# stopped (trap), also on Ctrl-C or a failure. Not part of CI: it takes 10-30 minutes.
#
#   scripts/load-test.sh [--build-dir DIR] [--no-build] [--only 4|13] [--mode public|user|both]
#                        [--types LIST] [--batches LIST] [--time-budget S] [--work DIR]
#
#   --build-dir   CMake build folder (default: build); binaries are taken from DIR/bin
#   --no-build    use the binaries as they are
#   --only        run one of the two clusters
#   --mode        kms-load --mode (default public; "both" adds user decryption rows)
#   --types       default ebool,euint16,euint64,euint128
#   --batches     default 1,8,64,512,2048
#   --time-budget kms-load skips the larger batches of a type once one takes longer (default 90 s)
#   --work        folder for the clusters, logs, tables and JSON (default: a new /tmp/kms-load.*)
#
# Ports: kms-local --port-offset 7000 (4 parties) and 7500 (13 parties), so that the benchmark
# does not collide with a development cluster or the e2e tests on the default ports. The
# decryption and round timeouts are raised (600 s / 120 s): at 2048 requests on two cores a
# session legitimately waits minutes for its turn, which is load, not a failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build"
BUILD=1
ONLY=""
MODE="public"
TYPES="ebool,euint16,euint64,euint128"
BATCHES="1,8,64,512,2048"
TIME_BUDGET=90
WORK=""

usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD_DIR="$(cd "$2" 2>/dev/null && pwd || echo "$2")"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --only) ONLY="$2"; shift 2 ;;
    --mode) MODE="$2"; shift 2 ;;
    --types) TYPES="$2"; shift 2 ;;
    --batches) BATCHES="$2"; shift 2 ;;
    --time-budget) TIME_BUDGET="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "load-test: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$ONLY" in ""|4|13) ;; *) echo "load-test: --only takes 4 or 13" >&2; exit 2 ;; esac

if [ "$BUILD" -eq 1 ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja >/dev/null
  ninja -C "$BUILD_DIR" -j2 kms-server kms-gen-keys kms-init kms-local kms-load
fi
BIN="$BUILD_DIR/bin"
for tool in kms-server kms-gen-keys kms-init kms-local kms-load; do
  [ -x "$BIN/$tool" ] || { echo "load-test: $BIN/$tool is missing (build it first)" >&2; exit 2; }
done

if [ -z "$WORK" ]; then WORK="$(mktemp -d /tmp/kms-load.XXXXXX)"; fi
mkdir -p "$WORK"
CLUSTERS=()

cleanup() {
  local rc=$?
  for d in "${CLUSTERS[@]}"; do
    [ -f "$d/cluster.json" ] || continue
    "$BIN/kms-local" --dir "$d" down --wait 30 >/dev/null 2>&1 ||
      "$BIN/kms-local" --dir "$d" down --kill --wait 5 >/dev/null 2>&1 || true
  done
  if [ "$rc" -ne 0 ]; then
    echo "load-test: failed (exit $rc); logs under $WORK/*/logs" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run_cluster NAME PARTIES PARAMS PORT_OFFSET
run_cluster() {
  local name=$1 parties=$2 params=$3 offset=$4
  local dir="$WORK/$name"
  echo "== $name: $parties parties, $params parameters ($dir)"
  CLUSTERS+=("$dir")
  "$BIN/kms-local" --dir "$dir" up --fresh --parties "$parties" --params "$params" \
    --port-offset "$offset" --round-timeout 120 --decryption-timeout 600 >"$WORK/$name.up.log" 2>&1 ||
    { cat "$WORK/$name.up.log" >&2; return 1; }
  local rc=0
  "$BIN/kms-load" --cluster-dir "$dir" --types "$TYPES" --batches "$BATCHES" --mode "$MODE" \
    --time-budget "$TIME_BUDGET" --json "$WORK/$name.json" >"$WORK/$name.table" \
    2> >(tee "$WORK/$name.progress" >&2) || rc=$?
  "$BIN/kms-local" --dir "$dir" down --wait 30 >/dev/null 2>&1 || true
  if [ "$rc" -ne 0 ]; then
    echo "load-test: kms-load exited $rc on $name; server errors:" >&2
    grep -h -E " (ERROR|WARN) " "$dir"/logs/party*.log | tail -20 >&2 || true
  fi
  return 0
}

[ "$ONLY" = "13" ] || run_cluster four-party 4 default 7000
[ "$ONLY" = "4" ] || run_cluster thirteen-party 13 test 7500

echo
for name in four-party thirteen-party; do
  [ -f "$WORK/$name.table" ] || continue
  echo "== $name (JSON: $WORK/$name.json)"
  cat "$WORK/$name.table"
  echo
done
