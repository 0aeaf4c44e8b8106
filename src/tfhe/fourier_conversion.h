// File: tfhe/fourier_conversion.h
//
// Conversion of standard-domain bootstrapping keys (mask_regeneration.h LweBootstrapKey) into
// the Fourier-domain words that tfhe-rs 1.4.0-alpha.3 publishes in its uncompressed
// high_level_api::ServerKey (published_server_key.h FourierLweBootstrapKey and
// Fourier128LweBootstrapKey), and back, so that a published ServerKey can be loaded into our own
// compute keys (bootstrap.h builds FourierBootstrapKey64 / NttBootstrapKey128 from the standard
// domain).
//
// Conventions, read in the tfhe-rs source at tag tfhe-rs-1.4.0-alpha.3 (paths in that repo;
// tfhe-fft 0.9.0 is the workspace crate tfhe-fft/ at the same tag). ζ = e^{iπ/N}, a(X) the
// standard polynomial, v(c) a coefficient read as a two's-complement signed integer.
//
//   Polynomial order, both widths: the Fourier polynomials follow the standard key's polynomial
//     list one for one (per GGSW, level L…1, row 0…k, column 0…k): 64-bit
//     FourierGgswCiphertext::fill_with_forward_fourier (core_crypto/fft_impl/fft64/crypto/ggsw.rs)
//     called per GGSW by par_fill_with_forward_fourier; 128-bit
//     par_convert_standard_lwe_bootstrap_key_to_fourier_128
//     (core_crypto/algorithms/lwe_bootstrap_key_conversion.rs), chunk p of N/2 words of each of
//     data_re0, data_re1, data_im0, data_im1 is polynomial p.
//
//   64-bit (FourierPolynomialList, fft64/math/fft/mod.rs and tfhe-fft/src/unordered.rs):
//     * fold and twist: z_j = (v(c_j) + i·v(c_{j+N/2}))·2^-64·ζ^j, j < N/2 (convert_forward_torus;
//       Twisties::new(N/2) holds (cos, sin)(j·π/N) in f64; i64 → f64 rounds to nearest);
//     * FFT of size N/2 with a negative exponent, unnormalized: X_k = Σ_j z_j·e^{−2πi·jk/(N/2)}
//       (unordered.rs test_fwd checks Plan::fwd against rustfft's forward plan; the monomial
//       twiddles are e^{−2πi·k·d/n}, theta = −2/n);
//     * standard order on the wire: Plan::fwd leaves a plan-dependent permutation (the base
//       algorithm is chosen by timing, Method::Measure), and serialize_fourier_buffer writes
//       element k = buf[bit_rev_twice(log n, log base_n, k)], which is X_k (the same test) —
//       so the serialized words are X_0 … X_{N/2−1} whatever the plan;
//     * each complex value is (re f64, im f64).
//     Hence word pair k of a polynomial = a(ζ^{1−4k})·2^-64.
//
//   128-bit (fft128/math/fft/mod.rs, tfhe-fft/src/fft128/mod.rs and f128_ops.rs):
//     * f128(pub f64, pub f64) is a double-double: value = .0 + .1, .0 the high part
//       (f128_ops.rs: two_sum/two_prod arithmetic on (.0, .1)); data_re0/data_im0 hold the high
//       parts of the real/imaginary values, data_re1/data_im1 the low parts;
//     * fold, no explicit twist: z_j = (v(c_j) + i·v(c_{j+N/2}))·2^-128 (convert_forward_torus;
//       to_signed_to_f128 makes (first f64 approximation of the i128, the remainder as f64));
//     * tfhe-fft fft128 Plan::new(N/2) / fwd: a negacyclic Cooley–Tukey transform (pairs
//       z0 ± w·z1, block length halving) with twiddles twid[m + i] = e^{iπ·rev(2m+i, 2n)/(2n)},
//       n = N/2, rev over log2(2n) bits (init_negacyclic_twiddles); its output is in
//       bit-reversed order (Plan::fwd's doc). Following the recursion, position r holds
//       Σ_j z_j·ζ^{j·(1 + 4·rev(r))}, rev over log2(N/2) bits; the AVX2/AVX-512 paths use the
//       same twiddles and restore the same positions after their interleaves;
//     * the four arrays are serialized as plain Vec<f64>: no permutation.
//     Hence position r of a polynomial = a(ζ^{1+4·rev(r)})·2^-128.
//   The two layouts evaluate a at the same N/2 roots of X^N + 1, but assign them to positions
//   differently (64: ζ^{1−4k} at k; 128: ζ^{1+4·rev(r)} at r).
//
//   Inverse (ours): tfhe-rs's backward transforms (Plan::inv, 1/(N/2), conj twist) bring a
//   Fourier polynomial back to torus values t; we round round(t·2^w) mod 2^w, w = 64 or 128.
//
// Implementation:
//   * Twiddles (ζ^k) are computed once per N in __float128 (113 bits) by Taylor series on the
//     first octant and rounded to f64 (64-bit) or to double-double (128-bit): no libm call, so
//     they are the same on every machine.
//   * 64-bit: the fold and twist as tfhe-rs, a radix-2 decimation-in-frequency FFT of size N/2
//     with the negative exponent (bit-reversed output), permuted to the standard order; the
//     inverse is decimation in time, ×1/(N/2), conjugate twist, rounding. O(N log N). Error
//     ≈ 2^-53·log N relative: a round trip keeps the top ≈ 50 bits of a u64 coefficient, and
//     small coefficients exactly.
//   * 128-bit: a double-double FFT: twist by ζ^j, a radix-2 decimation-in-frequency FFT of size
//     N/2 with a positive exponent (bit-reversed output is exactly tfhe-fft's order), O(N log N),
//     two lanes at a time (SSE2 / NEON vector extensions, the same operations per lane).
//     Double-double rather than exact integer arithmetic because the values are evaluations at
//     complex roots of unity, irrational in general: no exact integer form exists to round from.
//     The input is rounded to the nearest double-double (error ≤ 2^-106 relative); products use
//     Dekker's exact two-product (x86-64-v2 has no FMA). Error ≈ 2^-104·log N relative: a round
//     trip keeps the top ≈ 100 bits of a u128.
//   * Deterministic: plain IEEE operations in a fixed order, compiled with -ffp-contract=off
//     (src/tfhe/CMakeLists.txt), so every party converting the same key gets the same words.
//     tfhe-rs's own words are not bit-reproducible even between two of its runs (the 64-bit
//     plan is chosen by timing; FMA and non-FMA paths round differently), so agreement with it
//     is within float error, never bit for bit.
//
// Hostile published keys (outside input): every shape field is checked with 128-bit arithmetic
// before anything is allocated (N a power of two in [4, 2^16], glwe_size ≥ 2, n ≥ 1, β, L ≥ 1,
// β·L ≤ w, the word counts n·L·(k+1)²·N (64) or n·L·(k+1)²·N/2 per array (128)), and every
// word must be finite with |x| ≤ N (a genuine value is at most N/2·|z| ≤ 0.36·N); the output
// is then no larger than the input.
//
// Thread safety: the per-N converters are immutable once built, For() is thread-safe, and the
// transforms use thread-local scratch.
#ifndef KMS_TFHE_FOURIER_CONVERSION_H_
#define KMS_TFHE_FOURIER_CONVERSION_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "tfhe/codec.h"
#include "tfhe/mask_regeneration.h"
#include "tfhe/published_server_key.h"

