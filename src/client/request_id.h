// File: client/request_id.h
//
// Identifiers of the public API (service-spec §2): request ids, key ids, epoch ids, preprocessing
// ids and context ids are 32 bytes written as 64 lower-case hex characters; a "0x" prefix and
// upper-case digits are accepted on input and normalised away. The caller chooses request ids, so
// the client draws them from the operating system's randomness: a fresh id per request means a
// retried or forced operation never collides with an earlier one (ALREADY_EXISTS).
//
//   KMS_ASSIGN_OR_RETURN(std::string key_id, ParseId(flag_value, "--key-id"));
//   std::string request_id = RandomRequestId();
#ifndef KMS_CLIENT_REQUEST_ID_H_
#define KMS_CLIENT_REQUEST_ID_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/hash.h"

namespace kms::client {

inline constexpr size_t kIdBytes = 32;
inline constexpr size_t kIdHexChars = 2 * kIdBytes;

// `text` as a canonical id (64 lower-case hex characters). InvalidArgument naming `field` when
// the text (after an optional "0x") is not exactly 64 hex characters, e.g.
// "--key-id: expected 64 hex characters, got 12".
absl::StatusOr<std::string> ParseId(std::string_view text, std::string_view field);

// The 32 bytes of an id. InvalidArgument as ParseId.
absl::StatusOr<crypto::Digest> IdToDigest(std::string_view text, std::string_view field);

// A fresh random id from the operating system's randomness.
std::string RandomRequestId();

}  // namespace kms::client

#endif  // KMS_CLIENT_REQUEST_ID_H_
