#include "algebra/robust_reconstruction.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "testing/seeded_rng.h"

namespace kms::algebra {
namespace {

// A random scenario: n parties, t = (n-1)/3, a random secret shared at degree t, `errors`
// shares replaced by random values, `missing` shares withheld (counted as bot).
struct Scenario {
  int n, t, errors, missing;
  Gr128 secret;
  std::vector<IndexedShare<Gr128>> received;
};

Scenario MakeScenario(int n, int errors, int missing, uint64_t seed) {
  testing::SeededRng rng(seed);
  Scenario s{n, (n - 1) / 3, errors, missing, Gr128::Random(rng), {}};
  auto shares = ShareSecret(s.secret, n, s.t, rng);
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i + 1;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  for (int k = 0; k < n - missing; ++k) {
    int p = order[k];
    Gr128 v = shares[p - 1];
    if (k < errors) {
      Gr128 noise = Gr128::Random(rng);
      if (noise.IsZero()) noise = Gr128::One();
      v += noise;
    }
    s.received.push_back({p, v});
  }
  return s;
}

RC_GTEST_PROP(RobustReconstructionProps, SyncReturnsTheSecretOrFailsNeverWrong, ()) {
  const int n = *rc::gen::element(4, 7, 10, 13);
  const int t = (n - 1) / 3;
  const int missing = *rc::gen::inRange(0, t + 1);
  const int errors = *rc::gen::inRange(0, n - missing - t);  // up to well beyond t
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  Scenario s = MakeScenario(n, errors, missing, seed);
  auto r = ReconstructSync<Gr128>({n, t, t}, s.received, missing);
  if (errors + missing <= t) {
    RC_ASSERT(r.ok());
    RC_ASSERT(r.value() == s.secret);
  } else if (r.ok()) {
    RC_ASSERT(r.value() == s.secret);  // beyond the radius: a secret is only ever the right one
  } else {
    RC_ASSERT(r.error().kind != ErrorKind::kInvalidInput);
  }
}

RC_GTEST_PROP(RobustReconstructionProps, AsyncAcceptsOnlyTheSecret, ()) {
  const int n = *rc::gen::element(4, 7, 10, 13);
  const int t = (n - 1) / 3;
  const int errors = *rc::gen::inRange(0, t + 1);
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  // Shares arrive one by one; the rule must never accept a wrong value and must accept once all
  // n have arrived with at most t errors.
  Scenario s = MakeScenario(n, errors, 0, seed);
  bool done = false;
  for (size_t k = 1; k <= s.received.size() && !done; ++k) {
    std::span<const IndexedShare<Gr128>> prefix(s.received.data(), k);
    auto out = TryReconstructAsync<Gr128>({n, t, t}, prefix, 0);
    RC_ASSERT(out.status != ReconstructStatus::kFailed);
    if (out.status == ReconstructStatus::kDone) {
      RC_ASSERT(out.secrets[0] == s.secret);
      done = true;
    }
  }
  RC_ASSERT(done);
}

TEST(RobustReconstructionTest, BatchWithFourBadPartiesAmongThirteen) {
  testing::SeededRng rng(3);
  const int n = 13, t = 4, count = 50;
  std::vector<Gr128> secrets;
  ShareColumns<Gr128> cols;
  cols.values.assign(n, {});
  for (int p = 1; p <= n; ++p) cols.parties.push_back(p);
  for (int k = 0; k < count; ++k) {
    secrets.push_back(Gr128::Random(rng));
    auto shares = ShareSecret(secrets.back(), n, t, rng);
    for (int p = 0; p < n; ++p) cols.values[p].push_back(shares[p]);
  }
  for (int bad : {2, 5, 8, 13})
    for (auto& v : cols.values[bad - 1]) v = Gr128::Random(rng);
  auto r = ReconstructBatchSync<Gr128>({n, t, t}, cols, 0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value(), secrets);
}

// Liars that change over a batch: party 2 lies on the first 1,500 values, party 5 from value
// 500 on, party 9 on one value only, party 11 on every value with shares that are consistent
// among themselves; every secret still comes out right. A caught liar is left out of the
// fast path for the rest of the batch (one decoding, not one per value: the time is printed,
// the old code decoded all 2,000 values).
TEST(RobustReconstructionTest, BatchWithLiarsThatChangeAlongTheBatch) {
  testing::SeededRng rng(4);
  const int n = 13, t = 4, count = 2000;
  std::vector<Gr128> secrets;
  ShareColumns<Gr128> cols;
  cols.values.assign(n, {});
  for (int p = 1; p <= n; ++p) cols.parties.push_back(p);
  for (int k = 0; k < count; ++k) {
    secrets.push_back(Gr128::Random(rng));
    auto shares = ShareSecret(secrets.back(), n, t, rng);
    for (int p = 0; p < n; ++p) cols.values[p].push_back(shares[p]);
  }
  for (int k = 0; k < count; ++k) {
    if (k < 1500) cols.values[1][k] += Gr128::One();
    if (k >= 500) cols.values[4][k] = Gr128::Random(rng);
    if (k == 1700) cols.values[8][k] += Gr128::One();
    cols.values[10][k] += Gr128::FromScalar(7);
  }
  for (bool async : {false, true}) {
    const auto start = std::chrono::steady_clock::now();
    if (async) {
      auto r = TryReconstructBatchAsync<Gr128>({n, t, t}, cols, 0);
      ASSERT_EQ(r.status, ReconstructStatus::kDone) << r.error.message;
      EXPECT_EQ(r.secrets, secrets);
    } else {
      auto r = ReconstructBatchSync<Gr128>({n, t, t}, cols, 0);
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_EQ(r.value(), secrets);
    }
    std::printf("[ info ] %s, %d values, 4 liars among 13: %.1f ms\n", async ? "async" : "sync",
                count,
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count());
  }
  // Past t liars on one value the batch fails, naming the value, and never returns a wrong one.
  // (Value 1000 has liars 2, 5 and 11; parties 1 and 3 make five.)
  cols.values[0][1000] += Gr128::One();
  cols.values[2][1000] += Gr128::One();
  auto over = ReconstructBatchSync<Gr128>({n, t, t}, cols, 0);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("secret 1000"), std::string::npos) << over.error().message;
}

TEST(RobustReconstructionTest, AsyncWaitsThenAcceptsForThreeTPlusOne) {
  testing::SeededRng rng(4);
  Gr128 secret = Gr128::Random(rng);
  auto shares = ShareSecret(secret, 4, 1, rng);
  std::vector<IndexedShare<Gr128>> got{{1, shares[0]}, {2, shares[1] + Gr128::One()}};
  auto out = TryReconstructAsync<Gr128>({4, 1, 1}, got, 0);
  EXPECT_EQ(out.status, ReconstructStatus::kWaitForMore);
  got.push_back({3, shares[2]});
  out = TryReconstructAsync<Gr128>({4, 1, 1}, got, 0);
  EXPECT_EQ(out.status, ReconstructStatus::kWaitForMore);  // 3 heard, one wrong: cannot tell
  got.push_back({4, shares[3]});
  out = TryReconstructAsync<Gr128>({4, 1, 1}, got, 0);
  ASSERT_EQ(out.status, ReconstructStatus::kDone);
  EXPECT_EQ(out.secrets[0], secret);
}

TEST(RobustReconstructionTest, AsyncFailsWhenEveryoneHeardAndTooManyErrors) {
  testing::SeededRng rng(5);
  Gr128 secret = Gr128::Random(rng);
  auto shares = ShareSecret(secret, 4, 1, rng);
  std::vector<IndexedShare<Gr128>> got{{1, shares[0]},
                                       {2, shares[1] + Gr128::One()},
                                       {3, shares[2] + Gr128::FromScalar(9)},
                                       {4, shares[3]}};
  auto out = TryReconstructAsync<Gr128>({4, 1, 1}, got, 0);
  EXPECT_EQ(out.status, ReconstructStatus::kFailed);
}

TEST(RobustReconstructionTest, BadInputGivesInvalidInput) {
  ShareColumns<Gr64> cols;
  cols.parties = {1, 2, 2, 4};
  cols.values.assign(4, {Gr64::One()});
  auto r = ReconstructBatchSync<Gr64>({4, 1, 1}, cols, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);

  cols.parties = {1, 2, 3, 4};
  cols.values[2].push_back(Gr64::One());  // party 3 sent a longer vector
  r = ReconstructBatchSync<Gr64>({4, 1, 1}, cols, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(r.error().message.find("party 3"), std::string::npos);

  cols.values.pop_back();  // 4 parties, 3 rows
  r = ReconstructBatchSync<Gr64>({4, 1, 1}, cols, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);

  cols.parties = {1, 2, 3, 9};
  cols.values.assign(4, {Gr64::One()});
  r = ReconstructBatchSync<Gr64>({4, 1, 1}, cols, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);

  cols.parties = {1, 2, 3};
  cols.values.assign(3, {Gr64::One()});
  r = ReconstructBatchSync<Gr64>({4, 1, 1}, cols, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotEnoughShares);
}

}  // namespace
}  // namespace kms::algebra
