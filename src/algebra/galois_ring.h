// File: algebra/galois_ring.h
//
// Galois rings GR(2^k, F) = (Z/2^k)[X]/F(X) with F of degree D irreducible mod 2
// (crypto-spec B §1.2–1.3). The service uses D = 4, F = X^4 + X + 1, over Z/2^64 and Z/2^128;
// D is a template parameter so larger rings (up to 255 parties) need no rewrite.
//
// An element is D base-ring coefficients c_0..c_{D-1}. Arithmetic is constant time: no branch
// or table index depends on a coefficient (Invert and Solve branch only on whether the input
// is a unit, which callers use on public values).
//
// Example:
//   Gr128 a = Gr128::FromScalar(5), b = Gr128::Exceptional(3);  // 3 -> 1 + X
//   Gr128 c = a * b;                                              // 5 + 5X
#ifndef KMS_ALGEBRA_GALOIS_RING_H_
#define KMS_ALGEBRA_GALOIS_RING_H_

#include <array>
#include <cstdint>
#include <optional>

#include "algebra/base_ring.h"
#include "algebra/galois_field.h"
#include "algebra/random_source.h"

namespace kms::algebra {

template <BaseRing Z, int D>
class GaloisRing {
 public:
  using Base = Z;
  using Field = GaloisField<D>;
  static constexpr int kDegree = D;
  static constexpr int kBits = kBitLength<Z>;
  static constexpr int kEncodedSize = D * kByteLength<Z>;
  // F(X) - X^D as a bit pattern: X^D = -low(X) in the ring.
  static constexpr unsigned kModulusLow = FieldModulus<D>::kBits & ((1u << D) - 1);
  // Number of distinct exceptional points, 0 included; parties use 1..kMaxParties.
  static constexpr int kMaxParties = (1 << D) - 1;

  constexpr GaloisRing() = default;
  constexpr explicit GaloisRing(const std::array<Z, D>& coefs) : c_(coefs) {}

  static constexpr GaloisRing Zero() { return GaloisRing(); }
  static constexpr GaloisRing One() { return FromScalar(1); }
  static constexpr GaloisRing FromScalar(Z x) {
    GaloisRing r;
    r.c_[0] = x;
    return r;
  }

  // The exceptional sequence: element idx (idx < 2^D) has c_j = bit j of idx. Party i sits at
  // Exceptional(i); the secret at Exceptional(0) = 0. All differences are units.
  static constexpr GaloisRing Exceptional(unsigned idx) {
    GaloisRing r;
    for (int j = 0; j < D; ++j) r.c_[j] = (idx >> j) & 1;
    return r;
  }

  static GaloisRing Random(RandomSource& rng) {
    GaloisRing r;
    for (auto& c : r.c_) c = rng.Uniform<Z>();
    return r;
  }

  constexpr const std::array<Z, D>& coefs() const { return c_; }
  constexpr std::array<Z, D>& coefs() { return c_; }
  constexpr Z operator[](int i) const { return c_[i]; }
  constexpr Z& operator[](int i) { return c_[i]; }

  constexpr bool IsZero() const {
    Z acc = 0;
    for (Z c : c_) acc |= c;
    return acc == 0;
  }
  // True when c_1..c_{D-1} are all zero (the element is an embedded scalar).
  constexpr bool IsScalar() const {
    Z acc = 0;
    for (int i = 1; i < D; ++i) acc |= c_[i];
    return acc == 0;
  }

  friend constexpr bool operator==(const GaloisRing& a, const GaloisRing& b) = default;

  constexpr GaloisRing& operator+=(const GaloisRing& o) {
    for (int i = 0; i < D; ++i) c_[i] += o.c_[i];
    return *this;
  }
  constexpr GaloisRing& operator-=(const GaloisRing& o) {
    for (int i = 0; i < D; ++i) c_[i] -= o.c_[i];
    return *this;
  }
  friend constexpr GaloisRing operator+(GaloisRing a, const GaloisRing& b) { return a += b; }
  friend constexpr GaloisRing operator-(GaloisRing a, const GaloisRing& b) { return a -= b; }
  constexpr GaloisRing operator-() const {
    GaloisRing r;
    for (int i = 0; i < D; ++i) r.c_[i] = Z(0) - c_[i];
    return r;
  }

  // Scaling by a base-ring element (coefficient-wise).
  constexpr GaloisRing& operator*=(Z s) {
    for (auto& c : c_) c *= s;
    return *this;
  }
  friend constexpr GaloisRing operator*(GaloisRing a, Z s) { return a *= s; }
  friend constexpr GaloisRing operator*(Z s, GaloisRing a) { return a *= s; }

  // Ring product: schoolbook into a degree <= 2D-2 polynomial, then reduce by X^D = -low(X),
  // from the top down (for D = 4: c0 -= h4; c1 -= h4 + h5; c2 -= h5 + h6; c3 -= h6).
  friend constexpr GaloisRing operator*(const GaloisRing& a, const GaloisRing& b) {
    std::array<Z, 2 * D - 1> h{};
    for (int i = 0; i < D; ++i)
      for (int j = 0; j < D; ++j) h[i + j] += a.c_[i] * b.c_[j];
    for (int j = 2 * D - 2; j >= D; --j)
      for (int k = 0; k < D; ++k)
        if (kModulusLow >> k & 1) h[j - D + k] -= h[j];
    GaloisRing r;
    for (int i = 0; i < D; ++i) r.c_[i] = h[i];
    return r;
  }
  constexpr GaloisRing& operator*=(const GaloisRing& o) { return *this = *this * o; }

