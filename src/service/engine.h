// File: service/engine.h
//
// What the request layer (CoreServiceImpl) asks of a KMS party, whatever its mode. Two
// implementations:
//   CentralizedEngine (central_engine.h)  one server holds the LWE secret key itself
//   ThresholdEngine   (threshold_engine.h) one of n parties; keys exist only as Shamir shares and
//                                          every operation runs an MPC session with the peers
// The request layer validates requests, keeps the asynchronous lifecycle, rate-limits, signs the
// responses and maps errors to gRPC codes; an engine only does the work, so both modes answer
// with the same signed messages and one client path serves both.
//
// Two kinds of methods:
//  - Check*: quick, called on the RPC thread before a request is accepted, so a request that
//    cannot run is refused at once and nothing is started or stored (NOT_FOUND for an unknown
//    key or preprocessing, FAILED_PRECONDITION "no PRSS setup exists for epoch <id>; run
//    kms-init", ALREADY_EXISTS for a key id in use).
//  - the work: called on a worker thread; may take minutes (key generation) and may fail with
//    ABORTED (more than t parties misbehaved), DEADLINE_EXCEEDED or UNAVAILABLE (peers down).
//    Storage is written only when the work succeeded, and written atomically per object.
//
// Thread safety: every method may be called concurrently.
#ifndef KMS_SERVICE_ENGINE_H_
#define KMS_SERVICE_ENGINE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algebra/galois_ring.h"
#include "common/bytes.h"
#include "crypto/hash.h"
#include "lwe/parameters.h"
#include "lwe/typed_ciphertext.h"
#include "lwe/typed_plaintext.h"
#include "service/parameter_set.h"
#include "service/request_id.h"
#include "service/tfhe_ciphertext.h"

namespace kms::service {

// A stored (or just generated) key's public half.
// Phase-1 keys publish PublicKey only; a tfhe-rs keyset (service/parameter_set.h) publishes
// PublicKey (the tfhe-rs CompactPublicKey, safe_serialize), ServerKey (kms v0.12.8's
// uncompressed ServerKey) and CompressedXofKeySet (the compressed keyset it expands from).
struct PublicKeyInfo {
  Id32 key_id{};
  Bytes public_key;         // phase-1: kms.lwe.v1.CompactPublicKey; tfhe: tfhe-rs CompactPublicKey
  crypto::Digest digest{};  // SHAKE256("PDAT_KEY" ‖ public_key)
  // tfhe keysets: SHAKE256("PDAT_KEY" ‖ stored bytes) of ServerKey/<id>, CompressedXofKeySet/<id>.
  crypto::Digest server_key_digest{};
  crypto::Digest compressed_keyset_digest{};
  ParameterSet params;
  bool insecure = false;
};

struct KeyGenSpec {
  Id32 request_id{};        // becomes the key id
  Id32 preprocessing_id{};  // threshold KeyGen only
  ParameterSet params;
  Id32 epoch_id{};
  bool insecure = false;  // InsecureKeyGen
};

struct PreprocessingInfo {
  uint64_t bits = 0;
  uint64_t randoms = 0;
};

// Items (bits, triples, randoms) of preprocessing made and to make, with the rate of the
// current run (0 until it has made something) and the time it still needs at that rate.
struct PreprocessingProgress {
  uint64_t done = 0;
  uint64_t total = 0;
  double items_per_second = 0;
  std::optional<double> seconds_left;
};
// "1200 of 5000 items (24.0%), 310 items/s, about 12 s left".
std::string DescribeProgress(const PreprocessingProgress& progress);

struct EpochInfo {
  bool created = false;
  uint32_t num_parties = 0;
  uint32_t threshold = 0;
  std::vector<uint32_t> corrupt_parties;
};

// One party's user-decryption shares: for ciphertext i, ceil(blocks_i / 4) ring elements, each
// packing four consecutive blocks as its coefficients. Threshold: masked Shamir shares of degree
// t at this party's point. Centralized: the values Δ·m of the blocks themselves (a "sharing" of
// degree 0), never the phase, whose noise would leak information about the key.
struct UserDecryptionOutput {
  std::vector<std::vector<algebra::Gr128>> packed;
  std::vector<uint32_t> block_counts;  // LWE blocks of each ciphertext (the response's field)
};

struct PeerProbe {
  uint32_t party_id = 0;
  std::string endpoint;  // host:port of its peer network
  bool reachable = false;
  uint64_t latency_ms = 0;
  std::string error;
};

class Engine {
 public:
  virtual ~Engine() = default;

  virtual bool threshold() const = 0;
  virtual uint32_t party_id() const = 0;     // 1-based; 0 in centralized mode
  virtual uint32_t num_parties() const = 0;  // 1 in centralized mode
  virtual uint32_t degree() const = 0;       // t; 0 in centralized mode
  // The parameter set the configuration names (used when a request leaves it empty).
  virtual const lwe::LweParameters& default_parameters() const = 0;

  // OK when the engine can serve key generation and decryption; FAILED_PRECONDITION with the
  // reason otherwise (threshold: no PRSS setup yet).
  virtual absl::Status Ready() const = 0;

