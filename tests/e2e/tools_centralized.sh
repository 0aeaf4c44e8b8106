#!/usr/bin/env bash
# The tools against a centralized kms-server (one server, no MPC): kms-gen-keys, kms-client
# keygen (a phase-1 key and a tfhe-rs keyset) / encrypt / public-decrypt / user-decrypt / call,
# kms-health-check live and config.
#   tools_centralized.sh <folder of the kms binaries>
source "$(dirname "$0")/guide_lib.sh" "$1" central 5000

PORT=$((50100 + PORT_OFFSET))
METRICS=$((9646 + PORT_OFFSET))
mkdir -p "$WORK/cluster-central"
CFG="$WORK/cluster-central/config.toml"
cat > "$CFG" <<TOML
[service]
listen_address = "127.0.0.1"
listen_port = $PORT
fhe_parameter = "test"
allow_insecure_parameters = true
[public_vault.storage.file]
path = "./keys"
[private_vault.storage.file]
path = "./keys"
[telemetry]
metrics_bind_address = "127.0.0.1:$METRICS"
TOML
SERVER_PID=""
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; }
trap 'stop_server; cleanup' EXIT

step "kms-gen-keys and kms-server (centralized)"
expect_exit 0 "kms-gen-keys" kms-gen-keys --config-file "$CFG"
SIGNER=$(printf '%s\n' "$OUT" | sed -n 's/^signing key: address \(0x[0-9a-fA-F]*\) .*/\1/p')
[ -n "$SIGNER" ] && pass "kms-gen-keys prints the operator address $SIGNER" || fail "no address in: $OUT"
expect_exit 1 "kms-gen-keys refuses to overwrite" kms-gen-keys --config-file "$CFG"
kms-server --config-file "$CFG" > "$WORK/cluster-central/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do nc -z 127.0.0.1 "$PORT" 2>/dev/null && break; sleep 0.1; done
expect_exit 0 "kms-health-check config (centralized)" kms-health-check config --file "$CFG"
expect_in "Mode: centralized" "says centralized"

step "key, encryption, decryption"
# The server's operator address is pinned: its key generation results must carry its signature.
C=(kms-client --endpoint "localhost:$PORT" --signer-address "$SIGNER" --quiet)
expect_exit 1 "kms-client keygen without a pinned address is refused" kms-client --endpoint "localhost:$PORT" --quiet keygen
expect_in "no operator signing addresses are pinned" "says to pin the operator"
expect_exit 0 "kms-client keygen" "${C[@]}" keygen
KEY=$(field key_id)
expect_in "parties_agreeing: 1 of 1" "one signed result"
expect_exit 0 "get-public-key signed by the pinned operator" "${C[@]}" get-public-key "$KEY" -o "$WORK/pk.bin"
expect_in "signed_by_parties: 0 (1 pinned signers, t + 1 = 1 needed)" "t + 1 = 1 pinned signer"
OTHER=$(kms-client --endpoint "localhost:$PORT" call GetOperatorPublicKey | sed -n 's/.*"address": "\(0x[0-9a-fA-F]*\)".*/\1/p')
[ "$OTHER" = "$SIGNER" ] && pass "the server reports the pinned address" || fail "GetOperatorPublicKey says $OTHER, kms-gen-keys $SIGNER"
WRONG=0x2c7536E3605D9C16a7a3D7b1898e529396a65c23
expect_exit 1 "get-public-key with another pinned address is refused" kms-client --endpoint "localhost:$PORT" --signer-address "$WRONG" --quiet get-public-key "$KEY" -o "$WORK/pk-wrong.bin"
expect_in "only 0 of the t + 1 = 1 required parties" "no pinned signature"
expect_in "signer $SIGNER is not the pinned $WRONG" "names both addresses"
expect_exit 2 "a mistyped (checksum) --signer-address" kms-client --endpoint "localhost:$PORT" --signer-address "$(printf '%s' "$SIGNER" | tr 'a-f' 'A-F')" get-public-key "$KEY" -o "$WORK/pk-wrong.bin"
expect_exit 1 "encrypt without a pinned address is refused" kms-client --endpoint "localhost:$PORT" --quiet encrypt --key-id "$KEY" --type euint8 --value 1
expect_in "--trust-on-first-use" "names the explicit way out"
expect_exit 0 "encrypt with --trust-on-first-use" kms-client --endpoint "localhost:$PORT" --quiet --trust-on-first-use encrypt --key-id "$KEY" --type euint8 --value 1
expect_in "WARNING: --trust-on-first-use" "warns"
expect_exit 0 "public-decrypt euint128" "${C[@]}" public-decrypt --key-id "$KEY" --type euint128 --value 0xffffffffffffffffffffffffffffffff
expect_in "plaintext: 340282366920938463463374607431768211455" "2^128 - 1"
expect_exit 0 "user-decrypt ebool" "${C[@]}" user-decrypt --key-id "$KEY" --type ebool --value 1
expect_in "plaintext: 1" "true"
expect_exit 1 "a value wider than its type" "${C[@]}" encrypt --key-id "$KEY" --type euint8 --value 256
expect_exit 1 "an unknown key" "${C[@]}" public-decrypt --key-id "$(printf '%064d' 7)" --type euint8 --value 1
expect_in "not available from any party" "says the key is not there"
expect_exit 2 "a malformed key id" "${C[@]}" get-public-key 1234 -o "$WORK/pk.bin"
expect_exit 0 "kms-client call GetKeyMaterialAvailability" "${C[@]}" call GetKeyMaterialAvailability
expect_in "$KEY" "lists the key"

