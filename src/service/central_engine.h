// File: service/central_engine.h
//
// The centralized engine: one server, no MPC (service-spec §1, crypto-spec A.3 "Centralized
// mode"). It samples the keys itself and stores them in the private vault
// (FhePrivateKey/<key_id>):
//  - a phase-1 LWE key (central_key_record.h) next to its compact public key
//    (PublicKey/<key_id>), and decrypts with it;
//  - a tfhe-rs keyset (tfhe_key_record.h: the ClientKey) with its public material published as
//    tfhe_keyset_store.h describes (no CompressedXofKeySet: only the DKG makes one), and
//    decrypts the four tfhe-rs formats (tfhe_ciphertext.h) with its noise-squashing secret
//    (the only part of the ClientKey kept in memory), squashing the Small formats with the
//    published ServerKey as a threshold party does.
//
//  - KeyGen and InsecureKeyGen both sample the key here (InsecureKeyGen only marks it insecure).
//  - KeyGenPreproc has nothing to precompute: it returns {0 bits, 0 randoms} at once and only
//    remembers the id, so clients written for threshold mode run unchanged.
//  - Epochs do not exist: NewMpcEpoch and DestroyMpcEpoch answer FAILED_PRECONDITION.
//  - User decryption returns, per ciphertext, Δ·m of each block packed four to a ring element:
//    the degree-0 "sharing" the threshold client path reconstructs trivially. Never the phase
//    Δ·m + e, whose noise e depends on the key.
//
// Load() is the boot check of the centralized mode: every FhePrivateKey record must parse and its
// public key must be present and match the recorded digest; the first failure is returned.
#ifndef KMS_SERVICE_CENTRAL_ENGINE_H_
#define KMS_SERVICE_CENTRAL_ENGINE_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "lwe/compact_public_key.h"
#include "lwe/secret_key.h"
#include "mpc/tfhe_decryption.h"
#include "service/engine.h"
#include "service/tfhe_keyset_store.h"
#include "storage/vault.h"
#include "tfhe/client_key.h"

namespace kms::service {

class CentralizedEngine final : public Engine {
 public:
  // Loads and verifies every stored key. `vaults` must outlive the engine.
  static absl::StatusOr<std::unique_ptr<CentralizedEngine>> Load(
      storage::VaultSet& vaults, const lwe::LweParameters& default_params);

  bool threshold() const override { return false; }
  uint32_t party_id() const override { return 0; }
  uint32_t num_parties() const override { return 1; }
  uint32_t degree() const override { return 0; }
  const lwe::LweParameters& default_parameters() const override { return default_params_; }
  absl::Status Ready() const override { return absl::OkStatus(); }

  absl::Status CheckEpoch(const Id32&) const override { return absl::OkStatus(); }
  absl::StatusOr<ParameterSet> KeyParameters(const Id32& key_id) const override;
  absl::Status CheckKeyGen(const KeyGenSpec& spec) const override;
  absl::Status CheckPreprocessing(const Id32&) const override { return absl::OkStatus(); }
  absl::Status CheckTfheCiphertexts(const Id32& key_id,
                                    std::span<const TfheCiphertext* const> cts) const override;

  // No sessions here; key ids are the stored keys' (CheckKeyGen), so they stay taken across
  // restarts without a ledger.
  absl::Status ReserveEpochRun(const Id32&, bool, const Id32&) override { return absl::OkStatus(); }
  absl::Status ReservePreprocessing(const Id32&) override { return absl::OkStatus(); }
  absl::Status ReserveKeyGen(const Id32&) override { return absl::OkStatus(); }
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
  // Centralized preprocessing makes nothing, so it is never running.
  std::optional<PreprocessingProgress> RunningPreprocessing(const Id32&) const override {
    return std::nullopt;
  }
  PreprocessingProgress PreprocessingTotals() const override { return {}; }

  absl::StatusOr<PublicKeyInfo> GetPublicKey(const Id32& key_id) const override;
  std::vector<std::string> KeyIds() const override;
  std::vector<std::string> PreprocessingIds() const override;
  std::vector<std::string> EpochIds() const override { return {}; }
  std::vector<PeerProbe> ProbePeers(std::chrono::milliseconds) override { return {}; }
  void NetworkTotals(uint64_t* rx, uint64_t* tx, uint64_t* sessions) const override {
    *rx = *tx = *sessions = 0;
  }
  void Shutdown() override {}

 private:
  struct Key {
    std::optional<lwe::SecretKey> secret_key;  // phase-1 key
    // tfhe-rs keyset: mpc::TfheWholeKey of its ClientKey (zeroes itself when dropped).
    std::optional<mpc::TfheKeyShare> whole;
    PublicKeyInfo info;
  };

  CentralizedEngine(storage::VaultSet& vaults, const lwe::LweParameters& default_params)
      : vaults_(vaults), default_params_(default_params) {}
  absl::StatusOr<std::shared_ptr<const Key>> FindKey(const Id32& key_id) const;
  // FindKey for decryption: FAILED_PRECONDITION for a key of the other family.
  absl::StatusOr<std::shared_ptr<const Key>> FindPhase1Key(const Id32& key_id) const;
  absl::StatusOr<std::shared_ptr<const Key>> FindTfheKey(const Id32& key_id) const;
  // Registers a tfhe-rs keyset under `id`, keeping only the whole noise-squashing secret of
  // `client_key` and zeroing the rest.
  absl::Status AddTfheKey(const std::string& id, tfhe::ClientKey& client_key, PublicKeyInfo info);
  absl::Status LoadTfheKey(const std::string& id, ByteSpan raw);
  absl::StatusOr<PublicKeyInfo> GenerateTfheKeyset(const KeyGenSpec& spec);

  storage::VaultSet& vaults_;
  const lwe::LweParameters& default_params_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Key>> keys_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> preprocessing_ ABSL_GUARDED_BY(mu_);
  ComputeKeyCache compute_keys_;  // over vaults_.public_vault
};

}  // namespace kms::service

#endif  // KMS_SERVICE_CENTRAL_ENGINE_H_
