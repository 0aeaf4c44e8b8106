// File: storage/file_storage.h
//
// Storage in a directory tree (the default backend, service-spec §5):
//
//   <root>/<prefix>/<DataType>/<id>      e.g. keys/PRIV-p1/PrssSetup/<epoch id>
//
// Why it is built the way it is:
// - Atomic, durable writes. A Put writes a temporary file ".<id>.tmp-<random>" in the object's
//   own directory, fsyncs it, renames it over the object and fsyncs the directory. A crash leaves
//   the old or the new object, never a torn one; a leftover temporary is ignored by List and Get.
// - Private vaults (`private_vault = true`) create files 0600 and directories 0700, and tighten
//   the vault's existing directories to 0700 when they are opened; public vaults use 0644 / 0755.
// - Streamed objects are ordinary files. PutStream writes the same temporary file as Put, one
//   chunk (StreamOptions::chunk_size) per write(2), then fsyncs and renames it: readers see the
//   old file until the rename. A failed stream removes its temporary; a crash in the middle
//   leaves it (a dot file List and Get ignore; remove stale ".<id>.tmp-*" files by hand).
//   GetStream reads the file it opened (a concurrent replace does not affect it) one chunk per
//   read(2); Size is an fstatat.
// - No symlink is ever followed below the root. Every path component under the root is opened
//   relative to its parent with O_NOFOLLOW, so a planted symlink (to another vault or to
//   /etc/shadow) gives PermissionDenied instead of a read or write outside the vault. The root
//   itself may be a symlink: it is the operator's choice.
//
// Thread safety: stateless between calls (every call opens what it needs), so any number of
// threads and processes may use the same tree.
#ifndef KMS_STORAGE_FILE_STORAGE_H_
#define KMS_STORAGE_FILE_STORAGE_H_

#include <memory>
#include <string>

#include "storage/storage.h"

namespace kms::storage {

class ScopedFd;
namespace internal {
class ReadTarget;
}  // namespace internal

class FileStorage final : public Storage {
 public:
  // Directories are created on the first write. REQUIRES: ValidatePrefix(prefix).ok() and a
  // non-empty root_path; Open() checks both and creates the vault's directory at once, so a
  // misconfigured root fails at start-up rather than at the first write.
  // REQUIRES: ValidateStreamOptions(stream).ok() too.
  FileStorage(std::string root_path, std::string prefix, bool private_vault,
              StreamOptions stream = {});
  ~FileStorage() override;

  static absl::StatusOr<std::unique_ptr<FileStorage>> Open(std::string root_path,
                                                           std::string prefix, bool private_vault,
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

  const std::string& root_path() const { return root_; }
  bool private_vault() const { return private_; }

 private:
  // Opens <root>/<prefix> (and <DataType> when data_type is non-empty) without following
  // symlinks; creates missing directories when `create` (NotFound otherwise).
  absl::StatusOr<ScopedFd> OpenVaultDir(std::string_view data_type, bool create) const;
  absl::StatusOr<ScopedFd> OpenRoot(bool create) const;
  // The write path of Put and PutStream: temporary file, fsync, rename. Names are validated.
  absl::Status Write(std::string_view data_type, std::string_view id, const ObjectProducer& produce,
                     uint64_t limit);
  // The read path of Get and GetStream. Names are validated.
  absl::Status Read(std::string_view data_type, std::string_view id, internal::ReadTarget& target);
  // "<root>/<prefix>/<type>/<id>" for messages.
  std::string Shown(std::string_view data_type, std::string_view id) const;

  unsigned FileMode() const { return private_ ? 0600u : 0644u; }
  unsigned DirMode() const { return private_ ? 0700u : 0755u; }

  const std::string root_;
  const std::string prefix_;
  const bool private_;
  const StreamOptions stream_;
};

}  // namespace kms::storage

#endif  // KMS_STORAGE_FILE_STORAGE_H_
