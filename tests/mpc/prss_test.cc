#include "mpc/prss.h"

#include <gtest/gtest.h>

#include "algebra/error_correction.h"
#include "algebra/shamir.h"
#include "crypto/hash.h"
#include "mpc/broadcast.h"
#include "mpc/wire.h"
#include "testing/adversary.h"
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
    if (c.cheating_dealers) hub.SetInterceptor(r, testing::VssInconsistentTo({1, 2}));
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

TEST(PrssInitTest, RejectedHonestDealerDoesNotHandTheAdversaryAnHonestSetKey) {
  // n = 4, t = 1. Honest dealer P1's round-1 message to P2 is lost; corrupt P4 deals honestly but
  // lies in its claims about P1's dealing, so P1 has two unhappy parties (P2, P4) and is rejected
  // (zeroed) while P4 is accepted. The adversary then knows two of the four inputs (0 and its own
  // s4): extraction must not yield more than two values per batch, or P4, which learns the values
  // of the sets it belongs to, solves for s2 and s3 and computes the key of the honest set.
  const int n = 4, t = 1;
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.round_timeout = std::chrono::milliseconds(1000);
  net::InProcessHub hub(n);
  std::map<Role, std::shared_ptr<testing::SentLog>> sent;
  for (Role r = 1; r <= n; ++r) sent[r] = std::make_shared<testing::SentLog>();
  const uint64_t claims_round = 1 + BroadcastRoundCount(t, 0);
  hub.SetInterceptor(1, testing::Chain({testing::OnlyTo(0, {3, 4}), testing::Record(sent[1])}));
  for (Role r : {2, 3}) hub.SetInterceptor(r, testing::Record(sent[r]));
  hub.SetInterceptor(
      4, testing::Chain({testing::Record(sent[4]), testing::VssWrongClaims(4, claims_round)}));
  auto results = RunParties<PrssSetup>(hub, opt, [](Session& s) { return PrssInit(s); });
  for (Role r : {1, 2, 3}) {
    ASSERT_TRUE(results[r - 1].value.ok())
        << "party " << r << ": " << results[r - 1].value.status();
    ASSERT_EQ(results[r - 1].corrupt, std::set<Role>{1}) << "the schedule did not reject dealer 1";
  }
  auto interpolate_at_zero = [&](Gr128 y1, Gr128 y2) {  // degree t = 1 through (a1, y1), (a2, y2)
    std::vector<algebra::IndexedShare<Gr128>> s = {{1, y1}, {2, y2}};
    return algebra::ErrorCorrect<Z128, 4>(s, t, 0, n).value().coef(0);
  };
  // P4's input s4 of batch 0: its dealt rows F4(X, a_j) give F4(0, a_j) for j = 1, 2.
  auto row0 = [&](Role j) {
    kms::mpc::v1::VssRound1 msg;
    EXPECT_TRUE(msg.ParseFromString(*sent[4]->at(j).at(0)));
    return UnpackRing<Gr128>(msg.rows().packed(), std::nullopt).value()[0];
  };
  const Gr128 s4 = interpolate_at_zero(row0(1), row0(2));
  // The values of P4's sets {1,2,4}, {1,3,4}, opened to it in the last round by P1 and P2.
  auto opened_to_p4 = [&](Role from) {
    return DecodeShares<Gr128>(*sent[from]->at(4).rbegin()->second, 3).value();
  };
  const auto from1 = opened_to_p4(1), from2 = opened_to_p4(2);
  const Gr128 v1 = interpolate_at_zero(from1[0], from2[0]);
  const Gr128 v2 = interpolate_at_zero(from1[1], from2[1]);
  // If batch 0 gave out_j = s2 a2^j + s3 a3^j + s4 a4^j for j = 0, 1, 2 (sets 0, 1, 2): solve.
  const Gr128 a2 = algebra::PartyPoint<Gr128>(2), a3 = algebra::PartyPoint<Gr128>(3),
              a4 = algebra::PartyPoint<Gr128>(4);
  const Gr128 w1 = v1 - s4 * a4, w2 = v2 - s4 * a4 * a4;
  const Gr128 s2 = (w2 - w1 * a3) * algebra::InverseOf(a2 * (a2 - a3));
  const Gr128 s3 = (w2 - w1 * a2) * algebra::InverseOf(a3 * (a3 - a2));
  uint8_t enc[Gr128::kEncodedSize];
  (s2 + s3 + s4).Encode(enc);
  auto digest = crypto::HashElement(crypto::kDsepAgreeRandom, ByteSpan(enc, sizeof(enc)));
  crypto::AesKey guessed{};
  std::copy(digest.begin(), digest.begin() + 16, guessed.begin());
  const auto& p1_sets = results[0].value->sets();
  ASSERT_EQ(p1_sets[0].members, (std::vector<Role>{1, 2, 3}));
  EXPECT_FALSE(guessed == p1_sets[0].key) << "P4 computed the key of the honest set {1, 2, 3}";
}

TEST(PrssInitTest, ThirteenPartiesRejectedHonestDealerStillGivesAgreedKeys) {
  // n = 13, t = 4: honest P1's round-1 messages to P2 and P3 are lost and the corrupt P11, P12,
  // P13 dispute P1's dealing, so P1 has 5 > t unhappy parties and is rejected. Init must still
  // finish with fewer values per batch (more VSS runs), every honest party must agree on who was
  // rejected, and the members of every set must hold the same key.
  const int n = 13, t = 4;
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.round_timeout = std::chrono::milliseconds(3000);
  net::InProcessHub hub(n);
  const uint64_t claims_round = 1 + BroadcastRoundCount(t, 0);
  hub.SetInterceptor(1, testing::OnlyTo(0, {4, 5, 6, 7, 8, 9, 10, 11, 12, 13}));
  for (Role r : {11, 12, 13}) hub.SetInterceptor(r, testing::VssWrongClaims(r, claims_round));
  auto results = RunParties<PrssSetup>(hub, opt, [](Session& s) { return PrssInit(s); });
  std::map<std::vector<Role>, crypto::AesKey> keys;
  for (Role r = 1; r <= 10; ++r) {
    ASSERT_TRUE(results[r - 1].value.ok())
        << "party " << r << ": " << results[r - 1].value.status();
    EXPECT_EQ(results[r - 1].corrupt, std::set<Role>{1}) << "party " << r;
    for (const auto& set : results[r - 1].value->sets()) {
      auto [it, fresh] = keys.emplace(set.members, set.key);
      EXPECT_TRUE(fresh || it->second == set.key) << "party " << r << " disagrees on a set key";
    }
  }
}

}  // namespace
}  // namespace kms::mpc
