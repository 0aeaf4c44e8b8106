// common/parallel.h: every index runs exactly once, results land where the body puts them, the
// lowest failing index's status comes back and stops further indices, and nested and concurrent
// loops finish (the caller always works its own loop, so a busy pool never blocks one).
#include "common/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <vector>

namespace kms {
namespace {

TEST(ParallelFor, EveryIndexOnce) {
  for (size_t count : {size_t{0}, size_t{1}, size_t{2}, size_t{7}, size_t{1000}}) {
    std::vector<std::atomic<int>> hits(count);
    ASSERT_TRUE(ParallelFor(count, [&](size_t i) {
                  hits[i].fetch_add(1);
                  return absl::OkStatus();
                }).ok());
    for (size_t i = 0; i < count; ++i) EXPECT_EQ(hits[i].load(), 1) << i << " of " << count;
  }
  EXPECT_GE(ParallelThreads(), 1u);
}

TEST(ParallelFor, TheLowestFailureIsReturnedAndStopsTheLoop) {
  std::atomic<size_t> ran{0};
  absl::Status s = ParallelFor(10'000, [&](size_t i) -> absl::Status {
    ran.fetch_add(1);
    if (i == 3 || i == 5) return absl::InvalidArgumentError("index " + std::to_string(i));
    return absl::OkStatus();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  // Index 3 is claimed before 5 by whoever claims it; both may fail, 3 wins.
  EXPECT_EQ(s.message(), "index 3");
  EXPECT_LT(ran.load(), 10'000u);
}

TEST(ParallelFor, NestedAndConcurrentLoopsFinish) {
  auto nested = [] {
    std::atomic<size_t> sum{0};
    absl::Status s = ParallelFor(8, [&](size_t i) {
      return ParallelFor(16, [&, i](size_t j) {
        sum.fetch_add(i * 16 + j);
        return absl::OkStatus();
      });
    });
    return s.ok() ? sum.load() : 0;
  };
  std::vector<std::future<size_t>> runs;
  for (int r = 0; r < 4; ++r) runs.push_back(std::async(std::launch::async, nested));
  for (auto& r : runs) EXPECT_EQ(r.get(), 127u * 128u / 2);
}

}  // namespace
}  // namespace kms
