// File: client/ciphertext_attestation.h
//
// The producer's side of ciphertext admission (crypto/ciphertext_attestation.h): a producer key
// file, and the extra_data that carries a producer's attestations of a request's ciphertexts, so
// that a party configured with [admission] policy = "attested" decrypts them. kms-client uses it
// for demos and tests (`producer-key new`, `--attest-with FILE`); a real producer (a
// coprocessor) signs the same EIP-712 typed data with its own key.
//
// A producer key file holds the 32-byte secp256k1 secret as 64 hex characters (and a newline),
// mode 0600. Loading refuses a file that others can read, as ssh does for private keys.
//
//   KMS_ASSIGN_OR_RETURN(crypto::SigningKey producer, LoadProducerKey("producer.key"));
//   KMS_ASSIGN_OR_RETURN(std::string extra, AttestCiphertexts(producer, key_id, cts));
//   request.set_extra_data(extra);
#ifndef KMS_CLIENT_CIPHERTEXT_ATTESTATION_H_
#define KMS_CLIENT_CIPHERTEXT_ATTESTATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/secp256k1_signer.h"
#include "proto/kms_service.pb.h"

namespace kms::client {

// Writes a fresh producer key to `path` (created with mode 0600; an existing file is refused,
// ALREADY_EXISTS, so a key is never overwritten by accident) and returns it.
absl::StatusOr<crypto::SigningKey> CreateProducerKey(const std::string& path);

// Reads a producer key file. INVALID_ARGUMENT for a malformed file, PERMISSION_DENIED when the
// group or others may read or write it (chmod 600 fixes it). Messages never contain key bytes.
absl::StatusOr<crypto::SigningKey> LoadProducerKey(const std::string& path);

// Signs every ciphertext of a request under `key_id` (64 hex) and returns the extra_data that
// carries the signatures (version 0x01). A ciphertext without external_handle gets the handle
// the server would derive (CiphertextHandle of its bytes), since the attested handle must be in
// the request. `chain_id`: the party's admission.chain_id, if it sets one.
absl::StatusOr<std::string> AttestCiphertexts(const crypto::SigningKey& producer,
                                              const std::string& key_id,
                                              std::vector<v1::TypedCiphertext>& ciphertexts,
                                              std::optional<uint64_t> chain_id = std::nullopt);

}  // namespace kms::client

#endif  // KMS_CLIENT_CIPHERTEXT_ATTESTATION_H_
