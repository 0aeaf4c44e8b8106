// File: storage/vault.h
//
// What the server keeps where (service-spec §5). A party has three vaults, each a Storage with
// its own prefix:
//   public  (PUB-p<i>)    material anyone may read: PublicKey, VerfKey, VerfAddress, CACert,
//                         ServerKey, CRS
//   private (PRIV-p<i>)   secrets: SigningKey, FheKeyInfo, FhePrivateKey, PrssSetup, Context,
//                         plus the digests of this party's public objects and the SessionLedger
//                         (ids that started MPC sessions; no secret, storage/session_ledger.h)
//   backup  (BACKUP-p<i>, optional) a copy of every private write; restoring means copying it
//                         back and restarting (the boot check verifies the result)
// A centralized server uses PUB, PRIV and BACKUP.
//
// Objects too large for memory (the uncompressed ServerKey, about 1.6 GB) go through the vaults
// streamed (Storage::PutStream / GetStream): the backup copy and the digest below work for them
// too (PutPublicStreamWithDigest, GetVerifiedPublicStream).
//
// Public objects can be replaced by whoever controls the public storage (often a shared bucket),
// so the server records ObjectDigest(type, data) of each public object it writes in its private
// vault (data type "<Type>Digest", same id) and checks them at boot. ObjectDigest is SHAKE-256
// with its own domain separator, so it never collides with another hash of the project.
#ifndef KMS_STORAGE_VAULT_H_
#define KMS_STORAGE_VAULT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/hash.h"
#include "storage/storage.h"
#include "storage/storage_config.h"

namespace kms::storage {

// Data types (service-spec §5). Public:
inline constexpr std::string_view kPublicKey = "PublicKey";
inline constexpr std::string_view kVerfKey = "VerfKey";
inline constexpr std::string_view kVerfAddress = "VerfAddress";
inline constexpr std::string_view kCACert = "CACert";
inline constexpr std::string_view kServerKey = "ServerKey";
inline constexpr std::string_view kCompressedXofKeySet = "CompressedXofKeySet";
inline constexpr std::string_view kPublicKeyMetadata = "PublicKeyMetadata";
inline constexpr std::string_view kCRS = "CRS";
// Private:
inline constexpr std::string_view kSigningKey = "SigningKey";
inline constexpr std::string_view kFheKeyInfo = "FheKeyInfo";
inline constexpr std::string_view kFhePrivateKey = "FhePrivateKey";
inline constexpr std::string_view kPrssSetup = "PrssSetup";
inline constexpr std::string_view kContext = "Context";
// Ids of PRSS inits, preprocessings and key generations ever started (storage/session_ledger.h).
inline constexpr std::string_view kSessionLedger = "SessionLedger";

// Domain separator of ObjectDigest (crypto-spec §1.9 style: 8 ASCII bytes, one per use).
inline constexpr crypto::Dsep kDsepStoredObject = "STOR_OBJ";

enum class VaultRole { kPublic, kPrivate, kBackup };

// "PUB-p3" / "PRIV-p3" / "BACKUP-p3" for party 3; "PUB" / "PRIV" / "BACKUP" without a party
// (centralized).
std::string DefaultVaultPrefix(VaultRole role, std::optional<uint32_t> party_id);

// Opens the backend `config` names. The vault prefix is the config's own prefix, or
// `default_prefix` when that is empty. `private_vault` selects 0600/0700 modes for files. S3
// credentials missing from the config are read from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY;
// a missing S3 region defaults to us-east-1 and a missing endpoint to
// https://s3.<region>.amazonaws.com. Connects to PostgreSQL (and creates its table); does not
// contact S3.
absl::StatusOr<std::unique_ptr<Storage>> MakeStorage(const StorageConfig& config,
                                                     std::string default_prefix,
                                                     bool private_vault);

// A party's vaults. Made by MakeVaultSet, private_vault writes every Put, PutStream and Delete
// through to backup_vault as well (reads come from the private vault only). A write is reported
// as failed if either copy fails; the private copy may then already be written, and the next
// write of the same object repairs the backup. A PutStream's producer runs once, for the private
// vault; the backup copy is then streamed from what the private vault stored (GetStream into the
// backup's PutStream), so a streamed object is read back once and never held whole in memory.
// backup_vault is null when no backup is configured.
struct VaultSet {
  std::unique_ptr<Storage> public_vault;
  std::unique_ptr<Storage> private_vault;
  std::unique_ptr<Storage> backup_vault;
};

// Wires the three storages together as described above. REQUIRES: public_vault and
// private_vault non-null.
VaultSet MakeVaultSet(std::unique_ptr<Storage> public_vault, std::unique_ptr<Storage> private_vault,
                      std::unique_ptr<Storage> backup_vault);

// MakeStorage for each configured vault with the default prefixes for `party_id`, then
// MakeVaultSet.
absl::StatusOr<VaultSet> OpenVaultSet(const StorageConfig& public_config,
                                      const StorageConfig& private_config,
                                      const std::optional<StorageConfig>& backup_config,
                                      std::optional<uint32_t> party_id);

// ---- Digests of public objects ----

// SHAKE256("STOR_OBJ" || u64le(|data_type|) || data_type || data), 32 bytes.
crypto::Digest ObjectDigest(std::string_view data_type, ByteSpan data);
// Feeds ObjectDigest's prefix for `data_type` to a fresh `hash`; the object's bytes follow (e.g.
// through HashingProducer / HashingSink), then hash.Finish32() is ObjectDigest(data_type, data).
void StartObjectDigest(crypto::Shake256& hash, std::string_view data_type);

// The private data type holding the digests of public `data_type` objects: "<data_type>Digest".
// REQUIRES: ValidateDataType(data_type).ok() and data_type.size() <= kMaxDataTypeLength - 6.
std::string DigestDataType(std::string_view data_type);

// What is stored at PRIV/<Type>Digest/<id>: which object, and its digest.
struct DigestRecord {
  std::string data_type;
  std::string id;
  crypto::Digest digest{};

