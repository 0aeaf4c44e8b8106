#include "tfhe/squashed_noise.h"

#include <bit>

#include "common/status_macros.h"
#include "tfhe/codec_internal.h"
#include "tfhe/entities.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {
namespace {

// Tags, the LWE (length + one u128 word), its modulus and three tagged u64.
constexpr size_t kMinSquashedNoiseCiphertextSize = 4 + 4 + 8 + 16 + 28 + 3 * 12;

void ConvertState(Codec& c, SquashedNoiseCiphertextState& state) {
  internal::TaggedUnitEnum(c, state, 2, "state");
}

absl::Status CheckModuli(uint64_t message_modulus, uint64_t carry_modulus) {
  if (!std::has_single_bit(message_modulus) || !std::has_single_bit(carry_modulus) ||
      message_modulus < 2 || message_modulus > (uint64_t{1} << 16) ||
      carry_modulus > (uint64_t{1} << 16)) {
    return absl::InvalidArgumentError("the block's message and carry moduli are invalid");
  }
  return absl::OkStatus();
}

}  // namespace

void Convert(Codec& c, LweCiphertext128& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  c.VecU128(v.data, "data");
  Convert(c, v.modulus, 128, "ciphertext_modulus");
  if (!c.ok()) return;
  c.Require(!v.data.empty(), "data", "an LWE ciphertext holds at least its body");
}

void Convert(Codec& c, SquashedNoiseCiphertext& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");
  Convert(c, v.ct, "ct");
  c.TaggedU64(v.degree, "degree");
  c.TaggedU64(v.message_modulus, "message_modulus");
  c.TaggedU64(v.carry_modulus, "carry_modulus");
  if (!c.ok()) return;
  internal::RequireModuli(c, v.message_modulus, v.carry_modulus);
  if (!c.ok()) return;
  c.Require(v.degree < v.message_modulus * v.carry_modulus, "degree",
            internal::Cat("degree ", v.degree, " exceeds the plaintext space ",
                          v.message_modulus * v.carry_modulus));
}

void Convert(Codec& c, SquashedNoiseFheUint& v) {
  c.VersionTag(1, "");
  {
    Codec::Scope inner(c, "inner");
    c.VersionTag(0, "");  // InnerSquashedNoiseRadixCiphertext wrapper (Cpu)
    Codec::Scope radix(c, "SquashedNoiseRadixCiphertext");
    c.VersionTag(0, "");
    c.Vec(v.packed_blocks, kMinSquashedNoiseCiphertextSize, "packed_blocks",
          [](Codec& c, SquashedNoiseCiphertext& b) { Convert(c, b, ""); });
    c.U64(v.original_block_count, "original_block_count");
    if (c.ok()) {
      c.Require(!v.packed_blocks.empty(), "packed_blocks",
                "a SquashedNoiseFheUint has at least one block");
      c.Require(
          u128{v.packed_blocks.size()} == (u128{v.original_block_count} + 1) / 2,
          "original_block_count",
          internal::Cat(v.packed_blocks.size(), " packed blocks cannot hold ",
                        v.original_block_count, " blocks (two per packed block, rounded up)"));
      for (size_t i = 1; i < v.packed_blocks.size() && c.ok(); ++i) {
        const SquashedNoiseCiphertext& a = v.packed_blocks[0];
        const SquashedNoiseCiphertext& b = v.packed_blocks[i];
        c.Require(a.ct.data.size() == b.ct.data.size() && a.ct.modulus == b.ct.modulus &&
                      a.message_modulus == b.message_modulus && a.carry_modulus == b.carry_modulus,
                  internal::Cat("packed_blocks[", i, "]"),
                  "every block must have the shape and moduli of block 0");
      }
    }
  }
  ConvertState(c, v.state);
  ConvertTaggedBytes(c, v.tag, "tag");
}

void Convert(Codec& c, SquashedNoiseFheBool& v) {
  c.VersionTag(1, "");
  {
    Codec::Scope inner(c, "inner");
    c.VersionTag(0, "");  // InnerSquashedNoiseBoolean wrapper (Cpu)
    Codec::Scope block(c, "SquashedNoiseBooleanBlock");
    c.VersionTag(0, "");
    // No degree bound beyond the block's: a boolean unpacked from a compressed list carries
    // degree message·carry − 1 (tfhe-rs's unpack sets the maximal degree).
    Convert(c, v.block, "ciphertext");
  }
  ConvertState(c, v.state);
  ConvertTaggedBytes(c, v.tag, "tag");
}

