// File: tfhe/keyswitch.h
//
// LWE key switching over the native 64-bit torus with a standard-domain LweKeyswitchKey
// (tfhe/mask_regeneration.h), as tfhe-rs 1.4's keyswitch_lwe_ciphertext: the output starts as
// the trivial ciphertext (0, …, 0, body_in); for each input mask coefficient a_i, decomposed
// with SignedDecomposer(β_ks, L_ks) into d_{i,L} … d_{i,1}, the output subtracts
// d_{i,ℓ}·KSK(i, ℓ). KSK(i, ℓ) encrypts s_in[i]·2^(64 − β·ℓ) under the output key, so the
// output phase is body − Σ a_i·s_in[i] up to the decomposition error.
//
// Key generation (ours: the centralized keyset, tests): tfhe-rs generate_lwe_keyswitch_key's
// layout, every entry (i, ℓ) a fresh LWE under the output key with a uniform mask, TUniform
// noise, and s_in[i]·2^(64 − β·ℓ) added to the body. The compute KSK (GLWE key as LWE → small
// key), the casting KSK (compact secret → its destination key) and the re-randomization KSK
// (compact secret → GLWE key as LWE) are all made here.
//
// Thread safety: pure functions.
#ifndef KMS_TFHE_KEYSWITCH_H_
#define KMS_TFHE_KEYSWITCH_H_

#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algebra/random_source.h"
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

// A fresh LweKeyswitchKey from `input_key` to `output_key` (0/1 words each), native modulus,
// noise TUniform(noise_bound_log2). Per entry the n_out mask words are drawn, then the noise.
// InvalidArgument for an empty key, β or L zero, β·L > 64 or a bound above 62.
absl::StatusOr<LweKeyswitchKey> GenerateLweKeyswitchKey(std::span<const uint64_t> input_key,
                                                        std::span<const uint64_t> output_key,
                                                        uint64_t decomp_base_log,
                                                        uint64_t decomp_level_count,
                                                        uint32_t noise_bound_log2,
                                                        algebra::RandomSource& rng);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_KEYSWITCH_H_
