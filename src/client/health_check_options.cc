#include "client/health_check_options.h"

#include <toml++/toml.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/absl_compat_internal.h"
#include "client/typed_encryption.h"
#include "common/status_macros.h"

namespace kms::client {
namespace {

constexpr uint32_t kMaxTimeoutSecs = 3600;

absl::Status CheckRange(int64_t v, std::string_view what) {
  if (v < 1 || v > kMaxTimeoutSecs) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(what), ": must be between 1 and ", kMaxTimeoutSecs, " seconds, got ", v));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HealthCheckTimeouts> ParseHealthCheckToml(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("TOML syntax error at line ", e.source().begin.line, ", column ",
                     e.source().begin.column, ": ", Av(e.description())));
  }
  HealthCheckTimeouts out;
  for (auto&& [k, v] : root) {
    uint32_t* target = nullptr;
    if (k.str() == "connection_timeout_secs") {
      target = &out.connection_timeout_secs;
    } else if (k.str() == "request_timeout_secs") {
      target = &out.request_timeout_secs;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(Av(k.str()), ": unknown key"));
    }
    const toml::value<int64_t>* value = v.as_integer();
    if (value == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(Av(k.str()), ": expected an integer"));
    }
    KMS_RETURN_IF_ERROR(CheckRange(value->get(), k.str()));
    *target = static_cast<uint32_t>(value->get());
  }
  return out;
}

absl::StatusOr<HealthCheckTimeouts> LoadHealthCheckTimeouts(const std::optional<std::string>& path,
                                                            const EnvLookup& env) {
  HealthCheckTimeouts out;
  if (path.has_value()) {
    KMS_ASSIGN_OR_RETURN(std::string text, ReadFileBytes(*path));
    absl::StatusOr<HealthCheckTimeouts> parsed = ParseHealthCheckToml(text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(*path, ": ", parsed.status().message()));
    }
    out = *parsed;
  }
  struct Override {
    const char* name;
    uint32_t* target;
  };
  const Override overrides[] = {
      {"HEALTH_CHECK__CONNECTION_TIMEOUT_SECS", &out.connection_timeout_secs},
      {"HEALTH_CHECK__REQUEST_TIMEOUT_SECS", &out.request_timeout_secs},
  };
  for (const Override& o : overrides) {
    std::optional<std::string> value = env(o.name);
    if (!value.has_value() || value->empty()) continue;
    int64_t v = 0;
    if (!absl::SimpleAtoi(*value, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat(o.name, ": expected a whole number of seconds"));
    }
    KMS_RETURN_IF_ERROR(CheckRange(v, o.name));
    *o.target = static_cast<uint32_t>(v);
  }
  return out;
}

}  // namespace kms::client
