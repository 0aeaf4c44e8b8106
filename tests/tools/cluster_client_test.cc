// ClusterClient against in-process fake parties that answer honestly or lie: public decryption
// must return the honest plaintext while at most t parties lie or fail, name the bad parties,
// and fail loudly (never return a value) when the lies cannot be outvoted.
#include "client/cluster_client.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "client/request_id.h"
#include "client/response_verification.h"
#include "crypto/secp256k1_signer.h"
#include "proto/kms_service.grpc.pb.h"

namespace kms::client {
namespace {

enum class Behavior { kHonest, kWrongValue, kOtherSigner, kError, kWrongKeyBytes };

// The key every fake party generated.
const std::string& KeyId() {
  static const std::string id = RandomRequestId();
  return id;
}
constexpr std::string_view kKeyBytes = "the compact public key";

class FakeParty final : public v1::CoreService::Service {
 public:
  FakeParty(uint32_t id, uint32_t n, uint32_t t, Behavior behavior)
      : id_(id), n_(n), t_(t), behavior_(behavior), key_(crypto::SigningKey::Generate()) {}

  grpc::Status GetHealthStatus(grpc::ServerContext*, const v1::HealthStatusRequest*,
                               v1::HealthStatusResponse* out) override {
    out->set_node_type(v1::NODE_TYPE_THRESHOLD);
    v1::ContextHealth* ctx = out->add_peers_from_all_contexts();
    ctx->set_my_party_id(id_);
    ctx->set_num_parties(n_);
    ctx->set_threshold(t_);
    return grpc::Status::OK;
  }

  grpc::Status GetOperatorPublicKey(grpc::ServerContext*, const v1::Empty*,
                                    v1::OperatorPublicKeyResponse* out) override {
    const auto vk = key_.verification_key().SerializeCompressed();
    out->set_public_key(std::string(vk.begin(), vk.end()));
    out->set_address(key_.verification_key().EthereumAddressChecksummed());
    out->set_party_id(id_);
    return grpc::Status::OK;
  }

