#include "lwe/compact_public_key.h"

#include <gtest/gtest.h>

#include <vector>

#include "algebra/galois_ring.h"
#include "algebra/shamir.h"
#include "crypto/tfhe_xof.h"
#include "lwe/encryption.h"
#include "testing/seeded_rng.h"

namespace kms::lwe {
namespace {

using algebra::Gr128;

std::vector<Z128> RandomVector(size_t n, algebra::RandomSource& rng) {
  std::vector<Z128> v(n);
  for (auto& x : v) x = rng.Uniform<Z128>();
  return v;
}

// Schoolbook a(X)·rev(s)(X) mod X^n + 1, straight from the definition.
std::vector<Z128> ReferenceProduct(const std::vector<Z128>& a, const std::vector<Z128>& s) {
  const size_t n = a.size();
  std::vector<Z128> rev(s.rbegin(), s.rend()), out(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      const Z128 term = a[i] * rev[j];
      if (i + j < n)
        out[i + j] += term;
      else
        out[i + j - n] -= term;  // X^n = -1
    }
  return out;
}

// B §2.10: a = [1, 2, 3], s = [4, 5, 6], n = 3 gives [-17, 5, 32] mod 2^8.
TEST(NegacyclicReverseProductTest, SpecTestVector) {
  const std::vector<Z128> a = {1, 2, 3}, s = {4, 5, 6};
  const std::vector<Z128> out = NegacyclicReverseProduct<Z128>(a, s);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), static_cast<uint8_t>(-17));
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 5);
  EXPECT_EQ(static_cast<uint8_t>(out[2]), 32);
  // Over Z_2^128 the values are exactly -17, 5, 32.
  EXPECT_EQ(out[0], Z128{0} - 17);
  const std::vector<Z128> binary_s = {1, 0, 1};
  EXPECT_EQ(NegacyclicReverseProductBinary(a, binary_s, 3),
            NegacyclicReverseProduct<Z128>(a, binary_s));
}

TEST(NegacyclicReverseProductTest, MatchesSchoolbookForAnyLength) {
  testing::SeededRng rng(11);
  for (size_t n : {0, 1, 2, 5, 16, 33, 64}) {
    const std::vector<Z128> a = RandomVector(n, rng), s = RandomVector(n, rng);
    EXPECT_EQ(NegacyclicReverseProduct<Z128>(a, s), ReferenceProduct(a, s)) << "n=" << n;
  }
}

TEST(NegacyclicReverseProductTest, BinaryVersionMatchesGeneral) {
  testing::SeededRng rng(12);
  for (size_t n : {1, 3, 8, 512}) {
    const std::vector<Z128> a = RandomVector(n, rng);
    std::vector<Z128> bits(n);
    for (auto& b : bits) b = rng.Uniform<Z128>() & 1;
    const std::vector<Z128> full = NegacyclicReverseProduct<Z128>(a, bits);
    EXPECT_EQ(NegacyclicReverseProductBinary(a, bits, n), full);
    const size_t half = n / 2;
    std::vector<Z128> prefix = NegacyclicReverseProductBinary(a, bits, half);
    EXPECT_EQ(prefix, std::vector<Z128>(full.begin(), full.begin() + static_cast<ptrdiff_t>(half)));
  }
}

TEST(NegacyclicReverseProductTest, MismatchedSizesGiveEmptyResult) {
#ifdef NDEBUG
  const std::vector<Z128> a = {1, 2, 3}, s = {1, 0};
  EXPECT_TRUE(NegacyclicReverseProduct<Z128>(a, s).empty());
  EXPECT_TRUE(NegacyclicReverseProductBinary(a, s, 2).empty());
  const std::vector<Z128> s3 = {1, 0, 1};
  EXPECT_TRUE(NegacyclicReverseProductBinary(a, s3, 4).empty());
#else
  GTEST_SKIP() << "debug builds assert on this precondition";
#endif
}

