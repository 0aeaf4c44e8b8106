// File: client/cluster_client.h
//
// The client of a threshold KMS: one CoreClient per party, every request sent to every party in
// parallel, results gathered per party (service-spec §2, threshold mode). On top of that:
//
//   - the asynchronous pattern X → Empty, GetXResult (UNAVAILABLE while running) driven for all
//     parties at once, with progress output and one overall timeout (RunOnAll);
//   - PRSS creation (NewMpcEpoch), preprocessing + key generation with signed, agreeing results;
//   - public keys accepted only under the rule of client/key_acceptance.h: t + 1 distinct pinned
//     operators signed the key's digest, and the bytes match it (FetchPublicKey, KeyGen);
//   - public decryption accepted only with t + 1 answers that carry a valid signature by the
//     party asked and agree on the plaintexts, so up to t lying or failing parties cannot change
//     or block the result;
//   - user decryption requests whose per-party answers client/user_decryption reconstructs.
//
// Whose signature is expected from a party: the operator pinned for it (PinOperators, from
// client.toml's signer_address). Without pins, decryption answers are checked against the
// address the party reports (GetOperatorPublicKey), and public keys are refused
// (FailedPrecondition saying how to pin) unless set_trust_on_first_use(true) explicitly takes
// those reported addresses as pins: then whoever answers for the parties, or controls the
// network path to them, can substitute a key of its own.
//
// A party that cannot be reached is reported by its address; the other parties' results stay
// usable. Thread safety: one operation at a time per ClusterClient.
#ifndef KMS_CLIENT_CLUSTER_CLIENT_H_
#define KMS_CLIENT_CLUSTER_CLIENT_H_

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/core_client.h"
#include "client/key_acceptance.h"
#include "client/progress.h"
#include "common/bytes.h"
#include "proto/kms_service.pb.h"

namespace kms::client {

// One party's outcome of a cluster-wide call.
template <class T>
struct PartyResult {
  size_t index = 0;     // position in the address list
  std::string address;  // host:port
  absl::StatusOr<T> value = absl::UnknownError("not run");
  std::chrono::milliseconds elapsed{0};
};

struct KeyGenOptions {
  std::string fhe_parameter;  // "test" | "default"; empty: the servers' configured set
  bool insecure = false;      // InsecureKeyGen (dealer) instead of KeyGenPreproc + KeyGen
  std::string epoch_id;       // empty: the default epoch
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
};

struct KeyGenOutcome {
  std::string key_id;
  std::string preprocessing_id;  // empty for insecure key generation
  std::string public_key;        // CompactPublicKey encoding
  std::string public_key_digest_hex;
  std::string fhe_parameter;
  bool insecure = false;
  size_t parties_agreeing = 0;  // valid signed results with this digest
  size_t parties_total = 0;
  std::chrono::milliseconds preprocessing_time{0};
  std::chrono::milliseconds keygen_time{0};
  std::vector<std::string> problems;  // one line per party that failed or disagreed
};

// A public key the client accepted (client/key_acceptance.h).
struct AcceptedPublicKey {
  // The GetPublicKey answer whose bytes match the signed digest; fhe_parameter is the signed one.
  v1::PublicKeyResponse key;
  bool insecure = false;              // signed
  std::vector<uint32_t> signers;      // pinned party ids whose signatures counted, sorted
  size_t required = 0;                // t + 1
  bool trust_on_first_use = false;    // the pins were the parties' own answers
  std::vector<std::string> problems;  // parties whose result did not count, and why
};

struct PublicDecryptionOutcome {
  v1::PublicDecryptionResponse response;  // one of the agreeing answers
  size_t agreeing = 0;                    // parties with a valid signature on these plaintexts
  size_t required = 0;                    // t + 1
  size_t asked = 0;
  std::vector<uint32_t> agreeing_parties;
  std::vector<std::string> problems;  // one line per party that failed or disagreed
};

class ClusterClient {
 public:
  // One CoreClient per address (see endpoint.h for the accepted forms). InvalidArgument for an
  // empty list, a malformed address or a duplicate.
  static absl::StatusOr<std::unique_ptr<ClusterClient>> Create(
      const std::vector<std::string>& addresses, const ClientOptions& options = {});

