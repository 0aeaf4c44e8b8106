#include "mpc/vss.h"

#include <gtest/gtest.h>

#include "algebra/error_correction.h"
#include "algebra/shamir.h"
#include "mpc/broadcast.h"
#include "testing/adversary.h"
#include "testing/mpc_harness.h"
#include "testing/seeded_rng.h"

namespace kms::mpc {
namespace {

using algebra::Gr128;
using Shares = std::vector<std::vector<Gr128>>;
using testing::RunOptions;
using testing::RunParties;

// Each party deals m secrets derived from its role, so the test knows them.
std::vector<Gr128> SecretsOf(Role r, int m) {
  std::vector<Gr128> out;
  for (int s = 0; s < m; ++s)
    out.push_back(Gr128({static_cast<uint64_t>(r), 7, static_cast<uint64_t>(s), 1}));
  return out;
}

enum class Cheat { kNone, kInconsistentToFew, kInconsistentToMany, kRefuseToResolve, kSilent };

struct Case {
  int n;
  Cheat cheat;
};

class VssTest : public ::testing::TestWithParam<Case> {};

TEST_P(VssTest, HonestPartiesGetConsistentSharesOfAcceptedDealers) {
  const Case c = GetParam();
  const int t = (c.n - 1) / 3, m = 3;
  RunOptions opt;
  opt.n = c.n;
  opt.t = t;
  opt.round_timeout = std::chrono::milliseconds(1000);
  net::InProcessHub hub(c.n);
  std::set<Role> cheaters;
  if (c.cheat != Cheat::kNone)
    for (int i = 0; i < t; ++i) cheaters.insert(2 + 3 * i);
  // Which cheating dealers the protocol must reject, and which it must accept.
  std::set<Role> must_reject;
  // The claims broadcast starts after round 0 and the round-2 broadcast, the resolution after
  // the claims broadcast (nobody is corrupt before the claims in these cases).
  const uint64_t claims_round = 1 + BroadcastRoundCount(t, 0);
  const uint64_t resolution_round = claims_round + BroadcastRoundCount(t, 0);
  for (Role d : cheaters) {
    std::set<Role> victims;
    switch (c.cheat) {
      case Cheat::kInconsistentToFew:  // t parties get bad rows: resolved in round 4, accepted
        for (int j = 0; j < t; ++j) victims.insert(1 + ((d + j) % c.n));
        victims.erase(d);
        hub.SetInterceptor(d, testing::VssInconsistentTo(victims));
        break;
      case Cheat::kInconsistentToMany:  // more than t unhappy parties: rejected
        for (Role j = 1; j <= c.n; ++j)
          if (j != d) victims.insert(j);
        hub.SetInterceptor(d, testing::VssInconsistentTo(victims));
        must_reject.insert(d);
        break;
      case Cheat::kRefuseToResolve:  // bad rows to one party and no resolution: rejected
        hub.SetInterceptor(
            d, testing::Chain({testing::VssInconsistentTo({d == 1 ? 2 : 1}),
                               testing::VssRefuseResolution(claims_round, resolution_round)}));
        must_reject.insert(d);
        break;
      case Cheat::kSilent:
        hub.SetFault(d, net::FaultSpec::Silent());
        must_reject.insert(d);
        break;
      case Cheat::kNone:
        break;
    }
  }
  auto results = RunParties<Shares>(hub, opt, [&](Session& s) {
    auto secrets = SecretsOf(s.my_role(), m);
    return Vss<Gr128>(s, secrets);
  });
  // Honest parties: those that are not silent and not cheating dealers.
  const auto honest = testing::HonestRoles(c.n, cheaters);
  for (Role r : honest) {
    ASSERT_TRUE(results[r - 1].value.ok())
        << "party " << r << ": " << results[r - 1].value.status();
    EXPECT_EQ(results[r - 1].corrupt, results[honest[0] - 1].corrupt) << "party " << r;
  }
  const auto& corrupt = results[honest[0] - 1].corrupt;
  for (Role d : must_reject) EXPECT_TRUE(corrupt.contains(d)) << "dealer " << d << " accepted";
  for (Role d = 1; d <= c.n; ++d) {
    const bool accepted = !corrupt.contains(d);
    if (!cheaters.contains(d)) {
      EXPECT_TRUE(accepted) << "honest dealer " << d << " rejected";
    }
    for (int s = 0; s < m; ++s) {
      // Any t+1 honest shares must open to the dealer's secret (or 0 when rejected), and all
      // honest shares must lie on one degree-t polynomial.
      std::vector<algebra::IndexedShare<Gr128>> shares;
      for (Role r : honest) shares.push_back({r, (*results[r - 1].value)[d - 1][s]});
      auto poly = algebra::ErrorCorrect<algebra::Z128, 4>(shares, t, 0, c.n);
      ASSERT_TRUE(poly.ok()) << "dealer " << d << " secret " << s << ": inconsistent shares";
      Gr128 expected = accepted ? SecretsOf(d, m)[s] : Gr128::Zero();
      EXPECT_EQ(poly.value().coef(0), expected) << "dealer " << d << " secret " << s;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllCases, VssTest,
    ::testing::Values(Case{4, Cheat::kNone}, Case{4, Cheat::kInconsistentToFew},
                      Case{4, Cheat::kInconsistentToMany}, Case{4, Cheat::kRefuseToResolve},
                      Case{4, Cheat::kSilent}, Case{13, Cheat::kNone},
                      Case{13, Cheat::kInconsistentToFew}, Case{13, Cheat::kInconsistentToMany},
                      Case{13, Cheat::kRefuseToResolve}, Case{13, Cheat::kSilent}));

}  // namespace
}  // namespace kms::mpc
