// File: tfhe/bootstrap.h
//
// Programmable bootstrapping over the 64-bit torus and the 128-bit bootstrapping of noise
// squashing, as tfhe-rs 1.4.0-alpha.3 computes them (core_crypto fft_impl/fft64 and fft128):
//
//   * modulus switch of the (small) input LWE to 2N: x ↦ ⌊(x + 2^(63−log 2N)) / 2^(64−log 2N)⌋
//     for every mask word and the body (tfhe-rs `modulus_switch`); with CenteredMean the body
//     first gets Σ_i (round(a_i) − a_i)/2 − 2^(64 − log 2N − 1) added (the mean of the
//     mask-rounding error on a binary key and half a post-switch step, tfhe-rs
//     `lwe_ciphertext_centered_binary_modulus_switch`, halving errors summed exactly);
//     DriftTechnique first adds the key's encryption of zero that brings tfhe-rs's switch-noise
//     measure under its bound (or the best one), then switches as Standard;
//   * blind rotation: the accumulator (a trivial GLWE of the lookup table) is multiplied by
//     X^−b̃, then for each i with ã_i ≠ 0, ACC ← ACC + GGSW_i ⊡ (X^ã_i·ACC − ACC) (CMUX);
//   * the external product decomposes each of the k+1 polynomials with SignedDecomposer(β, L)
//     and sums digit polynomial × GGSW row (row j of level ℓ encrypts −s·2^(w−βℓ)·S_j for
//     j < k and s·2^(w−βℓ) for j = k), through the f64 FFT (tfhe/fft.h) at 64 bits and the
//     exact three-prime NTT (tfhe/ntt128.h) at 128 bits;
//   * sample extraction of coefficient 0: LWE mask (A_j[0], −A_j[N−1], …, −A_j[1]) per mask
//     polynomial, body B[0], an LWE under the GLWE key seen as an LWE key (k·N).
//
// Lookup tables (tfhe-rs shortint `fill_accumulator_with_encoding`, core_crypto
// `generate_programmable_bootstrap_glwe_lut`): with p = message·carry cleartexts and box
// N/p, coefficients [i·box, (i+1)·box) hold f(i)·Δ, the first half box is negated and the
// table rotated left by half a box; Δ = 2^63/p (64 bits, one padding bit) or 2^127/p (128).
//
// Keys are converted once: the standard-domain LweBootstrapKey into the Fourier (64) or NTT
// (128) domain. Each bootstrap uses thread-local scratch (no allocation after the first call
// on a thread for a shape). Thread safety: keys are immutable; calls may run concurrently.
#ifndef KMS_TFHE_BOOTSTRAP_H_
#define KMS_TFHE_BOOTSTRAP_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tfhe/mask_regeneration.h"
#include "tfhe/parameters.h"

namespace kms::tfhe {

// tfhe-rs modulus_switch: round(x·2^log / 2^w) mod 2^log. REQUIRES: log < w.
inline uint64_t ModulusSwitch(uint64_t x, size_t log_modulus) {
  return (x + (uint64_t{1} << (63 - log_modulus))) >> (64 - log_modulus);
}

// The switched input of a blind rotation: n mask values and the body, in [0, 2^log).
struct ModulusSwitchedLwe {
  std::vector<uint64_t> mask;
  uint64_t body = 0;
  size_t log_modulus = 0;
};

// The drift technique's key (tfhe-rs ModulusSwitchNoiseReductionKey): encryptions of zero under
// the input key (`count` LWEs of lwe_size words), the bound on the switch-noise measure, the
// r·σ factor and the input variance (relative to 1).
struct DriftTechniqueKey {
  std::vector<uint64_t> zeros;
  uint64_t lwe_size = 0;
  double ms_bound = 0;
  double ms_r_sigma_factor = 0;
  double ms_input_variance = 0;
  size_t count() const { return lwe_size ? zeros.size() / lwe_size : 0; }
};

// tfhe-rs's measure of the switch noise on a binary key: |E| + r·sqrt(V + V_in·2^128), with
// E = err(b) − Σ err(a_i)/2 and V = Σ err(a_i)²/4, err(x) = round_2N(x) − x.
double DriftMeasure(std::span<const uint64_t> mask, uint64_t body, size_t log_modulus,
                    double r_sigma_factor, double input_variance);
// tfhe-rs improve_lwe_ciphertext_modulus_switch_noise_for_binary_key: the index of the zero
// to add (−1 for none): none if the LWE already meets the bound, else the first zero meeting
// it, else the best one (strictly smaller measure).
int ChooseDriftCandidate(std::span<const uint64_t> lwe, const DriftTechniqueKey& key,
                         size_t log_modulus);

// Standard, CenteredMean or DriftTechnique (the chosen zero added, then Standard) switch of an
// LWE (mask then body). InvalidArgument for DriftTechnique without a key of the LWE's size.
absl::Status ModulusSwitchLwe(std::span<const uint64_t> lwe, size_t log_modulus,
                              ModulusSwitchType::Kind kind, ModulusSwitchedLwe& out,
                              const DriftTechniqueKey* drift = nullptr);
// The CenteredMean body correction alone (added to the body before switching).
uint64_t CenteredMeanBodyCorrection(std::span<const uint64_t> mask, size_t log_modulus);

// A lookup table: the body polynomial of the trivial accumulator (the mask is zero), and the
// largest f(i) (tfhe-rs's LookupTable degree).
template <typename Scalar>
struct LookupTable {
  std::vector<Scalar> body;
  uint64_t degree = 0;
};
// Shortint table over p = message·carry cleartexts, Δ = 2^63/p. REQUIRES: p | N.
LookupTable<uint64_t> GenerateLookupTable(size_t polynomial_size, uint64_t message_modulus,
                                          uint64_t carry_modulus,
                                          const std::function<uint64_t(uint64_t)>& f);
// 128-bit table over `cleartext_space` values with the given Δ (noise squashing: 16, 2^123).
LookupTable<unsigned __int128> GenerateLookupTable128(size_t polynomial_size,
                                                      uint64_t cleartext_space,
                                                      unsigned __int128 delta,
                                                      const std::function<uint64_t(uint64_t)>& f);

// The 64-bit bootstrapping key in the Fourier domain: per GGSW, level L…1, row 0…k, column
// 0…k, N/2 complex values (real parts then imaginary parts).
class FourierBootstrapKey64 {
 public:
  // InvalidArgument for an empty or inconsistent key; Unimplemented for a non-native modulus.
  static absl::StatusOr<FourierBootstrapKey64> Create(const LweBootstrapKey<uint64_t>& key);

