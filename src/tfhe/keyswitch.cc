#include "tfhe/keyswitch.h"

#include <algorithm>
#include <vector>

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

}  // namespace kms::tfhe
