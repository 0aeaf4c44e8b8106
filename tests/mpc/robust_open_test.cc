#include "mpc/robust_open.h"

#include <gtest/gtest.h>

#include "algebra/shamir.h"
#include "testing/adversary.h"
#include "testing/mpc_harness.h"
#include "testing/seeded_rng.h"

namespace kms::mpc {
namespace {

using algebra::Gr128;
using testing::RunOptions;
using testing::RunParties;

// Shares `count` random secrets among n parties; shares[p-1] is party p's vector.
struct Dealt {
  std::vector<Gr128> secrets;
  std::vector<std::vector<Gr128>> shares;
};
Dealt Deal(int n, int t, int count, uint64_t seed) {
  testing::SeededRng rng(seed);
  Dealt d{{}, std::vector<std::vector<Gr128>>(n)};
  for (int k = 0; k < count; ++k) {
    d.secrets.push_back(Gr128::Random(rng));
    auto s = algebra::ShareSecret(d.secrets.back(), n, t, rng);
    for (int p = 0; p < n; ++p) d.shares[p].push_back(s[p]);
  }
  return d;
}

enum class Misbehaviour { kNone, kSilent, kCrash, kGarbage, kWrongShares };

struct Case {
  int n;
  net::NetworkMode mode;
  Misbehaviour bad;
};

class RobustOpenTest : public ::testing::TestWithParam<Case> {};

TEST_P(RobustOpenTest, HonestPartiesOpenTheSecretsWithTBadParties) {
  const Case c = GetParam();
  const int t = (c.n - 1) / 3;
  RunOptions opt;
  opt.n = c.n;
  opt.t = t;
  opt.mode = c.mode;
  opt.round_timeout = std::chrono::milliseconds(1500);
  opt.session_timeout = std::chrono::milliseconds(5000);
  net::InProcessHub hub(c.n);
  std::set<net::Role> bad;
  for (int i = 0; i < t && c.bad != Misbehaviour::kNone; ++i) bad.insert(c.n - i);
  for (net::Role r : bad) {
    switch (c.bad) {
      case Misbehaviour::kSilent:
        hub.SetFault(r, net::FaultSpec::Silent());
        break;
      case Misbehaviour::kCrash:
        hub.SetFault(r, net::FaultSpec::CrashAfterRound(0));
        break;
      case Misbehaviour::kGarbage:
        hub.SetFault(r, net::FaultSpec::Corrupt(1.0));
        break;
      case Misbehaviour::kWrongShares:
        hub.SetInterceptor(r, testing::WrongShares());
        break;
      case Misbehaviour::kNone:
        break;
    }
  }
  Dealt d = Deal(c.n, t, 50, 100 + c.n);
  // Two opens in a row: the second runs in round 1 (a crash after round 0 silences it there).
  auto results = RunParties<std::vector<Gr128>>(
      hub, opt, [&](Session& s) -> absl::StatusOr<std::vector<Gr128>> {
        const auto& mine = d.shares[s.my_role() - 1];
        auto first = RobustOpen<Gr128>(s, mine, s.t());
        if (!first.ok()) return first.status();
        if (*first != d.secrets) return absl::InternalError("first open returned wrong values");
        return RobustOpen<Gr128>(s, mine, s.t());
      });
  for (net::Role r : testing::HonestRoles(c.n, bad)) {
    ASSERT_TRUE(results[r - 1].value.ok())
        << "party " << r << ": " << results[r - 1].value.status();
    EXPECT_EQ(*results[r - 1].value, d.secrets) << "party " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllCases, RobustOpenTest,
    ::testing::Values(Case{4, net::NetworkMode::kSync, Misbehaviour::kNone},
                      Case{4, net::NetworkMode::kSync, Misbehaviour::kSilent},
                      Case{4, net::NetworkMode::kSync, Misbehaviour::kCrash},
                      Case{4, net::NetworkMode::kSync, Misbehaviour::kGarbage},
                      Case{4, net::NetworkMode::kSync, Misbehaviour::kWrongShares},
                      Case{4, net::NetworkMode::kAsync, Misbehaviour::kNone},
                      Case{4, net::NetworkMode::kAsync, Misbehaviour::kSilent},
                      Case{4, net::NetworkMode::kAsync, Misbehaviour::kWrongShares},
                      Case{13, net::NetworkMode::kSync, Misbehaviour::kNone},
                      Case{13, net::NetworkMode::kSync, Misbehaviour::kSilent},
                      Case{13, net::NetworkMode::kSync, Misbehaviour::kCrash},
                      Case{13, net::NetworkMode::kSync, Misbehaviour::kGarbage},
                      Case{13, net::NetworkMode::kSync, Misbehaviour::kWrongShares},
                      Case{13, net::NetworkMode::kAsync, Misbehaviour::kSilent},
                      Case{13, net::NetworkMode::kAsync, Misbehaviour::kWrongShares}));

TEST(RobustOpenTest, MoreThanTWrongPartiesFailLoudly) {
  RunOptions opt;
  opt.n = 4;
  opt.t = 1;
  opt.round_timeout = std::chrono::milliseconds(1000);
  net::InProcessHub hub(4);
  hub.SetInterceptor(3, testing::WrongShares());
  hub.SetInterceptor(4, testing::WrongShares());
  Dealt d = Deal(4, 1, 5, 7);
  auto results = RunParties<std::vector<Gr128>>(
      hub, opt, [&](Session& s) { return RobustOpen<Gr128>(s, d.shares[s.my_role() - 1], s.t()); });
  for (net::Role r : {1, 2}) {
    ASSERT_FALSE(results[r - 1].value.ok());
    EXPECT_EQ(results[r - 1].value.status().code(), absl::StatusCode::kAborted);
  }
}

TEST(RobustOpenTest, OpenToSomeRevealsOnlyToTheReceiver) {
  RunOptions opt;
  opt.n = 4;
  opt.t = 1;
  net::InProcessHub hub(4);
  Dealt d = Deal(4, 1, 3, 9);
  auto results = RunParties<std::vector<Gr128>>(hub, opt, [&](Session& s) {
    std::map<net::Role, std::vector<Gr128>> to_send;
    to_send[2] = {d.shares[s.my_role() - 1][0], d.shares[s.my_role() - 1][1]};
    to_send[3] = {d.shares[s.my_role() - 1][2]};
    return RobustOpenTo<Gr128>(s, to_send, s.t());
  });
  EXPECT_TRUE(results[0].value->empty());
  EXPECT_EQ(*results[1].value, (std::vector<Gr128>{d.secrets[0], d.secrets[1]}));
  EXPECT_EQ(*results[2].value, (std::vector<Gr128>{d.secrets[2]}));
  EXPECT_TRUE(results[3].value->empty());
}

}  // namespace
}  // namespace kms::mpc
