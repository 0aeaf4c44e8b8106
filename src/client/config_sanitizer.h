// File: client/config_sanitizer.h
//
// A copy of a server configuration that is safe to hand to someone else, for the diagnostics
// bundle of scripts/auto-diagnose.sh (`kms-health-check sanitize --file config.toml`). The
// troubleshooting guide's sed line only blanks lines containing "password", "secret" or "key";
// this parses the TOML instead, so multi-line values and odd spellings cannot slip through:
//
//   - values of keys whose name says secret (secret_access_key, access_key_id, password, passwd,
//     token, credential(s), private_key, secret) become "[REDACTED]";
//   - the password inside a PostgreSQL DSN (URI user:password@ or key=value password=...) is
//     replaced, the rest of the DSN kept so the host and database stay visible;
//   - any string holding PEM private-key material becomes "[REDACTED]".
// File paths (TLS key paths, storage roots) stay: they say where things are, not what they are;
// the diagnostics never copy the files they point to.
#ifndef KMS_CLIENT_CONFIG_SANITIZER_H_
#define KMS_CLIENT_CONFIG_SANITIZER_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace kms::client {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// `dsn` with its password replaced by [REDACTED] (both DSN forms); unchanged when it has none.
std::string RedactDsn(std::string_view dsn);

// True if a key of this name holds a secret (see above). Case-insensitive.
bool IsSecretKeyName(std::string_view key);

// The sanitized TOML text. InvalidArgument (with the parser's line and column, never the text)
// when `toml_text` does not parse; the caller must then not copy the file at all.
absl::StatusOr<std::string> SanitizeConfigToml(std::string_view toml_text);

}  // namespace kms::client

#endif  // KMS_CLIENT_CONFIG_SANITIZER_H_
