#include "algebra/galois_ring.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "testing/seeded_rng.h"

namespace kms::algebra {
namespace {

TEST(GaloisRingTest, ReductionFollowsTheF4Table) {
  // X^3 * X = X^4 = -X - 1; X^3 * X^3 = X^6 = -X^3 - X^2.
  Gr64 x3({0, 0, 0, 1}), x({0, 1, 0, 0});
  EXPECT_EQ(x3 * x, Gr64({~0ull, ~0ull, 0, 0}));
  EXPECT_EQ(x3 * x3, Gr64({0, 0, ~0ull, ~0ull}));
}

TEST(GaloisRingTest, BitComposeKnownAnswer) {
  // crypto-spec B §1.3: coefficients [310, 210, 210, 210] at bit 1 give GF16(15).
  Gr64 a({310, 210, 210, 210});
  EXPECT_EQ(a.BitCompose(1), Gf16(15));
  Gr128 b({310, 210, 210, 210});
  EXPECT_EQ(b.BitCompose(1), Gf16(15));
}

TEST(GaloisRingTest, BitLiftIsTheInverseOfBitCompose) {
  for (unsigned v = 0; v < 16; ++v)
    for (int pos : {0, 1, 63, 100}) {
      Gr128 lifted = Gr128::BitLift(Gf16(v), pos);
      EXPECT_EQ(lifted.BitCompose(pos), Gf16(v));
      EXPECT_TRUE(lifted.DivisibleByPowerOfTwo(pos));
    }
}

TEST(GaloisRingTest, ExceptionalSequenceEmbedsPartyIds) {
  // Party 13 = 1 + X^2 + X^3 (B §1.3).
  EXPECT_EQ(Gr64::Exceptional(13), Gr64({1, 0, 1, 1}));
  // All differences between distinct points (0 included) are units.
  for (unsigned i = 0; i < 16; ++i)
    for (unsigned j = 0; j < 16; ++j) {
      if (i != j) {
        EXPECT_TRUE((Gr128::Exceptional(i) - Gr128::Exceptional(j)).Invert().has_value());
      }
    }
}

TEST(GaloisRingTest, InversionKnownAnswers) {
  EXPECT_EQ(*Gr64::FromScalar(3).Invert() * Gr64::FromScalar(3), Gr64::One());
  // 3^-1 mod 2^64 = 0xaaaaaaaaaaaaaaab.
  EXPECT_EQ(*Gr64::FromScalar(3).Invert(), Gr64::FromScalar(0xaaaaaaaaaaaaaaabull));
  EXPECT_FALSE(Gr64::Zero().Invert().has_value());
  EXPECT_FALSE(Gr128::FromScalar(2).Invert().has_value());  // not a unit
  Gr128 x = Gr128::Exceptional(7);                          // 1 + X + X^2
  EXPECT_EQ(*x.Invert() * x, Gr128::One());
}

TEST(GaloisRingTest, SolveConstantsMatchTheReference) {
  auto c = SolveConstants<4>();
  EXPECT_EQ(c[0], Gf16(8));
  EXPECT_EQ(c[1], Gf16(5));
  EXPECT_EQ(c[2], Gf16(11));
}

TEST(GaloisRingTest, SolveKnownAnswer) {
  // v = x^2 + x for x = 5 + 3X: Solve returns one of the two roots, x or -1 - x.
  Gr128 x({5, 3, 0, 0});
  Gr128 v = x * x + x;
  auto r = Solve(v);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r * *r + *r, v);
  EXPECT_TRUE(*r == x || *r == -x - Gr128::One());
}

RC_GTEST_PROP(GaloisRingProps, RingAxioms, (uint64_t s1, uint64_t s2, uint64_t s3)) {
  testing::SeededRng rng(s1 ^ (s2 << 1) ^ (s3 << 2));
  Gr128 a = Gr128::Random(rng), b = Gr128::Random(rng), c = Gr128::Random(rng);
  RC_ASSERT(a * b == b * a);
  RC_ASSERT((a * b) * c == a * (b * c));
  RC_ASSERT(a * (b + c) == a * b + a * c);
  RC_ASSERT(a - a == Gr128::Zero());
  RC_ASSERT(a * Gr128::One() == a);
}

RC_GTEST_PROP(GaloisRingProps, InverseOfUnits, (uint64_t seed)) {
  testing::SeededRng rng(seed);
  Gr64 a = Gr64::Random(rng);
  auto inv = a.Invert();
  RC_ASSERT(inv.has_value() == !a.BitCompose(0).IsZero());
  if (inv) RC_ASSERT(*inv * a == Gr64::One());
}

RC_GTEST_PROP(GaloisRingProps, SolveFindsARootWhenTraceIsZero, (uint64_t seed)) {
  testing::SeededRng rng(seed);
  Gr128 x = Gr128::Random(rng);
  Gr128 v = x * x + x;  // Tr(v mod 2) = 0 always
  auto r = Solve(v);
  RC_ASSERT(r.has_value());
  RC_ASSERT(*r * *r + *r == v);
}

RC_GTEST_PROP(GaloisRingProps, EncodeDecodeRoundTrip, (uint64_t seed)) {
  testing::SeededRng rng(seed);
  Gr128 a = Gr128::Random(rng);
  uint8_t buf[Gr128::kEncodedSize];
  a.Encode(buf);
  RC_ASSERT(Gr128::Decode(buf) == a);
  RC_ASSERT(buf[0] == static_cast<uint8_t>(a[0]));  // little-endian, c_0 first
}

}  // namespace
}  // namespace kms::algebra
