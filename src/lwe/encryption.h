// File: lwe/encryption.h
//
// Compact-list public-key encryption under the CPK (crypto-spec A.2), its expansion into
// per-block LWE ciphertexts, and decryption with the secret key (centralized mode and tests).
//
// Encryption of blocks m_0..m_{L-1} (L <= n̂, m_j < 2^bits_per_block) with one CPK use: sample a
// binary r ∈ {0,1}^n̂, e1 (n̂ TUniform samples) and e2 (L samples), and set
//   mask  M   = a ⊛ rev(r) + e1                      (n̂ coefficients, shared by all blocks)
//   body_j    = (b ⊛ rev(r))_j + e2_j + Δ·m_j          (one per block)
// (⊛ rev is NegacyclicReverseProduct; since r is uniform, rev(r) is just as uniform, so this is
// the A.2 scheme "mask = a ⊛ r' + e1, body = b ⊛ r' + ..." with r' = rev(r) as the polynomial.)
//
// Why it decrypts. Write A, B, S, R for the polynomials of a, b, s, rev(r) and S' for rev(s), so
// B = A·S' + E. Then
//   body_j - (M·S')_j = (A·S'·R + E·R)_j + e2_j + Δ·m_j - (A·R·S' + E1·S')_j
//                     = Δ·m_j + (E·R)_j - (E1·S')_j + e2_j,
// and (M·S')_j = (M ⊛ rev(s))_j = <U_M[j+1 .. j+n̂], s> (compact_public_key.h), so block j is the
// LWE ciphertext (a_j = U_M[j+1 .. j+n̂], body_j): ExpandBlock. With binary r and s the noise is
// at most n̂·2^B + n̂·2^B + 2^B = WorstCaseFreshNoise(params) <= Bd.
//
// Threshold decryption computes body_j - Σ_x a_j[x]·[s_x] on shares of s, which is why expansion
// must produce exactly this a_j. Decoding (A.2): m = ((c + Δ/2) >> log2 Δ) mod 2^bits_per_block;
// with wrapping arithmetic a slightly negative phase (m = 0, negative noise) rounds to 0, which is
// the negative-noise wrap of B §2.11 step 5.
//
// The layout of the list is this project's own (not tfhe-rs's serialized form).
#ifndef KMS_LWE_ENCRYPTION_H_
#define KMS_LWE_ENCRYPTION_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "lwe/compact_public_key.h"
#include "lwe/parameters.h"
#include "lwe/secret_key.h"

namespace kms::lwe {

struct CompactCiphertextList {
  const LweParameters* params = nullptr;  // one of the static parameter sets
  std::vector<Z128> mask;                 // n̂ coefficients
  std::vector<Z128> bodies;               // one per block, 1 <= count <= n̂
};

// One LWE ciphertext under s: b - <a, s> = Δ·m + small noise.
struct LweCiphertext {
  std::vector<Z128> a;
  Z128 b = 0;
};

// Encrypts `blocks` (each < 2^bits_per_block, 1 <= count <= n̂) in one list. InvalidArgument for
// an invalid key, an empty or too long list, or a block out of range (naming its index). The
// encryption randomness r, e1 and e2 is zeroed after use.
absl::StatusOr<CompactCiphertextList> EncryptCompactList(const CompactPublicKey& key,
                                                         std::span<const uint64_t> blocks,
                                                         algebra::RandomSource& rng);

// Structural check: params set and valid, mask of n̂ coefficients, 1..n̂ bodies. InvalidArgument
// naming the field ("ciphertext.mask: ...").
[[nodiscard]] absl::Status ValidateCompactCiphertextList(const CompactCiphertextList& list);

// The LWE ciphertext of block j: a[x] = -M[x + j + 1] for x < n̂ - 1 - j, M[x + j + 1 - n̂]
// otherwise; b = body_j. O(n̂). REQUIRES: ValidateCompactCiphertextList(list).ok() (parsed and
// freshly encrypted lists satisfy it) and j < list.bodies.size(); outside it, debug builds
// assert and release builds return an empty ciphertext.
LweCiphertext ExpandBlock(const CompactCiphertextList& list, size_t j);
// Every block, in order. O(n̂ · count) time and memory (256 MB for 4096 blocks of n̂ = 4096).
std::vector<LweCiphertext> ExpandAll(const CompactCiphertextList& list);

// b - <a, s> (mod 2^128), constant time in s. REQUIRES: ct.a.size() == key.dimension().
Z128 DecryptPhase(const SecretKey& key, const LweCiphertext& ct);
// The phase of block j without materialising its ciphertext. Same REQUIRES as ExpandBlock, and
// the list's dimension equals the key's (outside it: assert, or 0 in release builds).
Z128 DecryptBlockPhase(const SecretKey& key, const CompactCiphertextList& list, size_t j);

// m = ((phase + Δ/2) >> log2 Δ) mod 2^bits_per_block. REQUIRES: ValidateParameters(params).ok().
uint64_t DecodeBlock(Z128 phase, const LweParameters& params);
// DecodeBlock(DecryptBlockPhase(key, list, j), key.params()).
uint64_t DecryptBlock(const SecretKey& key, const CompactCiphertextList& list, size_t j);

// The noise phase - Δ·m as a signed value (tests and noise measurements).
__int128 BlockNoise(Z128 phase, uint64_t m, const LweParameters& params);

}  // namespace kms::lwe

#endif  // KMS_LWE_ENCRYPTION_H_
