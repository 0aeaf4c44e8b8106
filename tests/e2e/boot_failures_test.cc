// End to end: kms-server refuses to start, with a clear message and a non-zero exit, when its
// configuration, storage or ports are wrong (service-spec §5, §8); kms-gen-keys refuses to
// overwrite keys; shutdown with work in flight is bounded, and a second signal exits at once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e/kms_test_client.h"
#include "e2e/server_harness.h"

namespace kms::e2e {
namespace {

using ::testing::HasSubstr;

// A centralized setup in a temporary folder.
struct Centralized {
  TempDir dir;
  ServerPorts ports{FreePort(), 0, FreePort()};
  std::string config = dir / "config.toml";

  Centralized() { WriteFile(config, CentralizedConfig(dir.path(), ports)); }

  void GenKeys() {
    std::string out;
    ASSERT_EQ(RunProgram({GenKeysBinary(), "--config-file", config}, &out), 0) << out;
  }

  // Runs kms-server until it exits (it must, within 30 s); returns its status and log.
  int RunToExit(std::string* log) {
    ServerProcess server(config, dir / "refused.log");
    EXPECT_TRUE(server.Start());
    std::optional<int> status = server.Wait(std::chrono::seconds(30));
    *log = server.Log();
    EXPECT_TRUE(status.has_value()) << "kms-server did not exit:\n" << *log;
    return status.value_or(-1);
  }

  // Starts a server, makes one key, stops it; returns the key id.
  std::string MakeKey() {
    ServerProcess server(config, dir / "setup.log");
    EXPECT_TRUE(server.Start());
    EXPECT_TRUE(WaitServing(ports.client, &server, std::chrono::seconds(30)).has_value())
        << server.Log();
    auto stub = Stub(ports.client);
    kms::v1::KeyGenRequest req;
    req.set_request_id(RandomId());
    kms::v1::Empty empty;
    auto ctx = Context();
    EXPECT_TRUE(stub->KeyGen(ctx.get(), req, &empty).ok());
    kms::v1::RequestId id;
    id.set_request_id(req.request_id());
    kms::v1::KeyGenResult result;
    auto ctx2 = Context();
    EXPECT_TRUE(stub->GetKeyGenResult(ctx2.get(), id, &result).ok());
    server.Signal(SIGTERM);
    EXPECT_EQ(server.Wait(std::chrono::seconds(20)), std::optional<int>(0));
    return req.request_id();
  }
};

TEST(BootFailureTest, MissingSigningKeyGivesTheKmsGenKeysHint) {
  Centralized c;
  std::string log;
  EXPECT_EQ(c.RunToExit(&log), 1);
  EXPECT_THAT(log, HasSubstr("ERROR [boot] refusing to start: no signing key in file:"));
  EXPECT_THAT(log, HasSubstr("; run kms-gen-keys --config-file " + c.config));
  EXPECT_EQ(GrpcHealthCheck(c.ports.client, ""), -1);
}

TEST(BootFailureTest, CorruptedPublicKeyIsRefused) {
  Centralized c;
  c.GenKeys();
  const std::string key_id = c.MakeKey();
  const std::string path = c.dir / ("keys/PUB/PublicKey/" + key_id);
  std::string data = ReadFile(path);
  ASSERT_FALSE(data.empty());
  data[data.size() / 2] ^= 0x01;
  WriteFile(path, data);
  std::string log;
  EXPECT_EQ(c.RunToExit(&log), 1);
  EXPECT_THAT(log, HasSubstr("ERROR [boot] refusing to start: Public key digest mismatch for id=" +
                             key_id));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("serving kms.v1.CoreService")));
}

TEST(BootFailureTest, MissingPublicKeyIsRefused) {
  Centralized c;
  c.GenKeys();
  const std::string key_id = c.MakeKey();
  std::filesystem::remove(c.dir / ("keys/PUB/PublicKey/" + key_id));
  std::string log;
  EXPECT_EQ(c.RunToExit(&log), 1);
  EXPECT_THAT(log, HasSubstr("missing or unreadable public material PublicKey for id=" + key_id));
}

TEST(BootFailureTest, CorruptedPrivateKeyRecordIsRefused) {
  Centralized c;
  c.GenKeys();
  const std::string key_id = c.MakeKey();
  WriteFile(c.dir / ("keys/PRIV/FhePrivateKey/" + key_id), "garbage");
  std::string log;
  EXPECT_EQ(c.RunToExit(&log), 1);
  EXPECT_THAT(log, HasSubstr("FhePrivateKey/" + key_id));
  EXPECT_THAT(log, HasSubstr("shorter than its"));
}

TEST(BootFailureTest, VerificationKeyMismatchIsRefused) {
  Centralized c;
  c.GenKeys();
  // Publish another party's address under this key's id.
  std::string signer;
  for (const auto& entry : std::filesystem::directory_iterator(c.dir / "keys/PUB/VerfAddress")) {
    signer = entry.path().filename().string();
  }
  ASSERT_FALSE(signer.empty());
  WriteFile(c.dir / ("keys/PUB/VerfAddress/" + signer),
            crypto::SigningKey::Generate().verification_key().EthereumAddressChecksummed());
  std::string log;
  EXPECT_EQ(c.RunToExit(&log), 1);
  EXPECT_THAT(log, HasSubstr("Verification key/address in public storage does not match the "
                             "private signing key"));
}

