// File: lwe/formats.h
//
// Binary formats (proto/lwe.proto, package kms.lwe.v1) of the compact public key, the secret key
// (centralized mode only), compact ciphertext lists and typed ciphertexts.
//
// Parsing treats its input as hostile: inputs above kMaxEncodedSize are refused before protobuf
// sees them; unknown fields, an unknown format_version, an unknown parameter set, a dimension
// other than the set's, and any length that does not match the dimension give InvalidArgument
// naming the field, e.g. "ciphertext.mask: expected 8192 bytes for dimension 512, got 100".
// Nothing is allocated from a length the input claims; sizes come from the parameter set.
//
// Secret-key encodings are returned in crypto::SecretBytes, and every intermediate copy of the
// key bits (protobuf message, packed string) is zeroed before it is released.
//
// The To/FromProto pairs serve callers that embed these messages in others (service API).
#ifndef KMS_LWE_FORMATS_H_
#define KMS_LWE_FORMATS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/secure_zero.h"
#include "lwe/compact_public_key.h"
#include "lwe/encryption.h"
#include "lwe/secret_key.h"
#include "lwe/typed_ciphertext.h"

namespace kms::lwe {
namespace v1 {
class CompactPublicKey;
class LweSecretKey;
class CompactCiphertextList;
class TypedCiphertext;
class TypedCiphertextList;
}  // namespace v1

// The only format version written and accepted.
inline constexpr uint32_t kLweFormatVersion = 1;
// Largest accepted encoding: a full default-set list is 2·4096·16 bytes plus a few dozen.
inline constexpr size_t kMaxEncodedSize = 1 << 20;

// ---- bytes ----
// Serialize* fail (InvalidArgument) only for an object that does not pass its Validate* check.

absl::StatusOr<Bytes> SerializeCompactPublicKey(const CompactPublicKey& key);
absl::StatusOr<CompactPublicKey> ParseCompactPublicKey(ByteSpan data);

absl::StatusOr<crypto::SecretBytes> SerializeSecretKey(const SecretKey& key);
absl::StatusOr<SecretKey> ParseSecretKey(ByteSpan data);

absl::StatusOr<Bytes> SerializeCompactCiphertextList(const CompactCiphertextList& list);
absl::StatusOr<CompactCiphertextList> ParseCompactCiphertextList(ByteSpan data);

absl::StatusOr<Bytes> SerializeTypedCiphertext(const TypedCiphertext& ct);
absl::StatusOr<TypedCiphertext> ParseTypedCiphertext(ByteSpan data);

absl::StatusOr<Bytes> SerializeTypedCiphertextList(const TypedCiphertextList& ct);
absl::StatusOr<TypedCiphertextList> ParseTypedCiphertextList(ByteSpan data);

// ---- protobuf messages ----
// `field` prefixes error messages ("ciphertext", "typed_ciphertext.ciphertext", ...).

[[nodiscard]] absl::Status ToProto(const CompactPublicKey& key, v1::CompactPublicKey* out);
absl::StatusOr<CompactPublicKey> FromProto(const v1::CompactPublicKey& msg,
                                           std::string_view field = "compact_public_key");

[[nodiscard]] absl::Status ToProto(const CompactCiphertextList& list,
                                   v1::CompactCiphertextList* out);
absl::StatusOr<CompactCiphertextList> FromProto(const v1::CompactCiphertextList& msg,
                                                std::string_view field = "ciphertext");

[[nodiscard]] absl::Status ToProto(const TypedCiphertext& ct, v1::TypedCiphertext* out);
absl::StatusOr<TypedCiphertext> FromProto(const v1::TypedCiphertext& msg,
                                          std::string_view field = "typed_ciphertext");

[[nodiscard]] absl::Status ToProto(const TypedCiphertextList& ct, v1::TypedCiphertextList* out);
absl::StatusOr<TypedCiphertextList> FromProto(const v1::TypedCiphertextList& msg,
                                              std::string_view field = "typed_ciphertext_list");

}  // namespace kms::lwe

#endif  // KMS_LWE_FORMATS_H_
