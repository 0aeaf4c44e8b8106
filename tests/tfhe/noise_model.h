// File: tests/tfhe/noise_model.h
//
// The standard TFHE noise formulas (as tfhe-rs's noise_formulas estimate them, without their
// refinements), to check measured noise against the parameter set: the variance of TUniform(b),
// of a balanced digit, of a key switch and of a programmable bootstrap's output (key noise
// through every digit plus the decomposition's rounding on a binary key). Variances are in
// squared torus units (the integer scale of the ciphertext modulus).
#ifndef KMS_TESTS_TFHE_NOISE_MODEL_H_
#define KMS_TESTS_TFHE_NOISE_MODEL_H_

#include <cmath>
#include <cstddef>

namespace kms::tfhe::testing {

// TUniform(b) on [−2^b, 2^b], ends at half weight: (2^(2b+1) + 1) / 6.
inline double TUniformVariance(unsigned b) { return (std::ldexp(1.0, 2 * b + 1) + 1) / 6; }

// A balanced digit of base 2^β, uniform: (B² + 2) / 12.
inline double DigitVariance(size_t base_log) {
  return (std::ldexp(1.0, 2 * static_cast<int>(base_log)) + 2) / 12;
}

// The rounding error of a decomposition keeping base_log·levels of `bits` bits: uniform on a
// step of 2^(bits − β·L).
inline double RoundingVariance(size_t bits, size_t base_log, size_t levels) {
  return std::ldexp(1.0, 2 * static_cast<int>(bits - base_log * levels)) / 12;
}

// Key switching n_in coefficients (binary input key, E[s²] = 1/2) with a KSK of noise variance
// ksk_var, plus the input's own noise.
inline double KeyswitchVariance(size_t n_in, size_t base_log, size_t levels, double ksk_var,
                                double input_var) {
  return input_var + static_cast<double>(n_in * levels) * DigitVariance(base_log) * ksk_var +
         static_cast<double>(n_in) / 2 * RoundingVariance(64, base_log, levels);
}

// A blind rotation over n GGSWs of (k+1)·L rows of N coefficients with key noise bsk_var, on a
// `bits`-bit torus: the external products' key noise plus, for each GGSW of a 1 bit
// (probability 1/2), the rounding error times the binary GLWE key (k·N/2 + 1 terms).
inline double BootstrapVariance(size_t n, size_t k, size_t big_n, size_t base_log, size_t levels,
                                double bsk_var, size_t bits) {
  const double key =
      static_cast<double>(n * (k + 1) * levels * big_n) * DigitVariance(base_log) * bsk_var;
  const double rounding = static_cast<double>(n) / 2 * (static_cast<double>(k * big_n) / 2 + 1) *
                          RoundingVariance(bits, base_log, levels);
  return key + rounding;
}

}  // namespace kms::tfhe::testing

#endif  // KMS_TESTS_TFHE_NOISE_MODEL_H_
