// File: tfhe/codec_internal.h
//
// Helpers shared by the Convert routines of this layer; not part of its interface.
#ifndef KMS_TFHE_CODEC_INTERNAL_H_
#define KMS_TFHE_CODEC_INTERNAL_H_

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "tfhe/codec.h"

namespace kms::tfhe::internal {

// String concatenation for error messages. (Debian's Abseil has its own string_view, so
// absl::StrCat does not take std::string_view.)
inline void AppendPiece(std::string& out, std::string_view s) { out.append(s); }
inline void AppendPiece(std::string& out, const char* s) { out.append(s); }
inline void AppendPiece(std::string& out, const std::string& s) { out.append(s); }
template <std::integral T>
void AppendPiece(std::string& out, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    out.append(v ? "true" : "false");
  } else {
    out.append(std::to_string(v));
  }
}
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (AppendPiece(out, args), ...);
  return out;
}

inline bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// A unit-only versioned enum: version tag 0, then the variant index (< count).
template <typename E>
void TaggedUnitEnum(Codec& c, E& e, uint32_t count, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  uint32_t v = static_cast<uint32_t>(e);
  c.Variant(v, count, "variant");
  if (c.reading() && c.ok()) e = static_cast<E>(v);
}

// A vector of u64 or u128 words.
template <typename T>
void Words(Codec& c, std::vector<T>& v, std::string_view field) {
  if constexpr (std::is_same_v<T, uint64_t>) {
    c.VecU64(v, field);
  } else {
    static_assert(std::is_same_v<T, u128>);
    c.VecU128(v, field);
  }
}

template <typename T>
constexpr uint64_t kBits = sizeof(T) * 8;

// Message and carry moduli: powers of two of at most 2^16 each, so that Δ = 2^63 / (m·c) >= 2^31
// and decoding never divides by zero.
inline void RequireModuli(Codec& c, uint64_t message_modulus, uint64_t carry_modulus) {
  constexpr uint64_t kMax = uint64_t{1} << 16;
  c.Require(IsPowerOfTwo(message_modulus) && IsPowerOfTwo(carry_modulus) &&
                message_modulus <= kMax && carry_modulus <= kMax,
            "message_modulus", "message and carry moduli must be powers of two of at most 2^16");
}

// A version tag that tells the tfhe-rs release: `tag14` for 1.4.0-alpha.3, `tag17` for 1.7.0.
// Written from `format`; read into it. Any other tag fails naming both. False on failure.
inline bool FormatVersionTag(Codec& c, TfheFormat& format, uint32_t tag14, uint32_t tag17) {
  uint32_t tag = format == TfheFormat::kTfhe17 ? tag17 : tag14;
  c.U32(tag, "version");
  if (!c.ok()) return false;
  if (tag != tag14 && tag != tag17) {
    c.Fail("version", Cat("unknown version tag ", tag, ", expected ", tag14, " (tfhe-rs 1.4) or ",
                          tag17, " (1.7)"));
    return false;
  }
  if (c.reading()) format = tag == tag17 ? TfheFormat::kTfhe17 : TfheFormat::kTfhe14;
  return true;
}

// The AtomicPatternClientKey / AtomicPatternServerKey enum tag: only Standard (0) is supported,
// KeySwitch32 (1) is refused. True when the Standard payload follows.
inline bool StandardAtomicPattern(Codec& c) {
  uint32_t kind = 0;  // 0 Standard, 1 KeySwitch32
  c.Variant(kind, 2, "variant");
  if (!c.ok()) return false;
  if (kind != 0) {
    c.Fail("variant", "the KeySwitch32 atomic pattern is not supported");
    return false;
  }
  return true;
}

// tfhe-rs 1.7's cpk_re_randomization_key, compressed or not: Option<ReRandomizationKey[0]{
// 0 LegacyDedicatedCPK{ksk} | 1 DerivedCPKWithoutKeySwitch{cpk}}>, onto two optional fields of
// which at most one is set. `convert_ksk(c, ksk)` and `convert_cpk(c, cpk)` convert the payloads;
// the embedded compact public key has no tag, so one set there is refused rather than lost.
template <typename Ksk, typename Cpk, typename KskFn, typename CpkFn>
void ReRandomizationKey17(Codec& c, std::optional<Ksk>& ksk, std::optional<Cpk>& cpk,
                          KskFn&& convert_ksk, CpkFn&& convert_cpk) {
  std::optional<std::monostate> present;
  if (ksk || cpk) present.emplace();
  c.Option(present, "cpk_re_randomization_key", [&](Codec& c, std::monostate&) {
    c.VersionTag(0, "");
    uint32_t kind = cpk ? 1 : 0;
    c.Variant(kind, 2, "variant");
    if (!c.ok()) return;
    if (kind == 0) {
      Codec::Scope legacy(c, "LegacyDedicatedCPK");
      if (c.reading()) ksk.emplace();
      Codec::Scope field(c, "ksk");
      convert_ksk(c, *ksk);
    } else {
      Codec::Scope derived(c, "DerivedCPKWithoutKeySwitch");
      if (c.reading()) cpk.emplace();
      c.Require(cpk->tag.empty(), "cpk", "the embedded compact public key carries no tag");
      convert_cpk(c, *cpk);
    }
  });
}

}  // namespace kms::tfhe::internal

#endif  // KMS_TFHE_CODEC_INTERNAL_H_
