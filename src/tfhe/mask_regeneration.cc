#include "tfhe/mask_regeneration.h"

#include "algebra/base_ring.h"
#include "crypto/secure_zero.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {
namespace {

absl::Status RequireNative(const CiphertextModulus& modulus, const char* what) {
  if (!modulus.is_native()) {
    return absl::UnimplementedError(std::string("mask regeneration of a non-native modulus ") +
                                    what + " is not implemented");
  }
  return absl::OkStatus();
}

// The decompressed entity's size, refused beyond safe_serialize's 2 GiB limit: the stored
// bodies bound the input, but output_lwe_size / glwe_size are free u64 fields of it, so a
// hostile blob could otherwise ask for an arbitrary allocation.
absl::Status CheckOutputSize(uint64_t bodies, uint64_t words_per_body, uint64_t scalar_bytes,
                             const char* what) {
  if (words_per_body != 0 && bodies > kDefaultSizeLimit / scalar_bytes / words_per_body) {
    return absl::InvalidArgumentError(std::string("the decompressed ") + what +
                                      " would exceed the 2 GiB size limit");
  }
  return absl::OkStatus();
}

template <typename Scalar>
Scalar NextMask(crypto::TfheXof& xof) {
  if constexpr (sizeof(Scalar) == 8) {
    return xof.NextU64();
  } else {
    return xof.NextU128();
  }
}

}  // namespace

crypto::TfheXof MaskGeneratorFor(const CompressionSeed& seed) {
  // Ctr: AES key u128le(seed), counter from 0; Xof: the CBC-MAC key and counter offset c2. The
  // masks start at block aes_index (added to the counter), byte byte_index.
  crypto::AesKey key;
  u128 counter = seed.aes_index;
  if (seed.kind == CompressionSeed::Kind::kCtr) {
    algebra::StoreLe<algebra::Z128>(seed.seed, key.data());
  } else {
    crypto::TfheXof::InitialState state = crypto::TfheXof::Initialize(seed.seed);
    key = state.key;
    counter += state.counter;  // wraps mod 2^128 as the generator's counter does
  }
  crypto::TfheXof xof(key, counter);
  crypto::SecureZero(key.data(), key.size());
  xof.Skip(seed.byte_index);
  return xof;
}

absl::StatusOr<CompactPublicKey> DecompressCompactPublicKey(const CompressedCompactPublicKey& key) {
  const SeededGlweCiphertext& seeded = key.key.seeded_glwe_ciphertext;
  if (absl::Status s = RequireNative(seeded.modulus, "compact public key"); !s.ok()) return s;
  const uint64_t n = seeded.data.size();
  CompactPublicKey out;
  GlweCiphertext& glwe = out.key.glwe_ciphertext;
  glwe.polynomial_size = n;
  glwe.modulus = seeded.modulus;
  glwe.data.resize(2 * n);
  crypto::TfheXof xof = MaskGeneratorFor(seeded.compression_seed);
  for (uint64_t i = 0; i < n; ++i) glwe.data[i] = xof.NextU64();
  std::copy(seeded.data.begin(), seeded.data.end(), glwe.data.begin() + n);
  out.parameters = key.parameters;
  out.tag = key.tag;
  return out;
}

absl::StatusOr<LweKeyswitchKey> DecompressKeySwitchingKey(const SeededLweKeyswitchKey& key) {
  if (absl::Status s = RequireNative(key.modulus, "key-switching key"); !s.ok()) return s;
  if (absl::Status s =
          CheckOutputSize(key.data.size(), key.output_lwe_size, 8, "key-switching key");
      !s.ok()) {
    return s;
  }
  LweKeyswitchKey out;
  out.decomp_base_log = key.decomp_base_log;
  out.decomp_level_count = key.decomp_level_count;
  out.output_lwe_size = key.output_lwe_size;
  out.modulus = key.modulus;
  const uint64_t n_out = key.output_lwe_dimension();
  out.data.resize(key.data.size() * key.output_lwe_size);
  crypto::TfheXof xof = MaskGeneratorFor(key.compression_seed);
  // The stored bodies are in the same (coefficient, level L … 1) order as the entries.
  for (uint64_t e = 0; e < key.data.size(); ++e) {
    uint64_t* lwe = out.data.data() + e * key.output_lwe_size;
    for (uint64_t j = 0; j < n_out; ++j) lwe[j] = xof.NextU64();
    lwe[n_out] = key.data[e];
  }
  return out;
}

template <typename Scalar>
absl::StatusOr<LweBootstrapKey<Scalar>> DecompressBootstrapKey(
    const SeededLweBootstrapKey<Scalar>& key) {
  const SeededGgswCiphertextList<Scalar>& list = key.ggsw_list;
  if (absl::Status s = RequireNative(list.modulus, "bootstrapping key"); !s.ok()) return s;
  if (absl::Status s =
          CheckOutputSize(list.data.size(), list.glwe_size, sizeof(Scalar), "bootstrapping key");
      !s.ok()) {
    return s;
  }
  LweBootstrapKey<Scalar> out;
  out.glwe_size = list.glwe_size;
  out.polynomial_size = list.polynomial_size;
  out.decomp_base_log = list.decomp_base_log;
  out.decomp_level_count = list.decomp_level_count;
  out.modulus = list.modulus;
  const uint64_t n = list.polynomial_size;
  const uint64_t k = list.glwe_size - 1;
  // One stored body polynomial per (GGSW, level, row), in the entries' order.
  const uint64_t rows = list.data.size() / n;
  out.data.resize(rows * list.glwe_size * n);
  crypto::TfheXof xof = MaskGeneratorFor(list.compression_seed);
  for (uint64_t r = 0; r < rows; ++r) {
    Scalar* glwe = out.data.data() + r * list.glwe_size * n;
    for (uint64_t j = 0; j < k * n; ++j) glwe[j] = NextMask<Scalar>(xof);
    std::copy(list.data.begin() + r * n, list.data.begin() + (r + 1) * n, glwe + k * n);
  }
  return out;
}

template absl::StatusOr<LweBootstrapKey<uint64_t>> DecompressBootstrapKey(
    const SeededLweBootstrapKey<uint64_t>&);
template absl::StatusOr<LweBootstrapKey<u128>> DecompressBootstrapKey(
    const SeededLweBootstrapKey<u128>&);

}  // namespace kms::tfhe
