#include "tfhe/ciphertext.h"

#include "tfhe/codec_internal.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {
namespace {

// The smallest encoding of a shortint::Ciphertext: tags, an empty-ish LWE (length + one word),
// the modulus, four tagged u64 and the atomic pattern.
constexpr size_t kMinShortintCiphertextSize = 4 + 4 + 8 + 8 + 28 + 4 * 12 + 8;

}  // namespace

void Convert(Codec& c, ShortintCiphertext& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(1, "");
  Convert(c, v.ct, "ct");
  c.TaggedU64(v.degree, "degree");
  c.TaggedU64(v.noise_level, "noise_level");
  c.TaggedU64(v.message_modulus, "message_modulus");
  c.TaggedU64(v.carry_modulus, "carry_modulus");
  Convert(c, v.atomic_pattern, "atomic_pattern");
  if (!c.ok()) return;
  internal::RequireModuli(c, v.message_modulus, v.carry_modulus);
  if (!c.ok()) return;
  c.Require(v.degree < v.message_modulus * v.carry_modulus, "degree",
            internal::Cat("degree ", v.degree, " exceeds the plaintext space ",
                          v.message_modulus * v.carry_modulus));
}

void Convert(Codec& c, FheUint& v) {
  c.VersionTag(2, "");
  {
    Codec::Scope wrapper(c, "ciphertext");
    c.VersionTag(0, "");  // the hlapi RadixCiphertext wrapper (Cpu)
    Codec::Scope radix(c, "BaseRadixCiphertext");
    c.VersionTag(0, "");
    c.Vec(v.blocks, kMinShortintCiphertextSize, "blocks",
          [](Codec& c, ShortintCiphertext& b) { Convert(c, b, ""); });
    if (c.ok()) {
      c.Require(!v.blocks.empty(), "blocks", "an FheUint has at least one block");
      for (size_t i = 1; i < v.blocks.size() && c.ok(); ++i) {
        const ShortintCiphertext& a = v.blocks[0];
        const ShortintCiphertext& b = v.blocks[i];
        c.Require(a.ct.data.size() == b.ct.data.size() && a.ct.modulus == b.ct.modulus &&
                      a.message_modulus == b.message_modulus &&
                      a.carry_modulus == b.carry_modulus && a.atomic_pattern == b.atomic_pattern,
                  internal::Cat("blocks[", i, "]"),
                  "every block must have the same shape, moduli and atomic pattern of block 0");
      }
    }
  }
  // id: FheUint64Id and friends are zero-sized and not versioned: no bytes.
  ConvertTaggedBytes(c, v.tag, "tag");
  ConvertTaggedBytes(c, v.re_randomization_metadata, "re_randomization_metadata");
}

void Convert(Codec& c, FheBool& v) {
  c.VersionTag(2, "");
  {
    Codec::Scope wrapper(c, "ciphertext");
    c.VersionTag(0, "");  // InnerBoolean wrapper (Cpu)
    Codec::Scope block(c, "BooleanBlock");
    c.VersionTag(0, "");
    Convert(c, v.block, "");
    if (c.ok()) c.Require(v.block.degree <= 1, "degree", "a boolean block has degree 0 or 1");
  }
  ConvertTaggedBytes(c, v.tag, "tag");
  ConvertTaggedBytes(c, v.re_randomization_metadata, "re_randomization_metadata");
}

absl::StatusOr<FheUint> ParseFheUint(ByteSpan data, uint64_t size_limit) {
  return SafeDeserialize<FheUint>(data, kFheUintName, size_limit);
}
absl::StatusOr<Bytes> SerializeFheUint(const FheUint& ct) {
  return SafeSerialize(ct, kFheUintName);
}
absl::StatusOr<FheBool> ParseFheBool(ByteSpan data, uint64_t size_limit) {
  return SafeDeserialize<FheBool>(data, kFheBoolName, size_limit);
}
absl::StatusOr<Bytes> SerializeFheBool(const FheBool& ct) {
  return SafeSerialize(ct, kFheBoolName);
}

}  // namespace kms::tfhe
