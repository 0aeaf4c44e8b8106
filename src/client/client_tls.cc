#include "client/client_tls.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "client/absl_compat_internal.h"
#include "crypto/tls_certificate.h"

namespace kms::client {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  absl::StatusOr<std::string> pem = crypto::ReadPemFile(path);
  if (!pem.ok())
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", pem.status().message()));
  return pem;
}

}  // namespace

ClientTlsFiles ClientTlsFilesFromEnvironment() {
  return ClientTlsFiles{Env("KMS_TLS_CA"), Env("KMS_TLS_CERT"), Env("KMS_TLS_KEY")};
}

ClientTlsFiles ChooseClientTlsFiles(const ClientTlsFiles& flags, const ClientTlsFiles& config) {
  if (!flags.empty()) return flags;
  if (!config.empty()) return config;
  return ClientTlsFilesFromEnvironment();
}

absl::StatusOr<std::optional<ClientTls>> LoadClientTls(const ClientTlsFiles& files) {
  if (files.empty()) return std::nullopt;
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError(
        "TLS: give the client certificate and its key together (--tls-cert and --tls-key, or "
        "KMS_TLS_CERT and KMS_TLS_KEY)");
  }
  if (files.ca.empty()) {
    return absl::InvalidArgumentError(
        "TLS: a client certificate needs the servers' certificates to trust (--tls-ca or "
        "KMS_TLS_CA)");
  }
  ClientTls tls;
  absl::StatusOr<std::string> ca = ReadPem(files.ca, "TLS CA");
  if (!ca.ok()) return ca.status();
  tls.ca_pem = std::move(*ca);
  if (!files.cert.empty()) {
    absl::StatusOr<std::string> cert = ReadPem(files.cert, "TLS client certificate");
    if (!cert.ok()) return cert.status();
    tls.cert_pem = std::move(*cert);
    absl::StatusOr<std::string> key = ReadPem(files.key, "TLS client key");
    if (!key.ok()) return key.status();
    tls.key_pem = crypto::SecretBytes(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key->data()), key->size()));
    crypto::SecureZero(key->data(), key->size());
  }
  return tls;
}

}  // namespace kms::client
