// File: crypto/tfhe_xof.h
//
// The extendable-output function that expands a public 128-bit seed into the masks of public
// key material (crypto-spec B §2.10, tfhe-csprng's XofSeed::new_u128(seed, "TFHE_GEN")). All
// parties of a distributed key generation derive the same compact-public-key mask from the
// opened seed with it, so the stream must be bit-exact:
//
//   data = "TFHE_GEN" || u128le(seed)                         (24 bytes)
//   m_1 = data[0..16], m_2 = data[16..24] || 0^8, m_3 = u128le(192)   (192 = bit length of data)
//   c_0 = 0, c_i = AES_0(c_{i-1} XOR m_i)                      (CBC-MAC under the all-zero key)
//   key = c_3, counter = c_2 read as a little-endian u128
//   output = AES_key(u128le(counter)), AES_key(u128le(counter + 1)), ...  (16 bytes per block)
//
// The counter wraps mod 2^128. The seed and the stream are public; the class is not
// thread-safe (one instance per thread).
//
// The same AES-CTR generator serves tfhe-csprng's other seed kind, SeedKind::Ctr(Seed(u128)),
// which the CompressionSeed of a standalone seeded object (a CompressedCompactPublicKey, the
// keys of a CompressedServerKey) holds: key = u128le(seed), counter 0, no CBC-MAC
// (FromCtrSeed). tfhe-csprng 0.7.0 (tfhe-rs 1.4) starts every generator at stream byte 1
// (TableIndex::SECOND), 0.9 (tfhe-rs 1.7) at byte 0: callers choose with Skip().
//
// Example:
//   TfheXof xof(seed);
//   Z128 a0 = xof.NextU128();  // the first 16 output bytes, little-endian
#ifndef KMS_CRYPTO_TFHE_XOF_H_
#define KMS_CRYPTO_TFHE_XOF_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "algebra/base_ring.h"
#include "crypto/aes128.h"

namespace kms::crypto {

class TfheXof {
 public:
  // Derives key and starting counter from the seed with the "TFHE_GEN" separator.
  explicit TfheXof(algebra::Z128 seed);
  // Starts directly from an AES key and counter (tests of the counter arithmetic).
  TfheXof(const AesKey& key, algebra::Z128 counter);
  // tfhe-csprng's SeedKind::Ctr generator: AES key = u128le(seed), first counter 0.
  static TfheXof FromCtrSeed(algebra::Z128 seed);
  ~TfheXof();
  TfheXof(const TfheXof&) = default;
  TfheXof& operator=(const TfheXof&) = default;

  // The CBC-MAC initialisation alone: the AES key c_3 and the starting counter c_2.
  struct InitialState {
    AesKey key;
    algebra::Z128 counter;
  };
  static InitialState Initialize(algebra::Z128 seed);
  // The same CBC-MAC over any XofSeed data (tfhe-csprng `xof_init`): the data in 16-byte blocks,
  // the last one zero-padded, then u128le(8·|data|). Initialize(seed) is this over
  // "TFHE_GEN" || u128le(seed); a CompressedXofKeySet stores the data itself.
  static InitialState InitializeFromData(std::span<const uint8_t> data);

  // Next out.size() bytes of the stream; successive calls continue where the last stopped.
  void Fill(std::span<uint8_t> out);
  // Next 16 bytes of the stream as a little-endian u128.
  algebra::Z128 NextU128();
  // Next 8 bytes of the stream as a little-endian u64 (a native 64-bit mask element).
  uint64_t NextU64();
  // Discards the next `bytes` bytes of the stream (tfhe-csprng 0.7.0's start at byte 1).
  void Skip(uint64_t bytes);

 private:
  void Refill();

  static constexpr size_t kBufferBlocks = 16;
  Aes128 aes_;
  algebra::Z128 counter_ = 0;
  std::array<uint8_t, 16 * kBufferBlocks> buffer_{};
  size_t used_ = sizeof(buffer_);
};

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_TFHE_XOF_H_
