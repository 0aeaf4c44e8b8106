// CompressedXofKeySet (tfhe/xof_key_set.h), built from the golden kms-test
// CompressedCompactPublicKey and CompressedServerKey: round trip, the exact layout (tag 0, the
// seed, the two payloads without headers), every truncation and byte flip refused or canonical,
// tags must agree.
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
  // The 1.7 tag is refused; a huge seed length is refused before allocation.
  Bytes v1 = bytes;
  v1[34 + kCompressedXofKeySetName.size()] = 1;
  EXPECT_THAT(std::string(ParseCompressedXofKeySet(v1).status().message()),
              HasSubstr("unknown version tag 1, expected 0"));
  Bytes huge = bytes;
  const uint64_t len = uint64_t{1} << 50;
  std::memcpy(huge.data() + 34 + kCompressedXofKeySetName.size() + 8, &len, 8);
  EXPECT_THAT(
      std::string(ParseCompressedXofKeySet(huge).status().message()),
      HasSubstr("CompressedXofKeySet.seed.data: length 1125899906842624 exceeds remaining"));
}

}  // namespace
}  // namespace kms::tfhe
