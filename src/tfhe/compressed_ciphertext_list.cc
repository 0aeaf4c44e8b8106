#include "tfhe/compressed_ciphertext_list.h"

#include <bit>

#include "common/status_macros.h"
#include "tfhe/codec_internal.h"
#include "tfhe/entities.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {
namespace {

using internal::kBits;

// Tags and fixed fields of a CompressedModulusSwitchedGlweCiphertext with no packed words.
constexpr size_t kMinCompressedGlweSize = 4 + 4 + 8 + 12 + 8 + 3 * 12 + 28;

// log2 of a power-of-two modulus in `bits`-bit words (native: bits); 0 if not a power of two.
uint64_t ModulusLog(const CiphertextModulus& m, uint64_t bits) {
  if (m.is_native()) return bits;
  if ((m.modulus & (m.modulus - 1)) != 0) return 0;
  uint64_t log = 0;
  for (u128 x = m.modulus; x > 1; x >>= 1) ++log;
  return log;
}

template <typename Scalar>
Scalar LowMask(uint64_t log) {
  return log >= kBits<Scalar> ? ~Scalar{0} : (Scalar{1} << log) - 1;
}

// Σ blocks of the listed values (packed: pairs rounded up per value), or nullopt with a string.
std::optional<u128> ListedCiphertexts(const std::vector<DataKind>& info, bool packed_pairs) {
  u128 total = 0;
  for (const DataKind& k : info) {
    switch (k.kind) {
      case DataKind::Kind::kBoolean:
        total += 1;
        break;
      case DataKind::Kind::kUnsigned:
      case DataKind::Kind::kSigned:
        total += packed_pairs ? (u128{k.block_count} + 1) / 2 : u128{k.block_count};
        break;
      case DataKind::Kind::kString:
        return std::nullopt;
    }
  }
  return total;
}

template <typename Scalar>
void ConvertGlweList(Codec& c, std::vector<CompressedModulusSwitchedGlweCiphertext<Scalar>>& list,
                     std::string_view field) {
  c.Vec(list, kMinCompressedGlweSize, field,
        [](Codec& c, CompressedModulusSwitchedGlweCiphertext<Scalar>& g) { Convert(c, g, ""); });
}

// The checks shared by both lists: every GLWE like GLWE 0, full GLWEs but the last.
template <typename Scalar>
void CheckGlweList(Codec& c,
                   const std::vector<CompressedModulusSwitchedGlweCiphertext<Scalar>>& list,
                   bool has_meta, uint64_t lwe_per_glwe, std::string_view field) {
  if (list.empty()) return;
  c.Require(has_meta, "meta", "a non-empty list must carry its metadata");
  if (!c.ok()) return;
  const auto& first = list[0];
  c.Require(lwe_per_glwe >= 1 && lwe_per_glwe <= first.polynomial_size, "meta.lwe_per_glwe",
            internal::Cat("lwe_per_glwe ", lwe_per_glwe, " must be in [1, polynomial size ",
                          first.polynomial_size, "]"));
  for (size_t i = 0; i < list.size() && c.ok(); ++i) {
    const auto& g = list[i];
    const std::string name = internal::Cat(field, "[", i, "]");
    c.Require(g.glwe_dimension == first.glwe_dimension &&
                  g.polynomial_size == first.polynomial_size &&
                  g.packed_integers.log_modulus == first.packed_integers.log_modulus &&
                  g.uncompressed_ciphertext_modulus == first.uncompressed_ciphertext_modulus,
              name, "every GLWE must have the shape, log modulus and modulus of GLWE 0");
    const bool last = i + 1 == list.size();
    c.Require(last ? (g.bodies_count >= 1 && g.bodies_count <= lwe_per_glwe)
                   : g.bodies_count == lwe_per_glwe,
              name + ".bodies_count",
              internal::Cat("bodies_count ", g.bodies_count, ", expected ", last ? "1 to " : "",
                            lwe_per_glwe));
  }
}

template <typename Scalar>
uint64_t ListLen(const std::vector<CompressedModulusSwitchedGlweCiphertext<Scalar>>& list) {
  uint64_t n = 0;
  for (const auto& g : list) n += g.bodies_count;
  return n;
}

// Unpacks GLWE `g` into k·N + N coefficients at 2^log (the body padded with zeros).
template <typename Scalar>
std::vector<Scalar> UnpackGlwe(const CompressedModulusSwitchedGlweCiphertext<Scalar>& g) {
  std::vector<Scalar> values = g.packed_integers.Unpack();
  values.resize((g.glwe_dimension + 1) * g.polynomial_size, Scalar{0});
  return values;
}

}  // namespace

