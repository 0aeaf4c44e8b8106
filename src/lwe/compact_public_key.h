// File: lwe/compact_public_key.h
//
// The compact public key (CPK) of the KMS encryption key (crypto-spec A.2, B §2.10 step 1):
//   mask a ∈ Z_q^n̂ drawn from the public seed by the TFHE_GEN XOF (crypto/tfhe_xof.h),
//   body b = a ⊛ rev(s) + e in Z_q[X]/(X^n̂ + 1), e ~ TUniform(2^B) per coefficient.
// Storing the seed instead of the mask halves the key; every party and every client regenerates
// the same mask from it.
//
// NegacyclicReverseProduct is the product both key generations use: the centralized one here
// (T = Z128, binary s) and the distributed one, which applies it to Shamir shares of the key bits
// (T = GaloisRing<Z128, 4>; the public a scales a ring element coefficient-wise, s_j * a_i), so
// that the body shares are linear in the key shares.
//
// Coefficient k of a ⊛ rev(s) is an inner product with s (with U[y] = -a_y for y < n̂ and
// U[y] = a_{y-n̂} for y >= n̂):
//   (a ⊛ rev(s))_k = Σ_{i<=k} a_i s_{n̂-1-k+i} - Σ_{i>k} a_i s_{i-k-1} = Σ_j s_j · U[j + k + 1],
// i.e. b_k - <U[k+1 .. k+n̂], s> = e_k: each coefficient is an LWE sample under s. The same
// identity turns a compact ciphertext list into LWE ciphertexts (encryption.h).
//
// Test vector (B §2.10): a = [1, 2, 3], s = [4, 5, 6] gives [-17, 5, 32] mod 2^8.
#ifndef KMS_LWE_COMPACT_PUBLIC_KEY_H_
#define KMS_LWE_COMPACT_PUBLIC_KEY_H_

#include <cassert>
#include <span>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "algebra/base_ring.h"
#include "algebra/galois_ring.h"
#include "algebra/random_source.h"
#include "lwe/parameters.h"
#include "lwe/secret_key.h"

namespace kms::lwe {

struct CompactPublicKey {
  const LweParameters* params = nullptr;  // one of the static parameter sets
  Z128 seed = 0;                          // public XOF seed of the mask
  std::vector<Z128> mask;                 // a = CpkMaskFromSeed(seed, n̂)
  std::vector<Z128> body;                 // b = a ⊛ rev(s) + e
};

// The first n̂ values NextU128() of TfheXof(seed), in order (B §2.10: the CPK is the first
// consumer of the key-generation XOF stream). REQUIRES: dimension >= 0.
std::vector<Z128> CpkMaskFromSeed(Z128 seed, int dimension);

// a ⊛ rev(s) in Z_2^128[X]/(X^n + 1), n = a.size() (any n >= 0), as defined in the file comment.
// O(n^2) multiply-adds with contiguous reads and no branches in the inner loop; for n = 4096 it
// runs once per key generation. Works on T = Z128 and on any T with T{} = 0, T += T and
// T * Z128 (GaloisRing<Z128, D> scales coefficient-wise).
// REQUIRES: s.size() == a.size() (otherwise an empty vector is returned).
template <class T>
std::vector<T> NegacyclicReverseProduct(std::span<const Z128> a, std::span<const T> s);

// The same product for a binary s (values 0 or 1), with additions only: each term is
// U[j + k + 1] AND (0 - s_j), so no multiplication and no branch on the secret bits. Computes
// only the first `out_count` coefficients (encryption needs all n of the mask but only one body
// coefficient per block). REQUIRES: bits.size() == a.size(), out_count <= a.size() (otherwise
// an empty vector is returned).
std::vector<Z128> NegacyclicReverseProductBinary(std::span<const Z128> a,
                                                 std::span<const Z128> bits, size_t out_count);

// Samples e and returns the CPK of `key` for `seed` (centralized key generation and tests).
// The noise is zeroed after use.
CompactPublicKey GenerateCompactPublicKey(const SecretKey& key, Z128 seed,
                                          algebra::RandomSource& rng);

// Structural check: params set and valid, mask and body of n̂ coefficients. InvalidArgument naming
// the field. With `check_mask_seed`, also that the mask is the XOF output of the seed (the
// binary format stores only the seed).
[[nodiscard]] absl::Status ValidateCompactPublicKey(const CompactPublicKey& key,
                                                    bool check_mask_seed = true);

// ---- implementation ----

namespace internal {
// U[y] = -a_y for y < n, a_{y-n} for y >= n (see the file comment).
std::vector<Z128> NegacyclicExtension(std::span<const Z128> a);

template <class T>
struct IsGaloisRing128 : std::false_type {};
template <int D>
struct IsGaloisRing128<algebra::GaloisRing<Z128, D>> : std::true_type {};
}  // namespace internal

template <class T>
std::vector<T> NegacyclicReverseProduct(std::span<const Z128> a, std::span<const T> s) {
  assert(a.size() == s.size());
  if (a.size() != s.size()) return {};
  const size_t n = a.size();
  const std::vector<Z128> u = internal::NegacyclicExtension(a);
  std::vector<T> out(n);
  const T* sp = s.data();
  if constexpr (internal::IsGaloisRing128<T>::value) {
    // Accumulating in a plain array of coefficients keeps them in registers; going through the
    // ring's operators (temporaries of D coefficients per term) was 2-3x slower.
    constexpr int kD = T::kDegree;
    for (size_t k = 0; k < n; ++k) {
      const Z128* w = u.data() + k + 1;
      Z128 acc[kD] = {};
      for (size_t j = 0; j < n; ++j) {
        const Z128 wj = w[j];
        for (int d = 0; d < kD; ++d) acc[d] += sp[j][d] * wj;
      }
      for (int d = 0; d < kD; ++d) out[k][d] = acc[d];
    }
  } else {
    for (size_t k = 0; k < n; ++k) {
      const Z128* w = u.data() + k + 1;
      T acc{};
      for (size_t j = 0; j < n; ++j) acc += sp[j] * w[j];
      out[k] = acc;
    }
  }
  return out;
}

}  // namespace kms::lwe

#endif  // KMS_LWE_COMPACT_PUBLIC_KEY_H_
