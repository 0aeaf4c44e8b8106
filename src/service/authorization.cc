#include "service/authorization.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "crypto/secure_zero.h"
#include "crypto/tls_certificate.h"

namespace kms::service {
namespace {

absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Distinct certificate encodings remembered per server; callers are few, this bounds memory if
// a client presents many re-encodings.
constexpr size_t kMaxMatched = 1024;

std::string RoleList(const std::vector<CallerRole>& roles) {
  std::vector<std::string> names;
  for (CallerRole r : roles) names.push_back(CallerRoleName(r));
  return names.empty() ? "no role" : absl::StrJoin(names, ", ");
}

}  // namespace

std::optional<CallerRole> RequiredRole(std::string_view rpc) {
  static const std::map<std::string_view, CallerRole>* table =
      new std::map<std::string_view, CallerRole>{
          {"NewMpcEpoch", CallerRole::kAdmin},
          {"DestroyMpcEpoch", CallerRole::kAdmin},
          {"KeyGenPreproc", CallerRole::kAdmin},
          {"KeyGen", CallerRole::kAdmin},
          {"InsecureKeyGen", CallerRole::kAdmin},
          {"AbortKeyGen", CallerRole::kAdmin},
          {"PublicDecrypt", CallerRole::kDecrypt},
          {"PublicDecryptSync", CallerRole::kDecrypt},
          {"GetPublicDecryptionResult", CallerRole::kDecrypt},
          {"UserDecrypt", CallerRole::kDecrypt},
          {"UserDecryptSync", CallerRole::kDecrypt},
          {"GetUserDecryptionResult", CallerRole::kDecrypt},
          {"GetHealthStatus", CallerRole::kRead},
          {"GetKeyMaterialAvailability", CallerRole::kRead},
          {"GetOperatorPublicKey", CallerRole::kRead},
          {"GetPublicKey", CallerRole::kRead},
          {"GetEpochResult", CallerRole::kRead},
          {"GetKeyGenPreprocResult", CallerRole::kRead},
          {"GetKeyGenResult", CallerRole::kRead},
      };
  auto it = table->find(rpc);
  if (it == table->end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::string> ReadConfiguredPem(const ServerConfig& config, const std::string& path,
                                              const std::string& key_path) {
  absl::StatusOr<std::string> pem = crypto::ReadPemFile(config.ResolvePath(path));
  if (!pem.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(key_path, ": ", pem.status().message()));
  }
  return pem;
}

absl::StatusOr<std::unique_ptr<ClientPortAuth>> ClientPortAuth::Create(const ServerConfig& config) {
  std::unique_ptr<ClientPortAuth> auth(new ClientPortAuth());
  const ServiceConfig& sc = config.service;
  if (!sc.tls.has_value()) return auth;
  auth->tls_ = true;
  KMS_ASSIGN_OR_RETURN(auth->cert_pem_,
                       ReadConfiguredPem(config, sc.tls->cert, "service.tls.cert"));
  if (absl::StatusOr<Bytes> der = crypto::CertificateDer(auth->cert_pem_); !der.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("service.tls.cert: ", sc.tls->cert, ": ", der.status().message()));
  }
  KMS_ASSIGN_OR_RETURN(auth->key_pem_, ReadConfiguredPem(config, sc.tls->key, "service.tls.key"));
  for (size_t i = 0; i < sc.callers.size(); ++i) {
    const CallerConfig& c = sc.callers[i];
    const std::string key_path = absl::StrCat("service.callers[", i, "].cert");
    KMS_ASSIGN_OR_RETURN(std::string pem, ReadConfiguredPem(config, c.cert, key_path));
    absl::StatusOr<Bytes> der = crypto::CertificateDer(pem);
    if (!der.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(key_path, ": ", c.cert, ": ", der.status().message()));
    }
    for (const Caller& other : auth->callers_) {
      if (other.der == *der) {
        return absl::FailedPreconditionError(
            absl::StrCat(key_path, ": caller \"", c.name, "\" has the certificate of caller \"",
                         other.name, "\"; each caller needs its own identity"));
      }
    }
    auth->callers_.push_back(Caller{c.name, std::move(*der), c.roles});
    absl::StrAppend(&auth->roots_pem_, pem, pem.ends_with('\n') ? "" : "\n");
  }
  return auth;
}

ClientPortAuth::~ClientPortAuth() { crypto::SecureZero(key_pem_.data(), key_pem_.size()); }

std::shared_ptr<grpc::ServerCredentials> ClientPortAuth::Credentials() const {
  if (!tls_) return grpc::InsecureServerCredentials();
  // Verify a certificate when one is presented, but let a caller without one finish the
  // handshake, so that it gets UNAUTHENTICATED with a reason instead of a bare handshake failure.
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = roots_pem_;
  ssl.pem_key_cert_pairs.push_back({key_pem_, cert_pem_});
  return grpc::SslServerCredentials(ssl);
}

const ClientPortAuth::Caller* ClientPortAuth::FindCaller(const std::string& pem) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = matched_.find(pem);
    if (it != matched_.end()) return &callers_[it->second];
  }
  absl::StatusOr<Bytes> der = crypto::CertificateDer(pem);
  if (!der.ok()) return nullptr;
  for (size_t i = 0; i < callers_.size(); ++i) {
    if (callers_[i].der != *der) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (matched_.size() < kMaxMatched) matched_.emplace(pem, i);
    return &callers_[i];
  }
  return nullptr;
}

absl::StatusOr<std::string> ClientPortAuth::Authorize(const grpc::ServerContext& context,
                                                      std::string_view rpc) const {
  const std::optional<CallerRole> role = RequiredRole(rpc);
  if (!role.has_value()) {
    return absl::PermissionDeniedError(
        absl::StrCat(Av(rpc), " has no role in the authorization table; refused"));
  }
  if (!tls_) return std::string("unauthenticated");
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  std::vector<grpc::string_ref> pems;
  if (auth != nullptr) pems = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat("no client certificate: this client port requires mutual TLS; ", Av(rpc),
                     " needs a caller certificate listed in service.callers with role \"",
                     CallerRoleName(*role), "\""));
  }
  const Caller* caller = FindCaller(std::string(pems[0].data(), pems[0].size()));
  if (caller == nullptr) {
    return absl::UnauthenticatedError(
        "the client certificate is not one of the configured service.callers");
  }
  if (std::find(caller->roles.begin(), caller->roles.end(), *role) == caller->roles.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("caller \"", caller->name, "\" lacks the role \"", CallerRoleName(*role),
                     "\" that ", Av(rpc), " needs (it has: ", RoleList(caller->roles), ")"));
  }
  return caller->name;
}

std::string ClientPortAuth::Describe() const {
  if (!tls_) {
    return "PLAINTEXT, unauthenticated: every caller holds every role (admin, decrypt, read); "
           "development only";
  }
  std::vector<std::string> callers;
  for (const Caller& c : callers_) callers.push_back(absl::StrCat(c.name, ": ", RoleList(c.roles)));
  return absl::StrCat("mutual TLS, ", callers_.size(),
                      callers_.size() == 1 ? " caller (" : " callers (",
                      absl::StrJoin(callers, "; "), ")");
}

}  // namespace kms::service