template <typename Scalar>
PackedIntegers<Scalar> PackedIntegers<Scalar>::Pack(std::span<const Scalar> values,
                                                    uint64_t log_modulus) {
  constexpr uint64_t bits = kBits<Scalar>;
  PackedIntegers out;
  out.log_modulus = log_modulus;
  out.initial_len = values.size();
  out.packed_coeffs.assign((values.size() * log_modulus + bits - 1) / bits, Scalar{0});
  const Scalar mask = LowMask<Scalar>(log_modulus);
  for (size_t i = 0; i < values.size(); ++i) {
    const Scalar v = values[i] & mask;
    const uint64_t start = i * log_modulus;
    const uint64_t word = start / bits;
    const uint64_t offset = start % bits;
    out.packed_coeffs[word] |= v << offset;
    if (offset != 0 && offset + log_modulus > bits) {
      out.packed_coeffs[word + 1] |= v >> (bits - offset);
    }
  }
  return out;
}

template <typename Scalar>
std::vector<Scalar> PackedIntegers<Scalar>::Unpack() const {
  constexpr uint64_t bits = kBits<Scalar>;
  std::vector<Scalar> out(initial_len);
  const Scalar mask = LowMask<Scalar>(log_modulus);
  for (uint64_t i = 0; i < initial_len; ++i) {
    const uint64_t start = i * log_modulus;
    const uint64_t word = start / bits;
    const uint64_t offset = start % bits;
    Scalar v = packed_coeffs[word] >> offset;
    if (offset != 0 && offset + log_modulus > bits) v |= packed_coeffs[word + 1] << (bits - offset);
    out[i] = v & mask;
  }
  return out;
}

template <typename Scalar>
void Convert(Codec& c, CompressedModulusSwitchedGlweCiphertext<Scalar>& v, std::string_view field) {
  constexpr uint64_t bits = kBits<Scalar>;
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  {
    Codec::Scope packed(c, "packed_integers");
    c.VersionTag(0, "");
    internal::Words(c, v.packed_integers.packed_coeffs, "packed_coeffs");
    c.TaggedU64(v.packed_integers.log_modulus, "log_modulus");
    c.U64(v.packed_integers.initial_len, "initial_len");
  }
  c.TaggedU64(v.glwe_dimension, "glwe_dimension");
  c.TaggedU64(v.polynomial_size, "polynomial_size");
  c.TaggedU64(v.bodies_count, "bodies_count");
  Convert(c, v.uncompressed_ciphertext_modulus, bits, "uncompressed_ciphertext_modulus");
  if (!c.ok()) return;
  const PackedIntegers<Scalar>& p = v.packed_integers;
  const uint64_t modulus_log = ModulusLog(v.uncompressed_ciphertext_modulus, bits);
  c.Require(modulus_log != 0, "uncompressed_ciphertext_modulus",
            "the modulus must be a power of two");
  c.Require(p.log_modulus >= 1 && p.log_modulus <= modulus_log, "packed_integers.log_modulus",
            internal::Cat("log_modulus ", p.log_modulus, " must be in [1, ", modulus_log, "]"));
  c.Require(v.glwe_dimension >= 1, "glwe_dimension", "the GLWE dimension must be at least 1");
  c.Require(internal::IsPowerOfTwo(v.polynomial_size), "polynomial_size",
            "the polynomial size must be a power of two");
  if (!c.ok()) return;
  c.Require(v.bodies_count <= v.polynomial_size, "bodies_count",
            internal::Cat("bodies_count ", v.bodies_count, " exceeds the polynomial size ",
                          v.polynomial_size));
  const u128 expected_len = u128{v.glwe_dimension} * v.polynomial_size + v.bodies_count;
  c.Require(expected_len == p.initial_len, "packed_integers.initial_len",
            internal::Cat("initial_len ", p.initial_len,
                          ", expected glwe_dimension x "
                          "polynomial_size + bodies_count"));
  if (!c.ok()) return;
  const u128 words = (u128{p.initial_len} * p.log_modulus + bits - 1) / bits;
  c.Require(words == p.packed_coeffs.size(), "packed_integers.packed_coeffs",
            internal::Cat("length ", p.packed_coeffs.size(), " does not hold ", p.initial_len,
                          " values of ", p.log_modulus, " bits"));
}

