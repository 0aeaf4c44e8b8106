#include "algebra/error_correction.h"

#include <gtest/gtest.h>

#include "testing/seeded_rng.h"

namespace kms::algebra {
namespace {

// crypto-spec B §7 test vector: n = 7, points 1..7, f = 99 + 100X + 8X^2 with every integer
// reduced to its low 4 bits in GF(16); errors +53 at index 3 and +54 at index 5.
Polynomial<Gf16> KatPolynomial() { return Polynomial<Gf16>({Gf16(99), Gf16(100), Gf16(8)}); }

TEST(GaoDecodeTest, KnownAnswerWithZeroOneAndTwoErrors) {
  auto f = KatPolynomial();
  std::vector<unsigned> points{1, 2, 3, 4, 5, 6, 7};
  std::vector<Gf16> values;
  for (unsigned x : points) values.push_back(f.Eval(Gf16(x)));

  auto decoded = GaoDecode<4>(points, values, 3, 2);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, f);

  values[3] += Gf16(53);
  decoded = GaoDecode<4>(points, values, 3, 2);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, f);

  values[5] += Gf16(54);
  decoded = GaoDecode<4>(points, values, 3, 2);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, f);

  // Two errors exceed a budget of one.
  EXPECT_FALSE(GaoDecode<4>(points, values, 3, 1).has_value());
  // 2e must stay below n - k + 1.
  EXPECT_FALSE(GaoDecode<4>(points, values, 3, 3).has_value());
}

TEST(ErrorCorrectTest, RingKnownAnswerOverZ64) {
  // The same vector lifted to GR(2^64): f = 99 + 100X + 8X^2 with integer coefficients.
  Polynomial<Gr64> f({Gr64::FromScalar(99), Gr64::FromScalar(100), Gr64::FromScalar(8)});
  std::vector<IndexedShare<Gr64>> shares;
  for (int i = 1; i <= 7; ++i) shares.push_back({i, f.Eval(PartyPoint<Gr64>(i))});
  shares[3].value += Gr64::FromScalar(53);
  shares[5].value += Gr64::FromScalar(54);
  auto r = ErrorCorrect<Z64, 4>(shares, 2, 2, 7);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value(), f);
}

TEST(ErrorCorrectTest, ErrorsHiddenInHighBitsAreFound) {
  // An error divisible by 2^100 only shows at bit-plane 100.
  testing::SeededRng rng(7);
  auto f = RandomPolynomial(Gr128::Random(rng), 4, rng);
  std::vector<IndexedShare<Gr128>> shares;
  for (int i = 1; i <= 13; ++i) shares.push_back({i, f.Eval(PartyPoint<Gr128>(i))});
  shares[2].value += Gr128::BitLift(Gf16(5), 100);
  shares[9].value += Gr128::BitLift(Gf16(1), 127);
  auto r = ErrorCorrect<Z128, 4>(shares, 4, 4, 13);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value(), f);
}

}  // namespace
}  // namespace kms::algebra