  size_t size() const { return parties_.size(); }
  CoreClient& party(size_t i) { return *parties_[i]; }
  // Where progress lines go (null: silent). Default stderr.
  void set_progress_stream(std::FILE* out) { progress_out_ = out; }
  // The threshold t, when known from a configuration file; otherwise Threshold() asks the
  // parties, and key acceptance takes the largest of floor((n - 1) / 3) and every party's
  // answer, so that no single party's unsigned answer can lower it.
  void set_threshold(uint32_t t) { threshold_ = t; }

  // The operator expected at each address, in address order (client.toml's signer_address).
  // InvalidArgument for another count than size() or an address pinned twice.
  [[nodiscard]] absl::Status PinOperators(std::vector<PinnedOperator> pins);
  bool pinned() const { return pins_.has_value(); }
  // Without pins: take the addresses the parties report (GetOperatorPublicKey) as pins when
  // accepting a public key. Ignored when pinned. Off by default.
  void set_trust_on_first_use(bool on) { trust_on_first_use_ = on; }

  // The signer expected on party i's decryption answers: its pin, or without pins its
  // GetOperatorPublicKey answer (FailedPrecondition when that failed).
  absl::StatusOr<PinnedOperator> ExpectedSigner(size_t i);

  // Runs fn(client, index) for every party at once and returns the results in address order.
  template <class T>
  std::vector<PartyResult<T>> ForEach(
      const std::function<absl::StatusOr<T>(CoreClient&, size_t)>& fn) {
    std::vector<PartyResult<T>> results(parties_.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < parties_.size(); ++i) {
      threads.emplace_back([&, i] {
        const auto start = std::chrono::steady_clock::now();
        results[i].index = i;
        results[i].address = parties_[i]->address();
        results[i].value = fn(*parties_[i], i);
        results[i].elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
      });
    }
    for (std::thread& t : threads) t.join();
    return results;
  }

  // Starts `start_rpc` with `request` on every party, then polls `result_rpc` with `request_id`
  // until each party answers, fails, or `timeout` passes; prints progress labelled `what`.
  // A party whose start call fails is not polled. Result messages are of type Result.
  template <class Result>
  std::vector<PartyResult<Result>> RunOnAll(const std::string& what, const std::string& start_rpc,
                                            const google::protobuf::Message& request,
                                            const std::string& result_rpc,
                                            const std::string& request_id,
                                            std::chrono::milliseconds timeout) {
    const std::vector<std::string> names = PartyNames();
    Progress progress(what, names, progress_out_);
    return ForEach<Result>([&](CoreClient& c, size_t i) -> absl::StatusOr<Result> {
      Result result;
      // A server's "still running" answer may carry its progress in its last parentheses.
      auto on_pending = [&progress, &names, i](const absl::Status& pending) {
        const std::string message(pending.message());
        const size_t running = message.find("still running");
        const size_t open = running == std::string::npos ? running : message.find(" (", running);
        if (open == std::string::npos || message.back() != ')' ||
            message.find(" items (", open) == std::string::npos) {
          return;
        }
        progress.SetStatus(names[i] + ": " + message.substr(open + 2, message.size() - open - 3));
      };
      absl::Status s =
          StartAndPoll(c, start_rpc, request, result_rpc, request_id, timeout, &result, on_pending);
      progress.MarkDone(i);
      if (!s.ok()) return s;
      return result;
    });
  }

  // The operator keys of all parties (GetOperatorPublicKey), fetched once and cached.
  const std::vector<PartyResult<v1::OperatorPublicKeyResponse>>& OperatorKeys();

  // t: the configured value, or the threshold the first reachable party reports in its health
  // status. UNAVAILABLE when no party answers.
  absl::StatusOr<uint32_t> Threshold();

  // NewMpcEpoch on every party with one fresh request id (so a forced re-run never reuses an
  // earlier session), then GetEpochResult until done.
  std::vector<PartyResult<v1::EpochResult>> NewEpoch(const std::string& epoch_id, bool force,
                                                     std::chrono::milliseconds timeout);

