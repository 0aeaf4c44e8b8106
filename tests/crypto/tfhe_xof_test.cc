#include "crypto/tfhe_xof.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>
#include <vector>

#include "algebra/base_ring.h"
#include "common/bytes.h"

namespace kms::crypto {
namespace {

using algebra::Z128;

// AES-128 with OpenSSL, mode and IV given; no padding.
std::vector<uint8_t> OpenSslAes(const EVP_CIPHER* cipher, const uint8_t* key, const uint8_t* iv,
                                const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out(in.size() + 16);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, cipher, nullptr, key, iv), 1);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  int len = 0, fin = 0;
  EXPECT_EQ(EVP_EncryptUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size())), 1);
  EXPECT_EQ(EVP_EncryptFinal_ex(ctx, out.data() + len, &fin), 1);
  EVP_CIPHER_CTX_free(ctx);
  out.resize(static_cast<size_t>(len + fin));
  return out;
}

std::vector<uint8_t> U128Le(Z128 v) {
  std::vector<uint8_t> out(16);
  algebra::StoreLe<Z128>(v, out.data());
  return out;
}

// The CBC-MAC initialisation of B §2.10 recomputed independently: OpenSSL AES-128-CBC with the
// zero key and zero IV over m_1 || m_2 || m_3; c_2 and c_3 are the last two ciphertext blocks.
TEST(TfheXofTest, InitializationMatchesOpenSslCbcMac) {
  for (Z128 seed :
       {Z128{0}, Z128{1}, (Z128{0x0123456789abcdefULL} << 64) | 0xfedcba9876543210ULL, ~Z128{0}}) {
    std::vector<uint8_t> data(AsBytes("TFHE_GEN").begin(), AsBytes("TFHE_GEN").end());
    const std::vector<uint8_t> seed_le = U128Le(seed);
    data.insert(data.end(), seed_le.begin(), seed_le.end());
    ASSERT_EQ(data.size(), 24u);
    std::vector<uint8_t> blocks(data);
    blocks.resize(32, 0);  // m_2 = data[16..24] || 0^8
    const std::vector<uint8_t> bit_length = U128Le(192);
    blocks.insert(blocks.end(), bit_length.begin(), bit_length.end());
    const uint8_t zero[16] = {};
    const std::vector<uint8_t> cbc = OpenSslAes(EVP_aes_128_cbc(), zero, zero, blocks);
    ASSERT_EQ(cbc.size(), 48u);

    const TfheXof::InitialState state = TfheXof::Initialize(seed);
    EXPECT_EQ(ToHex(state.key), ToHex(ByteSpan(cbc.data() + 32, 16)));
    EXPECT_EQ(state.counter, LoadU128Le(cbc.data() + 16));

    // The stream is AES_key(u128le(counter + i)); recompute 40 blocks with OpenSSL ECB.
    std::vector<uint8_t> counters;
    for (int i = 0; i < 40; ++i) {
      const std::vector<uint8_t> c = U128Le(state.counter + static_cast<Z128>(i));
      counters.insert(counters.end(), c.begin(), c.end());
    }
    const std::vector<uint8_t> expected =
        OpenSslAes(EVP_aes_128_ecb(), state.key.data(), nullptr, counters);
    TfheXof xof(seed);
    std::vector<uint8_t> ours(expected.size());
    xof.Fill(ours);
    EXPECT_EQ(ToHex(ours), ToHex(expected));
  }
}

