// Name validation shared by every backend (storage.h).
#include "storage/storage.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "storage/ram_storage.h"

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

TEST(StreamOptionsTest, ChunkSizeAndLimitAreChecked) {
  EXPECT_TRUE(ValidateStreamOptions({}).ok());
  EXPECT_EQ(StreamOptions{}.chunk_size, kDefaultStreamChunkSize);
  EXPECT_EQ(StreamOptions{}.max_object_size, kMaxStreamedObjectSize);
  EXPECT_TRUE(ValidateStreamOptions({kMinStreamChunkSize, 1}).ok());
  EXPECT_EQ(ValidateStreamOptions({kMinStreamChunkSize - 1, 100}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateStreamOptions({kMaxStreamChunkSize + 1, 100}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateStreamOptions({kMinStreamChunkSize, 0}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RamStorage::Create("PUB", {16, 100}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HashingStreamTest, DigestOfTheStoredBytesWhileWritingAndReading) {
  // The digest the reference signs for a public key: SHAKE256("PDAT_KEY" || stored bytes).
  Bytes data(100000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
  const crypto::Digest expected = crypto::HashElement(crypto::kDsepPublicKeyData, data);
  RamStorage storage("PUB", {4096, kMaxStreamedObjectSize});

  // Uneven pieces: the hash sees them all, in order.
  auto produce = [&](const ByteSink& write) {
    for (size_t at = 0; at < data.size(); at += 999) {
      absl::Status s = write(ByteSpan(data).subspan(at, std::min<size_t>(999, data.size() - at)));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  };
  crypto::Shake256 written;
  written.Update(crypto::kDsepPublicKeyData);
  ASSERT_TRUE(storage.PutStream("ServerKey", "k", HashingProducer(produce, written)).ok());
  EXPECT_EQ(written.Finish32(), expected);

  size_t pieces = 0;
  auto count = [&](ByteSpan) {
    ++pieces;
    return absl::OkStatus();
  };
  crypto::Shake256 read;
  read.Update(crypto::kDsepPublicKeyData);
  ASSERT_TRUE(storage.GetStream("ServerKey", "k", HashingSink(count, read)).ok());
  EXPECT_EQ(read.Finish32(), expected);
  EXPECT_EQ(pieces, (data.size() + 4095) / 4096);
}

}  // namespace
}  // namespace kms::storage
