// File: tfhe/keyset.h
//
// The centralized keyset in the form kms v0.12.8 publishes it (interop-tfhe-1.4.md §1.6, §3.1):
// one entry point that draws every secret and makes every public key, and the way back from the
// published server key to the keys our compute functions run on.
//
//   * GenerateKeyset: the ClientKey (1.4 form: compute GLWE and LWE keys, the dedicated compact
//     secret with the casting parameters, the compression, noise-squashing and
//     noise-squashing-compression secrets, the re-randomization KSK parameters, empty tag), its
//     CompactPublicKey, and the uncompressed `high_level_api::ServerKey` (PublishedServerKey):
//       - compute KSK (GLWE key as LWE → small key, KS β/L, LWE noise), compute BSK (small →
//         GLWE, PBS β/L, GLWE noise) in the Fourier domain (tfhe/fourier_conversion.h), the
//         modulus-switch configuration of the parameters (DriftTechnique: encryptions of zero
//         under the small key), pbs_order KeyswitchBootstrap for Big encryption, max_degree 15
//         (kms's MaxDegree::from_msg_carry_modulus), max_noise_level of the parameters;
//       - casting KSK (compact secret → its destination key), cast_rshift 0;
//       - compression packing KSK (GLWE as LWE → compression GLWE) and decompression BSK
//         (compression GLWE as LWE → compute GLWE, br β/L), Fourier;
//       - noise-squashing BSK (small → SnS GLWE, 128-bit), Fourier128, its modulus-switch
//         configuration; SnS compression packing KSK (SnS GLWE as LWE → SnS compression GLWE);
//       - re-randomization DedicatedKSK (compact secret → GLWE key as LWE, Big), cast_rshift 0.
//     No OPRF key (1.4 has none). Noise: a KSK to the small key uses the LWE noise, to the big
//     key the GLWE noise; the other keys their own parameters' distribution.
//   * LoadPublishedServerKey: every part validated against the compute key's dimensions, then
//     the Fourier BSKs brought back to the standard domain (FromFourier*) and converted into our
//     computing forms (FourierBootstrapKey64, NttBootstrapKey128): what a KMS party or a
//     coprocessor tool runs on a published key.
//
// The parameter sets: KmsTestKeysetParameters is PARAMS_TEST_BK_SNS as node-tfhe can configure
// its compute and CPK parts (KmsTestKeyParameters: Standard modulus switch, ZkNotSupported), with
// its compression, noise squashing (DriftTechnique) and SnS compression, re-randomization 17/1
// Big; KmsDefaultKeysetParameters is BC_PARAMS_SNS, re-randomization 24/1 Big.
//
// Cost: see docs/tfhe.md (the test set in milliseconds; the default set ≈ 1.6 GB of public key,
// dominated by the 128-bit noise-squashing BSK). Secrets: the ClientKey zeroes itself; `rng`
// must be a cryptographic source (crypto::AesCtrRng) outside tests.
// Thread safety: stateless; the progress callback runs on the calling thread.
#ifndef KMS_TFHE_KEYSET_H_
#define KMS_TFHE_KEYSET_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "tfhe/client_key.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/compression.h"
#include "tfhe/decompression.h"
#include "tfhe/expansion.h"
#include "tfhe/key_generation.h"
#include "tfhe/noise_squashing.h"
#include "tfhe/published_server_key.h"
#include "tfhe/server_key.h"

namespace kms::tfhe {

struct KeysetParameters {
  KeyParameters keys;  // compute, compact public key, casting KSK
  // Optional parts; kms publishes all four.
  std::optional<CompressionParameters> compression;
  std::optional<NoiseSquashingParameters> noise_squashing;
  std::optional<NoiseSquashingCompressionParameters> noise_squashing_compression;  // needs SnS
  std::optional<ShortintKeySwitchingParameters> re_randomization;  // the DedicatedKSK
  uint64_t max_degree = 15;
};
KeysetParameters KmsTestKeysetParameters();
KeysetParameters KmsDefaultKeysetParameters();

// The consistency checks GenerateKeyset (and mpc's TFHE DKG) run first: Big encryption key
// choice, the CPK's and the noise squashing's moduli equal to the compute key's, max_degree in
// [1, message·carry), SnS compression only with SnS. InvalidArgument naming the rule.
absl::Status ValidateKeysetParameters(const KeysetParameters& params);

struct Keyset {
  ClientKey client_key;
  CompactPublicKey public_key;
  PublishedServerKey server_key;
};

// Stage name, stages done, stages in all (called before each stage and once at the end).
using KeysetProgress = std::function<void(std::string_view stage, int done, int total)>;

// InvalidArgument for inconsistent parameters; Unimplemented for Gaussian noise or a non-native
// modulus. Errors read "GenerateKeyset, <stage>: …".
absl::StatusOr<Keyset> GenerateKeyset(const KeysetParameters& params, algebra::RandomSource& rng,
                                      const KeysetProgress& progress = nullptr);

// The computing keys of a published server key. Absent optional parts stay absent.
struct ComputeKeys {
  ServerKey server_key;
  std::optional<CastingKey> casting_key;
  std::optional<CompressionKey> compression_key;
  std::optional<DecompressionKey64> decompression_key;
  std::optional<NoiseSquashingKey> noise_squashing_key;
  std::optional<NoiseSquashingCompressionKey> noise_squashing_compression_key;
  std::optional<CastingKey> re_randomization_key;  // DedicatedKSK only
  // tfhe-rs 1.7's derived re-randomization CPK, as published (kms v0.12.8 has none).
  std::optional<CompactPublicKey> re_randomization_cpk;
};

// InvalidArgument naming the part for any inconsistency (shapes that do not chain, bad
// decompositions, moduli, a drift configuration without zeros of the small key's size, a
// decompression key without its compression key, a SnS compression key without SnS key, a
// Fourier word that is not finite); Unimplemented for non-native moduli and a 1.7 decompression
// key with a modulus-switch configuration other than Standard. A 1.7 key loads too; its OPRF
// key is not loaded (no OPRF computation here).
absl::StatusOr<ComputeKeys> LoadPublishedServerKey(const PublishedServerKey& key);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_KEYSET_H_
