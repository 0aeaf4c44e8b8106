// File: storage/storage.h
//
// The one interface every storage backend implements (service-spec §5). A Storage instance is a
// vault: it owns a prefix (e.g. "PUB-p1", "PRIV-p1") and stores typed objects at
//
//   <prefix>/<DataType>/<id>
//
// Backends: FileStorage (default), RamStorage (tests), PostgresStorage, S3Storage. The server
// writes key material through this interface only, so a backend can be swapped by configuration.
//
// Names are validated before any backend sees them, so a hostile id can never escape its vault:
//   data type: 1..64 of [A-Za-z0-9_-], starting with a letter (e.g. "PublicKey")
//   id:        1..128 of [A-Za-z0-9._-], not starting with '.' (so never "." or ".."; names
//              starting with '.' are reserved for backend temporaries)
//   prefix:    1..128 characters, one or more '/'-separated segments, each a valid id
//
// Error codes (absl::StatusCode), the same for every backend:
//   kInvalidArgument    a bad data type, id or prefix, or an object larger than kMaxObjectSize
//   kNotFound           Get / Delete of an object that does not exist
//   kDataLoss           a stored object is corrupt or unreadable as an object
//   kUnavailable        the backend cannot be reached or failed (retryable)
//   kPermissionDenied   the backend refused access (wrong credentials, file permissions, a
//                       symlink inside a file vault)
//   kResourceExhausted  the backend is out of space
//
// Thread safety: every method of every backend may be called concurrently from any thread.
// Concurrent Puts of the same object leave one of the written values, never a mix.
#ifndef KMS_STORAGE_STORAGE_H_
#define KMS_STORAGE_STORAGE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/bytes.h"

namespace kms::storage {

inline constexpr size_t kMaxDataTypeLength = 64;
inline constexpr size_t kMaxIdLength = 128;
inline constexpr size_t kMaxPrefixLength = 128;
// Largest object any backend accepts. PostgreSQL's bytea caps a value at 1 GiB; staying below it
// keeps every backend interchangeable.
inline constexpr size_t kMaxObjectSize = size_t{1000} << 20;

class Storage {
 public:
  virtual ~Storage() = default;

  // Stores `data` under (data_type, id), replacing any previous value. The write is durable when
  // Put returns OK; a reader sees either the old or the new value, never a partial one.
  [[nodiscard]] virtual absl::Status Put(std::string_view data_type, std::string_view id,
                                         ByteSpan data) = 0;

  // The stored value; NotFound when there is none.
  [[nodiscard]] virtual absl::StatusOr<Bytes> Get(std::string_view data_type,
                                                  std::string_view id) = 0;

  [[nodiscard]] virtual absl::StatusOr<bool> Exists(std::string_view data_type,
                                                    std::string_view id) = 0;

  // Ids stored under `data_type`, sorted bytewise ascending; empty when there are none.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> List(
      std::string_view data_type) = 0;

  // Removes the object; NotFound when there is none.
  [[nodiscard]] virtual absl::Status Delete(std::string_view data_type, std::string_view id) = 0;

  // Backend and location for health output, e.g. "file:/var/lib/kms/keys/PRIV-p1". Never
  // contains a secret (no password, no secret key).
  virtual std::string Describe() const = 0;

  // The vault prefix this instance stores under.
  virtual const std::string& prefix() const = 0;
};

// Name checks shared by every backend; each returns InvalidArgument naming the field.
[[nodiscard]] absl::Status ValidateDataType(std::string_view data_type);
[[nodiscard]] absl::Status ValidateId(std::string_view id);
[[nodiscard]] absl::Status ValidatePrefix(std::string_view prefix);
// ValidateDataType + ValidateId.
[[nodiscard]] absl::Status ValidateObjectName(std::string_view data_type, std::string_view id);

// "<prefix>/<data_type>/<id>" (no validation; callers validate first).
std::string ObjectKey(std::string_view prefix, std::string_view data_type, std::string_view id);

}  // namespace kms::storage

#endif  // KMS_STORAGE_STORAGE_H_