  // Multiplication by X^e (0 <= e < D), used to pack coefficients.
  constexpr GaloisRing MulByMonomial(int e) const {
    GaloisRing mono;
    mono.c_[e] = 1;
    return *this * mono;
  }

  // Reduction mod 2 of bit `bit`: the field element whose bit j is bit `bit` of c_j.
  constexpr Field BitCompose(int bit) const {
    unsigned v = 0;
    for (int j = 0; j < D; ++j) v |= static_cast<unsigned>((c_[j] >> bit) & 1) << j;
    return Field(v);
  }

  // The field element's bit j becomes c_j in {0,1}, shifted left by `pos`.
  static constexpr GaloisRing BitLift(Field x, int pos) {
    GaloisRing r;
    for (int j = 0; j < D; ++j) r.c_[j] = static_cast<Z>((x.value() >> j) & 1) << pos;
    return r;
  }

  // True when every coefficient is divisible by 2^bits.
  constexpr bool DivisibleByPowerOfTwo(int bits) const {
    if (bits >= kBits) return IsZero();
    Z mask = (Z(1) << bits) - 1;
    Z acc = 0;
    for (Z c : c_) acc |= c & mask;
    return acc == 0;
  }

  // Inverse: invert the reduction mod 2 in GF(2^D), lift, then log2(k) Newton steps
  // x <- x(2 - a x). Returns nullopt for non-units (reduction mod 2 is zero).
  std::optional<GaloisRing> Invert() const {
    Field low = BitCompose(0);
    if (low.IsZero()) return std::nullopt;
    GaloisRing x = BitLift(low.Inverse(), 0);
    const GaloisRing two = FromScalar(2);
    for (int i = 1; i < kBits; i <<= 1) x = x * (two - *this * x);
    return x;
  }

  // Little-endian coefficients c_0 || ... || c_{D-1} (GRencode, B §1.2).
  void Encode(uint8_t* out) const {
    for (int i = 0; i < D; ++i) StoreLe<Z>(c_[i], out + i * kByteLength<Z>);
  }
  static GaloisRing Decode(const uint8_t* in) {
    GaloisRing r;
    for (int i = 0; i < D; ++i) r.c_[i] = LoadLe<Z>(in + i * kByteLength<Z>);
    return r;
  }

 private:
  std::array<Z, D> c_{};
};

using Gr64 = GaloisRing<Z64, 4>;
using Gr128 = GaloisRing<Z128, 4>;

// Solve x^2 + x = v in GR(2^k, F) (B §1.3), used by random-bit generation. Returns nullopt when
// no solution exists (Tr(v mod 2) = 1), which GenBits never produces for honest inputs.
template <BaseRing Z, int D>
std::optional<GaloisRing<Z, D>> Solve(const GaloisRing<Z, D>& v);

// The constants C_i of the field step of Solve for degree D (exposed for the known-answer test):
// x_0 = sum_{i=0}^{D-2} C_i v^(2^i), with C_i = sum_{j=i+1}^{D-1} delta^(2^j), Tr(delta) = 1.
template <int D>
std::array<GaloisField<D>, D - 1> SolveConstants();

// ---- implementation ----

template <int D>
GaloisField<D> TraceOneElement() {
  // GF(16): delta = 9 as in the reference; other degrees: the smallest element of trace 1.
  if constexpr (D == 4) return GaloisField<D>(9);
  for (unsigned v = 1; v < GaloisField<D>::kOrder; ++v)
    if (GaloisField<D>(v).Trace() == 1) return GaloisField<D>(v);
  return GaloisField<D>(1);
}

template <int D>
std::array<GaloisField<D>, D - 1> SolveConstants() {
  using F = GaloisField<D>;
  F delta = TraceOneElement<D>();
  std::array<F, D> delta_pow{};  // delta^(2^j)
  delta_pow[0] = delta;
  for (int j = 1; j < D; ++j) delta_pow[j] = delta_pow[j - 1] * delta_pow[j - 1];
  std::array<F, D - 1> c{};
  for (int i = 0; i < D - 1; ++i)
    for (int j = i + 1; j < D; ++j) c[i] += delta_pow[j];
  return c;
}

template <BaseRing Z, int D>
std::optional<GaloisRing<Z, D>> Solve(const GaloisRing<Z, D>& v) {
  using R = GaloisRing<Z, D>;
  using F = GaloisField<D>;
  static const auto kC = SolveConstants<D>();
  F vf = v.BitCompose(0);
  F x0 = F::Zero(), vpow = vf;
  for (int i = 0; i < D - 1; ++i) {
    x0 += kC[i] * vpow;
    vpow *= vpow;
  }
  R x = R::BitLift(x0, 0);
  R y = R::One();
  const R one = R::One(), two = R::FromScalar(2);
  for (int i = 1; i < kBitLength<Z>; i <<= 1) {
    R z = one + two * x;
    y = y * (two - z * y);
    y = y * (two - z * y);
    x = (x * x + v) * y;
  }
  if (x + x * x != v) return std::nullopt;
  return x;
}

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_GALOIS_RING_H_
