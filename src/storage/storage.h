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
// Streamed objects. Put and Get move a whole object through memory and stop at kMaxObjectSize.
// Objects too large for that (the uncompressed ServerKey of the default parameters, about 1.6 GB)
// are written with PutStream, which takes the bytes from a producer chunk by chunk, and read with
// GetStream, which hands them to a sink chunk by chunk, so a backend holds about one chunk
// (StreamOptions::chunk_size, 16 MiB by default) in memory at a time. A streamed object is an
// ordinary object: List, Exists, Delete and Size treat it like any other, Get returns it when it
// is at most kMaxObjectSize bytes, and GetStream reads objects written by Put. Streams keep the
// guarantees of Put: the new object becomes visible at once when PutStream returns OK, and a
// failed or aborted stream leaves the old object (or none) and no partial data a reader could see.
// How each backend stores one is described in its header (file: one file, S3: a multipart
// upload, PostgreSQL: rows of at most one chunk, RAM: one buffer).
//
// Error codes (absl::StatusCode), the same for every backend:
//   kInvalidArgument    a bad data type, id or prefix, an object larger than kMaxObjectSize
//                       given to Put, or a stream longer than StreamOptions::max_object_size
//   kNotFound           Get / GetStream / Size / Delete of an object that does not exist
//   kFailedPrecondition Get of a (streamed) object larger than kMaxObjectSize: use GetStream
//   kDataLoss           a stored object is corrupt, unreadable as an object, or larger than
//                       StreamOptions::max_object_size
//   kUnavailable        the backend cannot be reached or failed (retryable)
//   kPermissionDenied   the backend refused access (wrong credentials, file permissions, a
//                       symlink inside a file vault)
//   kResourceExhausted  the backend is out of space
// A producer's or sink's own error ends the stream and is returned with its code, the message
// prefixed by the backend and the object.
//
// Thread safety: every method of every backend may be called concurrently from any thread.
// Concurrent Puts (and PutStreams) of the same object leave one of the written values, never a
// mix. Producers and sinks run on the calling thread, with no lock of the storage held.
#ifndef KMS_STORAGE_STORAGE_H_
#define KMS_STORAGE_STORAGE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/bytes.h"

namespace kms::crypto {
class Shake256;
}  // namespace kms::crypto

namespace kms::storage {

inline constexpr size_t kMaxDataTypeLength = 64;
inline constexpr size_t kMaxIdLength = 128;
inline constexpr size_t kMaxPrefixLength = 128;
// Largest object any backend accepts. PostgreSQL's bytea caps a value at 1 GiB; staying below it
// keeps every backend interchangeable.
inline constexpr size_t kMaxObjectSize = size_t{1000} << 20;

// ---- Streams ----

// Chunk size of streams unless a backend is configured otherwise: an S3 part, a PostgreSQL row,
// a file write. 16 MiB keeps the ServerKey at about 100 parts or rows and memory small.
inline constexpr size_t kDefaultStreamChunkSize = size_t{16} << 20;
inline constexpr size_t kMinStreamChunkSize = size_t{1} << 10;
inline constexpr size_t kMaxStreamChunkSize = size_t{256} << 20;
// Largest streamed object unless configured otherwise: five times the ServerKey of the default
// parameters, and far below every backend's own limit (S3: 10000 parts of 16 MiB).
inline constexpr uint64_t kMaxStreamedObjectSize = uint64_t{8} << 30;

// Per-backend stream settings (each backend's options or Open/Create take one).
struct StreamOptions {
  // Bytes per chunk written (S3 part, PostgreSQL row) and per piece handed to a GetStream sink.
  size_t chunk_size = kDefaultStreamChunkSize;
  // PutStream fails with InvalidArgument once a producer writes more; GetStream refuses (DataLoss)
  // a stored object larger than this.
  uint64_t max_object_size = kMaxStreamedObjectSize;
};

// InvalidArgument unless kMinStreamChunkSize <= chunk_size <= kMaxStreamChunkSize and
// max_object_size >= 1.
[[nodiscard]] absl::Status ValidateStreamOptions(const StreamOptions& options);

// Receives bytes in order, one piece per call. A non-OK return ends the stream: the call driving
// the sink stops and returns that error (annotated with the backend and object).
using ByteSink = std::function<absl::Status(ByteSpan piece)>;

// Writes an object for PutStream: calls `write` with consecutive pieces of the object (any sizes,
// any number of calls, none for an empty object) and returns OK once all are written. A non-OK
// return aborts the PutStream. When `write` fails (backend error, size limit) the producer should
// return that status; PutStream fails with the backend's error whatever the producer returns.
// A producer is called at most once, so it may produce from a source that cannot be replayed.
using ObjectProducer = std::function<absl::Status(const ByteSink& write)>;

class Storage {
 public:
  virtual ~Storage() = default;

