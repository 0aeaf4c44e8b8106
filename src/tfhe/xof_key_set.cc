#include "tfhe/xof_key_set.h"

#include "tfhe/codec_internal.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {

void Convert(Codec& c, CompressedXofKeySet& v) {
  // 0 in tfhe-rs 1.4.0-alpha.3, 1 in 1.7.0.
  if (!internal::FormatVersionTag(c, v.format, 0, 1)) return;
  const bool v17 = v.format == TfheFormat::kTfhe17;
  {
    Codec::Scope seed(c, "seed");
    if (v17) {
      c.VersionTag(0, "");  // XofSeedStart
      uint32_t start = static_cast<uint32_t>(v.start);
      c.Variant(start, 2, "XofSeedStart");
      if (!c.ok()) return;
      v.start = static_cast<CompressedXofKeySet::Start>(start);
    } else {
      if (c.reading()) v.start = CompressedXofKeySet::Start::kSecondByte;
      c.Require(v.start == CompressedXofKeySet::Start::kSecondByte, "XofSeedStart",
                "a FirstByte start needs the tfhe-rs 1.7 form (CompressedXofKeySet V1)");
      if (!c.ok()) return;
    }
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
  if (!v17) {
    c.Require(v.compressed_server_key.format == TfheFormat::kTfhe14, "compressed_server_key",
              "a tfhe-rs 1.7 server key needs the tfhe-rs 1.7 form (CompressedXofKeySet V1)");
    c.Require(v.compressed_public_key.key.seeded_glwe_ciphertext.compression_seed.version ==
                  CompressionSeed::Version::kV0,
              "compressed_public_key",
              "a V1 CompressionSeed needs the tfhe-rs 1.7 form (CompressedXofKeySet V1)");
  }
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
