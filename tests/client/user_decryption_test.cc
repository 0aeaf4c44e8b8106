#include "client/user_decryption.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "algebra/shamir.h"
#include "crypto/hybrid_encryption.h"
#include "crypto/random.h"
#include "crypto/signcryption.h"
#include "lwe/encryption.h"
#include "lwe/formats.h"
#include "service/response_signer.h"

namespace kms::client {
namespace {

using algebra::Gr128;
using ::testing::HasSubstr;

constexpr int kN = 4;
constexpr int kT = 1;

// A user with a request: handles, types, key, address.
struct User {
  crypto::X25519Kem kem;
  crypto::KemKeyPair keys = kem.GenerateKeyPair();
  crypto::SigningKey wallet = crypto::SigningKey::Generate();
};

// Four parties with signing keys, a secret key, ciphertexts of every type and each party's
// (unmasked) Shamir shares of the packed phases: what the server's engine would hand to
// ResponseSigner::UserDecryption.
class UserDecryptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int p = 0; p < kN; ++p) party_keys_.push_back(crypto::SigningKey::Generate());
    for (int p = 0; p < kN; ++p) {
      signers_[static_cast<uint32_t>(p + 1)] = party_keys_[p].verification_key().EthereumAddress();
    }
    lwe::SecretKey sk = lwe::SecretKey::Generate(params(), rng_);
    const lwe::CompactPublicKey pk = lwe::GenerateCompactPublicKey(sk, 99, rng_);
    int v = 0;
    for (lwe::FheType type : lwe::kAllFheTypes) {
      const uint64_t value =
          (0x1234567890abcdefull >> (v++ * 3)) &
          (lwe::FheTypeBits(type) >= 64 ? ~0ull : ((1ull << lwe::FheTypeBits(type)) - 1));
      values_.push_back(*lwe::TypedPlaintext::FromU64(type, value));
      auto ct = lwe::EncryptTyped(pk, values_.back(), rng_);
      ASSERT_TRUE(ct.ok());
      auto bytes = lwe::SerializeTypedCiphertext(*ct);
      const uint32_t blocks = static_cast<uint32_t>(ct->list.bodies.size());
      cts_.push_back(
          service::ParsedCiphertext{type, *ct, crypto::HashElement(crypto::kDsepHandle, *bytes)});
      // Phases, packed four per ring element, Shamir-shared with degree t.
      std::vector<Gr128> packed((ct->list.bodies.size() + 3) / 4);
      for (size_t j = 0; j < ct->list.bodies.size(); ++j) {
        packed[j / 4][static_cast<int>(j % 4)] = lwe::DecryptBlockPhase(sk, ct->list, j);
      }
      for (int p = 0; p < kN; ++p) {
        shares_[p].packed.emplace_back();
        shares_[p].block_counts.push_back(blocks);
      }
      for (const Gr128& e : packed) {
        auto s = algebra::ShareSecret(e, kN, kT, rng_);
        for (int p = 0; p < kN; ++p) shares_[p].packed.back().push_back(s[p]);
      }
    }
  }

  static const lwe::LweParameters& params() { return lwe::TestParameters(); }

  service::UserDecryptionContext Context(const User& user) const {
    service::UserDecryptionContext c;
    c.request_id.fill(0x11);
    c.key_id.fill(0x22);
    c.enc_key = user.keys.public_key;
    c.client_address = user.wallet.verification_key().EthereumAddress();
    c.domain = service::DefaultDomain();
    c.extra_data = {1, 2, 3};
    c.fhe_parameter = params().name;
    return c;
  }

  UserDecryptionRequestInfo Info(const User& user) const {
    UserDecryptionRequestInfo info;
    info.request_id.fill(0x11);
    info.key_id.fill(0x22);
    for (const auto& c : cts_) {
      info.handles.push_back(c.handle);
      info.types.push_back(c.type);
    }
    info.enc_key = user.keys.public_key;
    info.client_address = user.wallet.verification_key().EthereumAddress();
    info.domain.name = "KMS";
    info.domain.version = "1";
    info.extra_data = {1, 2, 3};
    return info;
  }

  kms::v1::UserDecryptionResponse Response(int party, const User& user,
                                           const service::UserDecryptionOutput& shares) const {
    service::ResponseSigner signer(party_keys_[party - 1], static_cast<uint32_t>(party), kT, kN);
    auto r = signer.UserDecryption(Context(user), cts_, shares);
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  }
  kms::v1::UserDecryptionResponse Response(int party, const User& user) const {
    return Response(party, user, shares_[party - 1]);
  }

  crypto::AesCtrRng rng_;
  std::vector<crypto::SigningKey> party_keys_;
  std::map<uint32_t, crypto::EthAddress> signers_;
  std::vector<lwe::TypedPlaintext> values_;
  std::vector<service::ParsedCiphertext> cts_;
  service::UserDecryptionOutput shares_[kN];
};

