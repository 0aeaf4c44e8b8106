// File: tfhe/ciphertext.h
//
// Radix ciphertexts of the high-level API (interop-tfhe.md §3.5): `high_level_api::FheUint`
// (every width: the block count carries it) and `high_level_api::FheBool`, the SmallExpanded
// ciphertext format of the KMS. Each block is a shortint::Ciphertext[1]: one 64-bit LWE
// ciphertext with its metadata (degree, noise level, message and carry moduli, atomic pattern).
//
// Layout, tags in brackets:
//   FheUint[2] → RadixCiphertext wrapper [0] → BaseRadixCiphertext[0]{blocks: Vec<Ciphertext[1]>},
//                id (0 bytes), tag: Tag[0], re_randomization_metadata: ReRandomizationMetadata[0]
//   FheBool[2] → InnerBoolean wrapper [0] → BooleanBlock[0] → Ciphertext[1], tag, metadata
// FheUint and FheBool are byte-identical in tfhe-rs 1.4.0-alpha.3 and 1.7.0.
//
// Checked on parse and serialize: every block has the same LWE size and moduli, degree below
// message·carry (FheBool: at most 1), message and carry moduli powers of two, the LWE modulus
// scalar 64 bits. Not checked (tfhe-rs checks these only against a parameter set): the LWE
// dimension and the noise level.
#ifndef KMS_TFHE_CIPHERTEXT_H_
#define KMS_TFHE_CIPHERTEXT_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "tfhe/codec.h"
#include "tfhe/entities.h"
#include "tfhe/parameters.h"

namespace kms::tfhe {

// shortint::Ciphertext[1].
struct ShortintCiphertext {
  LweCiphertext ct;
  uint64_t degree = 0;
  uint64_t noise_level = 0;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  AtomicPatternKind atomic_pattern;
  bool operator==(const ShortintCiphertext&) const = default;
};
void Convert(Codec& c, ShortintCiphertext& v, std::string_view field);

// high_level_api::FheUint (any width): blocks little-endian, log2(message_modulus) bits each.
struct FheUint {
  std::vector<ShortintCiphertext> blocks;
  std::vector<uint8_t> tag;
  std::vector<uint8_t> re_randomization_metadata;
  bool operator==(const FheUint&) const = default;
};
void Convert(Codec& c, FheUint& v);

// high_level_api::FheBool.
struct FheBool {
  ShortintCiphertext block;
  std::vector<uint8_t> tag;
  std::vector<uint8_t> re_randomization_metadata;
  bool operator==(const FheBool&) const = default;
};
void Convert(Codec& c, FheBool& v);

// safe_deserialize / safe_serialize of the two types (tfhe/safe_serialize.h for the framing).
absl::StatusOr<FheUint> ParseFheUint(ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializeFheUint(const FheUint& ct);
absl::StatusOr<FheBool> ParseFheBool(ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializeFheBool(const FheBool& ct);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_CIPHERTEXT_H_
