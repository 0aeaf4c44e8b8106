// File: tfhe/client_key_encryption.h
//
// Encryption and decryption of radix ciphertexts (FheUint, FheBool) with a ClientKey, as
// tfhe-rs's `encrypt_with_client_key` / `decrypt` do it for the Standard atomic pattern:
//
//   * the key is the GLWE key seen as an LWE key (k·N bits, "big") for ciphertexts whose atomic
//     pattern is Standard(KeyswitchBootstrap), the small LWE key (n bits) for
//     Standard(BootstrapKeyswitch); encryption uses the parameters' encryption_key_choice
//     (Big → big key with the GLWE noise, KeyswitchBootstrap; Small → small key, LWE noise);
//   * phase = body − ⟨mask, s⟩ mod 2^64; Δ = 2^63 / (message·carry) (one padding bit) with the
//     client key's moduli, as tfhe-rs decodes; message-and-carry = round(phase / Δ) mod
//     message·carry; an FheBool is true when the message part (mod message) is non-zero;
//   * radix recomposition: value = Σ_i block_i · 2^(i·log2 message) (carries add into the next
//     block, as tfhe-rs's BlockRecomposer does), modulo 2^128.
//
// Decryption is variable-time only in the block count; the inner product has no secret branch.
// Only TUniform noise is implemented for encryption. Native 64-bit moduli only.
#ifndef KMS_TFHE_CLIENT_KEY_ENCRYPTION_H_
#define KMS_TFHE_CLIENT_KEY_ENCRYPTION_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "tfhe/ciphertext.h"
#include "tfhe/client_key.h"
#include "tfhe/compact_ciphertext_list.h"
#include "tfhe/entities.h"

namespace kms::tfhe {

// body − ⟨mask, key⟩ mod 2^64. REQUIRES: key.size() == ct.lwe_dimension().
uint64_t LwePhase(const LweCiphertext& ct, std::span<const uint64_t> key);

// round(phase / Δ) mod message·carry with Δ = 2^63 / (message·carry).
// REQUIRES: message·carry a power of two in [2, 2^32].
uint64_t DecodeMessageAndCarry(uint64_t phase, uint64_t message_modulus, uint64_t carry_modulus);

// The message and carry of one block. InvalidArgument if the block's dimension is not the
// dimension of the key its atomic pattern selects or the key's moduli are invalid;
// Unimplemented for a non-native modulus or the KeySwitch32 pattern.
absl::StatusOr<uint64_t> DecryptBlock(const ClientKey& key, const ShortintCiphertext& block);

// The plaintext of an FheUint of any width, modulo 2^128.
absl::StatusOr<u128> DecryptFheUint(const ClientKey& key, const FheUint& ct);
absl::StatusOr<bool> DecryptFheBool(const ClientKey& key, const FheBool& ct);

// The message-and-carry value of every LWE of a compact list, decrypted directly with the
// client key's dedicated compact secret s (no expansion, no casting key switch): LWE i has mask
// X^(i mod n̂)·M_(i / n̂) (negacyclic) and phase body_i − ⟨mask_i, s⟩, decoded with the list's
// moduli. A `build_packed()` LWE holds block 2j + message·block 2j+1. InvalidArgument without a
// compact secret or with a dimension mismatch.
absl::StatusOr<std::vector<uint64_t>> DecryptCompactList(const ClientKey& key,
                                                         const CompactCiphertextList& list);

// One TUniform(bound_log2) sample in [−2^b, 2^b] as a two's-complement u64 (the two ends at half
// the inner probability). REQUIRES: bound_log2 <= 62.
uint64_t SampleTUniform(uint32_t bound_log2, algebra::RandomSource& rng);

// Fresh encryptions: `num_blocks` blocks of log2(message) bits of `value` (bits beyond them are
// dropped), degree message − 1, noise level 1, empty tag and metadata. An FheUint64 with the
// KMS parameters has 32 blocks. Unimplemented for Gaussian noise or the KeySwitch32 pattern.
absl::StatusOr<FheUint> EncryptFheUint(const ClientKey& key, u128 value, size_t num_blocks,
                                       algebra::RandomSource& rng);
absl::StatusOr<FheBool> EncryptFheBool(const ClientKey& key, bool value,
                                       algebra::RandomSource& rng);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_CLIENT_KEY_ENCRYPTION_H_
