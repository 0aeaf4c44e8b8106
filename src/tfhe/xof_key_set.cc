#include "tfhe/xof_key_set.h"

#include "tfhe/codec_internal.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {

void Convert(Codec& c, CompressedXofKeySet& v) {
  c.VersionTag(0, "");  // 1.4.0-alpha.3 (1.7: 1)
  {
    Codec::Scope seed(c, "seed");
    c.VersionTag(0, "");  // XofSeed
    c.VecU8(v.seed, "data");
  }
  {
    Codec::Scope pk(c, "compressed_public_key");
    Convert(c, v.compressed_public_key);
  }
  {
    Codec::Scope sk(c, "compressed_server_key");
    Convert(c, v.compressed_server_key);
  }
  if (!c.ok()) return;
  c.Require(v.compressed_public_key.tag == v.compressed_server_key.tag, "compressed_public_key.tag",
            "the public key's tag must be the server key's");
}

absl::StatusOr<CompressedXofKeySet> ParseCompressedXofKeySet(ByteSpan data, uint64_t size_limit) {
  return SafeDeserialize<CompressedXofKeySet>(data, kCompressedXofKeySetName, size_limit);
}
absl::StatusOr<Bytes> SerializeCompressedXofKeySet(const CompressedXofKeySet& keyset) {
  return SafeSerialize(keyset, kCompressedXofKeySetName);
}

}  // namespace kms::tfhe
