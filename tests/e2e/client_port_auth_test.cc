// End to end, real kms-server processes (4 parties, test parameters) whose client ports serve
// mutual TLS with three callers: "admin" (admin, read), "reader" (read), "decryptor" (decrypt).
// The identities come from the tools an operator uses: kms-gen-keys makes each party's client-port
// certificate (--client-port-names) and each caller's (--caller).
//  - without a client certificate, a TLS-only port refuses every RPC: UNAUTHENTICATED, counted;
//  - a plaintext client, or a certificate that is not one of the callers, gets no connection;
//  - a caller without "admin" cannot destroy an epoch, re-create the PRSS or start a key
//    generation (PERMISSION_DENIED naming the missing role, counted in kms_client_refusals_total),
//    and nothing stored changes; a caller without "decrypt" cannot decrypt;
//  - the health report says how the port authenticates; the admin caller can do what it may.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "e2e/kms_test_client.h"
#include "e2e/server_harness.h"

namespace kms::e2e {
namespace {

using ::testing::HasSubstr;

constexpr int kN = 4;
const std::string kEpoch = std::string(63, '0') + "1";

struct Identity {
  std::string cert;
  std::string key;
};

class ClientPortAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string callers = *dir_ / "callers";
    for (const char* name : {"admin", "reader", "decryptor", "stranger"}) {
      std::string out;
      ASSERT_EQ(RunProgram({GenKeysBinary(), "--caller", name, "--out-dir", callers}, &out), 0)
          << out;
      EXPECT_THAT(out, HasSubstr("(mode 0600)"));
    }
    ports_.resize(kN);
    for (auto& p : ports_) p = ServerPorts{FreePort(), FreePort(), FreePort()};
    for (int i = 1; i <= kN; ++i) {
      const std::string tls =
          absl::StrCat("\n[service.tls]\ncert = \"", dir_->path(), "/certs/port_p", i,
                       ".pem\"\nkey = \"", dir_->path(), "/certs/port_key_p", i, ".pem\"\n",
                       "[[service.callers]]\nname = \"admin\"\ncert = \"", callers,
                       "/admin.pem\"\nroles = [\"admin\", \"read\"]\n",
                       "[[service.callers]]\nname = \"reader\"\ncert = \"", callers,
                       "/reader.pem\"\nroles = [\"read\"]\n",
                       "[[service.callers]]\nname = \"decryptor\"\ncert = \"", callers,
                       "/decryptor.pem\"\nroles = [\"decrypt\"]\n");
      WriteFile(ConfigPath(i), ThresholdConfig(dir_->path(), ports_, i, 1, "test") + tls);
      std::string out;
      ASSERT_EQ(RunProgram({GenKeysBinary(), "--config-file", ConfigPath(i), "--client-port-names",
                            "127.0.0.1"},
                           &out),
                0)
          << out;
      ASSERT_THAT(out, HasSubstr("client-port certificate"));
      ca_ += ReadFile(*dir_ / absl::StrCat("certs/port_p", i, ".pem"));
    }
    for (int i = 1; i <= kN; ++i) {
      servers_.push_back(new ServerProcess(ConfigPath(i), *dir_ / absl::StrCat("p", i, ".log")));
      ASSERT_TRUE(servers_.back()->Start());
    }
    for (int i = 1; i <= kN; ++i) ASSERT_TRUE(WaitUp(i)) << servers_[i - 1]->Log();
    // The admin creates the PRSS on every party.
    auto statuses = OnAll([](int p) {
      kms::v1::NewMpcEpochRequest req;
      req.set_epoch_id(kEpoch);
      kms::v1::Empty empty;
      auto ctx = Context();
      grpc::Status s = As("admin", p)->NewMpcEpoch(ctx.get(), req, &empty);
      if (!s.ok()) return s;
      kms::v1::RequestId id;
      id.set_request_id(kEpoch);
      kms::v1::EpochResult result;
      auto ctx2 = Context();
      return As("admin", p)->GetEpochResult(ctx2.get(), id, &result);
    });
    for (const grpc::Status& s : statuses) ASSERT_TRUE(s.ok()) << s.error_message();
  }
  static void TearDownTestSuite() {
    for (auto* s : servers_) delete s;
    servers_.clear();
    delete dir_;
  }
  void TearDown() override {
    if (!HasFailure()) return;
    for (int i = 1; i <= kN; ++i) {
      std::string log = servers_[i - 1]->Log();
      if (log.size() > 4000) log = log.substr(log.size() - 4000);
      std::printf("---- party %d log (tail) ----\n%s\n", i, log.c_str());
    }
  }

