// Name validation shared by every backend (storage.h).
#include "storage/storage.h"

#include <gtest/gtest.h>

namespace kms::storage {
namespace {

TEST(StorageNamesTest, AcceptsTheNamesTheServerUses) {
  EXPECT_TRUE(ValidateDataType("PublicKey").ok());
  EXPECT_TRUE(ValidateDataType("FheKeyInfo").ok());
  EXPECT_TRUE(ValidateDataType("Some_Type-2").ok());
  EXPECT_TRUE(ValidateId(std::string(64, 'a')).ok());
  EXPECT_TRUE(ValidateId("0x12ab").ok());
  EXPECT_TRUE(ValidateId("a.b-c_d").ok());
  EXPECT_TRUE(ValidatePrefix("PRIV-p1").ok());
  EXPECT_TRUE(ValidatePrefix("party1/PRIV-p1").ok());
}

TEST(StorageNamesTest, RejectsPathTricks) {
  for (const char* id : {"", ".", "..", "../x", "x/..", "a/b", "/abs", ".hidden", "a b", "a\\b"}) {
    absl::Status s = ValidateId(id);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_NE(std::string(s.message()).find("id"), std::string::npos) << s;
  }
  for (const char* prefix : {"", "/", "a/", "/a", "a//b", "a/../b", "..", "a/./b", ".x"}) {
    EXPECT_EQ(ValidatePrefix(prefix).code(), absl::StatusCode::kInvalidArgument) << prefix;
  }
  for (const char* type : {"", "1Type", "_Type", "Type.x", "Type/x", "Ty pe"}) {
    absl::Status s = ValidateDataType(type);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << type;
    EXPECT_NE(std::string(s.message()).find("data type"), std::string::npos) << s;
  }
}

TEST(StorageNamesTest, EnforcesLengthLimits) {
  EXPECT_TRUE(ValidateId(std::string(kMaxIdLength, 'x')).ok());
  absl::Status s = ValidateId(std::string(kMaxIdLength + 1, 'x'));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("at most 128"), std::string::npos) << s;
  EXPECT_TRUE(ValidateDataType("T" + std::string(kMaxDataTypeLength - 1, 't')).ok());
  EXPECT_FALSE(ValidateDataType("T" + std::string(kMaxDataTypeLength, 't')).ok());
  EXPECT_FALSE(ValidatePrefix(std::string(kMaxPrefixLength + 1, 'p')).ok());
}

TEST(StorageNamesTest, HostileNamesAreEscapedInMessages) {
  absl::Status s = ValidateId(std::string("evil\n2026-01-01 INFO forged", 27));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()).find('\n'), std::string::npos) << s;
  EXPECT_NE(std::string(s.message()).find("\\x0a"), std::string::npos) << s;
}

TEST(StorageNamesTest, ObjectKeyJoinsWithSlashes) {
  EXPECT_EQ(ObjectKey("PUB-p1", "PublicKey", "abc"), "PUB-p1/PublicKey/abc");
}

}  // namespace
}  // namespace kms::storage
