// File: mpc/preprocessing.h
//
// The offline phase of the nSmall profile (crypto-spec B §2.7, §2.9) over GR(2^128, F4), and the
// online primitives built on it:
//  - GenerateTriples: Beaver triples from PRSS/PRZS and one broadcast per batch. d_i = x_i y_i +
//    v_i + z_i is broadcast and decoded at degree 2t; where decoding fails, the PRSS/PRZS values
//    behind that triple are published (a check), every party whose d_i disagrees joins the corrupt
//    set, the checked triple is discarded and the rest are decoded again without the cheaters.
//  - Mult: Beaver multiplication, one robust open.
//  - GenerateBits: random shared bits b in {0, 1} (B §2.9 GenBits): a random, v = a^2 + a opened,
//    r = Solve(v), b = (a - r) / (-(1 + 2r)).
//  - TUniformFromBits: TUniform(B) noise from B + 2 bits, locally.
//  - Preprocess: bits and random sharings for key generation, in batches, on one synchronous
//    session (the caller runs several sessions in parallel and concatenates, see dkg.h).
#ifndef KMS_MPC_PREPROCESSING_H_
#define KMS_MPC_PREPROCESSING_H_

#include <cstddef>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "algebra/galois_ring.h"
#include "crypto/secure_zero.h"
#include "mpc/prss.h"
#include "mpc/session.h"

namespace kms::mpc {

using Share = algebra::Gr128;

struct Triples {
  std::vector<Share> a, b, c;  // c = a * b
  size_t size() const { return a.size(); }
};

// Default batch sizes (B §2.7 uses 10,000 for triples and bits).
inline constexpr size_t kTripleBatch = 10000;

// `count` triples on a synchronous session.
absl::StatusOr<Triples> GenerateTriples(Session& session, PrssState<Share>& prss, size_t count);

// Shares of x[k] * y[k], consuming the first x.size() triples. One round.
absl::StatusOr<std::vector<Share>> Mult(Session& session, std::span<const Share> x,
                                        std::span<const Share> y, const Triples& triples);

// `count` random bits (as ring scalars 0/1), using PRSS randoms and fresh triples. Three rounds
// per batch plus one broadcast.
absl::StatusOr<std::vector<Share>> GenerateBits(Session& session, PrssState<Share>& prss,
                                                size_t count);

// TUniform(2^log_bound) shares from bits: bits.size() must be a multiple of log_bound + 2;
// returns bits.size() / (log_bound + 2) values e = sum_{j<=B} b_j 2^j + b_{B+1} - 2^B.
std::vector<Share> TUniformFromBits(std::span<const Share> bits, int log_bound);

// Material for key generation: shared random bits and random sharings.
// Secret shares: zeroed when released.
struct Preprocessed {
  Preprocessed() = default;
  Preprocessed(const Preprocessed&) = default;
  Preprocessed(Preprocessed&&) = default;
  Preprocessed& operator=(const Preprocessed&) = default;
  Preprocessed& operator=(Preprocessed&&) = default;
  ~Preprocessed() {
    crypto::SecureZero(bits);
    crypto::SecureZero(randoms);
  }

  std::vector<Share> bits;
  std::vector<Share> randoms;
};

// Produces `num_bits` bits and `num_randoms` randoms on one synchronous session, in batches of
// at most `batch` bits, all in memory (tests, benchmarks). `progress(done_bits)` is called after
// each batch (may be empty). The service streams instead, one PreprocessChunk at a time.
absl::StatusOr<Preprocessed> Preprocess(Session& session, PrssState<Share>& prss, size_t num_bits,
                                        size_t num_randoms, size_t batch,
                                        const std::function<void(size_t)>& progress);

// The kinds of preprocessed material key generation consumes.
enum class MaterialKind : uint8_t { kBits = 0, kTriples = 1, kRandoms = 2 };
const char* MaterialKindName(MaterialKind kind);  // "bits", "triples", "randoms"

// One chunk of material of one kind (the unit the service streams to its private vault).
// Secret shares: zeroed when released.
struct MaterialChunk {
  MaterialChunk() = default;
  MaterialChunk(const MaterialChunk&) = delete;
  MaterialChunk& operator=(const MaterialChunk&) = delete;
  MaterialChunk(MaterialChunk&&) = default;
  MaterialChunk& operator=(MaterialChunk&&) = default;
  ~MaterialChunk() { Wipe(); }
  void Wipe() {
    crypto::SecureZero(shares);
    crypto::SecureZero(triples.a);
    crypto::SecureZero(triples.b);
    crypto::SecureZero(triples.c);
  }
  size_t size() const { return kind == MaterialKind::kTriples ? triples.size() : shares.size(); }

  MaterialKind kind = MaterialKind::kBits;
  std::vector<Share> shares;  // bits or randoms
  Triples triples;            // triples
};

// `count` items of `kind` on `session`: GenerateBits, GenerateTriples, or PRSS randoms (no
// communication). The session must be synchronous.
absl::StatusOr<MaterialChunk> PreprocessChunk(Session& session, PrssState<Share>& prss,
                                              MaterialKind kind, size_t count);

}  // namespace kms::mpc

#endif  // KMS_MPC_PREPROCESSING_H_
