// File: tfhe/compact_public_key.h
//
// `high_level_api::CompactPublicKey` and `high_level_api::CompressedCompactPublicKey` in the
// tfhe-rs 1.4.0-alpha.3 format (interop-tfhe.md §3.2, §3.3; interop-tfhe-1.4.md §1.2): the
// compact public key (mask a and body b = a ⊛ rev(s) + e over n̂ coefficients), or its seeded
// form holding b and the CompressionSeed of a, with the encryption parameters and the tag.
//
// Layout: CompactPublicKey[1] → IntegerCompactPublicKey[0] → integer::CompactPublicKey[0] →
// shortint::CompactPublicKey[1]{key: LweCompactPublicKey[0], parameters} , tag. The compressed
// form has the same wrapper tags over SeededLweCompactPublicKey[0].
//
// Checked on parse and serialize (tfhe-rs's conformance rules that do not need a parameter
// set): data length 2·n̂ (n̂ for the seeded form), n̂ a power of two, the key's dimension equal to
// `parameters.encryption_lwe_dimension`, both moduli 64-bit. CheckConformance (tfhe/conformance.h)
// adds the comparison with an expected parameter set (safe_deserialize_conformant).
#ifndef KMS_TFHE_COMPACT_PUBLIC_KEY_H_
#define KMS_TFHE_COMPACT_PUBLIC_KEY_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "tfhe/codec.h"
#include "tfhe/entities.h"
#include "tfhe/parameters.h"

namespace kms::tfhe {

struct CompactPublicKey {
  LweCompactPublicKey key;
  CompactPublicKeyEncryptionParameters parameters;
  std::vector<uint8_t> tag;
  bool operator==(const CompactPublicKey&) const = default;
};
void Convert(Codec& c, CompactPublicKey& v);
// integer::CompactPublicKey[0] and below, without the high-level wrapper and tag: the form a
// tfhe-rs 1.7 ServerKey embeds as its derived re-randomization key (`tag` is not written).
void ConvertIntegerCompactPublicKey(Codec& c, CompactPublicKey& v, std::string_view field);

struct CompressedCompactPublicKey {
  SeededLweCompactPublicKey key;
  CompactPublicKeyEncryptionParameters parameters;
  std::vector<uint8_t> tag;
  bool operator==(const CompressedCompactPublicKey&) const = default;
};
void Convert(Codec& c, CompressedCompactPublicKey& v);
// integer::CompressedCompactPublicKey[0] and below, without the high-level wrapper and tag: the
// form a tfhe-rs 1.7 CompressedServerKey embeds as its derived re-randomization key.
void ConvertIntegerCompressedCompactPublicKey(Codec& c, CompressedCompactPublicKey& v,
                                              std::string_view field);

absl::StatusOr<CompactPublicKey> ParseCompactPublicKey(ByteSpan data,
                                                       uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializeCompactPublicKey(const CompactPublicKey& key);
absl::StatusOr<CompressedCompactPublicKey> ParseCompressedCompactPublicKey(
    ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializeCompressedCompactPublicKey(const CompressedCompactPublicKey& key);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_COMPACT_PUBLIC_KEY_H_
