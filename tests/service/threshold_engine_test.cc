// Four ThresholdEngines in one process, each with RAM vaults, over the real gRPC peer network
// (mutual TLS on loopback): the MPC sessions the service runs, without the request layer. The
// request layer keeps one id table per operation, so the same request id may reach the engine
// under two operations at once; the engine must keep their sessions apart.
#include "service/threshold_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "crypto/random.h"
#include "lwe/formats.h"
#include "lwe/typed_ciphertext.h"
#include "mpc/dkg.h"
#include "storage/ram_storage.h"
#include "testing/grpc_test_cluster.h"

namespace kms::service {
namespace {

using Clock = std::chrono::steady_clock;

Id32 Id(uint8_t v) {
  Id32 id{};
  id.fill(v);
  return id;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// n engines (parties 1..n, threshold t, the `test` parameter set, InsecureKeyGen allowed) with
// their certificates and keys in a temporary folder.
class EngineCluster {
 public:
  EngineCluster(int n, int t) : n_(n) {
    std::string tmpl = "/tmp/kms-engine-XXXXXX";
    const char* made = ::mkdtemp(tmpl.data());
    dir_ = made != nullptr ? made : "";
    std::vector<PeerConfig> peers;
    for (int i = 1; i <= n; ++i) {
      const std::string identity = net::testing::IdentityOf(static_cast<net::Role>(i));
      crypto::TlsIdentity tls = net::testing::MustGenerate(identity);
      WriteText(absl::StrCat(dir_, "/cert-p", i, ".pem"), tls.certificate_pem);
      WriteText(absl::StrCat(dir_, "/key-p", i, ".pem"),
                net::testing::KeyText(tls.private_key_pem));
      PeerConfig peer;
      peer.party_id = static_cast<uint32_t>(i);
      peer.address = "127.0.0.1";
      peer.port = static_cast<uint16_t>(net::testing::FreePort());
      peer.mpc_identity = identity;
      peer.tls_cert = absl::StrCat("cert-p", i, ".pem");
      peers.push_back(peer);
    }
    for (int i = 1; i <= n; ++i) {
      ServerConfig config;
      config.config_dir = dir_;
      ThresholdConfig th;
      th.listen_address = "127.0.0.1";
      th.listen_port = peers[static_cast<size_t>(i - 1)].port;
      th.my_id = static_cast<uint32_t>(i);
      th.threshold = static_cast<uint32_t>(t);
      th.fhe_parameter = FheParameter::kTest;
      th.insecure = true;
      th.round_timeout_secs = 10;
      th.decryption_timeout_secs = 10;
      th.preprocessing_sessions = 2;
      th.tls.cert = absl::StrCat("cert-p", i, ".pem");
      th.tls.key = absl::StrCat("key-p", i, ".pem");
      th.peers = peers;
      config.threshold = th;
      configs_.push_back(config);
    }
  }
  ~EngineCluster() {
    engines_.clear();
    vaults_.clear();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  absl::Status Start() {
    for (int i = 0; i < n_; ++i) {
      vaults_.push_back(std::make_unique<storage::VaultSet>(
          storage::MakeVaultSet(std::make_unique<storage::RamStorage>("PUB"),
                                std::make_unique<storage::RamStorage>("PRIV"), nullptr)));
      absl::StatusOr<std::unique_ptr<ThresholdEngine>> engine =
          ThresholdEngine::Start(configs_[static_cast<size_t>(i)], *vaults_.back());
      if (!engine.ok()) return engine.status();
      engines_.push_back(std::move(*engine));
    }
    return absl::OkStatus();
  }

  ThresholdEngine& engine(int party) { return *engines_[static_cast<size_t>(party - 1)]; }

  // Runs f(engine) on every party at once (each party serves its request on its own thread, as
  // the service's worker pools do) and returns the results in party order.
  template <typename F>
  auto OnAll(F f) -> std::vector<decltype(f(std::declval<ThresholdEngine&>()))> {
    using R = decltype(f(std::declval<ThresholdEngine&>()));
    std::vector<std::future<R>> pending;
    for (auto& e : engines_) {
      ThresholdEngine* engine = e.get();
      pending.push_back(std::async(std::launch::async, [engine, &f] { return f(*engine); }));
    }
    std::vector<R> out;
    for (auto& p : pending) out.push_back(p.get());
    return out;
  }

  uint64_t ActiveSessions(int party) {
    uint64_t rx = 0, tx = 0, sessions = 0;
    engine(party).NetworkTotals(&rx, &tx, &sessions);
    return sessions;
  }

 private:
  const int n_;
  std::string dir_;
  std::vector<ServerConfig> configs_;
  std::vector<std::unique_ptr<storage::VaultSet>> vaults_;
  std::vector<std::unique_ptr<ThresholdEngine>> engines_;
};

// Regression test for the security review's finding "one session-id namespace for all
// operations": PublicDecrypt(R) used DeriveSessionId(R, 0), the id of preprocessing session 0 of
// KeyGenPreproc(R). The decryption then ran on the preprocessing's network session (its messages
// met the other protocol's rounds), and whichever finished first closed the session under the
// other, so the preprocessing failed (or the decryption timed out). Session ids now carry the
// operation, so the two requests run side by side.
TEST(ThresholdEngineTest, PublicDecryptionReusingARunningPreprocessingRequestIdDisturbsNeither) {
  const lwe::LweParameters& params = lwe::TestParameters();
  EngineCluster cluster(4, 1);
  ASSERT_TRUE(cluster.Start().ok());
  const Id32 epoch = DefaultEpochId();
  for (const auto& r :
       cluster.OnAll([&](ThresholdEngine& e) { return e.NewEpoch(epoch, false, epoch); })) {
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // A key to decrypt with (the dealer is enough here: the test is about sessions).
  KeyGenSpec dealer;
  dealer.request_id = Id(0x4b);
  dealer.params = &params;
  dealer.epoch_id = epoch;
  dealer.insecure = true;
  for (const auto& r : cluster.OnAll([&](ThresholdEngine& e) { return e.GenerateKey(dealer); })) {
    ASSERT_TRUE(r.ok()) << r.status();
  }
  auto pk_info = cluster.engine(1).GetPublicKey(dealer.request_id);
  ASSERT_TRUE(pk_info.ok());
  auto pk = lwe::ParseCompactPublicKey(pk_info->public_key);
  ASSERT_TRUE(pk.ok());
  crypto::AesCtrRng rng;
  const auto value = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint16, 0xbeef);
  auto ct = lwe::EncryptTyped(*pk, value, rng);
  ASSERT_TRUE(ct.ok());
  const std::vector<lwe::TypedCiphertext> cts = {*ct};

  // KeyGenPreproc(R) on every party; PublicDecrypt(R) once its sessions are open everywhere.
  const Id32 shared = Id(0x5a);
  auto preprocessing = std::async(std::launch::async, [&] {
    return cluster.OnAll([&](ThresholdEngine& e) { return e.Preprocess(shared, params, epoch); });
  });
  const Clock::time_point give_up = Clock::now() + std::chrono::seconds(30);
  for (int p = 1; p <= 4; ++p) {
    while (cluster.ActiveSessions(p) == 0 && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  auto decrypted = cluster.OnAll(
      [&](ThresholdEngine& e) { return e.PublicDecrypt(shared, dealer.request_id, epoch, cts); });
  const bool overlapped =
      preprocessing.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
  std::printf("[ info ] the decryption %s while the preprocessing was running\n",
              overlapped ? "finished" : "did not finish");
  for (size_t p = 0; p < decrypted.size(); ++p) {
    EXPECT_TRUE(decrypted[p].ok())
        << "decryption, party " << p + 1 << ": " << decrypted[p].status();
    if (decrypted[p].ok()) {
      EXPECT_THAT(*decrypted[p], ::testing::ElementsAre(value)) << "party " << p + 1;
    }
  }
  const auto preprocessed = preprocessing.get();
  for (size_t p = 0; p < preprocessed.size(); ++p) {
    EXPECT_TRUE(preprocessed[p].ok())
        << "preprocessing, party " << p + 1 << ": " << preprocessed[p].status();
    if (preprocessed[p].ok()) {
      EXPECT_EQ(preprocessed[p]->bits, mpc::DkgBitsNeeded(params));
    }
  }
  ASSERT_FALSE(HasFailure());

  // The preprocessed material is consistent across the parties: a DKG consumes it, and its key
  // decrypts (again under a request id another operation used: the DKG's own id).
  KeyGenSpec dkg;
  dkg.request_id = Id(0x4c);
  dkg.preprocessing_id = shared;
  dkg.params = &params;
  dkg.epoch_id = epoch;
  for (const auto& r : cluster.OnAll([&](ThresholdEngine& e) { return e.GenerateKey(dkg); })) {
    ASSERT_TRUE(r.ok()) << r.status();
  }
  auto dkg_pk_info = cluster.engine(1).GetPublicKey(dkg.request_id);
  ASSERT_TRUE(dkg_pk_info.ok());
  auto dkg_pk = lwe::ParseCompactPublicKey(dkg_pk_info->public_key);
  ASSERT_TRUE(dkg_pk.ok());
  auto dkg_ct = lwe::EncryptTyped(*dkg_pk, value, rng);
  ASSERT_TRUE(dkg_ct.ok());
  const std::vector<lwe::TypedCiphertext> dkg_cts = {*dkg_ct};
  for (const auto& r : cluster.OnAll([&](ThresholdEngine& e) {
         return e.PublicDecrypt(dkg.request_id, dkg.request_id, epoch, dkg_cts);
       })) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)[0], value);
  }
}

}  // namespace
}  // namespace kms::service
