#!/usr/bin/env bash
# Load smoke test (docs/performance.md): a 13-party kms-local cluster (t = 4, test parameters)
# and kms-load with a few concurrent public and user decryptions of ebool and euint64 (batches
# of 1 and 8 requests sent at once). It fails on any failed request (kms-load exits non-zero
# when a request lacks t + 1 valid signatures on the encrypted value, or a user decryption does
# not reconstruct it) and on WARN / ERROR lines of the decryption path in the party logs; it
# never fails on time (the figures are printed for the record only).
#   load_smoke.sh <folder of the kms binaries, kms-load included>
source "$(dirname "$0")/guide_lib.sh" "$1" loadsmoke 8000

D="$WORK/cluster13"

step "kms-local up: 13 parties, t = 4, test parameters"
expect_exit 0 "kms-local up --parties 13" kms-local up --dir "$D" --parties 13 --params test \
  --port-offset "$PORT_OFFSET" --decryption-timeout 120 --round-timeout 30
expect_in "13 parties (t = 4, parameters test)" "13 parties up"

step "kms-load: public and user decryption, ebool and euint64, 1 and 8 requests at once"
expect_exit 0 "kms-load (every request verified)" kms-load --cluster-dir "$D" --types ebool,euint64 \
  --batches 1,8 --mode both --distinct 8 --time-budget 600 --timeout 120 --quiet \
  --json "$WORK/load.json"
printf '%s\n' "$OUT" | tail -n 20

step "party logs: no failure of a decryption"
bad=$(grep -h -E " (WARN|ERROR) +\[(work|decrypt|threshold|grpc)\]" "$D"/logs/party*.log | head -5)
if [ -z "$bad" ]; then pass "no WARN/ERROR from the decryption path"; else
  fail "decryption warnings or errors in the party logs:"; printf '%s\n' "$bad"
fi

finish
