// File: client/health_check_options.h
//
// The timeouts of kms-health-check (service-spec §7): from `--health-config health-check.toml`
//
//   connection_timeout_secs = 5    # how long to wait for a connection to the client port
//   request_timeout_secs = 10      # how long one RPC may take
//
// then overridden by the environment variables HEALTH_CHECK__CONNECTION_TIMEOUT_SECS and
// HEALTH_CHECK__REQUEST_TIMEOUT_SECS (so a Kubernetes probe can set them without a file).
// Unknown keys, non-integers and values outside 1..3600 are errors naming the key or variable.
#ifndef KMS_CLIENT_HEALTH_CHECK_OPTIONS_H_
#define KMS_CLIENT_HEALTH_CHECK_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace kms::client {

struct HealthCheckTimeouts {
  uint32_t connection_timeout_secs = 5;
  uint32_t request_timeout_secs = 10;
};

// Looks up an environment variable (std::getenv in the tool, a map in tests).
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Parses the TOML text of a health-check configuration over the defaults.
absl::StatusOr<HealthCheckTimeouts> ParseHealthCheckToml(std::string_view toml_text);

// Defaults, then the file `path` (when given; NotFound / InvalidArgument naming it), then the
// environment.
absl::StatusOr<HealthCheckTimeouts> LoadHealthCheckTimeouts(const std::optional<std::string>& path,
                                                            const EnvLookup& env);

}  // namespace kms::client

#endif  // KMS_CLIENT_HEALTH_CHECK_OPTIONS_H_
