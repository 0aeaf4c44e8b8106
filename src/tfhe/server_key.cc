#include "tfhe/server_key.h"

#include <vector>

#include "common/status_macros.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/codec_internal.h"
#include "tfhe/keyswitch.h"

namespace kms::tfhe {

absl::StatusOr<ServerKey> DecompressServerKey(const CompressedServerKey& key) {
  ServerKey sk;
  KMS_ASSIGN_OR_RETURN(sk.key_switching_key, DecompressKeySwitchingKey(key.key_switching_key));
  {
    KMS_ASSIGN_OR_RETURN(LweBootstrapKey<uint64_t> bsk,
                         DecompressBootstrapKey(key.bootstrapping_key));
    KMS_ASSIGN_OR_RETURN(sk.bootstrapping_key, FourierBootstrapKey64::Create(bsk));
  }
  switch (key.modulus_switch_noise_reduction_key.kind) {
    case CompressedModulusSwitchConfiguration::Kind::kStandard:
      sk.modulus_switch = ModulusSwitchType::Kind::kStandard;
      break;
    case CompressedModulusSwitchConfiguration::Kind::kCenteredMean:
      sk.modulus_switch = ModulusSwitchType::Kind::kCenteredMean;
      break;
    case CompressedModulusSwitchConfiguration::Kind::kDriftTechnique: {
      sk.modulus_switch = ModulusSwitchType::Kind::kDriftTechnique;
      const CompressedModulusSwitchNoiseReductionKey& d =
          key.modulus_switch_noise_reduction_key.drift;
      const SeededLweCiphertextList& z = d.modulus_switch_zeros;
      if (!z.modulus.is_native())
        return absl::UnimplementedError("drift zeros: non-native modulus");
      if (z.lwe_size != sk.small_lwe_dimension() + 1) {
        return absl::InvalidArgumentError("drift zeros: LWE size differs from the small key's");
      }
      DriftTechniqueKey dk;
      dk.lwe_size = z.lwe_size;
      dk.ms_bound = d.ms_bound;
      dk.ms_r_sigma_factor = d.ms_r_sigma_factor;
      dk.ms_input_variance = d.ms_input_variance;
      MaskStream masks = MaskStream::FromCompressionSeed(z.compression_seed);
      KMS_ASSIGN_OR_RETURN(dk.zeros, DecompressLweCiphertextList(z, masks));
      sk.drift_key = std::move(dk);
      break;
    }
  }
  sk.pbs_order = key.pbs_order;
  sk.message_modulus = key.message_modulus;
  sk.carry_modulus = key.carry_modulus;
  sk.max_degree = key.max_degree;
  sk.max_noise_level = key.max_noise_level;
  if (sk.key_switching_key.input_lwe_dimension() != sk.big_lwe_dimension() ||
      sk.key_switching_key.output_lwe_size != sk.small_lwe_dimension() + 1) {
    return absl::InvalidArgumentError("server key: KSK and BSK dimensions do not chain");
  }
  const uint64_t p = sk.message_modulus * sk.carry_modulus;
  if (p < 2 || sk.bootstrapping_key.polynomial_size() % p != 0) {
    return absl::InvalidArgumentError("server key: message·carry must divide N");
  }
  return sk;
}

absl::StatusOr<DriftTechniqueKey> GenerateDriftTechniqueKey(
    std::span<const uint64_t> lwe_key, const DynamicDistribution& noise,
    const ModulusSwitchNoiseReductionParams& params, algebra::RandomSource& rng) {
  if (noise.kind != DynamicDistribution::Kind::kTUniform || noise.bound_log2 > 62) {
    return absl::UnimplementedError("drift zeros: only TUniform noise up to 2^62");
  }
  DriftTechniqueKey dk;
  dk.lwe_size = lwe_key.size() + 1;
  dk.ms_bound = params.ms_bound;
  dk.ms_r_sigma_factor = params.ms_r_sigma_factor;
  dk.ms_input_variance = params.ms_input_variance;
  dk.zeros.resize(params.modulus_switch_zeros_count * dk.lwe_size);
  for (uint64_t c = 0; c < params.modulus_switch_zeros_count; ++c) {
    uint64_t* lwe = dk.zeros.data() + c * dk.lwe_size;
    uint64_t body = SampleTUniform(noise.bound_log2, rng);
    for (size_t j = 0; j < lwe_key.size(); ++j) {
      lwe[j] = rng.Uniform<uint64_t>();
      body += lwe[j] * lwe_key[j];
    }
    lwe[lwe_key.size()] = body;
  }
  return dk;
}

LookupTable<uint64_t> GenerateLookupTable(const ServerKey& key,
                                          const std::function<uint64_t(uint64_t)>& f) {
  return GenerateLookupTable(key.bootstrapping_key.polynomial_size(), key.message_modulus,
                             key.carry_modulus, f);
}

namespace {
absl::Status CheckBlock(const ServerKey& key, const ShortintCiphertext& block) {
  if (block.atomic_pattern.kind != AtomicPatternKind::Kind::kStandard ||
      block.atomic_pattern.pbs_order != key.pbs_order) {
    return absl::InvalidArgumentError("block: atomic pattern differs from the server key's");
  }
  if (block.message_modulus != key.message_modulus || block.carry_modulus != key.carry_modulus) {
    return absl::InvalidArgumentError("block: moduli differ from the server key's");
  }
  const size_t expected = key.pbs_order == PBSOrder::kKeyswitchBootstrap
                              ? key.big_lwe_dimension()
                              : key.small_lwe_dimension();
  if (block.ct.data.size() != expected + 1) {
    return absl::InvalidArgumentError(internal::Cat(
        "block: LWE dimension ", block.ct.data.size() - 1, ", key expects ", expected));
  }
  if (!block.ct.modulus.is_native()) {
    return absl::UnimplementedError("block: non-native modulus");
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<std::vector<uint64_t>> KeyswitchToSmall(const ServerKey& key,
                                                       const ShortintCiphertext& block) {
  KMS_RETURN_IF_ERROR(CheckBlock(key, block));
  if (key.pbs_order != PBSOrder::kKeyswitchBootstrap) return block.ct.data;
  std::vector<uint64_t> small(key.small_lwe_dimension() + 1);
  KMS_RETURN_IF_ERROR(KeyswitchLweChecked(key.key_switching_key, block.ct.data, small));
  return small;
}

absl::Status ApplyLookupTable(const ServerKey& key, ShortintCiphertext& block,
                              const LookupTable<uint64_t>& lut) {
  KMS_RETURN_IF_ERROR(CheckBlock(key, block));
  std::vector<uint64_t> big(key.big_lwe_dimension() + 1);
  if (key.pbs_order == PBSOrder::kKeyswitchBootstrap) {
    std::vector<uint64_t> small(key.small_lwe_dimension() + 1);
    KMS_RETURN_IF_ERROR(KeyswitchLweChecked(key.key_switching_key, block.ct.data, small));
    KMS_RETURN_IF_ERROR(ProgrammableBootstrap64(key.bootstrapping_key, key.modulus_switch, small,
                                                lut, big,
                                                key.drift_key ? &*key.drift_key : nullptr));
    block.ct.data = std::move(big);
  } else {
    KMS_RETURN_IF_ERROR(ProgrammableBootstrap64(key.bootstrapping_key, key.modulus_switch,
                                                block.ct.data, lut, big,
                                                key.drift_key ? &*key.drift_key : nullptr));
    std::vector<uint64_t> small(key.small_lwe_dimension() + 1);
    KMS_RETURN_IF_ERROR(KeyswitchLweChecked(key.key_switching_key, big, small));
    block.ct.data = std::move(small);
  }
  block.degree = lut.degree;
  block.noise_level = 1;
  return absl::OkStatus();
}

absl::Status UncheckedAdd(ShortintCiphertext& lhs, const ShortintCiphertext& rhs) {
  if (lhs.ct.data.size() != rhs.ct.data.size() || lhs.ct.modulus != rhs.ct.modulus ||
      lhs.message_modulus != rhs.message_modulus || lhs.carry_modulus != rhs.carry_modulus ||
      lhs.atomic_pattern != rhs.atomic_pattern) {
    return absl::InvalidArgumentError("add: blocks of different shapes");
  }
  for (size_t j = 0; j < lhs.ct.data.size(); ++j) lhs.ct.data[j] += rhs.ct.data[j];
  lhs.degree += rhs.degree;
  lhs.noise_level += rhs.noise_level;
  return absl::OkStatus();
}

absl::Status FullPropagate(const ServerKey& key, FheUint& ct) {
  const uint64_t msg = key.message_modulus;
  const LookupTable<uint64_t> carry_lut =
      GenerateLookupTable(key, [msg](uint64_t x) { return x / msg; });
  const LookupTable<uint64_t> message_lut =
      GenerateLookupTable(key, [msg](uint64_t x) { return x % msg; });
  for (size_t i = 0; i < ct.blocks.size(); ++i) {
    ShortintCiphertext& block = ct.blocks[i];
    if (i + 1 < ct.blocks.size()) {
      ShortintCiphertext carry = block;
      KMS_RETURN_IF_ERROR(ApplyLookupTable(key, carry, carry_lut));
      KMS_RETURN_IF_ERROR(ApplyLookupTable(key, block, message_lut));
      ShortintCiphertext& next = ct.blocks[i + 1];
      if (next.degree + carry.degree > key.max_degree ||
          next.noise_level + carry.noise_level > key.max_noise_level) {
        return absl::FailedPreconditionError("carry propagation: block would exceed max degree");
      }
      KMS_RETURN_IF_ERROR(UncheckedAdd(next, carry));
    } else {
      KMS_RETURN_IF_ERROR(ApplyLookupTable(key, block, message_lut));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<FheUint> AddFheUint(const ServerKey& key, const FheUint& a, const FheUint& b) {
  if (a.blocks.size() != b.blocks.size() || a.blocks.empty()) {
    return absl::InvalidArgumentError("add: operands of different block counts");
  }
  FheUint out = a;
  for (size_t i = 0; i < out.blocks.size(); ++i) {
    const ShortintCiphertext& rb = b.blocks[i];
    ShortintCiphertext& lb = out.blocks[i];
    if (lb.degree + rb.degree > key.max_degree ||
        lb.noise_level + rb.noise_level > key.max_noise_level) {
      return absl::FailedPreconditionError(
          internal::Cat("add: block ", i, " would exceed the max degree or noise level"));
    }
    KMS_RETURN_IF_ERROR(UncheckedAdd(lb, rb));
  }
  KMS_RETURN_IF_ERROR(FullPropagate(key, out));
  return out;
}

}  // namespace kms::tfhe
