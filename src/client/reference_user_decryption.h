// File: client/reference_user_decryption.h
//
// The client side of user decryption in the reference system's v0.12.8 profile
// (interop-kms-client.md §2.4-2.5): how a plaintext is cut into the blocks whose shares the
// parties signcrypt, and how a wallet checks the parties' responses and reconstructs the
// plaintexts from them, as node-tkms' process_user_decryption_resp does.
//
// Blocks (§2.5): an integer type is cut into 4-bit blocks (packing_factor 2: message 2 bits +
// carry 2 bits), Bool into one block holding 0/1 (packing_factor 1). Block k sits at the phase
// Δ·d_k + noise, Δ = 2^123, and four consecutive blocks are packed into one element of
// GR(2^128, X^4+X+1): coefficient k of element j is block 4j+k. So a type of b bits takes
// ceil(ceil(b / (2 pf)) / 4) ring elements (euint64: 4, euint256: 16).
// Decoding a coefficient c: 0 if c > 2^128 - 1 - 2^123 (negative noise), otherwise
// ((c + 2^122) >> 123) mod 16; the value is sum_k d_k 2^(2 pf k), truncated to the type.
//
// Reconstruction (§2.4, verify = true): a response counts only if its payload parses, its key
// belongs to the server registered under its 1-based party_id, its external EIP-712 signature
// (v = 27/28, extraData empty) recovers that key, its party id is in 1..3·degree+1 and unique,
// and it agrees with the pivot (the most common (degree, digest, entry types, packing factors,
// handles), which at least t+1 responses share); the digest must equal the link of the request.
// Each entry is then unsigncrypted per response (a failure counts as a wrong share) and the
// shares are decoded with up to t errors (robust Gao decoding).
//
// Thread safety: stateless; every function may run concurrently.
#ifndef KMS_CLIENT_REFERENCE_USER_DECRYPTION_H_
#define KMS_CLIENT_REFERENCE_USER_DECRYPTION_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "algebra/galois_ring.h"
#include "common/bytes.h"
#include "crypto/eip712.h"
#include "crypto/reference_signcryption.h"
#include "crypto/reference_signed_results.h"
#include "crypto/secp256k1_signer.h"

namespace kms::client::reference {

inline constexpr int kBlockShift = 123;  // Δ = 2^123

// The packing factor the reference reports for a type: 1 for Bool, 2 otherwise.
uint32_t PackingFactor(int32_t fhe_type);

// Number of 2·pf-bit blocks and of ring elements for a type.
[[nodiscard]] absl::StatusOr<size_t> NumBlocks(int32_t fhe_type, uint32_t packing_factor);
[[nodiscard]] absl::StatusOr<size_t> NumElements(int32_t fhe_type, uint32_t packing_factor);

// The packed, noiseless phases Δ·d_k of a little-endian plaintext (what the parties' shares
// reconstruct to, up to noise). InvalidArgument for an unsupported type or too many bytes.
[[nodiscard]] absl::StatusOr<std::vector<algebra::Gr128>> PackPlaintext(int32_t fhe_type,
                                                                        ByteSpan le_bytes);

// Decodes reconstructed phases into the little-endian plaintext (ceil(bits/8) bytes).
[[nodiscard]] absl::StatusOr<Bytes> DecodePhases(int32_t fhe_type, uint32_t packing_factor,
                                                 std::span<const algebra::Gr128> phases);

// A server the wallet trusts: its 1-based party id and its address.
struct ServerIdentity {
  uint32_t party_id = 0;
  crypto::EthAddress address{};
};

// One response as the relayer hands it over: bincode(payload) and the external signature.
struct ReceivedResponse {
  Bytes payload;
  Bytes external_signature;
};

// Checks the responses and reconstructs the plaintexts of `handles` (in request order).
// A single server means centralized mode (the signcrypted bytes are the plaintext).
[[nodiscard]] absl::StatusOr<std::vector<crypto::reference::TypedPlaintext>>
ReconstructUserDecryption(std::span<const ServerIdentity> servers,
                          const crypto::Eip712Domain& domain,
                          const crypto::reference::UserEncKey& user_key,
                          const crypto::SecretBytes& dk, const crypto::EthAddress& client_address,
                          std::span<const Bytes> handles,
                          std::span<const ReceivedResponse> responses);

}  // namespace kms::client::reference

#endif  // KMS_CLIENT_REFERENCE_USER_DECRYPTION_H_
