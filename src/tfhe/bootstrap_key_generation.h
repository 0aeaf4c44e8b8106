// File: tfhe/bootstrap_key_generation.h
//
// Our own standard-domain bootstrapping keys (tests, tools and the centralized keyset): one GGSW
// per input LWE key bit under a GLWE secret, in mask_regeneration.h's LweBootstrapKey layout
// (per GGSW, levels L…1, rows 0…k; row j < k encrypts −m·2^(w − βℓ)·S_j, row k encrypts
// m·2^(w − βℓ), w the scalar width), uniform masks, TUniform noise on every body coefficient.
// The same routine makes the 64-bit keys (decompression) and the 128-bit ones (noise
// squashing): Σ_c A_c·S_c is computed exactly by the 128-bit NTT (tfhe/ntt128.h) and reduced to
// the scalar width.
//
// Cost: O(n·L·(k+1)·k) NTT products of size N — seconds at the default parameters.
// Thread safety: stateless.
#ifndef KMS_TFHE_BOOTSTRAP_KEY_GENERATION_H_
#define KMS_TFHE_BOOTSTRAP_KEY_GENERATION_H_

#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "tfhe/entities.h"
#include "tfhe/mask_regeneration.h"

namespace kms::tfhe {

struct GgswDecomposition {
  uint64_t base_log = 0;
  uint64_t level_count = 0;
};

// `input_key`: the LWE key bits (0/1 words) the GGSWs encrypt; `glwe_key`: the output GLWE
// secret (k polynomials of N 0/1 words); noise TUniform(noise_bound_log2 <= 62).
// InvalidArgument on an inconsistent shape (N not a power of two in [4, 2^16], β·L outside
// [1, width], an empty key).
template <typename Scalar>
absl::StatusOr<LweBootstrapKey<Scalar>> GenerateLweBootstrapKey(
    std::span<const uint64_t> input_key, const GlweSecretKey<Scalar>& glwe_key,
    GgswDecomposition decomposition, uint32_t noise_bound_log2, algebra::RandomSource& rng);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_BOOTSTRAP_KEY_GENERATION_H_
