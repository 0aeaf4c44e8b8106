#include "service/rate_limiter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace kms::service {
namespace {

using ::testing::HasSubstr;

TEST(RateLimiterTest, TokensAreTakenAndGivenBack) {
  RateLimiter limiter(10);
  auto a = limiter.Acquire("keygen", 6);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(limiter.in_use(), 6u);
  EXPECT_DOUBLE_EQ(limiter.usage(), 0.6);
  auto b = limiter.Acquire("pub_decrypt", 5);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(b.status().message(),
              HasSubstr("rate limit: pub_decrypt needs 5 tokens, 4 of 10 free; retry later"));
  EXPECT_EQ(limiter.in_use(), 6u);  // a refusal takes nothing
  auto c = limiter.Acquire("pub_decrypt", 4);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(limiter.in_use(), 10u);
  *a = RateLimiter::Lease();  // releases the 6
  EXPECT_EQ(limiter.in_use(), 4u);
  c->Release();
  c->Release();  // idempotent
  EXPECT_EQ(limiter.in_use(), 0u);
}

TEST(RateLimiterTest, MovedLeasesReturnOnce) {
  RateLimiter limiter(3);
  {
    auto a = limiter.Acquire("x", 3);
    ASSERT_TRUE(a.ok());
    RateLimiter::Lease moved = std::move(*a);
    EXPECT_EQ(moved.tokens(), 3u);
    EXPECT_EQ(limiter.in_use(), 3u);
    RateLimiter::Lease again(std::move(moved));
    EXPECT_EQ(limiter.in_use(), 3u);
  }
  EXPECT_EQ(limiter.in_use(), 0u);
  EXPECT_TRUE(limiter.Acquire("free", 0).ok());
}

TEST(RateLimiterTest, ConcurrentAcquiresNeverExceedTheBucket) {
  RateLimiter limiter(100);
  std::atomic<int> granted{0}, refused{0};
  std::vector<std::thread> threads;
  std::vector<RateLimiter::Lease> kept[8];
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto l = limiter.Acquire("op", 1);
        if (l.ok()) {
          ++granted;
          kept[t].push_back(std::move(*l));
        } else {
          ++refused;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(granted.load(), 100);
  EXPECT_EQ(refused.load(), 300);
  EXPECT_EQ(limiter.in_use(), 100u);
  for (auto& v : kept) v.clear();
  EXPECT_EQ(limiter.in_use(), 0u);
}

}  // namespace
// A request is charged per unit of its work; one that can never fit the bucket says so.
TEST(RateLimiterTest, ChargeCostsUnitsTimesTheirCost) {
  RateLimiter limiter(40);
  absl::StatusOr<RateLimiter::Lease> small = limiter.Charge("pub_decrypt", 32, 1, "LWE blocks");
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->tokens(), 32u);
  EXPECT_EQ(limiter.in_use(), 32u);
  // Fits the bucket but not the free tokens: retryable, the usual message.
  absl::StatusOr<RateLimiter::Lease> busy = limiter.Charge("pub_decrypt", 9, 1, "LWE blocks");
  EXPECT_EQ(busy.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(busy.status().message().find("retry later"), std::string::npos);
  small->Release();
  // More than the whole bucket: never fits, even when it is empty.
  absl::StatusOr<RateLimiter::Lease> big = limiter.Charge("pub_decrypt", 48, 1, "LWE blocks");
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(big.status().message(),
            "rate limit: pub_decrypt of 48 LWE blocks costs 48 tokens, more than the whole bucket "
            "of 40 (rate_limiter.bucket_size): it can never fit; split the request");
  EXPECT_EQ(limiter.in_use(), 0u);
  // Overflowing products saturate instead of wrapping to a small cost.
  absl::StatusOr<RateLimiter::Lease> wrap =
      limiter.Charge("preproc", uint64_t{1} << 63, 4, "units");
  EXPECT_EQ(wrap.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(RateLimiterTest, PreprocessingUnitsRoundUp) {
  EXPECT_EQ(PreprocessingUnits(0), 0u);
  EXPECT_EQ(PreprocessingUnits(1), 1u);
  EXPECT_EQ(PreprocessingUnits(10000), 1u);
  EXPECT_EQ(PreprocessingUnits(10001), 2u);
  EXPECT_EQ(PreprocessingUnits(135168), 14u);                      // the "default" DKG's bits
  EXPECT_EQ(PreprocessingUnits(11776), 2u);                        // the "test" DKG's bits
  EXPECT_EQ(PreprocessingUnits(795'153), kMaxPreprocessingUnits);  // "tfhe-test": capped
}

}  // namespace kms::service
