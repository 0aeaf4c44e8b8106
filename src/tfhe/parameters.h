// File: tfhe/parameters.h
//
// The tfhe-rs 1.4.0-alpha.3 parameter types as they appear inside keys (interop-tfhe.md §3.1,
// §3.6; interop-tfhe-1.4.md §1.4): noise distributions, the classic PBS parameters, the compact
// public-key encryption parameters, key-switching, compression and noise-squashing parameters.
// Plain structs, one field per tfhe-rs field in declaration order; every newtype (LweDimension,
// DecompositionBaseLog, MessageModulus, ...) is a plain uint64_t here and carries its version
// tag 0 on the wire.
//
// Convention of this layer: `Convert(c, value, field)` opens the scope `field` (none when empty)
// and converts the value with its version tag.
//
// Only what the golden blobs and the KMS parameter sets use is representable: multi-bit PBS,
// the KeySwitch32 atomic pattern and multi-bit noise squashing are refused on parse with a
// message naming them.
#ifndef KMS_TFHE_PARAMETERS_H_
#define KMS_TFHE_PARAMETERS_H_

#include <cstdint>
#include <optional>

#include "tfhe/codec.h"

namespace kms::tfhe {

// CiphertextModulus<T> as SerializableCiphertextModulus[0]{modulus: u128 (0 = native 2^bits),
// scalar_bits: u64}. Convert requires scalar_bits to be the entity's scalar width.
struct CiphertextModulus {
  u128 modulus = 0;
  uint64_t scalar_bits = 64;

  bool is_native() const { return modulus == 0; }
  bool operator==(const CiphertextModulus&) const = default;
};
void Convert(Codec& c, CiphertextModulus& v, uint64_t expected_bits, std::string_view field);

// DynamicDistribution[0]: 0 Gaussian(Gaussian[0]{std, mean}) | 1 TUniform(TUniform[0]{bound_log2}).
struct DynamicDistribution {
  enum class Kind : uint32_t { kGaussian = 0, kTUniform = 1 };
  Kind kind = Kind::kTUniform;
  double std_dev = 0;       // Gaussian only
  double mean = 0;          // Gaussian only
  uint32_t bound_log2 = 0;  // TUniform only: values in [-2^b, 2^b]

  static DynamicDistribution TUniform(uint32_t b) {
    return DynamicDistribution{Kind::kTUniform, 0, 0, b};
  }
  bool operator==(const DynamicDistribution&) const = default;
};
void Convert(Codec& c, DynamicDistribution& v, std::string_view field);

enum class EncryptionKeyChoice : uint32_t { kBig = 0, kSmall = 1 };
enum class PBSOrder : uint32_t { kKeyswitchBootstrap = 0, kBootstrapKeyswitch = 1 };
enum class SupportedCompactPkeZkScheme : uint32_t { kZkNotSupported = 0, kV1 = 1, kV2 = 2 };
void Convert(Codec& c, EncryptionKeyChoice& v, std::string_view field);
void Convert(Codec& c, PBSOrder& v, std::string_view field);
void Convert(Codec& c, SupportedCompactPkeZkScheme& v, std::string_view field);

// AtomicPatternKind[0]: 0 Standard(PBSOrder) | 1 KeySwitch32.
struct AtomicPatternKind {
  enum class Kind : uint32_t { kStandard = 0, kKeySwitch32 = 1 };
  Kind kind = Kind::kStandard;
  PBSOrder pbs_order = PBSOrder::kKeyswitchBootstrap;  // Standard only
  bool operator==(const AtomicPatternKind&) const = default;
};
void Convert(Codec& c, AtomicPatternKind& v, std::string_view field);

// CompactCiphertextListExpansionKind[0] (tfhe-rs 1.4): 0 RequiresCasting | 1 NoCasting(PBSOrder).
// tfhe-rs 1.7 writes tag 1 (the only byte in which its CPKs and RequiresCasting lists differ
// from 1.4's); tag 1 is read with RequiresCasting, its NoCasting(AtomicPatternKind) not yet.
// `version` is the tag read (and written), so a 1.7 blob re-serializes to itself; it is not a
// parameter: conformance compares kind and pbs_order only (SameExpansion).
struct ExpansionKind {
  enum class Kind : uint32_t { kRequiresCasting = 0, kNoCasting = 1 };
  Kind kind = Kind::kRequiresCasting;
  PBSOrder pbs_order = PBSOrder::kKeyswitchBootstrap;  // NoCasting only
  uint32_t version = 0;                                // 0 tfhe-rs 1.4, 1 tfhe-rs 1.7

