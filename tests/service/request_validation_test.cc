#include "service/request_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <variant>

#include "crypto/hybrid_encryption.h"
#include "crypto/random.h"
#include "lwe/formats.h"
#include "tfhe/named_keysets.h"

namespace kms::service {
namespace {

using ::testing::HasSubstr;

kms::v1::TypedCiphertext Ciphertext(const lwe::LweParameters& params, lwe::FheType type,
                                    uint64_t value) {
  crypto::AesCtrRng rng;
  lwe::SecretKey sk = lwe::SecretKey::Generate(params, rng);
  auto pk = lwe::GenerateCompactPublicKey(sk, 3, rng);
  auto ct = lwe::EncryptTyped(pk, *lwe::TypedPlaintext::FromU64(type, value), rng);
  auto bytes = lwe::SerializeTypedCiphertext(*ct);
  kms::v1::TypedCiphertext out;
  out.set_ciphertext(std::string(bytes->begin(), bytes->end()));
  out.set_fhe_type(lwe::FheTypeName(type));
  return out;
}

google::protobuf::RepeatedPtrField<kms::v1::TypedCiphertext> List(
    std::vector<kms::v1::TypedCiphertext> v) {
  google::protobuf::RepeatedPtrField<kms::v1::TypedCiphertext> out;
  for (auto& c : v) *out.Add() = c;
  return out;
}

TEST(RequestValidationTest, ValidCiphertextsAndTheirHandles) {
  auto a = Ciphertext(lwe::TestParameters(), lwe::FheType::kEuint8, 7);
  auto b = Ciphertext(lwe::TestParameters(), lwe::FheType::kEbool, 1);
  b.set_external_handle(std::string(32, '\x42'));
  auto parsed = ParseCiphertexts(List({a, b}), &lwe::TestParameters());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].type, lwe::FheType::kEuint8);
  EXPECT_TRUE(std::holds_alternative<lwe::TypedCiphertext>((*parsed)[1].value));
  EXPECT_EQ((*parsed)[0].handle, crypto::HashElement(crypto::kDsepHandle, AsBytes(a.ciphertext())));
  crypto::Digest expected;
  expected.fill(0x42);
  EXPECT_EQ((*parsed)[1].handle, expected);
  auto wrong = ParseCiphertexts(List({a, b}), &lwe::DefaultParameters());
  EXPECT_THAT(wrong.status().message(),
              HasSubstr("ciphertexts[0].ciphertext: parameter set test differs"));
}

TEST(RequestValidationTest, EachBadFieldIsNamed) {
  auto good = Ciphertext(lwe::TestParameters(), lwe::FheType::kEuint16, 9);
  auto expect = [](std::vector<kms::v1::TypedCiphertext> cts, const std::string& text) {
    auto r = ParseCiphertexts(List(std::move(cts)), &lwe::TestParameters());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(text));
  };
  expect({}, "ciphertexts: empty");
  auto c = good;
  c.set_ciphertext_format(1);
  expect({good, c}, "ciphertexts[1].ciphertext_format: 1 is not supported");
  c = good;
  c.set_ciphertext("");
  expect({c}, "ciphertexts[0].ciphertext: empty");
  c = good;
  c.mutable_ciphertext()->resize(c.ciphertext().size() / 2);
  expect({c}, "ciphertexts[0].ciphertext:");
  c = good;
  c.clear_fhe_type();
  expect({c}, "ciphertexts[0].fhe_type: missing");
  c.set_fhe_type("euint64");
  expect({c}, "ciphertexts[0].fhe_type: \"euint64\" does not match the encoded type euint16");
  c.set_fhe_type("float");
  expect({c}, "ciphertexts[0].fhe_type: unknown type \"float\"");
  c = good;
  c.set_external_handle("abc");
  expect({c}, "ciphertexts[0].external_handle: expected 32 bytes (or none), got 3");
  std::vector<kms::v1::TypedCiphertext> many(kMaxCiphertextsPerRequest + 1, good);
  expect(many, "at most 4096 per request");
}

