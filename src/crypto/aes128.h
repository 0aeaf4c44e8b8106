// File: crypto/aes128.h
//
// AES-128 block encryption with AES-NI, for the hot paths: the PRSS PRFs (crypto-spec B §2.5,
// hundreds of keys per party, a few blocks per key per call) and the CTR random generators.
// OpenSSL's EVP costs ~100 ns per call and a context per key; the instructions cost ~1 ns per
// block and 176 bytes per key. Constant time: no table lookups. The key schedule is zeroed on
// destruction. Known-answer tests compare it with OpenSSL.
#ifndef KMS_CRYPTO_AES128_H_
#define KMS_CRYPTO_AES128_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace kms::crypto {

using AesKey = std::array<uint8_t, 16>;
using AesBlock = std::array<uint8_t, 16>;

class Aes128 {
 public:
  Aes128() = default;
  explicit Aes128(const AesKey& key) { SetKey(key); }
  ~Aes128();
  Aes128(const Aes128&) = default;
  Aes128& operator=(const Aes128&) = default;

  void SetKey(const AesKey& key);

  // out[i] = AES_k(in[i]) for n blocks of 16 bytes; in and out may alias.
  void EncryptBlocks(const uint8_t* in, uint8_t* out, size_t n) const;
  AesBlock Encrypt(const AesBlock& in) const {
    AesBlock out;
    EncryptBlocks(in.data(), out.data(), 1);
    return out;
  }
  // Encrypts 16-byte blocks given as little-endian u128 values (the PRF encodings' view).
  void EncryptU128(const unsigned __int128* in, unsigned __int128* out, size_t n) const {
    EncryptBlocks(reinterpret_cast<const uint8_t*>(in), reinterpret_cast<uint8_t*>(out), n);
  }

 private:
  alignas(16) std::array<uint8_t, 11 * 16> round_keys_{};  // the expanded key schedule
};

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_AES128_H_
