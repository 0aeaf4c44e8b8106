// File: tfhe/compact_ciphertext_list.h
//
// `high_level_api::CompactCiphertextList` in the tfhe-rs 1.4.0-alpha.3 format (interop-tfhe.md
// §3.4; interop-tfhe-1.4.md §1.3): what a client encrypts under the compact public key, one
// LweCompactCiphertextList holding every block of every pushed value, plus one DataKind per
// value. `build_packed()` lists carry two blocks per LWE (degree message·carry − 1); `build()`
// lists one (degree message − 1).
//
// Layout: CompactCiphertextList[1] → integer::CompactCiphertextList[1]{ct_list:
// shortint::CompactCiphertextList[2]{ct_list: LweCompactCiphertextList[0], degree,
// message_modulus, carry_modulus, expansion_kind[0]}, info: Vec<DataKind[1]>} , tag.
//
// Checked on parse and serialize: the data length is m·n̂ + count (m = ⌈count/n̂⌉ masks), the
// moduli are powers of two, degree < message·carry, Unsigned/Signed block counts are non-zero,
// and the LWE count matches the blocks `info` announces (half of them, rounded up, when packed;
// a Boolean is one block). Lists holding strings are not cross-checked (their block counts
// depend on the character encoding).
//
// Expansion (casting key switch and PBS) is in tfhe/expansion.h.
#ifndef KMS_TFHE_COMPACT_CIPHERTEXT_LIST_H_
#define KMS_TFHE_COMPACT_CIPHERTEXT_LIST_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "tfhe/codec.h"
#include "tfhe/entities.h"
#include "tfhe/parameters.h"

namespace kms::tfhe {

// DataKind[1]: 0 Unsigned(NonZero blocks) | 1 Signed(NonZero blocks) | 2 Boolean |
// 3 String{n_chars: u32, padded: bool}.
struct DataKind {
  enum class Kind : uint32_t { kUnsigned = 0, kSigned = 1, kBoolean = 2, kString = 3 };
  Kind kind = Kind::kUnsigned;
  uint64_t block_count = 0;  // Unsigned, Signed
  uint32_t n_chars = 0;      // String
  bool padded = false;       // String
  bool operator==(const DataKind&) const = default;
};
void Convert(Codec& c, DataKind& v, std::string_view field);

struct CompactCiphertextList {
  LweCompactCiphertextList ct_list;
  uint64_t degree = 0;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  ExpansionKind expansion_kind;
  std::vector<DataKind> info;
  std::vector<uint8_t> tag;

  // tfhe-rs's is_packed(): the degree exceeds one block's message space.
  bool is_packed() const { return degree > message_modulus - 1; }
  bool operator==(const CompactCiphertextList&) const = default;
};
void Convert(Codec& c, CompactCiphertextList& v);

absl::StatusOr<CompactCiphertextList> ParseCompactCiphertextList(
    ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializeCompactCiphertextList(const CompactCiphertextList& list);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_COMPACT_CIPHERTEXT_LIST_H_
