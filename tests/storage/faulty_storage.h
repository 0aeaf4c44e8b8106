// File: tests/storage/faulty_storage.h
//
// An error-injecting Storage for tests (leveldb's ErrorEnv idea): wraps another storage and fails
// the chosen operations with a chosen status, counting calls.
#ifndef KMS_TESTS_STORAGE_FAULTY_STORAGE_H_
#define KMS_TESTS_STORAGE_FAULTY_STORAGE_H_

#include <atomic>
#include <memory>
#include <string>

#include "storage/storage.h"

namespace kms::storage::testing {

class FaultyStorage final : public Storage {
 public:
  explicit FaultyStorage(std::unique_ptr<Storage> inner) : inner_(std::move(inner)) {}

  // Status returned by every write (Put, PutStream, Delete) while set; OK passes writes through.
  // A failing PutStream does not call its producer.
  void FailWrites(absl::Status status) { write_error_ = std::move(status); }
  // Status returned by every read (Get, GetStream, Size, Exists, List) while set.
  void FailReads(absl::Status status) { read_error_ = std::move(status); }
  // Puts and PutStreams so far.
  int puts() const { return puts_; }

  absl::Status Put(std::string_view t, std::string_view id, ByteSpan data) override {
    ++puts_;
    if (!write_error_.ok()) return write_error_;
    return inner_->Put(t, id, data);
  }
  absl::StatusOr<Bytes> Get(std::string_view t, std::string_view id) override {
    if (!read_error_.ok()) return read_error_;
    return inner_->Get(t, id);
  }
  absl::Status PutStream(std::string_view t, std::string_view id,
                         const ObjectProducer& produce) override {
    ++puts_;
    if (!write_error_.ok()) return write_error_;
    return inner_->PutStream(t, id, produce);
  }
  absl::Status GetStream(std::string_view t, std::string_view id, const ByteSink& sink) override {
    if (!read_error_.ok()) return read_error_;
    return inner_->GetStream(t, id, sink);
  }
  absl::StatusOr<uint64_t> Size(std::string_view t, std::string_view id) override {
    if (!read_error_.ok()) return read_error_;
    return inner_->Size(t, id);
  }
  absl::StatusOr<bool> Exists(std::string_view t, std::string_view id) override {
    if (!read_error_.ok()) return read_error_;
    return inner_->Exists(t, id);
  }
  absl::StatusOr<std::vector<std::string>> List(std::string_view t) override {
    if (!read_error_.ok()) return read_error_;
    return inner_->List(t);
  }
  absl::Status Delete(std::string_view t, std::string_view id) override {
    if (!write_error_.ok()) return write_error_;
    return inner_->Delete(t, id);
  }
  std::string Describe() const override { return "faulty(" + inner_->Describe() + ")"; }
  const std::string& prefix() const override { return inner_->prefix(); }

 private:
  std::unique_ptr<Storage> inner_;
  absl::Status write_error_;
  absl::Status read_error_;
  std::atomic<int> puts_{0};
};

}  // namespace kms::storage::testing

#endif  // KMS_TESTS_STORAGE_FAULTY_STORAGE_H_
