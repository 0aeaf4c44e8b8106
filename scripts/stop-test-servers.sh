#!/usr/bin/env bash
# File: scripts/stop-test-servers.sh
#
# Stops the throwaway servers that scripts/start-postgres.sh and scripts/start-rgw.sh recorded in
# STATE_DIR/pids, by pid only (never by process name, so nobody else's server is touched), and
# removes the state folder.
#
#   scripts/stop-test-servers.sh STATE_DIR
#
# Each pid gets its recorded signal (INT for PostgreSQL's fast shutdown, TERM for Ceph), then up
# to 15 s to exit, then SIGKILL. A pid is signalled only while /proc/<pid>/cmdline still names
# the program recorded for it, so a recycled pid is left alone.
set -uo pipefail

STATE_DIR=${1:-${KMS_TEST_STATE_DIR:-}}
if [ -z "$STATE_DIR" ] || [ ! -d "$STATE_DIR" ]; then
  echo "stop-test-servers: no state folder given or it does not exist" >&2
  exit 0
fi
if [ ! -f "$STATE_DIR/.kms-test-servers" ]; then
  echo "stop-test-servers: $STATE_DIR was not made by the start scripts; leaving it alone" >&2
  exit 1
fi

# Is `pid` alive and still the recorded program?
ours() {
  local pid=$1 name=$2
  [ -r "/proc/$pid/cmdline" ] || return 1
  # Zombies have an empty cmdline and need no signal.
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"
}

pids=()
names=()
if [ -f "$STATE_DIR/pids" ]; then
  while read -r pid sig name; do
    [ -n "${pid:-}" ] || continue
    if ours "$pid" "$name"; then
      kill "-$sig" "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$name")
    fi
  done <"$STATE_DIR/pids"
fi

for _ in $(seq 1 150); do
  alive=0
  for i in "${!pids[@]}"; do
    if ours "${pids[$i]}" "${names[$i]}"; then alive=1; fi
  done
  [ "$alive" = 0 ] && break
  sleep 0.1
done
for i in "${!pids[@]}"; do
  if ours "${pids[$i]}" "${names[$i]}"; then
    echo "stop-test-servers: ${names[$i]} (pid ${pids[$i]}) did not exit; killing it" >&2
    kill -KILL "${pids[$i]}" 2>/dev/null || true
  fi
done

rm -rf "$STATE_DIR"
