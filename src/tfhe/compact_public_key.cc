#include "tfhe/compact_public_key.h"

#include "tfhe/codec_internal.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {
namespace {

// The three wrapper layers above the shortint key, each one version tag and a field `key`.
template <typename F>
void Wrappers(Codec& c, uint32_t shortint_tag, F&& shortint_fields) {
  Codec::Scope hl(c, "key");  // IntegerCompactPublicKey / IntegerCompressedCompactPublicKey
  c.VersionTag(0, "");
  Codec::Scope integer(c, "key");  // integer::(Compressed)CompactPublicKey
  c.VersionTag(0, "");
  Codec::Scope shortint(c, "key");  // shortint::(Compressed)CompactPublicKey
  c.VersionTag(shortint_tag, "");
  shortint_fields();
}

}  // namespace

void Convert(Codec& c, CompactPublicKey& v) {
  c.VersionTag(1, "");
  Wrappers(c, 1, [&] {
    Convert(c, v.key, "key");
    Convert(c, v.parameters, "parameters");
    if (!c.ok()) return;
    c.Require(v.key.lwe_dimension() == v.parameters.encryption_lwe_dimension, "key",
              internal::Cat("dimension ", v.key.lwe_dimension(),
                            " differs from parameters.encryption_lwe_dimension ",
                            v.parameters.encryption_lwe_dimension));
  });
  ConvertTaggedBytes(c, v.tag, "tag");
}

void Convert(Codec& c, CompressedCompactPublicKey& v) {
  c.VersionTag(1, "");
  Wrappers(c, 1, [&] {
    Convert(c, v.key, "key");
    Convert(c, v.parameters, "parameters");
    if (!c.ok()) return;
    c.Require(v.key.lwe_dimension() == v.parameters.encryption_lwe_dimension, "key",
              internal::Cat("dimension ", v.key.lwe_dimension(),
                            " differs from parameters.encryption_lwe_dimension ",
                            v.parameters.encryption_lwe_dimension));
  });
  ConvertTaggedBytes(c, v.tag, "tag");
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