uint64_t CompressedCiphertextList::len() const {
  return ListLen(modulus_switched_glwe_ciphertext_list);
}
uint64_t CompressedSquashedNoiseCiphertextList::len() const {
  return ListLen(glwe_ciphertext_list);
}

void Convert(Codec& c, CompressedCiphertextList& v) {
  c.VersionTag(3, "");
  {
    Codec::Scope integer(c, "inner");
    c.VersionTag(0, "");
    {
      Codec::Scope shortint(c, "packed_list");
      c.VersionTag(2, "");
      ConvertGlweList(c, v.modulus_switched_glwe_ciphertext_list,
                      "modulus_switched_glwe_ciphertext_list");
      c.Option(v.meta, "meta", [](Codec& c, CompressedCiphertextListMeta& m) {
        c.VersionTag(0, "");
        Convert(c, m.ciphertext_modulus, 64, "ciphertext_modulus");
        c.TaggedU64(m.message_modulus, "message_modulus");
        c.TaggedU64(m.carry_modulus, "carry_modulus");
        Convert(c, m.atomic_pattern, "atomic_pattern");
        c.TaggedU64(m.lwe_per_glwe, "lwe_per_glwe");
        if (c.ok()) internal::RequireModuli(c, m.message_modulus, m.carry_modulus);
      });
      if (c.ok()) {
        CheckGlweList(c, v.modulus_switched_glwe_ciphertext_list, v.meta.has_value(),
                      v.meta ? v.meta->lwe_per_glwe : 0, "modulus_switched_glwe_ciphertext_list");
      }
      if (c.ok() && v.meta && !v.modulus_switched_glwe_ciphertext_list.empty()) {
        c.Require(v.meta->ciphertext_modulus ==
                      v.modulus_switched_glwe_ciphertext_list[0].uncompressed_ciphertext_modulus,
                  "meta.ciphertext_modulus", "the metadata modulus must be the GLWEs' modulus");
      }
    }
    c.Vec(v.info, 8, "info", [](Codec& c, DataKind& k) { Convert(c, k, ""); });
    if (c.ok()) {
      const std::optional<u128> listed = ListedCiphertexts(v.info, false);
      if (listed) {
        c.Require(*listed == v.len(), "info",
                  internal::Cat("the listed values need ", static_cast<uint64_t>(*listed),
                                " ciphertexts, the list holds ", v.len()));
      }
      c.Require(!v.modulus_switched_glwe_ciphertext_list.empty() || v.info.empty(), "info",
                "an empty list lists no values");
    }
  }
  ConvertTaggedBytes(c, v.tag, "tag");
  // ReRandomizationMetadata[0]{inner: bytes}: a tag and a length, at least 12 bytes.
  c.Vec(v.re_randomization_metadata, 12, "re_randomization_metadata",
        [](Codec& c, std::vector<uint8_t>& m) { ConvertTaggedBytes(c, m, ""); });
  if (c.ok()) {
    c.Require(v.re_randomization_metadata.size() == v.info.size(), "re_randomization_metadata",
              internal::Cat(v.re_randomization_metadata.size(), " entries for ", v.info.size(),
                            " values"));
  }
}