// InitializeFromData over data of any length (a CompressedXofKeySet stores the XofSeed data):
// OpenSSL AES-128-CBC over the zero-padded blocks and u128le(bit length); key = last block,
// counter = the one before (0 when only the length block is absorbed). Over "TFHE_GEN" ‖ seed
// it is Initialize(seed).
TEST(TfheXofTest, InitializeFromDataMatchesOpenSslCbcMacForAnyLength) {
  for (size_t len : {0u, 1u, 8u, 15u, 16u, 17u, 24u, 32u, 40u}) {
    std::vector<uint8_t> data(len);
    for (size_t i = 0; i < len; ++i) data[i] = static_cast<uint8_t>(7 * i + 3);
    std::vector<uint8_t> blocks(data);
    blocks.resize((len + 15) / 16 * 16, 0);
    const std::vector<uint8_t> bit_length = U128Le(Z128{len} * 8);
    blocks.insert(blocks.end(), bit_length.begin(), bit_length.end());
    const uint8_t zero[16] = {};
    const std::vector<uint8_t> cbc = OpenSslAes(EVP_aes_128_cbc(), zero, zero, blocks);
    ASSERT_EQ(cbc.size(), blocks.size());
    const TfheXof::InitialState state = TfheXof::InitializeFromData(data);
    EXPECT_EQ(ToHex(state.key), ToHex(ByteSpan(cbc.data() + cbc.size() - 16, 16))) << len;
    const Z128 previous = cbc.size() >= 32 ? LoadU128Le(cbc.data() + cbc.size() - 32) : 0;
    EXPECT_EQ(state.counter, previous) << len;
  }
  const Z128 seed = (Z128{0x0123456789abcdefULL} << 64) | 0x55;
  std::vector<uint8_t> data(AsBytes("TFHE_GEN").begin(), AsBytes("TFHE_GEN").end());
  const std::vector<uint8_t> seed_le = U128Le(seed);
  data.insert(data.end(), seed_le.begin(), seed_le.end());
  const TfheXof::InitialState a = TfheXof::Initialize(seed);
  const TfheXof::InitialState b = TfheXof::InitializeFromData(data);
  EXPECT_EQ(ToHex(a.key), ToHex(b.key));
  EXPECT_EQ(a.counter, b.counter);
}

TEST(TfheXofTest, DeterministicAndSeedDependent) {
  TfheXof a(42), b(42), c(43);
  std::vector<uint8_t> ra(1000), rb(1000), rc(1000);
  a.Fill(ra);
  b.Fill(rb);
  c.Fill(rc);
  EXPECT_EQ(ra, rb);
  EXPECT_NE(ra, rc);
}

TEST(TfheXofTest, ChunkingDoesNotChangeTheStream) {
  TfheXof whole(7);
  std::vector<uint8_t> expected(16 * 50 + 5);
  whole.Fill(expected);
  TfheXof pieces(7);
  std::vector<uint8_t> got;
  const size_t sizes[] = {1, 15, 16, 17, 0, 255, 256, 3};
  size_t k = 0;
  while (got.size() < expected.size()) {
    size_t take = std::min(sizes[k++ % 8], expected.size() - got.size());
    std::vector<uint8_t> part(take);
    pieces.Fill(part);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(got, expected);
}

TEST(TfheXofTest, NextU128IsSixteenLittleEndianBytes) {
  TfheXof bytes_xof(9), u128_xof(9);
  for (int i = 0; i < 33; ++i) {
    uint8_t b[16];
    bytes_xof.Fill(b);
    EXPECT_EQ(u128_xof.NextU128(), LoadU128Le(b));
  }
}

// The counter is one 128-bit little-endian integer: the carry crosses the 64-bit halves and
// the value wraps at 2^128.
TEST(TfheXofTest, CounterCarriesAcrossSixtyFourBitsAndWraps) {
  AesKey key;
  for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(3 * i + 1);
  for (Z128 start : {(Z128{1} << 64) - 2, ~Z128{0} - 1}) {
    std::vector<uint8_t> counters;
    for (int i = 0; i < 20; ++i) {
      const std::vector<uint8_t> c = U128Le(start + static_cast<Z128>(i));
      counters.insert(counters.end(), c.begin(), c.end());
    }
    const std::vector<uint8_t> expected =
        OpenSslAes(EVP_aes_128_ecb(), key.data(), nullptr, counters);
    TfheXof xof(key, start);
    std::vector<uint8_t> ours(expected.size());
    xof.Fill(ours);
    EXPECT_EQ(ToHex(ours), ToHex(expected));
  }
}

}  // namespace
}  // namespace kms::crypto
