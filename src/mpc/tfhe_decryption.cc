#include "mpc/tfhe_decryption.h"

#include <algorithm>
#include <bit>
#include <string>

#include "absl/strings/str_cat.h"
#include "algebra/robust_reconstruction.h"
#include "algebra/shamir.h"
#include "common/parallel.h"
#include "common/status_macros.h"
#include "mpc/internal/partial_decryption.h"
#include "mpc/robust_open.h"
#include "tfhe/block_decoding.h"

namespace kms::mpc {

using algebra::Z128;

namespace {

const char* KeyName(TfheKeyKind kind) {
  return kind == TfheKeyKind::kNoiseSquashing ? "noise-squashing key"
                                              : "noise-squashing compression key";
}

bool IsPowerOfTwo(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

uint64_t Binomial(int n, int k) {
  if (k < 0 || k > n) return 0;
  uint64_t c = 1;
  for (int i = 1; i <= k; ++i) c = c * static_cast<uint64_t>(n - k + i) / static_cast<uint64_t>(i);
  return c;
}

// The dimension and moduli a block under `kind` must have; InvalidArgument when the key share
// has no such secret.
struct KeyShape {
  uint64_t lwe_dimension;
  uint64_t message_modulus;
  uint64_t carry_modulus;
};
absl::StatusOr<KeyShape> ShapeOf(const TfheKeyShare& key, TfheKeyKind kind) {
  if (kind == TfheKeyKind::kNoiseSquashing) {
    if (key.sns_key.empty())
      return absl::InvalidArgumentError("the key share has no noise-squashing key");
    return KeyShape{key.sns_lwe_dimension(), key.sns_params.message_modulus,
                    key.sns_params.carry_modulus};
  }
  if (!key.sns_compression_params || key.sns_compression_key.empty())
    return absl::InvalidArgumentError(
        "the key share has no noise-squashing compression key (BigCompressed unsupported)");
  return KeyShape{key.sns_compression_lwe_dimension(), key.sns_compression_params->message_modulus,
                  key.sns_compression_params->carry_modulus};
}

const std::vector<Share>& SecretOf(const TfheKeyShare& key, TfheKeyKind kind) {
  return kind == TfheKeyKind::kNoiseSquashing ? key.sns_key : key.sns_compression_key;
}

// Radix blocks of log2(message) bits that hold `type` (FheUint only). InvalidArgument when the
// type's width is not a multiple of the block width.
absl::StatusOr<uint64_t> RadixBlockCount(lwe::FheType type, uint64_t message_modulus) {
  if (!lwe::IsValidFheType(type)) return absl::InvalidArgumentError("fhe type: unknown value");
  if (type == lwe::FheType::kEbool)
    return absl::InvalidArgumentError("fhe type: ebool is not an unsigned integer ciphertext");
  if (!IsPowerOfTwo(message_modulus) || message_modulus < 2)
    return absl::InvalidArgumentError(
        absl::StrCat("message modulus ", message_modulus, " is not a power of two >= 2"));
  const uint64_t bits = static_cast<uint64_t>(lwe::FheTypeBits(type));
  const uint64_t per_block = static_cast<uint64_t>(std::countr_zero(message_modulus));
  if (bits % per_block != 0)
    return absl::InvalidArgumentError(absl::StrCat("fhe type ", lwe::FheTypeName(type), ": ", bits,
                                                   " bits are not whole blocks of ", per_block));
  return bits / per_block;
}

// Builds the input of a (packed) squashed integer: pairs of radix blocks per LWE, the last alone
// when the count is odd.
// A compressed squashed list does not keep degrees (every unpacked block has message·carry − 1),
// so its blocks are held to that bound only; a lone block's excess is caught when decoding.
absl::StatusOr<TfheDecryptionInput> FromSquashedUint(const TfheKeyShare& key, TfheKeyKind kind,
                                                     lwe::FheType type,
                                                     const tfhe::SquashedNoiseFheUint& ct) {
  const bool degrees_known = kind == TfheKeyKind::kNoiseSquashing;
  KMS_ASSIGN_OR_RETURN(KeyShape shape, ShapeOf(key, kind));
  KMS_ASSIGN_OR_RETURN(uint64_t radix, RadixBlockCount(type, shape.message_modulus));
  if (ct.packed_blocks.empty())
    return absl::InvalidArgumentError("squashed ciphertext: zero blocks");
  if (ct.original_block_count != radix)
    return absl::InvalidArgumentError(absl::StrCat("squashed ciphertext: original_block_count ",
                                                   ct.original_block_count, ", fhe type ",
                                                   lwe::FheTypeName(type), " needs ", radix));
  if (ct.packed_blocks.size() != (radix + 1) / 2)
    return absl::InvalidArgumentError(absl::StrCat("squashed ciphertext: ", ct.packed_blocks.size(),
                                                   " packed blocks for ", radix,
                                                   " radix blocks, expected ", (radix + 1) / 2));
  TfheDecryptionInput in;
  in.type = type;
  in.key = kind;
  in.message_modulus = shape.message_modulus;
  in.carry_modulus = shape.carry_modulus;
  in.packing_factor = 2;
  KMS_ASSIGN_OR_RETURN(in.block_bits,
                       tfhe::PackedBlockBits(static_cast<uint32_t>(lwe::FheTypeBits(type)),
                                             /*boolean=*/false, shape.message_modulus));
  for (size_t j = 0; j < ct.packed_blocks.size(); ++j) {
    const auto& b = ct.packed_blocks[j];
    const bool alone = 2 * j + 1 == radix;
    if (b.message_modulus != shape.message_modulus || b.carry_modulus != shape.carry_modulus)
      return absl::InvalidArgumentError(absl::StrCat(
          "block ", j, ": message/carry modulus ", b.message_modulus, "/", b.carry_modulus,
          ", the ", KeyName(kind), " uses ", shape.message_modulus, "/", shape.carry_modulus));
    const uint64_t max_degree = alone && degrees_known
                                    ? shape.message_modulus - 1
                                    : std::min(shape.message_modulus * shape.message_modulus,
                                               shape.message_modulus * shape.carry_modulus) -
                                          1;
    if (b.degree > max_degree)
      return absl::InvalidArgumentError(absl::StrCat("block ", j, ": degree ", b.degree,
                                                     " exceeds ", max_degree, " (",
                                                     alone ? "a lone" : "a packed", " block)"));
    in.blocks.push_back(b.ct);
  }
  KMS_RETURN_IF_ERROR(ValidateTfheInput(in, key));
  return in;
}

absl::StatusOr<TfheDecryptionInput> FromSquashedBool(const TfheKeyShare& key, TfheKeyKind kind,
                                                     const tfhe::SquashedNoiseFheBool& ct) {
  KMS_ASSIGN_OR_RETURN(KeyShape shape, ShapeOf(key, kind));
  const auto& b = ct.block;
  if (b.message_modulus != shape.message_modulus || b.carry_modulus != shape.carry_modulus)
    return absl::InvalidArgumentError(absl::StrCat(
        "bool block: message/carry modulus ", b.message_modulus, "/", b.carry_modulus, ", the ",
        KeyName(kind), " uses ", shape.message_modulus, "/", shape.carry_modulus));
  const uint64_t max_degree =
      kind == TfheKeyKind::kNoiseSquashing ? 1 : shape.message_modulus * shape.carry_modulus - 1;
  if (b.degree > max_degree)
    return absl::InvalidArgumentError(
        absl::StrCat("bool block: degree ", b.degree, " exceeds ", max_degree));
  TfheDecryptionInput in;
  in.type = lwe::FheType::kEbool;
  in.key = kind;
  in.message_modulus = shape.message_modulus;
  in.carry_modulus = shape.carry_modulus;
  in.packing_factor = 1;
  in.blocks.push_back(b.ct);
  in.block_bits.push_back(1);
  KMS_RETURN_IF_ERROR(ValidateTfheInput(in, key));
  return in;
}

// The checks of a 64-bit compute block before it is squashed.
absl::Status ValidateSmallBlock(const tfhe::ShortintCiphertext& b, size_t j,
                                const tfhe::ServerKey& server_key, uint64_t max_degree) {
  const uint64_t dim = server_key.pbs_order == tfhe::PBSOrder::kKeyswitchBootstrap
                           ? server_key.big_lwe_dimension()
                           : server_key.small_lwe_dimension();
  if (b.ct.data.size() != dim + 1)
    return absl::InvalidArgumentError(absl::StrCat("block ", j, ": LWE dimension ",
                                                   b.ct.data.size() - (b.ct.data.empty() ? 0 : 1),
                                                   ", the server key expects ", dim));
  if (!b.ct.modulus.is_native() || b.ct.modulus.scalar_bits != 64)
    return absl::InvalidArgumentError(
        absl::StrCat("block ", j, ": not the native 2^64 ciphertext modulus"));
  if (b.message_modulus != server_key.message_modulus ||
      b.carry_modulus != server_key.carry_modulus)
    return absl::InvalidArgumentError(absl::StrCat(
        "block ", j, ": message/carry modulus ", b.message_modulus, "/", b.carry_modulus,
        ", the server key uses ", server_key.message_modulus, "/", server_key.carry_modulus));
  if (b.degree > max_degree)
    return absl::InvalidArgumentError(absl::StrCat("block ", j, ": degree ", b.degree, " exceeds ",
                                                   max_degree, " (carries must be empty)"));
  return absl::OkStatus();
}

absl::Status ValidateSquashKey(const TfheKeyShare& key, const tfhe::ServerKey& server_key,
                               const tfhe::NoiseSquashingKey& squash_key) {
  if (key.sns_key.empty())
    return absl::InvalidArgumentError("the key share has no noise-squashing key");
  if (squash_key.bootstrapping_key.output_lwe_dimension() != key.sns_lwe_dimension())
    return absl::InvalidArgumentError(
        absl::StrCat("noise-squashing key: output LWE dimension ",
                     squash_key.bootstrapping_key.output_lwe_dimension(), ", the key share has ",
                     key.sns_lwe_dimension()));
  if (squash_key.bootstrapping_key.input_lwe_dimension() != server_key.small_lwe_dimension())
    return absl::InvalidArgumentError(
        absl::StrCat("noise-squashing key: input LWE dimension ",
                     squash_key.bootstrapping_key.input_lwe_dimension(),
                     ", the server key's small key has ", server_key.small_lwe_dimension()));
  if (squash_key.message_modulus != key.sns_params.message_modulus ||
      squash_key.carry_modulus != key.sns_params.carry_modulus)
    return absl::InvalidArgumentError(
        absl::StrCat("noise-squashing key: message/carry modulus ", squash_key.message_modulus, "/",
                     squash_key.carry_modulus, ", the key share uses ",
                     key.sns_params.message_modulus, "/", key.sns_params.carry_modulus));
  return absl::OkStatus();
}

absl::Status PrefixError(const absl::Status& s, const std::string& prefix) {
  if (s.ok()) return s;
  return absl::Status(s.code(), prefix + std::string(s.message()));
}

}  // namespace

bool TfheFloodingBudgetHolds(int n, int t) {
  if (n < 1 || t < 0 || t >= n) return false;
  const uint64_t sets = Binomial(n, t);
  if (sets == 0 || sets > 2047) return false;
  // B·(1 + 2·C·2^40) with C <= 2047 < 2^11: at most 2^70·2^52, no overflow in 128 bits.
  const Z128 total = kSwitchSquashNoiseBound * (Z128{1} + Z128{2} * sets * (Z128{1} << 40));
  return total < (Z128{1} << 122);
}

absl::StatusOr<std::vector<TfheKeyShare>> InsecureDealTfheKeyShares(const tfhe::ClientKey& key,
                                                                    int n, int t,
                                                                    algebra::RandomSource& rng) {
  if (n < 1 || t < 0 || t >= n)
    return absl::InvalidArgumentError(absl::StrCat("dealer: bad (n, t) = (", n, ", ", t, ")"));
  KMS_ASSIGN_OR_RETURN(std::span<const tfhe::u128> sns, tfhe::NoiseSquashingLweKey(key));
  std::vector<TfheKeyShare> out(static_cast<size_t>(n));
  auto deal = [&](std::span<const tfhe::u128> secret, std::vector<Share> TfheKeyShare::*field) {
    for (auto& o : out) (o.*field).resize(secret.size());
    for (size_t i = 0; i < secret.size(); ++i) {
      std::vector<Share> s = algebra::ShareSecret(Share::FromScalar(secret[i]), n, t, rng);
      for (int p = 0; p < n; ++p) (out[p].*field)[i] = s[p];
      crypto::SecureZero(s);
    }
  };
  deal(sns, &TfheKeyShare::sns_key);
  for (auto& o : out) {
    o.sns_params = key.noise_squashing_private_key->params;
    o.insecure_dealer = true;
  }
  if (key.noise_squashing_compression_private_key) {
    KMS_ASSIGN_OR_RETURN(std::span<const tfhe::u128> comp,
                         tfhe::NoiseSquashingCompressionLweKey(key));
    deal(comp, &TfheKeyShare::sns_compression_key);
    for (auto& o : out)
      o.sns_compression_params = key.noise_squashing_compression_private_key->params;
  }
  return out;
}

absl::StatusOr<TfheKeyShare> TfheWholeKey(const tfhe::ClientKey& key) {
  KMS_ASSIGN_OR_RETURN(std::span<const tfhe::u128> sns, tfhe::NoiseSquashingLweKey(key));
  TfheKeyShare out;
  out.sns_key.reserve(sns.size());
  for (tfhe::u128 bit : sns) out.sns_key.push_back(Share::FromScalar(bit));
  out.sns_params = key.noise_squashing_private_key->params;
  if (key.noise_squashing_compression_private_key) {
    KMS_ASSIGN_OR_RETURN(std::span<const tfhe::u128> comp,
                         tfhe::NoiseSquashingCompressionLweKey(key));
    out.sns_compression_key.reserve(comp.size());
    for (tfhe::u128 bit : comp) out.sns_compression_key.push_back(Share::FromScalar(bit));
    out.sns_compression_params = key.noise_squashing_compression_private_key->params;
  }
  return out;
}

absl::Status ValidateTfheInput(const TfheDecryptionInput& in, const TfheKeyShare& key) {
  if (!lwe::IsValidFheType(in.type)) return absl::InvalidArgumentError("fhe type: unknown value");
  KMS_ASSIGN_OR_RETURN(KeyShape shape, ShapeOf(key, in.key));
  if (in.message_modulus != shape.message_modulus || in.carry_modulus != shape.carry_modulus)
    return absl::InvalidArgumentError(
        absl::StrCat("message/carry modulus ", in.message_modulus, "/", in.carry_modulus, ", the ",
                     KeyName(in.key), " uses ", shape.message_modulus, "/", shape.carry_modulus));
  if (!IsPowerOfTwo(in.message_modulus) || !IsPowerOfTwo(in.carry_modulus) ||
      in.message_modulus * in.carry_modulus > (uint64_t{1} << 32))
    return absl::InvalidArgumentError("message/carry modulus: not powers of two up to 2^32");
  if (in.blocks.empty()) return absl::InvalidArgumentError("zero blocks");
  if (in.block_bits.size() != in.blocks.size())
    return absl::InvalidArgumentError("block_bits: one entry per block needed");
  const uint32_t w = static_cast<uint32_t>(std::countr_zero(in.message_modulus) +
                                           std::countr_zero(in.carry_modulus));
  uint64_t total_bits = 0;
  for (size_t j = 0; j < in.blocks.size(); ++j) {
    const auto& b = in.blocks[j];
    if (b.data.size() != shape.lwe_dimension + 1)
      return absl::InvalidArgumentError(
          absl::StrCat("block ", j, ": LWE dimension ", b.data.empty() ? 0 : b.data.size() - 1,
                       ", the ", KeyName(in.key), " has ", shape.lwe_dimension));
    if (!b.modulus.is_native() || b.modulus.scalar_bits != 128)
      return absl::InvalidArgumentError(
          absl::StrCat("block ", j, ": not the native 2^128 ciphertext modulus"));
    if (in.block_bits[j] == 0 || in.block_bits[j] > w)
      return absl::InvalidArgumentError(
          absl::StrCat("block ", j, ": ", in.block_bits[j], " bits do not fit ", w));
    total_bits += in.block_bits[j];
  }
  const uint64_t type_bits = static_cast<uint64_t>(lwe::FheTypeBits(in.type));
  if (total_bits != type_bits)
    return absl::InvalidArgumentError(absl::StrCat("blocks hold ", total_bits, " bits, fhe type ",
                                                   lwe::FheTypeName(in.type), " has ", type_bits));
  return absl::OkStatus();
}

absl::StatusOr<TfheDecryptionInput> TfheInputFromSquashed(const TfheKeyShare& key,
                                                          lwe::FheType type,
                                                          const tfhe::SquashedNoiseFheUint& ct) {
  return FromSquashedUint(key, TfheKeyKind::kNoiseSquashing, type, ct);
}

absl::StatusOr<TfheDecryptionInput> TfheInputFromSquashed(const TfheKeyShare& key,
                                                          const tfhe::SquashedNoiseFheBool& ct) {
  return FromSquashedBool(key, TfheKeyKind::kNoiseSquashing, ct);
}

absl::StatusOr<TfheDecryptionInput> TfheInputFromCompressedSquashed(
    const TfheKeyShare& key, lwe::FheType type,
    const tfhe::CompressedSquashedNoiseCiphertextList& list, uint64_t index) {
  KMS_ASSIGN_OR_RETURN(KeyShape shape, ShapeOf(key, TfheKeyKind::kNoiseSquashingCompression));
  if (index >= list.info.size())
    return absl::InvalidArgumentError(
        absl::StrCat("list index ", index, " out of range (", list.info.size(), " values)"));
  if (!list.meta) return absl::InvalidArgumentError("compressed squashed list: no meta");
  if (list.meta->message_modulus != shape.message_modulus ||
      list.meta->carry_modulus != shape.carry_modulus)
    return absl::InvalidArgumentError(
        absl::StrCat("compressed squashed list: message/carry modulus ", list.meta->message_modulus,
                     "/", list.meta->carry_modulus, ", the noise-squashing compression key uses ",
                     shape.message_modulus, "/", shape.carry_modulus));
  for (size_t g = 0; g < list.glwe_ciphertext_list.size(); ++g) {
    const auto& glwe = list.glwe_ciphertext_list[g];
    if (glwe.glwe_dimension * glwe.polynomial_size != shape.lwe_dimension)
      return absl::InvalidArgumentError(absl::StrCat(
          "compressed squashed list: GLWE ", g, " has k·N = ", glwe.glwe_dimension, "·",
          glwe.polynomial_size, ", the noise-squashing compression key has ", shape.lwe_dimension));
  }
  const tfhe::DataKind& kind = list.info[index];
  if (type == lwe::FheType::kEbool) {
    if (kind.kind != tfhe::DataKind::Kind::kBoolean)
      return absl::InvalidArgumentError(
          absl::StrCat("list value ", index, " is not a Boolean but ebool was asked"));
    KMS_ASSIGN_OR_RETURN(auto ct, tfhe::GetSquashedNoiseFheBool(list, index));
    return FromSquashedBool(key, TfheKeyKind::kNoiseSquashingCompression, ct);
  }
  if (kind.kind != tfhe::DataKind::Kind::kUnsigned)
    return absl::InvalidArgumentError(
        absl::StrCat("list value ", index, " is not an Unsigned integer"));
  KMS_ASSIGN_OR_RETURN(uint64_t radix, RadixBlockCount(type, shape.message_modulus));
  if (kind.block_count != radix)
    return absl::InvalidArgumentError(absl::StrCat("list value ", index, ": ", kind.block_count,
                                                   " blocks, fhe type ", lwe::FheTypeName(type),
                                                   " needs ", radix));
  KMS_ASSIGN_OR_RETURN(auto ct, tfhe::GetSquashedNoiseFheUint(list, index));
  return FromSquashedUint(key, TfheKeyKind::kNoiseSquashingCompression, type, ct);
}

absl::StatusOr<TfheDecryptionInput> TfheInputFromSmall(const TfheKeyShare& key, lwe::FheType type,
                                                       const tfhe::FheUint& ct,
                                                       const tfhe::ServerKey& server_key,
                                                       const tfhe::NoiseSquashingKey& squash_key) {
  KMS_RETURN_IF_ERROR(ValidateSquashKey(key, server_key, squash_key));
  KMS_ASSIGN_OR_RETURN(uint64_t radix, RadixBlockCount(type, key.sns_params.message_modulus));
  if (ct.blocks.empty()) return absl::InvalidArgumentError("FheUint: zero blocks");
  if (ct.blocks.size() != radix)
    return absl::InvalidArgumentError(absl::StrCat("FheUint: ", ct.blocks.size(),
                                                   " blocks, fhe type ", lwe::FheTypeName(type),
                                                   " needs ", radix));
  for (size_t j = 0; j < ct.blocks.size(); ++j)
    KMS_RETURN_IF_ERROR(
        PrefixError(ValidateSmallBlock(ct.blocks[j], j, server_key, server_key.message_modulus - 1),
                    "FheUint: "));
  KMS_ASSIGN_OR_RETURN(tfhe::SquashedNoiseFheUint squashed,
                       tfhe::SquashFheUint(server_key, squash_key, ct));
  return TfheInputFromSquashed(key, type, squashed);
}

absl::StatusOr<TfheDecryptionInput> TfheInputFromSmall(const TfheKeyShare& key,
                                                       const tfhe::FheBool& ct,
                                                       const tfhe::ServerKey& server_key,
                                                       const tfhe::NoiseSquashingKey& squash_key) {
  KMS_RETURN_IF_ERROR(ValidateSquashKey(key, server_key, squash_key));
  KMS_RETURN_IF_ERROR(PrefixError(ValidateSmallBlock(ct.block, 0, server_key, 1), "FheBool: "));
  tfhe::SquashedNoiseFheBool squashed;
  KMS_ASSIGN_OR_RETURN(squashed.block, tfhe::SquashNoise(server_key, squash_key, ct.block));
  return TfheInputFromSquashed(key, squashed);
}

absl::StatusOr<TfheDecryptionInput> TfheInputFromCompressedSmall(
    const TfheKeyShare& key, lwe::FheType type, const tfhe::CompressedCiphertextList& list,
    uint64_t index, const tfhe::DecompressionKey64& decompression_key,
    const tfhe::ServerKey& server_key, const tfhe::NoiseSquashingKey& squash_key) {
  KMS_RETURN_IF_ERROR(ValidateSquashKey(key, server_key, squash_key));
  if (index >= list.info.size())
    return absl::InvalidArgumentError(
        absl::StrCat("list index ", index, " out of range (", list.info.size(), " values)"));
  if (!list.meta) return absl::InvalidArgumentError("compressed list: no meta");
  if (list.meta->message_modulus != server_key.message_modulus ||
      list.meta->carry_modulus != server_key.carry_modulus)
    return absl::InvalidArgumentError(
        absl::StrCat("compressed list: message/carry modulus ", list.meta->message_modulus, "/",
                     list.meta->carry_modulus, ", the server key uses ", server_key.message_modulus,
                     "/", server_key.carry_modulus));
  const uint64_t comp_dim = decompression_key.blind_rotate_key.input_lwe_dimension();
  for (size_t g = 0; g < list.modulus_switched_glwe_ciphertext_list.size(); ++g) {
    const auto& glwe = list.modulus_switched_glwe_ciphertext_list[g];
    if (glwe.glwe_dimension * glwe.polynomial_size != comp_dim)
      return absl::InvalidArgumentError(
          absl::StrCat("compressed list: GLWE ", g, " has k·N = ", glwe.glwe_dimension, "·",
                       glwe.polynomial_size, ", the decompression key expects ", comp_dim));
  }
  const tfhe::DataKind& kind = list.info[index];
  if (type == lwe::FheType::kEbool) {
    if (kind.kind != tfhe::DataKind::Kind::kBoolean)
      return absl::InvalidArgumentError(
          absl::StrCat("list value ", index, " is not a Boolean but ebool was asked"));
    KMS_ASSIGN_OR_RETURN(tfhe::FheBool b, tfhe::UnpackFheBool(list, index, decompression_key));
    return TfheInputFromSmall(key, b, server_key, squash_key);
  }
  if (kind.kind != tfhe::DataKind::Kind::kUnsigned)
    return absl::InvalidArgumentError(
        absl::StrCat("list value ", index, " is not an Unsigned integer"));
  KMS_ASSIGN_OR_RETURN(uint64_t radix, RadixBlockCount(type, server_key.message_modulus));
  if (kind.block_count != radix)
    return absl::InvalidArgumentError(absl::StrCat("list value ", index, ": ", kind.block_count,
                                                   " blocks, fhe type ", lwe::FheTypeName(type),
                                                   " needs ", radix));
  KMS_ASSIGN_OR_RETURN(tfhe::FheUint u, tfhe::UnpackFheUint(list, index, decompression_key));
  return TfheInputFromSmall(key, type, u, server_key, squash_key);
}

std::vector<Share> TfheMaskedPartialDecryptions(const TfheKeyShare& key, PrssState<Share>& prss,
                                                std::span<const TfheDecryptionInput> inputs) {
  size_t total = 0;
  for (const auto& in : inputs) total += in.blocks.size();
  std::vector<Share> out = prss.NextMask(total, kSwitchSquashNoiseBound);
  // The inner products in parallel, kChunk blocks per task.
  constexpr size_t kChunk = 32;
  std::vector<std::pair<const TfheDecryptionInput*, size_t>> blocks;  // input, block index
  blocks.reserve(total);
  for (const auto& in : inputs)
    for (size_t j = 0; j < in.blocks.size(); ++j) blocks.emplace_back(&in, j);
  (void)ParallelFor((total + kChunk - 1) / kChunk, [&](size_t c) {  // never fails
    for (size_t k = c * kChunk; k < std::min(total, (c + 1) * kChunk); ++k) {
      const auto& [in, j] = blocks[k];
      const std::vector<Share>& s = SecretOf(key, in->key);
      const auto& b = in->blocks[j];
      out[k] +=
          Share::FromScalar(b.body()) - internal::InnerProduct(s.data(), b.data.data(), s.size());
    }
    return absl::OkStatus();
  });
  return out;
}

absl::StatusOr<lwe::TypedPlaintext> DecodeTfheBlocks(lwe::FheType type,
                                                     std::span<const Share> opened,
                                                     std::span<const uint32_t> block_bits,
                                                     uint64_t message_modulus,
                                                     uint64_t carry_modulus) {
  std::vector<Z128> values;
  values.reserve(opened.size());
  for (const Share& v : opened) {
    if (!v.IsScalar())
      return absl::AbortedError(
          "decryption: an opened block is not a scalar; more than t parties misbehaved");
    values.push_back(v[0]);
  }
  auto le = tfhe::DecodePackedBlocks(values, block_bits, message_modulus, carry_modulus);
  crypto::SecureZero(values);
  if (!le.ok()) return le.status();
  auto pt = lwe::TypedPlaintext::FromLeBytes(type, *le);
  crypto::SecureZero(le->data(), le->size());
  if (!pt.ok())
    return absl::AbortedError("decryption: decoded value is invalid (" +
                              std::string(pt.status().message()) +
                              "); the ciphertext is malformed or more than t parties misbehaved");
  return pt;
}

namespace {

// b − ⟨a, s⟩ of every block of `in` under the whole secret (degree-0 shares: scalars).
std::vector<Share> WholePhases(const TfheKeyShare& whole, const TfheDecryptionInput& in) {
  const std::vector<Share>& s = SecretOf(whole, in.key);
  std::vector<Share> out;
  out.reserve(in.blocks.size());
  for (const auto& b : in.blocks)
    out.push_back(Share::FromScalar(b.body()) -
                  internal::InnerProduct(s.data(), b.data.data(), s.size()));
  return out;
}

absl::Status ValidateAll(const TfheKeyShare& key, std::span<const TfheDecryptionInput> inputs) {
  for (size_t i = 0; i < inputs.size(); ++i)
    KMS_RETURN_IF_ERROR(
        PrefixError(ValidateTfheInput(inputs[i], key), "ciphertext " + std::to_string(i) + ": "));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<lwe::TypedPlaintext>> TfhePublicDecrypt(
    Session& session, const TfheKeyShare& key, const PrssSetup& prss_setup,
    std::span<const TfheDecryptionInput> inputs) {
  KMS_RETURN_IF_ERROR(ValidateAll(key, inputs));
  if (!TfheFloodingBudgetHolds(session.n(), session.t()))
    return absl::FailedPreconditionError(absl::StrCat(
        "noise flooding budget exceeded for (n, t) = (", session.n(), ", ", session.t(), ")"));
  PrssState<Share> prss(prss_setup, session.id());
  std::vector<Share> mine = TfheMaskedPartialDecryptions(key, prss, inputs);

  // ==== one asynchronous robust open of every block ====
  auto opened_or = RobustOpen<Share>(session, mine, session.t());
  crypto::SecureZero(mine);
  KMS_ASSIGN_OR_RETURN(auto opened, std::move(opened_or));

  std::vector<lwe::TypedPlaintext> out;
  size_t next = 0;
  for (const auto& in : inputs) {
    const size_t count = in.blocks.size();
    KMS_ASSIGN_OR_RETURN(
        auto pt, DecodeTfheBlocks(in.type, std::span<const Share>(opened).subspan(next, count),
                                  in.block_bits, in.message_modulus, in.carry_modulus));
    out.push_back(pt);
    next += count;
  }
  return out;
}

absl::StatusOr<std::vector<std::vector<Share>>> TfheUserDecryptionShares(
    const TfheKeyShare& key, const PrssSetup& prss_setup, std::span<const SessionId> session_ids,
    std::span<const TfheDecryptionInput> inputs) {
  if (session_ids.size() != inputs.size())
    return absl::InvalidArgumentError("user decryption: one session id per ciphertext needed");
  KMS_RETURN_IF_ERROR(ValidateAll(key, inputs));
  std::vector<std::vector<Share>> out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    PrssState<Share> prss(prss_setup, session_ids[i]);
    std::vector<Share> masked = TfheMaskedPartialDecryptions(key, prss, inputs.subspan(i, 1));
    out.push_back(internal::PackFourPerElement(masked));
    crypto::SecureZero(masked);
  }
  return out;
}

absl::StatusOr<std::vector<lwe::TypedPlaintext>> TfheCentralDecrypt(
    const TfheKeyShare& whole, std::span<const TfheDecryptionInput> inputs) {
  KMS_RETURN_IF_ERROR(ValidateAll(whole, inputs));
  std::vector<lwe::TypedPlaintext> out;
  for (const auto& in : inputs) {
    std::vector<Share> phases = WholePhases(whole, in);
    auto pt =
        DecodeTfheBlocks(in.type, phases, in.block_bits, in.message_modulus, in.carry_modulus);
    crypto::SecureZero(phases);
    KMS_ASSIGN_OR_RETURN(lwe::TypedPlaintext value, std::move(pt));
    out.push_back(value);
  }
  return out;
}

absl::StatusOr<std::vector<std::vector<Share>>> TfheCentralUserDecryption(
    const TfheKeyShare& whole, std::span<const TfheDecryptionInput> inputs) {
  KMS_RETURN_IF_ERROR(ValidateAll(whole, inputs));
  std::vector<std::vector<Share>> out;
  for (const auto& in : inputs) {
    std::vector<Share> phases = WholePhases(whole, in);
    // The whole value must decode (as a public decryption would) before any block is returned.
    absl::Status decodes =
        DecodeTfheBlocks(in.type, phases, in.block_bits, in.message_modulus, in.carry_modulus)
            .status();
    if (!decodes.ok()) {
      crypto::SecureZero(phases);
      return decodes;
    }
    for (Share& p : phases) {
      KMS_ASSIGN_OR_RETURN(uint64_t v,
                           tfhe::DecodePackedBlock(p[0], in.message_modulus, in.carry_modulus));
      p = Share::FromScalar(tfhe::EncodePackedBlock(v, in.message_modulus, in.carry_modulus));
    }
    out.push_back(internal::PackFourPerElement(phases));
    crypto::SecureZero(phases);
  }
  return out;
}

absl::StatusOr<lwe::TypedPlaintext> ReconstructTfheUserDecryption(
    const TfheDecryptionInput& input, int t,
    std::span<const std::optional<std::vector<Share>>> shares) {
  const int n = static_cast<int>(shares.size());
  const size_t elems = (input.blocks.size() + Share::kDegree - 1) / Share::kDegree;
  algebra::ShareColumns<Share> cols;
  int bot = 0;
  for (int p = 0; p < n; ++p) {
    // A response of the wrong length is treated as missing (node-tkms aborts on too many).
    if (!shares[p] || shares[p]->size() != elems) {
      ++bot;
      continue;
    }
    cols.parties.push_back(p + 1);
    cols.values.push_back(*shares[p]);
  }
  if (bot > t)
    return absl::UnavailableError(
        absl::StrCat("user decryption: ", n - bot, " usable responses of ", n, ", need ", n - t));
  auto packed = algebra::ReconstructBatchSync<Share>({n, t, t}, cols, bot);
  if (!packed.ok()) {
    const std::string why =
        "user decryption: reconstruction failed (" + packed.error().message + ")";
    if (packed.error().kind == algebra::ErrorKind::kNotEnoughShares)
      return absl::UnavailableError(why);
    return absl::AbortedError(why);
  }
  std::vector<Share> blocks;
  for (const Share& e : packed.value())
    for (int l = 0; l < Share::kDegree; ++l) blocks.push_back(Share::FromScalar(e[l]));
  blocks.resize(input.blocks.size());
  return DecodeTfheBlocks(input.type, blocks, input.block_bits, input.message_modulus,
                          input.carry_modulus);
}

}  // namespace kms::mpc
