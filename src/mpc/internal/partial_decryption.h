// File: mpc/internal/partial_decryption.h
//
// The two local steps every noise-flooding decryption shares (mpc/decryption.h for our own LWE
// format, mpc/tfhe_decryption.h for tfhe-rs's 128-bit blocks): the inner product of key-bit
// shares with a public mask, and the user-decryption packing of four block shares into one ring
// element. For the mpc .cc files only.
#ifndef KMS_MPC_INTERNAL_PARTIAL_DECRYPTION_H_
#define KMS_MPC_INTERNAL_PARTIAL_DECRYPTION_H_

#include <cstddef>
#include <span>
#include <vector>

#include "mpc/preprocessing.h"

namespace kms::mpc::internal {

// sum_x s[x] * u[x]: shares of the key bits times public mask coefficients. The four
// coefficients are accumulated separately so each term costs four 128-bit multiply-adds that
// share the loads of u[x] (this loop is the whole cost of a partial decryption).
inline Share InnerProduct(const Share* s, const algebra::Z128* u, size_t n) {
  algebra::Z128 acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
  for (size_t x = 0; x < n; ++x) {
    const algebra::Z128 a = u[x];
    const auto& c = s[x].coefs();
    acc0 += c[0] * a;
    acc1 += c[1] * a;
    acc2 += c[2] * a;
    acc3 += c[3] * a;
  }
  return Share({acc0, acc1, acc2, acc3});
}

// q_j = sum_{l<4} c_{4j+l} X^l (reference pack_residue_poly): a valid sharing of the element
// whose coefficients are the four shared scalars. ceil(size / 4) elements.
inline std::vector<Share> PackFourPerElement(std::span<const Share> masked) {
  constexpr size_t kPack = Share::kDegree;
  std::vector<Share> packed((masked.size() + kPack - 1) / kPack, Share::Zero());
  for (size_t k = 0; k < masked.size(); ++k)
    packed[k / kPack] += masked[k].MulByMonomial(static_cast<int>(k % kPack));
  return packed;
}

}  // namespace kms::mpc::internal

#endif  // KMS_MPC_INTERNAL_PARTIAL_DECRYPTION_H_
