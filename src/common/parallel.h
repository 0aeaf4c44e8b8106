// File: common/parallel.h
//
// Data-parallel loops for the per-block work of FHE operations (bootstraps, decompressions,
// partial decryptions), on one process-wide pool of worker threads sized to the machine: one
// worker fewer than the cores, since the calling thread works too.
//
//   KMS_RETURN_IF_ERROR(ParallelFor(blocks.size(), [&](size_t i) -> absl::Status {
//     KMS_ASSIGN_OR_RETURN(out[i], Bootstrap(blocks[i]));
//     return absl::OkStatus();
//   }));
//
// ParallelFor(count, body) runs body(0) … body(count − 1), each exactly once unless one fails,
// on the calling thread and on whichever workers are idle, and returns when every started call
// has returned. The caller always works through its own loop, so a loop never waits for a busy
// pool: nested loops and loops of concurrent requests share the workers and at worst run on
// their callers alone. After a failure no further index starts, and the status of the lowest
// failing index is returned. `body` must be safe to call concurrently for different indices.
#ifndef KMS_COMMON_PARALLEL_H_
#define KMS_COMMON_PARALLEL_H_

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace kms {
namespace internal {

// Threads that run posted tasks until the process ends (never destroyed: a task may still be
// running when static destructors would otherwise join it).
class WorkerThreads {
 public:
  explicit WorkerThreads(unsigned count) {
    for (unsigned i = 0; i < count; ++i) threads_.emplace_back([this] { Run(); });
  }
  WorkerThreads(const WorkerThreads&) = delete;
  WorkerThreads& operator=(const WorkerThreads&) = delete;

  size_t size() const { return threads_.size(); }

  void Post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
};

inline WorkerThreads& SharedWorkers() {
  static WorkerThreads* workers = [] {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    return new WorkerThreads(cores - 1);
  }();
  return *workers;
}

// One ParallelFor: indices are claimed from `next`; helpers that arrive after the caller has
// closed the loop return without touching `body`, which lives on the caller's stack.
struct ParallelLoop {
  size_t count = 0;
  const std::function<absl::Status(size_t)>* body = nullptr;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;
  int active = 0;  // helpers inside Work()
  size_t error_index = std::numeric_limits<size_t>::max();
  absl::Status error;

  void Work() {
    while (!failed.load(std::memory_order_relaxed)) {
      const size_t i = next.fetch_add(1);
      if (i >= count) break;
      absl::Status s = (*body)(i);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (i < error_index) {
          error_index = i;
          error = std::move(s);
        }
        failed = true;
      }
    }
  }
};

}  // namespace internal

// The threads a ParallelFor may use at most: the workers and the caller.
inline size_t ParallelThreads() { return internal::SharedWorkers().size() + 1; }

inline absl::Status ParallelFor(size_t count, const std::function<absl::Status(size_t)>& body) {
  internal::WorkerThreads& workers = internal::SharedWorkers();
  if (count <= 1 || workers.size() == 0) {
    for (size_t i = 0; i < count; ++i) {
      if (absl::Status s = body(i); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  auto loop = std::make_shared<internal::ParallelLoop>();
  loop->count = count;
  loop->body = &body;
  const size_t helpers = std::min(workers.size(), count - 1);
  for (size_t h = 0; h < helpers; ++h) {
    workers.Post([loop] {
      {
        std::lock_guard<std::mutex> lock(loop->mu);
        if (loop->closed) return;
        ++loop->active;
      }
      loop->Work();
      std::lock_guard<std::mutex> lock(loop->mu);
      if (--loop->active == 0) loop->cv.notify_all();
    });
  }
  loop->Work();
  std::unique_lock<std::mutex> lock(loop->mu);
  loop->closed = true;
  loop->cv.wait(lock, [&] { return loop->active == 0; });
  return loop->error;
}

}  // namespace kms

#endif  // KMS_COMMON_PARALLEL_H_
