// client/typed_encryption.h: the ciphertext files kms-client reads. A tfhe-rs ciphertext file
// becomes the request's ciphertext as it is, with its format by number or by name; unknown
// formats and types and empty or missing files are refused naming what is wrong.
#include "client/typed_encryption.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace kms::client {
namespace {

using ::testing::HasSubstr;

TEST(CiphertextFormat, ByNumberAndByName) {
  EXPECT_EQ(*ParseCiphertextFormat("0"), 0);
  EXPECT_EQ(*ParseCiphertextFormat("SmallExpanded"), 1);
  EXPECT_EQ(*ParseCiphertextFormat("BigCompressed"), 2);
  EXPECT_EQ(*ParseCiphertextFormat("3"), 3);
  for (const char* bad : {"4", "-1", "bigcompressed", ""}) {
    auto r = ParseCiphertextFormat(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("0 SmallCompressed, 1 SmallExpanded")) << bad;
  }
}

TEST(TfheCiphertextFile, BecomesTheRequestCiphertextAsItIs) {
  char path[] = "/tmp/kms-tfhe-ct-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string bytes("\x01\x02tfhe-rs bytes\x00\xff", 17);
  ASSERT_TRUE(WriteFileBytes(path, bytes).ok());
  auto ct = ReadTfheCiphertextFile(path, "euint64", "SmallCompressed");
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(ct->ciphertext(), bytes);
  EXPECT_EQ(ct->fhe_type(), "euint64");
  EXPECT_EQ(ct->ciphertext_format(), 0);
  EXPECT_TRUE(ct->external_handle().empty());
  EXPECT_EQ(ReadTfheCiphertextFile(path, "euint7", "2").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ReadTfheCiphertextFile(path, "ebool", "Huge").status().message(),
              HasSubstr("unknown ciphertext format \"Huge\""));
  ASSERT_TRUE(WriteFileBytes(path, "").ok());
  EXPECT_THAT(ReadTfheCiphertextFile(path, "ebool", "2").status().message(),
              HasSubstr("empty file"));
  ::unlink(path);
  EXPECT_FALSE(ReadTfheCiphertextFile(path, "ebool", "2").ok());
}

}  // namespace
}  // namespace kms::client
