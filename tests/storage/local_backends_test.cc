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

// 1 MiB chunks: the contract's streamed objects (5 MiB and more) span several.
StreamOptions SmallChunks() {
  StreamOptions o;
  o.chunk_size = size_t{1} << 20;
  return o;
}

StorageBackend Ram() {
  return {"Ram",
          [](const std::string& prefix,
             const StreamOptions& stream) -> absl::StatusOr<std::unique_ptr<Storage>> {
            auto s = RamStorage::Create(prefix, stream);
            if (!s.ok()) return s.status();
            return std::unique_ptr<Storage>(std::move(*s));
          },
          {},
          SmallChunks(),
          nullptr,
          /*instances_share_objects=*/false};
}

// Temporaries (".<id>.tmp-…") anywhere under the vault's folder.
absl::StatusOr<size_t> Temporaries(const std::string& prefix) {
  size_t n = 0;
  std::error_code ec;
  const std::filesystem::path vault = TempRoot() + "/keys/" + prefix;
  for (auto it = std::filesystem::recursive_directory_iterator(vault, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename().string().starts_with(".")) ++n;
  }
  if (ec) return absl::InternalError("cannot walk " + vault.string() + ": " + ec.message());
  return n;
}

StorageBackend File(bool private_vault) {
  return {private_vault ? "FilePrivate" : "FilePublic",
          [private_vault](const std::string& prefix,
                          const StreamOptions& stream) -> absl::StatusOr<std::unique_ptr<Storage>> {
            auto s = FileStorage::Open(TempRoot() + "/keys", prefix, private_vault, stream);
            if (!s.ok()) return s.status();
            return std::unique_ptr<Storage>(std::move(*s));
          },
          {},
          SmallChunks(),
          Temporaries};
}

INSTANTIATE_TEST_SUITE_P(Local, StorageContractTest,
                         ::testing::Values(Ram(), File(false), File(true)), BackendName);

}  // namespace
}  // namespace kms::storage::testing
