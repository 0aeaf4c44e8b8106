#include "service/tfhe_ciphertext.h"

#include <bit>
#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "common/parallel.h"
#include "common/status_macros.h"
#include "tfhe/block_decoding.h"
#include "tfhe/conformance.h"

namespace kms::service {
namespace {

// What a parse failure of format F says: "not a tfhe-rs <type name> (SmallExpanded): <why>".
template <typename T>
absl::StatusOr<T> Parsed(absl::StatusOr<T> parsed, const char* what, CiphertextFormat format) {
  if (parsed.ok()) return parsed;
  return absl::InvalidArgumentError(absl::StrCat("not a tfhe-rs ", what, " (",
                                                 std::string(CiphertextFormatName(format)),
                                                 "): ", parsed.status().message()));
}

// The compressed formats carry one value, as the reference requires.
template <typename List>
absl::Status OneValueOfType(const List& list, lwe::FheType type) {
  if (list.info.size() != 1)
    return absl::InvalidArgumentError(
        absl::StrCat("the list holds ", list.info.size(), " values; exactly one is decrypted"));
  const tfhe::DataKind& kind = list.info[0];
  const bool boolean = type == lwe::FheType::kEbool;
  if (boolean != (kind.kind == tfhe::DataKind::Kind::kBoolean) ||
      (!boolean && kind.kind != tfhe::DataKind::Kind::kUnsigned))
    return absl::InvalidArgumentError(
        absl::StrCat("the list's value is not a ", lwe::FheTypeName(type)));
  return absl::OkStatus();
}

uint64_t RadixBlocks(lwe::FheType type, uint64_t message_modulus) {
  const int per_block = std::countr_zero(message_modulus);
  return per_block == 0 ? 0 : static_cast<uint64_t>(lwe::FheTypeBits(type)) / per_block;
}

absl::Status CheckSmallCompressed(const tfhe::CompressedCiphertextList& list, lwe::FheType type,
                                  const tfhe::KeysetParameters& params) {
  KMS_RETURN_IF_ERROR(OneValueOfType(list, type));
  const tfhe::ClassicPBSParameters& compute = params.keys.compute;
  if (type != lwe::FheType::kEbool &&
      list.info[0].block_count != RadixBlocks(type, compute.message_modulus))
    return absl::InvalidArgumentError(
        absl::StrCat("the list's value has ", list.info[0].block_count, " blocks, a ",
                     lwe::FheTypeName(type), " has ", RadixBlocks(type, compute.message_modulus)));
  if (!params.compression) return absl::InvalidArgumentError("the keyset has no compression key");
  if (!list.meta) return absl::InvalidArgumentError("the list has no metadata");
  if (list.meta->message_modulus != compute.message_modulus ||
      list.meta->carry_modulus != compute.carry_modulus)
    return absl::InvalidArgumentError(absl::StrCat(
        "message/carry modulus ", list.meta->message_modulus, "/", list.meta->carry_modulus,
        ", the keyset uses ", compute.message_modulus, "/", compute.carry_modulus));
  for (size_t g = 0; g < list.modulus_switched_glwe_ciphertext_list.size(); ++g) {
    const auto& glwe = list.modulus_switched_glwe_ciphertext_list[g];
    if (glwe.glwe_dimension != params.compression->packing_ks_glwe_dimension ||
        glwe.polynomial_size != params.compression->packing_ks_polynomial_size)
      return absl::InvalidArgumentError(absl::StrCat(
          "GLWE ", g, " has k = ", glwe.glwe_dimension, ", N = ", glwe.polynomial_size,
          "; the keyset's compression uses k = ", params.compression->packing_ks_glwe_dimension,
          ", N = ", params.compression->packing_ks_polynomial_size));
  }
  return absl::OkStatus();
}

// The decryption input of one ciphertext (TfheDecryptionInputs without the prefix).
absl::StatusOr<mpc::TfheDecryptionInput> InputOf(const TfheCiphertext& ct,
                                                 const mpc::TfheKeyShare& key,
                                                 const tfhe::ComputeKeys* compute) {
  if (ct.small() &&
      (compute == nullptr || !compute->noise_squashing_key ||
       (ct.format == CiphertextFormat::kSmallCompressed && !compute->decompression_key)))
    return absl::FailedPreconditionError(
        absl::StrCat("the keyset's ServerKey has no ",
                     compute == nullptr || !compute->noise_squashing_key ? "noise-squashing key"
                                                                         : "decompression key",
                     " to decrypt ", std::string(CiphertextFormatName(ct.format))));
  absl::StatusOr<mpc::TfheDecryptionInput> in = std::visit(
      [&](const auto& v) -> absl::StatusOr<mpc::TfheDecryptionInput> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, tfhe::CompressedCiphertextList>) {
          return mpc::TfheInputFromCompressedSmall(key, ct.type, v, 0, *compute->decompression_key,
                                                   compute->server_key,
                                                   *compute->noise_squashing_key);
        } else if constexpr (std::is_same_v<T, tfhe::FheUint>) {
          return mpc::TfheInputFromSmall(key, ct.type, v, compute->server_key,
                                         *compute->noise_squashing_key);
        } else if constexpr (std::is_same_v<T, tfhe::FheBool>) {
          return mpc::TfheInputFromSmall(key, v, compute->server_key,
                                         *compute->noise_squashing_key);
        } else if constexpr (std::is_same_v<T, tfhe::CompressedSquashedNoiseCiphertextList>) {
          return mpc::TfheInputFromCompressedSquashed(key, ct.type, v, 0);
        } else if constexpr (std::is_same_v<T, tfhe::SquashedNoiseFheUint>) {
          return mpc::TfheInputFromSquashed(key, ct.type, v);
        } else {
          return mpc::TfheInputFromSquashed(key, v);
        }
      },
      ct.value);
  // A squash or decompression that fails on a well-formed key is the input's fault.
  if (!in.ok() && in.status().code() != absl::StatusCode::kFailedPrecondition)
    return absl::InvalidArgumentError(in.status().message());
  return in;
}

}  // namespace

