#!/usr/bin/env bash
# The troubleshooting guide against a 4-party kms-local cluster (test parameters): every KMS
# command of the guide that applies outside Kubernetes, as docs/operations/troubleshooting.md
# writes it for this project, with its output and exit code checked.
#   guide_four_party.sh <folder of kms-local, kms-server, kms-gen-keys, kms-init, kms-client,
#                        kms-health-check>
source "$(dirname "$0")/guide_lib.sh" "$1" guide4 2000

D="$WORK/cluster4"
P1=$(client_port 1)
CLIENT=(kms-client --config "$D/client.toml" --quiet --timeout 60)

step "kms-local up: 4 parties, test parameters"
expect_exit 0 "kms-local up" kms-local up --dir "$D" --parties 4 --params test \
  --port-offset "$PORT_OFFSET" --decryption-timeout 20 --round-timeout 10
expect_in "PRSS of epoch" "kms-init ran during up"
expect_in "client ports: mutual TLS" "up says the client ports serve mutual TLS"
# The tools find the cluster's TLS identity (KMS_TLS_CA, KMS_TLS_CERT, KMS_TLS_KEY) here.
source "$D/tls.env"
expect_exit 0 "kms-local status: all running" kms-local --dir "$D" status
expect_in "200 OPTIMAL" "status shows /health 200 OPTIMAL"

step "Port binding errors: a second cluster on the same ports is refused"
expect_exit 1 "second kms-local up on taken ports" kms-local up --dir "$WORK/cluster-clash" \
  --parties 4 --params test --port-offset "$PORT_OFFSET"
expect_in "is already in use" "names the port in use"

step "Network connectivity: nc -zv on the three ports of every party"
for i in 1 2 3 4; do
  for port in $(client_port $i) $(peer_port $i) $(metrics_port $i); do
    expect_exit 0 "nc -z localhost $port (party $i)" nc -z -w 2 localhost "$port"
  done
done
expect_exit 0 "curl -f http://localhost:<metrics>/health" curl -sf "http://localhost:$(metrics_port 1)/health"
expect_in "HEALTH_STATUS_OPTIMAL" "/health body carries the status"

step "Client-port TLS: without the caller identity the port refuses"
expect_exit 2 "kms-health-check live without TLS settings" \
  env -u KMS_TLS_CA -u KMS_TLS_CERT -u KMS_TLS_KEY kms-health-check live --endpoint "localhost:$P1"
expect_in "If the port serves TLS" "the report suggests the TLS flags"
expect_exit 2 "kms-health-check live with TLS but no client certificate" \
  env -u KMS_TLS_CERT -u KMS_TLS_KEY kms-health-check live --endpoint "localhost:$P1"
expect_in "UNAUTHENTICATED: no client certificate" "the server names the missing certificate"

step "Initial health assessment: kms-health-check live (localhost and 127.0.0.1)"
for host in localhost 127.0.0.1; do
  expect_exit 0 "kms-health-check live --endpoint $host:$P1" kms-health-check live --endpoint "$host:$P1"
  for section in "[KMS HEALTH CHECK REPORT]" "Overall Status: OPTIMAL" "[CORE SERVICE CONNECTIVITY]" \
      "[KEY MATERIAL]" "[OPERATOR KEY]" "[NODE INFO]" "[PEER STATUS]" "[RECOMMENDATIONS]"; do
    expect_in "$section" "live report has $section"
  done
done
expect_in "No FHE key on this party yet" "recommends keygen before any key exists"
expect_exit 0 "kms-health-check --format json live" kms-health-check --format json live --endpoint "localhost:$P1"
expect_in '"overall_status": "OPTIMAL"' "JSON report"
printf 'connection_timeout_secs = 2\nrequest_timeout_secs = 5\n' > "$WORK/health-check.toml"
expect_exit 0 "--health-config health-check.toml" kms-health-check --health-config "$WORK/health-check.toml" live --endpoint "localhost:$P1"
expect_exit 0 "HEALTH_CHECK__REQUEST_TIMEOUT_SECS" env HEALTH_CHECK__REQUEST_TIMEOUT_SECS=3 kms-health-check live --endpoint "localhost:$P1"
expect_exit 3 "bad --health-config" kms-health-check --health-config "$WORK/missing.toml" live --endpoint "localhost:$P1"
expect_exit 3 "bad arguments" kms-health-check live --no-such-flag

