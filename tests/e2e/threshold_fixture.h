// A four-party threshold cluster (n = 4, t = 1) of kms-server processes on loopback, as a test
// fixture shared by the tests of one suite: kms-gen-keys per party, every configuration pointing
// at the others' certificates, all four started at once; helpers to send one request to several
// parties at once, to check public decryptions and to reconstruct user decryptions.
// Params::kFheParameter names the parameter set of the configurations ("test" / "default").
#ifndef KMS_TESTS_E2E_THRESHOLD_FIXTURE_H_
#define KMS_TESTS_E2E_THRESHOLD_FIXTURE_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <thread>

#include "e2e/kms_test_client.h"
#include "e2e/server_harness.h"

namespace kms::e2e {

inline constexpr int kParties = 4;
inline constexpr int kThreshold = 1;

inline std::string DefaultEpoch() { return std::string(63, '0') + "1"; }

inline double Millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

inline long RssKb(pid_t pid) {
  std::istringstream in(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

template <typename Params>
class ThresholdClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ports_.resize(kParties);
    for (auto& p : ports_) p = ServerPorts{FreePort(), FreePort(), FreePort()};
    for (int i = 1; i <= kParties; ++i) {
      WriteFile(ConfigPath(i), ThresholdConfig(dir_->path(), ports_, i, kThreshold,
                                               Params::kFheParameter, ExtraThresholdConfig()));
      std::string out;
      ASSERT_EQ(RunProgram({GenKeysBinary(), "--config-file", ConfigPath(i)}, &out), 0) << out;
      ASSERT_THAT(out, ::testing::HasSubstr("CN and SAN party" + std::to_string(i) + ".kms.local"));
    }
    for (int i = 1; i <= kParties; ++i) {
      servers_.push_back(new ServerProcess(ConfigPath(i), *dir_ / absl::StrCat("p", i, ".log")));
      ASSERT_TRUE(servers_.back()->Start());
    }
    std::vector<double> startup;
    for (int i = 1; i <= kParties; ++i) {
      auto up = WaitServing(ports_[i - 1].client, servers_[i - 1], std::chrono::seconds(60));
      ASSERT_TRUE(up.has_value()) << servers_[i - 1]->Log();
      startup.push_back(Millis(*up));
    }
    std::printf(
        "[ measure ] %s parameters: threshold start-up to SERVING (4 parties at once): "
        "median %.0f ms\n",
        Params::kFheParameter, Median(startup));
    ASSERT_EQ(Signers().size(), static_cast<size_t>(kParties));  // cached while all are up
  }
  static void TearDownTestSuite() {
    for (auto* s : servers_) delete s;
    servers_.clear();
    delete dir_;
    dir_ = nullptr;
  }
  void TearDown() override {
    if (HasFailure()) {
      for (int i = 1; i <= kParties; ++i) {
        std::string log = servers_[i - 1]->Log();
        if (log.size() > 6000) log = log.substr(log.size() - 6000);
        std::printf("---- party %d log (tail) ----\n%s\n", i, log.c_str());
      }
    }
  }

  // Params::kExtraThreshold (optional): more lines for the [threshold] section.
  static std::string ExtraThresholdConfig() {
    if constexpr (requires { Params::kExtraThreshold; }) {
      return Params::kExtraThreshold;
    } else {
      return "";
    }
  }

  static std::string ConfigPath(int party) {
    return *dir_ / absl::StrCat("config_p", party, ".toml");
  }
  static int Port(int party) { return ports_[party - 1].client; }

  // Runs `call(party)` for every party in `parties` at once (the parties of one protocol must
  // all receive the request) and returns the statuses in party order.
  static std::vector<grpc::Status> OnAll(const std::vector<int>& parties,
                                         const std::function<grpc::Status(int)>& call) {
    std::vector<grpc::Status> out(parties.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < parties.size(); ++i) {
      threads.emplace_back([&, i] { out[i] = call(parties[i]); });
    }
    for (auto& t : threads) t.join();
    return out;
  }
  static std::vector<int> All() { return {1, 2, 3, 4}; }

  static void ExpectAllOk(const std::vector<grpc::Status>& statuses) {
    for (size_t i = 0; i < statuses.size(); ++i) {
      EXPECT_TRUE(statuses[i].ok()) << "party index " << i << ": " << statuses[i].error_message();
    }
  }

  // How many preprocessing chunks of run `pre_id` party `p` holds in its private vault.
  static size_t PreprocChunksOnDisk(int p, const std::string& pre_id) {
    const std::filesystem::path dir = *dir_ / absl::StrCat("keys/PRIV-p", p, "/PreprocChunk");
    std::error_code ec;
    size_t n = 0;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (it->path().filename().string().rfind(pre_id, 0) == 0) ++n;
    }
    return n;
  }

