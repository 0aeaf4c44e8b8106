#!/usr/bin/env bash
# File: scripts/start-postgres.sh
#
# Starts a throwaway PostgreSQL server for the storage tests: a fresh cluster under a state
# folder, listening on 127.0.0.1 only (a free port, or $PGPORT), trust authentication, fsync off,
# with an empty database kms_test. Ready in about a second.
#
#   eval "$(scripts/start-postgres.sh [STATE_DIR])"     # prints export lines:
#       KMS_TEST_STATE_DIR   the state folder (created with mktemp when not given)
#       KMS_TEST_PG_DSN      a libpq connection string for kms_test
#   scripts/stop-test-servers.sh "$KMS_TEST_STATE_DIR"  # stops it by its recorded pid
#
# As root (CI), initdb and the server run as the 'postgres' system user (PostgreSQL refuses to
# run as root); otherwise as the calling user. The server's pid is appended to
# $STATE_DIR/pids ("<pid> <stop signal> <name>") so it is stopped by pid, never by name.
set -euo pipefail

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "start-postgres: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 2
fi

STATE_DIR=${1:-${KMS_TEST_STATE_DIR:-}}
if [ -z "$STATE_DIR" ]; then STATE_DIR=$(mktemp -d -t kms-test-servers.XXXXXX); fi
mkdir -p "$STATE_DIR"
touch "$STATE_DIR/.kms-test-servers" "$STATE_DIR/pids"
# The postgres user must be able to traverse the state folder to reach its own data folder.
chmod 711 "$STATE_DIR"
PGDIR="$STATE_DIR/postgres"
rm -rf "$PGDIR"
mkdir -p "$PGDIR"

as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$PGDIR"
  as_pg=(runuser -u postgres --)
fi

port_free() { [ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]; }
pick_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if port_free "$p"; then echo "$p"; return 0; fi
  done
  return 1
}

"${as_pg[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres --no-sync -E UTF8 \
  >"$PGDIR/initdb.log" 2>&1 || { cat "$PGDIR/initdb.log" >&2; exit 1; }

started=0
for attempt in 1 2 3 4 5; do
  PORT=${PGPORT:-$(pick_port)}
  if "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 30 \
      -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null 2>&1; then
    started=1
    break
  fi
  # Most likely another process took the port between the check and the bind; try another.
  if [ -n "${PGPORT:-}" ]; then break; fi
  echo "start-postgres: attempt $attempt on port $PORT failed; retrying" >&2
done
if [ "$started" != 1 ]; then
  echo "start-postgres: server did not start; log:" >&2
  tail -20 "$PGDIR/server.log" >&2 || true
  exit 1
fi
PID=$(head -1 "$PGDIR/data/postmaster.pid")
# SIGINT is PostgreSQL's "fast" shutdown (SIGTERM would wait for clients to disconnect).
echo "$PID INT postgres" >>"$STATE_DIR/pids"

DSN="host=127.0.0.1 port=$PORT user=postgres dbname=kms_test connect_timeout=5"
psql "host=127.0.0.1 port=$PORT user=postgres dbname=postgres" -Atqc 'create database kms_test' >/dev/null

echo "export KMS_TEST_STATE_DIR='$STATE_DIR'"
echo "export KMS_TEST_PG_DSN='$DSN'"
