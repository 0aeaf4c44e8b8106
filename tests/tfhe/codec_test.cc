// The bincode codec and the safe_serialize header: primitives both ways, and every malformed
// input gives an InvalidArgument naming its field.
#include "tfhe/codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tfhe/safe_serialize.h"

namespace kms::tfhe {
namespace {

using ::testing::HasSubstr;

Bytes Le64(uint64_t v) {
  Bytes out;
  AppendU64Le(out, v);
  return out;
}

TEST(Codec, ScalarsRoundTripLittleEndian) {
  Codec w = Codec::Writer("T");
  uint8_t a = 0xab;
  int8_t b = -2;
  bool c = true;
  uint32_t d = 0x01020304;
  uint64_t e = 0x0102030405060708ULL;
  u128 f = (u128{0x1112131415161718ULL} << 64) | 0x2122232425262728ULL;
  double g = -0.0;
  w.U8(a, "a");
  w.I8(b, "b");
  w.Bool(c, "c");
  w.U32(d, "d");
  w.U64(e, "e");
  w.U128(f, "f");
  w.F64(g, "g");
  ASSERT_TRUE(w.Finish().ok());
  Bytes out = w.TakeOutput();
  ASSERT_EQ(out.size(), 1u + 1 + 1 + 4 + 8 + 16 + 8);
  EXPECT_EQ(out[3], 0x04);  // u32 little-endian
  EXPECT_EQ(out[7], 0x08);  // u64 little-endian

  Codec r = Codec::Reader(out, "T");
  uint8_t a2 = 0;
  int8_t b2 = 0;
  bool c2 = false;
  uint32_t d2 = 0;
  uint64_t e2 = 0;
  u128 f2 = 0;
  double g2 = 1;
  r.U8(a2, "a");
  r.I8(b2, "b");
  r.Bool(c2, "c");
  r.U32(d2, "d");
  r.U64(e2, "e");
  r.U128(f2, "f");
  r.F64(g2, "g");
  ASSERT_TRUE(r.Finish().ok()) << r.Finish();
  EXPECT_EQ(a2, a);
  EXPECT_EQ(b2, b);
  EXPECT_EQ(c2, c);
  EXPECT_EQ(d2, d);
  EXPECT_EQ(e2, e);
  EXPECT_TRUE(f2 == f);
  EXPECT_TRUE(std::signbit(g2));
}

TEST(Codec, F64KeepsNaNPayloadBits) {
  const uint64_t bits = 0x7ff4000000000123ULL;  // a signalling NaN with a payload
  Bytes in = Le64(bits);
  Codec r = Codec::Reader(in, "T");
  double v = 0;
  r.F64(v, "v");
  Codec w = Codec::Writer("T");
  w.F64(v, "v");
  EXPECT_TRUE(w.TakeOutput() == in);
}

TEST(Codec, BoolAndOptionRefuseOtherBytes) {
  Bytes in = {2};
  Codec r = Codec::Reader(in, "T");
  bool b = false;
  r.Bool(b, "flag");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("T.flag: invalid bool byte 2"));

  Codec r2 = Codec::Reader(in, "T");
  std::optional<uint64_t> opt;
  r2.Option(opt, "opt", [](Codec& c, uint64_t& v) { c.U64(v, "v"); });
  EXPECT_THAT(std::string(r2.status().message()), HasSubstr("T.opt: invalid Option tag 2"));
}

TEST(Codec, OptionBothWays) {
  std::optional<uint64_t> some = 7, none;
  Codec w = Codec::Writer("T");
  auto conv = [](Codec& c, uint64_t& v) { c.U64(v, "v"); };
  w.Option(some, "a", conv);
  w.Option(none, "b", conv);
  Bytes out = w.TakeOutput();
  ASSERT_EQ(out.size(), 1u + 8 + 1);
  Codec r = Codec::Reader(out, "T");
  std::optional<uint64_t> a, b = 3;
  r.Option(a, "a", conv);
  r.Option(b, "b", conv);
  ASSERT_TRUE(r.Finish().ok());
  EXPECT_EQ(a, 7u);
  EXPECT_FALSE(b.has_value());
}

TEST(Codec, VersionTagsAreExact) {
  Bytes older = {0, 0, 0, 0}, newer = {2, 0, 0, 0}, exact = {1, 0, 0, 0};
  Codec r = Codec::Reader(older, "T");
  r.VersionTag(1, "");
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("T.version: version tag 0 is older than the supported version 1"));
  Codec r2 = Codec::Reader(newer, "T");
  r2.VersionTag(1, "");
  EXPECT_THAT(std::string(r2.status().message()), HasSubstr("unknown version tag 2, expected 1"));
  Codec r3 = Codec::Reader(exact, "T");
  r3.VersionTag(1, "");
  EXPECT_TRUE(r3.Finish().ok());
}

