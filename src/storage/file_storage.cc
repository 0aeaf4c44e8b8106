#include "storage/file_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/random.h"
#include "crypto/secure_zero.h"
#include "storage/absl_compat_internal.h"
#include "storage/stream_internal.h"

namespace kms::storage {

using ::kms::storage::internal::Av;

// An owned file descriptor, closed on destruction.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { Reset(); }

  int get() const { return fd_; }
  // Closes and reports the close error (which can carry a delayed write error).
  int Close() {
    const int fd = std::exchange(fd_, -1);
    return fd < 0 ? 0 : ::close(fd);
  }

 private:
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

namespace {

std::string ErrnoText(int err) {
  char buf[128];
  // GNU strerror_r returns the message (possibly not in buf).
  return std::string(strerror_r(err, buf, sizeof(buf)));
}

// Maps an errno from a filesystem call to the storage error vocabulary (storage.h).
absl::Status ErrnoStatus(int err, std::string_view action, std::string_view path) {
  const std::string msg =
      absl::StrCat("file storage: ", Av(action), " ", Av(path), ": ", ErrnoText(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case ELOOP:
      return absl::PermissionDeniedError(
          absl::StrCat("file storage: refusing to follow a symlink at ", Av(path)));
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(msg);
    case ENAMETOOLONG:
    case EINVAL:
      return absl::InvalidArgumentError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

// Opens directory `name` under `parent` without following a symlink. When `create`, a missing
// directory is made with exactly `mode` (whatever the umask). When `tighten` (private vaults),
// group and other permission bits are removed from an existing directory.
absl::StatusOr<ScopedFd> OpenSubdir(int parent, const std::string& name, bool create, unsigned mode,
                                    bool tighten, const std::string& shown) {
  bool created = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      ScopedFd dir(fd);
      if (created) {
        if (::fchmod(dir.get(), mode) != 0) return ErrnoStatus(errno, "chmod", shown);
      } else if (tighten) {
        struct stat st;
        if (::fstat(dir.get(), &st) != 0) return ErrnoStatus(errno, "stat", shown);
        if ((st.st_mode & 077) != 0 && ::fchmod(dir.get(), st.st_mode & 0700) != 0) {
          return ErrnoStatus(errno, "chmod", shown);
        }
      }
      return dir;
    }
    const int err = errno;
    if (err == ENOTDIR || err == ELOOP) {
      struct stat st;
      if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        return ErrnoStatus(ELOOP, "open", shown);
      }
      return absl::DataLossError(
          absl::StrCat("file storage: ", shown, " exists but is not a directory"));
    }
    if (err != ENOENT || !create) return ErrnoStatus(err, "open directory", shown);
    if (::mkdirat(parent, name.c_str(), mode) == 0) {
      created = true;
    } else if (errno != EEXIST) {
      return ErrnoStatus(errno, "create directory", shown);
    }
  }
  return absl::UnavailableError(absl::StrCat("file storage: cannot open directory ", shown));
}

// Writes all of `data`, retrying on EINTR and short writes.
absl::Status WriteAll(int fd, ByteSpan data, std::string_view shown) {
  size_t done = 0;
  while (done < data.size()) {
    const size_t chunk = std::min<size_t>(data.size() - done, size_t{1} << 30);
    const ssize_t n = ::write(fd, data.data() + done, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", shown);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

std::string RandomSuffix() {
  std::array<uint8_t, 8> r;
  crypto::OsRandom(r);
  return ToHex(r);
}

}  // namespace

FileStorage::FileStorage(std::string root_path, std::string prefix, bool private_vault,
                         StreamOptions stream)
    : root_(std::move(root_path)),
      prefix_(std::move(prefix)),
      private_(private_vault),
      stream_(stream) {
  assert(!root_.empty());
  assert(ValidatePrefix(prefix_).ok());
  assert(ValidateStreamOptions(stream_).ok());
}

FileStorage::~FileStorage() = default;

absl::StatusOr<std::unique_ptr<FileStorage>> FileStorage::Open(std::string root_path,
                                                               std::string prefix,
                                                               bool private_vault,
                                                               StreamOptions stream) {
  if (root_path.empty()) return absl::InvalidArgumentError("file storage: root path is empty");
  KMS_RETURN_IF_ERROR(ValidatePrefix(prefix));
  KMS_RETURN_IF_ERROR(ValidateStreamOptions(stream));
  auto storage =
      std::make_unique<FileStorage>(std::move(root_path), std::move(prefix), private_vault, stream);
  KMS_ASSIGN_OR_RETURN(ScopedFd vault_dir, storage->OpenVaultDir("", /*create=*/true));
  (void)vault_dir;
  return storage;
}

absl::StatusOr<ScopedFd> FileStorage::OpenRoot(bool create) const {
  int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create) {
    std::error_code ec;
    std::filesystem::create_directories(root_, ec);
    if (ec) return ErrnoStatus(ec.value(), "create directory", root_);
    fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  if (fd < 0) return ErrnoStatus(errno, "open root directory", root_);
  return ScopedFd(fd);
}

absl::StatusOr<ScopedFd> FileStorage::OpenVaultDir(std::string_view data_type, bool create) const {
  KMS_ASSIGN_OR_RETURN(ScopedFd dir, OpenRoot(create));
  std::string shown = root_;
  size_t start = 0;
  while (true) {
    const size_t slash = prefix_.find('/', start);
    const std::string segment =
        prefix_.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    absl::StrAppend(&shown, "/", segment);
    KMS_ASSIGN_OR_RETURN(dir, OpenSubdir(dir.get(), segment, create, DirMode(), private_, shown));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (!data_type.empty()) {
    absl::StrAppend(&shown, "/", Av(data_type));
    KMS_ASSIGN_OR_RETURN(
        dir, OpenSubdir(dir.get(), std::string(data_type), create, DirMode(), private_, shown));
  }
  return dir;
}

std::string FileStorage::Shown(std::string_view data_type, std::string_view id) const {
  return absl::StrCat(root_, "/", ObjectKey(prefix_, data_type, id));
}

absl::Status FileStorage::Put(std::string_view data_type, std::string_view id, ByteSpan data) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  KMS_RETURN_IF_ERROR(
      internal::CheckPutSize(data.size(), absl::StrCat("file storage: ", Shown(data_type, id))));
  return Write(data_type, id, internal::WholeObject(data), kMaxObjectSize);
}

absl::Status FileStorage::PutStream(std::string_view data_type, std::string_view id,
                                    const ObjectProducer& produce) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  return Write(data_type, id, produce, stream_.max_object_size);
}

absl::Status FileStorage::Write(std::string_view data_type, std::string_view id,
                                const ObjectProducer& produce, uint64_t limit) {
  KMS_ASSIGN_OR_RETURN(ScopedFd dir, OpenVaultDir(data_type, /*create=*/true));
  const std::string shown = Shown(data_type, id);
  const std::string name(id);
  const std::string tmp = absl::StrCat(".", Av(id), ".tmp-", RandomSuffix());

  const int raw = ::openat(dir.get(), tmp.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FileMode());
  if (raw < 0) return ErrnoStatus(errno, "create temporary file for", shown);
  ScopedFd file(raw);
  auto fail = [&](absl::Status status) {
    file.Close();
    ::unlinkat(dir.get(), tmp.c_str(), 0);
    return status;
  };
  // The umask may have removed bits of a public file's mode; set it exactly.
  if (::fchmod(file.get(), FileMode()) != 0) return fail(ErrnoStatus(errno, "chmod", shown));
  const std::string what = absl::StrCat("file storage: ", shown);
  internal::Rechunker chunks(stream_.chunk_size, limit, internal::StreamTooLarge(what, limit),
                             [&](ByteSpan chunk) { return WriteAll(file.get(), chunk, shown); });
  absl::Status written = internal::RunProducer(produce, chunks, what);
  if (written.ok()) written = chunks.Flush();
  if (!written.ok()) return fail(written);
  if (::fsync(file.get()) != 0) return fail(ErrnoStatus(errno, "fsync", shown));
  if (file.Close() != 0) return fail(ErrnoStatus(errno, "close", shown));
  // rename() replaces the name itself: an existing symlink named `id` is replaced, not followed.
  if (::renameat(dir.get(), tmp.c_str(), dir.get(), name.c_str()) != 0) {
    const int err = errno;
    ::unlinkat(dir.get(), tmp.c_str(), 0);
    if (err == EISDIR || err == ENOTEMPTY || err == EEXIST) {
      return absl::DataLossError(
          absl::StrCat("file storage: ", shown, " exists but is not a regular file"));
    }
    return ErrnoStatus(err, "rename temporary file onto", shown);
  }
  // The rename is durable only once the directory entry is on disk.
  if (::fsync(dir.get()) != 0) return ErrnoStatus(errno, "fsync directory of", shown);
  return absl::OkStatus();
}

absl::StatusOr<Bytes> FileStorage::Get(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  Bytes out;
  internal::ReadTarget target(&out);
  KMS_RETURN_IF_ERROR(Read(data_type, id, target));
  return out;
}

absl::Status FileStorage::GetStream(std::string_view data_type, std::string_view id,
                                    const ByteSink& sink) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  internal::ReadTarget target(sink, stream_);
  return Read(data_type, id, target);
}

absl::Status FileStorage::Read(std::string_view data_type, std::string_view id,
                               internal::ReadTarget& target) {
  const std::string shown = Shown(data_type, id);
  auto dir = OpenVaultDir(data_type, /*create=*/false);
  if (!dir.ok()) {
    if (absl::IsNotFound(dir.status())) {
      return absl::NotFoundError(absl::StrCat("file storage: no object ", shown));
    }
    return dir.status();
  }
  const std::string name(id);
  // O_NONBLOCK: a FIFO planted under the object's name must not hang the reader.
  const int raw =
      ::openat(dir->get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (raw < 0) {
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat("file storage: no object ", shown));
    return ErrnoStatus(errno, "open", shown);
  }
  ScopedFd file(raw);
  struct stat st;
  if (::fstat(file.get(), &st) != 0) return ErrnoStatus(errno, "stat", shown);
  if (!S_ISREG(st.st_mode)) {
    return absl::DataLossError(absl::StrCat("file storage: ", shown, " is not a regular file"));
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  KMS_RETURN_IF_ERROR(target.Begin(size, absl::StrCat("file storage: ", shown)));
  // One chunk per read(2); the object is read to its size at open time (files are replaced by
  // rename, never changed in place).
  crypto::SecretBytes buffer(static_cast<size_t>(std::min<uint64_t>(size, stream_.chunk_size)));
  uint64_t done = 0;
  while (done < size) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(size - done, buffer.size()));
    const ssize_t n = ::read(file.get(), buffer.data(), want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "read", shown);
    }
    if (n == 0) break;  // End() reports the short object
    done += static_cast<uint64_t>(n);
    KMS_RETURN_IF_ERROR(target.Write(ByteSpan(buffer.data(), static_cast<size_t>(n))));
  }
  return target.End();
}

