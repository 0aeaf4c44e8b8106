#include "tfhe/compression.h"

#include <bit>

#include "common/status_macros.h"
#include "crypto/secure_zero.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/codec_internal.h"
#include "tfhe/mask_regeneration.h"
#include "tfhe/ntt128.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {
namespace {

using internal::kBits;

template <typename Scalar>
Scalar Uniform(algebra::RandomSource& rng) {
  if constexpr (sizeof(Scalar) == 8) {
    uint8_t buf[8];
    rng.Fill(buf);
    uint64_t x = 0;
    for (int i = 7; i >= 0; --i) x = x << 8 | buf[i];
    return x;
  } else {
    return UniformU128(rng);
  }
}

template <typename Scalar>
Scalar Noise(uint32_t bound_log2, algebra::RandomSource& rng) {
  if constexpr (sizeof(Scalar) == 8) {
    return SampleTUniform(bound_log2, rng);
  } else {
    return SampleTUniform128(bound_log2, rng);
  }
}

// out += a·s in Z[X]/(X^N + 1) (schoolbook).
template <typename Scalar>
void NegacyclicMulAdd(Scalar* out, const Scalar* a, const Scalar* s, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    if (a[i] == 0) continue;
    for (uint64_t j = 0; j < n; ++j) {
      const Scalar prod = a[i] * s[j];
      const uint64_t k = i + j;
      if (k < n) {
        out[k] += prod;
      } else {
        out[k - n] -= prod;
      }
    }
  }
}

// Balanced base-2^base_log digits of x rounded to base_log·levels bits, digits[ℓ − 1] for level ℓ
// (level 1 the most significant), as tfhe-rs's SignedDecomposer (ties go up when the next digit
// is odd).
template <typename Scalar>
void Decompose(Scalar x, uint64_t base_log, uint64_t levels, std::vector<Scalar>& digits) {
  constexpr uint64_t bits = kBits<Scalar>;
  const uint64_t rep = base_log * levels;
  Scalar state = x;
  if (rep < bits) {
    const uint64_t shift = bits - rep;
    state = (x >> shift) + ((x >> (shift - 1)) & 1);  // round to the top rep bits
    if (rep < bits) state &= (Scalar{1} << rep) - 1;
  }
  const Scalar base = Scalar{1} << base_log;
  const Scalar half = base >> 1;
  for (uint64_t level = levels; level >= 1; --level) {
    Scalar digit = state & (base - 1);
    state >>= base_log;
    if (digit > half || (digit == half && (state & 1) != 0)) {
      digit -= base;  // wraps: a negative digit in two's complement
      state += 1;
    }
    digits[level - 1] = digit;
  }
}

absl::Status RequireNative(const CiphertextModulus& m, const char* what) {
  if (!m.is_native()) {
    return absl::UnimplementedError(std::string(what) + ": only native moduli are supported");
  }
  return absl::OkStatus();
}

template <typename Scalar>
absl::Status CheckPackingKey(const LwePackingKeyswitchKey<Scalar>& key) {
  KMS_RETURN_IF_ERROR(RequireNative(key.modulus, "packing key switching"));
  if (key.decomp_level_count == 0 || key.decomp_base_log == 0 ||
      key.decomp_base_log * key.decomp_level_count > kBits<Scalar> || key.output_glwe_size < 2 ||
      !std::has_single_bit(key.output_polynomial_size) ||
      key.data.size() % (key.decomp_level_count * key.glwe_words()) != 0 || key.data.empty()) {
    return absl::InvalidArgumentError("the packing key-switching key is malformed");
  }
  return absl::OkStatus();
}

uint32_t TUniformBound(const DynamicDistribution& d, absl::Status& status) {
  if (d.kind != DynamicDistribution::Kind::kTUniform) {
    status = absl::UnimplementedError("only TUniform noise is implemented");
    return 0;
  }
  return d.bound_log2;
}