TEST_F(UserDecryptionTest, AllPartiesAnyOrder) {
  User user;
  std::vector<kms::v1::UserDecryptionResponse> r = {Response(3, user), Response(1, user),
                                                    Response(4, user), Response(2, user)};
  std::vector<RejectedResponse> rejected;
  auto pts = ReconstructUserDecryption(r, user.keys.private_key, signers_, Info(user), &rejected);
  ASSERT_TRUE(pts.ok()) << pts.status();
  EXPECT_TRUE(rejected.empty());
  EXPECT_EQ(*pts, values_);
  // The parameter set may also be given.
  UserDecryptionRequestInfo info = Info(user);
  info.fhe_parameter = params().name;
  EXPECT_TRUE(ReconstructUserDecryption(r, user.keys.private_key, signers_, info).ok());
}

TEST_F(UserDecryptionTest, OneMissingIsToleratedTwoAreNot) {
  User user;
  std::vector<kms::v1::UserDecryptionResponse> three = {Response(1, user), Response(2, user),
                                                        Response(4, user)};
  auto pts = ReconstructUserDecryption(three, user.keys.private_key, signers_, Info(user));
  ASSERT_TRUE(pts.ok()) << pts.status();
  EXPECT_EQ(*pts, values_);
  std::vector<kms::v1::UserDecryptionResponse> two = {Response(1, user), Response(2, user)};
  auto refused = ReconstructUserDecryption(two, user.keys.private_key, signers_, Info(user));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("2 of 4 parties' responses accepted"));
}

TEST_F(UserDecryptionTest, TamperedShareOrSignatureCountsAsMissing) {
  User user;
  std::vector<kms::v1::UserDecryptionResponse> r = {Response(1, user), Response(2, user),
                                                    Response(3, user), Response(4, user)};
  std::string* envelope = r[1].mutable_shares(3)->mutable_signcrypted_share();
  (*envelope)[envelope->size() - 5] ^= 0x10;
  std::vector<RejectedResponse> rejected;
  auto pts = ReconstructUserDecryption(r, user.keys.private_key, signers_, Info(user), &rejected);
  ASSERT_TRUE(pts.ok()) << pts.status();
  EXPECT_EQ(*pts, values_);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].party_id, 2u);
  // The outer signature covers the envelope bytes, so tampering shows there first.
  EXPECT_THAT(rejected[0].reason, HasSubstr("signature"));

  // A tampered outer signature, and a response claiming another party's id.
  r = {Response(1, user), Response(2, user), Response(3, user), Response(4, user)};
  (*r[0].mutable_signature())[10] ^= 1;
  r[2].set_party_id(4);
  pts = ReconstructUserDecryption(r, user.keys.private_key, signers_, Info(user), &rejected);
  EXPECT_FALSE(pts.ok());  // two bad parties out of four with t = 1
  EXPECT_EQ(rejected.size(), 2u);
}