// Under a tfhe-rs keyset the four formats are parsed as tfhe-rs blobs (tfhe_ciphertext_test.cc
// covers them); a phase-1 list or an unknown format is refused naming the field.
TEST(RequestValidationTest, TfheKeysetsTakeTheFourFormats) {
  const ParameterSet tfhe_key = &tfhe::KmsTestKeyset();
  auto phase1 = Ciphertext(lwe::TestParameters(), lwe::FheType::kEuint8, 7);
  auto r = ParseCiphertexts(List({phase1}), tfhe_key);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              HasSubstr("ciphertexts[0].ciphertext: not a tfhe-rs CompressedCiphertextList "
                        "(SmallCompressed)"));
  phase1.set_ciphertext_format(5);
  EXPECT_THAT(ParseCiphertexts(List({phase1}), tfhe_key).status().message(),
              HasSubstr("ciphertexts[0].ciphertext_format: 5 is not one of"));
  phase1.set_ciphertext_format(-2);
  EXPECT_THAT(ParseCiphertexts(List({phase1}), tfhe_key).status().message(),
              HasSubstr("ciphertexts[0].ciphertext_format: -2 is not one of"));
  phase1.set_ciphertext_format(2);
  phase1.clear_fhe_type();
  EXPECT_THAT(ParseCiphertexts(List({phase1}), tfhe_key).status().message(),
              HasSubstr("ciphertexts[0].fhe_type: missing"));
  // Under a phase-1 key only format 0 exists.
  phase1.set_fhe_type("euint8");
  EXPECT_THAT(ParseCiphertexts(List({phase1}), &lwe::TestParameters()).status().message(),
              HasSubstr("ciphertexts[0].ciphertext_format: 2 is not supported under the test key"));
}

TEST(RequestValidationTest, Domains) {
  kms::v1::Eip712Domain d;
  auto def = ParseDomain(false, d);
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->name, "KMS");
  EXPECT_EQ(def->version, "1");
  EXPECT_FALSE(def->chain_id.has_value());
  d.set_name("App");
  d.set_version("2");
  d.set_chain_id(std::string(31, '\0') + "\x01");
  d.set_verifying_contract("0x" + std::string(40, 'a'));
  d.set_salt(std::string(32, 's'));
  auto full = ParseDomain(true, d);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ((*full->chain_id)[31], 1);
  EXPECT_TRUE(full->verifying_contract.has_value());
  d.set_chain_id("1");
  EXPECT_THAT(ParseDomain(true, d).status().message(),
              HasSubstr("domain.chain_id: expected 32 bytes"));
  d.clear_chain_id();
  d.set_verifying_contract("0x12");
  EXPECT_THAT(ParseDomain(true, d).status().message(), HasSubstr("domain.verifying_contract"));
  d.clear_verifying_contract();
  d.set_salt("x");
  EXPECT_THAT(ParseDomain(true, d).status().message(), HasSubstr("domain.salt"));
}

TEST(RequestValidationTest, ParameterSetsKeysAndAddresses) {
  EXPECT_EQ(*ParseFheParameter("fhe_parameter", "", lwe::TestParameters()), &lwe::TestParameters());
  EXPECT_EQ(*ParseFheParameter("fhe_parameter", "default", lwe::TestParameters()),
            &lwe::DefaultParameters());
  EXPECT_THAT(ParseFheParameter("fhe_parameter", "big", lwe::TestParameters()).status().message(),
              HasSubstr("fhe_parameter: unknown parameter set \"big\""));
  crypto::X25519Kem kem;
  auto pair = kem.GenerateKeyPair();
  EXPECT_TRUE(
      ValidateEncKey("enc_key", std::string(pair.public_key.begin(), pair.public_key.end())).ok());
  EXPECT_THAT(ValidateEncKey("enc_key", "short").message(),
              HasSubstr("enc_key: expected a 32-byte X25519 public key, got 5 bytes"));
  // The all-zero point has small order: refused.
  EXPECT_FALSE(ValidateEncKey("enc_key", std::string(32, '\0')).ok());
  EXPECT_TRUE(ParseClientAddress("client_address", "0x" + std::string(40, 'b')).ok());
  EXPECT_THAT(ParseClientAddress("client_address", "").status().message(),
              HasSubstr("client_address: missing"));
  EXPECT_THAT(ParseClientAddress("client_address", "0xzz").status().message(),
              HasSubstr("client_address:"));
}

}  // namespace
}  // namespace kms::service
