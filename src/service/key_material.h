// File: service/key_material.h
//
// The party's own keys in storage (service-spec §5) and the boot-time checks over them:
//
//   private vault  SigningKey/<signer_id>    32-byte secp256k1 secret (exactly one per party)
//   public vault   VerfKey/<signer_id>       33-byte compressed verification key
//                  VerfAddress/<signer_id>   EIP-55 address text ("0x2c75...")
//                  CACert/<signer_id>        the party's TLS certificate PEM (threshold mode)
//                  PublicKey/<key_id>        lwe CompactPublicKey encoding
//
// signer_id is the lower-case hex of the 20-byte Ethereum address, without "0x", so the id of
// every object names the key that made it.
//
// The checks return the reference system's messages, which the troubleshooting guide greps for:
//   "Verification key/address in public storage does not match the private signing key"
//   "missing or unreadable public material PublicKey for id=<id>"
//   "Public key digest mismatch for id=<id>"
#ifndef KMS_SERVICE_KEY_MATERIAL_H_
#define KMS_SERVICE_KEY_MATERIAL_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/hash.h"
#include "crypto/secp256k1_signer.h"
#include "storage/storage.h"
#include "storage/vault.h"

namespace kms::service {

// Lower-case hex of the key's Ethereum address, no "0x" (40 characters).
std::string SignerId(const crypto::VerificationKey& key);

// The one signing key of the private vault; nullopt when there is none. FAILED_PRECONDITION
// when there are several (the operator must remove the stale one), DATA_LOSS when the stored
// bytes are not a valid key or its id is not its own address.
absl::StatusOr<std::optional<crypto::SigningKey>> LoadSigningKey(storage::Storage& private_vault);

// Writes SigningKey (private) and VerfKey + VerfAddress (public) for `key`.
absl::Status StoreSigningKey(storage::VaultSet& vaults, const crypto::SigningKey& key);

// Checks VerfKey/<signer_id> and VerfAddress/<signer_id> against `key`. FAILED_PRECONDITION
// with the reference's message (and what differs) when they are missing or different.
absl::Status VerifyPublishedVerificationKey(storage::Storage& public_vault,
                                            const crypto::SigningKey& key);

// SHAKE256("PDAT_KEY" ‖ public key bytes): the digest recorded with every key
// (mpc::PublicKeyDigest of the parsed key gives the same value).
crypto::Digest PublicKeyBytesDigest(ByteSpan public_key_bytes);

// Reads PublicKey/<key_id> and compares its digest with `expected`. NOT_FOUND "missing or
// unreadable public material PublicKey for id=<id>: <why>"; DATA_LOSS "Public key digest
// mismatch for id=<id>". Returns the bytes.
absl::StatusOr<Bytes> ReadVerifiedPublicKey(storage::Storage& public_vault, std::string_view key_id,
                                            const crypto::Digest& expected);

}  // namespace kms::service

#endif  // KMS_SERVICE_KEY_MATERIAL_H_
