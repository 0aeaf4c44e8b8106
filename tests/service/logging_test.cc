#include "service/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kms::service {
namespace {

using ::testing::HasSubstr;

TEST(LoggingTest, TextLineHasTimestampLevelComponentAndRequestId) {
  const std::string line = FormatLogLine(LogFormat::kText, "2025-01-31T10:00:00.123Z",
                                         LogLevel::kWarn, "decrypt", "refused", "abcd");
  EXPECT_EQ(line, "2025-01-31T10:00:00.123Z WARN  [decrypt] refused request_id=abcd");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, "T", LogLevel::kInfo, "boot", "two\nlines", ""),
            "T INFO  [boot] two lines");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, "T", LogLevel::kError, "boot", "x", ""),
            "T ERROR [boot] x");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, "T", LogLevel::kDebug, "boot", "x", ""),
            "T DEBUG [boot] x");
}

TEST(LoggingTest, JsonLineIsOneObject) {
  const std::string line = FormatLogLine(LogFormat::kJson, "2025-01-31T10:00:00.123Z",
                                         LogLevel::kError, "boot", "bad \"quote\"\n", "id1");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["timestamp"], "2025-01-31T10:00:00.123Z");
  EXPECT_EQ(j["level"], "ERROR");
  EXPECT_EQ(j["component"], "boot");
  EXPECT_EQ(j["message"], "bad \"quote\"\n");
  EXPECT_EQ(j["request_id"], "id1");
  auto without =
      nlohmann::json::parse(FormatLogLine(LogFormat::kJson, "T", LogLevel::kInfo, "c", "m", ""));
  EXPECT_FALSE(without.contains("request_id"));
  // Bytes that are not UTF-8 do not break the line.
  auto odd =
      FormatLogLine(LogFormat::kJson, "T", LogLevel::kInfo, "c", std::string("\xff\xfe"), "");
  EXPECT_NO_THROW(nlohmann::json::parse(odd));
}

}  // namespace
}  // namespace kms::service
