// crypto/ciphertext_attestation.h: the EIP-712 CiphertextAttestation typed data against an
// independent computation (kat/ciphertext_attestation_kat.py, its own Keccak checked against the
// EIP-712 "Mail" example), and the extra_data encoding: round trip and every malformed form.
#include "crypto/ciphertext_attestation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/keccak.h"

namespace kms::crypto {
namespace {

using ::testing::HasSubstr;

Digest D(std::string_view hex) {
  Digest d{};
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok() && b->size() == 32);
  std::copy(b->begin(), b->end(), d.begin());
  return d;
}

CiphertextAttestationData KatData() {
  CiphertextAttestationData data;
  for (size_t i = 0; i < 32; ++i) data.key_id[i] = static_cast<uint8_t>(i);
  data.handle.fill(0xAB);
  data.fhe_type = "euint64";
  data.ciphertext_format = 0;
  data.ciphertext_digest = CiphertextDigest(AsBytes("kms.lwe.v1 test ciphertext bytes"));
  return data;
}

TEST(CiphertextAttestationTest, TypeStringAndKnownAnswers) {
  const Eip712Struct s = CiphertextAttestation(KatData());
  EXPECT_EQ(s.EncodeType(),
            "CiphertextAttestation(bytes32 keyId,bytes32 handle,string fheType,"
            "uint32 ciphertextFormat,bytes32 ciphertextDigest)");
  EXPECT_EQ(s.TypeHash(), D("98c48af522c2fcdab2549a4c8621d996fe82d452371d2b67312e2d52b6363bd7"));
  EXPECT_EQ(KatData().ciphertext_digest,
            D("8e8d8d2911d709c6f91c6d290b5f3018842c81c5590a3459c2d43a00c6887708"));
  EXPECT_EQ(s.HashStruct(), D("e0c683243279f50e81c8874badaec6ee1486696df55ce00543c3784a1f402478"));
  EXPECT_EQ(CiphertextAttestationDigest(CiphertextAttestationDomain(std::nullopt), KatData()),
            D("6ea7c713f5705c0cf8717f5a133ef08d98b7cfa55582f9b69aa5854ff40d9a71"));
  EXPECT_EQ(CiphertextAttestationDigest(CiphertextAttestationDomain(8009), KatData()),
            D("d2d1972536c743959e4f91d236f7b64194f43f3823470f35a58f794e906c03d7"));
}

TEST(CiphertextAttestationTest, StructHashByConstruction) {
  // keccak256(typeHash ‖ keyId ‖ handle ‖ keccak256(fheType) ‖ uint256(format) ‖ digest).
  CiphertextAttestationData data = KatData();
  data.ciphertext_format = 7;
  Bytes enc;
  const Digest th = CiphertextAttestation(data).TypeHash();
  Append(enc, th);
  Append(enc, data.key_id);
  Append(enc, data.handle);
  Append(enc, Keccak256(AsBytes(data.fhe_type)));
  Append(enc, Uint256FromU64(7));
  Append(enc, data.ciphertext_digest);
  EXPECT_EQ(CiphertextAttestation(data).HashStruct(), Keccak256(enc));
}

TEST(CiphertextAttestationTest, EveryFieldChangesTheDigest) {
  const Eip712Domain domain = CiphertextAttestationDomain(std::nullopt);
  const Digest base = CiphertextAttestationDigest(domain, KatData());
  auto changed = [&](auto mutate) {
    CiphertextAttestationData d = KatData();
    mutate(d);
    return CiphertextAttestationDigest(domain, d);
  };
  EXPECT_NE(base, changed([](auto& d) { d.key_id[0] ^= 1; }));
  EXPECT_NE(base, changed([](auto& d) { d.handle[31] ^= 1; }));
  EXPECT_NE(base, changed([](auto& d) { d.fhe_type = "euint32"; }));
  EXPECT_NE(base, changed([](auto& d) { d.ciphertext_format = 1; }));
  EXPECT_NE(base, changed([](auto& d) { d.ciphertext_digest[5] ^= 1; }));
  EXPECT_NE(base, CiphertextAttestationDigest(CiphertextAttestationDomain(1), KatData()));
}

TEST(CiphertextAttestationTest, SignatureRecoversTheProducer) {
  const SigningKey producer = SigningKey::Generate();
  const Digest d =
      CiphertextAttestationDigest(CiphertextAttestationDomain(std::nullopt), KatData());
  auto who = VerificationKey::RecoverFromSignature(d, producer.SignDigest(d));
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->EthereumAddress(), producer.verification_key().EthereumAddress());
}

