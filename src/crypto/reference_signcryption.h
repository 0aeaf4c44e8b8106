// File: crypto/reference_signcryption.h
//
// User-decryption signcryption exactly as the reference system kms v0.12.8 and its WASM client
// node-tkms 0.12.8 do it (interop-kms-client.md §2), so that a relayer-sdk wallet can read our
// parties' responses unchanged. All integers are little-endian (bincode fixint, "legacy" config).
//
// The user's key (§2.2). enc_key, as the request carries it, is one of
//   - 869 bytes, tfhe-rs safe_serialize(UnifiedPublicEncKey::MlKem512(ek)):
//       the 57-byte versioning header (kUserEncKeyHeader) ‖ u32 variant (0 = 512, 1 = 1024)
//       ‖ u64 |ek| ‖ ek (800 bytes; 1568 for the 1024 variant);
//   - the legacy bincode ML-KEM-1024 key u64 1568 ‖ ek (relayer-sdk <= 0.2), tried first.
// The signcryption hashes bincode(PublicEncKey) = u64 |ek| ‖ ek, never the 869 bytes; the link
// hashes the bytes as received; the EIP-712 publicKey field takes the re-serialized safe form for
// ML-KEM-512 and bincode(ek) for ML-KEM-1024 (UserEncKey::eip712_public_key).
//
// Signcrypt(signer, user key, client_address, msg) (§2.3 b5):
//   to_sign = "USER_DEC" ‖ msg ‖ client_address (20 B) ‖ SHAKE256-32("SIGNCRYP" ‖ u64 |ek| ‖ ek)
//   sig     = ECDSA-secp256k1(SHA-256(to_sign)), low-S, 64 bytes r ‖ s
//   trailer = SHAKE256-32("SIGNCRYP" ‖ u64 33 ‖ compressed verification key)
//   (kem_ct, K) = ML-KEM.Encaps(ek); AES-256-GCM with key K, a random 12-byte nonce, no AAD
//   output  = nonce (12) ‖ u64 |kem_ct| ‖ kem_ct ‖ u64 |sealed| ‖ sealed   (bincode HybridKemCt)
//   where sealed = AES-GCM(msg ‖ sig ‖ trailer) ‖ tag.
// msg is bincode(SigncryptionPayload{TypedPlaintext{bytes, fhe_type}, link})
//   = u64 |bytes| ‖ bytes ‖ i32 fhe_type ‖ u64 32 ‖ link.
// For a threshold party `bytes` is bincode(Vec<ResiduePolyF4Z128>) = u64 count ‖ count × 4 u128
// (its packed shares); for a centralized server it is the plaintext itself.
//
// A party's response (§2.3 c-e):
//   payload = bincode(UserDecryptionResponsePayload{ verification_key = u64 33 ‖ 33-byte key,
//             digest = link, entries, party_id (1-based), degree (t; 0 centralized) })
//     with each entry i32 fhe_type ‖ u64 |ct| ‖ ct ‖ u64 |handle| ‖ handle ‖ u32 packing_factor
//   external_signature = 65-byte EIP-712 signature (v = 27/28) of
//     UserDecryptResponseVerification{publicKey, ctHandles = left-pad32(handles),
//                                     userDecryptedShare = payload, extraData = ""}
//   signature (legacy) = 64-byte ECDSA(SHA-256("USER_DEC" ‖ payload))
//   extra_data = empty.
//
// Every parser here reads outside bytes: it checks each length against what remains before it
// allocates, rejects trailing bytes, and fails with InvalidArgument naming the field.
//
// Thread safety: stateless; every function may run concurrently.
#ifndef KMS_CRYPTO_REFERENCE_SIGNCRYPTION_H_
#define KMS_CRYPTO_REFERENCE_SIGNCRYPTION_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algebra/galois_ring.h"
#include "common/bytes.h"
#include "crypto/eip712.h"
#include "crypto/hash.h"
#include "crypto/ml_kem.h"
#include "crypto/secp256k1_signer.h"
#include "crypto/secure_zero.h"

