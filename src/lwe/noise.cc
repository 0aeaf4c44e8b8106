#include "lwe/noise.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <vector>

#include "crypto/secure_zero.h"

namespace kms::lwe {
namespace {

// Samples are drawn in chunks so a dimension-4096 vector costs a few RandomSource calls, not
// thousands; the chunk buffer holds secret randomness and is zeroed after use.
constexpr size_t kChunkSamples = 256;

}  // namespace

void SampleTUniform(int noise_log2, RandomSource& rng, std::span<Z128> out) {
  assert(noise_log2 >= 0 && noise_log2 <= kMaxNoiseLog2);
  const int bits = noise_log2 + 2;
  const size_t bytes_per_sample = static_cast<size_t>(bits + 7) / 8;
  const uint64_t keep = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  const uint64_t low_mask = (uint64_t{1} << (noise_log2 + 1)) - 1;
  const __int128 offset = static_cast<__int128>(1) << noise_log2;

  uint8_t buf[kChunkSamples * 8];
  for (size_t done = 0; done < out.size(); done += kChunkSamples) {
    const size_t count = std::min(kChunkSamples, out.size() - done);
    rng.Fill(std::span<uint8_t>(buf, count * bytes_per_sample));
    for (size_t i = 0; i < count; ++i) {
      const uint8_t* p = buf + i * bytes_per_sample;
      uint64_t u = 0;
      for (size_t k = 0; k < bytes_per_sample; ++k) u |= static_cast<uint64_t>(p[k]) << (8 * k);
      u &= keep;
      const __int128 x = static_cast<__int128>(u & low_mask);
      const __int128 c = static_cast<__int128>(u >> (noise_log2 + 1));
      // In 128 bits x + c cannot overflow (B = 62: x + c <= 2^63); the conversion of the signed
      // result is two's complement mod 2^128.
      out[done + i] = static_cast<Z128>(x + c - offset);
    }
  }
  crypto::SecureZero(buf, sizeof(buf));
}

Z128 SampleTUniform(int noise_log2, RandomSource& rng) {
  Z128 e;
  SampleTUniform(noise_log2, rng, std::span<Z128>(&e, 1));
  return e;
}

void SampleBinary(RandomSource& rng, std::span<Z128> out) {
  uint8_t buf[kChunkSamples / 8];
  for (size_t done = 0; done < out.size(); done += kChunkSamples) {
    const size_t count = std::min(kChunkSamples, out.size() - done);
    rng.Fill(std::span<uint8_t>(buf, (count + 7) / 8));
    for (size_t i = 0; i < count; ++i) out[done + i] = (buf[i / 8] >> (i % 8)) & 1;
  }
  crypto::SecureZero(buf, sizeof(buf));
}

}  // namespace kms::lwe
