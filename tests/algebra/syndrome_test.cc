#include "algebra/syndrome.h"

#include <gtest/gtest.h>

#include "algebra/error_correction.h"
#include "testing/seeded_rng.h"

namespace kms::algebra {
namespace {

// crypto-spec B §7: n = 7, f = 99 + 100X + 8X^2 (low 4 bits in GF(16)), so t = 2 and r = 4;
// +53 at index 3, +54 at index 5. The decoded error vector is exactly the injected one.
TEST(SyndromeTest, FieldKnownAnswer) {
  const int n = 7, t = 2;
  Polynomial<Gf16> f({Gf16(99), Gf16(100), Gf16(8)});
  std::vector<Gf16> word;
  for (int i = 1; i <= n; ++i) word.push_back(f.Eval(Gf16(i)));

  std::vector<Gf16> injected(n, Gf16::Zero());
  for (int errors = 0; errors <= 2; ++errors) {
    if (errors == 1) injected[3] = Gf16(53);
    if (errors == 2) injected[5] = Gf16(54);
    std::vector<Gf16> y = word;
    for (int i = 0; i < n; ++i) y[i] += injected[i];
    auto s = ComputeSyndrome<Gf16>(n, t, y);
    auto e = DecodeSyndromeField<4>(n, t, s);
    ASSERT_TRUE(e.has_value()) << errors;
    EXPECT_EQ(*e, injected) << errors;
    std::vector<unsigned> points{1, 2, 3, 4, 5, 6, 7};
    auto g = GaoDecode<4>(points, y, t + 1, 2);
    ASSERT_TRUE(g.has_value());
    EXPECT_EQ(*g, f);
  }
}

TEST(SyndromeTest, CodewordsHaveZeroSyndrome) {
  testing::SeededRng rng(11);
  auto f = RandomPolynomial(Gr128::Random(rng), 4, rng);
  std::vector<Gr128> y;
  for (int i = 1; i <= 13; ++i) y.push_back(f.Eval(PartyPoint<Gr128>(i)));
  for (const auto& s : ComputeSyndrome<Gr128>(13, 4, y)) EXPECT_TRUE(s.IsZero());
}

TEST(SyndromeTest, RingDecodingRecoversErrorsInAnyBitPlane) {
  testing::SeededRng rng(12);
  const int n = 13, t = 4;
  auto f = RandomPolynomial(Gr128::Random(rng), t, rng);
  std::vector<Gr128> y;
  for (int i = 1; i <= n; ++i) y.push_back(f.Eval(PartyPoint<Gr128>(i)));
  std::vector<Gr128> injected(n, Gr128::Zero());
  injected[0] = Gr128::Random(rng);
  injected[6] = Gr128::BitLift(Gf16(3), 64);
  injected[11] = Gr128::Random(rng);
  injected[12] = Gr128::FromScalar(static_cast<Z128>(1) << 127);
  for (int i = 0; i < n; ++i) y[i] += injected[i];
  auto s = ComputeSyndrome<Gr128>(n, t, y);
  auto e = DecodeSyndrome<Z128, 4>(n, t, s);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e.value(), injected);
}

TEST(SyndromeTest, WrongLengthIsInvalidInput) {
  std::vector<Gr64> s(3, Gr64::Zero());
  auto e = DecodeSyndrome<Z64, 4>(7, 2, s);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind, ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace kms::algebra
