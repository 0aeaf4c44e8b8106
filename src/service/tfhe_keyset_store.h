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

#include <string_view>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/hash.h"
#include "service/engine.h"
#include "service/tfhe_key_record.h"
#include "storage/storage.h"
#include "tfhe/compact_public_key.h"
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

}  // namespace kms::service

#endif  // KMS_SERVICE_TFHE_KEYSET_STORE_H_
