// File: tfhe/published_server_key.h
//
// `high_level_api::ServerKey`, the uncompressed server key that kms v0.12.8 publishes as
// `ServerKey/<key_id>` (interop-tfhe-1.4.md §1.6; interop-tfhe.md §3.9), as a format: parse and
// serialize. The tfhe-rs 1.4.0-alpha.3 form is what the KMS writes; the 1.7.0 form (kms HEAD) is
// read and re-serialized as read. Its key-switching keys carry all their masks; its bootstrapping
// keys are in the Fourier domain, kept here as the raw f64 words tfhe-rs wrote (this layer converts
// nothing).
//
// Named PublishedServerKey here because `ServerKey` (server_key.h) is the computing form: the
// standard-domain KSK and our Fourier-domain BSK that the bootstrap runs on.
//
// Layout (tfhe-rs 1.4.0-alpha.3), tags in brackets:
//   ServerKey[3] → key: IntegerServerKey[7]{ key: integer::ServerKey[1] → shortint ServerKey[2]{
//     atomic_pattern: AtomicPatternServerKey[0]::Standard(StandardAtomicPatternServerKey[0]{
//       key_switching_key: LweKeyswitchKey[2], bootstrapping_key:
//       SerializableShortintBootstrappingKey[2]::Classic{bsk: FourierLweBootstrapKey[1],
//       modulus_switch_noise_reduction_key: ModulusSwitchConfiguration[0]}, pbs_order }),
//     message_modulus, carry_modulus, max_degree, max_noise_level, ciphertext_modulus },
//   cpk_key_switching_key_material: Option<integer KeySwitchingKeyMaterial[0] → shortint[0]{
//     key_switching_key, cast_rshift: i8, destination_key}>,
//   compression_key: Option<integer CompressionKey[0] → shortint[0]{LwePackingKeyswitchKey<u64>,
//     lwe_per_glwe, storage_log_modulus}>,
//   decompression_key: Option<integer DecompressionKey[0] → shortint[1]{blind_rotate_key:
//     FourierLweBootstrapKey[1], lwe_per_glwe}>,
//   noise_squashing_key: Option<integer NoiseSquashingKey[0] → shortint[2]{
//     Shortint128BootstrappingKey[0]::Classic{bsk: Fourier128LweBootstrapKey[1],
//     modulus_switch_noise_reduction_key}, message_modulus, carry_modulus,
//     output_ciphertext_modulus (128 bits)}>,
//   noise_squashing_compression_key: Option<integer[0] → shortint[0]{LwePackingKeyswitchKey<u128>,
//     lwe_per_glwe}>,
//   cpk_re_randomization_key_switching_key_material: Option<ReRandomizationKeySwitchingKey[0]{
//     0 UseCPKEncryptionKSK | 1 DedicatedKSK(integer KeySwitchingKeyMaterial[0])}> }, tag
//
// tfhe-rs 1.7.0 (read, and re-written as read; `format`): IntegerServerKey[9] with the same first
// five fields, then cpk_re_randomization_key: Option<ReRandomizationKey[0]{0 LegacyDedicatedCPK{
// ksk: ReRandomizationKeySwitchingKey[0]} | 1 DerivedCPKWithoutKeySwitch{cpk:
// integer::CompactPublicKey[0]}}>, and oprf_key: Option<integer OprfServerKey[0]{key: shortint
// OprfServerKey[0]{inner: OprfBootstrappingKey[0]::Classic{bsk: FourierLweBootstrapKey[1]}}}>.
// Its parts differ: shortint KeySwitchingKeyMaterial is [1] and ends with
// destination_atomic_pattern (KeySwitchingKeyDestinationAtomicPattern[0], Standard only); the
// shortint DecompressionKey is [2]{bsk: SerializableShortintBootstrappingKey[2]::Classic{bsk,
// modulus-switch configuration}, lwe_per_glwe}; the shortint NoiseSquashingKey is [3]{
// atomic_pattern: AtomicPatternNoiseSquashingKey[0]::Standard(StandardAtomicPatternNoiseSquashing
// Key[0]{bootstrapping_key: Shortint128BootstrappingKey[1] (same fields as [0])}), message_modulus,
// carry_modulus, output modulus}. The compute key, the compression keys and every core entity
// (LweKeyswitchKey, FourierLweBootstrapKey and its polynomial list, Fourier128LweBootstrapKey,
// ModulusSwitchConfiguration) are unchanged. Sources: tfhe-rs-1.7.0 high_level_api/keys/inner.rs,
// …/keys/cpk_re_randomization.rs, shortint/key_switching_key/mod.rs, shortint/list_compression/
// server_keys.rs, shortint/noise_squashing/{server_key.rs, atomic_pattern/standard.rs},
// shortint/oprf.rs, integer/oprf.rs and their backward_compatibility version enums.
//
// FourierPolynomialList (hand-written serde in tfhe-rs): version tag 0, a u64 sequence length
// 2 + P, polynomial_size (u64, no tag), P (u64), then per polynomial a u64 count N/2 and N/2
// complex values (re f64, im f64), tfhe-fft's standard order. A FourierLweBootstrapKey holds
// P = n·L·(k+1)² polynomials. Fourier128LweBootstrapKey holds four f64 arrays (re0, re1, im0,
// im1: the two halves of the double-double parts) of n·L·(k+1)²·N/2 words each.
//
// Checked on parse and serialize: everything tfhe/entities.h checks for the seeded forms, the
// Fourier lengths above, the sequence length 2 + P, each polynomial's count N/2, P·(8 + 8N)
// bytes present before allocation, and the shapes that chain (as CompressedServerKey: compute
// KSK k·N → n, BSK n → k·N, casting and re-randomization KSKs ending in their destination key,
// decompression from the compression GLWE to k·N, noise squashing from n, noise-squashing
// compression from the noise-squashing GLWE; in 1.7 the OPRF key ending in k·N and the
// decompression key's modulus-switch zeros in its input dimension). The 1.4 writer refuses the
// parts only 1.7 holds (an OPRF key, a derived re-randomization key, a decompression
// modulus-switch configuration other than Standard); multi-bit keys and the KeySwitch32 atomic
// pattern are refused by name in both forms. f64 words are kept bit-exact.
//
// Size: kms v0.12.8's BC_PARAMS_SNS key is ≈ 1.63 GB; the whole blob is parsed into memory
// (one copy), under the 2 GiB limit. Streaming is not implemented.
#ifndef KMS_TFHE_PUBLISHED_SERVER_KEY_H_
#define KMS_TFHE_PUBLISHED_SERVER_KEY_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "tfhe/codec.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/compression.h"
#include "tfhe/mask_regeneration.h"
#include "tfhe/parameters.h"

