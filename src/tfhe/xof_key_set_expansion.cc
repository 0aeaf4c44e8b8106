#include "tfhe/xof_key_set_expansion.h"

#include <string>
#include <utility>

#include "common/status_macros.h"
#include "tfhe/codec_internal.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {
namespace {

// The expanded keyset's size, summed entity by entity before anything is expanded: each term
// is a stored length times a free u64 field, so it is bounded before it is added.
class SizeBudget {
 public:
  explicit SizeBudget(uint64_t limit) : limit_(limit) {}
  absl::Status Add(uint64_t stored, uint64_t expansion, uint64_t scalar_bytes, const char* what) {
    const u128 words = u128{stored} * expansion;
    if (words > limit_ / scalar_bytes || total_ + words * scalar_bytes > limit_) {
      return absl::InvalidArgumentError(internal::Cat(
          "the expanded keyset would exceed the ", limit_, "-byte size limit (at the ", what, ")"));
    }
    total_ += words * scalar_bytes;
    return absl::OkStatus();
  }

 private:
  uint64_t limit_;
  u128 total_ = 0;
};

absl::Status AddModulusSwitch(SizeBudget& budget, const CompressedModulusSwitchConfiguration& c,
                              const char* what) {
  if (c.kind != CompressedModulusSwitchConfiguration::Kind::kDriftTechnique) {
    return absl::OkStatus();
  }
  const SeededLweCiphertextList& z = c.drift.modulus_switch_zeros;
  return budget.Add(z.data.size(), z.lwe_size, 8, what);
}

absl::Status CheckBudget(const CompressedXofKeySet& keyset, uint64_t size_limit) {
  SizeBudget b(size_limit);
  const CompressedServerKey& sk = keyset.compressed_server_key;
  KMS_RETURN_IF_ERROR(b.Add(keyset.compressed_public_key.key.seeded_glwe_ciphertext.data.size(), 2,
                            8, "compact public key"));
  if (sk.compression_key) {
    const auto& p = sk.compression_key->packing_key_switching_key;
    KMS_RETURN_IF_ERROR(b.Add(p.data.size(), p.output_glwe_size, 8, "compression key"));
  }
  if (sk.decompression_key) {
    const auto& g = sk.decompression_key->blind_rotate_key.ggsw_list;
    KMS_RETURN_IF_ERROR(b.Add(g.data.size(), g.glwe_size, 8, "decompression key"));
    KMS_RETURN_IF_ERROR(AddModulusSwitch(b,
                                         sk.decompression_key->modulus_switch_noise_reduction_key,
                                         "decompression modulus-switch key"));
  }
  KMS_RETURN_IF_ERROR(b.Add(sk.key_switching_key.data.size(), sk.key_switching_key.output_lwe_size,
                            8, "key-switching key"));
  KMS_RETURN_IF_ERROR(b.Add(sk.bootstrapping_key.ggsw_list.data.size(),
                            sk.bootstrapping_key.ggsw_list.glwe_size, 8, "bootstrapping key"));
  KMS_RETURN_IF_ERROR(
      AddModulusSwitch(b, sk.modulus_switch_noise_reduction_key, "modulus-switch key"));
  if (sk.noise_squashing_key) {
    const auto& g = sk.noise_squashing_key->bsk.ggsw_list;
    KMS_RETURN_IF_ERROR(b.Add(g.data.size(), g.glwe_size, 16, "noise-squashing key"));
    KMS_RETURN_IF_ERROR(AddModulusSwitch(b,
                                         sk.noise_squashing_key->modulus_switch_noise_reduction_key,
                                         "noise-squashing modulus-switch key"));
  }
  if (sk.cpk_key_switching_key_material) {
    const auto& k = sk.cpk_key_switching_key_material->key_switching_key;
    KMS_RETURN_IF_ERROR(b.Add(k.data.size(), k.output_lwe_size, 8, "casting key"));
  }
  if (sk.cpk_re_randomization_key_switching_key_material &&
      sk.cpk_re_randomization_key_switching_key_material->kind ==
          CompressedReRandomizationKeySwitchingKey::Kind::kDedicatedKSK) {
    const auto& k = sk.cpk_re_randomization_key_switching_key_material->dedicated.key_switching_key;
    KMS_RETURN_IF_ERROR(b.Add(k.data.size(), k.output_lwe_size, 8, "re-randomization key"));
  }
  if (sk.cpk_re_randomization_derived_cpk) {
    KMS_RETURN_IF_ERROR(
        b.Add(sk.cpk_re_randomization_derived_cpk->key.seeded_glwe_ciphertext.data.size(), 2, 8,
              "derived re-randomization key"));
  }
  if (sk.noise_squashing_compression_key) {
    const auto& p = sk.noise_squashing_compression_key->packing_key_switching_key;
    KMS_RETURN_IF_ERROR(
        b.Add(p.data.size(), p.output_glwe_size, 16, "noise-squashing compression key"));
  }
  if (sk.oprf_bootstrapping_key) {
    const auto& g = sk.oprf_bootstrapping_key->ggsw_list;
    KMS_RETURN_IF_ERROR(b.Add(g.data.size(), g.glwe_size, 8, "OPRF key"));
  }
  return absl::OkStatus();
}

// CompressedModulusSwitchConfiguration::decompress_with_pre_seeded_generator: only the drift
// technique's zeros (encryptions of zero under the small key) draw masks.
absl::StatusOr<ModulusSwitchConfiguration> ExpandModulusSwitch(
    const CompressedModulusSwitchConfiguration& c, uint64_t small_lwe_dimension, MaskStream& masks,
    const char* what, const char* key_name = "small key") {
  ModulusSwitchConfiguration out;
  switch (c.kind) {
    case CompressedModulusSwitchConfiguration::Kind::kStandard:
      out.kind = ModulusSwitchConfiguration::Kind::kStandard;
      return out;
    case CompressedModulusSwitchConfiguration::Kind::kCenteredMean:
      out.kind = ModulusSwitchConfiguration::Kind::kCenteredMean;
      return out;
    case CompressedModulusSwitchConfiguration::Kind::kDriftTechnique:
      break;
  }
  const SeededLweCiphertextList& z = c.drift.modulus_switch_zeros;
  if (z.lwe_size != small_lwe_dimension + 1) {
    return absl::InvalidArgumentError(std::string(what) +
                                      ": the drift zeros are not LWEs under the " + key_name);
  }
  out.kind = ModulusSwitchConfiguration::Kind::kDriftTechnique;
  KMS_ASSIGN_OR_RETURN(out.modulus_switch_zeros.data, DecompressLweCiphertextList(z, masks));
  out.modulus_switch_zeros.lwe_size = z.lwe_size;
  out.modulus_switch_zeros.modulus = z.modulus;
  out.ms_bound = c.drift.ms_bound;
  out.ms_r_sigma_factor = c.drift.ms_r_sigma_factor;
  out.ms_input_variance = c.drift.ms_input_variance;
  return out;
}

absl::StatusOr<KeySwitchingKeyMaterial> ExpandKeySwitchingKeyMaterial(
    const CompressedKeySwitchingKeyMaterial& m, MaskStream& masks) {
  KeySwitchingKeyMaterial out;
  KMS_ASSIGN_OR_RETURN(out.key_switching_key,
                       DecompressKeySwitchingKey(m.key_switching_key, masks));
  out.cast_rshift = m.cast_rshift;
  out.destination_key = m.destination_key;
  return out;
}

}  // namespace

