// File: tfhe/mask_regeneration.h
//
// Decompression of tfhe-rs's seeded objects: the masks that a seeded entity does not store are
// regenerated with tfhe-csprng's AES-CTR generator, in exactly the order tfhe-rs drew them, and
// put back next to the stored bodies. Two sources: the entity's own CompressionSeed (standalone
// decompression, `decompress()` of one key), or a MaskStream shared by a whole keyset
// (CompressedXofKeySet, tfhe/xof_key_set_expansion.h), positioned where the entity starts.
//
// The generator (tfhe-csprng 0.7.0, the one of tfhe-rs 1.4.0-alpha.3, tfhe/Cargo.toml;
// interop-tfhe-1.4.md §3.4). Byte t of the stream (its TableIndex, 16·block + byte) is
// AES_key(u128le(offset + t/16))[t mod 16]; every generator starts at t = 1
// (TableIndex::SECOND, aes_ctr/generic.rs `new` and `from_seed`), byte 0 is never used.
//   * SeedKind::Ctr (a CompressionSeed V0 {seed: u128}): key = u128le(seed), offset 0.
//   * SeedKind::Xof (a keyset's XofSeed data): key = c_3, offset = c_2 of the CBC-MAC
//     (aes_ctr/mod.rs `xof_init`, crypto::TfheXof::InitializeFromData).
//   * try_fork(n, b) (aes_ctr/generic.rs; par_try_fork in parallel.rs is the same) gives child i
//     the bytes [t + i·b, t + (i+1)·b), t the parent's next byte, and moves the parent to
//     t + n·b. Children and the re-seated parent are built with State::new (states.rs), whose
//     offset is AesIndex(0): in 0.7.0 the XOF offset c_2 is lost at the first fork, in the
//     parent and in every generator made after it. With a Ctr seed the offset is 0 anyway.
//   * Each native mask element is the next 8 (u64) or 16 (u128) bytes read little-endian
//     (core_crypto commons/math/random/uniform.rs). tfhe-rs sizes a fork child by its mask
//     elements only (MaskRandomGeneratorForkConfig; the noise has its own generator in
//     EncryptionRandomGenerator), and decompression fills each child exactly, so the masks are
//     the stream read sequentially in data order; a fork only drops the offset.
//
// Orders and forks (tfhe-rs 1.4.0-alpha.3 core_crypto/algorithms/*_decompression.rs):
//   CompactPublicKey    the n̂ mask coefficients a_0 … a_{n̂−1}, read from the generator
//                       itself (seeded_glwe_ciphertext_decompression.rs: no fork);
//   LweKeyswitchKey     per input key coefficient i, per level L … 1, the n_out mask words;
//                       one fork of n_in·L children of 8·n_out bytes
//                       (seeded_lwe_ciphertext_list_decompression.rs);
//   LweCiphertextList   (the drift technique's encryptions of zero) per ciphertext, n mask
//                       words; one fork of count children of 8·n bytes (same file);
//   LweBootstrapKey     per GGSW (input key bit), per level L … 1, per row 0 … k, the k mask
//                       polynomials of N coefficients; forks: count GGSWs of L·(k+1)·k·N
//                       elements, then per GGSW L levels of (k+1)·k·N, then per level k+1 rows
//                       of k·N (seeded_ggsw_ciphertext_list_decompression.rs,
//                       seeded_ggsw_ciphertext_decompression.rs);
//   packing KSK         (tfhe/compression.h) per (i, level L … 1), the k·N mask words, read
//                       from the generator itself (seeded_glwe_ciphertext_list_decompression.rs:
//                       no fork).
// tfhe-rs panics on a fork of zero children or zero bytes (ForkError); the stream variants
// refuse those with InvalidArgument.
//
// All functions take a validated parsed entity (its Convert checks hold). Unimplemented for
// non-native moduli, whose masks tfhe-rs draws differently (rejection sampling, larger forks);
// InvalidArgument when the result would exceed safe_serialize's 2 GiB limit (output_lwe_size
// and glwe_size are free fields of an untrusted blob), checked before anything is allocated.
// Thread safety: pure functions; a MaskStream is not thread-safe.
#ifndef KMS_TFHE_MASK_REGENERATION_H_
#define KMS_TFHE_MASK_REGENERATION_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/tfhe_xof.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/entities.h"

namespace kms::tfhe {

// The mask stream of one CompressionSeed, positioned at its first index: byte 1 for V0 seeds
// (tfhe-csprng 0.7.0), the stored (block, byte) for V1 seeds (tfhe-rs 1.7 writes (0, 0) for
// standalone keys). An Xof seed keeps its counter offset throughout (csprng ≥ 0.8).
crypto::TfheXof MaskGeneratorFor(const CompressionSeed& seed);

// tfhe-csprng 0.7.0's MaskRandomGenerator read sequentially, with the fork rule above: the
// XOF offset holds until the first Fork and is dropped from then on. FromXofSeedStart is
// tfhe-csprng 0.9.2's (tfhe-rs 1.7.0, tfhe/Cargo.toml): try_fork passes the parent's offset to
// the children and to the re-seated parent (aes_ctr/generic.rs `try_fork`, states.rs
// `check_fork`, parallel.rs `par_try_fork`), so c_2 holds throughout, and the first byte is the
// AesCtrParams first_index the keyset names (aes_ctr/index.rs: TableIndex::FIRST is byte 0,
// SECOND byte 1; generic.rs `from_params`).
class MaskStream {
 public:
  // One entity's own seed: the stream of MaskGeneratorFor(seed), unchanged by forks.
  static MaskStream FromCompressionSeed(const CompressionSeed& seed);
  // SeedKind::Xof over the XofSeed data (domain separator ‖ seed): offset c_2 until a fork.
  static MaskStream FromXofSeed(std::span<const uint8_t> data);
  // SeedKind::Xof under csprng 0.9.2's rules: byte t is AES_key(c_2 + t/16)[t mod 16] from
  // t = first_byte (0 for XofSeedStart::FirstByte, 1 for SecondByte), forks keep c_2.
  static MaskStream FromXofSeedStart(std::span<const uint8_t> data, uint64_t first_byte);

