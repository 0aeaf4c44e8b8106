#include "mpc/tfhe_dkg.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "mpc/internal/shared_glwe_product.h"
#include "mpc/robust_open.h"
#include "tfhe/compression.h"
#include "tfhe/fourier_conversion.h"
#include "tfhe/mask_regeneration.h"

namespace kms::mpc {
namespace {

using algebra::Z128;
using internal::NarrowShare;
using internal::NarrowShares;
using internal::SharedGlweProduct;
using internal::SharedLweDot;
using internal::ShareOf;
using tfhe::u128;

// ==== the plan: every key's bodies, noise and products, in mask-stream order ====

// The parts of the keyset in the order their masks come from the stream (the CompressedXofKeySet
// V0 decompression order, tfhe/xof_key_set_expansion.h).
enum class Part {
  kCompactPublicKey,
  kCompressionKey,
  kDecompressionKey,
  kKeySwitchingKey,
  kBootstrappingKey,
  kModulusSwitchZeros,
  kNoiseSquashingKey,
  kNoiseSquashingZeros,
  kCastingKey,
  kReRandomizationKey,
  kNoiseSquashingCompressionKey,
};

// A part is `units` ciphertexts of `bodies_per_unit` body coefficients each (a CPK is one unit
// of n̂, a KSK entry one LWE body, a packing-KSK entry one GLWE body of N, a GGSW L·(k+1)·N),
// `products_per_unit` shared products s_i·S_j per unit (k·N for a GGSW, 0 otherwise), noise
// TUniform(2^noise_log2) on every body coefficient.
struct PartPlan {
  Part part;
  const char* stage;
  uint64_t units = 0;
  uint64_t bodies_per_unit = 0;
  uint64_t products_per_unit = 0;
  uint32_t noise_log2 = 0;
};

absl::Status Invalid(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("keyset parameters: ", std::string(what)));
}

absl::StatusOr<uint32_t> NoiseBound(const tfhe::DynamicDistribution& d, uint64_t width,
                                    std::string_view what) {
  if (d.kind != tfhe::DynamicDistribution::Kind::kTUniform) {
    return Invalid(
        absl::StrCat(std::string(what), ": only TUniform noise can be made from shared bits"));
  }
  if (d.bound_log2 + 2 > width) {
    return Invalid(absl::StrCat(std::string(what), ": TUniform(2^", d.bound_log2, ") does not fit ",
                                width, " bits"));
  }
  return d.bound_log2;
}

absl::Status CheckPolynomialSize(uint64_t n, std::string_view what) {
  if (n < 4 || n > (uint64_t{1} << 16) || !std::has_single_bit(n)) {
    return Invalid(absl::StrCat(std::string(what), ": polynomial size ", n,
                                " must be a power of two in [4, 2^16]"));
  }
  return absl::OkStatus();
}

absl::Status CheckDecomposition(uint64_t base_log, uint64_t levels, uint64_t width,
                                std::string_view what) {
  if (base_log == 0 || levels == 0 || base_log * levels > width) {
    return Invalid(absl::StrCat(std::string(what), ": decomposition ", base_log, " x ", levels,
                                " must be at least 1 each and fit ", width, " bits"));
  }
  return absl::OkStatus();
}

absl::Status CheckNative(const tfhe::CiphertextModulus& m, uint64_t width, std::string_view what) {
  if (!m.is_native() || m.scalar_bits != width) {
    return Invalid(absl::StrCat(std::string(what), ": only the native 2^", width, " modulus"));
  }
  return absl::OkStatus();
}

// Key bits in B §2.10's order: compact, lwe, glwe, compression, SnS, SnS compression.
struct KeyBitCounts {
  uint64_t compact = 0, lwe = 0, glwe = 0, compression = 0, sns = 0, sns_compression = 0;
  uint64_t total() const { return compact + lwe + glwe + compression + sns + sns_compression; }
};

KeyBitCounts KeyBits(const tfhe::KeysetParameters& p) {
  KeyBitCounts k;
  k.compact = p.keys.compact_public_key.encryption_lwe_dimension;
  k.lwe = p.keys.compute.lwe_dimension;
  k.glwe = p.keys.compute.glwe_dimension * p.keys.compute.polynomial_size;
  if (p.compression) {
    k.compression =
        p.compression->packing_ks_glwe_dimension * p.compression->packing_ks_polynomial_size;
  }
  if (p.noise_squashing) {
    k.sns = p.noise_squashing->glwe_dimension * p.noise_squashing->polynomial_size;
  }
  if (p.noise_squashing_compression) {
    k.sns_compression = p.noise_squashing_compression->packing_ks_glwe_dimension *
                        p.noise_squashing_compression->packing_ks_polynomial_size;
  }
  return k;
}

// The checks, then the parts. Everything the run indexes with is validated here.
absl::StatusOr<std::vector<PartPlan>> PlanKeyset(const tfhe::KeysetParameters& p) {
  KMS_RETURN_IF_ERROR(tfhe::ValidateKeysetParameters(p));
  const tfhe::ClassicPBSParameters& c = p.keys.compute;
  const tfhe::CompactPublicKeyEncryptionParameters& cpk = p.keys.compact_public_key;
  const KeyBitCounts bits = KeyBits(p);
  KMS_RETURN_IF_ERROR(CheckNative(c.ciphertext_modulus, 64, "compute"));
  KMS_RETURN_IF_ERROR(CheckNative(cpk.ciphertext_modulus, 64, "compact public key"));
  KMS_RETURN_IF_ERROR(CheckPolynomialSize(c.polynomial_size, "compute"));
  KMS_RETURN_IF_ERROR(CheckPolynomialSize(cpk.encryption_lwe_dimension, "compact public key"));
  if (c.lwe_dimension == 0 || c.glwe_dimension == 0) {
    return Invalid("compute: the LWE and GLWE dimensions must be at least 1");
  }
  KMS_RETURN_IF_ERROR(CheckDecomposition(c.ks_base_log, c.ks_level, 64, "compute KSK"));
  KMS_RETURN_IF_ERROR(CheckDecomposition(c.pbs_base_log, c.pbs_level, 64, "compute BSK"));
  KMS_ASSIGN_OR_RETURN(uint32_t lwe_noise,
                       NoiseBound(c.lwe_noise_distribution, 64, "compute LWE noise"));
  KMS_ASSIGN_OR_RETURN(uint32_t glwe_noise,
                       NoiseBound(c.glwe_noise_distribution, 64, "compute GLWE noise"));
  KMS_ASSIGN_OR_RETURN(uint32_t cpk_noise,
                       NoiseBound(cpk.encryption_noise_distribution, 64, "compact public key"));
  const uint64_t n = c.lwe_dimension, big = bits.glwe, N = c.polynomial_size, k = c.glwe_dimension;
  auto zeros_count = [](const tfhe::ModulusSwitchType& t,
                        std::string_view what) -> absl::StatusOr<uint64_t> {
    if (t.kind != tfhe::ModulusSwitchType::Kind::kDriftTechnique) return uint64_t{0};
    if (t.drift.modulus_switch_zeros_count == 0) {
      return Invalid(
          absl::StrCat(std::string(what), ": the drift technique needs at least one zero"));
    }
    return t.drift.modulus_switch_zeros_count;
  };
  auto ksk_to = [&](const tfhe::ShortintKeySwitchingParameters& ks, std::string_view what,
                    Part part, const char* stage) -> absl::StatusOr<PartPlan> {
    KMS_RETURN_IF_ERROR(CheckDecomposition(ks.ks_base_log, ks.ks_level, 64, what));
    const bool small = ks.destination_key == tfhe::EncryptionKeyChoice::kSmall;
    return PartPlan{part, stage, bits.compact * ks.ks_level, 1, 0, small ? lwe_noise : glwe_noise};
  };

  std::vector<PartPlan> plan;
  plan.push_back({Part::kCompactPublicKey, "compact public key", 1, bits.compact, 0, cpk_noise});
  if (p.compression) {
    const tfhe::CompressionParameters& cp = *p.compression;
    KMS_RETURN_IF_ERROR(CheckPolynomialSize(cp.packing_ks_polynomial_size, "compression"));
    if (cp.packing_ks_glwe_dimension == 0) return Invalid("compression: GLWE dimension 0");
    KMS_RETURN_IF_ERROR(
        CheckDecomposition(cp.packing_ks_base_log, cp.packing_ks_level, 64, "compression KSK"));
    KMS_RETURN_IF_ERROR(CheckDecomposition(cp.br_base_log, cp.br_level, 64, "decompression key"));
    if (cp.lwe_per_glwe == 0 || cp.lwe_per_glwe > cp.packing_ks_polynomial_size ||
        cp.storage_log_modulus == 0 || cp.storage_log_modulus > 64) {
      return Invalid("compression: lwe_per_glwe must be in [1, N], storage_log_modulus in [1, 64]");
    }
    KMS_ASSIGN_OR_RETURN(uint32_t noise, NoiseBound(cp.packing_ks_key_noise_distribution, 64,
                                                    "compression KSK noise"));
    plan.push_back({Part::kCompressionKey, "compression key", big * cp.packing_ks_level,
                    cp.packing_ks_polynomial_size, 0, noise});
    plan.push_back({Part::kDecompressionKey, "decompression key", bits.compression,
                    cp.br_level * (k + 1) * N, k * N, glwe_noise});
  }
  plan.push_back(
      {Part::kKeySwitchingKey, "compute key-switching key", big * c.ks_level, 1, 0, lwe_noise});
  plan.push_back({Part::kBootstrappingKey, "compute bootstrapping key", n,
                  c.pbs_level * (k + 1) * N, k * N, glwe_noise});
  KMS_ASSIGN_OR_RETURN(uint64_t zeros,
                       zeros_count(c.modulus_switch_noise_reduction_params, "compute"));
  if (zeros > 0) {
    plan.push_back(
        {Part::kModulusSwitchZeros, "compute modulus-switch key", zeros, 1, 0, lwe_noise});
  }
  if (p.noise_squashing) {
    const tfhe::NoiseSquashingParameters& ns = *p.noise_squashing;
    KMS_RETURN_IF_ERROR(CheckNative(ns.ciphertext_modulus, 128, "noise squashing"));
    KMS_RETURN_IF_ERROR(CheckPolynomialSize(ns.polynomial_size, "noise squashing"));
    if (ns.glwe_dimension == 0) return Invalid("noise squashing: GLWE dimension 0");
    KMS_RETURN_IF_ERROR(
        CheckDecomposition(ns.decomp_base_log, ns.decomp_level_count, 128, "noise squashing"));
    KMS_ASSIGN_OR_RETURN(uint32_t noise,
                         NoiseBound(ns.glwe_noise_distribution, 128, "noise-squashing noise"));
    plan.push_back({Part::kNoiseSquashingKey, "noise-squashing key", n,
                    ns.decomp_level_count * (ns.glwe_dimension + 1) * ns.polynomial_size, bits.sns,
                    noise});
    KMS_ASSIGN_OR_RETURN(uint64_t sns_zeros,
                         zeros_count(ns.modulus_switch_noise_reduction_params, "noise squashing"));
    if (sns_zeros > 0) {
      plan.push_back({Part::kNoiseSquashingZeros, "noise-squashing modulus-switch key", sns_zeros,
                      1, 0, lwe_noise});
    }
  }
  KMS_ASSIGN_OR_RETURN(PartPlan casting,
                       ksk_to(p.keys.casting, "casting KSK", Part::kCastingKey, "casting key"));
  plan.push_back(casting);
  if (p.re_randomization) {
    KMS_ASSIGN_OR_RETURN(PartPlan rr, ksk_to(*p.re_randomization, "re-randomization KSK",
                                             Part::kReRandomizationKey, "re-randomization key"));
    plan.push_back(rr);
  }
  if (p.noise_squashing_compression) {
    const tfhe::NoiseSquashingCompressionParameters& sc = *p.noise_squashing_compression;
    KMS_RETURN_IF_ERROR(CheckNative(sc.ciphertext_modulus, 128, "noise-squashing compression"));
    KMS_RETURN_IF_ERROR(
        CheckPolynomialSize(sc.packing_ks_polynomial_size, "noise-squashing compression"));
    if (sc.packing_ks_glwe_dimension == 0) {
      return Invalid("noise-squashing compression: GLWE dimension 0");
    }
    KMS_RETURN_IF_ERROR(CheckDecomposition(sc.packing_ks_base_log, sc.packing_ks_level, 128,
                                           "noise-squashing compression"));
    if (sc.lwe_per_glwe == 0 || sc.lwe_per_glwe > sc.packing_ks_polynomial_size) {
      return Invalid("noise-squashing compression: lwe_per_glwe must be in [1, N]");
    }
    KMS_ASSIGN_OR_RETURN(uint32_t noise, NoiseBound(sc.packing_ks_key_noise_distribution, 128,
                                                    "noise-squashing compression noise"));
    plan.push_back({Part::kNoiseSquashingCompressionKey, "noise-squashing compression key",
                    bits.sns * sc.packing_ks_level, sc.packing_ks_polynomial_size, 0, noise});
  }
  return plan;
}

DkgMaterialCounts CountMaterial(const tfhe::KeysetParameters& p,
                                const std::vector<PartPlan>& plan) {
  DkgMaterialCounts counts{KeyBits(p).total(), 0, 1};
  for (const PartPlan& part : plan) {
    counts.bits += part.units * part.bodies_per_unit * (part.noise_log2 + 2);
    counts.triples += part.units * part.products_per_unit;
  }
  return counts;
}

// The seed of B §2.10: the little-endian bytes of c_0 read as a big-endian u128, then the
// XofSeed data "TFHE_GEN" ‖ u128le(seed).
std::vector<uint8_t> XofSeedData(const Share& opened) {
  const Z128 c0 = opened[0];
  Z128 seed = 0;
  for (int i = 0; i < 16; ++i) seed = (seed << 8) | static_cast<uint8_t>(c0 >> (8 * i));
  std::vector<uint8_t> data(tfhe::kXofSeedSeparator.begin(), tfhe::kXofSeedSeparator.end());
  for (int i = 0; i < 16; ++i) data.push_back(static_cast<uint8_t>(seed >> (8 * i)));
  return data;
}

template <typename Scalar>
Scalar Scaled(uint64_t base_log, uint64_t level) {
  return Scalar{1} << (sizeof(Scalar) * 8 - base_log * level);
}

void WipeTriples(Triples& t) {
  crypto::SecureZero(t.a);
  crypto::SecureZero(t.b);
  crypto::SecureZero(t.c);
}

// Beaver multiplication (B §2.9, preprocessing.h's Mult) over the key's share ring: a 64-bit
// key needs its products only mod 2^64, so x, y and the triple are reduced and the open is of
// GR(2^64) elements, half the bytes and decoding work of GR(2^128). One robust open.
template <typename Scalar>
absl::StatusOr<std::vector<ShareOf<Scalar>>> KeyRingMult(Session& session, std::span<const Share> x,
                                                         std::span<const Share> y,
                                                         const Triples& triples) {
  using R = ShareOf<Scalar>;
  const size_t m = x.size();
  std::vector<R> masked(2 * m);
  for (size_t k = 0; k < m; ++k) {
    masked[k] = NarrowShare<Scalar>(x[k] + triples.a[k]);
    masked[m + k] = NarrowShare<Scalar>(y[k] + triples.b[k]);
  }
  KMS_ASSIGN_OR_RETURN(std::vector<R> opened, RobustOpen<R>(session, masked, session.t()));
  std::vector<R> out(m);
  for (size_t k = 0; k < m; ++k) {
    out[k] = NarrowShare<Scalar>(y[k]) * opened[k] -
             NarrowShare<Scalar>(triples.a[k]) * opened[m + k] + NarrowShare<Scalar>(triples.c[k]);
  }
  return out;
}

// ==== the run ====

class TfheDkgRun {
 public:
  TfheDkgRun(Session& session, const tfhe::KeysetParameters& params, DkgMaterialSource& material,
             const tfhe::KeysetProgress& progress, const TfheDkgOptions& options)
      : s_(session), p_(params), material_(material), progress_(progress), options_(options) {}

