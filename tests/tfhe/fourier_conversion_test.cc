// The conversion of bootstrapping keys to and from tfhe-rs's published Fourier layouts
// (tfhe/fourier_conversion.h): the 64-bit transform against a naive O(N²) evaluation of
// a(ζ^{1−4k})·2^-64 in long double, the 128-bit one against a naive evaluation of
// a(ζ^{1+4·rev(r)})·2^-128 in __float128 (libquadmath roots, independent of the library's
// twiddles) and against a textbook negacyclic Cooley–Tukey transform with tfhe-fft's twiddle
// table; pointwise products of transforms invert to the exact negacyclic product; round trips
// keep the top ≈ 50 / 100 bits and small coefficients exactly; a generated key goes through the
// published form (serialized and parsed byte-identically) and back into our compute keys, whose
// bootstraps decrypt right; the words of a fixed polynomial are pinned by digest (they must not
// depend on the machine); hostile shapes and words are refused without large allocation.
#include "tfhe/fourier_conversion.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <numbers>
#include <random>
#include <vector>

#include "testing/allocation_probe.h"
#include "testing/negacyclic.h"
#include "testing/seeded_rng.h"
#include "tfhe/bootstrap.h"
#include "tfhe/bootstrap_key_generation.h"
#include "tfhe/client_key_encryption.h"

// libquadmath's functions, declared here rather than through <quadmath.h>: that header lives in
// GCC's private include directory, which clang (the sanitizer build) does not search.
extern "C" {
__float128 atanq(__float128);
__float128 cosq(__float128);
__float128 sinq(__float128);
__float128 fabsq(__float128);
__float128 ldexpq(__float128, int);
}

