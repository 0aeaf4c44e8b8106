// File: tfhe/compact_encryption.h
//
// Encryption under a CompactPublicKey into a CompactCiphertextList, as tfhe-rs 1.4.0-alpha.3's
// CompactCiphertextListBuilder does it (hlapi → integer → shortint `encrypt_iter_with_modulus`
// → core_crypto `encrypt_lwe_compact_ciphertext_list_with_compact_public_key`):
//
//   * values are decomposed into blocks of log2(message) bits, LSB first, concatenated in push
//     order; `info` gets one DataKind per value (Unsigned(blocks), Signed(blocks), Boolean);
//   * `Build`: one block per LWE, encryption modulus = message, degree message − 1;
//     `BuildPacked`: blocks 2j and 2j+1 of the whole stream in one LWE as
//     block₂ⱼ + message·block₂ⱼ₊₁ (an odd tail gets 0), encryption modulus message², degree
//     message² − 1 (requires carry ≥ message);
//   * plaintext Δ·(m mod encryption modulus), Δ = 2^63 / (message·carry) (the CPK parameters'
//     encoding has a padding bit);
//   * per chunk of n̂ plaintexts: r binary uniform (n̂ bits), mask M = a ⊛ rev(r) + e1,
//     body_j = (b ⊛ rev(r))_(n̂−1−j) + e2_j + Δ·m_j, ⊛ rev the semi-reverse negacyclic
//     convolution of key_generation.h, e1 and e2 from the CPK parameters' noise distribution
//     (TUniform). tfhe-rs draws r for all chunks, then e1, then e2; we draw in that order too.
//   * the list copies the CPK's moduli and expansion kind, and the CPK's tag (hlapi's builder
//     takes `pk.tag`).
//
// Secret: the pushed values, r and the noise are zeroed (crypto::SecureZero); `rng` must be a
// cryptographic source (crypto::AesCtrRng) outside tests.
#ifndef KMS_TFHE_COMPACT_ENCRYPTION_H_
#define KMS_TFHE_COMPACT_ENCRYPTION_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "tfhe/compact_ciphertext_list.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/entities.h"

namespace kms::tfhe {

// The core encryption: one LWE per entry of `messages`, each reduced mod `encryption_modulus`
// and encoded with the CPK parameters' Δ. InvalidArgument for an encryption modulus above
// message·carry or zero, or a key whose data does not match its dimension; Unimplemented for
// Gaussian noise or a non-native modulus.
absl::StatusOr<LweCompactCiphertextList> EncryptCompactCiphertextList(
    const CompactPublicKey& cpk, std::span<const uint64_t> messages, uint64_t encryption_modulus,
    algebra::RandomSource& rng);

class CompactListBuilder {
 public:
  CompactListBuilder() = default;
  CompactListBuilder(const CompactListBuilder&) = delete;
  CompactListBuilder& operator=(const CompactListBuilder&) = delete;
  ~CompactListBuilder();

  // An unsigned value of `bits` bits (FheUint<bits>): bits / log2(message) blocks at Build
  // time. Bits above `bits` are dropped. InvalidArgument for 0 or more than 128 bits.
  absl::Status PushUint(u128 value, size_t bits);
  // A signed value (FheInt<bits>), two's complement, DataKind Signed.
  absl::Status PushInt(__int128 value, size_t bits);
  void PushBool(bool value);

  size_t size() const { return values_.size(); }

  // InvalidArgument when a pushed width is not a multiple of log2(message) of the key.
  absl::StatusOr<CompactCiphertextList> Build(const CompactPublicKey& cpk,
                                              algebra::RandomSource& rng) const;
  // Also InvalidArgument when carry < message.
  absl::StatusOr<CompactCiphertextList> BuildPacked(const CompactPublicKey& cpk,
                                                    algebra::RandomSource& rng) const;

 private:
  struct Value {
    DataKind::Kind kind;
    u128 bits_value;  // two's complement for Signed
    size_t bits;      // 1 for a Boolean
  };
  absl::StatusOr<CompactCiphertextList> BuildImpl(const CompactPublicKey& cpk,
                                                  algebra::RandomSource& rng, bool packed) const;
  std::vector<Value> values_;
};

}  // namespace kms::tfhe

#endif  // KMS_TFHE_COMPACT_ENCRYPTION_H_
