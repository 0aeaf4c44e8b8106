// File: algebra/error_correction.h
//
// Reed–Solomon error correction for Shamir sharings (crypto-spec B §1.5):
//  - GaoDecode: Gao's algorithm over GF(2^D);
//  - ErrorCorrect: over GR(2^k, F), bit by bit. Bit-plane b of the remaining shares is decoded
//    in GF(2^D), lifted, and subtracted; shares that stop being divisible by 2^(b+1) are wrong.
//
// Two additions to the reference procedure, both checks that can only reject:
//  - after a bit-plane exposes wrong shares, the remaining shares are tested for lying on one
//    polynomial of degree <= D; when they do and at most max_errors shares disagree, that
//    polynomial is the answer and the remaining bit-planes are skipped (typical garbage shows
//    at bit 0, so this turns 128 field decodings into one);
//  - the result is always checked in the ring: more than max_errors disagreeing shares is a
//    decoding failure. Within the decoding radius the answer is unique, so nothing correct is
//    rejected, and a word with more errors than that is reported, not silently mis-decoded
//    (except for adversarial errors that land exactly on another codeword, which no decoder
//    can detect).
#ifndef KMS_ALGEBRA_ERROR_CORRECTION_H_
#define KMS_ALGEBRA_ERROR_CORRECTION_H_

#include <cstdint>
#include <map>
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

// Gao decoding of a Reed–Solomon word over GF(2^D): finds the polynomial of degree < k that
// agrees with (points[i], values[i]) everywhere but at most max_errors places. Returns nullopt
// when there is none (or when 2*max_errors >= n - k + 1, outside the unique-decoding radius).
// REQUIRES: distinct points, points.size() == values.size().
template <int D>
std::optional<Polynomial<GaloisField<D>>> GaoDecode(std::span<const unsigned> points,
                                                    std::span<const GaloisField<D>> values, int k,
                                                    int max_errors) {
  using F = GaloisField<D>;
  using P = Polynomial<F>;
  const int n = static_cast<int>(points.size());
  if (k < 1 || max_errors < 0 || 2 * max_errors >= n - k + 1) return std::nullopt;

  // Lagrange bases for this point set are reused for every bit-plane of a ring decoding.
  thread_local std::map<std::vector<unsigned>, std::pair<std::vector<P>, P>> cache;
  std::vector<unsigned> key(points.begin(), points.end());
  auto it = cache.find(key);
  if (it == cache.end()) {
    std::vector<int> ids(points.begin(), points.end());
    P g = P::Constant(F::One());
    for (unsigned x : points) g = g * P::Linear(F(x));
    it = cache.emplace(key, std::make_pair(LagrangeBasis<F>(ids), g)).first;
  }
  const auto& [basis, g] = it->second;

  P r(std::vector<F>(static_cast<size_t>(n), F::Zero()));
  for (int i = 0; i < n; ++i) r += basis[i] * values[i];

  const int stop = (n + k) / 2;
  if (r.Degree() < stop) {
    if (r.Degree() < k) return r;
    return std::nullopt;
  }
  // Extended Euclid on (G, R), tracking only the cofactor of R.
  P r0 = g, r1 = r;
  P t0, t1 = P::Constant(F::One());
  while (r1.Degree() >= stop) {
    auto [q, rem] = DivRem(r0, r1, r1.coef(r1.Degree()).Inverse());
    r0 = std::move(r1);
    r1 = std::move(rem);
    P t2 = t0 - q * t1;
    t0 = std::move(t1);
    t1 = std::move(t2);
  }
  t1.Trim();
  if (t1.Degree() > max_errors || t1.IsZero()) return std::nullopt;
  auto [h, rem] = DivRem(r1, t1, t1.coef(t1.Degree()).Inverse());
  if (!rem.IsZero() || h.Degree() >= k) return std::nullopt;
  return h;
}

