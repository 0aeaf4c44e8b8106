#include "lwe/noise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "crypto/random.h"
#include "lwe/secret_key.h"
#include "testing/seeded_rng.h"

namespace kms::lwe {
namespace {

__int128 Signed(Z128 v) { return static_cast<__int128>(v); }

// Every value of (-2^B, 2^B) has probability 2^-(B+1), each endpoint 2^-(B+2). With B = 2
// (9 values) and 2^20 samples each count is within 6 standard deviations of its expectation.
TEST(TUniformTest, DistributionIsExactForSmallBound) {
  crypto::AesCtrRng rng(crypto::AesKey{1, 2, 3}, 0);
  constexpr int kB = 2;
  constexpr int kSamples = 1 << 20;
  std::vector<Z128> samples(kSamples);
  SampleTUniform(kB, rng, samples);
  std::map<long long, int> counts;
  for (Z128 s : samples) counts[static_cast<long long>(Signed(s))]++;
  ASSERT_EQ(counts.size(), 9u);
  for (auto [value, count] : counts) {
    ASSERT_GE(value, -4);
    ASSERT_LE(value, 4);
    const double p = (value == -4 || value == 4) ? 1.0 / 16 : 1.0 / 8;
    const double mean = p * kSamples, sd = std::sqrt(kSamples * p * (1 - p));
    EXPECT_NEAR(count, mean, 6 * sd) << "value " << value;
  }
}

TEST(TUniformTest, StaysWithinBoundAndReachesBothSigns) {
  for (int b : {0, 1, 7, 20, 30, 45, 62}) {
    testing::SeededRng rng(static_cast<uint64_t>(b) + 5);
    std::vector<Z128> samples(4096);
    SampleTUniform(b, rng, samples);
    const __int128 bound = static_cast<__int128>(1) << b;
    bool negative = false, positive = false;
    for (Z128 s : samples) {
      ASSERT_LE(Signed(s), bound) << "B=" << b;
      ASSERT_GE(Signed(s), -bound) << "B=" << b;
      negative |= Signed(s) < 0;
      positive |= Signed(s) > 0;
    }
    EXPECT_TRUE(negative) << "B=" << b;
    EXPECT_TRUE(positive) << "B=" << b;
  }
}

TEST(TUniformTest, BoundZeroGivesMinusOneZeroOne) {
  testing::SeededRng rng(3);
  std::vector<Z128> samples(2000);
  SampleTUniform(0, rng, samples);
  std::map<long long, int> counts;
  for (Z128 s : samples) counts[static_cast<long long>(Signed(s))]++;
  EXPECT_EQ(counts.size(), 3u);
  EXPECT_GT(counts[0], counts[1]);  // 1/2 vs 1/4
  EXPECT_GT(counts[0], counts[-1]);
}

TEST(TUniformTest, LargeBoundHasFullSpread) {
  // With B = 30 the mean |e| is about 2^29; a broken bit layout shows up as a wrong scale.
  crypto::AesCtrRng rng(crypto::AesKey{9}, 0);
  std::vector<Z128> samples(1 << 14);
  SampleTUniform(30, rng, samples);
  double sum_abs = 0, sum = 0;
  for (Z128 s : samples) {
    const double v = static_cast<double>(Signed(s));
    sum += v;
    sum_abs += std::fabs(v);
  }
  const double n = static_cast<double>(samples.size());
  EXPECT_NEAR(sum_abs / n / std::ldexp(1.0, 29), 1.0, 0.05);
  EXPECT_LT(std::fabs(sum / n), std::ldexp(1.0, 30) * 0.05);
}

TEST(BinaryTest, BitsAreBalanced) {
  crypto::AesCtrRng rng(crypto::AesKey{4}, 0);
  std::vector<Z128> bits(1 << 16);
  SampleBinary(rng, bits);
  size_t ones = 0;
  for (Z128 b : bits) {
    ASSERT_LE(b, 1u);
    ones += static_cast<size_t>(b);
  }
  EXPECT_NEAR(static_cast<double>(ones), bits.size() / 2.0, 6 * std::sqrt(bits.size() / 4.0));
}

TEST(SecretKeyTest, GenerateAndFromBits) {
  testing::SeededRng rng(1);
  SecretKey key = SecretKey::Generate(TestParameters(), rng);
  EXPECT_EQ(key.dimension(), 512);
  EXPECT_EQ(&key.params(), &TestParameters());
  std::vector<uint8_t> bits(512);
  for (size_t i = 0; i < bits.size(); ++i) bits[i] = static_cast<uint8_t>(key.bits()[i]);
  auto copy = SecretKey::FromBits(TestParameters(), bits);
  ASSERT_TRUE(copy.ok());
  EXPECT_TRUE(std::equal(copy->bits().begin(), copy->bits().end(), key.bits().begin()));

  bits[17] = 2;
  EXPECT_EQ(SecretKey::FromBits(TestParameters(), bits).status().code(),
            absl::StatusCode::kInvalidArgument);
  bits.pop_back();
  EXPECT_EQ(SecretKey::FromBits(TestParameters(), bits).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::lwe
