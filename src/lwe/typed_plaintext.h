// File: lwe/typed_plaintext.h
//
// A plaintext value of an FheType: at most 256 bits, held as 32 little-endian bytes, always
// within the type's width (the factories reject anything wider). ToBlocks / FromBlocks split it
// into and rebuild it from the bits_per_block-bit blocks that are encrypted one per LWE
// ciphertext; AbiEncodeUint256 gives the 32-byte big-endian word that response signatures cover.
//
// Error messages never contain the value (a plaintext may be confidential to its owner).
//
// Example:
//   KMS_ASSIGN_OR_RETURN(TypedPlaintext p, TypedPlaintext::FromString(FheType::kEuint64, "42"));
//   std::vector<uint64_t> blocks = p.ToBlocks(params);  // {42, 0, 0, 0} with 16-bit blocks
#ifndef KMS_LWE_TYPED_PLAINTEXT_H_
#define KMS_LWE_TYPED_PLAINTEXT_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lwe/fhe_type.h"
#include "lwe/parameters.h"

namespace kms::lwe {

struct TypedPlaintext {
  FheType type = FheType::kEbool;
  std::array<uint8_t, 32> value_le{};  // little-endian, zero above the type's width

  // The value `v` as `type`. InvalidArgument if the type is invalid or v does not fit its width.
  static absl::StatusOr<TypedPlaintext> FromU64(FheType type, uint64_t v);
  static absl::StatusOr<TypedPlaintext> FromU128(FheType type, Z128 v);
  // Decimal digits ("12345") or "0x"-prefixed hex digits (either case, any count >= 1), no sign,
  // no spaces. InvalidArgument for anything else, for more than 256 bits, or beyond the width.
  static absl::StatusOr<TypedPlaintext> FromString(FheType type, std::string_view text);
  // Little-endian bytes (at most 32; missing high bytes are zero), width-checked.
  static absl::StatusOr<TypedPlaintext> FromLeBytes(FheType type, std::span<const uint8_t> bytes);

  // BlockCount(type, params) blocks of bits_per_block bits, least significant first.
  // REQUIRES: ValidateParameters(params).ok() and a valid type.
  std::vector<uint64_t> ToBlocks(const LweParameters& params) const;
  // Inverse of ToBlocks. InvalidArgument if the number of blocks is not BlockCount(type, params),
  // a block has bits at or above bits_per_block, or the value exceeds the type's width (which is
  // how a wrong key or a corrupted ciphertext usually shows).
  static absl::StatusOr<TypedPlaintext> FromBlocks(FheType type, std::span<const uint64_t> blocks,
                                                   const LweParameters& params);

  // Decimal digits of the value.
  std::string ToString() const;
  // The value as a Solidity uint256: 32 bytes, big-endian.
  std::array<uint8_t, 32> AbiEncodeUint256() const;

  friend bool operator==(const TypedPlaintext& a, const TypedPlaintext& b) = default;
};

}  // namespace kms::lwe

#endif  // KMS_LWE_TYPED_PLAINTEXT_H_
