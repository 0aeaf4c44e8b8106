#include "crypto/aes128.h"

#include <immintrin.h>
#include <openssl/crypto.h>

namespace kms::crypto {
namespace {

// One step of the AES-128 key expansion (FIPS-197 §5.2) using AESKEYGENASSIST.
template <int kRcon>
__m128i ExpandStep(__m128i key) {
  __m128i assist = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(key, kRcon), 0xff);
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  return _mm_xor_si128(key, assist);
}

}  // namespace

Aes128::~Aes128() { OPENSSL_cleanse(round_keys_.data(), sizeof(round_keys_)); }

void Aes128::SetKey(const AesKey& key) {
  __m128i* k = reinterpret_cast<__m128i*>(round_keys_.data());
  k[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key.data()));
  k[1] = ExpandStep<0x01>(k[0]);
  k[2] = ExpandStep<0x02>(k[1]);
  k[3] = ExpandStep<0x04>(k[2]);
  k[4] = ExpandStep<0x08>(k[3]);
  k[5] = ExpandStep<0x10>(k[4]);
  k[6] = ExpandStep<0x20>(k[5]);
  k[7] = ExpandStep<0x40>(k[6]);
  k[8] = ExpandStep<0x80>(k[7]);
  k[9] = ExpandStep<0x1b>(k[8]);
  k[10] = ExpandStep<0x36>(k[9]);
}

void Aes128::EncryptBlocks(const uint8_t* in, uint8_t* out, size_t n) const {
  const __m128i* k = reinterpret_cast<const __m128i*>(round_keys_.data());
  size_t i = 0;
  // Four blocks at a time keep the AES units busy (the instruction has a latency of ~4 cycles).
  for (; i + 4 <= n; i += 4) {
    __m128i b[4];
    for (int j = 0; j < 4; ++j)
      b[j] =
          _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 16 * (i + j))), k[0]);
    for (int r = 1; r < 10; ++r)
      for (int j = 0; j < 4; ++j) b[j] = _mm_aesenc_si128(b[j], k[r]);
    for (int j = 0; j < 4; ++j)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * (i + j)),
                       _mm_aesenclast_si128(b[j], k[10]));
  }
  for (; i < n; ++i) {
    __m128i b = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 16 * i)), k[0]);
    for (int r = 1; r < 10; ++r) b = _mm_aesenc_si128(b, k[r]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * i), _mm_aesenclast_si128(b, k[10]));
  }
}

}  // namespace kms::crypto
