// File: lwe/fhe_type.h
//
// The encrypted types of the API (fhEVM names): ebool, euint4 … euint256, euint160 being an
// address. A value of a type is split little-endian into blocks of bits_per_block bits, one LWE
// ciphertext per block (crypto-spec A.2); with 16-bit blocks an euint64 is 4 ciphertexts.
#ifndef KMS_LWE_FHE_TYPE_H_
#define KMS_LWE_FHE_TYPE_H_

#include <array>
#include <string_view>

#include "absl/status/statusor.h"
#include "lwe/parameters.h"

namespace kms::lwe {

enum class FheType {
  kEbool,
  kEuint4,
  kEuint8,
  kEuint16,
  kEuint32,
  kEuint64,
  kEuint128,
  kEuint160,
  kEuint256,
};

inline constexpr std::array<FheType, 9> kAllFheTypes = {
    FheType::kEbool,    FheType::kEuint4,   FheType::kEuint8,
    FheType::kEuint16,  FheType::kEuint32,  FheType::kEuint64,
    FheType::kEuint128, FheType::kEuint160, FheType::kEuint256,
};

// True for the nine enumerators (a value cast from untrusted input may be anything).
bool IsValidFheType(FheType type);

// Bit width: 1, 4, 8, 16, 32, 64, 128, 160, 256; 0 for an invalid value.
int FheTypeBits(FheType type);

// "ebool", "euint4", ... ; "invalid" for an invalid value. A static string.
const char* FheTypeName(FheType type);

// Inverse of FheTypeName; InvalidArgument for any other string.
absl::StatusOr<FheType> FheTypeFromName(std::string_view name);

// ceil(bits / bits_per_block): the number of LWE ciphertexts of one value. 0 for an invalid type.
int BlockCount(FheType type, const LweParameters& params);

}  // namespace kms::lwe

#endif  // KMS_LWE_FHE_TYPE_H_
