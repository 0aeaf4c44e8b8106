// File: tfhe/mask_regeneration.h
//
// Decompression of tfhe-rs's seeded objects: the masks that a seeded entity does not store are
// regenerated from its CompressionSeed with tfhe-csprng's AES-CTR generator, in exactly the
// order tfhe-rs drew them, and put back next to the stored bodies.
//
// The generator (tfhe-csprng 0.7.0, the one of tfhe-rs 1.4.0-alpha.3; interop-tfhe-1.4.md §3.4):
// a CompressionSeed V0 {seed: u128} is SeedKind::Ctr: AES-128 with key u128le(seed), counter
// block j = u128le(j), and the stream starts at byte 1 (TableIndex::SECOND), byte 0 is never
// used. Each native u64 mask element is the next 8 stream bytes read little-endian. tfhe-rs
// forks the generator per ciphertext (and per GGSW level and row), but the children get
// consecutive, exactly sized ranges, so the masks are the stream read sequentially in data
// order; with a Ctr seed the 0.7.0 fork-offset bug (the XOF counter offset is lost) has no
// effect, the offset being 0.
//
// Orders (tfhe-rs core_crypto, *_generation.rs):
//   CompactPublicKey    the n̂ mask coefficients a_0 … a_{n̂−1};
//   LweKeyswitchKey     per input key coefficient i, per level L … 1, the n_out mask words;
//   LweBootstrapKey     per GGSW (input key bit), per level L … 1, per row 0 … k, the k mask
//                       polynomials of N coefficients.
//
// All functions take a validated parsed entity (its Convert checks hold). Unimplemented for
// non-native moduli, whose masks tfhe-rs draws differently; InvalidArgument when the result
// would exceed safe_serialize's 2 GiB limit (output_lwe_size and glwe_size are free fields of
// an untrusted blob).
// Thread safety: pure functions.
#ifndef KMS_TFHE_MASK_REGENERATION_H_
#define KMS_TFHE_MASK_REGENERATION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/tfhe_xof.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/entities.h"

namespace kms::tfhe {

// The mask stream of one CompressionSeed, positioned at its first index: byte 1 for V0 seeds
// (tfhe-csprng 0.7.0), the stored (block, byte) for V1 seeds (tfhe-rs 1.7 writes (0, 0) for
// standalone keys). An Xof seed keeps its counter offset throughout (csprng ≥ 0.8).
crypto::TfheXof MaskGeneratorFor(const CompressionSeed& seed);

// CompressedCompactPublicKey::decompress(): the regenerated mask a, the stored body b, the same
// parameters and tag.
absl::StatusOr<CompactPublicKey> DecompressCompactPublicKey(const CompressedCompactPublicKey& key);

// LweKeyswitchKey[2] in the standard domain: per input coefficient i, levels L … 1, one LWE of
// output_lwe_size words (mask then body). Entry (i, level ℓ) encrypts s_in[i]·2^(64 − base_log·ℓ)
// under the output key.
struct LweKeyswitchKey {
  std::vector<uint64_t> data;
  uint64_t decomp_base_log = 0;
  uint64_t decomp_level_count = 0;
  uint64_t output_lwe_size = 0;
  CiphertextModulus modulus;

  uint64_t input_lwe_dimension() const {
    return data.size() / (decomp_level_count * output_lwe_size);
  }
  // The LWE of input coefficient i at level ℓ (1 … L), output_lwe_size words.
  const uint64_t* Entry(uint64_t i, uint64_t level) const {
    return data.data() + (i * decomp_level_count + (decomp_level_count - level)) * output_lwe_size;
  }
  bool operator==(const LweKeyswitchKey&) const = default;
};
absl::StatusOr<LweKeyswitchKey> DecompressKeySwitchingKey(const SeededLweKeyswitchKey& key);

// LweBootstrapKey in the standard (coefficient) domain, the input of a Fourier conversion: per
// GGSW, levels L … 1, rows 0 … k, one GLWE of (k+1)·N coefficients (k mask polynomials, body).
// Row j < k of level ℓ encrypts −m·2^(64 − base_log·ℓ)·S_j, row k encrypts m·2^(64 − base_log·ℓ)
// (a constant polynomial), m the input key bit.
template <typename Scalar>
struct LweBootstrapKey {
  std::vector<Scalar> data;
  uint64_t glwe_size = 0;  // k + 1
  uint64_t polynomial_size = 0;
  uint64_t decomp_base_log = 0;
  uint64_t decomp_level_count = 0;
  CiphertextModulus modulus{0, sizeof(Scalar) * 8};

  uint64_t ggsw_size() const {
    return decomp_level_count * glwe_size * glwe_size * polynomial_size;
  }
  uint64_t input_lwe_dimension() const { return data.size() / ggsw_size(); }
  // The GLWE of GGSW i, level ℓ (1 … L), row r (0 … k): glwe_size·N coefficients.
  const Scalar* Row(uint64_t i, uint64_t level, uint64_t row) const {
    const uint64_t glwe = glwe_size * polynomial_size;
    return data.data() + i * ggsw_size() + (decomp_level_count - level) * glwe_size * glwe +
           row * glwe;
  }
  bool operator==(const LweBootstrapKey&) const = default;
};
template <typename Scalar>
absl::StatusOr<LweBootstrapKey<Scalar>> DecompressBootstrapKey(
    const SeededLweBootstrapKey<Scalar>& key);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_MASK_REGENERATION_H_
