// Four ThresholdEngines in one process, each with RAM vaults, over the real gRPC peer network
// (mutual TLS on loopback): the MPC sessions the service runs, without the request layer. The
// request layer keeps one id table per operation, so the same request id may reach the engine
// under two operations at once; the engine must keep their sessions apart. It also forgets ids
// (eviction, restart), so a reused id must never repeat a PRSS output or run a session twice.
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
#include "algebra/robust_reconstruction.h"
#include "common/status_macros.h"
#include "crypto/random.h"
#include "lwe/formats.h"
#include "lwe/typed_ciphertext.h"
#include "mpc/decryption.h"
#include "mpc/dkg.h"
#include "mpc/tfhe_decryption.h"
#include "service/tfhe_ciphertext.h"
#include "service/tfhe_key_record.h"
#include "storage/ram_storage.h"
#include "testing/grpc_test_cluster.h"
#include "testing/prss_fixture.h"
#include "testing/seeded_rng.h"
#include "testing/tfhe_share_decryption.h"
#include "tfhe/compact_encryption.h"
#include "tfhe/expansion.h"
#include "tfhe/server_key.h"

namespace kms::service {
namespace {

using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;

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

  // Items per preprocessing chunk (before Start).
  void SetPreprocessingChunk(uint32_t items) {
    for (ServerConfig& c : configs_) c.threshold->preprocessing_chunk = items;
  }

  absl::Status Start() {
    for (int i = 0; i < n_; ++i) {
      if (vaults_.size() <= static_cast<size_t>(i)) {
        vaults_.push_back(std::make_unique<storage::VaultSet>(
            storage::MakeVaultSet(std::make_unique<storage::RamStorage>("PUB"),
                                  std::make_unique<storage::RamStorage>("PRIV"), nullptr)));
      }
      absl::StatusOr<std::unique_ptr<ThresholdEngine>> engine = ThresholdEngine::Start(
          configs_[static_cast<size_t>(i)], *vaults_[static_cast<size_t>(i)]);
      if (!engine.ok()) return engine.status();
      engines_.push_back(std::move(*engine));
    }
    return absl::OkStatus();
  }

  // Every engine stops and starts again over the same vaults (what a restart keeps).
  absl::Status Restart() {
    engines_.clear();
    return Start();
  }

  ThresholdEngine& engine(int party) { return *engines_[static_cast<size_t>(party - 1)]; }
  storage::VaultSet& vaults(int party) { return *vaults_[static_cast<size_t>(party - 1)]; }

