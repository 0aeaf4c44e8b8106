// The public-key acceptance rule (client/key_acceptance.h) against the attacks it exists for:
// results are made and signed by the server's own ResponseSigner, then parties lie by answering
// with another key's signature, relaying another party's result, reporting another operator's
// address, signing another digest, or serving bytes that do not match what was signed.
#include "client/key_acceptance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client/request_id.h"
#include "client/response_verification.h"
#include "crypto/random.h"
#include "lwe/parameters.h"
#include "service/engine.h"
#include "service/response_signer.h"

namespace kms::client {
namespace {

using ::testing::HasSubstr;

constexpr uint32_t kN = 4;
constexpr uint32_t kT = 1;

std::string Str(ByteSpan b) { return std::string(b.begin(), b.end()); }

class KeyAcceptanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint32_t p = 0; p < kN; ++p) operators_.push_back(crypto::SigningKey::Generate());
    crypto::AesCtrRng rng;
    rng.Fill(key_id_);
    key_ = MakeKey("the public key bytes");
  }

  std::string KeyIdHex() const { return ToHex(key_id_); }

  service::PublicKeyInfo MakeKey(std::string_view bytes) const {
    service::PublicKeyInfo key;
    key.key_id = key_id_;
    key.public_key = Bytes(bytes.begin(), bytes.end());
    key.digest = PublicKeyDigest(key.public_key);
    key.params = *lwe::ParametersByName("default");
    return key;
  }

  // Party `party`'s (1-based) result, signed by `signer` (default: its own operator key).
  v1::KeyGenResult Result(uint32_t party, const service::PublicKeyInfo& key,
                          const crypto::SigningKey* signer = nullptr,
                          const crypto::Eip712Domain* domain = nullptr) const {
    const crypto::SigningKey& k = signer != nullptr ? *signer : operators_[party - 1];
    service::ResponseSigner rs(k, party, kT, kN);
    return rs.KeyGen(key_id_, key, domain != nullptr ? *domain : ClientDomain());
  }

  static crypto::Eip712Domain ClientDomain() { return *DomainFromProto(DefaultClientDomain()); }

  // Every party answering honestly, pinned to its own operator.
  std::vector<PartyKeyGenAnswer> Honest() const {
    std::vector<PartyKeyGenAnswer> answers;
    for (uint32_t p = 1; p <= kN; ++p) {
      PartyKeyGenAnswer a;
      a.name = absl::StrCat("party ", p);
      a.pin = PinnedOperator{p, operators_[p - 1].verification_key().EthereumAddress()};
      a.result = Result(p, key_);
      answers.push_back(std::move(a));
    }
    return answers;
  }

  absl::StatusOr<KeyEndorsement> Tally(const std::vector<PartyKeyGenAnswer>& answers) const {
    const std::vector<v1::Eip712Domain> domains = KeyGenResultDomains();
    return TallyKeyGenResults(KeyIdHex(), kT, answers, domains);
  }

  std::vector<crypto::SigningKey> operators_;
  crypto::Digest key_id_{};
  service::PublicKeyInfo key_;
};

TEST_F(KeyAcceptanceTest, AcceptsWhenAllPinnedOperatorsSign) {
  auto e = Tally(Honest());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->party_ids, (std::vector<uint32_t>{1, 2, 3, 4}));
  EXPECT_EQ(e->required, kT + 1);
  EXPECT_EQ(e->public_key_digest, std::string(key_.digest.begin(), key_.digest.end()));
  EXPECT_EQ(e->fhe_parameter, "default");
  EXPECT_FALSE(e->insecure);
  EXPECT_TRUE(e->problems.empty());
  EXPECT_TRUE(CheckEndorsedKeyBytes(*e, "the public key bytes", "party 1").ok());
}

TEST_F(KeyAcceptanceTest, AcceptsWithExactlyTPlusOnePinnedSigners) {
  auto answers = Honest();
  answers[1].result = absl::UnavailableError("connection refused");
  answers[3].result = absl::NotFoundError("no key generation request or key with id");
  auto e = Tally(answers);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->party_ids, (std::vector<uint32_t>{1, 3}));
  ASSERT_EQ(e->problems.size(), 2u);
  EXPECT_THAT(e->problems[0], HasSubstr("party 2: connection refused"));
}

