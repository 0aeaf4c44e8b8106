// File: tfhe/squashed_noise.h
//
// The 128-bit "squashed noise" ciphertexts of the high-level API (interop-tfhe.md §3.10;
// interop-tfhe-1.4.md §1.7): `high_level_api::SquashedNoiseFheUint` and
// `high_level_api::SquashedNoiseFheBool`, the BigExpanded ciphertext format of the KMS. Each block
// is one LWE over Z_2^128 under the noise-squashing GLWE key seen as an LWE key (k·N bits), and
// holds two radix blocks packed together: block_{2j} + message·block_{2j+1}, degree
// message·carry − 1, Δ = 2^127 / (message·carry) (one padding bit; 2^123 for 2_2).
//
// Layout, tags in brackets:
//   SquashedNoiseFheUint[1] → inner: wrapper [0] → SquashedNoiseRadixCiphertext[0]{packed_blocks:
//     Vec<SquashedNoiseCiphertext[0]>, original_block_count: u64}, state:
//     SquashedNoiseCiphertextState[0] (0 Normal, 1 PostDecompression), tag: Tag[0]
//   SquashedNoiseFheBool[1] → inner: wrapper [0] → SquashedNoiseBooleanBlock[0]{ciphertext:
//     SquashedNoiseCiphertext[0]}, state, tag
//   SquashedNoiseCiphertext[0] → ct: LweCiphertext<u128>[0]{data: Vec<u128>, modulus (128 bits)},
//     degree[0], message_modulus[0], carry_modulus[0]
// The same in tfhe-rs 1.4.0-alpha.3 and 1.7.0.
//
// Checked on parse and serialize: every block has the same LWE size and moduli, an LWE holds at
// least its body, degree < message·carry, message and carry powers of two, ⌈original_block_count
// / 2⌉ packed blocks (an FheUint has at least one block).
//
// Decryption (tfhe-rs's NoiseSquashingPrivateKey::decrypt_*): phase = body − ⟨mask, s⟩ mod 2^128,
// value = round(phase / Δ) mod message·carry; an FheUint is Σ_j value_j · 2^(2·j·log2 message)
// truncated to original_block_count·log2(message) bits; an FheBool is value ≠ 0. Encryption is
// for tests and tools: TUniform noise, uniform mask from `rng`.
#ifndef KMS_TFHE_SQUASHED_NOISE_H_
#define KMS_TFHE_SQUASHED_NOISE_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "common/bytes.h"
#include "tfhe/client_key.h"
#include "tfhe/codec.h"
#include "tfhe/parameters.h"

namespace kms::tfhe {

inline constexpr std::string_view kSquashedNoiseFheUintName =
    "high_level_api::SquashedNoiseFheUint";
inline constexpr std::string_view kSquashedNoiseFheBoolName =
    "high_level_api::SquashedNoiseFheBool";

// LweCiphertext<u128>[0]: mask (n words) then body.
struct LweCiphertext128 {
  std::vector<u128> data;
  CiphertextModulus modulus{0, 128};

