// File: tfhe/xof_key_set_expansion.h
//
// `CompressedXofKeySet::decompress()`: every mask of the keyset's compact public key and server
// key is regenerated from ONE generator over the keyset's XofSeed (SeedKind::Xof: CBC-MAC key
// c_3, counter offset c_2), and the per-entity compression_seeds are ignored. Two generators:
//   V0 (tfhe-rs 1.4.0-alpha.3, tfhe/src/high_level_api/xof_key_set.rs): tfhe-csprng 0.7.0's
//      `MaskRandomGenerator::new(self.seed)`, first byte 1, c_2 lost at the first fork
//      (mask_regeneration.h).
//   V1 (tfhe-rs 1.7.0, high_level_api/xof_key_set/mod.rs `expand`: `MaskRandomGenerator::new(
//      self.seed.clone())` over the XofSeedStart's AesCtrParams): tfhe-csprng 0.9.2 (the version
//      tfhe/Cargo.toml pins at that tag), first byte 0 (FirstByte) or 1 (SecondByte), c_2 kept
//      across every fork (MaskStream::FromXofSeedStart).
// The entities take the stream in this order, the same in both (1.4's `decompress` body; 1.7's
// internal.rs `CompressedServerKey::decompress_with_pre_seeded_generator`, each
// `*_with_pre_seeded_generator` call):
//
//    1. compact public key               n̂ words, no fork (1.7: seeded_lwe_compact_public_key_
//                                         decompression.rs → the seeded GLWE one)
//    2. compression key (packing KSK)     per (i, level), k·N words, no fork
//    3. decompression key (BSK u64)       forks per GGSW / level / row; in 1.7 then its
//                                         modulus-switch configuration (ShortintCompressed
//                                         BootstrappingKey::Classic: bsk, then
//                                         modulus_switch_noise_reduction_key), zeros under the
//                                         BSK's input key; 1.7's generate writes Standard,
//                                         which draws nothing
//    4. compute KSK                       one fork of n_in·L entries
//    5. compute BSK                       forks per GGSW / level / row
//    6. compute modulus-switch key        drift technique: one fork of the zeros; Standard and
//                                         CenteredMean draw nothing
//    7. noise-squashing BSK (u128)        forks per GGSW / level / row (16-byte elements)
//    8. noise-squashing modulus-switch key   as 6
//    9. CPK casting KSK                   one fork
//   10. re-randomization key              DedicatedKSK (1.7: LegacyDedicatedCPK{DedicatedKSK}):
//                                         one fork; UseCPKEncryptionKSK: nothing; 1.7's
//                                         DerivedCPKWithoutKeySwitch: a compact public key as 1
//   11. noise-squashing compression key (packing KSK u128)   no fork
//   12. OPRF BSK (1.7 only; CompressedOprfBootstrappingKey::Classic, decompress_bootstrap_key_
//       with_pre_seeded_generator)        forks per GGSW / level / row, no modulus-switch key
//
// Absent optional keys draw nothing. Per-entity orders and fork sizes are those of
// mask_regeneration.h (fork children sized by mask bytes only). Under V0 the first fork is the
// boundary of the XOF offset: the CPK and the compression key are read with c_2, everything
// from the first fork on without it. That first fork is the decompression key's (step 3) when
// the keyset has one, the compute KSK's (step 4) otherwise. Under V1 every byte has c_2.
//
// The result is in the standard (coefficient) domain; tfhe-rs then converts the bootstrapping
// keys to the Fourier domain (not done here). Tags: tfhe-rs 1.4 gives the expanded keys
// `Tag::default()`; 1.7's decompress sets the public key's tag to the server key's, so a V1
// expansion keeps it. The derived re-randomization key is an integer key and has no tag.
//
// Refused (InvalidArgument): an expanded keyset over safe_serialize's 2 GiB limit, summed over
// all entities before anything is expanded (the sizes come from free u64 fields such as
// output_lwe_size and glwe_size); shapes an entity cannot be indexed with (checked before that
// entity is allocated); a compute KSK and BSK that do not chain; drift zeros not under the key
// their BSK starts from; the forks tfhe-rs would panic on (zero children or zero bytes).
// Unimplemented: non-native moduli.
//
// Thread safety: a pure function.
#ifndef KMS_TFHE_XOF_KEY_SET_EXPANSION_H_
#define KMS_TFHE_XOF_KEY_SET_EXPANSION_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/compression.h"
#include "tfhe/mask_regeneration.h"
#include "tfhe/published_server_key.h"
#include "tfhe/xof_key_set.h"

namespace kms::tfhe {

// high_level_api::XofKeySet with every key in the standard domain.
struct ExpandedXofKeySet {
  CompactPublicKey public_key;  // empty tag

  // shortint ServerKey, Standard atomic pattern.
  LweKeyswitchKey key_switching_key;
  LweBootstrapKey<uint64_t> bootstrapping_key;
  ModulusSwitchConfiguration modulus_switch_noise_reduction_key;
  PBSOrder pbs_order = PBSOrder::kKeyswitchBootstrap;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  uint64_t max_degree = 0;
  uint64_t max_noise_level = 0;

  // shortint DecompressionKey before its Fourier conversion.
  struct Decompression {
    LweBootstrapKey<uint64_t> blind_rotate_key;
    ModulusSwitchConfiguration modulus_switch_noise_reduction_key;  // Standard unless 1.7 drift
    uint64_t lwe_per_glwe = 0;
    bool operator==(const Decompression&) const = default;
  };
  // shortint NoiseSquashingKey (Classic) before its Fourier128 conversion.
  struct NoiseSquashing {
    LweBootstrapKey<u128> bsk;
    ModulusSwitchConfiguration modulus_switch_noise_reduction_key;
    uint64_t message_modulus = 0;
    uint64_t carry_modulus = 0;
    CiphertextModulus output_ciphertext_modulus{0, 128};
    bool operator==(const NoiseSquashing&) const = default;
  };

  std::optional<KeySwitchingKeyMaterial> cpk_key_switching_key_material;
  std::optional<CompressionKey> compression_key;
  std::optional<Decompression> decompression_key;
  std::optional<NoiseSquashing> noise_squashing_key;
  std::optional<NoiseSquashingCompressionKey> noise_squashing_compression_key;
  std::optional<ReRandomizationKeySwitchingKey> cpk_re_randomization_key_switching_key_material;
  // 1.7 only: DerivedCPKWithoutKeySwitch (empty tag) and the OPRF bootstrapping key.
  std::optional<CompactPublicKey> cpk_re_randomization_derived_cpk;
  std::optional<LweBootstrapKey<uint64_t>> oprf_bootstrapping_key;

  bool operator==(const ExpandedXofKeySet&) const = default;
};

// InvalidArgument, before anything is allocated, when the expanded entities would exceed
// `size_limit` bytes in all (2 GiB: safe_serialize's limit).
absl::StatusOr<ExpandedXofKeySet> ExpandCompressedXofKeySet(
    const CompressedXofKeySet& keyset, uint64_t size_limit = kDefaultSizeLimit);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_XOF_KEY_SET_EXPANSION_H_