step "tfhe-rs keyset (tfhe-test)"
expect_exit 0 "kms-client keygen --params tfhe-test" "${C[@]}" keygen --params tfhe-test
TKEY=$(field key_id)
expect_in "fhe_parameter: tfhe-test" "names the tfhe-rs set"
expect_in "insecure: true" "marked insecure (the test set)"
for obj in PublicKey ServerKey PublicKeyMetadata; do
  f=$(find "$WORK" -path "*/$obj/$TKEY" -type f | head -1)
  [ -n "$f" ] && [ -s "$f" ] && pass "$obj/$TKEY published ($(stat -c %s "$f") bytes)" || fail "no $obj/$TKEY under $WORK"
done
f=$(find "$WORK" -path "*/FhePrivateKey/$TKEY" -type f | head -1)
[ -n "$f" ] && [ "$(stat -c %a "$f")" = 600 ] && pass "FhePrivateKey/$TKEY is 0600" || fail "FhePrivateKey/$TKEY missing or not 0600"
[ "$(head -c 8 "$f")" = KMSTKEY1 ] && pass "a KMSTKEY1 record" || fail "FhePrivateKey/$TKEY is not a KMSTKEY1 record"
expect_exit 0 "get-public-key of the keyset" "${C[@]}" get-public-key "$TKEY" -o "$WORK/tfhe-pk.bin"
cmp -s "$WORK/tfhe-pk.bin" "$(find "$WORK" -path "*/PublicKey/$TKEY" -type f | head -1)" && pass "the signed public key is the stored CompactPublicKey" || fail "get-public-key wrote other bytes"
expect_exit 0 "the key listing names the keyset" "${C[@]}" call GetKeyMaterialAvailability
expect_in "$TKEY" "lists the keyset"

step "kms-health-check live (centralized)"
expect_exit 0 "kms-health-check live" kms-health-check live --endpoint "127.0.0.1:$PORT"
expect_in "Node Type: CENTRALIZED" "node type"
expect_in "Overall Status: OPTIMAL" "OPTIMAL"
expect_in "$KEY" "key listed"
expect_in "$TKEY" "tfhe-rs keyset listed"

step "graceful stop"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; rc=$?; SERVER_PID=""
[ "$rc" -eq 0 ] && pass "kms-server exits 0 on SIGTERM" || fail "kms-server exit $rc on SIGTERM"
expect_exit 2 "kms-health-check live after the stop" kms-health-check live --endpoint "127.0.0.1:$PORT"
expect_in "connection refused" "connection refused"

finish
