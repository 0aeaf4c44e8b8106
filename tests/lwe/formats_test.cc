#include "lwe/formats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "proto/lwe.pb.h"
#include "testing/seeded_rng.h"

namespace kms::lwe {
namespace {

using ::testing::HasSubstr;

// Asserts InvalidArgument whose message contains `text`.
#define EXPECT_INVALID(expr, text)                                            \
  do {                                                                        \
    auto status_or_ = (expr);                                                 \
    EXPECT_EQ(status_or_.status().code(), absl::StatusCode::kInvalidArgument) \
        << status_or_.status();                                               \
    EXPECT_THAT(std::string(status_or_.status().message()), HasSubstr(text)); \
  } while (0)

Bytes ToBytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

class FormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sk_ = std::make_unique<SecretKey>(SecretKey::Generate(TestParameters(), rng_));
    pk_ = GenerateCompactPublicKey(*sk_, (Z128{0x1234} << 64) | 0xabcdef, rng_);
    list_ = *EncryptCompactList(pk_, std::vector<uint64_t>{1, 2, 65535}, rng_);
    typed_ = *EncryptTyped(pk_, *TypedPlaintext::FromU64(FheType::kEuint64, 0xfeedface), rng_);
  }
  testing::SeededRng rng_{21};
  std::unique_ptr<SecretKey> sk_;
  CompactPublicKey pk_;
  CompactCiphertextList list_;
  TypedCiphertext typed_;
};

TEST_F(FormatsTest, RoundTrips) {
  auto pk_bytes = SerializeCompactPublicKey(pk_);
  ASSERT_TRUE(pk_bytes.ok()) << pk_bytes.status();
  // 16·512 body bytes + seed + small fields: the mask is not stored.
  EXPECT_LT(pk_bytes->size(), 8192u + 64);
  auto pk = ParseCompactPublicKey(*pk_bytes);
  ASSERT_TRUE(pk.ok()) << pk.status();
  EXPECT_EQ(pk->params, pk_.params);
  EXPECT_EQ(pk->seed, pk_.seed);
  EXPECT_EQ(pk->mask, pk_.mask);
  EXPECT_EQ(pk->body, pk_.body);

  auto sk_bytes = SerializeSecretKey(*sk_);
  ASSERT_TRUE(sk_bytes.ok());
  EXPECT_LT(sk_bytes->size(), 512u / 8 + 32);
  auto sk = ParseSecretKey(sk_bytes->span());
  ASSERT_TRUE(sk.ok()) << sk.status();
  EXPECT_TRUE(std::equal(sk->bits().begin(), sk->bits().end(), sk_->bits().begin()));

  auto list_bytes = SerializeCompactCiphertextList(list_);
  ASSERT_TRUE(list_bytes.ok());
  auto list = ParseCompactCiphertextList(*list_bytes);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->mask, list_.mask);
  EXPECT_EQ(list->bodies, list_.bodies);
  EXPECT_EQ(DecryptBlock(*sk, *list, 2), 65535u);

  auto typed_bytes = SerializeTypedCiphertext(typed_);
  ASSERT_TRUE(typed_bytes.ok());
  auto typed = ParseTypedCiphertext(*typed_bytes);
  ASSERT_TRUE(typed.ok()) << typed.status();
  EXPECT_EQ(DecryptTyped(*sk, *typed)->ToString(), std::to_string(0xfeedface));

  std::vector<TypedPlaintext> values = {*TypedPlaintext::FromU64(FheType::kEbool, 1),
                                        *TypedPlaintext::FromU64(FheType::kEuint160, 5)};
  auto tl = EncryptTypedList(pk_, values, rng_);
  ASSERT_TRUE(tl.ok());
  auto tl_bytes = SerializeTypedCiphertextList(*tl);
  ASSERT_TRUE(tl_bytes.ok());
  auto tl_back = ParseTypedCiphertextList(*tl_bytes);
  ASSERT_TRUE(tl_back.ok()) << tl_back.status();
  EXPECT_EQ(*DecryptTypedList(*sk, *tl_back), values);
}

TEST_F(FormatsTest, TruncatedInputsAreRejected) {
  const Bytes pk = *SerializeCompactPublicKey(pk_);
  const Bytes list = *SerializeCompactCiphertextList(list_);
  const Bytes typed = *SerializeTypedCiphertext(typed_);
  const crypto::SecretBytes sk = *SerializeSecretKey(*sk_);
  // Every prefix fails (a shorter bytes field or a cut tag); none crashes or succeeds.
  for (size_t len = 0; len < pk.size(); len += 97)
    EXPECT_FALSE(ParseCompactPublicKey(ByteSpan(pk.data(), len)).ok()) << len;
  for (size_t len = 0; len < list.size(); len += 89)
    EXPECT_FALSE(ParseCompactCiphertextList(ByteSpan(list.data(), len)).ok()) << len;
  for (size_t len = 0; len < typed.size(); len += 83)
    EXPECT_FALSE(ParseTypedCiphertext(ByteSpan(typed.data(), len)).ok()) << len;
  for (size_t len = 0; len < sk.size(); ++len)
    EXPECT_FALSE(ParseSecretKey(ByteSpan(sk.data(), len)).ok()) << len;
  EXPECT_INVALID(ParseCompactCiphertextList(ByteSpan(list.data(), list.size() - 1)),
                 "ciphertext: not a valid encoding");
}

