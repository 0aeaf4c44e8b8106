#include "tfhe/block_decoding.h"

#include <bit>

#include "absl/strings/str_cat.h"

namespace kms::tfhe {
namespace {

bool IsPowerOfTwo(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

int Shift(uint64_t message_modulus, uint64_t carry_modulus) {
  const int w = std::countr_zero(message_modulus) + std::countr_zero(carry_modulus);
  return 128 - (w + 1);
}

}  // namespace

absl::StatusOr<std::vector<uint32_t>> PackedBlockBits(uint32_t bits, bool boolean,
                                                      uint64_t message_modulus) {
  if (boolean) return std::vector<uint32_t>{1};
  if (!IsPowerOfTwo(message_modulus) || message_modulus < 2)
    return absl::InvalidArgumentError(
        absl::StrCat("message modulus ", message_modulus, " is not a power of two >= 2"));
  const uint32_t per_block = static_cast<uint32_t>(std::countr_zero(message_modulus));
  if (bits == 0 || bits % per_block != 0)
    return absl::InvalidArgumentError(
        absl::StrCat(bits, " bits are not whole radix blocks of ", per_block));
  const uint32_t radix = bits / per_block;
  std::vector<uint32_t> out(radix / 2, 2 * per_block);
  if (radix % 2 != 0) out.push_back(per_block);
  return out;
}

u128 EncodePackedBlock(uint64_t value, uint64_t message_modulus, uint64_t carry_modulus) {
  return static_cast<u128>(value) << Shift(message_modulus, carry_modulus);
}

absl::StatusOr<uint64_t> DecodePackedBlock(u128 c, uint64_t message_modulus,
                                           uint64_t carry_modulus) {
  const int w = std::countr_zero(message_modulus) + std::countr_zero(carry_modulus);
  const int s = Shift(message_modulus, carry_modulus);
  const u128 top = ~u128{0} - (u128{1} << s);
  if (c > top) return 0;
  const u128 rounded = (c + (u128{1} << (s - 1))) >> s;
  if (rounded >> w != 0)
    return absl::AbortedError(
        "decryption: a block has its padding bit set; the ciphertext is malformed or more than t "
        "parties misbehaved");
  return static_cast<uint64_t>(rounded);
}

absl::StatusOr<std::array<uint8_t, 32>> DecodePackedBlocks(std::span<const u128> values,
                                                           std::span<const uint32_t> block_bits,
                                                           uint64_t message_modulus,
                                                           uint64_t carry_modulus) {
  if (values.size() != block_bits.size())
    return absl::InvalidArgumentError("decode: one bit count per block needed");
  if (!IsPowerOfTwo(message_modulus) || !IsPowerOfTwo(carry_modulus) ||
      std::countr_zero(message_modulus) + std::countr_zero(carry_modulus) > 62)
    return absl::InvalidArgumentError("decode: message and carry moduli must be powers of two");
  std::array<uint8_t, 32> le{};
  size_t bit = 0;
  for (size_t k = 0; k < values.size(); ++k) {
    absl::StatusOr<uint64_t> v = DecodePackedBlock(values[k], message_modulus, carry_modulus);
    if (!v.ok()) return v.status();
    if (block_bits[k] < 64 && (*v >> block_bits[k]) != 0)
      return absl::AbortedError(absl::StrCat("decryption: block ", k, " decodes above its ",
                                             block_bits[k],
                                             " bits; the ciphertext is malformed or more than t "
                                             "parties misbehaved"));
    for (uint32_t b = 0; b < block_bits[k] && b < 64; ++b, ++bit) {
      if (((*v >> b) & 1) == 0) continue;
      if (bit >= 256)
        return absl::AbortedError(
            "decryption: value beyond 256 bits; the ciphertext is malformed or more than t "
            "parties misbehaved");
      le[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
    }
  }
  return le;
}

}  // namespace kms::tfhe