  void Fill(std::span<uint8_t> out);
  uint64_t NextU64();
  u128 NextU128();
  template <typename Scalar>
  Scalar Next() {
    if constexpr (sizeof(Scalar) == 8) {
      return NextU64();
    } else {
      return NextU128();
    }
  }

  // try_fork(children, bytes_per_child), whose children the caller then reads in order, each
  // exactly: drops the offset (FromXofSeed only). InvalidArgument for zero children or bytes
  // (tfhe-rs panics).
  absl::Status Fork(uint64_t children, uint64_t bytes_per_child, const char* what);

  // The TableIndex of the next byte (1 for a fresh stream).
  u128 position() const { return position_; }
  // Whether bytes are still read with the XOF counter offset (no fork yet).
  bool has_offset() const { return offset_ != 0 && !(forked_ && drops_offset_); }

 private:
  MaskStream(const crypto::AesKey& key, u128 offset, uint64_t first_byte, bool drops_offset);
  MaskStream(crypto::TfheXof xof, u128 position);  // no offset to drop

  crypto::AesKey key_;  // public: derived from a public seed
  u128 offset_ = 0;
  bool forked_ = false;
  bool drops_offset_ = true;  // csprng 0.7.0's first-fork rule
  u128 position_ = 1;
  crypto::TfheXof xof_;
};

// CompressedCompactPublicKey::decompress(): the regenerated mask a, the stored body b, the same
// parameters and tag.
absl::StatusOr<CompactPublicKey> DecompressCompactPublicKey(const CompressedCompactPublicKey& key);
// The same from `masks` (no fork), ignoring the key's seed.
absl::StatusOr<CompactPublicKey> DecompressCompactPublicKey(const CompressedCompactPublicKey& key,
                                                            MaskStream& masks);

// LweKeyswitchKey[2] in the standard domain: per input coefficient i, levels L … 1, one LWE of
// output_lwe_size words (mask then body). Entry (i, level ℓ) encrypts s_in[i]·2^(64 − base_log·ℓ)
// under the output key.
struct LweKeyswitchKey {
  std::vector<uint64_t> data;
  uint64_t decomp_base_log = 0;
  uint64_t decomp_level_count = 0;
  uint64_t output_lwe_size = 0;
  CiphertextModulus modulus;

  uint64_t input_lwe_dimension() const {
    return data.size() / (decomp_level_count * output_lwe_size);
  }
  // The LWE of input coefficient i at level ℓ (1 … L), output_lwe_size words.
  const uint64_t* Entry(uint64_t i, uint64_t level) const {
    return data.data() + (i * decomp_level_count + (decomp_level_count - level)) * output_lwe_size;
  }
  bool operator==(const LweKeyswitchKey&) const = default;
};
absl::StatusOr<LweKeyswitchKey> DecompressKeySwitchingKey(const SeededLweKeyswitchKey& key);
absl::StatusOr<LweKeyswitchKey> DecompressKeySwitchingKey(const SeededLweKeyswitchKey& key,
                                                          MaskStream& masks);

// SeededLweCiphertextList → count LWEs of lwe_size words (mask then body), from `masks`.
absl::StatusOr<std::vector<uint64_t>> DecompressLweCiphertextList(
    const SeededLweCiphertextList& list, MaskStream& masks);

// LweBootstrapKey in the standard (coefficient) domain, the input of a Fourier conversion: per
// GGSW, levels L … 1, rows 0 … k, one GLWE of (k+1)·N coefficients (k mask polynomials, body).
// Row j < k of level ℓ encrypts −m·2^(64 − base_log·ℓ)·S_j, row k encrypts m·2^(64 − base_log·ℓ)
// (a constant polynomial), m the input key bit.
template <typename Scalar>
struct LweBootstrapKey {
  std::vector<Scalar> data;
  uint64_t glwe_size = 0;  // k + 1
  uint64_t polynomial_size = 0;
  uint64_t decomp_base_log = 0;
  uint64_t decomp_level_count = 0;
  CiphertextModulus modulus{0, sizeof(Scalar) * 8};

  uint64_t ggsw_size() const {
    return decomp_level_count * glwe_size * glwe_size * polynomial_size;
  }
  uint64_t input_lwe_dimension() const { return data.size() / ggsw_size(); }
  // The GLWE of GGSW i, level ℓ (1 … L), row r (0 … k): glwe_size·N coefficients.
  const Scalar* Row(uint64_t i, uint64_t level, uint64_t row) const {
    const uint64_t glwe = glwe_size * polynomial_size;
    return data.data() + i * ggsw_size() + (decomp_level_count - level) * glwe_size * glwe +
           row * glwe;
  }
  bool operator==(const LweBootstrapKey&) const = default;
};
template <typename Scalar>
absl::StatusOr<LweBootstrapKey<Scalar>> DecompressBootstrapKey(
    const SeededLweBootstrapKey<Scalar>& key);
template <typename Scalar>
absl::StatusOr<LweBootstrapKey<Scalar>> DecompressBootstrapKey(
    const SeededLweBootstrapKey<Scalar>& key, MaskStream& masks);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_MASK_REGENERATION_H_
