// File: tfhe/keyswitch.h
//
// LWE key switching over the native 64-bit torus with a standard-domain LweKeyswitchKey
// (tfhe/mask_regeneration.h), as tfhe-rs 1.4's keyswitch_lwe_ciphertext: the output starts as
// the trivial ciphertext (0, …, 0, body_in); for each input mask coefficient a_i, decomposed
// with SignedDecomposer(β_ks, L_ks) into d_{i,L} … d_{i,1}, the output subtracts
// d_{i,ℓ}·KSK(i, ℓ). KSK(i, ℓ) encrypts s_in[i]·2^(64 − β·ℓ) under the output key, so the
// output phase is body − Σ a_i·s_in[i] up to the decomposition error.
//
// Thread safety: pure functions.
#ifndef KMS_TFHE_KEYSWITCH_H_
#define KMS_TFHE_KEYSWITCH_H_

#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "tfhe/mask_regeneration.h"

namespace kms::tfhe {

// out (output_lwe_size words) = KS(in) (input_lwe_dimension + 1 words).
// REQUIRES: the sizes above, native modulus (checked by KeyswitchLweChecked).
void KeyswitchLwe(const LweKeyswitchKey& ksk, std::span<const uint64_t> in,
                  std::span<uint64_t> out);

// The same, with InvalidArgument on a size mismatch or an empty key and Unimplemented for a
// non-native modulus.
absl::Status KeyswitchLweChecked(const LweKeyswitchKey& ksk, std::span<const uint64_t> in,
                                 std::span<uint64_t> out);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_KEYSWITCH_H_
