#!/usr/bin/env bash
# auto-diagnose.sh: the troubleshooting guide's "Automated Diagnostics" script, for this project.
# Collects what an on-call engineer needs into one archive that is safe to share:
#
#   ENDPOINT=localhost:50100 CONFIG=config.toml scripts/auto-diagnose.sh
#   KMS_LOCAL_DIR=./kms-local scripts/auto-diagnose.sh        (a kms-local cluster)
#
# Environment:
#   ENDPOINT       client endpoint of the party (default localhost:50100)
#   CONFIG         the party's config.toml (default ./config.toml; with KMS_LOCAL_DIR the
#                  cluster's party1 configuration)
#   KMS_LOCAL_DIR  a kms-local cluster folder: its status and every party's log are collected
#   LOG_FILES      extra log files to include (space separated; the last 1000 lines of each)
#   OUT_DIR        where the archive goes (default the current folder)
#   KMS_BIN        folder holding the kms tools (default: build/bin next to this script, then PATH)
#
# What it never collects: key material. The configuration is copied only through
# `kms-health-check sanitize` (secrets such as S3 keys and database passwords replaced by
# [REDACTED]; if it does not parse, it is not copied at all); of the key folders only the
# listing (names, sizes, modes) is recorded, never a file's content, and nothing of a private
# vault (PRIV-*) or of TLS private keys is read. Server logs contain no secrets (service-spec §8).
set -u

ENDPOINT="${ENDPOINT:-localhost:50100}"
KMS_LOCAL_DIR="${KMS_LOCAL_DIR:-}"
OUT_DIR="${OUT_DIR:-.}"
here="$(cd "$(dirname "$0")" && pwd)"
if [ -z "${CONFIG:-}" ]; then
  if [ -n "$KMS_LOCAL_DIR" ] && [ -f "$KMS_LOCAL_DIR/config/party1.toml" ]; then
    CONFIG="$KMS_LOCAL_DIR/config/party1.toml"
  else
    CONFIG="config.toml"
  fi
fi

find_tool() {
  local name="$1"
  for dir in "${KMS_BIN:-}" "$here/../build/bin"; do
    if [ -n "$dir" ] && [ -x "$dir/$name" ]; then echo "$dir/$name"; return 0; fi
  done
  command -v "$name" || echo "$name"
}
HC="$(find_tool kms-health-check)"
KL="$(find_tool kms-local)"

TIMESTAMP=$(date +%Y%m%d_%H%M%S)
WORK="$(mktemp -d)"
NAME="kms-diagnostics-$TIMESTAMP"
DIAG_DIR="$WORK/$NAME"
mkdir -p "$DIAG_DIR"
trap 'rm -rf "$WORK"' EXIT

echo "Collecting KMS diagnostics to $NAME..."

run() {  # run <file> <command...>: output and exit status into the bundle, never failing
  local file="$1"; shift
  { echo "\$ $*"; "$@" 2>&1; echo "(exit $?)"; } > "$DIAG_DIR/$file" 2>&1
}

# System information
run system-info.txt uname -a
run memory-info.txt free -h
run disk-info.txt df -h
if command -v docker >/dev/null 2>&1; then
  run docker-version.txt docker --version
  run docker-containers.txt docker ps -a
else
  echo "docker is not installed on this machine" > "$DIAG_DIR/docker-version.txt"
fi

# Service status
run processes.txt ps -eo pid,ppid,etime,rss,args --sort=-rss
if command -v systemctl >/dev/null 2>&1; then
  run service-status.txt systemctl status kms
fi
if [ -n "$KMS_LOCAL_DIR" ]; then
  run kms-local-status.txt "$KL" --dir "$KMS_LOCAL_DIR" status
fi

# Health checks
run health-check.txt "$HC" live --endpoint "$ENDPOINT"
run health-check.json "$HC" --format json live --endpoint "$ENDPOINT"
run config-validation.txt "$HC" config --file "$CONFIG"

# Logs (the server never logs secrets)
mkdir -p "$DIAG_DIR/logs"
logs=()
if [ -n "$KMS_LOCAL_DIR" ]; then
  for f in "$KMS_LOCAL_DIR"/logs/party*.log; do [ -f "$f" ] && logs+=("$f"); done
fi
for f in ${LOG_FILES:-}; do [ -f "$f" ] && logs+=("$f"); done
for f in "${logs[@]+"${logs[@]}"}"; do
  tail -n 1000 "$f" > "$DIAG_DIR/logs/$(basename "$f")"
  grep -E "(ERROR|FATAL|PANIC|WARN)" "$f" | tail -n 200 >> "$DIAG_DIR/logs/problems.txt"
done
if command -v journalctl >/dev/null 2>&1; then
  journalctl -u kms --since "1 hour ago" > "$DIAG_DIR/system-logs.txt" 2>&1
fi

# Network information
if command -v netstat >/dev/null 2>&1; then run network-ports.txt netstat -tlnp; fi
run network-sockets.txt ss -tuln

# Configuration (sanitized; the raw file is never copied)
if [ -f "$CONFIG" ]; then
  if ! "$HC" sanitize --file "$CONFIG" > "$DIAG_DIR/config-sanitized.toml" 2> "$DIAG_DIR/config-sanitize-error.txt"; then
    echo "# not copied: the configuration could not be sanitized (see config-sanitize-error.txt)" \
      > "$DIAG_DIR/config-sanitized.toml"
  fi
else
  echo "# no configuration file at $CONFIG" > "$DIAG_DIR/config-sanitized.toml"
fi

# Key inventory: names, sizes and modes only.
keys_dir=""
if [ -n "$KMS_LOCAL_DIR" ] && [ -d "$KMS_LOCAL_DIR/keys" ]; then
  keys_dir="$KMS_LOCAL_DIR/keys"
elif [ -d "$(dirname "$CONFIG")/keys" ]; then
  keys_dir="$(dirname "$CONFIG")/keys"
fi
if [ -n "$keys_dir" ]; then
  find "$keys_dir" -printf '%M %u %g %10s %TY-%Tm-%Td %TH:%TM %P\n' 2>/dev/null | sort -k7 \
    > "$DIAG_DIR/key-inventory.txt"
fi

# Create archive
mkdir -p "$OUT_DIR"
tar -czf "$OUT_DIR/$NAME.tar.gz" -C "$WORK" "$NAME"
echo "Diagnostics collected: $OUT_DIR/$NAME.tar.gz"
