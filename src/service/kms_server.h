// File: service/kms_server.h
//
// One kms-server process (service-spec §1, §8): boot, serve, shut down.
//
// Boot, in order; any failure is returned (main logs it at ERROR and exits 1) and nothing is
// served:
//   0. the parameter set must pass its noise budget for this deployment (CheckParameterBudget):
//      n parties tolerating t (threshold), n = 1, t = 0 (centralized); with
//      service.allow_insecure_parameters the "test" set is checked too, since requests may
//      name it;
//   1. open the vaults (OpenVaults);
//   2. load the signing key ("no signing key in <private vault>; run kms-gen-keys
//      --config-file <F>" if there is none) and check VerfKey / VerfAddress against it;
//   3. load the engine: every stored key must match its public key's digest, every PRSS setup
//      must belong to this party (threshold mode also starts the peer network here);
//   4. start the HTTP endpoint (/metrics, /live, /ready, /health, /version);
//   5. start kms.v1.CoreService on the client port, with server reflection and grpc.health.v1.
// A port in use is "Address already in use: <address>:<port>".
//
// Health: grpc.health.v1 reports the overall service ("") SERVING once boot is complete (so
// kms-init can reach a party that has no PRSS yet), and "kms.v1.CoreService" SERVING only while
// the engine is ready (threshold: a PRSS exists); both NOT_SERVING once shutdown starts. /ready
// follows the second.
//
// Shutdown(bound): NOT_SERVING, refuse new requests, wake result waiters, stop the gRPC server,
// drop queued work, let running work finish until `bound`, then stop the peer network so that
// protocol waits end at once. Returns false when work is still running after that (the caller
// then exits without waiting; every stored object is written atomically, so storage stays
// consistent).
#ifndef KMS_SERVICE_KMS_SERVER_H_
#define KMS_SERVICE_KMS_SERVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "crypto/secp256k1_signer.h"
#include "lwe/parameters.h"
#include "service/config.h"
#include "storage/vault.h"

namespace grpc {
class Server;
}

namespace kms::service {

class ClientPortAuth;
class CoreServiceImpl;
class Engine;
class HttpServer;
class Metrics;
class RateLimiter;
class WorkerPool;

// The project version (CMake's PROJECT_VERSION).
const char* KmsVersion();

// The configured parameter set (threshold.fhe_parameter / service.fhe_parameter).
const lwe::LweParameters& ConfiguredParameters(const ServerConfig& config);

// lwe::CheckNoiseBudget of `params` for the deployment `config` describes (threshold: n peers,
// t = threshold.threshold; centralized: n = 1, t = 0). FAILED_PRECONDITION "parameter set
// '<name>' (<key>) fails its noise budget for n=<n>, t=<t>: <why>; threshold decryption would
// return wrong plaintexts" otherwise.
absl::Status CheckParameterBudget(const ServerConfig& config, const lwe::LweParameters& params);

class KmsServer {
 public:
  struct StartOptions {
    // Serve this parameter set instead of the configured one (a test seam: a test server built
    // with a set that fails its noise budget proves the boot refuses it). Must outlive the
    // server. nullptr: the configured set.
    const lwe::LweParameters* fhe_parameters = nullptr;
  };

  // Boots as described above. `config_file` is only used in messages.
  static absl::StatusOr<std::unique_ptr<KmsServer>> Start(ServerConfig config,
                                                          std::string config_file,
                                                          const StartOptions& options);
  static absl::StatusOr<std::unique_ptr<KmsServer>> Start(ServerConfig config,
                                                          std::string config_file) {
    return Start(std::move(config), std::move(config_file), StartOptions{});
  }
  ~KmsServer();
  KmsServer(const KmsServer&) = delete;
  KmsServer& operator=(const KmsServer&) = delete;

  bool Shutdown(std::chrono::milliseconds bound);

  int client_port() const { return client_port_; }
  // Empty when ready; otherwise why not.
  std::string NotReadyReason() const;

 private:
  KmsServer() = default;
  void HealthLoop();
  void SetServing(bool overall, bool core);

  ServerConfig config_;
  std::string version_;
  storage::VaultSet vaults_;
  std::optional<crypto::SigningKey> signing_key_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ClientPortAuth> auth_;  // before service_, which refers to it
  std::unique_ptr<CoreServiceImpl> service_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int client_port_ = 0;

  std::atomic<bool> serving_{false};
  std::atomic<bool> shutting_down_{false};
  std::mutex health_mu_;
  std::condition_variable health_cv_;
  bool health_stop_ = false;
  std::thread health_thread_;
};

}  // namespace kms::service

#endif  // KMS_SERVICE_KMS_SERVER_H_
