// End to end: one centralized kms-server process on loopback (test parameters, file storage).
// kms-gen-keys, start, key generation, encryption with the downloaded public key, public and user
// decryption of every type with signature checks, health / metrics / probes, every bad input of
// the service contract (with a storage snapshot proving nothing changed), the rate limiter, an
// oversized message, SIGTERM and a restart that reloads the key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/eip712.h"
#include "e2e/kms_test_client.h"
#include "e2e/server_harness.h"

namespace kms::e2e {
namespace {

using ::testing::HasSubstr;

class CentralizedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ports_.client = FreePort();
    ports_.metrics = FreePort();
    config_ = *dir_ / "config.toml";
    WriteFile(config_, CentralizedConfig(dir_->path(), ports_));
    std::string out;
    ASSERT_EQ(RunProgram({GenKeysBinary(), "--config-file", config_}, &out), 0) << out;
    server_ = new ServerProcess(config_, *dir_ / "server.log");
    ASSERT_TRUE(server_->Start());
    auto up = WaitServing(ports_.client, server_, std::chrono::seconds(30));
    ASSERT_TRUE(up.has_value()) << server_->Log();
    startup_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(*up).count();
    RecordProperty("startup_ms", std::to_string(startup_ms_));
    std::printf("[ measure ] centralized start-up to SERVING: %lld ms\n",
                static_cast<long long>(startup_ms_));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  // A key made once for the tests that need one.
  static const kms::v1::KeyGenResult& Key() {
    static kms::v1::KeyGenResult* key = [] {
      auto* r = new kms::v1::KeyGenResult;
      auto stub = Stub(ports_.client);
      kms::v1::KeyGenRequest req;
      req.set_request_id(RandomId());
      auto ctx = Context();
      kms::v1::Empty empty;
      grpc::Status s = stub->KeyGen(ctx.get(), req, &empty);
      EXPECT_TRUE(s.ok()) << s.error_message();
      kms::v1::RequestId id;
      id.set_request_id(req.request_id());
      auto ctx2 = Context();
      s = stub->GetKeyGenResult(ctx2.get(), id, r);
      EXPECT_TRUE(s.ok()) << s.error_message();
      return r;
    }();
    return *key;
  }

