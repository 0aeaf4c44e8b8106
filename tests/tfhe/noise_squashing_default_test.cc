// Noise squashing at kms v0.12.8 BC_PARAMS_SNS's parameters (k 2, N 2048, 24/3, TUniform(30),
// CenteredMean) for the golden kms-default node-tfhe ClientKey: our 128-bit bootstrapping key
// (918 GGSWs, 812 MB in the standard domain, 1.2 GB in the NTT domain) squashes golden
// FheUint64 blocks, KS-PBS outputs and packed pairs, which decrypt at Δ_128 = 2^123. Not a unit
// test: key generation and conversion take ≈ 20 s of CPU and 2.2 GB.
#include "tfhe/noise_squashing_fixture.h"

namespace kms::tfhe {
namespace {

TEST(NoiseSquashingDefault, SquashesGoldenBlocksPbsOutputsAndPackedPairs) {
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  auto s = testing::Make("kms-default", KmsDefaultNoiseSquashingParameters());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->nsk.bootstrapping_key.input_lwe_dimension(), 918u);
  EXPECT_EQ(s->nsk.bootstrapping_key.output_lwe_dimension(), 4096u);
  // TUniform(30) key noise through 918·3·3·2048 digits of at most 2^23: ≈ 2^64 measured, far
  // below Δ_128/2 = 2^122 and under the switch-and-squash flooding bound B = 2^70.
  const double variance = testing::CheckSquash(*s, 2, 70);
  // Against the parameter set (918 GGSWs, k 2, N 2048, 24/3, TUniform(30); the NTT adds no
  // error): ≈ 2^64.3 std. 4× allows for the few samples (a χ²_6 tail of 10^-3).
  const NoiseSquashingParameters p = KmsDefaultNoiseSquashingParameters();
  const double expected = testing::BootstrapVariance(
      918, p.glwe_dimension, p.polynomial_size, p.decomp_base_log, p.decomp_level_count,
      testing::TUniformVariance(p.glwe_noise_distribution.bound_log2), 128);
  std::printf("squash: expected std 2^%.2f\n", 0.5 * std::log2(expected));
  EXPECT_LT(variance, 4 * expected);
}

}  // namespace
}  // namespace kms::tfhe
