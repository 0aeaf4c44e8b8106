// Client-key decryption of the node-tfhe golden FheUint64 / FheBool, and our own client-key
// encryption: it decrypts back, and its bytes have the exact layout of node-tfhe's.
#include "tfhe/client_key_encryption.h"

#include <gtest/gtest.h>

#include "common/status_macros.h"
#include "testing/seeded_rng.h"
#include "tfhe/ciphertext.h"
#include "tfhe/client_key.h"
#include "tfhe/golden_files.h"

namespace kms::tfhe {
namespace {

constexpr uint64_t kGoldenU64 = 0x0123456789abcdefULL;  // values.json "u64"

class ClientKeyEncryption : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
    auto ck = testing::ReadGolden(GetParam() + ".ClientKey.bin");
    ASSERT_TRUE(ck.has_value());
    auto key = ParseClientKey(*ck);
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = std::move(*key);
  }

  uint64_t Delta() const {
    return (uint64_t{1} << 63) / (key_.parameters.message_modulus * key_.parameters.carry_modulus);
  }

  // |phase − m·Δ| of a block, the noise.
  uint64_t Noise(const ShortintCiphertext& b, uint64_t m) const {
    const auto s = b.atomic_pattern.pbs_order == PBSOrder::kKeyswitchBootstrap
                       ? std::span<const uint64_t>(key_.glwe_secret_key.data)
                       : std::span<const uint64_t>(key_.lwe_secret_key.data);
    const int64_t e = static_cast<int64_t>(LwePhase(b.ct, s) - m * Delta());
    return static_cast<uint64_t>(e < 0 ? -e : e);
  }

  ClientKey key_;
};

TEST_P(ClientKeyEncryption, DecryptsGoldenFheUint64) {
  auto bytes = testing::ReadGolden(GetParam() + ".FheUint64.client_key.bin");
  ASSERT_TRUE(bytes.has_value());
  auto ct = ParseFheUint(*bytes);
  ASSERT_TRUE(ct.ok()) << ct.status();
  ASSERT_EQ(ct->blocks.size(), 32u);
  const uint64_t big = key_.parameters.glwe_dimension * key_.parameters.polynomial_size;
  for (size_t i = 0; i < ct->blocks.size(); ++i) {
    const ShortintCiphertext& b = ct->blocks[i];
    EXPECT_EQ(b.ct.lwe_dimension(), big);
    EXPECT_EQ(b.degree, 3u);
    EXPECT_EQ(b.noise_level, 1u);
    EXPECT_EQ(b.message_modulus, 4u);
    EXPECT_EQ(b.carry_modulus, 4u);
    EXPECT_EQ(b.atomic_pattern.pbs_order, PBSOrder::kKeyswitchBootstrap);
    auto m = DecryptBlock(key_, b);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(*m, (kGoldenU64 >> (2 * i)) & 3) << "block " << i;
    // The README measured noise < 2^17 (GLWE TUniform(17); kms-test TUniform(0)).
    EXPECT_LE(Noise(b, *m), uint64_t{1} << key_.parameters.glwe_noise_distribution.bound_log2);
  }
  auto value = DecryptFheUint(key_, *ct);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(static_cast<uint64_t>(*value), kGoldenU64);
  EXPECT_EQ(*value >> 64, 0u);
}

TEST_P(ClientKeyEncryption, DecryptsGoldenFheBool) {
  auto bytes = testing::ReadGolden(GetParam() + ".FheBool.client_key.bin");
  ASSERT_TRUE(bytes.has_value());
  auto ct = ParseFheBool(*bytes);
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(ct->block.degree, 1u);
  auto value = DecryptFheBool(key_, *ct);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_TRUE(*value);
}

