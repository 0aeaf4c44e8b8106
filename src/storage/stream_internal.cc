#include "storage/stream_internal.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/absl_compat_internal.h"

namespace kms::storage::internal {

absl::Status Annotate(const absl::Status& status, std::string_view what, std::string_view note) {
  return absl::Status(status.code(),
                      absl::StrCat(Av(what), ": ", Av(note), ": ", status.message()));
}

absl::Status StreamTooLarge(std::string_view what, uint64_t limit) {
  return absl::InvalidArgumentError(absl::StrCat(
      Av(what), ": streamed object exceeds the limit of ", limit, " bytes; nothing was stored"));
}

absl::Status CheckPutSize(size_t size, std::string_view what) {
  if (size <= kMaxObjectSize) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(Av(what), ": object is ", size,
                                                 " bytes; Put takes at most ", kMaxObjectSize,
                                                 " (use PutStream)"));
}

ObjectProducer WholeObject(ByteSpan data) {
  return [data](const ByteSink& write) { return write(data); };
}

Rechunker::Rechunker(size_t chunk_size, uint64_t limit, absl::Status over_limit, ByteSink emit)
    : chunk_size_(chunk_size),
      limit_(limit),
      over_limit_(std::move(over_limit)),
      emit_(std::move(emit)) {}

absl::Status Rechunker::Emit(ByteSpan chunk) {
  status_ = emit_(chunk);
  if (status_.ok()) ++chunks_emitted_;
  return status_;
}

absl::Status Rechunker::Write(ByteSpan piece) {
  if (!status_.ok()) return status_;
  if (piece.size() > limit_ - std::min(limit_, total_)) {
    status_ = over_limit_;
    return status_;
  }
  total_ += piece.size();
  while (!piece.empty()) {
    if (fill_ == 0 && piece.size() >= chunk_size_) {
      if (!Emit(piece.first(chunk_size_)).ok()) return status_;
      piece = piece.subspan(chunk_size_);
      continue;
    }
    if (buffer_.size() != chunk_size_) buffer_ = crypto::SecretBytes(chunk_size_);
    const size_t n = std::min(piece.size(), chunk_size_ - fill_);
    std::memcpy(buffer_.data() + fill_, piece.data(), n);
    fill_ += n;
    piece = piece.subspan(n);
    if (fill_ == chunk_size_) {
      fill_ = 0;
      if (!Emit(buffer_.span()).ok()) return status_;
    }
  }
  return absl::OkStatus();
}

absl::Status Rechunker::Flush() {
  if (!status_.ok()) return status_;
  if (fill_ == 0) return absl::OkStatus();
  const size_t n = std::exchange(fill_, 0);
  return Emit(ByteSpan(buffer_.data(), n));
}

absl::Status RunProducer(const ObjectProducer& produce, Rechunker& chunks, std::string_view what) {
  const absl::Status produced = produce([&chunks](ByteSpan piece) { return chunks.Write(piece); });
  if (!chunks.status().ok()) return chunks.status();
  if (!produced.ok()) return Annotate(produced, what, "aborted by its source");
  return absl::OkStatus();
}

ReadTarget::ReadTarget(Bytes* out) : out_(out) {}

ReadTarget::ReadTarget(const ByteSink& sink, const StreamOptions& options)
    : sink_(&sink), options_(options) {}

absl::Status ReadTarget::Begin(std::optional<uint64_t> size, std::string what) {
  what_ = std::move(what);
  size_ = size;
  const uint64_t limit = out_ != nullptr ? kMaxObjectSize : options_.max_object_size;
  if (size.has_value() && *size > limit) {
    if (out_ != nullptr) {
      status_ = absl::FailedPreconditionError(
          absl::StrCat(what_, " is ", *size, " bytes, more than Get returns (", kMaxObjectSize,
                       "); read it with GetStream"));
    } else {
      status_ = absl::DataLossError(absl::StrCat(what_, " is ", *size,
                                                 " bytes, larger than the stream limit of ",
                                                 options_.max_object_size, " bytes"));
    }
    return status_;
  }
  if (out_ != nullptr) {
    out_->clear();
    if (size.has_value()) out_->reserve(*size);
    return absl::OkStatus();
  }
  const uint64_t cap = size.value_or(limit);
  chunks_.emplace(options_.chunk_size, cap,
                  size.has_value()
                      ? absl::DataLossError(absl::StrCat(
                            what_, " is longer than its stored size of ", *size, " bytes"))
                      : absl::DataLossError(absl::StrCat(
                            what_, " is larger than the stream limit of ", cap, " bytes")),
                  [this](ByteSpan chunk) {
                    absl::Status s = (*sink_)(chunk);
                    return s.ok() ? s : Annotate(s, what_, "stopped by its sink");
                  });
  return absl::OkStatus();
}

absl::Status ReadTarget::Write(ByteSpan piece) {
  if (!status_.ok()) return status_;
  if (chunks_.has_value()) {
    status_ = chunks_->Write(piece);
    received_ = chunks_->total();
    return status_;
  }
  const uint64_t cap = size_.value_or(kMaxObjectSize);
  if (piece.size() > cap - received_) {
    status_ = size_.has_value()
                  ? absl::DataLossError(
                        absl::StrCat(what_, " is longer than its stored size of ", cap, " bytes"))
                  : absl::FailedPreconditionError(absl::StrCat(what_, " is more than Get returns (",
                                                               cap, "); read it with GetStream"));
    return status_;
  }
  out_->insert(out_->end(), piece.begin(), piece.end());
  received_ += piece.size();
  return absl::OkStatus();
}

absl::Status ReadTarget::End() {
  if (!status_.ok()) return status_;
  if (chunks_.has_value()) {
    status_ = chunks_->Flush();
    if (!status_.ok()) return status_;
  }
  if (size_.has_value() && received_ != *size_) {
    status_ = absl::DataLossError(
        absl::StrCat(what_, " ended after ", received_, " of ", *size_, " bytes"));
  }
  return status_;
}

}  // namespace kms::storage::internal