template <typename Scalar>
absl::StatusOr<GlweSecretKey<Scalar>> BinaryGlweKey(uint64_t glwe_dimension,
                                                    uint64_t polynomial_size,
                                                    algebra::RandomSource& rng) {
  if (glwe_dimension == 0 || !std::has_single_bit(polynomial_size) ||
      glwe_dimension > (uint64_t{1} << 20) / polynomial_size) {
    return absl::InvalidArgumentError("GLWE key shape out of range");
  }
  GlweSecretKey<Scalar> key;
  key.polynomial_size = polynomial_size;
  std::vector<uint8_t> bits(glwe_dimension * polynomial_size);
  rng.Fill(bits);
  key.data.resize(bits.size());
  for (size_t i = 0; i < bits.size(); ++i) key.data[i] = bits[i] & 1;
  crypto::SecureZero(bits);
  return key;
}

// The first k·N + count coefficients of `glwe`, rounded to `log` bits (tfhe-rs's
// modulus_switch; the identity at log = bits), packed.
template <typename Scalar>
CompressedModulusSwitchedGlweCiphertext<Scalar> CompressGlwe(const GlweCiphertextOf<Scalar>& glwe,
                                                             uint64_t count, uint64_t log,
                                                             const CiphertextModulus& modulus) {
  constexpr uint64_t bits = kBits<Scalar>;
  const uint64_t n = glwe.glwe_dimension * glwe.polynomial_size + count;
  std::vector<Scalar> switched(glwe.data.begin(), glwe.data.begin() + n);
  if (log < bits) {
    for (Scalar& x : switched) x = (x + (Scalar{1} << (bits - log - 1))) >> (bits - log);
  }
  CompressedModulusSwitchedGlweCiphertext<Scalar> out;
  out.packed_integers = PackedIntegers<Scalar>::Pack(switched, log);
  out.glwe_dimension = glwe.glwe_dimension;
  out.polynomial_size = glwe.polynomial_size;
  out.bodies_count = count;
  out.uncompressed_ciphertext_modulus = modulus;
  return out;
}

}  // namespace

template <typename Scalar>
void Convert(Codec& c, LwePackingKeyswitchKey<Scalar>& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(2, "");
  internal::Words(c, v.data, "data");
  c.TaggedU64(v.decomp_base_log, "decomp_base_log");
  c.TaggedU64(v.decomp_level_count, "decomp_level_count");
  c.TaggedU64(v.output_glwe_size, "output_glwe_size");
  c.TaggedU64(v.output_polynomial_size, "output_polynomial_size");
  Convert(c, v.modulus, kBits<Scalar>, "ciphertext_modulus");
  if (!c.ok()) return;
  c.Require(
      v.decomp_base_log >= 1 && v.decomp_level_count >= 1 &&
          u128{v.decomp_base_log} * v.decomp_level_count <= kBits<Scalar>,
      "decomp_base_log",
      internal::Cat("decomposition base_log ", v.decomp_base_log, " x level ", v.decomp_level_count,
                    " must be at least 1 each and fit ", kBits<Scalar>, " bits"));
  c.Require(v.output_glwe_size >= 2, "output_glwe_size", "the GLWE size must be at least 2");
  c.Require(internal::IsPowerOfTwo(v.output_polynomial_size), "output_polynomial_size",
            "the polynomial size must be a power of two");
  if (!c.ok()) return;
  const u128 unit = u128{v.decomp_level_count} * v.output_glwe_size * v.output_polynomial_size;
  c.Require(!v.data.empty() && v.data.size() % unit == 0, "data",
            internal::Cat("length ", v.data.size(), " is not a non-zero multiple of ",
                          v.decomp_level_count, " x ", v.output_glwe_size, " x ",
                          v.output_polynomial_size));
}

