// File: tfhe/compression.h
//
// Packing key switching and ciphertext-list compression as tfhe-rs 1.4.0-alpha.3 does them
// (core_crypto lwe_packing_keyswitch*.rs; shortint list_compression): a list of LWEs under an
// input LWE key becomes one GLWE under an output GLWE key, ciphertext i in coefficient i, and
// the GLWE is modulus-switched and bit-packed into a CompressedModulusSwitchedGlweCiphertext.
//
//   * LwePackingKeyswitchKey<T>[2] (standard domain, all masks): per input key coefficient i,
//     levels L … 1, one GLWE of (k+1)·N words (k mask polynomials, then the body) encrypting the
//     constant polynomial s_in[i]·2^(bits − base_log·ℓ).
//   * Key switching an LWE (a, b) into a GLWE: the body's constant coefficient is b; every a_i is
//     rounded to base_log·L bits and decomposed into balanced digits d_ℓ ∈ [−B/2, B/2] (B =
//     2^base_log, ties to the even next digit, as tfhe-rs's SignedDecomposer), and
//     Σ_ℓ d_ℓ·K(i, ℓ) is subtracted. Packing multiplies the result of LWE j by X^j (negacyclic)
//     and sums over j < N.
//   * SmallCompressed (CompressionKey): every block is multiplied by message_modulus (its carries
//     must be empty), lwe_per_glwe blocks per GLWE, each GLWE's first k·N + count coefficients
//     rounded to storage_log_modulus bits and packed.
//   * BigCompressed (NoiseSquashingCompressionKey): squashed blocks as they are, lwe_per_glwe per
//     GLWE, packed at log_modulus 128 (no rounding).
//
// Key generation here (uniform binary secrets, TUniform noise, masks from `rng`) is for tests
// and our own keys (the centralized keyset, tfhe/keyset.h); the products A·S go through the
// exact 128-bit NTT (tfhe/ntt128.h), O(n_in·L·k·N log N). Seeded packing keys are decompressed with
// tfhe-csprng's stream (mask_regeneration.h conventions): per (i, level L … 1), k·N mask words.
//
// All functions take validated entities (their Convert checks hold) and refuse mismatched
// shapes with InvalidArgument; Unimplemented for non-native moduli or non-TUniform noise.
#ifndef KMS_TFHE_COMPRESSION_H_
#define KMS_TFHE_COMPRESSION_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "tfhe/ciphertext.h"
#include "tfhe/client_key.h"
#include "tfhe/codec.h"
#include "tfhe/compressed_ciphertext_list.h"
#include "tfhe/compressed_server_key.h"
#include "tfhe/entities.h"
#include "tfhe/mask_regeneration.h"
#include "tfhe/squashed_noise.h"

namespace kms::tfhe {

// LwePackingKeyswitchKey<T>[2].
template <typename Scalar>
struct LwePackingKeyswitchKey {
  std::vector<Scalar> data;
  uint64_t decomp_base_log = 0;
  uint64_t decomp_level_count = 0;
  uint64_t output_glwe_size = 0;  // k + 1
  uint64_t output_polynomial_size = 0;
  CiphertextModulus modulus{0, sizeof(Scalar) * 8};