// A party that signs wrong shares (a valid response around a lie) is corrected by the robust
// reconstruction, as long as no other party is missing.
TEST_F(UserDecryptionTest, OneLyingPartyIsCorrected) {
  User user;
  service::UserDecryptionOutput lie = shares_[2];
  for (auto& v : lie.packed) {
    for (auto& e : v) e += Gr128::One();
  }
  std::vector<kms::v1::UserDecryptionResponse> r = {Response(1, user), Response(2, user),
                                                    Response(3, user, lie), Response(4, user)};
  std::vector<RejectedResponse> rejected;
  auto pts = ReconstructUserDecryption(r, user.keys.private_key, signers_, Info(user), &rejected);
  ASSERT_TRUE(pts.ok()) << pts.status();
  EXPECT_EQ(*pts, values_);
  EXPECT_TRUE(rejected.empty());
  // Lying plus one missing is more than t bad parties: refused loudly, never a wrong value.
  std::vector<kms::v1::UserDecryptionResponse> bad = {Response(1, user), Response(3, user, lie),
                                                      Response(4, user)};
  auto refused = ReconstructUserDecryption(bad, user.keys.private_key, signers_, Info(user));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAborted);
}

// A share made for user A cannot serve user B: forwarded as is, the link and the signatures name
// A's key; re-encrypted to B (and even re-signed outside by the party), the inner signature still
// names A's key.
TEST_F(UserDecryptionTest, ShareReEncryptedToAnotherUserIsRejected) {
  User a, b;
  const kms::v1::UserDecryptionResponse for_a = Response(2, a);
  std::vector<RejectedResponse> rejected;
  auto opened =
      OpenUserDecryptionResponse(for_a, b.keys.private_key, signers_, Info(b), params().name);
  EXPECT_FALSE(opened.ok());
  EXPECT_THAT(opened.status().message(), HasSubstr("link"));

  // Re-encrypt every envelope of A's response to B under B's link, then re-sign the outer
  // response for B with the party's key.
  const crypto::Digest link_a = UserDecryptionLink(Info(a));
  const crypto::Digest link_b = UserDecryptionLink(Info(b));
  crypto::X25519Kem kem;
  std::vector<crypto::SigncryptedShare> moved;
  for (int i = 0; i < for_a.shares_size(); ++i) {
    const auto& s = for_a.shares(i);
    auto inner =
        crypto::HybridDecrypt(kem, a.keys.private_key, AsBytes(s.signcrypted_share()), link_a);
    ASSERT_TRUE(inner.ok());
    auto sealed = crypto::HybridEncrypt(kem, b.keys.public_key, *inner, link_b);
    ASSERT_TRUE(sealed.ok());
    moved.push_back({s.fhe_type(), Bytes(s.external_handle().begin(), s.external_handle().end()),
                     s.block_count(), s.packing_factor(), *sealed});
  }
  kms::v1::UserDecryptionResponse for_b = for_a;
  for (int i = 0; i < for_b.shares_size(); ++i) {
    for_b.mutable_shares(i)->set_signcrypted_share(
        std::string(moved[i].signcrypted_share.begin(), moved[i].signcrypted_share.end()));
  }
  for_b.set_link(std::string(link_b.begin(), link_b.end()));
  const UserDecryptionRequestInfo info_b = Info(b);
  Bytes extra;
  Append(extra, info_b.request_id);
  Append(extra, info_b.key_id);
  Append(extra, info_b.extra_data);
  const Bytes encoded = crypto::EncodeUserDecryptedShares({2, kT, kN, params().name}, moved);
  const crypto::Digest digest = crypto::Eip712Digest(
      info_b.domain,
      crypto::UserDecryptResponseVerification(info_b.enc_key, info_b.handles, encoded, extra));
  const crypto::Signature65 sig = party_keys_[1].SignDigest(digest);
  for_b.set_signature(std::string(sig.begin(), sig.end()));
  opened = OpenUserDecryptionResponse(for_b, b.keys.private_key, signers_, info_b, params().name);
  EXPECT_FALSE(opened.ok());
  EXPECT_THAT(opened.status().message(), HasSubstr("bad signature"));
}