step "Configuration validation: kms-health-check config"
expect_exit 0 "kms-health-check config --file party1.toml" kms-health-check config --file "$D/config/party1.toml"
expect_in "Parties (n): 4" "prints n"
expect_in "Threshold (t): 1" "prints t"
expect_in "Shares to reconstruct (t + 1): 2" "prints t + 1"
expect_in "Healthy at (floor(2n/3) + 1): 3" "prints floor(2n/3) + 1"
expect_in "party 4: 127.0.0.1:$(peer_port 4)" "prints the peers"
sed 's/^my_id = 1$/my_id = 9/; s/^listen_port = '"$P1"'$/listen_port = "x"/' "$D/config/party1.toml" > "$D/config/broken.toml"
expect_exit 1 "invalid configuration" kms-health-check config --file "$D/config/broken.toml"
expect_in "Overall Status: INVALID" "says INVALID"
expect_in "service.listen_port" "names the key path of a wrong type"
expect_in "threshold.my_id" "names the key path of a wrong party id"
expect_exit 3 "unreadable configuration" kms-health-check config --file "$D/config/nonexistent.toml"
expect_exit 0 "kms-health-check full" kms-health-check full --config "$D/config/party1.toml" --endpoint "localhost:$P1"
expect_in "[CONFIGURATION]" "full has the configuration"
expect_in "[PEER STATUS]" "full has the live part"

# deploy/: the compose and chart configurations go through the same loader; only the certificate
# files, which exist inside the containers, may be missing here.
for f in "$REPO"/deploy/config/*.toml; do
  OUT="$(kms-health-check config --file "$f" 2>&1)"
  bad="$(printf '%s\n' "$OUT" | sed -n '/^Problems/,/^$/p' | grep '^  - ' | grep -v 'file not found' || true)"
  if [ -z "$bad" ] && printf '%s\n' "$OUT" | grep -q "Overall Status: \(VALID\|INVALID\)"; then
    pass "deploy/config/$(basename "$f") passes the loader (apart from container-only files)"
  else fail "deploy/config/$(basename "$f"): $bad"; fi
done

step "PRSS setup verification: PRIV-p<i>/PrssSetup/<epoch id>"
EPOCH=0000000000000000000000000000000000000000000000000000000000000001
for i in 1 2 3 4; do
  if [ -f "$D/keys/PRIV-p$i/PrssSetup/$EPOCH" ]; then pass "PRSS file of party $i"; else fail "no $D/keys/PRIV-p$i/PrssSetup/$EPOCH"; fi
done

step "Key generation (preprocessing + DKG) and key inventory"
expect_exit 0 "kms-client keygen" "${CLIENT[@]}" keygen
KEY=$(field key_id)
expect_in "parties_agreeing: 4 of 4" "all parties agree on the public key"
expect_in "public_key_digest: " "prints the public key digest"
expect_exit 1 "kms-client keygen --insecure without threshold.insecure" "${CLIENT[@]}" keygen --insecure
expect_in "threshold.insecure = true" "says how to enable the dealer"
OUT="$(kms-health-check live --endpoint "localhost:$P1" | grep -A 10 "KEY MATERIAL")"
expect_in "$KEY" "grep -A 10 \"KEY MATERIAL\" lists the key id"
OUT="$(cd "$D" && find keys/ -name "*.key" -o -name "*Key*" | head -10)"
expect_in "PublicKey" "find keys/ -name \"*Key*\" finds PublicKey"
OUT="$(cd "$D" && find keys/ -name "*Key*")"
for i in 1 2 3 4; do
  expect_in "keys/PUB-p$i/PublicKey" "party $i public key folder"
  expect_in "keys/PRIV-p$i/SigningKey" "party $i signing key folder"
done
if [ -f "$D/keys/PUB-p1/PublicKey/$KEY" ]; then pass "keys/PUB-p1/PublicKey/<key id>"; else fail "no keys/PUB-p1/PublicKey/$KEY"; fi
OUT="$(find "$D/keys/PRIV-p1" -type f -perm /077)"
if [ -z "$OUT" ]; then pass "private files are mode 0600 (ls -la keys/*/)"; else fail "private files readable by others: $OUT"; fi