absl::StatusOr<SquashedNoiseFheUint> ParseSquashedNoiseFheUint(ByteSpan data, uint64_t size_limit) {
  return SafeDeserialize<SquashedNoiseFheUint>(data, kSquashedNoiseFheUintName, size_limit);
}
absl::StatusOr<Bytes> SerializeSquashedNoiseFheUint(const SquashedNoiseFheUint& ct) {
  return SafeSerialize(ct, kSquashedNoiseFheUintName);
}
absl::StatusOr<SquashedNoiseFheBool> ParseSquashedNoiseFheBool(ByteSpan data, uint64_t size_limit) {
  return SafeDeserialize<SquashedNoiseFheBool>(data, kSquashedNoiseFheBoolName, size_limit);
}
absl::StatusOr<Bytes> SerializeSquashedNoiseFheBool(const SquashedNoiseFheBool& ct) {
  return SafeSerialize(ct, kSquashedNoiseFheBoolName);
}

u128 LwePhase128(const LweCiphertext128& ct, std::span<const u128> key) {
  u128 dot = 0;
  for (size_t i = 0; i < key.size(); ++i) dot += ct.data[i] * key[i];
  return ct.body() - dot;
}

uint64_t DecodeSquashedNoise(u128 phase, uint64_t message_modulus, uint64_t carry_modulus) {
  const uint64_t space = message_modulus * carry_modulus;
  const unsigned shift = 127 - std::countr_zero(space);  // Δ = 2^shift
  const u128 rounded = phase + (u128{1} << (shift - 1));
  return static_cast<uint64_t>(rounded >> shift) % space;
}

absl::StatusOr<uint64_t> DecryptSquashedNoiseBlock(std::span<const u128> key,
                                                   const SquashedNoiseCiphertext& block) {
  KMS_RETURN_IF_ERROR(CheckModuli(block.message_modulus, block.carry_modulus));
  if (block.ct.data.size() != key.size() + 1) {
    return absl::InvalidArgumentError(internal::Cat(
        "the block has dimension ", block.ct.data.size() - 1, ", the key ", key.size()));
  }
  if (!block.ct.modulus.is_native() || block.ct.modulus.scalar_bits != 128) {
    return absl::UnimplementedError("only the native 128-bit modulus is supported");
  }
  return DecodeSquashedNoise(LwePhase128(block.ct, key), block.message_modulus,
                             block.carry_modulus);
}

absl::StatusOr<u128> DecryptSquashedNoiseFheUint(std::span<const u128> key,
                                                 const SquashedNoiseFheUint& ct) {
  if (ct.packed_blocks.empty()) return u128{0};
  const uint64_t message = ct.packed_blocks[0].message_modulus;
  const uint64_t carry = ct.packed_blocks[0].carry_modulus;
  KMS_RETURN_IF_ERROR(CheckModuli(message, carry));
  if (carry < message) {
    return absl::InvalidArgumentError(
        "the carry modulus cannot hold a packed message (carry < message)");
  }
  const uint64_t block_bits = std::countr_zero(message);
  const uint64_t packed_bits = 2 * block_bits;
  const u128 total_bits = u128{ct.original_block_count} * block_bits;
  u128 value = 0;
  for (size_t j = 0; j < ct.packed_blocks.size(); ++j) {
    KMS_ASSIGN_OR_RETURN(uint64_t m, DecryptSquashedNoiseBlock(key, ct.packed_blocks[j]));
    const u128 shift = u128{j} * packed_bits;
    if (shift < 128) value += u128{m} << static_cast<unsigned>(shift);
  }
  if (total_bits < 128) value &= (u128{1} << static_cast<unsigned>(total_bits)) - 1;
  return value;
}

absl::StatusOr<bool> DecryptSquashedNoiseFheBool(std::span<const u128> key,
                                                 const SquashedNoiseFheBool& ct) {
  KMS_ASSIGN_OR_RETURN(uint64_t m, DecryptSquashedNoiseBlock(key, ct.block));
  return m != 0;
}

absl::StatusOr<std::span<const u128>> NoiseSquashingLweKey(const ClientKey& key) {
  if (!key.noise_squashing_private_key.has_value()) {
    return absl::InvalidArgumentError("the client key has no noise-squashing secret");
  }
  return std::span<const u128>(
      key.noise_squashing_private_key->post_noise_squashing_secret_key.data);
}