  absl::StatusOr<TfheDkgOutput> Run(std::string& stage);

 private:
  void Stage(std::string_view name, std::string& stage) {
    stage = std::string(name);
    if (progress_) progress_(name, done_, total_);
    ++done_;
  }

  // Runs one part in steps: compute(first_unit, units, products, bodies) writes ⟨mask, [s]⟩ and
  // the message of the step's units into `bodies` (the products s_i·S_j of those units, unit-
  // major, when the part has any); store(first_unit, units, values) writes the opened bodies.
  // `product_bits` are the s_i (one per unit), `product_key` the S_j (products_per_unit).
  template <typename Scalar, typename Compute, typename Store>
  absl::Status RunPart(const PartPlan& plan, std::span<const Share> product_bits,
                       std::span<const Share> product_key, Compute&& compute, Store&& store);

  absl::Status MakeCompactPublicKey(const PartPlan& plan);
  template <typename Scalar>
  absl::StatusOr<tfhe::LwePackingKeyswitchKey<Scalar>> PackingKey(
      const PartPlan& plan, std::span<const Share> input_key, std::span<const Share> output_key,
      uint64_t output_polynomial_size, uint64_t base_log, uint64_t levels,
      tfhe::SeededLwePackingKeyswitchKey<Scalar>& seeded);
  absl::StatusOr<tfhe::LweKeyswitchKey> KeySwitchingKey(const PartPlan& plan,
                                                        std::span<const Share> input_key,
                                                        std::span<const Share> output_key,
                                                        uint64_t base_log, uint64_t levels,
                                                        tfhe::SeededLweKeyswitchKey& seeded);
  template <typename Scalar>
  absl::StatusOr<tfhe::LweBootstrapKey<Scalar>> BootstrapKey(
      const PartPlan& plan, std::span<const Share> input_key, std::span<const Share> output_key,
      uint64_t polynomial_size, uint64_t base_log, uint64_t levels,
      tfhe::SeededLweBootstrapKey<Scalar>& seeded);
  absl::StatusOr<tfhe::ModulusSwitchConfiguration> DriftZeros(
      const PartPlan& plan, const tfhe::ModulusSwitchNoiseReductionParams& drift,
      tfhe::CompressedModulusSwitchConfiguration& compressed);

