#include "crypto/secp256k1_signer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "crypto/keccak.h"

namespace kms::crypto {
namespace {

using ::testing::HasSubstr;

// The secp256k1 group order n, big-endian.
constexpr char kOrderHex[] = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

Bytes Hex(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : Bytes();
}

Digest DigestOf(std::string_view message) { return Keccak256(AsBytes(message)); }

SigningKey KeyFromHex(std::string_view hex) {
  auto key = SigningKey::FromBytes(Hex(hex));
  EXPECT_TRUE(key.ok()) << key.status();
  return std::move(key).value();
}

// a - b for 32-byte big-endian integers with a >= b.
std::array<uint8_t, 32> Sub256(ByteSpan a, ByteSpan b) {
  std::array<uint8_t, 32> out;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = a[i] - b[i] - borrow;
    borrow = d < 0;
    out[i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  return out;
}

// The same signature with s replaced by n - s and v flipped: a second valid ECDSA signature of
// the same digest under the same key (the malleability low-S rules out).
Signature65 HighSTwin(const Signature65& sig) {
  Signature65 twin = sig;
  const Bytes order = Hex(kOrderHex);
  const auto s = Sub256(order, ByteSpan(sig).subspan(32, 32));
  std::copy(s.begin(), s.end(), twin.begin() + 32);
  twin[64] = sig[64] == 27 ? 28 : 27;
  return twin;
}

bool IsLowS(const Signature65& sig) {
  // s <= (n - 1) / 2 = 7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0
  const Bytes half = Hex("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
  return !std::lexicographical_compare(half.begin(), half.end(), sig.begin() + 32,
                                       sig.begin() + 64);
}

TEST(Secp256k1SignerTest, WellKnownPrivateKeyHasWellKnownAddress) {
  SigningKey key = KeyFromHex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  EXPECT_EQ(key.verification_key().EthereumAddressChecksummed(),
            "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
  EXPECT_EQ(ToHex(key.verification_key().EthereumAddress()),
            "2c7536e3605d9c16a7a3d7b1898e529396a65c23");
}

TEST(Secp256k1SignerTest, SecretKeyOneIsTheGenerator) {
  SigningKey key = KeyFromHex("0000000000000000000000000000000000000000000000000000000000000001");
  EXPECT_EQ(ToHex(key.verification_key().SerializeCompressed()),
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  EXPECT_EQ(ToHex(key.verification_key().SerializeUncompressed()),
            "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
            "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
  EXPECT_EQ(key.verification_key().EthereumAddressChecksummed(),
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
}

TEST(Secp256k1SignerTest, Eip55ChecksumExamplesFromTheEip) {
  for (std::string_view address : {
           "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
           "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
           "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
           "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
           "0x52908400098527886E0F7030069857D2E4169EE7",  // checksum happens to be all caps
           "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
           "0xde709f2102306220921060314715629080e2fb77",  // ... or all lower case
           "0x27b1fdb04752bbc536007a920d24acb045561c26",
       }) {
    SCOPED_TRACE(address);
    auto parsed = ParseEthAddress(address);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(ChecksumAddress(*parsed), address);
    // Lower-case and upper-case spellings carry no checksum and parse to the same address.
    std::string lower(address), upper(address.substr(2));
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    EXPECT_EQ(ParseEthAddress(lower).value(), *parsed);
    EXPECT_EQ(ParseEthAddress(upper).value(), *parsed);
  }
}

TEST(Secp256k1SignerTest, ParseEthAddressRejectsMalformedText) {
  // One letter of a valid checksum with its case flipped.
  auto bad_checksum = ParseEthAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD");
  EXPECT_EQ(bad_checksum.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_checksum.status().message(), HasSubstr("EIP-55"));

  auto short_text = ParseEthAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA");
  EXPECT_EQ(short_text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(short_text.status().message(), HasSubstr("40 hex digits"));

  auto not_hex = ParseEthAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg");
  EXPECT_EQ(not_hex.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(not_hex.status().message(), HasSubstr("not hex"));

  EXPECT_FALSE(ParseEthAddress("").ok());
  EXPECT_FALSE(ParseEthAddress("0x").ok());
}

TEST(Secp256k1SignerTest, SignVerifyRecoverRoundTrip) {
  SigningKey key = SigningKey::Generate();
  const Digest digest = DigestOf("a response to sign");
  const Signature65 sig = key.SignDigest(digest);
  EXPECT_TRUE(sig[64] == 27 || sig[64] == 28) << int{sig[64]};
  EXPECT_TRUE(IsLowS(sig));
  EXPECT_TRUE(key.verification_key().VerifyDigest(digest, sig));

  auto recovered = VerificationKey::RecoverFromSignature(digest, sig);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(*recovered, key.verification_key());
  EXPECT_EQ(recovered->EthereumAddress(), key.verification_key().EthereumAddress());
}

TEST(Secp256k1SignerTest, SignaturesAreDeterministicAndAlwaysLowS) {
  SigningKey key = KeyFromHex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  EXPECT_EQ(key.SignDigest(DigestOf("x")), key.SignDigest(DigestOf("x")));  // RFC 6979
  EXPECT_NE(key.SignDigest(DigestOf("x")), key.SignDigest(DigestOf("y")));
  // Half of all raw ECDSA signatures are high-S; 200 signatures without one means normalisation.
  for (int i = 0; i < 200; ++i) {
    const Digest digest = DigestOf("message " + std::to_string(i));
    const Signature65 sig = key.SignDigest(digest);
    ASSERT_TRUE(IsLowS(sig)) << i;
    ASSERT_TRUE(key.verification_key().VerifyDigest(digest, sig)) << i;
  }
}

TEST(Secp256k1SignerTest, SerializeAndFromBytesRoundTrip) {
  SigningKey key = SigningKey::Generate();
  SecretBytes secret = key.Serialize();
  ASSERT_EQ(secret.size(), SigningKey::kSize);
  auto again = SigningKey::FromBytes(secret.span());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->verification_key(), key.verification_key());
  const Digest digest = DigestOf("same key, same signature");
  EXPECT_EQ(again->SignDigest(digest), key.SignDigest(digest));
  EXPECT_NE(SigningKey::Generate().verification_key(), key.verification_key());
}

TEST(Secp256k1SignerTest, FromBytesRejectsInvalidSecrets) {
  auto short_key = SigningKey::FromBytes(Bytes(31, 1));
  EXPECT_EQ(short_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(short_key.status().message(), HasSubstr("32 bytes, got 31"));
  EXPECT_FALSE(SigningKey::FromBytes(Bytes(33, 1)).ok());
  EXPECT_FALSE(SigningKey::FromBytes(Bytes()).ok());

  auto zero = SigningKey::FromBytes(Bytes(32, 0));
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(zero.status().message(), HasSubstr("group order"));
  EXPECT_FALSE(SigningKey::FromBytes(Hex(kOrderHex)).ok());   // n itself
  EXPECT_FALSE(SigningKey::FromBytes(Bytes(32, 0xff)).ok());  // above n
  // n - 1 is the largest valid secret.
  EXPECT_TRUE(
      SigningKey::FromBytes(Hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"))
          .ok());
}

TEST(Secp256k1SignerTest, ErrorMessagesNeverContainTheSecret) {
  // A 31-byte prefix of a real key: the error must not echo it.
  Bytes secret = Hex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f3623");
  auto status = SigningKey::FromBytes(secret).status();
  EXPECT_THAT(std::string(status.message()), ::testing::Not(HasSubstr("4c0883a6")));
}

TEST(Secp256k1SignerTest, VerificationKeyEncodingsRoundTrip) {
  const VerificationKey vk = SigningKey::Generate().verification_key();
  auto from_compressed = VerificationKey::Parse(vk.SerializeCompressed());
  ASSERT_TRUE(from_compressed.ok()) << from_compressed.status();
  EXPECT_EQ(*from_compressed, vk);
  auto from_uncompressed = VerificationKey::Parse(vk.SerializeUncompressed());
  ASSERT_TRUE(from_uncompressed.ok()) << from_uncompressed.status();
  EXPECT_EQ(*from_uncompressed, vk);
}

TEST(Secp256k1SignerTest, ParseRejectsMalformedKeys) {
  const VerificationKey vk = SigningKey::Generate().verification_key();
  auto compressed = vk.SerializeCompressed();
  auto uncompressed = vk.SerializeUncompressed();

  auto wrong_length = VerificationKey::Parse(ByteSpan(uncompressed).first(64));
  EXPECT_EQ(wrong_length.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong_length.status().message(), HasSubstr("33 (compressed) or 65"));
  EXPECT_FALSE(VerificationKey::Parse(ByteSpan()).ok());

  auto bad_prefix = compressed;
  bad_prefix[0] = 0x04;
  EXPECT_THAT(VerificationKey::Parse(bad_prefix).status().message(), HasSubstr("0x02 or 0x03"));

  // The "hybrid" SEC1 form (0x06/0x07) is a second encoding of the same point: refused.
  auto hybrid = uncompressed;
  hybrid[0] = (uncompressed[64] & 1) ? 0x07 : 0x06;
  EXPECT_THAT(VerificationKey::Parse(hybrid).status().message(), HasSubstr("0x04"));

  // y + 1 (in the last byte) leaves the curve.
  auto off_curve = uncompressed;
  off_curve[64] ^= 1;
  auto status = VerificationKey::Parse(off_curve).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not a point"));

  // x = p (not a field element).
  Bytes x_too_big = Hex("02fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f");
  EXPECT_FALSE(VerificationKey::Parse(x_too_big).ok());
}

TEST(Secp256k1SignerTest, TamperedSignatureOrDigestIsRejected) {
  SigningKey key = SigningKey::Generate();
  const VerificationKey& vk = key.verification_key();
  const Digest digest = DigestOf("payload");
  const Signature65 sig = key.SignDigest(digest);

  for (size_t i = 0; i < 64; ++i) {
    Signature65 bad = sig;
    bad[i] ^= 0x01;
    EXPECT_FALSE(vk.VerifyDigest(digest, bad)) << "byte " << i;
    // Recovery either fails or finds somebody else's key; it never crashes.
    auto recovered = VerificationKey::RecoverFromSignature(digest, bad);
    if (recovered.ok()) {
      EXPECT_NE(*recovered, vk);
    }
  }
  Digest other = digest;
  other[0] ^= 0x80;
  EXPECT_FALSE(vk.VerifyDigest(other, sig));
  EXPECT_FALSE(SigningKey::Generate().verification_key().VerifyDigest(digest, sig));
}

TEST(Secp256k1SignerTest, FlippedRecoveryIdIsRejected) {
  SigningKey key = SigningKey::Generate();
  const Digest digest = DigestOf("v matters");
  Signature65 sig = key.SignDigest(digest);
  ASSERT_TRUE(sig[64] == 27 || sig[64] == 28);
  sig[64] = sig[64] == 27 ? 28 : 27;  // a valid v, but not the signer's
  EXPECT_FALSE(key.verification_key().VerifyDigest(digest, sig));
  // -R has the same x as R, so recovery succeeds, but finds another key.
  auto recovered = VerificationKey::RecoverFromSignature(digest, sig);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_NE(*recovered, key.verification_key());
}

TEST(Secp256k1SignerTest, HighSTwinIsRejected) {
  SigningKey key = SigningKey::Generate();
  const Digest digest = DigestOf("malleable?");
  const Signature65 sig = key.SignDigest(digest);
  const Signature65 twin = HighSTwin(sig);
  ASSERT_FALSE(IsLowS(twin));
  EXPECT_FALSE(key.verification_key().VerifyDigest(digest, twin));
  auto recovered = VerificationKey::RecoverFromSignature(digest, twin);
  EXPECT_EQ(recovered.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(recovered.status().message(), HasSubstr("high-S"));
}

TEST(Secp256k1SignerTest, RecoverRejectsMalformedFields) {
  SigningKey key = SigningKey::Generate();
  const Digest digest = DigestOf("fields");
  const Signature65 sig = key.SignDigest(digest);

  for (uint8_t v : {0, 1, 26, 31, 255}) {
    Signature65 bad = sig;
    bad[64] = v;
    auto status = VerificationKey::RecoverFromSignature(digest, bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << int{v};
    EXPECT_THAT(status.message(), HasSubstr("v must be 27..30")) << int{v};
    EXPECT_FALSE(key.verification_key().VerifyDigest(digest, bad));
  }

  Signature65 zero_r = sig;
  std::fill(zero_r.begin(), zero_r.begin() + 32, 0);
  EXPECT_THAT(VerificationKey::RecoverFromSignature(digest, zero_r).status().message(),
              HasSubstr("r is zero"));
  Signature65 zero_s = sig;
  std::fill(zero_s.begin() + 32, zero_s.begin() + 64, 0);
  EXPECT_THAT(VerificationKey::RecoverFromSignature(digest, zero_s).status().message(),
              HasSubstr("s is zero"));

  Signature65 r_overflow = sig;
  std::fill(r_overflow.begin(), r_overflow.begin() + 32, 0xff);
  EXPECT_THAT(VerificationKey::RecoverFromSignature(digest, r_overflow).status().message(),
              HasSubstr("not below the secp256k1 group order"));
  // Recovery ids 2 and 3 need r + n < p, which this r does not satisfy: no key, no crash.
  Signature65 high_recid = sig;
  high_recid[64] = 29;
  auto status = VerificationKey::RecoverFromSignature(digest, high_recid).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(Secp256k1SignerTest, ConcurrentSigningUsesOneSharedContext) {
  // All threads share the one process-wide context; libsecp256k1 allows concurrent use of it.
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &ok] {
      SigningKey key = SigningKey::Generate();
      int good = 0;
      for (int i = 0; i < 25; ++i) {
        const Digest digest = DigestOf(std::to_string(t) + "/" + std::to_string(i));
        good += key.verification_key().VerifyDigest(digest, key.SignDigest(digest));
      }
      ok[t] = good;
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(ok[t], 25) << t;
}

}  // namespace
}  // namespace kms::crypto
