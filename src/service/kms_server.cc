#include "service/kms_server.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "service/authorization.h"
#include "service/central_engine.h"
#include "service/core_service.h"
#include "service/health.h"
#include "service/http_server.h"
#include "service/key_material.h"
#include "service/logging.h"
#include "service/metrics.h"
#include "service/rate_limiter.h"
#include "service/threshold_engine.h"
#include "service/worker_pool.h"

#ifndef KMS_VERSION
#define KMS_VERSION "0.0.0"
#endif

namespace kms::service {
namespace {

constexpr char kComponent[] = "server";
constexpr char kCoreServiceName[] = "kms.v1.CoreService";
// Upper bound on threads running request work (the rate limiter bounds it further). Protocol
// work mostly waits for peers, and a session that cannot get a thread here stalls the same
// session on every other party, so the bound is generous: the benchmark's largest burst (2048
// requests at once) runs without queueing. Idle threads cost a stack reservation, not memory.
constexpr size_t kMaxWorkerThreads = 2048;

std::string HostPort(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port)
                                             : absl::StrCat(host, ":", port);
}

}  // namespace

const char* KmsVersion() { return KMS_VERSION; }

const lwe::LweParameters& ConfiguredParameters(const ServerConfig& config) {
  return config.fhe_parameter() == FheParameter::kTest ? lwe::TestParameters()
                                                       : lwe::DefaultParameters();
}

absl::Status CheckParameterBudget(const ServerConfig& config, const lwe::LweParameters& params) {
  const int n = config.centralized() ? 1 : static_cast<int>(config.threshold->num_parties());
  const int t = config.centralized() ? 0 : static_cast<int>(config.threshold->threshold);
  absl::Status budget = lwe::CheckNoiseBudget(params, n, t);
  if (budget.ok()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("parameter set '", params.name, "' (",
                   config.centralized() ? "service.fhe_parameter" : "threshold.fhe_parameter",
                   ") fails its noise budget for n=", n, ", t=", t, ": ", budget.message(),
                   "; decryption would return wrong plaintexts"));
}

