// File: crypto/random.h
//
// Randomness: the operating system's (through OpenSSL's DRBG) for keys and seeds, and an
// AES-128-CTR generator for the bulk randomness of protocols (sharing polynomials, noise).
// An AesCtrRng seeded from OsRandom is as good as OsRandom and ~50x faster.
#ifndef KMS_CRYPTO_RANDOM_H_
#define KMS_CRYPTO_RANDOM_H_

#include <cstdint>
#include <span>

#include "algebra/random_source.h"
#include "crypto/aes128.h"

namespace kms::crypto {

// Fills `out` from OpenSSL's RAND_bytes; aborts the process if the OS cannot supply entropy
// (continuing without it would silently weaken every key).
void OsRandom(std::span<uint8_t> out);

// AES-128 in counter mode over a 16-byte key and a 128-bit counter. Not thread-safe.
class AesCtrRng final : public algebra::RandomSource {
 public:
  // Seeded from the operating system.
  AesCtrRng();
  // Deterministic, for tests and for streams all parties must agree on.
  AesCtrRng(const AesKey& key, unsigned __int128 counter);
  ~AesCtrRng() override;

  void Fill(std::span<uint8_t> out) override;

 private:
  void Refill();

  Aes128 aes_;
  unsigned __int128 counter_ = 0;
  std::array<uint8_t, 16 * 16> buffer_{};
  size_t used_ = sizeof(buffer_);
};

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_RANDOM_H_
