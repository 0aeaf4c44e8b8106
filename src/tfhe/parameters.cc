#include "tfhe/parameters.h"

#include <string>

#include "tfhe/codec_internal.h"

namespace kms::tfhe {

void Convert(Codec& c, CiphertextModulus& v, uint64_t expected_bits, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.U128(v.modulus, "modulus");
  c.U64(v.scalar_bits, "scalar_bits");
  if (!c.ok()) return;
  c.Require(v.scalar_bits == expected_bits, "scalar_bits",
            internal::Cat("expected an unsigned integer with ", expected_bits, " bits, got ",
                          v.scalar_bits));
  // 0 is the native modulus 2^bits; otherwise a modulus below 2^bits (and above 1).
  const bool in_range = expected_bits >= 128 || (v.modulus >> expected_bits) == 0;
  c.Require(v.modulus == 0 || (v.modulus > 1 && in_range), "modulus",
            "the ciphertext modulus must be 0 (native) or in [2, 2^bits)");
}

void Convert(Codec& c, DynamicDistribution& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  uint32_t kind = static_cast<uint32_t>(v.kind);
  c.Variant(kind, 2, "variant");
  if (!c.ok()) return;
  if (c.reading()) v.kind = static_cast<DynamicDistribution::Kind>(kind);
  if (v.kind == DynamicDistribution::Kind::kGaussian) {
    Codec::Scope inner(c, "Gaussian");
    c.VersionTag(0, "");
    c.F64(v.std_dev, "std");
    c.F64(v.mean, "mean");
  } else {
    Codec::Scope inner(c, "TUniform");
    c.VersionTag(0, "");
    c.U32(v.bound_log2, "bound_log2");
    // TUniform::new asserts bound_log2 + 2 <= bits; the widest scalar here is u128.
    c.Require(v.bound_log2 <= 126, "bound_log2", "bound_log2 must be at most 126");
  }
}

void Convert(Codec& c, EncryptionKeyChoice& v, std::string_view field) {
  internal::TaggedUnitEnum(c, v, 2, field);
}
void Convert(Codec& c, PBSOrder& v, std::string_view field) {
  internal::TaggedUnitEnum(c, v, 2, field);
}
void Convert(Codec& c, SupportedCompactPkeZkScheme& v, std::string_view field) {
  internal::TaggedUnitEnum(c, v, 3, field);
}

void Convert(Codec& c, AtomicPatternKind& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  uint32_t kind = static_cast<uint32_t>(v.kind);
  c.Variant(kind, 2, "variant");
  if (!c.ok()) return;
  if (c.reading()) v.kind = static_cast<AtomicPatternKind::Kind>(kind);
  if (v.kind == AtomicPatternKind::Kind::kStandard) Convert(c, v.pbs_order, "Standard");
}

void Convert(Codec& c, ExpansionKind& v, std::string_view field) {
  Codec::Scope scope(c, field);
  // Tag 0 (tfhe-rs 1.4) or 1 (1.7), kept so that a parsed blob re-serializes to itself.
  c.U32(v.version, "version");
  if (!c.ok()) return;
  c.Require(
      v.version <= 1, "version",
      internal::Cat("unknown version tag ", v.version, ", expected 0 (tfhe-rs 1.4) or 1 (1.7)"));
  uint32_t kind = static_cast<uint32_t>(v.kind);
  c.Variant(kind, 2, "variant");
  if (!c.ok()) return;
  if (c.reading()) v.kind = static_cast<ExpansionKind::Kind>(kind);
  if (v.kind != ExpansionKind::Kind::kNoCasting) return;
  c.Require(v.version == 0, "NoCasting",
            "tfhe-rs 1.7's NoCasting(AtomicPatternKind) is not read yet");
  if (c.ok()) Convert(c, v.pbs_order, "NoCasting");
}

void Convert(Codec& c, ModulusSwitchType& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  uint32_t kind = static_cast<uint32_t>(v.kind);
  c.Variant(kind, 3, "variant");
  if (!c.ok()) return;
  if (c.reading()) v.kind = static_cast<ModulusSwitchType::Kind>(kind);
  if (v.kind == ModulusSwitchType::Kind::kDriftTechnique) {
    Codec::Scope inner(c, "DriftTechniqueNoiseReduction");
    c.VersionTag(0, "");
    c.TaggedU64(v.drift.modulus_switch_zeros_count, "modulus_switch_zeros_count");
    c.TaggedF64(v.drift.ms_bound, "ms_bound");
    c.TaggedF64(v.drift.ms_r_sigma_factor, "ms_r_sigma_factor");
    c.TaggedF64(v.drift.ms_input_variance, "ms_input_variance");
  }
}

void ConvertPBSParameters(Codec& c, ClassicPBSParameters& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");  // PBSParameters
  uint32_t kind = 0;    // 0 PBS(ClassicPBSParameters), 1 MultiBitPBS
  c.Variant(kind, 2, "variant");
  if (!c.ok()) return;
  if (kind != 0) {
    c.Fail("variant", "multi-bit PBS parameters are not supported");
    return;
  }
  Codec::Scope inner(c, "PBS");
  c.VersionTag(2, "");
  c.TaggedU64(v.lwe_dimension, "lwe_dimension");
  c.TaggedU64(v.glwe_dimension, "glwe_dimension");
  c.TaggedU64(v.polynomial_size, "polynomial_size");
  Convert(c, v.lwe_noise_distribution, "lwe_noise_distribution");
  Convert(c, v.glwe_noise_distribution, "glwe_noise_distribution");
  c.TaggedU64(v.pbs_base_log, "pbs_base_log");
  c.TaggedU64(v.pbs_level, "pbs_level");
  c.TaggedU64(v.ks_base_log, "ks_base_log");
  c.TaggedU64(v.ks_level, "ks_level");
  c.TaggedU64(v.message_modulus, "message_modulus");
  c.TaggedU64(v.carry_modulus, "carry_modulus");
  c.TaggedU64(v.max_noise_level, "max_noise_level");
  c.F64(v.log2_p_fail, "log2_p_fail");
  Convert(c, v.ciphertext_modulus, 64, "ciphertext_modulus");
  Convert(c, v.encryption_key_choice, "encryption_key_choice");
  Convert(c, v.modulus_switch_noise_reduction_params, "modulus_switch_noise_reduction_params");
  if (!c.ok()) return;
  internal::RequireModuli(c, v.message_modulus, v.carry_modulus);
  c.Require(v.lwe_dimension >= 1 && v.glwe_dimension >= 1, "lwe_dimension",
            "LWE and GLWE dimensions must be at least 1");
  c.Require(internal::IsPowerOfTwo(v.polynomial_size), "polynomial_size",
            "the polynomial size must be a power of two");
}

void Convert(Codec& c, WopbsParameters& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.TaggedU64(v.lwe_dimension, "lwe_dimension");
  c.TaggedU64(v.glwe_dimension, "glwe_dimension");
  c.TaggedU64(v.polynomial_size, "polynomial_size");
  Convert(c, v.lwe_noise_distribution, "lwe_noise_distribution");
  Convert(c, v.glwe_noise_distribution, "glwe_noise_distribution");
  c.TaggedU64(v.pbs_base_log, "pbs_base_log");
  c.TaggedU64(v.pbs_level, "pbs_level");
  c.TaggedU64(v.ks_level, "ks_level");
  c.TaggedU64(v.ks_base_log, "ks_base_log");
  c.TaggedU64(v.pfks_level, "pfks_level");
  c.TaggedU64(v.pfks_base_log, "pfks_base_log");
  Convert(c, v.pfks_noise_distribution, "pfks_noise_distribution");
  c.TaggedU64(v.cbs_level, "cbs_level");
  c.TaggedU64(v.cbs_base_log, "cbs_base_log");
  c.TaggedU64(v.message_modulus, "message_modulus");
  c.TaggedU64(v.carry_modulus, "carry_modulus");
  Convert(c, v.ciphertext_modulus, 64, "ciphertext_modulus");
  Convert(c, v.encryption_key_choice, "encryption_key_choice");
}

void Convert(Codec& c, CompactPublicKeyEncryptionParameters& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(1, "");
  c.TaggedU64(v.encryption_lwe_dimension, "encryption_lwe_dimension");
  Convert(c, v.encryption_noise_distribution, "encryption_noise_distribution");
  c.TaggedU64(v.message_modulus, "message_modulus");
  c.TaggedU64(v.carry_modulus, "carry_modulus");
  Convert(c, v.ciphertext_modulus, 64, "ciphertext_modulus");
  Convert(c, v.expansion_kind, "expansion_kind");
  Convert(c, v.zk_scheme, "zk_scheme");
  if (!c.ok()) return;
  internal::RequireModuli(c, v.message_modulus, v.carry_modulus);
  c.Require(v.encryption_lwe_dimension >= 1, "encryption_lwe_dimension",
            "the encryption dimension must be at least 1");
}

void Convert(Codec& c, ShortintKeySwitchingParameters& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.TaggedU64(v.ks_base_log, "ks_base_log");
  c.TaggedU64(v.ks_level, "ks_level");
  Convert(c, v.destination_key, "destination_key");
}

void Convert(Codec& c, CompressionParameters& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.TaggedU64(v.br_level, "br_level");
  c.TaggedU64(v.br_base_log, "br_base_log");
  c.TaggedU64(v.packing_ks_level, "packing_ks_level");
  c.TaggedU64(v.packing_ks_base_log, "packing_ks_base_log");
  c.TaggedU64(v.packing_ks_polynomial_size, "packing_ks_polynomial_size");
  c.TaggedU64(v.packing_ks_glwe_dimension, "packing_ks_glwe_dimension");
  c.TaggedU64(v.lwe_per_glwe, "lwe_per_glwe");
  c.TaggedU64(v.storage_log_modulus, "storage_log_modulus");
  Convert(c, v.packing_ks_key_noise_distribution, "packing_ks_key_noise_distribution");
}

void Convert(Codec& c, NoiseSquashingParameters& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(2, "");
  uint32_t kind = 0;  // 0 Classic, 1 MultiBit
  c.Variant(kind, 2, "variant");
  if (!c.ok()) return;
  if (kind != 0) {
    c.Fail("variant", "multi-bit noise squashing parameters are not supported");
    return;
  }
  Codec::Scope inner(c, "Classic");
  c.VersionTag(0, "");
  c.TaggedU64(v.glwe_dimension, "glwe_dimension");
  c.TaggedU64(v.polynomial_size, "polynomial_size");
  Convert(c, v.glwe_noise_distribution, "glwe_noise_distribution");
  c.TaggedU64(v.decomp_base_log, "decomp_base_log");
  c.TaggedU64(v.decomp_level_count, "decomp_level_count");
  Convert(c, v.modulus_switch_noise_reduction_params, "modulus_switch_noise_reduction_params");
  c.TaggedU64(v.message_modulus, "message_modulus");
  c.TaggedU64(v.carry_modulus, "carry_modulus");
  Convert(c, v.ciphertext_modulus, 128, "ciphertext_modulus");
}

void Convert(Codec& c, NoiseSquashingCompressionParameters& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.TaggedU64(v.packing_ks_level, "packing_ks_level");
  c.TaggedU64(v.packing_ks_base_log, "packing_ks_base_log");
  c.TaggedU64(v.packing_ks_polynomial_size, "packing_ks_polynomial_size");
  c.TaggedU64(v.packing_ks_glwe_dimension, "packing_ks_glwe_dimension");
  c.TaggedU64(v.lwe_per_glwe, "lwe_per_glwe");
  Convert(c, v.packing_ks_key_noise_distribution, "packing_ks_key_noise_distribution");
  c.TaggedU64(v.message_modulus, "message_modulus");
  c.TaggedU64(v.carry_modulus, "carry_modulus");
  Convert(c, v.ciphertext_modulus, 128, "ciphertext_modulus");
}

}  // namespace kms::tfhe
