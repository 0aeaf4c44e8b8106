#include "lwe/parameters.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lwe/decimal_internal.h"

namespace kms::lwe {
namespace {

constexpr Z128 Pow2(int e) { return Z128{1} << e; }

// Why Bd and bits_per_block are what they are (crypto-spec A.2).
//
// Fresh decryption noise (encryption.h): b_j - <a_j, s> = Δ·m_j + <e, r>_j - <e1, s>_j + e2_j
// with binary r and s and TUniform(2^B) noise, so |noise| <= n̂·2^B + n̂·2^B + 2^B.
//   default: 2·4096·2^30 + 2^30 = 2^43 + 2^30  -> Bd = 2^44 (smallest power of two above it)
//   test:    2·512·2^20 + 2^20  = 2^30 + 2^20  -> Bd = 2^31
//
// Threshold decryption floods with PRSS-Mask(Bd): |E| < 2·C(n,t)·Bd·2^STATSEC, STATSEC = 40.
// Correctness needs Bd + |E| < Δ/2 = 2^(126 - bits_per_block). The worst case is n = 15,
// t = 4: C(15,4) = 1365 < 2^10.42, so |E| < 2^(1 + 10.42 + 44 + 40) = 2^95.42 for default, which
// allows 126 - bits_per_block > 95.42, i.e. up to 30 bits per block. 16 is the largest power of
// two below that; with it every type's block count is integral (1, 4, 8, 16, 32, 64, 128, 160,
// 256 bits -> 1, 1, 1, 1, 2, 4, 8, 10, 16 blocks) and ~14.5 bits of margin remain
// (2^110 vs 2^95.42). The test set has 13 bits more margin (Bd = 2^31).
// The reference needs Bd = 2^70 (switch-and-squash noise) and therefore 4-bit blocks.
LweParameters MakeParameters(std::string name, int dimension, int noise_log2, int bits_per_block,
                             int flooding_log2) {
  LweParameters p;
  p.name = std::move(name);
  p.lwe_dimension = dimension;
  p.noise_log2 = noise_log2;
  p.bits_per_block = bits_per_block;
  p.delta = Pow2(127 - bits_per_block);
  p.flooding_bound = Pow2(flooding_log2);
  return p;
}

double Log2(Z128 v) { return std::log2(static_cast<double>(v)); }

std::string Describe(Z128 v) {
  return absl::StrFormat("%s (2^%.2f)", internal::U128ToDecimal(v), Log2(v));
}

}  // namespace

const LweParameters& TestParameters() {
  static const LweParameters* const kTest = new LweParameters([] {
    LweParameters p = MakeParameters("test", 512, 20, 16, 31);
    p.insecure = true;
    return p;
  }());
  return *kTest;
}

const LweParameters& DefaultParameters() {
  static const LweParameters* const kDefault =
      new LweParameters(MakeParameters("default", 4096, 30, 16, 44));
  return *kDefault;
}

absl::StatusOr<const LweParameters*> ParametersByName(std::string_view name) {
  if (name == "test") return &TestParameters();
  if (name == "default") return &DefaultParameters();
  // The name is public input (a parameter set name), safe to echo; cap it to keep messages short.
  return absl::InvalidArgumentError(absl::StrCat("unknown parameter set '",
                                                 std::string(name.substr(0, 64)),
                                                 "' (expected 'test' or 'default')"));
}

int DeltaLog2(const LweParameters& params) { return 127 - params.bits_per_block; }

Z128 WorstCaseFreshNoise(const LweParameters& params) {
  const Z128 bound = Pow2(params.noise_log2);
  return 2 * static_cast<Z128>(params.lwe_dimension) * bound + bound;
}

absl::Status ValidateParameters(const LweParameters& p) {
  const std::string where = absl::StrCat("parameter set '", p.name, "'");
  if (p.name.empty()) return absl::InvalidArgumentError("parameter set: name is empty");
  if (p.lwe_dimension < 1 || p.lwe_dimension > (1 << 15) ||
      (p.lwe_dimension & (p.lwe_dimension - 1)) != 0)
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": lwe_dimension must be a power of two in [1, 32768], got ", p.lwe_dimension));
  if (p.noise_log2 < 0 || p.noise_log2 > 62)
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": noise_log2 must be in [0, 62], got ", p.noise_log2));
  if (p.bits_per_block < 1 || p.bits_per_block > 63)
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": bits_per_block must be in [1, 63], got ", p.bits_per_block));
  if (p.delta != Pow2(127 - p.bits_per_block))
    return absl::InvalidArgumentError(absl::StrCat(where, ": delta must be 2^(127 - ",
                                                   p.bits_per_block, "), got ", Describe(p.delta)));
  if (p.flooding_bound == 0)
    return absl::InvalidArgumentError(absl::StrCat(where, ": flooding_bound is zero"));
  return absl::OkStatus();
}

absl::Status CheckNoiseBudget(const LweParameters& p, int n, int t) {
  if (absl::Status s = ValidateParameters(p); !s.ok()) return s;
  if (n < 1 || n > 255)
    return absl::InvalidArgumentError(absl::StrCat("noise budget: n must be in [1, 255], got ", n));
  if (t < 0 || t >= n)
    return absl::InvalidArgumentError(
        absl::StrCat("noise budget: t must be in [0, n) = [0, ", n, "), got ", t));
  const std::string where =
      absl::StrCat("noise budget of parameter set '", p.name, "' for n=", n, ", t=", t);

  // (1) Bd covers the noise of a fresh encryption.
  const Z128 fresh = WorstCaseFreshNoise(p);
  if (p.flooding_bound < fresh)
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": flooding bound Bd = ", Describe(p.flooding_bound),
        " is below the worst-case fresh noise 2*dimension*2^B + 2^B = ", Describe(fresh)));

  // C(n,t) exactly: c_{i+1} = c_i·(n - i)/(i + 1) is an integer at every step.
  Z128 binom = 1;
  for (int i = 0; i < t; ++i) {
    Z128 prod;
    if (__builtin_mul_overflow(binom, static_cast<Z128>(n - i), &prod))
      return absl::InvalidArgumentError(absl::StrCat(where, ": C(n,t) overflows 128 bits"));
    binom = prod / static_cast<Z128>(i + 1);
  }

  // |E| < 2·C(n,t)·Bd·2^STATSEC, then Bd + |E|, each step overflow-checked.
  Z128 flood = 0, total = 0;
  const Z128 stat = Pow2(kStatSec);
  const Z128 half_delta = p.delta >> 1;
  if (__builtin_mul_overflow(binom, Z128{2}, &flood) ||
      __builtin_mul_overflow(flood, p.flooding_bound, &flood) ||
      __builtin_mul_overflow(flood, stat, &flood) ||
      __builtin_add_overflow(flood, p.flooding_bound, &total))
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": Bd + 2*C(n,t)*Bd*2^", kStatSec, " overflows 2^128; C(n,t) = ",
                     internal::U128ToDecimal(binom), ", Bd = ", Describe(p.flooding_bound)));
  if (total >= half_delta)
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": Bd + 2*C(n,t)*Bd*2^", kStatSec, " = ", Describe(total),
        " is not below Delta/2 = ", Describe(half_delta),
        " (C(n,t) = ", internal::U128ToDecimal(binom), ", Bd = ", Describe(p.flooding_bound),
        ", bits_per_block = ", p.bits_per_block, ")"));
  return absl::OkStatus();
}

}  // namespace kms::lwe
