// File: tfhe/expansion.h
//
// Expansion of a CompactCiphertextList into radix blocks under the compute key, as tfhe-rs
// 1.4.0-alpha.3's `CompactCiphertextList::expand` with
// `CastAndUnpackIfNecessary(casting key)` for a `RequiresCasting` list (the KMS parameters):
//
//   1. LWE i of the list is (X^(i mod n̂)·M_(i / n̂), body_i) under the compact secret
//      (negacyclic rotation, tfhe-rs `expand_lwe_compact_ciphertext_list`).
//   2. It is key switched with the server key's casting KSK (CPK key → the destination key).
//   3. Per output block, one lookup table (tfhe-rs `cast_and_apply_functions`): with the
//      destination Small and a KeyswitchBootstrap server key, a PBS straight from the casting
//      output to the big key; with the destination Big, a full KS-PBS.
//      * `build()` lists: one block per LWE, x mod message (Boolean: 1 if that is non-zero);
//      * `build_packed()` lists: LWE j holds blocks 2j and 2j+1 of the whole block stream; block
//        2j takes the message table, block 2j+1 (x / carry) mod message (Boolean: both made
//        0/1); an odd tail LWE gives one block.
//      Every output block has the table's degree (message − 1, Boolean 1), noise level NOMINAL
//      (1), the server key's moduli and atomic pattern Standard(its PBS order).
//   4. The blocks are grouped by the list's `info` (DataKind block counts in push order); an
//      FheUint / FheBool takes the list's tag (hlapi `CompactCiphertextListExpander::get`).
//
// Refused: NoCasting lists (InvalidArgument: they need no casting key), String data kinds and a
// non-zero cast_rshift (Unimplemented), a casting key that does not map the list's dimension
// to the destination key (InvalidArgument).
//
// Thread safety: pure functions over immutable keys.
#ifndef KMS_TFHE_EXPANSION_H_
#define KMS_TFHE_EXPANSION_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "tfhe/ciphertext.h"
#include "tfhe/compact_ciphertext_list.h"
#include "tfhe/compressed_server_key.h"
#include "tfhe/mask_regeneration.h"
#include "tfhe/server_key.h"

namespace kms::tfhe {

// shortint KeySwitchingKeyMaterial with its masks regenerated.
struct CastingKey {
  LweKeyswitchKey key_switching_key;
  int8_t cast_rshift = 0;
  EncryptionKeyChoice destination_key = EncryptionKeyChoice::kSmall;
};

// The server key's cpk_key_switching_key_material, decompressed. InvalidArgument when absent.
absl::StatusOr<CastingKey> DecompressCastingKey(const CompressedServerKey& key);

// LWE i of the list (n̂ + 1 words) under the compact secret. InvalidArgument when out of range.
absl::StatusOr<std::vector<uint64_t>> CompactListLwe(const CompactCiphertextList& list, size_t i);

// The list's blocks in stream order (step 1–3), one per block `info` announces.
absl::StatusOr<std::vector<ShortintCiphertext>> ExpandCompactListBlocks(
    const ServerKey& server_key, const CastingKey& casting_key, const CompactCiphertextList& list);

// Steps 2–3 for one LWE of a list: casting key switch, then one block per table.
absl::StatusOr<std::vector<ShortintCiphertext>> CastAndApplyLookupTables(
    const ServerKey& server_key, const CastingKey& casting_key, std::span<const uint64_t> lwe,
    std::span<const LookupTable<uint64_t>* const> luts);

// The expanded list: blocks grouped by `info` (tfhe-rs CompactCiphertextListExpander).
struct CompactCiphertextListExpander {
  std::vector<ShortintCiphertext> blocks;
  std::vector<DataKind> info;
  std::vector<uint8_t> tag;

  size_t size() const { return info.size(); }
  // Value `index` as an FheUint: InvalidArgument unless it is Unsigned, or (num_blocks > 0) it
  // has another block count.
  absl::StatusOr<FheUint> GetFheUint(size_t index, size_t num_blocks = 0) const;
  // Value `index` as an FheBool: InvalidArgument unless it is Boolean.
  absl::StatusOr<FheBool> GetFheBool(size_t index) const;
};

absl::StatusOr<CompactCiphertextListExpander> ExpandCompactList(const ServerKey& server_key,
                                                                const CastingKey& casting_key,
                                                                const CompactCiphertextList& list);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_EXPANSION_H_