namespace kms::tfhe {

inline constexpr std::string_view kServerKeyName = "high_level_api::ServerKey";

// LweKeyswitchKey[2] (the struct of mask_regeneration.h).
void Convert(Codec& c, LweKeyswitchKey& v, std::string_view field);

// LweCiphertextList<u64>[0]: count LWEs of lwe_size words.
struct LweCiphertextList {
  std::vector<uint64_t> data;
  uint64_t lwe_size = 0;
  CiphertextModulus modulus;
  bool operator==(const LweCiphertextList&) const = default;
};
void Convert(Codec& c, LweCiphertextList& v, std::string_view field);

// ModulusSwitchConfiguration<u64>[0]: 0 Standard | 1 DriftTechniqueNoiseReduction(
// ModulusSwitchNoiseReductionKey[1]{modulus_switch_zeros, ms_bound, ms_r_sigma_factor,
// ms_input_variance}) | 2 CenteredMeanNoiseReduction.
struct ModulusSwitchConfiguration {
  enum class Kind : uint32_t { kStandard = 0, kDriftTechnique = 1, kCenteredMean = 2 };
  Kind kind = Kind::kStandard;
  LweCiphertextList modulus_switch_zeros;  // DriftTechnique only
  double ms_bound = 0;
  double ms_r_sigma_factor = 0;
  double ms_input_variance = 0;
  bool operator==(const ModulusSwitchConfiguration&) const = default;
};
void Convert(Codec& c, ModulusSwitchConfiguration& v, std::string_view field);

// FourierLweBootstrapKey[1] with its FourierPolynomialList: `fourier` holds P polynomials of N/2
// complex values, each as (re, im) f64 pairs: P·N words.
struct FourierLweBootstrapKey {
  std::vector<double> fourier;
  uint64_t polynomial_size = 0;
  uint64_t input_lwe_dimension = 0;
  uint64_t glwe_size = 0;
  uint64_t decomposition_base_log = 0;
  uint64_t decomposition_level_count = 0;

  uint64_t polynomial_count() const {
    return polynomial_size == 0 ? 0 : fourier.size() / polynomial_size;
  }
  uint64_t output_lwe_dimension() const { return (glwe_size - 1) * polynomial_size; }
  bool operator==(const FourierLweBootstrapKey& o) const;  // bit-exact on the f64 words
};
void Convert(Codec& c, FourierLweBootstrapKey& v, std::string_view field);

// Fourier128LweBootstrapKey[1].
struct Fourier128LweBootstrapKey {
  std::vector<double> data_re0, data_re1, data_im0, data_im1;
  uint64_t polynomial_size = 0;
  uint64_t input_lwe_dimension = 0;
  uint64_t glwe_size = 0;
  uint64_t decomposition_base_log = 0;
  uint64_t decomposition_level_count = 0;