namespace kms::tfhe {
namespace {

using Quad = __float128;

template <typename Scalar>
Scalar Random(std::mt19937_64& g) {
  if constexpr (sizeof(Scalar) == 8) {
    return g();
  } else {
    return (static_cast<u128>(g()) << 64) | g();
  }
}

template <typename Scalar>
Scalar SmallSigned(std::mt19937_64& g, int bits) {
  const int64_t v = static_cast<int64_t>(g() % (uint64_t{1} << bits)) - (int64_t{1} << (bits - 1));
  return static_cast<Scalar>(static_cast<__int128>(v));
}

size_t Rev(size_t r, size_t m) {
  size_t out = 0;
  for (size_t b = 1; b < m; b <<= 1, r >>= 1) out = (out << 1) | (r & 1);
  return out;
}

double Log2(double x) { return x > 0 ? std::log2(x) : -1e9; }

// ---- 64 bits ----

TEST(FourierConversion64, ForwardEqualsTheNaiveFormula) {
  std::mt19937_64 g(1);
  for (size_t n : {256u, 2048u}) {
    const size_t m = n / 2;
    std::vector<uint64_t> a(n);
    for (auto& c : a) c = g();
    std::vector<double> out(n);
    FourierConverter64::For(n).Forward(a, out);
    // ζ^e for e < 2N in long double.
    const long double pi = std::numbers::pi_v<long double>;
    std::vector<long double> zc(2 * n), zs(2 * n);
    for (size_t e = 0; e < 2 * n; ++e) {
      zc[e] = std::cos(pi * static_cast<long double>(e) / static_cast<long double>(n));
      zs[e] = std::sin(pi * static_cast<long double>(e) / static_cast<long double>(n));
    }
    const long double scale = std::ldexp(1.0L, -64);
    double max_err = 0, max_abs = 0;
    for (size_t k = 0; k < m; ++k) {
      // X_k = Σ_j (v(c_j) + i·v(c_{j+N/2}))·2^-64·ζ^{j(1−4k)}.
      long double re = 0, im = 0;
      for (size_t j = 0; j < m; ++j) {
        const long double x = static_cast<long double>(static_cast<int64_t>(a[j])) * scale;
        const long double y = static_cast<long double>(static_cast<int64_t>(a[j + m])) * scale;
        const size_t e = (j * ((2 * n - (4 * k) % (2 * n)) % (2 * n) + 1)) % (2 * n);
        re += x * zc[e] - y * zs[e];
        im += x * zs[e] + y * zc[e];
      }
      max_err = std::max(max_err, static_cast<double>(std::fabs(re - out[2 * k])));
      max_err = std::max(max_err, static_cast<double>(std::fabs(im - out[2 * k + 1])));
      max_abs = std::max(max_abs, static_cast<double>(std::fabs(re)));
    }
    std::printf("64-bit N=%zu: max |X| = 2^%.1f, max error 2^%.1f\n", n, Log2(max_abs),
                Log2(max_err));
    // f64 rounding through log2(N/2) stages: a few ulps of the largest value per stage.
    EXPECT_LE(max_err, std::ldexp(max_abs, -52) * 4 * std::log2(static_cast<double>(m)))
        << "N " << n;
  }
}

TEST(FourierConversion64, PointwiseProductInvertsToTheNegacyclicProduct) {
  std::mt19937_64 g(2);
  for (size_t n : {256u, 2048u}) {
    const size_t m = n / 2;
    std::vector<uint64_t> a(n), b(n);
    for (auto& c : a) c = SmallSigned<uint64_t>(g, 11);
    for (auto& c : b) c = g();
    const FourierConverter64& conv = FourierConverter64::For(n);
    std::vector<double> fa(n), fb(n), fc(n);
    conv.Forward(a, fa);
    conv.Forward(b, fb);
    // a(x)·2^-64 · b(x)·2^-64 · 2^64 = (a·b)(x)·2^-64.
    for (size_t k = 0; k < m; ++k) {
      const double ar = fa[2 * k], ai = fa[2 * k + 1], br = fb[2 * k], bi = fb[2 * k + 1];
      fc[2 * k] = std::ldexp(ar * br - ai * bi, 64);
      fc[2 * k + 1] = std::ldexp(ar * bi + ai * br, 64);
    }
    std::vector<uint64_t> c(n);
    conv.Backward(fc, c);
    const auto exact = kms::testing::SchoolbookNegacyclicProduct(a, b);
    int64_t max_err = 0;
    for (size_t i = 0; i < n; ++i) {
      max_err = std::max(max_err, std::abs(static_cast<int64_t>(c[i] - exact[i])));
    }
    std::printf("64-bit product N=%zu: max |error| = 2^%.1f\n", n,
                Log2(static_cast<double>(max_err)));
    // Values up to N·2^10·2^63, f64 error ≈ 2^-53 relative per stage.
    EXPECT_LE(
        static_cast<double>(max_err),
        std::ldexp(1.0, 63 + 10 - 53) * std::sqrt(static_cast<double>(n)) * 4 * std::log2(2.0 * n));
  }
}

LweBootstrapKey<uint64_t> RandomKey64(std::mt19937_64& g, int small_bits) {
  LweBootstrapKey<uint64_t> k;
  k.glwe_size = 2;
  k.polynomial_size = 256;
  k.decomp_base_log = 15;
  k.decomp_level_count = 2;
  k.data.resize(3 * k.ggsw_size());
  for (auto& w : k.data) w = small_bits ? SmallSigned<uint64_t>(g, small_bits) : g();
  return k;
}

TEST(FourierConversion64, RoundTripKeepsTheTopBitsAndSmallValuesExactly) {
  std::mt19937_64 g(3);
  const LweBootstrapKey<uint64_t> key = RandomKey64(g, 0);
  auto f = ToFourierBootstrapKey(key);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->polynomial_count(), 3u * 2 * 2 * 2);
  EXPECT_EQ(f->input_lwe_dimension, 3u);
  EXPECT_EQ(f->glwe_size, 2u);
  EXPECT_EQ(f->decomposition_base_log, 15u);
  EXPECT_EQ(f->decomposition_level_count, 2u);
  auto back = FromFourierBootstrapKey(*f);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->data.size(), key.data.size());
  EXPECT_EQ(back->glwe_size, key.glwe_size);
  EXPECT_EQ(back->polynomial_size, key.polynomial_size);
  EXPECT_EQ(back->decomp_base_log, key.decomp_base_log);
  EXPECT_EQ(back->decomp_level_count, key.decomp_level_count);
  int64_t max_err = 0;
  for (size_t i = 0; i < key.data.size(); ++i) {
    max_err = std::max(max_err, std::abs(static_cast<int64_t>(back->data[i] - key.data[i])));
  }
  std::printf("64-bit round trip: max |error| = 2^%.1f\n", Log2(static_cast<double>(max_err)));
  EXPECT_LT(max_err, int64_t{1} << 14);  // the top 50 bits

