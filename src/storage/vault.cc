#include "storage/vault.h"

#include <cassert>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/absl_compat_internal.h"
#include "storage/file_storage.h"
#include "storage/postgres_storage.h"
#include "storage/ram_storage.h"
#include "storage/s3_storage.h"

namespace kms::storage {

using internal::Av;

namespace {

constexpr std::string_view kDigestRecordMagic = "KMSDGST1";
constexpr std::string_view kDigestSuffix = "Digest";

// The private vault of a VaultSet with a backup: every write goes to both.
class BackedUpStorage final : public Storage {
 public:
  BackedUpStorage(std::unique_ptr<Storage> primary, Storage* backup)
      : primary_(std::move(primary)), backup_(backup) {}

  absl::Status Put(std::string_view data_type, std::string_view id, ByteSpan data) override {
    KMS_RETURN_IF_ERROR(primary_->Put(data_type, id, data));
    return BackupError(backup_->Put(data_type, id, data));
  }
  absl::StatusOr<Bytes> Get(std::string_view data_type, std::string_view id) override {
    return primary_->Get(data_type, id);
  }
  absl::Status PutStream(std::string_view data_type, std::string_view id,
                         const ObjectProducer& produce) override {
    KMS_RETURN_IF_ERROR(primary_->PutStream(data_type, id, produce));
    // The producer cannot be replayed: the backup gets what the primary stored.
    return BackupError(backup_->PutStream(data_type, id, [&](const ByteSink& write) {
      return primary_->GetStream(data_type, id, write);
    }));
  }
  absl::Status GetStream(std::string_view data_type, std::string_view id,
                         const ByteSink& sink) override {
    return primary_->GetStream(data_type, id, sink);
  }
  absl::StatusOr<uint64_t> Size(std::string_view data_type, std::string_view id) override {
    return primary_->Size(data_type, id);
  }
  absl::StatusOr<bool> Exists(std::string_view data_type, std::string_view id) override {
    return primary_->Exists(data_type, id);
  }
  absl::StatusOr<std::vector<std::string>> List(std::string_view data_type) override {
    return primary_->List(data_type);
  }
  absl::Status Delete(std::string_view data_type, std::string_view id) override {
    KMS_RETURN_IF_ERROR(primary_->Delete(data_type, id));
    absl::Status s = backup_->Delete(data_type, id);
    return absl::IsNotFound(s) ? absl::OkStatus() : BackupError(s);
  }
  std::string Describe() const override {
    return absl::StrCat(primary_->Describe(), " (backed up to ", backup_->Describe(), ")");
  }
  const std::string& prefix() const override { return primary_->prefix(); }

 private:
  absl::Status BackupError(const absl::Status& s) const {
    if (s.ok()) return s;
    return absl::Status(s.code(),
                        absl::StrCat("backup vault (", backup_->Describe(), "): ", s.message()));
  }

