// File: service/core_service.h
//
// kms.v1.CoreService (proto/kms_service.proto, service-spec §2): the request layer between the
// client port and an Engine. For every RPC it
//   0. checks that the caller holds the RPC's role (service/authorization.h: UNAUTHENTICATED,
//      PERMISSION_DENIED; counted in kms_client_refusals_total);
//   1. validates every field of the request (INVALID_ARGUMENT naming the field), then asks the
//      engine's quick checks (FAILED_PRECONDITION without a PRSS, NOT_FOUND for an unknown key
//      or preprocessing, ALREADY_EXISTS for a key id in use); decryptions then pass ciphertext
//      admission (PERMISSION_DENIED naming the refused ciphertext, ciphertext_admission.h);
//   2. registers the caller's request id (ALREADY_EXISTS on reuse; public and user decryptions
//      share one id space, because both derive PRSS masks from it);
//   3. takes the operation's tokens from the rate limiter (RESOURCE_EXHAUSTED, nothing started);
//   4. runs the work on the worker pool, signs the result (ResponseSigner) and stores it for
//      GetXResult, which waits up to service.result_wait_secs (then UNAVAILABLE "still
//      running"); XSync waits up to service.timeout_secs.
// A request refused in steps 1-3 changes nothing: no id is kept, no token taken, nothing stored.
//
// Errors are absl::Status everywhere below; ToGrpcStatus is the one place where they become gRPC
// statuses. Every RPC is counted in the metrics (kms_operations_total, errors, duration) and
// every refusal is logged at WARN (ERROR for INTERNAL / DATA_LOSS / ABORTED) with its request id.
//
// Thread safety: gRPC calls the handlers concurrently; all state is synchronized.
#ifndef KMS_SERVICE_CORE_SERVICE_H_
#define KMS_SERVICE_CORE_SERVICE_H_

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "proto/kms_service.grpc.pb.h"
#include "service/authorization.h"
#include "service/ciphertext_admission.h"
#include "service/config.h"
#include "service/engine.h"
#include "service/metrics.h"
#include "service/rate_limiter.h"
#include "service/request_table.h"
#include "service/response_signer.h"
#include "service/worker_pool.h"
#include "storage/vault.h"

namespace kms::service {

// The mapping of absl::StatusCode to grpc::StatusCode (they share their numbering, which this
// function does not rely on).
grpc::Status ToGrpcStatus(const absl::Status& status);

class CoreServiceImpl final : public kms::v1::CoreService::Service {
 public:
  struct Options {
    std::chrono::milliseconds result_wait{60000};  // GetXResult
    std::chrono::milliseconds sync_wait{360000};   // XSync
    RateLimiterConfig costs;
    std::string version;
    // service.allow_insecure_parameters: whether requests may name the insecure "test" set.
    bool allow_insecure_parameters = false;
    // [admission]: which ciphertexts are decrypted (service/ciphertext_admission.h).
    AdmissionConfig admission;
  };

  // Every reference must outlive the service.
  CoreServiceImpl(Engine& engine, storage::VaultSet& vaults, const crypto::SigningKey& signing_key,
                  Metrics& metrics, RateLimiter& limiter, WorkerPool& pool,
                  const ClientPortAuth& auth, Options options);

  // Refuses new requests (UNAVAILABLE) and wakes every GetXResult waiter.
  void Shutdown();

  grpc::Status GetHealthStatus(grpc::ServerContext*, const kms::v1::HealthStatusRequest*,
                               kms::v1::HealthStatusResponse*) override;
  grpc::Status GetKeyMaterialAvailability(grpc::ServerContext*, const kms::v1::Empty*,
                                          kms::v1::KeyMaterialAvailabilityResponse*) override;
  grpc::Status GetOperatorPublicKey(grpc::ServerContext*, const kms::v1::Empty*,
                                    kms::v1::OperatorPublicKeyResponse*) override;

  grpc::Status NewMpcEpoch(grpc::ServerContext*, const kms::v1::NewMpcEpochRequest*,
                           kms::v1::Empty*) override;
  grpc::Status GetEpochResult(grpc::ServerContext*, const kms::v1::RequestId*,
                              kms::v1::EpochResult*) override;
  grpc::Status DestroyMpcEpoch(grpc::ServerContext*, const kms::v1::DestroyMpcEpochRequest*,
                               kms::v1::Empty*) override;