  const LweBootstrapKey<uint64_t> small = RandomKey64(g, 30);
  auto small_back = FromFourierBootstrapKey(*ToFourierBootstrapKey(small));
  ASSERT_TRUE(small_back.ok());
  EXPECT_TRUE(*small_back == small);
}

// ---- 128 bits ----

Quad DDToQuad(double hi, double lo) { return Quad{hi} + Quad{lo}; }

struct QuadComplex {
  Quad re = 0, im = 0;
};

// ζ^e = e^{iπe/N}, e < 2N, from libquadmath.
std::vector<QuadComplex> QuadRoots(size_t n) {
  std::vector<QuadComplex> z(2 * n);
  const Quad pi = 4 * atanq(Quad{1});  // (M_PIq needs GNU literals)
  for (size_t e = 0; e < 2 * n; ++e) {
    const Quad t = pi * static_cast<Quad>(e) / static_cast<Quad>(n);
    z[e] = {cosq(t), sinq(t)};
  }
  return z;
}

Quad TorusQuad(u128 x) { return static_cast<Quad>(static_cast<__int128>(x)) * 0x1p-128; }

TEST(FourierConversion128, ForwardEqualsTheNaiveFormula) {
  std::mt19937_64 g(4);
  for (size_t n : {256u, 2048u}) {
    const size_t m = n / 2;
    std::vector<u128> a(n);
    for (auto& c : a) c = Random<u128>(g);
    std::vector<double> re0(m), re1(m), im0(m), im1(m);
    FourierConverter128::For(n).Forward(a, {re0.data(), re1.data(), im0.data(), im1.data()});
    const auto zeta = QuadRoots(n);
    std::vector<QuadComplex> z(m);
    for (size_t j = 0; j < m; ++j) z[j] = {TorusQuad(a[j]), TorusQuad(a[j + m])};
    Quad max_err = 0, max_abs = 0;
    const size_t step = n == 2048 ? 4 : 1;  // the naive sum is O(N²) in software floats
    for (size_t r = 0; r < m; r += step) {
      const size_t root = 1 + 4 * Rev(r, m);
      QuadComplex x;
      for (size_t j = 0; j < m; ++j) {
        const QuadComplex& w = zeta[(j * root) % (2 * n)];
        x.re += z[j].re * w.re - z[j].im * w.im;
        x.im += z[j].re * w.im + z[j].im * w.re;
      }
      max_err = std::max(max_err, fabsq(x.re - DDToQuad(re0[r], re1[r])));
      max_err = std::max(max_err, fabsq(x.im - DDToQuad(im0[r], im1[r])));
      max_abs = std::max(max_abs, fabsq(x.re));
      // Each value is a normalized double-double: |low| ≤ ulp(high)/2.
      EXPECT_LE(std::fabs(re1[r]), std::ldexp(std::fabs(re0[r]), -53)) << r;
      EXPECT_LE(std::fabs(im1[r]), std::ldexp(std::fabs(im0[r]), -53)) << r;
    }
    const double err = static_cast<double>(max_err), mag = static_cast<double>(max_abs);
    std::printf("128-bit N=%zu: max |X| = 2^%.1f, max error 2^%.1f\n", n, Log2(mag), Log2(err));
    // Double-double precision (2^-104 relative per stage) and the reference's own 2^-113·N/2.
    EXPECT_LE(err, std::ldexp(mag, -104) * 4 * std::log2(static_cast<double>(m))) << "N " << n;
  }
}

// A textbook negacyclic Cooley–Tukey transform of size n = N/2 (pairs z0 ± w·z1, block length
// halving), with the twiddle table tfhe-fft's fft128 Plan builds: w[m + i] = e^{iπ·rev(2m+i, 2n)/
// (2n)}, rev over log2(2n) bits. Its output, position for position, is what tfhe-rs stores.
std::vector<QuadComplex> NegacyclicCooleyTukey(std::vector<QuadComplex> z) {
  const size_t n = z.size();
  const Quad pi = 4 * atanq(Quad{1});  // (M_PIq needs GNU literals)
  std::vector<QuadComplex> w(n);
  for (size_t mm = 1; mm < n; mm <<= 1) {
    for (size_t i = 0; i < mm; ++i) {
      const Quad t = pi * static_cast<Quad>(Rev(2 * mm + i, 2 * n)) / static_cast<Quad>(2 * n);
      w[mm + i] = {cosq(t), sinq(t)};
    }
  }
  size_t t = n;
  for (size_t mm = 1; mm < n; mm <<= 1) {
    t /= 2;
    for (size_t i = 0; i < mm; ++i) {
      const QuadComplex tw = w[mm + i];
      for (size_t j = 2 * i * t; j < 2 * i * t + t; ++j) {
        const QuadComplex u = z[j], v = z[j + t];
        const QuadComplex vw{v.re * tw.re - v.im * tw.im, v.re * tw.im + v.im * tw.re};
        z[j] = {u.re + vw.re, u.im + vw.im};
        z[j + t] = {u.re - vw.re, u.im - vw.im};
      }
    }
  }
  return z;
}