  // Runs f(engine) on every party at once (each party serves its request on its own thread, as
  // the service's worker pools do) and returns the results in party order.
  template <typename F>
  auto OnAll(F f) -> std::vector<decltype(f(std::declval<ThresholdEngine&>()))> {
    std::vector<int> all;
    for (int p = 1; p <= n_; ++p) all.push_back(p);
    return On(all, std::move(f));
  }
  // The same on `parties` only (the others do not take part), results in that order.
  template <typename F>
  auto On(const std::vector<int>& parties, F f)
      -> std::vector<decltype(f(std::declval<ThresholdEngine&>()))> {
    using R = decltype(f(std::declval<ThresholdEngine&>()));
    std::vector<std::future<R>> pending;
    for (int p : parties) {
      ThresholdEngine* engine = &this->engine(p);
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

// What the request layer does: record the key id, then run the key generation.
absl::StatusOr<PublicKeyInfo> ReserveAndGenerate(ThresholdEngine& e, const KeyGenSpec& spec) {
  KMS_RETURN_IF_ERROR(e.ReserveKeyGen(spec.request_id));
  return e.GenerateKey(spec);
}

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
  for (const auto& r : cluster.OnAll([&](ThresholdEngine& e) -> absl::StatusOr<EpochInfo> {
         KMS_RETURN_IF_ERROR(e.ReserveEpochRun(epoch, false, epoch));
         return e.NewEpoch(epoch, false, epoch);
       })) {
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // A key to decrypt with (the dealer is enough here: the test is about sessions).
  KeyGenSpec dealer;
  dealer.request_id = Id(0x4b);
  dealer.params = &params;
  dealer.epoch_id = epoch;
  dealer.insecure = true;
  for (const auto& r :
       cluster.OnAll([&](ThresholdEngine& e) { return ReserveAndGenerate(e, dealer); })) {
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
    return cluster.OnAll([&](ThresholdEngine& e) -> absl::StatusOr<PreprocessingInfo> {
      KMS_RETURN_IF_ERROR(e.ReservePreprocessing(shared));
      return e.Preprocess(shared, &params, epoch);
    });
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
  for (const auto& r :
       cluster.OnAll([&](ThresholdEngine& e) { return ReserveAndGenerate(e, dkg); })) {
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

void InitEpoch(EngineCluster& cluster) {
  const Id32 epoch = DefaultEpochId();
  for (const auto& r : cluster.OnAll([&](ThresholdEngine& e) -> absl::StatusOr<EpochInfo> {
         KMS_RETURN_IF_ERROR(e.ReserveEpochRun(epoch, false, epoch));
         return e.NewEpoch(epoch, false, epoch);
       })) {
    EXPECT_TRUE(r.ok()) << r.status();
  }
}

// Waits until every party has stored at least `fraction` of the run's items.
bool WaitForProgress(EngineCluster& cluster, int n, const Id32& id, double fraction) {
  const Clock::time_point give_up = Clock::now() + std::chrono::seconds(60);
  for (int p = 1; p <= n; ++p) {
    while (true) {
      const std::optional<PreprocessingProgress> progress =
          cluster.engine(p).RunningPreprocessing(id);
      if (progress.has_value() && progress->total > 0 &&
          static_cast<double>(progress->done) >= fraction * static_cast<double>(progress->total)) {
        break;
      }
      if (Clock::now() > give_up) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  return true;
}

// Public decryption of a fresh encryption under the key `key_id` on every party.
void ExpectKeyDecrypts(EngineCluster& cluster, const Id32& key_id) {
  auto pk_info = cluster.engine(1).GetPublicKey(key_id);
  ASSERT_TRUE(pk_info.ok()) << pk_info.status();
  auto pk = lwe::ParseCompactPublicKey(pk_info->public_key);
  ASSERT_TRUE(pk.ok());
  crypto::AesCtrRng rng;
  const auto value = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint16, 0x1234);
  auto ct = lwe::EncryptTyped(*pk, value, rng);
  ASSERT_TRUE(ct.ok());
  const std::vector<lwe::TypedCiphertext> cts = {*ct};
  for (const auto& r : cluster.OnAll([&](ThresholdEngine& e) {
         return e.PublicDecrypt(Id(0x99), key_id, DefaultEpochId(), cts);
       })) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)[0], value);
  }
}

// Preprocessing is stored chunk by chunk: every party restarts in the middle of a run, and the
// run resumes from what the parties hold (the chunks made before the restart are kept, the
// lanes agree where to go on), and the material it ends with makes a key that decrypts.
TEST(ThresholdEngineTest, PreprocessingResumesAfterEveryPartyRestarts) {
  const lwe::LweParameters& params = lwe::TestParameters();
  EngineCluster cluster(4, 1);
  cluster.SetPreprocessingChunk(400);
  ASSERT_TRUE(cluster.Start().ok());
  InitEpoch(cluster);
  ASSERT_FALSE(HasFailure());
  const Id32 epoch = DefaultEpochId(), pre = Id(0x61);
  auto first = std::async(std::launch::async, [&] {
    return cluster.OnAll([&](ThresholdEngine& e) -> absl::StatusOr<PreprocessingInfo> {
      KMS_RETURN_IF_ERROR(e.ReservePreprocessing(pre));
      return e.Preprocess(pre, &params, epoch);
    });
  });
  ASSERT_TRUE(WaitForProgress(cluster, 4, pre, 0.3)) << "no progress";
  for (int p = 1; p <= 4; ++p) cluster.engine(p).Shutdown();  // every party goes down
  for (const auto& r : first.get()) EXPECT_FALSE(r.ok());

  std::vector<uint64_t> kept(4);
  for (int p = 1; p <= 4; ++p) {
    PreprocessingStore store(*cluster.vaults(p).private_vault);
    auto runs = store.LoadAll();
    ASSERT_TRUE(runs.ok()) << runs.status();
    ASSERT_EQ(runs->size(), 1u);
    EXPECT_FALSE((*runs)[0].complete);
    kept[static_cast<size_t>(p - 1)] = (*runs)[0].items_done();
    EXPECT_GT(kept[static_cast<size_t>(p - 1)], 0u) << "party " << p;
  }
  // The parties need not hold the same chunks: party 2 lost its last chunk of lane 0 (it
  // crashed between storing it and counting it), and party 4 claims to hold nothing of lane 1
  // (a corrupt party may; it only costs the others work). Every lane resumes at the smallest
  // count, so all remake the same chunks in the same sessions.
  {
    PreprocessingStore store(*cluster.vaults(2).private_vault);
    auto runs = store.LoadAll();
    ASSERT_TRUE(runs.ok());
    std::vector<uint64_t> fewer = (*runs)[0].chunks_stored;
    ASSERT_GT(fewer[0], 0u);
    fewer[0] -= 1;
    ASSERT_TRUE(store.Resume(pre, 0, fewer).ok());
  }
  {
    PreprocessingStore store(*cluster.vaults(4).private_vault);
    auto runs = store.LoadAll();
    ASSERT_TRUE(runs.ok());
    std::vector<uint64_t> none = (*runs)[0].chunks_stored;
    none[1] = 0;
    ASSERT_TRUE(store.Resume(pre, 0, none).ok());
  }
  ASSERT_TRUE(cluster.Restart().ok());
  // Interrupted: not usable by a key generation until it is resumed.
  KeyGenSpec dkg;
  dkg.request_id = Id(0x62);
  dkg.preprocessing_id = pre;
  dkg.params = &params;
  dkg.epoch_id = epoch;
  absl::Status early = cluster.engine(1).CheckKeyGen(dkg);
  EXPECT_TRUE(absl::IsFailedPrecondition(early)) << early;
  EXPECT_THAT(early.message(), HasSubstr("was interrupted"));

  for (const auto& r : cluster.OnAll([&](ThresholdEngine& e) -> absl::StatusOr<PreprocessingInfo> {
         KMS_RETURN_IF_ERROR(e.ReservePreprocessing(pre));  // the same request again: resumes
         return e.Preprocess(pre, &params, epoch);
       })) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->bits, mpc::DkgBitsNeeded(params));
  }
  for (int p = 1; p <= 4; ++p) {
    PreprocessingStore store(*cluster.vaults(p).private_vault);
    auto runs = store.LoadAll();
    ASSERT_TRUE(runs.ok());
    ASSERT_EQ(runs->size(), 1u);
    EXPECT_TRUE((*runs)[0].complete);
    EXPECT_EQ((*runs)[0].layout.attempt, 1u);
  }
  std::printf(
      "[ info ] items kept over the restart per party: %llu %llu %llu %llu of %llu\n",
      static_cast<unsigned long long>(kept[0]), static_cast<unsigned long long>(kept[1]),
      static_cast<unsigned long long>(kept[2]), static_cast<unsigned long long>(kept[3]),
      static_cast<unsigned long long>(mpc::DkgBitsNeeded(params) + mpc::DkgRandomsNeeded(params)));
  ASSERT_TRUE(cluster.engine(1).CheckKeyGen(dkg).ok());
  for (const auto& r :
       cluster.OnAll([&](ThresholdEngine& e) { return ReserveAndGenerate(e, dkg); })) {
    ASSERT_TRUE(r.ok()) << r.status();
  }
  ExpectKeyDecrypts(cluster, dkg.request_id);
  // The KeyGen consumed the material: nothing of it is left in the vaults.
  for (int p = 1; p <= 4; ++p) {
    EXPECT_TRUE(cluster.vaults(p).private_vault->List(kPreprocChunk)->empty()) << "party " << p;
    EXPECT_TRUE(cluster.vaults(p).private_vault->List(kPreprocManifest)->empty()) << "party " << p;
  }
}

// AbortKeyGen of a running preprocessing stops it after its current chunks and deletes what it
// stored.
TEST(ThresholdEngineTest, AbortingARunningPreprocessingStopsItAndDropsItsMaterial) {
  const lwe::LweParameters& params = lwe::TestParameters();
  EngineCluster cluster(4, 1);
  cluster.SetPreprocessingChunk(300);
  ASSERT_TRUE(cluster.Start().ok());
  InitEpoch(cluster);
  ASSERT_FALSE(HasFailure());
  const Id32 pre = Id(0x63);
  auto run = std::async(std::launch::async, [&] {
    return cluster.OnAll([&](ThresholdEngine& e) -> absl::StatusOr<PreprocessingInfo> {
      KMS_RETURN_IF_ERROR(e.ReservePreprocessing(pre));
      return e.Preprocess(pre, &params, DefaultEpochId());
    });
  });
  ASSERT_TRUE(WaitForProgress(cluster, 4, pre, 0.2)) << "no progress";
  for (int p = 1; p <= 4; ++p) EXPECT_TRUE(cluster.engine(p).DropPreprocessing(pre).ok());
  for (const auto& r : run.get()) {
    EXPECT_TRUE(absl::IsCancelled(r.status())) << r.status();
  }
  for (int p = 1; p <= 4; ++p) {
    EXPECT_TRUE(cluster.vaults(p).private_vault->List(kPreprocChunk)->empty()) << "party " << p;
    EXPECT_TRUE(cluster.vaults(p).private_vault->List(kPreprocManifest)->empty()) << "party " << p;
    EXPECT_FALSE(cluster.engine(p).RunningPreprocessing(pre).has_value());
    EXPECT_TRUE(absl::IsNotFound(cluster.engine(p).DropPreprocessing(pre)));
  }
}

// Every party makes the PRSS of the default epoch and a dealer key of the test set; returns
// the key id.
Id32 InitAndDealKey(EngineCluster& cluster) {
  const Id32 epoch = DefaultEpochId();
  InitEpoch(cluster);
  KeyGenSpec dealer;
  dealer.request_id = Id(0x4b);
  dealer.params = &lwe::TestParameters();
  dealer.epoch_id = epoch;
  dealer.insecure = true;
  for (const auto& r :
       cluster.OnAll([&](ThresholdEngine& e) { return ReserveAndGenerate(e, dealer); })) {
    EXPECT_TRUE(r.ok()) << r.status();
  }
  return dealer.request_id;
}

// The user's view of a user decryption: the block values Δm + e + mask, reconstructed from the
// packed shares of every party (one ciphertext).
std::vector<algebra::Z128> OpenedBlocks(
    const std::vector<absl::StatusOr<UserDecryptionOutput>>& out, size_t blocks) {
  algebra::ShareColumns<algebra::Gr128> cols;
  for (size_t p = 0; p < out.size(); ++p) {
    EXPECT_TRUE(out[p].ok()) << "party " << p + 1 << ": " << out[p].status();
    if (!out[p].ok()) return {};
    cols.parties.push_back(static_cast<int>(p + 1));
    cols.values.push_back(out[p]->packed.at(0));
  }
  auto packed = algebra::ReconstructBatchSync<algebra::Gr128>({4, 1, 1}, cols, 0);
  EXPECT_TRUE(packed.ok());
  if (!packed.ok()) return {};
  std::vector<algebra::Z128> values;
  for (const algebra::Gr128& e : packed.value())
    for (int l = 0; l < mpc::kUserDecryptionPacking; ++l) values.push_back(e[l]);
  values.resize(blocks);
  return values;
}

// Regression test for the security review's finding "reusable request ids feed the PRSS". A user
// decryption's masks were the PRSS outputs of session DeriveSessionId({kUserDecryption, R}, i),
// so two requests under one request id R got the same masks whatever their ciphertexts, and the
// request table forgets R after eviction or a restart. The user (who reconstructs the masked
// values) sends R with an honest ciphertext c = (a, b), then R with the all-zero ciphertext:
// the second answer is the mask E itself, and the first minus the second is b - <a, s> = Δm + e,
// with the raw encryption noise e that flooding exists to hide (with chosen a, n such values
// give the key). The same holds for the opened values of a public decryption, which every party
// sees. Session ids now bind the ciphertexts (and the key and epoch), so the second request
// draws other masks. Checked two ways: the zero answer no longer cancels the honest answer's
// mask, and a ciphertext shifted by Δ no longer answers exactly Δ more.
TEST(ThresholdEngineTest, UserDecryptionsUnderOneRequestIdWithOtherCiphertextsGetOtherMasks) {
  const lwe::LweParameters& params = lwe::TestParameters();
  EngineCluster cluster(4, 1);
  ASSERT_TRUE(cluster.Start().ok());
  const Id32 key_id = InitAndDealKey(cluster);
  ASSERT_FALSE(HasFailure());
  const Id32 epoch = DefaultEpochId();
  auto pk_info = cluster.engine(1).GetPublicKey(key_id);
  ASSERT_TRUE(pk_info.ok());
  auto pk = lwe::ParseCompactPublicKey(pk_info->public_key);
  ASSERT_TRUE(pk.ok());
  crypto::AesCtrRng rng;
  const auto value = *lwe::TypedPlaintext::FromString(
      lwe::FheType::kEuint256,
      "0xfedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
  auto honest = lwe::EncryptTyped(*pk, value, rng);
  ASSERT_TRUE(honest.ok());
  const size_t blocks = honest->list.bodies.size();
  lwe::TypedCiphertext zero = *honest;
  std::fill(zero.list.mask.begin(), zero.list.mask.end(), algebra::Z128{0});
  std::fill(zero.list.bodies.begin(), zero.list.bodies.end(), algebra::Z128{0});
  lwe::TypedCiphertext shifted = *honest;
  for (auto& b : shifted.list.bodies) b += params.delta;

  const Id32 reused = Id(0x77);
  auto decrypt = [&](const lwe::TypedCiphertext& ct) {
    const std::vector<lwe::TypedCiphertext> cts = {ct};
    return OpenedBlocks(cluster.OnAll([&](ThresholdEngine& e) {
      return e.UserDecrypt(reused, key_id, epoch, cts);
    }),
                        blocks);
  };
  const std::vector<algebra::Z128> v_honest = decrypt(*honest);
  const std::vector<algebra::Z128> v_zero = decrypt(zero);
  const std::vector<algebra::Z128> v_shifted = decrypt(shifted);
  ASSERT_EQ(v_honest.size(), blocks);
  ASSERT_EQ(v_zero.size(), blocks);
  ASSERT_EQ(v_shifted.size(), blocks);

  // The honest answer still decrypts.
  std::vector<mpc::Share> opened;
  for (algebra::Z128 v : v_honest) opened.push_back(mpc::Share::FromScalar(v));
  auto pt = mpc::DecodeOpenedBlocks(value.type, opened, params);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(*pt, value);

  // |e| <= 512 · 2^20 + 2^20 < 2^30 for this set; the flooding masks are of size 2^31 and more.
  const algebra::Z128 noise_bound = algebra::Z128{1} << 30;
  size_t exact_shifts = 0, raw_noise_blocks = 0;
  for (size_t j = 0; j < blocks; ++j) {
    if (v_shifted[j] - v_honest[j] == params.delta) ++exact_shifts;
    const algebra::Z128 residue = (v_honest[j] - v_zero[j]) & (params.delta - 1);
    const algebra::Z128 distance = std::min(residue, params.delta - residue);
    if (distance < noise_bound) ++raw_noise_blocks;
  }
  std::printf(
      "[ info ] %zu blocks: %zu answered exactly delta more when shifted, %zu within the "
      "encryption noise of the phase\n",
      blocks, exact_shifts, raw_noise_blocks);
  EXPECT_EQ(exact_shifts, 0u) << "the two requests' masks cancelled: they are the same masks";
  EXPECT_LT(raw_noise_blocks, blocks)
      << "honest answer minus zero answer is b - <a, s> with its raw noise on every block: the "
         "user read the phase";
}

// Ids that started sessions are recorded in the private vault before the work starts and are
// refused for good, also after every party restarted (the request table forgets ids; so did the
// engine, whose preprocessed material is memory only): a preprocessing id re-run with another
// layout would otherwise hand out PRSS outputs a second time, a PRSS init run id would repeat
// its session.
TEST(ThresholdEngineTest, SessionIdsAreRecordedForGoodAndSurviveARestart) {
  const lwe::LweParameters& params = lwe::TestParameters();
  EngineCluster cluster(4, 1);
  ASSERT_TRUE(cluster.Start().ok());
  const Id32 epoch = DefaultEpochId();
  InitAndDealKey(cluster);
  ASSERT_FALSE(HasFailure());
  ThresholdEngine& e1 = cluster.engine(1);

  // Plain init again (run id = epoch id): the epoch exists, nothing runs, nothing is refused.
  EXPECT_TRUE(e1.ReserveEpochRun(epoch, false, epoch).ok());
  auto again = e1.NewEpoch(epoch, false, epoch);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  // Forced with the run id that already ran: refused.
  absl::Status forced = e1.ReserveEpochRun(epoch, true, epoch);
  EXPECT_TRUE(absl::IsAlreadyExists(forced)) << forced;

  const Id32 pre = Id(0x21), key = Id(0x31);
  EXPECT_TRUE(e1.ReservePreprocessing(pre).ok());
  absl::Status pre_again = e1.ReservePreprocessing(pre);
  EXPECT_TRUE(absl::IsAlreadyExists(pre_again)) << pre_again;
  EXPECT_THAT(pre_again.message(), HasSubstr("never reused"));
  EXPECT_TRUE(e1.ReserveKeyGen(key).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(e1.ReserveKeyGen(key)));
  // One namespace per kind: the same bytes as a preprocessing id and a key id are two ids.
  EXPECT_TRUE(e1.ReserveKeyGen(pre).ok());

  // Nothing starts without its record.
  auto unrecorded = e1.Preprocess(Id(0x22), &params, epoch);
  EXPECT_TRUE(absl::IsFailedPrecondition(unrecorded.status())) << unrecorded.status();
  KeyGenSpec spec;
  spec.request_id = Id(0x32);
  spec.params = &params;
  spec.epoch_id = epoch;
  spec.insecure = true;
  auto unrecorded_key = e1.GenerateKey(spec);
  EXPECT_TRUE(absl::IsFailedPrecondition(unrecorded_key.status())) << unrecorded_key.status();

  // The records hold the kind and the id, nothing else.
  auto record = cluster.vaults(1).private_vault->Get(storage::kSessionLedger,
                                                     "preprocessing-" + IdToHex(pre));
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->size(), 48u);

  ASSERT_TRUE(cluster.Restart().ok());
  ThresholdEngine& r1 = cluster.engine(1);
  EXPECT_TRUE(absl::IsAlreadyExists(r1.ReservePreprocessing(pre)));
  EXPECT_TRUE(absl::IsAlreadyExists(r1.ReserveKeyGen(key)));
  spec.request_id = key;
  absl::Status check = r1.CheckKeyGen(spec);
  EXPECT_TRUE(absl::IsAlreadyExists(check)) << check;
  EXPECT_THAT(check.message(), HasSubstr("SessionLedger"));

  // DestroyMpcEpoch, then the plain init again: its run id (the epoch id) ran before.
  ASSERT_TRUE(r1.DestroyEpoch(epoch).ok());
  absl::Status plain = r1.ReserveEpochRun(epoch, false, epoch);
  EXPECT_TRUE(absl::IsAlreadyExists(plain)) << plain;
  EXPECT_THAT(plain.message(), HasSubstr("request_id: missing, so the run id is the epoch id"));
  EXPECT_THAT(plain.message(), HasSubstr("fresh request_id"));
  // A fresh run id is accepted (the init itself is not run here: one party only).
  EXPECT_TRUE(r1.ReserveEpochRun(epoch, false, Id(0x99)).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(r1.ReserveEpochRun(epoch, false, Id(0x99))));
}

}  // namespace
}  // namespace kms::service

namespace kms::service {
namespace {

// The computing keys of the ServerKey party `p` published for keyset `id` (read streamed).
absl::StatusOr<tfhe::ComputeKeys> StoredComputeKeys(EngineCluster& cluster, int p,
                                                    const std::string& id) {
  Bytes bytes;
  KMS_RETURN_IF_ERROR(
      cluster.vaults(p).public_vault->GetStream(storage::kServerKey, id, [&](ByteSpan piece) {
        bytes.insert(bytes.end(), piece.begin(), piece.end());
        return absl::OkStatus();
      }));
  KMS_ASSIGN_OR_RETURN(tfhe::PublishedServerKey key, tfhe::ParsePublishedServerKey(bytes));
  return tfhe::LoadPublishedServerKey(key);
}

// x and y (u8) in one compact list under the CompactPublicKey `cpk_bytes`.
absl::StatusOr<tfhe::CompactCiphertextList> EncryptPair(const Bytes& cpk_bytes, uint64_t x,
                                                        uint64_t y) {
  KMS_ASSIGN_OR_RETURN(tfhe::CompactPublicKey cpk, tfhe::ParseCompactPublicKey(cpk_bytes));
  kms::testing::SeededRng rng(x * 256 + y);
  tfhe::CompactListBuilder builder;
  KMS_RETURN_IF_ERROR(builder.PushUint(x, 8));
  KMS_RETURN_IF_ERROR(builder.PushUint(y, 8));
  return builder.Build(cpk, rng);
}

// The tfhe-rs keyset DKG through the engines, with every party restarting in the middle of its
// preprocessing: the run resumes, the DKG makes one keyset that every party publishes byte for
// byte alike (PublicKey, ServerKey, CompressedXofKeySet), the keyset loads again after another
// restart, and two values encrypted under its CPK, added with its server key, decrypt right
// from the key shares the parties stored (user decryption of the SmallExpanded sum, as the client
// reconstructs it).
TEST(ThresholdEngineTfhe, KeysetFromAResumedPreprocessingDecryptsWithTheStoredShares) {
  const ParameterSet params = &tfhe::KmsTestKeyset();
  EngineCluster cluster(4, 1);
  cluster.SetPreprocessingChunk(100'000);
  ASSERT_TRUE(cluster.Start().ok());
  InitEpoch(cluster);
  ASSERT_FALSE(HasFailure());
  const Id32 epoch = DefaultEpochId(), pre = Id(0x71);
  auto preprocess = [&](ThresholdEngine& e) -> absl::StatusOr<PreprocessingInfo> {
    KMS_RETURN_IF_ERROR(e.ReservePreprocessing(pre));
    return e.Preprocess(pre, params, epoch);
  };
  auto first = std::async(std::launch::async, [&] { return cluster.OnAll(preprocess); });
  ASSERT_TRUE(WaitForProgress(cluster, 4, pre, 0.2)) << "no progress";
  for (int p = 1; p <= 4; ++p) cluster.engine(p).Shutdown();
  for (const auto& r : first.get()) EXPECT_FALSE(r.ok());
  ASSERT_TRUE(cluster.Restart().ok());
  const mpc::DkgMaterialCounts needed = *KeyGenMaterial(params);
  for (const auto& r : cluster.OnAll(preprocess)) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->bits, needed.bits);
  }

