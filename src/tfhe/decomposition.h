// File: tfhe/decomposition.h
//
// Gadget decomposition as tfhe-rs 1.4.0-alpha.3's SignedDecomposer (native power-of-two
// modulus, `core_crypto/commons/math/decomposition`), for 64-bit and 128-bit torus elements.
//
// With base B = 2^β and L levels, x ∈ Z_{2^w} is first rounded to the closest multiple of
// 2^(w − β·L) (half-way cases up), then written as Σ_{ℓ=1..L} d_ℓ·2^(w − β·ℓ) with balanced
// digits d_ℓ ∈ [−B/2, B/2]. Ties are broken exactly as tfhe-rs does (so that digits are
// bit-identical): the rounded state is balanced when it exceeds 2^(βL)/2, or equals it and the
// rounding bit is set; a digit equal to B/2 carries when the next state's bit β−1 is set
// (tfhe-rs's `decomposition_bit_trick`, logical shifts as in 1.4). Digits are produced from level
// L (least significant) to level 1, the order tfhe-rs's iterator yields them, and are returned
// as two's-complement words.
//
// Thread safety: value type, no state.
#ifndef KMS_TFHE_DECOMPOSITION_H_
#define KMS_TFHE_DECOMPOSITION_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "tfhe/codec.h"

namespace kms::tfhe {

template <typename Scalar>
class SignedDecomposer {
  static_assert(std::is_same_v<Scalar, uint64_t> || std::is_same_v<Scalar, u128>);

 public:
  static constexpr size_t kBits = sizeof(Scalar) * 8;

  // REQUIRES: base_log >= 1, level_count >= 1, base_log·level_count < kBits.
  SignedDecomposer(size_t base_log, size_t level_count)
      : base_log_(base_log), level_count_(level_count) {}

  size_t base_log() const { return base_log_; }
  size_t level_count() const { return level_count_; }

  // The multiple of 2^(w − βL) closest to x (half-way up), tfhe-rs's closest_representable.
  Scalar ClosestRepresentable(Scalar x) const {
    const size_t shift = kBits - base_log_ * level_count_ - 1;
    Scalar r = (x >> shift) + 1;
    r &= ~Scalar{1};
    return r << shift;
  }

  // The balanced, rounded state the digits are taken from (tfhe-rs init_decomposer_state).
  Scalar InitState(Scalar x) const {
    const size_t rep = base_log_ * level_count_;
    Scalar r = x >> (kBits - rep - 1);
    const Scalar rounding_bit = r & 1;
    r += 1;
    r >>= 1;
    r &= std::numeric_limits<Scalar>::max() >> (kBits - rep);
    const Scalar need_balance = (((r - 1) | (rounding_bit << (rep - 1))) & r) >> (rep - 1);
    return r - (need_balance << rep);
  }

  // digits[0] is level L (least significant), digits[L−1] level 1.
  void Decompose(Scalar x, Scalar* digits) const {
    Scalar state = InitState(x);
    const Scalar mask = (Scalar{1} << base_log_) - 1;
    for (size_t i = 0; i < level_count_; ++i) digits[i] = NextDigit(state, mask);
  }

  // One step of the digit iteration over a state from InitState.
  Scalar NextDigit(Scalar& state, Scalar mask) const {
    const Scalar res = state & mask;
    state >>= base_log_;
    const Scalar carry = (((res - 1) | state) & res) >> (base_log_ - 1);
    state += carry;
    return res - (carry << base_log_);
  }

  // Σ digits · 2^(w − βℓ), digits in Decompose's order (mod 2^w).
  Scalar Recompose(const Scalar* digits) const {
    Scalar sum = 0;
    for (size_t i = 0; i < level_count_; ++i) {
      const size_t level = level_count_ - i;
      sum += digits[i] << (kBits - base_log_ * level);
    }
    return sum;
  }

 private:
  size_t base_log_;
  size_t level_count_;
};

}  // namespace kms::tfhe

#endif  // KMS_TFHE_DECOMPOSITION_H_
