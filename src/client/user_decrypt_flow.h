// File: client/user_decrypt_flow.h
//
// User decryption end to end, as `kms-client user-decrypt` runs it: a fresh X25519 key pair for
// the user (crypto/hybrid_encryption.h) and a throwaway Ethereum identity as the user's address,
// the request sent to every party (ClusterClient::UserDecrypt), and the answers checked,
// unsigncrypted and reconstructed by client/user_decryption.h against the pinned operator
// addresses (ClusterClient::ExpectedSigner; without pins, the addresses the parties report). The
// user's private key lives in zeroing memory and is dropped when done.
#ifndef KMS_CLIENT_USER_DECRYPT_FLOW_H_
#define KMS_CLIENT_USER_DECRYPT_FLOW_H_

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cluster_client.h"
#include "lwe/typed_plaintext.h"
#include "proto/kms_service.pb.h"

namespace kms::client {

struct UserDecryptOutcome {
  std::vector<lwe::TypedPlaintext> plaintexts;  // one per ciphertext
  std::string user_address;                     // the address the request named (EIP-55)
  size_t shares_used = 0;                       // responses that passed every check
  std::vector<std::string> problems;            // parties that failed or were rejected
};

// Requests user decryption of `ciphertexts` under `key_id` from every party and reconstructs.
// FailedPrecondition / Aborted from the reconstruction (too few or inconsistent shares), with
// every party's problem listed. `extra_data` goes into the request unchanged (ciphertext
// attestations: client/ciphertext_attestation.h).
absl::StatusOr<UserDecryptOutcome> RunUserDecryption(
    ClusterClient& cluster, const std::string& key_id,
    const std::vector<v1::TypedCiphertext>& ciphertexts, std::chrono::milliseconds timeout,
    const std::string& extra_data = "");

}  // namespace kms::client

#endif  // KMS_CLIENT_USER_DECRYPT_FLOW_H_
