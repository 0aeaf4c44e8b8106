// File: tfhe/entities.h
//
// tfhe-rs core_crypto entities (interop-tfhe.md §3.1, §3.7): LWE / GLWE ciphertexts, secret
// keys, the compact public key and compact ciphertext list, and the seeded (compressed) lists of
// key-switching, bootstrapping and packing key-switching keys, whose masks are regenerated from
// their CompressionSeed and are not stored. Each is a plain struct holding its data vector and
// its tfhe-rs fields, in tfhe-rs order; `Scalar` is uint64_t or u128 where tfhe-rs is generic.
//
// The Convert routines check the structural invariants that tfhe-rs's constructors assert (a
// data length that is a multiple of the sizes given next to it, non-zero sizes, a decomposition
// that fits the scalar), so that code using a parsed entity can index it without further checks.
// The accessors below rely on those invariants.
//
// Secret keys zero their data when destroyed.
#ifndef KMS_TFHE_ENTITIES_H_
#define KMS_TFHE_ENTITIES_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "crypto/secure_zero.h"
#include "tfhe/codec.h"
#include "tfhe/parameters.h"

namespace kms::tfhe {

// The seed of a seeded entity's masks, in either version:
//   V0 (tfhe-rs 1.4): CompressionSeed[0]{seed: u128}, a SeedKind::Ctr seed whose stream starts at
//     byte 1 (tfhe-csprng 0.7.0's TableIndex::SECOND; 1.7 upgrades V0 so);
//   V1 (tfhe-rs 1.7): CompressionSeed[1]{AesCtrParams[0]{seed: SeedKind[0] (0 Ctr(Seed[0] u128) |
//     1 Xof(XofSeed[0]{data})), first_index: TableIndex[0]{AesIndex[0] u128, ByteIndex[0] u64}}}.
// An Xof seed must be the KMS form "TFHE_GEN" ‖ u128 LE (the only one whose stream the XOF of
// crypto/tfhe_xof.h derives); other XofSeed data is refused on parse.
inline constexpr std::string_view kXofSeedSeparator = "TFHE_GEN";
struct CompressionSeed {
  enum class Version : uint32_t { kV0 = 0, kV1 = 1 };
  enum class Kind : uint32_t { kCtr = 0, kXof = 1 };
  Version version = Version::kV0;
  Kind kind = Kind::kCtr;  // always Ctr in V0
  u128 seed = 0;           // the Ctr seed, or the u128 after "TFHE_GEN" of an Xof seed
  // Where the masks start in the stream: block aes_index, byte byte_index (< 16). V0: (0, 1).
  u128 aes_index = 0;
  uint64_t byte_index = 1;
  bool operator==(const CompressionSeed&) const = default;
};
void Convert(Codec& c, CompressionSeed& v, std::string_view field);

// LweCiphertext[0]: data = mask (n words) then body.
struct LweCiphertext {
  std::vector<uint64_t> data;
  CiphertextModulus modulus;

  uint64_t lwe_dimension() const { return data.size() - 1; }
  uint64_t body() const { return data.back(); }
  bool operator==(const LweCiphertext&) const = default;
};
void Convert(Codec& c, LweCiphertext& v, std::string_view field);

// GlweCiphertext[0]: data = k mask polynomials then the body, N coefficients each.
struct GlweCiphertext {
  std::vector<uint64_t> data;
  uint64_t polynomial_size = 0;
  CiphertextModulus modulus;
  bool operator==(const GlweCiphertext&) const = default;
};
void Convert(Codec& c, GlweCiphertext& v, std::string_view field);

// SeededGlweCiphertext[0]: the body polynomial only.
struct SeededGlweCiphertext {
  std::vector<uint64_t> data;
  uint64_t glwe_size = 0;
  CompressionSeed compression_seed;
  CiphertextModulus modulus;
  bool operator==(const SeededGlweCiphertext&) const = default;
};
void Convert(Codec& c, SeededGlweCiphertext& v, std::string_view field);

// LweCompactPublicKey[0]{glwe_ciphertext}: a GLWE of size 2, mask a then body b, with
// b = a ⊛ rev(s) + e in Z_2^64[X]/(X^n̂ + 1).
struct LweCompactPublicKey {
  GlweCiphertext glwe_ciphertext;
  uint64_t lwe_dimension() const { return glwe_ciphertext.polynomial_size; }
  bool operator==(const LweCompactPublicKey&) const = default;
};
void Convert(Codec& c, LweCompactPublicKey& v, std::string_view field);

// SeededLweCompactPublicKey[0]{seeded_glwe_ciphertext}: the body b only.
struct SeededLweCompactPublicKey {
  SeededGlweCiphertext seeded_glwe_ciphertext;
  uint64_t lwe_dimension() const { return seeded_glwe_ciphertext.data.size(); }
  bool operator==(const SeededLweCompactPublicKey&) const = default;
};
void Convert(Codec& c, SeededLweCompactPublicKey& v, std::string_view field);

// LweCompactCiphertextList[0]: m = ⌈count / n̂⌉ masks of n̂ words, then `count` bodies.
struct LweCompactCiphertextList {
  std::vector<uint64_t> data;
  uint64_t lwe_size = 0;  // n̂ + 1
  uint64_t lwe_ciphertext_count = 0;
  CiphertextModulus modulus;

