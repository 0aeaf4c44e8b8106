#include "mpc/broadcast.h"

#include <gtest/gtest.h>

#include "testing/mpc_harness.h"

namespace kms::mpc {
namespace {

using Outputs = std::map<Role, std::optional<std::string>>;
using testing::RunOptions;
using testing::RunParties;

std::string MessageOf(Role r) { return "message from party " + std::to_string(r); }

struct Case {
  int n;
  enum { kHonest, kSilent, kEquivocateProtocol, kEquivocateNetwork, kGarbage } bad;
};

class BroadcastTest : public ::testing::TestWithParam<Case> {};

TEST_P(BroadcastTest, HonestPartiesAgreeAndCatchBadSenders) {
  const Case c = GetParam();
  const int t = (c.n - 1) / 3;
  RunOptions opt;
  opt.n = c.n;
  opt.t = t;
  opt.round_timeout = std::chrono::milliseconds(1000);
  net::InProcessHub hub(c.n);
  std::set<Role> bad;
  if (c.bad != Case::kHonest)
    for (int i = 0; i < t; ++i) bad.insert(1 + 3 * i);  // spread over the role range
  for (Role r : bad) {
    if (c.bad == Case::kSilent) hub.SetFault(r, net::FaultSpec::Silent());
    if (c.bad == Case::kEquivocateProtocol) opt.adversaries[r].equivocate_broadcast = true;
    if (c.bad == Case::kEquivocateNetwork) hub.SetFault(r, net::FaultSpec::Equivocate());
    if (c.bad == Case::kGarbage) hub.SetFault(r, net::FaultSpec::Corrupt(1.0));
  }
  auto results = RunParties<Outputs>(
      hub, opt, [](Session& s) { return BroadcastFromAll(s, MessageOf(s.my_role())); });
  const auto honest = testing::HonestRoles(c.n, bad);
  const Outputs& reference = *results[honest[0] - 1].value;
  for (Role r : honest) {
    ASSERT_TRUE(results[r - 1].value.ok()) << results[r - 1].value.status();
    EXPECT_EQ(*results[r - 1].value, reference) << "party " << r << " disagrees";
    EXPECT_EQ(results[r - 1].corrupt, results[honest[0] - 1].corrupt);
  }
  for (Role r : honest) {
    ASSERT_TRUE(reference.at(r).has_value()) << "honest sender " << r << " lost";
    EXPECT_EQ(*reference.at(r), MessageOf(r));
  }
  // Silent, equivocating and garbage senders cannot get a message through: ⊥ and corrupt.
  for (Role r : bad) {
    EXPECT_FALSE(reference.at(r).has_value()) << "bad sender " << r;
    EXPECT_TRUE(results[honest[0] - 1].corrupt.contains(r));
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllCases, BroadcastTest,
    ::testing::Values(Case{4, Case::kHonest}, Case{4, Case::kSilent},
                      Case{4, Case::kEquivocateProtocol}, Case{4, Case::kEquivocateNetwork},
                      Case{4, Case::kGarbage}, Case{13, Case::kHonest}, Case{13, Case::kSilent},
                      Case{13, Case::kEquivocateProtocol}, Case{13, Case::kEquivocateNetwork}));

TEST(BroadcastTest, SenderThatWithholdsFromSomeIsStillDeliveredConsistently) {
  // Party 4 sends its message to everyone but party 1 in round 1 (dropped by the network):
  // party 1 must still output it, pulled from the others.
  RunOptions opt;
  opt.n = 4;
  opt.t = 1;
  opt.round_timeout = std::chrono::milliseconds(1000);
  net::InProcessHub hub(4);
  opt.adversaries[4].broadcast_withhold_from = {1};
  auto results = RunParties<Outputs>(hub, opt, [&](Session& s) {
    return ReliableBroadcast(
        s, {4}, s.my_role() == 4 ? std::optional<std::string>("withheld") : std::nullopt);
  });
  for (int r = 1; r <= 4; ++r) {
    ASSERT_TRUE(results[r - 1].value.ok());
    EXPECT_EQ(*results[r - 1].value->at(4), "withheld");
  }
}

}  // namespace
}  // namespace kms::mpc