namespace error_correction_internal {

// The polynomial of degree <= degree through the first degree+1 shares (in `use` order), and
// the number of all shares that disagree with it.
template <typename R>
std::pair<Polynomial<R>, int> InterpolateAndCount(std::span<const IndexedShare<R>> shares,
                                                  const std::vector<size_t>& use, int degree) {
  std::vector<int> parties;
  std::vector<R> values;
  for (int i = 0; i <= degree; ++i) {
    parties.push_back(shares[use[i]].party);
    values.push_back(shares[use[i]].value);
  }
  Polynomial<R> p = Interpolate<R>(parties, values);
  int disagree = 0;
  for (const auto& s : shares)
    if (!(p.Eval(PartyPoint<R>(s.party)) == s.value)) ++disagree;
  return {std::move(p), disagree};
}

}  // namespace error_correction_internal

// Finds the polynomial of degree <= degree over GR(2^k, F) that agrees with all but at most
// max_errors of the shares. Fails with kDecodingFailed when none exists, kInvalidInput on bad
// party ids, kNotEnoughShares when the shares cannot correct max_errors errors.
template <BaseRing Z, int D>
Result<Polynomial<GaloisRing<Z, D>>> ErrorCorrect(
    std::span<const IndexedShare<GaloisRing<Z, D>>> shares, int degree, int max_errors, int n) {
  using R = GaloisRing<Z, D>;
  using F = GaloisField<D>;
  namespace internal = error_correction_internal;
  std::vector<int> parties;
  for (const auto& s : shares) parties.push_back(s.party);
  auto valid_ids = ValidateParties<R>(parties, n);
  if (!valid_ids.ok()) return valid_ids.error();
  const int m = static_cast<int>(shares.size());
  if (degree < 0 || max_errors < 0 || m < degree + 1 + 2 * max_errors)
    return NotEnoughShares(std::to_string(m) + " shares cannot correct " +
                           std::to_string(max_errors) + " errors at degree " +
                           std::to_string(degree));

  std::vector<size_t> valid(static_cast<size_t>(m));
  for (int i = 0; i < m; ++i) valid[i] = static_cast<size_t>(i);

  // Fast path: every share on one polynomial.
  {
    auto [p, disagree] = internal::InterpolateAndCount<R>(shares, valid, degree);
    if (disagree == 0) return p;
  }

  std::vector<R> y;  // remaining values, divisible by 2^b at bit-plane b
  for (const auto& s : shares) y.push_back(s.value);
  std::vector<R> res(static_cast<size_t>(degree) + 1, R::Zero());
  std::vector<unsigned> points;
  std::vector<F> slice;
  for (int b = 0; b < R::kBits; ++b) {
    points.clear();
    slice.clear();
    for (size_t j : valid) {
      points.push_back(static_cast<unsigned>(shares[j].party));
      slice.push_back(y[j].BitCompose(b));
    }
    const int invalid = m - static_cast<int>(valid.size());
    auto g = GaoDecode<D>(points, slice, degree + 1, max_errors - invalid);
    if (!g) return DecodingFailed("Reed-Solomon decoding failed at bit " + std::to_string(b));
    Polynomial<R> lifted;
    for (int i = 0; i <= degree; ++i) lifted.coefs().push_back(R::BitLift(g->coef(i), 0));
    std::vector<size_t> still_valid;
    for (size_t j : valid) {
      R correction = lifted.Eval(PartyPoint<R>(shares[j].party));
      for (auto& c : correction.coefs()) c <<= b;
      y[j] -= correction;
      if (b + 1 >= R::kBits || y[j].DivisibleByPowerOfTwo(b + 1)) still_valid.push_back(j);
    }
    for (int i = 0; i <= degree; ++i) res[i] += R::BitLift(g->coef(i), b);
    const bool exposed = still_valid.size() < valid.size();
    valid = std::move(still_valid);
    if (static_cast<int>(valid.size()) < degree + 1)
      return DecodingFailed("too few consistent shares remain");
    if (exposed) {
      auto [p, disagree] = internal::InterpolateAndCount<R>(shares, valid, degree);
      if (disagree <= max_errors) return p;
    }
  }
  Polynomial<R> out(std::move(res));
  int disagree = 0;
  for (const auto& s : shares)
    if (!(out.Eval(PartyPoint<R>(s.party)) == s.value)) ++disagree;
  if (disagree > max_errors)
    return DecodingFailed(std::to_string(disagree) +
                          " shares disagree with the decoded polynomial, more than the " +
                          std::to_string(max_errors) + " errors allowed");
  return out;
}

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_ERROR_CORRECTION_H_