  // A signed result for KeyId() (by another key for kOtherSigner), as the server builds it.
  grpc::Status GetKeyGenResult(grpc::ServerContext*, const v1::RequestId* req,
                               v1::KeyGenResult* out) override {
    if (behavior_ == Behavior::kError) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no key");
    if (req->request_id() != KeyId()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no key");
    const crypto::Digest digest = PublicKeyDigest(AsBytes(kKeyBytes));
    out->set_request_id(KeyId());
    out->set_key_id(KeyId());
    out->set_public_key(std::string(kKeyBytes));
    out->set_public_key_digest(std::string(digest.begin(), digest.end()));
    out->set_fhe_parameter("default");
    const crypto::Digest to_sign = crypto::Eip712Digest(
        *DomainFromProto(DefaultClientDomain()),
        crypto::KeygenVerification(*IdToDigest(KeyId(), "k"), *IdToDigest(KeyId(), "k"), digest,
                                   "default", false));
    const crypto::SigningKey other = crypto::SigningKey::Generate();
    const crypto::Signature65 sig =
        (behavior_ == Behavior::kOtherSigner ? other : key_).SignDigest(to_sign);
    out->set_signature(std::string(sig.begin(), sig.end()));
    out->set_party_id(id_);
    return grpc::Status::OK;
  }

  grpc::Status GetPublicKey(grpc::ServerContext*, const v1::PublicKeyRequest* req,
                            v1::PublicKeyResponse* out) override {
    if (req->key_id() != KeyId()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no key");
    const std::string bytes =
        behavior_ == Behavior::kWrongKeyBytes ? "a key of the party's own" : std::string(kKeyBytes);
    const crypto::Digest digest = PublicKeyDigest(AsBytes(bytes));
    out->set_key_id(KeyId());
    out->set_public_key(bytes);
    out->set_public_key_digest(std::string(digest.begin(), digest.end()));  // its own digest
    out->set_fhe_parameter("default");
    return grpc::Status::OK;
  }

  crypto::EthAddress address() const { return key_.verification_key().EthereumAddress(); }

  grpc::Status PublicDecryptSync(grpc::ServerContext*, const v1::PublicDecryptionRequest* req,
                                 v1::PublicDecryptionResponse* out) override {
    if (behavior_ == Behavior::kError) {
      return grpc::Status(grpc::StatusCode::ABORTED, "robust open failed");
    }
    const uint64_t value = behavior_ == Behavior::kWrongValue ? 666 : 42;
    const lwe::TypedPlaintext p = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint64, value);
    out->set_request_id(req->request_id());
    out->set_key_id(req->key_id());
    v1::TypedPlaintext* pt = out->add_plaintexts();
    pt->set_fhe_type("euint64");
    pt->set_value(p.ToString());
    pt->set_value_le(std::string(p.value_le.begin(), p.value_le.end()));
    std::vector<crypto::Digest> handles;
    for (const auto& ct : req->ciphertexts()) {
      crypto::Digest h{};
      std::copy(ct.external_handle().begin(), ct.external_handle().end(), h.begin());
      handles.push_back(h);
      out->add_ct_handles(ct.external_handle());
    }
    Bytes extra;
    Append(extra, *IdToDigest(req->request_id(), "r"));
    Append(extra, *IdToDigest(req->key_id(), "k"));
    const crypto::Digest digest = crypto::Eip712Digest(
        *DomainFromProto(req->domain()),
        crypto::PublicDecryptVerification(handles, AbiEncodePlaintexts({p}), extra));
    const crypto::SigningKey other = crypto::SigningKey::Generate();
    const crypto::Signature65 sig =
        (behavior_ == Behavior::kOtherSigner ? other : key_).SignDigest(digest);
    out->set_signature(std::string(sig.begin(), sig.end()));
    out->set_party_id(id_);
    out->set_signer_address(key_.verification_key().EthereumAddressChecksummed());
    return grpc::Status::OK;
  }

 private:
  const uint32_t id_, n_, t_;
  const Behavior behavior_;
  const crypto::SigningKey key_;
};

// n fake parties on loopback, party i behaving as behaviors[i].
class FakeCluster {
 public:
  explicit FakeCluster(const std::vector<Behavior>& behaviors) {
    const uint32_t n = static_cast<uint32_t>(behaviors.size());
    for (uint32_t i = 0; i < n; ++i) {
      parties_.push_back(std::make_unique<FakeParty>(i + 1, n, (n - 1) / 3, behaviors[i]));
      grpc::ServerBuilder builder;
      int port = 0;
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
      builder.RegisterService(parties_.back().get());
      servers_.push_back(builder.BuildAndStart());
      addresses_.push_back("127.0.0.1:" + std::to_string(port));
    }
  }
  ~FakeCluster() {
    for (auto& s : servers_) s->Shutdown();
  }
  std::unique_ptr<ClusterClient> Client() {
    auto c = ClusterClient::Create(addresses_);
    (*c)->set_progress_stream(nullptr);
    return *std::move(c);
  }
  // Every party's real operator address, as client.toml would pin it.
  std::vector<PinnedOperator> Pins() const {
    std::vector<PinnedOperator> pins;
    for (size_t i = 0; i < parties_.size(); ++i) {
      pins.push_back({static_cast<uint32_t>(i + 1), parties_[i]->address()});
    }
    return pins;
  }

