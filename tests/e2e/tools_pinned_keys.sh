#!/usr/bin/env bash
# kms-client trusts a public key only when t + 1 operators pinned in client.toml signed it: a
# 4-party kms-local cluster (t = 1, test parameters), one key, then client.toml pinning wrong
# operator addresses (what a client sees when parties' servers sign with keys that are not the
# operators', or when someone else answers on their ports), no addresses, or some.
#   tools_pinned_keys.sh <folder of kms-local, kms-server, kms-gen-keys, kms-init, kms-client>
source "$(dirname "$0")/guide_lib.sh" "$1" pinned 6000

D="$WORK/cluster4"
CLIENT=(kms-client --config "$D/client.toml" --quiet --timeout 60)

step "kms-local up pins every operator in client.toml"
expect_exit 0 "kms-local up" kms-local up --dir "$D" --parties 4 --params test \
  --port-offset "$PORT_OFFSET" --decryption-timeout 20 --round-timeout 10
source "$D/tls.env"  # the tools' TLS identity for the cluster's client ports
OUT="$(cat "$D/client.toml")"
declare -A REAL
for i in 1 2 3 4; do
  REAL[$i]=$(cat "$D"/keys/PUB-p$i/VerfAddress/*)
  expect_in "signer_address = \"${REAL[$i]}\"" "party $i pinned to the address kms-gen-keys published"
done
OUT="$(kms-client --endpoint "localhost:$(client_port 3)" call GetOperatorPublicKey)"
expect_in "\"address\": \"${REAL[3]}\"" "party 3 reports the pinned address"

# Addresses of keys that no party has, from throwaway centralized configurations.
declare -A WRONG
for i in 2 3 4; do
  mkdir -p "$WORK/other$i"
  printf '[service]\nlisten_address = "127.0.0.1"\nlisten_port = 1\n[public_vault.storage.file]\npath = "./keys"\n[private_vault.storage.file]\npath = "./keys"\n' > "$WORK/other$i/config.toml"
  WRONG[$i]=$(kms-gen-keys --config-file "$WORK/other$i/config.toml" | sed -n 's/^signing key: address \(0x[0-9a-fA-F]*\) .*/\1/p')
  [ -n "${WRONG[$i]}" ] && pass "a stranger's address ${WRONG[$i]}" || fail "kms-gen-keys printed no address"
done
# pins_with <file> <party>...: client.toml with the stranger's address pinned for those parties.
pins_with() {
  local out="$1"; shift
  cp "$D/client.toml" "$out"
  for i in "$@"; do sed -i "s/${REAL[$i]}/${WRONG[$i]}/" "$out"; done
}

step "The right pins: keygen, get-public-key, encrypt and decrypt"
expect_exit 0 "kms-client keygen" "${CLIENT[@]}" keygen
KEY=$(field key_id)
expect_in "parties_agreeing: 4 of 4" "four pinned operators signed the key"
expect_exit 0 "get-public-key" "${CLIENT[@]}" get-public-key "$KEY" -o "$WORK/pk.bin"
expect_in "signed_by_parties: 1,2,3,4 (4 pinned signers, t + 1 = 2 needed)" "names the signers"
expect_exit 0 "encrypt (downloads the key)" "${CLIENT[@]}" encrypt --key-id "$KEY" --type euint8 --value 99 -o "$WORK/ct.bin"
expect_exit 0 "public-decrypt" "${CLIENT[@]}" public-decrypt --key-id "$KEY" --ciphertext-file "$WORK/ct.bin"
expect_in "plaintext: 99" "decrypts"

step "Three of four pins wrong: fewer than t + 1 = 2 pinned signers, the key is refused"
pins_with "$WORK/wrong234.toml" 2 3 4
W=(kms-client --config "$WORK/wrong234.toml" --quiet --timeout 60)
expect_exit 1 "get-public-key refused" "${W[@]}" get-public-key "$KEY" -o "$WORK/pk-wrong.bin"
expect_in "public key $KEY: only 1 of the t + 1 = 2 required parties signed digest" "says only one pinned party signed"
expect_in "party 3 (127.0.0.1:$(client_port 3)): signer ${REAL[3]} is not the pinned ${WRONG[3]}" "names the party and both addresses"
[ ! -s "$WORK/pk-wrong.bin" ] && pass "no key file written" || fail "a refused key was written"
expect_exit 1 "encrypt refused" "${W[@]}" encrypt --key-id "$KEY" --type euint8 --value 1 -o "$WORK/ct-wrong.bin"
expect_in "only 1 of the t + 1 = 2 required parties" "encrypt says why"
expect_exit 1 "public-decrypt --type/--value refused" "${W[@]}" public-decrypt --key-id "$KEY" --type euint8 --value 1
expect_in "only 1 of the t + 1 = 2 required parties" "public-decrypt says why"
expect_exit 1 "user-decrypt --type/--value refused" "${W[@]}" user-decrypt --key-id "$KEY" --type euint8 --value 1
expect_exit 1 "public-decrypt of a ciphertext file: one pinned signature is not t + 1" "${W[@]}" public-decrypt --key-id "$KEY" --ciphertext-file "$WORK/ct.bin"
expect_in "1 of 4 parties gave a valid signed answer" "decryption answers are checked against the pins"
expect_exit 1 "keygen refuses a result signed by unpinned operators" "${W[@]}" keygen
expect_in "only 1 of the t + 1 = 2 required parties signed digest" "keygen says why"

step "One pin wrong: three pinned signers remain, the key is accepted and the party named"
pins_with "$WORK/wrong4.toml" 4
expect_exit 0 "get-public-key" kms-client --config "$WORK/wrong4.toml" --quiet get-public-key "$KEY" -o "$WORK/pk4.bin"
expect_in "signed_by_parties: 1,2,3 (3 pinned signers, t + 1 = 2 needed)" "three signers count"
expect_in "problem: party 4 (127.0.0.1:$(client_port 4)): signer ${REAL[4]} is not the pinned ${WRONG[4]}" "party 4 named"
cmp -s "$WORK/pk.bin" "$WORK/pk4.bin" && pass "the same key bytes" || fail "another key was written"

step "No pins: refused unless --trust-on-first-use"
grep -v '^signer_address' "$D/client.toml" > "$WORK/nopins.toml"
expect_exit 1 "get-public-key without pins" kms-client --config "$WORK/nopins.toml" --quiet get-public-key "$KEY" -o "$WORK/pk-n.bin"
expect_in "no operator signing addresses are pinned" "says nothing is pinned"
expect_in "signer_address in every [[parties]] entry of client.toml" "says how to pin"
ADDRS=$(for i in 1 2 3 4; do printf 'http://127.0.0.1:%s ' "$(client_port $i)"; done)
expect_exit 1 "get-public-key with --addresses" kms-client --addresses $ADDRS --quiet get-public-key "$KEY" -o "$WORK/pk-n.bin"
expect_in "--trust-on-first-use" "names the explicit flag"
expect_exit 0 "get-public-key --trust-on-first-use" kms-client --addresses $ADDRS --quiet --trust-on-first-use get-public-key "$KEY" -o "$WORK/pk-n.bin"
expect_in "WARNING: --trust-on-first-use" "warns"
expect_in "trust on first use" "says how the key was accepted"
grep -v "${REAL[2]}" "$D/client.toml" > "$WORK/somepins.toml"
expect_exit 2 "pins for some parties only" kms-client --config "$WORK/somepins.toml" get-public-key "$KEY" -o "$WORK/pk-n.bin"
expect_in "signer_address is given for 3 of 4 parties" "config error names the problem"

step "A restarted party signs its rebuilt result over the server's default domain: still counted"
expect_exit 0 "kms-local stop 2" kms-local --dir "$D" stop 2
expect_exit 0 "kms-local start 2" kms-local --dir "$D" start 2
expect_exit 0 "get-public-key after the restart" "${CLIENT[@]}" get-public-key "$KEY" -o "$WORK/pk-r.bin"
expect_in "signed_by_parties: 1,2,3,4" "party 2 still counts"

finish