  // Stores `data` under (data_type, id), replacing any previous value. The write is durable when
  // Put returns OK; a reader sees either the old or the new value, never a partial one.
  [[nodiscard]] virtual absl::Status Put(std::string_view data_type, std::string_view id,
                                         ByteSpan data) = 0;

  // The stored value; NotFound when there is none, FailedPrecondition when it is larger than
  // kMaxObjectSize (a streamed object: read it with GetStream).
  [[nodiscard]] virtual absl::StatusOr<Bytes> Get(std::string_view data_type,
                                                  std::string_view id) = 0;

  // Stores the bytes `produce` writes under (data_type, id), replacing any previous value, like
  // Put but without the whole object in memory: the backend buffers at most about one chunk.
  // Durable and visible when PutStream returns OK; until then readers see the old value (or
  // none). When the producer fails, a write fails or the object grows beyond
  // StreamOptions::max_object_size (InvalidArgument), the old value is left as it was and no part
  // of the new one remains. Names are checked before `produce` is called.
  [[nodiscard]] virtual absl::Status PutStream(std::string_view data_type, std::string_view id,
                                               const ObjectProducer& produce) = 0;

  // Hands the stored value to `sink` in pieces of exactly StreamOptions::chunk_size bytes, the
  // last one shorter (never empty; no call for an empty object). The pieces are one stored
  // version, never a mix of an old and a new one. NotFound (sink never called) when there is no
  // object; DataLoss when it is larger than StreamOptions::max_object_size. Works for every
  // object, whether written by Put or PutStream. A piece is valid only during the call.
  [[nodiscard]] virtual absl::Status GetStream(std::string_view data_type, std::string_view id,
                                               const ByteSink& sink) = 0;

  // The stored value's size in bytes (one metadata lookup, no data read); NotFound when there is
  // no object.
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Size(std::string_view data_type,
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

// ---- Digests while streaming ----
//
// `produce` / `sink` with every byte that passes also fed, in order, to `hash`. For a digest of an
// object computed while it is written or read, e.g. the digest the reference signs for a public
// key, SHAKE256("PDAT_KEY" || stored bytes):
//
//   crypto::Shake256 h;
//   h.Update(crypto::kDsepPublicKeyData);
//   KMS_RETURN_IF_ERROR(vault.PutStream(kServerKey, key_id, HashingProducer(produce, h)));
//   const crypto::Digest digest = h.Finish32();
//
// The digest is that of the stored bytes only when the PutStream (GetStream) returned OK; after a
// failure `hash` holds a prefix of the bytes and must be discarded. REQUIRES: `hash` outlives
// the returned function and is used by nothing else meanwhile.
ObjectProducer HashingProducer(ObjectProducer produce, crypto::Shake256& hash);
ByteSink HashingSink(ByteSink sink, crypto::Shake256& hash);

}  // namespace kms::storage

#endif  // KMS_STORAGE_STORAGE_H_