TEST(Codec, VariantOutOfRangeBothWays) {
  Bytes in = {3, 0, 0, 0};
  Codec r = Codec::Reader(in, "T");
  uint32_t v = 0;
  r.Variant(v, 3, "kind");
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("T.kind: variant index 3, expected < 3"));
  Codec w = Codec::Writer("T");
  uint32_t bad = 5;
  w.Variant(bad, 2, "kind");
  EXPECT_EQ(w.Finish().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Codec, HugeLengthIsRefusedBeforeAllocating) {
  Bytes in = Le64(uint64_t{1} << 40);
  in.resize(in.size() + 1234);
  Codec r = Codec::Reader(in, "CompactPublicKey");
  std::vector<uint64_t> data;
  {
    Codec::Scope s(r, "key");
    r.VecU64(data, "data");
  }
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "CompactPublicKey.key.data: length 1099511627776 exceeds remaining 1234 bytes");
  EXPECT_EQ(data.capacity(), 0u);

  // A count just one element too large for the input is refused too.
  Bytes in2 = Le64(3);
  in2.resize(in2.size() + 23);
  Codec r2 = Codec::Reader(in2, "T");
  r2.VecU64(data, "data");
  EXPECT_THAT(std::string(r2.status().message()), HasSubstr("length 3 exceeds remaining 23"));

  // Vectors of structures: the count is checked against the smallest element encoding.
  Bytes in3 = Le64(std::numeric_limits<uint64_t>::max());
  Codec r3 = Codec::Reader(in3, "T");
  std::vector<uint64_t> items;
  r3.Vec(items, 8, "items", [](Codec& c, uint64_t& v) { c.U64(v, "v"); });
  EXPECT_THAT(std::string(r3.status().message()), HasSubstr("T.items: length"));
  EXPECT_EQ(items.capacity(), 0u);
}

TEST(Codec, ErrorsAreStickyAndTruncationIsNamed) {
  Bytes in = {1, 2, 3};
  Codec r = Codec::Reader(in, "T");
  uint64_t v = 42;
  r.U64(v, "first");
  uint8_t b = 9;
  r.U8(b, "second");  // would succeed on its own; the first error sticks
  EXPECT_EQ(r.status().message(), "T.first: truncated: needs 8 bytes, 3 remain");
  EXPECT_EQ(v, 42u);
  EXPECT_EQ(b, 9);
}

TEST(Codec, TrailingBytesAreRefused) {
  Bytes in = {1, 0, 0, 0, 0xff};
  Codec r = Codec::Reader(in, "T");
  uint32_t v = 0;
  r.U32(v, "v");
  EXPECT_EQ(r.Finish().message(), "T: 1 trailing bytes after the object");
}

TEST(Codec, SizeLimitCountsEveryByte) {
  Bytes in(16, 0);
  for (uint64_t limit : {uint64_t{16}, uint64_t{15}}) {
    Codec r = Codec::Reader(in, "T", limit);
    u128 v = 0;
    r.U128(v, "v");
    if (limit == 16) {
      EXPECT_TRUE(r.Finish().ok());
    } else {
      EXPECT_THAT(std::string(r.status().message()),
                  HasSubstr("the size limit of 15 bytes has been reached"));
    }
  }
  Codec w = Codec::Writer("T", 15);
  u128 v = 0;
  w.U128(v, "v");
  EXPECT_THAT(std::string(w.Finish().message()), HasSubstr("exceeds the size limit 15"));
}

TEST(Codec, StringsAndByteVectors) {
  std::string s = "0.5";
  std::vector<uint8_t> bytes = {1, 2, 3};
  Codec w = Codec::Writer("T");
  w.String(s, "s");
  w.VecU8(bytes, "b");
  Bytes out = w.TakeOutput();
  EXPECT_EQ(out.size(), 8u + 3 + 8 + 3);
  Codec r = Codec::Reader(out, "T");
  std::string s2;
  std::vector<uint8_t> b2;
  r.String(s2, "s");
  r.VecU8(b2, "b");
  ASSERT_TRUE(r.Finish().ok());
  EXPECT_EQ(s2, s);
  EXPECT_EQ(b2, bytes);
}

// The header is exactly the one interop-tfhe.md §1.2 dumps.
TEST(SafeSerializeHeader, MatchesTheDocumentedBytes) {
  Codec w = Codec::Writer("CompactPublicKey");
  ConvertHeader(w, kCompactPublicKeyName);
  Bytes out = w.TakeOutput();
  ASSERT_EQ(out.size(), 34u + 32);
  const Bytes prefix = {3, 0, 0, 0, 0, 0, 0, 0, '0', '.', '5', 0,  0, 0, 0,
                        3, 0, 0, 0, 0, 0, 0, 0, '0', '.', '1', 32, 0, 0, 0};
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), out.begin()));
}

Bytes Header(std::string_view version, uint32_t mode, std::string_view vversion,
             std::string_view name) {
  Bytes out;
  AppendU64Le(out, version.size());
  Append(out, AsBytes(version));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(mode >> (8 * i)));
  AppendU64Le(out, vversion.size());
  Append(out, AsBytes(vversion));
  AppendU64Le(out, name.size());
  Append(out, AsBytes(name));
  return out;
}

absl::Status ReadHeader(const Bytes& in, std::string_view expected) {
  Codec r = Codec::Reader(in, RootName(expected));
  ConvertHeader(r, expected);
  return r.Finish();
}

TEST(SafeSerializeHeader, RefusesEveryOtherHeader) {
  const std::string_view name = kCompactPublicKeyName;
  EXPECT_TRUE(ReadHeader(Header("0.5", 0, "0.1", name), name).ok());
  EXPECT_THAT(std::string(ReadHeader(Header("0.4", 0, "0.1", name), name).message()),
              HasSubstr("CompactPublicKey.header.header_version: expected serialization header "
                        "version 0.5, got version 0.4"));
  EXPECT_THAT(std::string(ReadHeader(Header("0.5", 0, "0.2", name), name).message()),
              HasSubstr("expected versioning scheme version 0.1, got version 0.2"));
  EXPECT_THAT(std::string(ReadHeader(Header("0.5", 1, "1.7", name), name).message()),
              HasSubstr("unversioned serialization is not supported"));
  EXPECT_THAT(std::string(ReadHeader(Header("0.5", 0, "0.1", kFheUintName), name).message()),
              HasSubstr("expected type high_level_api::CompactPublicKey, got type "
                        "high_level_api::FheUint"));
}

}  // namespace
}  // namespace kms::tfhe
