#include "tfhe/decompression.h"

#include <algorithm>
#include <bit>

#include "common/parallel.h"
#include "common/status_macros.h"
#include "crypto/secure_zero.h"
#include "tfhe/bootstrap_key_generation.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/codec_internal.h"

namespace kms::tfhe {
namespace {

// The first block of value `index` and its block count (integer `blocks_of`).
absl::Status LocateValue(const CompressedCiphertextList& list, uint64_t index, uint64_t& first,
                         uint64_t& count) {
  if (index >= list.info.size()) {
    return absl::InvalidArgumentError(internal::Cat("CompressedCiphertextList: index ", index,
                                                    " out of range (", list.info.size(),
                                                    " values)"));
  }
  first = 0;
  for (uint64_t i = 0; i <= index; ++i) {
    const DataKind& kind = list.info[i];
    uint64_t blocks = 0;
    switch (kind.kind) {
      case DataKind::Kind::kUnsigned:
      case DataKind::Kind::kSigned:
        blocks = kind.block_count;
        break;
      case DataKind::Kind::kBoolean:
        blocks = 1;
        break;
      case DataKind::Kind::kString:
        return absl::UnimplementedError("CompressedCiphertextList: string values");
    }
    if (i < index) {
      first += blocks;
    } else {
      count = blocks;
    }
  }
  if (first + count > list.len()) {
    return absl::InvalidArgumentError("CompressedCiphertextList: info exceeds the block count");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DecompressionKey64> MakeDecompressionKey(const LweBootstrapKey<uint64_t>& bsk,
                                                        uint64_t lwe_per_glwe,
                                                        std::vector<uint8_t> tag) {
  if (lwe_per_glwe == 0) {
    return absl::InvalidArgumentError("decompression key: lwe_per_glwe is 0");
  }
  KMS_ASSIGN_OR_RETURN(FourierBootstrapKey64 f, FourierBootstrapKey64::Create(bsk));
  return DecompressionKey64{std::move(f), lwe_per_glwe, std::move(tag)};
}

absl::StatusOr<DecompressionKey64> DecompressDecompressionKey(const CompressedServerKey& key) {
  if (!key.decompression_key) {
    return absl::InvalidArgumentError("the server key has no decompression key");
  }
  if (key.decompression_key->modulus_switch_noise_reduction_key.kind !=
      CompressedModulusSwitchConfiguration::Kind::kStandard) {
    // The blind rotation reads the stored (already switched) coefficients; a tfhe-rs 1.7 key
    // whose decompression asks for a noise-reduced switch is not handled.
    return absl::UnimplementedError(
        "a decompression key with a noise-reduced modulus switch is not supported");
  }
  KMS_ASSIGN_OR_RETURN(LweBootstrapKey<uint64_t> bsk,
                       DecompressBootstrapKey(key.decompression_key->blind_rotate_key));
  return MakeDecompressionKey(bsk, key.decompression_key->lwe_per_glwe, key.tag);
}

absl::StatusOr<LweBootstrapKey<uint64_t>> GenerateDecompressionBootstrapKey(
    const ClientKey& key, algebra::RandomSource& rng) {
  if (!key.compression_key) {
    return absl::InvalidArgumentError("the client key has no compression secret");
  }
  const CompressionParameters& cp = key.compression_key->params;
  const DynamicDistribution& noise = key.parameters.glwe_noise_distribution;
  if (noise.kind != DynamicDistribution::Kind::kTUniform || noise.bound_log2 > 62) {
    return absl::UnimplementedError("decompression key: only TUniform noise up to 2^62");
  }
  if (key.parameters.ciphertext_modulus.modulus != 0) {
    return absl::UnimplementedError("decompression key: non-native modulus");
  }
  const GlweSecretKey<uint64_t>& s = key.glwe_secret_key;
  if (s.polynomial_size != key.parameters.polynomial_size ||
      s.data.size() != key.parameters.glwe_dimension * key.parameters.polynomial_size) {
    return absl::InvalidArgumentError(
        "decompression key: the GLWE key differs from its parameters");
  }
  return GenerateLweBootstrapKey<uint64_t>(key.compression_key->post_packing_ks_key.data, s,
                                           {cp.br_base_log, cp.br_level}, noise.bound_log2, rng);
}

absl::StatusOr<DecompressionKey64> GenerateDecompressionKey(const ClientKey& key,
                                                            algebra::RandomSource& rng) {
  KMS_ASSIGN_OR_RETURN(LweBootstrapKey<uint64_t> bsk, GenerateDecompressionBootstrapKey(key, rng));
  return MakeDecompressionKey(bsk, key.compression_key->params.lwe_per_glwe);
}

LookupTable<uint64_t> DecompressionLookupTable(size_t polynomial_size, uint64_t message_modulus,
                                               uint64_t carry_modulus) {
  // Input: carry cleartexts (message·carry / message), carry modulus 1; output Δ of the list.
  const uint64_t inputs = carry_modulus;
  const uint64_t delta = (uint64_t{1} << 63) / (message_modulus * carry_modulus);
  const size_t box = polynomial_size / inputs;
  LookupTable<uint64_t> lut;
  lut.body.assign(polynomial_size, 0);
  for (uint64_t i = 0; i < inputs; ++i) {
    std::fill(lut.body.begin() + i * box, lut.body.begin() + (i + 1) * box, i * delta);
    lut.degree = std::max(lut.degree, i);
  }
  const size_t half = box / 2;
  for (size_t j = 0; j < half; ++j) lut.body[j] = uint64_t{0} - lut.body[j];
  std::rotate(lut.body.begin(), lut.body.begin() + half, lut.body.end());
  return lut;
}

absl::StatusOr<ShortintCiphertext> UnpackBlock(const CompressedCiphertextList& list,
                                               uint64_t block_index,
                                               const DecompressionKey64& key) {
  if (block_index >= list.len()) {
    return absl::InvalidArgumentError(internal::Cat("CompressedCiphertextList: block ", block_index,
                                                    " out of range (", list.len(), " blocks)"));
  }
  if (!list.meta) return absl::InvalidArgumentError("CompressedCiphertextList: no meta");
  const CompressedCiphertextListMeta& meta = *list.meta;
  if (meta.message_modulus != meta.carry_modulus) {
    return absl::InvalidArgumentError(internal::Cat("CompressedCiphertextList: message modulus ",
                                                    meta.message_modulus, " != carry modulus ",
                                                    meta.carry_modulus, ", not supported"));
  }
  if (meta.ciphertext_modulus.modulus != 0) {
    return absl::UnimplementedError("CompressedCiphertextList: non-native modulus");
  }
  const FourierBootstrapKey64& bsk = key.blind_rotate_key;
  const auto& glwe0 = list.modulus_switched_glwe_ciphertext_list[0];
  const uint64_t storage_dim = glwe0.glwe_dimension * glwe0.polynomial_size;
  if (bsk.input_lwe_dimension() != storage_dim) {
    return absl::InvalidArgumentError(internal::Cat("decompression key: input dimension ",
                                                    bsk.input_lwe_dimension(),
                                                    ", the list's GLWEs are ", storage_dim));
  }
  const size_t N = bsk.polynomial_size();
  if (meta.carry_modulus == 0 || N % meta.carry_modulus != 0 ||
      meta.message_modulus * meta.carry_modulus > N) {
    return absl::InvalidArgumentError("decompression key: polynomial size too small for the list");
  }
  KMS_ASSIGN_OR_RETURN(ModulusSwitchedLweCiphertext storage, UnpackStorageLwe(list, block_index));
  KMS_ASSIGN_OR_RETURN(ModulusSwitchedLweCiphertext switched, BlindRotationInput(storage, N));
  ModulusSwitchedLwe ms;
  ms.mask.assign(switched.data.begin(), switched.data.end() - 1);
  ms.body = switched.data.back();
  ms.log_modulus = switched.log_modulus;
  const LookupTable<uint64_t> lut =
      DecompressionLookupTable(N, meta.message_modulus, meta.carry_modulus);
  const size_t g = bsk.glwe_size();
  std::vector<uint64_t> acc(g * N, 0);
  std::copy(lut.body.begin(), lut.body.end(), acc.begin() + (g - 1) * N);
  BlindRotate64(bsk, ms, acc);
  ShortintCiphertext out;
  out.ct.data.resize(bsk.output_lwe_dimension() + 1);
  out.ct.modulus = meta.ciphertext_modulus;
  SampleExtractCoefficient0<uint64_t>(acc, N, out.ct.data);
  out.degree = lut.degree;
  out.noise_level = 1;
  out.message_modulus = meta.message_modulus;
  out.carry_modulus = meta.carry_modulus;
  out.atomic_pattern = meta.atomic_pattern;
  return out;
}

absl::StatusOr<FheUint> UnpackFheUint(const CompressedCiphertextList& list, uint64_t index,
                                      const DecompressionKey64& key) {
  uint64_t first = 0, count = 0;
  KMS_RETURN_IF_ERROR(LocateValue(list, index, first, count));
  if (list.info[index].kind != DataKind::Kind::kUnsigned) {
    return absl::InvalidArgumentError(
        internal::Cat("CompressedCiphertextList: value ", index, " is not an unsigned radix"));
  }
  if (index >= list.re_randomization_metadata.size()) {
    return absl::InvalidArgumentError(
        internal::Cat("CompressedCiphertextList: no re-randomization metadata for value ", index));
  }
  FheUint out;
  out.blocks.resize(count);
  // One bootstrap per block, in parallel.
  KMS_RETURN_IF_ERROR(ParallelFor(count, [&](size_t b) -> absl::Status {
    KMS_ASSIGN_OR_RETURN(out.blocks[b], UnpackBlock(list, first + b, key));
    return absl::OkStatus();
  }));
  out.tag = key.tag;
  out.re_randomization_metadata = list.re_randomization_metadata[index];
  return out;
}

absl::StatusOr<FheBool> UnpackFheBool(const CompressedCiphertextList& list, uint64_t index,
                                      const DecompressionKey64& key) {
  uint64_t first = 0, count = 0;
  KMS_RETURN_IF_ERROR(LocateValue(list, index, first, count));
  if (list.info[index].kind != DataKind::Kind::kBoolean) {
    return absl::InvalidArgumentError(
        internal::Cat("CompressedCiphertextList: value ", index, " is not a boolean"));
  }
  if (index >= list.re_randomization_metadata.size()) {
    return absl::InvalidArgumentError(
        internal::Cat("CompressedCiphertextList: no re-randomization metadata for value ", index));
  }
  FheBool out;
  KMS_ASSIGN_OR_RETURN(out.block, UnpackBlock(list, first, key));
  out.block.degree = 1;  // hlapi: the data kind says the value is a boolean
  out.tag = key.tag;
  out.re_randomization_metadata = list.re_randomization_metadata[index];
  return out;
}

}  // namespace kms::tfhe
