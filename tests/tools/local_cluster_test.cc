#include "client/local_cluster.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "service/config.h"
#include "service/key_material.h"
#include "storage/file_storage.h"
#include "storage/vault.h"

namespace kms::client {
namespace {

TEST(DefaultThreshold, LargestTWithNAtLeast3TPlus1) {
  EXPECT_EQ(DefaultThreshold(1), 0u);
  EXPECT_EQ(DefaultThreshold(4), 1u);
  EXPECT_EQ(DefaultThreshold(6), 1u);
  EXPECT_EQ(DefaultThreshold(7), 2u);
  EXPECT_EQ(DefaultThreshold(13), 4u);
}

TEST(PartyPorts, FollowTheSpecLayout) {
  absl::StatusOr<LocalParty> p1 = PartyPorts(1, 0);
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(p1->client_port, 50100);
  EXPECT_EQ(p1->peer_port, 50001);
  EXPECT_EQ(p1->metrics_port, 9646);
  absl::StatusOr<LocalParty> p13 = PartyPorts(13, 0);
  EXPECT_EQ(p13->client_port, 51300);
  EXPECT_EQ(p13->peer_port, 50013);
  EXPECT_EQ(p13->metrics_port, 9658);
  EXPECT_EQ(p13->client_endpoint(), "127.0.0.1:51300");
  EXPECT_EQ(PartyPorts(2, 1000)->client_port, 51200);
  EXPECT_FALSE(PartyPorts(1, 20000).ok());
}

TEST(PartyConfigToml, PassesTheServersLoader) {
  LocalClusterOptions options;
  options.params = "test";
  options.decryption_timeout_secs = 8;
  const std::string toml = PartyConfigToml(options, 13, 4, 5);
  service::MapEnvironment env;
  service::ConfigLoadOptions load;
  load.require_tls_files = false;  // kms-gen-keys creates them after the configuration
  service::ConfigLoadResult result = service::ParseConfig(toml, "/tmp/cluster/config", env, load);
  ASSERT_TRUE(result.ok()) << (result.problems.empty() ? "" : result.problems[0].ToString());
  const service::ServerConfig& c = result.config;
  ASSERT_TRUE(c.threshold.has_value());
  EXPECT_EQ(c.threshold->my_id, 5u);
  EXPECT_EQ(c.threshold->threshold, 4u);
  EXPECT_EQ(c.threshold->num_parties(), 13u);
  EXPECT_EQ(c.threshold->decryption_timeout_secs, 8u);
  EXPECT_EQ(c.service.listen_port, 50500);
  EXPECT_EQ(c.threshold->listen_port, 50005);
  EXPECT_EQ(c.telemetry.metrics_bind_address, "127.0.0.1:9650");
  EXPECT_EQ(c.fhe_parameter(), service::FheParameter::kTest);
  EXPECT_EQ(c.threshold->peers[12].port, 50013);
  EXPECT_EQ(c.threshold->peers[12].mpc_identity, "party13.kms.local");
}

TEST(ClusterState, RoundTripsThroughJson) {
  LocalClusterState s;
  s.dir = "/tmp/x";
  s.threshold = 1;
  s.params = "default";
  s.port_offset = 7;
  for (uint32_t id = 1; id <= 4; ++id) {
    LocalParty p = *PartyPorts(id, 7);
    p.pid = 1000 + static_cast<int>(id);
    p.config = "/tmp/x/config/party" + std::to_string(id) + ".toml";
    p.log = "/tmp/x/logs/party" + std::to_string(id) + ".log";
    s.parties.push_back(p);
  }
  absl::StatusOr<LocalClusterState> back = StateFromJson(StateToJson(s));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->dir, s.dir);
  EXPECT_EQ(back->port_offset, 7);
  ASSERT_EQ(back->parties.size(), 4u);
  EXPECT_EQ(back->parties[3].pid, 1004);
  EXPECT_EQ(back->parties[3].client_port, s.parties[3].client_port);
  EXPECT_EQ(back->parties[3].log, s.parties[3].log);
}

TEST(ClusterState, RejectsMalformedFiles) {
  EXPECT_FALSE(StateFromJson("").ok());
  EXPECT_FALSE(StateFromJson("[]").ok());
  EXPECT_FALSE(
      StateFromJson(R"({"dir": "/x", "threshold": 1, "params": "test", "parties": []})").ok());
  absl::StatusOr<LocalClusterState> wrong_id = StateFromJson(
      R"({"dir": "/x", "threshold": 0, "params": "test", "parties": [{"id": 2, "pid": 0,
          "client_port": 1, "peer_port": 2, "metrics_port": 3, "config": "c", "log": "l"}]})");
  ASSERT_FALSE(wrong_id.ok());
  EXPECT_NE(wrong_id.status().message().find("parties[0].id"), absl::string_view::npos);
}

TEST(CheckPortFree, NamesTheTakenPort) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t port = ntohs(addr.sin_port);
  absl::Status taken = CheckPortFree(port, "party 1 client port");
  EXPECT_EQ(taken.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(taken.message().find("port " + std::to_string(port) +
                                 " (party 1 client port) is already in use"),
            absl::string_view::npos);
  close(fd);
  EXPECT_TRUE(CheckPortFree(port, "x").ok());
}

TEST(LocalCluster, OpenWithoutClusterSaysHowToStartOne) {
  absl::StatusOr<LocalCluster> c = LocalCluster::Open("/nonexistent-kms-local");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(c.status().message().find("kms-local up"), absl::string_view::npos);
}

// kms-local pins the operator address that kms-gen-keys published in the party's file vault
// (service::StoreSigningKey, the code kms-gen-keys runs), and refuses a vault whose contents
// were tampered with.
TEST(ReadPublishedSigner, ReadsTheAddressKmsGenKeysPublished) {
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("kms-pinned-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  auto pub = storage::FileStorage::Open(root.string(), "PUB-p1", false);
  auto priv = storage::FileStorage::Open(root.string(), "PRIV-p1", true);
  ASSERT_TRUE(pub.ok() && priv.ok());
  storage::VaultSet vaults = storage::MakeVaultSet(*std::move(pub), *std::move(priv), nullptr);
  const crypto::SigningKey key = crypto::SigningKey::Generate();
  ASSERT_TRUE(service::StoreSigningKey(vaults, key).ok());
  const std::string vault = (root / "PUB-p1").string();
  absl::StatusOr<crypto::EthAddress> got = ReadPublishedSigner(vault);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, key.verification_key().EthereumAddress());

  // Another key's bytes under this key's name: refused.
  const std::string id = service::SignerId(key.verification_key());
  const auto other = crypto::SigningKey::Generate().verification_key().SerializeCompressed();
  {
    std::ofstream out(root / "PUB-p1" / "VerfKey" / id, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(other.data()), other.size());
  }
  absl::StatusOr<crypto::EthAddress> swapped = ReadPublishedSigner(vault);
  EXPECT_EQ(swapped.status().code(), absl::StatusCode::kDataLoss) << swapped.status();
  EXPECT_NE(swapped.status().message().find("not of the address its name says"),
            absl::string_view::npos);
  // Two keys: which one is the operator's is unknown.
  std::ofstream(root / "PUB-p1" / "VerfKey" / "0000", std::ios::binary) << "x";
  EXPECT_EQ(ReadPublishedSigner(vault).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadPublishedSigner((root / "PUB-p9").string()).status().code(),
            absl::StatusCode::kNotFound);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace kms::client