TEST_F(UserDecryptionTest, ResponsesMustMatchTheRequest) {
  User user;
  auto base = Response(1, user);
  auto check = [&](kms::v1::UserDecryptionResponse r, const std::string& text) {
    auto opened =
        OpenUserDecryptionResponse(r, user.keys.private_key, signers_, Info(user), params().name);
    EXPECT_FALSE(opened.ok());
    EXPECT_THAT(opened.status().message(), HasSubstr(text));
  };
  auto r = base;
  r.set_party_id(9);
  check(r, "party_id 9 is not a known party");
  r = base;
  r.set_request_id(std::string(64, 'f'));
  check(r, "request_id differs");
  r = base;
  r.mutable_shares(0)->set_fhe_type("euint8");
  check(r, "shares[0].fhe_type");
  r = base;
  r.mutable_shares(1)->set_block_count(99);
  check(r, "shares[1].block_count is 99");
  r = base;
  r.mutable_shares()->RemoveLast();
  check(r, "8 shares for 9 ciphertexts");
  r = base;
  r.set_num_parties(7);
  check(r, "num_parties is 7");
  // Signed by party 1's key but presented as party 2's.
  r = base;
  r.set_party_id(2);
  auto opened =
      OpenUserDecryptionResponse(r, user.keys.private_key, signers_, Info(user), params().name);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied);
}

// The handles of a response are always checked against the request's (derived from the
// ciphertext when the request had no external handle): a changed or missing one is refused.
TEST_F(UserDecryptionTest, ChangedOrMissingHandleIsRefused) {
  User user;
  for (const char* how : {"changed", "missing"}) {
    kms::v1::UserDecryptionResponse bad = Response(1, user);
    if (std::string(how) == "changed") {
      bad.mutable_shares(0)->set_external_handle(std::string(32, 'x'));
    } else {
      bad.mutable_shares(0)->clear_external_handle();
    }
    std::vector<kms::v1::UserDecryptionResponse> r = {bad, Response(2, user), Response(3, user),
                                                      Response(4, user)};
    std::vector<RejectedResponse> rejected;
    auto pts = ReconstructUserDecryption(r, user.keys.private_key, signers_, Info(user), &rejected);
    ASSERT_TRUE(pts.ok()) << pts.status();
    ASSERT_EQ(rejected.size(), 1u) << how;
    EXPECT_EQ(rejected[0].party_id, 1u);
    EXPECT_THAT(rejected[0].reason, HasSubstr("shares[0].external_handle is not the requested"))
        << how;
  }
}

TEST_F(UserDecryptionTest, CentralizedResponseDegreeZero) {
  User user;
  const crypto::SigningKey server = crypto::SigningKey::Generate();
  // What the centralized engine returns: Δ·m per block, packed, no sharing.
  service::UserDecryptionOutput out;
  for (size_t i = 0; i < cts_.size(); ++i) {
    const auto blocks = values_[i].ToBlocks(params());
    std::vector<Gr128> packed((blocks.size() + 3) / 4);
    for (size_t j = 0; j < blocks.size(); ++j) {
      packed[j / 4][static_cast<int>(j % 4)] = static_cast<algebra::Z128>(blocks[j])
                                               << lwe::DeltaLog2(params());
    }
    out.packed.push_back(packed);
    out.block_counts.push_back(static_cast<uint32_t>(blocks.size()));
  }
  service::ResponseSigner signer(server, 0, 0, 1);
  auto r = signer.UserDecryption(Context(user), cts_, out);
  ASSERT_TRUE(r.ok());
  const std::map<uint32_t, crypto::EthAddress> one = {
      {0, server.verification_key().EthereumAddress()}};
  auto pts = ReconstructUserDecryption(std::span(&*r, 1), user.keys.private_key, one, Info(user));
  ASSERT_TRUE(pts.ok()) << pts.status();
  EXPECT_EQ(*pts, values_);
  // Non-zero padding in the last element is refused.
  out.packed[0].back()[3] = 5;  // ebool has 1 block: coefficients 1..3 are padding
  auto bad = signer.UserDecryption(Context(user), cts_, out);
  auto refused =
      ReconstructUserDecryption(std::span(&*bad, 1), user.keys.private_key, one, Info(user));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(refused.status().message(), HasSubstr("padding"));
}

}  // namespace
}  // namespace kms::client
