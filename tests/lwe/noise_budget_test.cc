// The noise budget of crypto-spec A.2, proven for both parameter sets and every party count.
#include <gtest/gtest.h>

#include "lwe/parameters.h"

namespace kms::lwe {
namespace {

TEST(NoiseBudgetTest, HoldsForBothSetsAndEveryPartyCount) {
  for (const LweParameters* params : {&TestParameters(), &DefaultParameters()}) {
    for (int n = 4; n <= 15; ++n) {
      const int t = (n - 1) / 3;
      EXPECT_TRUE(CheckNoiseBudget(*params, n, t).ok())
          << params->name << " n=" << n << " t=" << t << ": " << CheckNoiseBudget(*params, n, t);
    }
  }
}

TEST(NoiseBudgetTest, FloodingBoundIsTheSmallestPowerOfTwoAboveFreshNoise) {
  for (const LweParameters* params : {&TestParameters(), &DefaultParameters()}) {
    const Z128 fresh = WorstCaseFreshNoise(*params);
    EXPECT_GE(params->flooding_bound, fresh) << params->name;
    EXPECT_LT(params->flooding_bound / 2, fresh) << params->name;
    EXPECT_EQ(params->flooding_bound & (params->flooding_bound - 1), 0u) << params->name;
  }
  EXPECT_EQ(DefaultParameters().flooding_bound, Z128{1} << 44);
  EXPECT_EQ(TestParameters().flooding_bound, Z128{1} << 31);
}

TEST(NoiseBudgetTest, TooManyBitsPerBlockFails) {
  LweParameters broken = DefaultParameters();
  broken.name = "broken";
  broken.bits_per_block = 40;
  broken.delta = Z128{1} << (127 - 40);
  ASSERT_TRUE(ValidateParameters(broken).ok());
  absl::Status s = CheckNoiseBudget(broken, 13, 4);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("Delta/2"), std::string::npos) << s;
  EXPECT_NE(s.message().find("n=13, t=4"), std::string::npos) << s;
  // 30 bits per block is the documented maximum for n <= 15; 31 fails at n = 15.
  broken.bits_per_block = 30;
  broken.delta = Z128{1} << (127 - 30);
  EXPECT_TRUE(CheckNoiseBudget(broken, 15, 4).ok());
  broken.bits_per_block = 31;
  broken.delta = Z128{1} << (127 - 31);
  EXPECT_FALSE(CheckNoiseBudget(broken, 15, 4).ok());
}

TEST(NoiseBudgetTest, FloodingBoundBelowFreshNoiseFails) {
  LweParameters broken = TestParameters();
  broken.flooding_bound = Z128{1} << 30;
  absl::Status s = CheckNoiseBudget(broken, 4, 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("worst-case fresh noise"), std::string::npos) << s;
}

TEST(NoiseBudgetTest, HugeBoundsReportOverflowInsteadOfWrapping) {
  LweParameters broken = DefaultParameters();
  broken.flooding_bound = Z128{1} << 100;
  absl::Status s = CheckNoiseBudget(broken, 15, 4);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("overflows"), std::string::npos) << s;
}

TEST(NoiseBudgetTest, RejectsBadPartyCounts) {
  EXPECT_FALSE(CheckNoiseBudget(TestParameters(), 0, 0).ok());
  EXPECT_FALSE(CheckNoiseBudget(TestParameters(), 4, 4).ok());
  EXPECT_FALSE(CheckNoiseBudget(TestParameters(), 4, -1).ok());
  EXPECT_FALSE(CheckNoiseBudget(TestParameters(), 256, 1).ok());
}

TEST(ParametersTest, NamedSetsHaveTheSpecifiedValues) {
  const LweParameters& d = DefaultParameters();
  EXPECT_EQ(d.name, "default");
  EXPECT_EQ(d.lwe_dimension, 4096);
  EXPECT_EQ(d.noise_log2, 30);
  EXPECT_EQ(d.bits_per_block, 16);
  EXPECT_EQ(d.delta, Z128{1} << 111);
  const LweParameters& t = TestParameters();
  EXPECT_EQ(t.name, "test");
  EXPECT_EQ(t.lwe_dimension, 512);
  EXPECT_EQ(t.noise_log2, 20);
  EXPECT_EQ(t.delta, Z128{1} << 111);
  EXPECT_EQ(DeltaLog2(t), 111);
  EXPECT_TRUE(ValidateParameters(d).ok());
  EXPECT_TRUE(ValidateParameters(t).ok());
  EXPECT_EQ(*ParametersByName("test"), &t);
  EXPECT_EQ(*ParametersByName("default"), &d);
  EXPECT_EQ(ParametersByName("Default").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParametersByName("").ok());
}

TEST(ParametersTest, ValidateRejectsEachBadField) {
  auto expect_bad = [](LweParameters p, const char* field) {
    absl::Status s = ValidateParameters(p);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_NE(s.message().find(field), std::string::npos) << s;
  };
  LweParameters p = TestParameters();
  p.lwe_dimension = 500;
  expect_bad(p, "lwe_dimension");
  p = TestParameters();
  p.noise_log2 = 63;
  expect_bad(p, "noise_log2");
  p = TestParameters();
  p.bits_per_block = 0;
  expect_bad(p, "bits_per_block");
  p = TestParameters();
  p.delta = 12345;
  expect_bad(p, "delta");
  p = TestParameters();
  p.flooding_bound = 0;
  expect_bad(p, "flooding_bound");
}

}  // namespace
}  // namespace kms::lwe
