// File: tfhe/compressed_server_key.h
//
// `high_level_api::CompressedServerKey` in the tfhe-rs 1.4.0-alpha.3 format (interop-tfhe.md
// §3.7; interop-tfhe-1.4.md §1.5): the seeded (mask-less) server key. It holds the compute
// key-switching key (big → small) and bootstrapping key (small → GLWE) with the modulus-switch
// configuration, and optionally the compact-public-key casting key, the compression and
// decompression keys, the noise-squashing (128-bit) bootstrapping key, the noise-squashing
// compression key and the re-randomization key-switching key.
//
// Layout (tfhe-rs 1.4.0-alpha.3, what the KMS writes): CompressedServerKey[2] →
// IntegerCompressedServerKey[5]{ key: integer[2] → shortint CompressedServerKey[3]{
// CompressedAtomicPatternServerKey[0]::Standard(CompressedStandardAtomicPatternServerKey[0]{
// key_switching_key, bootstrapping_key: ShortintCompressedBootstrappingKey[3]::Classic{bsk,
// CompressedModulusSwitchConfiguration[0]}, pbs_order}), message_modulus, carry_modulus,
// max_degree, max_noise_level }, cpk_key_switching_key_material, compression_key,
// decompression_key, noise_squashing_key, noise_squashing_compression_key,
// cpk_re_randomization_key_switching_key_material }, tag. In 1.4.0-alpha.3
// CompressedKeySwitchingKeyMaterial[2] has no destination_atomic_pattern (tfhe-rs 1.4.0 added it
// without a version bump; 1.7 cannot read these blobs).
//
// tfhe-rs 1.7.0 (read, and re-written as read; `format`): IntegerCompressedServerKey[7] with the
// same first five fields, then cpk_re_randomization_key: Option<CompressedReRandomizationKey[0]{
// 0 LegacyDedicatedCPK{ksk: CompressedReRandomizationKeySwitchingKey[0]} |
// 1 DerivedCPKWithoutKeySwitch{cpk: integer::CompressedCompactPublicKey[0]}}>, and oprf_key:
// Option<integer CompressedOprfServerKey[0] → shortint[0] → CompressedOprfBootstrappingKey[0]::
// Classic{seeded_bsk}>. Its parts differ: every CKSKM ends with destination_atomic_pattern
// (KeySwitchingKeyDestinationAtomicPattern[0], Standard only); the decompression key is shortint
// [2]{bsk: ShortintCompressedBootstrappingKey[3]::Classic{bsk, modulus-switch configuration},
// lwe_per_glwe}; the noise-squashing key is shortint[3]{CompressedAtomicPatternNoiseSquashingKey[0]
// ::Standard(CompressedStandardAtomicPatternNoiseSquashingKey[0]{CompressedShortint128
// BootstrappingKey[1]}), message_modulus, carry_modulus, output modulus}; seeds are
// CompressionSeed V1 (tfhe/entities.h). Sources: tfhe-rs-1.7.0 high_level_api/keys/inner.rs,
// …/keys/cpk_re_randomization.rs, shortint/noise_squashing/…/compressed/standard.rs,
// shortint/oprf.rs, shortint/list_compression/compressed_server_keys.rs.
//
// Checked on parse and serialize: every entity's own invariants (tfhe/entities.h), and the
// shapes that chain: the compute KSK maps the BSK's output dimension (k·N) to its input
// dimension (n); the casting and re-randomization KSKs end in the small or big key as their
// destination says; decompression and noise-squashing BSKs start from the compute GLWE key;
// the compression key packs from the compute GLWE key. Masks are not regenerated here.
//
// Parsing a 30 MB key copies its bodies once; nothing is decompressed.
#ifndef KMS_TFHE_COMPRESSED_SERVER_KEY_H_
#define KMS_TFHE_COMPRESSED_SERVER_KEY_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "tfhe/codec.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/entities.h"
#include "tfhe/parameters.h"

