#include "tfhe/mask_regeneration.h"

#include <algorithm>
#include <string>

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

MaskStream::MaskStream(const crypto::AesKey& key, u128 offset, uint64_t first_byte,
                       bool drops_offset)
    : key_(key),
      offset_(offset),
      drops_offset_(drops_offset),
      position_(first_byte),
      xof_(key, offset) {
  xof_.Skip(first_byte);
}

MaskStream::MaskStream(crypto::TfheXof xof, u128 position)
    : key_{}, position_(position), xof_(std::move(xof)) {}

MaskStream MaskStream::FromCompressionSeed(const CompressionSeed& seed) {
  // A Ctr seed has no counter offset and a V1 Xof seed keeps its own (csprng >= 0.8), so forks
  // change nothing: the stream is MaskGeneratorFor's.
  return MaskStream(MaskGeneratorFor(seed), seed.aes_index * 16 + seed.byte_index);
}

MaskStream MaskStream::FromXofSeed(std::span<const uint8_t> data) {
  const crypto::TfheXof::InitialState state = crypto::TfheXof::InitializeFromData(data);
  return MaskStream(state.key, state.counter, 1, true);  // TableIndex::SECOND, 0.7.0 forks
}

MaskStream MaskStream::FromXofSeedStart(std::span<const uint8_t> data, uint64_t first_byte) {
  const crypto::TfheXof::InitialState state = crypto::TfheXof::InitializeFromData(data);
  return MaskStream(state.key, state.counter, first_byte, false);
}

void MaskStream::Fill(std::span<uint8_t> out) {
  xof_.Fill(out);
  position_ += out.size();
}

uint64_t MaskStream::NextU64() {
  position_ += 8;
  return xof_.NextU64();
}

u128 MaskStream::NextU128() {
  position_ += 16;
  return xof_.NextU128();
}

