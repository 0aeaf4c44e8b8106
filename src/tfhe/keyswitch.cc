#include "tfhe/keyswitch.h"

#include <algorithm>
#include <vector>

#include "crypto/secure_zero.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/codec_internal.h"
#include "tfhe/decomposition.h"

namespace kms::tfhe {

void KeyswitchLwe(const LweKeyswitchKey& ksk, std::span<const uint64_t> in,
                  std::span<uint64_t> out) {
  const uint64_t n_in = ksk.input_lwe_dimension();
  const uint64_t size_out = ksk.output_lwe_size;
  const uint64_t levels = ksk.decomp_level_count;
  std::fill(out.begin(), out.end(), 0);
  out[size_out - 1] = in[n_in];
  const SignedDecomposer<uint64_t> decomposer(ksk.decomp_base_log, levels);
  uint64_t digits[64];
  for (uint64_t i = 0; i < n_in; ++i) {
    decomposer.Decompose(in[i], digits);
    // digits[0] is level L, stored first in the key block of coefficient i.
    const uint64_t* block = ksk.data.data() + i * levels * size_out;
    for (uint64_t l = 0; l < levels; ++l) {
      const uint64_t d = digits[l];
      if (d == 0) continue;
      const uint64_t* entry = block + l * size_out;
      for (uint64_t j = 0; j < size_out; ++j) out[j] -= d * entry[j];
    }
  }
}

absl::Status KeyswitchLweChecked(const LweKeyswitchKey& ksk, std::span<const uint64_t> in,
                                 std::span<uint64_t> out) {
  if (ksk.decomp_level_count == 0 || ksk.output_lwe_size < 2 || ksk.decomp_base_log == 0 ||
      ksk.decomp_base_log * ksk.decomp_level_count >= 64 || ksk.data.empty() ||
      ksk.data.size() % (ksk.decomp_level_count * ksk.output_lwe_size) != 0) {
    return absl::InvalidArgumentError("LweKeyswitchKey: inconsistent shape");
  }
  if (!ksk.modulus.is_native()) {
    return absl::UnimplementedError("key switching with a non-native modulus");
  }
  if (in.size() != ksk.input_lwe_dimension() + 1) {
    return absl::InvalidArgumentError(internal::Cat("key switching input: LWE size ", in.size(),
                                                    ", key expects ",
                                                    ksk.input_lwe_dimension() + 1));
  }
  if (out.size() != ksk.output_lwe_size) {
    return absl::InvalidArgumentError(internal::Cat("key switching output: LWE size ", out.size(),
                                                    ", key gives ", ksk.output_lwe_size));
  }
  KeyswitchLwe(ksk, in, out);
  return absl::OkStatus();
}

absl::StatusOr<LweKeyswitchKey> GenerateLweKeyswitchKey(std::span<const uint64_t> input_key,
                                                        std::span<const uint64_t> output_key,
                                                        uint64_t decomp_base_log,
                                                        uint64_t decomp_level_count,
                                                        uint32_t noise_bound_log2,
                                                        algebra::RandomSource& rng) {
  if (input_key.empty() || output_key.empty()) {
    return absl::InvalidArgumentError("key-switching key: empty input or output key");
  }
  if (decomp_base_log == 0 || decomp_level_count == 0 ||
      decomp_base_log * decomp_level_count > 64) {
    return absl::InvalidArgumentError(
        internal::Cat("key-switching key: decomposition base_log ", decomp_base_log, " x level ",
                      decomp_level_count, " must be at least 1 each and fit 64 bits"));
  }
  if (noise_bound_log2 > 62) {
    return absl::InvalidArgumentError("key-switching key: TUniform bound above 2^62");
  }
  const uint64_t n_out = output_key.size(), size = n_out + 1;
  LweKeyswitchKey ksk;
  ksk.decomp_base_log = decomp_base_log;
  ksk.decomp_level_count = decomp_level_count;
  ksk.output_lwe_size = size;
  ksk.data.assign(input_key.size() * decomp_level_count * size, 0);
  std::vector<uint8_t> mask_bytes(8 * n_out);
  for (uint64_t i = 0; i < input_key.size(); ++i) {
    for (uint64_t level = decomp_level_count; level >= 1; --level) {
      uint64_t* lwe = const_cast<uint64_t*>(ksk.Entry(i, level));
      rng.Fill(mask_bytes);
      uint64_t dot = 0;
      for (uint64_t j = 0; j < n_out; ++j) {
        uint64_t a = 0;
        for (int b = 7; b >= 0; --b) a = a << 8 | mask_bytes[8 * j + b];
        lwe[j] = a;
        dot += a * (output_key[j] & 1);
      }
      lwe[n_out] = dot + SampleTUniform(noise_bound_log2, rng) +
                   ((input_key[i] & 1) << (64 - decomp_base_log * level));
    }
  }
  return ksk;
}

}  // namespace kms::tfhe