namespace kms::crypto::reference {

// The 57 bytes of the tfhe-rs safe_serialize header of a UnifiedPublicEncKey:
// String "0.5", Versioned, String "0.1", String "UnifiedPublicEncKey",
// UnifiedPublicEncKeyVersioned::V0.
inline constexpr size_t kUserEncKeyHeaderSize = 57;
extern const std::array<uint8_t, kUserEncKeyHeaderSize> kUserEncKeyHeader;
// 57 + u32 variant + u64 800 + 800.
inline constexpr size_t kUserEncKeySize = kUserEncKeyHeaderSize + 4 + 8 + 800;  // 869
inline constexpr size_t kHybridNonceSize = 12;
inline constexpr size_t kAesGcmTagSize = 16;
inline constexpr size_t kInnerSignatureSize = 64;
inline constexpr size_t kTrailerSize = 32;
// bincode(PublicSigKey): u64 33 ‖ compressed SEC1 key.
inline constexpr size_t kPublicSigKeySize = 8 + VerificationKey::kCompressedSize;  // 41
// Bounds on what a hostile sender can make us allocate.
inline constexpr size_t kMaxSigncryptedSize = size_t{1} << 26;
inline constexpr size_t kMaxResponseEntries = 1 << 12;
inline constexpr size_t kMaxHandleSize = 32;

using Signature64 = std::array<uint8_t, 64>;

// The user's public encryption key as parsed from a request.
struct UserEncKey {
  const MlKemParameters* params = nullptr;  // &kMlKem512 or &kMlKem1024
  Bytes ek;                                 // the FIPS 203 encapsulation key
  Bytes encoded;                            // enc_key as received (hashed in the link)
  Bytes eip712_public_key;                  // the EIP-712 publicKey bytes of §2.3 d
};

// safe_serialize(UnifiedPublicEncKey) of a FIPS 203 key: 869 bytes for ML-KEM-512 (what
// node-tkms' ml_kem_pke_pk_to_u8vec returns), 1637 for ML-KEM-1024. InvalidArgument if ek does
// not have the parameter set's length.
[[nodiscard]] absl::StatusOr<Bytes> EncodeUserEncKey(const MlKemParameters& params, ByteSpan ek);
// The legacy bincode ML-KEM-1024 key: u64 1568 ‖ ek.
[[nodiscard]] absl::StatusOr<Bytes> EncodeLegacyUserEncKey(ByteSpan ek1024);
// Parses enc_key like the v0.12.8 server: legacy bincode ML-KEM-1024 first, then the safe form;
// runs the FIPS 203 encapsulation-key check.
[[nodiscard]] absl::StatusOr<UserEncKey> ParseUserEncKey(ByteSpan enc_key);

// bincode(PrivateEncKey) = u64 |dk| ‖ dk (ml_kem_pke_sk_to_u8vec), and its parser (ML-KEM-512
// or -1024 by length; runs the FIPS 203 decapsulation-key check). The result is secret.
SecretBytes EncodeUserDecKey(const SecretBytes& dk);
[[nodiscard]] absl::StatusOr<SecretBytes> ParseUserDecKey(ByteSpan encoded);

// bincode(PublicSigKey) = u64 33 ‖ compressed key, and its parser (33- or 65-byte SEC1 inside).
Bytes EncodePublicSigKey(const VerificationKey& key);
[[nodiscard]] absl::StatusOr<VerificationKey> ParsePublicSigKey(ByteSpan encoded);

// SHAKE256-32("SIGNCRYP" ‖ u64 |ek| ‖ ek): the key digest inside the inner signature.
Digest UserKeyDigest(const UserEncKey& key);
// SHAKE256-32("SIGNCRYP" ‖ bincode(PublicSigKey)): the trailer after the inner signature.
Digest SignerKeyTrailer(const VerificationKey& key);

// 64-byte r ‖ s (low-S) over SHA-256(message), and its check (false for high-S or any other
// key or message).
Signature64 SignSha256(const SigningKey& key, ByteSpan message);
bool VerifySha256(const VerificationKey& key, ByteSpan message, ByteSpan signature);

// bincode(SigncryptionPayload) and its parser.
struct SigncryptionPayload {
  Bytes plaintext;  // TypedPlaintext.bytes
  int32_t fhe_type = 0;
  Bytes link;  // 32 bytes from our side; whatever length the bytes say when parsed
};
Bytes EncodeSigncryptionPayload(ByteSpan plaintext, int32_t fhe_type, ByteSpan link);
[[nodiscard]] absl::StatusOr<SigncryptionPayload> ParseSigncryptionPayload(ByteSpan msg);

// bincode(Vec<ResiduePolyF4Z128>) and its parser (at most max_count elements).
Bytes EncodeResiduePolys(std::span<const algebra::Gr128> polys);
[[nodiscard]] absl::StatusOr<std::vector<algebra::Gr128>> ParseResiduePolys(ByteSpan data,
                                                                            size_t max_count);

// bincode(HybridKemCt) and its parser.
struct HybridKemCt {
  std::array<uint8_t, kHybridNonceSize> nonce{};
  Bytes kem_ct;
  Bytes sealed;  // AES-GCM ciphertext ‖ tag
};
Bytes EncodeHybridKemCt(const HybridKemCt& ct);
[[nodiscard]] absl::StatusOr<HybridKemCt> ParseHybridKemCt(ByteSpan data);

// Signcrypts msg (see above) with fresh randomness.
[[nodiscard]] absl::StatusOr<Bytes> Signcrypt(const SigningKey& signer, const UserEncKey& user_key,
                                              const EthAddress& client_address, ByteSpan msg);
// The same with the ML-KEM message m (32 bytes) and the nonce given: deterministic, for
// known-answer tests only.
[[nodiscard]] absl::StatusOr<Bytes> SigncryptDeterministic(const SigningKey& signer,
                                                           const UserEncKey& user_key,
                                                           const EthAddress& client_address,
                                                           ByteSpan msg, ByteSpan kem_message,
                                                           ByteSpan nonce);

// The client's side: decrypts with the user's FIPS 203 decapsulation key, checks the trailer
// names `signer` and the inner signature, and returns msg. InvalidArgument on any failure
// (never with plaintext bytes in the message).
[[nodiscard]] absl::StatusOr<Bytes> Unsigncrypt(const SecretBytes& dk, const UserEncKey& user_key,
                                                const EthAddress& client_address,
                                                const VerificationKey& signer, ByteSpan ciphertext);

// One entry of a response payload (TypedSigncryptedCiphertext).
struct SigncryptedEntry {
  int32_t fhe_type = 0;
  Bytes signcrypted_ciphertext;
  Bytes external_handle;
  uint32_t packing_factor = 0;
};

// UserDecryptionResponsePayload.
struct UserDecryptionPayload {
  Bytes verification_key;  // bincode(PublicSigKey)
  Bytes digest;            // the link
  std::vector<SigncryptedEntry> entries;
  uint32_t party_id = 0;
  uint32_t degree = 0;
};
Bytes EncodeUserDecryptionPayload(const UserDecryptionPayload& payload);
[[nodiscard]] absl::StatusOr<UserDecryptionPayload> ParseUserDecryptionPayload(ByteSpan data);

// A handle as bytes32: left-padded with zeros (empty = zero). InvalidArgument over 32 bytes.
[[nodiscard]] absl::StatusOr<Digest> HandleWord(ByteSpan handle);

// The link: EIP-712 digest of UserDecryptionLinker{enc_key as received, handles, client}.
[[nodiscard]] absl::StatusOr<Digest> ComputeLink(const Eip712Domain& domain,
                                                 const UserEncKey& user_key,
                                                 std::span<const Bytes> handles,
                                                 const EthAddress& client_address);

// The digest external_signature signs (extraData empty), for the payload's entries' handles.
[[nodiscard]] absl::StatusOr<Digest> UserDecryptResponseDigest(const Eip712Domain& domain,
                                                               const UserEncKey& user_key,
                                                               const UserDecryptionPayload& payload,
                                                               ByteSpan payload_bytes);

// What one party sends back for one UserDecryptionRequest (kms.v1.UserDecryptionResponse).
struct UserDecryptionResponse {
  Bytes payload;                   // bincode(UserDecryptionResponsePayload)
  Signature65 external_signature;  // EIP-712, v = 27/28
  Signature64 signature;           // legacy SHA-256("USER_DEC" ‖ payload)
  Bytes extra_data;                // always empty in v0.12.8
};

// One ciphertext's input to a response: the bytes to signcrypt (packed shares for a threshold
// party, the little-endian plaintext for a centralized server).
struct ResponseEntryInput {
  int32_t fhe_type = 0;
  Bytes external_handle;
  uint32_t packing_factor = 0;
  Bytes plaintext;
};

// Builds a party's whole response: signcrypts each entry, encodes the payload, signs it.
// party_id is 1-based; degree is t for a threshold party and 0 for a centralized server.
[[nodiscard]] absl::StatusOr<UserDecryptionResponse> MakeUserDecryptionResponse(
    const SigningKey& signer, const Eip712Domain& domain, const UserEncKey& user_key,
    const EthAddress& client_address, std::span<const ResponseEntryInput> entries,
    uint32_t party_id, uint32_t degree);

}  // namespace kms::crypto::reference

#endif  // KMS_CRYPTO_REFERENCE_SIGNCRYPTION_H_