absl::StatusOr<std::unique_ptr<KmsServer>> KmsServer::Start(ServerConfig config,
                                                            std::string config_file,
                                                            const StartOptions& start) {
  std::unique_ptr<KmsServer> s(new KmsServer());
  s->config_ = std::move(config);
  s->version_ = KmsVersion();
  const ServerConfig& c = s->config_;

  // ---- 0. the parameter sets' noise budget for this n and t ----
  const lwe::LweParameters& params =
      start.fhe_parameters != nullptr ? *start.fhe_parameters : ConfiguredParameters(c);
  KMS_RETURN_IF_ERROR(CheckParameterBudget(c, params));
  if (c.service.allow_insecure_parameters && &params != &lwe::TestParameters()) {
    KMS_RETURN_IF_ERROR(CheckParameterBudget(c, lwe::TestParameters()));
  }
  LogInfo("boot",
          absl::StrCat("parameter set '", params.name, "' passes its noise budget for n=",
                       c.centralized() ? 1 : c.threshold->num_parties(),
                       c.service.allow_insecure_parameters ? " (insecure parameters ALLOWED by "
                                                             "service.allow_insecure_parameters)"
                                                           : ""));

  // ---- 1. storage ----
  KMS_ASSIGN_OR_RETURN(s->vaults_, OpenVaults(c));
  LogInfo("storage", absl::StrCat("vaults: ", DescribeStorage(s->vaults_)));

  // ---- 2. signing key ----
  KMS_ASSIGN_OR_RETURN(std::optional<crypto::SigningKey> key,
                       LoadSigningKey(*s->vaults_.private_vault));
  if (!key.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no signing key in ", s->vaults_.private_vault->Describe(),
                     "; run kms-gen-keys --config-file ", config_file));
  }
  s->signing_key_.emplace(std::move(*key));
  KMS_RETURN_IF_ERROR(VerifyPublishedVerificationKey(*s->vaults_.public_vault, *s->signing_key_));
  LogInfo("boot", absl::StrCat("signing key ",
                               s->signing_key_->verification_key().EthereumAddressChecksummed(),
                               " matches its published verification key"));

  // ---- 3. engine (boot check of the key material; threshold: peer network) ----
  if (c.centralized()) {
    KMS_ASSIGN_OR_RETURN(s->engine_, CentralizedEngine::Load(s->vaults_, params));
  } else {
    KMS_ASSIGN_OR_RETURN(s->engine_, ThresholdEngine::Start(c, s->vaults_, &params));
  }
  for (const std::string& id : s->engine_->KeyIds()) {
    absl::StatusOr<Id32> key_id = ParseId("key id", id);
    if (!key_id.ok()) continue;
    absl::StatusOr<PublicKeyInfo> key = s->engine_->GetPublicKey(*key_id);
    if (key.ok() && key->insecure) {
      LogWarn("boot",
              absl::StrCat("key ", id, " is INSECURE (parameters ", std::string(key->params.name()),
                           "); never use it for real data"));
    }
  }
  LogInfo("boot", absl::StrCat("storage verified: ", s->engine_->KeyIds().size(), " key(s), ",
                               s->engine_->EpochIds().size(), " PRSS setup(s)"));

  s->metrics_ = std::make_unique<Metrics>(s->version_);
  s->limiter_ = std::make_unique<RateLimiter>(c.rate_limiter.bucket_size);
  s->pool_ = std::make_unique<WorkerPool>(kMaxWorkerThreads);
  {
    Engine* engine = s->engine_.get();
    Metrics* metrics = s->metrics_.get();
    RateLimiter* limiter = s->limiter_.get();
    s->metrics_->SetRefresh([engine, metrics, limiter] {
      uint64_t rx = 0, tx = 0, sessions = 0;
      engine->NetworkTotals(&rx, &tx, &sessions);
      metrics->SetNetworkTotals(rx, tx, sessions);
      metrics->SetRateLimiterUsage(limiter->usage());
      metrics->SetKeyMaterial("fhe_key", engine->KeyIds().size());
      metrics->SetKeyMaterial("prss_setup", engine->EpochIds().size());
      metrics->SetKeyMaterial("preprocessing", engine->PreprocessingIds().size());
      const PreprocessingProgress progress = engine->PreprocessingTotals();
      metrics->SetPreprocessingProgress(progress.done, progress.total, progress.items_per_second);
    });
  }

  // ---- 4. HTTP ----
  {
    KmsServer* self = s.get();
    HttpServer::Routes routes;
    routes["/metrics"] = [self] {
      return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                          self->metrics_->Serialize()};
    };
    routes["/live"] = [] { return HttpResponse{200, "text/plain; charset=utf-8", "live\n"}; };
    routes["/ready"] = [self] {
      const std::string reason = self->NotReadyReason();
      if (reason.empty()) return HttpResponse{200, "text/plain; charset=utf-8", "ready\n"};
      return HttpResponse{503, "text/plain; charset=utf-8",
                          absl::StrCat("not ready: ", reason, "\n")};
    };
    routes["/health"] = [self] {
      const kms::v1::HealthStatusResponse health =
          BuildHealthStatus(*self->engine_, self->vaults_, self->metrics_.get(), self->version_,
                            self->auth_->Describe(), DescribeAdmission(self->config_.admission));
      std::string json;
      google::protobuf::util::JsonPrintOptions options;
      options.always_print_primitive_fields = true;
      options.preserve_proto_field_names = true;
      if (!google::protobuf::util::MessageToJsonString(health, &json, options).ok()) {
        return HttpResponse{500, "text/plain; charset=utf-8", "cannot encode health\n"};
      }
      return HttpResponse{HealthHttpStatus(health.status()), "application/json", json + "\n"};
    };
    routes["/version"] = [self] {
      nlohmann::ordered_json j;
      j["name"] = "kms-server";
      j["version"] = self->version_;
      j["mode"] = self->engine_->threshold() ? "threshold" : "centralized";
      j["party_id"] = self->engine_->party_id();
      j["fhe_parameter"] = self->engine_->default_parameters().name;
      return HttpResponse{200, "application/json", j.dump() + "\n"};
    };
    absl::StatusOr<std::unique_ptr<HttpServer>> http =
        HttpServer::Start(c.telemetry.metrics_bind_address, std::move(routes));
    if (!http.ok()) {
      return absl::Status(http.status().code(),
                          absl::StrCat(http.status().message(),
                                       " (telemetry.metrics_bind_address, the HTTP endpoint)"));
    }
    s->http_ = std::move(*http);
    LogInfo("http", absl::StrCat("metrics and probes on http://", c.telemetry.metrics_bind_address,
                                 " (/metrics /live /ready /health /version)"));
  }

  // ---- 5. gRPC client port ----
  KMS_ASSIGN_OR_RETURN(s->auth_, ClientPortAuth::Create(c));
  CoreServiceImpl::Options options;
  options.result_wait = std::chrono::seconds(c.service.result_wait_secs);
  options.sync_wait = std::chrono::seconds(c.service.timeout_secs);
  options.costs = c.rate_limiter;
  options.version = s->version_;
  options.allow_insecure_parameters = c.service.allow_insecure_parameters;
  options.admission = c.admission;
  if (c.admission.policy == AdmissionPolicy::kOpen) {
    LogWarn("admission", absl::StrCat("ciphertext admission ", DescribeAdmission(c.admission)));
  } else {
    LogInfo("admission", absl::StrCat("ciphertext admission ", DescribeAdmission(c.admission)));
  }
  s->service_ =
      std::make_unique<CoreServiceImpl>(*s->engine_, s->vaults_, *s->signing_key_, *s->metrics_,
                                        *s->limiter_, *s->pool_, *s->auth_, options);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this, gRPC sets SO_REUSEPORT and a second server on the same port would start and
  // silently share it instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  const std::string address = HostPort(c.service.listen_address, c.service.listen_port);
  builder.AddListeningPort(address, s->auth_->Credentials(), &s->client_port_);
  const int max_message = static_cast<int>(
      std::min<uint64_t>(c.service.grpc_max_message_size, std::numeric_limits<int>::max()));
  builder.SetMaxReceiveMessageSize(max_message);
  builder.SetMaxSendMessageSize(max_message);
  builder.RegisterService(s->service_.get());
  s->grpc_server_ = builder.BuildAndStart();
  if (s->grpc_server_ == nullptr || s->client_port_ == 0) {
    absl::Status probe = ProbeBind(c.service.listen_address, c.service.listen_port);
    if (!probe.ok()) {
      return absl::UnavailableError(
          absl::StrCat(probe.message(), " (service.listen_port, the client port)"));
    }
    return absl::UnavailableError(absl::StrCat("gRPC server on ", address, " did not start"));
  }
  s->serving_ = true;
  s->SetServing(true, s->engine_->Ready().ok());
  s->health_thread_ = std::thread([self = s.get()] { self->HealthLoop(); });
  LogInfo(kComponent,
          absl::StrCat("kms-server ", s->version_, " serving kms.v1.CoreService on ", address, " (",
                       c.centralized() ? "centralized" : "threshold", " mode, parameters ",
                       s->engine_->default_parameters().name, ")"));
  if (s->auth_->tls()) {
    LogInfo(kComponent, absl::StrCat("client port: ", s->auth_->Describe()));
  } else {
    LogWarn(kComponent,
            absl::StrCat("client port: ", s->auth_->Describe(),
                         "; configure [service.tls] and [[service.callers]] for production"));
  }
  if (std::string reason = s->NotReadyReason(); !reason.empty()) {
    LogWarn(kComponent, absl::StrCat("not ready: ", reason));
  }
  return s;
}