  KeyGenSpec dkg;
  dkg.request_id = Id(0x72);
  dkg.preprocessing_id = pre;
  dkg.params = params;
  dkg.epoch_id = epoch;
  auto infos = cluster.OnAll([&](ThresholdEngine& e) { return ReserveAndGenerate(e, dkg); });
  for (const auto& r : infos) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->public_key, infos[0]->public_key);
    EXPECT_EQ(r->server_key_digest, infos[0]->server_key_digest);
    EXPECT_EQ(r->compressed_keyset_digest, infos[0]->compressed_keyset_digest);
    EXPECT_TRUE(r->insecure);  // the test set
  }
  EXPECT_NE(infos[0]->compressed_keyset_digest, crypto::Digest{});
  const std::string id = IdToHex(dkg.request_id);

  ASSERT_TRUE(cluster.Restart().ok());  // the boot check reads and verifies the keyset
  std::vector<mpc::TfheKeyShare> shares;
  for (int p = 1; p <= 4; ++p) {
    auto reloaded = cluster.engine(p).GetPublicKey(dkg.request_id);
    ASSERT_TRUE(reloaded.ok()) << reloaded.status();
    EXPECT_EQ(reloaded->public_key, infos[0]->public_key);
    auto raw = cluster.vaults(p).private_vault->Get(storage::kFheKeyInfo, id);
    ASSERT_TRUE(raw.ok());
    auto record = ParseTfheKeyRecord(*raw);
    ASSERT_TRUE(record.ok() && record->share.has_value()) << record.status();
    EXPECT_FALSE(record->share->insecure_dealer);
    shares.push_back(std::move(*record->share));
  }
  EXPECT_EQ(cluster.engine(1).PublicDecrypt(Id(0x73), dkg.request_id, epoch, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);

  auto keys = StoredComputeKeys(cluster, 2, id);
  ASSERT_TRUE(keys.ok()) << keys.status();
  auto list = EncryptPair(infos[0]->public_key, 0x5a, 0xc3);
  ASSERT_TRUE(list.ok()) << list.status();
  auto expanded = tfhe::ExpandCompactList(keys->server_key, *keys->casting_key, *list);
  ASSERT_TRUE(expanded.ok()) << expanded.status();
  auto sum =
      tfhe::AddFheUint(keys->server_key, *expanded->GetFheUint(0, 4), *expanded->GetFheUint(1, 4));
  ASSERT_TRUE(sum.ok()) << sum.status();
  auto input = mpc::TfheInputFromSmall(shares[0], lwe::FheType::kEuint8, *sum, keys->server_key,
                                       *keys->noise_squashing_key);
  ASSERT_TRUE(input.ok()) << input.status();
  auto setups = kms::testing::DealtPrssSetups(4, 1);
  const std::vector<mpc::SessionId> sids = {77};
  std::vector<std::optional<std::vector<mpc::Share>>> got(4);
  for (size_t p = 0; p < 4; ++p) {
    auto s = mpc::TfheUserDecryptionShares(shares[p], setups[p], sids,
                                           std::span<const mpc::TfheDecryptionInput>(&*input, 1));
    ASSERT_TRUE(s.ok()) << s.status();
    got[p] = (*s)[0];
  }
  auto value = mpc::ReconstructTfheUserDecryption(*input, 1, got);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, *lwe::TypedPlaintext::FromString(lwe::FheType::kEuint8,
                                                     std::to_string((0x5a + 0xc3) & 0xff)));
}

