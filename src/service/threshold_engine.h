// File: service/threshold_engine.h
//
// The threshold engine: this process is party my_id of n (service-spec §1, §2; crypto-spec A.3,
// B §2.5, §2.11, §3). It owns the one peer network of the process (net::GrpcNetwork, mutual TLS
// on threshold.listen_port) and runs every operation as an MPC session with the other parties:
//
//   operation         session id: DeriveSessionId(domain, index)            mode   timeout
//   NewMpcEpoch       PrssInitDomain(run id, epoch, n, t), 0              sync   round_timeout_secs
//                                                                               per round
//   KeyGenPreproc     PreprocessingDomain(request id, params, epoch,      sync   round_timeout_secs
//                     layout), PreprocessingSessionIndex(lane, chunk):         per round
//                     one session per chunk, lanes in parallel, stored
//                     chunk by chunk (service/preprocessing_store.h);
//                     a resume first agrees on the restart point in
//                     session kPreprocessingResumeIndex of the new attempt
//   KeyGen (DKG)      KeyGenDomain(spec), 0                               async
//   kKeyGenSessionRounds
//                                                                               x round timeout
//   InsecureKeyGen    KeyGenDomain(spec) (kInsecureKeyGen), 0             sync   round_timeout_secs
//                                                                               per round
//   PublicDecrypt     DecryptionDomain(request id, key, epoch, cts), 0    async
//                                                                       decryption_timeout_secs
//   UserDecrypt       DecryptionDomain(request id, key, epoch, cts), i    no messages at all
//                     per ciphertext i (the PRSS masks)
// Both take phase-1 ciphertexts under a phase-1 key or tfhe-rs ciphertexts under a tfhe-rs
// keyset (the *Tfhe methods); the Small formats are squashed before the session with the
// keyset's published ServerKey (ComputeKeyCache), which every party computes alike.
// (service/session_content.h; the run id of NewMpcEpoch is its request_id, or the epoch id when
// none was given). The operation is part of every session id (crypto/session_id.h), so one
// request id used by two operations at once (the request layer keeps one id table per
// operation) gives two sessions that never share a message or a PRSS output; the request's
// content is part of it too, so a request id reused with other ciphertexts or another layout
// never repeats a PRSS output either.
//
// Run ids of PRSS inits, preprocessing ids and key ids are recorded in the SessionLedger before
// any session starts (Reserve*, called by the request layer before it launches the work) and
// are refused (ALREADY_EXISTS) for good afterwards; the work methods check the record.
//
// What is stored and what is memory-only:
//   PRIV-p<i>/PrssSetup/<epoch_id>   the PRSS keys of an epoch (mpc::PrssSetup::Serialize)
//   PRIV-p<i>/FheKeyInfo/<key_id>    this party's key shares with the public key and its digest
//   PRIV-p<i>/SessionLedger/<kind>-<id>  ids that started sessions (storage/session_ledger.h)
//   PUB-p<i>/PublicKey/<key_id>      the compact public key
//   PRIV-p<i>/PreprocManifest/<id>, PreprocChunk/<id>.<lane>.<chunk>  preprocessed material,
//                                    consumed (and deleted) by one KeyGen; an interrupted run
//                                    resumes when KeyGenPreproc is sent again
//   memory only                      request results
// Start() is the boot check of threshold mode: every FheKeyInfo must parse and its PublicKey
// must match the recorded digest; every PrssSetup must parse and belong to this party (n, t,
// role); every SessionLedger record must parse and match its name. A party without any PRSS starts
// and reports not ready until NewMpcEpoch ran.
#ifndef KMS_SERVICE_THRESHOLD_ENGINE_H_
#define KMS_SERVICE_THRESHOLD_ENGINE_H_

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "mpc/dkg.h"
#include "mpc/preprocessing.h"
#include "mpc/prss.h"
#include "mpc/tfhe_dkg.h"
#include "net/grpc_network.h"
#include "service/config.h"
#include "service/engine.h"
#include "service/preprocessing_store.h"
#include "service/tfhe_keyset_store.h"
#include "storage/session_ledger.h"
#include "storage/vault.h"

