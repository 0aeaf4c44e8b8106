#include "service/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <sstream>

namespace kms::service {

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>* operations = nullptr;
  prometheus::Family<prometheus::Counter>* errors = nullptr;
  prometheus::Family<prometheus::Histogram>* durations = nullptr;
  prometheus::Family<prometheus::Gauge>* peer_reachable = nullptr;
  prometheus::Counter* rx_bytes = nullptr;
  prometheus::Counter* tx_bytes = nullptr;
  prometheus::Gauge* active_sessions = nullptr;
  prometheus::Gauge* rate_limiter_usage = nullptr;
  prometheus::Family<prometheus::Counter>* charged_units = nullptr;
  prometheus::Family<prometheus::Counter>* charged_tokens = nullptr;
  prometheus::Family<prometheus::Gauge>* key_material = nullptr;
  prometheus::Gauge* preprocessing_done = nullptr;
  prometheus::Gauge* preprocessing_total = nullptr;
  prometheus::Gauge* preprocessing_rate = nullptr;
  prometheus::Family<prometheus::Counter>* client_refusals = nullptr;

  std::mutex mu;  // serializes refresh + totals bookkeeping
  uint64_t last_rx = 0, last_tx = 0;
  std::function<void()> refresh;
};

namespace {

// Milliseconds: a health check (~1 ms) up to a default-parameter preprocessing (hours).
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 3600000};
  return b;
}

}  // namespace

Metrics::Metrics(std::string_view version) : impl_(std::make_unique<Impl>()) {
  auto& r = *impl_->registry;
  impl_->operations = &prometheus::BuildCounter()
                           .Name("kms_operations_total")
                           .Help("Requests handled, by operation")
                           .Register(r);
  impl_->errors = &prometheus::BuildCounter()
                       .Name("kms_operation_errors_total")
                       .Help("Failed requests, by operation and status code")
                       .Register(r);
  impl_->durations = &prometheus::BuildHistogram()
                          .Name("kms_operation_duration_ms")
                          .Help("Request handling time in milliseconds")
                          .Register(r);
  impl_->peer_reachable = &prometheus::BuildGauge()
                               .Name("kms_peer_reachable")
                               .Help("1 if the peer answered the last health probe")
                               .Register(r);
  impl_->rx_bytes = &prometheus::BuildCounter()
                         .Name("kms_network_rx_bytes_total")
                         .Help("Bytes received on the peer network")
                         .Register(r)
                         .Add({});
  impl_->tx_bytes = &prometheus::BuildCounter()
                         .Name("kms_network_tx_bytes_total")
                         .Help("Bytes sent on the peer network")
                         .Register(r)
                         .Add({});
  impl_->active_sessions = &prometheus::BuildGauge()
                                .Name("kms_active_sessions")
                                .Help("MPC sessions with buffered or awaited messages")
                                .Register(r)
                                .Add({});
  impl_->rate_limiter_usage = &prometheus::BuildGauge()
                                   .Name("kms_rate_limiter_usage")
                                   .Help("Rate limiter tokens in use / bucket size")
                                   .Register(r)
                                   .Add({});
  impl_->charged_units = &prometheus::BuildCounter()
                              .Name("kms_rate_limiter_charged_units_total")
                              .Help(
                                  "Units charged by the rate limiter for accepted requests "
                                  "(LWE blocks for decryptions, 10,000-bit units for "
                                  "preprocessing, requests otherwise)")
                              .Register(r);
  impl_->charged_tokens = &prometheus::BuildCounter()
                               .Name("kms_rate_limiter_charged_tokens_total")
                               .Help("Rate limiter tokens taken by accepted requests")
                               .Register(r);
  impl_->key_material = &prometheus::BuildGauge()
                             .Name("kms_key_material")
                             .Help("Key material held, by type")
                             .Register(r);
  impl_->preprocessing_done = &prometheus::BuildGauge()
                                   .Name("kms_preprocessing_items_done")
                                   .Help(
                                       "Items (bits, triples, randoms) made by the running "
                                       "preprocessings")
                                   .Register(r)
                                   .Add({});
  impl_->preprocessing_total = &prometheus::BuildGauge()
                                    .Name("kms_preprocessing_items_total")
                                    .Help("Items the running preprocessings make in all")
                                    .Register(r)
                                    .Add({});
  impl_->preprocessing_rate = &prometheus::BuildGauge()
                                   .Name("kms_preprocessing_items_per_second")
                                   .Help("Rate of the running preprocessings")
                                   .Register(r)
                                   .Add({});
  impl_->client_refusals = &prometheus::BuildCounter()
                                .Name("kms_client_refusals_total")
                                .Help(
                                    "Client-port calls refused by authorization, by operation "
                                    "and reason (unauthenticated, permission_denied)")
                                .Register(r);
  prometheus::BuildGauge()
      .Name("kms_build_info")
      .Help("Build information")
      .Register(r)
      .Add({{"version", std::string(version)}})
      .Set(1);
}

