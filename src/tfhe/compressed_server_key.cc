#include "tfhe/compressed_server_key.h"

#include "tfhe/codec_internal.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {
namespace {

void RequireDimension(Codec& c, uint64_t actual, uint64_t expected, std::string_view field,
                      std::string_view what) {
  c.Require(actual == expected, field,
            internal::Cat(what, " is ", actual, ", the compute key's is ", expected));
}

void Convert(Codec& c, CompressedCompressionKey& v) {
  c.VersionTag(2, "");  // integer::CompressedCompressionKey
  Codec::Scope shortint(c, "key");
  c.VersionTag(2, "");
  Convert(c, v.packing_key_switching_key, "packing_key_switching_key");
  c.TaggedU64(v.lwe_per_glwe, "lwe_per_glwe");
  c.TaggedU64(v.storage_log_modulus, "storage_log_modulus");
  if (!c.ok()) return;
  c.Require(
      v.lwe_per_glwe >= 1 && v.lwe_per_glwe <= v.packing_key_switching_key.output_polynomial_size,
      "lwe_per_glwe", "lwe_per_glwe must be in [1, output polynomial size]");
  c.Require(v.storage_log_modulus >= 1 && v.storage_log_modulus <= 64, "storage_log_modulus",
            "storage_log_modulus must be in [1, 64]");
}

// ShortintCompressedBootstrappingKey[3]::Classic{bsk, modulus_switch_noise_reduction_key}.
void ConvertCompressedBootstrappingKey(Codec& c, SeededLweBootstrapKey<uint64_t>& bsk,
                                       CompressedModulusSwitchConfiguration& ms,
                                       std::string_view field) {
  Codec::Scope bk(c, field);
  c.VersionTag(3, "");
  uint32_t kind = 0;  // 0 Classic, 1 MultiBit
  c.Variant(kind, 2, "variant");
  if (!c.ok()) return;
  if (kind != 0) {
    c.Fail("variant", "multi-bit bootstrapping keys are not supported");
    return;
  }
  Codec::Scope classic(c, "Classic");
  Convert(c, bsk, "bsk");
  Convert(c, ms, "modulus_switch_noise_reduction_key");
}

void Convert(Codec& c, CompressedDecompressionKey& v, TfheFormat format) {
  c.VersionTag(1, "");  // integer::CompressedDecompressionKey
  Codec::Scope shortint(c, "key");
  if (format == TfheFormat::kTfhe14) {
    c.Require(v.modulus_switch_noise_reduction_key.kind ==
                  CompressedModulusSwitchConfiguration::Kind::kStandard,
              "modulus_switch_noise_reduction_key",
              "a tfhe-rs 1.4 decompression key has no modulus-switch configuration");
    c.VersionTag(1, "");
    Convert(c, v.blind_rotate_key, "blind_rotate_key");
  } else {
    c.VersionTag(2, "");
    ConvertCompressedBootstrappingKey(c, v.blind_rotate_key, v.modulus_switch_noise_reduction_key,
                                      "bsk");
  }
  c.TaggedU64(v.lwe_per_glwe, "lwe_per_glwe");
}

void Convert(Codec& c, CompressedNoiseSquashingKey& v, TfheFormat format) {
  const bool v17 = format == TfheFormat::kTfhe17;
  c.VersionTag(0, "");  // integer::CompressedNoiseSquashingKey
  Codec::Scope shortint(c, "key");
  c.VersionTag(v17 ? 3 : 2, "");
  {
    // 1.7 wraps the bootstrapping key in its (Standard) atomic pattern.
    std::optional<Codec::Scope> ap;
    std::optional<Codec::Scope> standard;
    if (v17) {
      ap.emplace(c, "atomic_pattern");
      c.VersionTag(0, "");  // CompressedAtomicPatternNoiseSquashingKey
      if (!internal::StandardAtomicPattern(c)) return;
      standard.emplace(c, "Standard");
      c.VersionTag(0, "");  // CompressedStandardAtomicPatternNoiseSquashingKey
    }
    Codec::Scope bk(c, "bootstrapping_key");
    c.VersionTag(v17 ? 1 : 0, "");  // CompressedShortint128BootstrappingKey
    uint32_t kind = 0;              // 0 Classic, 1 MultiBit
    c.Variant(kind, 2, "variant");
    if (!c.ok()) return;
    if (kind != 0) {
      c.Fail("variant", "multi-bit noise-squashing keys are not supported");
      return;
    }
    Codec::Scope classic(c, "Classic");
    Convert(c, v.bsk, "bsk");
    Convert(c, v.modulus_switch_noise_reduction_key, "modulus_switch_noise_reduction_key");
  }
  c.TaggedU64(v.message_modulus, "message_modulus");
  c.TaggedU64(v.carry_modulus, "carry_modulus");
  Convert(c, v.output_ciphertext_modulus, 128, "output_ciphertext_modulus");
  if (c.ok()) internal::RequireModuli(c, v.message_modulus, v.carry_modulus);
}

void Convert(Codec& c, CompressedNoiseSquashingCompressionKey& v) {
  c.VersionTag(0, "");  // integer::CompressedNoiseSquashingCompressionKey
  Codec::Scope shortint(c, "key");
  c.VersionTag(0, "");
  Convert(c, v.packing_key_switching_key, "packing_key_switching_key");
  c.TaggedU64(v.lwe_per_glwe, "lwe_per_glwe");
  if (!c.ok()) return;
  c.Require(
      v.lwe_per_glwe >= 1 && v.lwe_per_glwe <= v.packing_key_switching_key.output_polynomial_size,
      "lwe_per_glwe", "lwe_per_glwe must be in [1, output polynomial size]");
}

void Convert(Codec& c, CompressedReRandomizationKeySwitchingKey& v, TfheFormat format) {
  c.VersionTag(0, "");
  uint32_t kind = static_cast<uint32_t>(v.kind);
  c.Variant(kind, 2, "variant");
  if (!c.ok()) return;
  if (c.reading()) v.kind = static_cast<CompressedReRandomizationKeySwitchingKey::Kind>(kind);
  if (v.kind == CompressedReRandomizationKeySwitchingKey::Kind::kDedicatedKSK) {
    Convert(c, v.dedicated, "DedicatedKSK", format);
  }
}

// tfhe-rs 1.7's oprf_key: integer CompressedOprfServerKey[0] → shortint[0]{inner:
// CompressedOprfBootstrappingKey[0]::Classic{seeded_bsk}}.
void ConvertOprfKey(Codec& c, SeededLweBootstrapKey<uint64_t>& bsk) {
  c.VersionTag(0, "");  // integer::CompressedOprfServerKey
  Codec::Scope shortint(c, "key");
  c.VersionTag(0, "");
  Codec::Scope inner(c, "inner");
  c.VersionTag(0, "");  // CompressedOprfBootstrappingKey
  uint32_t kind = 0;    // 0 Classic, 1 MultiBit
  c.Variant(kind, 2, "variant");
  if (!c.ok()) return;
  if (kind != 0) {
    c.Fail("variant", "multi-bit OPRF keys are not supported");
    return;
  }
  Codec::Scope classic(c, "Classic");
  Convert(c, bsk, "seeded_bsk");
}

// The shortint CompressedServerKey with its Standard atomic pattern.
void ConvertShortint(Codec& c, CompressedServerKey& v) {
  Codec::Scope integer(c, "key");  // integer::CompressedServerKey
  c.VersionTag(2, "");
  Codec::Scope shortint(c, "key");
  c.VersionTag(3, "");
  {
    Codec::Scope ap(c, "compressed_ap_server_key");
    c.VersionTag(0, "");
    if (!internal::StandardAtomicPattern(c)) return;
    Codec::Scope standard(c, "Standard");
    c.VersionTag(0, "");
    Convert(c, v.key_switching_key, "key_switching_key");
    ConvertCompressedBootstrappingKey(c, v.bootstrapping_key, v.modulus_switch_noise_reduction_key,
                                      "bootstrapping_key");
    if (!c.ok()) return;
    Convert(c, v.pbs_order, "pbs_order");
  }
  c.TaggedU64(v.message_modulus, "message_modulus");
  c.TaggedU64(v.carry_modulus, "carry_modulus");
  c.TaggedU64(v.max_degree, "max_degree");
  c.TaggedU64(v.max_noise_level, "max_noise_level");
  if (!c.ok()) return;
  internal::RequireModuli(c, v.message_modulus, v.carry_modulus);
  if (!c.ok()) return;
  c.Require(v.max_degree < v.message_modulus * v.carry_modulus, "max_degree",
            internal::Cat("max_degree ", v.max_degree, " exceeds the plaintext space ",
                          v.message_modulus * v.carry_modulus));
}

// Calls f on every CompressionSeed of the key.
template <typename F>
void ForEachSeed(const CompressedServerKey& k, F&& f) {
  auto ms = [&](const CompressedModulusSwitchConfiguration& m) {
    if (m.kind == CompressedModulusSwitchConfiguration::Kind::kDriftTechnique) {
      f(m.drift.modulus_switch_zeros.compression_seed);
    }
  };
  auto ksk = [&](const CompressedKeySwitchingKeyMaterial& m) {
    f(m.key_switching_key.compression_seed);
  };
  f(k.key_switching_key.compression_seed);
  f(k.bootstrapping_key.ggsw_list.compression_seed);
  ms(k.modulus_switch_noise_reduction_key);
  if (k.cpk_key_switching_key_material) ksk(*k.cpk_key_switching_key_material);
  if (k.compression_key) f(k.compression_key->packing_key_switching_key.compression_seed);
  if (k.decompression_key) {
    f(k.decompression_key->blind_rotate_key.ggsw_list.compression_seed);
    ms(k.decompression_key->modulus_switch_noise_reduction_key);
  }
  if (k.noise_squashing_key) {
    f(k.noise_squashing_key->bsk.ggsw_list.compression_seed);
    ms(k.noise_squashing_key->modulus_switch_noise_reduction_key);
  }
  if (k.noise_squashing_compression_key) {
    f(k.noise_squashing_compression_key->packing_key_switching_key.compression_seed);
  }
  const auto& rr = k.cpk_re_randomization_key_switching_key_material;
  if (rr && rr->kind == CompressedReRandomizationKeySwitchingKey::Kind::kDedicatedKSK) {
    ksk(rr->dedicated);
  }
  if (k.cpk_re_randomization_derived_cpk) {
    f(k.cpk_re_randomization_derived_cpk->key.seeded_glwe_ciphertext.compression_seed);
  }
  if (k.oprf_bootstrapping_key) f(k.oprf_bootstrapping_key->ggsw_list.compression_seed);
}

// The shapes that must chain between the parts (see the header).
void CheckShapes(Codec& c, const CompressedServerKey& v) {
  const uint64_t small = v.small_lwe_dimension();
  const uint64_t big = v.big_lwe_dimension();
  Codec::Scope integer_key(c, "integer_key");
  RequireDimension(c, v.key_switching_key.input_lwe_dimension(), big, "key.key.key_switching_key",
                   "the KSK input dimension");
  RequireDimension(c, v.key_switching_key.output_lwe_dimension(), small,
                   "key.key.key_switching_key", "the KSK output dimension");
  auto check_ms = [&](const CompressedModulusSwitchConfiguration& ms, std::string_view field) {
    if (ms.kind != CompressedModulusSwitchConfiguration::Kind::kDriftTechnique) return;
    RequireDimension(c, ms.drift.modulus_switch_zeros.lwe_size - 1, small, field,
                     "the modulus-switch zeros' dimension");
  };
  check_ms(v.modulus_switch_noise_reduction_key, "key.key.modulus_switch_noise_reduction_key");
  auto check_ksk = [&](const CompressedKeySwitchingKeyMaterial& m, std::string_view field) {
    const uint64_t expected = m.destination_key == EncryptionKeyChoice::kSmall ? small : big;
    RequireDimension(c, m.key_switching_key.output_lwe_dimension(), expected, field,
                     "the destination dimension");
  };
  if (v.cpk_key_switching_key_material) {
    check_ksk(*v.cpk_key_switching_key_material, "cpk_key_switching_key_material");
  }
  if (v.compression_key) {
    RequireDimension(c, v.compression_key->packing_key_switching_key.input_lwe_dimension(), big,
                     "compression_key", "the packing KSK input dimension");
  }
  if (v.decompression_key) {
    const auto& bsk = v.decompression_key->blind_rotate_key;
    // Its drift zeros are under the blind rotation's input key (the compression GLWE as LWE).
    const auto& dms = v.decompression_key->modulus_switch_noise_reduction_key;
    if (dms.kind == CompressedModulusSwitchConfiguration::Kind::kDriftTechnique) {
      const uint64_t zeros = dms.drift.modulus_switch_zeros.lwe_size - 1;
      c.Require(
          zeros == bsk.input_lwe_dimension(), "decompression_key",
          internal::Cat("the modulus-switch zeros' dimension is ", zeros,
                        ", the blind rotation's input dimension is ", bsk.input_lwe_dimension()));
    }
    RequireDimension(c, bsk.output_lwe_dimension(), big, "decompression_key",
                     "the blind-rotation output dimension");
    if (v.compression_key) {
      const auto& pksk = v.compression_key->packing_key_switching_key;
      RequireDimension(c, bsk.input_lwe_dimension(),
                       (pksk.output_glwe_size - 1) * pksk.output_polynomial_size,
                       "decompression_key", "the blind-rotation input dimension");
    }
  }
  if (v.noise_squashing_key) {
    RequireDimension(c, v.noise_squashing_key->bsk.input_lwe_dimension(), small,
                     "noise_squashing_key", "the noise-squashing BSK input dimension");
    check_ms(v.noise_squashing_key->modulus_switch_noise_reduction_key, "noise_squashing_key");
    if (v.noise_squashing_compression_key) {
      RequireDimension(
          c, v.noise_squashing_compression_key->packing_key_switching_key.input_lwe_dimension(),
          v.noise_squashing_key->bsk.output_lwe_dimension(), "noise_squashing_compression_key",
          "the packing KSK input dimension");
    }
  }
  if (v.cpk_re_randomization_key_switching_key_material &&
      v.cpk_re_randomization_key_switching_key_material->kind ==
          CompressedReRandomizationKeySwitchingKey::Kind::kDedicatedKSK) {
    check_ksk(v.cpk_re_randomization_key_switching_key_material->dedicated,
              "cpk_re_randomization_key_switching_key_material");
  }
  if (v.oprf_bootstrapping_key) {
    RequireDimension(c, v.oprf_bootstrapping_key->output_lwe_dimension(), big, "oprf_key",
                     "the OPRF bootstrapping key's output dimension");
  }
  if (v.cpk_re_randomization_derived_cpk) {
    // tfhe-rs derives it from the compute big key (re-randomization targets the big key).
    RequireDimension(c, v.cpk_re_randomization_derived_cpk->key.lwe_dimension(), big,
                     "cpk_re_randomization_key", "the derived compact public key's dimension");
  }
  // tfhe-rs 1.4 knows CompressionSeed V0 only; 1.7 reads both (and writes V1).
  if (v.format == TfheFormat::kTfhe14) {
    ForEachSeed(v, [&](const CompressionSeed& seed) {
      c.Require(seed.version == CompressionSeed::Version::kV0, "compression_seed",
                "a tfhe-rs 1.4 server key holds V0 compression seeds only");
    });
  }
}

}  // namespace