void Convert(Codec& c, CompressedSquashedNoiseCiphertextList& v) {
  c.VersionTag(0, "");
  {
    Codec::Scope integer(c, "inner");
    c.VersionTag(0, "");
    {
      Codec::Scope shortint(c, "list");
      c.VersionTag(0, "");
      ConvertGlweList(c, v.glwe_ciphertext_list, "glwe_ciphertext_list");
      c.Option(v.meta, "meta", [](Codec& c, CompressedSquashedNoiseCiphertextListMeta& m) {
        c.VersionTag(0, "");
        c.TaggedU64(m.message_modulus, "message_modulus");
        c.TaggedU64(m.carry_modulus, "carry_modulus");
        c.TaggedU64(m.lwe_per_glwe, "lwe_per_glwe");
        if (c.ok()) internal::RequireModuli(c, m.message_modulus, m.carry_modulus);
      });
      if (c.ok()) {
        CheckGlweList(c, v.glwe_ciphertext_list, v.meta.has_value(),
                      v.meta ? v.meta->lwe_per_glwe : 0, "glwe_ciphertext_list");
      }
    }
    c.Vec(v.info, 8, "info", [](Codec& c, DataKind& k) { Convert(c, k, ""); });
    if (c.ok()) {
      const std::optional<u128> listed = ListedCiphertexts(v.info, true);
      if (listed) {
        c.Require(*listed == v.len(), "info",
                  internal::Cat("the listed values need ", static_cast<uint64_t>(*listed),
                                " ciphertexts, the list holds ", v.len()));
      }
      c.Require(!v.glwe_ciphertext_list.empty() || v.info.empty(), "info",
                "an empty list lists no values");
    }
  }
  ConvertTaggedBytes(c, v.tag, "tag");
}

absl::StatusOr<CompressedCiphertextList> ParseCompressedCiphertextList(ByteSpan data,
                                                                       uint64_t size_limit) {
  return SafeDeserialize<CompressedCiphertextList>(data, kCompressedCiphertextListName, size_limit);
}
absl::StatusOr<Bytes> SerializeCompressedCiphertextList(const CompressedCiphertextList& list) {
  return SafeSerialize(list, kCompressedCiphertextListName);
}
absl::StatusOr<CompressedSquashedNoiseCiphertextList> ParseCompressedSquashedNoiseCiphertextList(
    ByteSpan data, uint64_t size_limit) {
  return SafeDeserialize<CompressedSquashedNoiseCiphertextList>(
      data, kCompressedSquashedNoiseCiphertextListName, size_limit);
}
absl::StatusOr<Bytes> SerializeCompressedSquashedNoiseCiphertextList(
    const CompressedSquashedNoiseCiphertextList& list) {
  return SafeSerialize(list, kCompressedSquashedNoiseCiphertextListName);
}

template <typename Scalar>
std::vector<Scalar> SampleExtract(std::span<const Scalar> coefficients, uint64_t glwe_dimension,
                                  uint64_t polynomial_size, uint64_t j, uint64_t log_modulus) {
  const uint64_t n = polynomial_size;
  const Scalar mask = LowMask<Scalar>(log_modulus);
  std::vector<Scalar> out(glwe_dimension * n + 1);
  for (uint64_t p = 0; p < glwe_dimension; ++p) {
    const Scalar* a = coefficients.data() + p * n;
    Scalar* m = out.data() + p * n;
    for (uint64_t t = 0; t < n; ++t) {
      m[t] = t <= j ? a[j - t] : static_cast<Scalar>(Scalar{0} - a[n + j - t]) & mask;
    }
  }
  out.back() = coefficients[glwe_dimension * n + j];
  return out;
}