TEST(FourierConversion128, PositionsAreThoseOfTheNegacyclicCooleyTukeyTransform) {
  std::mt19937_64 g(5);
  const size_t n = 512, m = n / 2;
  std::vector<u128> a(n);
  for (auto& c : a) c = Random<u128>(g);
  std::vector<double> re0(m), re1(m), im0(m), im1(m);
  FourierConverter128::For(n).Forward(a, {re0.data(), re1.data(), im0.data(), im1.data()});
  std::vector<QuadComplex> z(m);
  for (size_t j = 0; j < m; ++j) z[j] = {TorusQuad(a[j]), TorusQuad(a[j + m])};
  const auto ref = NegacyclicCooleyTukey(z);
  Quad max_err = 0;
  for (size_t r = 0; r < m; ++r) {
    max_err = std::max(max_err, fabsq(ref[r].re - DDToQuad(re0[r], re1[r])));
    max_err = std::max(max_err, fabsq(ref[r].im - DDToQuad(im0[r], im1[r])));
  }
  EXPECT_LE(static_cast<double>(max_err), 0x1p-90);
}

// Complex product of two double-double values, through __float128, rounded back.
void QuadMulScaled(const double* a, const double* b, int scale_log2, double* out) {
  const Quad ar = DDToQuad(a[0], a[1]), ai = DDToQuad(a[2], a[3]);
  const Quad br = DDToQuad(b[0], b[1]), bi = DDToQuad(b[2], b[3]);
  const Quad scale = ldexpq(1, scale_log2);
  const Quad re = (ar * br - ai * bi) * scale, im = (ar * bi + ai * br) * scale;
  out[0] = static_cast<double>(re);
  out[1] = static_cast<double>(re - Quad{out[0]});
  out[2] = static_cast<double>(im);
  out[3] = static_cast<double>(im - Quad{out[2]});
}

TEST(FourierConversion128, PointwiseProductInvertsToTheNegacyclicProduct) {
  std::mt19937_64 g(6);
  for (size_t n : {256u, 2048u}) {
    const size_t m = n / 2;
    std::vector<u128> a(n), b(n);
    for (auto& c : a) c = SmallSigned<u128>(g, 11);
    for (auto& c : b) c = Random<u128>(g);
    const FourierConverter128& conv = FourierConverter128::For(n);
    std::vector<double> fa(4 * m), fb(4 * m), fc(4 * m);
    conv.Forward(a, {fa.data(), fa.data() + m, fa.data() + 2 * m, fa.data() + 3 * m});
    conv.Forward(b, {fb.data(), fb.data() + m, fb.data() + 2 * m, fb.data() + 3 * m});
    for (size_t r = 0; r < m; ++r) {
      const double x[4] = {fa[r], fa[m + r], fa[2 * m + r], fa[3 * m + r]};
      const double y[4] = {fb[r], fb[m + r], fb[2 * m + r], fb[3 * m + r]};
      double p[4];
      QuadMulScaled(x, y, 128, p);
      for (size_t q = 0; q < 4; ++q) fc[q * m + r] = p[q];
    }
    std::vector<u128> c(n);
    conv.Backward({fc.data(), fc.data() + m, fc.data() + 2 * m, fc.data() + 3 * m}, c);
    const auto exact = kms::testing::SchoolbookNegacyclicProduct(a, b);
    double max_err = 0;
    for (size_t i = 0; i < n; ++i) {
      const __int128 d = static_cast<__int128>(c[i] - exact[i]);
      max_err = std::max(max_err, std::fabs(static_cast<double>(d)));
    }
    std::printf("128-bit product N=%zu: max |error| = 2^%.1f\n", n, Log2(max_err));
    // Values up to N·2^10·2^127, double-double error ≈ 2^-104 relative per stage.
    EXPECT_LE(max_err, std::ldexp(1.0, 127 + 10 - 104) * std::sqrt(static_cast<double>(n)) * 4 *
                           std::log2(2.0 * n));
  }
}

