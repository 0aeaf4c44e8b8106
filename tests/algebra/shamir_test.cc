#include "algebra/shamir.h"

#include <gtest/gtest.h>

#include "testing/seeded_rng.h"

namespace kms::algebra {
namespace {

TEST(ShamirTest, AnyTPlusOneSharesOpenTheSecret) {
  testing::SeededRng rng(1);
  for (int n : {4, 7, 10, 13}) {
    const int t = (n - 1) / 3;
    Gr128 secret = Gr128::Random(rng);
    auto shares = ShareSecret(secret, n, t, rng);
    std::vector<IndexedShare<Gr128>> subset;
    for (int p = n; p > n - t - 1; --p) subset.push_back({p, shares[p - 1]});
    auto opened = OpenWithoutErrors<Gr128>(subset, t, n);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(opened.value(), secret);
  }
}

TEST(ShamirTest, LagrangeAtZeroIsCachedPerPartySet) {
  std::vector<int> set{1, 3, 4};
  const auto& a = LagrangeAtZero<Gr64>(set);
  const auto& b = LagrangeAtZero<Gr64>(set);
  EXPECT_EQ(&a, &b);
  Gr64 sum = Gr64::Zero();
  for (const auto& l : a) sum += l;
  EXPECT_EQ(sum, Gr64::One());  // interpolating the constant 1
}

TEST(ShamirTest, BadInputIsRejectedWithAClearError) {
  std::vector<IndexedShare<Gr64>> dup{{1, Gr64::One()}, {1, Gr64::One()}};
  auto r = OpenWithoutErrors<Gr64>(dup, 1, 4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(r.error().message.find("appears twice"), std::string::npos);

  std::vector<IndexedShare<Gr64>> out_of_range{{0, Gr64::One()}, {5, Gr64::One()}};
  r = OpenWithoutErrors<Gr64>(out_of_range, 1, 4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);

  std::vector<IndexedShare<Gr64>> too_few{{1, Gr64::One()}};
  r = OpenWithoutErrors<Gr64>(too_few, 1, 4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotEnoughShares);

  r = OpenWithoutErrors<Gr64>(too_few, 0, 16);  // GF(16) fits at most 15 parties
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace kms::algebra
