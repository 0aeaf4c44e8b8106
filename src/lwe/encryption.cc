#include "lwe/encryption.h"

#include <cassert>

#include "absl/strings/str_cat.h"
#include "crypto/secure_zero.h"
#include "lwe/noise.h"

namespace kms::lwe {

absl::StatusOr<CompactCiphertextList> EncryptCompactList(const CompactPublicKey& key,
                                                         std::span<const uint64_t> blocks,
                                                         algebra::RandomSource& rng) {
  if (absl::Status s = ValidateCompactPublicKey(key, /*check_mask_seed=*/false); !s.ok()) return s;
  const LweParameters& params = *key.params;
  const size_t n = static_cast<size_t>(params.lwe_dimension);
  if (blocks.empty()) return absl::InvalidArgumentError("blocks: the list is empty");
  if (blocks.size() > n)
    return absl::InvalidArgumentError(absl::StrCat("blocks: ", blocks.size(),
                                                   " blocks exceed the list capacity ", n,
                                                   " of parameter set '", params.name, "'"));
  const uint64_t limit = uint64_t{1} << params.bits_per_block;
  for (size_t j = 0; j < blocks.size(); ++j)
    if (blocks[j] >= limit)
      return absl::InvalidArgumentError(
          absl::StrCat("blocks[", j, "]: value does not fit ", params.bits_per_block, " bits"));

  std::vector<Z128> r(n), e1(n), e2(blocks.size());
  SampleBinary(rng, r);
  SampleTUniform(params.noise_log2, rng, e1);
  SampleTUniform(params.noise_log2, rng, e2);

  CompactCiphertextList list;
  list.params = &params;
  list.mask = NegacyclicReverseProductBinary(key.mask, r, n);
  for (size_t i = 0; i < n; ++i) list.mask[i] += e1[i];
  list.bodies = NegacyclicReverseProductBinary(key.body, r, blocks.size());
  for (size_t j = 0; j < blocks.size(); ++j)
    list.bodies[j] += e2[j] + params.delta * static_cast<Z128>(blocks[j]);

  crypto::SecureZero(r);
  crypto::SecureZero(e1);
  crypto::SecureZero(e2);
  return list;
}

absl::Status ValidateCompactCiphertextList(const CompactCiphertextList& list) {
  if (list.params == nullptr) return absl::InvalidArgumentError("ciphertext.params: not set");
  if (absl::Status s = ValidateParameters(*list.params); !s.ok()) return s;
  const size_t n = static_cast<size_t>(list.params->lwe_dimension);
  if (list.mask.size() != n)
    return absl::InvalidArgumentError(
        absl::StrCat("ciphertext.mask: expected ", n, " coefficients, got ", list.mask.size()));
  if (list.bodies.empty() || list.bodies.size() > n)
    return absl::InvalidArgumentError(
        absl::StrCat("ciphertext.bodies: expected 1 to ", n, " bodies, got ", list.bodies.size()));
  return absl::OkStatus();
}

LweCiphertext ExpandBlock(const CompactCiphertextList& list, size_t j) {
  const size_t n = list.mask.size();
  assert(j < list.bodies.size() && j < n);
  // Outside the precondition, an empty ciphertext rather than an out-of-bounds write.
  if (j >= list.bodies.size() || j >= n) return LweCiphertext{};
  LweCiphertext ct;
  ct.a.resize(n);
  const size_t split = n - 1 - j;  // a[x] = -M[x + j + 1] for x < split
  const Z128* m = list.mask.data();
  for (size_t x = 0; x < split; ++x) ct.a[x] = Z128{0} - m[x + j + 1];
  for (size_t x = split; x < n; ++x) ct.a[x] = m[x - split];
  ct.b = list.bodies[j];
  return ct;
}

std::vector<LweCiphertext> ExpandAll(const CompactCiphertextList& list) {
  const size_t n = list.mask.size();
  const std::vector<Z128> u = internal::NegacyclicExtension(list.mask);
  std::vector<LweCiphertext> out(list.bodies.size());
  for (size_t j = 0; j < out.size(); ++j) {
    out[j].a.assign(u.begin() + static_cast<ptrdiff_t>(j + 1),
                    u.begin() + static_cast<ptrdiff_t>(j + 1 + n));
    out[j].b = list.bodies[j];
  }
  return out;
}

Z128 DecryptPhase(const SecretKey& key, const LweCiphertext& ct) {
  assert(ct.a.size() == key.bits().size());
  const std::span<const Z128> s = key.bits();
  const size_t n = std::min(ct.a.size(), s.size());
  Z128 dot = 0;
  for (size_t x = 0; x < n; ++x) dot += ct.a[x] & (Z128{0} - s[x]);
  return ct.b - dot;
}

Z128 DecryptBlockPhase(const SecretKey& key, const CompactCiphertextList& list, size_t j) {
  const std::span<const Z128> s = key.bits();
  const size_t n = list.mask.size();
  assert(s.size() == n && j < list.bodies.size() && j < n);
  if (s.size() != n || j >= list.bodies.size() || j >= n) return 0;  // outside the precondition
  // <a_j, s> = Σ_{x >= split} M[x - split]·s_x - Σ_{x < split} M[x + j + 1]·s_x.
  const size_t split = n - 1 - j;
  const Z128* m = list.mask.data();
  Z128 positive = 0, negative = 0;
  for (size_t x = 0; x < split; ++x) negative += m[x + j + 1] & (Z128{0} - s[x]);
  for (size_t x = split; x < n; ++x) positive += m[x - split] & (Z128{0} - s[x]);
  return list.bodies[j] - (positive - negative);
}

uint64_t DecodeBlock(Z128 phase, const LweParameters& params) {
  const int shift = DeltaLog2(params);
  const Z128 rounded = (phase + (params.delta >> 1)) >> shift;
  return static_cast<uint64_t>(rounded & ((Z128{1} << params.bits_per_block) - 1));
}

uint64_t DecryptBlock(const SecretKey& key, const CompactCiphertextList& list, size_t j) {
  return DecodeBlock(DecryptBlockPhase(key, list, j), key.params());
}

__int128 BlockNoise(Z128 phase, uint64_t m, const LweParameters& params) {
  return static_cast<__int128>(phase - params.delta * static_cast<Z128>(m));
}

}  // namespace kms::lwe
