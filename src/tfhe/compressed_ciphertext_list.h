// File: tfhe/compressed_ciphertext_list.h
//
// The compressed ciphertext lists of the high-level API (interop-tfhe.md §3.10;
// interop-tfhe-1.4.md §1.7): `high_level_api::CompressedCiphertextList` (SmallCompressed, 64-bit
// blocks packed into GLWEs and modulus-switched to storage_log_modulus bits) and
// `high_level_api::CompressedSquashedNoiseCiphertextList` (BigCompressed, 128-bit squashed blocks
// packed into GLWEs, kept at log_modulus 128). The same in tfhe-rs 1.4.0-alpha.3 and 1.7.0.
//
// Layout, tags in brackets:
//   CompressedCiphertextList[3] → inner: integer::CompressedCiphertextList[0]{packed_list:
//     shortint::CompressedCiphertextList[2]{modulus_switched_glwe_ciphertext_list:
//     Vec<CompressedModulusSwitchedGlweCiphertext<u64>>, meta:
//     Option<CompressedCiphertextListMeta[0] {ciphertext_modulus, message_modulus, carry_modulus,
//     atomic_pattern, lwe_per_glwe}>}, info: Vec<DataKind[1]>}, tag: Tag[0],
//     re_randomization_metadata: Vec<ReRandomizationMetadata[0]>
//   CompressedSquashedNoiseCiphertextList[0] → inner: integer[0]{list: shortint[0]{
//     glwe_ciphertext_list: Vec<CompressedModulusSwitchedGlweCiphertext<u128>>, meta:
//     Option<Meta[0]{message_modulus, carry_modulus, lwe_per_glwe}>}, info}, tag
//   CompressedModulusSwitchedGlweCiphertext<T>[0] → packed_integers: PackedIntegers<T>[0]{
//     packed_coeffs: Vec<T>, log_modulus: CiphertextModulusLog[0], initial_len: u64},
//     glwe_dimension[0], polynomial_size[0], bodies_count: LweCiphertextCount[0],
//     uncompressed_ciphertext_modulus
//
// PackedIntegers hold initial_len = k·N + bodies_count values of log_modulus bits, LSB-first
// across the words (value i occupies bits [i·log, (i+1)·log) of the little-endian word stream):
// the k mask polynomials, then the first bodies_count body coefficients (the rest of the body is
// zero). Ciphertext i of a list is coefficient j = i mod lwe_per_glwe of GLWE i / lwe_per_glwe,
// sample-extracted: per mask polynomial a, mask_j[t] = a[j − t] for t <= j and −a[N + j − t]
// above, body b[j].
//
// Checked on parse and serialize: every PackedIntegers has ⌈initial_len·log/bits⌉ words and
// 1 <= log <= the uncompressed modulus' bits; initial_len = k·N + bodies_count with bodies_count
// <= N, N a power of two; a non-empty list has its meta, and every GLWE has the shape, log
// modulus and modulus of GLWE 0, lwe_per_glwe bodies (the last one between 1 and lwe_per_glwe),
// lwe_per_glwe <= N; the LWE count matches `info` (one per block for SmallCompressed, one per
// packed pair, rounded up, for BigCompressed; lists with strings are not cross-checked); an empty
// list has no info; SmallCompressed has one re-randomization metadata entry per info entry.
#ifndef KMS_TFHE_COMPRESSED_CIPHERTEXT_LIST_H_
#define KMS_TFHE_COMPRESSED_CIPHERTEXT_LIST_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "tfhe/ciphertext.h"
#include "tfhe/codec.h"
#include "tfhe/compact_ciphertext_list.h"
#include "tfhe/parameters.h"
#include "tfhe/squashed_noise.h"

namespace kms::tfhe {

inline constexpr std::string_view kCompressedCiphertextListName =
    "high_level_api::CompressedCiphertextList";
inline constexpr std::string_view kCompressedSquashedNoiseCiphertextListName =
    "high_level_api::CompressedSquashedNoiseCiphertextList";

// PackedIntegers<T>[0].
template <typename Scalar>
struct PackedIntegers {
  std::vector<Scalar> packed_coeffs;
  uint64_t log_modulus = 0;
  uint64_t initial_len = 0;

  // tfhe-rs's pack: `values` (each < 2^log_modulus) LSB-first into ⌈len·log/bits⌉ words.
  static PackedIntegers Pack(std::span<const Scalar> values, uint64_t log_modulus);
  // The initial_len values, each in [0, 2^log_modulus). REQUIRES: the Convert checks hold.
  std::vector<Scalar> Unpack() const;
  bool operator==(const PackedIntegers&) const = default;
};

// CompressedModulusSwitchedGlweCiphertext<T>[0].
template <typename Scalar>
struct CompressedModulusSwitchedGlweCiphertext {
  PackedIntegers<Scalar> packed_integers;
  uint64_t glwe_dimension = 0;
  uint64_t polynomial_size = 0;
  uint64_t bodies_count = 0;
  CiphertextModulus uncompressed_ciphertext_modulus{0, sizeof(Scalar) * 8};
  bool operator==(const CompressedModulusSwitchedGlweCiphertext&) const = default;
};
template <typename Scalar>
void Convert(Codec& c, CompressedModulusSwitchedGlweCiphertext<Scalar>& v, std::string_view field);

// CompressedCiphertextListMeta[0].
struct CompressedCiphertextListMeta {
  CiphertextModulus ciphertext_modulus;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  AtomicPatternKind atomic_pattern;
  uint64_t lwe_per_glwe = 0;
  bool operator==(const CompressedCiphertextListMeta&) const = default;
};

struct CompressedCiphertextList {
  std::vector<CompressedModulusSwitchedGlweCiphertext<uint64_t>>
      modulus_switched_glwe_ciphertext_list;
  std::optional<CompressedCiphertextListMeta> meta;
  std::vector<DataKind> info;
  std::vector<uint8_t> tag;
  std::vector<std::vector<uint8_t>> re_randomization_metadata;  // one per info entry

