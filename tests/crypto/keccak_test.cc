#include "crypto/keccak.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

namespace kms::crypto {
namespace {

std::string KeccakHex(std::string_view s) { return ToHex(Keccak256(AsBytes(s))); }

TEST(KeccakTest, KnownAnswers) {
  // Ethereum's empty-input hash (the empty code hash and empty bytes32[] encoding).
  EXPECT_EQ(KeccakHex(""), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(KeccakHex("abc"), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(KeccakHex("hello"), "1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8");
  // The EIP-712 example's private key is keccak256("cow").
  EXPECT_EQ(KeccakHex("cow"), "c85ef7d79691fe79573b1a7064c19c1a9819ebdbd1faaab1a8ec92344438aaf4");
  // Solidity's ERC-20 Transfer event topic.
  EXPECT_EQ(KeccakHex("Transfer(address,address,uint256)"),
            "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
}

TEST(KeccakTest, IsNotFips202Sha3) {
  // SHA3-256 differs from Keccak-256 only in the padding byte; using the wrong one would break
  // every Ethereum address and EIP-712 digest.
  Digest sha3;
  unsigned int length = 0;
  ASSERT_EQ(EVP_Digest(nullptr, 0, sha3.data(), &length, EVP_sha3_256(), nullptr), 1);
  EXPECT_NE(Keccak256(ByteSpan()), sha3);
}

TEST(KeccakTest, ConcatenationOfPartsEqualsWholeInput) {
  // 1000 bytes cross several 136-byte rate blocks; split at awkward places.
  Bytes data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
  const Digest whole = Keccak256(data);
  const ByteSpan all(data);
  EXPECT_EQ(Keccak256({all.first(135), all.subspan(135, 2), ByteSpan(), all.subspan(137)}), whole);
  EXPECT_EQ(Keccak256({all}), whole);
  EXPECT_NE(Keccak256(all.first(999)), whole);
}

}  // namespace
}  // namespace kms::crypto
