#include "tfhe/compact_encryption.h"

#include <bit>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/secure_zero.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/key_generation.h"

namespace kms::tfhe {
namespace {

// n uniform binary words from ⌈n/8⌉ random bytes.
void FillBinary(std::span<uint64_t> out, algebra::RandomSource& rng) {
  std::vector<uint8_t> bytes((out.size() + 7) / 8);
  rng.Fill(bytes);
  for (size_t i = 0; i < out.size(); ++i) out[i] = (bytes[i / 8] >> (i % 8)) & 1;
  crypto::SecureZero(std::span<uint8_t>(bytes));
}

}  // namespace

absl::StatusOr<LweCompactCiphertextList> EncryptCompactCiphertextList(
    const CompactPublicKey& cpk, std::span<const uint64_t> messages, uint64_t encryption_modulus,
    algebra::RandomSource& rng) {
  const CompactPublicKeyEncryptionParameters& p = cpk.parameters;
  if (p.encryption_noise_distribution.kind != DynamicDistribution::Kind::kTUniform) {
    return absl::UnimplementedError("only TUniform encryption noise is implemented");
  }
  if (p.encryption_noise_distribution.bound_log2 > 61) {
    return absl::InvalidArgumentError("TUniform bound too wide for 64-bit LWE");
  }
  if (!p.ciphertext_modulus.is_native() || !cpk.key.glwe_ciphertext.modulus.is_native()) {
    return absl::UnimplementedError("only the native 64-bit modulus is supported");
  }
  const uint64_t full = p.message_modulus * p.carry_modulus;
  if (p.message_modulus == 0 || p.carry_modulus == 0 || !std::has_single_bit(full) ||
      full > (uint64_t{1} << 62)) {
    return absl::InvalidArgumentError("CompactPublicKey.parameters: bad message/carry moduli");
  }
  if (encryption_modulus == 0 || encryption_modulus > full) {
    return absl::InvalidArgumentError(
        absl::StrCat("encryption modulus ", encryption_modulus, " exceeds message·carry ", full));
  }
  const size_t n = p.encryption_lwe_dimension;
  const std::vector<uint64_t>& key = cpk.key.glwe_ciphertext.data;
  if (n == 0 || key.size() != 2 * n || cpk.key.glwe_ciphertext.polynomial_size != n) {
    return absl::InvalidArgumentError(
        "CompactPublicKey.key: data length does not match encryption_lwe_dimension");
  }
  // Δ = 2^63 / (message·carry): one padding bit.
  const uint64_t delta = (uint64_t{1} << 63) / full;
  const size_t count = messages.size();
  const size_t chunks = (count + n - 1) / n;

  LweCompactCiphertextList out;
  out.lwe_size = n + 1;
  out.lwe_ciphertext_count = count;
  out.modulus = p.ciphertext_modulus;
  out.data.assign(chunks * n + count, 0);

  // tfhe-rs's draw order: every chunk's r, then the mask noise, then the body noise.
  std::vector<uint64_t> r(chunks * n), mask_noise(chunks * n), body_noise(count);
  FillBinary(r, rng);
  const uint32_t bound = p.encryption_noise_distribution.bound_log2;
  for (uint64_t& e : mask_noise) e = SampleTUniform(bound, rng);
  for (uint64_t& e : body_noise) e = SampleTUniform(bound, rng);

  std::span<const uint64_t> a(key.data(), n), b(key.data() + n, n);
  std::vector<uint64_t> b_conv(n);
  for (size_t c = 0; c < chunks; ++c) {
    std::span<uint64_t> mask(out.data.data() + c * n, n);
    std::span<const uint64_t> rc(r.data() + c * n, n);
    SemiReverseNegacyclicConvolution(mask, a, rc);
    SemiReverseNegacyclicConvolution(b_conv, b, rc);
    for (size_t k = 0; k < n; ++k) mask[k] += mask_noise[c * n + k];
    const size_t first = c * n;
    const size_t len = std::min(n, count - first);
    uint64_t* body = out.data.data() + chunks * n + first;
    for (size_t j = 0; j < len; ++j) {
      const uint64_t m = messages[first + j] % encryption_modulus;
      body[j] = b_conv[n - 1 - j] + body_noise[first + j] + delta * m;
    }
  }
  crypto::SecureZero(std::span<uint64_t>(r));
  crypto::SecureZero(std::span<uint64_t>(mask_noise));
  crypto::SecureZero(std::span<uint64_t>(body_noise));
  crypto::SecureZero(std::span<uint64_t>(b_conv));
  return out;
}

CompactListBuilder::~CompactListBuilder() {
  for (Value& v : values_) crypto::SecureZero(&v.bits_value, sizeof(v.bits_value));
}

absl::Status CompactListBuilder::PushUint(u128 value, size_t bits) {
  if (bits == 0 || bits > 128) {
    return absl::InvalidArgumentError(absl::StrCat("PushUint: bad width ", bits));
  }
  values_.push_back({DataKind::Kind::kUnsigned, value, bits});
  return absl::OkStatus();
}

absl::Status CompactListBuilder::PushInt(__int128 value, size_t bits) {
  if (bits == 0 || bits > 128) {
    return absl::InvalidArgumentError(absl::StrCat("PushInt: bad width ", bits));
  }
  values_.push_back({DataKind::Kind::kSigned, static_cast<u128>(value), bits});
  return absl::OkStatus();
}

void CompactListBuilder::PushBool(bool value) {
  values_.push_back({DataKind::Kind::kBoolean, value ? u128{1} : u128{0}, 1});
}

absl::StatusOr<CompactCiphertextList> CompactListBuilder::BuildImpl(const CompactPublicKey& cpk,
                                                                    algebra::RandomSource& rng,
                                                                    bool packed) const {
  const uint64_t msg = cpk.parameters.message_modulus;
  const uint64_t carry = cpk.parameters.carry_modulus;
  if (msg < 2 || !std::has_single_bit(msg)) {
    return absl::InvalidArgumentError("CompactPublicKey.parameters.message_modulus: not 2^k");
  }
  if (packed && carry < msg) {
    return absl::InvalidArgumentError(
        "a packed compact list needs carry_modulus >= message_modulus");
  }
  const size_t log_msg = std::countr_zero(msg);
  CompactCiphertextList list;
  std::vector<uint64_t> blocks;
  for (const Value& v : values_) {
    DataKind kind;
    kind.kind = v.kind;
    if (v.kind == DataKind::Kind::kBoolean) {
      blocks.push_back(static_cast<uint64_t>(v.bits_value));
    } else {
      if (v.bits % log_msg != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "a ", v.bits, "-bit value is not a whole number of ", log_msg, "-bit blocks"));
      }
      kind.block_count = v.bits / log_msg;
      for (size_t j = 0; j < kind.block_count; ++j) {
        blocks.push_back(static_cast<uint64_t>(v.bits_value >> (j * log_msg)) & (msg - 1));
      }
    }
    list.info.push_back(kind);
  }
  uint64_t modulus = msg;
  std::vector<uint64_t> messages;
  if (packed) {
    modulus = msg * msg;
    messages.reserve((blocks.size() + 1) / 2);
    for (size_t j = 0; j < blocks.size(); j += 2) {
      const uint64_t hi = j + 1 < blocks.size() ? blocks[j + 1] : 0;
      messages.push_back(blocks[j] + msg * hi);
    }
  } else {
    messages = blocks;
  }
  auto ct = EncryptCompactCiphertextList(cpk, messages, modulus, rng);
  crypto::SecureZero(std::span<uint64_t>(blocks));
  crypto::SecureZero(std::span<uint64_t>(messages));
  KMS_RETURN_IF_ERROR(ct.status());
  list.ct_list = std::move(*ct);
  list.degree = modulus - 1;
  list.message_modulus = msg;
  list.carry_modulus = carry;
  list.expansion_kind = cpk.parameters.expansion_kind;
  list.tag = cpk.tag;
  return list;
}

absl::StatusOr<CompactCiphertextList> CompactListBuilder::Build(const CompactPublicKey& cpk,
                                                                algebra::RandomSource& rng) const {
  return BuildImpl(cpk, rng, /*packed=*/false);
}

absl::StatusOr<CompactCiphertextList> CompactListBuilder::BuildPacked(
    const CompactPublicKey& cpk, algebra::RandomSource& rng) const {
  return BuildImpl(cpk, rng, /*packed=*/true);
}

}  // namespace kms::tfhe
