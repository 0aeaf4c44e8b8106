// File: mpc/internal/shared_glwe_product.h
//
// The local linear algebra of the TFHE DKG (mpc/tfhe_dkg.h): public masks times my Shamir shares
// of a secret key, over the share ring of the key's width (Gr64 for 64-bit keys, Gr128 for
// 128-bit ones; a share of a 64-bit key is the Gr128 share reduced mod 2^64, which is a share of
// the reduced secret because reduction is a ring homomorphism that keeps the evaluation points).
//
//   * SharedLweDot: Σ_j a_j·[s_j] for an LWE body (coefficient-wise scaling of the shares).
//   * SharedGlweProduct: Σ_c A_c ⊛ [S_c] in R[X]/(X^N + 1) for a GLWE body, A_c public
//     polynomials of the key's width, [S_c] my shares of the key polynomials. A share is four
//     base-ring coefficients, so the product is four negacyclic products over Z/2^w, each done
//     exactly with tfhe/ntt128.h's three-prime NTT: the share polynomial of coefficient d is cut
//     into limbs of b bits (2 limbs of 32 bits for w = 64; ⌈128/b⌉ limbs for w = 128, b =
//     min(43, 56 − ⌈log2(k·N)⌉)), so that Σ_c A_c ⊛ limb < k·N·2^b·2^128 ≤ 2^184 stays inside
//     the CRT range (≈ 2^185 centered) and every product is the exact integer; the limbs are
//     shifted back and summed mod 2^w. The limbs' NTTs are computed once per key.
//     Cost per call: k forward NTTs (3 primes) and 4·limbs inverse ones; 0.8 ms at k = 2,
//     N = 2048, w = 128 on this machine, against k·N^2·4 ≈ 33 M multiply-adds schoolbook.
//
// Secrets: the key's NTT forms and the scratch buffers are zeroed on destruction.
// Thread safety: a SharedGlweProduct holds scratch space; one thread at a time.
#ifndef KMS_MPC_INTERNAL_SHARED_GLWE_PRODUCT_H_
#define KMS_MPC_INTERNAL_SHARED_GLWE_PRODUCT_H_

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "algebra/galois_ring.h"
#include "crypto/secure_zero.h"
#include "tfhe/ntt128.h"

namespace kms::mpc::internal {

using u128 = unsigned __int128;

// The share ring of a key width: Gr64 for uint64_t keys, Gr128 for u128 keys.
template <typename Scalar>
using ShareOf = std::conditional_t<sizeof(Scalar) == 8, algebra::Gr64, algebra::Gr128>;

// A Gr128 share reduced to the share ring of `Scalar` (identity for u128).
template <typename Scalar>
ShareOf<Scalar> NarrowShare(const algebra::Gr128& s) {
  if constexpr (sizeof(Scalar) == 16) {
    return s;
  } else {
    const auto& c = s.coefs();
    return algebra::Gr64({static_cast<uint64_t>(c[0]), static_cast<uint64_t>(c[1]),
                          static_cast<uint64_t>(c[2]), static_cast<uint64_t>(c[3])});
  }
}

template <typename Scalar>
std::vector<ShareOf<Scalar>> NarrowShares(std::span<const algebra::Gr128> s) {
  std::vector<ShareOf<Scalar>> out;
  out.reserve(s.size());
  for (const auto& x : s) out.push_back(NarrowShare<Scalar>(x));
  return out;
}

// Σ_j a[j]·s[j] (a public, s shares), four accumulators sharing the loads of a[j].
template <typename Scalar>
ShareOf<Scalar> SharedLweDot(const Scalar* a, const ShareOf<Scalar>* s, size_t n) {
  Scalar acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
  for (size_t j = 0; j < n; ++j) {
    const Scalar x = a[j];
    const auto& c = s[j].coefs();
    acc0 += c[0] * x;
    acc1 += c[1] * x;
    acc2 += c[2] * x;
    acc3 += c[3] * x;
  }
  return ShareOf<Scalar>({acc0, acc1, acc2, acc3});
}

template <typename Scalar>
class SharedGlweProduct {
 public:
  using R = ShareOf<Scalar>;
  static constexpr size_t kWidth = sizeof(Scalar) * 8;
  static constexpr size_t kCoefs = R::kDegree;

