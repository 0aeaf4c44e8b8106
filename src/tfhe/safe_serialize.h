// File: tfhe/safe_serialize.h
//
// tfhe-rs's `safe_serialize` framing (interop-tfhe.md §1.2): a SerializationHeader
// {header_version "0.5", versioning mode Versioned{"0.1"}, type name}, then the versioned
// object, all in one bincode stream under a size limit that counts header and payload.
//
// The reader requires the exact header version, the Versioned mode with version "0.1" and the
// exact type name (tfhe-rs's messages: "expected serialization header version 0.5, got version
// 0.4", "expected type high_level_api::CompactPublicKey, got type ..."). Unversioned blobs,
// which tfhe-rs can also write, are refused.
//
// SafeDeserialize / SafeSerialize drive a type's Convert routine (tfhe/codec.h) between a header
// and the end of the input; every Parse* / Serialize* of this layer is one of them.
#ifndef KMS_TFHE_SAFE_SERIALIZE_H_
#define KMS_TFHE_SAFE_SERIALIZE_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "common/status_macros.h"
#include "tfhe/codec.h"

namespace kms::tfhe {

inline constexpr std::string_view kSerializationHeaderVersion = "0.5";
inline constexpr std::string_view kVersioningVersion = "0.1";

// `Named::NAME` of the top-level types (interop-tfhe.md §1.2).
inline constexpr std::string_view kClientKeyName = "high_level_api::ClientKey";
inline constexpr std::string_view kCompactPublicKeyName = "high_level_api::CompactPublicKey";
inline constexpr std::string_view kCompressedCompactPublicKeyName =
    "high_level_api::CompressedCompactPublicKey";
inline constexpr std::string_view kCompactCiphertextListName =
    "high_level_api::CompactCiphertextList";
inline constexpr std::string_view kFheUintName = "high_level_api::FheUint";
inline constexpr std::string_view kFheBoolName = "high_level_api::FheBool";
inline constexpr std::string_view kCompressedServerKeyName = "high_level_api::CompressedServerKey";

// Reads (and checks) or writes the header naming `type_name`, under the scope "header".
void ConvertHeader(Codec& c, std::string_view type_name);

// The error-path root of a type: its name without the "high_level_api::" module.
std::string_view RootName(std::string_view type_name);

// Parses header + object, consuming every byte of `data` and at most `size_limit` bytes.
template <typename T>
absl::StatusOr<T> SafeDeserialize(ByteSpan data, std::string_view type_name,
                                  uint64_t size_limit = kDefaultSizeLimit) {
  Codec c = Codec::Reader(data, RootName(type_name), size_limit);
  ConvertHeader(c, type_name);
  T value{};
  Convert(c, value);
  KMS_RETURN_IF_ERROR(c.Finish());
  return value;
}

// Writes header + object. Fails (InvalidArgument) if the object breaks a structural check of
// its Convert routine or the output would exceed `size_limit`. Convert does not modify its
// argument when writing, hence the const_cast.
template <typename T>
absl::StatusOr<Bytes> SafeSerialize(const T& value, std::string_view type_name,
                                    uint64_t size_limit = kDefaultSizeLimit) {
  Codec c = Codec::Writer(RootName(type_name), size_limit);
  ConvertHeader(c, type_name);
  Convert(c, const_cast<T&>(value));
  KMS_RETURN_IF_ERROR(c.Finish());
  return c.TakeOutput();
}

}  // namespace kms::tfhe

#endif  // KMS_TFHE_SAFE_SERIALIZE_H_
