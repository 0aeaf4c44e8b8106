#include "tfhe/published_server_key.h"

#include <cstring>
#include <optional>
#include <variant>

#include "tfhe/codec_internal.h"
#include "tfhe/entities.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {
namespace {

bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

void RequireDecomposition(Codec& c, uint64_t base_log, uint64_t level, uint64_t bits,
                          std::string_view field) {
  c.Require(base_log >= 1 && level >= 1 && u128{base_log} * level <= bits, field,
            internal::Cat("decomposition base_log ", base_log, " x level ", level,
                          " must be at least 1 each and fit ", bits, " bits"));
}

void RequireDimension(Codec& c, uint64_t actual, uint64_t expected, std::string_view field,
                      std::string_view what) {
  c.Require(actual == expected, field,
            internal::Cat(what, " is ", actual, ", the compute key's is ", expected));
}

// The GGSW-list shape shared by both Fourier keys: n·L·(k+1)² polynomials.
void CheckBskShape(Codec& c, uint64_t polynomial_size, uint64_t input_lwe_dimension,
                   uint64_t glwe_size, uint64_t base_log, uint64_t level, uint64_t bits,
                   u128 polynomials_or_words, u128 per_polynomial, std::string_view field) {
  RequireDecomposition(c, base_log, level, bits, "decomposition_base_log");
  c.Require(glwe_size >= 2, "glwe_size", "the GLWE size must be at least 2");
  c.Require(input_lwe_dimension >= 1, "input_lwe_dimension",
            "the input LWE dimension must be at least 1");
  c.Require(internal::IsPowerOfTwo(polynomial_size) && polynomial_size >= 2, "polynomial_size",
            "the polynomial size must be a power of two of at least 2");
  if (!c.ok()) return;
  const u128 expected = u128{input_lwe_dimension} * level * glwe_size * glwe_size * per_polynomial;
  c.Require(expected == polynomials_or_words, field,
            internal::Cat("the key holds ", static_cast<uint64_t>(polynomials_or_words),
                          ", expected input_lwe_dimension x level x glwe_size^2",
                          per_polynomial == 1 ? "" : " x polynomial_size / 2"));
}

void ConvertKsm(Codec& c, KeySwitchingKeyMaterial& v, std::string_view field, TfheFormat format) {
  const bool v17 = format == TfheFormat::kTfhe17;
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");  // integer::KeySwitchingKeyMaterial
  Codec::Scope material(c, "material");
  c.VersionTag(v17 ? 1 : 0, "");  // shortint
  Convert(c, v.key_switching_key, "key_switching_key");
  c.I8(v.cast_rshift, "cast_rshift");
  Convert(c, v.destination_key, "destination_key");
  if (!v17) return;
  Codec::Scope ap(c, "destination_atomic_pattern");
  c.VersionTag(0, "");  // KeySwitchingKeyDestinationAtomicPattern: 0 Standard, 1 KeySwitch32
  uint32_t kind = 0;
  c.Variant(kind, 2, "variant");
  if (c.ok() && kind != 0) c.Fail("variant", "the KeySwitch32 atomic pattern is not supported");
}

// SerializableShortintBootstrappingKey[2]::Classic{bsk, modulus_switch_noise_reduction_key}.
void ConvertClassicBootstrappingKey(Codec& c, FourierLweBootstrapKey& bsk,
                                    ModulusSwitchConfiguration& ms, std::string_view field) {
  Codec::Scope bk(c, field);
  c.VersionTag(2, "");
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

void ConvertDecompressionKey(Codec& c, DecompressionKey& v, TfheFormat format) {
  c.VersionTag(0, "");  // integer::DecompressionKey
  Codec::Scope shortint(c, "key");
  if (format == TfheFormat::kTfhe14) {
    c.Require(
        v.modulus_switch_noise_reduction_key.kind == ModulusSwitchConfiguration::Kind::kStandard,
        "modulus_switch_noise_reduction_key",
        "a tfhe-rs 1.4 decompression key has no modulus-switch configuration");
    c.VersionTag(1, "");
    Convert(c, v.blind_rotate_key, "blind_rotate_key");
  } else {
    c.VersionTag(2, "");
    ConvertClassicBootstrappingKey(c, v.blind_rotate_key, v.modulus_switch_noise_reduction_key,
                                   "bsk");
  }
  c.TaggedU64(v.lwe_per_glwe, "lwe_per_glwe");
}

void ConvertNoiseSquashingKey(Codec& c, PublishedNoiseSquashingKey& v, TfheFormat format) {
  const bool v17 = format == TfheFormat::kTfhe17;
  c.VersionTag(0, "");  // integer::NoiseSquashingKey
  Codec::Scope shortint(c, "key");
  c.VersionTag(v17 ? 3 : 2, "");  // shortint (Generic)NoiseSquashingKey
  {
    // 1.7 wraps the bootstrapping key in its (Standard) atomic pattern.
    std::optional<Codec::Scope> ap;
    std::optional<Codec::Scope> standard;
    if (v17) {
      ap.emplace(c, "atomic_pattern");
      c.VersionTag(0, "");  // AtomicPatternNoiseSquashingKey
      if (!internal::StandardAtomicPattern(c)) return;
      standard.emplace(c, "Standard");
      c.VersionTag(0, "");  // StandardAtomicPatternNoiseSquashingKey
    }
    Codec::Scope bk(c, "bootstrapping_key");
    c.VersionTag(v17 ? 1 : 0, "");  // Shortint128BootstrappingKey
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

void ConvertReRandomization(Codec& c, ReRandomizationKeySwitchingKey& v, TfheFormat format) {
  c.VersionTag(0, "");
  uint32_t kind = static_cast<uint32_t>(v.kind);
  c.Variant(kind, 2, "variant");
  if (!c.ok()) return;
  if (c.reading()) v.kind = static_cast<ReRandomizationKeySwitchingKey::Kind>(kind);
  if (v.kind == ReRandomizationKeySwitchingKey::Kind::kDedicatedKSK) {
    ConvertKsm(c, v.dedicated, "DedicatedKSK", format);
  }
}

// tfhe-rs 1.7's oprf_key: integer OprfServerKey[0]{key} → shortint OprfServerKey[0]{inner:
// OprfBootstrappingKey[0]::Classic{bsk}}.
void ConvertOprfKey(Codec& c, FourierLweBootstrapKey& bsk) {
  c.VersionTag(0, "");  // integer::OprfServerKey
  Codec::Scope shortint(c, "key");
  c.VersionTag(0, "");
  Codec::Scope inner(c, "inner");
  c.VersionTag(0, "");  // OprfBootstrappingKey
  uint32_t kind = 0;    // 0 Classic, 1 MultiBit
  c.Variant(kind, 2, "variant");
  if (!c.ok()) return;
  if (kind != 0) {
    c.Fail("variant", "multi-bit OPRF keys are not supported");
    return;
  }
  Codec::Scope classic(c, "Classic");
  Convert(c, bsk, "bsk");
}

void ConvertShortint(Codec& c, PublishedServerKey& v) {
  Codec::Scope integer(c, "key");  // integer::ServerKey
  c.VersionTag(1, "");
  Codec::Scope shortint(c, "key");
  c.VersionTag(2, "");
  {
    Codec::Scope ap(c, "atomic_pattern");
    c.VersionTag(0, "");
    if (!internal::StandardAtomicPattern(c)) return;
    Codec::Scope standard(c, "Standard");
    c.VersionTag(0, "");
    Convert(c, v.key_switching_key, "key_switching_key");
    ConvertClassicBootstrappingKey(c, v.bootstrapping_key, v.modulus_switch_noise_reduction_key,
                                   "bootstrapping_key");
    if (!c.ok()) return;
    Convert(c, v.pbs_order, "pbs_order");
  }
  c.TaggedU64(v.message_modulus, "message_modulus");
  c.TaggedU64(v.carry_modulus, "carry_modulus");
  c.TaggedU64(v.max_degree, "max_degree");
  c.TaggedU64(v.max_noise_level, "max_noise_level");
  Convert(c, v.ciphertext_modulus, 64, "ciphertext_modulus");
  if (!c.ok()) return;
  internal::RequireModuli(c, v.message_modulus, v.carry_modulus);
  if (!c.ok()) return;
  c.Require(v.max_degree < v.message_modulus * v.carry_modulus, "max_degree",
            internal::Cat("max_degree ", v.max_degree, " exceeds the plaintext space ",
                          v.message_modulus * v.carry_modulus));
}

void CheckShapes(Codec& c, const PublishedServerKey& v) {
  const uint64_t small = v.small_lwe_dimension();
  const uint64_t big = v.big_lwe_dimension();
  Codec::Scope key(c, "key");
  RequireDimension(c, v.key_switching_key.input_lwe_dimension(), big, "key.key.key_switching_key",
                   "the KSK input dimension");
  RequireDimension(c, v.key_switching_key.output_lwe_size - 1, small, "key.key.key_switching_key",
                   "the KSK output dimension");
  auto check_ms = [&](const ModulusSwitchConfiguration& ms, std::string_view field) {
    if (ms.kind != ModulusSwitchConfiguration::Kind::kDriftTechnique) return;
    RequireDimension(c, ms.modulus_switch_zeros.lwe_size - 1, small, field,
                     "the modulus-switch zeros' dimension");
  };
  check_ms(v.modulus_switch_noise_reduction_key, "key.key.modulus_switch_noise_reduction_key");
  auto check_ksk = [&](const KeySwitchingKeyMaterial& m, std::string_view field) {
    const uint64_t expected = m.destination_key == EncryptionKeyChoice::kSmall ? small : big;
    RequireDimension(c, m.key_switching_key.output_lwe_size - 1, expected, field,
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
    const FourierLweBootstrapKey& bsk = v.decompression_key->blind_rotate_key;
    RequireDimension(c, bsk.output_lwe_dimension(), big, "decompression_key",
                     "the blind-rotation output dimension");
    if (v.compression_key) {
      const auto& pksk = v.compression_key->packing_key_switching_key;
      RequireDimension(c, bsk.input_lwe_dimension,
                       pksk.output_glwe_dimension() * pksk.output_polynomial_size,
                       "decompression_key", "the blind-rotation input dimension");
    }
    // The modulus switch (1.7) acts on the blind rotation's input.
    const ModulusSwitchConfiguration& ms = v.decompression_key->modulus_switch_noise_reduction_key;
    if (ms.kind == ModulusSwitchConfiguration::Kind::kDriftTechnique) {
      RequireDimension(c, ms.modulus_switch_zeros.lwe_size - 1, bsk.input_lwe_dimension,
                       "decompression_key", "the modulus-switch zeros' dimension");
    }
  }
  if (v.noise_squashing_key) {
    RequireDimension(c, v.noise_squashing_key->bsk.input_lwe_dimension, small,
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
          ReRandomizationKeySwitchingKey::Kind::kDedicatedKSK) {
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
}

}  // namespace

bool FourierLweBootstrapKey::operator==(const FourierLweBootstrapKey& o) const {
  return SameBits(fourier, o.fourier) && polynomial_size == o.polynomial_size &&
         input_lwe_dimension == o.input_lwe_dimension && glwe_size == o.glwe_size &&
         decomposition_base_log == o.decomposition_base_log &&
         decomposition_level_count == o.decomposition_level_count;
}

bool Fourier128LweBootstrapKey::operator==(const Fourier128LweBootstrapKey& o) const {
  return SameBits(data_re0, o.data_re0) && SameBits(data_re1, o.data_re1) &&
         SameBits(data_im0, o.data_im0) && SameBits(data_im1, o.data_im1) &&
         polynomial_size == o.polynomial_size && input_lwe_dimension == o.input_lwe_dimension &&
         glwe_size == o.glwe_size && decomposition_base_log == o.decomposition_base_log &&
         decomposition_level_count == o.decomposition_level_count;
}

void Convert(Codec& c, LweKeyswitchKey& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(2, "");
  c.VecU64(v.data, "data");
  c.TaggedU64(v.decomp_base_log, "decomp_base_log");
  c.TaggedU64(v.decomp_level_count, "decomp_level_count");
  c.TaggedU64(v.output_lwe_size, "output_lwe_size");
  Convert(c, v.modulus, 64, "ciphertext_modulus");
  if (!c.ok()) return;
  RequireDecomposition(c, v.decomp_base_log, v.decomp_level_count, 64, "decomp_base_log");
  c.Require(v.output_lwe_size >= 2, "output_lwe_size", "the output LWE size must be at least 2");
  if (!c.ok()) return;
  const u128 unit = u128{v.decomp_level_count} * v.output_lwe_size;
  c.Require(!v.data.empty() && v.data.size() % unit == 0, "data",
            internal::Cat("length ", v.data.size(), " is not a non-zero multiple of level ",
                          v.decomp_level_count, " x output_lwe_size ", v.output_lwe_size));
}

void Convert(Codec& c, LweCiphertextList& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.VecU64(v.data, "data");
  c.TaggedU64(v.lwe_size, "lwe_size");
  Convert(c, v.modulus, 64, "ciphertext_modulus");
  if (!c.ok()) return;
  c.Require(
      v.lwe_size >= 1 && v.data.size() % v.lwe_size == 0, "data",
      internal::Cat("length ", v.data.size(), " is not a multiple of the LWE size ", v.lwe_size));
}

void Convert(Codec& c, ModulusSwitchConfiguration& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  uint32_t kind = static_cast<uint32_t>(v.kind);
  c.Variant(kind, 3, "variant");
  if (!c.ok()) return;
  if (c.reading()) v.kind = static_cast<ModulusSwitchConfiguration::Kind>(kind);
  if (v.kind != ModulusSwitchConfiguration::Kind::kDriftTechnique) return;
  Codec::Scope drift(c, "DriftTechniqueNoiseReduction");
  c.VersionTag(1, "");  // ModulusSwitchNoiseReductionKey
  Convert(c, v.modulus_switch_zeros, "modulus_switch_zeros");
  c.TaggedF64(v.ms_bound, "ms_bound");
  c.TaggedF64(v.ms_r_sigma_factor, "ms_r_sigma_factor");
  c.TaggedF64(v.ms_input_variance, "ms_input_variance");
}

void Convert(Codec& c, FourierLweBootstrapKey& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(1, "");
  {
    Codec::Scope list(c, "fourier");
    c.VersionTag(0, "");  // FourierPolynomialList
    uint64_t count = v.polynomial_count();
    uint64_t seq_len = count + 2;
    c.U64(seq_len, "length");
    c.U64(v.polynomial_size, "polynomial_size");
    c.U64(count, "chunk_count");
    if (!c.ok()) return;
    c.Require(u128{seq_len} == u128{count} + 2, "length",
              internal::Cat("sequence length ", seq_len, ", expected 2 + chunk_count ", count));
    c.Require(u128{count} * v.polynomial_size == v.fourier.size() || c.reading(), "fourier",
              "the data must hold whole polynomials");
    c.Require(count == 0 || (internal::IsPowerOfTwo(v.polynomial_size) && v.polynomial_size >= 2),
              "polynomial_size", "the polynomial size must be a power of two of at least 2");
    if (!c.ok()) return;
    // Every polynomial: a u64 count and N/2 complex values of 16 bytes (N words of 8).
    const u128 bytes = u128{count} * (8 + u128{v.polynomial_size} * 8);
    if (c.reading()) {
      c.Require(bytes <= c.remaining(), "chunk_count",
                internal::Cat("length ", count, " polynomials of size ", v.polynomial_size,
                              " exceeds remaining ", c.remaining(), " bytes"));
      if (!c.ok()) return;
      v.fourier.assign(static_cast<size_t>(count * v.polynomial_size), 0.0);
    }
    const uint64_t half = v.polynomial_size / 2;
    for (uint64_t p = 0; p < count && c.ok(); ++p) {
      uint64_t n = half;
      c.U64(n, "polynomial");
      if (!c.ok()) return;
      if (n != half) {
        c.Fail("polynomial",
               internal::Cat("polynomial ", p, " holds ", n, " complex values, expected ", half));
        return;
      }
      double* words = v.fourier.data() + p * v.polynomial_size;
      for (uint64_t w = 0; w < v.polynomial_size; ++w) c.F64(words[w], "polynomial");
    }
  }
  c.TaggedU64(v.input_lwe_dimension, "input_lwe_dimension");
  c.TaggedU64(v.glwe_size, "glwe_size");
  c.TaggedU64(v.decomposition_base_log, "decomposition_base_log");
  c.TaggedU64(v.decomposition_level_count, "decomposition_level_count");
  if (!c.ok()) return;
  CheckBskShape(c, v.polynomial_size, v.input_lwe_dimension, v.glwe_size, v.decomposition_base_log,
                v.decomposition_level_count, 64, v.polynomial_count(), 1, "fourier");
}

void Convert(Codec& c, Fourier128LweBootstrapKey& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(1, "");
  c.VecF64(v.data_re0, "data_re0");
  c.VecF64(v.data_re1, "data_re1");
  c.VecF64(v.data_im0, "data_im0");
  c.VecF64(v.data_im1, "data_im1");
  c.TaggedU64(v.polynomial_size, "polynomial_size");
  c.TaggedU64(v.input_lwe_dimension, "input_lwe_dimension");
  c.TaggedU64(v.glwe_size, "glwe_size");
  c.TaggedU64(v.decomposition_base_log, "decomposition_base_log");
  c.TaggedU64(v.decomposition_level_count, "decomposition_level_count");
  if (!c.ok()) return;
  c.Require(v.data_re1.size() == v.data_re0.size() && v.data_im0.size() == v.data_re0.size() &&
                v.data_im1.size() == v.data_re0.size(),
            "data_re1", "the four f64 arrays must have the same length");
  if (!c.ok()) return;
  CheckBskShape(c, v.polynomial_size, v.input_lwe_dimension, v.glwe_size, v.decomposition_base_log,
                v.decomposition_level_count, 128, v.data_re0.size(), v.polynomial_size / 2,
                "data_re0");
}

void Convert(Codec& c, PublishedServerKey& v) {
  c.VersionTag(3, "");
  {
    Codec::Scope integer_key(c, "key");
    // IntegerServerKey: 7 in tfhe-rs 1.4.0-alpha.3, 9 in 1.7.0 (8 is a 1.5/1.6 form).
    if (!internal::FormatVersionTag(c, v.format, 7, 9)) return;
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
    c.Option(v.cpk_key_switching_key_material, "cpk_key_switching_key_material",
             [format](Codec& c, KeySwitchingKeyMaterial& m) { ConvertKsm(c, m, "", format); });
    c.Option(v.compression_key, "compression_key",
             [](Codec& c, CompressionKey& k) { Convert(c, k, ""); });
    c.Option(v.decompression_key, "decompression_key",
             [format](Codec& c, DecompressionKey& k) { ConvertDecompressionKey(c, k, format); });
    c.Option(v.noise_squashing_key, "noise_squashing_key",
             [format](Codec& c, PublishedNoiseSquashingKey& k) {
               ConvertNoiseSquashingKey(c, k, format);
             });
    c.Option(v.noise_squashing_compression_key, "noise_squashing_compression_key",
             [](Codec& c, NoiseSquashingCompressionKey& k) { Convert(c, k, ""); });
    if (format == TfheFormat::kTfhe14) {
      c.Option(v.cpk_re_randomization_key_switching_key_material,
               "cpk_re_randomization_key_switching_key_material",
               [](Codec& c, ReRandomizationKeySwitchingKey& k) {
                 ConvertReRandomization(c, k, TfheFormat::kTfhe14);
               });
    } else {
      internal::ReRandomizationKey17(
          c, v.cpk_re_randomization_key_switching_key_material, v.cpk_re_randomization_derived_cpk,
          [](Codec& c, ReRandomizationKeySwitchingKey& k) {
            ConvertReRandomization(c, k, TfheFormat::kTfhe17);
          },
          [](Codec& c, CompactPublicKey& k) { ConvertIntegerCompactPublicKey(c, k, "cpk"); });
      c.Option(v.oprf_bootstrapping_key, "oprf_key", ConvertOprfKey);
    }
  }
  if (c.ok()) CheckShapes(c, v);
  ConvertTaggedBytes(c, v.tag, "tag");
}

absl::StatusOr<PublishedServerKey> ParsePublishedServerKey(ByteSpan data, uint64_t size_limit) {
  return SafeDeserialize<PublishedServerKey>(data, kServerKeyName, size_limit);
}
absl::StatusOr<Bytes> SerializePublishedServerKey(const PublishedServerKey& key) {
  return SafeSerialize(key, kServerKeyName);
}

}  // namespace kms::tfhe
