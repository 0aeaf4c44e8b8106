#include "crypto/random.h"

#include <gtest/gtest.h>

namespace kms::crypto {
namespace {

TEST(RandomTest, AesCtrIsDeterministicForAKeyAndCounter) {
  AesKey k{};
  k[3] = 9;
  AesCtrRng a(k, 5), b(k, 5), c(k, 6);
  std::vector<uint8_t> x(100), y(100), z(100);
  a.Fill(x);
  // Fill in uneven pieces: the stream must not depend on how it is consumed.
  b.Fill(std::span<uint8_t>(y.data(), 3));
  b.Fill(std::span<uint8_t>(y.data() + 3, 97));
  c.Fill(z);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  // The first block is AES_k(counter).
  AesBlock ctr{};
  ctr[0] = 5;
  AesBlock first = Aes128(k).Encrypt(ctr);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), x.begin()));
}

TEST(RandomTest, OsSeededGeneratorsDiffer) {
  AesCtrRng a, b;
  EXPECT_NE(a.Uniform<algebra::Z128>(), b.Uniform<algebra::Z128>());
  std::array<uint8_t, 32> r1{}, r2{};
  OsRandom(r1);
  OsRandom(r2);
  EXPECT_NE(r1, r2);
}

}  // namespace
}  // namespace kms::crypto
