# guide_lib.sh: helpers of the troubleshooting-guide end-to-end tests (sourced, not run).
#
# The tests drive a kms-local cluster with the commands docs/operations/troubleshooting.md gives
# an operator, and check their output and exit codes. Usage in a test:
#   source "$(dirname "$0")/guide_lib.sh" "$BIN_DIR" <name> <port offset>
# Every cluster is stopped (SIGKILL) and its folder removed when the script exits, pass or fail.
set -uo pipefail

BIN="$(cd "$1" && pwd)"
TEST_NAME="$2"
PORT_OFFSET="$3"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Servers of an earlier run of this test that was killed before its cleanup (a CTest timeout
# kills the script, not the servers, which run in their own session) would hold the ports:
# stop them, recognised by this test's own folder prefix in their command line.
for stale in /tmp/kms-"$TEST_NAME".*; do
  [ -d "$stale" ] || continue
  for d in "$stale"/cluster*; do
    [ -f "$d/cluster.json" ] && "$BIN/kms-local" --dir "$d" down --kill --wait 5 >/dev/null 2>&1
  done
  rm -rf "$stale"
done
WORK="$(mktemp -d "/tmp/kms-$TEST_NAME.XXXXXX")"
export PATH="$BIN:$PATH"
FAILURES=0
START_TIME=$SECONDS

cleanup() {
  local rc=$?
  for d in "$WORK"/cluster*; do
    [ -f "$d/cluster.json" ] && kms-local --dir "$d" down --kill --wait 5 >/dev/null 2>&1
  done
  if [ "$FAILURES" -ne 0 ] || [ "$rc" -ne 0 ]; then
    echo "---- last lines of the party logs ----"
    for f in "$WORK"/cluster*/logs/party*.log; do
      [ -f "$f" ] && { echo "== $f"; tail -n 15 "$f"; }
    done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { echo; echo "=== [$((SECONDS - START_TIME)) s] $*"; }
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }

# expect_exit <code> <description> <command...>: runs the command (output in $OUT) and checks
# its exit code.
expect_exit() {
  local want="$1" what="$2"; shift 2
  OUT="$("$@" 2>&1)"
  local got=$?
  if [ "$got" -eq "$want" ]; then pass "$what (exit $got)"; else
    fail "$what: exit $got, expected $want"; printf '%s\n' "$OUT" | tail -n 30
  fi
}

# expect_in <text> <description>: $OUT contains the text.
expect_in() {
  if printf '%s\n' "$OUT" | grep -qF -- "$1"; then pass "$2"; else
    fail "$2: output lacks \"$1\""; printf '%s\n' "$OUT" | tail -n 30
  fi
}

# client_port <party>, peer_port <party>, metrics_port <party> (kms-local's layout)
client_port() { echo $((50100 + 100 * ($1 - 1) + PORT_OFFSET)); }
peer_port() { echo $((50001 + $1 - 1 + PORT_OFFSET)); }
metrics_port() { echo $((9646 + $1 - 1 + PORT_OFFSET)); }

# Value of a "name: value" line of the last $OUT.
field() { printf '%s\n' "$OUT" | sed -n "s/^$1: //p" | head -1; }

finish() {
  step "done: $FAILURES failure(s) in $((SECONDS - START_TIME)) s"
  [ "$FAILURES" -eq 0 ]
  exit $?
}

# wait_status <endpoint> <status> <seconds>: polls kms-health-check live until it reports the
# status (a restarted party is found again by its peers after their reconnect backoff).
wait_status() {
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    kms-health-check live --endpoint "$1" 2>/dev/null | grep -q "Overall Status: $2" && return 0
    sleep 1
  done
  return 1
}