void Convert(Codec& c, CompressionKey& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");  // integer::CompressionKey
  Codec::Scope shortint(c, "key");
  c.VersionTag(0, "");
  Convert(c, v.packing_key_switching_key, "packing_key_switching_key");
  c.TaggedU64(v.lwe_per_glwe, "lwe_per_glwe");
  c.TaggedU64(v.storage_log_modulus, "storage_log_modulus");
  if (!c.ok()) return;
  c.Require(
      v.lwe_per_glwe >= 1 && v.lwe_per_glwe <= v.packing_key_switching_key.output_polynomial_size,
      "lwe_per_glwe", "lwe_per_glwe must be in [1, output polynomial size]");
  c.Require(v.storage_log_modulus >= 1 && v.storage_log_modulus <= 64, "storage_log_modulus",
            "storage_log_modulus must be in [1, 64]");
}

void Convert(Codec& c, NoiseSquashingCompressionKey& v, std::string_view field) {
  Codec::Scope scope(c, field);
  c.VersionTag(0, "");  // integer::NoiseSquashingCompressionKey
  Codec::Scope shortint(c, "key");
  c.VersionTag(0, "");
  Convert(c, v.packing_key_switching_key, "packing_key_switching_key");
  c.TaggedU64(v.lwe_per_glwe, "lwe_per_glwe");
  if (!c.ok()) return;
  c.Require(
      v.lwe_per_glwe >= 1 && v.lwe_per_glwe <= v.packing_key_switching_key.output_polynomial_size,
      "lwe_per_glwe", "lwe_per_glwe must be in [1, output polynomial size]");
}

template <typename Scalar>
absl::StatusOr<LwePackingKeyswitchKey<Scalar>> DecompressPackingKeySwitchingKey(
    const SeededLwePackingKeyswitchKey<Scalar>& key) {
  MaskStream masks = MaskStream::FromCompressionSeed(key.compression_seed);
  return DecompressPackingKeySwitchingKey(key, masks);
}

template <typename Scalar>
absl::StatusOr<LwePackingKeyswitchKey<Scalar>> DecompressPackingKeySwitchingKey(
    const SeededLwePackingKeyswitchKey<Scalar>& key, MaskStream& masks) {
  KMS_RETURN_IF_ERROR(RequireNative(key.modulus, "packing key mask regeneration"));
  const uint64_t n = key.output_polynomial_size;
  if (n == 0 || key.output_glwe_size < 2 || key.data.size() % n != 0) {
    return absl::InvalidArgumentError("the seeded packing key is malformed");
  }
  const uint64_t entries = key.data.size() / n;
  if (entries > kDefaultSizeLimit / sizeof(Scalar) / key.output_glwe_size / n) {
    return absl::InvalidArgumentError(
        "the decompressed packing key-switching key would exceed the 2 GiB size limit");
  }
  LwePackingKeyswitchKey<Scalar> out;
  out.decomp_base_log = key.decomp_base_log;
  out.decomp_level_count = key.decomp_level_count;
  out.output_glwe_size = key.output_glwe_size;
  out.output_polynomial_size = n;
  out.modulus = key.modulus;
  const uint64_t k = key.output_glwe_size - 1;
  out.data.resize(entries * key.output_glwe_size * n);
  // Read from the generator itself, no fork (seeded_glwe_ciphertext_list_decompression.rs).
  for (uint64_t e = 0; e < entries; ++e) {
    Scalar* glwe = out.data.data() + e * key.output_glwe_size * n;
    for (uint64_t j = 0; j < k * n; ++j) glwe[j] = masks.Next<Scalar>();
    std::copy(key.data.begin() + e * n, key.data.begin() + (e + 1) * n, glwe + k * n);
  }
  return out;
}

absl::StatusOr<CompressionKey> DecompressCompressionKey(const CompressedCompressionKey& key) {
  CompressionKey out;
  KMS_ASSIGN_OR_RETURN(out.packing_key_switching_key,
                       DecompressPackingKeySwitchingKey(key.packing_key_switching_key));
  out.lwe_per_glwe = key.lwe_per_glwe;
  out.storage_log_modulus = key.storage_log_modulus;
  return out;
}