TEST_F(FormatsTest, WrongLengthsNameTheField) {
  v1::CompactCiphertextList msg;
  ASSERT_TRUE(ToProto(list_, &msg).ok());
  msg.set_mask(std::string(100, 'x'));
  EXPECT_INVALID(ParseCompactCiphertextList(ToBytes(msg.SerializeAsString())),
                 "ciphertext.mask: expected 8192 bytes for dimension 512, got 100");
  ASSERT_TRUE(ToProto(list_, &msg).ok());
  msg.set_bodies(msg.bodies() + std::string(16, '\0'));  // one body too many
  EXPECT_INVALID(ParseCompactCiphertextList(ToBytes(msg.SerializeAsString())),
                 "ciphertext.bodies: expected 48 bytes for 3 blocks, got 64");
  ASSERT_TRUE(ToProto(list_, &msg).ok());
  msg.set_num_blocks(0);
  EXPECT_INVALID(ParseCompactCiphertextList(ToBytes(msg.SerializeAsString())),
                 "ciphertext.num_blocks: expected 1 to 512, got 0");
  msg.set_num_blocks(100000);
  EXPECT_INVALID(ParseCompactCiphertextList(ToBytes(msg.SerializeAsString())),
                 "ciphertext.num_blocks");
  ASSERT_TRUE(ToProto(list_, &msg).ok());
  msg.set_lwe_dimension(4096);
  EXPECT_INVALID(ParseCompactCiphertextList(ToBytes(msg.SerializeAsString())),
                 "ciphertext.lwe_dimension: expected 512 for parameter set 'test', got 4096");
  ASSERT_TRUE(ToProto(list_, &msg).ok());
  msg.set_parameter_set("prod");
  EXPECT_INVALID(ParseCompactCiphertextList(ToBytes(msg.SerializeAsString())),
                 "ciphertext.parameter_set: unknown parameter set 'prod'");
  ASSERT_TRUE(ToProto(list_, &msg).ok());
  msg.set_format_version(2);
  EXPECT_INVALID(ParseCompactCiphertextList(ToBytes(msg.SerializeAsString())),
                 "ciphertext.format_version: unsupported version 2 (expected 1)");
  msg.set_format_version(0);  // an empty message has version 0
  EXPECT_INVALID(ParseCompactCiphertextList(Bytes{}), "ciphertext.format_version");

  v1::CompactPublicKey pk;
  ASSERT_TRUE(ToProto(pk_, &pk).ok());
  pk.set_seed(std::string(15, '\0'));
  EXPECT_INVALID(ParseCompactPublicKey(ToBytes(pk.SerializeAsString())),
                 "compact_public_key.seed: expected 16 bytes");
  ASSERT_TRUE(ToProto(pk_, &pk).ok());
  pk.mutable_body()->pop_back();
  EXPECT_INVALID(ParseCompactPublicKey(ToBytes(pk.SerializeAsString())),
                 "compact_public_key.body: expected 8192 bytes for dimension 512, got 8191");

  v1::LweSecretKey sk;
  sk.set_format_version(1);
  sk.set_parameter_set("test");
  sk.set_lwe_dimension(512);
  sk.set_bits(std::string(63, '\0'));
  EXPECT_INVALID(ParseSecretKey(ToBytes(sk.SerializeAsString())),
                 "secret_key.bits: expected 64 bytes for dimension 512, got 63");
  sk.set_lwe_dimension(511);
  EXPECT_INVALID(ParseSecretKey(ToBytes(sk.SerializeAsString())), "secret_key.lwe_dimension");
}