 private:
  std::vector<std::unique_ptr<FakeParty>> parties_;
  std::vector<std::unique_ptr<grpc::Server>> servers_;
  std::vector<std::string> addresses_;
};

std::vector<v1::TypedCiphertext> OneCiphertext() {
  v1::TypedCiphertext ct;
  ct.set_ciphertext("opaque to the fake parties");
  ct.set_fhe_type("euint64");
  const crypto::Digest h = CiphertextHandle(AsBytes(ct.ciphertext()));
  ct.set_external_handle(std::string(h.begin(), h.end()));
  return {ct};
}

constexpr std::chrono::milliseconds kTimeout{10000};

TEST(ClusterClientPublicDecrypt, AllHonest) {
  FakeCluster cluster(std::vector<Behavior>(4, Behavior::kHonest));
  auto client = cluster.Client();
  absl::StatusOr<PublicDecryptionOutcome> out =
      client->PublicDecrypt(RandomRequestId(), OneCiphertext(), kTimeout);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->response.plaintexts(0).value(), "42");
  EXPECT_EQ(out->agreeing, 4u);
  EXPECT_EQ(out->required, 2u);
  EXPECT_EQ(out->agreeing_parties, (std::vector<uint32_t>{1, 2, 3, 4}));
  EXPECT_TRUE(out->problems.empty());
}

TEST(ClusterClientPublicDecrypt, OneLiarIsOutvotedAndNamed) {
  FakeCluster cluster(
      {Behavior::kHonest, Behavior::kWrongValue, Behavior::kHonest, Behavior::kHonest});
  auto client = cluster.Client();
  absl::StatusOr<PublicDecryptionOutcome> out =
      client->PublicDecrypt(RandomRequestId(), OneCiphertext(), kTimeout);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->response.plaintexts(0).value(), "42");
  EXPECT_EQ(out->agreeing, 3u);
  EXPECT_EQ(out->agreeing_parties, (std::vector<uint32_t>{1, 3, 4}));
  bool named = false;
  for (const std::string& p : out->problems) {
    named = named || p.find("party 2 (") == 0;
    EXPECT_EQ(p.find("666"), std::string::npos) << p;
  }
  EXPECT_TRUE(named);
}

TEST(ClusterClientPublicDecrypt, ForgedSignatureDoesNotCount) {
  FakeCluster cluster(
      {Behavior::kOtherSigner, Behavior::kHonest, Behavior::kError, Behavior::kHonest});
  auto client = cluster.Client();
  absl::StatusOr<PublicDecryptionOutcome> out =
      client->PublicDecrypt(RandomRequestId(), OneCiphertext(), kTimeout);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->agreeing, 2u);
  EXPECT_EQ(out->agreeing_parties, (std::vector<uint32_t>{2, 4}));
  ASSERT_EQ(out->problems.size(), 2u);
  EXPECT_NE(out->problems[0].find("signed by"), std::string::npos) << out->problems[0];
  EXPECT_NE(out->problems[1].find("robust open failed"), std::string::npos) << out->problems[1];
}

TEST(ClusterClientPublicDecrypt, TooFewValidAnswersFail) {
  FakeCluster cluster(
      {Behavior::kError, Behavior::kOtherSigner, Behavior::kError, Behavior::kHonest});
  auto client = cluster.Client();
  absl::StatusOr<PublicDecryptionOutcome> out =
      client->PublicDecrypt(RandomRequestId(), OneCiphertext(), kTimeout);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(out.status().message().find("1 of 4 parties gave a valid signed answer, 2 (t + 1)"),
            absl::string_view::npos)
      << out.status();
}

TEST(ClusterClientPublicDecrypt, TwoQualifiedResultsFailLoudly) {
  // More than t liars agreeing among themselves: no value is returned.
  FakeCluster cluster(
      {Behavior::kWrongValue, Behavior::kWrongValue, Behavior::kHonest, Behavior::kHonest});
  auto client = cluster.Client();
  absl::StatusOr<PublicDecryptionOutcome> out =
      client->PublicDecrypt(RandomRequestId(), OneCiphertext(), kTimeout);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kAborted);
  EXPECT_NE(out.status().message().find("more than t parties are misbehaving"),
            absl::string_view::npos);
}

TEST(ClusterClientFetchPublicKey, AcceptsTheKeyPinnedOperatorsSigned) {
  // Party 1 serves other bytes under the key id: the client moves on to a party whose bytes
  // match the digest that t + 1 pinned operators signed.
  FakeCluster cluster(
      {Behavior::kWrongKeyBytes, Behavior::kHonest, Behavior::kHonest, Behavior::kHonest});
  auto client = cluster.Client();
  client->set_threshold(1);
  ASSERT_TRUE(client->PinOperators(cluster.Pins()).ok());
  absl::StatusOr<AcceptedPublicKey> key = client->FetchPublicKey(KeyId());
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->key.public_key(), kKeyBytes);
  EXPECT_EQ(key->signers, (std::vector<uint32_t>{1, 2, 3, 4}));
  EXPECT_FALSE(key->trust_on_first_use);
  ASSERT_EQ(key->problems.size(), 1u);
  EXPECT_NE(key->problems[0].find("key bytes from party 1"), std::string::npos) << key->problems[0];
}

