// CompressedXofKeySet (tfhe/xof_key_set.h), built from the golden kms-test
// CompressedCompactPublicKey and CompressedServerKey: round trip, the exact layout (tag 0, the
// seed, the two payloads without headers), every truncation and byte flip refused or canonical,
// tags must agree. The tfhe-rs 1.7 form V1 (tag 1, XofSeedStart): its layout for both starts,
// XofSeedStart variant 2 refused by name, hostile V1 blobs, and the V0 writer refusing what
// only V1 holds.
#include "tfhe/xof_key_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "tfhe/golden_files.h"

namespace kms::tfhe {
namespace {

using ::testing::HasSubstr;

class XofKeySet : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
    auto pk = testing::ReadGolden("kms-test.CompressedCompactPublicKey.bin");
    auto sk = testing::ReadGolden("kms-test.CompressedServerKey.bin");
    ASSERT_TRUE(pk && sk);
    pk_bytes_ = *pk;
    sk_bytes_ = *sk;
    keyset_.compressed_public_key = *ParseCompressedCompactPublicKey(*pk);
    keyset_.compressed_server_key = *ParseCompressedServerKey(*sk);
    const char domain[] = "TFHE_GEN";
    keyset_.seed.assign(domain, domain + 8);
    for (int i = 0; i < 16; ++i) keyset_.seed.push_back(static_cast<uint8_t>(0xa0 + i));
  }
  Bytes pk_bytes_, sk_bytes_;
  CompressedXofKeySet keyset_;
};

TEST_F(XofKeySet, RoundTripsWithTheExactLayout) {
  auto bytes = SerializeCompressedXofKeySet(keyset_);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  // Header (34 + name), tag 0, XofSeed tag 0 + 24 bytes, then both payloads without headers.
  const size_t header = 34 + kCompressedXofKeySetName.size();
  const size_t pk_header =
      34 + std::string_view("high_level_api::CompressedCompactPublicKey").size();
  const size_t sk_header = 34 + std::string_view("high_level_api::CompressedServerKey").size();
  ASSERT_EQ(bytes->size(), header + 4 + 4 + 8 + 24 + (pk_bytes_.size() - pk_header) +
                               (sk_bytes_.size() - sk_header));
  const size_t pk_at = header + 4 + 4 + 8 + 24;
  EXPECT_EQ(0, std::memcmp(bytes->data() + pk_at, pk_bytes_.data() + pk_header,
                           pk_bytes_.size() - pk_header));
  auto parsed = ParseCompressedXofKeySet(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, keyset_);
  EXPECT_EQ(*SerializeCompressedXofKeySet(*parsed), *bytes);
}

TEST_F(XofKeySet, TagsMustAgree) {
  keyset_.compressed_server_key.tag = {1, 2, 3};
  EXPECT_THAT(std::string(SerializeCompressedXofKeySet(keyset_).status().message()),
              HasSubstr("the public key's tag must be the server key's"));
}

TEST_F(XofKeySet, BadInput) {
  const Bytes bytes = *SerializeCompressedXofKeySet(keyset_);
  auto round_trip = [](const Bytes& b) -> absl::StatusOr<Bytes> {
    auto k = ParseCompressedXofKeySet(b);
    if (!k.ok()) return k.status();
    return SerializeCompressedXofKeySet(*k);
  };
  for (size_t len = 0; len < bytes.size(); len += 1 + len / 64) {
    Bytes prefix(bytes.begin(), bytes.begin() + len);
    ASSERT_EQ(round_trip(prefix).status().code(), absl::StatusCode::kInvalidArgument) << len;
  }
  size_t accepted = 0;
  for (size_t pos = 0; pos < bytes.size(); pos += 1 + (pos > 512 && pos + 512 < bytes.size()) * 5) {
    Bytes mutated = bytes;
    mutated[pos] ^= 0x01;
    auto r = round_trip(mutated);
    if (!r.ok()) {
      ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
      continue;
    }
    ++accepted;
    ASSERT_TRUE(*r == mutated) << pos;
  }
  EXPECT_GT(accepted, 0u);
  // An unknown tag is refused; a huge seed length is refused before allocation.
  Bytes v2 = bytes;
  v2[34 + kCompressedXofKeySetName.size()] = 2;
  EXPECT_THAT(std::string(ParseCompressedXofKeySet(v2).status().message()),
              HasSubstr("unknown version tag 2, expected 0 (tfhe-rs 1.4) or 1 (1.7)"));
  Bytes huge = bytes;
  const uint64_t len = uint64_t{1} << 50;
  std::memcpy(huge.data() + 34 + kCompressedXofKeySetName.size() + 8, &len, 8);
  EXPECT_THAT(
      std::string(ParseCompressedXofKeySet(huge).status().message()),
      HasSubstr("CompressedXofKeySet.seed.data: length 1125899906842624 exceeds remaining"));
}