  static TempDir* dir_;
  static ServerPorts ports_;
  static std::string config_;
  static ServerProcess* server_;
  static int64_t startup_ms_;
};

TempDir* CentralizedTest::dir_ = nullptr;
ServerPorts CentralizedTest::ports_;
std::string CentralizedTest::config_;
ServerProcess* CentralizedTest::server_ = nullptr;
int64_t CentralizedTest::startup_ms_ = 0;

crypto::EthAddress AddressOf(const std::string& text) {
  auto a = crypto::ParseEthAddress(text);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *a : crypto::EthAddress{};
}

crypto::Signature65 Sig(const std::string& s) {
  crypto::Signature65 sig{};
  EXPECT_EQ(s.size(), 65u);
  std::copy(s.begin(), s.begin() + std::min<size_t>(65, s.size()), sig.begin());
  return sig;
}

TEST_F(CentralizedTest, ProbesHealthAndOperatorKey) {
  EXPECT_EQ(HttpGet(ports_.metrics, "/live").status, 200);
  HttpResult ready = HttpGet(ports_.metrics, "/ready");
  EXPECT_EQ(ready.status, 200) << ready.body;
  HttpResult health = HttpGet(ports_.metrics, "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_THAT(health.body, HasSubstr("NODE_TYPE_CENTRALIZED"));
  EXPECT_THAT(health.body, HasSubstr("HEALTH_STATUS_OPTIMAL"));
  HttpResult version = HttpGet(ports_.metrics, "/version");
  EXPECT_EQ(version.status, 200);
  EXPECT_THAT(version.body, HasSubstr("\"mode\":\"centralized\""));
  EXPECT_EQ(HttpGet(ports_.metrics, "/nope").status, 404);
  EXPECT_EQ(GrpcHealthCheck(ports_.client, ""), 1);
  EXPECT_EQ(GrpcHealthCheck(ports_.client, "kms.v1.CoreService"), 1);
  // Server reflection lists the services (grpcurl works without proto files).
  const std::string services = ReflectionListServices(ports_.client);
  EXPECT_THAT(services, HasSubstr("kms.v1.CoreService"));
  EXPECT_THAT(services, HasSubstr("grpc.health.v1.Health"));

  auto stub = Stub(ports_.client);
  kms::v1::HealthStatusResponse hs;
  auto ctx = Context();
  ASSERT_TRUE(stub->GetHealthStatus(ctx.get(), {}, &hs).ok());
  EXPECT_EQ(hs.node_type(), kms::v1::NODE_TYPE_CENTRALIZED);
  EXPECT_EQ(hs.status(), kms::v1::HEALTH_STATUS_OPTIMAL);
  EXPECT_EQ(hs.peers_from_all_contexts_size(), 0);
  EXPECT_THAT(hs.my_storage_info(), HasSubstr("file:"));

  kms::v1::OperatorPublicKeyResponse op;
  auto ctx2 = Context();
  ASSERT_TRUE(stub->GetOperatorPublicKey(ctx2.get(), {}, &op).ok());
  EXPECT_EQ(op.public_key().size(), 33u);
  EXPECT_EQ(op.party_id(), 0u);
  // The address is the one kms-gen-keys published.
  const std::string signer = ToHex(AddressOf(op.address()));
  EXPECT_EQ(ReadFile(*dir_ / ("keys/PUB/VerfAddress/" + signer)), op.address());
}

TEST_F(CentralizedTest, KeyGenAndDecryptionOfEveryType) {
  const kms::v1::KeyGenResult& key = Key();
  ASSERT_FALSE(key.public_key().empty());
  EXPECT_EQ(key.fhe_parameter(), "test");
  EXPECT_EQ(key.key_id(), key.request_id());
  // The key is in storage where service-spec §5 says.
  EXPECT_EQ(ReadFile(*dir_ / ("keys/PUB/PublicKey/" + key.key_id())), key.public_key());
  EXPECT_TRUE(std::filesystem::exists(*dir_ / ("keys/PRIV/FhePrivateKey/" + key.key_id())));
  struct stat st;
  ASSERT_EQ(::stat((*dir_ / ("keys/PRIV/FhePrivateKey/" + key.key_id())).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // KeygenVerification signature by the operator key.
  const crypto::Digest digest = crypto::Eip712Digest(
      crypto::Eip712Domain{"KMS", "1", {}, {}, {}},
      crypto::KeygenVerification(IdBytes(key.request_id()), IdBytes(key.key_id()),
                                 IdBytes(ToHex(AsBytes(key.public_key_digest()))),
                                 key.fhe_parameter(), key.insecure()));
  EXPECT_TRUE(key.insecure()) << "test-parameter keys are marked insecure";
  auto who = crypto::VerificationKey::RecoverFromSignature(digest, Sig(key.signature()));
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->EthereumAddressChecksummed(), key.signer_address());

  const auto values = ValuesOfEveryType();
  const auto cts = Encrypt(key.public_key(), values);
  auto stub = Stub(ports_.client);

  // Public decryption, synchronous, whole batch.
  auto req = PublicDecryptionRequest(key.key_id(), cts);
  kms::v1::PublicDecryptionResponse resp;
  auto ctx = Context();
  grpc::Status s = stub->PublicDecryptSync(ctx.get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Plaintexts(resp), values);
  // The signature covers handles, the ABI-encoded result and request_id || key_id || extra_data.
  std::vector<crypto::Digest> handles;
  Bytes abi;
  for (int i = 0; i < resp.ct_handles_size(); ++i) {
    handles.push_back(IdBytes(ToHex(AsBytes(resp.ct_handles(i)))));
    const auto word = values[static_cast<size_t>(i)].AbiEncodeUint256();
    abi.insert(abi.end(), word.begin(), word.end());
  }
  Bytes extra;
  Append(extra, IdBytes(req.request_id()));
  Append(extra, IdBytes(req.key_id()));
  Append(extra, AsBytes(req.extra_data()));
  const crypto::Digest pd =
      crypto::Eip712Digest(crypto::Eip712Domain{"KMS", "1", {}, {}, {}},
                           crypto::PublicDecryptVerification(handles, abi, extra));
  auto signer = crypto::VerificationKey::RecoverFromSignature(pd, Sig(resp.signature()));
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(signer->EthereumAddressChecksummed(), resp.signer_address());

  // Asynchronous: start, then poll; a duplicate id is refused.
  auto req2 = PublicDecryptionRequest(key.key_id(), {cts[5]});
  kms::v1::Empty empty;
  auto c1 = Context();
  ASSERT_TRUE(stub->PublicDecrypt(c1.get(), req2, &empty).ok());
  auto c2 = Context();
  grpc::Status dup = stub->PublicDecrypt(c2.get(), req2, &empty);
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS) << dup.error_message();
  kms::v1::RequestId rid;
  rid.set_request_id(req2.request_id());
  kms::v1::PublicDecryptionResponse resp2;
  auto c3 = Context();
  ASSERT_TRUE(stub->GetPublicDecryptionResult(c3.get(), rid, &resp2).ok());
  ASSERT_EQ(resp2.plaintexts_size(), 1);
  EXPECT_EQ(resp2.plaintexts(0).value(), values[5].ToString());

  // User decryption of every type through the one client path (degree 0, one party).
  TestUser user;
  auto ureq = user.Request(key.key_id(), cts);
  kms::v1::UserDecryptionResponse uresp;
  auto c4 = Context();
  s = stub->UserDecryptSync(c4.get(), ureq, &uresp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(uresp.degree(), 0u);
  EXPECT_EQ(uresp.num_parties(), 1u);
  const std::map<uint32_t, crypto::EthAddress> signers = {{0, AddressOf(uresp.signer_address())}};

  std::vector<client::RejectedResponse> rejected;
  auto pts = client::ReconstructUserDecryption(std::span(&uresp, 1), user.keys.private_key, signers,
                                               user.Info(ureq), &rejected);
  ASSERT_TRUE(pts.ok()) << pts.status() << (rejected.empty() ? "" : rejected[0].reason);
  EXPECT_EQ(*pts, values);
  // Another user cannot open it.
  TestUser other;
  auto stolen = client::ReconstructUserDecryption(std::span(&uresp, 1), other.keys.private_key,
                                                  signers, user.Info(ureq), &rejected);
  EXPECT_FALSE(stolen.ok());
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_THAT(rejected[0].reason, HasSubstr("cannot decrypt"));

  // The listings know the key.
  kms::v1::KeyMaterialAvailabilityResponse km;
  auto c5 = Context();
  ASSERT_TRUE(stub->GetKeyMaterialAvailability(c5.get(), {}, &km).ok());
  EXPECT_THAT(std::vector<std::string>(km.fhe_key_ids().begin(), km.fhe_key_ids().end()),
              ::testing::Contains(key.key_id()));
  kms::v1::PublicKeyRequest pkr;
  pkr.set_key_id("0x" + key.key_id());
  kms::v1::PublicKeyResponse pk;
  auto c6 = Context();
  ASSERT_TRUE(stub->GetPublicKey(c6.get(), pkr, &pk).ok());
  EXPECT_EQ(pk.public_key(), key.public_key());

  // Metrics saw all of it.
  HttpResult metrics = HttpGet(ports_.metrics, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  for (const char* name :
       {"kms_operations_total{operation=\"PublicDecryptSync\"}", "kms_operation_duration_ms_bucket",
        "kms_operation_errors_total{error=\"already_exists\",operation=\"PublicDecrypt\"}",
        "kms_rate_limiter_usage", "kms_key_material{type=\"fhe_key\"}",
        "kms_build_info{version=", "kms_network_rx_bytes_total", "kms_active_sessions"}) {
    EXPECT_THAT(metrics.body, HasSubstr(name));
  }
}

// Every malformed request of the contract gets its code and a message naming the problem, and
// nothing in storage changes.
TEST_F(CentralizedTest, BadInputsAreRefusedAndChangeNothing) {
  const kms::v1::KeyGenResult& key = Key();
  const auto values = ValuesOfEveryType();
  const auto cts = Encrypt(key.public_key(), {values[2], values[5]});
  const auto before = SnapshotFiles(*dir_ / "keys");
  auto stub = Stub(ports_.client);
  kms::v1::Empty empty;

  auto pub = [&](kms::v1::PublicDecryptionRequest req) {
    auto ctx = Context();
    return stub->PublicDecrypt(ctx.get(), req, &empty);
  };
  auto expect = [](const grpc::Status& s, grpc::StatusCode code, const std::string& text) {
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(text));
  };

  {  // malformed ids
    auto req = PublicDecryptionRequest(key.key_id(), cts);
    req.set_request_id("0123456789ab");
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT,
           "request_id: expected 64 hex characters, got 12");
    req.set_request_id(std::string(63, 'a') + "z");
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT, "request_id: not hexadecimal");
    req.set_request_id(RandomId());
    req.set_key_id("xyz");
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT, "key_id: expected 64 hex characters");
    req.set_key_id(key.key_id());
    req.set_epoch_id("12");
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT, "epoch_id: expected 64 hex characters");
  }
  {  // unknown key
    auto req = PublicDecryptionRequest(RandomId(), cts);
    expect(pub(req), grpc::StatusCode::NOT_FOUND, "not found");
  }
  {  // ciphertext of the wrong size
    auto req = PublicDecryptionRequest(key.key_id(), cts);
    std::string* bytes = req.mutable_ciphertexts(1)->mutable_ciphertext();
    bytes->resize(bytes->size() - 100);
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT, "ciphertexts[1].ciphertext");
  }
  {  // garbage format
    auto req = PublicDecryptionRequest(key.key_id(), cts);
    req.mutable_ciphertexts(0)->set_ciphertext("not a ciphertext at all");
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT, "ciphertexts[0].ciphertext");
    req = PublicDecryptionRequest(key.key_id(), cts);
    req.mutable_ciphertexts(0)->set_ciphertext_format(3);
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT,
           "ciphertexts[0].ciphertext_format: 3 is not supported");
  }
  {  // wrong type
    auto req = PublicDecryptionRequest(key.key_id(), cts);
    req.mutable_ciphertexts(1)->set_fhe_type("euint8");
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT,
           "ciphertexts[1].fhe_type: \"euint8\" does not match the encoded type euint64");
    req.mutable_ciphertexts(1)->set_fhe_type("euint7");
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT, "ciphertexts[1].fhe_type: unknown type");
  }
  {  // a ciphertext under the other parameter set
    auto req = PublicDecryptionRequest(key.key_id(), cts);
    crypto::AesCtrRng rng;
    lwe::SecretKey sk = lwe::SecretKey::Generate(lwe::DefaultParameters(), rng);
    auto other_pk = lwe::GenerateCompactPublicKey(sk, 7, rng);
    auto other_ct = lwe::EncryptTyped(other_pk, values[2], rng);
    auto bytes = lwe::SerializeTypedCiphertext(*other_ct);
    req.mutable_ciphertexts(0)->set_ciphertext(std::string(bytes->begin(), bytes->end()));
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT,
           "ciphertexts[0].ciphertext: parameter set default differs from the key's (test)");
  }
  {  // bad handle, empty batch, bad domain
    auto req = PublicDecryptionRequest(key.key_id(), cts);
    req.mutable_ciphertexts(0)->set_external_handle("short");
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT,
           "ciphertexts[0].external_handle: expected 32 bytes");
    req = PublicDecryptionRequest(key.key_id(), {});
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT, "ciphertexts: empty");
    req = PublicDecryptionRequest(key.key_id(), cts);
    req.mutable_domain()->set_name("KMS");
    req.mutable_domain()->set_chain_id("abc");
    expect(pub(req), grpc::StatusCode::INVALID_ARGUMENT, "domain.chain_id: expected 32 bytes");
  }
  {  // user decryption: enc key and address
    TestUser user;
    auto req = user.Request(key.key_id(), cts);
    req.set_enc_key("0123456789");
    auto ctx = Context();
    expect(stub->UserDecrypt(ctx.get(), req, &empty), grpc::StatusCode::INVALID_ARGUMENT,
           "enc_key: expected a 32-byte X25519 public key, got 10 bytes");
    req = user.Request(key.key_id(), cts);
    req.set_client_address("0x1234");
    auto ctx2 = Context();
    expect(stub->UserDecrypt(ctx2.get(), req, &empty), grpc::StatusCode::INVALID_ARGUMENT,
           "client_address");
  }
  {  // duplicate request id (across public and user decryption)
    auto req = PublicDecryptionRequest(key.key_id(), cts);
    kms::v1::PublicDecryptionResponse r;
    auto ctx = Context();
    ASSERT_TRUE(stub->PublicDecryptSync(ctx.get(), req, &r).ok());
    expect(pub(req), grpc::StatusCode::ALREADY_EXISTS, "already exists");
    TestUser user;
    auto ureq = user.Request(key.key_id(), cts);
    ureq.set_request_id(req.request_id());
    auto ctx2 = Context();
    expect(stub->UserDecrypt(ctx2.get(), ureq, &empty), grpc::StatusCode::ALREADY_EXISTS,
           "already exists");
  }
  {  // key generation: duplicate key id, bad parameter set; epochs do not exist here
    kms::v1::KeyGenRequest kg;
    kg.set_request_id(key.key_id());
    auto ctx = Context();
    expect(stub->KeyGen(ctx.get(), kg, &empty), grpc::StatusCode::ALREADY_EXISTS, "already exists");
    kg.set_request_id(RandomId());
    kg.set_fhe_parameter("huge");
    auto ctx2 = Context();
    expect(stub->KeyGen(ctx2.get(), kg, &empty), grpc::StatusCode::INVALID_ARGUMENT,
           "fhe_parameter: unknown parameter set");
    kms::v1::NewMpcEpochRequest ep;
    auto ctx3 = Context();
    expect(stub->NewMpcEpoch(ctx3.get(), ep, &empty), grpc::StatusCode::FAILED_PRECONDITION,
           "centralized mode has no MPC epochs");
  }
  {  // unknown ids when polling
    kms::v1::RequestId rid;
    rid.set_request_id(RandomId());
    kms::v1::PublicDecryptionResponse r;
    auto ctx = Context();
    expect(stub->GetPublicDecryptionResult(ctx.get(), rid, &r), grpc::StatusCode::NOT_FOUND,
           "no public decryption request");
  }
  {  // over grpc_max_message_size (4 MiB here): refused by gRPC itself
    auto req = PublicDecryptionRequest(key.key_id(), cts);
    req.set_extra_data(std::string(5 << 20, 'x'));
    auto ctx = Context();
    grpc::Status s = stub->PublicDecrypt(ctx.get(), req, &empty);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  }
  EXPECT_EQ(SnapshotFiles(*dir_ / "keys"), before);
  // Refusals are logged as warnings with their request id; no key material in the log.
  const std::string log = server_->Log();
  EXPECT_THAT(log, HasSubstr("WARN  [grpc] PublicDecrypt refused: INVALID_ARGUMENT"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("BEGIN PRIVATE KEY")));
}

