#include "algebra/galois_field.h"

#include <gtest/gtest.h>

namespace kms::algebra {
namespace {

TEST(GaloisFieldTest, MultiplicationMatchesCarrylessProductModF) {
  // X * X^3 = X^4 = X + 1 in GF(16) with F = X^4 + X + 1.
  EXPECT_EQ(Gf16(2) * Gf16(8), Gf16(3));
  for (unsigned a = 0; a < 16; ++a)
    for (unsigned b = 0; b < 16; ++b) {
      unsigned r = 0;
      for (int i = 0; i < 4; ++i)
        if (b >> i & 1) r ^= a << i;
      for (int i = 6; i >= 4; --i)
        if (r >> i & 1) r ^= 0b10011u << (i - 4);
      EXPECT_EQ((Gf16(a) * Gf16(b)).value(), r) << a << "*" << b;
    }
}

TEST(GaloisFieldTest, EveryNonZeroElementHasAnInverse) {
  for (unsigned a = 1; a < 16; ++a) EXPECT_EQ(Gf16(a) * Gf16(a).Inverse(), Gf16::One());
  for (unsigned a = 1; a < 256; ++a)
    EXPECT_EQ(GaloisField<8>(a) * GaloisField<8>(a).Inverse(), GaloisField<8>::One());
}

TEST(GaloisFieldTest, TraceIsAdditiveAndBalanced) {
  int ones = 0;
  for (unsigned a = 0; a < 16; ++a) {
    ones += static_cast<int>(Gf16(a).Trace());
    for (unsigned b = 0; b < 16; ++b)
      EXPECT_EQ((Gf16(a) + Gf16(b)).Trace(), Gf16(a).Trace() ^ Gf16(b).Trace());
  }
  EXPECT_EQ(ones, 8);
  EXPECT_EQ(Gf16(9).Trace(), 1u);
}

}  // namespace
}  // namespace kms::algebra