  // `key`: k polynomials of N shares, polynomial c at [c·N, (c+1)·N). REQUIRES: N a power of
  // two in [4, 2^16], k·N = key.size() > 0, k·N ≤ 2^40 (limbs of at least 16 bits).
  SharedGlweProduct(std::span<const R> key, size_t polynomial_size)
      : n_(polynomial_size),
        k_(key.size() / polynomial_size),
        plan_(tfhe::Ntt128Plan::For(polynomial_size)) {
    assert(n_ >= 4 && std::has_single_bit(n_) && key.size() == k_ * n_ && k_ > 0);
    if constexpr (kWidth == 64) {
      limb_bits_ = 32;
    } else {
      const size_t log_kn = static_cast<size_t>(std::bit_width(k_ * n_ - 1));
      limb_bits_ = std::min<size_t>(43, 56 - log_kn);
      assert(limb_bits_ >= 16);
    }
    limbs_ = (kWidth + limb_bits_ - 1) / limb_bits_;
    const size_t w = tfhe::kNttPrimes * n_;
    key_ntt_.resize(k_ * kCoefs * limbs_ * w);
    std::vector<u128> limb(n_);
    const Scalar mask = (Scalar{1} << limb_bits_) - 1;
    for (size_t c = 0; c < k_; ++c) {
      for (size_t d = 0; d < kCoefs; ++d) {
        for (size_t l = 0; l < limbs_; ++l) {
          for (size_t j = 0; j < n_; ++j) {
            limb[j] = static_cast<u128>((key[c * n_ + j].coefs()[d] >> (limb_bits_ * l)) & mask);
          }
          plan_.ForwardSigned(limb, KeyNtt(c, d, l));
        }
      }
    }
    crypto::SecureZero(std::span<u128>(limb));
    mask_ntt_.resize(k_ * w);
    acc_.resize(w);
    wide_.resize(n_);
    back_.resize(n_);
  }
  ~SharedGlweProduct() {
    crypto::SecureZero(key_ntt_);
    crypto::SecureZero(acc_);
    crypto::SecureZero(std::span<u128>(back_));
  }
  SharedGlweProduct(const SharedGlweProduct&) = delete;
  SharedGlweProduct& operator=(const SharedGlweProduct&) = delete;

  size_t polynomial_size() const { return n_; }
  size_t glwe_dimension() const { return k_; }

  // out[j] = (Σ_c A_c ⊛ S_c)_j for the k·N mask words `masks` (A_c at [c·N, (c+1)·N)).
  // REQUIRES: masks.size() == k·N, out.size() == N.
  void MaskProduct(std::span<const Scalar> masks, std::span<R> out) {
    assert(masks.size() == k_ * n_ && out.size() == n_);
    const size_t w = tfhe::kNttPrimes * n_;
    for (size_t c = 0; c < k_; ++c) {
      for (size_t j = 0; j < n_; ++j) wide_[j] = static_cast<u128>(masks[c * n_ + j]);
      plan_.ForwardTorus(wide_, std::span<uint64_t>(mask_ntt_.data() + c * w, w),
                         /*montgomery=*/true);
    }
    std::fill(out.begin(), out.end(), R::Zero());
    for (size_t d = 0; d < kCoefs; ++d) {
      for (size_t l = 0; l < limbs_; ++l) {
        std::fill(acc_.begin(), acc_.end(), 0);
        for (size_t c = 0; c < k_; ++c) {
          plan_.MulAdd(acc_, KeyNtt(c, d, l),
                       std::span<const uint64_t>(mask_ntt_.data() + c * w, w));
        }
        std::fill(back_.begin(), back_.end(), u128{0});
        plan_.BackwardAdd(acc_, back_);
        const size_t shift = limb_bits_ * l;
        for (size_t j = 0; j < n_; ++j) {
          out[j].coefs()[d] += static_cast<Scalar>(back_[j] << shift);
        }
      }
    }
  }

 private:
  std::span<uint64_t> KeyNtt(size_t c, size_t d, size_t l) {
    const size_t w = tfhe::kNttPrimes * n_;
    return std::span<uint64_t>(key_ntt_.data() + ((c * kCoefs + d) * limbs_ + l) * w, w);
  }

  size_t n_, k_;
  const tfhe::Ntt128Plan& plan_;
  size_t limb_bits_ = 0, limbs_ = 0;
  std::vector<uint64_t> key_ntt_;   // per (c, d, l): 3·N words, ForwardSigned's [0, 2p) form
  std::vector<uint64_t> mask_ntt_;  // per c: the mask's NTT in Montgomery form
  std::vector<uint64_t> acc_;
  std::vector<u128> wide_, back_;
};

}  // namespace kms::mpc::internal

#endif  // KMS_MPC_INTERNAL_SHARED_GLWE_PRODUCT_H_