  std::unique_ptr<Storage> primary_;
  Storage* backup_;  // owned by the VaultSet
};

std::string EnvOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

std::string DefaultVaultPrefix(VaultRole role, std::optional<uint32_t> party_id) {
  const char* base = role == VaultRole::kPublic    ? "PUB"
                     : role == VaultRole::kPrivate ? "PRIV"
                                                   : "BACKUP";
  if (!party_id.has_value()) return base;
  return absl::StrCat(base, "-p", *party_id);
}

absl::StatusOr<std::unique_ptr<Storage>> MakeStorage(const StorageConfig& config,
                                                     std::string default_prefix,
                                                     bool private_vault) {
  auto pick = [&](const std::string& own) { return own.empty() ? default_prefix : own; };
  if (const auto* file = std::get_if<FileStorageConfig>(&config)) {
    KMS_ASSIGN_OR_RETURN(auto s, FileStorage::Open(file->path, pick(file->prefix), private_vault));
    return std::unique_ptr<Storage>(std::move(s));
  }
  if (const auto* s3 = std::get_if<S3StorageConfig>(&config)) {
    S3Options o;
    o.bucket = s3->bucket;
    o.prefix = pick(s3->prefix);
    o.region = s3->region.empty() ? "us-east-1" : s3->region;
    o.endpoint = s3->endpoint.empty() ? absl::StrCat("https://s3.", o.region, ".amazonaws.com")
                                      : s3->endpoint;
    if (s3->access_key_id.empty() && s3->secret_access_key.empty()) {
      o.access_key_id = EnvOrEmpty("AWS_ACCESS_KEY_ID");
      o.secret_access_key = EnvOrEmpty("AWS_SECRET_ACCESS_KEY");
    } else {
      o.access_key_id = s3->access_key_id;
      o.secret_access_key = s3->secret_access_key;
    }
    KMS_ASSIGN_OR_RETURN(auto s, S3Storage::Create(std::move(o)));
    return std::unique_ptr<Storage>(std::move(s));
  }
  if (const auto* pg = std::get_if<PostgresStorageConfig>(&config)) {
    KMS_ASSIGN_OR_RETURN(auto s, PostgresStorage::Connect(pg->dsn, pick(pg->prefix)));
    return std::unique_ptr<Storage>(std::move(s));
  }
  KMS_ASSIGN_OR_RETURN(auto s, RamStorage::Create(default_prefix));
  return std::unique_ptr<Storage>(std::move(s));
}

VaultSet MakeVaultSet(std::unique_ptr<Storage> public_vault, std::unique_ptr<Storage> private_vault,
                      std::unique_ptr<Storage> backup_vault) {
  assert(public_vault != nullptr && private_vault != nullptr);
  VaultSet set;
  set.public_vault = std::move(public_vault);
  if (backup_vault != nullptr) {
    set.private_vault =
        std::make_unique<BackedUpStorage>(std::move(private_vault), backup_vault.get());
  } else {
    set.private_vault = std::move(private_vault);
  }
  set.backup_vault = std::move(backup_vault);
  return set;
}

absl::StatusOr<VaultSet> OpenVaultSet(const StorageConfig& public_config,
                                      const StorageConfig& private_config,
                                      const std::optional<StorageConfig>& backup_config,
                                      std::optional<uint32_t> party_id) {
  auto context = [](std::string_view vault, const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(Av(vault), ": ", s.message()));
  };
  auto pub = MakeStorage(public_config, DefaultVaultPrefix(VaultRole::kPublic, party_id), false);
  if (!pub.ok()) return context("public_vault", pub.status());
  auto priv = MakeStorage(private_config, DefaultVaultPrefix(VaultRole::kPrivate, party_id), true);
  if (!priv.ok()) return context("private_vault", priv.status());
  std::unique_ptr<Storage> backup;
  if (backup_config.has_value()) {
    auto b = MakeStorage(*backup_config, DefaultVaultPrefix(VaultRole::kBackup, party_id), true);
    if (!b.ok()) return context("backup_vault", b.status());
    backup = std::move(*b);
  }
  return MakeVaultSet(std::move(*pub), std::move(*priv), std::move(backup));
}

void StartObjectDigest(crypto::Shake256& hash, std::string_view data_type) {
  hash.Update(kDsepStoredObject).UpdateU64Le(data_type.size()).Update(data_type);
}

crypto::Digest ObjectDigest(std::string_view data_type, ByteSpan data) {
  crypto::Shake256 h;
  StartObjectDigest(h, data_type);
  h.Update(data);
  return h.Finish32();
}

std::string DigestDataType(std::string_view data_type) {
  assert(data_type.size() + kDigestSuffix.size() <= kMaxDataTypeLength);
  return absl::StrCat(Av(data_type), Av(kDigestSuffix));
}

Bytes SerializeDigestRecord(const DigestRecord& record) {
  Bytes out;
  Append(out, AsBytes(kDigestRecordMagic));
  AppendU64Le(out, record.data_type.size());
  Append(out, AsBytes(record.data_type));
  AppendU64Le(out, record.id.size());
  Append(out, AsBytes(record.id));
  Append(out, record.digest);
  return out;
}

absl::StatusOr<DigestRecord> ParseDigestRecord(ByteSpan data) {
  size_t pos = 0;
  auto need = [&](size_t n, std::string_view what) -> absl::Status {
    if (data.size() - pos < n) {
      return absl::DataLossError(absl::StrCat("digest record truncated in ", Av(what)));
    }
    return absl::OkStatus();
  };
  KMS_RETURN_IF_ERROR(need(kDigestRecordMagic.size(), "magic"));
  if (std::string_view(reinterpret_cast<const char*>(data.data()), kDigestRecordMagic.size()) !=
      kDigestRecordMagic) {
    return absl::DataLossError("digest record has a wrong magic");
  }
  pos += kDigestRecordMagic.size();
  auto read_string = [&](std::string_view what, size_t max_len) -> absl::StatusOr<std::string> {
    KMS_RETURN_IF_ERROR(need(8, what));
    const uint64_t len = LoadU64Le(data.data() + pos);
    pos += 8;
    if (len > max_len) {
      return absl::DataLossError(
          absl::StrCat("digest record ", Av(what), " length ", len, " exceeds ", max_len));
    }
    KMS_RETURN_IF_ERROR(need(len, what));
    std::string s(reinterpret_cast<const char*>(data.data() + pos), len);
    pos += len;
    return s;
  };
  DigestRecord record;
  KMS_ASSIGN_OR_RETURN(record.data_type, read_string("data type", kMaxDataTypeLength));
  KMS_ASSIGN_OR_RETURN(record.id, read_string("id", kMaxIdLength));
  KMS_RETURN_IF_ERROR(need(record.digest.size(), "digest"));
  std::copy_n(data.data() + pos, record.digest.size(), record.digest.begin());
  pos += record.digest.size();
  if (pos != data.size()) {
    return absl::DataLossError(
        absl::StrCat("digest record has ", data.size() - pos, " trailing bytes"));
  }
  if (!ValidateDataType(record.data_type).ok() || !ValidateId(record.id).ok()) {
    return absl::DataLossError("digest record names an invalid data type or id");
  }
  return record;
}

namespace {

absl::Status CheckDigestName(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  if (data_type.size() + kDigestSuffix.size() > kMaxDataTypeLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("data type ", Av(data_type), " is too long to have a digest"));
  }
  return absl::OkStatus();
}

absl::Status RecordDigest(VaultSet& vaults, std::string_view data_type, std::string_view id,
                          const crypto::Digest& digest) {
  const DigestRecord record{std::string(data_type), std::string(id), digest};
  return vaults.private_vault->Put(DigestDataType(data_type), id, SerializeDigestRecord(record));
}

absl::Status Missing(std::string_view data_type, std::string_view id, const absl::Status& why) {
  return absl::Status(why.code(),
                      absl::StrCat("missing or unreadable public material ", Av(data_type),
                                   " for id=", Av(id), ": ", why.message()));
}

// The digest record of (data_type, id), checked to be well formed and for this object.
absl::StatusOr<DigestRecord> ReadDigestRecord(VaultSet& vaults, std::string_view data_type,
                                              std::string_view id) {
  auto record_bytes = vaults.private_vault->Get(DigestDataType(data_type), id);
  if (!record_bytes.ok()) return Missing(data_type, id, record_bytes.status());
  KMS_ASSIGN_OR_RETURN(DigestRecord record, ParseDigestRecord(*record_bytes));
  if (record.data_type != data_type || record.id != id) {
    return absl::FailedPreconditionError(absl::StrCat("digest record is for ", record.data_type,
                                                      " id=", record.id, ", not for ",
                                                      Av(data_type), " id=", Av(id)));
  }
  return record;
}

absl::Status DigestMismatch(std::string_view data_type, std::string_view id) {
  return absl::DataLossError(absl::StrCat("Public key digest mismatch: ", Av(data_type),
                                          " id=", Av(id),
                                          " does not match the digest recorded in private "
                                          "storage"));
}

}  // namespace