TEST_F(XofKeySet, V1RoundTripsWithTheExactLayoutForBothStarts) {
  const Bytes v0 = *SerializeCompressedXofKeySet(keyset_);
  const size_t header = 34 + kCompressedXofKeySetName.size();
  for (uint32_t start : {0u, 1u}) {
    CompressedXofKeySet ks = keyset_;
    ks.format = TfheFormat::kTfhe17;
    ks.start = static_cast<CompressedXofKeySet::Start>(start);
    auto bytes = SerializeCompressedXofKeySet(ks);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    // Tag 1, XofSeedStart tag 0 and variant, then V0's XofSeed and payloads.
    ASSERT_EQ(bytes->size(), v0.size() + 8);
    uint32_t words[3];
    std::memcpy(words, bytes->data() + header, 12);
    EXPECT_EQ(words[0], 1u);
    EXPECT_EQ(words[1], 0u);
    EXPECT_EQ(words[2], start);
    EXPECT_EQ(0, std::memcmp(bytes->data() + header + 12, v0.data() + header + 4,
                             v0.size() - header - 4));
    auto parsed = ParseCompressedXofKeySet(*bytes);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, ks);
    EXPECT_EQ(parsed->first_byte(), start);
    EXPECT_EQ(*SerializeCompressedXofKeySet(*parsed), *bytes);
  }
}

TEST_F(XofKeySet, V1BadInput) {
  CompressedXofKeySet ks = keyset_;
  ks.format = TfheFormat::kTfhe17;
  ks.start = CompressedXofKeySet::Start::kFirstByte;
  const Bytes bytes = *SerializeCompressedXofKeySet(ks);
  const size_t header = 34 + kCompressedXofKeySetName.size();
  // XofSeedStart variant 2 is refused by name.
  Bytes variant = bytes;
  variant[header + 8] = 2;
  EXPECT_THAT(std::string(ParseCompressedXofKeySet(variant).status().message()),
              HasSubstr("CompressedXofKeySet.seed.XofSeedStart: variant index 2, expected < 2"));
  // A huge seed length is refused before allocation.
  Bytes huge = bytes;
  const uint64_t len = uint64_t{1} << 50;
  std::memcpy(huge.data() + header + 16, &len, 8);
  EXPECT_THAT(
      std::string(ParseCompressedXofKeySet(huge).status().message()),
      HasSubstr("CompressedXofKeySet.seed.data: length 1125899906842624 exceeds remaining"));
  // Every truncation refused; every flip refused or re-serialized identically.
  auto round_trip = [](const Bytes& b) -> absl::StatusOr<Bytes> {
    auto k = ParseCompressedXofKeySet(b);
    if (!k.ok()) return k.status();
    return SerializeCompressedXofKeySet(*k);
  };
  for (size_t len = 0; len < bytes.size(); len += 1 + len / 64) {
    Bytes prefix(bytes.begin(), bytes.begin() + len);
    ASSERT_EQ(round_trip(prefix).status().code(), absl::StatusCode::kInvalidArgument) << len;
  }
  for (size_t pos = 0; pos < bytes.size(); pos += 1 + (pos > 512 && pos + 512 < bytes.size()) * 7) {
    Bytes mutated = bytes;
    mutated[pos] ^= 0x01;
    auto r = round_trip(mutated);
    if (!r.ok()) {
      ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
      continue;
    }
    ASSERT_TRUE(*r == mutated) << pos;
  }
}

TEST_F(XofKeySet, TheV0WriterRefusesWhatOnlyV1Holds) {
  {
    CompressedXofKeySet ks = keyset_;
    ks.start = CompressedXofKeySet::Start::kFirstByte;
    EXPECT_THAT(std::string(SerializeCompressedXofKeySet(ks).status().message()),
                HasSubstr("seed.XofSeedStart: a FirstByte start needs the tfhe-rs 1.7 form"));
  }
  {
    CompressedXofKeySet ks = keyset_;
    ks.compressed_server_key.format = TfheFormat::kTfhe17;
    EXPECT_THAT(std::string(SerializeCompressedXofKeySet(ks).status().message()),
                HasSubstr("compressed_server_key: a tfhe-rs 1.7 server key needs the tfhe-rs 1.7 "
                          "form"));
    ks.format = TfheFormat::kTfhe17;  // V1 holds it
    auto bytes = SerializeCompressedXofKeySet(ks);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(*ParseCompressedXofKeySet(*bytes), ks);
  }
  {
    CompressedXofKeySet ks = keyset_;
    CompressionSeed& seed = ks.compressed_public_key.key.seeded_glwe_ciphertext.compression_seed;
    seed = CompressionSeed{.version = CompressionSeed::Version::kV1,
                           .kind = CompressionSeed::Kind::kCtr,
                           .seed = 5,
                           .aes_index = 0,
                           .byte_index = 0};
    EXPECT_THAT(
        std::string(SerializeCompressedXofKeySet(ks).status().message()),
        HasSubstr("compressed_public_key: a V1 CompressionSeed needs the tfhe-rs 1.7 form"));
  }
}

}  // namespace
}  // namespace kms::tfhe
