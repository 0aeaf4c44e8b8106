#include "storage/ram_storage.h"

#include <cassert>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace kms::storage {

RamStorage::RamStorage(std::string prefix) : prefix_(std::move(prefix)) {
  assert(ValidatePrefix(prefix_).ok());
}

absl::StatusOr<std::unique_ptr<RamStorage>> RamStorage::Create(std::string prefix) {
  KMS_RETURN_IF_ERROR(ValidatePrefix(prefix));
  return std::make_unique<RamStorage>(std::move(prefix));
}

absl::Status RamStorage::Put(std::string_view data_type, std::string_view id, ByteSpan data) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  if (data.size() > kMaxObjectSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("object is ", data.size(), " bytes; at most ", kMaxObjectSize, " allowed"));
  }
  crypto::SecretBytes value(data);
  std::lock_guard<std::mutex> lock(mu_);
  objects_[Key(std::string(data_type), std::string(id))] = std::move(value);
  return absl::OkStatus();
}

absl::StatusOr<Bytes> RamStorage::Get(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(Key(std::string(data_type), std::string(id)));
  if (it == objects_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no object ", ObjectKey(prefix_, data_type, id), " in RAM storage"));
  }
  return Bytes(it->second.span().begin(), it->second.span().end());
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
  std::lock_guard<std::mutex> lock(mu_);
  if (objects_.erase(Key(std::string(data_type), std::string(id))) == 0) {
    return absl::NotFoundError(
        absl::StrCat("no object ", ObjectKey(prefix_, data_type, id), " in RAM storage"));
  }
  return absl::OkStatus();
}

std::string RamStorage::Describe() const { return absl::StrCat("ram:", prefix_); }

}  // namespace kms::storage