// One party alone (t of them, here 1) cannot make the client accept a key.
TEST_F(KeyAcceptanceTest, RefusesFewerThanTPlusOneSigners) {
  auto answers = Honest();
  for (size_t i = 1; i < kN; ++i) answers[i].result = absl::UnavailableError("connection refused");
  auto e = Tally(answers);
  ASSERT_EQ(e.status().code(), absl::StatusCode::kFailedPrecondition) << e.status();
  EXPECT_THAT(e.status().message(), HasSubstr(absl::StrCat("public key ", KeyIdHex(),
                                                           ": only 1 of the t + 1 = 2 "
                                                           "required parties signed digest ",
                                                           ToHex(key_.digest))));
  EXPECT_THAT(e.status().message(), HasSubstr("party 3: connection refused"));
}

// The servers of parties 2..4 sign with keys that are not the pinned ones (operator keys
// swapped, or one machine answering for all): their results do not count, and each is named with
// both addresses.
TEST_F(KeyAcceptanceTest, RefusesSignaturesByUnpinnedAddresses) {
  auto answers = Honest();
  std::vector<crypto::SigningKey> impostors;
  for (uint32_t p = 2; p <= kN; ++p) impostors.push_back(crypto::SigningKey::Generate());
  for (uint32_t p = 2; p <= kN; ++p) answers[p - 1].result = Result(p, key_, &impostors[p - 2]);
  auto e = Tally(answers);
  ASSERT_EQ(e.status().code(), absl::StatusCode::kFailedPrecondition) << e.status();
  EXPECT_THAT(e.status().message(), HasSubstr("only 1 of the t + 1 = 2 required parties"));
  EXPECT_THAT(
      e.status().message(),
      HasSubstr(absl::StrCat(
          "party 3: signer ", impostors[1].verification_key().EthereumAddressChecksummed(),
          " is not the pinned ", operators_[2].verification_key().EthereumAddressChecksummed())));
}

// Party 2 relays party 1's genuine result: a valid signature, but not by party 2's operator.
TEST_F(KeyAcceptanceTest, ARelayedResultCountsOnlyForItsOwnParty) {
  auto answers = Honest();
  answers[1].result = Result(1, key_);
  answers[2].result = absl::UnavailableError("down");
  answers[3].result = absl::UnavailableError("down");
  auto e = Tally(answers);
  ASSERT_EQ(e.status().code(), absl::StatusCode::kFailedPrecondition) << e.status();
  EXPECT_THAT(e.status().message(),
              HasSubstr(absl::StrCat("party 2: signer ",
                                     operators_[0].verification_key().EthereumAddressChecksummed(),
                                     " is not the pinned")));
}

// Trust on first use: party 2 reports party 1's address as its own and relays party 1's result.
// The same signer counts once.
TEST_F(KeyAcceptanceTest, ADuplicateSignerIsCountedOnce) {
  auto answers = Honest();
  answers[1].pin = answers[0].pin;
  answers[1].result = Result(1, key_);
  answers[2].result = absl::UnavailableError("down");
  answers[3].result = absl::UnavailableError("down");
  auto e = Tally(answers);
  ASSERT_EQ(e.status().code(), absl::StatusCode::kFailedPrecondition) << e.status();
  EXPECT_THAT(e.status().message(), HasSubstr("only 1 of the t + 1 = 2"));
  EXPECT_THAT(e.status().message(), HasSubstr("party 2: signer "));
  EXPECT_THAT(e.status().message(), HasSubstr("already counted for party 1"));
  // With a third honest signer the key is accepted, still counting party 1 once.
  answers[2].result = Result(3, key_);
  auto ok = Tally(answers);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->party_ids, (std::vector<uint32_t>{1, 3}));
}

TEST_F(KeyAcceptanceTest, RefusesKeyBytesThatDoNotMatchTheSignedDigest) {
  auto e = Tally(Honest());
  ASSERT_TRUE(e.ok()) << e.status();
  absl::Status s = CheckEndorsedKeyBytes(*e, "a key of the attacker's choosing", "party 2");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("key bytes from party 2 hash to"));
  EXPECT_THAT(s.message(), HasSubstr(ToHex(key_.digest)));
}