namespace kms::tfhe {

// One polynomial of size N ↔ its published 64-bit Fourier form (N/2 (re, im) pairs, standard
// order, 2^-64 scaling).
class FourierConverter64 {
 public:
  // REQUIRES: polynomial_size a power of two, 4 ≤ N ≤ 2^16.
  explicit FourierConverter64(size_t polynomial_size);
  static const FourierConverter64& For(size_t polynomial_size);

  size_t polynomial_size() const { return n_; }

  // out (N words) = the published form of `poly` (N coefficients).
  void Forward(std::span<const uint64_t> poly, std::span<double> out) const;
  // out (N coefficients) = round(inverse(in)·2^64) mod 2^64. REQUIRES: `in` finite, |x| ≤ N.
  void Backward(std::span<const double> in, std::span<uint64_t> out) const;

 private:
  size_t n_, m_;
  std::vector<double> twist_re_, twist_im_;  // ζ^j, j < N/2
  std::vector<double> root_re_, root_im_;    // per DIF stage h: e^{−iπj/h}, j < h, at h − 1
  std::vector<uint32_t> rev_;                // bit reversal over log2(N/2) bits
};

// One polynomial of size N ↔ its published 128-bit Fourier form: N/2 double-double complex
// values at positions r (bit-reversed order), as four arrays (re high, re low, im high, im low).
class FourierConverter128 {
 public:
  // REQUIRES: polynomial_size a power of two, 4 ≤ N ≤ 2^16.
  explicit FourierConverter128(size_t polynomial_size);
  static const FourierConverter128& For(size_t polynomial_size);

  size_t polynomial_size() const { return n_; }

  struct Words {
    double* re0;
    double* re1;
    double* im0;
    double* im1;
  };
  struct ConstWords {
    const double* re0;
    const double* re1;
    const double* im0;
    const double* im1;
  };

  // out (four arrays of N/2) = the published form of `poly` (N coefficients).
  void Forward(std::span<const u128> poly, Words out) const;
  // out (N coefficients) = round(inverse(in)·2^128) mod 2^128. REQUIRES: finite, |x| ≤ N.
  void Backward(ConstWords in, std::span<u128> out) const;

 private:
  size_t n_, m_;
  // ζ^j (twist, j < N/2) and, per DIF stage of half-length h, e^{iπj/h} (j < h) at offset
  // h − 1; double-double, high and low parts apart.
  std::vector<double> twist_re0_, twist_re1_, twist_im0_, twist_im1_;
  std::vector<double> root_re0_, root_re1_, root_im0_, root_im1_;
};

// The whole key. InvalidArgument for a shape that cannot be converted (N not a power of two in
// [4, 2^16], glwe_size < 2, β or L zero, β·L > w, data not a non-empty whole number of GGSWs);
// Unimplemented for a non-native modulus. The Fourier key's fields come from the standard key.
absl::StatusOr<FourierLweBootstrapKey> ToFourierBootstrapKey(const LweBootstrapKey<uint64_t>& key);
absl::StatusOr<Fourier128LweBootstrapKey> ToFourier128BootstrapKey(
    const LweBootstrapKey<u128>& key);

// Back to the standard domain, each coefficient rounded to the nearest integer mod 2^w.
// InvalidArgument (naming the field) for an inconsistent shape or a word that is not finite or
// exceeds N in magnitude; nothing is allocated before the checks pass.
absl::StatusOr<LweBootstrapKey<uint64_t>> FromFourierBootstrapKey(
    const FourierLweBootstrapKey& key);
absl::StatusOr<LweBootstrapKey<u128>> FromFourier128BootstrapKey(
    const Fourier128LweBootstrapKey& key);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_FOURIER_CONVERSION_H_
