// File: service/logging.h
//
// The server's log (service-spec §8): one line per event on stderr with a UTC timestamp, a level
// (ERROR, WARN, INFO, DEBUG), the component that speaks ("boot", "storage", "keygen", ...), the
// message and, where the event belongs to a request, its id:
//
//   2025-01-31T10:00:00.123Z INFO  [decrypt] public decryption done (3 ciphertexts, 41 ms)
//   request_id=0a1b...
//
// With telemetry.log_format = "json" each line is one JSON object instead:
//
//   {"timestamp":"2025-01-31T10:00:00.123Z","level":"INFO","component":"decrypt",
//    "message":"public decryption done ...","request_id":"0a1b..."}
//
// `grep -E "(ERROR|FATAL|PANIC|WARN)"` finds every problem in either format.
//
// Secrets never go into a message: callers pass ids, counts, sizes and status messages, and the
// layers below never put key bytes into a Status. spdlog stays inside logging.cc so that this
// header is cheap to include.
//
// Thread safety: every function may be called from any thread; a line is written atomically.
#ifndef KMS_SERVICE_LOGGING_H_
#define KMS_SERVICE_LOGGING_H_

#include <string>
#include <string_view>

#include "service/config.h"

namespace kms::service {

// Sets the format and the lowest level written. May be called again (tests, reconfiguration).
// Before the first call, lines are written as text at INFO.
void InitLogging(LogFormat format, LogLevel level);

// Writes one event. `request_id` is omitted from the line when empty.
void LogEvent(LogLevel level, std::string_view component, std::string_view message,
              std::string_view request_id = {});

inline void LogError(std::string_view component, std::string_view message,
                     std::string_view request_id = {}) {
  LogEvent(LogLevel::kError, component, message, request_id);
}
inline void LogWarn(std::string_view component, std::string_view message,
                    std::string_view request_id = {}) {
  LogEvent(LogLevel::kWarn, component, message, request_id);
}
inline void LogInfo(std::string_view component, std::string_view message,
                    std::string_view request_id = {}) {
  LogEvent(LogLevel::kInfo, component, message, request_id);
}
inline void LogDebug(std::string_view component, std::string_view message,
                     std::string_view request_id = {}) {
  LogEvent(LogLevel::kDebug, component, message, request_id);
}

// The line LogEvent writes, without the trailing newline; `timestamp` as given. Exposed for
// tests of both formats.
std::string FormatLogLine(LogFormat format, std::string_view timestamp, LogLevel level,
                          std::string_view component, std::string_view message,
                          std::string_view request_id);

// "ERROR", "WARN", "INFO" or "DEBUG".
const char* LogLevelLabel(LogLevel level);

}  // namespace kms::service

#endif  // KMS_SERVICE_LOGGING_H_
