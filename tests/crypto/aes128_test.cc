#include "crypto/aes128.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "common/bytes.h"

namespace kms::crypto {
namespace {

TEST(Aes128Test, Fips197KnownAnswer) {
  auto key = *FromHex("000102030405060708090a0b0c0d0e0f");
  auto pt = *FromHex("00112233445566778899aabbccddeeff");
  AesKey k;
  AesBlock in;
  std::copy(key.begin(), key.end(), k.begin());
  std::copy(pt.begin(), pt.end(), in.begin());
  EXPECT_EQ(ToHex(Aes128(k).Encrypt(in)), "69c4e0d86a7b0430d8cdb78070b4c55a");
}

TEST(Aes128Test, MatchesOpenSslOnManyBlocks) {
  AesKey k;
  for (int i = 0; i < 16; ++i) k[i] = static_cast<uint8_t>(i * 37 + 11);
  std::vector<uint8_t> in(16 * 23), ours(in.size()), theirs(in.size() + 16);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 7);
  Aes128(k).EncryptBlocks(in.data(), ours.data(), 23);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), nullptr, k.data(), nullptr);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  int len = 0;
  EVP_EncryptUpdate(ctx, theirs.data(), &len, in.data(), static_cast<int>(in.size()));
  EVP_CIPHER_CTX_free(ctx);
  theirs.resize(in.size());
  EXPECT_EQ(ours, theirs);
}

}  // namespace
}  // namespace kms::crypto