Metrics::~Metrics() = default;

std::string Metrics::ErrorLabel(absl::StatusCode code) {
  std::string name = absl::StatusCodeToString(code);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

void Metrics::RecordOperation(std::string_view operation, double duration_ms,
                              const absl::Status& status) {
  const std::string op(operation);
  impl_->operations->Add({{"operation", op}}).Increment();
  impl_->durations->Add({{"operation", op}}, DurationBuckets()).Observe(duration_ms);
  if (!status.ok()) {
    impl_->errors->Add({{"operation", op}, {"error", ErrorLabel(status.code())}}).Increment();
  }
}

void Metrics::SetPeerReachable(int peer, bool reachable) {
  impl_->peer_reachable->Add({{"peer", std::to_string(peer)}}).Set(reachable ? 1 : 0);
}

void Metrics::SetNetworkTotals(uint64_t rx_bytes, uint64_t tx_bytes, uint64_t active_sessions) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (rx_bytes > impl_->last_rx) impl_->rx_bytes->Increment(double(rx_bytes - impl_->last_rx));
  if (tx_bytes > impl_->last_tx) impl_->tx_bytes->Increment(double(tx_bytes - impl_->last_tx));
  impl_->last_rx = std::max(impl_->last_rx, rx_bytes);
  impl_->last_tx = std::max(impl_->last_tx, tx_bytes);
  impl_->active_sessions->Set(double(active_sessions));
}

void Metrics::SetRateLimiterUsage(double usage) { impl_->rate_limiter_usage->Set(usage); }

void Metrics::RecordCharge(std::string_view operation, uint64_t units, uint64_t tokens) {
  const std::map<std::string, std::string> labels{{"operation", std::string(operation)}};
  impl_->charged_units->Add(labels).Increment(double(units));
  impl_->charged_tokens->Add(labels).Increment(double(tokens));
}

void Metrics::RecordClientRefusal(std::string_view operation, absl::StatusCode code) {
  impl_->client_refusals->Add({{"operation", std::string(operation)}, {"reason", ErrorLabel(code)}})
      .Increment();
}

void Metrics::SetKeyMaterial(std::string_view type, uint64_t count) {
  impl_->key_material->Add({{"type", std::string(type)}}).Set(double(count));
}

void Metrics::SetPreprocessingProgress(uint64_t done, uint64_t total, double items_per_second) {
  impl_->preprocessing_done->Set(double(done));
  impl_->preprocessing_total->Set(double(total));
  impl_->preprocessing_rate->Set(items_per_second);
}

void Metrics::SetRefresh(std::function<void()> refresh) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->refresh = std::move(refresh);
}

std::string Metrics::Serialize() {
  std::function<void()> refresh;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    refresh = impl_->refresh;
  }
  if (refresh) refresh();
  prometheus::TextSerializer serializer;
  std::ostringstream out;
  serializer.Serialize(out, impl_->registry->Collect());
  return out.str();
}

}  // namespace kms::service
