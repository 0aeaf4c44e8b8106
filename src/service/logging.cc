#include "service/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace kms::service {
namespace {

struct LogState {
  std::mutex mu;
  std::shared_ptr<spdlog::logger> logger;
  std::atomic<LogFormat> format{LogFormat::kText};
  std::atomic<LogLevel> level{LogLevel::kInfo};
};

LogState& State() {
  static LogState* state = [] {
    auto* s = new LogState;
    // The line is formatted here (timestamp, level, component); spdlog only writes it, under its
    // own lock, so concurrent lines never interleave.
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    s->logger = std::make_shared<spdlog::logger>("kms", sink);
    s->logger->set_pattern("%v");
    s->logger->set_level(spdlog::level::trace);
    s->logger->flush_on(spdlog::level::trace);
    return s;
  }();
  return *state;
}

std::string NowUtc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

}  // namespace

const char* LogLevelLabel(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kDebug:
      return "DEBUG";
  }
  return "INFO";
}

void InitLogging(LogFormat format, LogLevel level) {
  LogState& s = State();
  s.format = format;
  s.level = level;
}

std::string FormatLogLine(LogFormat format, std::string_view timestamp, LogLevel level,
                          std::string_view component, std::string_view message,
                          std::string_view request_id) {
  if (format == LogFormat::kJson) {
    nlohmann::ordered_json j;
    j["timestamp"] = std::string(timestamp);
    j["level"] = LogLevelLabel(level);
    j["component"] = std::string(component);
    j["message"] = std::string(message);
    if (!request_id.empty()) j["request_id"] = std::string(request_id);
    // Invalid UTF-8 (e.g. bytes from a peer's error) is replaced rather than thrown on.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line;
  line.reserve(64 + message.size());
  line.append(timestamp);
  line.push_back(' ');
  std::string label = LogLevelLabel(level);
  label.resize(5, ' ');
  line.append(label);
  line.append(" [");
  line.append(component);
  line.append("] ");
  // One event, one line: newlines inside a message would split it.
  for (char c : message) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  if (!request_id.empty()) {
    line.append(" request_id=");
    line.append(request_id);
  }
  return line;
}

void LogEvent(LogLevel level, std::string_view component, std::string_view message,
              std::string_view request_id) {
  LogState& s = State();
  if (static_cast<int>(level) > static_cast<int>(s.level.load())) return;
  const std::string line =
      FormatLogLine(s.format.load(), NowUtc(), level, component, message, request_id);
  s.logger->info(line);
}

}  // namespace kms::service