  uint64_t lwe_dimension() const { return data.size() - 1; }
  u128 body() const { return data.back(); }
  bool operator==(const LweCiphertext128&) const = default;
};
void Convert(Codec& c, LweCiphertext128& v, std::string_view field);

// shortint SquashedNoiseCiphertext[0].
struct SquashedNoiseCiphertext {
  LweCiphertext128 ct;
  uint64_t degree = 0;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  bool operator==(const SquashedNoiseCiphertext&) const = default;
};
void Convert(Codec& c, SquashedNoiseCiphertext& v, std::string_view field);

enum class SquashedNoiseCiphertextState : uint32_t { kNormal = 0, kPostDecompression = 1 };

struct SquashedNoiseFheUint {
  std::vector<SquashedNoiseCiphertext> packed_blocks;
  uint64_t original_block_count = 0;
  SquashedNoiseCiphertextState state = SquashedNoiseCiphertextState::kNormal;
  std::vector<uint8_t> tag;
  bool operator==(const SquashedNoiseFheUint&) const = default;
};
void Convert(Codec& c, SquashedNoiseFheUint& v);

struct SquashedNoiseFheBool {
  SquashedNoiseCiphertext block;
  SquashedNoiseCiphertextState state = SquashedNoiseCiphertextState::kNormal;
  std::vector<uint8_t> tag;
  bool operator==(const SquashedNoiseFheBool&) const = default;
};
void Convert(Codec& c, SquashedNoiseFheBool& v);

absl::StatusOr<SquashedNoiseFheUint> ParseSquashedNoiseFheUint(
    ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializeSquashedNoiseFheUint(const SquashedNoiseFheUint& ct);
absl::StatusOr<SquashedNoiseFheBool> ParseSquashedNoiseFheBool(
    ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<Bytes> SerializeSquashedNoiseFheBool(const SquashedNoiseFheBool& ct);

// ---- decryption and encryption with a 128-bit LWE secret (one 0/1 word per bit) ----

// body − ⟨mask, key⟩ mod 2^128. REQUIRES: key.size() == ct.lwe_dimension().
u128 LwePhase128(const LweCiphertext128& ct, std::span<const u128> key);
// round(phase / Δ) mod message·carry, Δ = 2^127 / (message·carry). REQUIRES: powers of two with
// message·carry <= 2^32.
uint64_t DecodeSquashedNoise(u128 phase, uint64_t message_modulus, uint64_t carry_modulus);

// One block's value (message and carry). InvalidArgument on a dimension mismatch or invalid
// moduli; Unimplemented for a non-native modulus.
absl::StatusOr<uint64_t> DecryptSquashedNoiseBlock(std::span<const u128> key,
                                                   const SquashedNoiseCiphertext& block);
absl::StatusOr<u128> DecryptSquashedNoiseFheUint(std::span<const u128> key,
                                                 const SquashedNoiseFheUint& ct);
absl::StatusOr<bool> DecryptSquashedNoiseFheBool(std::span<const u128> key,
                                                 const SquashedNoiseFheBool& ct);

// The ClientKey's noise-squashing secret (its GLWE key seen as LWE), the BigExpanded key.
// InvalidArgument when the key has none.
absl::StatusOr<std::span<const u128>> NoiseSquashingLweKey(const ClientKey& key);
// The ClientKey's noise-squashing compression secret, the key of a BigCompressed list's blocks.
absl::StatusOr<std::span<const u128>> NoiseSquashingCompressionLweKey(const ClientKey& key);

// One fresh block encrypting `value` (mod message·carry), noise TUniform(bound_log2 <= 126).
absl::StatusOr<SquashedNoiseCiphertext> EncryptSquashedNoiseBlock(
    std::span<const u128> key, uint64_t value, uint64_t message_modulus, uint64_t carry_modulus,
    uint64_t degree, uint32_t bound_log2, algebra::RandomSource& rng);
// A SquashedNoiseFheUint of `original_block_count` radix blocks of log2(message) bits of `value`,
// packed in pairs (degree message·carry − 1), state Normal, empty tag.
absl::StatusOr<SquashedNoiseFheUint> EncryptSquashedNoiseFheUint(
    std::span<const u128> key, u128 value, uint64_t original_block_count, uint64_t message_modulus,
    uint64_t carry_modulus, uint32_t bound_log2, algebra::RandomSource& rng);
absl::StatusOr<SquashedNoiseFheBool> EncryptSquashedNoiseFheBool(
    std::span<const u128> key, bool value, uint64_t message_modulus, uint64_t carry_modulus,
    uint32_t bound_log2, algebra::RandomSource& rng);

// 128-bit helpers shared with the compression code.
// A TUniform(bound_log2) sample as a two's-complement u128. REQUIRES: bound_log2 <= 126.
u128 SampleTUniform128(uint32_t bound_log2, algebra::RandomSource& rng);
// A uniform u128 (16 bytes little-endian from `rng`).
u128 UniformU128(algebra::RandomSource& rng);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_SQUASHED_NOISE_H_