step "tfhe-rs keyset (tfhe-test): preprocessing + DKG, then the key inventory shows it"
expect_exit 0 "kms-client keygen --params tfhe-test" "${CLIENT[@]}" keygen --params tfhe-test
TKEY=$(field key_id)
expect_in "fhe_parameter: tfhe-test" "names the tfhe-rs set"
expect_in "parties_agreeing: 4 of 4" "all parties agree on the keyset's public key"
OUT="$(kms-health-check live --endpoint "localhost:$P1" | grep -A 10 "KEY MATERIAL")"
expect_in "$TKEY" "grep -A 10 \"KEY MATERIAL\" lists the keyset"
OUT="$(cd "$D" && find keys/ -name "$TKEY")"
for i in 1 2 3 4; do
  for obj in PublicKey ServerKey CompressedXofKeySet PublicKeyMetadata; do
    expect_in "keys/PUB-p$i/$obj/$TKEY" "party $i publishes $obj"
  done
  expect_in "keys/PRIV-p$i/FheKeyInfo/$TKEY" "party $i keeps its key shares"
done
for obj in PublicKey ServerKey CompressedXofKeySet PublicKeyMetadata; do
  if cmp -s "$D/keys/PUB-p1/$obj/$TKEY" "$D/keys/PUB-p4/$obj/$TKEY"; then pass "$obj identical on parties 1 and 4 ($(stat -c %s "$D/keys/PUB-p1/$obj/$TKEY") bytes)"; else fail "$obj differs between parties 1 and 4"; fi
done
f="$D/keys/PRIV-p2/FheKeyInfo/$TKEY"
if [ "$(stat -c %a "$f")" = 600 ] && [ "$(head -c 8 "$f")" = KMSTKEY1 ]; then pass "FheKeyInfo/<keyset id> is a 0600 KMSTKEY1 record"; else fail "$f is not a 0600 KMSTKEY1 record"; fi
expect_exit 0 "get-public-key of the keyset" "${CLIENT[@]}" get-public-key "$TKEY" -o "$WORK/tfhe-pk.bin"
if cmp -s "$WORK/tfhe-pk.bin" "$D/keys/PUB-p1/PublicKey/$TKEY"; then pass "the signed public key is the stored CompactPublicKey"; else fail "get-public-key wrote other bytes"; fi

step "Cryptographic operations: GetOperatorPublicKey and ten concurrent GetHealthStatus"
expect_exit 0 "kms-client call GetOperatorPublicKey" kms-client --endpoint "localhost:$P1" call GetOperatorPublicKey
expect_in '"address": "0x' "operator address"
expect_in '"party_id": 1' "operator party id"
for i in $(seq 1 10); do
  ( kms-client --endpoint "localhost:$P1" call kms.v1.CoreService/GetHealthStatus > "$WORK/concurrent.$i" 2>&1; echo $? > "$WORK/concurrent.$i.rc" ) &
done
wait
ok=0
for i in $(seq 1 10); do
  if [ "$(cat "$WORK/concurrent.$i.rc")" = 0 ] && grep -q '"nodes_reachable": 4' "$WORK/concurrent.$i"; then ok=$((ok + 1)); fi
