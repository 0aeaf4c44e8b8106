// File: lwe/noise.h
//
// TUniform(B) noise (crypto-spec B §2.9, NIST Fig. 70) and uniform binary vectors, sampled from
// an algebra::RandomSource. TUniform(B) takes values in [-2^B, 2^B]: every value strictly inside
// has probability 2^-(B+1) and each endpoint 2^-(B+2). It is the noise of every LWE sample of
// this layer (public-key body, e1, e2); binary vectors are secret keys and the encryption
// randomness r.
//
// Constant time: no branch or index depends on the sampled values.
//
// Example:
//   std::vector<Z128> e(n);
//   SampleTUniform(params.noise_log2, rng, e);  // two's complement mod 2^128
#ifndef KMS_LWE_NOISE_H_
#define KMS_LWE_NOISE_H_

#include <span>

#include "algebra/base_ring.h"
#include "algebra/random_source.h"

namespace kms::lwe {

using algebra::RandomSource;
using algebra::Z128;

// Largest supported bound exponent: B + 2 random bits must fit 64 bits.
inline constexpr int kMaxNoiseLog2 = 62;

// Fills `out` with independent TUniform(2^noise_log2) samples as Z128 two's complement.
// Uses ceil((B + 2) / 8) random bytes per sample: with u the low B + 2 bits, the B + 1 low bits
// x and the top bit c, e = x + c - 2^B. For a value v in (-2^B, 2^B), the two preimages
// (x, c) = (v + 2^B, 0) and (v + 2^B - 1, 1) give 2·2^-(B+2); each endpoint has one preimage.
// This is the spec's sum b_top - 2^B + Σ_{j=1}^{B+1} b_{top-j}·2^{j-1} with the B + 1 lower
// bits read in the opposite order, which has the same distribution.
// REQUIRES: 0 <= noise_log2 <= kMaxNoiseLog2.
void SampleTUniform(int noise_log2, RandomSource& rng, std::span<Z128> out);
Z128 SampleTUniform(int noise_log2, RandomSource& rng);

// Fills `out` with independent uniform bits (0 or 1), eight per random byte.
void SampleBinary(RandomSource& rng, std::span<Z128> out);

}  // namespace kms::lwe

#endif  // KMS_LWE_NOISE_H_