std::string_view CiphertextFormatName(CiphertextFormat format) {
  switch (format) {
    case CiphertextFormat::kSmallCompressed:
      return "SmallCompressed";
    case CiphertextFormat::kSmallExpanded:
      return "SmallExpanded";
    case CiphertextFormat::kBigCompressed:
      return "BigCompressed";
    case CiphertextFormat::kBigExpanded:
      return "BigExpanded";
  }
  return "unknown";
}

std::string_view CiphertextFormatList() {
  return "0 (SmallCompressed), 1 (SmallExpanded), 2 (BigCompressed), 3 (BigExpanded)";
}

absl::StatusOr<TfheCiphertext> ParseTfheCiphertext(int32_t format, lwe::FheType type,
                                                   ByteSpan bytes) {
  if (format < 0 || format > 3)
    return absl::InvalidArgumentError(
        absl::StrCat(format, " is not one of ", std::string(CiphertextFormatList())));
  if (!lwe::IsValidFheType(type)) return absl::InvalidArgumentError("unknown fhe type");
  TfheCiphertext out;
  out.format = static_cast<CiphertextFormat>(format);
  out.type = type;
  const bool boolean = type == lwe::FheType::kEbool;
  switch (out.format) {
    case CiphertextFormat::kSmallCompressed: {
      KMS_ASSIGN_OR_RETURN(out.value, Parsed(tfhe::ParseCompressedCiphertextList(bytes),
                                             "CompressedCiphertextList", out.format));
      break;
    }
    case CiphertextFormat::kSmallExpanded:
      if (boolean) {
        KMS_ASSIGN_OR_RETURN(out.value, Parsed(tfhe::ParseFheBool(bytes), "FheBool", out.format));
      } else {
        KMS_ASSIGN_OR_RETURN(out.value, Parsed(tfhe::ParseFheUint(bytes), "FheUint", out.format));
      }
      break;
    case CiphertextFormat::kBigCompressed: {
      KMS_ASSIGN_OR_RETURN(out.value,
                           Parsed(tfhe::ParseCompressedSquashedNoiseCiphertextList(bytes),
                                  "CompressedSquashedNoiseCiphertextList", out.format));
      break;
    }
    case CiphertextFormat::kBigExpanded:
      if (boolean) {
        KMS_ASSIGN_OR_RETURN(out.value, Parsed(tfhe::ParseSquashedNoiseFheBool(bytes),
                                               "SquashedNoiseFheBool", out.format));
      } else {
        KMS_ASSIGN_OR_RETURN(out.value, Parsed(tfhe::ParseSquashedNoiseFheUint(bytes),
                                               "SquashedNoiseFheUint", out.format));
      }
      break;
  }
  if (const auto* list = std::get_if<tfhe::CompressedCiphertextList>(&out.value))
    KMS_RETURN_IF_ERROR(OneValueOfType(*list, type));
  if (const auto* list = std::get_if<tfhe::CompressedSquashedNoiseCiphertextList>(&out.value))
    KMS_RETURN_IF_ERROR(OneValueOfType(*list, type));
  out.content = crypto::HashElement(crypto::kDsepHandle, bytes);
  return out;
}

