// Our own keys (tfhe/key_generation.h): the parameter profiles equal those of node-tfhe's golden
// ClientKeys field for field, the keys serialize in the 1.4 format with the golden sizes and
// round-trip, the CPK satisfies b = a ⊛ rev(s) + e and conforms, and our own encryptions under
// it... are checked against node-tfhe in tests/interop.
#include "tfhe/key_generation.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "crypto/random.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/conformance.h"
#include "tfhe/golden_files.h"

namespace kms::tfhe {
namespace {

TEST(SemiReverseNegacyclicConvolution, CryptoSpecVector) {
  // crypto-spec B §2.10: a = [1, 2, 3], s = [4, 5, 6] gives [−17, 5, 32]. (Not a power of two,
  // but the convolution does not care.)
  const std::vector<uint64_t> a = {1, 2, 3}, s = {4, 5, 6};
  std::vector<uint64_t> out(3);
  SemiReverseNegacyclicConvolution(out, a, s);
  EXPECT_EQ(static_cast<int64_t>(out[0]), -17);
  EXPECT_EQ(static_cast<int64_t>(out[1]), 5);
  EXPECT_EQ(static_cast<int64_t>(out[2]), 32);
}

TEST(KeyGeneration, ProfilesEqualTheGoldenClientKeys) {
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  for (const auto& [prefix, params] : {std::pair{"kms-test", KmsTestKeyParameters()},
                                       std::pair{"kms-default", KmsDefaultKeyParameters()}}) {
    SCOPED_TRACE(prefix);
    auto bytes = testing::ReadGolden(std::string(prefix) + ".ClientKey.bin");
    ASSERT_TRUE(bytes.has_value());
    auto golden = ParseClientKey(*bytes);
    ASSERT_TRUE(golden.ok()) << golden.status();
    EXPECT_EQ(golden->parameters, params.compute);
    ASSERT_TRUE(golden->dedicated_compact_private_key.has_value());
    EXPECT_EQ(golden->dedicated_compact_private_key->parameters, params.compact_public_key);
    EXPECT_EQ(golden->dedicated_compact_private_key->ksk_parameters, params.casting);
  }
}

TEST(KeyGeneration, KeysSerializeAndSatisfyTheCpkIdentity) {
  crypto::AesCtrRng rng;
  for (const auto& [name, params, ck_size, cpk_size] :
       {std::tuple{"kms-test", KmsTestKeyParameters(), size_t{6665}, size_t{8442}},
        std::tuple{"kms-default", KmsDefaultKeyParameters(), size_t{40625}, size_t{33018}}}) {
    SCOPED_TRACE(name);
    auto ck = GenerateClientKey(params, rng);
    ASSERT_TRUE(ck.ok()) << ck.status();
    auto cpk = GenerateCompactPublicKey(*ck, rng);
    ASSERT_TRUE(cpk.ok()) << cpk.status();
    auto ck_bytes = SerializeClientKey(*ck);
    auto cpk_bytes = SerializeCompactPublicKey(*cpk);
    ASSERT_TRUE(ck_bytes.ok() && cpk_bytes.ok());
    EXPECT_EQ(ck_bytes->size(), ck_size);  // the golden node-tfhe sizes
    EXPECT_EQ(cpk_bytes->size(), cpk_size);
    auto ck2 = ParseClientKey(ck_bytes->span());
    ASSERT_TRUE(ck2.ok());
    EXPECT_TRUE(*ck2 == *ck);
    EXPECT_TRUE(CheckConformance(cpk->parameters, params.compact_public_key).ok());

    size_t ones = 0;
    for (uint64_t bit : ck->dedicated_compact_private_key->key.data) {
      ASSERT_LE(bit, 1u);
      ones += bit;
    }
    const size_t n = cpk->key.lwe_dimension();
    EXPECT_GT(ones, n / 4);
    EXPECT_LT(ones, 3 * n / 4);

    // b − a ⊛ rev(s) is the TUniform noise.
    std::vector<uint64_t> conv(n);
    const auto& data = cpk->key.glwe_ciphertext.data;
    SemiReverseNegacyclicConvolution(conv, std::span(data.data(), n),
                                     ck->dedicated_compact_private_key->key.data);
    const int64_t bound = int64_t{1}
                          << params.compact_public_key.encryption_noise_distribution.bound_log2;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_LE(std::llabs(static_cast<int64_t>(data[n + i] - conv[i])), bound) << i;
    }

    // Client-key encryption under our key decrypts.
    auto u64 = EncryptFheUint(*ck, 0xfedcba9876543210ULL, 32, rng);
    ASSERT_TRUE(u64.ok());
    auto back = DecryptFheUint(*ck, *u64);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(static_cast<uint64_t>(*back), 0xfedcba9876543210ULL);
  }
}

TEST(KeyGeneration, CompactPublicKeyNeedsACompactSecret) {
  crypto::AesCtrRng rng;
  auto ck = GenerateClientKey(KmsTestKeyParameters(), rng);
  ASSERT_TRUE(ck.ok());
  ck->dedicated_compact_private_key.reset();
  EXPECT_EQ(GenerateCompactPublicKey(*ck, rng).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::tfhe