  bool operator==(const DigestRecord&) const = default;
};

// Binary form: "KMSDGST1" || u64le(|type|) || type || u64le(|id|) || id || digest (32 bytes).
Bytes SerializeDigestRecord(const DigestRecord& record);
// DataLoss naming the problem when `data` is not a well-formed record.
absl::StatusOr<DigestRecord> ParseDigestRecord(ByteSpan data);

// OK when `data` matches `record` for (data_type, id); DataLoss ("Public key digest mismatch
// for <type> id=<id>") when the digest differs, FailedPrecondition when the record is for
// another object.
absl::Status VerifyObjectDigest(const DigestRecord& record, std::string_view data_type,
                                std::string_view id, ByteSpan data);

// Writes a public object and records its digest in the private vault (public first: a crash in
// between leaves an object without a digest, which the boot check reports, rather than a digest
// without an object).
absl::Status PutPublicWithDigest(VaultSet& vaults, std::string_view data_type, std::string_view id,
                                 ByteSpan data);

// Reads a public object and checks it against its recorded digest. NotFound ("missing or
// unreadable public material <type> for id=<id>") when the object or its record is missing;
// DataLoss on a mismatch or a corrupt record.
absl::StatusOr<Bytes> GetVerifiedPublic(VaultSet& vaults, std::string_view data_type,
                                        std::string_view id);

// PutPublicWithDigest for an object streamed by `produce` (the ServerKey): the digest is computed
// while the public vault stores the bytes, then recorded. Compose with HashingProducer to get
// another digest of the same bytes on the way (storage.h).
absl::Status PutPublicStreamWithDigest(VaultSet& vaults, std::string_view data_type,
                                       std::string_view id, const ObjectProducer& produce);

// GetVerifiedPublic for a streamed object: streams it to `sink` and checks the digest at the
// end. Errors as GetVerifiedPublic's; the record is read (and checked to be well formed and for
// this object) before any byte reaches `sink`, but a mismatch is only known after the last
// byte, so the sink's bytes are trustworthy only when this returns OK. With a sink that keeps
// nothing it verifies a stored object in constant memory.
absl::Status GetVerifiedPublicStream(VaultSet& vaults, std::string_view data_type,
                                     std::string_view id, const ByteSink& sink);

}  // namespace kms::storage

#endif  // KMS_STORAGE_VAULT_H_
