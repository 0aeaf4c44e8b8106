#include "algebra/vandermonde.h"

#include <gtest/gtest.h>

#include "testing/seeded_rng.h"

namespace kms::algebra {
namespace {

TEST(VandermondeTest, ExtractionCommutesWithSharing) {
  // Extracting share-wise gives sharings of the extracted secrets.
  testing::SeededRng rng(21);
  const int n = 7, t = 2, w = n - t;
  std::vector<Gr128> secrets;
  std::vector<std::vector<Gr128>> shares;  // shares[dealer][party]
  for (int d = 0; d < n; ++d) {
    secrets.push_back(Gr128::Random(rng));
    shares.push_back(ShareSecret(secrets.back(), n, t, rng));
  }
  auto expected = VandermondeExtract<Gr128>(secrets, w);
  std::vector<std::vector<Gr128>> out_shares(w);
  for (int p = 0; p < n; ++p) {
    std::vector<Gr128> column;
    for (int d = 0; d < n; ++d) column.push_back(shares[d][p]);
    auto ex = VandermondeExtract<Gr128>(column, w);
    for (int j = 0; j < w; ++j) out_shares[j].push_back(ex[j]);
  }
  for (int j = 0; j < w; ++j) {
    std::vector<IndexedShare<Gr128>> s;
    for (int p = 1; p <= t + 1; ++p) s.push_back({p, out_shares[j][p - 1]});
    auto opened = OpenWithoutErrors<Gr128>(s, t, n);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened.value(), expected[j]);
  }
  // Entry (i, j) is alpha_{i+1}^j.
  std::vector<Gr128> unit(n, Gr128::Zero());
  unit[2] = Gr128::One();
  auto row = VandermondeExtract<Gr128>(unit, w);
  EXPECT_EQ(row[0], Gr128::One());
  EXPECT_EQ(row[1], Gr128::Exceptional(3));
  EXPECT_EQ(row[2], Gr128::Exceptional(3) * Gr128::Exceptional(3));
}

}  // namespace
}  // namespace kms::algebra
