#include "lwe/typed_plaintext.h"

#include <gtest/gtest.h>

#include "common/bytes.h"

namespace kms::lwe {
namespace {

const std::string kMax256 =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

TEST(FheTypeTest, NamesWidthsAndBlockCounts) {
  const int widths[] = {1, 4, 8, 16, 32, 64, 128, 160, 256};
  const int blocks[] = {1, 1, 1, 1, 2, 4, 8, 10, 16};
  const char* names[] = {"ebool",   "euint4",   "euint8",   "euint16", "euint32",
                         "euint64", "euint128", "euint160", "euint256"};
  for (size_t i = 0; i < kAllFheTypes.size(); ++i) {
    const FheType type = kAllFheTypes[i];
    EXPECT_EQ(FheTypeBits(type), widths[i]);
    EXPECT_EQ(BlockCount(type, TestParameters()), blocks[i]);
    EXPECT_EQ(BlockCount(type, DefaultParameters()), blocks[i]);
    EXPECT_EQ(std::string(FheTypeName(type)), names[i]);
    EXPECT_EQ(*FheTypeFromName(names[i]), type);
    EXPECT_TRUE(IsValidFheType(type));
  }
  EXPECT_EQ(FheTypeFromName("euint7").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsValidFheType(static_cast<FheType>(42)));
  EXPECT_EQ(BlockCount(static_cast<FheType>(42), TestParameters()), 0);
}

TEST(TypedPlaintextTest, RejectsValuesOutOfRange) {
  EXPECT_TRUE(TypedPlaintext::FromU64(FheType::kEbool, 1).ok());
  auto bad = TypedPlaintext::FromU64(FheType::kEbool, 2);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("ebool (1 bits)"), std::string::npos) << bad.status();
  EXPECT_TRUE(TypedPlaintext::FromU64(FheType::kEuint4, 15).ok());
  EXPECT_FALSE(TypedPlaintext::FromU64(FheType::kEuint4, 16).ok());
  EXPECT_TRUE(TypedPlaintext::FromU64(FheType::kEuint8, 255).ok());
  EXPECT_FALSE(TypedPlaintext::FromU64(FheType::kEuint8, 256).ok());
  EXPECT_FALSE(TypedPlaintext::FromU64(FheType::kEuint16, 65536).ok());
  EXPECT_FALSE(TypedPlaintext::FromU64(FheType::kEuint32, uint64_t{1} << 32).ok());
  EXPECT_TRUE(TypedPlaintext::FromU64(FheType::kEuint64, ~uint64_t{0}).ok());
  EXPECT_FALSE(TypedPlaintext::FromU128(FheType::kEuint64, Z128{1} << 64).ok());
  EXPECT_TRUE(TypedPlaintext::FromU128(FheType::kEuint128, ~Z128{0}).ok());
  EXPECT_FALSE(TypedPlaintext::FromString(FheType::kEuint128,
                                          "340282366920938463463374607431768211456")
                   .ok());  // 2^128
  EXPECT_TRUE(TypedPlaintext::FromString(FheType::kEuint160, "0x" + std::string(40, 'f')).ok());
  EXPECT_FALSE(TypedPlaintext::FromString(FheType::kEuint160, "0x1" + std::string(40, '0')).ok());
  EXPECT_TRUE(TypedPlaintext::FromString(FheType::kEuint256, kMax256).ok());
  auto over =
      TypedPlaintext::FromString(FheType::kEuint256, kMax256.substr(0, kMax256.size() - 1) + "6");
  EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(over.status().message().find("256 bits"), std::string::npos);
  EXPECT_FALSE(TypedPlaintext::FromU64(static_cast<FheType>(99), 0).ok());
}

TEST(TypedPlaintextTest, ParsesDecimalAndHexAndRejectsJunk) {
  auto dec = TypedPlaintext::FromString(FheType::kEuint64, "18446744073709551615");
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(*dec, *TypedPlaintext::FromU64(FheType::kEuint64, ~uint64_t{0}));
  auto hex = TypedPlaintext::FromString(FheType::kEuint64, "0xDEADbeef");
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(hex->ToString(), "3735928559");
  EXPECT_EQ(TypedPlaintext::FromString(FheType::kEuint8, "007")->ToString(), "7");
  EXPECT_EQ(TypedPlaintext::FromString(FheType::kEuint8, "0x0")->ToString(), "0");
  for (const char* junk : {"", "0x", "-1", "+1", " 1", "1 ", "12a", "0xg", "1e3", "0b101", "x12"})
    EXPECT_EQ(TypedPlaintext::FromString(FheType::kEuint64, junk).status().code(),
              absl::StatusCode::kInvalidArgument)
        << junk;
  // A very long number fails without overflowing anything.
  EXPECT_FALSE(TypedPlaintext::FromString(FheType::kEuint256, std::string(5000, '9')).ok());
  EXPECT_TRUE(TypedPlaintext::FromString(FheType::kEuint256, std::string(5000, '0')).ok());
}

TEST(TypedPlaintextTest, ToStringAndAbiEncoding) {
  auto max = TypedPlaintext::FromString(FheType::kEuint256, kMax256);
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->ToString(), kMax256);
  EXPECT_EQ(ToHex(max->AbiEncodeUint256()), std::string(64, 'f'));
  auto v = TypedPlaintext::FromU64(FheType::kEuint32, 0x01020304);
  EXPECT_EQ(v->ToString(), "16909060");
  EXPECT_EQ(ToHex(v->AbiEncodeUint256()), std::string(56, '0') + "01020304");
  auto zero = TypedPlaintext::FromU64(FheType::kEbool, 0);
  EXPECT_EQ(zero->ToString(), "0");
  EXPECT_EQ(ToHex(zero->AbiEncodeUint256()), std::string(64, '0'));
}

