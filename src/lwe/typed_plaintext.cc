#include "lwe/typed_plaintext.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lwe/decimal_internal.h"

namespace kms::lwe {
namespace {

// OK when no bit at or above the type's width is set.
absl::Status CheckWidth(FheType type, const std::array<uint8_t, 32>& value) {
  const int bits = FheTypeBits(type);
  if (bits == 0) return absl::InvalidArgumentError("value: invalid FHE type");
  for (int bit = bits; bit < 256; ++bit) {
    if ((value[bit / 8] >> (bit % 8)) & 1)
      return absl::InvalidArgumentError(
          absl::StrCat("value: does not fit ", FheTypeName(type), " (", bits, " bits)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<TypedPlaintext> Make(FheType type, const std::array<uint8_t, 32>& value) {
  if (absl::Status s = CheckWidth(type, value); !s.ok()) return s;
  TypedPlaintext p;
  p.type = type;
  p.value_le = value;
  return p;
}

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

}  // namespace

absl::StatusOr<TypedPlaintext> TypedPlaintext::FromU64(FheType type, uint64_t v) {
  return FromU128(type, v);
}

absl::StatusOr<TypedPlaintext> TypedPlaintext::FromU128(FheType type, Z128 v) {
  std::array<uint8_t, 32> value{};
  algebra::StoreLe<Z128>(v, value.data());
  return Make(type, value);
}

absl::StatusOr<TypedPlaintext> TypedPlaintext::FromString(FheType type, std::string_view text) {
  uint32_t base = 10;
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return absl::InvalidArgumentError("value: no digits");
  internal::U256Le value{};
  for (char c : text) {
    const int d = DigitValue(c);
    if (d >= static_cast<int>(base))
      return absl::InvalidArgumentError(base == 10 ? "value: not a decimal or 0x-hex number"
                                                   : "value: not a hex digit after 0x");
    if (!internal::U256MulAdd(value, base, static_cast<uint32_t>(d)))
      return absl::InvalidArgumentError(
          absl::StrCat("value: does not fit 256 bits (", FheTypeName(type), ")"));
  }
  return Make(type, value);
}

absl::StatusOr<TypedPlaintext> TypedPlaintext::FromLeBytes(FheType type,
                                                           std::span<const uint8_t> bytes) {
  if (bytes.size() > 32)
    return absl::InvalidArgumentError(
        absl::StrCat("value: expected at most 32 bytes, got ", bytes.size()));
  std::array<uint8_t, 32> value{};
  std::copy(bytes.begin(), bytes.end(), value.begin());
  return Make(type, value);
}

std::vector<uint64_t> TypedPlaintext::ToBlocks(const LweParameters& params) const {
  const int bpb = params.bits_per_block;
  std::vector<uint64_t> blocks(static_cast<size_t>(BlockCount(type, params)), 0);
  for (size_t i = 0; i < blocks.size(); ++i) {
    uint64_t block = 0;
    for (int b = 0; b < bpb; ++b) {
      const size_t bit = i * static_cast<size_t>(bpb) + static_cast<size_t>(b);
      if (bit >= 256) break;
      block |= static_cast<uint64_t>((value_le[bit / 8] >> (bit % 8)) & 1) << b;
    }
    blocks[i] = block;
  }
  return blocks;
}

absl::StatusOr<TypedPlaintext> TypedPlaintext::FromBlocks(FheType type,
                                                          std::span<const uint64_t> blocks,
                                                          const LweParameters& params) {
  if (!IsValidFheType(type)) return absl::InvalidArgumentError("blocks: invalid FHE type");
  const int bpb = params.bits_per_block;
  const size_t expected = static_cast<size_t>(BlockCount(type, params));
  if (blocks.size() != expected)
    return absl::InvalidArgumentError(absl::StrCat("blocks: ", FheTypeName(type), " needs ",
                                                   expected, " blocks of ", bpb, " bits, got ",
                                                   blocks.size()));
  std::array<uint8_t, 32> value{};
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (bpb < 64 && (blocks[i] >> bpb) != 0)
      return absl::InvalidArgumentError(
          absl::StrCat("blocks[", i, "]: value does not fit ", bpb, " bits"));
    for (int b = 0; b < bpb; ++b) {
      const uint64_t bit_value = (blocks[i] >> b) & 1;
      const size_t bit = i * static_cast<size_t>(bpb) + static_cast<size_t>(b);
      if (bit >= 256) {
        if (bit_value != 0)
          return absl::InvalidArgumentError(absl::StrCat("blocks: decoded value does not fit ",
                                                         FheTypeName(type), " (", FheTypeBits(type),
                                                         " bits)"));
        continue;
      }
      value[bit / 8] |= static_cast<uint8_t>(bit_value << (bit % 8));
    }
  }
  if (absl::Status s = CheckWidth(type, value); !s.ok())
    return absl::InvalidArgumentError(absl::StrCat("blocks: decoded value does not fit ",
                                                   FheTypeName(type), " (", FheTypeBits(type),
                                                   " bits)"));
  TypedPlaintext p;
  p.type = type;
  p.value_le = value;
  return p;
}

std::string TypedPlaintext::ToString() const { return internal::U256ToDecimal(value_le); }

std::array<uint8_t, 32> TypedPlaintext::AbiEncodeUint256() const {
  std::array<uint8_t, 32> out;
  std::reverse_copy(value_le.begin(), value_le.end(), out.begin());
  return out;
}

}  // namespace kms::lwe
