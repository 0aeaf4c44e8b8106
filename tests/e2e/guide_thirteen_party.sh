#!/usr/bin/env bash
# The guide's "13-Party Threshold Network Issues" against a 13-party kms-local cluster (t = 4,
# test parameters, short timeouts): health status and kms-health-check exit codes as parties
# stop, decryption while at most t are down, a clear failure within the configured timeout when
# more are down, and recovery once they are back.
#
# Status rule (common/cluster_health.h, n = 13): OPTIMAL 13 reachable, HEALTHY 10..12,
# DEGRADED 9 (the decryption quorum n - t), UNHEALTHY <= 8.
#   guide_thirteen_party.sh <folder of the kms binaries>
source "$(dirname "$0")/guide_lib.sh" "$1" guide13 4000

D="$WORK/cluster13"
P1=$(client_port 1)
DECRYPTION_TIMEOUT=8
CLIENT=(kms-client --config "$D/client.toml" --quiet --timeout 60)

step "kms-local up: 13 parties, t = 4, test parameters"
expect_exit 0 "kms-local up --parties 13" kms-local up --dir "$D" --parties 13 --params test \
  --port-offset "$PORT_OFFSET" --decryption-timeout "$DECRYPTION_TIMEOUT" --round-timeout 20
expect_in "ready on all 13 parties" "PRSS on all 13 parties"
source "$D/tls.env"  # the tools use the cluster's TLS identity
EPOCH=0000000000000000000000000000000000000000000000000000000000000001
missing=0
for i in $(seq 1 13); do [ -f "$D/keys/PRIV-p$i/PrssSetup/$EPOCH" ] || missing=$((missing + 1)); done
[ "$missing" -eq 0 ] && pass "PrssSetup file on every party" || fail "$missing parties lack PRIV-p<i>/PrssSetup/$EPOCH"

step "Key generation (preprocessing + DKG among 13 parties)"
expect_exit 0 "kms-client keygen" "${CLIENT[@]}" keygen
KEY=$(field key_id)
expect_in "parties_agreeing: 13 of 13" "all 13 agree"
expect_exit 0 "encrypt" "${CLIENT[@]}" encrypt --key-id "$KEY" --type euint64 --value 1234567 -o "$WORK/ct.bin"

health() {  # health <expected exit> <expected status> <reachable>
  expect_exit "$1" "kms-health-check live: $2" kms-health-check live --endpoint "localhost:$P1"
  expect_in "Overall Status: $2" "status $2"
  expect_in "Nodes Reachable: $3 of 13" "$3 of 13 reachable"
  expect_exit "$1" "kms-health-check --format json live: $2" kms-health-check --format json live --endpoint "127.0.0.1:$P1"
  expect_in "\"overall_status\": \"$2\"" "JSON status $2"
}
decrypt_ok() {
  expect_exit 0 "$1: public-decrypt" "${CLIENT[@]}" public-decrypt --key-id "$KEY" --ciphertext-file "$WORK/ct.bin"
  expect_in "plaintext: 1234567" "$1: plaintext"
  expect_exit 0 "$1: user-decrypt" "${CLIENT[@]}" user-decrypt --key-id "$KEY" --ciphertext-file "$WORK/ct.bin"
  expect_in "plaintext: 1234567" "$1: user plaintext"
}
stop_parties() { for p in "$@"; do kms-local --dir "$D" stop "$p" >/dev/null & done; wait; }
start_parties() { for p in "$@"; do kms-local --dir "$D" start "$p" >/dev/null & done; wait; }

step "All 13 parties up"
health 0 OPTIMAL 13
decrypt_ok "13 up"

step "4 parties (t) stopped: DEGRADED, decryption still succeeds"
stop_parties 10 11 12 13
health 1 DEGRADED 9
decrypt_ok "4 stopped"
expect_in "shares_used: 9 of 13" "user decryption from 9 shares"

step "5 parties stopped: UNHEALTHY, decryption fails clearly within the timeout"
stop_parties 9
health 2 UNHEALTHY 8
expect_in "threshold operations cannot succeed" "recommendation says operations cannot succeed"
t0=$SECONDS
expect_exit 1 "public-decrypt with 5 parties down fails" "${CLIENT[@]}" public-decrypt --key-id "$KEY" --ciphertext-file "$WORK/ct.bin"
elapsed=$((SECONDS - t0))
expect_in "(t + 1) needed" "says how many answers were needed"
expect_in "cannot reach 127.0.0.1:$(client_port 9): connection refused" "names an unreachable party"
if [ "$elapsed" -le $((DECRYPTION_TIMEOUT + 10)) ]; then pass "failed after ${elapsed} s (timeout ${DECRYPTION_TIMEOUT} s)"; else fail "took ${elapsed} s, timeout ${DECRYPTION_TIMEOUT} s"; fi

step "Parties back: decryption succeeds again"
start_parties 9 10 11 12 13
expect_exit 0 "kms-local status: all running" kms-local --dir "$D" status
wait_status "localhost:$P1" OPTIMAL 30 && pass "peers found again" || fail "not OPTIMAL 30 s after the restart"
health 0 OPTIMAL 13
decrypt_ok "all back"

finish
