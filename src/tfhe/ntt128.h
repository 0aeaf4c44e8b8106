// File: tfhe/ntt128.h
//
// Exact negacyclic polynomial products over the 128-bit torus, for the noise-squashing
// bootstrap: Z_2^128[X]/(X^N + 1) products of a small signed digit polynomial by
// a torus polynomial are computed exactly in Z through three negacyclic NTTs modulo the primes
// p_t = 2^62 − c_t·2^17 + 1 (p_t ≡ 1 mod 2^17, so N ≤ 2^16), then brought back by CRT (Garner)
// to the centered integer and reduced mod 2^128. The integer result of a GGSW external product,
// a sum of (k+1)·L such products, is below (k+1)·L·N·2^(β−1)·2^128 ≤ 2^170 for every parameter
// set of the project, inside the CRT range p_1·p_2·p_3 ≈ 2^186 (exact whenever
// Σ|d|·N < 2^57 over the summed products; NttBootstrapKey128 checks (k+1)·L·N·2^(β−1) < 2^57,
// which leaves 2^15 to spare at the KMS parameters): the result is exact, so the
// bootstrapping adds no rounding noise of its own (a double-double FFT would, at ≈ 2^-104
// relative, and costs more per coefficient).
//
// The NTT is a cyclic radix-2 NTT of size N with a 2N-th root ψ applied before (ψ^j) and after
// (ψ^−j·N^−1): decimation-in-frequency forward (bit-reversed out), decimation-in-time inverse.
// Multiplications by fixed constants (twiddles, CRT constants) use Shoup's precomputed
// quotients; key values are kept in Montgomery form so the pointwise product is one Montgomery
// multiplication. Butterflies are lazy (Harvey): values in [0, 2p) inside a transform; a
// signed forward transform is left in [0, 2p), everything else is reduced to [0, p).
//
// Thread safety: a plan is immutable after construction; For() is thread-safe.
#ifndef KMS_TFHE_NTT128_H_
#define KMS_TFHE_NTT128_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tfhe/codec.h"

namespace kms::tfhe {

inline constexpr size_t kNttPrimes = 3;

struct NttPrime {
  uint64_t p;
  uint64_t mont_pinv;  // −p^−1 mod 2^64
  uint64_t mont_r2;    // 2^128 mod p
  uint64_t MontMul(uint64_t a, uint64_t b) const {
    const u128 t = static_cast<u128>(a) * b;
    const uint64_t m = static_cast<uint64_t>(t) * mont_pinv;
    const u128 s = t + static_cast<u128>(m) * p;
    uint64_t r = static_cast<uint64_t>(s >> 64);
    return r >= p ? r - p : r;
  }
  uint64_t ToMont(uint64_t a) const { return MontMul(a, mont_r2); }
};

class Ntt128Plan {
 public:
  // REQUIRES: N a power of two, 4 ≤ N ≤ 2^16.
  explicit Ntt128Plan(size_t polynomial_size);
  static const Ntt128Plan& For(size_t polynomial_size);

  size_t polynomial_size() const { return n_; }
  const NttPrime& prime(size_t t) const { return primes_[t]; }

  // out[t·N + j] = NTT_t(signed digits d) for each prime t. `digits` are two's-complement words
  // with |d| < 2^61.
  void ForwardSigned(std::span<const u128> digits, std::span<uint64_t> out) const;
  // out[t·N + j] = NTT_t(a mod p_t) for a torus polynomial (coefficients in [0, 2^128)), in
  // Montgomery form when `montgomery` (the form key polynomials are stored in).
  void ForwardTorus(std::span<const u128> a, std::span<uint64_t> out, bool montgomery) const;
  // acc_t += a_t·b_t pointwise, b in Montgomery form (gives a·b in normal form); a in [0, 2p),
  // acc and b in [0, p).
  void MulAdd(std::span<uint64_t> acc, std::span<const uint64_t> a,
              std::span<const uint64_t> b_mont) const;
  // out += CRT(INTT(in)) mod 2^128, the centered integer. `in` is destroyed.
  void BackwardAdd(std::span<uint64_t> in, std::span<u128> out) const;

 private:
  void Dif(uint64_t* a, size_t t) const;
  void Dit(uint64_t* a, size_t t) const;
  uint64_t Reduce128(u128 x, size_t t) const;

  size_t n_;
  std::array<NttPrime, kNttPrimes> primes_;
  // Per prime: ψ^j and ψ^−j·N^−1 (N each), per-stage roots of ω and ω^−1; Shoup quotients.
  std::array<std::vector<uint64_t>, kNttPrimes> psi_, psi_q_, ipsi_, ipsi_q_, w_, w_q_, iw_, iw_q_;
  // Garner: p1^−1 mod p2, p1 mod p3, (p1·p2)^−1 mod p3, with Shoup quotients.
  uint64_t inv_p1_mod_p2_, inv_p1_mod_p2_q_, p1_mod_p3_, p1_mod_p3_q_, inv_p1p2_mod_p3_,
      inv_p1p2_mod_p3_q_;
  std::array<uint64_t, kNttPrimes> two64_mod_, two64_mod_q_;
};

// a ⊛ b in Z_2^128[X]/(X^N + 1) through the NTT, `a` small signed (N·max|a_i| < 2^57).
// Allocates.
std::vector<u128> NttNegacyclicProduct(std::span<const u128> small_signed,
                                       std::span<const u128> torus);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_NTT128_H_