// A party that edits a signed field (digest, parameter set, insecure mark) of a genuine result
// no longer carries its operator's signature.
TEST_F(KeyAcceptanceTest, EditedSignedFieldsDoNotCount) {
  const service::PublicKeyInfo other = MakeKey("another key");
  for (int field = 0; field < 3; ++field) {
    auto answers = Honest();
    answers[2].result = absl::UnavailableError("down");
    answers[3].result = absl::UnavailableError("down");
    v1::KeyGenResult& r = *answers[1].result;
    if (field == 0) {
      r.set_public_key(Str(other.public_key));
      r.set_public_key_digest(Str(other.digest));
    } else if (field == 1) {
      r.set_fhe_parameter("test");
      r.set_insecure(true);
    } else {
      r.set_insecure(true);
    }
    auto e = Tally(answers);
    ASSERT_EQ(e.status().code(), absl::StatusCode::kFailedPrecondition) << field << e.status();
    EXPECT_THAT(e.status().message(), HasSubstr("party 2: signer ")) << field;
  }
}

// t parties sign another key with their real operator keys: outvoted and named. Two keys that
// both reach t + 1 (more than t liars): no key at all.
TEST_F(KeyAcceptanceTest, AnotherDigestIsOutvotedOrAborts) {
  const service::PublicKeyInfo other = MakeKey("another key");
  auto answers = Honest();
  answers[3].result = Result(4, other);
  auto e = Tally(answers);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->party_ids, (std::vector<uint32_t>{1, 2, 3}));
  ASSERT_EQ(e->problems.size(), 1u);
  EXPECT_THAT(e->problems[0],
              HasSubstr(absl::StrCat("party 4: signed digest ", ToHex(other.digest))));

  answers[2].result = Result(3, other);
  auto aborted = Tally(answers);
  EXPECT_EQ(aborted.status().code(), absl::StatusCode::kAborted) << aborted.status();
  EXPECT_THAT(aborted.status().message(), HasSubstr("more than t parties are misbehaving"));
}

TEST_F(KeyAcceptanceTest, AResultForAnotherKeyIdDoesNotCount) {
  auto answers = Honest();
  service::PublicKeyInfo elsewhere = key_;
  elsewhere.key_id[0] ^= 1;
  service::ResponseSigner rs(operators_[1], 2, kT, kN);
  answers[1].result = rs.KeyGen(key_id_, elsewhere, ClientDomain());
  answers[2].result = absl::UnavailableError("down");
  answers[3].result = absl::UnavailableError("down");
  auto e = Tally(answers);
  ASSERT_EQ(e.status().code(), absl::StatusCode::kFailedPrecondition) << e.status();
  EXPECT_THAT(e.status().message(), HasSubstr("party 2: keygen result.key_id: names key"));
}

TEST_F(KeyAcceptanceTest, AnAnswerWithoutPinNeverCounts) {
  auto answers = Honest();
  for (auto& a : answers) a.pin.reset();
  answers[0].pin = PinnedOperator{1, operators_[0].verification_key().EthereumAddress()};
  auto e = Tally(answers);
  ASSERT_EQ(e.status().code(), absl::StatusCode::kFailedPrecondition) << e.status();
  EXPECT_THAT(e.status().message(), HasSubstr("party 2: no signer address is known"));
}

// A party that restarted rebuilds the result from storage and signs it over the server's default
// domain {"KMS", "1"} (no chain id): the same statement, accepted.
TEST_F(KeyAcceptanceTest, AcceptsResultsRebuiltOverTheServerDefaultDomain) {
  crypto::Eip712Domain server_default;
  server_default.name = "KMS";
  server_default.version = "1";
  auto answers = Honest();
  answers[0].result = Result(1, key_, nullptr, &server_default);
  answers[1].result = Result(2, key_, nullptr, &server_default);
  auto e = Tally(answers);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->party_ids.size(), 4u);
  // Any other domain does not verify.
  crypto::Eip712Domain other = server_default;
  other.name = "Other";
  answers[2].result = Result(3, key_, nullptr, &other);
  answers[3].result = Result(4, key_, nullptr, &other);
  auto three = Tally(answers);
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(three->party_ids, (std::vector<uint32_t>{1, 2}));
}

}  // namespace
}  // namespace kms::client
