// File: algebra/base_ring.h
//
// The base rings Z/2^64 and Z/2^128: native unsigned integers with wrapping arithmetic,
// serialised little-endian (crypto-spec B §1.1).
#ifndef KMS_ALGEBRA_BASE_RING_H_
#define KMS_ALGEBRA_BASE_RING_H_

#include <cstdint>
#include <type_traits>

namespace kms::algebra {

using Z64 = uint64_t;
using Z128 = unsigned __int128;

template <typename Z>
concept BaseRing = std::is_same_v<Z, Z64> || std::is_same_v<Z, Z128>;

// Number of bits k of Z/2^k.
template <BaseRing Z>
inline constexpr int kBitLength = static_cast<int>(sizeof(Z) * 8);

template <BaseRing Z>
inline constexpr int kByteLength = static_cast<int>(sizeof(Z));

template <BaseRing Z>
inline void StoreLe(Z v, uint8_t* out) {
  for (int i = 0; i < kByteLength<Z>; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

template <BaseRing Z>
inline Z LoadLe(const uint8_t* in) {
  Z v = 0;
  for (int i = kByteLength<Z> - 1; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_BASE_RING_H_
