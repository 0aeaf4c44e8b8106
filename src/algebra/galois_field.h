// File: algebra/galois_field.h
//
// GF(2^D), the residue field of GR(2^k, F) (crypto-spec B §1.3). Element bits are the
// coefficients of a polynomial in X modulo the same F as the ring (GF(16): 0b10011).
// Multiplication and inversion use log/exp tables built once per degree.
//
// These tables are indexed by field values. The field only ever holds public data or
// bit-slices inside error correction of opened values, so table lookups are acceptable here.
#ifndef KMS_ALGEBRA_GALOIS_FIELD_H_
#define KMS_ALGEBRA_GALOIS_FIELD_H_

#include <array>
#include <cassert>
#include <cstdint>

#include "algebra/random_source.h"

namespace kms::algebra {

// The irreducible modulus F of degree D (full bit pattern, including X^D), crypto-spec Table B.1.2.
template <int D>
struct FieldModulus;
template <>
struct FieldModulus<3> {
  static constexpr unsigned kBits = 0b1011;  // X^3 + X + 1
};
template <>
struct FieldModulus<4> {
  static constexpr unsigned kBits = 0b10011;  // X^4 + X + 1
};
template <>
struct FieldModulus<5> {
  static constexpr unsigned kBits = 0b100101;  // X^5 + X^2 + 1
};
template <>
struct FieldModulus<6> {
  static constexpr unsigned kBits = 0b1000011;  // X^6 + X + 1
};
template <>
struct FieldModulus<7> {
  static constexpr unsigned kBits = 0b10000011;  // X^7 + X + 1
};
template <>
struct FieldModulus<8> {
  static constexpr unsigned kBits = 0b100011011;  // X^8 + X^4 + X^3 + X + 1
};

template <int D>
class GaloisField {
 public:
  static constexpr int kDegree = D;
  static constexpr unsigned kOrder = 1u << D;
  static constexpr unsigned kModulus = FieldModulus<D>::kBits;

  constexpr GaloisField() = default;
  constexpr explicit GaloisField(unsigned v) : v_(static_cast<uint8_t>(v & (kOrder - 1))) {}

  static constexpr GaloisField Zero() { return GaloisField(0); }
  static constexpr GaloisField One() { return GaloisField(1); }

  static GaloisField Random(RandomSource& rng) {
    uint8_t b[1];
    rng.Fill(b);
    return GaloisField(b[0]);
  }

  constexpr unsigned value() const { return v_; }
  constexpr bool IsZero() const { return v_ == 0; }

  friend constexpr GaloisField operator+(GaloisField a, GaloisField b) {
    return GaloisField(a.v_ ^ b.v_);
  }
  friend constexpr GaloisField operator-(GaloisField a, GaloisField b) { return a + b; }
  constexpr GaloisField operator-() const { return *this; }
  GaloisField& operator+=(GaloisField o) { return *this = *this + o; }
  GaloisField& operator-=(GaloisField o) { return *this = *this + o; }

  friend GaloisField operator*(GaloisField a, GaloisField b) {
    if (a.v_ == 0 || b.v_ == 0) return Zero();
    const Tables& t = GetTables();
    return GaloisField(t.exp[t.log[a.v_] + t.log[b.v_]]);
  }
  GaloisField& operator*=(GaloisField o) { return *this = *this * o; }

  // REQUIRES: !IsZero().
  GaloisField Inverse() const {
    assert(v_ != 0);
    const Tables& t = GetTables();
    return GaloisField(t.exp[(kOrder - 1) - t.log[v_]]);
  }
  friend GaloisField operator/(GaloisField a, GaloisField b) { return a * b.Inverse(); }

  GaloisField Pow(uint64_t e) const {
    GaloisField result = One(), base = *this;
    while (e) {
      if (e & 1) result *= base;
      base *= base;
      e >>= 1;
    }
    return result;
  }

  // Absolute trace Tr(x) = x + x^2 + ... + x^(2^(D-1)), in GF(2).
  unsigned Trace() const {
    GaloisField acc = Zero(), p = *this;
    for (int i = 0; i < D; ++i) {
      acc += p;
      p *= p;
    }
    return acc.v_;
  }

  friend constexpr bool operator==(GaloisField a, GaloisField b) = default;

 private:
  struct Tables {
    std::array<uint8_t, 2 * kOrder> exp{};
    std::array<uint8_t, kOrder> log{};
  };

  // Carry-less multiplication reduced by the modulus; only used to build the tables.
  static constexpr unsigned SlowMul(unsigned a, unsigned b) {
    unsigned r = 0;
    for (int i = 0; i < D; ++i)
      if (b >> i & 1) r ^= a << i;
    for (int i = 2 * D - 2; i >= D; --i)
      if (r >> i & 1) r ^= kModulus << (i - D);
    return r;
  }

  static constexpr bool IsGenerator(unsigned g) {
    unsigned x = 1;
    for (unsigned i = 1; i < kOrder - 1; ++i) {
      x = SlowMul(x, g);
      if (x == 1) return false;
    }
    return true;
  }

  static constexpr Tables BuildTables() {
    unsigned g = 2;
    while (!IsGenerator(g)) ++g;
    Tables t;
    unsigned x = 1;
    for (unsigned i = 0; i < kOrder - 1; ++i) {
      t.exp[i] = static_cast<uint8_t>(x);
      t.exp[i + kOrder - 1] = static_cast<uint8_t>(x);
      t.log[x] = static_cast<uint8_t>(i);
      x = SlowMul(x, g);
    }
    return t;
  }

  static const Tables& GetTables() {
    static constexpr Tables kTables = BuildTables();
    return kTables;
  }

  uint8_t v_ = 0;
};

using Gf16 = GaloisField<4>;

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_GALOIS_FIELD_H_
