// File: lwe/parameters.h
//
// The LWE parameter sets of the KMS encryption key (crypto-spec A.2): dimension n̂ of the binary
// secret key, TUniform noise bound, how many plaintext bits one LWE ciphertext (a "block")
// carries, the scaling factor Δ and the flooding bound Bd used by threshold decryption.
// The modulus is always q = 2^128 (arithmetic on Z128 wraps).
//
// Two sets exist, named in the API as FheParameter values:
//   "default": n̂ = 4096, TUniform(2^30): the dimension, modulus and noise of the reference's
//              switch-and-squash GLWE key (k = 2, N = 2048), chosen there for 128-bit security.
//   "test":    n̂ = 512, TUniform(2^20): insecure and fast, but with real noise so that decoding
//              and noise flooding are really exercised.
//
// Example:
//   KMS_ASSIGN_OR_RETURN(const LweParameters* params, ParametersByName("test"));
//   KMS_RETURN_IF_ERROR(CheckNoiseBudget(*params, /*n=*/13, /*t=*/4));
#ifndef KMS_LWE_PARAMETERS_H_
#define KMS_LWE_PARAMETERS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algebra/base_ring.h"

namespace kms::lwe {

using algebra::Z128;

// Statistical security of noise flooding (crypto-spec B §4, STATSEC).
inline constexpr int kStatSec = 40;

struct LweParameters {
  std::string name;
  int lwe_dimension = 0;    // n̂, a power of two
  int noise_log2 = 0;       // B: TUniform samples lie in [-2^B, 2^B]
  int bits_per_block = 0;   // plaintext bits per LWE ciphertext
  Z128 delta = 0;           // Δ = 2^(128 - bits_per_block - 1): one padding bit
  Z128 flooding_bound = 0;  // Bd: bound on the decryption noise of a fresh encryption
  // True for a set too small for real security ("test"): the service accepts it only when its
  // configuration allows insecure parameters, and marks every key made with it insecure.
  bool insecure = false;
};

// The parameter sets. References stay valid for the life of the process.
const LweParameters& TestParameters();
const LweParameters& DefaultParameters();

// "test" or "default"; anything else is InvalidArgument naming the input.
absl::StatusOr<const LweParameters*> ParametersByName(std::string_view name);

// log2(Δ) = 127 - bits_per_block. REQUIRES: ValidateParameters(params).ok().
int DeltaLog2(const LweParameters& params);

// Worst-case |decryption noise| of a fresh compact-list encryption (encryption.h):
// |<e, r>| + |<e1, s>| + |e2| <= n̂·2^B + n̂·2^B + 2^B with binary r and s.
Z128 WorstCaseFreshNoise(const LweParameters& params);

// Structural checks: dimension a power of two in [1, 2^15], 0 <= noise_log2 <= 62,
// 1 <= bits_per_block <= 63, Δ = 2^(127 - bits_per_block), Bd > 0. InvalidArgument naming the
// field otherwise.
[[nodiscard]] absl::Status ValidateParameters(const LweParameters& params);

// The noise budget of threshold decryption by noise flooding for n parties of which t may be
// corrupt (crypto-spec A.2), computed exactly in 128-bit integers:
//   (1) Bd >= WorstCaseFreshNoise(params);
//   (2) Bd + 2·C(n,t)·Bd·2^kStatSec < Δ/2.
// Returns OK when both hold, otherwise InvalidArgument naming the numbers. REQUIRES nothing:
// 1 <= n <= 255 and 0 <= t < n are checked.
[[nodiscard]] absl::Status CheckNoiseBudget(const LweParameters& params, int n, int t);

}  // namespace kms::lwe

#endif  // KMS_LWE_PARAMETERS_H_