  uint64_t output_lwe_dimension() const { return (glwe_size - 1) * polynomial_size; }
  bool operator==(const Fourier128LweBootstrapKey& o) const;  // bit-exact
};
void Convert(Codec& c, Fourier128LweBootstrapKey& v, std::string_view field);

// integer[0] → shortint KeySwitchingKeyMaterial[0] (no destination_atomic_pattern; 1.7: [1],
// followed by a Standard destination_atomic_pattern).
struct KeySwitchingKeyMaterial {
  LweKeyswitchKey key_switching_key;
  int8_t cast_rshift = 0;
  EncryptionKeyChoice destination_key = EncryptionKeyChoice::kSmall;
  bool operator==(const KeySwitchingKeyMaterial&) const = default;
};

// integer[0] → shortint DecompressionKey[1]{blind_rotate_key, lwe_per_glwe} (1.7: [2], with a
// modulus-switch configuration beside the key; Standard in 1.4, which has none).
struct DecompressionKey {
  FourierLweBootstrapKey blind_rotate_key;
  uint64_t lwe_per_glwe = 0;
  ModulusSwitchConfiguration modulus_switch_noise_reduction_key{};
  bool operator==(const DecompressionKey&) const = default;
};

// shortint NoiseSquashingKey as published: its Fourier128 bootstrapping key as raw f64 words
// (noise_squashing.h's NoiseSquashingKey is the computing form).
struct PublishedNoiseSquashingKey {
  Fourier128LweBootstrapKey bsk;
  ModulusSwitchConfiguration modulus_switch_noise_reduction_key;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  CiphertextModulus output_ciphertext_modulus{0, 128};
  bool operator==(const PublishedNoiseSquashingKey&) const = default;
};

struct ReRandomizationKeySwitchingKey {
  enum class Kind : uint32_t { kUseCPKEncryptionKSK = 0, kDedicatedKSK = 1 };
  Kind kind = Kind::kUseCPKEncryptionKSK;
  KeySwitchingKeyMaterial dedicated;  // DedicatedKSK only
  bool operator==(const ReRandomizationKeySwitchingKey&) const = default;
};

struct PublishedServerKey {
  // shortint ServerKey, Standard atomic pattern.
  LweKeyswitchKey key_switching_key;
  FourierLweBootstrapKey bootstrapping_key;
  ModulusSwitchConfiguration modulus_switch_noise_reduction_key;
  PBSOrder pbs_order = PBSOrder::kKeyswitchBootstrap;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  uint64_t max_degree = 0;
  uint64_t max_noise_level = 0;
  CiphertextModulus ciphertext_modulus;

  std::optional<KeySwitchingKeyMaterial> cpk_key_switching_key_material;
  std::optional<CompressionKey> compression_key;
  std::optional<DecompressionKey> decompression_key;
  std::optional<PublishedNoiseSquashingKey> noise_squashing_key;
  std::optional<NoiseSquashingCompressionKey> noise_squashing_compression_key;
  // The re-randomization key: a key-switching key (1.4; 1.7's LegacyDedicatedCPK), or in 1.7
  // alone a derived compact public key (DerivedCPKWithoutKeySwitch, tag empty). At most one.
  std::optional<ReRandomizationKeySwitchingKey> cpk_re_randomization_key_switching_key_material;
  std::optional<CompactPublicKey> cpk_re_randomization_derived_cpk;
  // 1.7 only: the OPRF bootstrapping key (Classic), from the OPRF secret to the compute GLWE key.
  std::optional<FourierLweBootstrapKey> oprf_bootstrapping_key;

  std::vector<uint8_t> tag;
  TfheFormat format = TfheFormat::kTfhe14;

  uint64_t small_lwe_dimension() const { return bootstrapping_key.input_lwe_dimension; }
  uint64_t big_lwe_dimension() const { return bootstrapping_key.output_lwe_dimension(); }
  bool operator==(const PublishedServerKey&) const = default;
};
void Convert(Codec& c, PublishedServerKey& v);

absl::StatusOr<PublishedServerKey> ParsePublishedServerKey(ByteSpan data,
                                                           uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializePublishedServerKey(const PublishedServerKey& key);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_PUBLISHED_SERVER_KEY_H_
