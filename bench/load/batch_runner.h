// File: bench/load/batch_runner.h
//
// One batch of the load benchmark (service-spec §10): `batch` decryption requests of one
// ciphertext each, all sent at once, each to every party of the cluster, and the results checked
// as a real client would check them:
//
//   public decryption  a request is done when t + 1 parties returned a valid EIP-712 signature
//                      (by the key of the party asked) over the same plaintext, and that
//                      plaintext must be the value that was encrypted; answers that arrive after
//                      the quorum are counted but not verified (a client would not wait for them)
//   user decryption    every party's answer (or failure) is awaited, then the signcrypted shares
//                      are checked and reconstructed (client/user_decryption.h), which with
//                      n = 3t + 1 needs every party heard from; the result must be the value
//
// A request's latency runs from the start of the batch (all requests are "sent at once") to the
// moment it is done; its service latency from the moment its own first call was started (with
// thousands of calls to start on two busy cores, starting them takes seconds, send_ms). The
// batch's wall time runs from the start to the last request done; the drain time to the moment
// every call has returned (so that the servers' CPU time sampled after the batch contains all of
// the batch's work and nothing of the next).
//
// The calls use gRPC's callback API on one channel per party, so 2048 requests × 13 parties are
// 26,624 calls in flight without a thread each. Verification runs on gRPC's callback threads.
//
// Thread safety: one Run* at a time per BatchRunner.
#ifndef KMS_BENCH_LOAD_BATCH_RUNNER_H_
#define KMS_BENCH_LOAD_BATCH_RUNNER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/client_tls.h"
#include "crypto/secp256k1_signer.h"
#include "lwe/typed_plaintext.h"
#include "proto/kms_service.grpc.pb.h"
#include "proto/kms_service.pb.h"

namespace kms::load {

// A party as the benchmark calls it: its client endpoint and the identity its answers must carry
// (from GetOperatorPublicKey).
struct PartyTarget {
  std::string address;         // host:port
  uint32_t party_id = 0;       // 1..n
  std::string signer_address;  // EIP-55 address of the party's signing key
};

// What a batch decrypts: a pool of ciphertexts of one type under one key, with the values they
// encrypt; request i uses ciphertexts[i % size].
struct Workload {
  std::string key_id;  // 64 hex
  std::string fhe_type;
  int blocks_per_value = 0;  // BlockCount(type, params)
  std::vector<kms::v1::TypedCiphertext> ciphertexts;
  std::vector<lwe::TypedPlaintext> values;  // values[i] is encrypted in ciphertexts[i]
};

struct BatchResult {
  size_t requests = 0;
  size_t succeeded = 0;
  size_t failed = 0;
  size_t wrong_values = 0;  // done, but the plaintext is not the encrypted value
  // Of the successful requests, in completion order: from the start of the batch, and from the
  // start of the request's own first call.
  std::vector<double> latencies_ms;
  std::vector<double> service_latencies_ms;
  double send_ms = 0;   // starting every call of the batch
  double wall_ms = 0;   // first call started .. last request done (or failed)
  double drain_ms = 0;  // first call started .. every call returned
  // Distinct failure messages with how often each occurred (per party call or per request).
  std::map<std::string, size_t> errors;
};

class BatchRunner {
 public:
  // One channel per party (TLS with `tls`, else plaintext). `threshold` is t; `timeout` bounds
  // every call. InvalidArgument for an empty party list, a malformed endpoint or a malformed
  // signer address.
  static absl::StatusOr<std::unique_ptr<BatchRunner>> Create(
      std::vector<PartyTarget> parties, uint32_t threshold, std::chrono::milliseconds timeout,
      const std::optional<client::ClientTls>& tls);
  ~BatchRunner();

  size_t parties() const { return parties_.size(); }
  uint32_t threshold() const { return threshold_; }

  // `batch` public decryptions at once. REQUIRES: !workload.ciphertexts.empty().
  BatchResult RunPublic(const Workload& workload, size_t batch);
  // `batch` user decryptions at once, all for one fresh user key pair.
  // REQUIRES: !workload.ciphertexts.empty().
  BatchResult RunUser(const Workload& workload, size_t batch);

 private:
  struct Party {
    PartyTarget target;
    crypto::EthAddress signer{};
    std::unique_ptr<kms::v1::CoreService::Stub> stub;
  };

  BatchRunner(std::vector<Party> parties, uint32_t threshold, std::chrono::milliseconds timeout);

  std::vector<Party> parties_;
  uint32_t threshold_ = 0;
  std::chrono::milliseconds timeout_;
};

}  // namespace kms::load

#endif  // KMS_BENCH_LOAD_BATCH_RUNNER_H_
