#include "tfhe/noise_squashing.h"

#include <bit>

#include "common/status_macros.h"
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

namespace {
u128 LoadU128(const uint8_t* b) {
  u128 v = 0;
  for (int i = 15; i >= 0; --i) v = v << 8 | b[i];
  return v;
}
}  // namespace

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
  const size_t k = p.glwe_dimension, N = p.polynomial_size, L = p.decomp_level_count,
               beta = p.decomp_base_log;
  if (k == 0 || N < 4 || !std::has_single_bit(N) || N > (size_t{1} << 16) || L == 0 || beta == 0 ||
      beta * L >= 128 || beta > 62 || s.data.size() != k * N) {
    return absl::InvalidArgumentError("noise-squashing parameters: inconsistent shape");
  }
  const std::vector<uint64_t>& s_in = key.lwe_secret_key.data;
  const size_t n = s_in.size();
  const size_t g = k + 1;
  LweBootstrapKey<u128> bsk;
  bsk.glwe_size = g;
  bsk.polynomial_size = N;
  bsk.decomp_base_log = beta;
  bsk.decomp_level_count = L;
  bsk.data.assign(n * L * g * g * N, 0);
  const Ntt128Plan& plan = Ntt128Plan::For(N);
  const size_t w = kNttPrimes * N;
  // NTT of each key polynomial S_c (binary, small signed), once.
  std::vector<uint64_t> s_ntt(k * w);
  for (size_t c = 0; c < k; ++c) {
    plan.ForwardSigned(std::span<const u128>(s.data.data() + c * N, N),
                       std::span<uint64_t>(s_ntt.data() + c * w, w));
  }
  std::vector<uint64_t> fa(w), acc(w);
  std::vector<uint8_t> mask_bytes(16 * N);
  for (size_t i = 0; i < n; ++i) {
    const u128 bit = s_in[i] & 1;
    for (size_t li = 0; li < L; ++li) {
      const size_t level = L - li;
      const u128 scaled = bit << (128 - beta * level);
      for (size_t r = 0; r < g; ++r) {
        u128* glwe = bsk.data.data() + (((i * L + li) * g + r) * g) * N;
        u128* body = glwe + k * N;
        std::fill(acc.begin(), acc.end(), 0);
        for (size_t c = 0; c < k; ++c) {
          rng.Fill(mask_bytes);
          u128* a = glwe + c * N;
          for (size_t j = 0; j < N; ++j) a[j] = LoadU128(mask_bytes.data() + 16 * j);
          // Σ_c A_c·S_c: S_c in normal form, A_c to Montgomery form gives the plain product.
          plan.ForwardTorus(std::span<const u128>(a, N), fa, /*montgomery=*/true);
          plan.MulAdd(acc, std::span<const uint64_t>(s_ntt.data() + c * w, w), fa);
        }
        plan.BackwardAdd(acc, std::span<u128>(body, N));
        for (size_t j = 0; j < N; ++j) {
          const uint64_t e = SampleTUniform(p.glwe_noise_distribution.bound_log2, rng);
          body[j] += static_cast<u128>(static_cast<__int128>(static_cast<int64_t>(e)));
        }
        if (r < k) {
          for (size_t j = 0; j < N; ++j) body[j] -= scaled * s.data[r * N + j];
        } else {
          body[0] += scaled;
        }
      }
    }
  }
  // The NTT of the secret and the products A·S are secret-derived.
  crypto::SecureZero(s_ntt);
  crypto::SecureZero(acc);
  return bsk;
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
  for (size_t i = 0; i < ct.blocks.size(); i += 2) {
    if (i + 1 < ct.blocks.size()) {
      KMS_ASSIGN_OR_RETURN(ShortintCiphertext packed, PackBlocks(ct.blocks[i], ct.blocks[i + 1]));
      KMS_ASSIGN_OR_RETURN(SquashedNoiseCiphertext sq, SquashNoise(server_key, key, packed));
      out.packed_blocks.push_back(std::move(sq));
    } else {
      KMS_ASSIGN_OR_RETURN(SquashedNoiseCiphertext sq, SquashNoise(server_key, key, ct.blocks[i]));
      out.packed_blocks.push_back(std::move(sq));
    }
  }
  return out;
}

}  // namespace kms::tfhe
