// End to end, real kms-server processes (centralized, test parameters): the findings of the API
// security review.
//  - the insecure "test" parameter set is refused unless service.allow_insecure_parameters = true
//    (requests naming it, and a configuration choosing it);
//  - keys made with it are marked insecure in the KeyGen result, the key listing
//    (GetKeyMaterialAvailability), GetHealthStatus and /health;
//  - the signed KeyGen result names the parameter set: the client refuses a result whose set
//    name (or insecure mark) was changed;
//  - the rate limiter charges per LWE block: a batch costs its blocks, a batch that can never fit
//    the bucket is RESOURCE_EXHAUSTED saying so, and /metrics counts the charged units;
//  - a parameter set that fails its noise budget for the configured n stops the boot.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client/response_verification.h"
#include "e2e/kms_test_client.h"
#include "e2e/server_harness.h"

namespace kms::e2e {
namespace {

using ::testing::HasSubstr;

// A centralized configuration with the given parameter set; `allow` adds
// service.allow_insecure_parameters = true.
std::string Config(const std::string& dir, const ServerPorts& ports, const std::string& params,
                   bool allow, const std::string& extra = "") {
  return absl::StrCat("[service]\nlisten_address = \"127.0.0.1\"\nlisten_port = ", ports.client,
                      "\nfhe_parameter = \"", params, "\"\n",
                      allow ? "allow_insecure_parameters = true\n" : "",
                      "result_wait_secs = 30\n\n[public_vault.storage.file]\npath = \"", dir,
                      "/keys\"\n[private_vault.storage.file]\npath = \"", dir,
                      "/keys\"\n\n[telemetry]\nmetrics_bind_address = \"127.0.0.1:", ports.metrics,
                      "\"\n\n", extra);
}

// One configured, keyed, running centralized server in its own folder.
struct Server {
  TempDir dir;
  ServerPorts ports{FreePort(), 0, FreePort()};
  std::string config = dir / "config.toml";
  std::unique_ptr<ServerProcess> process;

