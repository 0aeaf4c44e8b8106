#include "crypto/signcryption.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/hybrid_encryption.h"

namespace kms::crypto {
namespace {

using ::testing::HasSubstr;

Bytes Pattern(size_t n, uint8_t seed = 7) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + seed);
  return b;
}

Digest LinkOf(uint8_t v) {
  Digest d;
  d.fill(v);
  return d;
}

struct Fixture {
  X25519Kem kem;
  KemKeyPair user = kem.GenerateKeyPair();
  KemKeyPair other_user = kem.GenerateKeyPair();
  SigningKey party = SigningKey::Generate();
  SigningKey other_party = SigningKey::Generate();
  Digest link = LinkOf(0x42);
};

TEST(SigncryptionTest, RoundTripsPayloadsOfManySizes) {
  Fixture f;
  for (size_t size : {0u, 1u, 64u, 97u, 98u, 99u, 5000u}) {
    const Bytes payload = Pattern(size);
    auto ct = Signcrypt(f.party, f.user.public_key, payload, f.link);
    ASSERT_TRUE(ct.ok()) << ct.status();
    auto back =
        Unsigncrypt(f.user.private_key, *ct, f.link, f.party.verification_key().EthereumAddress());
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, payload) << size;
  }
}

TEST(SigncryptionTest, EncryptionIsRandomized) {
  Fixture f;
  const Bytes payload = Pattern(40);
  auto a = Signcrypt(f.party, f.user.public_key, payload, f.link);
  auto b = Signcrypt(f.party, f.user.public_key, payload, f.link);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(SigncryptionTest, AnotherRecipientCannotOpen) {
  Fixture f;
  auto ct = Signcrypt(f.party, f.user.public_key, Pattern(40), f.link);
  ASSERT_TRUE(ct.ok());
  auto back = Unsigncrypt(f.other_user.private_key, *ct, f.link,
                          f.party.verification_key().EthereumAddress());
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(back.status().message(), HasSubstr("cannot decrypt"));
}

TEST(SigncryptionTest, WrongLinkIsRejected) {
  Fixture f;
  auto ct = Signcrypt(f.party, f.user.public_key, Pattern(40), f.link);
  ASSERT_TRUE(ct.ok());
  auto back = Unsigncrypt(f.user.private_key, *ct, LinkOf(0x43),
                          f.party.verification_key().EthereumAddress());
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(back.status().message(), HasSubstr("cannot decrypt"));
}

TEST(SigncryptionTest, EveryTamperedByteIsRejected) {
  Fixture f;
  auto ct = Signcrypt(f.party, f.user.public_key, Pattern(20), f.link);
  ASSERT_TRUE(ct.ok());
  for (size_t i = 0; i < ct->size(); ++i) {
    Bytes bad = *ct;
    bad[i] ^= 0x01;
    auto back =
        Unsigncrypt(f.user.private_key, bad, f.link, f.party.verification_key().EthereumAddress());
    EXPECT_FALSE(back.ok()) << "byte " << i;
  }
  Bytes truncated(ct->begin(), ct->end() - 1);
  EXPECT_FALSE(Unsigncrypt(f.user.private_key, truncated, f.link,
                           f.party.verification_key().EthereumAddress())
                   .ok());
}

TEST(SigncryptionTest, WrongExpectedSignerIsRejected) {
  Fixture f;
  auto ct = Signcrypt(f.party, f.user.public_key, Pattern(40), f.link);
  ASSERT_TRUE(ct.ok());
  auto back = Unsigncrypt(f.user.private_key, *ct, f.link,
                          f.other_party.verification_key().EthereumAddress());
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(back.status().message(), HasSubstr("signed by"));
  EXPECT_THAT(back.status().message(),
              HasSubstr(f.other_party.verification_key().EthereumAddressChecksummed()));
}

// The attack the recipient key inside the signed digest stops: user A decrypts an envelope made
// for A and re-encrypts its content (payload, signature, key) to user B under the same link.
// Every hybrid-layer check passes at B; the inner signature does not.
TEST(SigncryptionTest, ShareReEncryptedToAnotherUserIsRejected) {
  Fixture f;
  auto ct = Signcrypt(f.party, f.user.public_key, Pattern(40), f.link);
  ASSERT_TRUE(ct.ok());
  auto inner = HybridDecrypt(f.kem, f.user.private_key, *ct, f.link);
  ASSERT_TRUE(inner.ok()) << inner.status();
  auto forwarded = HybridEncrypt(f.kem, f.other_user.public_key, *inner, f.link);
  ASSERT_TRUE(forwarded.ok());
  auto back = Unsigncrypt(f.other_user.private_key, *forwarded, f.link,
                          f.party.verification_key().EthereumAddress());
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(back.status().message(), HasSubstr("bad signature"));
}

// A party's signature transplanted onto another payload (same recipient and link) fails.
TEST(SigncryptionTest, SignatureOverAnotherPayloadIsRejected) {
  Fixture f;
  auto ct = Signcrypt(f.party, f.user.public_key, Pattern(40, 1), f.link);
  ASSERT_TRUE(ct.ok());
  auto inner = HybridDecrypt(f.kem, f.user.private_key, *ct, f.link);
  ASSERT_TRUE(inner.ok());
  (*inner)[0] ^= 0xff;  // change the payload, keep signature and key
  auto resealed = HybridEncrypt(f.kem, f.user.public_key, *inner, f.link);
  ASSERT_TRUE(resealed.ok());
  auto back = Unsigncrypt(f.user.private_key, *resealed, f.link,
                          f.party.verification_key().EthereumAddress());
  EXPECT_THAT(back.status().message(), HasSubstr("bad signature"));
}

TEST(SigncryptionTest, EnvelopeShorterThanTrailerIsRejected) {
  Fixture f;
  auto sealed = HybridEncrypt(f.kem, f.user.public_key, Pattern(97), f.link);
  ASSERT_TRUE(sealed.ok());
  auto back = Unsigncrypt(f.user.private_key, *sealed, f.link,
                          f.party.verification_key().EthereumAddress());
  EXPECT_THAT(back.status().message(), HasSubstr("too short"));
}

TEST(SigncryptionTest, MalformedRecipientKeyIsRejected) {
  Fixture f;
  auto ct = Signcrypt(f.party, Pattern(31), Pattern(10), f.link);
  EXPECT_EQ(ct.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ct.status().message(), HasSubstr("32 bytes"));
}

TEST(SigncryptionTest, DigestDependsOnEveryInput) {
  const Bytes pk = Pattern(32);
  const Digest d = SigncryptionDigest(Pattern(10), LinkOf(1), pk);
  EXPECT_NE(d, SigncryptionDigest(Pattern(11), LinkOf(1), pk));
  EXPECT_NE(d, SigncryptionDigest(Pattern(10), LinkOf(2), pk));
  EXPECT_NE(d, SigncryptionDigest(Pattern(10), LinkOf(1), Pattern(32, 8)));
  // Recomputed by hand from the specification.
  Shake256 h;
  h.Update(AsBytes("USER_DEC"))
      .Update(Pattern(10))
      .Update(LinkOf(1))
      .Update(HashElement(kDsepSigncryption, pk));
  EXPECT_EQ(d, h.Finish32());
}

TEST(SigncryptionTest, SharesEncodingIsDeterministicAndCoversEveryField) {
  UserDecryptedShareHeader header{2, 1, 4, "test"};
  std::vector<SigncryptedShare> shares(2);
  shares[0] = {"euint64", Bytes(32, 1), 4, 4, Pattern(100)};
  shares[1] = {"ebool", Bytes(32, 2), 1, 4, Pattern(90)};
  const Bytes base = EncodeUserDecryptedShares(header, shares);
  EXPECT_EQ(base, EncodeUserDecryptedShares(header, shares));
  EXPECT_EQ(ByteSpan(base).first(8).size(), 8u);
  EXPECT_EQ(std::string(base.begin(), base.begin() + 8), "KMSUDS01");
  auto differs = [&](auto mutate) {
    UserDecryptedShareHeader h = header;
    std::vector<SigncryptedShare> s = shares;
    mutate(h, s);
    return EncodeUserDecryptedShares(h, s) != base;
  };
  EXPECT_TRUE(differs([](auto& h, auto&) { h.party_id = 3; }));
  EXPECT_TRUE(differs([](auto& h, auto&) { h.degree = 0; }));
  EXPECT_TRUE(differs([](auto& h, auto&) { h.num_parties = 7; }));
  EXPECT_TRUE(differs([](auto& h, auto&) { h.fhe_parameter = "default"; }));
  EXPECT_TRUE(differs([](auto&, auto& s) { s[0].fhe_type = "euint32"; }));
  EXPECT_TRUE(differs([](auto&, auto& s) { s[1].external_handle[5] = 9; }));
  EXPECT_TRUE(differs([](auto&, auto& s) { s[0].block_count = 5; }));
  EXPECT_TRUE(differs([](auto&, auto& s) { s[0].packing_factor = 2; }));
  EXPECT_TRUE(differs([](auto&, auto& s) { s[1].signcrypted_share.push_back(0); }));
  EXPECT_TRUE(differs([](auto&, auto& s) { std::swap(s[0], s[1]); }));
  EXPECT_TRUE(differs([](auto&, auto& s) { s.pop_back(); }));
}

}  // namespace
}  // namespace kms::crypto
