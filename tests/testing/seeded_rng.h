// A deterministic RandomSource for algebra tests (the algebra layer has no crypto RNG).
#ifndef KMS_TESTS_TESTING_SEEDED_RNG_H_
#define KMS_TESTS_TESTING_SEEDED_RNG_H_

#include <random>

#include "algebra/random_source.h"

namespace kms::testing {

class SeededRng final : public algebra::RandomSource {
 public:
  explicit SeededRng(uint64_t seed) : gen_(seed) {}
  void Fill(std::span<uint8_t> out) override {
    for (auto& b : out) b = static_cast<uint8_t>(gen_());
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace kms::testing

#endif  // KMS_TESTS_TESTING_SEEDED_RNG_H_
