#include "client/request_id.h"

#include <gtest/gtest.h>

#include <set>

namespace kms::client {
namespace {

const std::string kId = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

TEST(ParseId, AcceptsCanonicalPrefixedAndUpperCase) {
  EXPECT_EQ(*ParseId(kId, "key_id"), kId);
  EXPECT_EQ(*ParseId("0x" + kId, "key_id"), kId);
  std::string upper = kId;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(*ParseId("0X" + upper, "key_id"), kId);
}

TEST(ParseId, RejectsWrongLengthNamingTheField) {
  absl::StatusOr<std::string> id = ParseId("abcd", "--key-id");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(id.status().message(), "--key-id: expected 64 hex characters, got 4");
  EXPECT_FALSE(ParseId(kId + "00", "x").ok());
  EXPECT_FALSE(ParseId("", "x").ok());
}

TEST(ParseId, RejectsNonHexCharacter) {
  std::string bad = kId;
  bad[10] = 'g';
  absl::StatusOr<std::string> id = ParseId(bad, "request_id");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().message(), "request_id: character 11 is not a hex digit");
}

TEST(IdToDigest, GivesTheBytes) {
  absl::StatusOr<crypto::Digest> d = IdToDigest(kId, "id");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)[0], 0x00);
  EXPECT_EQ((*d)[1], 0x11);
  EXPECT_EQ((*d)[31], 0xff);
  EXPECT_FALSE(IdToDigest("zz", "id").ok());
}

TEST(RandomRequestId, IsCanonicalAndFresh) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = RandomRequestId();
    ASSERT_EQ(*ParseId(id, "id"), id);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace kms::client
