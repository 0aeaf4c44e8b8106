// File: service/request_id.h
//
// The identifiers of the API (service-spec §2): request ids, key ids, epoch ids and
// preprocessing ids are 32 bytes, written as 64 lower-case hex characters; "0x" (or "0X") in
// front and upper-case digits are accepted on input. A key id is the request id of the KeyGen
// that made it; the default epoch is 0x00…01.
//
// Parsing is strict, and the error names the request field, e.g.
//   INVALID_ARGUMENT "request_id: expected 64 hex characters, got 12"
//   INVALID_ARGUMENT "key_id: not hexadecimal (character 'z' at position 3)"
#ifndef KMS_SERVICE_REQUEST_ID_H_
#define KMS_SERVICE_REQUEST_ID_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/session_id.h"

namespace kms::service {

using Id32 = crypto::RequestId;  // std::array<uint8_t, 32>

inline constexpr size_t kIdHexLength = 64;

// Parses `text` as an id. `field` names the request field in the error.
absl::StatusOr<Id32> ParseId(std::string_view field, std::string_view text);

// As ParseId, but an empty `text` gives `default_id` (epoch ids: empty = the default epoch).
absl::StatusOr<Id32> ParseIdOr(std::string_view field, std::string_view text,
                               const Id32& default_id);

// 64 lower-case hex characters, no prefix: the canonical form (responses, storage ids, logs).
std::string IdToHex(const Id32& id);

// The default epoch, 0x0000…0001 (32 bytes, value 1 big-endian).
Id32 DefaultEpochId();

}  // namespace kms::service

#endif  // KMS_SERVICE_REQUEST_ID_H_
