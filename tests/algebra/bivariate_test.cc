#include "algebra/bivariate.h"

#include <gtest/gtest.h>

#include "algebra/shamir.h"
#include "testing/seeded_rng.h"

namespace kms::algebra {
namespace {

TEST(BivariateTest, RowsAndColumnsAreConsistentAndShareTheSecret) {
  testing::SeededRng rng(31);
  const int n = 7, t = 2;
  Gr128 secret = Gr128::Random(rng);
  auto f = BivariatePolynomial<Gr128>::Random(secret, t, rng);
  EXPECT_EQ(f.Eval(Gr128::Zero(), Gr128::Zero()), secret);
  std::vector<IndexedShare<Gr128>> shares;
  for (int j = 1; j <= n; ++j) {
    Gr128 aj = PartyPoint<Gr128>(j);
    auto row = f.FixY(aj), col = f.FixX(aj);
    EXPECT_LE(row.Degree(), t);
    for (int i = 1; i <= n; ++i) {
      Gr128 ai = PartyPoint<Gr128>(i);
      // P_j's row at alpha_i equals P_i's column at alpha_j: F(alpha_i, alpha_j).
      EXPECT_EQ(row.Eval(ai), f.FixX(ai).Eval(aj));
      EXPECT_EQ(col.Eval(ai), f.Eval(aj, ai));
    }
    shares.push_back({j, row.Eval(Gr128::Zero())});  // F(0, alpha_j)
  }
  shares.resize(t + 1);
  auto opened = OpenWithoutErrors<Gr128>(shares, t, n);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened.value(), secret);
}

}  // namespace
}  // namespace kms::algebra
