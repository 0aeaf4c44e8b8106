// File: algebra/syndrome.h
//
// Syndrome computation and decoding for Shamir sharings (crypto-spec B §1.5), used by resharing:
// the parties open the syndrome of a word instead of the word, so shares stay secret.
//
// For n parties and degree t, r = n - (t + 1) and S_j = sum_i y_i alpha_i^j / L_i(alpha_i)
// for j < r, with L_i(Z) = prod_{k != i} (Z - alpha_k). Codewords (degree <= t) have S = 0.
// Decoding solves the key equation sigma(z) S(z) = omega(z) mod z^r bit-plane by bit-plane and
// recovers the error vector e with Forney's formula e_i = -alpha_i L_i(alpha_i)
// omega(alpha_i^-1) / sigma'(alpha_i^-1); up to r/2 errors are corrected.
#ifndef KMS_ALGEBRA_SYNDROME_H_
#define KMS_ALGEBRA_SYNDROME_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "algebra/galois_field.h"
#include "algebra/galois_ring.h"
#include "algebra/polynomial.h"
#include "algebra/result.h"
#include "algebra/shamir.h"

namespace kms::algebra {

// 1 / L_i(alpha_i) for i = 1..n (the syndrome's column multipliers).
template <typename R>
std::vector<R> SyndromeColumnMultipliers(int n) {
  std::vector<R> v;
  for (int i = 1; i <= n; ++i) {
    R l = R::One();
    for (int k = 1; k <= n; ++k)
      if (k != i) l *= PartyPoint<R>(i) - PartyPoint<R>(k);
    v.push_back(InverseOf(l));
  }
  return v;
}

// Syndrome of the word `shares` (shares[i] for party i+1). REQUIRES: shares.size() == n, t < n.
template <typename R>
std::vector<R> ComputeSyndrome(int n, int t, std::span<const R> shares) {
  const int r = n - (t + 1);
  auto v = SyndromeColumnMultipliers<R>(n);
  std::vector<R> s(static_cast<size_t>(r), R::Zero());
  for (int i = 0; i < n; ++i) {
    R term = shares[i] * v[i];
    const R alpha = PartyPoint<R>(i + 1);
    for (int j = 0; j < r; ++j) {
      s[j] += term;
      term *= alpha;
    }
  }
  return s;
}

// Decodes a syndrome over GF(2^D): the error vector (length n), or nullopt when more than
// r/2 errors (or an inconsistent syndrome) are detected.
template <int D>
std::optional<std::vector<GaloisField<D>>> DecodeSyndromeField(
    int n, int t, std::span<const GaloisField<D>> syn) {
  using F = GaloisField<D>;
  using P = Polynomial<F>;
  const int r = n - (t + 1);
  std::vector<F> e(static_cast<size_t>(n), F::Zero());
  P s(std::vector<F>(syn.begin(), syn.end()));
  if (s.IsZero()) return e;
  // Euclid on (z^r, S) until deg(remainder) < r/2, tracking the cofactor of S.
  std::vector<F> zr(static_cast<size_t>(r) + 1, F::Zero());
  zr[r] = F::One();
  P r0(zr), r1 = s;
  r1.Trim();
  P t0, t1 = P::Constant(F::One());
  while (2 * r1.Degree() >= r) {
    auto [q, rem] = DivRem(r0, r1, r1.coef(r1.Degree()).Inverse());
    r0 = std::move(r1);
    r1 = std::move(rem);
    P t2 = t0 - q * t1;
    t0 = std::move(t1);
    t1 = std::move(t2);
  }
  F c0 = t1.coef(0);
  if (c0.IsZero()) return std::nullopt;
  P sigma = t1 * c0.Inverse(), omega = r1 * c0.Inverse();
  sigma.Trim();
  if (2 * sigma.Degree() > r) return std::nullopt;
  // Formal derivative in characteristic 2: only odd powers survive.
  P dsigma(std::vector<F>(sigma.size() > 1 ? sigma.size() - 1 : 1, F::Zero()));
  for (size_t i = 1; i < sigma.size(); i += 2) dsigma.coefs()[i - 1] = sigma.coefs()[i];
  int found = 0;
  for (int i = 1; i <= n; ++i) {
    F alpha(static_cast<unsigned>(i));
    F inv = alpha.Inverse();
    if (!sigma.Eval(inv).IsZero()) continue;
    F l = F::One();
    for (int k = 1; k <= n; ++k)
      if (k != i) l *= alpha - F(static_cast<unsigned>(k));
    F ds = dsigma.Eval(inv);
    if (ds.IsZero()) return std::nullopt;
    e[i - 1] = alpha * l * omega.Eval(inv) / ds;  // the minus sign vanishes in char 2
    ++found;
  }
  if (found != sigma.Degree()) return std::nullopt;  // locator roots outside the parties
  return e;
}

// Decodes a ring syndrome bit-plane by bit-plane: the error vector e over GR(2^k, F), such that
// (y - e) is a codeword. Fails with kDecodingFailed beyond the correction radius.
template <BaseRing Z, int D>
Result<std::vector<GaloisRing<Z, D>>> DecodeSyndrome(int n, int t,
                                                     std::span<const GaloisRing<Z, D>> syndrome) {
  using R = GaloisRing<Z, D>;
  using F = GaloisField<D>;
  const int r = n - (t + 1);
  if (n < 1 || n > R::kMaxParties || t < 0 || r < 1 || static_cast<int>(syndrome.size()) != r)
    return InvalidInput("syndrome of length " + std::to_string(syndrome.size()) +
                        " does not fit n=" + std::to_string(n) + ", t=" + std::to_string(t));
  auto v = SyndromeColumnMultipliers<R>(n);
  std::vector<R> s(syndrome.begin(), syndrome.end());
  std::vector<R> e(static_cast<size_t>(n), R::Zero());
  for (int b = 0; b < R::kBits; ++b) {
    bool zero = true;
    for (const auto& x : s) zero = zero && x.IsZero();
    if (zero) return e;
    std::vector<F> slice;
    for (const auto& x : s) {
      if (!x.DivisibleByPowerOfTwo(b))
        return DecodingFailed("syndrome inconsistent at bit " + std::to_string(b));
      slice.push_back(x.BitCompose(b));
    }
    auto eb = DecodeSyndromeField<D>(n, t, slice);
    if (!eb) return DecodingFailed("syndrome decoding failed at bit " + std::to_string(b));
    for (int i = 0; i < n; ++i) {
      if ((*eb)[i].IsZero()) continue;
      R lifted = R::BitLift((*eb)[i], b);
      e[i] += lifted;
      R term = lifted * v[i];
      const R alpha = PartyPoint<R>(i + 1);
      for (int j = 0; j < r; ++j) {
        s[j] -= term;
        term *= alpha;
      }
    }
  }
  for (const auto& x : s)
    if (!x.IsZero()) return DecodingFailed("syndrome not cleared");
  return e;
}

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_SYNDROME_H_