TEST_F(CentralizedTest, SigtermStopsCleanlyAndARestartReloadsTheKey) {
  const kms::v1::KeyGenResult& key = Key();
  server_->Signal(SIGTERM);
  auto status = server_->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value()) << "still running after SIGTERM";
  EXPECT_EQ(*status, 0);
  EXPECT_THAT(server_->Log(), HasSubstr("shutdown complete"));

  ASSERT_TRUE(server_->Start());
  ASSERT_TRUE(WaitServing(ports_.client, server_, std::chrono::seconds(30)).has_value())
      << server_->Log();
  const auto values = ValuesOfEveryType();
  const auto cts = Encrypt(key.public_key(), {values[6]});
  auto stub = Stub(ports_.client);
  kms::v1::PublicDecryptionResponse resp;
  auto ctx = Context();
  ASSERT_TRUE(
      stub->PublicDecryptSync(ctx.get(), PublicDecryptionRequest(key.key_id(), cts), &resp).ok());
  EXPECT_EQ(Plaintexts(resp), std::vector<lwe::TypedPlaintext>{values[6]});
  // The result of the KeyGen of the first run is rebuilt from storage.
  kms::v1::RequestId rid;
  rid.set_request_id(key.request_id());
  kms::v1::KeyGenResult again;
  auto ctx2 = Context();
  ASSERT_TRUE(stub->GetKeyGenResult(ctx2.get(), rid, &again).ok());
  EXPECT_EQ(again.public_key(), key.public_key());
}

