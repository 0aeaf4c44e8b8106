#!/usr/bin/env bash
# custom-health-check.sh: the troubleshooting guide's "Custom Health Checks" script, for this
# project. Runs kms-health-check against one party, checks memory and disk, and appends one line
# per finding to a log file. Suitable for cron or a monitoring agent.
#
#   ENDPOINT=localhost:50100 LOG_FILE=/var/log/kms-health.log scripts/custom-health-check.sh
#
# Environment:
#   ENDPOINT     client endpoint of the party (default localhost:50100)
#   LOG_FILE     where to log (default /var/log/kms-health.log; ./kms-health.log if that is not
#                writable)
#   KEYS_DIR     folder whose file system's usage is checked (default /)
#   KMS_BIN      folder holding kms-health-check (default: build/bin next to this script, then PATH)
#   MEM_LIMIT    memory usage percentage that warns (default 90)
#   DISK_LIMIT   disk usage percentage that warns (default 85)
# Exit status: 0 all checks passed, 1 a check failed or warned (details in the log).
set -u

ENDPOINT="${ENDPOINT:-localhost:50100}"
LOG_FILE="${LOG_FILE:-/var/log/kms-health.log}"
KEYS_DIR="${KEYS_DIR:-/}"
MEM_LIMIT="${MEM_LIMIT:-90}"
DISK_LIMIT="${DISK_LIMIT:-85}"
here="$(cd "$(dirname "$0")" && pwd)"

find_tool() {
  local name="$1"
  for dir in "${KMS_BIN:-}" "$here/../build/bin"; do
    if [ -n "$dir" ] && [ -x "$dir/$name" ]; then echo "$dir/$name"; return 0; fi
  done
  command -v "$name"
}

if ! touch "$LOG_FILE" 2>/dev/null; then
  LOG_FILE="./kms-health.log"
fi

log_message() {
  echo "$(date '+%Y-%m-%d %H:%M:%S') - $1" >> "$LOG_FILE"
}

check_health() {
  local status=0
  local hc
  if ! hc="$(find_tool kms-health-check)"; then
    log_message "ERROR: kms-health-check not found (set KMS_BIN)"
    return 1
  fi

  # The party itself: 0 optimal/healthy, 1 degraded, 2 unhealthy/unreachable, 3 could not run.
  local report rc
  report="$("$hc" live --endpoint "$ENDPOINT" 2>&1)"
  rc=$?
  local overall
  overall="$(printf '%s\n' "$report" | sed -n 's/^Overall Status: //p' | head -1)"
  case "$rc" in
    0) log_message "INFO: $ENDPOINT health ${overall:-OK}" ;;
    1) log_message "WARNING: $ENDPOINT health ${overall:-DEGRADED}"; status=1 ;;
    2) log_message "ERROR: Health check failed: $ENDPOINT ${overall:-UNHEALTHY}"; status=1 ;;
    *) log_message "ERROR: kms-health-check could not run (exit $rc): $(printf '%s' "$report" | tail -1)"; status=1 ;;
  esac
  # Every recommendation the report makes goes to the log too.
  printf '%s\n' "$report" | sed -n '/^\[RECOMMENDATIONS\]/,$p' | sed -n 's/^  - //p' |
    grep -v '^None:' | while IFS= read -r line; do log_message "RECOMMENDATION: $line"; done

  # Resources.
  local mem_usage
  mem_usage=$(free | awk '/^Mem:/ {printf "%.0f", $3/$2 * 100.0}')
  if [ -n "$mem_usage" ] && [ "$mem_usage" -gt "$MEM_LIMIT" ]; then
    log_message "WARNING: High memory usage: ${mem_usage}%"
    status=1
  fi
  local disk_usage
  disk_usage=$(df -P "$KEYS_DIR" | tail -1 | awk '{print $5}' | sed 's/%//')
  if [ -n "$disk_usage" ] && [ "$disk_usage" -gt "$DISK_LIMIT" ]; then
    log_message "WARNING: High disk usage on $KEYS_DIR: ${disk_usage}%"
    status=1
  fi
  return $status
}

if check_health; then
  log_message "INFO: All health checks passed"
  exit 0
else
  log_message "ERROR: Health check failures detected"
  exit 1
fi