  bool SameExpansion(const ExpansionKind& o) const {
    return kind == o.kind && (kind != Kind::kNoCasting || pbs_order == o.pbs_order);
  }
  bool operator==(const ExpansionKind&) const = default;
};
void Convert(Codec& c, ExpansionKind& v, std::string_view field);

// ModulusSwitchNoiseReductionParams[0], the payload of ModulusSwitchType::DriftTechnique.
struct ModulusSwitchNoiseReductionParams {
  uint64_t modulus_switch_zeros_count = 0;
  double ms_bound = 0;
  double ms_r_sigma_factor = 0;
  double ms_input_variance = 0;
  bool operator==(const ModulusSwitchNoiseReductionParams&) const = default;
};

// ModulusSwitchType[0]: 0 Standard | 1 DriftTechniqueNoiseReduction(params) | 2 CenteredMean.
struct ModulusSwitchType {
  enum class Kind : uint32_t { kStandard = 0, kDriftTechnique = 1, kCenteredMean = 2 };
  Kind kind = Kind::kStandard;
  ModulusSwitchNoiseReductionParams drift;  // DriftTechnique only
  bool operator==(const ModulusSwitchType&) const = default;
};
void Convert(Codec& c, ModulusSwitchType& v, std::string_view field);

// ClassicPBSParameters[2], written inside PBSParameters[0] variant 0 (PBS).
struct ClassicPBSParameters {
  uint64_t lwe_dimension = 0;
  uint64_t glwe_dimension = 0;
  uint64_t polynomial_size = 0;
  DynamicDistribution lwe_noise_distribution;
  DynamicDistribution glwe_noise_distribution;
  uint64_t pbs_base_log = 0;
  uint64_t pbs_level = 0;
  uint64_t ks_base_log = 0;
  uint64_t ks_level = 0;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  uint64_t max_noise_level = 0;
  double log2_p_fail = 0;
  CiphertextModulus ciphertext_modulus;
  EncryptionKeyChoice encryption_key_choice = EncryptionKeyChoice::kBig;
  ModulusSwitchType modulus_switch_noise_reduction_params;
  bool operator==(const ClassicPBSParameters&) const = default;
};
// PBSParameters[0]::PBS(ClassicPBSParameters[2]); MultiBitPBS is refused.
void ConvertPBSParameters(Codec& c, ClassicPBSParameters& v, std::string_view field);

// WopbsParameters[0] (only ever None in the KMS; kept so a Some round-trips).
struct WopbsParameters {
  uint64_t lwe_dimension = 0;
  uint64_t glwe_dimension = 0;
  uint64_t polynomial_size = 0;
  DynamicDistribution lwe_noise_distribution;
  DynamicDistribution glwe_noise_distribution;
  uint64_t pbs_base_log = 0;
  uint64_t pbs_level = 0;
  uint64_t ks_level = 0;
  uint64_t ks_base_log = 0;
  uint64_t pfks_level = 0;
  uint64_t pfks_base_log = 0;
  DynamicDistribution pfks_noise_distribution;
  uint64_t cbs_level = 0;
  uint64_t cbs_base_log = 0;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  CiphertextModulus ciphertext_modulus;
  EncryptionKeyChoice encryption_key_choice = EncryptionKeyChoice::kBig;
  bool operator==(const WopbsParameters&) const = default;
};
void Convert(Codec& c, WopbsParameters& v, std::string_view field);

// CompactPublicKeyEncryptionParameters[1].
struct CompactPublicKeyEncryptionParameters {
  uint64_t encryption_lwe_dimension = 0;
  DynamicDistribution encryption_noise_distribution;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  CiphertextModulus ciphertext_modulus;
  ExpansionKind expansion_kind;
  SupportedCompactPkeZkScheme zk_scheme = SupportedCompactPkeZkScheme::kZkNotSupported;
  bool operator==(const CompactPublicKeyEncryptionParameters&) const = default;
};
void Convert(Codec& c, CompactPublicKeyEncryptionParameters& v, std::string_view field);

// ShortintKeySwitchingParameters[0].
struct ShortintKeySwitchingParameters {
  uint64_t ks_base_log = 0;
  uint64_t ks_level = 0;
  EncryptionKeyChoice destination_key = EncryptionKeyChoice::kBig;
  bool operator==(const ShortintKeySwitchingParameters&) const = default;
};
void Convert(Codec& c, ShortintKeySwitchingParameters& v, std::string_view field);

// CompressionParameters[0] (1.4: a plain struct; 1.7 wraps it in Classic).
struct CompressionParameters {
  uint64_t br_level = 0;
  uint64_t br_base_log = 0;
  uint64_t packing_ks_level = 0;
  uint64_t packing_ks_base_log = 0;
  uint64_t packing_ks_polynomial_size = 0;
  uint64_t packing_ks_glwe_dimension = 0;
  uint64_t lwe_per_glwe = 0;
  uint64_t storage_log_modulus = 0;
  DynamicDistribution packing_ks_key_noise_distribution;
  bool operator==(const CompressionParameters&) const = default;
};
void Convert(Codec& c, CompressionParameters& v, std::string_view field);

// NoiseSquashingClassicParameters[0], written inside NoiseSquashingParameters[2]::Classic.
struct NoiseSquashingParameters {
  uint64_t glwe_dimension = 0;
  uint64_t polynomial_size = 0;
  DynamicDistribution glwe_noise_distribution;
  uint64_t decomp_base_log = 0;
  uint64_t decomp_level_count = 0;
  ModulusSwitchType modulus_switch_noise_reduction_params;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  CiphertextModulus ciphertext_modulus{0, 128};
  bool operator==(const NoiseSquashingParameters&) const = default;
};
void Convert(Codec& c, NoiseSquashingParameters& v, std::string_view field);

// NoiseSquashingCompressionParameters[0].
struct NoiseSquashingCompressionParameters {
  uint64_t packing_ks_level = 0;
  uint64_t packing_ks_base_log = 0;
  uint64_t packing_ks_polynomial_size = 0;
  uint64_t packing_ks_glwe_dimension = 0;
  uint64_t lwe_per_glwe = 0;
  DynamicDistribution packing_ks_key_noise_distribution;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  CiphertextModulus ciphertext_modulus{0, 128};
  bool operator==(const NoiseSquashingCompressionParameters&) const = default;
};
void Convert(Codec& c, NoiseSquashingCompressionParameters& v, std::string_view field);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_PARAMETERS_H_
