#include "service/request_id.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kms::service {
namespace {

using ::testing::HasSubstr;

TEST(RequestIdTest, ParsesCanonicalPrefixedAndUpperCase) {
  const std::string hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  auto a = ParseId("request_id", hex);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)[0], 0x00);
  EXPECT_EQ((*a)[31], 0xff);
  EXPECT_EQ(IdToHex(*a), hex);
  auto b = ParseId("request_id", "0x" + hex);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, *a);
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  auto c = ParseId("request_id", "0X" + upper);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, *a);
}

TEST(RequestIdTest, ErrorsNameTheField) {
  auto short_id = ParseId("request_id", "0123456789ab");
  EXPECT_EQ(short_id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(short_id.status().message(), "request_id: expected 64 hex characters, got 12");
  auto long_id = ParseId("key_id", std::string(66, 'a'));
  EXPECT_EQ(long_id.status().message(), "key_id: expected 64 hex characters, got 66");
  auto empty = ParseId("epoch_id", "");
  EXPECT_THAT(empty.status().message(), HasSubstr("epoch_id: missing"));
  auto bad = ParseId("key_id", std::string(10, 'a') + "g" + std::string(53, 'a'));
  EXPECT_EQ(bad.status().message(), "key_id: not hexadecimal (character 'g' at position 10)");
  auto binary = ParseId("key_id", std::string(63, 'a') + "\x01");
  EXPECT_THAT(binary.status().message(), HasSubstr("a byte at position 63"));
  EXPECT_FALSE(ParseId("key_id", "0x").ok());
}

TEST(RequestIdTest, DefaultEpoch) {
  const Id32 epoch = DefaultEpochId();
  EXPECT_EQ(IdToHex(epoch), std::string(63, '0') + "1");
  auto parsed = ParseIdOr("epoch_id", "", epoch);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, epoch);
  EXPECT_FALSE(ParseIdOr("epoch_id", "12", epoch).ok());
}

}  // namespace
}  // namespace kms::service
