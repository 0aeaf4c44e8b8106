#include "service/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace kms::service {
namespace {

TEST(WorkerPoolTest, RunsTasksAndDrains) {
  WorkerPool pool(4);
  std::atomic<int> done{0};
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(pool.Submit([&] { ++done; }).ok());
  EXPECT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  EXPECT_EQ(done.load(), 100);
  EXPECT_LE(pool.threads(), 4u);
}

// Blocking tasks get threads of their own (up to the maximum), so a task waiting for another
// one that is queued later does not deadlock.
TEST(WorkerPoolTest, GrowsForBlockingTasks) {
  WorkerPool pool(8);
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(pool.Submit([&] {
                      std::unique_lock<std::mutex> lock(mu);
                      ++arrived;
                      cv.notify_all();
                      cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived == 4; });
                    })
                    .ok());
  }
  EXPECT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  EXPECT_EQ(arrived, 4);
  EXPECT_GE(pool.threads(), 4u);
}

TEST(WorkerPoolTest, StopRefusesNewWorkAndDrainIsBounded) {
  WorkerPool pool(2);
  std::atomic<bool> release{false}, started{false};
  ASSERT_TRUE(pool.Submit([&] {
                    started = true;
                    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
                  })
                  .ok());
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  pool.Stop();  // a running task continues
  EXPECT_EQ(pool.Submit([] {}).code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::milliseconds(50)));
  release = true;
  EXPECT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
}

}  // namespace
}  // namespace kms::service