TEST(TypedPlaintextTest, BlocksAreLittleEndianSixteenBitChunks) {
  const LweParameters& params = TestParameters();
  auto v = TypedPlaintext::FromString(FheType::kEuint64, "0x0123456789abcdef");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->ToBlocks(params), (std::vector<uint64_t>{0xcdef, 0x89ab, 0x4567, 0x0123}));
  auto back = TypedPlaintext::FromBlocks(FheType::kEuint64, v->ToBlocks(params), params);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *v);

  auto addr =
      TypedPlaintext::FromString(FheType::kEuint160, "0x00112233445566778899aabbccddeeff01234567");
  ASSERT_TRUE(addr.ok());
  const std::vector<uint64_t> blocks = addr->ToBlocks(params);
  ASSERT_EQ(blocks.size(), 10u);
  EXPECT_EQ(blocks[0], 0x4567u);
  EXPECT_EQ(blocks[9], 0x0011u);
  EXPECT_EQ(*TypedPlaintext::FromBlocks(FheType::kEuint160, blocks, params), *addr);
}

TEST(TypedPlaintextTest, BlocksWithOtherWidthsRoundTrip) {
  LweParameters odd = TestParameters();
  odd.bits_per_block = 7;  // not a divisor of any width: the top block is partial
  odd.delta = Z128{1} << (127 - 7);
  for (FheType type : kAllFheTypes) {
    std::array<uint8_t, 32> bytes{};
    for (int i = 0; i < 32; ++i) bytes[i] = static_cast<uint8_t>(0x5a ^ (i * 29));
    // Keep only the type's width.
    const int bits = FheTypeBits(type);
    for (int b = bits; b < 256; ++b) bytes[b / 8] &= static_cast<uint8_t>(~(1u << (b % 8)));
    auto v = TypedPlaintext::FromLeBytes(type, bytes);
    ASSERT_TRUE(v.ok()) << FheTypeName(type);
    const std::vector<uint64_t> blocks = v->ToBlocks(odd);
    EXPECT_EQ(blocks.size(), static_cast<size_t>((bits + 6) / 7));
    auto back = TypedPlaintext::FromBlocks(type, blocks, odd);
    ASSERT_TRUE(back.ok()) << FheTypeName(type) << ": " << back.status();
    EXPECT_EQ(*back, *v);
  }
}

TEST(TypedPlaintextTest, FromBlocksRejectsBadBlocks) {
  const LweParameters& params = TestParameters();
  // Wrong count.
  EXPECT_EQ(TypedPlaintext::FromBlocks(FheType::kEuint64, std::vector<uint64_t>{1, 2, 3}, params)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // A block wider than bits_per_block.
  auto wide =
      TypedPlaintext::FromBlocks(FheType::kEuint32, std::vector<uint64_t>{1, 1 << 16}, params);
  EXPECT_NE(wide.status().message().find("blocks[1]"), std::string::npos) << wide.status();
  // A decoded value above the type's width (what a wrong key typically produces).
  auto too_big = TypedPlaintext::FromBlocks(FheType::kEuint4, std::vector<uint64_t>{16}, params);
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_big.status().message().find("euint4"), std::string::npos);
  EXPECT_FALSE(TypedPlaintext::FromBlocks(FheType::kEbool, std::vector<uint64_t>{2}, params).ok());
  EXPECT_TRUE(TypedPlaintext::FromBlocks(FheType::kEbool, std::vector<uint64_t>{1}, params).ok());
  EXPECT_FALSE(TypedPlaintext::FromLeBytes(FheType::kEuint256, Bytes(33, 0)).ok());
}

}  // namespace
}  // namespace kms::lwe