absl::Status CheckTfheCiphertext(const TfheCiphertext& ct, const mpc::TfheKeyShare& key,
                                 const tfhe::KeysetParameters& params) {
  if (const auto* list = std::get_if<tfhe::CompressedCiphertextList>(&ct.value))
    return CheckSmallCompressed(*list, ct.type, params);
  const tfhe::ClassicPBSParameters& compute = params.keys.compute;
  if (const auto* u = std::get_if<tfhe::FheUint>(&ct.value))
    return tfhe::CheckConformance(*u, compute, RadixBlocks(ct.type, compute.message_modulus));
  if (const auto* b = std::get_if<tfhe::FheBool>(&ct.value))
    return tfhe::CheckConformance(*b, compute);
  // The Big formats: the whole conversion, which is cheap.
  return InputOf(ct, key, nullptr).status();
}

absl::Status CheckTfheCiphertexts(std::span<const TfheCiphertext* const> cts,
                                  const mpc::TfheKeyShare& key,
                                  const tfhe::KeysetParameters& params) {
  for (size_t i = 0; i < cts.size(); ++i) {
    absl::Status s = CheckTfheCiphertext(*cts[i], key, params);
    if (!s.ok())
      return absl::Status(s.code(), absl::StrCat("ciphertexts[", i, "].ciphertext: ", s.message()));
  }
  return absl::OkStatus();
}

bool NeedsComputeKeys(std::span<const TfheCiphertext> cts) {
  for (const TfheCiphertext& ct : cts)
    if (ct.small()) return true;
  return false;
}

absl::StatusOr<std::vector<mpc::TfheDecryptionInput>> TfheDecryptionInputs(
    std::span<const TfheCiphertext> cts, const mpc::TfheKeyShare& key,
    const tfhe::ComputeKeys* compute) {
  // Ciphertexts in parallel (and, inside a Small format's squash, its blocks).
  std::vector<mpc::TfheDecryptionInput> out(cts.size());
  KMS_RETURN_IF_ERROR(ParallelFor(cts.size(), [&](size_t i) -> absl::Status {
    absl::StatusOr<mpc::TfheDecryptionInput> in = InputOf(cts[i], key, compute);
    if (!in.ok())
      return absl::Status(in.status().code(),
                          absl::StrCat("ciphertexts[", i, "]: ", in.status().message()));
    out[i] = std::move(*in);
    return absl::OkStatus();
  }));
  return out;
}

uint64_t TfheLweBlockCount(lwe::FheType type, uint64_t message_modulus) {
  absl::StatusOr<std::vector<uint32_t>> bits = tfhe::PackedBlockBits(
      static_cast<uint32_t>(lwe::FheTypeBits(type)), type == lwe::FheType::kEbool, message_modulus);
  return bits.ok() ? bits->size() : 0;
}

}  // namespace kms::service
