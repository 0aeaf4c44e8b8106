// File: service/tfhe_keyset_store.h
//
// The public half of a tfhe-rs keyset in the public vault, as kms v0.12.8 publishes it
// (interop-tfhe-1.4.md §3.1), every object a tfhe-rs safe_serialize blob:
//   PublicKey/<key_id>            the CompactPublicKey (tens of KB)
//   ServerKey/<key_id>            the uncompressed ServerKey, Fourier-domain bootstrapping keys
//                                 (about 1.6 GB at tfhe-default: written with PutStream)
//   CompressedXofKeySet/<key_id>  the CompressedXofKeySet the two expand from (threshold DKG
//                                 only; tens of MB), for clients that can use it
//   PublicKeyMetadata/<key_id>    kms's PublicKeyType::Compact, safe_serialize (55 bytes; the
//                                 same for every key, checked at boot, not signed)
// Each with the digest the reference signs, SHAKE256("PDAT_KEY" ‖ stored bytes), recorded in the
// private key record (tfhe_key_record.h) and checked at boot.
#ifndef KMS_SERVICE_TFHE_KEYSET_STORE_H_
#define KMS_SERVICE_TFHE_KEYSET_STORE_H_

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/hash.h"
#include "service/engine.h"
#include "service/tfhe_ciphertext.h"
#include "service/tfhe_key_record.h"
#include "storage/storage.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/keyset.h"
#include "tfhe/published_server_key.h"
#include "tfhe/xof_key_set.h"

namespace kms::service {

struct PublishedTfheKeyset {
  Bytes public_key;  // the stored PublicKey bytes
  crypto::Digest public_key_digest{};
  crypto::Digest server_key_digest{};
  crypto::Digest compressed_keyset_digest{};  // zero when none was published
};

// The PublicKeyMetadata blob: kms v0.12.8's PublicKeyType::Compact (interop-tfhe-1.4.md §1.1).
Bytes CompactPublicKeyMetadata();

// Writes the objects above (CompressedXofKeySet only when `compressed` is not null), the server
// key streamed.
absl::StatusOr<PublishedTfheKeyset> PublishTfheKeyset(storage::Storage& public_vault,
                                                      std::string_view key_id,
                                                      const tfhe::CompactPublicKey& public_key,
                                                      const tfhe::PublishedServerKey& server_key,
                                                      const tfhe::CompressedXofKeySet* compressed);

// Reads the published objects back and checks them against the digests recorded with the key
// (the server key streamed, never whole in memory) and the PublicKeyMetadata against its one
// value. NOT_FOUND "missing or unreadable public material <type> for id=<id>"; DATA_LOSS
// "<type> digest mismatch for id=<id>" or "PublicKeyMetadata for id=<id> is not …". Returns the
// PublicKey bytes.
absl::StatusOr<Bytes> VerifyPublishedTfheKeyset(storage::Storage& public_vault,
                                                std::string_view key_id,
                                                const PublishedTfheKeyset& expected);

// The commit of a new keyset, after PublishTfheKeyset: records `published`'s digests in `record`,
// writes it to <type>/<key_id> in the private vault and returns the PublicKeyInfo it describes
// (LoadTfheKeyRecord reads it back at boot). The caller moves the secret out of `record` after.
absl::StatusOr<PublicKeyInfo> StoreTfheKeyRecord(storage::Storage& private_vault,
                                                 std::string_view type, const Id32& key_id,
                                                 PublishedTfheKeyset published,
                                                 TfheKeyRecord& record);

// A keyset's private record as an engine loads it at boot: parsed, of the kind the engine holds
// (`want_share`: the threshold engine's key share, otherwise the centralized ClientKey), its
// public objects checked against the digests it records, and the PublicKeyInfo it describes.
// DATA_LOSS names `<type>/<id> in <private vault>` and the problem.
struct LoadedTfheKey {
  TfheKeyRecord record;
  PublicKeyInfo info;
};
absl::StatusOr<LoadedTfheKey> LoadTfheKeyRecord(storage::Storage& private_vault,
                                                storage::Storage& public_vault,
                                                std::string_view type, std::string_view key_id,
                                                ByteSpan raw, bool want_share);

// The computing form of each keyset's published ServerKey (tfhe::LoadPublishedServerKey), which
// the Small formats' decryption squashes with: read from the public vault on first use, checked
// against the digest the key record holds (DATA_LOSS on a mismatch), kept for the life of the
// engine (about the published size: 1.6 GB at tfhe-default, a few MB at tfhe-test). Concurrent
// first uses of one key load it once.
class ComputeKeyCache {
 public:
  // TfheDecryptionInputs of `cts` under the keyset `key` (`share`: the party's shares, or the
  // whole key), loading the ComputeKeys first when a Small format needs them.
  absl::StatusOr<std::vector<mpc::TfheDecryptionInput>> DecryptionInputs(
      storage::Storage& public_vault, const PublicKeyInfo& key, const mpc::TfheKeyShare& share,
      std::span<const TfheCiphertext> cts);

 private:
  absl::StatusOr<std::shared_ptr<const tfhe::ComputeKeys>> Get(storage::Storage& public_vault,
                                                               const PublicKeyInfo& key);

  struct Entry {
    std::mutex mu;
    std::shared_ptr<const tfhe::ComputeKeys> keys;  // null until loaded
  };
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

}  // namespace kms::service

#endif  // KMS_SERVICE_TFHE_KEYSET_STORE_H_