absl::Status VerifyObjectDigest(const DigestRecord& record, std::string_view data_type,
                                std::string_view id, ByteSpan data) {
  if (record.data_type != data_type || record.id != id) {
    return absl::FailedPreconditionError(absl::StrCat("digest record is for ", record.data_type,
                                                      " id=", record.id, ", not for ",
                                                      Av(data_type), " id=", Av(id)));
  }
  if (ObjectDigest(data_type, data) != record.digest) return DigestMismatch(data_type, id);
  return absl::OkStatus();
}

absl::Status PutPublicWithDigest(VaultSet& vaults, std::string_view data_type, std::string_view id,
                                 ByteSpan data) {
  KMS_RETURN_IF_ERROR(CheckDigestName(data_type, id));
  KMS_RETURN_IF_ERROR(vaults.public_vault->Put(data_type, id, data));
  return RecordDigest(vaults, data_type, id, ObjectDigest(data_type, data));
}

absl::Status PutPublicStreamWithDigest(VaultSet& vaults, std::string_view data_type,
                                       std::string_view id, const ObjectProducer& produce) {
  KMS_RETURN_IF_ERROR(CheckDigestName(data_type, id));
  crypto::Shake256 hash;
  StartObjectDigest(hash, data_type);
  KMS_RETURN_IF_ERROR(
      vaults.public_vault->PutStream(data_type, id, HashingProducer(produce, hash)));
  return RecordDigest(vaults, data_type, id, hash.Finish32());
}

absl::StatusOr<Bytes> GetVerifiedPublic(VaultSet& vaults, std::string_view data_type,
                                        std::string_view id) {
  KMS_RETURN_IF_ERROR(CheckDigestName(data_type, id));
  KMS_ASSIGN_OR_RETURN(DigestRecord record, ReadDigestRecord(vaults, data_type, id));
  auto data = vaults.public_vault->Get(data_type, id);
  if (!data.ok()) return Missing(data_type, id, data.status());
  KMS_RETURN_IF_ERROR(VerifyObjectDigest(record, data_type, id, *data));
  return std::move(*data);
}

absl::Status GetVerifiedPublicStream(VaultSet& vaults, std::string_view data_type,
                                     std::string_view id, const ByteSink& sink) {
  KMS_RETURN_IF_ERROR(CheckDigestName(data_type, id));
  KMS_ASSIGN_OR_RETURN(DigestRecord record, ReadDigestRecord(vaults, data_type, id));
  crypto::Shake256 hash;
  StartObjectDigest(hash, data_type);
  absl::Status read = vaults.public_vault->GetStream(data_type, id, HashingSink(sink, hash));
  if (absl::IsNotFound(read)) return Missing(data_type, id, read);
  KMS_RETURN_IF_ERROR(read);
  if (hash.Finish32() != record.digest) return DigestMismatch(data_type, id);
  return absl::OkStatus();
}

}  // namespace kms::storage