int Listen(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  EXPECT_EQ(::listen(fd, 1), 0);
  return fd;
}

TEST(BootFailureTest, ClientPortInUse) {
  Centralized c;
  c.GenKeys();
  const int fd = Listen(c.ports.client);
  std::string log;
  EXPECT_EQ(c.RunToExit(&log), 1);
  ::close(fd);
  EXPECT_THAT(log, HasSubstr(absl::StrCat("Address already in use: 127.0.0.1:", c.ports.client)));
}

TEST(BootFailureTest, MetricsPortInUse) {
  Centralized c;
  c.GenKeys();
  const int fd = Listen(c.ports.metrics);
  std::string log;
  EXPECT_EQ(c.RunToExit(&log), 1);
  ::close(fd);
  EXPECT_THAT(log, HasSubstr(absl::StrCat("Address already in use: 127.0.0.1:", c.ports.metrics)));
}

TEST(BootFailureTest, InvalidConfigurationNamesTheKey) {
  Centralized c;
  WriteFile(c.config, CentralizedConfig(c.dir.path(), c.ports) + "[service]\nlisten_prot = 1\n");
  std::string log;
  EXPECT_EQ(c.RunToExit(&log), 1);
  EXPECT_THAT(log, HasSubstr("invalid configuration"));
  WriteFile(c.config,
            ReadFile(c.config).substr(0, ReadFile(c.config).find("[service]\nlisten_prot")) +
                "[rate_limiter]\nbucket_size = 10\nkeygen = 11\n");
  EXPECT_EQ(c.RunToExit(&log), 1);
  EXPECT_THAT(log, HasSubstr("rate_limiter.keygen: cost 11 exceeds rate_limiter.bucket_size 10"));
}

TEST(GenKeysTest, RefusesToOverwriteAndShowsWithoutSecrets) {
  TempDir dir;
  std::vector<ServerPorts> ports(4);
  for (auto& p : ports) p = ServerPorts{FreePort(), FreePort(), FreePort()};
  const std::string config = dir / "config_p2.toml";
  WriteFile(config, ThresholdConfig(dir.path(), ports, 2, 1, "test"));
  std::string out;
  ASSERT_EQ(RunProgram({GenKeysBinary(), "--config-file", config}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("CN and SAN party2.kms.local"));
  struct stat st;
  ASSERT_EQ(::stat((dir / "certs/key_p2.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string key_pem = ReadFile(dir / "certs/key_p2.pem");
  EXPECT_THAT(key_pem, HasSubstr("BEGIN PRIVATE KEY"));
  const auto before = SnapshotFiles(dir.path());

  EXPECT_EQ(RunProgram({GenKeysBinary(), "--config-file", config}, &out), 1);
  EXPECT_THAT(out, HasSubstr("refusing to overwrite existing keys"));
  EXPECT_EQ(SnapshotFiles(dir.path()), before);

  EXPECT_EQ(RunProgram({GenKeysBinary(), "--config-file", config, "--show"}, &out), 0);
  EXPECT_THAT(out, HasSubstr("party: 2 of 4"));
  EXPECT_THAT(out, HasSubstr("CN party2.kms.local"));
  EXPECT_THAT(out, HasSubstr("published, matching"));
  EXPECT_THAT(out, HasSubstr("(mode 0600)"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("PRIVATE KEY")));

  EXPECT_EQ(RunProgram({GenKeysBinary(), "--config-file", config, "--force"}, &out), 0) << out;
  EXPECT_NE(ReadFile(dir / "certs/key_p2.pem"), key_pem);
  // Exactly one signing key remains, with its published halves.
  size_t keys = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "keys/PRIV-p2/SigningKey")) {
    (void)e;
    ++keys;
  }
  EXPECT_EQ(keys, 1u);
}

// A threshold party: the peer port in use is refused with its address, and a corrupt PRSS setup
// is refused at boot.
TEST(BootFailureTest, ThresholdPeerPortInUseAndCorruptPrss) {
  TempDir dir;
  std::vector<ServerPorts> ports(4);
  for (auto& p : ports) p = ServerPorts{FreePort(), FreePort(), FreePort()};
  for (int i = 1; i <= 4; ++i) {
    const std::string config = dir / absl::StrCat("config_p", i, ".toml");
    WriteFile(config, ThresholdConfig(dir.path(), ports, i, 1, "test"));
    std::string out;
    ASSERT_EQ(RunProgram({GenKeysBinary(), "--config-file", config}, &out), 0) << out;
  }
  const std::string config = dir / "config_p1.toml";
  {
    const int fd = Listen(ports[0].peer);
    ServerProcess server(config, dir / "p1.log");
    ASSERT_TRUE(server.Start());
    EXPECT_EQ(server.Wait(std::chrono::seconds(30)), std::optional<int>(1));
    ::close(fd);
    EXPECT_THAT(server.Log(),
                HasSubstr(absl::StrCat("Address already in use: 127.0.0.1:", ports[0].peer)));
  }
  {
    WriteFile(dir / ("keys/PRIV-p1/PrssSetup/" + std::string(63, '0') + "1"), "not a setup");
    ServerProcess server(config, dir / "p1b.log");
    ASSERT_TRUE(server.Start());
    EXPECT_EQ(server.Wait(std::chrono::seconds(30)), std::optional<int>(1));
    EXPECT_THAT(server.Log(), HasSubstr("ERROR [boot] refusing to start: PrssSetup/"));
  }
}

// InsecureKeyGen is refused unless the configuration says threshold.insecure = true.
TEST(ThresholdRefusalTest, InsecureKeyGenNeedsTheConfigurationFlag) {
  TempDir dir;
  std::vector<ServerPorts> ports(4);
  for (auto& p : ports) p = ServerPorts{FreePort(), FreePort(), FreePort()};
  for (int i = 1; i <= 4; ++i) {
    const std::string config = dir / absl::StrCat("config_p", i, ".toml");
    WriteFile(config, ThresholdConfig(dir.path(), ports, i, 1, "test", "", /*insecure=*/false));
    std::string out;
    ASSERT_EQ(RunProgram({GenKeysBinary(), "--config-file", config}, &out), 0) << out;
  }
  ServerProcess server(dir / "config_p1.toml", dir / "p1.log");
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(WaitServing(ports[0].client, &server, std::chrono::seconds(30)).has_value());
  kms::v1::KeyGenRequest req;
  req.set_request_id(RandomId());
  kms::v1::Empty empty;
  auto ctx = Context();
  grpc::Status s = Stub(ports[0].client)->InsecureKeyGen(ctx.get(), req, &empty);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("threshold.insecure = true"));
  // A secure KeyGen needs its preprocessing id.
  auto ctx2 = Context();
  s = Stub(ports[0].client)->KeyGen(ctx2.get(), req, &empty);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("preprocessing_id: missing"));
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(std::chrono::seconds(20)), std::optional<int>(0));
}

