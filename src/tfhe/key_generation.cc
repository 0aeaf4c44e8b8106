#include "tfhe/key_generation.h"

#include "common/status_macros.h"
#include "tfhe/client_key_encryption.h"

namespace kms::tfhe {
namespace {

constexpr CiphertextModulus kNative64{0, 64};

void BinaryKey(std::vector<uint64_t>& out, size_t n, algebra::RandomSource& rng) {
  std::vector<uint8_t> bytes((n + 7) / 8);
  rng.Fill(bytes);
  out.resize(n);
  for (size_t i = 0; i < n; ++i) out[i] = (bytes[i / 8] >> (i % 8)) & 1;
  crypto::SecureZero(bytes);
}

}  // namespace

KeyParameters KmsTestKeyParameters() {
  KeyParameters p;
  ClassicPBSParameters& c = p.compute;
  c.lwe_dimension = 1;
  c.glwe_dimension = 1;
  c.polynomial_size = 256;
  c.lwe_noise_distribution = DynamicDistribution::TUniform(0);
  c.glwe_noise_distribution = DynamicDistribution::TUniform(0);
  c.pbs_base_log = 24;
  c.pbs_level = 1;
  c.ks_base_log = 37;
  c.ks_level = 1;
  c.message_modulus = 4;
  c.carry_modulus = 4;
  c.max_noise_level = 5;
  c.log2_p_fail = -64;
  c.ciphertext_modulus = kNative64;
  c.encryption_key_choice = EncryptionKeyChoice::kBig;
  c.modulus_switch_noise_reduction_params.kind = ModulusSwitchType::Kind::kStandard;
  CompactPublicKeyEncryptionParameters& k = p.compact_public_key;
  k.encryption_lwe_dimension = 512;
  k.encryption_noise_distribution = DynamicDistribution::TUniform(0);
  k.message_modulus = 4;
  k.carry_modulus = 4;
  k.ciphertext_modulus = kNative64;
  k.expansion_kind.kind = ExpansionKind::Kind::kRequiresCasting;
  k.zk_scheme = SupportedCompactPkeZkScheme::kZkNotSupported;
  p.casting = ShortintKeySwitchingParameters{37, 1, EncryptionKeyChoice::kSmall};
  return p;
}

KeyParameters KmsDefaultKeyParameters() {
  KeyParameters p;
  ClassicPBSParameters& c = p.compute;
  c.lwe_dimension = 918;
  c.glwe_dimension = 1;
  c.polynomial_size = 2048;
  c.lwe_noise_distribution = DynamicDistribution::TUniform(45);
  c.glwe_noise_distribution = DynamicDistribution::TUniform(17);
  c.pbs_base_log = 23;
  c.pbs_level = 1;
  c.ks_base_log = 4;
  c.ks_level = 4;
  c.message_modulus = 4;
  c.carry_modulus = 4;
  c.max_noise_level = 5;
  c.log2_p_fail = -129.581;
  c.ciphertext_modulus = kNative64;
  c.encryption_key_choice = EncryptionKeyChoice::kBig;
  c.modulus_switch_noise_reduction_params.kind = ModulusSwitchType::Kind::kCenteredMean;
  CompactPublicKeyEncryptionParameters& k = p.compact_public_key;
  k.encryption_lwe_dimension = 2048;
  k.encryption_noise_distribution = DynamicDistribution::TUniform(17);
  k.message_modulus = 4;
  k.carry_modulus = 4;
  k.ciphertext_modulus = kNative64;
  k.expansion_kind.kind = ExpansionKind::Kind::kRequiresCasting;
  k.zk_scheme = SupportedCompactPkeZkScheme::kV2;
  p.casting = ShortintKeySwitchingParameters{4, 4, EncryptionKeyChoice::kSmall};
  return p;
}

absl::StatusOr<ClientKey> GenerateClientKey(const KeyParameters& params,
                                            algebra::RandomSource& rng) {
  ClientKey key;
  key.parameters = params.compute;
  const ClassicPBSParameters& c = params.compute;
  BinaryKey(key.glwe_secret_key.data, c.glwe_dimension * c.polynomial_size, rng);
  key.glwe_secret_key.polynomial_size = c.polynomial_size;
  BinaryKey(key.lwe_secret_key.data, c.lwe_dimension, rng);
  ClientKey::CompactPrivateKey compact;
  BinaryKey(compact.key.data, params.compact_public_key.encryption_lwe_dimension, rng);
  compact.parameters = params.compact_public_key;
  compact.ksk_parameters = params.casting;
  key.dedicated_compact_private_key = std::move(compact);
  // The serializer's checks: every length matches its parameters.
  KMS_RETURN_IF_ERROR(SerializeClientKey(key).status());
  return key;
}

void SemiReverseNegacyclicConvolution(std::span<uint64_t> out, std::span<const uint64_t> a,
                                      std::span<const uint64_t> s) {
  const size_t n = a.size();
  for (size_t i = 0; i < n; ++i) {
    uint64_t acc = 0;
    for (size_t j = 0; j <= i; ++j) acc += a[j] * s[n - 1 - (i - j)];
    for (size_t j = i + 1; j < n; ++j) acc -= a[j] * s[j - i - 1];
    out[i] = acc;
  }
}

absl::StatusOr<CompactPublicKey> GenerateCompactPublicKey(const ClientKey& key,
                                                          algebra::RandomSource& rng) {
  if (!key.dedicated_compact_private_key.has_value()) {
    return absl::InvalidArgumentError("the client key has no dedicated compact secret");
  }
  const ClientKey::CompactPrivateKey& compact = *key.dedicated_compact_private_key;
  const CompactPublicKeyEncryptionParameters& p = compact.parameters;
  if (p.encryption_noise_distribution.kind != DynamicDistribution::Kind::kTUniform) {
    return absl::UnimplementedError("only TUniform encryption noise is implemented");
  }
  if (!p.ciphertext_modulus.is_native()) {
    return absl::UnimplementedError("only the native 64-bit modulus is supported");
  }
  if (p.encryption_noise_distribution.bound_log2 > 61) {
    return absl::InvalidArgumentError("TUniform bound too wide for 64-bit LWE");
  }
  const size_t n = compact.key.data.size();
  CompactPublicKey cpk;
  cpk.parameters = p;
  GlweCiphertext& glwe = cpk.key.glwe_ciphertext;
  glwe.polynomial_size = n;
  glwe.modulus = p.ciphertext_modulus;
  glwe.data.resize(2 * n);
  std::span<uint64_t> a(glwe.data.data(), n), b(glwe.data.data() + n, n);
  for (uint64_t& x : a) x = rng.Uniform<uint64_t>();
  SemiReverseNegacyclicConvolution(b, a, compact.key.data);
  for (uint64_t& x : b) x += SampleTUniform(p.encryption_noise_distribution.bound_log2, rng);
  // The serializer's checks: power-of-two n̂ equal to the parameters' dimension.
  KMS_RETURN_IF_ERROR(SerializeCompactPublicKey(cpk).status());
  return cpk;
}

}  // namespace kms::tfhe