LweBootstrapKey<u128> RandomKey128(std::mt19937_64& g, int small_bits) {
  LweBootstrapKey<u128> k;
  k.glwe_size = 2;
  k.polynomial_size = 256;
  k.decomp_base_log = 24;
  k.decomp_level_count = 3;
  k.data.resize(2 * k.ggsw_size());
  for (auto& w : k.data) w = small_bits ? SmallSigned<u128>(g, small_bits) : Random<u128>(g);
  return k;
}

TEST(FourierConversion128, RoundTripKeepsTheTopBitsAndSmallValuesExactly) {
  std::mt19937_64 g(7);
  const LweBootstrapKey<u128> key = RandomKey128(g, 0);
  auto f = ToFourier128BootstrapKey(key);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->data_re0.size(), 2u * 3 * 2 * 2 * 128);
  EXPECT_EQ(f->data_im1.size(), f->data_re0.size());
  EXPECT_EQ(f->input_lwe_dimension, 2u);
  EXPECT_EQ(f->polynomial_size, 256u);
  auto back = FromFourier128BootstrapKey(*f);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->data.size(), key.data.size());
  EXPECT_EQ(back->decomp_base_log, 24u);
  EXPECT_EQ(back->decomp_level_count, 3u);
  double max_err = 0;
  for (size_t i = 0; i < key.data.size(); ++i) {
    const __int128 d = static_cast<__int128>(back->data[i] - key.data[i]);
    max_err = std::max(max_err, std::fabs(static_cast<double>(d)));
  }
  std::printf("128-bit round trip: max |error| = 2^%.1f\n", Log2(max_err));
  EXPECT_LT(max_err, 0x1p28);  // the top 100 bits

  const LweBootstrapKey<u128> small = RandomKey128(g, 60);
  auto small_back = FromFourier128BootstrapKey(*ToFourier128BootstrapKey(small));
  ASSERT_TRUE(small_back.ok());
  EXPECT_TRUE(*small_back == small);
}

// ---- a generated key through the published form into our compute keys ----

std::vector<uint64_t> BinaryKey(size_t n, std::mt19937_64& g) {
  std::vector<uint64_t> s(n);
  for (auto& b : s) b = g() & 1;
  return s;
}

// An LWE of m·Δ under `key`, Δ = 2^63/p, noise of a few bits.
std::vector<uint64_t> EncryptLwe(uint64_t m, uint64_t p, const std::vector<uint64_t>& key,
                                 std::mt19937_64& g) {
  std::vector<uint64_t> ct(key.size() + 1);
  uint64_t body = m * ((uint64_t{1} << 63) / p) + (g() % (1u << 20));
  for (size_t i = 0; i < key.size(); ++i) {
    ct[i] = g();
    body += ct[i] * key[i];
  }
  ct.back() = body;
  return ct;
}

