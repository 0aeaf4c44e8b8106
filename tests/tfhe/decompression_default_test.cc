// Decompression at kms v0.12.8 BC_PARAMS_SNS's parameters for the golden kms-default node-tfhe
// ClientKey and server key (k 1, N 2048, Δ = 2^59), with our compression secret (k 4, N 256),
// packing key (3/4, TUniform(43)) and decompression key (1,024 GGSWs, 23/1, TUniform(17)):
// [FheUint8, FheUint64, FheBool] compressed at storage log 12, unpacked, decrypted, the noise
// against the model, two unpacked values added. Not a unit test: key generation and the 37
// decompression PBS take ≈ 15 s of CPU.
#include <cstdio>

#include "tfhe/decompression_fixture.h"
#include "tfhe/noise_model.h"

namespace kms::tfhe {
namespace {

TEST(DecompressionDefault, UnpacksDecryptsAndAdds) {
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  auto s = testing::MakeDecompressionSetup("kms-default", KmsDefaultCompressionParameters());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->decompression_key.blind_rotate_key.input_lwe_dimension(), 1024u);
  EXPECT_EQ(s->decompression_key.blind_rotate_key.output_lwe_dimension(), 2048u);
  EXPECT_EQ(s->list.modulus_switched_glwe_ciphertext_list[0].packed_integers.log_modulus, 12u);
  double worst = 0;
  const double variance = testing::CheckUnpackedList(*s, worst);
  const CompressionParameters cp = KmsDefaultCompressionParameters();
  const double expected = testing::BootstrapVariance(
      1024, s->ck.parameters.glwe_dimension, s->ck.parameters.polynomial_size, cp.br_base_log,
      cp.br_level, testing::TUniformVariance(s->ck.parameters.glwe_noise_distribution.bound_log2),
      64);
  std::printf(
      "decompressed noise (kms-default): std 2^%.2f, max 2^%.2f, model std 2^%.2f (Δ = 2^59)\n",
      0.5 * std::log2(variance), worst, 0.5 * std::log2(expected));
  EXPECT_LT(variance, 2.5 * expected);
  EXPECT_LT(worst, 55);
  auto a = UnpackFheUint(s->list, 0, s->decompression_key);
  ASSERT_TRUE(a.ok()) << a.status();
  auto sum = AddFheUint(s->sk, *a, *a);
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(static_cast<uint64_t>(*DecryptFheUint(s->ck, *sum)), (2 * testing::kU8) & 0xff);
}

}  // namespace
}  // namespace kms::tfhe
