// File: algebra/random_source.h
//
// The one seam through which algebra code gets randomness (sharing polynomials, bivariate
// polynomials). crypto/ provides the AES-CTR implementation; tests may use a seeded one.
#ifndef KMS_ALGEBRA_RANDOM_SOURCE_H_
#define KMS_ALGEBRA_RANDOM_SOURCE_H_

#include <cstdint>
#include <span>

#include "algebra/base_ring.h"

namespace kms::algebra {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with uniformly random bytes. Thread safety: none; one source per thread.
  virtual void Fill(std::span<uint8_t> out) = 0;

  template <BaseRing Z>
  Z Uniform() {
    uint8_t buf[sizeof(Z)];
    Fill(buf);
    return LoadLe<Z>(buf);
  }
};

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_RANDOM_SOURCE_H_
