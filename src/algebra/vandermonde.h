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

// The contribution of party roles[i] is inputs[i]: out_j = sum_i inputs[i] alpha_{roles[i]}^j.
// Any w of the inputs determine nothing about the output once the others are fixed, so the
// output is uniform as long as at least w of the inputs are. REQUIRES: inputs.size() ==
// roles.size(), distinct roles, width >= 0.
template <typename R>
std::vector<R> VandermondeExtract(std::span<const R> inputs, std::span<const int> roles,
                                  int width) {
  std::vector<R> out(static_cast<size_t>(width), R::Zero());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const R alpha = PartyPoint<R>(roles[i]);
    R term = inputs[i];
    for (int j = 0; j < width; ++j) {
      out[j] += term;
      term *= alpha;
    }
  }
  return out;
}

// All n parties contribute, party i+1 at index i.
template <typename R>
std::vector<R> VandermondeExtract(std::span<const R> inputs, int width) {
  std::vector<int> roles(inputs.size());
  for (size_t i = 0; i < roles.size(); ++i) roles[i] = static_cast<int>(i) + 1;
  return VandermondeExtract<R>(inputs, roles, width);
}

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_VANDERMONDE_H_