void Convert(Codec& c, CompressedModulusSwitchConfiguration& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  uint32_t kind = static_cast<uint32_t>(v.kind);
  c.Variant(kind, 3, "variant");
  if (!c.ok()) return;
  if (c.reading()) v.kind = static_cast<CompressedModulusSwitchConfiguration::Kind>(kind);
  if (v.kind != CompressedModulusSwitchConfiguration::Kind::kDriftTechnique) return;
  Codec::Scope drift(c, "DriftTechniqueNoiseReduction");
  c.VersionTag(1, "");  // CompressedModulusSwitchNoiseReductionKey
  Convert(c, v.drift.modulus_switch_zeros, "modulus_switch_zeros");
  c.TaggedF64(v.drift.ms_bound, "ms_bound");
  c.TaggedF64(v.drift.ms_r_sigma_factor, "ms_r_sigma_factor");
  c.TaggedF64(v.drift.ms_input_variance, "ms_input_variance");
}

void Convert(Codec& c, CompressedKeySwitchingKeyMaterial& v, std::string_view field,
             TfheFormat format) {
  Codec::Scope scope(c, field);
  c.VersionTag(2, "");  // integer::CompressedKeySwitchingKeyMaterial
  Codec::Scope material(c, "material");
  c.VersionTag(2, "");  // shortint (same tag in both shapes)
  Convert(c, v.key_switching_key, "key_switching_key");
  c.I8(v.cast_rshift, "cast_rshift");
  Convert(c, v.destination_key, "destination_key");
  if (format == TfheFormat::kTfhe14) return;
  Codec::Scope ap(c, "destination_atomic_pattern");
  c.VersionTag(0, "");  // KeySwitchingKeyDestinationAtomicPattern: 0 Standard, 1 KeySwitch32
  uint32_t kind = 0;
  c.Variant(kind, 2, "variant");
  if (c.ok() && kind != 0) c.Fail("variant", "the KeySwitch32 atomic pattern is not supported");
}

