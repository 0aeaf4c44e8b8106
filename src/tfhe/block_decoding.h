// File: tfhe/block_decoding.h
//
// The plaintext side of decrypting a squashed (128-bit) tfhe-rs radix value, shared by the
// parties (mpc/tfhe_decryption.h) and the clients that reconstruct user decryptions
// (client/user_decryption.h): which bits each 128-bit LWE block holds, the decoding rule of a
// block value (crypto-spec B §2.11) and the little-endian recomposition (tfhe-rs BlockRecomposer).
//
// Block layout: an unsigned value of `bits` bits is bits / log2(message) radix blocks, packed two
// per LWE block (lo + message·hi, 2·log2(message) bits) with the last alone when the count is odd
// (packing factor 2); a boolean is one block of one bit (packing factor 1).
//
// Decoding of a block value c (the phase, or the flooded phase opened by the parties), with
// w = log2(message·carry) and s = 128 − (w + 1): c > 2^128 − 1 − 2^s is the negative-noise wrap
// of 0; otherwise ((c + 2^(s−1)) >> s) must stay below 2^w (the padding bit clear) and is the
// block's value, which must fit the block's bits.
#ifndef KMS_TFHE_BLOCK_DECODING_H_
#define KMS_TFHE_BLOCK_DECODING_H_

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "tfhe/codec.h"

namespace kms::tfhe {

// The bits of each packed block, least significant first. `boolean` gives {1}; otherwise
// InvalidArgument when message_modulus is not a power of two >= 2 or `bits` is not a whole number
// of radix blocks.
absl::StatusOr<std::vector<uint32_t>> PackedBlockBits(uint32_t bits, bool boolean,
                                                      uint64_t message_modulus);

// Δ·value for one block: what a centralized server returns instead of the noisy phase.
u128 EncodePackedBlock(uint64_t value, uint64_t message_modulus, uint64_t carry_modulus);

// Decodes every block and recomposes them into 256 little-endian bits. ABORTED when a padding
// bit is set, a block exceeds its bits or the value 256 bits (the ciphertext is malformed or the
// values were not decrypted right); InvalidArgument when the counts differ.
absl::StatusOr<std::array<uint8_t, 32>> DecodePackedBlocks(std::span<const u128> values,
                                                           std::span<const uint32_t> block_bits,
                                                           uint64_t message_modulus,
                                                           uint64_t carry_modulus);

// The value of one block (the rule above), ABORTED on a set padding bit.
absl::StatusOr<uint64_t> DecodePackedBlock(u128 c, uint64_t message_modulus,
                                           uint64_t carry_modulus);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_BLOCK_DECODING_H_
