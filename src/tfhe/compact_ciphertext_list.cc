#include "tfhe/compact_ciphertext_list.h"

#include "tfhe/codec_internal.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {

void Convert(Codec& c, DataKind& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(1, "");
  uint32_t kind = static_cast<uint32_t>(v.kind);
  c.Variant(kind, 4, "variant");
  if (!c.ok()) return;
  if (c.reading()) v.kind = static_cast<DataKind::Kind>(kind);
  switch (v.kind) {
    case DataKind::Kind::kUnsigned:
    case DataKind::Kind::kSigned:
      c.U64(v.block_count, "block_count");
      if (c.ok()) c.Require(v.block_count != 0, "block_count", "the block count must be non-zero");
      break;
    case DataKind::Kind::kBoolean:
      break;
    case DataKind::Kind::kString:
      c.U32(v.n_chars, "n_chars");
      c.Bool(v.padded, "padded");
      break;
  }
}

void Convert(Codec& c, CompactCiphertextList& v) {
  c.VersionTag(1, "");
  {
    Codec::Scope integer(c, "inner");
    c.VersionTag(1, "");
    {
      Codec::Scope shortint(c, "ct_list");
      c.VersionTag(2, "");
      Convert(c, v.ct_list, "ct_list");
      c.TaggedU64(v.degree, "degree");
      c.TaggedU64(v.message_modulus, "message_modulus");
      c.TaggedU64(v.carry_modulus, "carry_modulus");
      Convert(c, v.expansion_kind, "expansion_kind");
      if (c.ok()) internal::RequireModuli(c, v.message_modulus, v.carry_modulus);
      if (c.ok()) {
        c.Require(v.degree < v.message_modulus * v.carry_modulus, "degree",
                  internal::Cat("degree ", v.degree, " exceeds the plaintext space ",
                                v.message_modulus * v.carry_modulus));
      }
    }
    // DataKind: a version tag and a variant, at least 8 bytes.
    c.Vec(v.info, 8, "info", [](Codec& c, DataKind& k) { Convert(c, k, ""); });
    if (c.ok()) {
      u128 blocks = 0;
      bool has_string = false;
      for (const DataKind& k : v.info) {
        if (k.kind == DataKind::Kind::kBoolean) blocks += 1;
        if (k.kind == DataKind::Kind::kUnsigned || k.kind == DataKind::Kind::kSigned) {
          blocks += k.block_count;
        }
        has_string |= k.kind == DataKind::Kind::kString;
      }
      const u128 lwes = v.is_packed() ? (blocks + 1) / 2 : blocks;
      if (!has_string) {
        c.Require(lwes == v.ct_list.lwe_ciphertext_count, "info",
                  internal::Cat("the listed values need ", static_cast<uint64_t>(lwes),
                                " ciphertexts, the list holds ", v.ct_list.lwe_ciphertext_count));
      }
    }
  }
  ConvertTaggedBytes(c, v.tag, "tag");
}

absl::StatusOr<CompactCiphertextList> ParseCompactCiphertextList(ByteSpan data,
                                                                 uint64_t size_limit) {
  return SafeDeserialize<CompactCiphertextList>(data, kCompactCiphertextListName, size_limit);
}
absl::StatusOr<Bytes> SerializeCompactCiphertextList(const CompactCiphertextList& list) {
  return SafeSerialize(list, kCompactCiphertextListName);
}

}  // namespace kms::tfhe