absl::StatusOr<uint64_t> FileStorage::Size(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  const std::string shown = Shown(data_type, id);
  auto dir = OpenVaultDir(data_type, /*create=*/false);
  if (!dir.ok()) {
    if (absl::IsNotFound(dir.status())) {
      return absl::NotFoundError(absl::StrCat("file storage: no object ", shown));
    }
    return dir.status();
  }
  struct stat st;
  const std::string name(id);
  if (::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat("file storage: no object ", shown));
    return ErrnoStatus(errno, "stat", shown);
  }
  if (S_ISLNK(st.st_mode)) return ErrnoStatus(ELOOP, "stat", shown);
  if (!S_ISREG(st.st_mode)) {
    return absl::DataLossError(absl::StrCat("file storage: ", shown, " is not a regular file"));
  }
  return static_cast<uint64_t>(st.st_size);
}

absl::StatusOr<bool> FileStorage::Exists(std::string_view data_type, std::string_view id) {
  auto size = Size(data_type, id);
  if (size.ok()) return true;
  if (absl::IsNotFound(size.status())) return false;
  return size.status();
}

absl::StatusOr<std::vector<std::string>> FileStorage::List(std::string_view data_type) {
  KMS_RETURN_IF_ERROR(ValidateDataType(data_type));
  std::vector<std::string> ids;
  auto dir = OpenVaultDir(data_type, /*create=*/false);
  if (!dir.ok()) {
    if (absl::IsNotFound(dir.status())) return ids;
    return dir.status();
  }
  const std::string shown = absl::StrCat(root_, "/", prefix_, "/", Av(data_type));
  const int dup_fd = ::fcntl(dir->get(), F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ErrnoStatus(errno, "list", shown);
  DIR* stream = ::fdopendir(dup_fd);
  if (stream == nullptr) {
    const int err = errno;
    ::close(dup_fd);
    return ErrnoStatus(err, "list", shown);
  }
  errno = 0;
  while (struct dirent* entry = ::readdir(stream)) {
    const std::string_view name(entry->d_name);
    // Temporaries (".<id>.tmp-…"), "." and ".." start with '.'; names that are not valid ids
    // were not written by this class and are not objects.
    if (name.empty() || name.front() == '.' || !ValidateId(name).ok()) continue;
    bool regular = entry->d_type == DT_REG;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat st;
      regular = ::fstatat(dir->get(), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISREG(st.st_mode);
    }
    if (regular) ids.emplace_back(name);
  }
  const int err = errno;
  ::closedir(stream);
  if (err != 0) return ErrnoStatus(err, "list", shown);
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::Status FileStorage::Delete(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  const std::string shown = absl::StrCat(root_, "/", ObjectKey(prefix_, data_type, id));
  auto dir = OpenVaultDir(data_type, /*create=*/false);
  if (!dir.ok()) {
    if (absl::IsNotFound(dir.status())) {
      return absl::NotFoundError(absl::StrCat("file storage: no object ", shown));
    }
    return dir.status();
  }
  const std::string name(id);
  struct stat st;
  if (::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat("file storage: no object ", shown));
    return ErrnoStatus(errno, "stat", shown);
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::DataLossError(absl::StrCat("file storage: ", shown, " is not a regular file"));
  }
  if (::unlinkat(dir->get(), name.c_str(), 0) != 0) {
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat("file storage: no object ", shown));
    return ErrnoStatus(errno, "delete", shown);
  }
  if (::fsync(dir->get()) != 0) return ErrnoStatus(errno, "fsync directory of", shown);
  return absl::OkStatus();
}

std::string FileStorage::Describe() const {
  return absl::StrCat("file:", root_, "/", prefix_, private_ ? " (private)" : "");
}

}  // namespace kms::storage
