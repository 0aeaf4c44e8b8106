// File: crypto/signcryption.h
//
// The envelope that carries one party's user-decryption share to the user (crypto-spec A.2, B §5):
// sign-then-encrypt, so only the user can read the share and the user can prove which party made
// it, for which encryption key and for which request.
//
//   Signcrypt(signing_key, recipient_pk, payload, link):
//     d   = SHAKE256("USER_DEC" ‖ payload ‖ link ‖ SHAKE256("SIGNCRYP" ‖ recipient_pk))   32 bytes
//     sig = signing_key.SignDigest(d)                                   65 bytes r ‖ s ‖ v
//     ct  = HybridEncrypt(X25519Kem, recipient_pk,
//                         payload ‖ sig ‖ compressed verification key (33 bytes), aad = link)
//   Unsigncrypt(recipient_sk, ct, link, expected_signer):
//     HybridDecrypt (fails for another recipient, another link or any tampered byte), split the
//     trailer, check that the verification key is the expected signer's address, recompute d with
//     the recipient's own public key and verify sig.
//
// Why each piece is there:
//  - The recipient's public key inside d: a share signcrypted to user A, decrypted by A and
//    re-encrypted to user B fails at B (the signature names A's key), so a party's share cannot
//    be forwarded to another user as if it had been made for them.
//  - The link (the EIP-712 digest of UserDecryptionLinker{enc key, handles, user address}) is
//    both signed and the AEAD's additional data: a share cannot be moved to another request.
//  - The payload length is implicit (everything before the fixed 98-byte trailer), and the digest
//    input ends with two fixed-size fields, so no two (payload, link) pairs hash alike.
// Departure from the reference: it signs with SHA-256 over the concatenation and appends a digest
// of the server's key; here the digest is the project's SHAKE-256 with its domain separator and
// the signature is recoverable (r ‖ s ‖ v), and the whole compressed key travels so the user
// needs only the party's address to check it.
//
// The outer EIP-712 signature of a user-decryption response covers the "userDecryptedShare"
// bytes; EncodeUserDecryptedShares defines them (one deterministic encoding for server and
// client, independent of protobuf's serializer).
//
// Thread safety: stateless; every function may run concurrently.
#ifndef KMS_CRYPTO_SIGNCRYPTION_H_
#define KMS_CRYPTO_SIGNCRYPTION_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/hash.h"
#include "crypto/secp256k1_signer.h"
#include "crypto/secure_zero.h"

namespace kms::crypto {

// Bytes appended to the payload inside the hybrid ciphertext: signature and compressed key.
inline constexpr size_t kSigncryptionTrailerSize = 65 + VerificationKey::kCompressedSize;
// Largest payload accepted (the hybrid layer's own bound minus the trailer).
inline constexpr size_t kMaxSigncryptionPayload = (size_t{1} << 30) - kSigncryptionTrailerSize;

// SHAKE256("USER_DEC" ‖ payload ‖ link ‖ SHAKE256("SIGNCRYP" ‖ recipient_public_key)): the
// digest the inner signature covers.
Digest SigncryptionDigest(ByteSpan payload, const Digest& link, ByteSpan recipient_public_key);

// Signs and encrypts `payload` to `recipient_public_key` (an X25519 public key, 32 bytes).
// InvalidArgument naming the problem for a malformed key or a payload over
// kMaxSigncryptionPayload.
[[nodiscard]] absl::StatusOr<Bytes> Signcrypt(const SigningKey& signing_key,
                                              ByteSpan recipient_public_key, ByteSpan payload,
                                              const Digest& link);

// Decrypts and checks an envelope made by Signcrypt. Errors (InvalidArgument, never containing
// payload bytes):
//   "signcryption: cannot decrypt ..."    another recipient's envelope, a wrong link, tampering,
//                                          truncation (from HybridDecrypt, with its reason)
//   "signcryption: envelope too short"    fewer bytes than the trailer
//   "signcryption: signed by <address>, expected <address>"   another signer
//   "signcryption: bad signature ..."     signature not over this payload, link and recipient
//                                          (e.g. a share re-encrypted to another user)
// The returned payload is the caller's; intermediate plaintext buffers are zeroed.
[[nodiscard]] absl::StatusOr<Bytes> Unsigncrypt(const SecretBytes& recipient_private_key,
                                                ByteSpan ciphertext, const Digest& link,
                                                const EthAddress& expected_signer);

// One ciphertext's entry in a user-decryption response (kms.v1.UserDecryptionShare).
struct SigncryptedShare {
  std::string fhe_type;
  Bytes external_handle;
  uint32_t block_count = 0;
  uint32_t packing_factor = 0;
  Bytes signcrypted_share;
};

// What a user-decryption response signs besides its shares.
struct UserDecryptedShareHeader {
  uint32_t party_id = 0;     // 0 in centralized mode
  uint32_t degree = 0;       // t (0 in centralized mode)
  uint32_t num_parties = 0;  // n (1 in centralized mode)
  std::string fhe_parameter;
};

// The "userDecryptedShare" bytes of UserDecryptResponseVerification, all integers
// little-endian:
//   "KMSUDS01" ‖ u32 party_id ‖ u32 degree ‖ u32 num_parties ‖ u32 |fhe_parameter| ‖ fhe_parameter
//   ‖ u32 share count ‖ per share: u32 |fhe_type| ‖ fhe_type ‖ u32 |handle| ‖ handle
//   ‖ u32 block_count ‖ u32 packing_factor ‖ u64 |signcrypted_share| ‖ signcrypted_share
// Deterministic: the same fields always give the same bytes.
Bytes EncodeUserDecryptedShares(const UserDecryptedShareHeader& header,
                                std::span<const SigncryptedShare> shares);

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_SIGNCRYPTION_H_
