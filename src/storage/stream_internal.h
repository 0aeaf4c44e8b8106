// File: storage/stream_internal.h
//
// What the four backends' PutStream and GetStream (and their Put and Get, which are built on the
// same paths) share, so the chunking, the size limits and the rules for whose error a failed
// stream reports are written once (storage.h states the contract):
//   Rechunker    cuts the pieces a producer writes into chunks of exactly chunk_size bytes, the
//                unit a backend stores (file write, S3 part, PostgreSQL row), and enforces the
//                size limit;
//   RunProducer  runs a producer into a Rechunker and picks the error to report;
//   ReadTarget   where a backend's reader delivers an object: Get's buffer or GetStream's sink,
//                with the size checks of each.
// Buffers are SecretBytes (zeroed when released): a private vault streams secrets through them.
// Internal to the storage layer; not thread-safe (one instance per stream).
#ifndef KMS_STORAGE_STREAM_INTERNAL_H_
#define KMS_STORAGE_STREAM_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/bytes.h"
#include "crypto/secure_zero.h"
#include "storage/storage.h"

namespace kms::storage::internal {

// `status` with "<what>: <note>: " put before its message; the code is kept.
absl::Status Annotate(const absl::Status& status, std::string_view what, std::string_view note);

// The InvalidArgument of a stream that grew beyond `limit` bytes.
absl::Status StreamTooLarge(std::string_view what, uint64_t limit);

// Put's size check: InvalidArgument naming `what` above kMaxObjectSize.
absl::Status CheckPutSize(size_t size, std::string_view what);

// A producer writing `data` in one piece: how Put enters a backend's stream write path.
ObjectProducer WholeObject(ByteSpan data);

// Cuts pieces of any size into chunks of exactly chunk_size bytes and hands each full chunk to
// `emit` as soon as it is complete (straight from the piece, without a copy, when a piece covers
// a whole chunk). The bytes of an unfinished chunk wait in a buffer until pending() / Flush().
// Counts the bytes and refuses (with `over_limit`) a piece that would take the total beyond
// `limit`; nothing of that piece is emitted. The first error (the limit or emit's) sticks: every
// later Write returns it.
class Rechunker {
 public:
  Rechunker(size_t chunk_size, uint64_t limit, absl::Status over_limit, ByteSink emit);
  Rechunker(const Rechunker&) = delete;
  Rechunker& operator=(const Rechunker&) = delete;

  absl::Status Write(ByteSpan piece);
  // Emits the pending bytes, if any, as the last (short) chunk.
  absl::Status Flush();

  // Bytes written but not yet emitted (fewer than chunk_size); valid until the next call.
  ByteSpan pending() const { return ByteSpan(buffer_.data(), fill_); }
  uint64_t total() const { return total_; }
  uint64_t chunks_emitted() const { return chunks_emitted_; }
  const absl::Status& status() const { return status_; }

 private:
  absl::Status Emit(ByteSpan chunk);

  const size_t chunk_size_;
  const uint64_t limit_;
  const absl::Status over_limit_;
  const ByteSink emit_;
  crypto::SecretBytes buffer_;  // allocated at the first partial chunk
  size_t fill_ = 0;
  uint64_t total_ = 0;
  uint64_t chunks_emitted_ = 0;
  absl::Status status_;
};

// Runs `produce`, its writes going to `chunks`, and returns the stream's failure, if any: the
// Rechunker's own (a backend write error or the size limit) before the producer's, which is
// returned as "<what>: aborted by its source: <message>". Does not flush the pending bytes: the
// backend decides what the last chunk becomes (an S3 single PUT, a head row, ...).
absl::Status RunProducer(const ObjectProducer& produce, Rechunker& chunks, std::string_view what);

// Where a backend's reader puts the object it reads. A reader calls Begin once with the stored
// size (before reading any byte), Write with consecutive pieces, then End.
class ReadTarget {
 public:
  // For Get: collects the object into *out; objects over kMaxObjectSize are FailedPrecondition.
  explicit ReadTarget(Bytes* out);
  // For GetStream: hands chunks of options.chunk_size to `sink` (whose errors are returned as
  // "<what>: stopped by its sink: <message>"); objects over options.max_object_size are DataLoss.
  ReadTarget(const ByteSink& sink, const StreamOptions& options);
  ReadTarget(const ReadTarget&) = delete;
  ReadTarget& operator=(const ReadTarget&) = delete;

  // Checks `size` (nullopt: not known before the bytes, then the limit is checked as they come)
  // against this target's limit. `what` names the backend and the object in every error.
  absl::Status Begin(std::optional<uint64_t> size, std::string what);
  // DataLoss when more bytes arrive than Begin announced.
  absl::Status Write(ByteSpan piece);
  // Flushes the last chunk; DataLoss when fewer bytes arrived than announced.
  absl::Status End();
  // The first error of Write (for readers whose transport reports only "stopped").
  const absl::Status& status() const { return status_; }

 private:
  Bytes* const out_ = nullptr;
  const ByteSink* const sink_ = nullptr;
  const StreamOptions options_;
  std::string what_;
  std::optional<uint64_t> size_;
  uint64_t received_ = 0;
  std::optional<Rechunker> chunks_;
  absl::Status status_;
};

}  // namespace kms::storage::internal

#endif  // KMS_STORAGE_STREAM_INTERNAL_H_