absl::StatusOr<std::span<const u128>> NoiseSquashingCompressionLweKey(const ClientKey& key) {
  if (!key.noise_squashing_compression_private_key.has_value()) {
    return absl::InvalidArgumentError("the client key has no noise-squashing compression secret");
  }
  return std::span<const u128>(
      key.noise_squashing_compression_private_key->post_packing_ks_key.data);
}

u128 UniformU128(algebra::RandomSource& rng) {
  uint8_t buf[16];
  rng.Fill(buf);
  u128 x = 0;
  for (int i = 15; i >= 0; --i) x = x << 8 | buf[i];
  return x;
}

// TUniform(b): r + c − 2^b with r uniform on b+1 bits and c one uniform bit (the same
// construction as SampleTUniform, in 128 bits).
u128 SampleTUniform128(uint32_t bound_log2, algebra::RandomSource& rng) {
  const u128 x = UniformU128(rng);
  const u128 r = x & ((u128{2} << bound_log2) - 1);
  const u128 c = x >> 127;
  return r + c - (u128{1} << bound_log2);
}

absl::StatusOr<SquashedNoiseCiphertext> EncryptSquashedNoiseBlock(
    std::span<const u128> key, uint64_t value, uint64_t message_modulus, uint64_t carry_modulus,
    uint64_t degree, uint32_t bound_log2, algebra::RandomSource& rng) {
  KMS_RETURN_IF_ERROR(CheckModuli(message_modulus, carry_modulus));
  if (bound_log2 > 120) {
    return absl::InvalidArgumentError("the TUniform bound is too wide for 128-bit LWE");
  }
  if (key.empty()) return absl::InvalidArgumentError("empty key");
  const uint64_t space = message_modulus * carry_modulus;
  const unsigned shift = 127 - std::countr_zero(space);
  SquashedNoiseCiphertext block;
  block.ct.data.resize(key.size() + 1);
  u128 body = 0;
  for (size_t i = 0; i < key.size(); ++i) {
    const u128 a = UniformU128(rng);
    block.ct.data[i] = a;
    body += a * key[i];
  }
  body += SampleTUniform128(bound_log2, rng) + (u128{value % space} << shift);
  block.ct.data.back() = body;
  block.degree = degree;
  block.message_modulus = message_modulus;
  block.carry_modulus = carry_modulus;
  return block;
}

absl::StatusOr<SquashedNoiseFheUint> EncryptSquashedNoiseFheUint(
    std::span<const u128> key, u128 value, uint64_t original_block_count, uint64_t message_modulus,
    uint64_t carry_modulus, uint32_t bound_log2, algebra::RandomSource& rng) {
  KMS_RETURN_IF_ERROR(CheckModuli(message_modulus, carry_modulus));
  if (original_block_count == 0 || original_block_count > 4096) {
    return absl::InvalidArgumentError("the block count must be in [1, 4096]");
  }
  const unsigned bits = std::countr_zero(message_modulus);
  auto block_of = [&](uint64_t i) -> uint64_t {
    const uint64_t shift = i * bits;
    if (i >= original_block_count || shift >= 128) return 0;
    return static_cast<uint64_t>(value >> shift) & (message_modulus - 1);
  };
  SquashedNoiseFheUint ct;
  ct.original_block_count = original_block_count;
  for (uint64_t j = 0; 2 * j < original_block_count; ++j) {
    const uint64_t packed = block_of(2 * j) + message_modulus * block_of(2 * j + 1);
    KMS_ASSIGN_OR_RETURN(
        SquashedNoiseCiphertext block,
        EncryptSquashedNoiseBlock(key, packed, message_modulus, carry_modulus,
                                  message_modulus * carry_modulus - 1, bound_log2, rng));
    ct.packed_blocks.push_back(std::move(block));
  }
  return ct;
}

absl::StatusOr<SquashedNoiseFheBool> EncryptSquashedNoiseFheBool(
    std::span<const u128> key, bool value, uint64_t message_modulus, uint64_t carry_modulus,
    uint32_t bound_log2, algebra::RandomSource& rng) {
  SquashedNoiseFheBool ct;
  KMS_ASSIGN_OR_RETURN(ct.block, EncryptSquashedNoiseBlock(key, value ? 1 : 0, message_modulus,
                                                           carry_modulus, 1, bound_log2, rng));
  return ct;
}

}  // namespace kms::tfhe
