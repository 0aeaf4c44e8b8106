#!/usr/bin/env bash
# The project's main command for a newcomer (README "First use"): on a fresh Debian 12 machine it
# installs what is missing, builds the server and the tools, starts a 4-party threshold KMS on
# this machine with the default (production-size) parameters, generates a key with the
# distributed key generation (no dealer), encrypts a euint64, decrypts it publicly and for a
# user, makes a tfhe-rs keyset (the ecosystem's key format) with the same DKG, prints the health
# report and the time of each step, and stops the cluster.
#
#   scripts/demo.sh
#
# Environment (optional): DEMO_PARAMS=test for the small insecure parameter set (faster),
# DEMO_PORT_OFFSET=K to move every port by K (when 50100.. are taken), DEMO_DIR for the cluster
# folder (default <build>/demo-cluster), DEMO_BUILD_DIR for the build folder (default build),
# DEMO_KEEP=1 to leave the cluster running. The tfhe-rs keyset is tfhe-test with DEMO_PARAMS=test
# (about 30 s); with the default parameters the tfhe-default keyset's preprocessing takes hours
# on a small machine (README, "Preprocessing for the tfhe-rs default keyset"), so that step runs
# only with DEMO_TFHE_DEFAULT=1 and otherwise prints the command.
set -euo pipefail
cd "$(dirname "$0")/.."

PARAMS="${DEMO_PARAMS:-default}"
OFFSET="${DEMO_PORT_OFFSET:-0}"
BUILD="${DEMO_BUILD_DIR:-build}"
DIR="${DEMO_DIR:-$BUILD/demo-cluster}"
B="$BUILD/bin"
VALUE=42
declare -a FIG_NAMES=() FIG_TIMES=()

say() { printf '\n==> %s\n' "$*"; }
now_ms() { date +%s%3N; }
# timed <figure name> <command...>: runs the command, records its wall time.
timed() {
  local name="$1"; shift
  local t0; t0=$(now_ms)
  "$@"
  local rc=$?
  FIG_NAMES+=("$name"); FIG_TIMES+=($(( $(now_ms) - t0 )))
  return $rc
}
field() { sed -n "s/^$1: //p" | head -1; }

T_START=$(now_ms)
say "1/9 Checking the Debian packages this project needs (scripts/setup.sh installs what is missing)"
if [ "$(id -u)" -eq 0 ]; then timed "install packages" ./scripts/setup.sh; else timed "install packages" sudo ./scripts/setup.sh; fi

say "2/9 Building kms-server and the tools (cmake + ninja, $BUILD/)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
timed "build" cmake --build "$BUILD" -j "$(nproc)" --target kms-server kms-gen-keys kms-init kms-local \
  kms-client kms-health-check

CLIENT_PORT=$((50100 + OFFSET))
stop_cluster() {
  if [ "${DEMO_KEEP:-0}" != 1 ] && [ -f "$DIR/cluster.json" ]; then
    say "Stopping the cluster (kms-local down)"
    "$B/kms-local" --dir "$DIR" down || true
  fi
}
trap stop_cluster EXIT

say "3/9 Starting 4 kms-server parties on this machine (t = 1, parameters $PARAMS): keys, certificates, PRSS"
timed "start 4 parties + PRSS (kms-local up)" "$B/kms-local" up --dir "$DIR" --parties 4 \
  --params "$PARAMS" --port-offset "$OFFSET" --fresh
source "$DIR/tls.env"  # the tools' TLS identity for the cluster's client ports
CLIENT=("$B/kms-client" --config "$DIR/client.toml")

say "4/9 Generating a key: preprocessing (random bits, noise) then distributed key generation"
echo "    (every party runs the protocol; no party ever sees the secret key)"
KEYGEN_OUT="$(mktemp)"
timed "key generation (preprocessing + DKG)" "${CLIENT[@]}" keygen --params "$PARAMS" > "$KEYGEN_OUT"
cat "$KEYGEN_OUT"
KEY=$(field key_id < "$KEYGEN_OUT")
rm -f "$KEYGEN_OUT"

say "5/9 Encrypting $VALUE as a euint64 under the key's public key (downloaded from the parties;"
echo "    accepted only because t + 1 operators pinned in client.toml signed its digest)"
CT="$DIR/ciphertext.bin"
timed "encrypt (download public key + encrypt)" "${CLIENT[@]}" encrypt --key-id "$KEY" \
  --type euint64 --value "$VALUE" -o "$CT"

say "6/9 Public decryption: every party decrypts jointly and signs; t + 1 matching signatures needed"
timed "public decryption" "${CLIENT[@]}" public-decrypt --key-id "$KEY" --ciphertext-file "$CT"

say "7/9 User decryption: each party sends its share encrypted to a fresh user key; the client reconstructs"
timed "user decryption" "${CLIENT[@]}" user-decrypt --key-id "$KEY" --ciphertext-file "$CT"

if [ "$PARAMS" = test ]; then TFHE_SET=tfhe-test; else TFHE_SET=tfhe-default; fi
say "8/9 A tfhe-rs keyset ($TFHE_SET): the same preprocessing + DKG makes the keys that node-tfhe and the"
echo "    fhEVM use: PublicKey (CompactPublicKey), ServerKey, CompressedXofKeySet; each party keeps"
echo "    only its shares of the decryption keys (tfhe-rs ciphertexts are not decrypted yet)"
if [ "$TFHE_SET" = tfhe-test ] || [ "${DEMO_TFHE_DEFAULT:-0}" = 1 ]; then
  TFHE_OUT="$(mktemp)"
  timed "tfhe-rs keyset (preprocessing + DKG)" "${CLIENT[@]}" keygen --params "$TFHE_SET" > "$TFHE_OUT"
  cat "$TFHE_OUT"
  TKEY=$(field key_id < "$TFHE_OUT")
  rm -f "$TFHE_OUT"
  for obj in PublicKey ServerKey CompressedXofKeySet PublicKeyMetadata; do
    printf '    %-20s %12s bytes  %s\n' "$obj" "$(stat -c %s "$DIR/keys/PUB-p1/$obj/$TKEY")" "$DIR/keys/PUB-p1/$obj/$TKEY"
  done
else
  echo "    skipped: its preprocessing (785 M random bits, 7.7 M triples) takes hours here;"
  echo "    DEMO_TFHE_DEFAULT=1 runs it, or by hand: ${CLIENT[*]} keygen --params tfhe-default"
fi

say "9/9 Health report of party 1 (kms-health-check live --endpoint localhost:$CLIENT_PORT)"
"$B/kms-health-check" live --endpoint "localhost:$CLIENT_PORT" || true

say "Figures (wall time of each step on this machine, $(nproc) cores)"
fmt_ms() { awk -v ms="$1" 'BEGIN { if (ms >= 10000) printf "%9.1f s", ms / 1000; else printf "%8d ms", ms }'; }
for i in "${!FIG_NAMES[@]}"; do
  printf '  %-42s %s\n' "${FIG_NAMES[$i]}" "$(fmt_ms "${FIG_TIMES[$i]}")"
done
printf '  %-42s %s\n' "total" "$(fmt_ms $(( $(now_ms) - T_START )))"
echo "  (each decryption/encryption figure includes starting kms-client and fetching the parties' keys)"
echo
echo "The cluster's files are in $DIR (keys/, config/, logs/). Next: docs/operations/troubleshooting.md"