TEST_F(FormatsTest, TypedCiphertextFieldsAreChecked) {
  v1::TypedCiphertext msg;
  ASSERT_TRUE(ToProto(typed_, &msg).ok());
  msg.set_block_count(3);
  EXPECT_INVALID(ParseTypedCiphertext(ToBytes(msg.SerializeAsString())),
                 "typed_ciphertext.block_count: euint64 with 16-bit blocks needs 4, got 3");
  ASSERT_TRUE(ToProto(typed_, &msg).ok());
  msg.set_fhe_type(static_cast<v1::FheType>(77));
  EXPECT_INVALID(ParseTypedCiphertext(ToBytes(msg.SerializeAsString())),
                 "typed_ciphertext.fhe_type: unknown FHE type value 77");
  msg.set_fhe_type(v1::FHE_TYPE_UNSPECIFIED);
  EXPECT_INVALID(ParseTypedCiphertext(ToBytes(msg.SerializeAsString())),
                 "typed_ciphertext.fhe_type");
  ASSERT_TRUE(ToProto(typed_, &msg).ok());
  msg.set_fhe_type(v1::FHE_TYPE_EUINT32);  // 2 blocks, the list has 4
  msg.set_block_count(2);
  EXPECT_INVALID(ParseTypedCiphertext(ToBytes(msg.SerializeAsString())),
                 "typed_ciphertext.ciphertext.num_blocks: expected 2 for euint32, got 4");
  ASSERT_TRUE(ToProto(typed_, &msg).ok());
  msg.mutable_ciphertext()->set_mask("short");
  EXPECT_INVALID(ParseTypedCiphertext(ToBytes(msg.SerializeAsString())),
                 "typed_ciphertext.ciphertext.mask: expected 8192 bytes");
  ASSERT_TRUE(ToProto(typed_, &msg).ok());
  msg.clear_ciphertext();
  EXPECT_INVALID(ParseTypedCiphertext(ToBytes(msg.SerializeAsString())),
                 "typed_ciphertext.ciphertext: missing");

  v1::TypedCiphertextList lmsg;
  std::vector<TypedPlaintext> values = {*TypedPlaintext::FromU64(FheType::kEuint8, 5)};
  ASSERT_TRUE(ToProto(*EncryptTypedList(pk_, values, rng_), &lmsg).ok());
  lmsg.add_fhe_types(v1::FHE_TYPE_EBOOL);
  EXPECT_INVALID(ParseTypedCiphertextList(ToBytes(lmsg.SerializeAsString())),
                 "typed_ciphertext_list.ciphertext.num_blocks: the types need 2, got 1");
  lmsg.clear_fhe_types();
  EXPECT_INVALID(ParseTypedCiphertextList(ToBytes(lmsg.SerializeAsString())),
                 "typed_ciphertext_list.fhe_types: expected 1 to 512 types, got 0");
}

TEST_F(FormatsTest, CorruptedAndOversizedInputsAreRejected) {
  Bytes list = *SerializeCompactCiphertextList(list_);
  // Unknown trailing field (tag 15, varint): well-formed protobuf, but not ours.
  Bytes extra = list;
  extra.push_back(15 << 3);
  extra.push_back(1);
  EXPECT_INVALID(ParseCompactCiphertextList(extra), "ciphertext: unknown fields present");
  // Garbage.
  Bytes garbage(300, 0xff);
  EXPECT_INVALID(ParseCompactCiphertextList(garbage), "ciphertext: not a valid encoding");
  // Above the size cap, refused before parsing.
  Bytes huge(kMaxEncodedSize + 1, 0);
  EXPECT_INVALID(ParseCompactCiphertextList(huge), "exceed the limit");
  EXPECT_INVALID(ParseSecretKey(huge), "secret_key");
  // A flipped bit in the body still parses (no integrity protection: that is the signature's
  // job) but decrypts to a different value. The last byte is bits 120..127 of the last body;
  // bit 120 is 2^9·Δ, so block 3 changes by 512.
  Bytes flipped = *SerializeTypedCiphertext(typed_);
  flipped[flipped.size() - 1] ^= 0x01;
  auto ct = ParseTypedCiphertext(flipped);
  ASSERT_TRUE(ct.ok());
  auto value = DecryptTyped(*sk_, *ct);
  EXPECT_TRUE(!value.ok() || value->ToString() != std::to_string(0xfeedface));
  // Both dimensions are multiples of 8, so every byte string of the right length is a key; the
  // bits are read LSB first.
  v1::LweSecretKey sk;
  sk.set_format_version(1);
  sk.set_parameter_set("default");
  sk.set_lwe_dimension(4096);
  sk.set_bits(std::string(512, '\x5a'));
  auto parsed = ParseSecretKey(ToBytes(sk.SerializeAsString()));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->dimension(), 4096);
  EXPECT_EQ(parsed->bits()[1], 1u);  // 0x5a = 0b01011010: bit 1 set
  EXPECT_EQ(parsed->bits()[0], 0u);
}

TEST_F(FormatsTest, SerializeRejectsInvalidObjects) {
  CompactCiphertextList bad = list_;
  bad.mask.pop_back();
  EXPECT_INVALID(SerializeCompactCiphertextList(bad), "ciphertext.mask");
  CompactPublicKey bad_pk = pk_;
  bad_pk.mask[0] ^= 1;  // no longer the XOF output of the stored seed
  EXPECT_INVALID(SerializeCompactPublicKey(bad_pk), "seed");
  TypedCiphertext bad_typed = typed_;
  bad_typed.type = FheType::kEuint128;
  EXPECT_INVALID(SerializeTypedCiphertext(bad_typed), "block_count");
}

}  // namespace
}  // namespace kms::lwe
