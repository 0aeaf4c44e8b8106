// File: tfhe/compressed_conformance.h
//
// Conformance (tfhe-rs's ParameterSetConformant, as tfhe/conformance.h) of the 128-bit and
// compressed ciphertexts with a parameter set, on top of their structural checks:
//   * SquashedNoiseFheUint / Bool: the noise-squashing parameters' LWE dimension (k·N), modulus,
//     message and carry moduli, degree at most message·carry − 1; an FheUint's block count;
//   * CompressedSquashedNoiseCiphertextList: every GLWE of the noise-squashing compression
//     parameters' dimension, polynomial size and modulus, log_modulus = the modulus' bits (no
//     reduction), lwe_per_glwe, message and carry moduli;
//   * CompressedCiphertextList: every GLWE of the compression parameters' packing dimension and
//     polynomial size, log_modulus = storage_log_modulus, the PBS parameters' modulus; the
//     metadata's lwe_per_glwe, moduli and atomic pattern (Standard, the PBS order of the
//     parameters' encryption key choice).
// Each returns OK or InvalidArgument "not conformant with the parameter set: <field> ...".
#ifndef KMS_TFHE_COMPRESSED_CONFORMANCE_H_
#define KMS_TFHE_COMPRESSED_CONFORMANCE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "tfhe/compressed_ciphertext_list.h"
#include "tfhe/parameters.h"
#include "tfhe/squashed_noise.h"

namespace kms::tfhe {

[[nodiscard]] absl::Status CheckConformance(const SquashedNoiseFheUint& ct,
                                            const NoiseSquashingParameters& params,
                                            size_t block_count);
[[nodiscard]] absl::Status CheckConformance(const SquashedNoiseFheBool& ct,
                                            const NoiseSquashingParameters& params);
[[nodiscard]] absl::Status CheckConformance(const CompressedSquashedNoiseCiphertextList& list,
                                            const NoiseSquashingCompressionParameters& params);
[[nodiscard]] absl::Status CheckConformance(const CompressedCiphertextList& list,
                                            const CompressionParameters& params,
                                            const ClassicPBSParameters& pbs);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_COMPRESSED_CONFORMANCE_H_
