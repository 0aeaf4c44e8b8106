#!/usr/bin/env bash
# File: tests/storage/run_server_backends.sh
#
# CTest driver for storage_server_backends: starts a throwaway PostgreSQL and a Ceph radosgw on
# loopback (in parallel, about 12 s), runs the test binary against them, and always stops both by
# their recorded pids. Exit 77 (CTest "skipped") when the server packages are not installed.
#
#   tests/storage/run_server_backends.sh build/bin/storage_server_backends [gtest args...]
set -euo pipefail
BIN=${1:?usage: run_server_backends.sh <storage_server_backends binary> [gtest args]}
shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || ! command -v radosgw >/dev/null; then
  echo "run_server_backends: postgresql or radosgw not installed (scripts/setup.sh); skipping" >&2
  exit 77
fi

STATE=""
cleanup() { [ -z "$STATE" ] || "$ROOT/scripts/stop-test-servers.sh" "$STATE"; }
trap cleanup EXIT

# Starts both servers in a fresh state folder; on failure prints why and stops what started.
start_servers() {
  STATE=$(mktemp -d -t kms-storage-servers.XXXXXX)
  touch "$STATE/.kms-test-servers"
  "$ROOT/scripts/start-postgres.sh" "$STATE" >"$STATE/pg.env" 2>"$STATE/pg.err" &
  local pg_pid=$!
  "$ROOT/scripts/start-rgw.sh" "$STATE" >"$STATE/rgw.env" 2>"$STATE/rgw.err" &
  local rgw_pid=$!
  local pg_rc=0 rgw_rc=0
  wait "$pg_pid" || pg_rc=$?
  wait "$rgw_pid" || rgw_rc=$?
  if [ "$pg_rc" = 0 ] && [ "$rgw_rc" = 0 ]; then return 0; fi
  echo "run_server_backends: servers did not start (postgres rc=$pg_rc, rgw rc=$rgw_rc)" >&2
  cat "$STATE/pg.err" "$STATE/rgw.err" >&2
  local f
  for f in "$STATE"/ceph/log/*.log "$STATE"/postgres/*.log; do
    if [ -f "$f" ]; then echo "--- $f" >&2; tail -15 "$f" >&2; fi
  done
  cleanup
  STATE=""
  return 1
}

# A second attempt covers the rare case of a port taken between choosing and binding it.
start_servers || start_servers || exit 1
# shellcheck disable=SC1091
source "$STATE/pg.env"
# shellcheck disable=SC1091
source "$STATE/rgw.env"
export KMS_TEST_STATE_DIR="$STATE"
echo "run_server_backends: postgres and radosgw ready; running $(basename "$BIN")"
"$BIN" "$@"
