// File: crypto/secp256k1_signer.h
//
// ECDSA over secp256k1, Ethereum style (crypto-spec A.2 and B §5): every KMS party signs its
// responses with a secp256k1 key, and its identity is the Ethereum address of that key, so that
// smart contracts can check the signatures with ecrecover.
//
// Signatures are 65 bytes r ‖ s ‖ v:
//   - r and s are 32-byte big-endian scalars; s is always in the lower half of the group order
//     ("low-S", EIP-2), so a signature cannot be re-shaped into a second valid one;
//   - v = 27 + recovery id. This is the convention of eth_sign, EIP-712 wallets and the
//     ecrecover precompile (alloy's sign_hash output as the reference system uses it), chosen so
//     that a signature can be handed to a contract unchanged. Raw recovery ids (v = 0 or 1) are
//     rejected rather than guessed, so that each signature has exactly one encoding.
// Nonces are deterministic (RFC 6979 with HMAC-SHA256, libsecp256k1's default), so the same key
// and digest always give the same signature; the library's context is randomized once per process
// for side-channel blinding of the secret-key operations.
//
// Keys and signatures come from libsecp256k1 (Debian's 0.2). The functions here sign and verify
// 32-byte digests; hashing the message (EIP-712, crypto/eip712.h) is the caller's step.
//
//   SigningKey key = SigningKey::Generate();
//   Signature65 sig = key.SignDigest(digest);
//   bool ok = key.verification_key().VerifyDigest(digest, sig);
//   KMS_ASSIGN_OR_RETURN(VerificationKey who, VerificationKey::RecoverFromSignature(digest, sig));
//
// Thread safety: all classes are immutable after construction; const methods may be called from
// any number of threads at once.
#ifndef KMS_CRYPTO_SECP256K1_SIGNER_H_
#define KMS_CRYPTO_SECP256K1_SIGNER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/hash.h"
#include "crypto/secure_zero.h"

namespace kms::crypto {

// r ‖ s ‖ v, see above.
using Signature65 = std::array<uint8_t, 65>;
// A 20-byte Ethereum address.
using EthAddress = std::array<uint8_t, 20>;

// EIP-55 mixed-case checksum encoding of an address: "0x" followed by 40 hex digits, where a
// letter is upper case iff the matching nibble of Keccak256(lower-case hex) is >= 8.
std::string ChecksumAddress(const EthAddress& address);

// Parses an address written as 40 hex digits with an optional "0x" prefix. All-lower-case and
// all-upper-case forms carry no checksum and are accepted as they are; a mixed-case form must be
// a valid EIP-55 checksum, otherwise InvalidArgument (a typo in an address must not pass).
[[nodiscard]] absl::StatusOr<EthAddress> ParseEthAddress(std::string_view text);

// A secp256k1 public key; always holds a valid curve point (never the point at infinity).
class VerificationKey {
 public:
  static constexpr size_t kCompressedSize = 33;    // 0x02/0x03 ‖ x
  static constexpr size_t kUncompressedSize = 65;  // 0x04 ‖ x ‖ y

  // Parses a SEC1 encoding: 33 bytes compressed or 65 bytes uncompressed. Fails with
  // InvalidArgument on any other length, an unknown prefix byte, or a point not on the curve.
  [[nodiscard]] static absl::StatusOr<VerificationKey> Parse(ByteSpan encoded);

  // The key that produced `signature` over `digest` (ecrecover). Fails with InvalidArgument when
  // v is not 27..30, when r or s is zero or not below the group order, when s is in the upper
  // half (high-S signatures are not accepted anywhere in this project), or when no key
  // verifies the signature.
  [[nodiscard]] static absl::StatusOr<VerificationKey> RecoverFromSignature(
      const Digest& digest, const Signature65& signature);

  std::array<uint8_t, kCompressedSize> SerializeCompressed() const;
  std::array<uint8_t, kUncompressedSize> SerializeUncompressed() const { return uncompressed_; }

  // The last 20 bytes of Keccak256(x ‖ y), the 64-byte uncompressed point without its 0x04.
  EthAddress EthereumAddress() const;
  // ChecksumAddress(EthereumAddress()), e.g. "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23".
  std::string EthereumAddressChecksummed() const;

  // True iff `signature` is a valid low-S signature of `digest` under this key and its v byte is
  // the one the signer produced (27 + recovery id). A high-S signature, a flipped v, or any
  // malformed field gives false. Use RecoverFromSignature for a reason when it matters.
  bool VerifyDigest(const Digest& digest, const Signature65& signature) const;

  bool operator==(const VerificationKey& other) const = default;

 private:
  explicit VerificationKey(const std::array<uint8_t, kUncompressedSize>& uncompressed)
      : uncompressed_(uncompressed) {}
  friend class SigningKey;

  std::array<uint8_t, kUncompressedSize> uncompressed_;
};

// A secp256k1 secret key: a 32-byte big-endian scalar in [1, n-1], held in zeroing memory.
// Move-only, so a key is not copied around by accident; share it by reference. A moved-from key
// must not be used.
class SigningKey {
 public:
  static constexpr size_t kSize = 32;

  // A fresh key from the operating system's randomness (OsRandom), redrawn until it is a valid
  // scalar (the chance of a redraw is about 2^-128).
  static SigningKey Generate();

  // Loads a 32-byte big-endian secret. Fails with InvalidArgument on a wrong length, on zero or on
  // a value not below the group order. The message never contains the bytes.
  [[nodiscard]] static absl::StatusOr<SigningKey> FromBytes(ByteSpan secret);

  SigningKey(SigningKey&&) noexcept = default;
  SigningKey& operator=(SigningKey&&) noexcept = default;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  // The 32-byte secret, for storage in the private vault. The caller keeps it in SecretBytes.
  SecretBytes Serialize() const { return secret_; }

  const VerificationKey& verification_key() const { return verification_key_; }

  // Signs a 32-byte digest: r ‖ s ‖ v, low-S, RFC 6979 nonce, v = 27 + recovery id.
  Signature65 SignDigest(const Digest& digest) const;

 private:
  SigningKey(SecretBytes secret, const VerificationKey& verification_key)
      : secret_(std::move(secret)), verification_key_(verification_key) {}

  SecretBytes secret_;
  VerificationKey verification_key_;
};

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_SECP256K1_SIGNER_H_
