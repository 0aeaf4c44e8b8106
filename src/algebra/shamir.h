// File: algebra/shamir.h
//
// Shamir sharing of degree t over a Galois ring or field (crypto-spec B §1.4): party i (1-based)
// holds f(alpha_i) with alpha_i = Exceptional(i); the secret is f(0). Lagrange coefficients
// at 0 are cached per party set (thread-safe), since every batch of a protocol reuses them.
//
// Example:
//   auto shares = ShareSecret(secret, /*n=*/4, /*t=*/1, rng);   // shares[i] for party i+1
//   auto opened = OpenWithoutErrors<Gr128>({{1, shares[0]}, {3, shares[2]}}, /*degree=*/1, 4);
#ifndef KMS_ALGEBRA_SHAMIR_H_
#define KMS_ALGEBRA_SHAMIR_H_

#include <algorithm>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "algebra/galois_field.h"
#include "algebra/galois_ring.h"
#include "algebra/polynomial.h"
#include "algebra/random_source.h"
#include "algebra/result.h"

namespace kms::algebra {

template <typename R>
struct IndexedShare {
  int party;  // 1-based role
  R value;
};

// The evaluation point of party i (and 0 for the secret), in a Galois ring or field.
template <typename R>
R PartyPoint(int party) {
  if constexpr (requires { R::Exceptional(0u); }) {
    return R::Exceptional(static_cast<unsigned>(party));
  } else {
    return R(static_cast<unsigned>(party));
  }
}

// Inverse of a unit (ring) or non-zero element (field). REQUIRES: x is invertible.
template <int D>
GaloisField<D> InverseOf(const GaloisField<D>& x) {
  return x.Inverse();
}
template <BaseRing Z, int D>
GaloisRing<Z, D> InverseOf(const GaloisRing<Z, D>& x) {
  auto inv = x.Invert();
  assert(inv.has_value());
  return *inv;
}

// Checks that every id is in 1..n, that n fits the ring, and that no id repeats.
template <typename R>
Result<bool> ValidateParties(std::span<const int> parties, int n) {
  constexpr int kMax = (1 << R::kDegree) - 1;
  if (n < 1 || n > kMax)
    return InvalidInput("number of parties " + std::to_string(n) + " is outside 1.." +
                        std::to_string(kMax));
  std::vector<bool> seen(static_cast<size_t>(n) + 1, false);
  for (int p : parties) {
    if (p < 1 || p > n)
      return InvalidInput("party id " + std::to_string(p) + " is outside 1.." + std::to_string(n));
    if (seen[p]) return InvalidInput("party id " + std::to_string(p) + " appears twice");
    seen[p] = true;
  }
  return true;
}

// f(X) = constant + a_1 X + ... + a_degree X^degree with uniformly random a_i.
template <typename R>
Polynomial<R> RandomPolynomial(const R& constant, int degree, RandomSource& rng) {
  std::vector<R> c(static_cast<size_t>(degree) + 1);
  c[0] = constant;
  for (int i = 1; i <= degree; ++i) c[i] = R::Random(rng);
  return Polynomial<R>(std::move(c));
}

// Shares of `secret` for parties 1..n (element i is party i+1's share). REQUIRES: t < n.
template <typename R>
std::vector<R> ShareSecret(const R& secret, int n, int t, RandomSource& rng) {
  Polynomial<R> f = RandomPolynomial(secret, t, rng);
  std::vector<R> out;
  out.reserve(n);
  for (int i = 1; i <= n; ++i) out.push_back(f.Eval(PartyPoint<R>(i)));
  return out;
}

// Coefficients lambda_i with f(target) = sum_i lambda_i f(alpha_{parties[i]}) for every f of
// degree < parties.size(). REQUIRES: distinct valid party ids.
template <typename R>
std::vector<R> LagrangeCoefficients(std::span<const int> parties, const R& target) {
  std::vector<R> out;
  out.reserve(parties.size());
  for (size_t i = 0; i < parties.size(); ++i) {
    R num = R::One(), den = R::One();
    R ai = PartyPoint<R>(parties[i]);
    for (size_t j = 0; j < parties.size(); ++j) {
      if (i == j) continue;
      R aj = PartyPoint<R>(parties[j]);
      num *= target - aj;
      den *= ai - aj;
    }
    out.push_back(num * InverseOf(den));
  }
  return out;
}

// Lagrange coefficients at 0 for this party set, computed once per set and kept for the life
// of the process. Thread-safe. REQUIRES: distinct valid party ids.
template <typename R>
const std::vector<R>& LagrangeAtZero(std::span<const int> parties) {
  static std::mutex mu;
  static std::map<std::vector<int>, std::vector<R>> cache;
  std::vector<int> key(parties.begin(), parties.end());
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, LagrangeCoefficients<R>(parties, R::Zero())).first;
  return it->second;  // std::map never moves its nodes
}

// Lagrange basis polynomials l_i(X) (l_i(alpha_{parties[j]}) = [i == j]) in coefficient form.
template <typename R>
std::vector<Polynomial<R>> LagrangeBasis(std::span<const int> parties) {
  std::vector<Polynomial<R>> out;
  out.reserve(parties.size());
  for (size_t i = 0; i < parties.size(); ++i) {
    Polynomial<R> num = Polynomial<R>::Constant(R::One());
    R den = R::One();
    R ai = PartyPoint<R>(parties[i]);
    for (size_t j = 0; j < parties.size(); ++j) {
      if (i == j) continue;
      R aj = PartyPoint<R>(parties[j]);
      num = num * Polynomial<R>::Linear(aj);
      den *= ai - aj;
    }
    out.push_back(num * InverseOf(den));
  }
  return out;
}

// LagrangeBasis for this party set, computed once per set for the life of the process.
// Thread-safe. REQUIRES: distinct valid party ids.
template <typename R>
const std::vector<Polynomial<R>>& CachedLagrangeBasis(std::span<const int> parties) {
  static std::mutex mu;
  static std::map<std::vector<int>, std::vector<Polynomial<R>>> cache;
  std::vector<int> key(parties.begin(), parties.end());
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, LagrangeBasis<R>(parties)).first;
  return it->second;
}

// The polynomial of degree < points through (alpha_{parties[i]}, values[i]).
template <typename R>
Polynomial<R> Interpolate(std::span<const int> parties, std::span<const R> values) {
  const auto& basis = CachedLagrangeBasis<R>(parties);
  Polynomial<R> out(std::vector<R>(parties.size(), R::Zero()));
  for (size_t i = 0; i < parties.size(); ++i) out += basis[i] * values[i];
  return out;
}

// Opens a degree-`degree` sharing from its first degree+1 shares, trusting them all (no error
// detection). Fails on too few shares or invalid party ids.
template <typename R>
Result<R> OpenWithoutErrors(std::span<const IndexedShare<R>> shares, int degree, int n) {
  if (degree < 0) return InvalidInput("negative degree");
  if (shares.size() < static_cast<size_t>(degree) + 1)
    return NotEnoughShares("opening a degree-" + std::to_string(degree) + " sharing needs " +
                           std::to_string(degree + 1) + " shares, got " +
                           std::to_string(shares.size()));
  std::vector<int> parties;
  for (const auto& s : shares) parties.push_back(s.party);
  auto valid = ValidateParties<R>(parties, n);
  if (!valid.ok()) return valid.error();
  parties.resize(static_cast<size_t>(degree) + 1);
  const auto& lambda = LagrangeAtZero<R>(parties);
  R acc = R::Zero();
  for (size_t i = 0; i < parties.size(); ++i) acc += lambda[i] * shares[i].value;
  return acc;
}

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_SHAMIR_H_
