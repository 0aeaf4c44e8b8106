// File: crypto/ml_kem.h
//
// ML-KEM, the module-lattice key encapsulation mechanism of FIPS 203 (final, August 2024), with
// the parameter sets ML-KEM-512 (the reference system's user decryption keys) and ML-KEM-1024
// (its legacy user keys). Debian 12's OpenSSL 3.0 has no ML-KEM (it arrives in 3.5), so the
// lattice arithmetic is ours; the four FIPS 202 functions come from OpenSSL's EVP:
//   H = SHA3-256, G = SHA3-512, J = SHAKE256 (32 bytes), PRF = SHAKE256, XOF = SHAKE128.
//
// Encodings are exactly FIPS 203's (so they match every other FIPS 203 implementation):
//   set          k  eta1 eta2 du dv   ek (B)  dk (B)  ciphertext (B)  shared secret (B)
//   ML-KEM-512   2  3    2    10 4    800     1632    768             32
//   ML-KEM-1024  4  2    2    11 5    1568    3168    1568            32
//   ek = ByteEncode12(t_hat) ‖ rho
//   dk = ByteEncode12(s_hat) ‖ ek ‖ H(ek) ‖ z
//   a key pair is a function of a 64-byte seed d ‖ z (ML-KEM.KeyGen_internal, Algorithm 16).
//
// Input checks (FIPS 203 §7.2, §7.3) run on every call and give InvalidArgument naming the input:
//   encapsulation key: length, and the modulus check (every 12-bit coefficient below q = 3329);
//   decapsulation key: length, and the hash check (H(dk[384k : 768k+32]) = dk[768k+32 : 768k+64]);
//   ciphertext:        length.
// A well-formed ciphertext that was not made for the key is not an error: Decaps then returns the
// implicit-rejection key J(z ‖ c) (Algorithm 18), which the caller's AEAD will reject.
//
// Side channels: key generation, encapsulation and decapsulation take no branch and index no
// table on secret data. Decapsulation compares the re-encrypted ciphertext and selects the key
// with masks; reductions and compression use multiply-and-shift, never a division (which x86
// executes in data-dependent time). Only public data (the matrix seed rho, lengths, the ek
// modulus check) steers control flow. Secret intermediates are wiped before returning.
//
//   const MlKem kem(kMlKem512);
//   MlKemKeyPair user = kem.KeyGen();                                  // the user's side
//   KMS_ASSIGN_OR_RETURN(MlKemEncapsulation enc, kem.Encaps(user.encapsulation_key));
//   KMS_ASSIGN_OR_RETURN(SecretBytes key, kem.Decaps(user.decapsulation_key.span(),
//                                                    enc.ciphertext));  // == enc.shared_secret
//
// Thread safety: MlKem is immutable; every method may run concurrently.
#ifndef KMS_CRYPTO_ML_KEM_H_
#define KMS_CRYPTO_ML_KEM_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/secure_zero.h"

namespace kms::crypto {

// One FIPS 203 parameter set (Table 2) and the sizes it implies (Table 3).
struct MlKemParameters {
  std::string_view name;
  int k;                          // module rank
  int eta1;                       // noise of s, e (key generation) and y (encryption)
  int eta2;                       // noise of e1, e2 (encryption)
  int du;                         // bits per coefficient of u in the ciphertext
  int dv;                         // bits per coefficient of v in the ciphertext
  size_t encapsulation_key_size;  // 384k + 32
  size_t decapsulation_key_size;  // 768k + 96
  size_t ciphertext_size;         // 32 (du k + dv)

  friend bool operator==(const MlKemParameters&, const MlKemParameters&) = default;
};

inline constexpr MlKemParameters kMlKem512{"ML-KEM-512", 2, 3, 2, 10, 4, 800, 1632, 768};
inline constexpr MlKemParameters kMlKem1024{"ML-KEM-1024", 4, 2, 2, 11, 5, 1568, 3168, 1568};

inline constexpr size_t kMlKemSeedSize = 64;          // d ‖ z
inline constexpr size_t kMlKemMessageSize = 32;       // m of ML-KEM.Encaps_internal
inline constexpr size_t kMlKemSharedSecretSize = 32;  // K

struct MlKemKeyPair {
  Bytes encapsulation_key;        // ek, public
  SecretBytes decapsulation_key;  // dk, zeroed when released
};

struct MlKemEncapsulation {
  Bytes ciphertext;           // c, sent to the key's owner
  SecretBytes shared_secret;  // K, 32 bytes
};

class MlKem {
 public:
  // Throws std::invalid_argument unless params is kMlKem512 or kMlKem1024 (the only sets this
  // code is checked for; others would overrun its fixed-size buffers).
  explicit MlKem(const MlKemParameters& params);

  const MlKemParameters& params() const { return params_; }

  // ML-KEM.KeyGen (Algorithm 19): a key pair from 64 bytes of the operating system's randomness.
  MlKemKeyPair KeyGen() const;

  // ML-KEM.KeyGen_internal (Algorithm 16) with seed = d ‖ z, 32 bytes each; deterministic.
  // InvalidArgument unless seed has kMlKemSeedSize bytes. The seed is as secret as the key.
  [[nodiscard]] absl::StatusOr<MlKemKeyPair> KeyGenFromSeed(ByteSpan seed) const;

  // ML-KEM.Encaps (Algorithm 20): a fresh shared secret and its ciphertext for `ek`, with m from
  // the operating system. InvalidArgument if ek fails the length or modulus check.
  [[nodiscard]] absl::StatusOr<MlKemEncapsulation> Encaps(ByteSpan ek) const;

  // ML-KEM.Encaps_internal (Algorithm 17) with the 32-byte message m given: deterministic, for
  // known-answer tests. Anyone who knows m knows the shared secret, so production code calls
  // Encaps. InvalidArgument if ek fails its checks or m does not have kMlKemMessageSize bytes.
  [[nodiscard]] absl::StatusOr<MlKemEncapsulation> EncapsWithMessage(ByteSpan ek, ByteSpan m) const;

  // ML-KEM.Decaps (Algorithm 21): the 32-byte shared secret in `ciphertext`, or the
  // implicit-rejection key J(z ‖ c) if the ciphertext does not re-encrypt to itself.
  // InvalidArgument if the ciphertext length is wrong, or dk fails its length or hash check.
  // Constant time in dk and in whether the ciphertext is rejected.
  [[nodiscard]] absl::StatusOr<SecretBytes> Decaps(ByteSpan dk, ByteSpan ciphertext) const;

  // The FIPS 203 §7.2 encapsulation key check (length, modulus) alone. Encaps runs it too.
  [[nodiscard]] absl::Status CheckEncapsulationKey(ByteSpan ek) const;

  // The FIPS 203 §7.3 decapsulation key check (length, hash) alone. Decaps runs it too.
  [[nodiscard]] absl::Status CheckDecapsulationKey(ByteSpan dk) const;

 private:
  MlKemParameters params_;
};

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_ML_KEM_H_
