#include "lwe/fhe_type.h"

#include "absl/strings/str_cat.h"

namespace kms::lwe {

bool IsValidFheType(FheType type) { return FheTypeBits(type) != 0; }

int FheTypeBits(FheType type) {
  switch (type) {
    case FheType::kEbool:
      return 1;
    case FheType::kEuint4:
      return 4;
    case FheType::kEuint8:
      return 8;
    case FheType::kEuint16:
      return 16;
    case FheType::kEuint32:
      return 32;
    case FheType::kEuint64:
      return 64;
    case FheType::kEuint128:
      return 128;
    case FheType::kEuint160:
      return 160;
    case FheType::kEuint256:
      return 256;
  }
  return 0;
}

const char* FheTypeName(FheType type) {
  switch (type) {
    case FheType::kEbool:
      return "ebool";
    case FheType::kEuint4:
      return "euint4";
    case FheType::kEuint8:
      return "euint8";
    case FheType::kEuint16:
      return "euint16";
    case FheType::kEuint32:
      return "euint32";
    case FheType::kEuint64:
      return "euint64";
    case FheType::kEuint128:
      return "euint128";
    case FheType::kEuint160:
      return "euint160";
    case FheType::kEuint256:
      return "euint256";
  }
  return "invalid";
}

absl::StatusOr<FheType> FheTypeFromName(std::string_view name) {
  for (FheType type : kAllFheTypes)
    if (name == FheTypeName(type)) return type;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown FHE type '", std::string(name.substr(0, 32)), "' (expected ebool, euint4, euint8, ",
      "euint16, euint32, euint64, euint128, euint160 or euint256)"));
}

int BlockCount(FheType type, const LweParameters& params) {
  const int bits = FheTypeBits(type);
  if (bits == 0 || params.bits_per_block <= 0) return 0;
  return (bits + params.bits_per_block - 1) / params.bits_per_block;
}

}  // namespace kms::lwe