absl::StatusOr<ExpandedXofKeySet> ExpandCompressedXofKeySet(const CompressedXofKeySet& keyset,
                                                            uint64_t size_limit) {
  KMS_RETURN_IF_ERROR(CheckBudget(keyset, size_limit));
  const CompressedServerKey& sk = keyset.compressed_server_key;
  const bool v17 = keyset.format == TfheFormat::kTfhe17;
  MaskStream masks = v17 ? MaskStream::FromXofSeedStart(keyset.seed, keyset.first_byte())
                         : MaskStream::FromXofSeed(keyset.seed);
  ExpandedXofKeySet out;

  // 1. The compact public key (1.4 gives it Tag::default(), 1.7 the server key's).
  KMS_ASSIGN_OR_RETURN(out.public_key,
                       DecompressCompactPublicKey(keyset.compressed_public_key, masks));
  out.public_key.tag.clear();
  if (v17) out.public_key.tag = sk.tag;

  // 2–3. Compression and decompression keys.
  if (sk.compression_key) {
    CompressionKey k;
    KMS_ASSIGN_OR_RETURN(
        k.packing_key_switching_key,
        DecompressPackingKeySwitchingKey(sk.compression_key->packing_key_switching_key, masks));
    k.lwe_per_glwe = sk.compression_key->lwe_per_glwe;
    k.storage_log_modulus = sk.compression_key->storage_log_modulus;
    out.compression_key = std::move(k);
  }
  if (sk.decompression_key) {
    ExpandedXofKeySet::Decompression d;
    KMS_ASSIGN_OR_RETURN(d.blind_rotate_key,
                         DecompressBootstrapKey(sk.decompression_key->blind_rotate_key, masks));
    // 1.7: the modulus-switch configuration right after its BSK (Standard in 1.4 forms).
    KMS_ASSIGN_OR_RETURN(
        d.modulus_switch_noise_reduction_key,
        ExpandModulusSwitch(sk.decompression_key->modulus_switch_noise_reduction_key,
                            d.blind_rotate_key.input_lwe_dimension(), masks, "decompression_key",
                            "blind-rotation input key"));
    d.lwe_per_glwe = sk.decompression_key->lwe_per_glwe;
    out.decompression_key = std::move(d);
  }

  // 4–6. The compute key-switching key, bootstrapping key and its modulus-switch key.
  KMS_ASSIGN_OR_RETURN(out.key_switching_key,
                       DecompressKeySwitchingKey(sk.key_switching_key, masks));
  KMS_ASSIGN_OR_RETURN(out.bootstrapping_key, DecompressBootstrapKey(sk.bootstrapping_key, masks));
  const uint64_t small = out.bootstrapping_key.input_lwe_dimension();
  const uint64_t big =
      (out.bootstrapping_key.glwe_size - 1) * out.bootstrapping_key.polynomial_size;
  if (out.key_switching_key.input_lwe_dimension() != big ||
      out.key_switching_key.output_lwe_size != small + 1) {
    return absl::InvalidArgumentError(
        "compressed_server_key: the compute KSK and BSK dimensions do not chain");
  }
  KMS_ASSIGN_OR_RETURN(out.modulus_switch_noise_reduction_key,
                       ExpandModulusSwitch(sk.modulus_switch_noise_reduction_key, small, masks,
                                           "modulus_switch_noise_reduction_key"));
  out.pbs_order = sk.pbs_order;
  out.message_modulus = sk.message_modulus;
  out.carry_modulus = sk.carry_modulus;
  out.max_degree = sk.max_degree;
  out.max_noise_level = sk.max_noise_level;

  // 7–8. Noise squashing: its BSK, then its modulus-switch key (zeros under the small key).
  if (sk.noise_squashing_key) {
    const CompressedNoiseSquashingKey& c = *sk.noise_squashing_key;
    ExpandedXofKeySet::NoiseSquashing n;
    KMS_ASSIGN_OR_RETURN(n.bsk, DecompressBootstrapKey(c.bsk, masks));
    KMS_ASSIGN_OR_RETURN(n.modulus_switch_noise_reduction_key,
                         ExpandModulusSwitch(c.modulus_switch_noise_reduction_key, small, masks,
                                             "noise_squashing_key"));
    n.message_modulus = c.message_modulus;
    n.carry_modulus = c.carry_modulus;
    n.output_ciphertext_modulus = c.output_ciphertext_modulus;
    out.noise_squashing_key = std::move(n);
  }

  // 9–10. The casting key, then the re-randomization key (a dedicated KSK or a derived CPK).
  if (sk.cpk_key_switching_key_material) {
    KMS_ASSIGN_OR_RETURN(out.cpk_key_switching_key_material,
                         ExpandKeySwitchingKeyMaterial(*sk.cpk_key_switching_key_material, masks));
  }
  if (sk.cpk_re_randomization_key_switching_key_material) {
    const CompressedReRandomizationKeySwitchingKey& c =
        *sk.cpk_re_randomization_key_switching_key_material;
    ReRandomizationKeySwitchingKey r;
    if (c.kind == CompressedReRandomizationKeySwitchingKey::Kind::kDedicatedKSK) {
      r.kind = ReRandomizationKeySwitchingKey::Kind::kDedicatedKSK;
      KMS_ASSIGN_OR_RETURN(r.dedicated, ExpandKeySwitchingKeyMaterial(c.dedicated, masks));
    } else {
      r.kind = ReRandomizationKeySwitchingKey::Kind::kUseCPKEncryptionKSK;
    }
    out.cpk_re_randomization_key_switching_key_material = std::move(r);
  }
  if (sk.cpk_re_randomization_derived_cpk) {
    // 1.7's DerivedCPKWithoutKeySwitch: an integer key, no tag.
    KMS_ASSIGN_OR_RETURN(out.cpk_re_randomization_derived_cpk,
                         DecompressCompactPublicKey(*sk.cpk_re_randomization_derived_cpk, masks));
    out.cpk_re_randomization_derived_cpk->tag.clear();
  }

  // 11. The noise-squashing compression key.
  if (sk.noise_squashing_compression_key) {
    NoiseSquashingCompressionKey k;
    KMS_ASSIGN_OR_RETURN(k.packing_key_switching_key,
                         DecompressPackingKeySwitchingKey(
                             sk.noise_squashing_compression_key->packing_key_switching_key, masks));
    k.lwe_per_glwe = sk.noise_squashing_compression_key->lwe_per_glwe;
    out.noise_squashing_compression_key = std::move(k);
  }

  // 12. The OPRF bootstrapping key (1.7).
  if (sk.oprf_bootstrapping_key) {
    KMS_ASSIGN_OR_RETURN(out.oprf_bootstrapping_key,
                         DecompressBootstrapKey(*sk.oprf_bootstrapping_key, masks));
  }
  return out;
}

}  // namespace kms::tfhe