  // The number of LWE ciphertexts (blocks) in the list.
  uint64_t len() const;
  bool operator==(const CompressedCiphertextList&) const = default;
};
void Convert(Codec& c, CompressedCiphertextList& v);

// CompressedSquashedNoiseCiphertextListMeta[0].
struct CompressedSquashedNoiseCiphertextListMeta {
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  uint64_t lwe_per_glwe = 0;
  bool operator==(const CompressedSquashedNoiseCiphertextListMeta&) const = default;
};

struct CompressedSquashedNoiseCiphertextList {
  std::vector<CompressedModulusSwitchedGlweCiphertext<u128>> glwe_ciphertext_list;
  std::optional<CompressedSquashedNoiseCiphertextListMeta> meta;
  std::vector<DataKind> info;
  std::vector<uint8_t> tag;

  uint64_t len() const;
  bool operator==(const CompressedSquashedNoiseCiphertextList&) const = default;
};
void Convert(Codec& c, CompressedSquashedNoiseCiphertextList& v);

absl::StatusOr<CompressedCiphertextList> ParseCompressedCiphertextList(
    ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializeCompressedCiphertextList(const CompressedCiphertextList& list);
absl::StatusOr<CompressedSquashedNoiseCiphertextList> ParseCompressedSquashedNoiseCiphertextList(
    ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializeCompressedSquashedNoiseCiphertextList(
    const CompressedSquashedNoiseCiphertextList& list);

// ---- unpacking ----

// A sample-extracted LWE at a reduced modulus 2^log_modulus: mask (k·N words) then body, every
// word in [0, 2^log_modulus).
struct ModulusSwitchedLweCiphertext {
  std::vector<uint64_t> data;
  uint64_t log_modulus = 0;

  uint64_t lwe_dimension() const { return data.size() - 1; }
  bool operator==(const ModulusSwitchedLweCiphertext&) const = default;
};

// Block `index` of a SmallCompressed list at its storage modulus (storage_log_modulus bits):
// the sample extraction of tfhe-rs's DecompressionKey::unpack, before any bootstrap. Its key is
// the compression GLWE key seen as LWE. InvalidArgument when index >= len().
absl::StatusOr<ModulusSwitchedLweCiphertext> UnpackStorageLwe(const CompressedCiphertextList& list,
                                                              uint64_t index);
// The decompression blind rotation's input: the storage LWE scaled to 64 bits and modulus-switched
// (rounded) to 2N = 2·`polynomial_size`, N the decompression key's output polynomial size
// (tfhe-rs's lwe_ciphertext_modulus_switch to to_blind_rotation_input_modulus_log).
// InvalidArgument unless polynomial_size is a power of two below 2^62.
absl::StatusOr<ModulusSwitchedLweCiphertext> BlindRotationInput(
    const ModulusSwitchedLweCiphertext& storage_lwe, uint64_t polynomial_size);
// The message of a storage LWE decrypted directly (for tests with small noise): phase mod
// 2^log, encoded as m·message·Δ with Δ = 2^(log−1) / (message·carry) (the compression multiplies
// every block by the message modulus), so m = round(phase / (2^(log−1) / carry)) mod message.
absl::StatusOr<uint64_t> DecryptStorageLwe(const ModulusSwitchedLweCiphertext& lwe,
                                           std::span<const uint64_t> key,
                                           const CompressedCiphertextListMeta& meta);

// tfhe-rs's CompressedSquashedNoiseCiphertextList::unpack: block `index` sample-extracted at
// 2^128, degree message·carry − 1. Its key is the noise-squashing compression GLWE key as LWE.
absl::StatusOr<SquashedNoiseCiphertext> GetSquashedNoiseBlock(
    const CompressedSquashedNoiseCiphertextList& list, uint64_t index);
// Value `index` of the list (`info[index]`): Unsigned as a SquashedNoiseFheUint (state Normal,
// the list's tag, as tfhe-rs 1.4's get), Boolean as a SquashedNoiseFheBool. InvalidArgument for
// another kind or an index out of range.
absl::StatusOr<SquashedNoiseFheUint> GetSquashedNoiseFheUint(
    const CompressedSquashedNoiseCiphertextList& list, uint64_t index);
absl::StatusOr<SquashedNoiseFheBool> GetSquashedNoiseFheBool(
    const CompressedSquashedNoiseCiphertextList& list, uint64_t index);

// The sample extraction of coefficient j of a GLWE given as k mask polynomials then one body
// polynomial of N words each (`coefficients`, k·N + N words), over Z_2^log (log <= bits of
// Scalar; log == bits for the native modulus). Output: k·N mask words then the body.
template <typename Scalar>
std::vector<Scalar> SampleExtract(std::span<const Scalar> coefficients, uint64_t glwe_dimension,
                                  uint64_t polynomial_size, uint64_t j, uint64_t log_modulus);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_COMPRESSED_CIPHERTEXT_LIST_H_