namespace kms::tfhe {

// CompressedModulusSwitchNoiseReductionKey[1].
struct CompressedModulusSwitchNoiseReductionKey {
  SeededLweCiphertextList modulus_switch_zeros;
  double ms_bound = 0;
  double ms_r_sigma_factor = 0;
  double ms_input_variance = 0;
  bool operator==(const CompressedModulusSwitchNoiseReductionKey&) const = default;
};

// CompressedModulusSwitchConfiguration[0]: 0 Standard | 1 DriftTechniqueNoiseReduction(key) |
// 2 CenteredMeanNoiseReduction.
struct CompressedModulusSwitchConfiguration {
  enum class Kind : uint32_t { kStandard = 0, kDriftTechnique = 1, kCenteredMean = 2 };
  Kind kind = Kind::kStandard;
  CompressedModulusSwitchNoiseReductionKey drift;  // DriftTechnique only
  bool operator==(const CompressedModulusSwitchConfiguration&) const = default;
};
void Convert(Codec& c, CompressedModulusSwitchConfiguration& v, std::string_view field);

// integer[2] → shortint CompressedKeySwitchingKeyMaterial[2] (in 1.7 followed by a Standard
// destination_atomic_pattern).
struct CompressedKeySwitchingKeyMaterial {
  SeededLweKeyswitchKey key_switching_key;
  int8_t cast_rshift = 0;
  EncryptionKeyChoice destination_key = EncryptionKeyChoice::kSmall;
  bool operator==(const CompressedKeySwitchingKeyMaterial&) const = default;
};
void Convert(Codec& c, CompressedKeySwitchingKeyMaterial& v, std::string_view field,
             TfheFormat format);

// integer[2] → shortint CompressedCompressionKey[2].
struct CompressedCompressionKey {
  SeededLwePackingKeyswitchKey<uint64_t> packing_key_switching_key;
  uint64_t lwe_per_glwe = 0;
  uint64_t storage_log_modulus = 0;
  bool operator==(const CompressedCompressionKey&) const = default;
};

// integer[1] → shortint CompressedDecompressionKey[1] (1.7: [2], with a modulus-switch
// configuration beside the key; Standard in 1.4, which has none).
struct CompressedDecompressionKey {
  SeededLweBootstrapKey<uint64_t> blind_rotate_key;
  uint64_t lwe_per_glwe = 0;
  CompressedModulusSwitchConfiguration modulus_switch_noise_reduction_key;
  bool operator==(const CompressedDecompressionKey&) const = default;
};

// integer[0] → shortint CompressedNoiseSquashingKey[2]{CompressedShortint128BootstrappingKey[0]::
// Classic{bsk, modulus_switch_noise_reduction_key}, message_modulus, carry_modulus,
// output_ciphertext_modulus (128-bit)}.
struct CompressedNoiseSquashingKey {
  SeededLweBootstrapKey<u128> bsk;
  CompressedModulusSwitchConfiguration modulus_switch_noise_reduction_key;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  CiphertextModulus output_ciphertext_modulus{0, 128};
  bool operator==(const CompressedNoiseSquashingKey&) const = default;
};

// integer[0] → shortint CompressedNoiseSquashingCompressionKey[0].
struct CompressedNoiseSquashingCompressionKey {
  SeededLwePackingKeyswitchKey<u128> packing_key_switching_key;
  uint64_t lwe_per_glwe = 0;
  bool operator==(const CompressedNoiseSquashingCompressionKey&) const = default;
};

// CompressedReRandomizationKeySwitchingKey[0]: 0 UseCPKEncryptionKSK | 1 DedicatedKSK(material).
struct CompressedReRandomizationKeySwitchingKey {
  enum class Kind : uint32_t { kUseCPKEncryptionKSK = 0, kDedicatedKSK = 1 };
  Kind kind = Kind::kUseCPKEncryptionKSK;
  CompressedKeySwitchingKeyMaterial dedicated;  // DedicatedKSK only
  bool operator==(const CompressedReRandomizationKeySwitchingKey&) const = default;
};

struct CompressedServerKey {
  // shortint CompressedServerKey, Standard atomic pattern.
  SeededLweKeyswitchKey key_switching_key;
  SeededLweBootstrapKey<uint64_t> bootstrapping_key;
  CompressedModulusSwitchConfiguration modulus_switch_noise_reduction_key;
  PBSOrder pbs_order = PBSOrder::kKeyswitchBootstrap;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  uint64_t max_degree = 0;
  uint64_t max_noise_level = 0;

  std::optional<CompressedKeySwitchingKeyMaterial> cpk_key_switching_key_material;
  std::optional<CompressedCompressionKey> compression_key;
  std::optional<CompressedDecompressionKey> decompression_key;
  std::optional<CompressedNoiseSquashingKey> noise_squashing_key;
  std::optional<CompressedNoiseSquashingCompressionKey> noise_squashing_compression_key;
  // The re-randomization key: a key-switching key (1.4; 1.7's LegacyDedicatedCPK), or in 1.7
  // alone a derived compact public key (DerivedCPKWithoutKeySwitch, tag empty). At most one.
  std::optional<CompressedReRandomizationKeySwitchingKey>
      cpk_re_randomization_key_switching_key_material;
  std::optional<CompressedCompactPublicKey> cpk_re_randomization_derived_cpk;
  // 1.7 only: the OPRF bootstrapping key (Classic), from the OPRF secret to the compute GLWE key.
  std::optional<SeededLweBootstrapKey<uint64_t>> oprf_bootstrapping_key;

  std::vector<uint8_t> tag;
  TfheFormat format = TfheFormat::kTfhe14;

  // The compute key's dimensions: n (small LWE) and k·N (GLWE seen as LWE).
  uint64_t small_lwe_dimension() const { return bootstrapping_key.input_lwe_dimension(); }
  uint64_t big_lwe_dimension() const { return bootstrapping_key.output_lwe_dimension(); }
  bool operator==(const CompressedServerKey&) const = default;
};
void Convert(Codec& c, CompressedServerKey& v);

absl::StatusOr<CompressedServerKey> ParseCompressedServerKey(
    ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializeCompressedServerKey(const CompressedServerKey& key);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_COMPRESSED_SERVER_KEY_H_
