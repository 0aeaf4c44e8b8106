// File: common/bytes.h
//
// Byte strings, hex encoding and fixed-width little-endian helpers used by every layer above
// algebra. Hex is lower case on output; input accepts an optional "0x" prefix and either case.
#ifndef KMS_COMMON_BYTES_H_
#define KMS_COMMON_BYTES_H_

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace kms {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline ByteSpan AsBytes(std::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

inline std::string ToHex(ByteSpan data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(data.size() * 2, '0');
  for (size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}

// Parses hex (optional "0x" prefix). Fails on odd length or a non-hex character.
inline absl::StatusOr<Bytes> FromHex(std::string_view hex) {
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.size() % 2 != 0) return absl::InvalidArgumentError("hex string has odd length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("hex string has a non-hex character");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

inline void AppendU64Le(Bytes& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

inline void AppendU128Le(Bytes& out, unsigned __int128 v) {
  for (int i = 0; i < 16; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

inline void Append(Bytes& out, ByteSpan data) { out.insert(out.end(), data.begin(), data.end()); }

inline uint64_t LoadU64Le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

inline unsigned __int128 LoadU128Le(const uint8_t* p) {
  return static_cast<unsigned __int128>(LoadU64Le(p + 8)) << 64 | LoadU64Le(p);
}

}  // namespace kms

#endif  // KMS_COMMON_BYTES_H_
