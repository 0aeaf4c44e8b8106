#include "tfhe/bootstrap.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "common/status_macros.h"
#include "tfhe/codec_internal.h"
#include "tfhe/decomposition.h"
#include "tfhe/fft.h"
#include "tfhe/ntt128.h"

namespace kms::tfhe {
namespace {

template <typename T>
void Grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

// out = P·X^−d (d in [0, 2N)).
template <typename Scalar>
void MonomialDiv(const Scalar* p, size_t n, uint64_t d, Scalar* out) {
  for (size_t j = 0; j < n; ++j) {
    uint64_t k = j + d;
    if (k < n) {
      out[j] = p[k];
    } else if (k < 2 * n) {
      out[j] = Scalar{0} - p[k - n];
    } else {
      out[j] = p[k - 2 * n];
    }
  }
}

// out = P·X^a − P (a in [0, 2N)).
template <typename Scalar>
void MonomialMulMinusSelf(const Scalar* p, size_t n, uint64_t a, Scalar* out) {
  for (size_t j = 0; j < n; ++j) {
    // coefficient j of P·X^a is ±P[j − a mod N]
    const int64_t k = static_cast<int64_t>(j) - static_cast<int64_t>(a);
    Scalar v;
    if (k >= 0) {
      v = p[k];
    } else if (k >= -static_cast<int64_t>(n)) {
      v = Scalar{0} - p[k + static_cast<int64_t>(n)];
    } else {
      v = p[k + 2 * static_cast<int64_t>(n)];
    }
    out[j] = v - p[j];
  }
}

template <typename Key, typename Scalar>
void BlindRotate(const Key& key, const ModulusSwitchedLwe& ms, std::span<Scalar> acc) {
  const size_t n = key.polynomial_size();
  const size_t g = key.glwe_size();
  thread_local std::vector<Scalar> tmp;
  Grow(tmp, g * n);
  for (size_t r = 0; r < g; ++r) {
    MonomialDiv(acc.data() + r * n, n, ms.body, tmp.data() + r * n);
  }
  std::copy(tmp.begin(), tmp.begin() + g * n, acc.begin());
  for (size_t i = 0; i < ms.mask.size(); ++i) {
    const uint64_t a = ms.mask[i];
    if (a == 0) continue;
    for (size_t r = 0; r < g; ++r) {
      MonomialMulMinusSelf(acc.data() + r * n, n, a, tmp.data() + r * n);
    }
    key.ExternalProductAdd(i, std::span<const Scalar>(tmp.data(), g * n), acc);
  }
}

template <typename Scalar>
absl::Status CheckKeyShape(const LweBootstrapKey<Scalar>& key) {
  if (key.glwe_size < 2 || (key.polynomial_size) < 4 || !std::has_single_bit(key.polynomial_size) ||
      key.polynomial_size > (uint64_t{1} << 16) || key.decomp_level_count == 0 ||
      key.decomp_base_log == 0 ||
      key.decomp_base_log * key.decomp_level_count >= sizeof(Scalar) * 8 ||
      key.decomp_base_log > 62 || key.data.empty() || key.data.size() % key.ggsw_size() != 0) {
    return absl::InvalidArgumentError("LweBootstrapKey: inconsistent shape");
  }
  if (!key.modulus.is_native()) {
    return absl::UnimplementedError("bootstrapping with a non-native modulus");
  }
  return absl::OkStatus();
}

}  // namespace

uint64_t CenteredMeanBodyCorrection(std::span<const uint64_t> mask, size_t log_modulus) {
  uint64_t sum_half = 0;
  int64_t sum_halving_doubled = 0;
  for (uint64_t a : mask) {
    const uint64_t rounded = ModulusSwitch(a, log_modulus) << (64 - log_modulus);
    const int64_t err = static_cast<int64_t>(rounded - a);
    const int64_t half = err / 2;
    sum_halving_doubled += 2 * half - err;
    sum_half += static_cast<uint64_t>(half);
  }
  sum_half -= static_cast<uint64_t>(sum_halving_doubled / 2);
  return sum_half - (uint64_t{1} << (64 - log_modulus - 1));
}

double DriftMeasure(std::span<const uint64_t> mask, uint64_t body, size_t log_modulus,
                    double r_sigma_factor, double input_variance) {
  auto err = [log_modulus](uint64_t x) {
    const uint64_t rounded = ModulusSwitch(x, log_modulus) << (64 - log_modulus);
    return static_cast<double>(static_cast<int64_t>(rounded - x));
  };
  double sum = 0, sum_sq = 0;
  for (uint64_t a : mask) {
    const double e = err(a);
    sum += e;
    sum_sq += e * e;
  }
  const double expectancy = err(body) - sum / 2;
  const double variance = sum_sq / 4;
  const double modular_input_variance = input_variance * std::ldexp(1.0, 128);
  return std::fabs(expectancy) + std::sqrt(variance + modular_input_variance) * r_sigma_factor;
}

int ChooseDriftCandidate(std::span<const uint64_t> lwe, const DriftTechniqueKey& key,
                         size_t log_modulus) {
  const auto mask = lwe.first(lwe.size() - 1);
  double best =
      DriftMeasure(mask, lwe.back(), log_modulus, key.ms_r_sigma_factor, key.ms_input_variance);
  int best_index = -1;
  if (best <= key.ms_bound) return best_index;
  thread_local std::vector<uint64_t> sum;
  sum.resize(mask.size());
  for (size_t z = 0; z < key.count(); ++z) {
    const uint64_t* zero = key.zeros.data() + z * key.lwe_size;
    for (size_t i = 0; i < mask.size(); ++i) sum[i] = mask[i] + zero[i];
    const double m = DriftMeasure(sum, lwe.back() + zero[mask.size()], log_modulus,
                                  key.ms_r_sigma_factor, key.ms_input_variance);
    if (m < best) {
      best = m;
      best_index = static_cast<int>(z);
    }
    if (m <= key.ms_bound) return best_index;
  }
  return best_index;
}

absl::Status ModulusSwitchLwe(std::span<const uint64_t> lwe, size_t log_modulus,
                              ModulusSwitchType::Kind kind, ModulusSwitchedLwe& out,
                              const DriftTechniqueKey* drift) {
  if (lwe.empty() || log_modulus == 0 || log_modulus >= 63) {
    return absl::InvalidArgumentError("modulus switch: empty LWE or bad modulus");
  }
  if (kind == ModulusSwitchType::Kind::kDriftTechnique) {
    if (drift == nullptr || drift->lwe_size != lwe.size() || drift->count() == 0) {
      return absl::InvalidArgumentError(
          "modulus switch: the drift technique needs encryptions of zero of the input's size");
    }
    const int z = ChooseDriftCandidate(lwe, *drift, log_modulus);
    out.mask.resize(lwe.size() - 1);
    const uint64_t* zero = z >= 0 ? drift->zeros.data() + z * drift->lwe_size : nullptr;
    for (size_t i = 0; i + 1 < lwe.size(); ++i) {
      out.mask[i] = ModulusSwitch(lwe[i] + (zero ? zero[i] : 0), log_modulus);
    }
    out.body = ModulusSwitch(lwe.back() + (zero ? zero[lwe.size() - 1] : 0), log_modulus);
    out.log_modulus = log_modulus;
    return absl::OkStatus();
  }
  const auto mask = lwe.first(lwe.size() - 1);
  uint64_t correction = 0;
  switch (kind) {
    case ModulusSwitchType::Kind::kStandard:
      break;
    case ModulusSwitchType::Kind::kCenteredMean:
      correction = CenteredMeanBodyCorrection(mask, log_modulus);
      break;
    case ModulusSwitchType::Kind::kDriftTechnique:
      break;  // handled above
  }
  out.mask.resize(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) out.mask[i] = ModulusSwitch(mask[i], log_modulus);
  out.body = ModulusSwitch(lwe.back() + correction, log_modulus);
  out.log_modulus = log_modulus;
  return absl::OkStatus();
}

namespace {
template <typename Scalar>
LookupTable<Scalar> FillTable(size_t polynomial_size, uint64_t p, Scalar delta,
                              const std::function<uint64_t(uint64_t)>& f) {
  LookupTable<Scalar> lut;
  lut.body.assign(polynomial_size, 0);
  const size_t box = polynomial_size / p;
  for (uint64_t i = 0; i < p; ++i) {
    const uint64_t v = f(i);
    lut.degree = std::max(lut.degree, v);
    std::fill(lut.body.begin() + i * box, lut.body.begin() + (i + 1) * box,
              static_cast<Scalar>(v) * delta);
  }
  const size_t half = box / 2;
  for (size_t j = 0; j < half; ++j) lut.body[j] = Scalar{0} - lut.body[j];
  std::rotate(lut.body.begin(), lut.body.begin() + half, lut.body.end());
  return lut;
}
}  // namespace

LookupTable<uint64_t> GenerateLookupTable(size_t polynomial_size, uint64_t message_modulus,
                                          uint64_t carry_modulus,
                                          const std::function<uint64_t(uint64_t)>& f) {
  const uint64_t p = message_modulus * carry_modulus;
  return FillTable<uint64_t>(polynomial_size, p, (uint64_t{1} << 63) / p, f);
}

LookupTable<u128> GenerateLookupTable128(size_t polynomial_size, uint64_t cleartext_space,
                                         u128 delta, const std::function<uint64_t(uint64_t)>& f) {
  return FillTable<u128>(polynomial_size, cleartext_space, delta, f);
}

absl::StatusOr<FourierBootstrapKey64> FourierBootstrapKey64::Create(
    const LweBootstrapKey<uint64_t>& key) {
  KMS_RETURN_IF_ERROR(CheckKeyShape(key));
  FourierBootstrapKey64 f;
  f.n_ = key.input_lwe_dimension();
  f.glwe_size_ = key.glwe_size;
  f.N_ = key.polynomial_size;
  f.base_log_ = key.decomp_base_log;
  f.levels_ = key.decomp_level_count;
  const size_t polys = f.n_ * f.levels_ * f.glwe_size_ * f.glwe_size_;
  f.data_.resize(polys * f.N_);
  const Fft64Plan& plan = Fft64Plan::For(f.N_);
  const size_t m = f.N_ / 2;
  for (size_t q = 0; q < polys; ++q) {
    double* out = f.data_.data() + q * f.N_;
    plan.Forward(std::span<const uint64_t>(key.data.data() + q * f.N_, f.N_),
                 FourierSpan{out, out + m});
  }
  return f;
}

void FourierBootstrapKey64::ExternalProductAdd(size_t i, std::span<const uint64_t> in,
                                               std::span<uint64_t> out) const {
  const Fft64Plan& plan = Fft64Plan::For(N_);
  const size_t m = N_ / 2;
  thread_local std::vector<uint64_t> digits;
  thread_local std::vector<double> fd, acc;
  Grow(digits, levels_ * N_);
  Grow(fd, N_);
  Grow(acc, glwe_size_ * N_);
  std::fill(acc.begin(), acc.begin() + glwe_size_ * N_, 0.0);
  const SignedDecomposer<uint64_t> dec(base_log_, levels_);
  uint64_t tmp[64];
  for (size_t r = 0; r < glwe_size_; ++r) {
    const uint64_t* poly = in.data() + r * N_;
    for (size_t j = 0; j < N_; ++j) {
      dec.Decompose(poly[j], tmp);
      for (size_t l = 0; l < levels_; ++l) digits[l * N_ + j] = tmp[l];
    }
    for (size_t l = 0; l < levels_; ++l) {
      FourierSpan d{fd.data(), fd.data() + m};
      plan.Forward(std::span<const uint64_t>(digits.data() + l * N_, N_), d);
      for (size_t c = 0; c < glwe_size_; ++c) {
        const double* k = Poly(i, l, r, c);
        plan.MulAdd(FourierSpan{acc.data() + c * N_, acc.data() + c * N_ + m}, {d.re, d.im},
                    {k, k + m});
      }
    }
  }
  for (size_t c = 0; c < glwe_size_; ++c) {
    plan.BackwardAdd(FourierSpan{acc.data() + c * N_, acc.data() + c * N_ + m},
                     out.subspan(c * N_, N_));
  }
}

absl::StatusOr<NttBootstrapKey128> NttBootstrapKey128::Create(const LweBootstrapKey<u128>& key) {
  KMS_RETURN_IF_ERROR(CheckKeyShape(key));
  // The CRT range bound of tfhe/ntt128.h: (k+1)·L·N·2^(β−1) < 2^57.
  const double sum_bound = static_cast<double>(key.glwe_size * key.decomp_level_count) *
                           static_cast<double>(key.polynomial_size) *
                           std::ldexp(1.0, static_cast<int>(key.decomp_base_log) - 1);
  if (sum_bound >= std::ldexp(1.0, 57)) {
    return absl::InvalidArgumentError(
        "LweBootstrapKey<u128>: decomposition too wide for the exact NTT product");
  }
  NttBootstrapKey128 f;
  f.n_ = key.input_lwe_dimension();
  f.glwe_size_ = key.glwe_size;
  f.N_ = key.polynomial_size;
  f.base_log_ = key.decomp_base_log;
  f.levels_ = key.decomp_level_count;
  const size_t polys = f.n_ * f.levels_ * f.glwe_size_ * f.glwe_size_;
  f.data_.resize(polys * kNttPrimes * f.N_);
  const Ntt128Plan& plan = Ntt128Plan::For(f.N_);
  for (size_t q = 0; q < polys; ++q) {
    plan.ForwardTorus(
        std::span<const u128>(key.data.data() + q * f.N_, f.N_),
        std::span<uint64_t>(f.data_.data() + q * kNttPrimes * f.N_, kNttPrimes * f.N_),
        /*montgomery=*/true);
  }
  return f;
}

const uint64_t* NttBootstrapKey128::Poly(size_t i, size_t level_index, size_t row,
                                         size_t col) const {
  return data_.data() +
         (((i * levels_ + level_index) * glwe_size_ + row) * glwe_size_ + col) * kNttPrimes * N_;
}

void NttBootstrapKey128::ExternalProductAdd(size_t i, std::span<const u128> in,
                                            std::span<u128> out) const {
  const Ntt128Plan& plan = Ntt128Plan::For(N_);
  const size_t w = kNttPrimes * N_;
  thread_local std::vector<u128> digits;
  thread_local std::vector<uint64_t> fd, acc;
  Grow(digits, levels_ * N_);
  Grow(fd, w);
  Grow(acc, glwe_size_ * w);
  std::fill(acc.begin(), acc.begin() + glwe_size_ * w, 0);
  const SignedDecomposer<u128> dec(base_log_, levels_);
  u128 tmp[128];
  for (size_t r = 0; r < glwe_size_; ++r) {
    const u128* poly = in.data() + r * N_;
    for (size_t j = 0; j < N_; ++j) {
      dec.Decompose(poly[j], tmp);
      for (size_t l = 0; l < levels_; ++l) digits[l * N_ + j] = tmp[l];
    }
    for (size_t l = 0; l < levels_; ++l) {
      plan.ForwardSigned(std::span<const u128>(digits.data() + l * N_, N_),
                         std::span<uint64_t>(fd.data(), w));
      for (size_t c = 0; c < glwe_size_; ++c) {
        plan.MulAdd(std::span<uint64_t>(acc.data() + c * w, w),
                    std::span<const uint64_t>(fd.data(), w),
                    std::span<const uint64_t>(Poly(i, l, r, c), w));
      }
    }
  }
  for (size_t c = 0; c < glwe_size_; ++c) {
    plan.BackwardAdd(std::span<uint64_t>(acc.data() + c * w, w), out.subspan(c * N_, N_));
  }
}

void BlindRotate64(const FourierBootstrapKey64& key, const ModulusSwitchedLwe& ms,
                   std::span<uint64_t> acc) {
  BlindRotate<FourierBootstrapKey64, uint64_t>(key, ms, acc);
}

void BlindRotate128(const NttBootstrapKey128& key, const ModulusSwitchedLwe& ms,
                    std::span<u128> acc) {
  BlindRotate<NttBootstrapKey128, u128>(key, ms, acc);
}

template <typename Scalar>
void SampleExtractCoefficient0(std::span<const Scalar> glwe, size_t polynomial_size,
                               std::span<Scalar> lwe) {
  const size_t n = polynomial_size;
  const size_t k = glwe.size() / n - 1;
  for (size_t j = 0; j < k; ++j) {
    const Scalar* a = glwe.data() + j * n;
    Scalar* o = lwe.data() + j * n;
    o[0] = a[0];
    for (size_t m = 1; m < n; ++m) o[m] = Scalar{0} - a[n - m];
  }
  lwe[k * n] = glwe[k * n];
}
template void SampleExtractCoefficient0<uint64_t>(std::span<const uint64_t>, size_t,
                                                  std::span<uint64_t>);
template void SampleExtractCoefficient0<u128>(std::span<const u128>, size_t, std::span<u128>);

namespace {
template <typename Key, typename Scalar, typename Rotate>
absl::Status Pbs(const Key& key, ModulusSwitchType::Kind ms_kind, std::span<const uint64_t> lwe_in,
                 const LookupTable<Scalar>& lut, std::span<Scalar> out, Rotate rotate,
                 const DriftTechniqueKey* drift) {
  const size_t n = key.polynomial_size();
  if (lwe_in.size() != key.input_lwe_dimension() + 1) {
    return absl::InvalidArgumentError(internal::Cat("bootstrap input: LWE size ", lwe_in.size(),
                                                    ", key expects ",
                                                    key.input_lwe_dimension() + 1));
  }
  if (out.size() != key.output_lwe_dimension() + 1 || lut.body.size() != n) {
    return absl::InvalidArgumentError("bootstrap: output or lookup-table size mismatch");
  }
  thread_local ModulusSwitchedLwe ms;
  KMS_RETURN_IF_ERROR(ModulusSwitchLwe(lwe_in, std::countr_zero(2 * n), ms_kind, ms, drift));
  thread_local std::vector<Scalar> acc;
  const size_t g = key.glwe_size();
  acc.assign(g * n, 0);
  std::copy(lut.body.begin(), lut.body.end(), acc.begin() + (g - 1) * n);
  rotate(key, ms, std::span<Scalar>(acc.data(), g * n));
  SampleExtractCoefficient0<Scalar>(std::span<const Scalar>(acc.data(), g * n), n, out);
  return absl::OkStatus();
}
}  // namespace

absl::Status ProgrammableBootstrap64(const FourierBootstrapKey64& key,
                                     ModulusSwitchType::Kind ms_kind,
                                     std::span<const uint64_t> lwe_in,
                                     const LookupTable<uint64_t>& lut, std::span<uint64_t> out,
                                     const DriftTechniqueKey* drift) {
  return Pbs(key, ms_kind, lwe_in, lut, out, BlindRotate64, drift);
}

absl::Status ProgrammableBootstrap128(const NttBootstrapKey128& key,
                                      ModulusSwitchType::Kind ms_kind,
                                      std::span<const uint64_t> lwe_in,
                                      const LookupTable<u128>& lut, std::span<u128> out,
                                      const DriftTechniqueKey* drift) {
  return Pbs(key, ms_kind, lwe_in, lut, out, BlindRotate128, drift);
}

}  // namespace kms::tfhe
