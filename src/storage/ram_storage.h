// File: storage/ram_storage.h
//
// An in-memory Storage for tests and for throwaway development servers (`[x.storage.ram]`).
// Nothing survives the process. Values are held in SecretBytes so private material is zeroed when
// it is overwritten, deleted or the storage is destroyed.
//
// A streamed object is one buffer like any other: PutStream collects the producer's chunks and
// swaps the assembled value in under the lock at the end (an aborted stream drops its chunks, so
// nothing changes). Values are immutable and shared, so GetStream hands out pieces of the value
// it found without holding the lock or copying, while a concurrent Put replaces it.
#ifndef KMS_STORAGE_RAM_STORAGE_H_
#define KMS_STORAGE_RAM_STORAGE_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "crypto/secure_zero.h"
#include "storage/storage.h"

namespace kms::storage {

namespace internal {
class ReadTarget;
}  // namespace internal

class RamStorage final : public Storage {
 public:
  // REQUIRES: ValidatePrefix(prefix).ok() and ValidateStreamOptions(stream).ok(); use Create()
  // for unchecked values.
  explicit RamStorage(std::string prefix, StreamOptions stream = {});
  static absl::StatusOr<std::unique_ptr<RamStorage>> Create(std::string prefix,
                                                            StreamOptions stream = {});

  absl::Status Put(std::string_view data_type, std::string_view id, ByteSpan data) override;
  absl::StatusOr<Bytes> Get(std::string_view data_type, std::string_view id) override;
  absl::Status PutStream(std::string_view data_type, std::string_view id,
                         const ObjectProducer& produce) override;
  absl::Status GetStream(std::string_view data_type, std::string_view id,
                         const ByteSink& sink) override;
  absl::StatusOr<uint64_t> Size(std::string_view data_type, std::string_view id) override;
  absl::StatusOr<bool> Exists(std::string_view data_type, std::string_view id) override;
  absl::StatusOr<std::vector<std::string>> List(std::string_view data_type) override;
  absl::Status Delete(std::string_view data_type, std::string_view id) override;
  std::string Describe() const override;
  const std::string& prefix() const override { return prefix_; }

 private:
  using Key = std::pair<std::string, std::string>;  // (data type, id)
  using Value = std::shared_ptr<const crypto::SecretBytes>;

  // The value of (data_type, id), NotFound when there is none. Names are validated.
  absl::StatusOr<Value> Find(std::string_view data_type, std::string_view id) const;
  // The read path of Get and GetStream.
  absl::Status Read(std::string_view data_type, std::string_view id, internal::ReadTarget& target);
  void Store(std::string_view data_type, std::string_view id, Value value);

  const std::string prefix_;
  const StreamOptions stream_;
  mutable std::mutex mu_;
  std::map<Key, Value, std::less<>> objects_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kms::storage

#endif  // KMS_STORAGE_RAM_STORAGE_H_
