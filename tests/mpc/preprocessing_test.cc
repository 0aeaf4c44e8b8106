#include "mpc/preprocessing.h"

#include <gtest/gtest.h>

#include "algebra/error_correction.h"
#include "testing/adversary.h"
#include "testing/mpc_harness.h"
#include "testing/prss_fixture.h"

namespace kms::mpc {
namespace {

using algebra::Z128;
using testing::RunOptions;
using testing::RunParties;

// Opens every index of per-party share vectors of the honest parties (consistency required).
std::vector<Share> OpenAll(const std::vector<Role>& parties,
                           const std::vector<std::vector<Share>>& shares, int degree, int n) {
  std::vector<Share> out;
  for (size_t k = 0; k < shares[0].size(); ++k) {
    std::vector<algebra::IndexedShare<Share>> s;
    for (size_t i = 0; i < parties.size(); ++i) s.push_back({parties[i], shares[i][k]});
    auto poly = algebra::ErrorCorrect<Z128, 4>(s, degree, 0, n);
    EXPECT_TRUE(poly.ok()) << "index " << k << " inconsistent";
    out.push_back(poly.ok() ? poly.value().coef(0) : Share::Zero());
  }
  return out;
}

struct Case {
  int n;
  enum { kHonest, kWrongTriples, kEquivocate, kSilent } bad;
};

class TriplesTest : public ::testing::TestWithParam<Case> {};

TEST_P(TriplesTest, TriplesAreCorrectAndCheatersAreCaught) {
  const Case c = GetParam();
  const int t = (c.n - 1) / 3;
  auto setups = testing::DealtPrssSetups(c.n, t);
  RunOptions opt;
  opt.n = c.n;
  opt.t = t;
  opt.round_timeout = std::chrono::milliseconds(1500);
  net::InProcessHub hub(c.n);
  std::set<Role> bad;
  if (c.bad != Case::kHonest)
    for (int i = 0; i < t; ++i) bad.insert(1 + 3 * i);
  for (Role r : bad) {
    if (c.bad == Case::kWrongTriples) hub.SetInterceptor(r, testing::WrongShares());
    if (c.bad == Case::kEquivocate) hub.SetInterceptor(r, testing::EquivocateBroadcast(0));
    if (c.bad == Case::kSilent) hub.SetFault(r, net::FaultSpec::Silent());
  }
  const size_t count = 40;
  auto results = RunParties<Triples>(hub, opt, [&](Session& s) {
    PrssState<Share> prss(setups[s.my_role() - 1], s.id());
    return GenerateTriples(s, prss, count);
  });
  const auto honest = testing::HonestRoles(c.n, bad);
  std::vector<std::vector<Share>> a, b, cc;
  for (Role r : honest) {
    ASSERT_TRUE(results[r - 1].value.ok())
        << "party " << r << ": " << results[r - 1].value.status();
    ASSERT_EQ(results[r - 1].value->size(), count);
    a.push_back(results[r - 1].value->a);
    b.push_back(results[r - 1].value->b);
    cc.push_back(results[r - 1].value->c);
    EXPECT_EQ(results[r - 1].corrupt, results[honest[0] - 1].corrupt);
  }
  auto va = OpenAll(honest, a, t, c.n), vb = OpenAll(honest, b, t, c.n),
       vc = OpenAll(honest, cc, t, c.n);
  for (size_t k = 0; k < count; ++k) EXPECT_EQ(va[k] * vb[k], vc[k]) << "triple " << k;
  // Every cheater is caught: wrong d_i are detected, never corrected away.
  for (Role r : bad) EXPECT_TRUE(results[honest[0] - 1].corrupt.contains(r)) << "party " << r;
}

INSTANTIATE_TEST_SUITE_P(AllCases, TriplesTest,
                         ::testing::Values(Case{4, Case::kHonest}, Case{4, Case::kWrongTriples},
                                           Case{4, Case::kEquivocate}, Case{4, Case::kSilent},
                                           Case{13, Case::kHonest}, Case{13, Case::kWrongTriples},
                                           Case{13, Case::kEquivocate}));

class TripleCodewordTest : public ::testing::TestWithParam<int> {};

TEST_P(TripleCodewordTest, ShiftedDValuesAreDetectedNotDecodedAway) {
  // The t corrupt parties add E(alpha_i) to their d_i, E of degree 2t vanishing at 2t honest
  // points: the broadcast word is one error away from the codeword d + E. A decoder that corrects
  // errors accepts d + E(0) (wrong triples, for t >= 2); detection must catch the cheaters instead.
  const int n = GetParam(), t = (n - 1) / 3;
  auto setups = testing::DealtPrssSetups(n, t);
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.round_timeout = std::chrono::milliseconds(3000);
  net::InProcessHub hub(n);
  std::set<Role> bad;
  for (int i = 0; i < t; ++i) bad.insert(n - 2 * i);
  for (Role r : bad) hub.SetInterceptor(r, testing::TripleCodewordShift(n, t, bad, r));
  const size_t count = 30;
  auto results = RunParties<Triples>(hub, opt, [&](Session& s) {
    PrssState<Share> prss(setups[s.my_role() - 1], s.id());
    return GenerateTriples(s, prss, count);
  });
  const auto honest = testing::HonestRoles(n, bad);
  std::vector<std::vector<Share>> a, b, cc;
  for (Role r : honest) {
    ASSERT_TRUE(results[r - 1].value.ok())
        << "party " << r << ": " << results[r - 1].value.status();
    ASSERT_EQ(results[r - 1].value->size(), count);
    a.push_back(results[r - 1].value->a);
    b.push_back(results[r - 1].value->b);
    cc.push_back(results[r - 1].value->c);
  }
  auto va = OpenAll(honest, a, t, n), vb = OpenAll(honest, b, t, n), vc = OpenAll(honest, cc, t, n);
  size_t wrong = 0;
  for (size_t k = 0; k < count; ++k) wrong += !(va[k] * vb[k] == vc[k]);
  EXPECT_EQ(wrong, 0u) << wrong << " of " << count << " triples have c != a b";
  for (Role r : bad) EXPECT_TRUE(results[honest[0] - 1].corrupt.contains(r)) << "party " << r;
}

INSTANTIATE_TEST_SUITE_P(FourSevenThirteen, TripleCodewordTest, ::testing::Values(4, 7, 13));

TEST(BitsTest, BitsAreZeroOrOneAndNoiseIsBounded) {
  const int n = 4, t = 1;
  auto setups = testing::DealtPrssSetups(n, t);
  RunOptions opt;
  net::InProcessHub hub(n);
  const int log_bound = 5;
  const size_t values = 64, per = log_bound + 2;
  auto results = RunParties<std::vector<Share>>(
      hub, opt, [&](Session& s) -> absl::StatusOr<std::vector<Share>> {
        PrssState<Share> prss(setups[s.my_role() - 1], s.id());
        auto bits = GenerateBits(s, prss, values * per);
        if (!bits.ok()) return bits.status();
        auto noise = TUniformFromBits(*bits, log_bound);
        bits->insert(bits->end(), noise.begin(), noise.end());
        return bits;
      });
  std::vector<std::vector<Share>> shares;
  for (auto& r : results) {
    ASSERT_TRUE(r.value.ok()) << r.value.status();
    shares.push_back(*r.value);
  }
  auto opened = OpenAll({1, 2, 3, 4}, shares, t, n);
  int ones = 0;
  for (size_t k = 0; k < values * per; ++k) {
    ASSERT_TRUE(opened[k] == Share::Zero() || opened[k] == Share::One()) << "bit " << k;
    ones += opened[k] == Share::One();
  }
  EXPECT_GT(ones, static_cast<int>(values * per) / 4);  // a fair coin, loosely
  EXPECT_LT(ones, static_cast<int>(values * per) * 3 / 4);
  for (size_t k = values * per; k < opened.size(); ++k) {
    ASSERT_TRUE(opened[k].IsScalar());
    const __int128 e = static_cast<__int128>(opened[k][0]);
    EXPECT_LE(e < 0 ? -e : e, __int128(1) << log_bound) << "noise " << k;
  }
}

TEST(MultTest, BeaverMultiplicationOnAnAsynchronousSession) {
  const int n = 4, t = 1;
  auto setups = testing::DealtPrssSetups(n, t);
  RunOptions opt;
  net::InProcessHub hub(n);
  auto results = RunParties<std::vector<Share>>(
      hub, opt, [&](Session& s) -> absl::StatusOr<std::vector<Share>> {
        PrssState<Share> prss(setups[s.my_role() - 1], s.id());
        auto triples = GenerateTriples(s, prss, 3);
        if (!triples.ok()) return triples.status();
        auto x = prss.NextRandom(3), y = prss.NextRandom(3);
        auto z = Mult(s, x, y, *triples);
        if (!z.ok()) return z.status();
        std::vector<Share> out = x;
        out.insert(out.end(), y.begin(), y.end());
        out.insert(out.end(), z->begin(), z->end());
        return out;
      });
  std::vector<std::vector<Share>> shares;
  for (auto& r : results) shares.push_back(*r.value);
  auto v = OpenAll({1, 2, 3, 4}, shares, t, n);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(v[k] * v[3 + k], v[6 + k]);
}

}  // namespace
}  // namespace kms::mpc