  // `gen_keys` false: the configuration is meant to be refused (kms-gen-keys refuses it too).
  Server(const std::string& params, bool allow, const std::string& extra = "",
         bool gen_keys = true) {
    WriteFile(config, Config(dir.path(), ports, params, allow, extra));
    if (!gen_keys) return;
    std::string out;
    EXPECT_EQ(RunProgram({GenKeysBinary(), "--config-file", config}, &out), 0) << out;
  }
  bool Start() {
    process = std::make_unique<ServerProcess>(config, dir / "server.log");
    if (!process->Start()) return false;
    return WaitServing(ports.client, process.get(), std::chrono::seconds(30)).has_value();
  }
  // Runs until the process exits by itself; its status (-1: still running after 20 s).
  int RunToExit(std::string* log) {
    process = std::make_unique<ServerProcess>(config, dir / "refused.log");
    EXPECT_TRUE(process->Start());
    std::optional<int> status = process->Wait(std::chrono::seconds(20));
    *log = process->Log();
    if (!status.has_value()) process->Kill();
    return status.value_or(-1);
  }
  grpc::Status KeyGen(const std::string& params, kms::v1::KeyGenResult* result) {
    kms::v1::KeyGenRequest req;
    req.set_request_id(RandomId());
    req.set_fhe_parameter(params);
    kms::v1::Empty empty;
    auto ctx = Context();
    grpc::Status s = Stub(ports.client)->KeyGen(ctx.get(), req, &empty);
    if (!s.ok()) return s;
    kms::v1::RequestId id;
    id.set_request_id(req.request_id());
    auto ctx2 = Context();
    return Stub(ports.client)->GetKeyGenResult(ctx2.get(), id, result);
  }
};

// ---------------------------------------------------------------------------------------------
// 1. The test parameters

TEST(InsecureParametersTest, RequestNamingTestIsRefusedUnlessAllowed) {
  Server server("default", /*allow=*/false);
  ASSERT_TRUE(server.Start()) << server.process->Log();
  kms::v1::KeyGenResult result;
  grpc::Status s = server.KeyGen("test", &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("service.allow_insecure_parameters"));
  // Nothing was stored.
  EXPECT_FALSE(std::filesystem::exists(server.dir / "keys/PUB/PublicKey"));
}

TEST(InsecureParametersTest, ConfiguringTestWithoutTheFlagIsRefusedAtBoot) {
  Server server("test", /*allow=*/false, "", /*gen_keys=*/false);
  std::string log;
  EXPECT_EQ(server.RunToExit(&log), 1) << log;
  EXPECT_THAT(log, HasSubstr("service.allow_insecure_parameters"));
}

TEST(InsecureParametersTest, TestKeysAreMarkedInsecureWhereverTheyAreListed) {
  Server server("test", /*allow=*/true);
  ASSERT_TRUE(server.Start()) << server.process->Log();
  kms::v1::KeyGenResult key;
  grpc::Status s = server.KeyGen("", &key);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(key.fhe_parameter(), "test");
  EXPECT_TRUE(key.insecure()) << "a key made with the test parameters must be marked insecure";

  auto stub = Stub(server.ports.client);
  kms::v1::KeyMaterialAvailabilityResponse material;
  auto ctx = Context();
  ASSERT_TRUE(stub->GetKeyMaterialAvailability(ctx.get(), {}, &material).ok());
  EXPECT_THAT(material.ShortDebugString(),
              HasSubstr(absl::StrCat("insecure_fhe_key_ids: \"", key.key_id(), "\"")));
  kms::v1::HealthStatusResponse health;
  auto ctx2 = Context();
  ASSERT_TRUE(stub->GetHealthStatus(ctx2.get(), {}, &health).ok());
  EXPECT_THAT(health.ShortDebugString(),
              HasSubstr(absl::StrCat("my_insecure_fhe_key_ids: \"", key.key_id(), "\"")));
  HttpResult http = HttpGet(server.ports.metrics, "/health");
  EXPECT_THAT(http.body, HasSubstr(absl::StrCat("\"my_insecure_fhe_key_ids\":[\"", key.key_id())));

  // After a restart the mark comes from storage.
  server.process->Signal(SIGTERM);
  ASSERT_EQ(server.process->Wait(std::chrono::seconds(20)), std::optional<int>(0));
  ASSERT_TRUE(server.Start()) << server.process->Log();
  kms::v1::RequestId id;
  id.set_request_id(key.key_id());
  kms::v1::KeyGenResult again;
  auto ctx3 = Context();
  ASSERT_TRUE(Stub(server.ports.client)->GetKeyGenResult(ctx3.get(), id, &again).ok());
  EXPECT_TRUE(again.insecure());
}

TEST(InsecureParametersTest, SignedKeyGenResultNamesTheParameterSet) {
  Server server("test", /*allow=*/true);
  ASSERT_TRUE(server.Start()) << server.process->Log();
  kms::v1::KeyGenResult key;
  grpc::Status s = server.KeyGen("test", &key);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // The request sent no domain: the server signs over its default {name "KMS", version "1"}.
  kms::v1::Eip712Domain server_default;
  server_default.set_name("KMS");
  server_default.set_version("1");
  EXPECT_TRUE(
      client::VerifyKeyGenResult(key.request_id(), key, server_default, key.signer_address()).ok());
  kms::v1::KeyGenResult renamed = key;
  renamed.set_fhe_parameter("default");
  EXPECT_FALSE(
      client::VerifyKeyGenResult(key.request_id(), renamed, server_default, key.signer_address())
          .ok())
      << "a result whose parameter set name was changed must fail verification";
  kms::v1::KeyGenResult unmarked = key;
  unmarked.set_insecure(!key.insecure());
  EXPECT_FALSE(
      client::VerifyKeyGenResult(key.request_id(), unmarked, server_default, key.signer_address())
          .ok())
      << "a result whose insecure mark was changed must fail verification";
}

// ---------------------------------------------------------------------------------------------
// 2. The rate limiter charges per block

TEST(RateLimiterCostTest, ABatchCostsItsBlocks) {
  // 40 tokens, one per block; an euint256 has 16 blocks of 16 bits under the test parameters.
  Server server("test", /*allow=*/true,
                "[rate_limiter]\nbucket_size = 40\npub_decrypt = 1\nuser_decrypt = 1\n"
                "keygen = 1\npreproc = 1\nnew_epoch = 1\n");
  ASSERT_TRUE(server.Start()) << server.process->Log();
  kms::v1::KeyGenResult key;
  grpc::Status s = server.KeyGen("", &key);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const auto big = *lwe::TypedPlaintext::FromString(
      lwe::FheType::kEuint256, "0xfedcba9876543210fedcba9876543210fedcba9876543210fedcba987654321");
  const auto cts = Encrypt(key.public_key(), {big, big, big});
  auto stub = Stub(server.ports.client);

  // 48 blocks can never fit a bucket of 40.
  kms::v1::PublicDecryptionResponse resp;
  auto ctx = Context();
  s = stub->PublicDecryptSync(ctx.get(), PublicDecryptionRequest(key.key_id(), cts), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("48"));
  EXPECT_THAT(s.error_message(), HasSubstr("can never fit"));
  TestUser user;
  kms::v1::UserDecryptionResponse uresp;
  auto ctx2 = Context();
  s = stub->UserDecryptSync(ctx2.get(), user.Request(key.key_id(), cts), &uresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("can never fit"));

  // 32 blocks fit, and are counted.
  auto ctx3 = Context();
  s = stub->PublicDecryptSync(ctx3.get(), PublicDecryptionRequest(key.key_id(), {cts[0], cts[1]}),
                              &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  const std::string metrics = HttpGet(server.ports.metrics, "/metrics").body;
  EXPECT_THAT(metrics,
              HasSubstr("kms_rate_limiter_charged_units_total{operation=\"pub_decrypt\"} 32"))
      << metrics;
}

// ---------------------------------------------------------------------------------------------
// 3. The noise budget at start-up

TEST(NoiseBudgetBootTest, ASetFailingItsBudgetRefusesToBoot) {
  Server server("default", /*allow=*/false);
  ServerProcess process(server.config, server.dir / "broken.log", KMS_SERVER_BROKEN_PARAMS_BIN);
  ASSERT_TRUE(process.Start());
  std::optional<int> status = process.Wait(std::chrono::seconds(20));
  if (!status.has_value()) process.Kill();
  const std::string log = process.Log();
  EXPECT_EQ(status, std::optional<int>(1)) << log;
  EXPECT_THAT(log, HasSubstr("ERROR [boot] refusing to start: parameter set 'default' "
                             "(service.fhe_parameter) fails its noise budget for n=1, t=0"));
  EXPECT_THAT(log, HasSubstr("Delta/2"));
  EXPECT_EQ(GrpcHealthCheck(server.ports.client, ""), -1);
  // The same configuration boots with the real parameter set.
  ASSERT_TRUE(server.Start()) << server.process->Log();
  EXPECT_THAT(server.process->Log(), HasSubstr("passes its noise budget for n=1"));
}

}  // namespace
}  // namespace kms::e2e
