#include "client/progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace kms::client {

std::string FormatSeconds(std::chrono::milliseconds elapsed) {
  return absl::StrFormat("%.1f s", static_cast<double>(elapsed.count()) / 1000.0);
}

std::string FormatDuration(std::chrono::milliseconds elapsed) {
  if (elapsed.count() < 10000) return absl::StrCat(elapsed.count(), " ms");
  return FormatSeconds(elapsed);
}

std::string ProgressLine(const std::string& what, size_t total,
                         const std::vector<std::string>& pending_names,
                         std::chrono::milliseconds elapsed) {
  const size_t pending = pending_names.size();
  std::string line = absl::StrCat(what, ": waiting for ");
  if (pending == total) {
    absl::StrAppend(&line, total, total == 1 ? " party" : " parties");
  } else {
    absl::StrAppend(&line, pending, " of ", total, total == 1 ? " party" : " parties");
    if (pending > 0 && pending <= 5) {
      absl::StrAppend(&line, ": ", absl::StrJoin(pending_names, ", "));
    }
  }
  absl::StrAppend(&line, "\u2026 ", FormatSeconds(elapsed));
  return line;
}

Progress::Progress(std::string what, std::vector<std::string> names, std::FILE* out,
                   std::chrono::milliseconds interval)
    : what_(std::move(what)),
      names_(std::move(names)),
      out_(out),
      interval_(interval),
      start_(std::chrono::steady_clock::now()),
      done_(names_.size(), false) {
  if (out_ != nullptr) printer_ = std::thread([this] { Run(); });
}

Progress::~Progress() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (printer_.joinable()) printer_.join();
}

void Progress::MarkDone(size_t i) {
  std::lock_guard<std::mutex> lock(mu_);
  if (i < done_.size()) done_[i] = true;
  if (std::all_of(done_.begin(), done_.end(), [](bool d) { return d; })) {
    stop_ = true;
    cv_.notify_all();
  }
}

std::chrono::milliseconds Progress::elapsed() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start_);
}

void Progress::SetStatus(std::string status) {
  std::lock_guard<std::mutex> lock(mu_);
  status_ = std::move(status);
}

void Progress::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    // Every `interval` at first, then every five intervals: a long key generation should not
    // flood the terminal.
    const auto wait = elapsed() < 5 * interval_ ? interval_ : 5 * interval_;
    if (cv_.wait_for(lock, wait, [this] { return stop_; })) break;
    std::vector<std::string> pending;
    for (size_t i = 0; i < done_.size(); ++i) {
      if (!done_[i]) pending.push_back(names_[i]);
    }
    if (pending.empty()) break;
    std::string line = ProgressLine(what_, names_.size(), pending, elapsed());
    if (!status_.empty()) line += "; " + status_;
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
  }
}

}  // namespace kms::client
