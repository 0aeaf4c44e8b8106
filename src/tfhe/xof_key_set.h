// File: tfhe/xof_key_set.h
//
// `high_level_api::CompressedXofKeySet` in the tfhe-rs 1.4.0-alpha.3 form V0 and the tfhe-rs 1.7.0
// form V1 (interop-tfhe-1.4.md §1.8; interop-tfhe.md §3.8): the XOF seed of a whole keyset and its
// compressed public and server keys, whose masks all come from one stream of that seed. kms v0.12.8
// writes none (its DKG publishes the uncompressed PublishedServerKey); this is the format only, for
// reading and writing.
//
// Layout: CompressedXofKeySet[0]{seed: XofSeed[0]{data: Vec<u8>} ("TFHE_GEN" ‖ seed u128 LE for
// the KMS), compressed_public_key: the CompressedCompactPublicKey payload (no header),
// compressed_server_key: the CompressedServerKey payload}.
// tfhe-rs 1.7.0 (tfhe/src/high_level_api/xof_key_set/mod.rs, backward_compatibility/
// xof_key_set.rs): CompressedXofKeySet[1]{seed: XofSeedStart[0]{0 FirstByte(XofSeed[0]{data}) |
// 1 SecondByte(XofSeed[0]{data})}, compressed_public_key, compressed_server_key}, the keys in
// their 1.7 forms. FirstByte starts the mask stream at byte 0 (what 1.7's `generate` writes),
// SecondByte at byte 1 (1.7's upgrade of a V0 keyset, "backward compatibility with csprng bug").
// The form read is kept in `format` and re-written as read.
//
// Checked: everything the two keys' own Convert routines check, and that the public key's tag
// equals the server key's (tfhe-rs's from_raw_parts copies it). The V0 form refuses, by field,
// what only V1 can hold: a FirstByte start, a 1.7 server key, a public key with a V1
// CompressionSeed. V1 takes either server key form (tfhe-rs 1.7 reads both). Mask regeneration
// from the keyset stream is tfhe/xof_key_set_expansion.h.
#ifndef KMS_TFHE_XOF_KEY_SET_H_
#define KMS_TFHE_XOF_KEY_SET_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/compressed_server_key.h"

namespace kms::tfhe {

inline constexpr std::string_view kCompressedXofKeySetName = "high_level_api::CompressedXofKeySet";

struct CompressedXofKeySet {
  // XofSeedStart (V1); V0 has no choice: its stream starts at byte 1.
  enum class Start : uint32_t { kFirstByte = 0, kSecondByte = 1 };
  std::vector<uint8_t> seed;  // XofSeed.data: domain separator ‖ seed bytes
  Start start = Start::kSecondByte;
  CompressedCompactPublicKey compressed_public_key;
  CompressedServerKey compressed_server_key;
  TfheFormat format = TfheFormat::kTfhe14;  // V0 (1.4.0-alpha.3) or V1 (1.7.0)

  // The stream's first byte: 0 for FirstByte, 1 for SecondByte.
  uint64_t first_byte() const { return start == Start::kFirstByte ? 0 : 1; }
  bool operator==(const CompressedXofKeySet&) const = default;
};
void Convert(Codec& c, CompressedXofKeySet& v);

absl::StatusOr<CompressedXofKeySet> ParseCompressedXofKeySet(
    ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializeCompressedXofKeySet(const CompressedXofKeySet& keyset);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_XOF_KEY_SET_H_