  // Preprocessing (KeyGenPreproc) then key generation (KeyGen) on every party, or InsecureKeyGen;
  // the signed results must meet the key acceptance rule (t + 1 distinct pinned operators), and
  // n - t parties must have made the key. FailedPrecondition before anything is started when no
  // operator is pinned and trust on first use is off; otherwise fails naming the parties.
  absl::StatusOr<KeyGenOutcome> KeyGen(const KeyGenOptions& options);

  // The public key `key_id`, accepted under client/key_acceptance.h: GetKeyGenResult from every
  // party, t + 1 distinct pinned signers of one digest, then GetPublicKey from the parties (the
  // signers first) until bytes match that digest. FailedPrecondition without pins (unless trust
  // on first use), with fewer than t + 1 pinned signers, or when no party serves matching bytes;
  // NotFound "not available from any party" when no party returns a result; Aborted when two
  // keys each carry t + 1 signatures.
  absl::StatusOr<AcceptedPublicKey> FetchPublicKey(const std::string& key_id);

  // Public decryption of `ciphertexts` under `key_id` on every party (PublicDecryptSync); the
  // result needs t + 1 verified, agreeing answers. FailedPrecondition (with each party's error)
  // when fewer agree; Aborted when two different results each have t + 1 (more than t liars).
  // `extra_data` goes into the request unchanged (ciphertext attestations:
  // client/ciphertext_attestation.h).
  absl::StatusOr<PublicDecryptionOutcome> PublicDecrypt(
      const std::string& key_id, const std::vector<v1::TypedCiphertext>& ciphertexts,
      std::chrono::milliseconds timeout, const std::string& extra_data = "");

  // User decryption on every party (UserDecryptSync); the successful answers, each checked to come
  // from the party asked (party id and signer address match ExpectedSigner). `request` must
  // have its request id, key id, ciphertexts, enc_key and client_address set; the domain is
  // filled with DefaultClientDomain() when empty.
  std::vector<PartyResult<v1::UserDecryptionResponse>> UserDecrypt(
      v1::UserDecryptionRequest request, std::chrono::milliseconds timeout);

  // "party 2 (127.0.0.1:50200)" when the party id is known, else the address.
  std::string PartyName(size_t i);
  std::vector<std::string> PartyNames();
  // "<PartyName(i)>: <message>", without the "<address>: " the message may already start with.
  std::string PartyProblem(size_t i, const absl::Status& status);
  // `status` without the "<address>: " its message may start with.
  absl::Status Stripped(size_t i, const absl::Status& status);

 private:
  explicit ClusterClient(std::vector<std::unique_ptr<CoreClient>> parties)
      : parties_(std::move(parties)) {}

  // Start call (retrying RESOURCE_EXHAUSTED), then polls until a result or the timeout;
  // `on_pending` (may be empty) sees every "still running" answer.
  absl::Status StartAndPoll(CoreClient& c, const std::string& start_rpc,
                            const google::protobuf::Message& request, const std::string& result_rpc,
                            const std::string& request_id, std::chrono::milliseconds timeout,
                            google::protobuf::Message* result,
                            const std::function<void(const absl::Status&)>& on_pending = nullptr);

  // Per party, the signer a public key's endorsement must come from: the pins, the reported
  // operator keys under trust on first use, else FailedPrecondition saying how to pin.
  absl::StatusOr<std::vector<std::optional<PinnedOperator>>> KeySigners(std::string_view what);
  // Each party's key-generation result with its name and pin, for TallyKeyGenResults.
  std::vector<PartyKeyGenAnswer> KeyGenAnswers(
      const std::vector<PartyResult<v1::KeyGenResult>>& results,
      const std::vector<std::optional<PinnedOperator>>& signers);
  // t for key acceptance: the configured one, else the largest of floor((n - 1) / 3) and the
  // thresholds the parties report.
  uint32_t KeyThreshold();

  std::vector<std::unique_ptr<CoreClient>> parties_;
  std::FILE* progress_out_ = stderr;
  std::optional<uint32_t> threshold_;
  std::optional<std::vector<PinnedOperator>> pins_;
  bool trust_on_first_use_ = false;
  std::optional<std::vector<PartyResult<v1::OperatorPublicKeyResponse>>> operator_keys_;
};

}  // namespace kms::client

#endif  // KMS_CLIENT_CLUSTER_CLIENT_H_
