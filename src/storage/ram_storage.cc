#include "storage/ram_storage.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/stream_internal.h"

namespace kms::storage {

RamStorage::RamStorage(std::string prefix, StreamOptions stream)
    : prefix_(std::move(prefix)), stream_(stream) {
  assert(ValidatePrefix(prefix_).ok());
  assert(ValidateStreamOptions(stream_).ok());
}

absl::StatusOr<std::unique_ptr<RamStorage>> RamStorage::Create(std::string prefix,
                                                               StreamOptions stream) {
  KMS_RETURN_IF_ERROR(ValidatePrefix(prefix));
  KMS_RETURN_IF_ERROR(ValidateStreamOptions(stream));
  return std::make_unique<RamStorage>(std::move(prefix), stream);
}

void RamStorage::Store(std::string_view data_type, std::string_view id, Value value) {
  Value old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = std::exchange(objects_[Key(std::string(data_type), std::string(id))], std::move(value));
  }
  // `old` is released (and zeroed, when this was its last reference) outside the lock.
}

absl::Status RamStorage::Put(std::string_view data_type, std::string_view id, ByteSpan data) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  KMS_RETURN_IF_ERROR(internal::CheckPutSize(
      data.size(), absl::StrCat("RAM storage: ", ObjectKey(prefix_, data_type, id))));
  Store(data_type, id, std::make_shared<const crypto::SecretBytes>(data));
  return absl::OkStatus();
}

absl::Status RamStorage::PutStream(std::string_view data_type, std::string_view id,
                                   const ObjectProducer& produce) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  const std::string what = absl::StrCat("RAM storage: ", ObjectKey(prefix_, data_type, id));
  // Chunks first, one copy into the final buffer at the end: a growing vector would leave
  // unzeroed copies of private bytes behind each time it moves.
  std::vector<crypto::SecretBytes> chunks;
  internal::Rechunker rechunker(stream_.chunk_size, stream_.max_object_size,
                                internal::StreamTooLarge(what, stream_.max_object_size),
                                [&](ByteSpan chunk) {
                                  chunks.emplace_back(chunk);
                                  return absl::OkStatus();
                                });
  KMS_RETURN_IF_ERROR(internal::RunProducer(produce, rechunker, what));
  KMS_RETURN_IF_ERROR(rechunker.Flush());
  auto value = std::make_shared<crypto::SecretBytes>(static_cast<size_t>(rechunker.total()));
  size_t at = 0;
  for (const crypto::SecretBytes& chunk : chunks) {
    std::memcpy(value->data() + at, chunk.data(), chunk.size());
    at += chunk.size();
  }
  Store(data_type, id, std::move(value));
  return absl::OkStatus();
}

absl::StatusOr<RamStorage::Value> RamStorage::Find(std::string_view data_type,
                                                   std::string_view id) const {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(Key(std::string(data_type), std::string(id)));
  if (it == objects_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no object ", ObjectKey(prefix_, data_type, id), " in RAM storage"));
  }
  return it->second;
}

absl::Status RamStorage::Read(std::string_view data_type, std::string_view id,
                              internal::ReadTarget& target) {
  KMS_ASSIGN_OR_RETURN(Value value, Find(data_type, id));
  KMS_RETURN_IF_ERROR(target.Begin(
      value->size(), absl::StrCat("RAM storage: ", ObjectKey(prefix_, data_type, id))));
  const ByteSpan all = value->span();
  for (size_t at = 0; at < all.size(); at += stream_.chunk_size) {
    KMS_RETURN_IF_ERROR(
        target.Write(all.subspan(at, std::min(stream_.chunk_size, all.size() - at))));
  }
  return target.End();
}

absl::StatusOr<Bytes> RamStorage::Get(std::string_view data_type, std::string_view id) {
  Bytes out;
  internal::ReadTarget target(&out);
  KMS_RETURN_IF_ERROR(Read(data_type, id, target));
  return out;
}

absl::Status RamStorage::GetStream(std::string_view data_type, std::string_view id,
                                   const ByteSink& sink) {
  internal::ReadTarget target(sink, stream_);
  return Read(data_type, id, target);
}

absl::StatusOr<uint64_t> RamStorage::Size(std::string_view data_type, std::string_view id) {
  KMS_ASSIGN_OR_RETURN(Value value, Find(data_type, id));
  return value->size();
}

absl::StatusOr<bool> RamStorage::Exists(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  std::lock_guard<std::mutex> lock(mu_);
  return objects_.count(Key(std::string(data_type), std::string(id))) > 0;
}

absl::StatusOr<std::vector<std::string>> RamStorage::List(std::string_view data_type) {
  KMS_RETURN_IF_ERROR(ValidateDataType(data_type));
  std::vector<std::string> ids;
  std::lock_guard<std::mutex> lock(mu_);
  // Keys are ordered by (type, id), so one type's ids are contiguous and already sorted.
  for (auto it = objects_.lower_bound(Key(std::string(data_type), std::string()));
       it != objects_.end() && it->first.first == data_type; ++it) {
    ids.push_back(it->first.second);
  }
  return ids;
}

absl::Status RamStorage::Delete(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  Value old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(Key(std::string(data_type), std::string(id)));
    if (it == objects_.end()) {
      return absl::NotFoundError(
          absl::StrCat("no object ", ObjectKey(prefix_, data_type, id), " in RAM storage"));
    }
    old = std::move(it->second);
    objects_.erase(it);
  }
  return absl::OkStatus();
}

std::string RamStorage::Describe() const { return absl::StrCat("ram:", prefix_); }

}  // namespace kms::storage
