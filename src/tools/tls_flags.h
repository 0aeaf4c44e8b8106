// File: tools/tls_flags.h
//
// The TLS flags every tool that calls a client port takes (client/client_tls.h): --tls-ca,
// --tls-cert, --tls-key, with KMS_TLS_CA / KMS_TLS_CERT / KMS_TLS_KEY as fallbacks.
#ifndef KMS_TOOLS_TLS_FLAGS_H_
#define KMS_TOOLS_TLS_FLAGS_H_

#include <CLI/CLI.hpp>

#include "client/client_tls.h"

namespace kms::tools {

inline void AddTlsFlags(CLI::App* app, client::ClientTlsFiles* files) {
  app->add_option("--tls-ca", files->ca,
                  "PEM bundle of the client-port certificates to trust (TLS; env KMS_TLS_CA)");
  app->add_option("--tls-cert", files->cert,
                  "this caller's TLS certificate (one of the servers' [[service.callers]]; env "
                  "KMS_TLS_CERT)");
  app->add_option("--tls-key", files->key, "its private key (env KMS_TLS_KEY)");
}

}  // namespace kms::tools

#endif  // KMS_TOOLS_TLS_FLAGS_H_
