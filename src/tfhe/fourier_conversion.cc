#include "tfhe/fourier_conversion.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/status_macros.h"
#include "tfhe/codec_internal.h"

namespace kms::tfhe {
namespace {

constexpr double kTwo64 = 0x1p64;
constexpr double kTwoM64 = 0x1p-64;
constexpr double kTwo128 = 0x1p128;
constexpr double kTwoM128 = 0x1p-128;
constexpr size_t kMaxPolynomialSize = size_t{1} << 16;

std::vector<uint32_t> BitReversal(size_t m) {
  const int bits = std::countr_zero(m);
  std::vector<uint32_t> rev(m);
  for (size_t k = 0; k < m; ++k) {
    uint32_t r = 0;
    for (int b = 0; b < bits; ++b) r |= static_cast<uint32_t>((k >> b) & 1) << (bits - 1 - b);
    rev[k] = r;
  }
  return rev;
}

template <typename T>
void Grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

// ---- double-double arithmetic (value = hi + lo), on one f64 or on two lanes ----

using V2 = double __attribute__((vector_size(16)));

template <typename T>
struct DDT {
  T hi, lo;
};
using DD = DDT<double>;

template <typename T>
[[gnu::always_inline]] inline DDT<T> TwoSum(T a, T b) {
  const T s = a + b;
  const T bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}
// REQUIRES: |a| ≥ |b| or a = 0.
template <typename T>
[[gnu::always_inline]] inline DDT<T> QuickTwoSum(T a, T b) {
  const T s = a + b;
  return {s, b - (s - a)};
}
// Dekker's exact product through Veltkamp splitting (x86-64-v2 has no FMA instruction, and a
// libm fma call per product would dominate).
template <typename T>
[[gnu::always_inline]] inline void Split(T a, T& hi, T& lo) {
  const T t = 134217729.0 * a;  // 2^27 + 1
  hi = t - (t - a);
  lo = a - hi;
}
template <typename T>
[[gnu::always_inline]] inline DDT<T> TwoProd(T a, T b) {
  const T p = a * b;
  T ah, al, bh, bl;
  Split(a, ah, al);
  Split(b, bh, bl);
  return {p, ((ah * bh - p) + ah * bl + al * bh) + al * bl};
}
// Error ≤ a few 2^-106·(|x| + |y|): what an FFT's error analysis needs (no relative accuracy
// under cancellation is required, the error budget is absolute in the largest value).
template <typename T>
[[gnu::always_inline]] inline DDT<T> Add(DDT<T> x, DDT<T> y) {
  DDT<T> s = TwoSum(x.hi, y.hi);
  s.lo += x.lo + y.lo;
  return QuickTwoSum(s.hi, s.lo);
}
template <typename T>
[[gnu::always_inline]] inline DDT<T> Sub(DDT<T> x, DDT<T> y) {
  return Add(x, DDT<T>{-y.hi, -y.lo});
}
template <typename T>
[[gnu::always_inline]] inline DDT<T> Mul(DDT<T> x, DDT<T> y) {
  DDT<T> p = TwoProd(x.hi, y.hi);
  p.lo += x.hi * y.lo + x.lo * y.hi;
  return QuickTwoSum(p.hi, p.lo);
}

template <typename T>
struct CDDT {
  DDT<T> re, im;
};
using CDD = CDDT<double>;
template <typename T>
[[gnu::always_inline]] inline CDDT<T> CAdd(CDDT<T> a, CDDT<T> b) {
  return {Add(a.re, b.re), Add(a.im, b.im)};
}
template <typename T>
[[gnu::always_inline]] inline CDDT<T> CSub(CDDT<T> a, CDDT<T> b) {
  return {Sub(a.re, b.re), Sub(a.im, b.im)};
}
template <typename T>
[[gnu::always_inline]] inline CDDT<T> CMul(CDDT<T> a, CDDT<T> b) {
  return {Sub(Mul(a.re, b.re), Mul(a.im, b.im)), Add(Mul(a.re, b.im), Mul(a.im, b.re))};
}
// a·conj(b)
template <typename T>
[[gnu::always_inline]] inline CDDT<T> CMulConj(CDDT<T> a, CDDT<T> b) {
  return {Add(Mul(a.re, b.re), Mul(a.im, b.im)), Sub(Mul(a.im, b.re), Mul(a.re, b.im))};
}

template <typename T>
[[gnu::always_inline]] inline T LoadLanes(const double* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <typename T>
[[gnu::always_inline]] inline void StoreLanes(double* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

// Four arrays (re high, re low, im high, im low) of complex double-doubles.
struct Arrays {
  double *re0, *re1, *im0, *im1;
  Arrays operator+(size_t i) const { return {re0 + i, re1 + i, im0 + i, im1 + i}; }
};
struct ConstArrays {
  const double *re0, *re1, *im0, *im1;
  ConstArrays operator+(size_t i) const { return {re0 + i, re1 + i, im0 + i, im1 + i}; }
};

template <typename T, typename A>
[[gnu::always_inline]] inline CDDT<T> Load(A a, size_t i) {
  return {{LoadLanes<T>(a.re0 + i), LoadLanes<T>(a.re1 + i)},
          {LoadLanes<T>(a.im0 + i), LoadLanes<T>(a.im1 + i)}};
}
template <typename T>
[[gnu::always_inline]] inline void Store(Arrays a, size_t i, CDDT<T> v) {
  StoreLanes(a.re0 + i, v.re.hi);
  StoreLanes(a.re1 + i, v.re.lo);
  StoreLanes(a.im0 + i, v.im.hi);
  StoreLanes(a.im1 + i, v.im.lo);
}

// One block of a DIF stage of half-length h: (u, v) ← (u + v, (u − v)·w_j).
template <typename T>
void DifBlock(Arrays x, ConstArrays w, size_t h) {
  constexpr size_t kLanes = sizeof(T) / sizeof(double);
  for (size_t j = 0; j < h; j += kLanes) {
    const CDDT<T> u = Load<T>(x, j), v = Load<T>(x, j + h);
    Store(x, j, CAdd(u, v));
    Store(x, j + h, CMul(CSub(u, v), Load<T>(w, j)));
  }
}
// One block of a DIT stage of half-length h: (u, v) ← (u + v·conj(w_j), u − v·conj(w_j)).
template <typename T>
void DitBlock(Arrays x, ConstArrays w, size_t h) {
  constexpr size_t kLanes = sizeof(T) / sizeof(double);
  for (size_t j = 0; j < h; j += kLanes) {
    const CDDT<T> u = Load<T>(x, j), v = CMulConj(Load<T>(x, j + h), Load<T>(w, j));
    Store(x, j, CAdd(u, v));
    Store(x, j + h, CSub(u, v));
  }
}

// The nearest double-double to v(x)·2^-128, v the two's-complement value: the high part is the
// nearest f64, the low part the exact remainder rounded (|remainder| ≤ 2^74 at most).
inline DD TorusToDD(u128 x) {
  const double hi = static_cast<double>(static_cast<__int128>(x));
  const u128 magnitude = static_cast<u128>(std::fabs(hi));  // integral, ≤ 2^127
  const u128 hi_int = hi < 0 ? u128{0} - magnitude : magnitude;
  const double lo = static_cast<double>(static_cast<__int128>(x - hi_int));
  return {hi * kTwoM128, lo * kTwoM128};
}

// An integral double of magnitude ≤ 2^127, mod 2^128.
inline u128 IntegralToU128(double d) {
  const u128 magnitude = static_cast<u128>(std::fabs(d));
  return d < 0 ? u128{0} - magnitude : magnitude;
}
// x mod 2^128 into [−2^127, 2^127] for a finite double: exact (x and the multiple of 2^128
// subtracted are within a factor two of each other or x's ulp is ≥ 2^75).
inline double ReduceMod2To128(double x) { return x - kTwo128 * std::nearbyint(x * kTwoM128); }

// round((t.hi + t.lo)·2^128) mod 2^128 for finite parts of moderate size.
inline u128 RoundTorusDD(DD t) {
  const double h = ReduceMod2To128(t.hi * kTwo128);
  const double h_int = std::nearbyint(h);
  const double h_frac = h - h_int;  // exact, in [−1/2, 1/2]
  const double l = ReduceMod2To128(t.lo * kTwo128) + h_frac;
  return IntegralToU128(h_int) + IntegralToU128(std::nearbyint(l));
}

// round(v) mod 2^64 for a finite double of moderate size.
inline uint64_t RoundTorus64(double v) {
  double r = std::nearbyint(v);
  r -= kTwo64 * std::nearbyint(r * kTwoM64);  // exact: into [−2^63, 2^63]
  if (r >= 0x1p63) r -= kTwo64;
  return static_cast<uint64_t>(static_cast<int64_t>(r));
}

// ---- twiddles: ζ^k = e^{iπk/N} in __float128, rounded to double-double ----

using Quad = __float128;

Quad QuadPi() {
  // π as the sum of three doubles (error < 2^-160).
  return Quad{3.141592653589793116} + Quad{1.2246467991473532e-16} + Quad{-2.9947698097183397e-33};
}

// sin and cos of θ ∈ [0, π/4] by their Taylor series: 30 terms leave < 2^-140.
void QuadSinCos(Quad theta, Quad& s, Quad& c) {
  const Quad t2 = theta * theta;
  Quad term_s = theta, term_c = 1;
  s = 0;
  c = 0;
  for (int k = 0; k < 30; ++k) {
    s += term_s;
    c += term_c;
    term_s = -term_s * t2 / static_cast<Quad>((2 * k + 2) * (2 * k + 3));
    term_c = -term_c * t2 / static_cast<Quad>((2 * k + 1) * (2 * k + 2));
  }
}

DD QuadToDD(Quad q) {
  const double hi = static_cast<double>(q);
  return {hi, static_cast<double>(q - Quad{hi})};
}

// ζ^k for 0 ≤ k < N, through the symmetries of the first octant (θ ≤ π/4 keeps the series
// short and the angle's rounding relative).
CDD Zeta(size_t k, size_t n) {
  bool negate_cos = false, swap = false;
  if (k > n / 2) {  // cos(π − x) = −cos x, sin(π − x) = sin x
    k = n - k;
    negate_cos = true;
  }
  if (k > n / 4) {  // cos(π/2 − y) = sin y, sin(π/2 − y) = cos y
    k = n / 2 - k;
    swap = true;
  }
  Quad s, c;
  QuadSinCos(QuadPi() * Quad{static_cast<double>(k)} / Quad{static_cast<double>(n)}, s, c);
  if (swap) std::swap(s, c);
  if (negate_cos) c = -c;
  return {QuadToDD(c), QuadToDD(s)};
}

// ---- shapes ----

absl::Status Invalid(std::string_view what, std::string_view field, std::string_view message) {
  return absl::InvalidArgumentError(internal::Cat(what, ".", field, ": ", message));
}

bool IsConvertiblePolynomialSize(uint64_t n) {
  return internal::IsPowerOfTwo(n) && n >= 4 && n <= kMaxPolynomialSize;
}

// L·(k+1)²·per_polynomial, or 0 as soon as the product exceeds `cap` (no overflow).
u128 ShapeWords(uint64_t level, uint64_t glwe_size, uint64_t per_polynomial, u128 cap) {
  u128 p = level;
  for (uint64_t f : {glwe_size, glwe_size, per_polynomial}) {
    if (p > cap) return 0;
    p *= f;  // both factors < 2^64 and p ≤ cap < 2^64: no overflow
  }
  return p > cap ? 0 : p;
}

template <typename Scalar>
absl::Status CheckStandardKey(const LweBootstrapKey<Scalar>& key) {
  constexpr std::string_view kWhat = "LweBootstrapKey";
  constexpr uint64_t bits = sizeof(Scalar) * 8;
  if (!IsConvertiblePolynomialSize(key.polynomial_size)) {
    return Invalid(kWhat, "polynomial_size",
                   internal::Cat(key.polynomial_size, " is not a power of two in [4, 2^16]"));
  }
  if (key.glwe_size < 2) return Invalid(kWhat, "glwe_size", "the GLWE size must be at least 2");
  if (key.decomp_base_log == 0 || key.decomp_level_count == 0 ||
      u128{key.decomp_base_log} * key.decomp_level_count > bits) {
    return Invalid(
        kWhat, "decomp_base_log",
        internal::Cat("base_log ", key.decomp_base_log, " x level ", key.decomp_level_count,
                      " must be at least 1 each and fit ", bits, " bits"));
  }
  const u128 ggsw = ShapeWords(key.decomp_level_count, key.glwe_size, key.polynomial_size,
                               static_cast<u128>(key.data.size()));
  if (key.data.empty() || ggsw == 0 || key.data.size() % static_cast<uint64_t>(ggsw) != 0) {
    return Invalid(kWhat, "data",
                   internal::Cat(key.data.size(),
                                 " words are not a non-empty whole number of GGSWs of level x "
                                 "glwe_size^2 x polynomial_size words"));
  }
  if (!key.modulus.is_native()) {
    return absl::UnimplementedError("LweBootstrapKey: Fourier conversion of a non-native modulus");
  }
  return absl::OkStatus();
}

// The published shape: N, n, k + 1, β, L and a word count of n·L·(k+1)²·per_polynomial.
absl::Status CheckPublishedShape(std::string_view what, uint64_t polynomial_size,
                                 uint64_t input_lwe_dimension, uint64_t glwe_size,
                                 uint64_t base_log, uint64_t level, uint64_t bits, size_t words,
                                 uint64_t per_polynomial, std::string_view words_field) {
  if (!IsConvertiblePolynomialSize(polynomial_size)) {
    return Invalid(what, "polynomial_size",
                   internal::Cat(polynomial_size, " is not a power of two in [4, 2^16]"));
  }
  if (glwe_size < 2) return Invalid(what, "glwe_size", "the GLWE size must be at least 2");
  if (input_lwe_dimension == 0) {
    return Invalid(what, "input_lwe_dimension", "the input LWE dimension must be at least 1");
  }
  if (base_log == 0 || level == 0 || u128{base_log} * level > bits) {
    return Invalid(what, "decomposition_base_log",
                   internal::Cat("base_log ", base_log, " x level ", level,
                                 " must be at least 1 each and fit ", bits, " bits"));
  }
  const u128 per_ggsw = ShapeWords(level, glwe_size, per_polynomial, static_cast<u128>(words));
  if (per_ggsw == 0 || u128{input_lwe_dimension} * per_ggsw != static_cast<u128>(words)) {
    return Invalid(
        what, words_field,
        internal::Cat(
            "holds ", words, " words, expected input_lwe_dimension x level x glwe_size^2 x ",
            per_polynomial == polynomial_size ? "polynomial_size" : "polynomial_size / 2"));
  }
  return absl::OkStatus();
}

absl::Status CheckWords(std::string_view what, std::string_view field,
                        const std::vector<double>& words, uint64_t polynomial_size) {
  const double bound = static_cast<double>(polynomial_size);
  for (size_t i = 0; i < words.size(); ++i) {
    if (!(std::fabs(words[i]) <= bound)) {  // false for NaN too
      return Invalid(what, field,
                     internal::Cat("word ", i, " is not finite or exceeds the polynomial size ",
                                   polynomial_size, " in magnitude"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ---- 64 bits ----

FourierConverter64::FourierConverter64(size_t polynomial_size)
    : n_(polynomial_size), m_(polynomial_size / 2), rev_(BitReversal(polynomial_size / 2)) {
  twist_re_.resize(m_);
  twist_im_.resize(m_);
  for (size_t j = 0; j < m_; ++j) {
    const CDD z = Zeta(j, n_);
    twist_re_[j] = z.re.hi;
    twist_im_[j] = z.im.hi;
  }
  root_re_.resize(m_ - 1);
  root_im_.resize(m_ - 1);
  for (size_t h = 1; h < m_; h <<= 1) {
    for (size_t j = 0; j < h; ++j) {
      const CDD z = Zeta(j * (n_ / h), n_);  // e^{iπj/h}; the stage root is its conjugate
      root_re_[h - 1 + j] = z.re.hi;
      root_im_[h - 1 + j] = -z.im.hi;
    }
  }
}

const FourierConverter64& FourierConverter64::For(size_t polynomial_size) {
  static std::mutex mu;
  static std::map<size_t, std::unique_ptr<FourierConverter64>> converters;
  std::lock_guard<std::mutex> lock(mu);
  auto& c = converters[polynomial_size];
  if (!c) c = std::make_unique<FourierConverter64>(polynomial_size);
  return *c;
}

void FourierConverter64::Forward(std::span<const uint64_t> poly, std::span<double> out) const {
  thread_local std::vector<double> buf;
  Grow(buf, n_);
  double* __restrict re = buf.data();
  double* __restrict im = buf.data() + m_;
  // tfhe-rs's convert_forward_torus: scale, then multiply by the twist.
  for (size_t j = 0; j < m_; ++j) {
    const double x = static_cast<double>(static_cast<int64_t>(poly[j])) * kTwoM64;
    const double y = static_cast<double>(static_cast<int64_t>(poly[j + m_])) * kTwoM64;
    re[j] = x * twist_re_[j] - y * twist_im_[j];
    im[j] = x * twist_im_[j] + y * twist_re_[j];
  }
  // Decimation in frequency, negative exponent: position p holds X_{rev(p)}.
  for (size_t h = m_ / 2; h >= 1; h >>= 1) {
    const double* wr = root_re_.data() + h - 1;
    const double* wi = root_im_.data() + h - 1;
    for (size_t s = 0; s < m_; s += 2 * h) {
      for (size_t j = s; j < s + h; ++j) {
        const double ur = re[j], ui = im[j], vr = re[j + h], vi = im[j + h];
        re[j] = ur + vr;
        im[j] = ui + vi;
        const double dr = ur - vr, di = ui - vi;
        re[j + h] = dr * wr[j - s] - di * wi[j - s];
        im[j + h] = dr * wi[j - s] + di * wr[j - s];
      }
    }
  }
  for (size_t k = 0; k < m_; ++k) {
    out[2 * k] = re[rev_[k]];
    out[2 * k + 1] = im[rev_[k]];
  }
}

void FourierConverter64::Backward(std::span<const double> in, std::span<uint64_t> out) const {
  thread_local std::vector<double> buf;
  Grow(buf, n_);
  double* __restrict re = buf.data();
  double* __restrict im = buf.data() + m_;
  for (size_t k = 0; k < m_; ++k) {
    re[rev_[k]] = in[2 * k];
    im[rev_[k]] = in[2 * k + 1];
  }
  // Decimation in time with the conjugate roots: natural order out, ×N/2.
  for (size_t h = 1; h < m_; h <<= 1) {
    const double* wr = root_re_.data() + h - 1;
    const double* wi = root_im_.data() + h - 1;
    for (size_t s = 0; s < m_; s += 2 * h) {
      for (size_t j = s; j < s + h; ++j) {
        const double yr = re[j + h], yi = im[j + h];
        const double vr = yr * wr[j - s] + yi * wi[j - s];
        const double vi = yi * wr[j - s] - yr * wi[j - s];
        const double ur = re[j], ui = im[j];
        re[j] = ur + vr;
        im[j] = ui + vi;
        re[j + h] = ur - vr;
        im[j + h] = ui - vi;
      }
    }
  }
  // ×1/(N/2) and ×2^64 are powers of two: exact.
  const double scale = kTwo64 / static_cast<double>(m_);
  for (size_t j = 0; j < m_; ++j) {
    const double zr = re[j] * scale, zi = im[j] * scale;
    out[j] = RoundTorus64(zr * twist_re_[j] + zi * twist_im_[j]);
    out[j + m_] = RoundTorus64(zi * twist_re_[j] - zr * twist_im_[j]);
  }
}

// ---- 128 bits ----

FourierConverter128::FourierConverter128(size_t polynomial_size)
    : n_(polynomial_size), m_(polynomial_size / 2) {
  for (auto* v : {&twist_re0_, &twist_re1_, &twist_im0_, &twist_im1_}) v->resize(m_);
  const Arrays twist{twist_re0_.data(), twist_re1_.data(), twist_im0_.data(), twist_im1_.data()};
  for (size_t j = 0; j < m_; ++j) Store(twist, j, Zeta(j, n_));
  for (auto* v : {&root_re0_, &root_re1_, &root_im0_, &root_im1_}) v->resize(m_ - 1);
  const Arrays roots{root_re0_.data(), root_re1_.data(), root_im0_.data(), root_im1_.data()};
  for (size_t h = 1; h < m_; h <<= 1) {
    for (size_t j = 0; j < h; ++j) Store(roots, h - 1 + j, Zeta(j * (n_ / h), n_));  // e^{iπj/h}
  }
}

const FourierConverter128& FourierConverter128::For(size_t polynomial_size) {
  static std::mutex mu;
  static std::map<size_t, std::unique_ptr<FourierConverter128>> converters;
  std::lock_guard<std::mutex> lock(mu);
  auto& c = converters[polynomial_size];
  if (!c) c = std::make_unique<FourierConverter128>(polynomial_size);
  return *c;
}

void FourierConverter128::Forward(std::span<const u128> poly, Words out) const {
  const Arrays x{out.re0, out.re1, out.im0, out.im1};
  const ConstArrays twist{twist_re0_.data(), twist_re1_.data(), twist_im0_.data(),
                          twist_im1_.data()};
  for (size_t j = 0; j < m_; ++j) {
    const CDD z{TorusToDD(poly[j]), TorusToDD(poly[j + m_])};
    Store(x, j, CMul(z, Load<double>(twist, j)));
  }
  // Decimation in frequency, positive exponent: position r ends up holding
  // Σ_j z_j·ζ^j·e^{2πi·j·rev(r)/(N/2)}.
  const ConstArrays roots{root_re0_.data(), root_re1_.data(), root_im0_.data(), root_im1_.data()};
  for (size_t h = m_ / 2; h >= 1; h >>= 1) {
    for (size_t s = 0; s < m_; s += 2 * h) {
      if (h >= 2) {
        DifBlock<V2>(x + s, roots + (h - 1), h);
      } else {
        DifBlock<double>(x + s, roots + (h - 1), h);
      }
    }
  }
}

void FourierConverter128::Backward(ConstWords in, std::span<u128> out) const {
  thread_local std::vector<double> buf;
  Grow(buf, 4 * m_);
  const Arrays x{buf.data(), buf.data() + m_, buf.data() + 2 * m_, buf.data() + 3 * m_};
  std::copy(in.re0, in.re0 + m_, x.re0);
  std::copy(in.re1, in.re1 + m_, x.re1);
  std::copy(in.im0, in.im0 + m_, x.im0);
  std::copy(in.im1, in.im1 + m_, x.im1);
  // Decimation in time with the conjugate roots: bit-reversed in, natural order out, ×N/2.
  const ConstArrays roots{root_re0_.data(), root_re1_.data(), root_im0_.data(), root_im1_.data()};
  for (size_t h = 1; h < m_; h <<= 1) {
    for (size_t s = 0; s < m_; s += 2 * h) {
      if (h >= 2) {
        DitBlock<V2>(x + s, roots + (h - 1), h);
      } else {
        DitBlock<double>(x + s, roots + (h - 1), h);
      }
    }
  }
  const double scale = 1.0 / static_cast<double>(m_);  // a power of two: exact
  const ConstArrays twist{twist_re0_.data(), twist_re1_.data(), twist_im0_.data(),
                          twist_im1_.data()};
  for (size_t j = 0; j < m_; ++j) {
    CDD w = Load<double>(ConstArrays{x.re0, x.re1, x.im0, x.im1}, j);
    w = {{w.re.hi * scale, w.re.lo * scale}, {w.im.hi * scale, w.im.lo * scale}};
    const CDD z = CMulConj(w, Load<double>(twist, j));
    out[j] = RoundTorusDD(z.re);
    out[j + m_] = RoundTorusDD(z.im);
  }
}

// ---- whole keys ----

absl::StatusOr<FourierLweBootstrapKey> ToFourierBootstrapKey(const LweBootstrapKey<uint64_t>& key) {
  KMS_RETURN_IF_ERROR(CheckStandardKey(key));
  const size_t n = key.polynomial_size;
  FourierLweBootstrapKey out;
  out.polynomial_size = n;
  out.input_lwe_dimension = key.input_lwe_dimension();
  out.glwe_size = key.glwe_size;
  out.decomposition_base_log = key.decomp_base_log;
  out.decomposition_level_count = key.decomp_level_count;
  out.fourier.resize(key.data.size());
  const FourierConverter64& conv = FourierConverter64::For(n);
  for (size_t p = 0; p < key.data.size() / n; ++p) {
    conv.Forward(std::span<const uint64_t>(key.data.data() + p * n, n),
                 std::span<double>(out.fourier.data() + p * n, n));
  }
  return out;
}

absl::StatusOr<Fourier128LweBootstrapKey> ToFourier128BootstrapKey(
    const LweBootstrapKey<u128>& key) {
  KMS_RETURN_IF_ERROR(CheckStandardKey(key));
  const size_t n = key.polynomial_size, m = n / 2;
  Fourier128LweBootstrapKey out;
  out.polynomial_size = n;
  out.input_lwe_dimension = key.input_lwe_dimension();
  out.glwe_size = key.glwe_size;
  out.decomposition_base_log = key.decomp_base_log;
  out.decomposition_level_count = key.decomp_level_count;
  const size_t words = key.data.size() / 2;
  out.data_re0.resize(words);
  out.data_re1.resize(words);
  out.data_im0.resize(words);
  out.data_im1.resize(words);
  const FourierConverter128& conv = FourierConverter128::For(n);
  for (size_t p = 0; p < key.data.size() / n; ++p) {
    conv.Forward(std::span<const u128>(key.data.data() + p * n, n),
                 {out.data_re0.data() + p * m, out.data_re1.data() + p * m,
                  out.data_im0.data() + p * m, out.data_im1.data() + p * m});
  }
  return out;
}

absl::StatusOr<LweBootstrapKey<uint64_t>> FromFourierBootstrapKey(
    const FourierLweBootstrapKey& key) {
  constexpr std::string_view kWhat = "FourierLweBootstrapKey";
  KMS_RETURN_IF_ERROR(CheckPublishedShape(kWhat, key.polynomial_size, key.input_lwe_dimension,
                                          key.glwe_size, key.decomposition_base_log,
                                          key.decomposition_level_count, 64, key.fourier.size(),
                                          key.polynomial_size, "fourier"));
  KMS_RETURN_IF_ERROR(CheckWords(kWhat, "fourier", key.fourier, key.polynomial_size));
  const size_t n = key.polynomial_size;
  LweBootstrapKey<uint64_t> out;
  out.glwe_size = key.glwe_size;
  out.polynomial_size = n;
  out.decomp_base_log = key.decomposition_base_log;
  out.decomp_level_count = key.decomposition_level_count;
  out.data.resize(key.fourier.size());
  const FourierConverter64& conv = FourierConverter64::For(n);
  for (size_t p = 0; p < key.fourier.size() / n; ++p) {
    conv.Backward(std::span<const double>(key.fourier.data() + p * n, n),
                  std::span<uint64_t>(out.data.data() + p * n, n));
  }
  return out;
}

absl::StatusOr<LweBootstrapKey<u128>> FromFourier128BootstrapKey(
    const Fourier128LweBootstrapKey& key) {
  constexpr std::string_view kWhat = "Fourier128LweBootstrapKey";
  const size_t words = key.data_re0.size();
  if (key.data_re1.size() != words || key.data_im0.size() != words ||
      key.data_im1.size() != words) {
    return Invalid(kWhat, "data_re1", "the four f64 arrays must have the same length");
  }
  KMS_RETURN_IF_ERROR(CheckPublishedShape(kWhat, key.polynomial_size, key.input_lwe_dimension,
                                          key.glwe_size, key.decomposition_base_log,
                                          key.decomposition_level_count, 128, words,
                                          key.polynomial_size / 2, "data_re0"));
  KMS_RETURN_IF_ERROR(CheckWords(kWhat, "data_re0", key.data_re0, key.polynomial_size));
  KMS_RETURN_IF_ERROR(CheckWords(kWhat, "data_re1", key.data_re1, key.polynomial_size));
  KMS_RETURN_IF_ERROR(CheckWords(kWhat, "data_im0", key.data_im0, key.polynomial_size));
  KMS_RETURN_IF_ERROR(CheckWords(kWhat, "data_im1", key.data_im1, key.polynomial_size));
  const size_t n = key.polynomial_size, m = n / 2;
  LweBootstrapKey<u128> out;
  out.glwe_size = key.glwe_size;
  out.polynomial_size = n;
  out.decomp_base_log = key.decomposition_base_log;
  out.decomp_level_count = key.decomposition_level_count;
  out.data.resize(2 * words);
  const FourierConverter128& conv = FourierConverter128::For(n);
  for (size_t p = 0; p < words / m; ++p) {
    conv.Backward({key.data_re0.data() + p * m, key.data_re1.data() + p * m,
                   key.data_im0.data() + p * m, key.data_im1.data() + p * m},
                  std::span<u128>(out.data.data() + p * n, n));
  }
  return out;
}

}  // namespace kms::tfhe
