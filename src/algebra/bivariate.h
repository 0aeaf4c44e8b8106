// File: algebra/bivariate.h
//
// Bivariate polynomials of degree t in each variable, for VSS (crypto-spec B §1.8):
// F(X, Y) = sum_{i,j <= t} a_ij X^i Y^j with a_00 the secret, stored row-major. Party j gets
// the row F(X, alpha_j) and the column F(alpha_j, Y); its share of the secret is F(0, alpha_j).
#ifndef KMS_ALGEBRA_BIVARIATE_H_
#define KMS_ALGEBRA_BIVARIATE_H_

#include <vector>

#include "algebra/polynomial.h"
#include "algebra/random_source.h"

namespace kms::algebra {

template <typename R>
class BivariatePolynomial {
 public:
  static BivariatePolynomial Random(const R& secret, int degree, RandomSource& rng) {
    BivariatePolynomial f;
    f.degree_ = degree;
    const size_t size = static_cast<size_t>(degree + 1) * static_cast<size_t>(degree + 1);
    f.a_.reserve(size);
    for (size_t k = 0; k < size; ++k) f.a_.push_back(k == 0 ? secret : R::Random(rng));
    return f;
  }

  int degree() const { return degree_; }
  const R& coef(int i, int j) const { return a_[static_cast<size_t>(i * (degree_ + 1) + j)]; }

  // F(X, y) as a polynomial in X.
  Polynomial<R> FixY(const R& y) const {
    std::vector<R> c(static_cast<size_t>(degree_) + 1, R::Zero());
    for (int i = 0; i <= degree_; ++i) {
      R acc = R::Zero();
      for (int j = degree_; j >= 0; --j) acc = acc * y + coef(i, j);
      c[i] = acc;
    }
    return Polynomial<R>(std::move(c));
  }

  // F(x, Y) as a polynomial in Y.
  Polynomial<R> FixX(const R& x) const {
    std::vector<R> c(static_cast<size_t>(degree_) + 1, R::Zero());
    for (int j = 0; j <= degree_; ++j) {
      R acc = R::Zero();
      for (int i = degree_; i >= 0; --i) acc = acc * x + coef(i, j);
      c[j] = acc;
    }
    return Polynomial<R>(std::move(c));
  }

  R Eval(const R& x, const R& y) const { return FixY(y).Eval(x); }

 private:
  int degree_ = 0;
  std::vector<R> a_;
};

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_BIVARIATE_H_