  // ---- checks (quick, before a request is accepted) ----
  virtual absl::Status CheckEpoch(const Id32& epoch_id) const = 0;
  // The parameter set of a stored key; NOT_FOUND "key <id> not found".
  virtual absl::StatusOr<ParameterSet> KeyParameters(const Id32& key_id) const = 0;
  virtual absl::Status CheckKeyGen(const KeyGenSpec& spec) const = 0;
  virtual absl::Status CheckPreprocessing(const Id32& epoch_id) const = 0;
  // CheckTfheCiphertext (tfhe_ciphertext.h) of each ciphertext against the tfhe-rs keyset
  // `key_id`, errors prefixed "ciphertexts[i].ciphertext: ".
  virtual absl::Status CheckTfheCiphertexts(const Id32& key_id,
                                            std::span<const TfheCiphertext* const> cts) const = 0;

  // ---- session ids (quick, on the RPC thread, right before the work is launched) ----
  // Threshold: records the id for good in the SessionLedger of the private vault
  // (storage/session_ledger.h), so that it never runs sessions again, across eviction of the
  // request table and restarts: ALREADY_EXISTS with the reason when it ran before, and nothing
  // is recorded or started then. A recorded id stays recorded whatever the work's outcome. The
  // work methods below refuse to start a session whose id was not reserved. Centralized (no
  // sessions): OK. ReserveEpochRun records nothing when no PRSS init will run (the epoch exists
  // and `force` is false: NewEpoch then answers "not created").
  virtual absl::Status ReserveEpochRun(const Id32& epoch_id, bool force, const Id32& run_id) = 0;
  virtual absl::Status ReservePreprocessing(const Id32& request_id) = 0;
  virtual absl::Status ReserveKeyGen(const Id32& key_id) = 0;

  // ---- work ----
  virtual absl::StatusOr<EpochInfo> NewEpoch(const Id32& epoch_id, bool force,
                                             const Id32& run_id) = 0;
  virtual absl::Status DestroyEpoch(const Id32& epoch_id) = 0;
  virtual absl::StatusOr<PreprocessingInfo> Preprocess(const Id32& request_id,
                                                       const ParameterSet& params,
                                                       const Id32& epoch_id) = 0;
  // Generates and stores a key (FheKeyInfo or FhePrivateKey; PublicKey, and for a tfhe-rs
  // keyset ServerKey and CompressedKeySet). PublicDecrypt and UserDecrypt take phase-1
  // ciphertexts and refuse a tfhe-rs keyset with FAILED_PRECONDITION; the *Tfhe methods take
  // tfhe-rs ciphertexts (tfhe_ciphertext.h) and refuse a phase-1 key the same way.
  virtual absl::StatusOr<PublicKeyInfo> GenerateKey(const KeyGenSpec& spec) = 0;
  virtual absl::StatusOr<std::vector<lwe::TypedPlaintext>> PublicDecrypt(
      const Id32& request_id, const Id32& key_id, const Id32& epoch_id,
      std::span<const lwe::TypedCiphertext> ciphertexts) = 0;
  virtual absl::StatusOr<UserDecryptionOutput> UserDecrypt(
      const Id32& request_id, const Id32& key_id, const Id32& epoch_id,
      std::span<const lwe::TypedCiphertext> ciphertexts) = 0;
  virtual absl::StatusOr<std::vector<lwe::TypedPlaintext>> PublicDecryptTfhe(
      const Id32& request_id, const Id32& key_id, const Id32& epoch_id,
      std::span<const TfheCiphertext> ciphertexts) = 0;
  virtual absl::StatusOr<UserDecryptionOutput> UserDecryptTfhe(
      const Id32& request_id, const Id32& key_id, const Id32& epoch_id,
      std::span<const TfheCiphertext> ciphertexts) = 0;
  // Forgets preprocessed material (AbortKeyGen), stored or interrupted; a running preprocessing
  // stops after its current chunks and then forgets its material (its KeyGenPreproc ends with
  // CANCELLED). NOT_FOUND if there is none under `id`.
  virtual absl::Status DropPreprocessing(const Id32& id) = 0;
  // The progress of a running preprocessing; nullopt when `id` is not running.
  virtual std::optional<PreprocessingProgress> RunningPreprocessing(const Id32& id) const = 0;
  // The sum over all running preprocessings (metrics).
  virtual PreprocessingProgress PreprocessingTotals() const = 0;

  // ---- listings and health ----
  virtual absl::StatusOr<PublicKeyInfo> GetPublicKey(const Id32& key_id) const = 0;
  virtual std::vector<std::string> KeyIds() const = 0;
  virtual std::vector<std::string> PreprocessingIds() const = 0;
  virtual std::vector<std::string> EpochIds() const = 0;
  // Pings every other party over the peer network (in parallel, `timeout` each). Empty in
  // centralized mode.
  virtual std::vector<PeerProbe> ProbePeers(std::chrono::milliseconds timeout) = 0;
  // Peer network totals for metrics (zeros in centralized mode).
  virtual void NetworkTotals(uint64_t* rx_bytes, uint64_t* tx_bytes,
                             uint64_t* active_sessions) const = 0;

  // Stops the peer network: protocol receives return at once, so running work fails fast.
  virtual void Shutdown() = 0;
};

}  // namespace kms::service

#endif  // KMS_SERVICE_ENGINE_H_
