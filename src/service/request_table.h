// File: service/request_table.h
//
// The lifecycle of asynchronous requests (service-spec §2): X(request) registers the caller's id
// and starts the work; GetXResult(id) waits for the result up to a bound; XSync does both.
//
//   Start(id)            ALREADY_EXISTS if the id was used before (running or finished)
//   Finish(id, result)   stores the result (a value or an error) and wakes the waiters
//   Wait(id, wait)       the result; NOT_FOUND for an unknown id; UNAVAILABLE "still running"
//                        after `wait`; UNAVAILABLE "shutting down" once Shutdown ran
//   Restart(id)          Start, also for an id whose run failed (resumable operations)
//   Abandon(id)          forgets an id whose start was refused after Start (nothing ran)
//
// Finished results are kept so that a client may fetch them again; the table holds at most
// `max_finished` of them and forgets the oldest beyond that (its id then answers NOT_FOUND and
// may be reused). Running entries are never evicted.
//
// Thread safety: all methods are thread-safe.
#ifndef KMS_SERVICE_REQUEST_TABLE_H_
#define KMS_SERVICE_REQUEST_TABLE_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace kms::service {

template <typename T>
class RequestTable {
 public:
  // `what` names the operation in messages ("public decryption").
  explicit RequestTable(std::string what, size_t max_finished = 100000)
      : what_(std::move(what)), max_finished_(max_finished) {}

  absl::Status Start(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_) return absl::UnavailableError("server shutting down");
    if (entries_.count(id) > 0) {
      return absl::AlreadyExistsError(
          absl::StrCat(what_, " request ", id, " already exists; choose a new request id"));
    }
    entries_.emplace(id, Entry{});
    return absl::OkStatus();
  }

  // Start, also for an id whose run finished with an error, which is forgotten first: for an
  // operation that resumes under its own id (an interrupted preprocessing).
  absl::Status Restart(const std::string& id) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries_.find(id);
      if (it != entries_.end() && it->second.result.has_value() && !it->second.result->ok()) {
        entries_.erase(it);
        finished_order_.erase(std::find(finished_order_.begin(), finished_order_.end(), id));
      }
    }
    return Start(id);
  }

  void Finish(const std::string& id, absl::StatusOr<T> result) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    it->second.result = std::move(result);
    finished_order_.push_back(id);
    while (finished_order_.size() > max_finished_) {
      entries_.erase(finished_order_.front());
      finished_order_.pop_front();
    }
    cv_.notify_all();
  }

  void Abandon(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(id);
    if (it != entries_.end() && !it->second.result.has_value()) entries_.erase(it);
  }

  bool Contains(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.count(id) > 0;
  }

  // True while `id` is registered and has no result yet.
  bool Running(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(id);
    return it != entries_.end() && !it->second.result.has_value();
  }

  size_t running() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size() - finished_order_.size();
  }

  absl::StatusOr<T> Wait(const std::string& id, std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) {
      return absl::NotFoundError(absl::StrCat("no ", what_, " request with id ", id));
    }
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (true) {
      it = entries_.find(id);
      if (it == entries_.end()) {
        return absl::NotFoundError(absl::StrCat("no ", what_, " request with id ", id));
      }
      if (it->second.result.has_value()) return *it->second.result;
      if (shutting_down_) {
        return absl::UnavailableError(
            absl::StrCat(what_, " request ", id, " did not finish: server shutting down"));
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
        it = entries_.find(id);
        if (it != entries_.end() && it->second.result.has_value()) return *it->second.result;
        return absl::UnavailableError(
            absl::StrCat(what_, " request ", id, " is still running; ask again later"));
      }
    }
  }

  // Wakes every waiter with UNAVAILABLE and refuses new starts.
  void Shutdown() {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    cv_.notify_all();
  }

 private:
  struct Entry {
    std::optional<absl::StatusOr<T>> result;
  };

  const std::string what_;
  const size_t max_finished_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;
  std::deque<std::string> finished_order_;
  bool shutting_down_ = false;
};

}  // namespace kms::service

#endif  // KMS_SERVICE_REQUEST_TABLE_H_
