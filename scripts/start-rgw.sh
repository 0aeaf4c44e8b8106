#!/usr/bin/env bash
# File: scripts/start-rgw.sh
#
# Starts a throwaway S3 endpoint for the storage tests: a single-node Ceph cluster (one monitor,
# one in-memory "memstore" OSD, no manager, no cephx) and the radosgw gateway on 127.0.0.1 (free
# ports, or $RGW_PORT / $MON_PORT), with one S3 user. Real SigV4 checking: a wrong secret gets
# 403. Ready in about 10-15 s, about 120 MB of memory.
#
#   eval "$(scripts/start-rgw.sh [STATE_DIR])"          # prints export lines:
#       KMS_TEST_STATE_DIR                       the state folder (mktemp when not given)
#       KMS_TEST_S3_ENDPOINT                     e.g. http://127.0.0.1:47480
#       KMS_TEST_S3_ACCESS_KEY, KMS_TEST_S3_SECRET_KEY, KMS_TEST_S3_REGION
#   scripts/stop-test-servers.sh "$KMS_TEST_STATE_DIR"  # stops the daemons by recorded pid
#
# Why the OSD is placed in the CRUSH map by hand: with "crush update on start" the OSD's own
# request is refused by Ceph 16 in this single-node setup ("wrong fsid") and the OSD exits, and
# without an OSD in the map no placement group becomes active and radosgw never answers.
set -euo pipefail

for b in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool curl; do
  if ! command -v "$b" >/dev/null; then
    echo "start-rgw: $b not found (apt-get install ceph-mon ceph-osd radosgw curl)" >&2
    exit 2
  fi
done

STATE_DIR=${1:-${KMS_TEST_STATE_DIR:-}}
if [ -z "$STATE_DIR" ]; then STATE_DIR=$(mktemp -d -t kms-test-servers.XXXXXX); fi
mkdir -p "$STATE_DIR"
touch "$STATE_DIR/.kms-test-servers" "$STATE_DIR/pids"
D="$STATE_DIR/ceph"
rm -rf "$D"
mkdir -p "$D"/run "$D"/log "$D"/mon.a "$D"/osd.0 "$D"/rgw

port_free() { [ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]; }
pick_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if port_free "$p" && [ "$p" != "${2:-}" ]; then echo "$p"; return 0; fi
  done
  return 1
}
MON_PORT=${MON_PORT:-$(pick_port)}
RGW_PORT=${RGW_PORT:-$(pick_port x "$MON_PORT")}
ACCESS_KEY=KMSTESTACCESS
SECRET_KEY=kms-test-secret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
REGION=us-east-1

# Records every daemon's pid from its pid file; on failure, stops what was started.
record_pids() {
  local f name
  for f in "$D"/run/*.pid; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .pid)
    case "$name" in
      mon.*) name=ceph-mon ;;
      osd.*) name=ceph-osd ;;
      client.rgw) name=radosgw ;;
    esac
    grep -q "^$(cat "$f") " "$STATE_DIR/pids" || echo "$(cat "$f") TERM $name" >>"$STATE_DIR/pids"
  done
}
fail() {
  echo "start-rgw: $*; logs in $D/log" >&2
  record_pids
  exit 1
}

FSID=$(cat /proc/sys/kernel/random/uuid)
cat >"$D/ceph.conf" <<EOC
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
osd crush update on start = false
osd class update on start = false
osd objectstore = memstore
memstore device bytes = 536870912
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
ms bind msgr2 = false
[mon.a]
mon data = $D/mon.a
[osd.0]
osd data = $D/osd.0
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $D/rgw
EOC
C=(-c "$D/ceph.conf")

ceph-authtool --create-keyring "$D/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" --keyring "$D/mon.keyring" \
  >"$D/log/mon-mkfs.log" 2>&1 || fail "ceph-mon --mkfs failed"
ceph-mon "${C[@]}" -i a >"$D/log/mon-start.log" 2>&1 || fail "ceph-mon did not start"
record_pids

OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_ID=$(timeout 30 ceph "${C[@]}" osd new "$OSD_UUID" 2>>"$D/log/cli.log") || fail "ceph osd new failed"
timeout 30 ceph "${C[@]}" osd crush add "osd.$OSD_ID" 1.0 root=default host=localhost \
  >>"$D/log/cli.log" 2>&1 || fail "ceph osd crush add failed"
ceph-osd "${C[@]}" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >"$D/log/osd-mkfs.log" 2>&1 ||
  fail "ceph-osd --mkfs failed"
ceph-osd "${C[@]}" -i "$OSD_ID" >"$D/log/osd-start.log" 2>&1 || fail "ceph-osd did not start"
record_pids

radosgw "${C[@]}" -n client.rgw >"$D/log/rgw-start.log" 2>&1 || fail "radosgw did not start"
record_pids
up=0
for _ in $(seq 1 240); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$RGW_PORT/" 2>/dev/null; then up=1; break; fi
  sleep 0.25
done
record_pids
[ "$up" = 1 ] || fail "radosgw did not answer on port $RGW_PORT within 60 s"

timeout 30 radosgw-admin "${C[@]}" user create --uid=kms --display-name=kms \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$D/log/user.log" 2>&1 ||
  fail "radosgw-admin user create failed"

echo "export KMS_TEST_STATE_DIR='$STATE_DIR'"
echo "export KMS_TEST_S3_ENDPOINT='http://127.0.0.1:$RGW_PORT'"
echo "export KMS_TEST_S3_ACCESS_KEY='$ACCESS_KEY'"
echo "export KMS_TEST_S3_SECRET_KEY='$SECRET_KEY'"
echo "export KMS_TEST_S3_REGION='$REGION'"
