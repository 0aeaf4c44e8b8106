#include "crypto/hash.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace kms::crypto {
namespace {

Digest ReferenceShake(const Bytes& input) {
  Digest d;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_shake256(), nullptr);
  EVP_DigestUpdate(ctx, input.data(), input.size());
  EVP_DigestFinalXOF(ctx, d.data(), d.size());
  EVP_MD_CTX_free(ctx);
  return d;
}

TEST(HashTest, ShakeOfEmptyInputKnownAnswer) {
  // FIPS 202 SHAKE256(""), first 32 bytes.
  Digest d = Shake256().Finish32();
  EXPECT_EQ(ToHex(d), "46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f");
}

TEST(HashTest, HashElementPrefixesTheDomainSeparator) {
  Bytes msg{1, 2, 3};
  Bytes expected_input;
  Append(expected_input, AsBytes("BRACHABC"));
  Append(expected_input, msg);
  EXPECT_EQ(HashElement(kDsepBroadcast, msg), ReferenceShake(expected_input));
}

TEST(HashTest, HashListEncodesCountAndElements) {
  Bytes a{9}, b{7, 7};
  Bytes expected_input;
  Append(expected_input, AsBytes("HASH_LST"));
  Append(expected_input, AsBytes("PDAT_KEY"));
  AppendU64Le(expected_input, 2);
  Append(expected_input, a);
  Append(expected_input, b);
  EXPECT_EQ(HashList(kDsepPublicKeyData, {ByteSpan(a), ByteSpan(b)}),
            ReferenceShake(expected_input));
  std::vector<Bytes> list{a, b};
  EXPECT_EQ(HashList(kDsepPublicKeyData, list), ReferenceShake(expected_input));
}

TEST(HashTest, CommitmentBindsEveryField) {
  std::array<uint8_t, 16> opening{};
  Bytes msg{1};
  Digest c = Commit(1, 5, 2, msg, opening);
  EXPECT_NE(c, Commit(2, 5, 2, msg, opening));
  EXPECT_NE(c, Commit(1, 6, 2, msg, opening));
  EXPECT_NE(c, Commit(1, 5, 3, msg, opening));
  opening[0] = 1;
  EXPECT_NE(c, Commit(1, 5, 2, msg, opening));
}

}  // namespace
}  // namespace kms::crypto
