// File: client/client_tls.h
//
// TLS on the client port, from the caller's side (the server's side: service/authorization.h).
// Three PEM files:
//   ca    the certificates a party's client port may present (a bundle: every party's
//         self-signed client-port certificate); the port's name as dialled must be in its SAN;
//   cert  this caller's certificate, one of the server's [[service.callers]];
//   key   its private key.
// `ca` turns TLS on; `cert` and `key` come together (without them a TLS port answers
// UNAUTHENTICATED). Each tool takes them as --tls-ca, --tls-cert, --tls-key, else from
// client.toml's [tls] section, else from the environment variables KMS_TLS_CA, KMS_TLS_CERT,
// KMS_TLS_KEY (kms-local writes both client.toml's [tls] and <dir>/tls.env exporting them).
// Nothing given: plaintext.
#ifndef KMS_CLIENT_CLIENT_TLS_H_
#define KMS_CLIENT_CLIENT_TLS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "crypto/secure_zero.h"

namespace kms::client {

// Paths as given (empty: not given).
struct ClientTlsFiles {
  std::string ca;
  std::string cert;
  std::string key;

  bool empty() const { return ca.empty() && cert.empty() && key.empty(); }
};

// The files' contents.
struct ClientTls {
  std::string ca_pem;
  std::string cert_pem;         // empty: no client certificate
  crypto::SecretBytes key_pem;  // empty with cert_pem
};

// The environment's KMS_TLS_CA / KMS_TLS_CERT / KMS_TLS_KEY.
ClientTlsFiles ClientTlsFilesFromEnvironment();

// The first of `flags`, `config` (client.toml's [tls]) and the environment's that names a file.
ClientTlsFiles ChooseClientTlsFiles(const ClientTlsFiles& flags, const ClientTlsFiles& config = {});

// Reads the files: nullopt when none is named; InvalidArgument for a cert without key (or the
// reverse), a cert or key without ca, an unreadable file (naming it) or one that is not PEM.
absl::StatusOr<std::optional<ClientTls>> LoadClientTls(const ClientTlsFiles& files);

}  // namespace kms::client

#endif  // KMS_CLIENT_CLIENT_TLS_H_
