// File: crypto/hybrid_encryption.h
//
// Public-key encryption to a user, for user decryption (crypto-spec A.2, B §5): each KMS party
// encrypts its share of a user's plaintext to the key the user put in the request, so only that
// user can reconstruct it. A KEM (key encapsulation mechanism) gives a fresh 32-byte secret per
// message, which keys AES-256-GCM.
//
// The reference system uses ML-KEM-512, which Debian 12 has no library for; this project uses
// X25519 and keeps the KEM behind the Kem interface so that ML-KEM can be added as another
// implementation, recognised by its id in the ciphertext, without touching callers.
//
// X25519Kem ("KMS-HPKE-X25519-v1"):
//   key pair      : 32-byte X25519 private key, 32-byte public key (RFC 7748)
//   encapsulation : the 32-byte public key of a fresh ephemeral key pair
//   shared secret : HKDF-SHA256(ikm  = X25519(ephemeral private, recipient public),
//                               salt = ephemeral public ‖ recipient public,
//                               info = "KMS-HPKE-X25519-v1") -> 32 bytes
//   Both public keys in the salt bind the secret to this exchange. A public key of small order
//   (X25519 output all zero) is rejected.
//
// Hybrid ciphertext (HybridEncrypt's output), all integers little-endian:
//   offset  size  field
//   0       1     format version, 0x01 (AES-256-GCM, 12-byte nonce, 16-byte tag)
//   1       4     u32 length L1 of the KEM id, 1..64
//   5       L1    KEM id, ASCII: Kem::name()
//   .       4     u32 length L2 of the encapsulation, 1..kMaxEncapsulationSize
//   .       L2    encapsulation
//   .       4     u32 length of the nonce, exactly 12
//   .       12    nonce, random
//   .       4     u32 length L4 of the sealed data, 16..kMaxPlaintextSize + 16
//   .       L4    AES-256-GCM ciphertext ‖ 16-byte tag
//   Nothing may follow. The AES key is the KEM's shared secret; the GCM additional data is every
//   byte before the sealed-data length (version, KEM id, encapsulation, nonce, with their length
//   fields) followed by the caller's `aad`, so none of the header can be swapped unnoticed.
//
//   X25519Kem kem;
//   KemKeyPair user = kem.GenerateKeyPair();                 // on the user's side
//   KMS_ASSIGN_OR_RETURN(Bytes ct, HybridEncrypt(kem, user.public_key, share, aad));
//   KMS_ASSIGN_OR_RETURN(Bytes share, HybridDecrypt(kem, user.private_key, ct, aad));
//
// Thread safety: Kem implementations are stateless; all functions may run concurrently.
#ifndef KMS_CRYPTO_HYBRID_ENCRYPTION_H_
#define KMS_CRYPTO_HYBRID_ENCRYPTION_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/secure_zero.h"

namespace kms::crypto {

// Bounds of the hybrid ciphertext format (see above). They bound what a hostile sender can make a
// receiver process; ML-KEM-1024's 1568-byte ciphertext fits the encapsulation bound.
inline constexpr uint8_t kHybridFormatVersion = 1;
inline constexpr size_t kMaxKemIdSize = 64;
inline constexpr size_t kMaxEncapsulationSize = 4096;
inline constexpr size_t kHybridNonceSize = 12;
inline constexpr size_t kHybridTagSize = 16;
inline constexpr size_t kMaxPlaintextSize = size_t{1} << 30;

struct KemKeyPair {
  Bytes public_key;
  SecretBytes private_key;
};

struct Encapsulation {
  Bytes encapsulation;        // sent to the key's owner
  SecretBytes shared_secret;  // 32 bytes, known to both sides
};

// A key encapsulation mechanism.
class Kem {
 public:
  virtual ~Kem() = default;

  // The KEM id written into hybrid ciphertexts; 1..kMaxKemIdSize ASCII bytes, stable forever.
  virtual std::string name() const = 0;

  // A fresh key pair from the operating system's randomness.
  virtual KemKeyPair GenerateKeyPair() const = 0;

  // A fresh shared secret and its encapsulation to `public_key`. InvalidArgument if the public
  // key is malformed (wrong length, invalid or weak point).
  [[nodiscard]] virtual absl::StatusOr<Encapsulation> Encapsulate(ByteSpan public_key) const = 0;

  // The shared secret inside `encapsulation`. InvalidArgument if the private key or the
  // encapsulation is malformed. A well-formed encapsulation made for another key yields a
  // different secret, which the AEAD then rejects.
  [[nodiscard]] virtual absl::StatusOr<SecretBytes> Decapsulate(const SecretBytes& private_key,
                                                                ByteSpan encapsulation) const = 0;
};

// X25519 + HKDF-SHA256 (OpenSSL 3), as specified in the file comment.
class X25519Kem final : public Kem {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr char kName[] = "KMS-HPKE-X25519-v1";

  std::string name() const override { return kName; }
  KemKeyPair GenerateKeyPair() const override;
  [[nodiscard]] absl::StatusOr<Encapsulation> Encapsulate(ByteSpan public_key) const override;
  [[nodiscard]] absl::StatusOr<SecretBytes> Decapsulate(const SecretBytes& private_key,
                                                        ByteSpan encapsulation) const override;

  // The public key of a 32-byte private key. InvalidArgument on a wrong length.
  [[nodiscard]] static absl::StatusOr<Bytes> PublicKeyOf(const SecretBytes& private_key);
};

// Encrypts `plaintext` to `recipient_public_key` under `kem`, binding `aad` (which is not
// included in the output; the receiver must supply the same bytes). Returns the hybrid
// ciphertext above. InvalidArgument on a malformed public key or a plaintext over
// kMaxPlaintextSize.
[[nodiscard]] absl::StatusOr<Bytes> HybridEncrypt(const Kem& kem, ByteSpan recipient_public_key,
                                                  ByteSpan plaintext, ByteSpan aad);

// Checks every length and field of `ciphertext`, decapsulates with `private_key` and decrypts.
// InvalidArgument, naming the field, on truncation, trailing bytes, an unknown version, a KEM id
// other than kem.name() or a malformed encapsulation; InvalidArgument saying authentication
// failed when the GCM tag does not match (wrong key, wrong aad or tampered bytes). Nothing of a
// plaintext that failed authentication is returned or left in memory.
[[nodiscard]] absl::StatusOr<Bytes> HybridDecrypt(const Kem& kem, const SecretBytes& private_key,
                                                  ByteSpan ciphertext, ByteSpan aad);

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_HYBRID_ENCRYPTION_H_
