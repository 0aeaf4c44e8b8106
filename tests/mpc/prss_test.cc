#include "mpc/prss.h"

#include <gtest/gtest.h>

#include "algebra/error_correction.h"
#include "algebra/shamir.h"
#include "testing/mpc_harness.h"

namespace kms::mpc {
namespace {

using algebra::Gr128;
using algebra::Z128;
using testing::RunOptions;
using testing::RunParties;

TEST(PrssSetsTest, LexicographicCombinationsAndCounts) {
  auto sets = PrssSets(4, 1);
  ASSERT_EQ(sets.size(), 4u);
  EXPECT_EQ(sets[0], (std::vector<Role>{1, 2, 3}));
  EXPECT_EQ(sets[3], (std::vector<Role>{2, 3, 4}));
  EXPECT_EQ(PrssSets(13, 4).size(), 715u);
  EXPECT_EQ(BinomialCoefficient(13, 4), 715u);
}

TEST(PrssSetsTest, SetPolynomialIsOneAtZeroAndZeroOutsideTheSet) {
  std::vector<Role> set{1, 3, 4, 6, 7};
  for (Role p : {2, 5}) EXPECT_TRUE(PrssSetPolynomialAt<Gr128>(7, set, p).IsZero());
}

// Opens a degree-`degree` sharing from the given parties' shares, requiring them to be consistent.
Gr128 Open(const std::vector<Role>& parties, const std::vector<Gr128>& shares, int degree, int n) {
  std::vector<algebra::IndexedShare<Gr128>> s;
  for (size_t i = 0; i < parties.size(); ++i) s.push_back({parties[i], shares[i]});
  auto poly = algebra::ErrorCorrect<Z128, 4>(s, degree, 0, n);
  EXPECT_TRUE(poly.ok()) << "shares do not lie on a degree-" << degree << " polynomial";
  return poly.ok() ? poly.value().coef(0) : Gr128::Zero();
}

// PRSS, PRZS and masks of the setups of `parties` (the honest ones) must open consistently.
void CheckOutputsOfSetups(const std::vector<Role>& parties, const std::vector<PrssSetup>& setups,
                          int n, int t) {
  const SessionId sid = 0xabcdef;
  std::vector<PrssState<Gr128>> states;
  for (const auto& s : setups) states.emplace_back(s, sid);
  const int count = 5;
  const size_t m = parties.size();
  std::vector<std::vector<Gr128>> rnd(m), zero(m), mask(m);
  const Z128 bd = Z128(1) << 44;
  for (size_t p = 0; p < m; ++p) {
    rnd[p] = states[p].NextRandom(count);
    zero[p] = states[p].NextZero(count);
    mask[p] = states[p].NextMask(count, bd);
  }
  const __int128 bound = static_cast<__int128>(2 * BinomialCoefficient(n, t)) *
                         static_cast<__int128>(bd << kStatSecBits);
  std::set<std::string> seen;
  for (int k = 0; k < count; ++k) {
    std::vector<Gr128> r, z, mask_k;
    for (size_t p = 0; p < m; ++p) {
      r.push_back(rnd[p][k]);
      z.push_back(zero[p][k]);
      mask_k.push_back(mask[p][k]);
    }
    Gr128 value = Open(parties, r, t, n);
    EXPECT_FALSE(value.IsZero());
    uint8_t enc[Gr128::kEncodedSize];
    value.Encode(enc);
    EXPECT_TRUE(seen.insert(std::string(enc, enc + sizeof(enc))).second) << "PRSS repeated";
    EXPECT_TRUE(Open(parties, z, 2 * t, n).IsZero()) << "PRZS does not open to 0";
    Gr128 e = Open(parties, mask_k, t, n);
    EXPECT_TRUE(e.IsScalar());
    const __int128 signed_e = static_cast<__int128>(e[0]);
    EXPECT_LT(signed_e < 0 ? -signed_e : signed_e, bound) << "mask out of bound";
  }
  EXPECT_EQ(states[0].prss_counter(), static_cast<uint64_t>(count));
  EXPECT_EQ(states[0].mask_counter(), static_cast<uint64_t>(2 * count));
}

struct Case {
  int n;
  bool silent_parties;
  bool cheating_dealers;
};

class PrssInitTest : public ::testing::TestWithParam<Case> {};

TEST_P(PrssInitTest, InitProducesConsistentGenerators) {
  const Case c = GetParam();
  const int t = (c.n - 1) / 3;
  RunOptions opt;
  opt.n = c.n;
  opt.t = t;
  opt.round_timeout = std::chrono::milliseconds(1500);
  net::InProcessHub hub(c.n);
  std::set<Role> bad;
  for (int i = 0; i < t && (c.silent_parties || c.cheating_dealers); ++i) bad.insert(c.n - 2 * i);
  for (Role r : bad) {
    if (c.silent_parties) hub.SetFault(r, net::FaultSpec::Silent());
    if (c.cheating_dealers) opt.adversaries[r].vss_inconsistent_to = {1, 2};
  }
  auto results = RunParties<PrssSetup>(hub, opt, [](Session& s) { return PrssInit(s); });
  // Silent parties end without a usable setup; the honest ones (n - t >= 2t + 1 of them) are
  // enough to open every output.
  const auto honest = testing::HonestRoles(c.n, c.silent_parties ? bad : std::set<Role>{});
  std::vector<PrssSetup> setups;
  for (Role r : honest) {
    ASSERT_TRUE(results[r - 1].value.ok())
        << "party " << r << ": " << results[r - 1].value.status();
    setups.push_back(*results[r - 1].value);
  }
  CheckOutputsOfSetups(honest, setups, c.n, t);
  // The setup survives storage.
  auto parsed = PrssSetup::Parse(setups[0].Serialize());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Serialize(), setups[0].Serialize());
}

INSTANTIATE_TEST_SUITE_P(AllCases, PrssInitTest,
                         ::testing::Values(Case{4, false, false}, Case{4, true, false},
                                           Case{4, false, true}, Case{13, false, false},
                                           Case{13, true, false}));

TEST(PrssSetupTest, ParseRejectsCorruptRecords) {
  std::vector<PrssSetup::SetKey> keys;
  for (auto& set : PrssSets(4, 1))
    if (std::binary_search(set.begin(), set.end(), 2)) keys.push_back({set, {}});
  PrssSetup setup(4, 1, 2, keys);
  std::string good = setup.Serialize();
  EXPECT_TRUE(PrssSetup::Parse(good).ok());
  EXPECT_EQ(PrssSetup::Parse("garbage").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(PrssSetup::Parse(good.substr(0, good.size() - 3)).status().code(),
            absl::StatusCode::kDataLoss);
  PrssSetup wrong_role(4, 1, 1, keys);  // party 1 claiming party 2's sets
  EXPECT_EQ(PrssSetup::Parse(wrong_role.Serialize()).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace kms::mpc