namespace kms::service {

// The DKG's asynchronous session waits up to this many round timeouts for the other parties
// (they may start it later than this party and compute the body shares in between).
inline constexpr int kKeyGenSessionRounds = 10;
// The tfhe-rs keyset DKG is one asynchronous session of many rounds (14 at tfhe-test, 2,230 at
// tfhe-default, mpc/tfhe_dkg.h), so its deadline is this many round timeouts: a DKG stalled by
// more than t missing parties fails then.
inline constexpr int kTfheKeyGenSessionRounds = 4096;
// The DeriveSessionId index of a preprocessing's resume agreement (no chunk uses it).
inline constexpr uint64_t kPreprocessingResumeIndex = uint64_t{1} << 63;
// A running preprocessing logs its progress at most this often (and when it ends).
inline constexpr std::chrono::seconds kPreprocessingLogInterval{10};

class ThresholdEngine final : public Engine {
 public:
  using Clock = std::chrono::steady_clock;
  // Loads and verifies the stored key shares and PRSS setups, then starts the peer network.
  // `vaults` must outlive the engine. The network's bind failure is UNAVAILABLE "Address already
  // in use: <address>:<port>". `params` (must outlive the engine) replaces the configured
  // parameter set when given (KmsServer::StartOptions).
  static absl::StatusOr<std::unique_ptr<ThresholdEngine>> Start(
      const ServerConfig& config, storage::VaultSet& vaults,
      const lwe::LweParameters* params = nullptr);
  ~ThresholdEngine() override;

  bool threshold() const override { return true; }
  uint32_t party_id() const override { return my_id_; }
  uint32_t num_parties() const override { return n_; }
  uint32_t degree() const override { return t_; }
  const lwe::LweParameters& default_parameters() const override { return default_params_; }
  absl::Status Ready() const override;

  absl::Status CheckEpoch(const Id32& epoch_id) const override;
  absl::StatusOr<ParameterSet> KeyParameters(const Id32& key_id) const override;
  absl::Status CheckKeyGen(const KeyGenSpec& spec) const override;
  absl::Status CheckPreprocessing(const Id32& epoch_id) const override {
    return CheckEpoch(epoch_id);
  }
  absl::Status CheckTfheCiphertexts(const Id32& key_id,
                                    std::span<const TfheCiphertext* const> cts) const override;

  absl::Status ReserveEpochRun(const Id32& epoch_id, bool force, const Id32& run_id) override;
  absl::Status ReservePreprocessing(const Id32& request_id) override;
  absl::Status ReserveKeyGen(const Id32& key_id) override;

  absl::StatusOr<EpochInfo> NewEpoch(const Id32& epoch_id, bool force, const Id32& run_id) override;
  absl::Status DestroyEpoch(const Id32& epoch_id) override;
  absl::StatusOr<PreprocessingInfo> Preprocess(const Id32& request_id, const ParameterSet& params,
                                               const Id32& epoch_id) override;
  absl::StatusOr<PublicKeyInfo> GenerateKey(const KeyGenSpec& spec) override;
  absl::StatusOr<std::vector<lwe::TypedPlaintext>> PublicDecrypt(
      const Id32& request_id, const Id32& key_id, const Id32& epoch_id,
      std::span<const lwe::TypedCiphertext> ciphertexts) override;
  absl::StatusOr<UserDecryptionOutput> UserDecrypt(
      const Id32& request_id, const Id32& key_id, const Id32& epoch_id,
      std::span<const lwe::TypedCiphertext> ciphertexts) override;
  absl::StatusOr<std::vector<lwe::TypedPlaintext>> PublicDecryptTfhe(
      const Id32& request_id, const Id32& key_id, const Id32& epoch_id,
      std::span<const TfheCiphertext> ciphertexts) override;
  absl::StatusOr<UserDecryptionOutput> UserDecryptTfhe(
      const Id32& request_id, const Id32& key_id, const Id32& epoch_id,
      std::span<const TfheCiphertext> ciphertexts) override;
  absl::Status DropPreprocessing(const Id32& id) override;
  std::optional<PreprocessingProgress> RunningPreprocessing(const Id32& id) const override;
  PreprocessingProgress PreprocessingTotals() const override;

  absl::StatusOr<PublicKeyInfo> GetPublicKey(const Id32& key_id) const override;
  std::vector<std::string> KeyIds() const override;
  std::vector<std::string> PreprocessingIds() const override;
  std::vector<std::string> EpochIds() const override;
  std::vector<PeerProbe> ProbePeers(std::chrono::milliseconds timeout) override;
  void NetworkTotals(uint64_t* rx, uint64_t* tx, uint64_t* sessions) const override;
  void Shutdown() override;