absl::Status MaskStream::Fork(uint64_t children, uint64_t bytes_per_child, const char* what) {
  if (children == 0 || bytes_per_child == 0) {
    return absl::InvalidArgumentError(std::string(what) +
                                      ": tfhe-rs cannot fork its mask generator into zero "
                                      "children or zero bytes per child");
  }
  if (!forked_) {
    forked_ = true;
    if (drops_offset_ && offset_ != 0) {
      // From here on byte t is AES_key(t/16)[t mod 16]: the counter restarts without c_2.
      xof_ = crypto::TfheXof(key_, position_ / 16);
      xof_.Skip(static_cast<uint64_t>(position_ % 16));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CompactPublicKey> DecompressCompactPublicKey(const CompressedCompactPublicKey& key) {
  MaskStream masks =
      MaskStream::FromCompressionSeed(key.key.seeded_glwe_ciphertext.compression_seed);
  return DecompressCompactPublicKey(key, masks);
}

absl::StatusOr<CompactPublicKey> DecompressCompactPublicKey(const CompressedCompactPublicKey& key,
                                                            MaskStream& masks) {
  const SeededGlweCiphertext& seeded = key.key.seeded_glwe_ciphertext;
  if (absl::Status s = RequireNative(seeded.modulus, "compact public key"); !s.ok()) return s;
  const uint64_t n = seeded.data.size();
  CompactPublicKey out;
  GlweCiphertext& glwe = out.key.glwe_ciphertext;
  glwe.polynomial_size = n;
  glwe.modulus = seeded.modulus;
  glwe.data.resize(2 * n);
  for (uint64_t i = 0; i < n; ++i) glwe.data[i] = masks.NextU64();
  std::copy(seeded.data.begin(), seeded.data.end(), glwe.data.begin() + n);
  out.parameters = key.parameters;
  out.tag = key.tag;
  return out;
}

absl::StatusOr<LweKeyswitchKey> DecompressKeySwitchingKey(const SeededLweKeyswitchKey& key) {
  MaskStream masks = MaskStream::FromCompressionSeed(key.compression_seed);
  return DecompressKeySwitchingKey(key, masks);
}

absl::StatusOr<LweKeyswitchKey> DecompressKeySwitchingKey(const SeededLweKeyswitchKey& key,
                                                          MaskStream& masks) {
  if (absl::Status s = RequireNative(key.modulus, "key-switching key"); !s.ok()) return s;
  if (absl::Status s =
          CheckOutputSize(key.data.size(), key.output_lwe_size, 8, "key-switching key");
      !s.ok()) {
    return s;
  }
  if (key.output_lwe_size < 2 || key.decomp_level_count == 0 || key.data.empty() ||
      key.data.size() % key.decomp_level_count != 0) {
    return absl::InvalidArgumentError(
        "the seeded key-switching key's output_lwe_size, level count and bodies do not match");
  }
  const uint64_t n_out = key.output_lwe_dimension();
  // One child per entry (seeded_lwe_ciphertext_list_decompression.rs).
  if (absl::Status s = masks.Fork(key.data.size(), 8 * n_out, "key-switching key"); !s.ok()) {
    return s;
  }
  LweKeyswitchKey out;
  out.decomp_base_log = key.decomp_base_log;
  out.decomp_level_count = key.decomp_level_count;
  out.output_lwe_size = key.output_lwe_size;
  out.modulus = key.modulus;
  out.data.resize(key.data.size() * key.output_lwe_size);
  // The stored bodies are in the same (coefficient, level L … 1) order as the entries.
  for (uint64_t e = 0; e < key.data.size(); ++e) {
    uint64_t* lwe = out.data.data() + e * key.output_lwe_size;
    for (uint64_t j = 0; j < n_out; ++j) lwe[j] = masks.NextU64();
    lwe[n_out] = key.data[e];
  }
  return out;
}

absl::StatusOr<std::vector<uint64_t>> DecompressLweCiphertextList(
    const SeededLweCiphertextList& list, MaskStream& masks) {
  if (absl::Status s = RequireNative(list.modulus, "LWE ciphertext list"); !s.ok()) return s;
  if (list.lwe_size == 0) {
    return absl::InvalidArgumentError("the seeded LWE list's lwe_size must be at least 1");
  }
  if (absl::Status s = CheckOutputSize(list.data.size(), list.lwe_size, 8, "LWE ciphertext list");
      !s.ok()) {
    return s;
  }
  const uint64_t n = list.lwe_size - 1;
  if (absl::Status s = masks.Fork(list.data.size(), 8 * n, "LWE ciphertext list"); !s.ok()) {
    return s;
  }
  std::vector<uint64_t> out(list.data.size() * list.lwe_size);
  for (uint64_t c = 0; c < list.data.size(); ++c) {
    uint64_t* lwe = out.data() + c * list.lwe_size;
    for (uint64_t j = 0; j < n; ++j) lwe[j] = masks.NextU64();
    lwe[n] = list.data[c];
  }
  return out;
}

template <typename Scalar>
absl::StatusOr<LweBootstrapKey<Scalar>> DecompressBootstrapKey(
    const SeededLweBootstrapKey<Scalar>& key) {
  MaskStream masks = MaskStream::FromCompressionSeed(key.ggsw_list.compression_seed);
  return DecompressBootstrapKey(key, masks);
}

template <typename Scalar>
absl::StatusOr<LweBootstrapKey<Scalar>> DecompressBootstrapKey(
    const SeededLweBootstrapKey<Scalar>& key, MaskStream& masks) {
  const SeededGgswCiphertextList<Scalar>& list = key.ggsw_list;
  if (absl::Status s = RequireNative(list.modulus, "bootstrapping key"); !s.ok()) return s;
  const uint64_t n = list.polynomial_size;
  const uint64_t levels = list.decomp_level_count;
  if (absl::Status s =
          CheckOutputSize(list.data.size(), list.glwe_size, sizeof(Scalar), "bootstrapping key");
      !s.ok()) {
    return s;
  }
  if (n == 0 || levels == 0 || list.glwe_size < 2 || list.data.empty() ||
      list.data.size() % n != 0 || (list.data.size() / n) % (levels * list.glwe_size) != 0) {
    return absl::InvalidArgumentError(
        "the seeded bootstrapping key's glwe_size, polynomial size, level count and bodies do "
        "not match");
  }
  const uint64_t k = list.glwe_size - 1;
  // One stored body polynomial per (GGSW, level, row), in the entries' order.
  const uint64_t rows = list.data.size() / n;
  const uint64_t ggsws = rows / (levels * list.glwe_size);
  // Mask bytes of one row, one level matrix and one GGSW (bounded by the size check above).
  const uint64_t row_bytes = k * n * sizeof(Scalar);
  const uint64_t level_bytes = list.glwe_size * row_bytes;
  if (absl::Status s = masks.Fork(ggsws, levels * level_bytes, "bootstrapping key"); !s.ok()) {
    return s;
  }
  LweBootstrapKey<Scalar> out;
  out.glwe_size = list.glwe_size;
  out.polynomial_size = list.polynomial_size;
  out.decomp_base_log = list.decomp_base_log;
  out.decomp_level_count = list.decomp_level_count;
  out.modulus = list.modulus;
  out.data.resize(rows * list.glwe_size * n);
  uint64_t r = 0;
  for (uint64_t g = 0; g < ggsws; ++g) {
    if (absl::Status s = masks.Fork(levels, level_bytes, "bootstrapping key GGSW"); !s.ok()) {
      return s;
    }
    for (uint64_t level = 0; level < levels; ++level) {
      if (absl::Status s = masks.Fork(list.glwe_size, row_bytes, "bootstrapping key level");
          !s.ok()) {
        return s;
      }
      for (uint64_t row = 0; row < list.glwe_size; ++row, ++r) {
        Scalar* glwe = out.data.data() + r * list.glwe_size * n;
        for (uint64_t j = 0; j < k * n; ++j) glwe[j] = masks.Next<Scalar>();
        std::copy(list.data.begin() + r * n, list.data.begin() + (r + 1) * n, glwe + k * n);
      }
    }
  }
  return out;
}

template absl::StatusOr<LweBootstrapKey<uint64_t>> DecompressBootstrapKey(
    const SeededLweBootstrapKey<uint64_t>&);
template absl::StatusOr<LweBootstrapKey<u128>> DecompressBootstrapKey(
    const SeededLweBootstrapKey<u128>&);
template absl::StatusOr<LweBootstrapKey<uint64_t>> DecompressBootstrapKey(
    const SeededLweBootstrapKey<uint64_t>&, MaskStream&);
template absl::StatusOr<LweBootstrapKey<u128>> DecompressBootstrapKey(
    const SeededLweBootstrapKey<u128>&, MaskStream&);

}  // namespace kms::tfhe