absl::StatusOr<NoiseSquashingCompressionKey> DecompressNoiseSquashingCompressionKey(
    const CompressedNoiseSquashingCompressionKey& key) {
  NoiseSquashingCompressionKey out;
  KMS_ASSIGN_OR_RETURN(out.packing_key_switching_key,
                       DecompressPackingKeySwitchingKey(key.packing_key_switching_key));
  out.lwe_per_glwe = key.lwe_per_glwe;
  return out;
}

template <typename Scalar>
absl::StatusOr<LwePackingKeyswitchKey<Scalar>> GeneratePackingKeySwitchingKey(
    std::span<const Scalar> input_key, const GlweSecretKey<Scalar>& output_key,
    uint64_t decomp_base_log, uint64_t decomp_level_count, uint32_t noise_bound_log2,
    algebra::RandomSource& rng) {
  const uint64_t n = output_key.polynomial_size;
  if (input_key.empty() || n == 0 || output_key.data.empty() || output_key.data.size() % n != 0 ||
      decomp_base_log == 0 || decomp_level_count == 0 ||
      decomp_base_log * decomp_level_count > kBits<Scalar> ||
      noise_bound_log2 + 2 > kBits<Scalar>) {
    return absl::InvalidArgumentError("invalid packing key-switching key parameters");
  }
  const uint64_t k = output_key.glwe_dimension();
  LwePackingKeyswitchKey<Scalar> out;
  out.decomp_base_log = decomp_base_log;
  out.decomp_level_count = decomp_level_count;
  out.output_glwe_size = k + 1;
  out.output_polynomial_size = n;
  out.data.assign(input_key.size() * decomp_level_count * (k + 1) * n, Scalar{0});
  // Σ_p A_p·S_p exactly through the 128-bit NTT (S binary: tfhe/ntt128.h's bound holds) when N
  // allows it, schoolbook otherwise; the same values and the same draws either way.
  const bool use_ntt = std::has_single_bit(n) && n >= 4 && n <= (uint64_t{1} << 16);
  const Ntt128Plan* plan = use_ntt ? &Ntt128Plan::For(n) : nullptr;
  const uint64_t w = kNttPrimes * n;
  std::vector<uint64_t> s_ntt(use_ntt ? k * w : 0), fa(use_ntt ? w : 0), acc(use_ntt ? w : 0);
  std::vector<u128> wide(use_ntt ? n : 0), product(use_ntt ? n : 0);
  for (uint64_t p = 0; use_ntt && p < k; ++p) {
    for (uint64_t t = 0; t < n; ++t) wide[t] = output_key.data[p * n + t] & 1;
    plan->ForwardSigned(wide, std::span<uint64_t>(s_ntt.data() + p * w, w));
  }
  for (uint64_t i = 0; i < input_key.size(); ++i) {
    for (uint64_t level = decomp_level_count; level >= 1; --level) {
      Scalar* glwe = const_cast<Scalar*>(out.Entry(i, level));
      Scalar* body = glwe + k * n;
      if (use_ntt) std::fill(acc.begin(), acc.end(), 0);
      for (uint64_t p = 0; p < k; ++p) {
        for (uint64_t t = 0; t < n; ++t) glwe[p * n + t] = Uniform<Scalar>(rng);
        if (use_ntt) {
          for (uint64_t t = 0; t < n; ++t) wide[t] = glwe[p * n + t];
          plan->ForwardTorus(wide, fa, /*montgomery=*/true);
          plan->MulAdd(acc, std::span<const uint64_t>(s_ntt.data() + p * w, w), fa);
        } else {
          NegacyclicMulAdd(body, glwe + p * n, output_key.data.data() + p * n, n);
        }
      }
      if (use_ntt) {
        std::fill(product.begin(), product.end(), 0);
        plan->BackwardAdd(acc, product);
        for (uint64_t t = 0; t < n; ++t) body[t] = static_cast<Scalar>(product[t]);
      }
      for (uint64_t t = 0; t < n; ++t) body[t] += Noise<Scalar>(noise_bound_log2, rng);
      body[0] += input_key[i] << (kBits<Scalar> - decomp_base_log * level);
    }
  }
  // The NTT of the secret and the products A·S are secret-derived.
  crypto::SecureZero(s_ntt);
  crypto::SecureZero(acc);
  crypto::SecureZero(std::span<u128>(product));
  return out;
}

