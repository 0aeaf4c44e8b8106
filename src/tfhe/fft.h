// File: tfhe/fft.h
//
// Negacyclic polynomial products over the 64-bit torus with a complex f64 FFT of size N/2
// (the "fold" tfhe-fft uses): a real polynomial a of Z[X]/(X^N + 1) is folded into the N/2
// complex values z_j = (a_j + i·a_{j+N/2})·e^{iπj/N}, whose DFT of size N/2 is a evaluated at
// the N/2 roots e^{iπ(4m+1)/N} of X^N + 1 (one of each conjugate pair, X^{N/2} = i there). A
// product is the pointwise product of two transforms; the inverse transform unfolds it back.
//
// The forward transform is a decimation-in-frequency radix-2 FFT (natural order in, bit-reversed
// order out) and the inverse a decimation-in-time one (bit-reversed in, natural out), so the
// Fourier domain is in bit-reversed order and no permutation is ever done. Twiddles and twists
// are computed once per N (Plan), in double precision from std::sin/std::cos of exact angles.
// Callers pass the scratch; no function allocates.
//
// Precision: products of a signed digit polynomial (|d| ≤ 2^(β−1)) with a torus polynomial
// (values as two's-complement i64) are exact to about 2^-50 relative to N·2^(β−1)·2^63; for the
// PBS parameters (β 23–24, N ≤ 2048) the absolute error of a product is below 2^45 on the
// 2^64 torus, far under the bootstrapping noise (the tests measure it against a schoolbook
// product). Torus results are rounded to the nearest integer and reduced mod 2^64 exactly.
//
// Thread safety: a Plan is immutable after construction and may be shared.
#ifndef KMS_TFHE_FFT_H_
#define KMS_TFHE_FFT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace kms::tfhe {

// A polynomial in the Fourier domain: N/2 complex values, real and imaginary parts apart.
struct FourierSpan {
  double* re;
  double* im;
};
struct ConstFourierSpan {
  const double* re;
  const double* im;
};

class Fft64Plan {
 public:
  // REQUIRES: polynomial_size a power of two, 4 ≤ N ≤ 2^16.
  explicit Fft64Plan(size_t polynomial_size);

  size_t polynomial_size() const { return n_; }
  size_t fourier_size() const { return m_; }

  // out = FFT(fold(a)), a read as two's-complement i64 (torus or signed digits).
  void Forward(std::span<const uint64_t> a, FourierSpan out) const;
  // out += unfold(IFFT(in)) rounded to Z and reduced mod 2^64. `in` is destroyed.
  void BackwardAdd(FourierSpan in, std::span<uint64_t> out) const;
  // out = unfold(IFFT(in)) as doubles (no rounding), for tests. `in` is destroyed.
  void BackwardReal(FourierSpan in, std::span<double> out) const;

  // acc += a·b pointwise (complex).
  void MulAdd(FourierSpan acc, ConstFourierSpan a, ConstFourierSpan b) const;

  // The shared plan of a size, built on first use.
  static const Fft64Plan& For(size_t polynomial_size);

 private:
  void DifInPlace(double* re, double* im) const;
  void DitInverseInPlace(double* re, double* im) const;

  size_t n_, m_;
  std::vector<double> twist_re_, twist_im_;  // e^{iπj/N}, j < N/2
  std::vector<double> root_re_, root_im_;    // per stage h: e^{−iπj/h}, j < h, at h − 1
};

// a ⊛ b in Z_2^64[X]/(X^N + 1) through the FFT (b read as signed i64 too).
// REQUIRES: equal power-of-two sizes. Allocates (convenience for tests and key generation).
std::vector<uint64_t> FftNegacyclicProduct(std::span<const uint64_t> a,
                                           std::span<const uint64_t> b);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_FFT_H_