std::string KmsServer::NotReadyReason() const {
  if (shutting_down_) return "shutting down";
  if (!serving_) return "gRPC service not serving yet";
  absl::Status ready = engine_->Ready();
  return ready.ok() ? "" : std::string(ready.message());
}

void KmsServer::SetServing(bool overall, bool core) {
  if (grpc_server_ == nullptr) return;
  grpc::HealthCheckServiceInterface* health = grpc_server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus("", overall);
  health->SetServingStatus(kCoreServiceName, core);
}

void KmsServer::HealthLoop() {
  bool last = engine_->Ready().ok();
  std::unique_lock<std::mutex> lock(health_mu_);
  while (!health_stop_) {
    health_cv_.wait_for(lock, std::chrono::milliseconds(250));
    if (health_stop_) break;
    const bool ready = engine_->Ready().ok();
    if (ready != last) {
      SetServing(true, ready);
      LogInfo(kComponent, ready ? "ready" : absl::StrCat("not ready: ", NotReadyReason()));
      last = ready;
    }
  }
}

bool KmsServer::Shutdown(std::chrono::milliseconds bound) {
  if (shutting_down_.exchange(true)) return true;
  const bool was_serving = serving_.exchange(false);
  const auto deadline = std::chrono::steady_clock::now() + bound;
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    health_stop_ = true;
    health_cv_.notify_all();
  }
  if (health_thread_.joinable()) health_thread_.join();
  SetServing(false, false);
  if (service_) service_->Shutdown();
  if (grpc_server_) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  LogDebug(kComponent, "gRPC server stopped");
  if (was_serving) {
    LogInfo(kComponent,
            absl::StrCat("client port closed; waiting up to ",
                         std::chrono::duration_cast<std::chrono::seconds>(bound).count(), " s for ",
                         pool_ ? pool_->busy() : 0, " running task(s)"));
  }
  bool drained = true;
  if (pool_) {
    pool_->Stop();
    drained = pool_->Drain(deadline);
  }
  if (engine_) engine_->Shutdown();
  if (!drained && pool_) {
    // The network is down now: protocol waits return at once, so the work ends quickly.
    drained = pool_->Drain(std::chrono::steady_clock::now() + std::chrono::seconds(3));
  }
  LogDebug(kComponent, "work drained, peer network stopped");
  if (http_) http_->Stop();
  LogDebug(kComponent, "HTTP endpoint stopped");
  if (!was_serving) return drained;
  if (drained) {
    LogInfo(kComponent, "shutdown complete");
  } else {
    LogWarn(kComponent, "work still running after the shutdown bound; it is abandoned");
  }
  return drained;
}

KmsServer::~KmsServer() {
  Shutdown(std::chrono::seconds(10));
  // Workers reference the service and the engine: they go first.
  grpc_server_.reset();
  pool_.reset();
  service_.reset();
  http_.reset();
  engine_.reset();
}

}  // namespace kms::service
