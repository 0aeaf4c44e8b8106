// File: service/authorization.h
//
// Who may call what on the client port (config.h "Callers"; docs/security.md). With
// [service.tls] the port serves TLS and asks every caller for a client certificate, verified
// against the configured callers' certificates (each self-signed and pinned, as the parties' are
// on the peer network); the certificate must be exactly one of them, and its caller's roles must
// include the role of the RPC:
//
//   admin    NewMpcEpoch, DestroyMpcEpoch, KeyGenPreproc, KeyGen, InsecureKeyGen, AbortKeyGen
//   decrypt  PublicDecrypt(Sync), UserDecrypt(Sync), GetPublicDecryptionResult,
//            GetUserDecryptionResult
//   read     GetHealthStatus, GetKeyMaterialAvailability, GetOperatorPublicKey, GetPublicKey,
//            GetEpochResult, GetKeyGenPreprocResult, GetKeyGenResult
//
// An RPC missing from this table is refused (fail closed), and a test checks that every RPC of
// kms.v1.CoreService has a role. Refusals: UNAUTHENTICATED when no certificate was presented,
// PERMISSION_DENIED when the caller lacks the role, both with the reason.
//
// Without [service.tls] the port is plaintext and every caller holds every role (development);
// Describe() says so for the logs, /health and kms-health-check. The grpc.health.v1 service on
// the same port stays open to everyone: it tells only whether the server is serving.
//
// Thread safety: Authorize may be called concurrently.
#ifndef KMS_SERVICE_AUTHORIZATION_H_
#define KMS_SERVICE_AUTHORIZATION_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "service/config.h"

namespace grpc {
class ServerContext;
class ServerCredentials;
}  // namespace grpc

namespace kms::service {

// The role an RPC of kms.v1.CoreService needs (by method name, e.g. "KeyGen"); nullopt for a
// name this table does not know.
std::optional<CallerRole> RequiredRole(std::string_view rpc);

// Reads a PEM file named in the configuration (at most 64 KiB), for TLS identities. The key path
// goes into the error. The caller zeroes the text of a private key after use.
absl::StatusOr<std::string> ReadConfiguredPem(const ServerConfig& config, const std::string& path,
                                              const std::string& key_path);

class ClientPortAuth {
 public:
  // Reads the client port's TLS identity and the callers' certificates (FAILED_PRECONDITION
  // naming the key when a file is missing or not a certificate, or two callers share one).
  static absl::StatusOr<std::unique_ptr<ClientPortAuth>> Create(const ServerConfig& config);
  ~ClientPortAuth();

  bool tls() const { return tls_; }
  // TLS credentials asking for a client certificate, or plaintext ones.
  std::shared_ptr<grpc::ServerCredentials> Credentials() const;

  // The name of the caller of `rpc` when it may call it; UNAUTHENTICATED / PERMISSION_DENIED
  // otherwise. "unauthenticated" (every role) on a plaintext port.
  absl::StatusOr<std::string> Authorize(const grpc::ServerContext& context,
                                        std::string_view rpc) const;

  // One line: "mutual TLS, 2 callers (operator: admin, decrypt, read; gateway: decrypt)" or the
  // plaintext warning.
  std::string Describe() const;

 private:
  struct Caller {
    std::string name;
    Bytes der;
    std::vector<CallerRole> roles;
  };
  ClientPortAuth() = default;
  // The caller whose certificate is `pem` (as gRPC reports the peer's), or nullptr.
  const Caller* FindCaller(const std::string& pem) const;

  bool tls_ = false;
  std::string cert_pem_;
  std::string key_pem_;  // zeroed at destruction
  std::string roots_pem_;
  std::vector<Caller> callers_;
  // Certificates already matched, so a connection's PEM is parsed once.
  mutable std::mutex mu_;
  mutable std::map<std::string, size_t, std::less<>> matched_;
};

}  // namespace kms::service

#endif  // KMS_SERVICE_AUTHORIZATION_H_
