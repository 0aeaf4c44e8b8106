// File: algebra/polynomial.h
//
// Dense univariate polynomials over a ring R (GaloisRing or GaloisField), coefficient i of X^i.
// The coefficient vector may carry trailing zeros; Degree() looks past them.
#ifndef KMS_ALGEBRA_POLYNOMIAL_H_
#define KMS_ALGEBRA_POLYNOMIAL_H_

#include <algorithm>
#include <cassert>
#include <utility>
#include <vector>

namespace kms::algebra {

template <typename R>
class Polynomial {
 public:
  Polynomial() = default;
  explicit Polynomial(std::vector<R> coefs) : c_(std::move(coefs)) {}
  static Polynomial Constant(const R& c) { return Polynomial(std::vector<R>{c}); }
  // X - root
  static Polynomial Linear(const R& root) { return Polynomial(std::vector<R>{-root, R::One()}); }

  const std::vector<R>& coefs() const { return c_; }
  std::vector<R>& coefs() { return c_; }
  size_t size() const { return c_.size(); }
  R coef(size_t i) const { return i < c_.size() ? c_[i] : R::Zero(); }

  // Degree of the highest non-zero coefficient; -1 for the zero polynomial.
  int Degree() const {
    for (int i = static_cast<int>(c_.size()) - 1; i >= 0; --i)
      if (!c_[i].IsZero()) return i;
    return -1;
  }
  bool IsZero() const { return Degree() < 0; }
  void Trim() { c_.resize(static_cast<size_t>(Degree() + 1)); }

  R Eval(const R& x) const {
    R acc = R::Zero();
    for (size_t i = c_.size(); i-- > 0;) acc = acc * x + c_[i];
    return acc;
  }

  Polynomial& operator+=(const Polynomial& o) {
    if (o.c_.size() > c_.size()) c_.resize(o.c_.size(), R::Zero());
    for (size_t i = 0; i < o.c_.size(); ++i) c_[i] += o.c_[i];
    return *this;
  }
  Polynomial& operator-=(const Polynomial& o) {
    if (o.c_.size() > c_.size()) c_.resize(o.c_.size(), R::Zero());
    for (size_t i = 0; i < o.c_.size(); ++i) c_[i] -= o.c_[i];
    return *this;
  }
  friend Polynomial operator+(Polynomial a, const Polynomial& b) { return a += b; }
  friend Polynomial operator-(Polynomial a, const Polynomial& b) { return a -= b; }

  friend Polynomial operator*(const Polynomial& a, const Polynomial& b) {
    if (a.c_.empty() || b.c_.empty()) return Polynomial();
    std::vector<R> out(a.c_.size() + b.c_.size() - 1, R::Zero());
    for (size_t i = 0; i < a.c_.size(); ++i)
      for (size_t j = 0; j < b.c_.size(); ++j) out[i + j] += a.c_[i] * b.c_[j];
    return Polynomial(std::move(out));
  }
  Polynomial& operator*=(const R& s) {
    for (auto& c : c_) c *= s;
    return *this;
  }
  friend Polynomial operator*(Polynomial a, const R& s) { return a *= s; }

  friend bool operator==(const Polynomial& a, const Polynomial& b) {
    size_t n = std::max(a.c_.size(), b.c_.size());
    for (size_t i = 0; i < n; ++i)
      if (!(a.coef(i) == b.coef(i))) return false;
    return true;
  }

 private:
  std::vector<R> c_;
};

// Division with remainder by a divisor whose leading coefficient is invertible, given as
// `lead_inverse` (fields: any non-zero divisor; rings: monic divisors or unit leading terms).
// REQUIRES: !divisor.IsZero().
template <typename R>
std::pair<Polynomial<R>, Polynomial<R>> DivRem(const Polynomial<R>& dividend,
                                               const Polynomial<R>& divisor,
                                               const R& lead_inverse) {
  const int db = divisor.Degree();
  assert(db >= 0);
  std::vector<R> rem = dividend.coefs();
  int dr = dividend.Degree();
  if (dr < db) return {Polynomial<R>(), Polynomial<R>(std::move(rem))};
  std::vector<R> quot(static_cast<size_t>(dr - db + 1), R::Zero());
  for (int i = dr; i >= db; --i) {
    R q = rem[i] * lead_inverse;
    quot[i - db] = q;
    for (int j = 0; j <= db; ++j) rem[i - db + j] -= q * divisor.coefs()[j];
  }
  Polynomial<R> r(std::move(rem));
  r.Trim();
  return {Polynomial<R>(std::move(quot)), std::move(r)};
}

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_POLYNOMIAL_H_
