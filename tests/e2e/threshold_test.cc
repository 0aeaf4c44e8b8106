// End to end: four kms-server processes in threshold mode (n = 4, t = 1, test parameters) on
// loopback with mutual-TLS peer networks, set up the way an operator does it: kms-gen-keys per
// party, then every configuration points at the others' certificates.
//
// In order: not ready and FAILED_PRECONDITION before any PRSS; NewMpcEpoch on all four; key
// generation with preprocessing + DKG, and the insecure dealer; public and user decryption of
// every type on every party; health, metrics and probes; a restart of one party (SIGTERM, start
// again) and decryption again; every party killed in the middle of a preprocessing, which then
// resumes; one party killed (SIGKILL) and decryption still working with
// 3 of 4 (HEALTHY); two down (UNHEALTHY). Latencies and memory are printed as "[ measure ]".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <thread>

#include "crypto/eip712.h"
#include "e2e/threshold_fixture.h"

namespace kms::e2e {
namespace {

using ::testing::HasSubstr;

struct TestParameters {
  static constexpr const char* kFheParameter = "test";
  // Small chunks: a preprocessing of the test set takes a couple of dozen, so a test can stop
  // every party in the middle of one.
  static constexpr const char* kExtraThreshold = "preprocessing_chunk = 500\n";
};
class ThresholdTest : public ThresholdClusterTest<TestParameters> {
 protected:
  // GetKeyGenPreprocResult on every party (index = party id).
  static std::vector<kms::v1::KeyGenPreprocResult> PreprocResultsOnAll(const std::string& pre_id) {
    std::vector<kms::v1::KeyGenPreprocResult> pre(kParties + 1);
    ExpectAllOk(OnAll(All(), [&](int p) {
      kms::v1::RequestId id;
      id.set_request_id(pre_id);
      auto ctx = Context();
      return Stub(Port(p))->GetKeyGenPreprocResult(ctx.get(), id, &pre[p]);
    }));
    return pre;
  }

  // KeyGen from `pre_id` on every party, then GetKeyGenResult (index = party id).
  static std::vector<kms::v1::KeyGenResult> KeyGenOnAll(const std::string& key_id,
                                                        const std::string& pre_id) {
    kms::v1::Empty empty;
    ExpectAllOk(OnAll(All(), [&](int p) {
      kms::v1::KeyGenRequest req;
      req.set_request_id(key_id);
      req.set_preprocessing_id(pre_id);
      auto ctx = Context();
      return Stub(Port(p))->KeyGen(ctx.get(), req, &empty);
    }));
    std::vector<kms::v1::KeyGenResult> keys(kParties + 1);
    ExpectAllOk(OnAll(All(), [&](int p) {
      kms::v1::RequestId id;
      id.set_request_id(key_id);
      auto ctx = Context();
      return Stub(Port(p))->GetKeyGenResult(ctx.get(), id, &keys[p]);
    }));
    return keys;
  }
};

TEST_F(ThresholdTest, NotReadyBeforeThePrssExists) {
  const HttpResult ready = HttpGet(ports_[0].metrics, "/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_THAT(ready.body,
              HasSubstr("no PRSS setup exists for epoch " + DefaultEpoch() + "; run kms-init"));
  EXPECT_EQ(GrpcHealthCheck(Port(1), ""), 1);  // reachable for kms-init
  EXPECT_EQ(GrpcHealthCheck(Port(1), "kms.v1.CoreService"), 2);
  EXPECT_EQ(HttpGet(ports_[0].metrics, "/live").status, 200);
  EXPECT_THAT(servers_[0]->Log(), HasSubstr("WARN  [server] not ready: no PRSS setup exists"));

  const auto before = SnapshotFiles(*dir_ / "keys");
  auto stub = Stub(Port(2));
  kms::v1::Empty empty;
  auto req = PublicDecryptionRequest(RandomId(), {});
  kms::v1::TypedCiphertext dummy;
  *req.add_ciphertexts() = Encrypt(
      [] {
        crypto::AesCtrRng rng;
        lwe::SecretKey sk = lwe::SecretKey::Generate(lwe::TestParameters(), rng);
        auto pk = lwe::GenerateCompactPublicKey(sk, 1, rng);
        auto b = lwe::SerializeCompactPublicKey(pk);
        return std::string(b->begin(), b->end());
      }(),
      {*lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint8, 7)})[0];
  auto ctx = Context();
  grpc::Status s = stub->PublicDecrypt(ctx.get(), req, &empty);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "no PRSS setup exists for epoch " + DefaultEpoch() + "; run kms-init");
  kms::v1::KeyGenPreprocRequest pre;
  pre.set_request_id(RandomId());
  auto ctx2 = Context();
  s = stub->KeyGenPreproc(ctx2.get(), pre, &empty);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("run kms-init"));
  kms::v1::DestroyMpcEpochRequest destroy;
  auto ctx3 = Context();
  s = stub->DestroyMpcEpoch(ctx3.get(), destroy, &empty);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  kms::v1::NewMpcEpochRequest forced;
  forced.set_force(true);
  auto ctx4 = Context();
  s = stub->NewMpcEpoch(ctx4.get(), forced, &empty);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id: required with force"));
  EXPECT_EQ(SnapshotFiles(*dir_ / "keys"), before);
}

