// tfhe/block_decoding.h: the block layout of a squashed radix value, the §2.11 decoding rule at
// its edges, and the little-endian recomposition, with the malformed values a party or a client
// must refuse.
#include "tfhe/block_decoding.h"

#include <gtest/gtest.h>

#include <vector>

namespace kms::tfhe {
namespace {

constexpr uint64_t kMessage = 4, kCarry = 4;  // both kms parameter sets
constexpr int kShift = 128 - 5;               // 128 − (log2(16) + 1)

TEST(PackedBlockBits, PairsOfRadixBlocksLastAlone) {
  EXPECT_EQ(*PackedBlockBits(8, false, kMessage), (std::vector<uint32_t>{4, 4}));
  EXPECT_EQ(*PackedBlockBits(4, false, kMessage), (std::vector<uint32_t>{4}));
  EXPECT_EQ(*PackedBlockBits(10, false, kMessage), (std::vector<uint32_t>{4, 4, 2}));
  EXPECT_EQ(PackedBlockBits(256, false, kMessage)->size(), 64u);
  EXPECT_EQ(PackedBlockBits(160, false, kMessage)->size(), 40u);
  EXPECT_EQ(*PackedBlockBits(8, true, kMessage), (std::vector<uint32_t>{1}));
  EXPECT_EQ(PackedBlockBits(8, false, 3).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PackedBlockBits(8, false, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PackedBlockBits(7, false, kMessage).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PackedBlockBits(0, false, kMessage).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DecodePackedBlock, EveryValueWithNoiseUpToHalfAStep) {
  const u128 half = u128{1} << (kShift - 1);
  for (uint64_t v = 0; v < 16; ++v) {
    const u128 c = EncodePackedBlock(v, kMessage, kCarry);
    EXPECT_EQ(c, static_cast<u128>(v) << kShift);
    EXPECT_EQ(*DecodePackedBlock(c, kMessage, kCarry), v);
    EXPECT_EQ(*DecodePackedBlock(c + half - 1, kMessage, kCarry), v);
    if (v > 0) {
      EXPECT_EQ(*DecodePackedBlock(c - half, kMessage, kCarry), v);
    }
  }
  // Negative noise on 0 wraps to the top of the ring: still 0.
  EXPECT_EQ(*DecodePackedBlock(~u128{0}, kMessage, kCarry), 0u);
  EXPECT_EQ(*DecodePackedBlock(u128{0} - (half - 1), kMessage, kCarry), 0u);
  // Past 15 + half a step the padding bit is set.
  auto padded = DecodePackedBlock(u128{16} << kShift, kMessage, kCarry);
  EXPECT_EQ(padded.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(DecodePackedBlock((u128{15} << kShift) + half, kMessage, kCarry).status().code(),
            absl::StatusCode::kAborted);
}

std::vector<u128> Encoded(const std::vector<uint64_t>& values) {
  std::vector<u128> out;
  for (uint64_t v : values) out.push_back(EncodePackedBlock(v, kMessage, kCarry));
  return out;
}

TEST(DecodePackedBlocks, RecomposesLittleEndian) {
  const std::vector<uint32_t> bits = {4, 4};
  auto le = DecodePackedBlocks(Encoded({0x5, 0xA}), bits, kMessage, kCarry);
  ASSERT_TRUE(le.ok()) << le.status();
  EXPECT_EQ((*le)[0], 0xA5);
  for (size_t i = 1; i < 32; ++i) EXPECT_EQ((*le)[i], 0);
  // 64 blocks of 4 bits: all 256 bits.
  std::vector<uint32_t> wide(64, 4);
  le = DecodePackedBlocks(Encoded(std::vector<uint64_t>(64, 0xF)), wide, kMessage, kCarry);
  ASSERT_TRUE(le.ok());
  for (uint8_t b : *le) EXPECT_EQ(b, 0xFF);
  // A lone last block of 2 bits.
  le = DecodePackedBlocks(Encoded({0x1, 0x3}), std::vector<uint32_t>{4, 2}, kMessage, kCarry);
  EXPECT_EQ((*le)[0], 0x31);
}

TEST(DecodePackedBlocks, RefusesWhatNoValueEncodes) {
  // A lone 2-bit block holding 5, a boolean holding 2.
  EXPECT_EQ(DecodePackedBlocks(Encoded({1, 5}), std::vector<uint32_t>{4, 2}, kMessage, kCarry)
                .status()
                .code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(
      DecodePackedBlocks(Encoded({2}), std::vector<uint32_t>{1}, kMessage, kCarry).status().code(),
      absl::StatusCode::kAborted);
  // More than 256 bits.
  EXPECT_EQ(DecodePackedBlocks(Encoded(std::vector<uint64_t>(65, 1)), std::vector<uint32_t>(65, 4),
                               kMessage, kCarry)
                .status()
                .code(),
            absl::StatusCode::kAborted);
  // A set padding bit anywhere.
  std::vector<u128> values = Encoded({1, 2});
  values[1] = u128{16} << kShift;
  auto padded = DecodePackedBlocks(values, std::vector<uint32_t>{4, 4}, kMessage, kCarry);
  EXPECT_EQ(padded.status().code(), absl::StatusCode::kAborted);
  // Malformed descriptions.
  EXPECT_EQ(DecodePackedBlocks(Encoded({1}), std::vector<uint32_t>{4, 4}, kMessage, kCarry)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodePackedBlocks(Encoded({1}), std::vector<uint32_t>{4}, 3, kCarry).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::tfhe