absl::StatusOr<ModulusSwitchedLweCiphertext> UnpackStorageLwe(const CompressedCiphertextList& list,
                                                              uint64_t index) {
  if (index >= list.len() || !list.meta) {
    return absl::InvalidArgumentError(internal::Cat(
        "index ", index, " is out of range for a list of ", list.len(), " ciphertexts"));
  }
  const uint64_t per = list.meta->lwe_per_glwe;
  if (per == 0 || index / per >= list.modulus_switched_glwe_ciphertext_list.size()) {
    return absl::InvalidArgumentError("the list's lwe_per_glwe does not match its GLWEs");
  }
  const auto& g = list.modulus_switched_glwe_ciphertext_list[index / per];
  const std::vector<uint64_t> coefficients = UnpackGlwe(g);
  ModulusSwitchedLweCiphertext out;
  out.log_modulus = g.packed_integers.log_modulus;
  out.data = SampleExtract<uint64_t>(coefficients, g.glwe_dimension, g.polynomial_size, index % per,
                                     out.log_modulus);
  return out;
}

absl::StatusOr<ModulusSwitchedLweCiphertext> BlindRotationInput(
    const ModulusSwitchedLweCiphertext& storage_lwe, uint64_t polynomial_size) {
  if (!internal::IsPowerOfTwo(polynomial_size) || polynomial_size >= (uint64_t{1} << 62)) {
    return absl::InvalidArgumentError("the polynomial size must be a power of two below 2^62");
  }
  if (storage_lwe.log_modulus < 1 || storage_lwe.log_modulus > 64) {
    return absl::InvalidArgumentError("the storage log modulus must be in [1, 64]");
  }
  const uint64_t target = std::countr_zero(polynomial_size) + 1;  // log2(2N)
  ModulusSwitchedLweCiphertext out;
  out.log_modulus = target;
  out.data.resize(storage_lwe.data.size());
  for (size_t i = 0; i < out.data.size(); ++i) {
    const uint64_t x = storage_lwe.log_modulus == 64
                           ? storage_lwe.data[i]
                           : storage_lwe.data[i] << (64 - storage_lwe.log_modulus);
    // tfhe-rs's modulus_switch: round to the top `target` bits.
    out.data[i] = (x + (uint64_t{1} << (63 - target))) >> (64 - target);
  }
  return out;
}

absl::StatusOr<uint64_t> DecryptStorageLwe(const ModulusSwitchedLweCiphertext& lwe,
                                           std::span<const uint64_t> key,
                                           const CompressedCiphertextListMeta& meta) {
  if (lwe.data.size() != key.size() + 1) {
    return absl::InvalidArgumentError(
        internal::Cat("the LWE has dimension ", lwe.data.size() - 1, ", the key ", key.size()));
  }
  if (!std::has_single_bit(meta.message_modulus) || !std::has_single_bit(meta.carry_modulus) ||
      meta.carry_modulus < 2 || lwe.log_modulus < 2 || lwe.log_modulus > 64 ||
      std::countr_zero(meta.carry_modulus) + 1 >= static_cast<int>(lwe.log_modulus)) {
    return absl::InvalidArgumentError("the storage modulus cannot hold the carry space");
  }
  const uint64_t mask = LowMask<uint64_t>(lwe.log_modulus);
  uint64_t dot = 0;
  for (size_t i = 0; i < key.size(); ++i) dot += lwe.data[i] * key[i];
  const uint64_t phase = (lwe.data.back() - dot) & mask;
  const unsigned shift = lwe.log_modulus - 1 - std::countr_zero(meta.carry_modulus);
  const uint64_t rounded = ((phase + (uint64_t{1} << (shift - 1))) & mask) >> shift;
  return rounded % meta.message_modulus;
}