template <typename Scalar>
absl::StatusOr<GlweCiphertextOf<Scalar>> KeyswitchAndPack(
    const LwePackingKeyswitchKey<Scalar>& key, std::span<const std::vector<Scalar>> lwes) {
  KMS_RETURN_IF_ERROR(CheckPackingKey(key));
  const uint64_t n = key.output_polynomial_size;
  const uint64_t k = key.output_glwe_dimension();
  const uint64_t n_in = key.input_lwe_dimension();
  const uint64_t levels = key.decomp_level_count;
  if (lwes.size() > n) {
    return absl::InvalidArgumentError(
        internal::Cat("cannot pack ", lwes.size(), " LWEs into a GLWE of ", n, " coefficients"));
  }
  GlweCiphertextOf<Scalar> out;
  out.glwe_dimension = k;
  out.polynomial_size = n;
  out.data.assign((k + 1) * n, Scalar{0});
  std::vector<Scalar> buffer((k + 1) * n);
  std::vector<Scalar> digits(levels);
  for (size_t j = 0; j < lwes.size(); ++j) {
    const std::vector<Scalar>& lwe = lwes[j];
    if (lwe.size() != n_in + 1) {
      return absl::InvalidArgumentError(internal::Cat("LWE ", j, " has dimension ", lwe.size() - 1,
                                                      ", the packing key's input is ", n_in));
    }
    std::fill(buffer.begin(), buffer.end(), Scalar{0});
    buffer[k * n] = lwe[n_in];
    for (uint64_t i = 0; i < n_in; ++i) {
      Decompose(lwe[i], key.decomp_base_log, levels, digits);
      for (uint64_t level = 1; level <= levels; ++level) {
        const Scalar d = digits[level - 1];
        if (d == 0) continue;
        const Scalar* entry = key.Entry(i, level);
        for (uint64_t t = 0; t < (k + 1) * n; ++t) buffer[t] -= d * entry[t];
      }
    }
    // out += X^j · buffer, every polynomial (negacyclic rotation).
    for (uint64_t p = 0; p <= k; ++p) {
      const Scalar* src = buffer.data() + p * n;
      Scalar* dst = out.data.data() + p * n;
      for (uint64_t t = 0; t < n; ++t) {
        const uint64_t to = t + j;
        if (to < n) {
          dst[to] += src[t];
        } else {
          dst[to - n] -= src[t];
        }
      }
    }
  }
  return out;
}

template <typename Scalar>
std::vector<Scalar> GlwePhase(const GlweCiphertextOf<Scalar>& glwe,
                              const GlweSecretKey<Scalar>& key) {
  const uint64_t n = glwe.polynomial_size;
  std::vector<Scalar> dot(n, Scalar{0});
  for (uint64_t p = 0; p < glwe.glwe_dimension; ++p) {
    NegacyclicMulAdd(dot.data(), glwe.data.data() + p * n, key.data.data() + p * n, n);
  }
  std::vector<Scalar> phase(n);
  for (uint64_t t = 0; t < n; ++t) phase[t] = glwe.data[glwe.glwe_dimension * n + t] - dot[t];
  return phase;
}