TEST(FourierConversion, GeneratedKeyThroughThePublishedFormBootstraps) {
  std::mt19937_64 g(8);
  kms::testing::SeededRng rng(9);
  const size_t n_small = 32, n = 512;
  const std::vector<uint64_t> small_key = BinaryKey(n_small, g);
  GlweSecretKey<uint64_t> glwe;
  glwe.polynomial_size = n;
  glwe.data = BinaryKey(n, g);
  auto bsk = GenerateLweBootstrapKey<uint64_t>(small_key, glwe, {15, 2}, 20, rng);
  ASSERT_TRUE(bsk.ok()) << bsk.status();

  auto published = ToFourierBootstrapKey(*bsk);
  ASSERT_TRUE(published.ok()) << published.status();
  // Serialized with the published format's Convert, parsed back bit-exactly.
  Codec w = Codec::Writer("FourierLweBootstrapKey");
  Convert(w, *published, "bsk");
  ASSERT_TRUE(w.Finish().ok()) << w.Finish();
  const Bytes bytes = w.TakeOutput();
  EXPECT_EQ(bytes.size(), 4 + 4 + 3 * 8 + published->polynomial_count() * (8 + 8 * n) + 4 * 12);
  FourierLweBootstrapKey parsed;
  Codec r = Codec::Reader(bytes, "FourierLweBootstrapKey");
  Convert(r, parsed, "bsk");
  ASSERT_TRUE(r.Finish().ok()) << r.Finish();
  EXPECT_TRUE(parsed == *published);
  Codec w2 = Codec::Writer("FourierLweBootstrapKey");
  Convert(w2, parsed, "bsk");
  ASSERT_TRUE(w2.Finish().ok());
  EXPECT_EQ(w2.TakeOutput(), bytes);

  auto standard = FromFourierBootstrapKey(parsed);
  ASSERT_TRUE(standard.ok()) << standard.status();
  int64_t max_err = 0;
  for (size_t i = 0; i < bsk->data.size(); ++i) {
    max_err = std::max(max_err, std::abs(static_cast<int64_t>(standard->data[i] - bsk->data[i])));
  }
  EXPECT_LT(max_err, int64_t{1} << 14);
  auto compute = FourierBootstrapKey64::Create(*standard);
  ASSERT_TRUE(compute.ok()) << compute.status();

  const uint64_t p = 4;
  for (const auto& f :
       {std::function<uint64_t(uint64_t)>([](uint64_t x) { return x; }),
        std::function<uint64_t(uint64_t)>([](uint64_t x) { return (x + 1) % 4; })}) {
    const auto lut = GenerateLookupTable(n, p, 1, f);
    for (uint64_t m = 0; m < p; ++m) {
      const auto ct = EncryptLwe(m, p, small_key, g);
      std::vector<uint64_t> out(n + 1);
      ASSERT_TRUE(
          ProgrammableBootstrap64(*compute, ModulusSwitchType::Kind::kStandard, ct, lut, out).ok());
      const uint64_t phase = LwePhase(LweCiphertext{out, {}}, glwe.data);
      EXPECT_EQ(DecodeMessageAndCarry(phase, p, 1), f(m)) << "m " << m;
    }
  }
}

TEST(FourierConversion, Generated128KeyThroughThePublishedFormBootstraps) {
  std::mt19937_64 g(10);
  kms::testing::SeededRng rng(11);
  const size_t n_small = 32, n = 512;
  const std::vector<uint64_t> small_key = BinaryKey(n_small, g);
  GlweSecretKey<u128> glwe;
  glwe.polynomial_size = n;
  for (uint64_t b : BinaryKey(n, g)) glwe.data.push_back(b);
  auto bsk = GenerateLweBootstrapKey<u128>(small_key, glwe, {24, 2}, 40, rng);
  ASSERT_TRUE(bsk.ok()) << bsk.status();

  auto published = ToFourier128BootstrapKey(*bsk);
  ASSERT_TRUE(published.ok()) << published.status();
  Codec w = Codec::Writer("Fourier128LweBootstrapKey");
  Convert(w, *published, "bsk");
  ASSERT_TRUE(w.Finish().ok()) << w.Finish();
  const Bytes bytes = w.TakeOutput();
  Fourier128LweBootstrapKey parsed;
  Codec r = Codec::Reader(bytes, "Fourier128LweBootstrapKey");
  Convert(r, parsed, "bsk");
  ASSERT_TRUE(r.Finish().ok()) << r.Finish();
  EXPECT_TRUE(parsed == *published);

  auto standard = FromFourier128BootstrapKey(parsed);
  ASSERT_TRUE(standard.ok()) << standard.status();
  auto compute = NttBootstrapKey128::Create(*standard);
  ASSERT_TRUE(compute.ok()) << compute.status();

  const uint64_t p = 4;
  const u128 delta = u128{1} << 125;  // 2^127 / p: one padding bit
  const auto f = [](uint64_t x) { return (3 * x + 1) % 4; };
  const auto lut = GenerateLookupTable128(n, p, delta, f);
  for (uint64_t m = 0; m < p; ++m) {
    const auto ct = EncryptLwe(m, p, small_key, g);
    std::vector<u128> out(n + 1);
    ASSERT_TRUE(
        ProgrammableBootstrap128(*compute, ModulusSwitchType::Kind::kStandard, ct, lut, out).ok());
    u128 phase = out.back();
    for (size_t i = 0; i < n; ++i) phase -= out[i] * glwe.data[i];
    const uint64_t decoded = static_cast<uint64_t>((phase + delta / 2) / delta) % p;
    EXPECT_EQ(decoded, f(m)) << "m " << m;
  }
}

