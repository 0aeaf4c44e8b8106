#include "load/process_cpu.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace kms::load {
namespace {

// Fields after the command name: field 3 (state) is index 0, so utime (14) is index 11 and
// stime (15) is index 12.
constexpr size_t kUtimeIndex = 11;
constexpr size_t kStimeIndex = 12;

absl::StatusOr<unsigned long long> ParseTicks(std::string_view text, std::string_view field) {
  unsigned long long value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("/proc stat ", std::string(field),
                                                   ": expected a number of clock ticks, got \"",
                                                   std::string(text.substr(0, 32)), "\""));
  }
  return value;
}

}  // namespace

absl::StatusOr<double> ParseProcStatCpuSeconds(std::string_view stat_line) {
  const size_t close = stat_line.rfind(')');
  if (close == std::string_view::npos) {
    return absl::InvalidArgumentError("/proc stat comm: no closing ')' in the line");
  }
  // Space-separated fields after the command name (absl's StrSplit takes absl::string_view,
  // which Debian's Abseil does not alias to std::string_view).
  std::vector<std::string_view> fields;
  std::string_view rest = stat_line.substr(close + 1);
  while (!rest.empty()) {
    const size_t space = rest.find(' ');
    std::string_view field = rest.substr(0, space);
    if (!field.empty()) fields.push_back(field);
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  if (fields.size() <= kStimeIndex) {
    return absl::InvalidArgumentError(absl::StrCat(
        "/proc stat: expected at least ", kStimeIndex + 3, " fields, got ", fields.size() + 2));
  }
  auto utime = ParseTicks(fields[kUtimeIndex], "utime (field 14)");
  if (!utime.ok()) return utime.status();
  std::string_view stime_text = fields[kStimeIndex];
  while (!stime_text.empty() && (stime_text.back() == '\n' || stime_text.back() == '\r')) {
    stime_text.remove_suffix(1);
  }
  auto stime = ParseTicks(stime_text, "stime (field 15)");
  if (!stime.ok()) return stime.status();
  static const long ticks_per_second = sysconf(_SC_CLK_TCK);
  const double hz = ticks_per_second > 0 ? static_cast<double>(ticks_per_second) : 100.0;
  return static_cast<double>(*utime + *stime) / hz;
}

absl::StatusOr<double> ProcessCpuSeconds(int pid) {
  if (pid <= 0) return absl::InvalidArgumentError(absl::StrCat("pid: must be positive, got ", pid));
  const std::string path = absl::StrCat("/proc/", pid, "/stat");
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("process ", pid, " is not running (", path, ": ", std::strerror(errno), ")"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto seconds = ParseProcStatCpuSeconds(text.str());
  if (!seconds.ok()) {
    return absl::Status(seconds.status().code(),
                        absl::StrCat("process ", pid, ": ", seconds.status().message()));
  }
  return *seconds;
}

absl::StatusOr<std::vector<double>> SampleProcessCpu(const std::vector<int>& pids) {
  std::vector<double> out;
  out.reserve(pids.size());
  for (int pid : pids) {
    auto seconds = ProcessCpuSeconds(pid);
    if (!seconds.ok()) return seconds.status();
    out.push_back(*seconds);
  }
  return out;
}

double SelfCpuSeconds() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace kms::load
