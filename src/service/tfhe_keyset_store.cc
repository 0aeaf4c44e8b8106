#include "service/tfhe_keyset_store.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "service/key_material.h"
#include "storage/vault.h"
#include "tfhe/safe_serialize.h"

namespace kms::service {
namespace {

// Streams `bytes` to the vault, hashing what is stored.
absl::StatusOr<crypto::Digest> PutHashed(storage::Storage& vault, std::string_view type,
                                         std::string_view id, ByteSpan bytes) {
  crypto::Shake256 h;
  h.Update(crypto::kDsepPublicKeyData);
  const storage::ObjectProducer produce = [bytes](const storage::ByteSink& write) -> absl::Status {
    constexpr size_t kPiece = size_t{16} << 20;
    for (size_t at = 0; at < bytes.size(); at += kPiece) {
      KMS_RETURN_IF_ERROR(write(bytes.subspan(at, std::min(kPiece, bytes.size() - at))));
    }
    return absl::OkStatus();
  };
  KMS_RETURN_IF_ERROR(vault.PutStream(type, id, storage::HashingProducer(produce, h)));
  return h.Finish32();
}

absl::Status CheckStreamed(storage::Storage& vault, std::string_view type, std::string_view id,
                           const crypto::Digest& expected) {
  crypto::Shake256 h;
  h.Update(crypto::kDsepPublicKeyData);
  absl::Status read =
      vault.GetStream(type, id, storage::HashingSink([](ByteSpan) { return absl::OkStatus(); }, h));
  if (!read.ok()) {
    return absl::NotFoundError(absl::StrCat("missing or unreadable public material ",
                                            std::string(type), " for id=", std::string(id), ": ",
                                            read.message()));
  }
  if (h.Finish32() != expected) {
    return absl::DataLossError(
        absl::StrCat(std::string(type), " digest mismatch for id=", std::string(id), " (",
                     vault.Describe(), "/", std::string(type), "/", std::string(id),
                     " differs from the digest recorded with the key)"));
  }
  return absl::OkStatus();
}

// kms's `PublicKeyType` enum, versioned: V0, variant 0 = Compact (the only one).
struct PublicKeyType {
  uint32_t variant = 0;
};
void Convert(tfhe::Codec& c, PublicKeyType& v) {
  c.VersionTag(0, "PublicKeyTypeVersions");
  c.Variant(v.variant, 1, "PublicKeyType");
}
constexpr std::string_view kPublicKeyTypeName = "PublicKeyType";

}  // namespace

Bytes CompactPublicKeyMetadata() {
  // Cannot fail: a fixed value far below the size limit.
  return *tfhe::SafeSerialize(PublicKeyType{}, kPublicKeyTypeName);
}

absl::StatusOr<PublishedTfheKeyset> PublishTfheKeyset(storage::Storage& public_vault,
                                                      std::string_view key_id,
                                                      const tfhe::CompactPublicKey& public_key,
                                                      const tfhe::PublishedServerKey& server_key,
                                                      const tfhe::CompressedXofKeySet* compressed) {
  PublishedTfheKeyset out;
  KMS_ASSIGN_OR_RETURN(out.public_key, tfhe::SerializeCompactPublicKey(public_key));
  out.public_key_digest = PublicKeyBytesDigest(out.public_key);
  if (compressed != nullptr) {
    KMS_ASSIGN_OR_RETURN(Bytes bytes, tfhe::SerializeCompressedXofKeySet(*compressed));
    KMS_ASSIGN_OR_RETURN(out.compressed_keyset_digest,
                         PutHashed(public_vault, storage::kCompressedXofKeySet, key_id, bytes));
  }
  {
    // The serialized server key is the one copy held at a time (1.6 GB at tfhe-default).
    KMS_ASSIGN_OR_RETURN(Bytes bytes, tfhe::SerializePublishedServerKey(server_key));
    KMS_ASSIGN_OR_RETURN(out.server_key_digest,
                         PutHashed(public_vault, storage::kServerKey, key_id, bytes));
  }
  KMS_RETURN_IF_ERROR(
      public_vault.Put(storage::kPublicKeyMetadata, key_id, CompactPublicKeyMetadata()));
  KMS_RETURN_IF_ERROR(public_vault.Put(storage::kPublicKey, key_id, out.public_key));
  return out;
}

absl::StatusOr<Bytes> VerifyPublishedTfheKeyset(storage::Storage& public_vault,
                                                std::string_view key_id,
                                                const PublishedTfheKeyset& expected) {
  KMS_ASSIGN_OR_RETURN(Bytes public_key,
                       ReadVerifiedPublicKey(public_vault, key_id, expected.public_key_digest));
  KMS_RETURN_IF_ERROR(
      CheckStreamed(public_vault, storage::kServerKey, key_id, expected.server_key_digest));
  if (expected.compressed_keyset_digest != crypto::Digest{}) {
    KMS_RETURN_IF_ERROR(CheckStreamed(public_vault, storage::kCompressedXofKeySet, key_id,
                                      expected.compressed_keyset_digest));
  }
  const std::string metadata_type(storage::kPublicKeyMetadata);
  absl::StatusOr<Bytes> metadata = public_vault.Get(metadata_type, key_id);
  if (!metadata.ok()) {
    return absl::NotFoundError(absl::StrCat("missing or unreadable public material ", metadata_type,
                                            " for id=", std::string(key_id), ": ",
                                            metadata.status().message()));
  }
  if (*metadata != CompactPublicKeyMetadata()) {
    return absl::DataLossError(absl::StrCat(metadata_type, " for id=", std::string(key_id),
                                            " is not the PublicKeyType::Compact blob"));
  }
  return public_key;
}

absl::StatusOr<PublicKeyInfo> StoreTfheKeyRecord(storage::Storage& private_vault,
                                                 std::string_view type, const Id32& key_id,
                                                 PublishedTfheKeyset published,
                                                 TfheKeyRecord& record) {
  record.public_key_digest = published.public_key_digest;
  record.server_key_digest = published.server_key_digest;
  record.compressed_keyset_digest = published.compressed_keyset_digest;
  KMS_ASSIGN_OR_RETURN(crypto::SecretBytes stored, SerializeTfheKeyRecord(record));
  KMS_RETURN_IF_ERROR(private_vault.Put(type, IdToHex(key_id), stored.span()));
  return PublicKeyInfo{key_id,
                       std::move(published.public_key),
                       published.public_key_digest,
                       published.server_key_digest,
                       published.compressed_keyset_digest,
                       record.params,
                       record.insecure};
}

absl::StatusOr<LoadedTfheKey> LoadTfheKeyRecord(storage::Storage& private_vault,
                                                storage::Storage& public_vault,
                                                std::string_view type, std::string_view key_id,
                                                ByteSpan raw, bool want_share) {
  const std::string where =
      absl::StrCat(std::string(type), "/", std::string(key_id), " in ", private_vault.Describe());
  absl::StatusOr<TfheKeyRecord> record = ParseTfheKeyRecord(raw);
  if (!record.ok())
    return absl::DataLossError(absl::StrCat(where, ": ", record.status().message()));
  if (want_share != record->share.has_value()) {
    return absl::DataLossError(
        absl::StrCat(where, want_share ? ": a centralized client key, not a key share"
                                       : ": a threshold key share, not a client key"));
  }
  absl::StatusOr<Id32> id = ParseId(absl::StrCat(std::string(type), " id"), key_id);
  if (!id.ok()) return absl::DataLossError(std::string(id.status().message()));
  const PublishedTfheKeyset published{
      {}, record->public_key_digest, record->server_key_digest, record->compressed_keyset_digest};
  KMS_ASSIGN_OR_RETURN(Bytes public_key,
                       VerifyPublishedTfheKeyset(public_vault, key_id, published));
  PublicKeyInfo info{*id,
                     std::move(public_key),
                     record->public_key_digest,
                     record->server_key_digest,
                     record->compressed_keyset_digest,
                     record->params,
                     record->insecure};
  return LoadedTfheKey{*std::move(record), std::move(info)};
}

absl::StatusOr<std::shared_ptr<const tfhe::ComputeKeys>> ComputeKeyCache::Get(
    storage::Storage& public_vault, const PublicKeyInfo& key) {
  const std::string id = IdToHex(key.key_id);
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<Entry>& slot = entries_[id];
    if (slot == nullptr) slot = std::make_shared<Entry>();
    entry = slot;
  }
  std::lock_guard<std::mutex> lock(entry->mu);
  if (entry->keys != nullptr) return entry->keys;
  absl::StatusOr<Bytes> bytes = public_vault.Get(storage::kServerKey, id);
  if (!bytes.ok()) {
    return absl::NotFoundError(absl::StrCat("missing or unreadable public material ",
                                            std::string(storage::kServerKey), " for id=", id, ": ",
                                            bytes.status().message()));
  }
  if (PublicKeyBytesDigest(*bytes) != key.server_key_digest) {
    return absl::DataLossError(
        absl::StrCat(std::string(storage::kServerKey), " digest mismatch for id=", id, " (",
                     public_vault.Describe(), " differs from the digest recorded with the key)"));
  }
  absl::StatusOr<tfhe::PublishedServerKey> published = tfhe::ParsePublishedServerKey(*bytes);
  bytes->clear();
  bytes->shrink_to_fit();
  if (!published.ok()) {
    return absl::DataLossError(
        absl::StrCat("ServerKey/", id, " does not parse: ", published.status().message()));
  }
  absl::StatusOr<tfhe::ComputeKeys> keys = tfhe::LoadPublishedServerKey(*published);
  if (!keys.ok()) {
    return absl::DataLossError(
        absl::StrCat("ServerKey/", id, " does not load: ", keys.status().message()));
  }
  entry->keys = std::make_shared<const tfhe::ComputeKeys>(std::move(*keys));
  return entry->keys;
}

absl::StatusOr<std::vector<mpc::TfheDecryptionInput>> ComputeKeyCache::DecryptionInputs(
    storage::Storage& public_vault, const PublicKeyInfo& key, const mpc::TfheKeyShare& share,
    std::span<const TfheCiphertext> cts) {
  std::shared_ptr<const tfhe::ComputeKeys> compute;
  if (NeedsComputeKeys(cts)) {
    KMS_ASSIGN_OR_RETURN(compute, Get(public_vault, key));
  }
  return TfheDecryptionInputs(cts, share, compute.get());
}

}  // namespace kms::service
