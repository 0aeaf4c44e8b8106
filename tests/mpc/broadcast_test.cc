#include "mpc/broadcast.h"

#include <gtest/gtest.h>

#include <random>

#include "testing/adversary.h"
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
    if (c.bad == Case::kEquivocateProtocol) hub.SetInterceptor(r, testing::EquivocateBroadcast(0));
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
  hub.SetInterceptor(4, testing::OnlyTo(0, {2, 3}));
  auto results = RunParties<Outputs>(hub, opt, [&](Session& s) {
    return ReliableBroadcast(
        s, {4}, s.my_role() == 4 ? std::optional<std::string>("withheld") : std::nullopt);
  });
  for (int r = 1; r <= 4; ++r) {
    ASSERT_TRUE(results[r - 1].value.ok());
    EXPECT_EQ(*results[r - 1].value->at(4), "withheld");
  }
}

// Honest parties' outputs and corrupt sets all agree, and honest senders are delivered.
void ExpectAgreement(const std::vector<testing::PartyResult<Outputs>>& results,
                     const std::set<Role>& bad, const std::set<Role>& senders, int n) {
  const auto honest = testing::HonestRoles(n, bad);
  const Role first = honest[0];
  ASSERT_TRUE(results[first - 1].value.ok()) << results[first - 1].value.status();
  for (Role r : honest) {
    ASSERT_TRUE(results[r - 1].value.ok()) << results[r - 1].value.status();
    EXPECT_EQ(*results[r - 1].value, *results[first - 1].value)
        << "party " << r << " and party " << first << " output different values";
    EXPECT_EQ(results[r - 1].corrupt, results[first - 1].corrupt)
        << "party " << r << " and party " << first << " disagree on the corrupt set";
  }
  for (Role r : honest)
    if (senders.contains(r)) {
      ASSERT_TRUE(results[first - 1].value->at(r).has_value()) << "honest sender " << r;
      EXPECT_EQ(*results[first - 1].value->at(r), MessageOf(r));
    }
}

TEST(BroadcastTest, CorruptSenderCannotSplitHonestParties) {
  // The schedule that split the honest parties of a Bracha broadcast without agreement: corrupt
  // P4 sends m to P1 and P2 only, echoes to P1 only (P1 reaches n - t echoes, P2 and P3 do not),
  // sends its round-2 message to P2 only and replays it to P1 alone in round 3. Before the
  // agreement phase, P1 and P2 output m while P3 output ⊥ and marked P4 corrupt.
  RunOptions opt;
  opt.n = 4;
  opt.t = 1;
  opt.round_timeout = std::chrono::milliseconds(500);
  net::InProcessHub hub(4);
  hub.SetInterceptor(4, testing::Chain({testing::OnlyTo(0, {1, 2}), testing::OnlyTo(1, {1}),
                                        testing::OnlyTo(2, {2}), testing::Replay(2, 3, {1}),
                                        testing::OnlyTo(3, {1})}));
  auto results = RunParties<Outputs>(hub, opt, [](Session& s) {
    return ReliableBroadcast(
        s, {4}, s.my_role() == 4 ? std::optional<std::string>(MessageOf(4)) : std::nullopt);
  });
  ExpectAgreement(results, {4}, {4}, 4);
}

TEST(BroadcastTest, ThirteenPartiesCorruptSendersSplitDeliveries) {
  // At 13 parties, 4 corrupt senders each deliver round-1 messages and echoes to a different
  // half of the honest parties and vote to another half.
  RunOptions opt;
  opt.n = 13;
  opt.t = 4;
  opt.round_timeout = std::chrono::milliseconds(1000);
  net::InProcessHub hub(13);
  const std::set<Role> bad = {3, 6, 9, 12};
  for (Role b : bad) {
    std::set<Role> half_a, half_b;
    for (Role r = 1; r <= 13; ++r) ((r + b) % 2 ? half_a : half_b).insert(r);
    hub.SetInterceptor(b, testing::Chain({testing::OnlyTo(0, half_a), testing::OnlyTo(1, half_b),
                                          testing::OnlyTo(2, half_a), testing::OnlyTo(3, half_b)}));
  }
  auto results = RunParties<Outputs>(
      hub, opt, [](Session& s) { return BroadcastFromAll(s, MessageOf(s.my_role())); });
  std::set<Role> all;
  for (Role r = 1; r <= 13; ++r) all.insert(r);
  ExpectAgreement(results, bad, all, 13);
}

// Randomized adversary: up to t corrupt parties deliver or withhold each message per receiver in
// every round, and may equivocate in round 1; honest parties always agree. Fixed seeds and 1 s
// rounds: with 300 ms rounds a starved honest thread on the loaded CI machine missed a deadline
// (a broken synchrony assumption, not a protocol fault) and the property failed.
void HonestPartiesAgreeUnderRandomAdversary(uint64_t seed, bool seven) {
  const int n = seven ? 7 : 4, t = (n - 1) / 3;
  std::mt19937_64 rng(seed);
  std::set<Role> bad;
  while (static_cast<int>(bad.size()) < t) bad.insert(1 + static_cast<Role>(rng() % n));
  net::InProcessHub hub(n);
  for (Role b : bad) {
    auto choices = std::make_shared<std::mt19937_64>(rng());
    const bool equivocate = rng() % 2 == 0;
    hub.SetInterceptor(b,
                       [choices, equivocate](Role to, const net::Tag& tag,
                                             const net::Payload& p) -> std::optional<net::Payload> {
                         if ((*choices)() % 2 == 0) return std::nullopt;
                         if (equivocate && tag.round == 0)
                           return testing::EquivocateBroadcast(0)(to, tag, p);
                         return p;
                       });
  }
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.round_timeout = std::chrono::milliseconds(1000);
  auto results = RunParties<Outputs>(
      hub, opt, [](Session& s) { return BroadcastFromAll(s, MessageOf(s.my_role())); });
  const auto honest = testing::HonestRoles(n, bad);
  for (Role r : honest) {
    ASSERT_TRUE(results[r - 1].value.ok()) << "seed " << seed << ", party " << r;
    EXPECT_EQ(*results[r - 1].value, *results[honest[0] - 1].value) << "seed " << seed;
    EXPECT_EQ(results[r - 1].corrupt, results[honest[0] - 1].corrupt) << "seed " << seed;
    EXPECT_EQ(results[honest[0] - 1].value->at(r), std::optional<std::string>(MessageOf(r)))
        << "seed " << seed;
  }
}

TEST(BroadcastProps, HonestPartiesAlwaysAgree) {
  for (uint64_t seed : {1, 2, 3, 4}) HonestPartiesAgreeUnderRandomAdversary(seed, seed % 2 == 0);
}

TEST(BroadcastTest, RoundCount) {
  EXPECT_EQ(BroadcastRoundCount(1, 0), 11);
  EXPECT_EQ(BroadcastRoundCount(4, 0), 20);
  EXPECT_EQ(BroadcastRoundCount(4, 4), 8);
}

}  // namespace
}  // namespace kms::mpc
