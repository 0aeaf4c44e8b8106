#include "tfhe/keyset.h"

#include <bit>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "tfhe/bootstrap_key_generation.h"
#include "tfhe/codec_internal.h"
#include "tfhe/fourier_conversion.h"
#include "tfhe/keyswitch.h"

namespace kms::tfhe {
namespace {

using internal::Cat;

absl::Status Invalid(std::string_view part, std::string_view what) {
  return absl::InvalidArgumentError(Cat("PublishedServerKey.", part, ": ", what));
}

// The part's name in front of an error from a lower layer, keeping its code.
absl::Status InPart(const absl::Status& s, std::string_view part) {
  if (s.ok()) return s;
  return absl::Status(s.code(), Cat("PublishedServerKey.", part, ": ", std::string(s.message())));
}

absl::StatusOr<uint32_t> TUniform(const DynamicDistribution& d, std::string_view what) {
  if (d.kind != DynamicDistribution::Kind::kTUniform) {
    return absl::UnimplementedError(Cat(what, ": only TUniform noise is implemented"));
  }
  return d.bound_log2;
}

// The drift technique's encryptions of zero as the published LweCiphertextList.
LweCiphertextList ZerosList(const DriftTechniqueKey& dk) {
  LweCiphertextList out;
  out.data = dk.zeros;
  out.lwe_size = dk.lwe_size;
  out.modulus = CiphertextModulus{0, 64};
  return out;
}

absl::StatusOr<ModulusSwitchConfiguration> MakeModulusSwitchConfiguration(
    const ModulusSwitchType& type, const ClientKey& ck, algebra::RandomSource& rng) {
  ModulusSwitchConfiguration out;
  switch (type.kind) {
    case ModulusSwitchType::Kind::kStandard:
      out.kind = ModulusSwitchConfiguration::Kind::kStandard;
      break;
    case ModulusSwitchType::Kind::kCenteredMean:
      out.kind = ModulusSwitchConfiguration::Kind::kCenteredMean;
      break;
    case ModulusSwitchType::Kind::kDriftTechnique: {
      out.kind = ModulusSwitchConfiguration::Kind::kDriftTechnique;
      KMS_ASSIGN_OR_RETURN(
          DriftTechniqueKey dk,
          GenerateDriftTechniqueKey(ck.lwe_secret_key.data, ck.parameters.lwe_noise_distribution,
                                    type.drift, rng));
      out.modulus_switch_zeros = ZerosList(dk);
      out.ms_bound = dk.ms_bound;
      out.ms_r_sigma_factor = dk.ms_r_sigma_factor;
      out.ms_input_variance = dk.ms_input_variance;
      break;
    }
  }
  return out;
}

// A KSK from the compact secret to the small (LWE noise) or big (GLWE noise) compute key.
absl::StatusOr<KeySwitchingKeyMaterial> CompactKeySwitch(const ClientKey& ck,
                                                         const ShortintKeySwitchingParameters& p,
                                                         std::string_view what,
                                                         algebra::RandomSource& rng) {
  const bool small = p.destination_key == EncryptionKeyChoice::kSmall;
  const std::vector<uint64_t>& out_key = small ? ck.lwe_secret_key.data : ck.glwe_secret_key.data;
  KMS_ASSIGN_OR_RETURN(uint32_t bound, TUniform(small ? ck.parameters.lwe_noise_distribution
                                                      : ck.parameters.glwe_noise_distribution,
                                                what));
  KeySwitchingKeyMaterial m;
  KMS_ASSIGN_OR_RETURN(m.key_switching_key,
                       GenerateLweKeyswitchKey(ck.dedicated_compact_private_key->key.data, out_key,
                                               p.ks_base_log, p.ks_level, bound, rng));
  m.cast_rshift = 0;
  m.destination_key = p.destination_key;
  return m;
}

}  // namespace

absl::Status ValidateKeysetParameters(const KeysetParameters& p) {
  const ClassicPBSParameters& c = p.keys.compute;
  if (c.encryption_key_choice != EncryptionKeyChoice::kBig) {
    return absl::InvalidArgumentError(
        "keyset parameters: compute encryption_key_choice must be Big (KeyswitchBootstrap)");
  }
  if (p.keys.compact_public_key.message_modulus != c.message_modulus ||
      p.keys.compact_public_key.carry_modulus != c.carry_modulus) {
    return absl::InvalidArgumentError(
        "keyset parameters: the compact public key's moduli differ from the compute key's");
  }
  const uint64_t cs = c.message_modulus * c.carry_modulus;
  if (p.max_degree == 0 || p.max_degree >= cs) {
    return absl::InvalidArgumentError(
        Cat("keyset parameters: max_degree ", p.max_degree, " must be in [1, ", cs, ")"));
  }
  if (p.noise_squashing_compression && !p.noise_squashing) {
    return absl::InvalidArgumentError(
        "keyset parameters: noise-squashing compression needs noise squashing");
  }
  if (p.noise_squashing && (p.noise_squashing->message_modulus != c.message_modulus ||
                            p.noise_squashing->carry_modulus != c.carry_modulus)) {
    return absl::InvalidArgumentError(
        "keyset parameters: the noise-squashing moduli differ from the compute key's");
  }
  return absl::OkStatus();
}

namespace {

// ---- validation of a published key ----

absl::Status CheckKsk(const LweKeyswitchKey& k, uint64_t input_dimension, uint64_t output_dimension,
                      std::string_view part) {
  if (!k.modulus.is_native()) return absl::UnimplementedError(Cat(part, ": non-native modulus"));
  if (k.decomp_base_log == 0 || k.decomp_level_count == 0 ||
      u128{k.decomp_base_log} * k.decomp_level_count > 64) {
    return Invalid(part, Cat("decomposition base_log ", k.decomp_base_log, " x level ",
                             k.decomp_level_count, " must be at least 1 each and fit 64 bits"));
  }
  if (k.output_lwe_size != output_dimension + 1) {
    return Invalid(
        part, Cat("output LWE size is ", k.output_lwe_size, ", expected ", output_dimension + 1));
  }
  const u128 expected = u128{input_dimension} * k.decomp_level_count * k.output_lwe_size;
  if (input_dimension == 0 || k.data.size() != expected) {
    return Invalid(part, Cat("holds ", k.data.size(), " words, expected input dimension ",
                             input_dimension, " x level x output LWE size"));
  }
  return absl::OkStatus();
}

template <typename Scalar>
absl::Status CheckPacking(const LwePackingKeyswitchKey<Scalar>& k, uint64_t input_dimension,
                          uint64_t lwe_per_glwe, std::string_view part) {
  constexpr uint64_t bits = sizeof(Scalar) * 8;
  if (!k.modulus.is_native()) return absl::UnimplementedError(Cat(part, ": non-native modulus"));
  if (k.decomp_base_log == 0 || k.decomp_level_count == 0 ||
      u128{k.decomp_base_log} * k.decomp_level_count > bits) {
    return Invalid(
        part, Cat("decomposition base_log ", k.decomp_base_log, " x level ", k.decomp_level_count,
                  " must be at least 1 each and fit ", bits, " bits"));
  }
  if (k.output_glwe_size < 2 || !internal::IsPowerOfTwo(k.output_polynomial_size)) {
    return Invalid(part, "the output GLWE size must be at least 2 and N a power of two");
  }
  const u128 expected =
      u128{input_dimension} * k.decomp_level_count * k.output_glwe_size * k.output_polynomial_size;
  if (k.data.size() != expected) {
    return Invalid(part, Cat("holds ", k.data.size(), " words, expected input dimension ",
                             input_dimension, " x level x (k + 1) x N"));
  }
  if (lwe_per_glwe == 0 || lwe_per_glwe > k.output_polynomial_size) {
    return Invalid(part, Cat("lwe_per_glwe ", lwe_per_glwe,
                             " must be in [1, N = ", k.output_polynomial_size, "]"));
  }
  return absl::OkStatus();
}

// The drift zeros (if any) under the small key; the kind as our compute code names it.
absl::StatusOr<std::optional<DriftTechniqueKey>> LoadModulusSwitch(
    const ModulusSwitchConfiguration& ms, uint64_t small, std::string_view part,
    ModulusSwitchType::Kind& kind) {
  switch (ms.kind) {
    case ModulusSwitchConfiguration::Kind::kStandard:
      kind = ModulusSwitchType::Kind::kStandard;
      return std::optional<DriftTechniqueKey>();
    case ModulusSwitchConfiguration::Kind::kCenteredMean:
      kind = ModulusSwitchType::Kind::kCenteredMean;
      return std::optional<DriftTechniqueKey>();
    case ModulusSwitchConfiguration::Kind::kDriftTechnique:
      break;
  }
  kind = ModulusSwitchType::Kind::kDriftTechnique;
  const LweCiphertextList& z = ms.modulus_switch_zeros;
  if (!z.modulus.is_native()) return absl::UnimplementedError(Cat(part, ": non-native zeros"));
  if (z.lwe_size != small + 1 || z.data.empty() || z.data.size() % z.lwe_size != 0) {
    return Invalid(
        part, Cat("the drift technique's zeros must be LWEs of size ", small + 1,
                  " (the small key's), got size ", z.lwe_size, " and ", z.data.size(), " words"));
  }
  if (!std::isfinite(ms.ms_bound) || !std::isfinite(ms.ms_r_sigma_factor) ||
      !std::isfinite(ms.ms_input_variance) || ms.ms_bound <= 0) {
    return Invalid(part, "the drift technique's bound, r·σ factor and variance must be finite");
  }
  DriftTechniqueKey dk;
  dk.zeros = z.data;
  dk.lwe_size = z.lwe_size;
  dk.ms_bound = ms.ms_bound;
  dk.ms_r_sigma_factor = ms.ms_r_sigma_factor;
  dk.ms_input_variance = ms.ms_input_variance;
  return std::optional<DriftTechniqueKey>(std::move(dk));
}

absl::StatusOr<CastingKey> LoadKeySwitchingMaterial(const KeySwitchingKeyMaterial& m,
                                                    uint64_t small, uint64_t big,
                                                    std::string_view part) {
  const uint64_t out = m.destination_key == EncryptionKeyChoice::kSmall ? small : big;
  const LweKeyswitchKey& k = m.key_switching_key;
  // The output size and level first: their product divides the word count below.
  if (k.output_lwe_size != out + 1) {
    return Invalid(part, Cat("output LWE size is ", k.output_lwe_size, ", expected ", out + 1,
                             " (the destination key's)"));
  }
  if (k.decomp_level_count == 0 || k.decomp_level_count > 64) {
    return Invalid(part, Cat("decomposition level ", k.decomp_level_count, " outside [1, 64]"));
  }
  const uint64_t n_in = k.input_lwe_dimension();
  KMS_RETURN_IF_ERROR(CheckKsk(m.key_switching_key, n_in, out, part));
  if (m.cast_rshift < 0) return Invalid(part, Cat("negative cast_rshift ", m.cast_rshift));
  return CastingKey{m.key_switching_key, m.cast_rshift, m.destination_key};
}

}  // namespace

KeysetParameters KmsTestKeysetParameters() {
  KeysetParameters p;
  p.keys = KmsTestKeyParameters();
  p.compression = KmsTestCompressionParameters();
  p.noise_squashing = KmsTestNoiseSquashingParameters();
  p.noise_squashing_compression = KmsTestNoiseSquashingCompressionParameters();
  p.re_randomization = ShortintKeySwitchingParameters{17, 1, EncryptionKeyChoice::kBig};
  return p;
}

KeysetParameters KmsDefaultKeysetParameters() {
  KeysetParameters p;
  p.keys = KmsDefaultKeyParameters();
  p.compression = KmsDefaultCompressionParameters();
  p.noise_squashing = KmsDefaultNoiseSquashingParameters();
  p.noise_squashing_compression = KmsDefaultNoiseSquashingCompressionParameters();
  p.re_randomization = ShortintKeySwitchingParameters{24, 1, EncryptionKeyChoice::kBig};
  return p;
}

namespace {

// GenerateKeyset's body; `current` names the stage under way for the error message.
absl::StatusOr<Keyset> GenerateKeysetStages(const KeysetParameters& params,
                                            algebra::RandomSource& rng,
                                            const KeysetProgress& progress, std::string& current) {
  KMS_RETURN_IF_ERROR(ValidateKeysetParameters(params));
  const int total = 6 + (params.compression ? 2 : 0) + (params.noise_squashing ? 1 : 0) +
                    (params.noise_squashing_compression ? 1 : 0) +
                    (params.re_randomization ? 1 : 0);
  int done = 0;
  auto stage = [&](std::string_view name) {
    current = std::string(name);
    if (progress) progress(name, done, total);
    ++done;
  };

  Keyset ks;
  ClientKey& ck = ks.client_key;
  stage("client key");
  KMS_ASSIGN_OR_RETURN(ck, GenerateClientKey(params.keys, rng));
  if (params.compression) {
    KMS_ASSIGN_OR_RETURN(ck.compression_key,
                         GenerateCompressionPrivateKey(*params.compression, rng));
  }
  if (params.noise_squashing) {
    ck.noise_squashing_private_key = GenerateNoiseSquashingPrivateKey(*params.noise_squashing, rng);
  }
  if (params.noise_squashing_compression) {
    KMS_ASSIGN_OR_RETURN(
        ck.noise_squashing_compression_private_key,
        GenerateNoiseSquashingCompressionPrivateKey(*params.noise_squashing_compression, rng));
  }
  ck.cpk_re_randomization_ksk_params = params.re_randomization;
  // The serializer's checks: every secret has its parameters' length.
  KMS_RETURN_IF_ERROR(SerializeClientKey(ck).status());

  stage("compact public key");
  KMS_ASSIGN_OR_RETURN(ks.public_key, GenerateCompactPublicKey(ck, rng));

  const ClassicPBSParameters& c = ck.parameters;
  PublishedServerKey& sk = ks.server_key;
  stage("compute key-switching key");
  {
    KMS_ASSIGN_OR_RETURN(uint32_t bound, TUniform(c.lwe_noise_distribution, "compute KSK"));
    KMS_ASSIGN_OR_RETURN(sk.key_switching_key,
                         GenerateLweKeyswitchKey(ck.glwe_secret_key.data, ck.lwe_secret_key.data,
                                                 c.ks_base_log, c.ks_level, bound, rng));
  }
  stage("compute bootstrapping key");
  {
    KMS_ASSIGN_OR_RETURN(uint32_t bound, TUniform(c.glwe_noise_distribution, "compute BSK"));
    KMS_ASSIGN_OR_RETURN(
        LweBootstrapKey<uint64_t> bsk,
        GenerateLweBootstrapKey<uint64_t>(ck.lwe_secret_key.data, ck.glwe_secret_key,
                                          {c.pbs_base_log, c.pbs_level}, bound, rng));
    KMS_ASSIGN_OR_RETURN(sk.bootstrapping_key, ToFourierBootstrapKey(bsk));
  }
  stage("compute modulus-switch key");
  KMS_ASSIGN_OR_RETURN(
      sk.modulus_switch_noise_reduction_key,
      MakeModulusSwitchConfiguration(c.modulus_switch_noise_reduction_params, ck, rng));
  sk.pbs_order = PBSOrder::kKeyswitchBootstrap;
  sk.message_modulus = c.message_modulus;
  sk.carry_modulus = c.carry_modulus;
  sk.max_degree = params.max_degree;
  sk.max_noise_level = c.max_noise_level;
  sk.ciphertext_modulus = c.ciphertext_modulus;

  stage("casting key");
  KMS_ASSIGN_OR_RETURN(sk.cpk_key_switching_key_material,
                       CompactKeySwitch(ck, params.keys.casting, "casting KSK", rng));

  if (params.compression) {
    stage("compression key");
    KMS_ASSIGN_OR_RETURN(sk.compression_key, GenerateCompressionKey(ck, rng));
    stage("decompression key");
    KMS_ASSIGN_OR_RETURN(LweBootstrapKey<uint64_t> bsk, GenerateDecompressionBootstrapKey(ck, rng));
    DecompressionKey dk;
    KMS_ASSIGN_OR_RETURN(dk.blind_rotate_key, ToFourierBootstrapKey(bsk));
    dk.lwe_per_glwe = params.compression->lwe_per_glwe;
    sk.decompression_key = std::move(dk);
  }
  if (params.noise_squashing) {
    stage("noise-squashing key");
    const NoiseSquashingParameters& ns = *params.noise_squashing;
    KMS_ASSIGN_OR_RETURN(LweBootstrapKey<u128> bsk, GenerateNoiseSquashingBootstrapKey(ck, rng));
    PublishedNoiseSquashingKey nsk;
    KMS_ASSIGN_OR_RETURN(nsk.bsk, ToFourier128BootstrapKey(bsk));
    bsk = {};  // the standard-domain copy is ≈ 0.8 GB at the default parameters
    KMS_ASSIGN_OR_RETURN(
        nsk.modulus_switch_noise_reduction_key,
        MakeModulusSwitchConfiguration(ns.modulus_switch_noise_reduction_params, ck, rng));
    nsk.message_modulus = ns.message_modulus;
    nsk.carry_modulus = ns.carry_modulus;
    nsk.output_ciphertext_modulus = ns.ciphertext_modulus;
    sk.noise_squashing_key = std::move(nsk);
  }
  if (params.noise_squashing_compression) {
    stage("noise-squashing compression key");
    KMS_ASSIGN_OR_RETURN(sk.noise_squashing_compression_key,
                         GenerateNoiseSquashingCompressionKey(ck, rng));
  }
  if (params.re_randomization) {
    stage("re-randomization key");
    ReRandomizationKeySwitchingKey rr;
    rr.kind = ReRandomizationKeySwitchingKey::Kind::kDedicatedKSK;
    KMS_ASSIGN_OR_RETURN(
        rr.dedicated, CompactKeySwitch(ck, *params.re_randomization, "re-randomization KSK", rng));
    sk.cpk_re_randomization_key_switching_key_material = std::move(rr);
  }
  if (progress) progress("done", total, total);
  return ks;
}

}  // namespace

absl::StatusOr<Keyset> GenerateKeyset(const KeysetParameters& params, algebra::RandomSource& rng,
                                      const KeysetProgress& progress) {
  std::string current = "parameters";
  absl::StatusOr<Keyset> ks = GenerateKeysetStages(params, rng, progress, current);
  if (!ks.ok()) {
    return absl::Status(ks.status().code(),
                        Cat("GenerateKeyset, ", current, ": ", std::string(ks.status().message())));
  }
  return ks;
}

absl::StatusOr<ComputeKeys> LoadPublishedServerKey(const PublishedServerKey& key) {
  ComputeKeys out;
  ServerKey& sk = out.server_key;
  // Compute key: BSK first (it gives n and k·N), then the KSK against it.
  if (!key.ciphertext_modulus.is_native() || key.ciphertext_modulus.scalar_bits != 64) {
    return absl::UnimplementedError("PublishedServerKey.ciphertext_modulus: not native 64-bit");
  }
  {
    auto bsk = FromFourierBootstrapKey(key.bootstrapping_key);
    KMS_RETURN_IF_ERROR(InPart(bsk.status(), "bootstrapping_key"));
    auto fourier = FourierBootstrapKey64::Create(*bsk);
    KMS_RETURN_IF_ERROR(InPart(fourier.status(), "bootstrapping_key"));
    sk.bootstrapping_key = std::move(*fourier);
  }
  const uint64_t small = sk.small_lwe_dimension(), big = sk.big_lwe_dimension();
  KMS_RETURN_IF_ERROR(CheckKsk(key.key_switching_key, big, small, "key_switching_key"));
  sk.key_switching_key = key.key_switching_key;
  {
    auto drift = LoadModulusSwitch(key.modulus_switch_noise_reduction_key, small,
                                   "modulus_switch_noise_reduction_key", sk.modulus_switch);
    KMS_RETURN_IF_ERROR(drift.status());
    sk.drift_key = std::move(*drift);
  }
  const uint64_t cs = key.message_modulus * key.carry_modulus;
  if (!internal::IsPowerOfTwo(key.message_modulus) || !internal::IsPowerOfTwo(key.carry_modulus) ||
      key.message_modulus < 2 || cs > sk.bootstrapping_key.polynomial_size() ||
      sk.bootstrapping_key.polynomial_size() % cs != 0) {
    return Invalid("message_modulus", Cat("message ", key.message_modulus, " x carry ",
                                          key.carry_modulus, " must be powers of two dividing N"));
  }
  if (key.max_degree == 0 || key.max_degree >= cs) {
    return Invalid("max_degree", Cat(key.max_degree, " is outside [1, ", cs, ")"));
  }
  if (key.max_noise_level == 0) return Invalid("max_noise_level", "must be at least 1");
  sk.pbs_order = key.pbs_order;
  sk.message_modulus = key.message_modulus;
  sk.carry_modulus = key.carry_modulus;
  sk.max_degree = key.max_degree;
  sk.max_noise_level = key.max_noise_level;

  if (key.cpk_key_switching_key_material) {
    KMS_ASSIGN_OR_RETURN(out.casting_key,
                         LoadKeySwitchingMaterial(*key.cpk_key_switching_key_material, small, big,
                                                  "cpk_key_switching_key_material"));
  }
  if (key.cpk_re_randomization_key_switching_key_material &&
      key.cpk_re_randomization_key_switching_key_material->kind ==
          ReRandomizationKeySwitchingKey::Kind::kDedicatedKSK) {
    KMS_ASSIGN_OR_RETURN(
        out.re_randomization_key,
        LoadKeySwitchingMaterial(key.cpk_re_randomization_key_switching_key_material->dedicated,
                                 small, big, "cpk_re_randomization_key_switching_key_material"));
    if (out.casting_key && out.casting_key->key_switching_key.input_lwe_dimension() !=
                               out.re_randomization_key->key_switching_key.input_lwe_dimension()) {
      return Invalid("cpk_re_randomization_key_switching_key_material",
                     "its input dimension differs from the casting key's (both are the compact "
                     "public key's)");
    }
  }

  if (key.cpk_re_randomization_derived_cpk) {
    // 1.7's DerivedCPKWithoutKeySwitch: a compact public key, used as published.
    out.re_randomization_cpk = *key.cpk_re_randomization_derived_cpk;
  }

  if (key.decompression_key && !key.compression_key) {
    return Invalid("decompression_key", "present without a compression_key");
  }
  if (key.compression_key) {
    const CompressionKey& c = *key.compression_key;
    KMS_RETURN_IF_ERROR(
        CheckPacking(c.packing_key_switching_key, big, c.lwe_per_glwe, "compression_key"));
    if (c.storage_log_modulus == 0 || c.storage_log_modulus > 64) {
      return Invalid("compression_key",
                     Cat("storage_log_modulus ", c.storage_log_modulus, " must be in [1, 64]"));
    }
    out.compression_key = c;
  }
  if (key.decompression_key) {
    const DecompressionKey& d = *key.decompression_key;
    const auto& pksk = key.compression_key->packing_key_switching_key;
    const uint64_t compressed = pksk.output_glwe_dimension() * pksk.output_polynomial_size;
    if (d.blind_rotate_key.input_lwe_dimension != compressed) {
      return Invalid("decompression_key", Cat("the blind-rotation input dimension is ",
                                              d.blind_rotate_key.input_lwe_dimension,
                                              ", the compression GLWE's is ", compressed));
    }
    if (d.blind_rotate_key.glwe_size != sk.bootstrapping_key.glwe_size() ||
        d.blind_rotate_key.polynomial_size != sk.bootstrapping_key.polynomial_size()) {
      return Invalid("decompression_key", "its output GLWE is not the compute key's");
    }
    if (d.modulus_switch_noise_reduction_key.kind != ModulusSwitchConfiguration::Kind::kStandard) {
      // 1.7 only; our decompression (decompression.h) switches Standard, as 1.4 does.
      return absl::UnimplementedError(
          "PublishedServerKey.decompression_key: only the Standard modulus switch is supported");
    }
    if (d.lwe_per_glwe != key.compression_key->lwe_per_glwe) {
      return Invalid("decompression_key",
                     Cat("lwe_per_glwe ", d.lwe_per_glwe, " differs from the compression key's ",
                         key.compression_key->lwe_per_glwe));
    }
    auto bsk = FromFourierBootstrapKey(d.blind_rotate_key);
    KMS_RETURN_IF_ERROR(InPart(bsk.status(), "decompression_key"));
    auto dk = MakeDecompressionKey(*bsk, d.lwe_per_glwe, key.tag);
    KMS_RETURN_IF_ERROR(InPart(dk.status(), "decompression_key"));
    out.decompression_key = std::move(*dk);
  }

  if (key.noise_squashing_compression_key && !key.noise_squashing_key) {
    return Invalid("noise_squashing_compression_key", "present without a noise_squashing_key");
  }
  if (key.noise_squashing_key) {
    const PublishedNoiseSquashingKey& n = *key.noise_squashing_key;
    if (n.bsk.input_lwe_dimension != small) {
      return Invalid("noise_squashing_key",
                     Cat("the BSK input dimension is ", n.bsk.input_lwe_dimension,
                         ", the small key's is ", small));
    }
    if (!n.output_ciphertext_modulus.is_native()) {
      return absl::UnimplementedError(
          "PublishedServerKey.noise_squashing_key: non-native output modulus");
    }
    NoiseSquashingParameters params;
    std::optional<DriftTechniqueKey> drift;
    {
      auto d = LoadModulusSwitch(n.modulus_switch_noise_reduction_key, small, "noise_squashing_key",
                                 params.modulus_switch_noise_reduction_params.kind);
      KMS_RETURN_IF_ERROR(d.status());
      drift = std::move(*d);
    }
    params.message_modulus = n.message_modulus;
    params.carry_modulus = n.carry_modulus;
    if (n.message_modulus != key.message_modulus || n.carry_modulus != key.carry_modulus) {
      return Invalid("noise_squashing_key", "its moduli differ from the compute key's");
    }
    auto bsk = FromFourier128BootstrapKey(n.bsk);
    KMS_RETURN_IF_ERROR(InPart(bsk.status(), "noise_squashing_key"));
    auto nsk = MakeNoiseSquashingKey(*bsk, params, std::move(drift));
    KMS_RETURN_IF_ERROR(InPart(nsk.status(), "noise_squashing_key"));
    out.noise_squashing_key = std::move(*nsk);
  }
  if (key.noise_squashing_compression_key) {
    const NoiseSquashingCompressionKey& c = *key.noise_squashing_compression_key;
    KMS_RETURN_IF_ERROR(CheckPacking(c.packing_key_switching_key,
                                     key.noise_squashing_key->bsk.output_lwe_dimension(),
                                     c.lwe_per_glwe, "noise_squashing_compression_key"));
    out.noise_squashing_compression_key = c;
  }
  return out;
}

}  // namespace kms::tfhe