// A second server with a one-keygen bucket: a key generation in flight takes every token, so a
// second one is refused with RESOURCE_EXHAUSTED and starts nothing; once the first is done the
// tokens are back.
TEST(CentralizedRateLimitTest, BucketBoundsWorkInFlight) {
  TempDir dir;
  ServerPorts ports{FreePort(), 0, FreePort()};
  const std::string config = dir / "config.toml";
  WriteFile(config, CentralizedConfig(dir.path(), ports,
                                      "[rate_limiter]\nbucket_size = 1000\nkeygen = 1000\n"
                                      "pub_decrypt = 1\nuser_decrypt = 1\npreproc = 1\n"
                                      "new_epoch = 1\n"));
  std::string out;
  ASSERT_EQ(RunProgram({GenKeysBinary(), "--config-file", config}, &out), 0) << out;
  ServerProcess server(config, dir / "server.log");
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(WaitServing(ports.client, &server, std::chrono::seconds(30)).has_value())
      << server.Log();
  auto stub = Stub(ports.client);
  kms::v1::Empty empty;
  // "default" parameters: n = 4096, long enough to hold the tokens while the next call comes.
  kms::v1::KeyGenRequest first;
  first.set_request_id(RandomId());
  first.set_fhe_parameter("default");
  auto c1 = Context();
  ASSERT_TRUE(stub->KeyGen(c1.get(), first, &empty).ok());
  kms::v1::KeyGenRequest second = first;
  second.set_request_id(RandomId());
  auto c2 = Context();
  grpc::Status refused = stub->KeyGen(c2.get(), second, &empty);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("rate limit: keygen needs 1000 tokens"));
  kms::v1::RequestId rid;
  rid.set_request_id(first.request_id());
  kms::v1::KeyGenResult result;
  auto c3 = Context();
  ASSERT_TRUE(stub->GetKeyGenResult(c3.get(), rid, &result).ok());
  EXPECT_FALSE(std::filesystem::exists(dir / ("keys/PUB/PublicKey/" + second.request_id())));
  // The refused id was not kept: it can be used now that the bucket is full again.
  auto c4 = Context();
  grpc::Status retried = stub->KeyGen(c4.get(), second, &empty);
  EXPECT_TRUE(retried.ok()) << retried.error_message();
  rid.set_request_id(second.request_id());
  auto c5 = Context();
  EXPECT_TRUE(stub->GetKeyGenResult(c5.get(), rid, &result).ok());
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(std::chrono::seconds(20)), std::optional<int>(0));
}

