// File: tfhe/noise_squashing.h
//
// Switch-and-squash's noise squashing (tfhe-rs 1.4.0-alpha.3 shortint
// `NoiseSquashingKey::unchecked_squash_ciphertext_noise`, Classic bootstrapping key): a 64-bit
// shortint block is key-switched to the small key (KeyswitchBootstrap order), modulus-switched
// to 2·N_sq (Standard or CenteredMean), blind-rotated with the 128-bit bootstrapping key and an
// identity table over message·carry cleartexts with Δ_128 = 2^127 / (message·carry) (2^123 for
// the KMS parameters), and sample-extracted into an LWE(k_sq·N_sq) over Z_2^128 under the
// noise-squashing GLWE key seen as an LWE key. The 128-bit products are exact (tfhe/ntt128.h),
// so the output noise is the blind rotation's key noise only.
//
// Packed blocks (interop-tfhe.md §3.10) hold block_{2j} + message·block_{2j+1}: PackBlocks
// forms that 64-bit sum (degree d_{2j} + message·d_{2j+1}, which needs the carry space), which
// then squashes like one block.
//
// Key generation (ours): the noise-squashing GLWE secret is uniform binary (k_sq·N_sq bits);
// the bootstrapping key has one GGSW per small-LWE key bit s_i: for level ℓ = L…1 and row
// r = 0…k, a GLWE encryption (uniform mask, TUniform noise of the SnS parameters) of
// −s_i·2^(128−βℓ)·S_r for r < k and s_i·2^(128−βℓ) for r = k, in mask_regeneration.h's layout.
//
// Secrets: private keys zero themselves; keep `rng` cryptographic outside tests.
#ifndef KMS_TFHE_NOISE_SQUASHING_H_
#define KMS_TFHE_NOISE_SQUASHING_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "tfhe/bootstrap.h"
#include "tfhe/client_key.h"
#include "tfhe/server_key.h"
#include "tfhe/squashed_noise.h"

namespace kms::tfhe {

// kms v0.12.8 BC_PARAMS_SNS's noise squashing (k 2, N 2048, TUniform(30), 24/3, CenteredMean,
// 4/4) and PARAMS_TEST_BK_SNS's (k 1, N 256, TUniform(0), 33/2, DriftTechnique{8 zeros,
// ms_bound 2^58, r·σ 9.2, input variance 2.182718682903484e-224}, 4/4).
NoiseSquashingParameters KmsDefaultNoiseSquashingParameters();
NoiseSquashingParameters KmsTestNoiseSquashingParameters();

// A fresh noise-squashing private key (uniform binary GLWE secret).
ClientKey::NoiseSquashingPrivateKey GenerateNoiseSquashingPrivateKey(
    const NoiseSquashingParameters& params, algebra::RandomSource& rng);

// The standard-domain 128-bit bootstrapping key from the client key's small LWE key to its
// noise-squashing key. InvalidArgument without a noise-squashing key; Unimplemented for
// Gaussian noise.
absl::StatusOr<LweBootstrapKey<unsigned __int128>> GenerateNoiseSquashingBootstrapKey(
    const ClientKey& key, algebra::RandomSource& rng);

struct NoiseSquashingKey {
  NttBootstrapKey128 bootstrapping_key;
  ModulusSwitchType::Kind modulus_switch = ModulusSwitchType::Kind::kStandard;
  std::optional<DriftTechniqueKey> drift_key;  // DriftTechnique only
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
};
// `drift_key` is required (encryptions of zero under the small key) when the parameters use
// the drift technique.
absl::StatusOr<NoiseSquashingKey> MakeNoiseSquashingKey(
    const LweBootstrapKey<unsigned __int128>& bsk, const NoiseSquashingParameters& params,
    std::optional<DriftTechniqueKey> drift_key = std::nullopt);

// Squashes one block (its degree must be < message·carry of the squashing key).
absl::StatusOr<SquashedNoiseCiphertext> SquashNoise(const ServerKey& server_key,
                                                    const NoiseSquashingKey& key,
                                                    const ShortintCiphertext& block);

// lo + message·hi as one 64-bit block (tfhe-rs `pack_block_chunk`): FailedPrecondition unless
// both carries are empty (degree < message) and carry ≥ message; noise levels combine as
// message·hi + lo.
absl::StatusOr<ShortintCiphertext> PackBlocks(const ShortintCiphertext& lo,
                                              const ShortintCiphertext& hi);

// integer SquashedNoiseRadixCiphertext: blocks packed by two (the last alone when the count is
// odd), each squashed (tfhe-rs `squash_radix_ciphertext_noise`); state Normal, empty tag.
absl::StatusOr<SquashedNoiseFheUint> SquashFheUint(const ServerKey& server_key,
                                                   const NoiseSquashingKey& key, const FheUint& ct);
// Decryption of the results: squashed_noise.h (DecryptSquashedNoiseBlock / FheUint).

}  // namespace kms::tfhe

#endif  // KMS_TFHE_NOISE_SQUASHING_H_
