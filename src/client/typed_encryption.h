// File: client/typed_encryption.h
//
// Encryption for users: a typed value (ebool … euint256) encrypted under a KMS key's compact
// public key (downloaded with GetPublicKey or read from a file) into the kms.v1.TypedCiphertext
// message the decryption RPCs take. The handle sent with it is SHAKE256("_HANDLE_" ‖ ciphertext),
// so a client can match signed answers to its ciphertexts.
//
// Ciphertext files (`kms-client encrypt -o ct.bin`, `--ciphertext-file`) hold the serialized
// kms.v1.TypedCiphertext message (ciphertext, type, handle, format); tfhe-rs ciphertext files
// (`--ciphertext F --format FMT`) the tfhe-rs bytes themselves; public key files
// (`kms-client get-public-key K -o pk.bin`) hold the CompactPublicKey encoding, the bytes
// GetPublicKey returns.
#ifndef KMS_CLIENT_TYPED_ENCRYPTION_H_
#define KMS_CLIENT_TYPED_ENCRYPTION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "lwe/compact_public_key.h"
#include "proto/kms_service.pb.h"

namespace kms::client {

// Parses a CompactPublicKey encoding. InvalidArgument naming the field (see lwe/formats.h).
absl::StatusOr<lwe::CompactPublicKey> ParsePublicKey(std::string_view encoded);

// Encrypts `value` (decimal, or 0x-prefixed hex) as `fhe_type` ("euint64", ...). InvalidArgument
// for an unknown type or a value that does not fit; the message never contains the value.
absl::StatusOr<v1::TypedCiphertext> EncryptValue(const lwe::CompactPublicKey& key,
                                                 std::string_view fhe_type, std::string_view value,
                                                 algebra::RandomSource& rng);

// Reads a whole file (at most 64 MiB). NotFound / PermissionDenied / InvalidArgument naming it.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);
// Writes `bytes` to `path` (replacing it). Unavailable naming the path on failure.
[[nodiscard]] absl::Status WriteFileBytes(const std::string& path, std::string_view bytes);

// A ciphertext file: the serialized kms.v1.TypedCiphertext, checked to parse and to carry a
// known type and a non-empty ciphertext.
absl::StatusOr<v1::TypedCiphertext> ReadCiphertextFile(const std::string& path);
[[nodiscard]] absl::Status WriteCiphertextFile(const std::string& path,
                                               const v1::TypedCiphertext& ciphertext);

// The ciphertext_format of `name`: 0-3 or the reference's name (SmallCompressed, SmallExpanded,
// BigCompressed, BigExpanded). InvalidArgument listing them otherwise.
absl::StatusOr<int32_t> ParseCiphertextFormat(std::string_view name);

// A tfhe-rs ciphertext file (the safe_serialize bytes of one value of `fhe_type`, as node-tfhe or
// a coprocessor writes them) as a request's ciphertext in `format` (ParseCiphertextFormat). The
// bytes are sent as they are: the parties parse and check them against the key.
absl::StatusOr<v1::TypedCiphertext> ReadTfheCiphertextFile(const std::string& path,
                                                           std::string_view fhe_type,
                                                           std::string_view format);

}  // namespace kms::client

#endif  // KMS_CLIENT_TYPED_ENCRYPTION_H_
