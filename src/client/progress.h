// File: client/progress.h
//
// Progress output for long operations (PRSS init, preprocessing, key generation): while n parties
// work, a background thread prints one line every `interval` to the given stream,
//
//   keygen: waiting for 4 parties… 3.2 s
//   keygen: waiting for 1 of 4 parties: party 3 (127.0.0.1:50300)… 41.0 s
//   preprocessing: waiting for 4 parties… 12.0 s; party 1: 1200 of 5000 items (24.0%), …
//
// so an operator sees that the tool is alive and which party is late. Nothing is printed when the
// stream is null (library use, tests) or once the operation is done.
//
// Thread safety: MarkDone may be called from any thread; the destructor stops the printer.
#ifndef KMS_CLIENT_PROGRESS_H_
#define KMS_CLIENT_PROGRESS_H_

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kms::client {

// "3.2 s" for 3200 ms (one decimal).
std::string FormatSeconds(std::chrono::milliseconds elapsed);
// A result time: "85 ms" below ten seconds, else as FormatSeconds ("12.4 s").
std::string FormatDuration(std::chrono::milliseconds elapsed);

// The status line: "<what>: waiting for 4 parties… 3.2 s", or with some done "<what>: waiting
// for 1 of 4 parties: party 3… 41.0 s". `pending_names` are listed when at most 5 are pending.
std::string ProgressLine(const std::string& what, size_t total,
                         const std::vector<std::string>& pending_names,
                         std::chrono::milliseconds elapsed);

class Progress {
 public:
  // `names[i]` names party i in the status line ("party 3", "127.0.0.1:50300"). `out` may be
  // null (silent).
  Progress(std::string what, std::vector<std::string> names, std::FILE* out,
           std::chrono::milliseconds interval = std::chrono::milliseconds(2000));
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Party i finished (successfully or not).
  void MarkDone(size_t i);
  // What the servers last said about their progress ("1200 of 5000 items (24.0%), …"), appended
  // to the status line as "; <status>" (empty: nothing).
  void SetStatus(std::string status);
  // Time since construction.
  std::chrono::milliseconds elapsed() const;

 private:
  void Run();

  const std::string what_;
  const std::vector<std::string> names_;
  std::FILE* const out_;
  const std::chrono::milliseconds interval_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bool> done_;  // guarded by mu_
  std::string status_;      // guarded by mu_
  bool stop_ = false;       // guarded by mu_
  std::thread printer_;
};

}  // namespace kms::client

#endif  // KMS_CLIENT_PROGRESS_H_
