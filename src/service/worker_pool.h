// File: service/worker_pool.h
//
// The threads that run the work of asynchronous requests (key generation, preprocessing, epochs,
// decryptions). The pool grows on demand up to max_threads: protocol work mostly waits for peers,
// and a fixed small pool could leave party A's decryption queued behind sessions that wait for
// party B, whose pool waits for A in turn. Growing (bounded, and bounded again by the rate
// limiter upstream) keeps every started session running; idle threads stay for reuse.
//
//   pool.Submit([=] { ... });
//   pool.Drain(deadline);   // at shutdown: false if work is still running at the deadline
//
// Thread safety: all methods are thread-safe.
#ifndef KMS_SERVICE_WORKER_POOL_H_
#define KMS_SERVICE_WORKER_POOL_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace kms::service {

class WorkerPool {
 public:
  explicit WorkerPool(size_t max_threads);
  ~WorkerPool();  // Stop(), then joins every thread
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; starts a thread when none is idle and fewer than max_threads exist.
  // UNAVAILABLE after Stop().
  absl::Status Submit(std::function<void()> task);

  // Waits until no task is queued or running, or `deadline`. True if idle.
  bool Drain(std::chrono::steady_clock::time_point deadline);

  // Refuses new tasks; queued tasks not yet started are dropped (their requests never started
  // work, so nothing stored changes). Running tasks continue.
  void Stop();

  size_t threads() const;
  size_t busy() const;

 private:
  void Run();

  const size_t max_threads_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  size_t busy_ = 0;
  bool stopped_ = false;
};

}  // namespace kms::service

#endif  // KMS_SERVICE_WORKER_POOL_H_
