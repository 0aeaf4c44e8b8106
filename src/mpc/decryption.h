// File: mpc/decryption.h
//
// Threshold decryption by noise flooding (crypto-spec A.2, B §2.11 NoiseFloodSmall, B §5).
// For each LWE block (a, b): my partial decryption p_i = b - sum_j a_j s_{j,i} plus my share of
// a PRSS mask of bound Bd 2^40 (Mask.Next, no interaction), so the opened value reveals
// Delta m + e + E with the flooding term E hiding the key-dependent noise e.
//  - PublicDecrypt: one asynchronous robust open of every block of a batch, then decoding.
//  - UserDecryptionShares: no interaction at all; the masked shares, packed four blocks per ring
//    element (sum_l c_l X^l, a valid sharing of the element whose coefficients are the four
//    masked plaintexts), for the client to reconstruct.
// Failure is loud: an opened value that is not a scalar or a plaintext outside its type's range
// means more than t parties lied, and the call fails with ABORTED instead of returning it.
#ifndef KMS_MPC_DECRYPTION_H_
#define KMS_MPC_DECRYPTION_H_

#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "lwe/encryption.h"
#include "lwe/typed_ciphertext.h"
#include "lwe/typed_plaintext.h"
#include "mpc/dkg.h"
#include "mpc/prss.h"
#include "mpc/session.h"

namespace kms::mpc {

// Blocks packed into one ring element for user decryption (the ring's extension degree).
inline constexpr int kUserDecryptionPacking = Share::kDegree;

// b_j - <a_j, s_i> + Mask.Next(Bd) for every block of every ciphertext, in order. Works on the
// compact lists directly (block j's mask is a window of the list's negacyclic extension), so no
// per-block mask is ever materialised. REQUIRES: ValidateForKey(ct, key) for each ciphertext.
std::vector<Share> MaskedPartialDecryptions(const KeyShare& key, PrssState<Share>& prss,
                                            std::span<const lwe::TypedCiphertext> ciphertexts);

// Decrypts a batch of typed ciphertexts on one asynchronous session whose id all parties
// derived from the request. Validates every ciphertext against the key first (INVALID_ARGUMENT).
absl::StatusOr<std::vector<lwe::TypedPlaintext>> PublicDecrypt(
    Session& session, const KeyShare& key, const PrssSetup& prss,
    std::span<const lwe::TypedCiphertext> ciphertexts);

// My packed masked shares of each ciphertext (outer index: ciphertext). `session_ids[i]` is the
// id derived for ciphertext i (B §3: ctr = ciphertext index).
absl::StatusOr<std::vector<std::vector<Share>>> UserDecryptionShares(
    const KeyShare& key, const PrssSetup& prss, std::span<const SessionId> session_ids,
    std::span<const lwe::TypedCiphertext> ciphertexts);

// Turns opened (or reconstructed) block values into a typed plaintext; ABORTED when a value is
// not a scalar or decodes outside the type's range.
absl::StatusOr<lwe::TypedPlaintext> DecodeOpenedBlocks(lwe::FheType type,
                                                       std::span<const Share> opened,
                                                       const lwe::LweParameters& params);

// Checks that `ct` can be decrypted with `key` (parameter set, dimension, block count).
absl::Status ValidateForKey(const lwe::TypedCiphertext& ct, const KeyShare& key);

}  // namespace kms::mpc

#endif  // KMS_MPC_DECRYPTION_H_
