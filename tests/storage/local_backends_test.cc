// The storage contract (storage_contract.h) against the backends that need no server: RAM and
// file (public and private vaults).
#include <cstdlib>
#include <filesystem>

#include "storage/file_storage.h"
#include "storage/ram_storage.h"
#include "storage_contract.h"

namespace kms::storage::testing {
namespace {

// One temporary root for the whole run; each test's prefix gives it a fresh folder below. It is
// never destroyed (the exit handler that removes the folder still needs it).
const std::string& TempRoot() {
  static const std::string* const root = [] {
    std::string templ = (std::filesystem::temp_directory_path() / "kms-storage-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) std::abort();
    auto* path = new std::string(templ);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(TempRoot(), ec);
    });
    return path;
  }();
  return *root;
}

StorageBackend Ram() {
  return {"Ram",
          [](const std::string& prefix) -> absl::StatusOr<std::unique_ptr<Storage>> {
            auto s = RamStorage::Create(prefix);
            if (!s.ok()) return s.status();
            return std::unique_ptr<Storage>(std::move(*s));
          },
          {}};
}

StorageBackend File(bool private_vault) {
  return {private_vault ? "FilePrivate" : "FilePublic",
          [private_vault](const std::string& prefix) -> absl::StatusOr<std::unique_ptr<Storage>> {
            auto s = FileStorage::Open(TempRoot() + "/keys", prefix, private_vault);
            if (!s.ok()) return s.status();
            return std::unique_ptr<Storage>(std::move(*s));
          },
          {}};
}

INSTANTIATE_TEST_SUITE_P(Local, StorageContractTest,
                         ::testing::Values(Ram(), File(false), File(true)), BackendName);

}  // namespace
}  // namespace kms::storage::testing
