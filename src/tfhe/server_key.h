// File: tfhe/server_key.h
//
// The shortint / integer compute layer over a decompressed tfhe-rs server key: the Standard
// atomic pattern's key switching and programmable bootstrapping (KS-PBS), lookup tables, and
// enough radix arithmetic to use a server key (block-wise addition and carry propagation).
//
//   * ServerKey: the compute LweKeyswitchKey (big k·N → small n) and the Fourier-domain BSK
//     (small → GLWE), the modulus-switch configuration, the PBS order and the moduli, from a
//     CompressedServerKey (masks regenerated, BSK converted once).
//   * ApplyLookupTable (tfhe-rs `apply_lookup_table_assign`): KeyswitchBootstrap order →
//     key switch to the small key, bootstrap back to the big key; BootstrapKeyswitch → the
//     reverse. The block's degree becomes the table's, its noise level NOMINAL (1).
//   * UncheckedAdd: LWE sum, degrees and noise levels add (tfhe-rs `unchecked_add_assign`).
//   * AddFheUint: block-wise add, then FullPropagate: block by block, the carry
//     (x / message) is extracted by one PBS and the message (x mod message) by another, and the
//     carry is added into the next block (tfhe-rs's sequential full propagation); the last
//     block's carry is dropped (wrapping addition).
//
// Thread safety: a ServerKey is immutable; calls on distinct ciphertexts may run concurrently.
#ifndef KMS_TFHE_SERVER_KEY_H_
#define KMS_TFHE_SERVER_KEY_H_

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "tfhe/bootstrap.h"
#include "tfhe/ciphertext.h"
#include "tfhe/compressed_server_key.h"
#include "tfhe/mask_regeneration.h"

namespace kms::tfhe {

struct ServerKey {
  LweKeyswitchKey key_switching_key;
  FourierBootstrapKey64 bootstrapping_key;
  ModulusSwitchType::Kind modulus_switch = ModulusSwitchType::Kind::kStandard;
  std::optional<DriftTechniqueKey> drift_key;  // DriftTechnique only
  PBSOrder pbs_order = PBSOrder::kKeyswitchBootstrap;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  uint64_t max_degree = 0;
  uint64_t max_noise_level = 0;

  size_t small_lwe_dimension() const { return bootstrapping_key.input_lwe_dimension(); }
  size_t big_lwe_dimension() const { return bootstrapping_key.output_lwe_dimension(); }
};

// Regenerates the compute KSK and BSK masks (and the drift technique's encryptions of zero:
// per ciphertext n mask words from its seed's stream, in order) and converts the BSK to the
// Fourier domain. Optional parts (casting, compression, noise squashing) are not decompressed.
absl::StatusOr<ServerKey> DecompressServerKey(const CompressedServerKey& key);

// Fresh encryptions of zero under an LWE key (uniform mask, TUniform noise): the drift
// technique's key. Unimplemented for Gaussian noise.
absl::StatusOr<DriftTechniqueKey> GenerateDriftTechniqueKey(
    std::span<const uint64_t> lwe_key, const DynamicDistribution& noise,
    const ModulusSwitchNoiseReductionParams& params, algebra::RandomSource& rng);

// A table over the key's message·carry cleartexts (tfhe-rs `generate_lookup_table`).
LookupTable<uint64_t> GenerateLookupTable(const ServerKey& key,
                                          const std::function<uint64_t(uint64_t)>& f);

// The block after key switching to the small key (KeyswitchBootstrap order): the input of the
// blind rotation and of noise squashing. InvalidArgument on a dimension mismatch.
absl::StatusOr<std::vector<uint64_t>> KeyswitchToSmall(const ServerKey& key,
                                                       const ShortintCiphertext& block);

absl::Status ApplyLookupTable(const ServerKey& key, ShortintCiphertext& block,
                              const LookupTable<uint64_t>& lut);

// lhs += rhs. InvalidArgument on mismatched shapes or moduli.
absl::Status UncheckedAdd(ShortintCiphertext& lhs, const ShortintCiphertext& rhs);

// Carry propagation of every block, from the least significant.
absl::Status FullPropagate(const ServerKey& key, FheUint& ct);

// a + b mod 2^(blocks·log2 message), carries propagated. FailedPrecondition when a block sum
// would exceed the key's max degree or max noise level.
absl::StatusOr<FheUint> AddFheUint(const ServerKey& key, const FheUint& a, const FheUint& b);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_SERVER_KEY_H_
