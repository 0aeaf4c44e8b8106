// File: tests/testing/negacyclic.h
//
// The exact schoolbook product in Z_2^w[X]/(X^N + 1) (wrapping unsigned arithmetic), the oracle
// that the tfhe layer's FFT, NTT and Fourier-conversion products are checked against.
#ifndef KMS_TESTS_TESTING_NEGACYCLIC_H_
#define KMS_TESTS_TESTING_NEGACYCLIC_H_

#include <cstddef>
#include <vector>

namespace kms::testing {

// REQUIRES: a.size() == b.size().
template <typename Scalar>
std::vector<Scalar> SchoolbookNegacyclicProduct(const std::vector<Scalar>& a,
                                                const std::vector<Scalar>& b) {
  const size_t n = a.size();
  std::vector<Scalar> out(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const Scalar p = a[i] * b[j];
      if (i + j < n) {
        out[i + j] += p;
      } else {
        out[i + j - n] -= p;  // X^N = -1
      }
    }
  }
  return out;
}

}  // namespace kms::testing

#endif  // KMS_TESTS_TESTING_NEGACYCLIC_H_