// JSON logs: every line is one JSON object with the documented fields.
TEST(CentralizedLogTest, JsonLogLines) {
  TempDir dir;
  ServerPorts ports{FreePort(), 0, FreePort()};
  const std::string config = dir / "config.toml";
  std::string text = CentralizedConfig(dir.path(), ports);
  // log_format lives in [telemetry], which CentralizedConfig writes last.
  text.insert(text.find("metrics_bind_address"), "log_format = \"json\"\n");
  WriteFile(config, text);
  std::string out;
  ASSERT_EQ(RunProgram({GenKeysBinary(), "--config-file", config}, &out), 0) << out;
  ServerProcess server(config, dir / "server.log");
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(WaitServing(ports.client, &server, std::chrono::seconds(30)).has_value());
  server.Signal(SIGINT);
  EXPECT_EQ(server.Wait(std::chrono::seconds(20)), std::optional<int>(0));
  std::istringstream lines(server.Log());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    ++count;
    EXPECT_EQ(line.front(), '{') << line;
    EXPECT_EQ(line.back(), '}') << line;
    EXPECT_THAT(line, HasSubstr("\"timestamp\":\""));
    EXPECT_THAT(line, HasSubstr("\"level\":\""));
    EXPECT_THAT(line, HasSubstr("\"component\":\""));
  }
  EXPECT_GE(count, 4);
}

}  // namespace
}  // namespace kms::e2e