// ---------------------------------------------------------------------------------------------
// The extra_data encoding

Signature65 Sig(uint8_t fill) {
  Signature65 s;
  s.fill(fill);
  return s;
}

TEST(AttestationEncodingTest, EmptyAndVersionZeroCarryNothing) {
  auto none = ParseCiphertextAttestations({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  const uint8_t zero[] = {0x00};
  auto v0 = ParseCiphertextAttestations(zero);
  ASSERT_TRUE(v0.ok());
  EXPECT_TRUE(v0->empty());
}

TEST(AttestationEncodingTest, RoundTrip) {
  const CiphertextAttestations in = {{Sig(1), Sig(2)}, {}, {Sig(3)}};
  auto bytes = EncodeCiphertextAttestations(in);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->size(), 1 + 4 + 3 + 3 * 65);
  EXPECT_EQ((*bytes)[0], 0x01);
  EXPECT_EQ((*bytes)[1], 3);  // u32le count
  EXPECT_EQ((*bytes)[5], 2);  // entry 0: two signatures
  auto back = ParseCiphertextAttestations(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, in);
}

TEST(AttestationEncodingTest, MalformedInputsAreRefusedWithTheReason) {
  auto bad = [](Bytes b) {
    auto r = ParseCiphertextAttestations(b);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  };
  EXPECT_THAT(bad({0x00, 0x00}), HasSubstr("must stand alone"));
  EXPECT_THAT(bad({0x65, 0x32, 0x65}), HasSubstr("unknown version byte 101"));
  EXPECT_THAT(bad({0x01, 0x01, 0x00}), HasSubstr("truncated"));
  EXPECT_THAT(bad({0x01, 0x00, 0x00, 0x00, 0x00}), HasSubstr("count 0 is out of range"));
  EXPECT_THAT(bad({0x01, 0x01, 0x10, 0x00, 0x00, 0x00}), HasSubstr("count 4097 is out of range"));
  // A count the input cannot hold is refused before anything is allocated.
  EXPECT_THAT(bad({0x01, 0x00, 0x10, 0x00, 0x00, 0x00}), HasSubstr("exceeds the 1 bytes"));
  EXPECT_THAT(bad({0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00}), HasSubstr("exceeds the 2 bytes"));
  Bytes short_sig = {0x01, 0x01, 0x00, 0x00, 0x00, 0x01};
  short_sig.resize(short_sig.size() + 64, 0x11);
  EXPECT_THAT(bad(short_sig), HasSubstr("entry 0 announces 1 signatures (65 bytes) but only 64"));
  auto good = EncodeCiphertextAttestations({{Sig(9)}});
  ASSERT_TRUE(good.ok());
  Bytes trailing = *good;
  trailing.push_back(0);
  EXPECT_THAT(bad(trailing), HasSubstr("1 unexpected bytes after the last entry"));
  Bytes two = *EncodeCiphertextAttestations({{Sig(9)}, {Sig(8)}});
  two.resize(two.size() - 66);  // drop the second entry entirely
  EXPECT_THAT(bad(two), HasSubstr("entry 1 is missing"));
}

TEST(AttestationEncodingTest, EncoderRefusesWhatTheFormatCannotHold) {
  EXPECT_FALSE(EncodeCiphertextAttestations({}).ok());
  CiphertextAttestations many(1);
  many[0].assign(256, Sig(1));
  EXPECT_FALSE(EncodeCiphertextAttestations(many).ok());
}

}  // namespace
}  // namespace kms::crypto
