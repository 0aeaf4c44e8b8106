// File: crypto/ml_kem_internal.h
//
// The modular arithmetic of ML-KEM (crypto/ml_kem.h), exposed only so that tests can check it
// against plain division on every input. Not part of the crypto layer's API.
//
// Every function here runs in constant time: no division, no branch, no table lookup on its
// arguments. x86's DIV takes a data-dependent number of cycles, so `x % q` and `x / q` on secret
// values would leak through timing (the KyberSlash attacks); floor(x / q) is instead computed as a
// multiplication by a precomputed reciprocal and a shift (Barrett), and a possible off-by-one is
// fixed with a masked subtraction.
#ifndef KMS_CRYPTO_ML_KEM_INTERNAL_H_
#define KMS_CRYPTO_ML_KEM_INTERNAL_H_

#include <cstdint>

namespace kms::crypto::ml_kem_internal {

inline constexpr int kN = 256;        // coefficients per polynomial
inline constexpr uint32_t kQ = 3329;  // the modulus q

// r - q if r >= q, else r. REQUIRES: r < 2q.
inline uint16_t ConditionalSubtractQ(uint32_t r) {
  const uint32_t s = r - kQ;             // wraps around (top bit set) exactly when r < q
  const uint32_t keep = 0u - (s >> 31);  // all ones when r < q
  return static_cast<uint16_t>(s + (kQ & keep));
}

// x mod q for every 32-bit x. With M = floor(2^32 / q), t = floor(x M / 2^32) is floor(x / q)
// or one less (x M / 2^32 > x / q - x / 2^32 > x / q - 1), so x - t q lies in [0, 2q).
inline uint16_t ReduceModQ(uint32_t x) {
  constexpr uint64_t kM = (uint64_t{1} << 32) / kQ;
  const uint32_t t = static_cast<uint32_t>((uint64_t{x} * kM) >> 32);
  return ConditionalSubtractQ(x - t * kQ);
}

// REQUIRES: a, b < q.
inline uint16_t AddModQ(uint16_t a, uint16_t b) { return ConditionalSubtractQ(uint32_t{a} + b); }
inline uint16_t SubModQ(uint16_t a, uint16_t b) {
  return ConditionalSubtractQ(uint32_t{a} + kQ - b);
}
inline uint16_t MulModQ(uint16_t a, uint16_t b) { return ReduceModQ(uint32_t{a} * b); }

// Compress_d(x) = round(2^d x / q) mod 2^d (FIPS 203 (4.7)). REQUIRES: x < q, 1 <= d <= 11.
// q is odd, so 2^d x / q is never halfway between integers and round(2^d x / q) =
// floor((2^d x + (q - 1) / 2) / q). That dividend is below 2^23, and for every y below
// 2^36 / (kCompressM q - 2^36) ~ 2^23.7, floor(y / q) = (y kCompressM) >> 36 with
// kCompressM = ceil(2^36 / q); the tests check every (x, d) against a division.
inline constexpr uint64_t kCompressM = ((uint64_t{1} << 36) + kQ - 1) / kQ;
inline uint16_t Compress(uint16_t x, int d) {
  const uint64_t y = (uint64_t{x} << d) + (kQ - 1) / 2;
  return static_cast<uint16_t>(((y * kCompressM) >> 36) & ((1u << d) - 1));
}

// Decompress_d(y) = round(q y / 2^d), halves rounded up (FIPS 203 (4.8)). REQUIRES: y < 2^d.
inline uint16_t Decompress(uint16_t y, int d) {
  return static_cast<uint16_t>((uint32_t{y} * kQ + (1u << (d - 1))) >> d);
}

}  // namespace kms::crypto::ml_kem_internal

#endif  // KMS_CRYPTO_ML_KEM_INTERNAL_H_