TEST_P(ClientKeyEncryption, OwnFheUint64HasNodeTfheLayoutAndDecrypts) {
  kms::testing::SeededRng rng(7);
  auto ours = EncryptFheUint(key_, kGoldenU64, 32, rng);
  ASSERT_TRUE(ours.ok()) << ours.status();
  auto bytes = SerializeFheUint(*ours);
  ASSERT_TRUE(bytes.ok()) << bytes.status();

  // node-tfhe's blob with its LWE words replaced by ours is byte-identical to ours: the two
  // differ only in the random words.
  auto golden = ParseFheUint(*testing::ReadGolden(GetParam() + ".FheUint64.client_key.bin"));
  ASSERT_TRUE(golden.ok());
  for (size_t i = 0; i < golden->blocks.size(); ++i) {
    golden->blocks[i].ct.data = ours->blocks[i].ct.data;
  }
  auto golden_bytes = SerializeFheUint(*golden);
  ASSERT_TRUE(golden_bytes.ok());
  EXPECT_TRUE(*golden_bytes == *bytes);

  auto back = ParseFheUint(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  auto value = DecryptFheUint(key_, *back);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(static_cast<uint64_t>(*value), kGoldenU64);
  for (size_t i = 0; i < back->blocks.size(); ++i) {
    EXPECT_LE(Noise(back->blocks[i], (kGoldenU64 >> (2 * i)) & 3),
              uint64_t{1} << key_.parameters.glwe_noise_distribution.bound_log2);
  }
}

TEST_P(ClientKeyEncryption, OwnFheBoolHasNodeTfheLayoutAndDecrypts) {
  kms::testing::SeededRng rng(8);
  for (bool v : {false, true}) {
    auto ours = EncryptFheBool(key_, v, rng);
    ASSERT_TRUE(ours.ok()) << ours.status();
    auto bytes = SerializeFheBool(*ours);
    ASSERT_TRUE(bytes.ok());
    auto golden = ParseFheBool(*testing::ReadGolden(GetParam() + ".FheBool.client_key.bin"));
    ASSERT_TRUE(golden.ok());
    golden->block.ct.data = ours->block.ct.data;
    EXPECT_TRUE(*SerializeFheBool(*golden) == *bytes);
    auto back = ParseFheBool(*bytes);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*DecryptFheBool(key_, *back), v);
  }
}

// As tfhe-rs: message-and-carry keeps the carry, the boolean reads the message part only, and
// the radix recomposition adds a block's carry into the next block's bits.
TEST_P(ClientKeyEncryption, CarriesAsTfheRsDecodesThem) {
  kms::testing::SeededRng rng(11);
  auto b = EncryptFheBool(key_, false, rng);
  ASSERT_TRUE(b.ok());
  b->block.ct.data.back() += 4 * Delta();  // carry 1, message 0
  EXPECT_EQ(*DecryptBlock(key_, b->block), 4u);
  EXPECT_FALSE(*DecryptFheBool(key_, *b));

  auto u = EncryptFheUint(key_, 0b0111, 2, rng);  // blocks 3, 1
  ASSERT_TRUE(u.ok());
  u->blocks[0].ct.data.back() += 4 * Delta();        // block 0 now 7 = 3 + carry 1
  EXPECT_TRUE(*DecryptFheUint(key_, *u) == 0b1011);  // 7 + 1·4
}

TEST_P(ClientKeyEncryption, RandomValuesAndWidthsRoundTrip) {
  kms::testing::SeededRng rng(9);
  for (size_t blocks : {1u, 4u, 8u, 32u, 64u}) {
    const u128 value = (u128{0xfedcba9876543210ULL} << 64 | 0x0f1e2d3c4b5a6978ULL);
    auto ct = EncryptFheUint(key_, value, blocks, rng);
    ASSERT_TRUE(ct.ok());
    ASSERT_EQ(ct->blocks.size(), blocks);
    auto back = ParseFheUint(*SerializeFheUint(*ct));
    ASSERT_TRUE(back.ok());
    auto got = DecryptFheUint(key_, *back);
    ASSERT_TRUE(got.ok());
    const u128 mask = blocks * 2 >= 128 ? ~u128{0} : (u128{1} << (2 * blocks)) - 1;
    EXPECT_TRUE(*got == (value & mask)) << blocks << " blocks";
  }
}

TEST_P(ClientKeyEncryption, DecryptRefusesABlockOfTheWrongDimension) {
  kms::testing::SeededRng rng(10);
  auto ct = EncryptFheUint(key_, 5, 2, rng);
  ASSERT_TRUE(ct.ok());
  ct->blocks[1].ct.data.pop_back();
  auto value = DecryptFheUint(key_, *ct);
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Golden, ClientKeyEncryption,
                         ::testing::Values(std::string("kms-default"), std::string("kms-test")),
                         [](const auto& info) {
                           return info.param == "kms-default" ? std::string("KmsDefault")
                                                              : std::string("KmsTest");
                         });

TEST(DecodeMessageAndCarry, RoundsToTheNearestMultipleOfDelta) {
  constexpr uint64_t kDelta = uint64_t{1} << 59;
  EXPECT_EQ(DecodeMessageAndCarry(3 * kDelta, 4, 4), 3u);
  EXPECT_EQ(DecodeMessageAndCarry(3 * kDelta + kDelta / 2 - 1, 4, 4), 3u);
  EXPECT_EQ(DecodeMessageAndCarry(3 * kDelta + kDelta / 2, 4, 4), 4u);
  EXPECT_EQ(DecodeMessageAndCarry(0 - 1, 4, 4), 0u);                     // −1 rounds to 0
  EXPECT_EQ(DecodeMessageAndCarry(15 * kDelta + kDelta / 2, 4, 4), 0u);  // wraps mod 16
}

}  // namespace
}  // namespace kms::tfhe