// InsecureKeyGen of a tfhe-rs keyset (mpc/tfhe_insecure_dealer.h): no preprocessing, every party
// publishes the same PublicKey and ServerKey (no CompressedXofKeySet), the key and its stored
// shares are marked as the dealer's and insecure, and they load again and decrypt after a restart.
TEST(ThresholdEngineTfhe, InsecureDealerKeysetIsMarkedAndDecrypts) {
  EngineCluster cluster(4, 1);
  ASSERT_TRUE(cluster.Start().ok());
  InitEpoch(cluster);
  ASSERT_FALSE(HasFailure());
  KeyGenSpec spec;
  spec.request_id = Id(0x81);
  spec.params = &tfhe::KmsTestKeyset();
  spec.epoch_id = DefaultEpochId();
  spec.insecure = true;
  auto infos = cluster.OnAll([&](ThresholdEngine& e) { return ReserveAndGenerate(e, spec); });
  for (const auto& r : infos) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->public_key, infos[0]->public_key);
    EXPECT_EQ(r->server_key_digest, infos[0]->server_key_digest);
    EXPECT_EQ(r->compressed_keyset_digest, crypto::Digest{});
    EXPECT_TRUE(r->insecure);
  }
  const std::string id = IdToHex(spec.request_id);
  ASSERT_TRUE(cluster.Restart().ok());
  std::vector<mpc::TfheKeyShare> shares;
  for (int p = 1; p <= 4; ++p) {
    auto reloaded = cluster.engine(p).GetPublicKey(spec.request_id);
    ASSERT_TRUE(reloaded.ok()) << reloaded.status();
    EXPECT_TRUE(reloaded->insecure);
    auto raw = cluster.vaults(p).private_vault->Get(storage::kFheKeyInfo, id);
    ASSERT_TRUE(raw.ok());
    auto record = ParseTfheKeyRecord(*raw);
    ASSERT_TRUE(record.ok() && record->share.has_value()) << record.status();
    EXPECT_TRUE(record->share->insecure_dealer);
    shares.push_back(std::move(*record->share));
  }
  auto keys = StoredComputeKeys(cluster, 3, id);
  ASSERT_TRUE(keys.ok()) << keys.status();
  auto list = EncryptPair(infos[0]->public_key, 0x77, 0x99);
  ASSERT_TRUE(list.ok()) << list.status();
  auto ct = kms::testing::SquashedCompressedSum(*keys, *list);
  ASSERT_TRUE(ct.ok()) << ct.status();
  auto value =
      kms::testing::DecryptWithShares({&shares[0], &shares[1], &shares[2], &shares[3]}, 1, *ct);
  ASSERT_TRUE(value.ok()) << value.status();
  const lwe::TypedPlaintext sum =
      *lwe::TypedPlaintext::FromString(lwe::FheType::kEuint8, std::to_string((0x77 + 0x99) & 0xff));
  EXPECT_EQ(*value, sum);

  // The engines decrypt the sum in each of the four request formats, publicly and per user.
  auto formats = kms::testing::SumInRequestFormats(*keys, *list);
  ASSERT_TRUE(formats.ok()) << formats.status();
  for (int f = 0; f < 4; ++f) {
    const std::string format(CiphertextFormatName(static_cast<CiphertextFormat>(f)));
    auto parsed = ParseTfheCiphertext(f, lwe::FheType::kEuint8, formats->bytes[f]);
    ASSERT_TRUE(parsed.ok()) << format << ": " << parsed.status();
    const std::vector<TfheCiphertext> cts = {*parsed};
    const TfheCiphertext* one = &cts[0];
    EXPECT_TRUE(cluster.engine(1).CheckTfheCiphertexts(spec.request_id, std::span(&one, 1)).ok());
    const Id32 request = Id(static_cast<uint8_t>(0x90 + f));
    for (const auto& r : cluster.OnAll([&](ThresholdEngine& e) {
           return e.PublicDecryptTfhe(request, spec.request_id, DefaultEpochId(), cts);
         })) {
      ASSERT_TRUE(r.ok()) << format << ": " << r.status();
      EXPECT_EQ(*r, std::vector<lwe::TypedPlaintext>{sum}) << format;
    }
    auto users = cluster.OnAll([&](ThresholdEngine& e) {
      return e.UserDecryptTfhe(request, spec.request_id, DefaultEpochId(), cts);
    });
    auto input = TfheDecryptionInputs(cts, shares[0], &*keys);
    ASSERT_TRUE(input.ok()) << input.status();
    std::vector<std::optional<std::vector<mpc::Share>>> got(4);
    for (size_t p = 0; p < 4; ++p) {
      ASSERT_TRUE(users[p].ok()) << format << ": " << users[p].status();
      EXPECT_EQ(users[p]->block_counts, std::vector<uint32_t>{2}) << format;
      got[p] = users[p]->packed[0];
    }
    got[2]->at(0) = got[2]->at(0) + mpc::Share::FromScalar(1);  // one lying party is corrected
    auto user_value = mpc::ReconstructTfheUserDecryption((*input)[0], 1, got);
    ASSERT_TRUE(user_value.ok()) << format << ": " << user_value.status();
    EXPECT_EQ(*user_value, sum) << format;
  }
  // A phase-1 request under the keyset and a tfhe-rs one under no such key are refused.
  EXPECT_EQ(cluster.engine(1)
                .PublicDecrypt(Id(0x98), spec.request_id, DefaultEpochId(), {})
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      cluster.engine(1).PublicDecryptTfhe(Id(0x99), Id(0x55), DefaultEpochId(), {}).status().code(),
      absl::StatusCode::kNotFound);
}