TEST_F(ThresholdTest, NewMpcEpochOnAllParties) {
  const std::string run = RandomId();
  kms::v1::Empty empty;
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::NewMpcEpochRequest req;
    req.set_request_id(run);
    auto ctx = Context();
    return Stub(Port(p))->NewMpcEpoch(ctx.get(), req, &empty);
  }));
  std::vector<kms::v1::EpochResult> results(kParties + 1);
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::RequestId id;
    id.set_request_id(run);
    auto ctx = Context();
    return Stub(Port(p))->GetEpochResult(ctx.get(), id, &results[p]);
  }));
  for (int p : All()) {
    EXPECT_TRUE(results[p].created());
    EXPECT_EQ(results[p].epoch_id(), DefaultEpoch());
    EXPECT_EQ(results[p].num_parties(), 4u);
    EXPECT_EQ(results[p].threshold(), 1u);
    EXPECT_EQ(results[p].corrupt_parties_size(), 0);
    const std::string file = *dir_ / absl::StrCat("keys/PRIV-p", p, "/PrssSetup/", DefaultEpoch());
    struct stat st;
    ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  // Ready now (the health loop notices within half a second).
  for (int attempt = 0; attempt < 40 && (HttpGet(ports_[3].metrics, "/ready").status != 200 ||
                                         GrpcHealthCheck(Port(4), "kms.v1.CoreService") != 1);
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(HttpGet(ports_[3].metrics, "/ready").status, 200);
  EXPECT_EQ(GrpcHealthCheck(Port(4), "kms.v1.CoreService"), 1);
  // Again without force: nothing changes.
  const auto before = SnapshotFiles(*dir_ / "keys");
  const std::string again = RandomId();
  kms::v1::NewMpcEpochRequest req;
  req.set_request_id(again);
  auto ctx = Context();
  ASSERT_TRUE(Stub(Port(1))->NewMpcEpoch(ctx.get(), req, &empty).ok());
  kms::v1::RequestId id;
  id.set_request_id(again);
  kms::v1::EpochResult result;
  auto ctx2 = Context();
  ASSERT_TRUE(Stub(Port(1))->GetEpochResult(ctx2.get(), id, &result).ok());
  EXPECT_FALSE(result.created());
  EXPECT_EQ(SnapshotFiles(*dir_ / "keys"), before);
}

TEST_F(ThresholdTest, DistributedKeyGeneration) {
  const std::string pre_id = RandomId();
  kms::v1::Empty empty;
  const auto start = Clock::now();
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::KeyGenPreprocRequest req;
    req.set_request_id(pre_id);
    auto ctx = Context();
    return Stub(Port(p))->KeyGenPreproc(ctx.get(), req, &empty);
  }));
  const std::vector<kms::v1::KeyGenPreprocResult> pre = PreprocResultsOnAll(pre_id);
  const auto preprocessed = Clock::now();
  const std::string key_id = RandomId();
  const std::vector<kms::v1::KeyGenResult> keys = KeyGenOnAll(key_id, pre_id);
  std::printf("[ measure ] test parameters: preprocessing %.0f ms (%llu bits), DKG %.0f ms\n",
              Millis(preprocessed - start), static_cast<unsigned long long>(pre[1].bits()),
              Millis(Clock::now() - preprocessed));
  const auto signers = Signers();
  for (int p : All()) {
    EXPECT_GT(pre[p].bits(), 0u);
    EXPECT_EQ(keys[p].public_key(), keys[1].public_key()) << "party " << p;
    EXPECT_EQ(keys[p].public_key_digest(), keys[1].public_key_digest());
    // Made by the DKG, but with the test parameters: insecure all the same.
    EXPECT_TRUE(keys[p].insecure());
    const crypto::Digest digest = crypto::Eip712Digest(
        crypto::Eip712Domain{"KMS", "1", {}, {}, {}},
        crypto::KeygenVerification(IdBytes(key_id), IdBytes(key_id),
                                   IdBytes(ToHex(AsBytes(keys[p].public_key_digest()))),
                                   keys[p].fhe_parameter(), keys[p].insecure()));
    crypto::Signature65 sig{};
    ASSERT_EQ(keys[p].signature().size(), 65u);
    std::copy(keys[p].signature().begin(), keys[p].signature().end(), sig.begin());
    auto who = crypto::VerificationKey::RecoverFromSignature(digest, sig);
    ASSERT_TRUE(who.ok());
    EXPECT_EQ(who->EthereumAddress(), signers.at(static_cast<uint32_t>(p)));
    EXPECT_TRUE(
        std::filesystem::exists(*dir_ / absl::StrCat("keys/PRIV-p", p, "/FheKeyInfo/", key_id)));
    EXPECT_EQ(ReadFile(*dir_ / absl::StrCat("keys/PUB-p", p, "/PublicKey/", key_id)),
              keys[p].public_key());
  }
  key_id_ = key_id;
  public_key_ = keys[1].public_key();
  // AbortKeyGen drops finished preprocessing that no KeyGen used; consumed material is gone.
  auto abort = [&](const std::string& id) {
    kms::v1::RequestId rid;
    rid.set_request_id(id);
    auto ctx = Context();
    return Stub(Port(1))->AbortKeyGen(ctx.get(), rid, &empty);
  };
  EXPECT_EQ(abort(pre_id).error_code(), grpc::StatusCode::NOT_FOUND);
  const std::string unused = RandomId();
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::KeyGenPreprocRequest req;
    req.set_request_id(unused);
    auto ctx = Context();
    grpc::Status s = Stub(Port(p))->KeyGenPreproc(ctx.get(), req, &empty);
    if (!s.ok()) return s;
    kms::v1::RequestId id;
    id.set_request_id(unused);
    kms::v1::KeyGenPreprocResult r;
    auto ctx2 = Context();
    return Stub(Port(p))->GetKeyGenPreprocResult(ctx2.get(), id, &r);
  }));
  EXPECT_TRUE(abort(unused).ok());
  {
    kms::v1::KeyGenRequest req;
    req.set_request_id(RandomId());
    req.set_preprocessing_id(unused);
    auto ctx = Context();
    EXPECT_EQ(Stub(Port(1))->KeyGen(ctx.get(), req, &empty).error_code(),
              grpc::StatusCode::NOT_FOUND);
    req.set_request_id(unused);
    auto ctx2 = Context();
    EXPECT_EQ(Stub(Port(2))->KeyGen(ctx2.get(), req, &empty).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  // The preprocessed material was consumed: a second KeyGen with it is refused.
  kms::v1::KeyGenRequest again;
  again.set_request_id(RandomId());
  again.set_preprocessing_id(pre_id);
  auto ctx = Context();
  grpc::Status s = Stub(Port(1))->KeyGen(ctx.get(), again, &empty);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
}

TEST_F(ThresholdTest, InsecureDealerKeyGeneration) {
  const std::string key_id = RandomId();
  kms::v1::Empty empty;
  std::vector<kms::v1::KeyGenResult> keys(kParties + 1);
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::KeyGenRequest req;
    req.set_request_id(key_id);
    auto ctx = Context();
    grpc::Status s = Stub(Port(p))->InsecureKeyGen(ctx.get(), req, &empty);
    if (!s.ok()) return s;
    kms::v1::RequestId id;
    id.set_request_id(key_id);
    auto ctx2 = Context();
    return Stub(Port(p))->GetKeyGenResult(ctx2.get(), id, &keys[p]);
  }));
  for (int p : All()) {
    EXPECT_TRUE(keys[p].insecure());
    EXPECT_EQ(keys[p].public_key(), keys[1].public_key());
  }
  EXPECT_THAT(servers_[0]->Log(), HasSubstr("WARN  [keygen] insecure dealer key generation"));
  insecure_key_id_ = key_id;
  const auto values = ValuesOfEveryType();
  PublicDecryptOn(All(), key_id, Encrypt(keys[1].public_key(), {values[3], values[8]}),
                  {values[3], values[8]});
}

