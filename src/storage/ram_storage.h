// File: storage/ram_storage.h
//
// An in-memory Storage for tests and for throwaway development servers (`[x.storage.ram]`).
// Nothing survives the process. Values are held in SecretBytes so private material is zeroed when
// it is overwritten, deleted or the storage is destroyed.
#ifndef KMS_STORAGE_RAM_STORAGE_H_
#define KMS_STORAGE_RAM_STORAGE_H_

#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "crypto/secure_zero.h"
#include "storage/storage.h"

namespace kms::storage {

class RamStorage final : public Storage {
 public:
  // REQUIRES: ValidatePrefix(prefix).ok(); use Create() for an unchecked prefix.
  explicit RamStorage(std::string prefix);
  static absl::StatusOr<std::unique_ptr<RamStorage>> Create(std::string prefix);

  absl::Status Put(std::string_view data_type, std::string_view id, ByteSpan data) override;
  absl::StatusOr<Bytes> Get(std::string_view data_type, std::string_view id) override;
  absl::StatusOr<bool> Exists(std::string_view data_type, std::string_view id) override;
  absl::StatusOr<std::vector<std::string>> List(std::string_view data_type) override;
  absl::Status Delete(std::string_view data_type, std::string_view id) override;
  std::string Describe() const override;
  const std::string& prefix() const override { return prefix_; }

 private:
  using Key = std::pair<std::string, std::string>;  // (data type, id)

  const std::string prefix_;
  mutable std::mutex mu_;
  std::map<Key, crypto::SecretBytes, std::less<>> objects_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kms::storage

#endif  // KMS_STORAGE_RAM_STORAGE_H_