TEST(ClusterClientFetchPublicKey, RefusesWhenOnlyTPinnedOperatorsSigned) {
  FakeCluster cluster(
      {Behavior::kHonest, Behavior::kOtherSigner, Behavior::kOtherSigner, Behavior::kError});
  auto client = cluster.Client();
  client->set_threshold(1);
  ASSERT_TRUE(client->PinOperators(cluster.Pins()).ok());
  absl::StatusOr<AcceptedPublicKey> key = client->FetchPublicKey(KeyId());
  ASSERT_EQ(key.status().code(), absl::StatusCode::kFailedPrecondition) << key.status();
  EXPECT_NE(key.status().message().find("only 1 of the t + 1 = 2 required parties"),
            absl::string_view::npos)
      << key.status();
  EXPECT_NE(key.status().message().find("is not the pinned"), absl::string_view::npos);
}

TEST(ClusterClientFetchPublicKey, WithoutPinsRefusesUnlessTrustOnFirstUse) {
  FakeCluster cluster(std::vector<Behavior>(4, Behavior::kHonest));
  auto client = cluster.Client();
  absl::StatusOr<AcceptedPublicKey> refused = client->FetchPublicKey(KeyId());
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("no operator signing addresses are pinned"),
            absl::string_view::npos);
  EXPECT_NE(refused.status().message().find("--trust-on-first-use"), absl::string_view::npos);
  client->set_trust_on_first_use(true);
  absl::StatusOr<AcceptedPublicKey> tofu = client->FetchPublicKey(KeyId());
  ASSERT_TRUE(tofu.ok()) << tofu.status();
  EXPECT_TRUE(tofu->trust_on_first_use);
  EXPECT_EQ(tofu->signers.size(), 4u);
}

TEST(ClusterClientPublicDecrypt, AnswersAreCheckedAgainstThePins) {
  // Party 2 signs with its own key, which is not the one pinned for it: it does not count.
  FakeCluster cluster(std::vector<Behavior>(4, Behavior::kHonest));
  auto client = cluster.Client();
  auto pins = cluster.Pins();
  pins[1].signer = crypto::SigningKey::Generate().verification_key().EthereumAddress();
  ASSERT_TRUE(client->PinOperators(pins).ok());
  absl::StatusOr<PublicDecryptionOutcome> out =
      client->PublicDecrypt(RandomRequestId(), OneCiphertext(), kTimeout);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->agreeing, 3u);
  ASSERT_EQ(out->problems.size(), 1u);
  EXPECT_EQ(out->problems[0].rfind("party 2 (", 0), 0u) << out->problems[0];
  EXPECT_NE(out->problems[0].find(crypto::ChecksumAddress(pins[1].signer)), std::string::npos);
}

TEST(ClusterClient, PinOperatorsRefusesAMismatchedOrRepeatedList) {
  FakeCluster cluster(std::vector<Behavior>(4, Behavior::kHonest));
  auto client = cluster.Client();
  auto pins = cluster.Pins();
  pins.pop_back();
  EXPECT_EQ(client->PinOperators(pins).code(), absl::StatusCode::kInvalidArgument);
  pins.push_back(pins[0]);
  EXPECT_EQ(client->PinOperators(pins).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(client->pinned());
}

TEST(ClusterClient, ThresholdAndPartyNamesFromTheParties) {
  FakeCluster cluster(std::vector<Behavior>(7, Behavior::kHonest));
  auto client = cluster.Client();
  EXPECT_EQ(*client->Threshold(), 2u);
  client->OperatorKeys();
  EXPECT_EQ(client->PartyName(6).rfind("party 7 (127.0.0.1:", 0), 0u) << client->PartyName(6);
}

}  // namespace
}  // namespace kms::client