  grpc::Status KeyGenPreproc(grpc::ServerContext*, const kms::v1::KeyGenPreprocRequest*,
                             kms::v1::Empty*) override;
  grpc::Status GetKeyGenPreprocResult(grpc::ServerContext*, const kms::v1::RequestId*,
                                      kms::v1::KeyGenPreprocResult*) override;
  grpc::Status KeyGen(grpc::ServerContext*, const kms::v1::KeyGenRequest*,
                      kms::v1::Empty*) override;
  grpc::Status GetKeyGenResult(grpc::ServerContext*, const kms::v1::RequestId*,
                               kms::v1::KeyGenResult*) override;
  grpc::Status AbortKeyGen(grpc::ServerContext*, const kms::v1::RequestId*,
                           kms::v1::Empty*) override;
  grpc::Status InsecureKeyGen(grpc::ServerContext*, const kms::v1::KeyGenRequest*,
                              kms::v1::Empty*) override;
  grpc::Status GetPublicKey(grpc::ServerContext*, const kms::v1::PublicKeyRequest*,
                            kms::v1::PublicKeyResponse*) override;

  grpc::Status PublicDecrypt(grpc::ServerContext*, const kms::v1::PublicDecryptionRequest*,
                             kms::v1::Empty*) override;
  grpc::Status GetPublicDecryptionResult(grpc::ServerContext*, const kms::v1::RequestId*,
                                         kms::v1::PublicDecryptionResponse*) override;
  grpc::Status PublicDecryptSync(grpc::ServerContext*, const kms::v1::PublicDecryptionRequest*,
                                 kms::v1::PublicDecryptionResponse*) override;
  grpc::Status UserDecrypt(grpc::ServerContext*, const kms::v1::UserDecryptionRequest*,
                           kms::v1::Empty*) override;
  grpc::Status GetUserDecryptionResult(grpc::ServerContext*, const kms::v1::RequestId*,
                                       kms::v1::UserDecryptionResponse*) override;
  grpc::Status UserDecryptSync(grpc::ServerContext*, const kms::v1::UserDecryptionRequest*,
                               kms::v1::UserDecryptionResponse*) override;

 private:
  // Validates and starts; on success *id is the request id's canonical hex.
  absl::Status StartEpoch(const kms::v1::NewMpcEpochRequest& req);
  absl::Status StartPreproc(const kms::v1::KeyGenPreprocRequest& req);
  absl::Status StartKeyGen(const kms::v1::KeyGenRequest& req, bool insecure);
  absl::Status StartPublicDecrypt(const kms::v1::PublicDecryptionRequest& req, std::string* id);
  absl::Status StartUserDecrypt(const kms::v1::UserDecryptionRequest& req, std::string* id);
  absl::StatusOr<kms::v1::KeyGenResult> KeyGenResult(const std::string& id_text);
  absl::StatusOr<kms::v1::EpochResult> EpochResultFor(const std::string& id_text);

  // FAILED_PRECONDITION naming service.allow_insecure_parameters when `params` is insecure and
  // the configuration does not allow it.
  absl::Status CheckParametersAllowed(const ParameterSet& params) const;

  // limiter_.Charge, counting the charge in the metrics when it is taken.
  absl::StatusOr<RateLimiter::Lease> Charge(const char* operation, uint64_t units,
                                            uint64_t cost_per_unit, std::string_view unit);

  // Registers `id` in `table` unless either decryption table knows it.
  template <typename T>
  absl::Status ReserveDecryptionId(const std::string& id, RequestTable<T>& table);

  // Runs `body` as RPC `operation` if the caller may call it (ClientPortAuth): metrics, refusal
  // logging, status mapping.
  template <typename Body>
  grpc::Status Handle(const grpc::ServerContext* context, const char* operation,
                      const std::string& request_id, Body&& body);

  // Runs work on the pool; Finish()es `table` with its result. On a refused submit the id is
  // abandoned and the status returned.
  template <typename T, typename Work>
  absl::Status Launch(const char* operation, const std::string& id, RequestTable<T>& table,
                      RateLimiter::Lease lease, Work work);

  Engine& engine_;
  storage::VaultSet& vaults_;
  ResponseSigner signer_;
  Metrics& metrics_;
  RateLimiter& limiter_;
  WorkerPool& pool_;
  const ClientPortAuth& auth_;
  const Options options_;
  const CiphertextAdmission admission_;

  RequestTable<kms::v1::EpochResult> epochs_{"epoch"};
  RequestTable<kms::v1::KeyGenPreprocResult> preprocs_{"preprocessing"};
  RequestTable<kms::v1::KeyGenResult> keygens_{"key generation"};
  RequestTable<kms::v1::PublicDecryptionResponse> public_decryptions_{"public decryption"};
  RequestTable<kms::v1::UserDecryptionResponse> user_decryptions_{"user decryption"};

  std::mutex mu_;                                  // decryption id reservation; epoch runs
  std::map<std::string, std::string> epoch_runs_;  // epoch id -> latest run id
};

}  // namespace kms::service

#endif  // KMS_SERVICE_CORE_SERVICE_H_
