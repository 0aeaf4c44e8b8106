#include "lwe/encryption.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <vector>

#include "crypto/random.h"
#include "lwe/compact_public_key.h"
#include "testing/seeded_rng.h"

namespace kms::lwe {
namespace {

struct Keys {
  SecretKey sk;
  CompactPublicKey pk;
};

Keys MakeKeys(const LweParameters& params, algebra::RandomSource& rng) {
  SecretKey sk = SecretKey::Generate(params, rng);
  CompactPublicKey pk = GenerateCompactPublicKey(sk, rng.Uniform<Z128>(), rng);
  return {std::move(sk), std::move(pk)};
}

std::vector<uint64_t> RandomBlocks(size_t count, const LweParameters& params,
                                   algebra::RandomSource& rng) {
  std::vector<uint64_t> blocks(count);
  for (auto& b : blocks)
    b = rng.Uniform<algebra::Z64>() & ((uint64_t{1} << params.bits_per_block) - 1);
  return blocks;
}

__int128 Abs(__int128 v) { return v < 0 ? -v : v; }

class EncryptionTest : public ::testing::TestWithParam<const LweParameters*> {};

TEST_P(EncryptionTest, RoundTripAndExpansionAgree) {
  const LweParameters& params = *GetParam();
  crypto::AesCtrRng rng(crypto::AesKey{1}, 0);
  Keys keys = MakeKeys(params, rng);
  std::vector<uint64_t> blocks = RandomBlocks(7, params, rng);
  blocks[0] = 0;
  blocks[1] = (uint64_t{1} << params.bits_per_block) - 1;  // the largest block value
  auto list = EncryptCompactList(keys.pk, blocks, rng);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_TRUE(ValidateCompactCiphertextList(*list).ok());
  ASSERT_EQ(list->bodies.size(), blocks.size());
  const std::vector<LweCiphertext> all = ExpandAll(*list);
  ASSERT_EQ(all.size(), blocks.size());
  for (size_t j = 0; j < blocks.size(); ++j) {
    EXPECT_EQ(DecryptBlock(keys.sk, *list, j), blocks[j]) << "block " << j;
    const LweCiphertext one = ExpandBlock(*list, j);
    EXPECT_EQ(one.a, all[j].a);
    EXPECT_EQ(one.b, all[j].b);
    // The relation the threshold decryption relies on: b - <a, s> = Δ·m + small noise.
    const Z128 phase = DecryptPhase(keys.sk, one);
    EXPECT_EQ(phase, DecryptBlockPhase(keys.sk, *list, j));
    EXPECT_LT(Abs(BlockNoise(phase, blocks[j], params)),
              static_cast<__int128>(params.flooding_bound));
  }
}

// Noise of many fresh encryptions stays below Bd (and well below the worst case).
TEST_P(EncryptionTest, MeasuredNoiseStaysBelowFloodingBound) {
  const LweParameters& params = *GetParam();
  crypto::AesCtrRng rng(crypto::AesKey{2}, 0);
  Keys keys = MakeKeys(params, rng);
  const size_t n = static_cast<size_t>(params.lwe_dimension);
  // About 8,000 blocks per set: full lists, one CPK use each.
  const int lists = params.lwe_dimension >= 4096 ? 2 : 16;
  __int128 max_abs = 0;
  double sum_sq = 0;
  size_t samples = 0;
  for (int l = 0; l < lists; ++l) {
    const std::vector<uint64_t> blocks = RandomBlocks(n, params, rng);
    auto list = EncryptCompactList(keys.pk, blocks, rng);
    ASSERT_TRUE(list.ok()) << list.status();
    for (size_t j = 0; j < n; ++j) {
      const Z128 phase = DecryptBlockPhase(keys.sk, *list, j);
      ASSERT_EQ(DecodeBlock(phase, params), blocks[j]);
      const __int128 noise = BlockNoise(phase, blocks[j], params);
      max_abs = std::max(max_abs, Abs(noise));
      sum_sq += static_cast<double>(noise) * static_cast<double>(noise);
      ++samples;
    }
  }
  const double log2_max = std::log2(static_cast<double>(max_abs));
  const double log2_bd = std::log2(static_cast<double>(params.flooding_bound));
  std::cout << "[ noise ] " << params.name << ": " << samples << " blocks, max |noise| = 2^"
            << log2_max << ", rms = 2^" << std::log2(std::sqrt(sum_sq / samples)) << ", Bd = 2^"
            << log2_bd << "\n";
  EXPECT_LT(max_abs, static_cast<__int128>(params.flooding_bound));
  EXPECT_LE(max_abs, static_cast<__int128>(WorstCaseFreshNoise(params)));
  // Real noise: a sum of ~n̂ TUniform(2^B) terms, so far above 2^B.
  EXPECT_GT(max_abs, static_cast<__int128>(1) << (params.noise_log2 + 2));
}

TEST_P(EncryptionTest, CiphertextUnderAnotherKeyDoesNotDecrypt) {
  const LweParameters& params = *GetParam();
  crypto::AesCtrRng rng(crypto::AesKey{3}, 0);
  Keys keys = MakeKeys(params, rng);
  SecretKey other = SecretKey::Generate(params, rng);
  const std::vector<uint64_t> blocks = RandomBlocks(16, params, rng);
  auto list = EncryptCompactList(keys.pk, blocks, rng);
  ASSERT_TRUE(list.ok());
  int equal = 0;
  for (size_t j = 0; j < blocks.size(); ++j) {
    const Z128 phase = DecryptBlockPhase(other, *list, j);
    equal += DecodeBlock(phase, params) == blocks[j];
    // Under the wrong key the phase is uniform: its noise is nowhere near Bd.
    EXPECT_GT(Abs(BlockNoise(phase, blocks[j], params)),
              static_cast<__int128>(params.flooding_bound));
  }
  EXPECT_LT(equal, 2);
}

INSTANTIATE_TEST_SUITE_P(BothSets, EncryptionTest,
                         ::testing::Values(&TestParameters(), &DefaultParameters()),
                         [](const auto& info) { return info.param->name; });

// Decoding rounds to the nearest multiple of Δ; at m = 0 a negative noise wraps the phase to
// just below 2^128, and the rounding still gives 0 (B §2.11 step 5's wrap).
TEST(DecodeTest, RoundsNegativeNoiseAtZeroAndTheTopValue) {
  const LweParameters& params = TestParameters();
  const Z128 delta = params.delta;
  const uint64_t top = (uint64_t{1} << params.bits_per_block) - 1;
  for (__int128 noise :
       {static_cast<__int128>(0), static_cast<__int128>(-1), static_cast<__int128>(1),
        -static_cast<__int128>(params.flooding_bound), static_cast<__int128>(params.flooding_bound),
        static_cast<__int128>(delta / 2 - 1), -static_cast<__int128>(delta / 2)}) {
    for (uint64_t m : {uint64_t{0}, uint64_t{1}, uint64_t{12345}, top}) {
      const Z128 phase = delta * m + static_cast<Z128>(noise);
      EXPECT_EQ(DecodeBlock(phase, params), m)
          << "m=" << m << " noise=" << static_cast<double>(noise);
      EXPECT_EQ(BlockNoise(phase, m, params), noise);
    }
  }
  // Just past half of Δ the value rounds up (and the top value wraps to 0 via the padding bit).
  EXPECT_EQ(DecodeBlock(delta / 2, params), 1u);
  EXPECT_EQ(DecodeBlock(delta * top + delta / 2, params), 0u);
  EXPECT_EQ(DecodeBlock(~Z128{0}, params), 0u);  // phase = -1
}

TEST(DecodeTest, EncryptedZeroWithNegativeNoiseDecodesToZero) {
  crypto::AesCtrRng rng(crypto::AesKey{4}, 0);
  const LweParameters& params = TestParameters();
  Keys keys = MakeKeys(params, rng);
  const std::vector<uint64_t> zeros(params.lwe_dimension, 0);
  auto list = EncryptCompactList(keys.pk, zeros, rng);
  ASSERT_TRUE(list.ok());
  int negative = 0;
  for (size_t j = 0; j < zeros.size(); ++j) {
    const Z128 phase = DecryptBlockPhase(keys.sk, *list, j);
    const __int128 noise = BlockNoise(phase, 0, params);
    if (noise < 0) {
      ++negative;
      EXPECT_GT(phase, ~Z128{0} - params.flooding_bound);  // wrapped near 2^128
    }
    EXPECT_EQ(DecodeBlock(phase, params), 0u);
  }
  EXPECT_GT(negative, 100);
}

TEST(EncryptCompactListTest, RejectsBadInput) {
  testing::SeededRng rng(5);
  const LweParameters& params = TestParameters();
  Keys keys = MakeKeys(params, rng);
  auto code = [](const auto& r) { return r.status().code(); };
  EXPECT_EQ(code(EncryptCompactList(keys.pk, {}, rng)), absl::StatusCode::kInvalidArgument);
  std::vector<uint64_t> too_many(params.lwe_dimension + 1, 0);
  EXPECT_EQ(code(EncryptCompactList(keys.pk, too_many, rng)), absl::StatusCode::kInvalidArgument);
  std::vector<uint64_t> too_big = {1, uint64_t{1} << params.bits_per_block};
  auto r = EncryptCompactList(keys.pk, too_big, rng);
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("blocks[1]"), std::string::npos) << r.status();
  CompactPublicKey broken = keys.pk;
  broken.body.resize(3);
  EXPECT_EQ(code(EncryptCompactList(broken, std::vector<uint64_t>{1}, rng)),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidateCompactCiphertextListTest, NamesTheField) {
  CompactCiphertextList list;
  EXPECT_NE(ValidateCompactCiphertextList(list).message().find("ciphertext.params"),
            std::string::npos);
  list.params = &TestParameters();
  list.mask.assign(511, 0);
  list.bodies.assign(1, 0);
  EXPECT_NE(ValidateCompactCiphertextList(list).message().find("ciphertext.mask"),
            std::string::npos);
  list.mask.assign(512, 0);
  list.bodies.clear();
  EXPECT_NE(ValidateCompactCiphertextList(list).message().find("ciphertext.bodies"),
            std::string::npos);
  list.bodies.assign(512, 0);
  EXPECT_TRUE(ValidateCompactCiphertextList(list).ok());
}

TEST(ExpandBlockTest, OutOfRangeIndexGivesEmptyCiphertextInReleaseBuilds) {
#ifdef NDEBUG
  testing::SeededRng rng(6);
  Keys keys = MakeKeys(TestParameters(), rng);
  auto list = EncryptCompactList(keys.pk, std::vector<uint64_t>{1, 2}, rng);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(ExpandBlock(*list, 2).a.empty());
  EXPECT_TRUE(ExpandBlock(*list, 100000).a.empty());
  EXPECT_EQ(DecryptBlockPhase(keys.sk, *list, 2), 0u);
#else
  GTEST_SKIP() << "debug builds assert on this precondition";
#endif
}

}  // namespace
}  // namespace kms::lwe