absl::StatusOr<SquashedNoiseCiphertext> GetSquashedNoiseBlock(
    const CompressedSquashedNoiseCiphertextList& list, uint64_t index) {
  if (index >= list.len() || !list.meta) {
    return absl::InvalidArgumentError(internal::Cat(
        "index ", index, " is out of range for a list of ", list.len(), " ciphertexts"));
  }
  const uint64_t per = list.meta->lwe_per_glwe;
  if (per == 0 || index / per >= list.glwe_ciphertext_list.size()) {
    return absl::InvalidArgumentError("the list's lwe_per_glwe does not match its GLWEs");
  }
  const auto& g = list.glwe_ciphertext_list[index / per];
  std::vector<u128> coefficients = UnpackGlwe(g);
  const uint64_t log = g.packed_integers.log_modulus;
  if (log < 128) {
    for (u128& x : coefficients) x <<= (128 - log);  // tfhe-rs's extract(): back to 2^128
  }
  SquashedNoiseCiphertext out;
  out.ct.data =
      SampleExtract<u128>(coefficients, g.glwe_dimension, g.polynomial_size, index % per, 128);
  out.ct.modulus = g.uncompressed_ciphertext_modulus;
  out.message_modulus = list.meta->message_modulus;
  out.carry_modulus = list.meta->carry_modulus;
  out.degree = out.message_modulus * out.carry_modulus - 1;
  return out;
}

namespace {

// The first packed block and the kind of value `index`.
absl::StatusOr<std::pair<uint64_t, DataKind>> SquashedSlot(
    const CompressedSquashedNoiseCiphertextList& list, uint64_t index) {
  if (index >= list.info.size()) {
    return absl::InvalidArgumentError(
        internal::Cat("value ", index, " is out of range for ", list.info.size(), " values"));
  }
  uint64_t start = 0;
  for (uint64_t i = 0; i < index; ++i) {
    const DataKind& k = list.info[i];
    if (k.kind == DataKind::Kind::kString) {
      return absl::UnimplementedError("lists holding strings are not supported");
    }
    start += k.kind == DataKind::Kind::kBoolean ? 1 : (k.block_count + 1) / 2;
  }
  return std::make_pair(start, list.info[index]);
}

}  // namespace

absl::StatusOr<SquashedNoiseFheUint> GetSquashedNoiseFheUint(
    const CompressedSquashedNoiseCiphertextList& list, uint64_t index) {
  KMS_ASSIGN_OR_RETURN(auto slot, SquashedSlot(list, index));
  if (slot.second.kind != DataKind::Kind::kUnsigned) {
    return absl::InvalidArgumentError(
        internal::Cat("value ", index, " is not an unsigned integer"));
  }
  SquashedNoiseFheUint out;
  out.original_block_count = slot.second.block_count;
  const uint64_t packed = (slot.second.block_count + 1) / 2;
  for (uint64_t j = 0; j < packed; ++j) {
    KMS_ASSIGN_OR_RETURN(SquashedNoiseCiphertext block,
                         GetSquashedNoiseBlock(list, slot.first + j));
    out.packed_blocks.push_back(std::move(block));
  }
  out.tag = list.tag;
  return out;
}

absl::StatusOr<SquashedNoiseFheBool> GetSquashedNoiseFheBool(
    const CompressedSquashedNoiseCiphertextList& list, uint64_t index) {
  KMS_ASSIGN_OR_RETURN(auto slot, SquashedSlot(list, index));
  if (slot.second.kind != DataKind::Kind::kBoolean) {
    return absl::InvalidArgumentError(internal::Cat("value ", index, " is not a boolean"));
  }
  SquashedNoiseFheBool out;
  KMS_ASSIGN_OR_RETURN(out.block, GetSquashedNoiseBlock(list, slot.first));
  out.tag = list.tag;
  return out;
}

template struct PackedIntegers<uint64_t>;
template struct PackedIntegers<u128>;
template void Convert(Codec&, CompressedModulusSwitchedGlweCiphertext<uint64_t>&, std::string_view);
template void Convert(Codec&, CompressedModulusSwitchedGlweCiphertext<u128>&, std::string_view);
template std::vector<uint64_t> SampleExtract(std::span<const uint64_t>, uint64_t, uint64_t,
                                             uint64_t, uint64_t);
template std::vector<u128> SampleExtract(std::span<const u128>, uint64_t, uint64_t, uint64_t,
                                         uint64_t);

}  // namespace kms::tfhe