absl::StatusOr<CompressedCiphertextList> CompressCiphertexts(
    const CompressionKey& key, std::span<const ShortintCiphertext> blocks,
    std::vector<DataKind> info) {
  CompressedCiphertextList out;
  out.re_randomization_metadata.assign(info.size(), {});
  out.info = std::move(info);
  if (blocks.empty()) return out;
  const LwePackingKeyswitchKey<uint64_t>& pksk = key.packing_key_switching_key;
  KMS_RETURN_IF_ERROR(CheckPackingKey(pksk));
  if (key.lwe_per_glwe == 0 || key.lwe_per_glwe > pksk.output_polynomial_size ||
      key.storage_log_modulus == 0 || key.storage_log_modulus > 64) {
    return absl::InvalidArgumentError(
        "the compression key's lwe_per_glwe or storage modulus is invalid");
  }
  const ShortintCiphertext& first = blocks[0];
  if (first.carry_modulus < first.message_modulus) {
    return absl::InvalidArgumentError("compression needs carry_modulus >= message_modulus");
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    const ShortintCiphertext& b = blocks[i];
    if (b.message_modulus != first.message_modulus || b.carry_modulus != first.carry_modulus ||
        !(b.atomic_pattern == first.atomic_pattern) || !(b.ct.modulus == pksk.modulus)) {
      return absl::InvalidArgumentError(
          internal::Cat("block ", i, " differs from block 0 in moduli or atomic pattern"));
    }
    if (b.degree >= b.message_modulus) {
      return absl::InvalidArgumentError(
          internal::Cat("block ", i, " has a non-empty carry (degree ", b.degree, ")"));
    }
  }
  for (size_t start = 0; start < blocks.size(); start += key.lwe_per_glwe) {
    const size_t count = std::min<size_t>(key.lwe_per_glwe, blocks.size() - start);
    std::vector<std::vector<uint64_t>> lwes(count);
    for (size_t j = 0; j < count; ++j) {
      lwes[j] = blocks[start + j].ct.data;
      for (uint64_t& w : lwes[j]) w *= first.message_modulus;  // messages moved into the carries
    }
    KMS_ASSIGN_OR_RETURN(GlweCiphertextOf<uint64_t> glwe, KeyswitchAndPack<uint64_t>(pksk, lwes));
    out.modulus_switched_glwe_ciphertext_list.push_back(
        CompressGlwe(glwe, count, key.storage_log_modulus, pksk.modulus));
  }
  out.meta = CompressedCiphertextListMeta{pksk.modulus, first.message_modulus, first.carry_modulus,
                                          first.atomic_pattern, key.lwe_per_glwe};
  return out;
}

absl::StatusOr<CompressedSquashedNoiseCiphertextList> CompressSquashedNoiseCiphertexts(
    const NoiseSquashingCompressionKey& key, std::span<const SquashedNoiseCiphertext> blocks,
    std::vector<DataKind> info) {
  CompressedSquashedNoiseCiphertextList out;
  out.info = std::move(info);
  if (blocks.empty()) return out;
  const LwePackingKeyswitchKey<u128>& pksk = key.packing_key_switching_key;
  KMS_RETURN_IF_ERROR(CheckPackingKey(pksk));
  if (key.lwe_per_glwe == 0 || key.lwe_per_glwe > pksk.output_polynomial_size) {
    return absl::InvalidArgumentError("the compression key's lwe_per_glwe is invalid");
  }
  const SquashedNoiseCiphertext& first = blocks[0];
  for (size_t i = 0; i < blocks.size(); ++i) {
    const SquashedNoiseCiphertext& b = blocks[i];
    if (b.message_modulus != first.message_modulus || b.carry_modulus != first.carry_modulus ||
        !(b.ct.modulus == pksk.modulus)) {
      return absl::InvalidArgumentError(
          internal::Cat("block ", i, " differs from block 0 in its moduli"));
    }
  }
  for (size_t start = 0; start < blocks.size(); start += key.lwe_per_glwe) {
    const size_t count = std::min<size_t>(key.lwe_per_glwe, blocks.size() - start);
    std::vector<std::vector<u128>> lwes(count);
    for (size_t j = 0; j < count; ++j) lwes[j] = blocks[start + j].ct.data;
    KMS_ASSIGN_OR_RETURN(GlweCiphertextOf<u128> glwe, KeyswitchAndPack<u128>(pksk, lwes));
    out.glwe_ciphertext_list.push_back(CompressGlwe(glwe, count, 128, pksk.modulus));
  }
  out.meta = CompressedSquashedNoiseCiphertextListMeta{first.message_modulus, first.carry_modulus,
                                                       key.lwe_per_glwe};
  return out;
}

