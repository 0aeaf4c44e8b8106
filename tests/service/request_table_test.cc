#include "service/request_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace kms::service {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

TEST(RequestTableTest, LifecycleOfOneRequest) {
  RequestTable<int> table("test op");
  EXPECT_EQ(table.Wait("a", milliseconds(1)).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(table.Start("a").ok());
  EXPECT_TRUE(table.Running("a"));
  auto dup = table.Start("a");
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(dup.message(), HasSubstr("test op request a already exists"));
  auto waiting = table.Wait("a", milliseconds(20));
  EXPECT_EQ(waiting.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(waiting.status().message(), HasSubstr("still running"));
  table.Finish("a", 42);
  EXPECT_FALSE(table.Running("a"));
  EXPECT_EQ(*table.Wait("a", milliseconds(0)), 42);
  EXPECT_EQ(*table.Wait("a", milliseconds(0)), 42);  // results can be fetched again
  EXPECT_EQ(table.Start("a").code(), absl::StatusCode::kAlreadyExists);
}

TEST(RequestTableTest, ErrorsAreResultsToo) {
  RequestTable<int> table("op");
  ASSERT_TRUE(table.Start("b").ok());
  table.Finish("b", absl::AbortedError("more than t parties misbehaved"));
  EXPECT_EQ(table.Wait("b", milliseconds(0)).status().code(), absl::StatusCode::kAborted);
}

TEST(RequestTableTest, WaitWakesWhenTheResultArrives) {
  RequestTable<int> table("op");
  ASSERT_TRUE(table.Start("c").ok());
  std::thread worker([&] {
    std::this_thread::sleep_for(milliseconds(50));
    table.Finish("c", 7);
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = table.Wait("c", std::chrono::seconds(10));
  worker.join();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 7);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(RequestTableTest, AbandonForgetsOnlyUnfinishedIds) {
  RequestTable<int> table("op");
  ASSERT_TRUE(table.Start("d").ok());
  table.Abandon("d");
  EXPECT_FALSE(table.Contains("d"));
  EXPECT_TRUE(table.Start("d").ok());  // the id is free again
  table.Finish("d", 1);
  table.Abandon("d");
  EXPECT_TRUE(table.Contains("d"));
}

TEST(RequestTableTest, OldestFinishedResultsAreForgotten) {
  RequestTable<int> table("op", /*max_finished=*/2);
  for (const char* id : {"1", "2", "3"}) {
    ASSERT_TRUE(table.Start(id).ok());
    table.Finish(id, 0);
  }
  EXPECT_FALSE(table.Contains("1"));
  EXPECT_TRUE(table.Contains("2"));
  EXPECT_TRUE(table.Contains("3"));
}

TEST(RequestTableTest, ShutdownWakesWaitersAndRefusesStarts) {
  RequestTable<int> table("op");
  ASSERT_TRUE(table.Start("e").ok());
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(50));
    table.Shutdown();
  });
  auto r = table.Wait("e", std::chrono::seconds(30));
  stopper.join();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("shutting down"));
  EXPECT_EQ(table.Start("f").code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kms::service