void Convert(Codec& c, CompressedServerKey& v) {
  c.VersionTag(2, "");
  {
    Codec::Scope integer_key(c, "integer_key");
    // IntegerCompressedServerKey: 5 in tfhe-rs 1.4.0-alpha.3, 7 in 1.7.0 (6 is a 1.5/1.6 form).
    if (!internal::FormatVersionTag(c, v.format, 5, 7)) return;
    const TfheFormat format = v.format;
    if (format == TfheFormat::kTfhe14) {
      c.Require(!v.cpk_re_randomization_derived_cpk && !v.oprf_bootstrapping_key, "version",
                "a derived re-randomization key or an OPRF key needs the tfhe-rs 1.7 form");
    }
    c.Require(
        !(v.cpk_re_randomization_derived_cpk && v.cpk_re_randomization_key_switching_key_material),
        "cpk_re_randomization_key", "holds either a key-switching key or a derived key");
    if (!c.ok()) return;
    ConvertShortint(c, v);
    c.Option(
        v.cpk_key_switching_key_material, "cpk_key_switching_key_material",
        [format](Codec& c, CompressedKeySwitchingKeyMaterial& m) { Convert(c, m, "", format); });
    c.Option(v.compression_key, "compression_key",
             [](Codec& c, CompressedCompressionKey& k) { Convert(c, k); });
    c.Option(v.decompression_key, "decompression_key",
             [format](Codec& c, CompressedDecompressionKey& k) { Convert(c, k, format); });
    c.Option(v.noise_squashing_key, "noise_squashing_key",
             [format](Codec& c, CompressedNoiseSquashingKey& k) { Convert(c, k, format); });
    c.Option(v.noise_squashing_compression_key, "noise_squashing_compression_key",
             [](Codec& c, CompressedNoiseSquashingCompressionKey& k) { Convert(c, k); });
    if (format == TfheFormat::kTfhe14) {
      c.Option(v.cpk_re_randomization_key_switching_key_material,
               "cpk_re_randomization_key_switching_key_material",
               [](Codec& c, CompressedReRandomizationKeySwitchingKey& k) {
                 Convert(c, k, TfheFormat::kTfhe14);
               });
    } else {
      internal::ReRandomizationKey17(
          c, v.cpk_re_randomization_key_switching_key_material, v.cpk_re_randomization_derived_cpk,
          [](Codec& c, CompressedReRandomizationKeySwitchingKey& k) {
            Convert(c, k, TfheFormat::kTfhe17);
          },
          [](Codec& c, CompressedCompactPublicKey& k) {
            ConvertIntegerCompressedCompactPublicKey(c, k, "cpk");
          });
      c.Option(v.oprf_bootstrapping_key, "oprf_key",
               [](Codec& c, SeededLweBootstrapKey<uint64_t>& k) { ConvertOprfKey(c, k); });
    }
  }
  if (c.ok()) CheckShapes(c, v);
  ConvertTaggedBytes(c, v.tag, "tag");
}

absl::StatusOr<CompressedServerKey> ParseCompressedServerKey(ByteSpan data, uint64_t size_limit) {
  return SafeDeserialize<CompressedServerKey>(data, kCompressedServerKeyName, size_limit);
}
absl::StatusOr<Bytes> SerializeCompressedServerKey(const CompressedServerKey& key) {
  return SafeSerialize(key, kCompressedServerKeyName);
}

}  // namespace kms::tfhe