  size_t input_lwe_dimension() const { return n_; }
  size_t glwe_size() const { return glwe_size_; }
  size_t polynomial_size() const { return N_; }
  size_t base_log() const { return base_log_; }
  size_t level_count() const { return levels_; }
  size_t output_lwe_dimension() const { return (glwe_size_ - 1) * N_; }

  // out (glwe_size·N) += GGSW_i ⊡ in (glwe_size·N).
  void ExternalProductAdd(size_t i, std::span<const uint64_t> in, std::span<uint64_t> out) const;

 private:
  const double* Poly(size_t i, size_t level_index, size_t row, size_t col) const {
    return data_.data() +
           (((i * levels_ + level_index) * glwe_size_ + row) * glwe_size_ + col) * N_;
  }
  size_t n_ = 0, glwe_size_ = 0, N_ = 0, base_log_ = 0, levels_ = 0;
  std::vector<double> data_;  // per polynomial: N/2 real parts then N/2 imaginary parts
};

// The 128-bit bootstrapping key in the NTT domain: per GGSW, level L…1, row 0…k, column 0…k,
// three residue polynomials (Montgomery form).
class NttBootstrapKey128 {
 public:
  static absl::StatusOr<NttBootstrapKey128> Create(const LweBootstrapKey<unsigned __int128>& key);

  size_t input_lwe_dimension() const { return n_; }
  size_t glwe_size() const { return glwe_size_; }
  size_t polynomial_size() const { return N_; }
  size_t base_log() const { return base_log_; }
  size_t level_count() const { return levels_; }
  size_t output_lwe_dimension() const { return (glwe_size_ - 1) * N_; }

  void ExternalProductAdd(size_t i, std::span<const unsigned __int128> in,
                          std::span<unsigned __int128> out) const;

 private:
  const uint64_t* Poly(size_t i, size_t level_index, size_t row, size_t col) const;
  size_t n_ = 0, glwe_size_ = 0, N_ = 0, base_log_ = 0, levels_ = 0;
  std::vector<uint64_t> data_;
};

// acc (glwe_size·N, the accumulator, in/out) blind-rotated by the switched LWE.
// REQUIRES: ms.mask.size() == key.input_lwe_dimension(), ms.log_modulus == log2(2N).
void BlindRotate64(const FourierBootstrapKey64& key, const ModulusSwitchedLwe& ms,
                   std::span<uint64_t> acc);
void BlindRotate128(const NttBootstrapKey128& key, const ModulusSwitchedLwe& ms,
                    std::span<unsigned __int128> acc);

// The LWE (k·N + 1 words) of coefficient 0 of a GLWE (k+1 polynomials of N).
template <typename Scalar>
void SampleExtractCoefficient0(std::span<const Scalar> glwe, size_t polynomial_size,
                               std::span<Scalar> lwe);

// Modulus switch (kind), blind rotation of the table, sample extraction: out = LWE(k·N + 1)
// encrypting f(m) of the input's message. InvalidArgument on a size mismatch.
absl::Status ProgrammableBootstrap64(const FourierBootstrapKey64& key,
                                     ModulusSwitchType::Kind ms_kind,
                                     std::span<const uint64_t> lwe_in,
                                     const LookupTable<uint64_t>& lut, std::span<uint64_t> out,
                                     const DriftTechniqueKey* drift = nullptr);
absl::Status ProgrammableBootstrap128(const NttBootstrapKey128& key,
                                      ModulusSwitchType::Kind ms_kind,
                                      std::span<const uint64_t> lwe_in,
                                      const LookupTable<unsigned __int128>& lut,
                                      std::span<unsigned __int128> out,
                                      const DriftTechniqueKey* drift = nullptr);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_BOOTSTRAP_H_