  static std::string ConfigPath(int i) { return *dir_ / absl::StrCat("config_p", i, ".toml"); }

  static Identity Caller(const std::string& name) {
    return Identity{*dir_ / absl::StrCat("callers/", name, ".pem"),
                    *dir_ / absl::StrCat("callers/", name, ".key")};
  }

  // A stub over TLS to party `p`, presenting `name`'s certificate (empty: none).
  static std::unique_ptr<kms::v1::CoreService::Stub> As(const std::string& name, int p) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ca_;
    if (!name.empty()) {
      ssl.pem_cert_chain = ReadFile(Caller(name).cert);
      ssl.pem_private_key = ReadFile(Caller(name).key);
    }
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return kms::v1::CoreService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", ports_[p - 1].client), grpc::SslCredentials(ssl), args));
  }

  static bool WaitUp(int p) {
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline && servers_[p - 1]->Running()) {
      kms::v1::HealthStatusResponse health;
      auto ctx = Context(std::chrono::seconds(2));
      if (As("reader", p)->GetHealthStatus(ctx.get(), {}, &health).ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  static std::vector<grpc::Status> OnAll(const std::function<grpc::Status(int)>& call) {
    std::vector<grpc::Status> out(kN);
    std::vector<std::thread> threads;
    for (int p = 1; p <= kN; ++p) threads.emplace_back([&, p] { out[p - 1] = call(p); });
    for (auto& t : threads) t.join();
    return out;
  }

  static std::string Metrics(int p) { return HttpGet(ports_[p - 1].metrics, "/metrics").body; }

  static std::string Epochs(int p) {
    kms::v1::KeyMaterialAvailabilityResponse material;
    auto ctx = Context();
    EXPECT_TRUE(As("reader", p)->GetKeyMaterialAvailability(ctx.get(), {}, &material).ok());
    std::string out;
    for (const auto& e : material.epoch_ids()) out += e + " ";
    return out;
  }

  static TempDir* dir_;
  static std::vector<ServerPorts> ports_;
  static std::vector<ServerProcess*> servers_;
  static std::string ca_;
};

TempDir* ClientPortAuthTest::dir_ = nullptr;
std::vector<ServerPorts> ClientPortAuthTest::ports_;
std::vector<ServerProcess*> ClientPortAuthTest::servers_;
std::string ClientPortAuthTest::ca_;

TEST_F(ClientPortAuthTest, WithoutAClientCertificateEveryRpcIsUnauthenticated) {
  kms::v1::HealthStatusResponse health;
  auto ctx = Context();
  grpc::Status s = As("", 1)->GetHealthStatus(ctx.get(), {}, &health);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("no client certificate"));
  EXPECT_THAT(s.error_message(), HasSubstr("role \"read\""));

  kms::v1::DestroyMpcEpochRequest destroy;
  destroy.set_epoch_id(kEpoch);
  kms::v1::Empty empty;
  auto ctx2 = Context();
  s = As("", 1)->DestroyMpcEpoch(ctx2.get(), destroy, &empty);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(Epochs(1), HasSubstr(kEpoch));
  EXPECT_THAT(Metrics(1), HasSubstr("kms_client_refusals_total{operation=\"DestroyMpcEpoch\","
                                    "reason=\"unauthenticated\"}"));
}