  uint64_t lwe_dimension() const { return lwe_size - 1; }
  uint64_t mask_count() const {
    return (lwe_ciphertext_count + lwe_dimension() - 1) / lwe_dimension();
  }
  bool operator==(const LweCompactCiphertextList&) const = default;
};
void Convert(Codec& c, LweCompactCiphertextList& v, std::string_view field);

// LweSecretKey[0] / GlweSecretKey[0]: one word per key bit (tfhe-rs stores binary keys as 0/1
// words). Zeroed on destruction.
template <typename Scalar>
struct LweSecretKey {
  std::vector<Scalar> data;

  LweSecretKey() = default;
  LweSecretKey(const LweSecretKey&) = default;
  LweSecretKey(LweSecretKey&&) noexcept = default;
  LweSecretKey& operator=(const LweSecretKey&) = default;
  LweSecretKey& operator=(LweSecretKey&&) noexcept = default;
  ~LweSecretKey() { crypto::SecureZero(data); }
  bool operator==(const LweSecretKey&) const = default;
};
template <typename Scalar>
void Convert(Codec& c, LweSecretKey<Scalar>& v, std::string_view field);

template <typename Scalar>
struct GlweSecretKey {
  std::vector<Scalar> data;  // k polynomials of polynomial_size words
  uint64_t polynomial_size = 0;

  GlweSecretKey() = default;
  GlweSecretKey(const GlweSecretKey&) = default;
  GlweSecretKey(GlweSecretKey&&) noexcept = default;
  GlweSecretKey& operator=(const GlweSecretKey&) = default;
  GlweSecretKey& operator=(GlweSecretKey&&) noexcept = default;
  ~GlweSecretKey() { crypto::SecureZero(data); }

  uint64_t glwe_dimension() const { return data.size() / polynomial_size; }
  bool operator==(const GlweSecretKey&) const = default;
};
template <typename Scalar>
void Convert(Codec& c, GlweSecretKey<Scalar>& v, std::string_view field);

// SeededLweKeyswitchKey[2]: for each input key coefficient i, levels L…1, one body each.
struct SeededLweKeyswitchKey {
  std::vector<uint64_t> data;
  uint64_t decomp_base_log = 0;
  uint64_t decomp_level_count = 0;
  uint64_t output_lwe_size = 0;
  CompressionSeed compression_seed;
  CiphertextModulus modulus;

  uint64_t input_lwe_dimension() const { return data.size() / decomp_level_count; }
  uint64_t output_lwe_dimension() const { return output_lwe_size - 1; }
  bool operator==(const SeededLweKeyswitchKey&) const = default;
};
void Convert(Codec& c, SeededLweKeyswitchKey& v, std::string_view field);

// SeededGgswCiphertextList[1]: per GGSW, levels L…1, rows 0…k, one body polynomial each.
template <typename Scalar>
struct SeededGgswCiphertextList {
  std::vector<Scalar> data;
  uint64_t glwe_size = 0;  // k + 1
  uint64_t polynomial_size = 0;
  uint64_t decomp_base_log = 0;
  uint64_t decomp_level_count = 0;
  CompressionSeed compression_seed;
  CiphertextModulus modulus{0, sizeof(Scalar) * 8};

  uint64_t ggsw_size() const { return decomp_level_count * glwe_size * polynomial_size; }
  uint64_t ggsw_count() const { return data.size() / ggsw_size(); }
  bool operator==(const SeededGgswCiphertextList&) const = default;
};

// SeededLweBootstrapKey[1]{ggsw_list}: one GGSW per input LWE key bit.
template <typename Scalar>
struct SeededLweBootstrapKey {
  SeededGgswCiphertextList<Scalar> ggsw_list;

  uint64_t input_lwe_dimension() const { return ggsw_list.ggsw_count(); }
  uint64_t glwe_dimension() const { return ggsw_list.glwe_size - 1; }
  uint64_t polynomial_size() const { return ggsw_list.polynomial_size; }
  // The LWE dimension of the output (the GLWE key seen as an LWE key).
  uint64_t output_lwe_dimension() const { return glwe_dimension() * polynomial_size(); }
  bool operator==(const SeededLweBootstrapKey&) const = default;
};
template <typename Scalar>
void Convert(Codec& c, SeededLweBootstrapKey<Scalar>& v, std::string_view field);

// SeededLwePackingKeyswitchKey[2]: per input coefficient, levels L…1, one body polynomial each.
template <typename Scalar>
struct SeededLwePackingKeyswitchKey {
  std::vector<Scalar> data;
  uint64_t decomp_base_log = 0;
  uint64_t decomp_level_count = 0;
  uint64_t output_glwe_size = 0;
  uint64_t output_polynomial_size = 0;
  CompressionSeed compression_seed;
  CiphertextModulus modulus{0, sizeof(Scalar) * 8};

  uint64_t input_lwe_dimension() const {
    return data.size() / (decomp_level_count * output_polynomial_size);
  }
  bool operator==(const SeededLwePackingKeyswitchKey&) const = default;
};
template <typename Scalar>
void Convert(Codec& c, SeededLwePackingKeyswitchKey<Scalar>& v, std::string_view field);

// SeededLweCiphertextList[0]: one body per ciphertext.
struct SeededLweCiphertextList {
  std::vector<uint64_t> data;
  uint64_t lwe_size = 0;
  CompressionSeed compression_seed;
  CiphertextModulus modulus;
  bool operator==(const SeededLweCiphertextList&) const = default;
};
void Convert(Codec& c, SeededLweCiphertextList& v, std::string_view field);

// Tag[0] and ReRandomizationMetadata[0]: {inner: bytes}.
void ConvertTaggedBytes(Codec& c, std::vector<uint8_t>& bytes, std::string_view field);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_ENTITIES_H_