  // Waits until every party has stored a chunk of `pre_id` (at most 60 s), then kills every
  // party (SIGKILL) in the middle of the run; returns the chunks each kept.
  static std::vector<size_t> KillEveryPartyDuringPreprocessing(const std::string& pre_id) {
    const auto give_up = Clock::now() + std::chrono::seconds(60);
    for (int p : All()) {
      while (PreprocChunksOnDisk(p, pre_id) == 0 && Clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
    for (auto* s : servers_) s->Signal(SIGKILL);
    std::vector<size_t> kept;
    for (int p : All()) {
      EXPECT_TRUE(servers_[p - 1]->Wait(std::chrono::seconds(10)).has_value());
      kept.push_back(PreprocChunksOnDisk(p, pre_id));
      EXPECT_GT(kept.back(), 0u) << "party " << p << " stored no chunk before it was killed";
      const std::string manifest =
          ReadFile(*dir_ / absl::StrCat("keys/PRIV-p", p, "/PreprocManifest/", pre_id));
      EXPECT_FALSE(manifest.empty()) << "party " << p;
      EXPECT_TRUE(!manifest.empty() && manifest.back() == '\0')
          << "party " << p << " finished before it was killed";
    }
    std::printf("[ measure ] chunks on disk when every party was killed: %zu %zu %zu %zu\n",
                kept[0], kept[1], kept[2], kept[3]);
    return kept;
  }

  // Starts every party again and waits until each serves.
  static void RestartEveryParty() {
    for (int p : All()) ASSERT_TRUE(servers_[p - 1]->Start());
    for (int p : All()) {
      ASSERT_TRUE(WaitServing(Port(p), servers_[p - 1], std::chrono::seconds(60)).has_value())
          << servers_[p - 1]->Log();
    }
  }

  // The signer addresses of the parties, from GetOperatorPublicKey.
  static std::map<uint32_t, crypto::EthAddress> Signers() {
    static std::map<uint32_t, crypto::EthAddress> out;
    if (!out.empty()) return out;
    for (int i = 1; i <= kParties; ++i) {
      auto stub = Stub(Port(i));
      kms::v1::OperatorPublicKeyResponse op;
      auto ctx = Context();
      EXPECT_TRUE(stub->GetOperatorPublicKey(ctx.get(), {}, &op).ok());
      EXPECT_EQ(op.party_id(), static_cast<uint32_t>(i));
      auto a = crypto::ParseEthAddress(op.address());
      EXPECT_TRUE(a.ok());
      if (a.ok()) out[static_cast<uint32_t>(i)] = *a;
    }
    return out;
  }

  // Public decryption on `parties`; every answer must hold `values`. Returns the wall time.
  static Clock::duration PublicDecryptOn(const std::vector<int>& parties, const std::string& key_id,
                                         const std::vector<kms::v1::TypedCiphertext>& cts,
                                         const std::vector<lwe::TypedPlaintext>& values) {
    const auto req = PublicDecryptionRequest(key_id, cts);
    std::vector<kms::v1::PublicDecryptionResponse> responses(kParties + 1);
    const auto start = Clock::now();
    auto statuses = OnAll(parties, [&](int p) {
      auto stub = Stub(Port(p));
      auto ctx = Context(std::chrono::seconds(60));
      return stub->PublicDecryptSync(ctx.get(), req, &responses[p]);
    });
    const auto took = Clock::now() - start;
    ExpectAllOk(statuses);
    for (int p : parties) {
      EXPECT_EQ(Plaintexts(responses[p]), values) << "party " << p;
      EXPECT_EQ(responses[p].party_id(), static_cast<uint32_t>(p));
    }
    return took;
  }

  // User decryption on `parties`, reconstructed by the client.
  static void UserDecryptOn(const std::vector<int>& parties, const std::string& key_id,
                            const std::vector<kms::v1::TypedCiphertext>& cts,
                            const std::vector<lwe::TypedPlaintext>& values,
                            Clock::duration* took = nullptr) {
    TestUser user;
    const auto req = user.Request(key_id, cts);
    std::vector<kms::v1::UserDecryptionResponse> by_party(kParties + 1);
    const auto start = Clock::now();
    auto statuses = OnAll(parties, [&](int p) {
      auto stub = Stub(Port(p));
      auto ctx = Context(std::chrono::seconds(60));
      return stub->UserDecryptSync(ctx.get(), req, &by_party[p]);
    });
    ExpectAllOk(statuses);
    std::vector<kms::v1::UserDecryptionResponse> responses;
    for (int p : parties) responses.push_back(by_party[p]);
    std::vector<client::RejectedResponse> rejected;
    auto pts = client::ReconstructUserDecryption(responses, user.keys.private_key, Signers(),
                                                 user.Info(req), &rejected);
    if (took != nullptr) *took = Clock::now() - start;
    ASSERT_TRUE(pts.ok()) << pts.status() << (rejected.empty() ? "" : " " + rejected[0].reason);
    EXPECT_TRUE(rejected.empty());
    EXPECT_EQ(*pts, values);
  }

  inline static TempDir* dir_ = nullptr;
  inline static std::vector<ServerPorts> ports_;
  inline static std::vector<ServerProcess*> servers_;
  inline static std::string key_id_;  // made by the DKG
  inline static std::string public_key_;
  inline static std::string insecure_key_id_;  // made by the dealer
};

}  // namespace kms::e2e

#endif  // KMS_TESTS_E2E_THRESHOLD_FIXTURE_H_
