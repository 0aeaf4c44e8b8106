// File: service/metrics.h
//
// The server's Prometheus metrics (service-spec §6), served as text on /metrics:
//   kms_operations_total{operation}                  requests handled, by RPC name
//   kms_operation_errors_total{operation,error}      failed ones, error = status code name
//                                                    ("invalid_argument", "aborted", ...)
//   kms_operation_duration_ms{operation}             histogram of handling time
//   kms_peer_reachable{peer}                         1/0 per peer, from the last health probe
//   kms_network_rx_bytes_total, kms_network_tx_bytes_total, kms_active_sessions
//                                                    peer network totals (threshold mode)
//   kms_rate_limiter_usage                           tokens in use / bucket size
//   kms_key_material{type}                           stored objects: fhe_key, prss_setup,
//                                                    preprocessing
//   kms_preprocessing_items_done, kms_preprocessing_items_total,
//   kms_preprocessing_items_per_second               the running preprocessings, summed
//   kms_client_refusals_total{operation,reason}      calls refused by the client port's
//                                                    authorization (reason unauthenticated or
//                                                    permission_denied)
//   kms_build_info{version}                          1
// Labels never carry secrets or request ids (bounded cardinality: RPC names, status codes,
// peer ids, material types). prometheus-cpp stays inside metrics.cc.
//
// Values that live elsewhere (network counters, rate limiter, key counts) are pulled by a
// refresh callback just before each scrape, so they are exact at scrape time without a timer.
//
// Thread safety: all methods are thread-safe.
#ifndef KMS_SERVICE_METRICS_H_
#define KMS_SERVICE_METRICS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace kms::service {

class Metrics {
 public:
  explicit Metrics(std::string_view version);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One handled request: counts it, its error if any, and its duration.
  void RecordOperation(std::string_view operation, double duration_ms, const absl::Status& status);

  void SetPeerReachable(int peer, bool reachable);
  // Absolute totals; the counters advance by the difference since the last call.
  void SetNetworkTotals(uint64_t rx_bytes, uint64_t tx_bytes, uint64_t active_sessions);
  void SetRateLimiterUsage(double usage);
  // An accepted request's rate-limiter charge: kms_rate_limiter_charged_units_total{operation}
  // advances by `units`, kms_rate_limiter_charged_tokens_total{operation} by `tokens`.
  void RecordCharge(std::string_view operation, uint64_t units, uint64_t tokens);
  void SetKeyMaterial(std::string_view type, uint64_t count);
  void SetPreprocessingProgress(uint64_t done, uint64_t total, double items_per_second);
  // A call refused by the client port's authorization (UNAUTHENTICATED / PERMISSION_DENIED).
  void RecordClientRefusal(std::string_view operation, absl::StatusCode code);

  // Called at the start of every Serialize (e.g. to SetNetworkTotals from the network).
  void SetRefresh(std::function<void()> refresh);

  // Prometheus text exposition format 0.0.4.
  std::string Serialize();

  // "invalid_argument", "not_found", ... for a status code ("ok" for OK).
  static std::string ErrorLabel(absl::StatusCode code);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kms::service

#endif  // KMS_SERVICE_METRICS_H_