TEST_F(ThresholdTest, PublicAndUserDecryptionOfEveryType) {
  ASSERT_FALSE(key_id_.empty());
  const auto values = ValuesOfEveryType();
  const auto cts = Encrypt(public_key_, values);
  PublicDecryptOn(All(), key_id_, cts, values);
  UserDecryptOn(All(), key_id_, cts, values);

  // Latency of one euint64, end to end (all four parties asked at once), median of 9.
  std::vector<double> pub, user;
  const auto one = Encrypt(public_key_, {values[5]});
  for (int i = 0; i < 9; ++i)
    pub.push_back(Millis(PublicDecryptOn(All(), key_id_, one, {values[5]})));
  for (int i = 0; i < 9; ++i) {
    Clock::duration took{};
    UserDecryptOn(All(), key_id_, one, {values[5]}, &took);
    user.push_back(Millis(took));
  }
  std::printf(
      "[ measure ] test parameters, 4 parties: public decryption euint64 median %.1f ms, "
      "user decryption euint64 (incl. client reconstruction) median %.1f ms\n",
      Median(pub), Median(user));
  for (int p : All()) {
    std::printf("[ measure ] party %d RSS at rest: %ld kB\n", p, RssKb(servers_[p - 1]->pid()));
  }
}

// The user's reconstruction survives a missing party and a party whose share was tampered with
// in transit (its signature no longer verifies, so it counts as missing).
TEST_F(ThresholdTest, UserDecryptionToleratesOneMissingOrTamperedParty) {
  ASSERT_FALSE(key_id_.empty());
  const auto values = ValuesOfEveryType();
  const auto cts = Encrypt(public_key_, {values[4], values[7]});
  TestUser user;
  const auto req = user.Request(key_id_, cts);
  std::vector<kms::v1::UserDecryptionResponse> by_party(kParties + 1);
  ExpectAllOk(OnAll(All(), [&](int p) {
    auto ctx = Context();
    return Stub(Port(p))->UserDecryptSync(ctx.get(), req, &by_party[p]);
  }));
  const auto signers = Signers();
  std::vector<client::RejectedResponse> rejected;
  {  // party 2 missing
    std::vector<kms::v1::UserDecryptionResponse> r = {by_party[1], by_party[3], by_party[4]};
    auto pts = client::ReconstructUserDecryption(r, user.keys.private_key, signers, user.Info(req),
                                                 &rejected);
    ASSERT_TRUE(pts.ok()) << pts.status();
    EXPECT_EQ(*pts, (std::vector<lwe::TypedPlaintext>{values[4], values[7]}));
  }
  {  // party 3 tampered
    std::vector<kms::v1::UserDecryptionResponse> r = {by_party[1], by_party[2], by_party[3],
                                                      by_party[4]};
    std::string* share = r[2].mutable_shares(0)->mutable_signcrypted_share();
    (*share)[share->size() / 2] ^= 1;
    auto pts = client::ReconstructUserDecryption(r, user.keys.private_key, signers, user.Info(req),
                                                 &rejected);
    ASSERT_TRUE(pts.ok()) << pts.status();
    EXPECT_EQ(*pts, (std::vector<lwe::TypedPlaintext>{values[4], values[7]}));
    ASSERT_EQ(rejected.size(), 1u);
    EXPECT_EQ(rejected[0].party_id, 3u);
  }
  {  // two missing: more than t, refused
    std::vector<kms::v1::UserDecryptionResponse> r = {by_party[1], by_party[4]};
    auto pts = client::ReconstructUserDecryption(r, user.keys.private_key, signers, user.Info(req),
                                                 &rejected);
    EXPECT_EQ(pts.status().code(), absl::StatusCode::kFailedPrecondition);
  }
}

