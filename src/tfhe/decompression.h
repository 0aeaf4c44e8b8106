// File: tfhe/decompression.h
//
// Decompression of a SmallCompressed `CompressedCiphertextList` into compute-key radix blocks,
// as tfhe-rs 1.4.0-alpha.3's shortint `DecompressionKey::unpack` and the integer / hlapi `get`:
//
//   1. Block i is coefficient i mod lwe_per_glwe of GLWE i / lwe_per_glwe, sample-extracted at
//      the storage modulus (UnpackStorageLwe), under the compression GLWE key seen as an LWE key
//      (k_c·N_c), then scaled to 64 bits and rounded to 2N (BlindRotationInput; Standard switch,
//      no mean correction).
//   2. The decompression key's blind rotation (a BSK from the compression key as LWE to the
//      compute GLWE key, br_base_log / br_level of the CompressionParameters, noise of the
//      compute GLWE) rotates a trivial accumulator holding tfhe-rs's table
//      `generate_lookup_table_with_output_encoding`: input encoding message·carry / message =
//      carry cleartexts (the compression multiplied every block by message) and carry 1, i.e.
//      boxes of N / carry; output encoding the list's message and carry, Δ = 2^63 / (message·
//      carry); the identity. Then coefficient 0 is extracted: an LWE (k·N) under the compute GLWE
//      key, which holds the original message at the standard encoding.
//   3. The block gets the table's degree (carry − 1), noise level NOMINAL (1), the list's moduli
//      and atomic pattern.
//   4. Value `index` is the blocks of info[index] (block counts of the preceding entries
//      summed); an FheUint / FheBool gets the server key's tag (hlapi `get_using_key` sets the
//      tag of the key, not of the list) and the list's re-randomization metadata of that value;
//      an FheBool's block gets degree 1 (hlapi's Expandable for FheBool).
//
// Refused (InvalidArgument): an index out of range, a list without meta, message ≠ carry
// (tfhe-rs refuses it), a key whose input dimension is not the list's k·N or whose output is
// not a GLWE of the table's size, the wrong kind. Unimplemented: a non-native modulus.
//
// Key generation (ours, tests and benchmarks): GGSWs over the compute GLWE key, one per bit of
// the compression key, TUniform noise of the compute GLWE; the products A·S are exact (the
// 128-bit NTT reduced to 64 bits).
//
// Thread safety: keys are immutable; calls may run concurrently.
#ifndef KMS_TFHE_DECOMPRESSION_H_
#define KMS_TFHE_DECOMPRESSION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "tfhe/bootstrap.h"
#include "tfhe/ciphertext.h"
#include "tfhe/client_key.h"
#include "tfhe/compressed_ciphertext_list.h"
#include "tfhe/compressed_server_key.h"
#include "tfhe/mask_regeneration.h"

namespace kms::tfhe {

// shortint DecompressionKey with its BSK in the Fourier domain (converted once).
struct DecompressionKey64 {
  FourierBootstrapKey64 blind_rotate_key;
  uint64_t lwe_per_glwe = 0;
  std::vector<uint8_t> tag;  // the server key's tag, given to unpacked values
};

// From a standard-domain BSK. InvalidArgument for an inconsistent key or lwe_per_glwe 0.
absl::StatusOr<DecompressionKey64> MakeDecompressionKey(const LweBootstrapKey<uint64_t>& bsk,
                                                        uint64_t lwe_per_glwe,
                                                        std::vector<uint8_t> tag = {});

// The CompressedServerKey's decompression key: masks regenerated (mask_regeneration.h), BSK
// converted, the key's tag. InvalidArgument when the key has none.
absl::StatusOr<DecompressionKey64> DecompressDecompressionKey(const CompressedServerKey& key);

// Our decompression BSK (standard domain) from the client key's compression secret (as LWE) to
// its compute GLWE key. InvalidArgument without a compression secret; Unimplemented for
// non-TUniform noise.
absl::StatusOr<LweBootstrapKey<uint64_t>> GenerateDecompressionBootstrapKey(
    const ClientKey& key, algebra::RandomSource& rng);
absl::StatusOr<DecompressionKey64> GenerateDecompressionKey(const ClientKey& key,
                                                            algebra::RandomSource& rng);

// The decompression table over N coefficients for a list of the given moduli (step 2).
// REQUIRES: carry_modulus divides N; message·carry ≤ 2^63.
LookupTable<uint64_t> DecompressionLookupTable(size_t polynomial_size, uint64_t message_modulus,
                                               uint64_t carry_modulus);

// Block `block_index` of the list (steps 1–3).
absl::StatusOr<ShortintCiphertext> UnpackBlock(const CompressedCiphertextList& list,
                                               uint64_t block_index, const DecompressionKey64& key);

// Value `index` (`info[index]`): Unsigned as an FheUint, Boolean as an FheBool.
absl::StatusOr<FheUint> UnpackFheUint(const CompressedCiphertextList& list, uint64_t index,
                                      const DecompressionKey64& key);
absl::StatusOr<FheBool> UnpackFheBool(const CompressedCiphertextList& list, uint64_t index,
                                      const DecompressionKey64& key);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_DECOMPRESSION_H_