// ---- determinism ----

uint64_t Fnv1a(const std::vector<double>& words) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (double w : words) {
    uint64_t bits;
    std::memcpy(&bits, &w, 8);
    for (int b = 0; b < 64; b += 8) {
      h ^= (bits >> b) & 0xff;
      h *= 0x100000001b3ULL;
    }
  }
  return h;
}

// The words depend on nothing but IEEE operations (no libm, no FMA contraction): every machine
// gives these bits, so parties that convert the same key publish the same bytes.
TEST(FourierConversion, WordsAreTheSameOnEveryMachine) {
  std::mt19937_64 g(15);
  std::vector<uint64_t> a(2048);
  for (auto& c : a) c = g();
  std::vector<u128> b(2048);
  for (auto& c : b) c = Random<u128>(g);
  std::vector<double> f64(2048), f128(4 * 1024);
  FourierConverter64::For(2048).Forward(a, f64);
  FourierConverter128::For(2048).Forward(
      b, {f128.data(), f128.data() + 1024, f128.data() + 2048, f128.data() + 3072});
  std::printf("digests: 64-bit %016llx, 128-bit %016llx\n",
              static_cast<unsigned long long>(Fnv1a(f64)),
              static_cast<unsigned long long>(Fnv1a(f128)));
  EXPECT_EQ(Fnv1a(f64), 0x3ff6906b06bea5eaULL);
  EXPECT_EQ(Fnv1a(f128), 0x7ad06776c6a51df5ULL);
}

// ---- hostile shapes ----

FourierLweBootstrapKey ValidPublished64() {
  std::mt19937_64 g(12);
  return *ToFourierBootstrapKey(RandomKey64(g, 0));
}

Fourier128LweBootstrapKey ValidPublished128() {
  std::mt19937_64 g(13);
  return *ToFourier128BootstrapKey(RandomKey128(g, 0));
}

template <typename F>
absl::Status Probed(F&& f, size_t& largest) {
  g_largest_allocation = 0;
  g_probe_armed = true;
  absl::Status s = f();
  g_probe_armed = false;
  largest = g_largest_allocation.load();
  return s;
}