 private:
  struct StoredKey {
    std::optional<mpc::KeyShare> share;           // phase-1 key
    std::optional<mpc::TfheKeyShare> tfhe_share;  // tfhe-rs keyset
    PublicKeyInfo info;
  };
  enum class PreprocState { kRunning, kComplete, kInterrupted };
  // Progress of a running preprocessing (shared with its lanes).
  struct PreprocProgress {
    std::atomic<uint64_t> done{0};  // items stored
    uint64_t total = 0;
    uint64_t done_at_start = 0;  // stored before this run (resumed)
    Clock::time_point start;
    std::atomic<bool> cancel{false};
    std::mutex log_mu;
    Clock::time_point last_log;
    PreprocessingProgress Snapshot() const;
  };
  struct PreprocEntry {
    ParameterSet params;
    PreprocState state = PreprocState::kRunning;
    std::shared_ptr<PreprocProgress> progress;  // while running
  };

  ThresholdEngine(const ServerConfig& config, storage::VaultSet& vaults,
                  const lwe::LweParameters& params);
  absl::Status LoadStoredState();
  absl::StatusOr<std::shared_ptr<const StoredKey>> FindKey(const Id32& key_id) const;
  // FindKey for decryption: FAILED_PRECONDITION for a key of the other family.
  absl::StatusOr<std::shared_ptr<const StoredKey>> FindPhase1Key(const Id32& key_id) const;
  absl::StatusOr<std::shared_ptr<const StoredKey>> FindTfheKey(const Id32& key_id) const;
  absl::Status LoadTfheKey(const std::string& id, ByteSpan raw);
  // GenerateKey of a tfhe-rs keyset: the DKG of mpc/tfhe_dkg.h over the stored material.
  absl::StatusOr<PublicKeyInfo> GenerateTfheKeyset(const KeyGenSpec& spec,
                                                   mpc::DkgMaterialSource& material);
  // InsecureKeyGen of a tfhe-rs keyset: mpc/tfhe_insecure_dealer.h (every party sees the key).
  absl::StatusOr<PublicKeyInfo> DealTfheKeyset(const KeyGenSpec& spec);
  // Publishes a keyset's public objects, then stores `share` (the commit point) and registers it.
  absl::StatusOr<PublicKeyInfo> StoreTfheKeyset(const KeyGenSpec& spec,
                                                const tfhe::CompactPublicKey& public_key,
                                                const tfhe::PublishedServerKey& server_key,
                                                const tfhe::CompressedXofKeySet* compressed,
                                                mpc::TfheKeyShare share);
  absl::StatusOr<std::shared_ptr<const mpc::PrssSetup>> FindPrss(const Id32& epoch_id) const;
  // The resume step of an interrupted preprocessing: agrees with the other parties on where
  // each lane resumes and records the new attempt.
  absl::StatusOr<PreprocessingRecord> AgreeOnResume(PreprocessingRecord record,
                                                    const ParameterSet& params);
  void ReportProgress(const std::string& id, PreprocProgress& progress);

  // Runs `body` on a fresh session `sid` with every party.
  template <typename T, typename Body>
  absl::StatusOr<T> RunSession(net::SessionId sid, net::NetworkMode mode,
                               std::chrono::seconds session_timeout, Body&& body);

  storage::VaultSet& vaults_;
  const uint32_t my_id_;
  const uint32_t n_;
  const uint32_t t_;
  const lwe::LweParameters& default_params_;
  const bool insecure_allowed_;
  const std::chrono::seconds round_timeout_;
  const std::chrono::seconds decryption_timeout_;
  const uint32_t preprocessing_sessions_;
  const uint32_t preprocessing_chunk_;
  std::map<uint32_t, std::string> endpoints_;  // party id -> host:port (peer network)
  std::string listen_endpoint_;
  std::unique_ptr<net::GrpcNetwork> net_;
  storage::SessionLedger ledger_;     // over vaults_.private_vault
  PreprocessingStore preproc_store_;  // over vaults_.private_vault
  ComputeKeyCache compute_keys_;      // over vaults_.public_vault

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const StoredKey>> keys_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> keys_in_progress_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<const mpc::PrssSetup>> prss_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> epochs_in_progress_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, PreprocEntry> preprocessing_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kms::service

#endif  // KMS_SERVICE_THRESHOLD_ENGINE_H_