// Thirteen parties (t = 4) in-process, the dealer's tfhe-test keyset: the sum in each request
// format decrypts publicly with four parties silent (they never join the session), and per user
// with four parties' shares missing or four of them lying; five liars give ABORTED.
TEST(ThresholdEngineTfhe, ThirteenPartiesDecryptEveryFormatDespiteFourBadParties) {
  constexpr int kN = 13, kT = 4;
  EngineCluster cluster(kN, kT);
  ASSERT_TRUE(cluster.Start().ok());
  InitEpoch(cluster);
  ASSERT_FALSE(HasFailure());
  KeyGenSpec spec;
  spec.request_id = Id(0xa1);
  spec.params = &tfhe::KmsTestKeyset();
  spec.epoch_id = DefaultEpochId();
  spec.insecure = true;
  auto infos = cluster.OnAll([&](ThresholdEngine& e) { return ReserveAndGenerate(e, spec); });
  for (const auto& r : infos) ASSERT_TRUE(r.ok()) << r.status();
  auto keys = StoredComputeKeys(cluster, 5, IdToHex(spec.request_id));
  ASSERT_TRUE(keys.ok()) << keys.status();
  auto list = EncryptPair(infos[0]->public_key, 0x3c, 0x55);
  ASSERT_TRUE(list.ok()) << list.status();
  auto formats = kms::testing::SumInRequestFormats(*keys, *list);
  ASSERT_TRUE(formats.ok()) << formats.status();
  std::vector<TfheCiphertext> cts;
  for (int f = 0; f < 4; ++f) {
    auto parsed = ParseTfheCiphertext(f, lwe::FheType::kEuint8, formats->bytes[f]);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    cts.push_back(std::move(*parsed));
  }
  const lwe::TypedPlaintext sum = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint8, 0x91);
  const std::vector<lwe::TypedPlaintext> four(4, sum);

  const std::vector<int> honest = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  for (const auto& r : cluster.On(honest, [&](ThresholdEngine& e) {
         return e.PublicDecryptTfhe(Id(0xa2), spec.request_id, DefaultEpochId(), cts);
       })) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, four);
  }

  auto users = cluster.OnAll([&](ThresholdEngine& e) {
    return e.UserDecryptTfhe(Id(0xa3), spec.request_id, DefaultEpochId(), cts);
  });
  auto record = ParseTfheKeyRecord(
      *cluster.vaults(1).private_vault->Get(storage::kFheKeyInfo, IdToHex(spec.request_id)));
  ASSERT_TRUE(record.ok() && record->share.has_value()) << record.status();
  auto inputs = TfheDecryptionInputs(cts, *record->share, &*keys);
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  for (size_t i = 0; i < cts.size(); ++i) {
    std::vector<std::optional<std::vector<mpc::Share>>> missing(kN), lying(kN);
    for (int p = 0; p < kN; ++p) {
      ASSERT_TRUE(users[p].ok()) << users[p].status();
      lying[p] = users[p]->packed[i];
      if (p < kN - kT) missing[p] = users[p]->packed[i];
    }
    for (int p = 0; p < kT; ++p) lying[p]->at(0) = lying[p]->at(0) + mpc::Share::FromScalar(p + 1);
    auto without = mpc::ReconstructTfheUserDecryption((*inputs)[i], kT, missing);
    ASSERT_TRUE(without.ok()) << without.status();
    EXPECT_EQ(*without, sum) << "format " << i;
    auto despite = mpc::ReconstructTfheUserDecryption((*inputs)[i], kT, lying);
    ASSERT_TRUE(despite.ok()) << despite.status();
    EXPECT_EQ(*despite, sum) << "format " << i;
    // A fifth liar is one too many: the shares no longer reconstruct.
    lying[kT]->at(0) = lying[kT]->at(0) + mpc::Share::FromScalar(0x1234567);
    EXPECT_EQ(mpc::ReconstructTfheUserDecryption((*inputs)[i], kT, lying).status().code(),
              absl::StatusCode::kAborted)
        << "format " << i;
  }
}

}  // namespace
}  // namespace kms::service