CompressionParameters KmsTestCompressionParameters() {
  CompressionParameters p;
  p.br_level = 1;
  p.br_base_log = 24;
  p.packing_ks_level = 1;
  p.packing_ks_base_log = 27;
  p.packing_ks_polynomial_size = 256;
  p.packing_ks_glwe_dimension = 1;
  p.lwe_per_glwe = 256;
  p.storage_log_modulus = 9;
  p.packing_ks_key_noise_distribution = DynamicDistribution::TUniform(0);
  return p;
}

CompressionParameters KmsDefaultCompressionParameters() {
  CompressionParameters p;
  p.br_level = 1;
  p.br_base_log = 23;
  p.packing_ks_level = 3;
  p.packing_ks_base_log = 4;
  p.packing_ks_polynomial_size = 256;
  p.packing_ks_glwe_dimension = 4;
  p.lwe_per_glwe = 256;
  p.storage_log_modulus = 12;
  p.packing_ks_key_noise_distribution = DynamicDistribution::TUniform(43);
  return p;
}

NoiseSquashingCompressionParameters KmsDefaultNoiseSquashingCompressionParameters() {
  NoiseSquashingCompressionParameters p;
  p.packing_ks_level = 1;
  p.packing_ks_base_log = 61;
  p.packing_ks_polynomial_size = 1024;
  p.packing_ks_glwe_dimension = 6;
  p.lwe_per_glwe = 128;
  p.packing_ks_key_noise_distribution = DynamicDistribution::TUniform(3);
  p.message_modulus = 4;
  p.carry_modulus = 4;
  return p;
}

NoiseSquashingCompressionParameters KmsTestNoiseSquashingCompressionParameters() {
  NoiseSquashingCompressionParameters p;
  p.packing_ks_level = 1;
  p.packing_ks_base_log = 61;
  p.packing_ks_polynomial_size = 256;
  p.packing_ks_glwe_dimension = 1;
  p.lwe_per_glwe = 128;
  p.packing_ks_key_noise_distribution = DynamicDistribution::TUniform(3);
  p.message_modulus = 4;
  p.carry_modulus = 4;
  return p;
}

absl::StatusOr<ClientKey::CompressionPrivateKey> GenerateCompressionPrivateKey(
    const CompressionParameters& params, algebra::RandomSource& rng) {
  ClientKey::CompressionPrivateKey out;
  KMS_ASSIGN_OR_RETURN(out.post_packing_ks_key,
                       BinaryGlweKey<uint64_t>(params.packing_ks_glwe_dimension,
                                               params.packing_ks_polynomial_size, rng));
  out.params = params;
  return out;
}

absl::StatusOr<ClientKey::NoiseSquashingCompressionPrivateKey>
GenerateNoiseSquashingCompressionPrivateKey(const NoiseSquashingCompressionParameters& params,
                                            algebra::RandomSource& rng) {
  ClientKey::NoiseSquashingCompressionPrivateKey out;
  KMS_ASSIGN_OR_RETURN(out.post_packing_ks_key,
                       BinaryGlweKey<u128>(params.packing_ks_glwe_dimension,
                                           params.packing_ks_polynomial_size, rng));
  out.params = params;
  return out;
}

