#include "mpc/prss.h"

#include <algorithm>

#include "algebra/shamir.h"
#include "algebra/vandermonde.h"
#include "common/status_macros.h"
#include "crypto/hash.h"
#include "crypto/secure_zero.h"
#include "mpc/robust_open.h"
#include "mpc/vss.h"
#include "proto/mpc.pb.h"

namespace kms::mpc {

using algebra::PartyPoint;
using algebra::Z128;

uint64_t BinomialCoefficient(int n, int k) {
  if (k < 0 || k > n) return 0;
  uint64_t r = 1;
  for (int i = 1; i <= k; ++i) r = r * static_cast<uint64_t>(n - k + i) / static_cast<uint64_t>(i);
  return r;
}

std::vector<std::vector<Role>> PrssSets(int n, int t) {
  const int size = n - t;
  std::vector<std::vector<Role>> out;
  std::vector<Role> comb(size);
  for (int i = 0; i < size; ++i) comb[i] = i + 1;
  while (true) {
    out.push_back(comb);
    int i = size - 1;
    while (i >= 0 && comb[i] == n - size + i + 1) --i;
    if (i < 0) break;
    ++comb[i];
    for (int j = i + 1; j < size; ++j) comb[j] = comb[j - 1] + 1;
  }
  return out;
}

template <typename R>
R PrssSetPolynomialAt(int n, const std::vector<Role>& members, Role p) {
  R num = R::One(), den = R::One();
  const R x = PartyPoint<R>(p);
  for (Role q = 1; q <= n; ++q) {
    if (std::binary_search(members.begin(), members.end(), q)) continue;
    num *= x - PartyPoint<R>(q);
    den *= R::Zero() - PartyPoint<R>(q);
  }
  return num * algebra::InverseOf(den);
}

// ---- PrssSetup ----

PrssSetup::PrssSetup(int n, int t, Role my_role, std::vector<SetKey> sets)
    : n_(n), t_(t), my_role_(my_role), sets_(std::move(sets)) {
  using R = algebra::Gr128;
  auto w = std::make_shared<Weights>();
  const R alpha = PartyPoint<R>(my_role);
  const auto all_sets = PrssSets(n, t);
  for (const auto& s : sets_) {
    const R f = PrssSetPolynomialAt<R>(n, s.members, my_role);
    w->f_at_me.push_back(f);
    std::vector<R> chi;
    R power = alpha;
    for (int j = 1; j <= t; ++j) {
      chi.push_back(power * f);
      power *= alpha;
    }
    w->chi_weights.push_back(std::move(chi));
    w->global_index.push_back(static_cast<size_t>(
        std::find(all_sets.begin(), all_sets.end(), s.members) - all_sets.begin()));
  }
  weights_ = std::move(w);
  auto ciphers = std::make_shared<std::vector<crypto::Aes128>>(sets_.size());
  for (size_t a = 0; a < sets_.size(); ++a) (*ciphers)[a].SetKey(sets_[a].key);
  set_ciphers_ = std::move(ciphers);
}

PrssSetup::~PrssSetup() {
  for (auto& s : sets_) crypto::SecureZero(s.key.data(), s.key.size());
}

std::string PrssSetup::Serialize() const {
  kms::mpc::v1::PrssSetupRecord rec;
  rec.set_format_version(1);
  rec.set_num_parties(static_cast<uint32_t>(n_));
  rec.set_threshold(static_cast<uint32_t>(t_));
  rec.set_my_role(static_cast<uint32_t>(my_role_));
  rec.set_ring_bits(128);
  for (const auto& s : sets_) {
    auto* e = rec.add_sets();
    for (Role r : s.members) e->add_members(static_cast<uint32_t>(r));
    e->set_key(std::string(reinterpret_cast<const char*>(s.key.data()), s.key.size()));
  }
  std::string out = rec.SerializeAsString();
  for (auto& e : *rec.mutable_sets()) crypto::SecureZero(e.mutable_key()->data(), e.key().size());
  return out;
}

absl::StatusOr<PrssSetup> PrssSetup::Parse(const std::string& bytes) {
  kms::mpc::v1::PrssSetupRecord rec;
  if (!rec.ParseFromString(bytes)) return absl::DataLossError("PRSS setup: not a PrssSetupRecord");
  auto wipe = [&rec] {
    for (auto& e : *rec.mutable_sets()) crypto::SecureZero(e.mutable_key()->data(), e.key().size());
  };
  if (rec.format_version() != 1)
    return absl::DataLossError("PRSS setup: unknown format_version " +
                               std::to_string(rec.format_version()));
  const int n = static_cast<int>(rec.num_parties()), t = static_cast<int>(rec.threshold());
  const Role me = static_cast<Role>(rec.my_role());
  if (n < 1 || n > algebra::Gr128::kMaxParties || t < 0 || 3 * t >= n || me < 1 || me > n) {
    wipe();
    return absl::DataLossError("PRSS setup: invalid n=" + std::to_string(n) +
                               ", t=" + std::to_string(t) + ", role=" + std::to_string(me));
  }
  std::vector<std::vector<Role>> expected;
  for (auto& set : PrssSets(n, t))
    if (std::binary_search(set.begin(), set.end(), me)) expected.push_back(set);
  if (static_cast<size_t>(rec.sets_size()) != expected.size()) {
    wipe();
    return absl::DataLossError("PRSS setup: " + std::to_string(rec.sets_size()) +
                               " sets, expected " + std::to_string(expected.size()));
  }
  std::vector<SetKey> sets;
  for (int i = 0; i < rec.sets_size(); ++i) {
    const auto& e = rec.sets(i);
    std::vector<Role> members(e.members().begin(), e.members().end());
    if (members != expected[i] || e.key().size() != 16) {
      wipe();
      return absl::DataLossError("PRSS setup: set " + std::to_string(i) + " is malformed");
    }
    SetKey k{std::move(members), {}};
    std::copy(e.key().begin(), e.key().end(), k.key.begin());
    sets.push_back(std::move(k));
  }
  wipe();
  return PrssSetup(n, t, me, std::move(sets));
}

// ---- robust init ----

absl::StatusOr<PrssSetup> PrssInit(Session& session) {
  using R = algebra::Gr128;
  const int n = session.n(), t = session.t();
  const uint64_t num_sets = BinomialCoefficient(n, t);
  if (num_sets > kMaxPrssSets)
    return absl::FailedPreconditionError("PRSS: C(" + std::to_string(n) + ", " + std::to_string(t) +
                                         ") = " + std::to_string(num_sets) +
                                         " sets exceed the limit of " +
                                         std::to_string(kMaxPrssSets));
  // Steps 1-3: every party VSS-shares random elements; Vandermonde extraction over the accepted
  // dealers turns each batch into random values. The adversary knows the inputs of the rejected
  // dealers (zero: an honest dealer may be among them) and, in the worst case, of t accepted ones,
  // so a batch yields only (accepted - t) values; the reference's n - t would hand it the values
  // of the honest sets whenever a dealer is rejected. Rejections shrink the width, and further
  // VSS runs make up the difference.
  std::vector<R> extracted;
  while (extracted.size() < num_sets) {
    const int accepted_before = n - static_cast<int>(session.corrupt().size());
    if (accepted_before - t < 1)
      return absl::AbortedError("PRSS init: too many dealers rejected to extract randomness");
    const size_t missing = num_sets - extracted.size();
    const size_t batches = (missing + accepted_before - t - 1) / (accepted_before - t);
    std::vector<R> secrets;
    for (size_t i = 0; i < batches; ++i) secrets.push_back(R::Random(session.rng()));
    KMS_ASSIGN_OR_RETURN(auto shares, Vss<R>(session, secrets));
    crypto::SecureZero(secrets.data(), secrets.size() * sizeof(R));
    std::vector<int> accepted;
    for (Role k = 1; k <= n; ++k)
      if (!session.IsCorrupt(k)) accepted.push_back(k);
    const int width = static_cast<int>(accepted.size()) - t;
    if (width < 1)
      return absl::AbortedError("PRSS init: too many dealers rejected to extract randomness");
    for (size_t b = 0; b < batches && extracted.size() < num_sets; ++b) {
      std::vector<R> column;
      for (Role k : accepted) column.push_back(shares[k - 1][b]);
      for (const R& v : algebra::VandermondeExtract<R>(column, accepted, width))
        if (extracted.size() < num_sets) extracted.push_back(v);
    }
    for (auto& row : shares) crypto::SecureZero(row.data(), row.size() * sizeof(R));
  }

  // Step 4: robust AgreeRandom: open value a only to the members of set a.
  const auto all_sets = PrssSets(n, t);
  std::map<Role, std::vector<R>> to_send;
  for (size_t a = 0; a < all_sets.size(); ++a)
    for (Role r : all_sets[a]) to_send[r].push_back(extracted[a]);
  KMS_ASSIGN_OR_RETURN(auto mine, RobustOpenTo<R>(session, to_send, t));
  crypto::SecureZero(extracted.data(), extracted.size() * sizeof(R));

  std::vector<PrssSetup::SetKey> keys;
  size_t next = 0;
  for (const auto& set : all_sets) {
    if (!std::binary_search(set.begin(), set.end(), session.my_role())) continue;
    if (next >= mine.size()) return absl::InternalError("PRSS: fewer opened values than sets");
    uint8_t enc[R::kEncodedSize];
    mine[next++].Encode(enc);
    auto digest = crypto::HashElement(crypto::kDsepAgreeRandom, ByteSpan(enc, sizeof(enc)));
    crypto::SecureZero(enc, sizeof(enc));
    PrssSetup::SetKey k{set, {}};
    std::copy(digest.begin(), digest.begin() + 16, k.key.begin());
    crypto::SecureZero(digest.data(), digest.size());
    keys.push_back(std::move(k));
  }
  crypto::SecureZero(mine.data(), mine.size() * sizeof(R));
  return PrssSetup(n, t, session.my_role(), std::move(keys));
}

// ---- PrssState ----

namespace {

template <typename R>
R RingFromBlocks(const algebra::Z128* blocks) {
  R r;
  for (int i = 0; i < R::kDegree; ++i) r[i] = static_cast<typename R::Base>(blocks[i]);
  return r;
}

}  // namespace

template <typename R>
PrssState<R>::PrssState(const PrssSetup& setup, SessionId sid)
    : t_(setup.t()), weights_(setup.weights()) {
  static_assert(std::is_same_v<R, algebra::Gr128>, "the PRSS setup carries GR(2^128) weights");
  prf_.reserve(setup.sets().size());
  for (const crypto::Aes128& r_a : setup.set_ciphers()) prf_.emplace_back(r_a, sid);
}

template <typename R>
std::vector<R> PrssState<R>::NextRandom(size_t count) {
  std::vector<R> out(count, R::Zero());
  std::vector<Z128> blocks(count * R::kDegree);
  for (size_t a = 0; a < prf_.size(); ++a) {
    prf_[a].Psi(prss_ctr_, count, R::kDegree, blocks.data());
    for (size_t k = 0; k < count; ++k)
      out[k] += weights_->f_at_me[a] * RingFromBlocks<R>(&blocks[k * R::kDegree]);
  }
  crypto::SecureZero(blocks.data(), blocks.size() * sizeof(Z128));
  prss_ctr_ += count;
  return out;
}

template <typename R>
std::vector<R> PrssState<R>::NextZero(size_t count) {
  std::vector<R> out(count, R::Zero());
  std::vector<Z128> blocks(count * R::kDegree);
  for (size_t a = 0; a < prf_.size(); ++a) {
    for (int j = 1; j <= t_; ++j) {
      prf_[a].Chi(przs_ctr_, count, R::kDegree, j, blocks.data());
      const R& w = weights_->chi_weights[a][j - 1];
      for (size_t k = 0; k < count; ++k) out[k] += w * RingFromBlocks<R>(&blocks[k * R::kDegree]);
    }
  }
  crypto::SecureZero(blocks.data(), blocks.size() * sizeof(Z128));
  przs_ctr_ += count;
  return out;
}

template <typename R>
std::vector<R> PrssState<R>::NextMask(size_t count, Z128 bd) {
  static_assert(std::is_same_v<typename R::Base, Z128>, "Mask.Next is defined over Z/2^128 only");
  const Z128 bd1 = bd << kStatSecBits;
  std::vector<R> out(count, R::Zero());
  // Blocks in chunks, sets inside: the PRF outputs of one chunk stay in L1 instead of streaming
  // 2 * count values per set through memory (hundreds of sets at 13 parties).
  constexpr size_t kChunk = 64;
  Z128 phi[2 * kChunk];
  for (size_t k0 = 0; k0 < count; k0 += kChunk) {
    const size_t m = std::min(kChunk, count - k0);
    for (size_t a = 0; a < prf_.size(); ++a) {
      prf_[a].Phi(mask_ctr_ + 2 * k0, 2 * m, bd1, phi);
      const R& f = weights_->f_at_me[a];
      for (size_t k = 0; k < m; ++k) out[k0 + k] += f * (phi[2 * k] + phi[2 * k + 1]);
    }
  }
  crypto::SecureZero(phi, sizeof(phi));
  mask_ctr_ += 2 * count;
  return out;
}

template <typename R>
std::vector<R> PrssState<R>::PsiValues(uint64_t ctr) const {
  std::vector<R> out;
  Z128 blocks[R::kDegree];
  for (const auto& prf : prf_) {
    prf.Psi(ctr, 1, R::kDegree, blocks);
    out.push_back(RingFromBlocks<R>(blocks));
  }
  return out;
}

template <typename R>
std::vector<R> PrssState<R>::ChiValues(uint64_t ctr) const {
  std::vector<R> out;
  Z128 blocks[R::kDegree];
  for (const auto& prf : prf_)
    for (int j = 1; j <= t_; ++j) {
      prf.Chi(ctr, 1, R::kDegree, j, blocks);
      out.push_back(RingFromBlocks<R>(blocks));
    }
  return out;
}

template <typename R>
R PrssState<R>::ShareFromPsi(int n, int t, Role p, const std::vector<R>& psi_all_sets) {
  R acc = R::Zero();
  const auto sets = PrssSets(n, t);
  for (size_t a = 0; a < sets.size(); ++a)
    if (std::binary_search(sets[a].begin(), sets[a].end(), p))
      acc += PrssSetPolynomialAt<R>(n, sets[a], p) * psi_all_sets[a];
  return acc;
}

template <typename R>
R PrssState<R>::ShareFromChi(int n, int t, Role p, const std::vector<R>& chi_all_sets) {
  R acc = R::Zero();
  const auto sets = PrssSets(n, t);
  const R alpha = PartyPoint<R>(p);
  for (size_t a = 0; a < sets.size(); ++a) {
    if (!std::binary_search(sets[a].begin(), sets[a].end(), p)) continue;
    const R f = PrssSetPolynomialAt<R>(n, sets[a], p);
    R power = alpha;
    for (int j = 1; j <= t; ++j) {
      acc += power * f * chi_all_sets[a * t + (j - 1)];
      power *= alpha;
    }
  }
  return acc;
}

template class PrssState<algebra::Gr128>;
template algebra::Gr128 PrssSetPolynomialAt<algebra::Gr128>(int, const std::vector<Role>&, Role);

}  // namespace kms::mpc
