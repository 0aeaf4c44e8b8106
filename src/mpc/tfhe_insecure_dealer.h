// File: mpc/tfhe_insecure_dealer.h
//
// INSECURE, for tests and demos only (off unless threshold.insecure = true): a tfhe-rs keyset
// made by a dealer instead of the DKG (mpc/tfhe_dkg.h). Party 1 draws a 16-byte seed (an AES-128
// key) and sends it to every party over the session's authenticated channels; every party then
// generates the same keyset from that seed (tfhe::GenerateKeyset) and the same Shamir dealing of
// its decryption secrets (InsecureDealTfheKeyShares), keeps its own shares and drops the rest.
// Every party thus sees the whole secret key for a moment: a key made this way is marked insecure
// (its shares carry insecure_dealer) and must never protect real data. One round; each party's cost
// is one centralized keyset generation. No compressed keyset is made.
#ifndef KMS_MPC_TFHE_INSECURE_DEALER_H_
#define KMS_MPC_TFHE_INSECURE_DEALER_H_

#include "absl/status/statusor.h"
#include "mpc/session.h"
#include "mpc/tfhe_decryption.h"
#include "tfhe/keyset.h"

namespace kms::mpc {

struct TfheDealtKeyset {
  // Public, identical at every party.
  tfhe::CompactPublicKey public_key;
  tfhe::PublishedServerKey server_key;
  // Mine, insecure_dealer set.
  TfheKeyShare key_share;
};

// UNAVAILABLE when the dealer's seed does not arrive, INVALID_ARGUMENT when it is not 16 bytes;
// the keyset generation's errors otherwise.
absl::StatusOr<TfheDealtKeyset> InsecureDealerTfheKeyGen(
    Session& session, const tfhe::KeysetParameters& params,
    const tfhe::KeysetProgress& progress = nullptr);

}  // namespace kms::mpc

#endif  // KMS_MPC_TFHE_INSECURE_DEALER_H_
