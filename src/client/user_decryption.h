// File: client/user_decryption.h
//
// The user's side of user decryption (crypto-spec A.2, B §5 "Client side"): turn the parties'
// UserDecryptionResponses into plaintexts that only this user can read, trusting no single party.
//
// For every response (any subset of the parties, in any order):
//   1. the party id must be one of `signers` (1..n; 0 for a centralized server), seen once;
//   2. request id, key id, handles, types, block counts and packing must be the request's;
//   3. link must equal the EIP-712 digest of UserDecryptionLinker{enc_key, handles,
//      client_address} under the request's domain;
//   4. the EIP-712 signature of UserDecryptResponseVerification{enc_key, handles,
//      userDecryptedShare = crypto::EncodeUserDecryptedShares(header, shares), extraData =
//      request_id ‖ key_id ‖ extra_data} must recover to the party's expected address;
//   5. every share must unsigncrypt (crypto/signcryption.h) with the user's key, this link and the
//      party's address, and hold ceil(block_count / 4) ring elements of GR(2^128, F4).
// A response failing any check counts as missing (⊥) and is reported in `rejected`; it never
// makes the whole reconstruction fail by itself.
//
// Then, per ciphertext, the accepted parties' ring elements are reconstructed with
// algebra::ReconstructBatchSync (degree t, n = number of signers, the missing and rejected
// parties counted as ⊥): up to t missing, rejected or lying parties in total are tolerated
// (sync rule: D + 2t < n, heard > D + 2t, t - #⊥ errors corrected). Each reconstructed element's
// four coefficients are four masked block values Δ·m + noise, padding coefficients past
// block_count must be zero, and the blocks are decoded and recomposed by the key's parameter set:
//   "test", "default"            lwe::DecodeBlock, lwe::TypedPlaintext::FromBlocks (phase-1)
//   "tfhe-test", "tfhe-default"  tfhe/block_decoding.h (squashed radix blocks packed two per
//                                LWE block), block_count = PackedBlockBits(type).size()
// (a value beyond the type's width is refused).
// Centralized mode is the same path with n = 1, t = 0 and the single response's elements taken
// as they are (a degree-0 "sharing").
//
// t comes from the signed response header; accepted responses must agree on it and 3t < n.
// Errors: FAILED_PRECONDITION when too few responses survive ("3 of 4 parties accepted, need
// ..."), ABORTED when the shares do not reconstruct (more than t bad parties) or decode to an
// invalid value; INVALID_ARGUMENT for a malformed request description. Messages never contain
// plaintext values or shares.
#ifndef KMS_CLIENT_USER_DECRYPTION_H_
#define KMS_CLIENT_USER_DECRYPTION_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/eip712.h"
#include "crypto/hash.h"
#include "crypto/secp256k1_signer.h"
#include "crypto/secure_zero.h"
#include "lwe/fhe_type.h"
#include "lwe/typed_plaintext.h"
#include "proto/kms_service.pb.h"

namespace kms::client {

// What the user asked for, as sent in the UserDecryptionRequest.
struct UserDecryptionRequestInfo {
  crypto::Digest request_id{};  // 32-byte request id
  crypto::Digest key_id{};
  // One per ciphertext, in request order: the handle the parties sign (the external_handle, or
  // SHAKE256("_HANDLE_" ‖ ciphertext bytes) when none was sent) and the ciphertext's type.
  std::vector<crypto::Digest> handles;
  std::vector<lwe::FheType> types;
  Bytes enc_key;  // the user's X25519 public key, as sent
  crypto::EthAddress client_address{};
  crypto::Eip712Domain domain;  // the request's domain (the server default is {"KMS", "1"})
  Bytes extra_data;
  // The key's parameter set name; empty: what most responses name.
  std::string fhe_parameter;
};

// Why one response was not used.
struct RejectedResponse {
  uint32_t party_id = 0;
  std::string reason;
};

// Checks, decrypts and reconstructs. `signers` maps every party id of the deployment to its
// expected signer address (from GetOperatorPublicKey or the published VerfAddress): {1..n} in
// threshold mode, {0} for a centralized server. `rejected` (optional) receives the responses
// that were not used and why.
absl::StatusOr<std::vector<lwe::TypedPlaintext>> ReconstructUserDecryption(
    std::span<const kms::v1::UserDecryptionResponse> responses,
    const crypto::SecretBytes& user_private_key,
    const std::map<uint32_t, crypto::EthAddress>& signers, const UserDecryptionRequestInfo& request,
    std::vector<RejectedResponse>* rejected = nullptr);

// The "link" of a request: EIP-712 digest of UserDecryptionLinker{enc_key, handles,
// client_address} under the request's domain.
crypto::Digest UserDecryptionLink(const UserDecryptionRequestInfo& request);

// Checks steps 1-5 above for one response and returns its unsigncrypted ring-element encodings
// (one byte string per ciphertext). Exposed for diagnostics and tests.
absl::StatusOr<std::vector<crypto::SecretBytes>> OpenUserDecryptionResponse(
    const kms::v1::UserDecryptionResponse& response, const crypto::SecretBytes& user_private_key,
    const std::map<uint32_t, crypto::EthAddress>& signers, const UserDecryptionRequestInfo& request,
    std::string_view fhe_parameter);

}  // namespace kms::client

#endif  // KMS_CLIENT_USER_DECRYPTION_H_
