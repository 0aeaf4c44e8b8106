#include "tfhe/client_key_encryption.h"

#include <bit>
#include <vector>

#include "common/status_macros.h"
#include "tfhe/codec_internal.h"

namespace kms::tfhe {
namespace {

// The key a block of this atomic pattern is encrypted under.
absl::StatusOr<std::span<const uint64_t>> KeyFor(const ClientKey& key,
                                                 const AtomicPatternKind& ap) {
  if (ap.kind != AtomicPatternKind::Kind::kStandard) {
    return absl::UnimplementedError("only the Standard atomic pattern is supported");
  }
  if (ap.pbs_order == PBSOrder::kKeyswitchBootstrap) return {key.glwe_secret_key.data};
  return {key.lwe_secret_key.data};
}

uint64_t Delta(uint64_t message_modulus, uint64_t carry_modulus) {
  return (uint64_t{1} << 63) / (message_modulus * carry_modulus);
}

absl::StatusOr<ShortintCiphertext> EncryptBlock(const ClientKey& key, uint64_t message,
                                                uint64_t degree, algebra::RandomSource& rng) {
  const ClassicPBSParameters& p = key.parameters;
  const bool big = p.encryption_key_choice == EncryptionKeyChoice::kBig;
  const DynamicDistribution& noise = big ? p.glwe_noise_distribution : p.lwe_noise_distribution;
  if (noise.kind != DynamicDistribution::Kind::kTUniform) {
    return absl::UnimplementedError("only TUniform encryption noise is implemented");
  }
  if (noise.bound_log2 > 61) {
    return absl::InvalidArgumentError(
        internal::Cat("TUniform bound 2^", noise.bound_log2, " is too wide for 64-bit LWE"));
  }
  ShortintCiphertext block;
  block.atomic_pattern =
      AtomicPatternKind{AtomicPatternKind::Kind::kStandard,
                        big ? PBSOrder::kKeyswitchBootstrap : PBSOrder::kBootstrapKeyswitch};
  KMS_ASSIGN_OR_RETURN(std::span<const uint64_t> s, KeyFor(key, block.atomic_pattern));
  block.ct.modulus = p.ciphertext_modulus;
  block.ct.data.resize(s.size() + 1);
  std::vector<uint8_t> mask_bytes(s.size() * 8);
  rng.Fill(mask_bytes);
  uint64_t body = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    uint64_t a = 0;
    for (int b = 7; b >= 0; --b) a = a << 8 | mask_bytes[8 * i + b];
    block.ct.data[i] = a;
    body += a * s[i];
  }
  const uint64_t delta = Delta(p.message_modulus, p.carry_modulus);
  body += SampleTUniform(noise.bound_log2, rng) + (message % p.message_modulus) * delta;
  block.ct.data.back() = body;
  block.degree = degree;
  block.noise_level = 1;  // NoiseLevel::NOMINAL
  block.message_modulus = p.message_modulus;
  block.carry_modulus = p.carry_modulus;
  return block;
}

absl::Status CheckModuli(const ClientKey& key) {
  const ClassicPBSParameters& p = key.parameters;
  if (p.message_modulus < 2 || !std::has_single_bit(p.message_modulus) ||
      !std::has_single_bit(p.carry_modulus) || p.message_modulus * p.carry_modulus > (1u << 16)) {
    return absl::InvalidArgumentError("the client key's message and carry moduli are invalid");
  }
  return absl::OkStatus();
}

absl::Status CheckEncryptionKey(const ClientKey& key) {
  if (!key.parameters.ciphertext_modulus.is_native()) {
    return absl::UnimplementedError("only the native 64-bit modulus is supported");
  }
  return CheckModuli(key);
}

}  // namespace

// TUniform(b): r + c − 2^b with r uniform on (b+1) bits and c one uniform bit, so that
// [−2^b, 2^b] is covered with the two ends at half the probability of the inner values.
uint64_t SampleTUniform(uint32_t bound_log2, algebra::RandomSource& rng) {
  uint8_t buf[8];
  rng.Fill(buf);
  uint64_t x = 0;
  for (int i = 7; i >= 0; --i) x = x << 8 | buf[i];
  const uint64_t r = x & ((uint64_t{2} << bound_log2) - 1);
  const uint64_t c = (x >> 63) & 1;
  return r + c - (uint64_t{1} << bound_log2);
}

