// File: tfhe/key_generation.h
//
// Our own tfhe-rs keys, serialized in the 1.4.0-alpha.3 format: a ClientKey (compute GLWE and
// LWE keys plus the dedicated compact-public-key secret) and its CompactPublicKey, generated as
// tfhe-rs does it (`ClientKey::generate`, `CompactPublicKey::new`):
//
//   * every secret is uniform binary, one 0/1 word per bit (GLWE key k·N, LWE key n, compact
//     secret n̂);
//   * the CPK is a = uniform (n̂ words), b = a ⊛ rev(s) + e, the semi-reverse negacyclic
//     convolution of tfhe-rs's slice_semi_reverse_negacyclic_convolution, e TUniform with the
//     CPK parameters' bound (interop-tfhe.md §3.2). The mask comes from `rng` directly, not from
//     a seed: a CompressedCompactPublicKey is not produced here.
//
// The parameter profiles are those node-tfhe can be configured with (golden README,
// interop-tfhe-1.4.md §2.3), so that node-tfhe loads our CPK conformantly:
//   * KmsTestKeyParameters: `Shortint.new_parameters(1, 1, 256, tu(0), tu(0), 24, 1, 37, 1, 4, 4,
//     5, -64, 64, Big)` and `new_parameters(512, tu(0), 4, 4, 64, 37, 1, Small)` (the dimensions
//     of kms PARAMS_TEST_BK_SNS; Standard modulus switch and ZkNotSupported as JS imposes);
//   * KmsDefaultKeyParameters: V1_4_PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128 and
//     V1_4_PARAM_PKE_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128 (JS #0 and #11) with the 4/4 Small
//     casting key: kms v0.12.8 BC_PARAMS_SNS without compression and noise squashing.
//
// Secret: the ClientKey zeroes itself; `rng` must be a cryptographic source (crypto::AesCtrRng)
// outside tests.
#ifndef KMS_TFHE_KEY_GENERATION_H_
#define KMS_TFHE_KEY_GENERATION_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "tfhe/client_key.h"
#include "tfhe/compact_public_key.h"

namespace kms::tfhe {

struct KeyParameters {
  ClassicPBSParameters compute;
  CompactPublicKeyEncryptionParameters compact_public_key;
  ShortintKeySwitchingParameters casting;  // the CPK → compute key-switching parameters
};
KeyParameters KmsTestKeyParameters();
KeyParameters KmsDefaultKeyParameters();

// A fresh ClientKey with a dedicated compact secret and no optional secret, empty tag.
// InvalidArgument for parameters a ClientKey cannot hold (SerializeClientKey's checks).
absl::StatusOr<ClientKey> GenerateClientKey(const KeyParameters& params,
                                            algebra::RandomSource& rng);

// The CompactPublicKey of the key's dedicated compact secret, empty tag. InvalidArgument
// without one; Unimplemented for Gaussian noise or a non-native modulus.
absl::StatusOr<CompactPublicKey> GenerateCompactPublicKey(const ClientKey& key,
                                                          algebra::RandomSource& rng);

// out = a ⊛ rev(s) in Z_2^64[X]/(X^n + 1): out_i = Σ_{j<=i} a_j·s_{n−1−(i−j)} −
// Σ_{j>i} a_j·s_{j−i−1} (X^j·X^(n−1−k) wraps past X^n with a minus sign). REQUIRES: equal
// sizes.
void SemiReverseNegacyclicConvolution(std::span<uint64_t> out, std::span<const uint64_t> a,
                                      std::span<const uint64_t> s);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_KEY_GENERATION_H_
