// File: algebra/vandermonde.h
//
// Randomness extraction with a Vandermonde matrix (crypto-spec B §1.7): from n sharings of which
// at most t are adversarial, out_j = sum_i v_i alpha_{i+1}^j for j < w = n - t gives w uniformly
// random sharings. Linear, so it applies share-wise.
#ifndef KMS_ALGEBRA_VANDERMONDE_H_
#define KMS_ALGEBRA_VANDERMONDE_H_

#include <span>
#include <vector>

#include "algebra/shamir.h"

namespace kms::algebra {

// REQUIRES: inputs.size() == n (the contribution of party i+1 at index i), width >= 0.
template <typename R>
std::vector<R> VandermondeExtract(std::span<const R> inputs, int width) {
  std::vector<R> out(static_cast<size_t>(width), R::Zero());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const R alpha = PartyPoint<R>(static_cast<int>(i) + 1);
    R term = inputs[i];
    for (int j = 0; j < width; ++j) {
      out[j] += term;
      term *= alpha;
    }
  }
  return out;
}

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_VANDERMONDE_H_
