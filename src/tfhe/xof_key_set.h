// File: tfhe/xof_key_set.h
//
// `high_level_api::CompressedXofKeySet` in the tfhe-rs 1.4.0-alpha.3 form (interop-tfhe-1.4.md
// §1.8; interop-tfhe.md §3.8): the XOF seed of a whole keyset and its compressed public and server
// keys, whose masks all come from one stream of that seed. kms v0.12.8 writes none (its DKG
// publishes the uncompressed PublishedServerKey); this is the format only, for reading and writing.
//
// Layout: CompressedXofKeySet[0]{seed: XofSeed[0]{data: Vec<u8>} ("TFHE_GEN" ‖ seed u128 LE for
// the KMS), compressed_public_key: the CompressedCompactPublicKey payload (no header),
// compressed_server_key: the CompressedServerKey payload}. tfhe-rs 1.7 writes V1 with an
// XofSeedStart and a 1.7 server key; that form is refused by its tag.
//
// Checked: everything the two keys' own Convert routines check, and that the public key's tag
// equals the server key's (tfhe-rs's from_raw_parts copies it). Mask regeneration from the
// keyset stream (tfhe-csprng 0.7.0's offset rules) is tfhe/xof_key_set_expansion.h.
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
  std::vector<uint8_t> seed;  // XofSeed.data: domain separator ‖ seed bytes
  CompressedCompactPublicKey compressed_public_key;
  CompressedServerKey compressed_server_key;
  bool operator==(const CompressedXofKeySet&) const = default;
};
void Convert(Codec& c, CompressedXofKeySet& v);

absl::StatusOr<CompressedXofKeySet> ParseCompressedXofKeySet(
    ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializeCompressedXofKeySet(const CompressedXofKeySet& keyset);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_XOF_KEY_SET_H_
