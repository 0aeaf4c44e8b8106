// The computation core's arithmetic (tfhe/decomposition.h, tfhe/fft.h, tfhe/ntt128.h): the
// signed decomposition's digits, rounding and tie-breaking against a direct model of tfhe-rs's
// definition; the f64 negacyclic FFT product against the exact schoolbook product within its
// error bound; the three-prime NTT product equal to the schoolbook product mod 2^128.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "testing/negacyclic.h"
#include "tfhe/bootstrap.h"
#include "tfhe/decomposition.h"
#include "tfhe/fft.h"
#include "tfhe/keyswitch.h"
#include "tfhe/ntt128.h"

namespace kms::tfhe {
namespace {

template <typename Scalar>
Scalar Random(std::mt19937_64& g) {
  if constexpr (sizeof(Scalar) == 8) {
    return g();
  } else {
    return (static_cast<u128>(g()) << 64) | g();
  }
}

template <typename Scalar>
__int128 AsSigned(Scalar x) {
  if constexpr (sizeof(Scalar) == 8) {
    return static_cast<int64_t>(x);
  } else {
    return static_cast<__int128>(x);
  }
}

template <typename Scalar>
void CheckDecomposition(size_t base_log, size_t levels, std::mt19937_64& g) {
  const SignedDecomposer<Scalar> dec(base_log, levels);
  const size_t bits = sizeof(Scalar) * 8;
  const size_t non_rep = bits - base_log * levels;
  Scalar digits[128];
  for (int iter = 0; iter < 20000; ++iter) {
    Scalar x = Random<Scalar>(g);
    if (iter % 4 == 1) {
      // exact half-way points of the rounding and of every digit
      x = (x >> non_rep << non_rep) | (Scalar{1} << (non_rep - 1));
    } else if (iter % 4 == 2) {
      const size_t d = 1 + g() % levels;
      x = Scalar{1} << (bits - base_log * d - 1);  // B/2 at level d
      if (g() & 1) x = Scalar{0} - x;
    }
    const Scalar closest = dec.ClosestRepresentable(x);
    // closest is a multiple of 2^non_rep at distance ≤ 2^(non_rep−1), ties rounded up.
    ASSERT_EQ(closest & ((Scalar{1} << non_rep) - 1), Scalar{0});
    const __int128 dist = AsSigned<Scalar>(x - closest);
    ASSERT_LT(dist, static_cast<__int128>(Scalar{1} << (non_rep - 1)));
    ASSERT_GE(dist, -static_cast<__int128>(Scalar{1} << (non_rep - 1)));
    dec.Decompose(x, digits);
    ASSERT_EQ(dec.Recompose(digits), closest);
    const __int128 half = __int128{1} << (base_log - 1);
    for (size_t l = 0; l < levels; ++l) {
      const __int128 d = AsSigned<Scalar>(digits[l]);
      ASSERT_LE(d, half);
      ASSERT_GE(d, -half);
    }
  }
}

TEST(SignedDecomposer, DigitsAreBalancedAndRecomposeToTheClosestRepresentable) {
  std::mt19937_64 g(1);
  for (auto [b, l] : {std::pair{4, 4}, {23, 1}, {37, 1}, {1, 24}, {3, 7}, {15, 2}}) {
    CheckDecomposition<uint64_t>(b, l, g);
  }
  for (auto [b, l] : {std::pair{24, 3}, {33, 2}, {61, 1}, {41, 2}, {4, 20}}) {
    CheckDecomposition<u128>(b, l, g);
  }
}

// Rounding and tie-breaking cases worked out by hand from tfhe-rs's definition.
TEST(SignedDecomposer, MatchesTfheRsRoundingAndTies) {
  // 2 levels of 4 bits keep the top byte: 0x13|8… rounds up (half-way), 0x13|7f… down.
  EXPECT_EQ(SignedDecomposer<uint64_t>(4, 2).ClosestRepresentable(0x1380000000000000ULL),
            0x1400000000000000ULL);
  EXPECT_EQ(SignedDecomposer<uint64_t>(4, 2).ClosestRepresentable(0x137fffffffffffffULL),
            0x1300000000000000ULL);
  const SignedDecomposer<uint64_t> dec(4, 3);
  // 2^63 + 2^52: the top digit is −8 (balanced), state carried through the levels.
  uint64_t digits[3];
  dec.Decompose(0x8010000000000000ULL, digits);
  EXPECT_EQ(dec.Recompose(digits), 0x8010000000000000ULL);
  for (uint64_t d : digits) {
    EXPECT_LE(static_cast<int64_t>(d), 8);
    EXPECT_GE(static_cast<int64_t>(d), -8);
  }
  // Tie-break at the top of the range (B/2 exactly at level 1): tfhe-rs keeps +8 when the
  // rounding bit is 0 and the state above is 0.
  dec.Decompose(0x8000000000000000ULL, digits);
  EXPECT_EQ(static_cast<int64_t>(digits[2]), 8);
  EXPECT_EQ(digits[0], 0u);
  EXPECT_EQ(digits[1], 0u);
}

TEST(Fft64, ProductOfDigitsAndTorusMatchesSchoolbookWithinTheBound) {
  std::mt19937_64 g(2);
  for (size_t n : {8u, 256u, 1024u, 2048u}) {
    for (int base_log : {4, 23}) {
      std::vector<uint64_t> digits(n), torus(n);
      for (auto& d : digits) {
        d = static_cast<uint64_t>(static_cast<int64_t>(g() % (1ULL << base_log)) -
                                  (1LL << (base_log - 1)));
      }
      for (auto& t : torus) t = g();
      const auto fft = FftNegacyclicProduct(digits, torus);
      const auto exact = kms::testing::SchoolbookNegacyclicProduct(digits, torus);
      int64_t max_err = 0;
      for (size_t i = 0; i < n; ++i) {
        max_err = std::max(max_err, std::abs(static_cast<int64_t>(fft[i] - exact[i])));
      }
      // Error model: values up to N·2^(β−1)·2^63, f64 relative error ~2^−53·log2(N).
      const double bound = std::ldexp(1.0, 63 + base_log - 1 - 53) *
                           std::sqrt(static_cast<double>(n)) * 4 * std::log2(2.0 * n);
      EXPECT_LE(static_cast<double>(max_err), bound) << "N " << n << " β " << base_log;
      // ...and far below a PBS's Δ/2 = 2^58.
      EXPECT_LT(max_err, int64_t{1} << 46) << "N " << n << " β " << base_log;
      std::printf("FFT N=%zu β=%d: max |error| = 2^%.1f\n", n, base_log,
                  max_err > 0 ? std::log2(static_cast<double>(max_err)) : 0.0);
    }
  }
}

TEST(Fft64, SmallIntegerProductsAreExact) {
  std::mt19937_64 g(3);
  const size_t n = 512;
  std::vector<uint64_t> a(n), b(n);
  for (auto& x : a) x = static_cast<uint64_t>(static_cast<int64_t>(g() % 2001) - 1000);
  for (auto& x : b) x = g() & 1;
  EXPECT_EQ(FftNegacyclicProduct(a, b), kms::testing::SchoolbookNegacyclicProduct(a, b));
}

TEST(Ntt128, ProductEqualsSchoolbookModTwoTo128) {
  std::mt19937_64 g(4);
  for (size_t n : {4u, 256u, 2048u}) {
    for (int bits : {1, 24, 33, 40}) {
      std::vector<u128> small(n), torus(n);
      for (auto& d : small) {
        const int64_t v =
            bits == 1 ? static_cast<int64_t>(g() & 1)
                      : static_cast<int64_t>(g() % (1ULL << (bits - 1))) * ((g() & 1) ? 1 : -1);
        d = static_cast<u128>(static_cast<__int128>(v));
      }
      for (auto& t : torus) t = Random<u128>(g);
      if (n == 2048 && bits != 24) continue;  // the schoolbook product is O(N^2)
      EXPECT_TRUE(NttNegacyclicProduct(small, torus) ==
                  kms::testing::SchoolbookNegacyclicProduct(small, torus))
          << "N " << n << " bits " << bits;
    }
  }
}

TEST(LookupTable, BoxesAndHalfBoxRotationAsTfheRs) {
  // N 256, 16 cleartexts: box 16; f(0) occupies [−8, 8) after the rotation (negated at the end).
  const auto lut = GenerateLookupTable(256, 4, 4, [](uint64_t x) { return (x * x) % 4; });
  const uint64_t delta = uint64_t{1} << 59;
  EXPECT_EQ(lut.degree, 1u);  // (x^2 mod 4) ∈ {0, 1}
  for (size_t j = 0; j < 8; ++j) EXPECT_EQ(lut.body[j], 0u);
  EXPECT_EQ(lut.body[8], 1 * delta);  // f(1) = 1 from index 8 to 23
  EXPECT_EQ(lut.body[23], 1 * delta);
  EXPECT_EQ(lut.body[24], 0u);  // f(2) = 0
  const auto id = GenerateLookupTable(256, 4, 4, [](uint64_t x) { return x; });
  EXPECT_EQ(id.degree, 15u);
  EXPECT_EQ(id.body[8], delta);
  EXPECT_EQ(id.body[232], 15 * delta);  // f(15) on [232, 248)
  EXPECT_EQ(id.body[247], 15 * delta);
  EXPECT_EQ(id.body[248], 0u);  // the negated first half box of f(0) = 0
  const auto one = GenerateLookupTable(256, 4, 4, [](uint64_t) { return 1; });
  EXPECT_EQ(one.body[0], delta);
  EXPECT_EQ(one.body[248], 0 - delta);  // −f(0)·Δ: X^N = −1 brings it back to +Δ
  EXPECT_EQ(id.body[0], 0u);
}

TEST(ModulusSwitch, CenteredMeanCorrectionRemovesTheMeanRoundingError) {
  // For a binary key, the mean of Σ s_i·(round(a_i) − a_i) is Σ (round(a_i) − a_i)/2; the
  // correction adds it and subtracts half a post-switch step.
  std::mt19937_64 g(5);
  const size_t log = 12;
  std::vector<uint64_t> mask(918);
  __int128 expected = 0;
  for (auto& a : mask) {
    a = g();
    const uint64_t r = ModulusSwitch(a, log) << (64 - log);
    expected += static_cast<int64_t>(r - a);
  }
  const uint64_t c = CenteredMeanBodyCorrection(mask, log);
  const int64_t got = static_cast<int64_t>(c + (uint64_t{1} << (64 - log - 1)));
  EXPECT_LE(std::abs(static_cast<double>(2 * static_cast<__int128>(got) - expected)), 2.0);
}

TEST(Shapes, InconsistentKeysAndSizesAreRefused) {
  LweKeyswitchKey ksk;
  ksk.decomp_base_log = 4;
  ksk.decomp_level_count = 2;
  ksk.output_lwe_size = 3;
  ksk.data.assign(4 * 2 * 3, 0);  // 4 input coefficients
  std::vector<uint64_t> in(5), out(3);
  EXPECT_TRUE(KeyswitchLweChecked(ksk, in, out).ok());
  std::vector<uint64_t> short_in(4), long_out(4);
  EXPECT_EQ(KeyswitchLweChecked(ksk, short_in, out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KeyswitchLweChecked(ksk, in, long_out).code(), absl::StatusCode::kInvalidArgument);
  ksk.decomp_base_log = 40;  // 40·2 ≥ 64
  EXPECT_EQ(KeyswitchLweChecked(ksk, in, out).code(), absl::StatusCode::kInvalidArgument);

  LweBootstrapKey<uint64_t> bsk;
  bsk.glwe_size = 2;
  bsk.polynomial_size = 16;
  bsk.decomp_base_log = 10;
  bsk.decomp_level_count = 2;
  bsk.data.assign(3 * bsk.ggsw_size(), 0);
  EXPECT_TRUE(FourierBootstrapKey64::Create(bsk).ok());
  bsk.polynomial_size = 12;  // not a power of two
  EXPECT_FALSE(FourierBootstrapKey64::Create(bsk).ok());
  bsk.polynomial_size = 16;
  bsk.data.pop_back();
  EXPECT_FALSE(FourierBootstrapKey64::Create(bsk).ok());

  LweBootstrapKey<u128> wide;
  wide.glwe_size = 3;
  wide.polynomial_size = 2048;
  wide.decomp_base_log = 46;  // 3·1·2048·2^45 > 2^57: beyond the exact CRT range
  wide.decomp_level_count = 1;
  wide.data.assign(wide.ggsw_size(), 0);
  EXPECT_EQ(NttBootstrapKey128::Create(wide).status().code(), absl::StatusCode::kInvalidArgument);
  wide.decomp_base_log = 24;
  EXPECT_TRUE(NttBootstrapKey128::Create(wide).ok());

  // A bootstrap input of the wrong size, a table of the wrong size.
  bsk.data.assign(3 * bsk.ggsw_size(), 0);
  auto key = FourierBootstrapKey64::Create(bsk);
  ASSERT_TRUE(key.ok());
  const auto lut = GenerateLookupTable(16, 2, 2, [](uint64_t x) { return x; });
  std::vector<uint64_t> lwe(4), res(17);
  EXPECT_TRUE(
      ProgrammableBootstrap64(*key, ModulusSwitchType::Kind::kStandard, lwe, lut, res).ok());
  std::vector<uint64_t> bad_lwe(3);
  EXPECT_FALSE(
      ProgrammableBootstrap64(*key, ModulusSwitchType::Kind::kStandard, bad_lwe, lut, res).ok());
  const auto bad_lut = GenerateLookupTable(32, 2, 2, [](uint64_t x) { return x; });
  EXPECT_FALSE(
      ProgrammableBootstrap64(*key, ModulusSwitchType::Kind::kStandard, lwe, bad_lut, res).ok());
  EXPECT_FALSE(
      ProgrammableBootstrap64(*key, ModulusSwitchType::Kind::kDriftTechnique, lwe, lut, res).ok());
}

}  // namespace
}  // namespace kms::tfhe
