#include "tfhe/entities.h"

#include <algorithm>

#include "tfhe/codec_internal.h"

namespace kms::tfhe {
namespace {

using internal::kBits;
using internal::Words;

// A gadget decomposition must fit the scalar: base_log·level <= bits, both at least 1.
void RequireDecomposition(Codec& c, uint64_t base_log, uint64_t level, uint64_t bits) {
  c.Require(base_log >= 1 && level >= 1 && u128{base_log} * level <= bits, "decomp_base_log",
            internal::Cat("decomposition base_log ", base_log, " x level ", level,
                          " must be at least 1 each and fit ", bits, " bits"));
}

// `size` is a non-zero multiple of `unit` (computed without overflow).
bool IsMultiple(u128 size, u128 unit) { return unit != 0 && size % unit == 0; }

}  // namespace

void Convert(Codec& c, CompressionSeed& v, std::string_view field) {
  Codec::Scope scope(c, field);
  uint32_t version = static_cast<uint32_t>(v.version);
  c.U32(version, "version");
  if (!c.ok()) return;
  if (version > 1) {
    c.Fail("version",
           internal::Cat("unknown version tag ", version, ", expected 0 (tfhe-rs 1.4) or 1 (1.7)"));
    return;
  }
  if (version == 0) {
    if (c.writing() &&
        (v.kind != CompressionSeed::Kind::kCtr || v.aes_index != 0 || v.byte_index != 1)) {
      c.Fail("version", "a V0 CompressionSeed is a Ctr seed starting at byte 1");
      return;
    }
    c.U128(v.seed, "seed");
    if (c.reading()) v = CompressionSeed{.seed = v.seed};
    return;
  }
  v.version = CompressionSeed::Version::kV1;
  Codec::Scope inner(c, "inner");
  c.VersionTag(0, "");  // AesCtrParams
  {
    Codec::Scope seed(c, "seed");
    c.VersionTag(0, "");  // SeedKind
    uint32_t kind = static_cast<uint32_t>(v.kind);
    c.Variant(kind, 2, "variant");
    if (!c.ok()) return;
    v.kind = static_cast<CompressionSeed::Kind>(kind);
    if (v.kind == CompressionSeed::Kind::kCtr) {
      Codec::Scope ctr(c, "Ctr");
      c.VersionTag(0, "");  // Seed
      c.U128(v.seed, "0");
    } else {
      Codec::Scope xof(c, "Xof");
      c.VersionTag(0, "");  // XofSeed
      // The data: the 8-byte domain separator and the u128 seed, little-endian.
      std::vector<uint8_t> data;
      if (c.writing()) {
        data.assign(kXofSeedSeparator.begin(), kXofSeedSeparator.end());
        for (int i = 0; i < 16; ++i) data.push_back(static_cast<uint8_t>(v.seed >> (8 * i)));
      }
      c.VecU8(data, "data");
      if (!c.ok()) return;
      if (data.size() != 24 ||
          !std::equal(kXofSeedSeparator.begin(), kXofSeedSeparator.end(), data.begin())) {
        c.Fail("data", internal::Cat("XofSeed data of ", data.size(),
                                     " bytes is not \"TFHE_GEN\" followed by a 16-byte seed "
                                     "(the only XOF seed form supported)"));
        return;
      }
      v.seed = 0;
      for (int i = 15; i >= 0; --i) v.seed = (v.seed << 8) | data[8 + i];
    }
  }
  Codec::Scope first(c, "first_index");
  c.VersionTag(0, "");  // TableIndex
  {
    Codec::Scope aes(c, "aes_index");
    c.VersionTag(0, "");
    c.U128(v.aes_index, "0");
  }
  c.TaggedU64(v.byte_index, "byte_index");
  if (!c.ok()) return;
  c.Require(v.byte_index < 16, "byte_index",
            internal::Cat("byte index ", v.byte_index, " is not below 16 (an AES block)"));
}

void Convert(Codec& c, LweCiphertext& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.VecU64(v.data, "data");
  Convert(c, v.modulus, 64, "ciphertext_modulus");
  if (!c.ok()) return;
  c.Require(!v.data.empty(), "data", "an LWE ciphertext holds at least its body");
}

void Convert(Codec& c, GlweCiphertext& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.VecU64(v.data, "data");
  c.TaggedU64(v.polynomial_size, "polynomial_size");
  Convert(c, v.modulus, 64, "ciphertext_modulus");
  if (!c.ok()) return;
  c.Require(
      v.polynomial_size >= 1 && IsMultiple(v.data.size(), v.polynomial_size) && !v.data.empty(),
      "data",
      internal::Cat("length ", v.data.size(),
                    " is not a non-zero multiple of the polynomial "
                    "size ",
                    v.polynomial_size));
}

void Convert(Codec& c, SeededGlweCiphertext& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.VecU64(v.data, "data");
  c.TaggedU64(v.glwe_size, "glwe_size");
  Convert(c, v.compression_seed, "compression_seed");
  Convert(c, v.modulus, 64, "ciphertext_modulus");
  if (!c.ok()) return;
  c.Require(!v.data.empty(), "data", "a seeded GLWE holds a non-empty body");
  c.Require(v.glwe_size >= 1, "glwe_size", "the GLWE size must be at least 1");
}

void Convert(Codec& c, LweCompactPublicKey& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  Convert(c, v.glwe_ciphertext, "glwe_ciphertext");
  if (!c.ok()) return;
  const GlweCiphertext& g = v.glwe_ciphertext;
  // The conformance rules of LweCompactPublicKey: GLWE size 2 (mask, body), n̂ a power of two.
  c.Require(g.data.size() == 2 * g.polynomial_size, "glwe_ciphertext.data",
            internal::Cat("length ", g.data.size(), ", expected 2 x ", g.polynomial_size));
  c.Require(internal::IsPowerOfTwo(g.polynomial_size), "glwe_ciphertext.polynomial_size",
            "the compact public key dimension must be a power of two");
}

void Convert(Codec& c, SeededLweCompactPublicKey& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  Convert(c, v.seeded_glwe_ciphertext, "seeded_glwe_ciphertext");
  if (!c.ok()) return;
  const SeededGlweCiphertext& g = v.seeded_glwe_ciphertext;
  c.Require(g.glwe_size == 2, "seeded_glwe_ciphertext.glwe_size",
            internal::Cat("GLWE size ", g.glwe_size, ", expected 2"));
  c.Require(internal::IsPowerOfTwo(g.data.size()), "seeded_glwe_ciphertext.data",
            "the compact public key dimension must be a power of two");
}

void Convert(Codec& c, LweCompactCiphertextList& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.VecU64(v.data, "data");
  c.TaggedU64(v.lwe_size, "lwe_size");
  c.TaggedU64(v.lwe_ciphertext_count, "lwe_ciphertext_count");
  Convert(c, v.modulus, 64, "ciphertext_modulus");
  if (!c.ok()) return;
  if (v.lwe_size < 2) {
    c.Fail("lwe_size", "the LWE size must be at least 2");
    return;
  }
  const u128 n = v.lwe_size - 1;
  const u128 masks = (u128{v.lwe_ciphertext_count} + n - 1) / n;
  const u128 expected = masks * n + v.lwe_ciphertext_count;
  c.Require(expected == v.data.size(), "data",
            internal::Cat("length ", v.data.size(), " does not hold ", v.lwe_ciphertext_count,
                          " compact ciphertexts of dimension ", v.lwe_size - 1));
}

template <typename Scalar>
void Convert(Codec& c, LweSecretKey<Scalar>& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  Words(c, v.data, "data");
}

template <typename Scalar>
void Convert(Codec& c, GlweSecretKey<Scalar>& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  Words(c, v.data, "data");
  c.TaggedU64(v.polynomial_size, "polynomial_size");
  if (!c.ok()) return;
  c.Require(
      v.polynomial_size >= 1 && IsMultiple(v.data.size(), v.polynomial_size) && !v.data.empty(),
      "data",
      internal::Cat("length ", v.data.size(),
                    " is not a non-zero multiple of the polynomial "
                    "size ",
                    v.polynomial_size));
}

void Convert(Codec& c, SeededLweKeyswitchKey& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(2, "");
  c.VecU64(v.data, "data");
  c.TaggedU64(v.decomp_base_log, "decomp_base_log");
  c.TaggedU64(v.decomp_level_count, "decomp_level_count");
  c.TaggedU64(v.output_lwe_size, "output_lwe_size");
  Convert(c, v.compression_seed, "compression_seed");
  Convert(c, v.modulus, 64, "ciphertext_modulus");
  if (!c.ok()) return;
  RequireDecomposition(c, v.decomp_base_log, v.decomp_level_count, 64);
  c.Require(v.output_lwe_size >= 2, "output_lwe_size", "the output LWE size must be at least 2");
  if (!c.ok()) return;
  c.Require(IsMultiple(v.data.size(), v.decomp_level_count) && !v.data.empty(), "data",
            internal::Cat("length ", v.data.size(),
                          " is not a non-zero multiple of the level "
                          "count ",
                          v.decomp_level_count));
}

template <typename Scalar>
void Convert(Codec& c, SeededLweBootstrapKey<Scalar>& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(1, "");
  SeededGgswCiphertextList<Scalar>& g = v.ggsw_list;
  Codec::Scope list(c, "ggsw_list");
  c.VersionTag(1, "");
  Words(c, g.data, "data");
  c.TaggedU64(g.glwe_size, "glwe_size");
  c.TaggedU64(g.polynomial_size, "polynomial_size");
  c.TaggedU64(g.decomp_base_log, "decomp_base_log");
  c.TaggedU64(g.decomp_level_count, "decomp_level_count");
  Convert(c, g.compression_seed, "compression_seed");
  Convert(c, g.modulus, kBits<Scalar>, "ciphertext_modulus");
  if (!c.ok()) return;
  RequireDecomposition(c, g.decomp_base_log, g.decomp_level_count, kBits<Scalar>);
  c.Require(g.glwe_size >= 2, "glwe_size", "the GLWE size must be at least 2");
  c.Require(internal::IsPowerOfTwo(g.polynomial_size), "polynomial_size",
            "the polynomial size must be a power of two");
  if (!c.ok()) return;
  const u128 ggsw = u128{g.decomp_level_count} * g.glwe_size * g.polynomial_size;
  c.Require(IsMultiple(g.data.size(), ggsw) && !g.data.empty(), "data",
            internal::Cat("length ", g.data.size(), " is not a non-zero multiple of the GGSW size ",
                          g.decomp_level_count, " x ", g.glwe_size, " x ", g.polynomial_size));
}

template <typename Scalar>
void Convert(Codec& c, SeededLwePackingKeyswitchKey<Scalar>& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(2, "");
  Words(c, v.data, "data");
  c.TaggedU64(v.decomp_base_log, "decomp_base_log");
  c.TaggedU64(v.decomp_level_count, "decomp_level_count");
  c.TaggedU64(v.output_glwe_size, "output_glwe_size");
  c.TaggedU64(v.output_polynomial_size, "output_polynomial_size");
  Convert(c, v.compression_seed, "compression_seed");
  Convert(c, v.modulus, kBits<Scalar>, "ciphertext_modulus");
  if (!c.ok()) return;
  RequireDecomposition(c, v.decomp_base_log, v.decomp_level_count, kBits<Scalar>);
  c.Require(v.output_glwe_size >= 2, "output_glwe_size", "the GLWE size must be at least 2");
  c.Require(internal::IsPowerOfTwo(v.output_polynomial_size), "output_polynomial_size",
            "the polynomial size must be a power of two");
  if (!c.ok()) return;
  const u128 unit = u128{v.decomp_level_count} * v.output_polynomial_size;
  c.Require(IsMultiple(v.data.size(), unit) && !v.data.empty(), "data",
            internal::Cat("length ", v.data.size(), " is not a non-zero multiple of ",
                          v.decomp_level_count, " x ", v.output_polynomial_size));
}

void Convert(Codec& c, SeededLweCiphertextList& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.VecU64(v.data, "data");
  c.TaggedU64(v.lwe_size, "lwe_size");
  Convert(c, v.compression_seed, "compression_seed");
  Convert(c, v.modulus, 64, "ciphertext_modulus");
  if (!c.ok()) return;
  c.Require(v.lwe_size >= 1, "lwe_size", "the LWE size must be at least 1");
}

void ConvertTaggedBytes(Codec& c, std::vector<uint8_t>& bytes, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.VecU8(bytes, "inner");
}

template void Convert(Codec&, LweSecretKey<uint64_t>&, std::string_view);
template void Convert(Codec&, GlweSecretKey<uint64_t>&, std::string_view);
template void Convert(Codec&, GlweSecretKey<u128>&, std::string_view);
template void Convert(Codec&, SeededLweBootstrapKey<uint64_t>&, std::string_view);
template void Convert(Codec&, SeededLweBootstrapKey<u128>&, std::string_view);
template void Convert(Codec&, SeededLwePackingKeyswitchKey<uint64_t>&, std::string_view);
template void Convert(Codec&, SeededLwePackingKeyswitchKey<u128>&, std::string_view);

}  // namespace kms::tfhe