done
if [ "$ok" -eq 10 ]; then pass "10 concurrent GetHealthStatus calls answered"; else fail "only $ok of 10 concurrent calls answered"; fi
expect_exit 1 "kms-client call with an unknown RPC" kms-client --endpoint "localhost:$P1" call GetNothing
expect_in "known: GetHealthStatus" "lists the known RPCs"

step "Encryption, public and user decryption"
expect_exit 0 "kms-client encrypt" "${CLIENT[@]}" encrypt --key-id "$KEY" --type euint64 --value 42 -o "$WORK/ct.bin"
expect_exit 0 "kms-client get-public-key" "${CLIENT[@]}" get-public-key "$KEY" -o "$WORK/pk.bin"
expect_exit 0 "kms-client encrypt with --public-key-file" "${CLIENT[@]}" encrypt --key-id "$KEY" --type euint8 --value 7 --public-key-file "$WORK/pk.bin" -o "$WORK/ct8.bin"
decrypt_ok() {  # decrypt_ok <description> [extra expectation]
  expect_exit 0 "$1: public-decrypt" "${CLIENT[@]}" public-decrypt --key-id "$KEY" --ciphertext-file "$WORK/ct.bin"
  expect_in "plaintext: 42" "$1: plaintext 42"
  [ $# -gt 1 ] && expect_in "$2" "$1: $2"
  expect_exit 0 "$1: user-decrypt" "${CLIENT[@]}" user-decrypt --key-id "$KEY" --ciphertext-file "$WORK/ct8.bin"
  expect_in "plaintext: 7" "$1: user plaintext 7"
}
decrypt_ok "all parties up" "parties_agreeing: 4 of 4"

step "Graceful restart (SIGTERM) of party 2, then decryption"
expect_exit 0 "kms-local stop 2" kms-local --dir "$D" stop 2
expect_exit 1 "status exit 1 with a party stopped" kms-local --dir "$D" status
expect_in "stopped" "status shows the stopped party"
expect_exit 1 "health with one party down is DEGRADED (exit 1)" kms-health-check live --endpoint "localhost:$P1"
expect_in "Overall Status: DEGRADED" "DEGRADED with 3 of 4 (the decryption quorum)"
expect_in "UNREACHABLE" "the peer shows UNREACHABLE"
expect_exit 2 "kms-health-check live on the stopped party" kms-health-check live --endpoint "localhost:$(client_port 2)"
expect_in "cannot reach localhost:$(client_port 2): connection refused" "says connection refused"
expect_exit 1 "kms-init with a party down" kms-init --addresses "http://127.0.0.1:$P1" "http://127.0.0.1:$(client_port 2)" "http://127.0.0.1:$(client_port 3)" "http://127.0.0.1:$(client_port 4)"
expect_in "127.0.0.1:$(client_port 2)" "kms-init names the party that is down"
decrypt_ok "party 2 stopped" "parties_agreeing: 3 of 4"
expect_exit 0 "kms-local start 2" kms-local --dir "$D" start 2
wait_status "localhost:$P1" OPTIMAL 30 && pass "peers see the restarted party" || fail "not OPTIMAL 30 s after the restart"
decrypt_ok "after graceful restart" "parties_agreeing: 4 of 4"

step "Forced restart (SIGKILL) of party 3, then decryption"
expect_exit 0 "kms-local stop 3 --kill" kms-local --dir "$D" stop 3 --kill
expect_exit 0 "kms-local start 3" kms-local --dir "$D" start 3
wait_status "localhost:$P1" OPTIMAL 30 && pass "peers see the restarted party" || fail "not OPTIMAL 30 s after the restart"
decrypt_ok "after forced restart" "parties_agreeing: 4 of 4"

step "Key generation while parties are killed (SIGKILL): n - t parties make the key"
# A dead party costs about one round timeout (10 s here) per session, not one per round.
expect_exit 0 "kms-local stop 3 --kill" kms-local --dir "$D" stop 3 --kill
KG_START=$SECONDS
expect_exit 0 "kms-client keygen with party 3 killed" "${CLIENT[@]}" keygen
took=$((SECONDS - KG_START))
KEY_DOWN=$(field key_id)
expect_in "parties_agreeing: 3 of 4" "three parties agree on the key"
expect_in "missing: " "names a missing party"
expect_in ":$(client_port 3)" "the missing party is party 3"
if [ "$took" -le 45 ]; then pass "keygen with a dead party took ${took} s"; else fail "keygen with a dead party took ${took} s"; fi
expect_exit 0 "encrypt under that key" "${CLIENT[@]}" encrypt --key-id "$KEY_DOWN" --type euint64 --value 4242 -o "$WORK/ct-down.bin"
expect_exit 0 "public-decrypt with party 3 down" "${CLIENT[@]}" public-decrypt --key-id "$KEY_DOWN" --ciphertext-file "$WORK/ct-down.bin"
expect_in "plaintext: 4242" "the key made without party 3 decrypts right"
expect_exit 0 "kms-local start 3" kms-local --dir "$D" start 3
wait_status "localhost:$P1" OPTIMAL 30 && pass "peers see the restarted party" || fail "not OPTIMAL 30 s after the restart"
# Party 4 killed while key generation runs (during preprocessing or the DKG).
"${CLIENT[@]}" keygen > "$WORK/keygen-kill.out" 2>&1 &
KG_PID=$!
sleep 0.3
expect_exit 0 "kms-local stop 4 --kill during keygen" kms-local --dir "$D" stop 4 --kill
wait "$KG_PID"; KG_RC=$?
OUT="$(cat "$WORK/keygen-kill.out")"
if [ "$KG_RC" = 0 ]; then pass "keygen survives party 4 killed midway"; else fail "keygen with party 4 killed midway exited $KG_RC: $OUT"; fi
expect_in "parties_agreeing: 3 of 4" "three parties agree after the midway kill"
expect_exit 0 "kms-local start 4" kms-local --dir "$D" start 4
wait_status "localhost:$P1" OPTIMAL 30 && pass "peers see the restarted party" || fail "not OPTIMAL 30 s after the restart"

step "Key material recovery: restore party 4's key folders from a copy"
expect_exit 0 "kms-local stop 4" kms-local --dir "$D" stop 4
mkdir -p "$WORK/backup/keys"
cp -a "$D/keys/PUB-p4" "$D/keys/PRIV-p4" "$WORK/backup/keys/"
rm -rf "$D/keys/PRIV-p4/FheKeyInfo" "$D/keys/PRIV-p4/SigningKey"
expect_exit 1 "party 4 without its key material does not start" kms-local --dir "$D" start 4 --wait 20
cp -r "$WORK/backup/keys/"* "$D/keys/"
chmod -R u=rwX,go= "$D/keys/PRIV-p4"
expect_exit 0 "party 4 starts from the restored copy" kms-local --dir "$D" start 4
wait_status "localhost:$P1" OPTIMAL 30 && pass "peers see the restarted party" || fail "not OPTIMAL 30 s after the restart"
decrypt_ok "after restore" "parties_agreeing: 4 of 4"

step "PRSS re-initialization"
before=$(cksum < "$D/keys/PRIV-p1/PrssSetup/$EPOCH")
expect_exit 0 "kms-init on an initialized network" kms-init --addresses $(for i in 1 2 3 4; do echo "http://localhost:$(client_port $i)"; done)
expect_in "already exists on all 4 parties; nothing changed" "says so and changes nothing"
[ "$(cksum < "$D/keys/PRIV-p1/PrssSetup/$EPOCH")" = "$before" ] && pass "PRSS file unchanged" || fail "PRSS file changed without --force"
expect_exit 0 "kms-init --force" kms-init --force --addresses $(for i in 1 2 3 4; do echo "http://127.0.0.1:$(client_port $i)"; done)
expect_in "re-creating the PRSS" "re-creates it"
[ "$(cksum < "$D/keys/PRIV-p1/PrssSetup/$EPOCH")" != "$before" ] && pass "PRSS file re-created" || fail "PRSS file not re-created by --force"
decrypt_ok "after PRSS re-initialization" "parties_agreeing: 4 of 4"

step "Log analysis: grep -E \"(ERROR|FATAL|PANIC|WARN)\""
OUT="$(tail -n 1000 "$D/logs/party1.log" | grep -E "(ERROR|FATAL|PANIC|WARN)" ; echo "grep done")"
expect_in "grep done" "log grep runs"
if grep -rqF -f <(sed -n '/BEGIN/,/END/p' "$D/certs/key_p1.pem" | grep -v -- '-----') "$D/logs/"; then
  fail "a TLS private key line appears in a log"
else pass "no TLS private key material in the logs"; fi

step "Monitoring scripts: custom-health-check.sh and auto-diagnose.sh"
expect_exit 0 "custom-health-check.sh" env ENDPOINT="localhost:$P1" LOG_FILE="$WORK/kms-health.log" KMS_BIN="$BIN" DISK_LIMIT=100 MEM_LIMIT=100 bash "$REPO/scripts/custom-health-check.sh"
OUT="$(cat "$WORK/kms-health.log")"
expect_in "INFO: All health checks passed" "logs that all checks passed"
expect_exit 0 "auto-diagnose.sh" env KMS_LOCAL_DIR="$D" ENDPOINT="localhost:$P1" OUT_DIR="$WORK/diag" KMS_BIN="$BIN" bash "$REPO/scripts/auto-diagnose.sh"
bundle=$(ls "$WORK"/diag/kms-diagnostics-*.tar.gz 2>/dev/null | head -1)
if [ -n "$bundle" ]; then
  mkdir -p "$WORK/diag/x" && tar -xzf "$bundle" -C "$WORK/diag/x"
  OUT="$(ls -R "$WORK/diag/x")"
  for f in health-check.txt config-validation.txt config-sanitized.toml key-inventory.txt party1.log; do
    expect_in "$f" "bundle holds $f"
  done
  OUT="$(cat "$WORK"/diag/x/*/health-check.txt)"
  expect_in "Overall Status: OPTIMAL" "bundle health report"
  # No key material: no TLS private key line, no signing key, no key share file, no PRSS.
  leaks=0
  while IFS= read -r line; do
    if grep -rqF -- "$line" "$WORK/diag/x"; then leaks=$((leaks + 1)); fi
  done < <(cat "$D"/certs/key_p*.pem | grep -v -- '-----')
  for f in $(find "$D/keys" -path '*PRIV-p*' -type f); do
    hex=$(od -An -tx1 -v "$f" | tr -d ' \n' | cut -c1-64)
    for g in $(find "$WORK/diag/x" -type f); do
      if od -An -tx1 -v "$g" | tr -d ' \n' | grep -qF "$hex"; then leaks=$((leaks + 1)); echo "leak of $f in $g"; fi
    done
  done
  if [ "$leaks" -eq 0 ]; then pass "the bundle holds no key material"; else fail "$leaks pieces of key material in the bundle"; fi
  if find "$WORK/diag/x" -path '*PRIV*' -type f | grep -q .; then fail "private vault files copied"; else pass "no private vault file copied"; fi
else
  fail "no diagnostics archive"
fi

step "Coordinated restart: kms-local down, up again (keys and PRSS kept)"
expect_exit 0 "kms-local down" kms-local --dir "$D" down
expect_exit 0 "kms-local up again" kms-local up --dir "$D" --parties 4 --params test \
  --port-offset "$PORT_OFFSET" --decryption-timeout 20 --round-timeout 10
expect_in "already exists on all 4 parties" "kms-init finds the stored PRSS"
decrypt_ok "after coordinated restart" "parties_agreeing: 4 of 4"

finish
