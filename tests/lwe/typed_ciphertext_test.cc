#include "lwe/typed_ciphertext.h"

#include <gtest/gtest.h>

#include <vector>

#include "crypto/random.h"
#include "testing/seeded_rng.h"

namespace kms::lwe {
namespace {

// A uniformly random value of the type's width.
TypedPlaintext RandomValue(FheType type, algebra::RandomSource& rng) {
  std::array<uint8_t, 32> bytes{};
  rng.Fill(bytes);
  const int bits = FheTypeBits(type);
  for (int b = bits; b < 256; ++b) bytes[b / 8] &= static_cast<uint8_t>(~(1u << (b % 8)));
  return *TypedPlaintext::FromLeBytes(type, bytes);
}

TypedPlaintext MaxValue(FheType type) {
  std::array<uint8_t, 32> bytes{};
  for (int b = 0; b < FheTypeBits(type); ++b) bytes[b / 8] |= static_cast<uint8_t>(1u << (b % 8));
  return *TypedPlaintext::FromLeBytes(type, bytes);
}

class TypedCiphertextTest : public ::testing::TestWithParam<const LweParameters*> {
 protected:
  void SetUp() override {
    rng_ = std::make_unique<crypto::AesCtrRng>(crypto::AesKey{7}, 0);
    sk_ = std::make_unique<SecretKey>(SecretKey::Generate(*GetParam(), *rng_));
    pk_ = GenerateCompactPublicKey(*sk_, rng_->Uniform<Z128>(), *rng_);
  }
  std::unique_ptr<crypto::AesCtrRng> rng_;
  std::unique_ptr<SecretKey> sk_;
  CompactPublicKey pk_;
};

TEST_P(TypedCiphertextTest, EveryTypeRoundTripsWithEdgeAndRandomValues) {
  const bool large = GetParam()->lwe_dimension >= 4096;
  for (FheType type : kAllFheTypes) {
    std::vector<TypedPlaintext> values = {*TypedPlaintext::FromU64(type, 0), MaxValue(type)};
    for (int i = 0; i < (large ? 1 : 4); ++i) values.push_back(RandomValue(type, *rng_));
    for (const TypedPlaintext& p : values) {
      auto ct = EncryptTyped(pk_, p, *rng_);
      ASSERT_TRUE(ct.ok()) << ct.status();
      EXPECT_EQ(ct->type, type);
      EXPECT_EQ(ct->list.bodies.size(), static_cast<size_t>(BlockCount(type, *GetParam())));
      EXPECT_TRUE(ValidateTypedCiphertext(*ct).ok());
      auto back = DecryptTyped(*sk_, *ct);
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(*back, p) << FheTypeName(type) << " " << p.ToString();
    }
  }
}

TEST_P(TypedCiphertextTest, ListOfEveryTypeRoundTrips) {
  std::vector<TypedPlaintext> values;
  for (FheType type : kAllFheTypes) values.push_back(RandomValue(type, *rng_));
  auto ct = EncryptTypedList(pk_, values, *rng_);
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(ct->list.bodies.size(), 1u + 1 + 1 + 1 + 2 + 4 + 8 + 10 + 16);
  EXPECT_EQ(ct->BlockOffset(5), 6u);
  EXPECT_EQ(ct->BlockOffset(values.size()), ct->list.bodies.size());
  auto back = DecryptTypedList(*sk_, *ct);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, values);
}

TEST_P(TypedCiphertextTest, AnotherKeyDoesNotDecryptToThePlaintext) {
  SecretKey other = SecretKey::Generate(*GetParam(), *rng_);
  for (int i = 0; i < 3; ++i) {
    const TypedPlaintext p = RandomValue(FheType::kEuint64, *rng_);
    auto ct = EncryptTyped(pk_, p, *rng_);
    ASSERT_TRUE(ct.ok());
    auto wrong = DecryptTyped(other, *ct);
    // 64 random bits: equal with probability 2^-64. An error would be fine too, but with 16-bit
    // blocks and a 64-bit type every decoded value fits, so decryption "succeeds".
    ASSERT_TRUE(wrong.ok()) << wrong.status();
    EXPECT_NE(*wrong, p);
  }
  // A type narrower than its blocks usually fails the width check under a wrong key.
  int failures = 0;
  for (int i = 0; i < 8; ++i) {
    auto ct = EncryptTyped(pk_, *TypedPlaintext::FromU64(FheType::kEuint4, 9), *rng_);
    auto wrong = DecryptTyped(other, *ct);
    if (!wrong.ok()) {
      EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
      ++failures;
    } else {
      EXPECT_NE(wrong->ToString(), "9");
    }
  }
  EXPECT_GE(failures, 6);
}

INSTANTIATE_TEST_SUITE_P(BothSets, TypedCiphertextTest,
                         ::testing::Values(&TestParameters(), &DefaultParameters()),
                         [](const auto& info) { return info.param->name; });

TEST(TypedCiphertextValidationTest, RejectsMismatches) {
  testing::SeededRng rng(1);
  SecretKey sk = SecretKey::Generate(TestParameters(), rng);
  CompactPublicKey pk = GenerateCompactPublicKey(sk, 3, rng);
  auto ct = EncryptTyped(pk, *TypedPlaintext::FromU64(FheType::kEuint32, 77), rng);
  ASSERT_TRUE(ct.ok());

  TypedCiphertext wrong_type = *ct;
  wrong_type.type = FheType::kEuint64;  // needs 4 blocks, has 2
  auto s = DecryptTyped(sk, wrong_type);
  EXPECT_NE(s.status().message().find("block_count"), std::string::npos) << s.status();

  wrong_type.type = static_cast<FheType>(17);
  EXPECT_EQ(ValidateTypedCiphertext(wrong_type).code(), absl::StatusCode::kInvalidArgument);

  SecretKey default_key = SecretKey::Generate(DefaultParameters(), rng);
  auto other_set = DecryptTyped(default_key, *ct);
  EXPECT_EQ(other_set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(other_set.status().message().find("parameter set"), std::string::npos);

  EXPECT_FALSE(EncryptTypedList(pk, {}, rng).ok());
  // 512 blocks fit a test-set list, 513 do not.
  std::vector<TypedPlaintext> many(32, *TypedPlaintext::FromU64(FheType::kEuint256, 1));
  EXPECT_TRUE(EncryptTypedList(pk, many, rng).ok());
  many.push_back(*TypedPlaintext::FromU64(FheType::kEbool, 1));
  auto too_many = EncryptTypedList(pk, many, rng);
  EXPECT_EQ(too_many.status().code(), absl::StatusCode::kInvalidArgument);
  // A plaintext whose public fields were set to an out-of-range value directly.
  TypedPlaintext forged;
  forged.type = FheType::kEbool;
  forged.value_le[0] = 3;
  EXPECT_EQ(EncryptTyped(pk, forged, rng).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::lwe