// SIGTERM while a protocol waits for peers that never come: the work is cut off within the
// shutdown bound and the process exits 0; a second signal exits at once with 1.
TEST(ShutdownTest, InFlightWorkIsBoundedAndASecondSignalExitsAtOnce) {
  TempDir dir;
  std::vector<ServerPorts> ports(4);
  for (auto& p : ports) p = ServerPorts{FreePort(), FreePort(), FreePort()};
  for (int i = 1; i <= 4; ++i) {
    const std::string config = dir / absl::StrCat("config_p", i, ".toml");
    WriteFile(config, ThresholdConfig(dir.path(), ports, i, 1, "test"));
    std::string out;
    ASSERT_EQ(RunProgram({GenKeysBinary(), "--config-file", config}, &out), 0) << out;
  }
  auto start_epoch = [&](int port) {
    kms::v1::NewMpcEpochRequest req;
    req.set_request_id(RandomId());
    kms::v1::Empty empty;
    auto ctx = Context();
    grpc::Status s = Stub(port)->NewMpcEpoch(ctx.get(), req, &empty);
    EXPECT_TRUE(s.ok()) << s.error_message();
  };
  {  // one signal: bounded drain, exit 0, nothing half-written
    ServerProcess server(dir / "config_p1.toml", dir / "p1.log");
    ASSERT_TRUE(server.Start());
    ASSERT_TRUE(WaitServing(ports[0].client, &server, std::chrono::seconds(30)).has_value());
    start_epoch(ports[0].client);  // the other three parties are not running
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto t0 = Clock::now();
    server.Signal(SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_NE(GrpcHealthCheck(ports[0].client, ""), 1);  // NOT_SERVING or closed
    EXPECT_EQ(server.Wait(std::chrono::seconds(30)), std::optional<int>(0));
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(16));
    EXPECT_THAT(server.Log(), HasSubstr("received SIGTERM"));
    EXPECT_FALSE(std::filesystem::exists(dir / "keys/PRIV-p1/PrssSetup"));
  }
  {  // two signals: at once
    ServerProcess server(dir / "config_p2.toml", dir / "p2.log");
    ASSERT_TRUE(server.Start());
    ASSERT_TRUE(WaitServing(ports[1].client, &server, std::chrono::seconds(30)).has_value());
    start_epoch(ports[1].client);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server.Signal(SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto t0 = Clock::now();
    server.Signal(SIGINT);
    EXPECT_EQ(server.Wait(std::chrono::seconds(5)), std::optional<int>(1));
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
    EXPECT_THAT(server.Log(), HasSubstr("second signal (SIGINT): exiting at once"));
  }
}

}  // namespace
}  // namespace kms::e2e