TEST_F(ThresholdTest, HealthAndMetricsWithAllPartiesUp) {
  auto stub = Stub(Port(2));
  kms::v1::HealthStatusResponse hs;
  auto ctx = Context();
  ASSERT_TRUE(stub->GetHealthStatus(ctx.get(), {}, &hs).ok());
  EXPECT_EQ(hs.node_type(), kms::v1::NODE_TYPE_THRESHOLD);
  EXPECT_EQ(hs.status(), kms::v1::HEALTH_STATUS_OPTIMAL);
  ASSERT_EQ(hs.peers_from_all_contexts_size(), 1);
  const auto& c = hs.peers_from_all_contexts(0);
  EXPECT_EQ(c.my_party_id(), 2u);
  EXPECT_EQ(c.nodes_reachable(), 4u);
  EXPECT_EQ(c.threshold_required(), 2u);
  EXPECT_EQ(c.num_parties(), 4u);
  ASSERT_EQ(c.peers_size(), 3);
  for (const auto& peer : c.peers()) {
    EXPECT_TRUE(peer.reachable()) << peer.peer_id() << ": " << peer.error();
    EXPECT_NE(peer.peer_id(), 2u);
  }
  EXPECT_THAT(std::vector<std::string>(hs.my_fhe_key_ids().begin(), hs.my_fhe_key_ids().end()),
              ::testing::Contains(key_id_));
  EXPECT_THAT(std::vector<std::string>(hs.my_epoch_ids().begin(), hs.my_epoch_ids().end()),
              ::testing::Contains(DefaultEpoch()));
  const HttpResult health = HttpGet(ports_[1].metrics, "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_THAT(health.body, HasSubstr("HEALTH_STATUS_OPTIMAL"));
  const HttpResult metrics = HttpGet(ports_[1].metrics, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("kms_peer_reachable{peer=\"1\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("kms_key_material{type=\"prss_setup\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("kms_operations_total{operation=\"public_decrypt\"}"));
  EXPECT_THAT(metrics.body, ::testing::Not(HasSubstr("kms_network_rx_bytes_total 0\n")));
  EXPECT_THAT(metrics.body, ::testing::Not(HasSubstr("kms_network_tx_bytes_total 0\n")));
}

TEST_F(ThresholdTest, RestartedPartyDecryptsAgain) {
  ASSERT_FALSE(key_id_.empty());
  ServerProcess& p3 = *servers_[2];
  p3.Signal(SIGTERM);
  auto status = p3.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
  ASSERT_TRUE(p3.Start());
  auto up = WaitServing(Port(3), &p3, std::chrono::seconds(60));
  ASSERT_TRUE(up.has_value()) << p3.Log();
  std::printf("[ measure ] threshold party restart to SERVING (2 keys, 1 PRSS loaded): %.0f ms\n",
              Millis(*up));
  EXPECT_EQ(HttpGet(ports_[2].metrics, "/ready").status, 200);
  const auto values = ValuesOfEveryType();
  const auto cts = Encrypt(public_key_, values);
  PublicDecryptOn(All(), key_id_, cts, values);
  UserDecryptOn(All(), key_id_, cts, values);
}

// Every party is killed (SIGKILL) in the middle of a preprocessing and started again: the chunks
// on disk survive, the same KeyGenPreproc sent again resumes the run from them, and the key made
// from the resumed material decrypts.
TEST_F(ThresholdTest, PreprocessingResumesAfterEveryPartyIsKilled) {
  ASSERT_FALSE(key_id_.empty());
  const std::string pre_id = RandomId();
  kms::v1::Empty empty;
  auto send_preproc = [&] {
    return OnAll(All(), [&](int p) {
      kms::v1::KeyGenPreprocRequest req;
      req.set_request_id(pre_id);
      auto ctx = Context();
      return Stub(Port(p))->KeyGenPreproc(ctx.get(), req, &empty);
    });
  };
  ExpectAllOk(send_preproc());
  KillEveryPartyDuringPreprocessing(pre_id);
  ASSERT_FALSE(HasFailure());
  RestartEveryParty();
  const auto resumed_at = Clock::now();
  ExpectAllOk(send_preproc());
  const std::vector<kms::v1::KeyGenPreprocResult> pre = PreprocResultsOnAll(pre_id);
  std::printf("[ measure ] resumed preprocessing finished in %.0f ms\n",
              Millis(Clock::now() - resumed_at));
  for (int p : All()) {
    EXPECT_GT(pre[p].bits(), 0u);
    EXPECT_THAT(servers_[p - 1]->Log(), HasSubstr("resuming preprocessing: "));
  }
  const std::string key_id = RandomId();
  const std::vector<kms::v1::KeyGenResult> keys = KeyGenOnAll(key_id, pre_id);
  for (int p : All()) EXPECT_EQ(keys[p].public_key(), keys[1].public_key()) << "party " << p;
  const auto values = ValuesOfEveryType();
  const auto cts = Encrypt(keys[1].public_key(), {values[0], values[5]});
  PublicDecryptOn(All(), key_id, cts, {values[0], values[5]});
  for (int p : All())
    EXPECT_EQ(PreprocChunksOnDisk(p, pre_id), 0u) << "the KeyGen consumed the material";
}

TEST_F(ThresholdTest, DecryptionWorksWithOnePartyKilled) {
  ASSERT_FALSE(key_id_.empty());
  servers_[3]->Signal(SIGKILL);
  ASSERT_TRUE(servers_[3]->Wait(std::chrono::seconds(10)).has_value());
  const auto values = ValuesOfEveryType();
  const auto cts = Encrypt(public_key_, {values[0], values[5], values[8]});
  const std::vector<int> alive = {1, 2, 3};
  PublicDecryptOn(alive, key_id_, cts, {values[0], values[5], values[8]});
  UserDecryptOn(alive, key_id_, cts, {values[0], values[5], values[8]});
  // n = 4, t = 1: 3 reachable is the decryption quorum: DEGRADED, /health 429.
  kms::v1::HealthStatusResponse hs;
  auto ctx = Context();
  ASSERT_TRUE(Stub(Port(1))->GetHealthStatus(ctx.get(), {}, &hs).ok());
  EXPECT_EQ(hs.status(), kms::v1::HEALTH_STATUS_DEGRADED);
  EXPECT_EQ(hs.peers_from_all_contexts(0).nodes_reachable(), 3u);
  for (const auto& peer : hs.peers_from_all_contexts(0).peers()) {
    EXPECT_EQ(peer.reachable(), peer.peer_id() != 4u) << peer.peer_id();
    if (peer.peer_id() == 4u) {
      EXPECT_FALSE(peer.error().empty());
    }
  }
  EXPECT_EQ(HttpGet(ports_[0].metrics, "/health").status, 429);
  EXPECT_THAT(HttpGet(ports_[0].metrics, "/metrics").body,
              HasSubstr("kms_peer_reachable{peer=\"4\"} 0"));
  // A second party down: 2 reachable, below the quorum: UNHEALTHY, /health 503.
  servers_[2]->Signal(SIGKILL);
  ASSERT_TRUE(servers_[2]->Wait(std::chrono::seconds(10)).has_value());
  kms::v1::HealthStatusResponse hs2;
  auto ctx2 = Context();
  ASSERT_TRUE(Stub(Port(1))->GetHealthStatus(ctx2.get(), {}, &hs2).ok());
  EXPECT_EQ(hs2.status(), kms::v1::HEALTH_STATUS_UNHEALTHY);
  EXPECT_EQ(HttpGet(ports_[0].metrics, "/health").status, 503);
  // With two of four parties down a public decryption cannot complete: after
  // decryption_timeout_secs it fails with ABORTED (never a wrong value, never "still running").
  const auto req = PublicDecryptionRequest(key_id_, Encrypt(public_key_, {values[2]}));
  std::vector<kms::v1::PublicDecryptionResponse> r(3);
  const auto start = Clock::now();
  auto statuses = OnAll({1, 2}, [&](int p) {
    auto ctx = Context(std::chrono::seconds(60));
    return Stub(Port(p))->PublicDecryptSync(ctx.get(), req, &r[p]);
  });
  for (const auto& s : statuses) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("robust open"));
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(30));
  kms::v1::RequestId rid;
  rid.set_request_id(req.request_id());
  auto ctx3 = Context();
  EXPECT_EQ(Stub(Port(1))->GetPublicDecryptionResult(ctx3.get(), rid, &r[1]).error_code(),
            grpc::StatusCode::ABORTED);
}

}  // namespace
}  // namespace kms::e2e
