#include "crypto/secure_zero.h"

#include <gtest/gtest.h>

namespace kms::crypto {
namespace {

TEST(SecureZeroTest, ClearsTheBuffer) {
  std::vector<uint8_t> v(64, 0xAB);
  SecureZero(v);
  for (uint8_t b : v) EXPECT_EQ(b, 0);
}

TEST(SecureZeroTest, SecretBytesCopiesAndMoves) {
  SecretBytes a(std::vector<uint8_t>{1, 2, 3});
  SecretBytes b = a;
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b[2], 3);
  SecretBytes c = std::move(b);
  EXPECT_EQ(c[0], 1);
  a = c;
  EXPECT_EQ(a[1], 2);
}

}  // namespace
}  // namespace kms::crypto