  uint64_t glwe_words() const { return output_glwe_size * output_polynomial_size; }
  uint64_t input_lwe_dimension() const { return data.size() / (decomp_level_count * glwe_words()); }
  uint64_t output_glwe_dimension() const { return output_glwe_size - 1; }
  // The GLWE of input coefficient i at level ℓ (1 … L).
  const Scalar* Entry(uint64_t i, uint64_t level) const {
    return data.data() + (i * decomp_level_count + (decomp_level_count - level)) * glwe_words();
  }
  bool operator==(const LwePackingKeyswitchKey&) const = default;
};
template <typename Scalar>
void Convert(Codec& c, LwePackingKeyswitchKey<Scalar>& v, std::string_view field);

// A GLWE in the standard domain: k mask polynomials then the body, N words each.
template <typename Scalar>
struct GlweCiphertextOf {
  std::vector<Scalar> data;
  uint64_t glwe_dimension = 0;
  uint64_t polynomial_size = 0;
  bool operator==(const GlweCiphertextOf&) const = default;
};

// shortint CompressionKey (integer CompressionKey[0] → shortint[0]).
struct CompressionKey {
  LwePackingKeyswitchKey<uint64_t> packing_key_switching_key;
  uint64_t lwe_per_glwe = 0;
  uint64_t storage_log_modulus = 0;
  bool operator==(const CompressionKey&) const = default;
};
void Convert(Codec& c, CompressionKey& v, std::string_view field);

// shortint NoiseSquashingCompressionKey (integer[0] → shortint[0]).
struct NoiseSquashingCompressionKey {
  LwePackingKeyswitchKey<u128> packing_key_switching_key;
  uint64_t lwe_per_glwe = 0;
  bool operator==(const NoiseSquashingCompressionKey&) const = default;
};
void Convert(Codec& c, NoiseSquashingCompressionKey& v, std::string_view field);

// ---- packing key switching ----

// The masks of a seeded packing key regenerated (tfhe-csprng 0.7.0 stream from byte 1). Refuses
// outputs over 2 GiB.
template <typename Scalar>
absl::StatusOr<LwePackingKeyswitchKey<Scalar>> DecompressPackingKeySwitchingKey(
    const SeededLwePackingKeyswitchKey<Scalar>& key);
// The same from `masks` (read without a fork, mask_regeneration.h), ignoring the key's seed.
template <typename Scalar>
absl::StatusOr<LwePackingKeyswitchKey<Scalar>> DecompressPackingKeySwitchingKey(
    const SeededLwePackingKeyswitchKey<Scalar>& key, MaskStream& masks);
absl::StatusOr<CompressionKey> DecompressCompressionKey(const CompressedCompressionKey& key);
absl::StatusOr<NoiseSquashingCompressionKey> DecompressNoiseSquashingCompressionKey(
    const CompressedNoiseSquashingCompressionKey& key);

// A fresh packing key from `input_key` (n_in 0/1 words) to `output_key`, noise TUniform(bound).
template <typename Scalar>
absl::StatusOr<LwePackingKeyswitchKey<Scalar>> GeneratePackingKeySwitchingKey(
    std::span<const Scalar> input_key, const GlweSecretKey<Scalar>& output_key,
    uint64_t decomp_base_log, uint64_t decomp_level_count, uint32_t noise_bound_log2,
    algebra::RandomSource& rng);

// Key switches `lwes` (each mask then body, n_in + 1 words; at most N of them) into one GLWE,
// LWE j in coefficient j.
template <typename Scalar>
absl::StatusOr<GlweCiphertextOf<Scalar>> KeyswitchAndPack(
    const LwePackingKeyswitchKey<Scalar>& key, std::span<const std::vector<Scalar>> lwes);

// The N phases of a GLWE: body − Σ_p a_p·S_p in Z_2^bits[X]/(X^N + 1).
template <typename Scalar>
std::vector<Scalar> GlwePhase(const GlweCiphertextOf<Scalar>& glwe,
                              const GlweSecretKey<Scalar>& key);

// ---- compression ----

// SmallCompressed: `blocks` (carries empty, same moduli and atomic pattern, the packing key's
// input dimension) into a list with the given `info` (checked against the block count) and one
// empty re-randomization metadata per value, empty tag.
absl::StatusOr<CompressedCiphertextList> CompressCiphertexts(
    const CompressionKey& key, std::span<const ShortintCiphertext> blocks,
    std::vector<DataKind> info);
// BigCompressed: squashed `blocks` (same moduli, the packing key's input dimension).
absl::StatusOr<CompressedSquashedNoiseCiphertextList> CompressSquashedNoiseCiphertexts(
    const NoiseSquashingCompressionKey& key, std::span<const SquashedNoiseCiphertext> blocks,
    std::vector<DataKind> info);

// ---- our own secrets and keys (tests, tools) ----

// PARAMS_TEST_BK_SNS's compression and noise-squashing compression parameters
// (interop-tfhe-1.4.md §2.2), for keys of the KmsTestKeyParameters() shape (the noise-squashing
// parameters and secret are in noise_squashing.h).
CompressionParameters KmsTestCompressionParameters();
// kms v0.12.8 BC_PARAMS_SNS's compression (V1_4_COMP_PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128,
// interop-tfhe-1.4.md §2.1): br 1/23, packing KS 3/4 (level 3, base_log 4), N 256, k 4,
// 256 per GLWE, storage log 12, TUniform(43).
CompressionParameters KmsDefaultCompressionParameters();
NoiseSquashingCompressionParameters KmsTestNoiseSquashingCompressionParameters();
// BC_PARAMS_SNS's (V1_4_NOISE_SQUASHING_COMP_PARAM_…, interop-tfhe-1.4.md §2.1): packing KS
// level 1, base_log 61, N 1024, k 6, 128 per GLWE, TUniform(3), 4/4, native u128.
NoiseSquashingCompressionParameters KmsDefaultNoiseSquashingCompressionParameters();

// Uniform binary GLWE secrets of the parameters' shapes.
absl::StatusOr<ClientKey::CompressionPrivateKey> GenerateCompressionPrivateKey(
    const CompressionParameters& params, algebra::RandomSource& rng);
absl::StatusOr<ClientKey::NoiseSquashingCompressionPrivateKey>
GenerateNoiseSquashingCompressionPrivateKey(const NoiseSquashingCompressionParameters& params,
                                            algebra::RandomSource& rng);

// The compression key of a ClientKey: from its compute GLWE key (as LWE) to its compression
// secret. InvalidArgument without a compression secret.
absl::StatusOr<CompressionKey> GenerateCompressionKey(const ClientKey& key,
                                                      algebra::RandomSource& rng);
// From the noise-squashing GLWE key (as LWE) to the noise-squashing compression secret.
absl::StatusOr<NoiseSquashingCompressionKey> GenerateNoiseSquashingCompressionKey(
    const ClientKey& key, algebra::RandomSource& rng);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_COMPRESSION_H_
