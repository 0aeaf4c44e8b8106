#include "tfhe/conformance.h"

#include <string>
#include <type_traits>

#include "tfhe/codec_internal.h"

namespace kms::tfhe {
namespace {

using internal::Cat;

absl::Status NotConformant(std::string_view what) {
  return absl::InvalidArgumentError(Cat("not conformant with the parameter set: ", what));
}

// Collects the first mismatch: Expect(cond, "field ...") in sequence, then status().
class Checker {
 public:
  void Expect(bool condition, std::string_view what) {
    if (!condition && status_.ok()) status_ = NotConformant(what);
  }
  template <typename T>
  void Equal(const T& actual, const T& expected, std::string_view field) {
    if constexpr (std::is_integral_v<T>) {
      Expect(actual == expected, Cat(field, " is ", actual, ", expected ", expected));
    } else {
      Expect(actual == expected, Cat(field, " differs"));
    }
  }
  const absl::Status& status() const { return status_; }

 private:
  absl::Status status_;
};

void CheckBlock(Checker& c, const ShortintCiphertext& b, const ClassicPBSParameters& p,
                uint64_t max_degree, std::string_view field) {
  const bool big = p.encryption_key_choice == EncryptionKeyChoice::kBig;
  const AtomicPatternKind ap{AtomicPatternKind::Kind::kStandard,
                             big ? PBSOrder::kKeyswitchBootstrap : PBSOrder::kBootstrapKeyswitch};
  c.Expect(b.atomic_pattern == ap, Cat(field, ".atomic_pattern differs"));
  const uint64_t dimension = b.atomic_pattern.pbs_order == PBSOrder::kKeyswitchBootstrap
                                 ? p.glwe_dimension * p.polynomial_size
                                 : p.lwe_dimension;
  c.Equal<uint64_t>(b.ct.lwe_dimension(), dimension, Cat(field, ".ct dimension"));
  c.Equal(b.ct.modulus, p.ciphertext_modulus, Cat(field, ".ct.ciphertext_modulus"));
  c.Equal<uint64_t>(b.message_modulus, p.message_modulus, Cat(field, ".message_modulus"));
  c.Equal<uint64_t>(b.carry_modulus, p.carry_modulus, Cat(field, ".carry_modulus"));
  c.Expect(b.degree <= max_degree, Cat(field, ".degree ", b.degree, " exceeds ", max_degree));
  c.Expect(b.noise_level <= p.max_noise_level,
           Cat(field, ".noise_level ", b.noise_level, " exceeds ", p.max_noise_level));
}

template <typename Key>
void CheckDecomposition(Checker& c, const Key& k, uint64_t base_log, uint64_t level,
                        std::string_view field) {
  c.Equal<uint64_t>(k.decomp_base_log, base_log, Cat(field, ".decomp_base_log"));
  c.Equal<uint64_t>(k.decomp_level_count, level, Cat(field, ".decomp_level_count"));
}

template <typename Scalar>
void CheckBsk(Checker& c, const SeededLweBootstrapKey<Scalar>& bsk, uint64_t input_dimension,
              uint64_t glwe_dimension, uint64_t polynomial_size, uint64_t base_log, uint64_t level,
              std::string_view field) {
  CheckDecomposition(c, bsk.ggsw_list, base_log, level, field);
  c.Equal<uint64_t>(bsk.input_lwe_dimension(), input_dimension, Cat(field, " input dimension"));
  c.Equal<uint64_t>(bsk.glwe_dimension(), glwe_dimension, Cat(field, " GLWE dimension"));
  c.Equal<uint64_t>(bsk.polynomial_size(), polynomial_size, Cat(field, " polynomial size"));
}

void CheckModulusSwitch(Checker& c, const CompressedModulusSwitchConfiguration& key,
                        const ModulusSwitchType& params, std::string_view field) {
  c.Equal<uint32_t>(static_cast<uint32_t>(key.kind), static_cast<uint32_t>(params.kind),
                    Cat(field, " variant"));
  if (key.kind == CompressedModulusSwitchConfiguration::Kind::kDriftTechnique &&
      params.kind == ModulusSwitchType::Kind::kDriftTechnique) {
    c.Equal<uint64_t>(key.drift.modulus_switch_zeros.data.size(),
                      params.drift.modulus_switch_zeros_count, Cat(field, " zeros count"));
    c.Expect(key.drift.ms_bound == params.drift.ms_bound &&
                 key.drift.ms_r_sigma_factor == params.drift.ms_r_sigma_factor &&
                 key.drift.ms_input_variance == params.drift.ms_input_variance,
             Cat(field, " drift-technique parameters differ"));
  }
}

void CheckKsk(Checker& c, const CompressedKeySwitchingKeyMaterial& m,
              const ShortintKeySwitchingParameters& p, uint64_t input_dimension,
              std::string_view field) {
  CheckDecomposition(c, m.key_switching_key, p.ks_base_log, p.ks_level,
                     Cat(field, ".key_switching_key"));
  c.Equal<uint32_t>(static_cast<uint32_t>(m.destination_key),
                    static_cast<uint32_t>(p.destination_key), Cat(field, ".destination_key"));
  c.Equal<uint64_t>(m.key_switching_key.input_lwe_dimension(), input_dimension,
                    Cat(field, " input dimension"));
}

}  // namespace

absl::Status CheckConformance(const CompactPublicKeyEncryptionParameters& a,
                              const CompactPublicKeyEncryptionParameters& e) {
  auto differs = [](std::string_view field) {
    return absl::InvalidArgumentError(
        internal::Cat("not conformant with the parameter set: parameters.", field, " differs"));
  };
  if (a.encryption_lwe_dimension != e.encryption_lwe_dimension) {
    return differs("encryption_lwe_dimension");
  }
  if (!(a.encryption_noise_distribution == e.encryption_noise_distribution)) {
    return differs("encryption_noise_distribution");
  }
  if (a.message_modulus != e.message_modulus) return differs("message_modulus");
  if (a.carry_modulus != e.carry_modulus) return differs("carry_modulus");
  if (!(a.ciphertext_modulus == e.ciphertext_modulus)) return differs("ciphertext_modulus");
  if (!a.expansion_kind.SameExpansion(e.expansion_kind)) return differs("expansion_kind");
  if (a.zk_scheme != e.zk_scheme) return differs("zk_scheme");
  return absl::OkStatus();
}

absl::Status CheckConformance(const FheUint& ct, const ClassicPBSParameters& params,
                              size_t block_count) {
  Checker c;
  c.Equal<uint64_t>(ct.blocks.size(), block_count, "block count");
  const uint64_t max_degree = params.message_modulus * params.carry_modulus - 1;
  for (size_t i = 0; i < ct.blocks.size() && c.status().ok(); ++i) {
    CheckBlock(c, ct.blocks[i], params, max_degree, Cat("blocks[", i, "]"));
  }
  return c.status();
}

absl::Status CheckConformance(const FheBool& ct, const ClassicPBSParameters& params) {
  Checker c;
  CheckBlock(c, ct.block, params, 1, "block");
  return c.status();
}

absl::Status CheckConformance(const CompactCiphertextList& list,
                              const CompactPublicKeyEncryptionParameters& params) {
  Checker c;
  c.Equal<uint64_t>(list.ct_list.lwe_dimension(), params.encryption_lwe_dimension,
                    "ct_list dimension");
  c.Equal(list.ct_list.modulus, params.ciphertext_modulus, "ct_list.ciphertext_modulus");
  c.Equal<uint64_t>(list.message_modulus, params.message_modulus, "message_modulus");
  c.Equal<uint64_t>(list.carry_modulus, params.carry_modulus, "carry_modulus");
  c.Expect(list.expansion_kind.SameExpansion(params.expansion_kind), "expansion_kind differs");
  return c.status();
}

absl::Status CheckConformance(const CompressedServerKey& key, const ClientKey& ck) {
  Checker c;
  const ClassicPBSParameters& p = ck.parameters;
  const uint64_t big = p.glwe_dimension * p.polynomial_size;
  CheckDecomposition(c, key.key_switching_key, p.ks_base_log, p.ks_level, "key_switching_key");
  c.Equal<uint64_t>(key.key_switching_key.input_lwe_dimension(), big,
                    "key_switching_key input dimension");
  c.Equal<uint64_t>(key.key_switching_key.output_lwe_dimension(), p.lwe_dimension,
                    "key_switching_key output dimension");
  CheckBsk(c, key.bootstrapping_key, p.lwe_dimension, p.glwe_dimension, p.polynomial_size,
           p.pbs_base_log, p.pbs_level, "bootstrapping_key");
  CheckModulusSwitch(c, key.modulus_switch_noise_reduction_key,
                     p.modulus_switch_noise_reduction_params, "modulus_switch_noise_reduction_key");
  const PBSOrder order = p.encryption_key_choice == EncryptionKeyChoice::kBig
                             ? PBSOrder::kKeyswitchBootstrap
                             : PBSOrder::kBootstrapKeyswitch;
  c.Expect(key.pbs_order == order, "pbs_order differs");
  c.Equal<uint64_t>(key.message_modulus, p.message_modulus, "message_modulus");
  c.Equal<uint64_t>(key.carry_modulus, p.carry_modulus, "carry_modulus");
  c.Equal<uint64_t>(key.max_noise_level, p.max_noise_level, "max_noise_level");

  const auto& dedicated = ck.dedicated_compact_private_key;
  c.Equal(key.cpk_key_switching_key_material.has_value(), dedicated.has_value(),
          "cpk_key_switching_key_material presence");
  if (key.cpk_key_switching_key_material && dedicated) {
    CheckKsk(c, *key.cpk_key_switching_key_material, dedicated->ksk_parameters,
             dedicated->parameters.encryption_lwe_dimension, "cpk_key_switching_key_material");
  }

  c.Equal(key.compression_key.has_value(), ck.compression_key.has_value(),
          "compression_key presence");
  c.Equal(key.decompression_key.has_value(), ck.compression_key.has_value(),
          "decompression_key presence");
  if (ck.compression_key) {
    const CompressionParameters& cp = ck.compression_key->params;
    if (key.compression_key) {
      const auto& pksk = key.compression_key->packing_key_switching_key;
      CheckDecomposition(c, pksk, cp.packing_ks_base_log, cp.packing_ks_level,
                         "compression_key.packing_key_switching_key");
      c.Equal<uint64_t>(pksk.output_glwe_size, cp.packing_ks_glwe_dimension + 1,
                        "compression_key output GLWE size");
      c.Equal<uint64_t>(pksk.output_polynomial_size, cp.packing_ks_polynomial_size,
                        "compression_key output polynomial size");
      c.Equal<uint64_t>(key.compression_key->lwe_per_glwe, cp.lwe_per_glwe,
                        "compression_key.lwe_per_glwe");
      c.Equal<uint64_t>(key.compression_key->storage_log_modulus, cp.storage_log_modulus,
                        "compression_key.storage_log_modulus");
    }
    if (key.decompression_key) {
      CheckBsk(c, key.decompression_key->blind_rotate_key,
               cp.packing_ks_glwe_dimension * cp.packing_ks_polynomial_size, p.glwe_dimension,
               p.polynomial_size, cp.br_base_log, cp.br_level, "decompression_key");
      c.Equal<uint64_t>(key.decompression_key->lwe_per_glwe, cp.lwe_per_glwe,
                        "decompression_key.lwe_per_glwe");
    }
  }

  const auto& sns = ck.noise_squashing_private_key;
  c.Equal(key.noise_squashing_key.has_value(), sns.has_value(), "noise_squashing_key presence");
  if (key.noise_squashing_key && sns) {
    const NoiseSquashingParameters& sp = sns->params;
    CheckBsk(c, key.noise_squashing_key->bsk, p.lwe_dimension, sp.glwe_dimension,
             sp.polynomial_size, sp.decomp_base_log, sp.decomp_level_count,
             "noise_squashing_key.bsk");
    CheckModulusSwitch(c, key.noise_squashing_key->modulus_switch_noise_reduction_key,
                       sp.modulus_switch_noise_reduction_params,
                       "noise_squashing_key.modulus_switch_noise_reduction_key");
    c.Equal<uint64_t>(key.noise_squashing_key->message_modulus, sp.message_modulus,
                      "noise_squashing_key.message_modulus");
    c.Equal<uint64_t>(key.noise_squashing_key->carry_modulus, sp.carry_modulus,
                      "noise_squashing_key.carry_modulus");
    c.Equal(key.noise_squashing_key->output_ciphertext_modulus, sp.ciphertext_modulus,
            "noise_squashing_key.output_ciphertext_modulus");
  }

  const auto& sns_comp = ck.noise_squashing_compression_private_key;
  c.Equal(key.noise_squashing_compression_key.has_value(), sns_comp.has_value(),
          "noise_squashing_compression_key presence");
  if (key.noise_squashing_compression_key && sns_comp) {
    const NoiseSquashingCompressionParameters& np = sns_comp->params;
    const auto& pksk = key.noise_squashing_compression_key->packing_key_switching_key;
    CheckDecomposition(c, pksk, np.packing_ks_base_log, np.packing_ks_level,
                       "noise_squashing_compression_key.packing_key_switching_key");
    c.Equal<uint64_t>(pksk.output_glwe_size, np.packing_ks_glwe_dimension + 1,
                      "noise_squashing_compression_key output GLWE size");
    c.Equal<uint64_t>(pksk.output_polynomial_size, np.packing_ks_polynomial_size,
                      "noise_squashing_compression_key output polynomial size");
    c.Equal<uint64_t>(key.noise_squashing_compression_key->lwe_per_glwe, np.lwe_per_glwe,
                      "noise_squashing_compression_key.lwe_per_glwe");
  }

  const auto& rerand = key.cpk_re_randomization_key_switching_key_material;
  c.Equal(rerand.has_value(), ck.cpk_re_randomization_ksk_params.has_value(),
          "cpk_re_randomization_key_switching_key_material presence");
  if (rerand && ck.cpk_re_randomization_ksk_params && dedicated &&
      rerand->kind == CompressedReRandomizationKeySwitchingKey::Kind::kDedicatedKSK) {
    CheckKsk(c, rerand->dedicated, *ck.cpk_re_randomization_ksk_params,
             dedicated->parameters.encryption_lwe_dimension,
             "cpk_re_randomization_key_switching_key_material");
  }
  return c.status();
}

}  // namespace kms::tfhe