// The distributed key generation applies the product to Shamir shares of the key bits: the
// product of the shares must be a sharing of the product of the key (linearity in s).
TEST(NegacyclicReverseProductTest, WorksOnGaloisRingSharesLinearly) {
  testing::SeededRng rng(13);
  constexpr int kParties = 4, kT = 1;
  constexpr size_t kN = 32;
  const std::vector<Z128> a = RandomVector(kN, rng);
  std::vector<Z128> s(kN);
  for (auto& b : s) b = rng.Uniform<Z128>() & 1;
  // shares[p][j] = party p's share of s_j.
  std::vector<std::vector<Gr128>> shares(kParties, std::vector<Gr128>(kN));
  for (size_t j = 0; j < kN; ++j) {
    auto sh = algebra::ShareSecret(Gr128::FromScalar(s[j]), kParties, kT, rng);
    for (int p = 0; p < kParties; ++p) shares[p][j] = sh[p];
  }
  std::vector<std::vector<Gr128>> products;
  for (int p = 0; p < kParties; ++p)
    products.push_back(NegacyclicReverseProduct<Gr128>(a, shares[p]));
  const std::vector<int> parties = {1, 2, 3, 4};
  const auto& lambda = algebra::LagrangeAtZero<Gr128>(parties);
  const std::vector<Z128> expected = NegacyclicReverseProduct<Z128>(a, s);
  for (size_t k = 0; k < kN; ++k) {
    Gr128 opened;
    for (int p = 0; p < kParties; ++p) opened += lambda[p] * products[p][k];
    EXPECT_EQ(opened, Gr128::FromScalar(expected[k])) << "k=" << k;
  }
}

TEST(CompactPublicKeyTest, MaskIsTheXofStream) {
  const std::vector<Z128> mask = CpkMaskFromSeed(77, 64);
  crypto::TfheXof xof(77);
  for (Z128 m : mask) EXPECT_EQ(m, xof.NextU128());
  EXPECT_NE(CpkMaskFromSeed(78, 64), mask);
  EXPECT_TRUE(CpkMaskFromSeed(77, 0).empty());
}

// Each body coefficient is an LWE sample of s with TUniform noise: b_k - <U[k+1..k+n], s> = e_k.
TEST(CompactPublicKeyTest, BodyIsLweSamplesWithBoundedNoise) {
  testing::SeededRng rng(14);
  const LweParameters& params = TestParameters();
  SecretKey key = SecretKey::Generate(params, rng);
  const Z128 seed = rng.Uniform<Z128>();
  CompactPublicKey pk = GenerateCompactPublicKey(key, seed, rng);
  EXPECT_TRUE(ValidateCompactPublicKey(pk).ok());
  EXPECT_EQ(pk.seed, seed);
  // Reuse the ciphertext-list expansion: mask = a, bodies = b is exactly this layout.
  CompactCiphertextList as_list{&params, pk.mask, pk.body};
  const __int128 bound = static_cast<__int128>(1) << params.noise_log2;
  __int128 max_abs = 0;
  for (size_t k = 0; k < pk.body.size(); ++k) {
    const __int128 e = static_cast<__int128>(DecryptBlockPhase(key, as_list, k));
    ASSERT_LE(e, bound);
    ASSERT_GE(e, -bound);
    max_abs = std::max(max_abs, e < 0 ? -e : e);
  }
  EXPECT_GT(max_abs, bound / 2);  // the noise is really there
}

TEST(CompactPublicKeyTest, ValidateNamesTheField) {
  testing::SeededRng rng(15);
  SecretKey key = SecretKey::Generate(TestParameters(), rng);
  CompactPublicKey pk = GenerateCompactPublicKey(key, 5, rng);
  CompactPublicKey bad = pk;
  bad.body.pop_back();
  EXPECT_NE(ValidateCompactPublicKey(bad).message().find("compact_public_key.body"),
            std::string::npos);
  bad = pk;
  bad.mask[3] ^= 1;
  EXPECT_NE(ValidateCompactPublicKey(bad).message().find("seed"), std::string::npos);
  EXPECT_TRUE(ValidateCompactPublicKey(bad, /*check_mask_seed=*/false).ok());
  bad = pk;
  bad.params = nullptr;
  EXPECT_EQ(ValidateCompactPublicKey(bad).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::lwe
