#include "mpc/preprocessing.h"

#include <algorithm>
#include <map>
#include <string>

#include "algebra/error_correction.h"
#include "common/status_macros.h"
#include "crypto/secure_zero.h"
#include "mpc/broadcast.h"
#include "mpc/robust_open.h"
#include "mpc/wire.h"

namespace kms::mpc {
namespace {

using algebra::IndexedShare;
using algebra::Z128;

// The PRF values behind triple k of a batch (x, y, v at PRSS counters, z at a PRZS counter).
struct TripleCounters {
  uint64_t x, y, v, z;
};

// ==== Check (B §2.5 prss_check / przs_check), on the unhappy path ====
// Publishes my PRF values behind one triple, takes the majority per set, puts every party that
// voted otherwise or whose broadcast d disagrees with the recomputed share into the corrupt set.
absl::Status CheckTriple(Session& s, const PrssState<Share>& prss, const TripleCounters& ctr,
                         const std::map<Role, std::vector<Share>>& d, size_t index) {
  const int n = s.n(), t = s.t();
  const size_t per_set = 3 + static_cast<size_t>(t);
  auto my_values = [&] {
    std::vector<Share> out;
    auto px = prss.PsiValues(ctr.x), py = prss.PsiValues(ctr.y), pv = prss.PsiValues(ctr.v);
    auto cz = prss.ChiValues(ctr.z);
    for (size_t a = 0; a < px.size(); ++a) {
      out.push_back(px[a]);
      out.push_back(py[a]);
      out.push_back(pv[a]);
      for (int j = 0; j < t; ++j) out.push_back(cz[a * t + j]);
    }
    return out;
  }();
  KMS_ASSIGN_OR_RETURN(auto all, BroadcastFromAll(s, *EncodeShares<Share>(my_values)));

  const auto sets = PrssSets(n, t);
  // votes[a][encoded values] = voters
  std::vector<std::map<std::string, std::vector<Role>>> votes(sets.size());
  for (auto& [sender, value] : all) {
    if (!value) continue;
    size_t member_of = 0;
    for (const auto& set : sets) member_of += std::binary_search(set.begin(), set.end(), sender);
    auto vals = DecodeShares<Share>(*value, member_of * per_set);
    if (!vals.ok()) {
      s.MarkCorrupt(sender, "PRSS check: malformed values");
      continue;
    }
    size_t next = 0;
    for (size_t a = 0; a < sets.size(); ++a) {
      if (!std::binary_search(sets[a].begin(), sets[a].end(), sender)) continue;
      std::span<const Share> mine(vals->data() + next * per_set, per_set);
      votes[a][PackRing<Share>(mine)].push_back(sender);
      ++next;
    }
  }
  std::vector<Share> psi_x(sets.size()), psi_y(sets.size()), psi_v(sets.size());
  std::vector<Share> chi(sets.size() * t);
  for (size_t a = 0; a < sets.size(); ++a) {
    const std::string* winner = nullptr;
    size_t best = 0;
    for (const auto& [encoded, voters] : votes[a])
      if (voters.size() > best) best = voters.size(), winner = &encoded;
    if (winner == nullptr || static_cast<int>(best) <= t)
      return absl::AbortedError("PRSS check: no value for set " + std::to_string(a) +
                                " has more than t votes");
    for (const auto& [encoded, voters] : votes[a])
      if (&encoded != winner)
        for (Role r : voters) s.MarkCorrupt(r, "PRSS check: wrong PRF value");
    auto v = UnpackRing<Share>(*winner, per_set);
    if (!v.ok()) return v.status();
    psi_x[a] = (*v)[0];
    psi_y[a] = (*v)[1];
    psi_v[a] = (*v)[2];
    for (int j = 0; j < t; ++j) chi[a * t + j] = (*v)[3 + j];
  }
  for (const auto& [p, dp] : d) {
    Share expected = PrssState<Share>::ShareFromPsi(n, t, p, psi_x) *
                         PrssState<Share>::ShareFromPsi(n, t, p, psi_y) +
                     PrssState<Share>::ShareFromPsi(n, t, p, psi_v) +
                     PrssState<Share>::ShareFromChi(n, t, p, chi);
    if (!(expected == dp[index])) s.MarkCorrupt(p, "triple check: broadcast d_i is wrong");
  }
  return absl::OkStatus();
}

// d at degree 2t from the non-corrupt senders, accepted only when all of them lie on one
// polynomial of degree 2t; nullopt otherwise (then the check path finds the cheaters).
// Departure from the reference (crypto-spec B §2.7), which corrects up to (m - 2t - 1) / 2 errors:
// for t >= 2 the corrupt parties can then move d onto another codeword unseen (their errors
// agree with a degree-2t polynomial that differs from the true one at only one honest share).
// Detection has no such gap: the >= 2t + 1 honest shares fix the polynomial, and every other
// share must agree with it.
std::optional<Share> DecodeD(const Session& s, const std::map<Role, std::vector<Share>>& d,
                             size_t index) {
  std::vector<IndexedShare<Share>> shares;
  for (const auto& [p, dp] : d)
    if (!s.IsCorrupt(p)) shares.push_back({p, dp[index]});
  const int degree = 2 * s.t();
  if (static_cast<int>(shares.size()) < degree + 1) return std::nullopt;
  auto poly = algebra::ErrorCorrect<Z128, 4>(shares, degree, /*max_errors=*/0, s.n());
  if (!poly.ok()) return std::nullopt;
  return poly.value().coef(0);
}

absl::StatusOr<Triples> TripleBatch(Session& s, PrssState<Share>& prss, size_t m) {
  const uint64_t cx = prss.prss_counter(), cz = prss.przs_counter();
  std::vector<Share> x = prss.NextRandom(m), y = prss.NextRandom(m), v = prss.NextRandom(m);
  std::vector<Share> z = prss.NextZero(m);
  std::vector<Share> mine(m);
  for (size_t k = 0; k < m; ++k) mine[k] = x[k] * y[k] + v[k] + z[k];
  crypto::SecureZero(z.data(), z.size() * sizeof(Share));

  // ==== broadcast d_i ====
  KMS_ASSIGN_OR_RETURN(auto all, BroadcastFromAll(s, *EncodeShares<Share>(mine)));
  std::map<Role, std::vector<Share>> d;
  for (auto& [sender, value] : all) {
    if (!value) continue;
    auto dv = DecodeShares<Share>(*value, m);
    if (!dv.ok()) {
      s.MarkCorrupt(sender, "triples: malformed d vector");
      continue;
    }
    d[sender] = std::move(dv).value();
  }

  // ==== decode; on the first failure check that triple and exclude the cheaters found ====
  // Indices are decoded in order, so every honest party checks the same triples. Each check
  // catches at least one cheater (some d_i is off the honest parties' polynomial, and the check
  // recomputes every d_i from PRF values that honest majorities vouch for), hence at most t
  // checks per batch.
  std::vector<std::optional<Share>> decoded(m);
  std::vector<bool> burned(m, false);
  for (size_t k = 0; k < m; ++k) {
    decoded[k] = DecodeD(s, d, k);
    if (decoded[k]) continue;
    const size_t corrupt_before = s.corrupt().size();
    KMS_RETURN_IF_ERROR(CheckTriple(s, prss, {cx + k, cx + m + k, cx + 2 * m + k, cz + k}, d, k));
    burned[k] = true;  // its PRF values are public now
    if (s.corrupt().size() == corrupt_before) {
      // Nobody caught: give up on this batch rather than loop; the caller makes new triples.
      for (size_t j = k + 1; j < m; ++j) burned[j] = true;
      break;
    }
  }
  Triples out;
  for (size_t k = 0; k < m; ++k) {
    if (burned[k] || !decoded[k]) continue;
    out.a.push_back(x[k]);
    out.b.push_back(y[k]);
    out.c.push_back(*decoded[k] - v[k]);
  }
  crypto::SecureZero(v.data(), v.size() * sizeof(Share));
  return out;
}

}  // namespace

absl::StatusOr<Triples> GenerateTriples(Session& session, PrssState<Share>& prss, size_t count) {
  Triples out;
  int fruitless = 0;
  while (out.size() < count) {
    const size_t m = std::min(count - out.size(), kTripleBatch);
    KMS_ASSIGN_OR_RETURN(Triples batch, TripleBatch(session, prss, m));
    fruitless = batch.size() == 0 ? fruitless + 1 : 0;
    if (fruitless > session.t() + 1)
      return absl::AbortedError("triple generation makes no progress: more than t parties cheat");
    for (size_t k = 0; k < batch.size(); ++k) {
      out.a.push_back(batch.a[k]);
      out.b.push_back(batch.b[k]);
      out.c.push_back(batch.c[k]);
    }
  }
  return out;
}

absl::StatusOr<std::vector<Share>> Mult(Session& session, std::span<const Share> x,
                                        std::span<const Share> y, const Triples& triples) {
  const size_t m = x.size();
  if (y.size() != m || triples.size() < m)
    return absl::InvalidArgumentError("Mult: " + std::to_string(m) + " products, " +
                                      std::to_string(y.size()) + " right factors, " +
                                      std::to_string(triples.size()) + " triples");
  // ==== open epsilon = x + a and rho = y + b ====
  std::vector<Share> masked(2 * m);
  for (size_t k = 0; k < m; ++k) {
    masked[k] = x[k] + triples.a[k];
    masked[m + k] = y[k] + triples.b[k];
  }
  KMS_ASSIGN_OR_RETURN(auto opened, RobustOpen<Share>(session, masked, session.t()));
  std::vector<Share> out(m);
  for (size_t k = 0; k < m; ++k)
    out[k] = y[k] * opened[k] - triples.a[k] * opened[m + k] + triples.c[k];
  return out;
}

absl::StatusOr<std::vector<Share>> GenerateBits(Session& session, PrssState<Share>& prss,
                                                size_t count) {
  std::vector<Share> a = prss.NextRandom(count);
  KMS_ASSIGN_OR_RETURN(Triples triples, GenerateTriples(session, prss, count));
  KMS_ASSIGN_OR_RETURN(auto squares, Mult(session, a, a, triples));
  std::vector<Share> v(count);
  for (size_t k = 0; k < count; ++k) v[k] = squares[k] + a[k];
  KMS_ASSIGN_OR_RETURN(auto opened, RobustOpen<Share>(session, v, session.t()));
  std::vector<Share> bits(count);
  for (size_t k = 0; k < count; ++k) {
    auto r = algebra::Solve(opened[k]);
    if (!r) return absl::AbortedError("GenBits: opened value has no square root");
    const Share d = -(Share::One() + Share::FromScalar(2) * *r);
    auto d_inv = d.Invert();
    if (!d_inv) return absl::InternalError("GenBits: 1 + 2r is not a unit");
    bits[k] = (a[k] - *r) * *d_inv;
  }
  crypto::SecureZero(a.data(), a.size() * sizeof(Share));
  return bits;
}

std::vector<Share> TUniformFromBits(std::span<const Share> bits, int log_bound) {
  const size_t per = static_cast<size_t>(log_bound) + 2;
  std::vector<Share> out;
  out.reserve(bits.size() / per);
  const Share offset = Share::FromScalar(Z128(0) - (Z128(1) << log_bound));
  for (size_t i = 0; i + per <= bits.size(); i += per) {
    Share e = offset;
    for (int j = 0; j <= log_bound; ++j) e += bits[i + j] * (Z128(1) << j);
    e += bits[i + per - 1];
    out.push_back(e);
  }
  return out;
}

absl::StatusOr<Preprocessed> Preprocess(Session& session, PrssState<Share>& prss, size_t num_bits,
                                        size_t num_randoms, size_t batch,
                                        const std::function<void(size_t)>& progress) {
  Preprocessed out;
  out.bits.reserve(num_bits);
  while (out.bits.size() < num_bits) {
    const size_t m = std::min(batch, num_bits - out.bits.size());
    KMS_ASSIGN_OR_RETURN(auto bits, GenerateBits(session, prss, m));
    out.bits.insert(out.bits.end(), bits.begin(), bits.end());
    if (progress) progress(out.bits.size());
  }
  out.randoms = prss.NextRandom(num_randoms);
  return out;
}

const char* MaterialKindName(MaterialKind kind) {
  switch (kind) {
    case MaterialKind::kBits:
      return "bits";
    case MaterialKind::kTriples:
      return "triples";
    case MaterialKind::kRandoms:
      return "randoms";
  }
  return "unknown";
}

absl::StatusOr<MaterialChunk> PreprocessChunk(Session& session, PrssState<Share>& prss,
                                              MaterialKind kind, size_t count) {
  MaterialChunk chunk;
  chunk.kind = kind;
  switch (kind) {
    case MaterialKind::kBits: {
      KMS_ASSIGN_OR_RETURN(chunk.shares, GenerateBits(session, prss, count));
      break;
    }
    case MaterialKind::kTriples: {
      KMS_ASSIGN_OR_RETURN(chunk.triples, GenerateTriples(session, prss, count));
      break;
    }
    case MaterialKind::kRandoms:
      chunk.shares = prss.NextRandom(count);
      break;
  }
  return chunk;
}

}  // namespace kms::mpc
