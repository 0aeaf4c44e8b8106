#include "tfhe/noise_squashing.h"

#include <bit>

#include "common/parallel.h"
#include "common/status_macros.h"
#include "tfhe/bootstrap_key_generation.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/codec_internal.h"
#include "tfhe/ntt128.h"

namespace kms::tfhe {

NoiseSquashingParameters KmsDefaultNoiseSquashingParameters() {
  NoiseSquashingParameters p;
  p.glwe_dimension = 2;
  p.polynomial_size = 2048;
  p.glwe_noise_distribution = DynamicDistribution::TUniform(30);
  p.decomp_base_log = 24;
  p.decomp_level_count = 3;
  p.modulus_switch_noise_reduction_params.kind = ModulusSwitchType::Kind::kCenteredMean;
  p.message_modulus = 4;
  p.carry_modulus = 4;
  p.ciphertext_modulus = CiphertextModulus{0, 128};
  return p;
}

NoiseSquashingParameters KmsTestNoiseSquashingParameters() {
  NoiseSquashingParameters p;
  p.glwe_dimension = 1;
  p.polynomial_size = 256;
  p.glwe_noise_distribution = DynamicDistribution::TUniform(0);
  p.decomp_base_log = 33;
  p.decomp_level_count = 2;
  p.modulus_switch_noise_reduction_params.kind = ModulusSwitchType::Kind::kDriftTechnique;
  p.modulus_switch_noise_reduction_params.drift =
      ModulusSwitchNoiseReductionParams{8, 288230376151711744.0, 9.2, 2.182718682903484e-224};
  p.message_modulus = 4;
  p.carry_modulus = 4;
  p.ciphertext_modulus = CiphertextModulus{0, 128};
  return p;
}

ClientKey::NoiseSquashingPrivateKey GenerateNoiseSquashingPrivateKey(
    const NoiseSquashingParameters& params, algebra::RandomSource& rng) {
  ClientKey::NoiseSquashingPrivateKey key;
  key.params = params;
  const size_t len = params.glwe_dimension * params.polynomial_size;
  key.post_noise_squashing_secret_key.polynomial_size = params.polynomial_size;
  key.post_noise_squashing_secret_key.data.resize(len);
  std::vector<uint8_t> bits((len + 7) / 8);
  rng.Fill(bits);
  for (size_t i = 0; i < len; ++i) {
    key.post_noise_squashing_secret_key.data[i] = (bits[i / 8] >> (i % 8)) & 1;
  }
  crypto::SecureZero(bits);
  return key;
}

absl::StatusOr<LweBootstrapKey<u128>> GenerateNoiseSquashingBootstrapKey(
    const ClientKey& key, algebra::RandomSource& rng) {
  if (!key.noise_squashing_private_key) {
    return absl::InvalidArgumentError("client key has no noise-squashing key");
  }
  const NoiseSquashingParameters& p = key.noise_squashing_private_key->params;
  const GlweSecretKey<u128>& s = key.noise_squashing_private_key->post_noise_squashing_secret_key;
  if (p.glwe_noise_distribution.kind != DynamicDistribution::Kind::kTUniform ||
      p.glwe_noise_distribution.bound_log2 > 62) {
    return absl::UnimplementedError("noise-squashing key: only TUniform noise up to 2^62");
  }
  if (s.polynomial_size != p.polynomial_size ||
      s.data.size() != p.glwe_dimension * p.polynomial_size) {
    return absl::InvalidArgumentError(
        "noise-squashing key: the GLWE key differs from its parameters");
  }
  return GenerateLweBootstrapKey<u128>(key.lwe_secret_key.data, s,
                                       {p.decomp_base_log, p.decomp_level_count},
                                       p.glwe_noise_distribution.bound_log2, rng);
}

absl::StatusOr<NoiseSquashingKey> MakeNoiseSquashingKey(
    const LweBootstrapKey<u128>& bsk, const NoiseSquashingParameters& params,
    std::optional<DriftTechniqueKey> drift_key) {
  NoiseSquashingKey key;
  if (params.modulus_switch_noise_reduction_params.kind ==
      ModulusSwitchType::Kind::kDriftTechnique) {
    if (!drift_key || drift_key->lwe_size != bsk.input_lwe_dimension() + 1) {
      return absl::InvalidArgumentError(
          "noise-squashing key: the drift technique needs zeros under the small key");
    }
    key.drift_key = std::move(drift_key);
  }
  KMS_ASSIGN_OR_RETURN(key.bootstrapping_key, NttBootstrapKey128::Create(bsk));
  key.modulus_switch = params.modulus_switch_noise_reduction_params.kind;
  key.message_modulus = params.message_modulus;
  key.carry_modulus = params.carry_modulus;
  const uint64_t cs = key.message_modulus * key.carry_modulus;
  if (cs < 2 || !std::has_single_bit(cs) || bsk.polynomial_size % cs != 0) {
    return absl::InvalidArgumentError("noise-squashing key: message·carry must divide N");
  }
  return key;
}

absl::StatusOr<SquashedNoiseCiphertext> SquashNoise(const ServerKey& server_key,
                                                    const NoiseSquashingKey& key,
                                                    const ShortintCiphertext& block) {
  if (block.message_modulus != key.message_modulus || block.carry_modulus != key.carry_modulus) {
    return absl::InvalidArgumentError("squash: block moduli differ from the key's");
  }
  if (block.noise_level > server_key.max_noise_level) {
    return absl::FailedPreconditionError("squash: block noise level above the maximum");
  }
  KMS_ASSIGN_OR_RETURN(std::vector<uint64_t> small, KeyswitchToSmall(server_key, block));
  const size_t N = key.bootstrapping_key.polynomial_size();
  const uint64_t cs = key.message_modulus * key.carry_modulus;
  const u128 delta = (u128{1} << 127) / cs;
  const LookupTable<u128> lut = GenerateLookupTable128(N, cs, delta, [](uint64_t x) { return x; });
  SquashedNoiseCiphertext out;
  out.ct.data.resize(key.bootstrapping_key.output_lwe_dimension() + 1);
  KMS_RETURN_IF_ERROR(ProgrammableBootstrap128(key.bootstrapping_key, key.modulus_switch, small,
                                               lut, out.ct.data,
                                               key.drift_key ? &*key.drift_key : nullptr));
  out.degree = block.degree;
  out.message_modulus = key.message_modulus;
  out.carry_modulus = key.carry_modulus;
  return out;
}

absl::StatusOr<ShortintCiphertext> PackBlocks(const ShortintCiphertext& lo,
                                              const ShortintCiphertext& hi) {
  if (lo.ct.data.size() != hi.ct.data.size() || lo.message_modulus != hi.message_modulus ||
      lo.carry_modulus != hi.carry_modulus) {
    return absl::InvalidArgumentError("pack: blocks of different shapes");
  }
  const uint64_t m = lo.message_modulus;
  if (lo.carry_modulus < m || lo.degree >= m || hi.degree >= m) {
    return absl::FailedPreconditionError("pack: carries must be empty and carry ≥ message");
  }
  ShortintCiphertext out = lo;
  for (size_t j = 0; j < out.ct.data.size(); ++j) out.ct.data[j] += m * hi.ct.data[j];
  out.degree = lo.degree + m * hi.degree;
  out.noise_level = lo.noise_level + m * hi.noise_level;
  if (out.degree >= lo.message_modulus * lo.carry_modulus) {
    return absl::FailedPreconditionError("pack: the packed degree exceeds message·carry");
  }
  return out;
}

absl::StatusOr<SquashedNoiseFheUint> SquashFheUint(const ServerKey& server_key,
                                                   const NoiseSquashingKey& key,
                                                   const FheUint& ct) {
  SquashedNoiseFheUint out;
  out.original_block_count = ct.blocks.size();
  out.packed_blocks.resize((ct.blocks.size() + 1) / 2);
  // One bootstrap per packed block, in parallel.
  KMS_RETURN_IF_ERROR(ParallelFor(out.packed_blocks.size(), [&](size_t p) -> absl::Status {
    const size_t i = 2 * p;
    if (i + 1 < ct.blocks.size()) {
      KMS_ASSIGN_OR_RETURN(ShortintCiphertext packed, PackBlocks(ct.blocks[i], ct.blocks[i + 1]));
      KMS_ASSIGN_OR_RETURN(out.packed_blocks[p], SquashNoise(server_key, key, packed));
    } else {
      KMS_ASSIGN_OR_RETURN(out.packed_blocks[p], SquashNoise(server_key, key, ct.blocks[i]));
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace kms::tfhe