TEST_F(ClientPortAuthTest, PlaintextClientsAndUnknownCertificatesGetNoConnection) {
  kms::v1::HealthStatusResponse health;
  auto ctx = Context(std::chrono::seconds(5));
  grpc::Status s = Stub(ports_[0].client)->GetHealthStatus(ctx.get(), {}, &health);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  // A self-signed certificate that no [[service.callers]] entry lists fails the handshake.
  auto ctx2 = Context(std::chrono::seconds(5));
  s = As("stranger", 1)->GetHealthStatus(ctx2.get(), {}, &health);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(ClientPortAuthTest, CallersWithoutAdminCannotTouchEpochsOrKeys) {
  const auto before = SnapshotFiles(*dir_ / "keys");
  kms::v1::Empty empty;
  for (const std::string who : {"reader", "decryptor"}) {
    SCOPED_TRACE(who);
    kms::v1::DestroyMpcEpochRequest destroy;
    destroy.set_epoch_id(kEpoch);
    auto ctx = Context();
    grpc::Status s = As(who, 1)->DestroyMpcEpoch(ctx.get(), destroy, &empty);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(s.error_message(),
                HasSubstr(absl::StrCat("caller \"", who, "\" lacks the role \"admin\"")));

    kms::v1::NewMpcEpochRequest reinit;
    reinit.set_epoch_id(kEpoch);
    reinit.set_force(true);
    reinit.set_request_id(RandomId());
    auto ctx2 = Context();
    s = As(who, 1)->NewMpcEpoch(ctx2.get(), reinit, &empty);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);

    kms::v1::KeyGenPreprocRequest preproc;
    preproc.set_request_id(RandomId());
    auto ctx3 = Context();
    s = As(who, 1)->KeyGenPreproc(ctx3.get(), preproc, &empty);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);

    kms::v1::KeyGenRequest keygen;
    keygen.set_request_id(RandomId());
    auto ctx4 = Context();
    s = As(who, 1)->InsecureKeyGen(ctx4.get(), keygen, &empty);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  // Reading is not decrypting.
  kms::v1::PublicDecryptionRequest decrypt;
  decrypt.set_request_id(RandomId());
  decrypt.set_key_id(RandomId());
  auto ctx = Context();
  grpc::Status s = As("reader", 1)->PublicDecryptSync(ctx.get(), decrypt, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("lacks the role \"decrypt\""));

  EXPECT_EQ(SnapshotFiles(*dir_ / "keys"), before) << "a refused request changed storage";
  EXPECT_THAT(Epochs(1), HasSubstr(kEpoch));
  const std::string metrics = Metrics(1);
  EXPECT_THAT(metrics, HasSubstr("kms_client_refusals_total{operation=\"DestroyMpcEpoch\","
                                 "reason=\"permission_denied\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("kms_client_refusals_total{operation=\"KeyGenPreproc\","
                                 "reason=\"permission_denied\"} 2"));
}

TEST_F(ClientPortAuthTest, HealthSaysHowThePortAuthenticates) {
  kms::v1::HealthStatusResponse health;
  auto ctx = Context();
  ASSERT_TRUE(As("reader", 2)->GetHealthStatus(ctx.get(), {}, &health).ok());
  EXPECT_EQ(health.client_port_auth(),
            "mutual TLS, 3 callers (admin: admin, read; reader: read; decryptor: decrypt)");
  EXPECT_THAT(HttpGet(ports_[1].metrics, "/health").body, HasSubstr("mutual TLS, 3 callers"));
  EXPECT_THAT(servers_[1]->Log(), HasSubstr("client port: mutual TLS, 3 callers"));
}

// Last: the admin may destroy what the others could not.
TEST_F(ClientPortAuthTest, ZAdminMayDestroyTheEpoch) {
  kms::v1::DestroyMpcEpochRequest destroy;
  destroy.set_epoch_id(kEpoch);
  kms::v1::Empty empty;
  auto ctx = Context();
  grpc::Status s = As("admin", 3)->DestroyMpcEpoch(ctx.get(), destroy, &empty);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(Epochs(3), ::testing::Not(HasSubstr(kEpoch)));
}

// Contrast: a development server without [service.tls] serves anyone and says so everywhere.
TEST(PlaintextClientPortTest, AnyoneMayCallAndTheServerSaysSo) {
  TempDir dir;
  ServerPorts ports{FreePort(), 0, FreePort()};
  const std::string config = dir / "config.toml";
  WriteFile(config, CentralizedConfig(dir.path(), ports));
  std::string out;
  ASSERT_EQ(RunProgram({GenKeysBinary(), "--config-file", config}, &out), 0) << out;
  ServerProcess server(config, dir / "server.log");
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(WaitServing(ports.client, &server, std::chrono::seconds(30)).has_value());
  kms::v1::HealthStatusResponse health;
  auto ctx = Context();
  ASSERT_TRUE(Stub(ports.client)->GetHealthStatus(ctx.get(), {}, &health).ok());
  EXPECT_THAT(health.client_port_auth(), HasSubstr("PLAINTEXT, unauthenticated"));
  EXPECT_THAT(server.Log(), HasSubstr("client port: PLAINTEXT, unauthenticated"));
}

}  // namespace
}  // namespace kms::e2e