  Session& s_;
  const tfhe::KeysetParameters& p_;
  DkgMaterialSource& material_;
  const tfhe::KeysetProgress& progress_;
  const TfheDkgOptions& options_;
  int done_ = 0, total_ = 0;
  std::optional<tfhe::MaskStream> masks_;
  TfheDkgOutput out_;
};

template <typename Scalar, typename Compute, typename Store>
absl::Status TfheDkgRun::RunPart(const PartPlan& plan, std::span<const Share> product_bits,
                                 std::span<const Share> product_key, Compute&& compute,
                                 Store&& store) {
  using R = ShareOf<Scalar>;
  const uint64_t bits_per_body = plan.noise_log2 + 2;
  const uint64_t cap = std::max<uint64_t>(options_.max_shares_per_step, 1);
  uint64_t step = cap / (plan.bodies_per_unit * bits_per_body);
  if (plan.products_per_unit > 0) step = std::min(step, cap / plan.products_per_unit);
  step = std::max<uint64_t>(step, 1);
  for (uint64_t first = 0; first < plan.units; first += step) {
    const uint64_t units = std::min(step, plan.units - first);
    const uint64_t bodies = units * plan.bodies_per_unit;
    // Every secret of the step is zeroed however the step ends.
    std::vector<Share> bits, noise, x, y;
    Triples triples;
    std::vector<R> products, shares;
    absl::Cleanup wipe = [&] {
      crypto::SecureZero(bits);
      crypto::SecureZero(noise);
      crypto::SecureZero(x);
      crypto::SecureZero(y);
      WipeTriples(triples);
      crypto::SecureZero(products);
      crypto::SecureZero(shares);
    };

    // Material for the step: its noise, then its products (one Mult open).
    KMS_ASSIGN_OR_RETURN(bits, material_.NextBits(bodies * bits_per_body));
    noise = TUniformFromBits(bits, static_cast<int>(plan.noise_log2));
    if (plan.products_per_unit > 0) {
      const uint64_t count = units * plan.products_per_unit;
      KMS_ASSIGN_OR_RETURN(triples, material_.NextTriples(count));
      x.resize(count);
      y.resize(count);
      for (uint64_t u = 0; u < units; ++u) {
        for (uint64_t j = 0; j < plan.products_per_unit; ++j) {
          x[u * plan.products_per_unit + j] = product_bits[first + u];
          y[u * plan.products_per_unit + j] = product_key[j];
        }
      }
      KMS_ASSIGN_OR_RETURN(products, KeyRingMult<Scalar>(s_, x, y, triples));
    }

    // Body shares: ⟨mask, [s]⟩ + message, then the noise; robust open.
    shares.assign(bodies, R::Zero());
    compute(first, units, std::span<const R>(products), std::span<R>(shares));
    for (uint64_t b = 0; b < bodies; ++b) shares[b] += NarrowShare<Scalar>(noise[b]);
    KMS_ASSIGN_OR_RETURN(std::vector<R> opened, RobustOpen<R>(s_, shares, s_.t()));
    std::vector<Scalar> values(bodies);
    for (uint64_t b = 0; b < bodies; ++b) {
      if (!opened[b].IsScalar()) {
        return absl::AbortedError(absl::StrCat("opened body ", first * plan.bodies_per_unit + b,
                                               " is not a scalar (more than t cheaters)"));
      }
      values[b] = opened[b][0];
    }
    store(first, units, std::span<const Scalar>(values));
  }
  return absl::OkStatus();
}

// b = a ⊛ rev(s) + e: the negacyclic product with the reversed secret (key_generation.h's
// SemiReverseNegacyclicConvolution), one unit of n̂ bodies.
absl::Status TfheDkgRun::MakeCompactPublicKey(const PartPlan& plan) {
  tfhe::CompressedCompactPublicKey& seeded = out_.compressed_keyset.compressed_public_key;
  const uint64_t n = out_.secret_shares.compact.size();
  seeded.key.seeded_glwe_ciphertext.data.assign(n, 0);
  seeded.key.seeded_glwe_ciphertext.glwe_size = 2;
  seeded.key.seeded_glwe_ciphertext.modulus = p_.keys.compact_public_key.ciphertext_modulus;
  seeded.parameters = p_.keys.compact_public_key;
  KMS_ASSIGN_OR_RETURN(out_.public_key, tfhe::DecompressCompactPublicKey(seeded, *masks_));
  std::vector<algebra::Gr64> reversed(n);
  for (uint64_t m = 0; m < n; ++m) {
    reversed[m] = NarrowShare<uint64_t>(out_.secret_shares.compact[n - 1 - m]);
  }
  SharedGlweProduct<uint64_t> product(reversed, n);
  crypto::SecureZero(reversed);
  std::vector<uint64_t>& glwe = out_.public_key.key.glwe_ciphertext.data;
  return RunPart<uint64_t>(
      plan, {}, {},
      [&](uint64_t, uint64_t, std::span<const algebra::Gr64>, std::span<algebra::Gr64> bodies) {
        product.MaskProduct(std::span<const uint64_t>(glwe.data(), n), bodies);
      },
      [&](uint64_t, uint64_t, std::span<const uint64_t> values) {
        for (uint64_t j = 0; j < n; ++j) {
          seeded.key.seeded_glwe_ciphertext.data[j] = values[j];
          glwe[n + j] = values[j];
        }
      });
}

// Entry (i, ℓ) = i·L + (L − ℓ) encrypts the constant s_in[i]·2^(w − βℓ) under the output GLWE.
template <typename Scalar>
absl::StatusOr<tfhe::LwePackingKeyswitchKey<Scalar>> TfheDkgRun::PackingKey(
    const PartPlan& plan, std::span<const Share> input_key, std::span<const Share> output_key,
    uint64_t output_polynomial_size, uint64_t base_log, uint64_t levels,
    tfhe::SeededLwePackingKeyswitchKey<Scalar>& seeded) {
  using R = ShareOf<Scalar>;
  const uint64_t N = output_polynomial_size, k = output_key.size() / N;
  seeded.data.assign(input_key.size() * levels * N, Scalar{0});
  seeded.decomp_base_log = base_log;
  seeded.decomp_level_count = levels;
  seeded.output_glwe_size = k + 1;
  seeded.output_polynomial_size = N;
  KMS_ASSIGN_OR_RETURN(tfhe::LwePackingKeyswitchKey<Scalar> key,
                       tfhe::DecompressPackingKeySwitchingKey(seeded, *masks_));
  std::vector<R> out_key = NarrowShares<Scalar>(output_key);
  SharedGlweProduct<Scalar> product(out_key, N);
  crypto::SecureZero(out_key);
  const uint64_t glwe_words = key.glwe_words();
  KMS_RETURN_IF_ERROR(RunPart<Scalar>(
      plan, {}, {},
      [&](uint64_t first, uint64_t units, std::span<const R>, std::span<R> bodies) {
        for (uint64_t e = first; e < first + units; ++e) {
          std::span<R> body = bodies.subspan((e - first) * N, N);
          product.MaskProduct(std::span<const Scalar>(key.data.data() + e * glwe_words, k * N),
                              body);
          const uint64_t level = levels - e % levels;
          body[0] += NarrowShare<Scalar>(input_key[e / levels]) * Scaled<Scalar>(base_log, level);
        }
      },
      [&](uint64_t first, uint64_t units, std::span<const Scalar> values) {
        for (uint64_t e = first; e < first + units; ++e) {
          for (uint64_t j = 0; j < N; ++j) {
            const Scalar v = values[(e - first) * N + j];
            seeded.data[e * N + j] = v;
            key.data[e * glwe_words + k * N + j] = v;
          }
        }
      }));
  return key;
}

// Entry (i, ℓ) encrypts s_in[i]·2^(64 − βℓ) under the output LWE key.
absl::StatusOr<tfhe::LweKeyswitchKey> TfheDkgRun::KeySwitchingKey(
    const PartPlan& plan, std::span<const Share> input_key, std::span<const Share> output_key,
    uint64_t base_log, uint64_t levels, tfhe::SeededLweKeyswitchKey& seeded) {
  const uint64_t n_out = output_key.size(), size = n_out + 1;
  seeded.data.assign(input_key.size() * levels, 0);
  seeded.decomp_base_log = base_log;
  seeded.decomp_level_count = levels;
  seeded.output_lwe_size = size;
  KMS_ASSIGN_OR_RETURN(tfhe::LweKeyswitchKey key, tfhe::DecompressKeySwitchingKey(seeded, *masks_));
  std::vector<algebra::Gr64> out_key = NarrowShares<uint64_t>(output_key);
  absl::Status status = RunPart<uint64_t>(
      plan, {}, {},
      [&](uint64_t first, uint64_t units, std::span<const algebra::Gr64>,
          std::span<algebra::Gr64> bodies) {
        for (uint64_t e = first; e < first + units; ++e) {
          const uint64_t level = levels - e % levels;
          bodies[e - first] =
              SharedLweDot<uint64_t>(key.data.data() + e * size, out_key.data(), n_out) +
              NarrowShare<uint64_t>(input_key[e / levels]) * Scaled<uint64_t>(base_log, level);
        }
      },
      [&](uint64_t first, uint64_t units, std::span<const uint64_t> values) {
        for (uint64_t e = first; e < first + units; ++e) {
          seeded.data[e] = values[e - first];
          key.data[e * size + n_out] = values[e - first];
        }
      });
  crypto::SecureZero(out_key);
  KMS_RETURN_IF_ERROR(status);
  return key;
}

// GGSW i, level ℓ, row r < k encrypts −s_i·2^(w−βℓ)·S_r, row k the constant s_i·2^(w−βℓ).
template <typename Scalar>
absl::StatusOr<tfhe::LweBootstrapKey<Scalar>> TfheDkgRun::BootstrapKey(
    const PartPlan& plan, std::span<const Share> input_key, std::span<const Share> output_key,
    uint64_t polynomial_size, uint64_t base_log, uint64_t levels,
    tfhe::SeededLweBootstrapKey<Scalar>& seeded) {
  using R = ShareOf<Scalar>;
  const uint64_t N = polynomial_size, k = output_key.size() / N, g = k + 1;
  tfhe::SeededGgswCiphertextList<Scalar>& list = seeded.ggsw_list;
  list.data.assign(input_key.size() * levels * g * N, Scalar{0});
  list.glwe_size = g;
  list.polynomial_size = N;
  list.decomp_base_log = base_log;
  list.decomp_level_count = levels;
  KMS_ASSIGN_OR_RETURN(tfhe::LweBootstrapKey<Scalar> key,
                       tfhe::DecompressBootstrapKey(seeded, *masks_));
  std::vector<R> out_key = NarrowShares<Scalar>(output_key);
  SharedGlweProduct<Scalar> product(out_key, N);
  crypto::SecureZero(out_key);
  const uint64_t rows_per_ggsw = levels * g;
  KMS_RETURN_IF_ERROR(RunPart<Scalar>(
      plan, input_key, output_key,
      [&](uint64_t first, uint64_t units, std::span<const R> products, std::span<R> bodies) {
        for (uint64_t i = first; i < first + units; ++i) {
          const R bit = NarrowShare<Scalar>(input_key[i]);
          for (uint64_t li = 0; li < levels; ++li) {
            const Scalar scaled = Scaled<Scalar>(base_log, levels - li);
            for (uint64_t r = 0; r < g; ++r) {
              const uint64_t row = (i * levels + li) * g + r;
              std::span<R> body = bodies.subspan((row - first * rows_per_ggsw) * N, N);
              product.MaskProduct(std::span<const Scalar>(key.data.data() + row * g * N, k * N),
                                  body);
              if (r < k) {
                const R* p = products.data() + (i - first) * k * N + r * N;
                for (uint64_t j = 0; j < N; ++j) body[j] -= p[j] * scaled;
              } else {
                body[0] += bit * scaled;
              }
            }
          }
        }
      },
      [&](uint64_t first, uint64_t units, std::span<const Scalar> values) {
        const uint64_t begin = first * rows_per_ggsw, end = (first + units) * rows_per_ggsw;
        for (uint64_t row = begin; row < end; ++row) {
          for (uint64_t j = 0; j < N; ++j) {
            const Scalar v = values[(row - begin) * N + j];
            list.data[row * N + j] = v;
            key.data[(row * g + k) * N + j] = v;
          }
        }
      }));
  return key;
}

// The drift technique's encryptions of zero under the small key (one fork of `count` LWEs).
absl::StatusOr<tfhe::ModulusSwitchConfiguration> TfheDkgRun::DriftZeros(
    const PartPlan& plan, const tfhe::ModulusSwitchNoiseReductionParams& drift,
    tfhe::CompressedModulusSwitchConfiguration& compressed) {
  const uint64_t n = out_.secret_shares.lwe.size(), size = n + 1;
  compressed.kind = tfhe::CompressedModulusSwitchConfiguration::Kind::kDriftTechnique;
  compressed.drift.ms_bound = drift.ms_bound;
  compressed.drift.ms_r_sigma_factor = drift.ms_r_sigma_factor;
  compressed.drift.ms_input_variance = drift.ms_input_variance;
  tfhe::SeededLweCiphertextList& seeded = compressed.drift.modulus_switch_zeros;
  seeded.data.assign(drift.modulus_switch_zeros_count, 0);
  seeded.lwe_size = size;
  tfhe::ModulusSwitchConfiguration out;
  out.kind = tfhe::ModulusSwitchConfiguration::Kind::kDriftTechnique;
  out.ms_bound = drift.ms_bound;
  out.ms_r_sigma_factor = drift.ms_r_sigma_factor;
  out.ms_input_variance = drift.ms_input_variance;
  out.modulus_switch_zeros.lwe_size = size;
  out.modulus_switch_zeros.modulus = seeded.modulus;
  KMS_ASSIGN_OR_RETURN(out.modulus_switch_zeros.data,
                       tfhe::DecompressLweCiphertextList(seeded, *masks_));
  std::vector<uint64_t>& data = out.modulus_switch_zeros.data;
  std::vector<algebra::Gr64> key = NarrowShares<uint64_t>(out_.secret_shares.lwe);
  absl::Status status = RunPart<uint64_t>(
      plan, {}, {},
      [&](uint64_t first, uint64_t units, std::span<const algebra::Gr64>,
          std::span<algebra::Gr64> bodies) {
        for (uint64_t c = first; c < first + units; ++c) {
          bodies[c - first] = SharedLweDot<uint64_t>(data.data() + c * size, key.data(), n);
        }
      },
      [&](uint64_t first, uint64_t units, std::span<const uint64_t> values) {
        for (uint64_t c = first; c < first + units; ++c) {
          seeded.data[c] = values[c - first];
          data[c * size + n] = values[c - first];
        }
      });
  crypto::SecureZero(key);
  KMS_RETURN_IF_ERROR(status);
  return out;
}

tfhe::ModulusSwitchConfiguration::Kind PublishedKind(tfhe::ModulusSwitchType::Kind k) {
  switch (k) {
    case tfhe::ModulusSwitchType::Kind::kStandard:
      return tfhe::ModulusSwitchConfiguration::Kind::kStandard;
    case tfhe::ModulusSwitchType::Kind::kCenteredMean:
      return tfhe::ModulusSwitchConfiguration::Kind::kCenteredMean;
    case tfhe::ModulusSwitchType::Kind::kDriftTechnique:
      break;
  }
  return tfhe::ModulusSwitchConfiguration::Kind::kDriftTechnique;
}

tfhe::CompressedModulusSwitchConfiguration::Kind CompressedKind(tfhe::ModulusSwitchType::Kind k) {
  switch (k) {
    case tfhe::ModulusSwitchType::Kind::kStandard:
      return tfhe::CompressedModulusSwitchConfiguration::Kind::kStandard;
    case tfhe::ModulusSwitchType::Kind::kCenteredMean:
      return tfhe::CompressedModulusSwitchConfiguration::Kind::kCenteredMean;
    case tfhe::ModulusSwitchType::Kind::kDriftTechnique:
      break;
  }
  return tfhe::CompressedModulusSwitchConfiguration::Kind::kDriftTechnique;
}

absl::StatusOr<TfheDkgOutput> TfheDkgRun::Run(std::string& stage) {
  KMS_ASSIGN_OR_RETURN(std::vector<PartPlan> plan, PlanKeyset(p_));
  const DkgMaterialCounts needed = CountMaterial(p_, plan);
  const DkgMaterialCounts held = material_.remaining();
  if (held.bits < needed.bits || held.triples < needed.triples || held.randoms < needed.randoms) {
    return absl::FailedPreconditionError(
        absl::StrCat("the material source holds ", held.bits, " bits, ", held.triples,
                     " triples and ", held.randoms, " randoms; the parameters need ", needed.bits,
                     ", ", needed.triples, " and ", needed.randoms));
  }
  total_ = 2 + static_cast<int>(plan.size());
  const tfhe::ClassicPBSParameters& c = p_.keys.compute;
  TfheSecretKeyShares& keys = out_.secret_shares;

  // ==== key bits, B §2.10's order ====
  Stage("key bits", stage);
  {
    const KeyBitCounts counts = KeyBits(p_);
    KMS_ASSIGN_OR_RETURN(std::vector<Share> bits, material_.NextBits(counts.total()));
    auto take = [&, next = size_t{0}](std::vector<Share>& to, uint64_t count) mutable {
      to.assign(bits.begin() + next, bits.begin() + next + count);
      next += count;
    };
    take(keys.compact, counts.compact);
    take(keys.lwe, counts.lwe);
    take(keys.glwe, counts.glwe);
    take(keys.compression, counts.compression);
    take(keys.noise_squashing, counts.sns);
    take(keys.noise_squashing_compression, counts.sns_compression);
    crypto::SecureZero(bits);
  }

  // ==== the seed, opened; the keyset's mask stream ====
  Stage("seed", stage);
  {
    KMS_ASSIGN_OR_RETURN(std::vector<Share> random, material_.NextRandoms(1));
    absl::StatusOr<std::vector<Share>> opened = RobustOpen<Share>(s_, random, s_.t());
    crypto::SecureZero(random);
    KMS_RETURN_IF_ERROR(opened.status());
    tfhe::CompressedXofKeySet& ks = out_.compressed_keyset;
    ks.seed = XofSeedData((*opened)[0]);
    ks.format = tfhe::TfheFormat::kTfhe14;
    ks.start = tfhe::CompressedXofKeySet::Start::kSecondByte;
    masks_.emplace(tfhe::MaskStream::FromXofSeed(ks.seed));
  }

  // ==== every key in the stream's order ====
  tfhe::CompressedServerKey& csk = out_.compressed_keyset.compressed_server_key;
  tfhe::PublishedServerKey& sk = out_.server_key;
  csk.pbs_order = sk.pbs_order = tfhe::PBSOrder::kKeyswitchBootstrap;
  csk.message_modulus = sk.message_modulus = c.message_modulus;
  csk.carry_modulus = sk.carry_modulus = c.carry_modulus;
  csk.max_degree = sk.max_degree = p_.max_degree;
  csk.max_noise_level = sk.max_noise_level = c.max_noise_level;
  sk.ciphertext_modulus = c.ciphertext_modulus;
  csk.modulus_switch_noise_reduction_key.kind =
      CompressedKind(c.modulus_switch_noise_reduction_params.kind);
  sk.modulus_switch_noise_reduction_key.kind =
      PublishedKind(c.modulus_switch_noise_reduction_params.kind);
  auto small_or_big = [&](tfhe::EncryptionKeyChoice choice) {
    return std::span<const Share>(choice == tfhe::EncryptionKeyChoice::kSmall ? keys.lwe
                                                                              : keys.glwe);
  };
  for (const PartPlan& part : plan) {
    Stage(part.stage, stage);
    switch (part.part) {
      case Part::kCompactPublicKey: {
        KMS_RETURN_IF_ERROR(MakeCompactPublicKey(part));
        break;
      }
      case Part::kCompressionKey: {
        const tfhe::CompressionParameters& cp = *p_.compression;
        tfhe::CompressedCompressionKey ck;
        tfhe::CompressionKey key;
        KMS_ASSIGN_OR_RETURN(
            key.packing_key_switching_key,
            PackingKey<uint64_t>(part, keys.glwe, keys.compression, cp.packing_ks_polynomial_size,
                                 cp.packing_ks_base_log, cp.packing_ks_level,
                                 ck.packing_key_switching_key));
        ck.lwe_per_glwe = key.lwe_per_glwe = cp.lwe_per_glwe;
        ck.storage_log_modulus = key.storage_log_modulus = cp.storage_log_modulus;
        csk.compression_key = std::move(ck);
        sk.compression_key = std::move(key);
        break;
      }
      case Part::kDecompressionKey: {
        const tfhe::CompressionParameters& cp = *p_.compression;
        tfhe::CompressedDecompressionKey dk;
        KMS_ASSIGN_OR_RETURN(
            tfhe::LweBootstrapKey<uint64_t> bsk,
            BootstrapKey<uint64_t>(part, keys.compression, keys.glwe, c.polynomial_size,
                                   cp.br_base_log, cp.br_level, dk.blind_rotate_key));
        dk.lwe_per_glwe = cp.lwe_per_glwe;
        tfhe::DecompressionKey published;
        KMS_ASSIGN_OR_RETURN(published.blind_rotate_key, tfhe::ToFourierBootstrapKey(bsk));
        published.lwe_per_glwe = cp.lwe_per_glwe;
        csk.decompression_key = std::move(dk);
        sk.decompression_key = std::move(published);
        break;
      }
      case Part::kKeySwitchingKey: {
        KMS_ASSIGN_OR_RETURN(sk.key_switching_key,
                             KeySwitchingKey(part, keys.glwe, keys.lwe, c.ks_base_log, c.ks_level,
                                             csk.key_switching_key));
        break;
      }
      case Part::kBootstrappingKey: {
        KMS_ASSIGN_OR_RETURN(
            tfhe::LweBootstrapKey<uint64_t> bsk,
            BootstrapKey<uint64_t>(part, keys.lwe, keys.glwe, c.polynomial_size, c.pbs_base_log,
                                   c.pbs_level, csk.bootstrapping_key));
        KMS_ASSIGN_OR_RETURN(sk.bootstrapping_key, tfhe::ToFourierBootstrapKey(bsk));
        break;
      }
      case Part::kModulusSwitchZeros: {
        KMS_ASSIGN_OR_RETURN(sk.modulus_switch_noise_reduction_key,
                             DriftZeros(part, c.modulus_switch_noise_reduction_params.drift,
                                        csk.modulus_switch_noise_reduction_key));
        break;
      }
      case Part::kNoiseSquashingKey: {
        const tfhe::NoiseSquashingParameters& ns = *p_.noise_squashing;
        tfhe::CompressedNoiseSquashingKey cn;
        tfhe::PublishedNoiseSquashingKey pn;
        KMS_ASSIGN_OR_RETURN(
            tfhe::LweBootstrapKey<u128> bsk,
            BootstrapKey<u128>(part, keys.lwe, keys.noise_squashing, ns.polynomial_size,
                               ns.decomp_base_log, ns.decomp_level_count, cn.bsk));
        KMS_ASSIGN_OR_RETURN(pn.bsk, tfhe::ToFourier128BootstrapKey(bsk));
        bsk = {};  // the standard-domain copy: ≈ 0.8 GB at the default set
        cn.modulus_switch_noise_reduction_key.kind =
            CompressedKind(ns.modulus_switch_noise_reduction_params.kind);
        pn.modulus_switch_noise_reduction_key.kind =
            PublishedKind(ns.modulus_switch_noise_reduction_params.kind);
        cn.message_modulus = pn.message_modulus = ns.message_modulus;
        cn.carry_modulus = pn.carry_modulus = ns.carry_modulus;
        cn.output_ciphertext_modulus = pn.output_ciphertext_modulus = ns.ciphertext_modulus;
        csk.noise_squashing_key = std::move(cn);
        sk.noise_squashing_key = std::move(pn);
        break;
      }
      case Part::kNoiseSquashingZeros: {
        KMS_ASSIGN_OR_RETURN(
            sk.noise_squashing_key->modulus_switch_noise_reduction_key,
            DriftZeros(part, p_.noise_squashing->modulus_switch_noise_reduction_params.drift,
                       csk.noise_squashing_key->modulus_switch_noise_reduction_key));
        break;
      }
      case Part::kCastingKey:
      case Part::kReRandomizationKey: {
        const tfhe::ShortintKeySwitchingParameters& ks =
            part.part == Part::kCastingKey ? p_.keys.casting : *p_.re_randomization;
        tfhe::CompressedKeySwitchingKeyMaterial cm;
        tfhe::KeySwitchingKeyMaterial pm;
        KMS_ASSIGN_OR_RETURN(pm.key_switching_key,
                             KeySwitchingKey(part, keys.compact, small_or_big(ks.destination_key),
                                             ks.ks_base_log, ks.ks_level, cm.key_switching_key));
        cm.cast_rshift = pm.cast_rshift = 0;
        cm.destination_key = pm.destination_key = ks.destination_key;
        if (part.part == Part::kCastingKey) {
          csk.cpk_key_switching_key_material = std::move(cm);
          sk.cpk_key_switching_key_material = std::move(pm);
        } else {
          tfhe::CompressedReRandomizationKeySwitchingKey cr;
          cr.kind = tfhe::CompressedReRandomizationKeySwitchingKey::Kind::kDedicatedKSK;
          cr.dedicated = std::move(cm);
          tfhe::ReRandomizationKeySwitchingKey pr;
          pr.kind = tfhe::ReRandomizationKeySwitchingKey::Kind::kDedicatedKSK;
          pr.dedicated = std::move(pm);
          csk.cpk_re_randomization_key_switching_key_material = std::move(cr);
          sk.cpk_re_randomization_key_switching_key_material = std::move(pr);
        }
        break;
      }
      case Part::kNoiseSquashingCompressionKey: {
        const tfhe::NoiseSquashingCompressionParameters& sc = *p_.noise_squashing_compression;
        tfhe::CompressedNoiseSquashingCompressionKey cc;
        tfhe::NoiseSquashingCompressionKey key;
        KMS_ASSIGN_OR_RETURN(
            key.packing_key_switching_key,
            PackingKey<u128>(part, keys.noise_squashing, keys.noise_squashing_compression,
                             sc.packing_ks_polynomial_size, sc.packing_ks_base_log,
                             sc.packing_ks_level, cc.packing_key_switching_key));
        cc.lwe_per_glwe = key.lwe_per_glwe = sc.lwe_per_glwe;
        csk.noise_squashing_compression_key = std::move(cc);
        sk.noise_squashing_compression_key = std::move(key);
        break;
      }
    }
  }

  // ==== my decryption shares ====
  TfheKeyShare& share = out_.key_share;
  if (p_.noise_squashing) {
    share.sns_key = keys.noise_squashing;
    share.sns_params = *p_.noise_squashing;
  }
  if (p_.noise_squashing_compression) {
    share.sns_compression_key = keys.noise_squashing_compression;
    share.sns_compression_params = *p_.noise_squashing_compression;
  }
  share.insecure_dealer = false;
  if (progress_) progress_("done", total_, total_);
  return std::move(out_);
}

}  // namespace

absl::StatusOr<DkgMaterialCounts> TfheDkgMaterialNeeded(const tfhe::KeysetParameters& params) {
  KMS_ASSIGN_OR_RETURN(std::vector<PartPlan> plan, PlanKeyset(params));
  return CountMaterial(params, plan);
}

absl::StatusOr<TfheDkgOutput> TfheDistributedKeyGen(Session& session,
                                                    const tfhe::KeysetParameters& params,
                                                    DkgMaterialSource& material,
                                                    const tfhe::KeysetProgress& progress,
                                                    const TfheDkgOptions& options) {
  std::string stage = "parameters";
  TfheDkgRun run(session, params, material, progress, options);
  absl::StatusOr<TfheDkgOutput> out = run.Run(stage);
  if (!out.ok()) {
    return absl::Status(out.status().code(), absl::StrCat("TfheDistributedKeyGen, ", stage, ": ",
                                                          out.status().message()));
  }
  return out;
}

}  // namespace kms::mpc