absl::StatusOr<CompressionKey> GenerateCompressionKey(const ClientKey& key,
                                                      algebra::RandomSource& rng) {
  if (!key.compression_key) {
    return absl::InvalidArgumentError("the client key has no compression secret");
  }
  const CompressionParameters& p = key.compression_key->params;
  absl::Status status;
  const uint32_t bound = TUniformBound(p.packing_ks_key_noise_distribution, status);
  KMS_RETURN_IF_ERROR(status);
  CompressionKey out;
  KMS_ASSIGN_OR_RETURN(out.packing_key_switching_key,
                       GeneratePackingKeySwitchingKey<uint64_t>(
                           key.glwe_secret_key.data, key.compression_key->post_packing_ks_key,
                           p.packing_ks_base_log, p.packing_ks_level, bound, rng));
  out.lwe_per_glwe = p.lwe_per_glwe;
  out.storage_log_modulus = p.storage_log_modulus;
  return out;
}

absl::StatusOr<NoiseSquashingCompressionKey> GenerateNoiseSquashingCompressionKey(
    const ClientKey& key, algebra::RandomSource& rng) {
  if (!key.noise_squashing_private_key || !key.noise_squashing_compression_private_key) {
    return absl::InvalidArgumentError(
        "the client key has no noise-squashing or noise-squashing compression secret");
  }
  const NoiseSquashingCompressionParameters& p =
      key.noise_squashing_compression_private_key->params;
  absl::Status status;
  const uint32_t bound = TUniformBound(p.packing_ks_key_noise_distribution, status);
  KMS_RETURN_IF_ERROR(status);
  NoiseSquashingCompressionKey out;
  KMS_ASSIGN_OR_RETURN(out.packing_key_switching_key,
                       GeneratePackingKeySwitchingKey<u128>(
                           key.noise_squashing_private_key->post_noise_squashing_secret_key.data,
                           key.noise_squashing_compression_private_key->post_packing_ks_key,
                           p.packing_ks_base_log, p.packing_ks_level, bound, rng));
  out.lwe_per_glwe = p.lwe_per_glwe;
  return out;
}

template void Convert(Codec&, LwePackingKeyswitchKey<uint64_t>&, std::string_view);
template void Convert(Codec&, LwePackingKeyswitchKey<u128>&, std::string_view);
template absl::StatusOr<LwePackingKeyswitchKey<uint64_t>> DecompressPackingKeySwitchingKey(
    const SeededLwePackingKeyswitchKey<uint64_t>&);
template absl::StatusOr<LwePackingKeyswitchKey<u128>> DecompressPackingKeySwitchingKey(
    const SeededLwePackingKeyswitchKey<u128>&);
template absl::StatusOr<LwePackingKeyswitchKey<uint64_t>> DecompressPackingKeySwitchingKey(
    const SeededLwePackingKeyswitchKey<uint64_t>&, MaskStream&);
template absl::StatusOr<LwePackingKeyswitchKey<u128>> DecompressPackingKeySwitchingKey(
    const SeededLwePackingKeyswitchKey<u128>&, MaskStream&);
template absl::StatusOr<LwePackingKeyswitchKey<uint64_t>> GeneratePackingKeySwitchingKey(
    std::span<const uint64_t>, const GlweSecretKey<uint64_t>&, uint64_t, uint64_t, uint32_t,
    algebra::RandomSource&);
template absl::StatusOr<LwePackingKeyswitchKey<u128>> GeneratePackingKeySwitchingKey(
    std::span<const u128>, const GlweSecretKey<u128>&, uint64_t, uint64_t, uint32_t,
    algebra::RandomSource&);
template absl::StatusOr<GlweCiphertextOf<uint64_t>> KeyswitchAndPack(
    const LwePackingKeyswitchKey<uint64_t>&, std::span<const std::vector<uint64_t>>);
template absl::StatusOr<GlweCiphertextOf<u128>> KeyswitchAndPack(
    const LwePackingKeyswitchKey<u128>&, std::span<const std::vector<u128>>);
template std::vector<uint64_t> GlwePhase(const GlweCiphertextOf<uint64_t>&,
                                         const GlweSecretKey<uint64_t>&);
template std::vector<u128> GlwePhase(const GlweCiphertextOf<u128>&, const GlweSecretKey<u128>&);

}  // namespace kms::tfhe
