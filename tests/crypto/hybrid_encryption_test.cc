#include "crypto/hybrid_encryption.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <string>

namespace kms::crypto {
namespace {

using ::testing::HasSubstr;

Bytes Hex(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : Bytes();
}

SecretBytes SecretHex(std::string_view hex) { return SecretBytes(Hex(hex)); }

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + 7);
  return b;
}

// HKDF-SHA256 through OpenSSL's EVP_PKEY interface (not the EVP_KDF one the code uses), as an
// independent reference.
Bytes ReferenceHkdf(ByteSpan ikm, ByteSpan salt, ByteSpan info, size_t length) {
  Bytes out(length);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr);
  EXPECT_EQ(EVP_PKEY_derive_init(ctx), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm.data(), static_cast<int>(ikm.size())), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt.data(), static_cast<int>(salt.size())), 1);
  EXPECT_EQ(EVP_PKEY_CTX_add1_hkdf_info(ctx, info.data(), static_cast<int>(info.size())), 1);
  size_t n = out.size();
  EXPECT_EQ(EVP_PKEY_derive(ctx, out.data(), &n), 1);
  EVP_PKEY_CTX_free(ctx);
  return out;
}

// RFC 7748 §6.1 test vectors.
constexpr char kAlicePrivate[] = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr char kAlicePublic[] = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr char kBobPrivate[] = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr char kBobPublic[] = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr char kShared[] = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

// A second KEM with another id, to show the id is checked (and that the interface admits more
// implementations, as ML-KEM will be).
class RenamedKem final : public Kem {
 public:
  std::string name() const override { return "TEST-OTHER-KEM"; }
  KemKeyPair GenerateKeyPair() const override { return inner_.GenerateKeyPair(); }
  absl::StatusOr<Encapsulation> Encapsulate(ByteSpan pk) const override {
    return inner_.Encapsulate(pk);
  }
  absl::StatusOr<SecretBytes> Decapsulate(const SecretBytes& sk, ByteSpan enc) const override {
    return inner_.Decapsulate(sk, enc);
  }

 private:
  X25519Kem inner_;
};