absl::StatusOr<std::vector<uint64_t>> DecryptCompactList(const ClientKey& key,
                                                         const CompactCiphertextList& list) {
  if (!key.dedicated_compact_private_key.has_value()) {
    return absl::InvalidArgumentError("the client key has no dedicated compact secret");
  }
  const std::vector<uint64_t>& s = key.dedicated_compact_private_key->key.data;
  const LweCompactCiphertextList& l = list.ct_list;
  const size_t n = l.lwe_dimension();
  if (n != s.size()) {
    return absl::InvalidArgumentError(internal::Cat(
        "the list has dimension ", n, ", the client key's compact secret ", s.size()));
  }
  if (!l.modulus.is_native()) {
    return absl::UnimplementedError("only the native 64-bit modulus is supported");
  }
  if (list.message_modulus < 2 || !std::has_single_bit(list.message_modulus) ||
      !std::has_single_bit(list.carry_modulus) ||
      list.message_modulus * list.carry_modulus > (1u << 16)) {
    return absl::InvalidArgumentError("the list's message and carry moduli are invalid");
  }
  std::vector<uint64_t> out(l.lwe_ciphertext_count);
  for (size_t i = 0; i < out.size(); ++i) {
    // mask_i = X^(i mod n̂)·M_(i / n̂), negacyclic: coefficient k is M[k − i] for k >= i and
    // −M[k − i + n̂] below.
    const uint64_t* mask = l.data.data() + (i / n) * n;
    const uint64_t body = l.data[l.mask_count() * n + i];
    const size_t shift = i % n;
    uint64_t dot = 0;
    for (size_t k = 0; k < n; ++k) {
      dot += k >= shift ? mask[k - shift] * s[k] : (0 - mask[k - shift + n]) * s[k];
    }
    out[i] = DecodeMessageAndCarry(body - dot, list.message_modulus, list.carry_modulus);
  }
  return out;
}

uint64_t LwePhase(const LweCiphertext& ct, std::span<const uint64_t> key) {
  uint64_t dot = 0;
  for (size_t i = 0; i < key.size(); ++i) dot += ct.data[i] * key[i];
  return ct.body() - dot;
}

uint64_t DecodeMessageAndCarry(uint64_t phase, uint64_t message_modulus, uint64_t carry_modulus) {
  const uint64_t delta = Delta(message_modulus, carry_modulus);
  const uint64_t rounding = (phase & (delta >> 1)) << 1;
  return ((phase + rounding) / delta) % (message_modulus * carry_modulus);
}

absl::StatusOr<uint64_t> DecryptBlock(const ClientKey& key, const ShortintCiphertext& block) {
  KMS_RETURN_IF_ERROR(CheckModuli(key));
  KMS_ASSIGN_OR_RETURN(std::span<const uint64_t> s, KeyFor(key, block.atomic_pattern));
  if (block.ct.data.size() != s.size() + 1) {
    return absl::InvalidArgumentError(
        internal::Cat("the block has dimension ", block.ct.data.size() - 1,
                      ", the client key's for its atomic pattern is ", s.size()));
  }
  if (!block.ct.modulus.is_native() || block.ct.modulus.scalar_bits != 64) {
    return absl::UnimplementedError("only the native 64-bit modulus is supported");
  }
  // As tfhe-rs's decrypt_message_and_carry: the encoding of the client key's parameters.
  return DecodeMessageAndCarry(LwePhase(block.ct, s), key.parameters.message_modulus,
                               key.parameters.carry_modulus);
}

absl::StatusOr<u128> DecryptFheUint(const ClientKey& key, const FheUint& ct) {
  u128 value = 0;
  uint64_t shift = 0;
  for (size_t i = 0; i < ct.blocks.size(); ++i) {
    KMS_ASSIGN_OR_RETURN(uint64_t m, DecryptBlock(key, ct.blocks[i]));
    if (shift < 128) value += u128{m} << shift;
    // Every block contributes log2(message) bits (the recomposer's bits_in_block).
    shift += std::countr_zero(key.parameters.message_modulus);
  }
  return value;
}

absl::StatusOr<bool> DecryptFheBool(const ClientKey& key, const FheBool& ct) {
  // tfhe-rs's decrypt_bool: the message part (carries dropped) is non-zero.
  KMS_ASSIGN_OR_RETURN(uint64_t m, DecryptBlock(key, ct.block));
  return m % key.parameters.message_modulus != 0;
}

absl::StatusOr<FheUint> EncryptFheUint(const ClientKey& key, u128 value, size_t num_blocks,
                                       algebra::RandomSource& rng) {
  KMS_RETURN_IF_ERROR(CheckEncryptionKey(key));
  const uint64_t msg = key.parameters.message_modulus;
  const unsigned bits = std::countr_zero(msg);
  FheUint ct;
  ct.blocks.reserve(num_blocks);
  for (size_t i = 0; i < num_blocks; ++i) {
    const uint64_t shift = uint64_t{i} * bits;
    const uint64_t m = shift < 128 ? static_cast<uint64_t>(value >> shift) & (msg - 1) : 0;
    KMS_ASSIGN_OR_RETURN(ShortintCiphertext block, EncryptBlock(key, m, msg - 1, rng));
    ct.blocks.push_back(std::move(block));
  }
  return ct;
}

absl::StatusOr<FheBool> EncryptFheBool(const ClientKey& key, bool value,
                                       algebra::RandomSource& rng) {
  KMS_RETURN_IF_ERROR(CheckEncryptionKey(key));
  FheBool ct;
  KMS_ASSIGN_OR_RETURN(ct.block, EncryptBlock(key, value ? 1 : 0, 1, rng));
  return ct;
}

}  // namespace kms::tfhe
