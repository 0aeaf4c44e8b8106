// File: tfhe/conformance.h
//
// Conformance of parsed objects with a parameter set: the checks tfhe-rs's
// `safe_deserialize_conformant` / `ParameterSetConformant` add to plain deserialization, on top
// of the structural checks every Parse* already does. Each returns OK or InvalidArgument naming
// the first field that does not conform ("not conformant with the parameter set: ...").
//
// The parameter sets come from a ClientKey (its PBS parameters, its dedicated compact-key
// parameters) or from the caller's own constants. Tags are never compared.
#ifndef KMS_TFHE_CONFORMANCE_H_
#define KMS_TFHE_CONFORMANCE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "tfhe/ciphertext.h"
#include "tfhe/client_key.h"
#include "tfhe/compact_ciphertext_list.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/compressed_server_key.h"
#include "tfhe/parameters.h"

namespace kms::tfhe {

// A compact public key's parameters equal `expected` field for field (interop-tfhe.md §0.5).
[[nodiscard]] absl::Status CheckConformance(const CompactPublicKeyEncryptionParameters& actual,
                                            const CompactPublicKeyEncryptionParameters& expected);

// An FheUint of `block_count` blocks made under `params` (the encryption key's dimension for
// the blocks' PBS order, the parameters' moduli and atomic pattern, degree and noise level
// within the parameters' maxima: message·carry − 1 and max_noise_level).
[[nodiscard]] absl::Status CheckConformance(const FheUint& ct, const ClassicPBSParameters& params,
                                            size_t block_count);
[[nodiscard]] absl::Status CheckConformance(const FheBool& ct, const ClassicPBSParameters& params);

// A compact list encrypted under a compact public key with these parameters: dimension n̂,
// moduli, message and carry moduli, expansion kind.
[[nodiscard]] absl::Status CheckConformance(const CompactCiphertextList& list,
                                            const CompactPublicKeyEncryptionParameters& params);

// A compressed server key made for this client key: compute KSK and BSK decompositions and
// dimensions, message and carry moduli, max_noise_level; the casting KSK present exactly when
// the client key has a dedicated compact key, with its decomposition, destination and input
// dimension n̂; compression, decompression and noise-squashing keys present exactly when the
// matching secret is, with the decompositions and dimensions of its parameters.
[[nodiscard]] absl::Status CheckConformance(const CompressedServerKey& key,
                                            const ClientKey& client_key);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_CONFORMANCE_H_
