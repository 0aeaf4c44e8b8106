#include "tfhe/compact_public_key.h"

#include "tfhe/codec_internal.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {
namespace {

// The shortint key's fields, then the check that the key has the parameters' dimension.
template <typename Key>
void ConvertShortintFields(Codec& c, Key& v) {
  c.VersionTag(1, "");  // shortint::(Compressed)CompactPublicKey
  Convert(c, v.key, "key");
  Convert(c, v.parameters, "parameters");
  if (!c.ok()) return;
  c.Require(v.key.lwe_dimension() == v.parameters.encryption_lwe_dimension, "key",
            internal::Cat("dimension ", v.key.lwe_dimension(),
                          " differs from parameters.encryption_lwe_dimension ",
                          v.parameters.encryption_lwe_dimension));
}

// integer::(Compressed)CompactPublicKey[0] → key: the shortint key.
template <typename Key>
void ConvertIntegerLevel(Codec& c, Key& v) {
  c.VersionTag(0, "");
  Codec::Scope shortint(c, "key");
  ConvertShortintFields(c, v);
}

// The high-level key: version tag 1, IntegerCompactPublicKey / IntegerCompressedCompactPublicKey
// [0] → key: the integer key, then the tag.
template <typename Key>
void ConvertHighLevel(Codec& c, Key& v) {
  c.VersionTag(1, "");
  {
    Codec::Scope hl(c, "key");
    c.VersionTag(0, "");
    Codec::Scope integer(c, "key");
    ConvertIntegerLevel(c, v);
  }
  ConvertTaggedBytes(c, v.tag, "tag");
}

}  // namespace

void Convert(Codec& c, CompactPublicKey& v) { ConvertHighLevel(c, v); }
void Convert(Codec& c, CompressedCompactPublicKey& v) { ConvertHighLevel(c, v); }
void ConvertIntegerCompactPublicKey(Codec& c, CompactPublicKey& v, std::string_view field) {
  Codec::Scope scope(c, field);
  ConvertIntegerLevel(c, v);
}
void ConvertIntegerCompressedCompactPublicKey(Codec& c, CompressedCompactPublicKey& v,
                                              std::string_view field) {
  Codec::Scope scope(c, field);
  ConvertIntegerLevel(c, v);
}

absl::StatusOr<CompactPublicKey> ParseCompactPublicKey(ByteSpan data, uint64_t size_limit) {
  return SafeDeserialize<CompactPublicKey>(data, kCompactPublicKeyName, size_limit);
}
absl::StatusOr<Bytes> SerializeCompactPublicKey(const CompactPublicKey& key) {
  return SafeSerialize(key, kCompactPublicKeyName);
}
absl::StatusOr<CompressedCompactPublicKey> ParseCompressedCompactPublicKey(ByteSpan data,
                                                                           uint64_t size_limit) {
  return SafeDeserialize<CompressedCompactPublicKey>(data, kCompressedCompactPublicKeyName,
                                                     size_limit);
}
absl::StatusOr<Bytes> SerializeCompressedCompactPublicKey(const CompressedCompactPublicKey& key) {
  return SafeSerialize(key, kCompressedCompactPublicKeyName);
}

}  // namespace kms::tfhe
