// Noise squashing (tfhe/noise_squashing.h): our noise-squashing GLWE secret and 128-bit
// bootstrapping key, generated for the golden node-tfhe ClientKey's small LWE key, squash
// KS-PBS outputs of the golden server key (and the golden FheUint64's own blocks) into LWEs over
// Z_2^128 that decrypt, at Δ_128 = 2^123, to the block values; packed blocks
// (block_2j + 4·block_2j+1) decrypt to 4-bit nibbles. The 128-bit noise is logged and checked to
// be far below the switch-and-squash flooding bound 2^70 · … (it must stay below Δ_128/2 by a
// wide margin for the threshold decryption's flooding to hide it).
#include "tfhe/noise_squashing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "crypto/random.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/golden_files.h"
#include "tfhe/noise_squashing_fixture.h"
#include "tfhe/server_key.h"

namespace kms::tfhe {
namespace {

using testing::CheckSquash;
using testing::Make;

TEST(NoiseSquashing, TestProfileSquashesGoldenBlocksAndPbsOutputs) {
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  auto s = Make("kms-test", KmsTestNoiseSquashingParameters());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->nsk.bootstrapping_key.input_lwe_dimension(), 1u);
  EXPECT_EQ(s->nsk.bootstrapping_key.output_lwe_dimension(), 256u);
  // TUniform(0) key noise through 2 levels of 2^33 digits and the 2^62 decomposition rounding
  // of 33/2 on a 256-bit key: ≈ 2^66.
  CheckSquash(*s, 32, 72);
}

TEST(NoiseSquashing, SquashedFheUint64DecryptsToTheGoldenValue) {
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  auto s = Make("kms-test", KmsTestNoiseSquashingParameters());
  ASSERT_TRUE(s.ok()) << s.status();
  auto sq = SquashFheUint(s->sk, s->nsk, s->u64);
  ASSERT_TRUE(sq.ok()) << sq.status();
  EXPECT_EQ(sq->original_block_count, 32u);
  ASSERT_EQ(sq->packed_blocks.size(), 16u);
  EXPECT_EQ(sq->packed_blocks[0].degree, 15u);
  auto v = DecryptSquashedNoiseFheUint(*NoiseSquashingLweKey(s->ck), *sq);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(*v == testing::kGoldenU64);
  // A radix sum (carries propagated) squashes too; an odd block count leaves one unpacked.
  crypto::AesCtrRng rng;
  auto a = EncryptFheUint(s->ck, 0x5a5, 6, rng);
  auto b = EncryptFheUint(s->ck, 0x1ff, 6, rng);
  auto sum = AddFheUint(s->sk, *a, *b);
  ASSERT_TRUE(sum.ok());
  FheUint odd = *sum;
  odd.blocks.pop_back();  // 5 blocks: 10 bits
  auto sq_odd = SquashFheUint(s->sk, s->nsk, odd);
  ASSERT_TRUE(sq_odd.ok()) << sq_odd.status();
  EXPECT_EQ(sq_odd->packed_blocks.size(), 3u);
  EXPECT_TRUE(*DecryptSquashedNoiseFheUint(*NoiseSquashingLweKey(s->ck), *sq_odd) ==
              ((0x5a5 + 0x1ff) & 0x3ff));
  // Blocks with a carry cannot be packed.
  FheUint dirty = *a;
  ASSERT_TRUE(UncheckedAdd(dirty.blocks[0], b->blocks[0]).ok());
  EXPECT_FALSE(SquashFheUint(s->sk, s->nsk, dirty).ok());
}

TEST(NoiseSquashing, RefusesMismatchedBlocks) {
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  auto s = Make("kms-test", KmsTestNoiseSquashingParameters());
  ASSERT_TRUE(s.ok());
  ShortintCiphertext b = s->u64.blocks[0];
  b.carry_modulus = 2;
  EXPECT_FALSE(SquashNoise(s->sk, s->nsk, b).ok());
  ShortintCiphertext c = s->u64.blocks[0];
  c.noise_level = 99;
  EXPECT_FALSE(SquashNoise(s->sk, s->nsk, c).ok());
  ClientKey no_key = s->ck;
  no_key.noise_squashing_private_key.reset();
  EXPECT_FALSE(
      GenerateNoiseSquashingBootstrapKey(no_key, *std::make_unique<crypto::AesCtrRng>()).ok());
}

}  // namespace
}  // namespace kms::tfhe