TEST(HybridEncryptionTest, ReferenceHkdfMatchesRfc5869) {
  // RFC 5869 test case 1 (first 32 of its 42 bytes: HKDF output is a prefix-stable stream).
  Bytes okm = ReferenceHkdf(Bytes(22, 0x0b), Hex("000102030405060708090a0b0c"),
                            Hex("f0f1f2f3f4f5f6f7f8f9"), 32);
  EXPECT_EQ(ToHex(okm), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf");
}

TEST(HybridEncryptionTest, X25519KemMatchesRfc7748AndTheSpecifiedHkdf) {
  X25519Kem kem;
  auto alice_public = X25519Kem::PublicKeyOf(SecretHex(kAlicePrivate));
  ASSERT_TRUE(alice_public.ok()) << alice_public.status();
  EXPECT_EQ(ToHex(*alice_public), kAlicePublic);
  EXPECT_EQ(ToHex(X25519Kem::PublicKeyOf(SecretHex(kBobPrivate)).value()), kBobPublic);

  // Bob (recipient) decapsulates Alice's public key as if it were an ephemeral key.
  auto secret = kem.Decapsulate(SecretHex(kBobPrivate), Hex(kAlicePublic));
  ASSERT_TRUE(secret.ok()) << secret.status();
  Bytes salt = Hex(kAlicePublic);
  Append(salt, Hex(kBobPublic));
  const Bytes expected = ReferenceHkdf(Hex(kShared), salt, AsBytes("KMS-HPKE-X25519-v1"), 32);
  EXPECT_EQ(ToHex(secret->span()), ToHex(expected));
}

TEST(HybridEncryptionTest, EncapsulateDecapsulateAgree) {
  X25519Kem kem;
  KemKeyPair pair = kem.GenerateKeyPair();
  ASSERT_EQ(pair.public_key.size(), 32u);
  ASSERT_EQ(pair.private_key.size(), 32u);
  EXPECT_EQ(X25519Kem::PublicKeyOf(pair.private_key).value(), pair.public_key);

  auto e1 = kem.Encapsulate(pair.public_key);
  auto e2 = kem.Encapsulate(pair.public_key);
  ASSERT_TRUE(e1.ok() && e2.ok());
  EXPECT_NE(e1->encapsulation, e2->encapsulation);  // fresh ephemeral keys
  EXPECT_NE(ToHex(e1->shared_secret.span()), ToHex(e2->shared_secret.span()));
  auto d1 = kem.Decapsulate(pair.private_key, e1->encapsulation);
  ASSERT_TRUE(d1.ok()) << d1.status();
  EXPECT_EQ(ToHex(d1->span()), ToHex(e1->shared_secret.span()));

  // Another private key gets another secret.
  auto other = kem.Decapsulate(kem.GenerateKeyPair().private_key, e1->encapsulation);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(ToHex(other->span()), ToHex(e1->shared_secret.span()));
}

TEST(HybridEncryptionTest, KemRejectsMalformedKeys) {
  X25519Kem kem;
  auto short_pk = kem.Encapsulate(Bytes(31, 9));
  EXPECT_EQ(short_pk.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(short_pk.status().message(), HasSubstr("public key must be 32 bytes, got 31"));

  // Small-order points give an all-zero X25519 output: refused, not used as a key.
  for (const Bytes& weak : {Bytes(32, 0), Hex("01" + std::string(62, '0'))}) {
    auto status = kem.Encapsulate(weak).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("small-order"));
    auto dec = kem.Decapsulate(kem.GenerateKeyPair().private_key, weak).status();
    EXPECT_EQ(dec.code(), absl::StatusCode::kInvalidArgument);
  }

  auto short_sk = kem.Decapsulate(SecretBytes(Bytes(16, 1)), Bytes(32, 9));
  EXPECT_EQ(short_sk.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(short_sk.status().message(), HasSubstr("private key must be 32 bytes, got 16"));
  auto long_enc = kem.Decapsulate(SecretHex(kBobPrivate), Bytes(33, 9));
  EXPECT_THAT(long_enc.status().message(), HasSubstr("encapsulation must be 32 bytes, got 33"));
  EXPECT_FALSE(X25519Kem::PublicKeyOf(SecretBytes()).ok());
}

TEST(HybridEncryptionTest, RoundTripsForManySizes) {
  X25519Kem kem;
  KemKeyPair pair = kem.GenerateKeyPair();
  const Bytes aad = Pattern(40);
  for (size_t n : {0, 1, 15, 16, 17, 1024, 100000}) {
    SCOPED_TRACE(n);
    const Bytes plaintext = Pattern(n);
    auto ct = HybridEncrypt(kem, pair.public_key, plaintext, aad);
    ASSERT_TRUE(ct.ok()) << ct.status();
    // 1 + (4 + 18) + (4 + 32) + (4 + 12) + (4 + n + 16)
    EXPECT_EQ(ct->size(), 95 + n);
    auto pt = HybridDecrypt(kem, pair.private_key, *ct, aad);
    ASSERT_TRUE(pt.ok()) << pt.status();
    EXPECT_EQ(*pt, plaintext);
  }
  // Empty aad works too.
  auto ct = HybridEncrypt(kem, pair.public_key, Pattern(10), {});
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(HybridDecrypt(kem, pair.private_key, *ct, {}).value(), Pattern(10));
}

TEST(HybridEncryptionTest, WireFormatIsAsDocumented) {
  X25519Kem kem;
  KemKeyPair pair = kem.GenerateKeyPair();
  auto ct = HybridEncrypt(kem, pair.public_key, Pattern(5), {});
  ASSERT_TRUE(ct.ok());
  const Bytes& c = *ct;
  EXPECT_EQ(c[0], kHybridFormatVersion);
  EXPECT_EQ(LoadU64Le(Bytes{c[1], c[2], c[3], c[4], 0, 0, 0, 0}.data()), 18u);
  EXPECT_EQ(std::string(c.begin() + 5, c.begin() + 23), "KMS-HPKE-X25519-v1");
  EXPECT_EQ(c[23], 32);      // encapsulation length
  EXPECT_EQ(c[59], 12);      // nonce length
  EXPECT_EQ(c[75], 5 + 16);  // sealed length
  EXPECT_EQ(c.size(), 79u + 21u);
  // Two encryptions of the same message differ (fresh KEM secret and nonce).
  auto again = HybridEncrypt(kem, pair.public_key, Pattern(5), {});
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, c);
}

TEST(HybridEncryptionTest, WrongKeyOrAadFailsAuthentication) {
  X25519Kem kem;
  KemKeyPair pair = kem.GenerateKeyPair();
  auto ct = HybridEncrypt(kem, pair.public_key, Pattern(64), AsBytes("request 1"));
  ASSERT_TRUE(ct.ok());

  auto wrong_aad = HybridDecrypt(kem, pair.private_key, *ct, AsBytes("request 2"));
  EXPECT_EQ(wrong_aad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong_aad.status().message(), HasSubstr("failed authentication"));

  auto wrong_key = HybridDecrypt(kem, kem.GenerateKeyPair().private_key, *ct, AsBytes("request 1"));
  EXPECT_EQ(wrong_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong_key.status().message(), HasSubstr("failed authentication"));
}

TEST(HybridEncryptionTest, EveryFlippedBitIsDetected) {
  X25519Kem kem;
  KemKeyPair pair = kem.GenerateKeyPair();
  auto ct = HybridEncrypt(kem, pair.public_key, Pattern(48), AsBytes("aad"));
  ASSERT_TRUE(ct.ok());
  for (size_t i = 0; i < ct->size(); ++i) {
    for (uint8_t mask : {0x01, 0x80}) {
      Bytes bad = *ct;
      bad[i] ^= mask;
      auto pt = HybridDecrypt(kem, pair.private_key, bad, AsBytes("aad"));
      ASSERT_FALSE(pt.ok()) << "byte " << i;
      // Either a small-order encapsulation or a malformed field: never an internal error.
      EXPECT_EQ(pt.status().code(), absl::StatusCode::kInvalidArgument)
          << "byte " << i << ": " << pt.status();
    }
  }
}

TEST(HybridEncryptionTest, TruncationAndTrailingBytesAreRejected) {
  X25519Kem kem;
  KemKeyPair pair = kem.GenerateKeyPair();
  auto ct = HybridEncrypt(kem, pair.public_key, Pattern(30), {});
  ASSERT_TRUE(ct.ok());
  for (size_t n = 0; n < ct->size(); ++n) {
    auto pt = HybridDecrypt(kem, pair.private_key, ByteSpan(*ct).first(n), {});
    ASSERT_FALSE(pt.ok()) << n;
    EXPECT_EQ(pt.status().code(), absl::StatusCode::kInvalidArgument) << n;
  }
  EXPECT_THAT(HybridDecrypt(kem, pair.private_key, ByteSpan(*ct).first(0), {}).status().message(),
              HasSubstr("empty"));
  EXPECT_THAT(HybridDecrypt(kem, pair.private_key, ByteSpan(*ct).first(3), {}).status().message(),
              HasSubstr("length of the KEM id is missing"));
  EXPECT_THAT(HybridDecrypt(kem, pair.private_key, ByteSpan(*ct).first(ct->size() - 1), {})
                  .status()
                  .message(),
              HasSubstr("sealed data needs 46 bytes, 45 are left"));

  Bytes longer = *ct;
  longer.push_back(0);
  EXPECT_THAT(HybridDecrypt(kem, pair.private_key, longer, {}).status().message(),
              HasSubstr("1 unexpected trailing bytes"));
}

TEST(HybridEncryptionTest, HeaderFieldsAreValidated) {
  X25519Kem kem;
  KemKeyPair pair = kem.GenerateKeyPair();
  auto ct = HybridEncrypt(kem, pair.public_key, Pattern(8), {});
  ASSERT_TRUE(ct.ok());

  Bytes version = *ct;
  version[0] = 2;
  EXPECT_THAT(HybridDecrypt(kem, pair.private_key, version, {}).status().message(),
              HasSubstr("format version 2 is not supported"));

  Bytes huge_id = *ct;
  huge_id[4] = 0x80;  // KEM id length 0x80000012
  EXPECT_THAT(HybridDecrypt(kem, pair.private_key, huge_id, {}).status().message(),
              HasSubstr("KEM id length 2147483666 is outside [1, 64]"));

  Bytes nonce_length = *ct;
  nonce_length[59] = 16;
  EXPECT_THAT(HybridDecrypt(kem, pair.private_key, nonce_length, {}).status().message(),
              HasSubstr("nonce length 16 is outside [12, 12]"));

  Bytes short_sealed = *ct;
  short_sealed[75] = 15;
  EXPECT_THAT(HybridDecrypt(kem, pair.private_key, short_sealed, {}).status().message(),
              HasSubstr("sealed data length 15 is outside [16, "));

  Bytes short_encapsulation = *ct;
  short_encapsulation[23] = 31;  // now the fields after it are misaligned; caught somewhere
  EXPECT_EQ(HybridDecrypt(kem, pair.private_key, short_encapsulation, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HybridEncryptionTest, KemIdMustMatch) {
  X25519Kem kem;
  RenamedKem other;
  KemKeyPair pair = kem.GenerateKeyPair();
  auto ct = HybridEncrypt(other, pair.public_key, Pattern(8), {});
  ASSERT_TRUE(ct.ok()) << ct.status();
  auto status = HybridDecrypt(kem, pair.private_key, *ct, {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("expected \"KMS-HPKE-X25519-v1\""));
  // The matching KEM decrypts it; the id is authenticated, so it cannot be rewritten either.
  EXPECT_EQ(HybridDecrypt(other, pair.private_key, *ct, {}).value(), Pattern(8));
}

TEST(HybridEncryptionTest, EncryptRejectsBadRecipientKey) {
  X25519Kem kem;
  auto status = HybridEncrypt(kem, Bytes(800, 1), Pattern(8), {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("got 800"));
  EXPECT_EQ(HybridEncrypt(kem, Bytes(32, 0), Pattern(8), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::crypto