TEST(FourierConversion, HostilePublishedKeysAreRefusedWithoutAllocation) {
  const FourierLweBootstrapKey good = ValidPublished64();
  ASSERT_TRUE(FromFourierBootstrapKey(good).ok());
  struct Case64 {
    const char* name;
    std::function<void(FourierLweBootstrapKey&)> mutate;
    const char* field;
  };
  const std::vector<Case64> cases = {
      {"one polynomial short", [](auto& k) { k.fourier.resize(k.fourier.size() - 256); },
       "fourier"},
      {"one word more", [](auto& k) { k.fourier.push_back(0); }, "fourier"},
      {"N not a power of two", [](auto& k) { k.polynomial_size = 192; }, "polynomial_size"},
      {"N too large", [](auto& k) { k.polynomial_size = uint64_t{1} << 40; }, "polynomial_size"},
      {"N halved", [](auto& k) { k.polynomial_size = 128; }, "fourier"},
      {"glwe_size 1", [](auto& k) { k.glwe_size = 1; }, "glwe_size"},
      {"glwe_size huge", [](auto& k) { k.glwe_size = uint64_t{1} << 62; }, "fourier"},
      {"no input", [](auto& k) { k.input_lwe_dimension = 0; }, "input_lwe_dimension"},
      {"huge input", [](auto& k) { k.input_lwe_dimension = uint64_t{1} << 62; }, "fourier"},
      {"level 0", [](auto& k) { k.decomposition_level_count = 0; }, "decomposition_base_log"},
      {"β·L > 64", [](auto& k) { k.decomposition_base_log = 33; }, "decomposition_base_log"},
      {"NaN word", [](auto& k) { k.fourier[17] = std::nan(""); }, "fourier: word 17"},
      {"infinite word", [](auto& k) { k.fourier[3] = INFINITY; }, "fourier: word 3"},
      {"huge word", [](auto& k) { k.fourier[5] = 1e300; }, "fourier: word 5"},
  };
  for (const Case64& c : cases) {
    FourierLweBootstrapKey k = good;
    c.mutate(k);
    size_t largest = 0;
    const absl::Status s = Probed([&] { return FromFourierBootstrapKey(k).status(); }, largest);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(std::string(s.message()).find(c.field), std::string::npos)
        << c.name << ": " << s.message();
    EXPECT_LT(largest, size_t{4096}) << c.name;
  }

  const Fourier128LweBootstrapKey good128 = ValidPublished128();
  ASSERT_TRUE(FromFourier128BootstrapKey(good128).ok());
  struct Case128 {
    const char* name;
    std::function<void(Fourier128LweBootstrapKey&)> mutate;
    const char* field;
  };
  const std::vector<Case128> cases128 = {
      {"arrays of different lengths", [](auto& k) { k.data_im1.pop_back(); }, "data_re1"},
      {"N words per polynomial instead of N/2",
       [](auto& k) {
         for (auto* v : {&k.data_re0, &k.data_re1, &k.data_im0, &k.data_im1}) {
           v->resize(2 * v->size());
         }
       },
       "data_re0"},
      {"N doubled", [](auto& k) { k.polynomial_size = 512; }, "data_re0"},
      {"N not a power of two", [](auto& k) { k.polynomial_size = 384; }, "polynomial_size"},
      {"N too large", [](auto& k) { k.polynomial_size = uint64_t{1} << 17; }, "polynomial_size"},
      {"β·L > 128", [](auto& k) { k.decomposition_base_log = 43; }, "decomposition_base_log"},
      {"huge input", [](auto& k) { k.input_lwe_dimension = ~uint64_t{0}; }, "data_re0"},
      {"NaN low word", [](auto& k) { k.data_im1[9] = std::nan(""); }, "data_im1: word 9"},
      {"huge high word", [](auto& k) { k.data_re0[0] = -1e20; }, "data_re0: word 0"},
  };
  for (const Case128& c : cases128) {
    Fourier128LweBootstrapKey k = good128;
    c.mutate(k);
    size_t largest = 0;
    const absl::Status s = Probed([&] { return FromFourier128BootstrapKey(k).status(); }, largest);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(std::string(s.message()).find(c.field), std::string::npos)
        << c.name << ": " << s.message();
    EXPECT_LT(largest, size_t{4096}) << c.name;
  }
}

TEST(FourierConversion, UnconvertibleStandardKeysAreRefused) {
  std::mt19937_64 g(14);
  const LweBootstrapKey<uint64_t> good = RandomKey64(g, 0);
  ASSERT_TRUE(ToFourierBootstrapKey(good).ok());
  auto refused = [](LweBootstrapKey<uint64_t> k) { return ToFourierBootstrapKey(k).status(); };
  LweBootstrapKey<uint64_t> k = good;
  k.polynomial_size = 2;  // below the smallest N
  EXPECT_EQ(refused(k).code(), absl::StatusCode::kInvalidArgument);
  k = good;
  k.polynomial_size = 96;
  EXPECT_EQ(refused(k).code(), absl::StatusCode::kInvalidArgument);
  k = good;
  k.glwe_size = 1;
  EXPECT_EQ(refused(k).code(), absl::StatusCode::kInvalidArgument);
  k = good;
  k.data.pop_back();  // not whole GGSWs
  EXPECT_EQ(refused(k).code(), absl::StatusCode::kInvalidArgument);
  k = good;
  k.data.clear();
  EXPECT_EQ(refused(k).code(), absl::StatusCode::kInvalidArgument);
  k = good;
  k.decomp_base_log = 0;
  EXPECT_EQ(refused(k).code(), absl::StatusCode::kInvalidArgument);
  k = good;
  k.glwe_size = uint64_t{1} << 40;  // the GGSW size overflows 64 bits
  EXPECT_EQ(refused(k).code(), absl::StatusCode::kInvalidArgument);
  k = good;
  k.modulus.modulus = (u128{1} << 64) - (u128{1} << 32) + 1;
  EXPECT_EQ(refused(k).code(), absl::StatusCode::kUnimplemented);

  LweBootstrapKey<u128> wide = RandomKey128(g, 0);
  ASSERT_TRUE(ToFourier128BootstrapKey(wide).ok());
  wide.decomp_base_log = 60;
  wide.decomp_level_count = 3;  // 180 > 128 bits
  EXPECT_EQ(ToFourier128BootstrapKey(wide).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::tfhe
