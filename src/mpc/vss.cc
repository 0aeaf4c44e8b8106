#include "mpc/vss.h"

#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "algebra/bivariate.h"
#include "algebra/polynomial.h"
#include "algebra/shamir.h"
#include "common/status_macros.h"
#include "mpc/broadcast.h"
#include "mpc/internal/ring_vector.h"

namespace kms::mpc {
namespace {

using algebra::BivariatePolynomial;
using algebra::PartyPoint;
using algebra::Polynomial;
using internal::FillRingVector;
using internal::ReadRingVector;

// (dealer k, row party i, column party j): the value F_k(a_j, a_i) that i holds in its row and
// j in its column.
using Conflict = std::tuple<Role, Role, Role>;

template <typename R>
class VssRun {
 public:
  VssRun(Session& s, std::span<const R> secrets)
      : s_(s), n_(s.n()), t_(s.t()), m_(secrets.size()), me_(s.my_role()) {
    for (const R& secret : secrets)
      dealing_.push_back(BivariatePolynomial<R>::Random(secret, t_, s_.rng()));
    row_.assign(n_, std::vector<Polynomial<R>>(m_, Zero()));
    col_.assign(n_, std::vector<Polynomial<R>>(m_, Zero()));
    pad_out_.assign(n_ + 1, std::vector<R>(n_ * m_, R::Zero()));
    pad_in_.assign(n_ + 1, std::vector<R>(n_ * m_, R::Zero()));
  }

  absl::StatusOr<std::vector<std::vector<R>>> Run() {
    Round1();
    auto masked = Round2();
    if (!masked.ok()) return masked.status();
    std::map<Role, std::vector<Conflict>> conflicts = FindConflicts(*masked);
    std::map<Role, std::set<Role>> unhappy;
    if (!conflicts.empty()) {
      auto u = Round3(conflicts);
      if (!u.ok()) return u.status();
      unhappy = std::move(*u);
      bool any = false;
      for (const auto& [k, set] : unhappy) any = any || (!set.empty() && !s_.IsCorrupt(k));
      if (any) KMS_RETURN_IF_ERROR(Round4(unhappy));
    }
    return Output();
  }

 private:
  Polynomial<R> Zero() const {
    return Polynomial<R>(std::vector<R>(static_cast<size_t>(t_) + 1, R::Zero()));
  }
  size_t PadIndex(Role dealer, size_t secret) const { return (dealer - 1) * m_ + secret; }
  // Position of (dealer k, other party j, secret) in the round-2 vectors of party i.
  size_t MaskedIndex(Role i, Role k, Role j, size_t secret) const {
    size_t jpos = static_cast<size_t>(j < i ? j - 1 : j - 2);
    return ((static_cast<size_t>(k) - 1) * (n_ - 1) + jpos) * m_ + secret;
  }
  std::vector<R> Coefficients(const Polynomial<R>& p) const {
    std::vector<R> c(static_cast<size_t>(t_) + 1, R::Zero());
    for (int i = 0; i <= t_; ++i) c[i] = p.coef(i);
    return c;
  }

  // ==== R1 (p2p): dealings and pads ====
  void Round1() {
    const R my_point = PartyPoint<R>(me_);
    for (size_t sidx = 0; sidx < m_; ++sidx) {
      row_[me_ - 1][sidx] = dealing_[sidx].FixY(my_point);
      col_[me_ - 1][sidx] = dealing_[sidx].FixX(my_point);
    }
    for (Role j : s_.roles()) {
      if (j == me_) continue;
      const R pj = PartyPoint<R>(j);
      std::vector<R> rows, cols;
      for (size_t sidx = 0; sidx < m_; ++sidx) {
        for (const R& c : Coefficients(dealing_[sidx].FixY(pj))) rows.push_back(c);
        for (const R& c : Coefficients(dealing_[sidx].FixX(pj))) cols.push_back(c);
      }
      for (auto& pad : pad_out_[j]) pad = R::Random(s_.rng());
      kms::mpc::v1::VssRound1 msg;
      FillRingVector<R>(rows, msg.mutable_rows());
      FillRingVector<R>(cols, msg.mutable_columns());
      FillRingVector<R>(pad_out_[j], msg.mutable_pads());
      s_.net().SendTo(j, net::MakePayload(msg.SerializeAsString()));
    }
    const size_t poly_count = m_ * (static_cast<size_t>(t_) + 1);
    for (auto& [from, payload] : s_.net().ReceiveFromAll(s_.HonestOthers())) {
      // Anything malformed stays zero: it will conflict and be resolved in R3/R4.
      kms::mpc::v1::VssRound1 msg;
      if (!msg.ParseFromString(*payload)) continue;
      auto rows = ReadRingVector<R>(msg.rows(), poly_count);
      auto cols = ReadRingVector<R>(msg.columns(), poly_count);
      if (rows.ok() && cols.ok()) {
        for (size_t sidx = 0; sidx < m_; ++sidx) {
          auto begin = sidx * (t_ + 1);
          row_[from - 1][sidx] =
              Polynomial<R>(std::vector<R>(rows->begin() + begin, rows->begin() + begin + t_ + 1));
          col_[from - 1][sidx] =
              Polynomial<R>(std::vector<R>(cols->begin() + begin, cols->begin() + begin + t_ + 1));
        }
      }
      auto pads = ReadRingVector<R>(msg.pads(), n_ * m_);
      if (pads.ok()) pad_in_[from] = std::move(*pads);
    }
    s_.net().NextRound();
  }

  // ==== R2 (broadcast): masked cross-evaluations ====
  absl::StatusOr<std::map<Role, std::pair<std::vector<R>, std::vector<R>>>> Round2() {
    std::vector<R> a, b;
    a.reserve(n_ * (n_ - 1) * m_);
    b.reserve(n_ * (n_ - 1) * m_);
    for (Role k = 1; k <= n_; ++k)
      for (Role j : s_.roles()) {
        if (j == me_) continue;
        const R pj = PartyPoint<R>(j);
        for (size_t sidx = 0; sidx < m_; ++sidx) {
          a.push_back(row_[k - 1][sidx].Eval(pj) + pad_out_[j][PadIndex(k, sidx)]);
          b.push_back(col_[k - 1][sidx].Eval(pj) + pad_in_[j][PadIndex(k, sidx)]);
        }
      }
    kms::mpc::v1::VssMaskedValues msg;
    FillRingVector<R>(a, msg.mutable_a());
    FillRingVector<R>(b, msg.mutable_b());
    KMS_ASSIGN_OR_RETURN(auto all, BroadcastFromAll(s_, msg.SerializeAsString()));
    std::map<Role, std::pair<std::vector<R>, std::vector<R>>> out;
    const size_t size = n_ * (n_ - 1) * m_;
    for (auto& [sender, value] : all) {
      if (!value) continue;  // ⊥: already corrupt
      kms::mpc::v1::VssMaskedValues in;
      if (!in.ParseFromString(*value)) {
        s_.MarkCorrupt(sender, "VSS round 2: malformed broadcast");
        continue;
      }
      auto ra = ReadRingVector<R>(in.a(), size);
      auto rb = ReadRingVector<R>(in.b(), size);
      if (!ra.ok() || !rb.ok()) {
        s_.MarkCorrupt(sender, "VSS round 2: wrong vector sizes");
        continue;
      }
      out[sender] = {std::move(*ra), std::move(*rb)};
    }
    return out;
  }

  std::map<Role, std::vector<Conflict>> FindConflicts(
      const std::map<Role, std::pair<std::vector<R>, std::vector<R>>>& masked) {
    std::map<Role, std::vector<Conflict>> conflicts;
    for (Role k = 1; k <= n_; ++k) {
      if (s_.IsCorrupt(k)) continue;
      for (const auto& [i, ai] : masked) {
        if (s_.IsCorrupt(i)) continue;
        for (const auto& [j, bj] : masked) {
          if (j == i || s_.IsCorrupt(j)) continue;
          for (size_t sidx = 0; sidx < m_; ++sidx) {
            if (!(ai.first[MaskedIndex(i, k, j, sidx)] == bj.second[MaskedIndex(j, k, i, sidx)])) {
              conflicts[k].emplace_back(k, i, j);
              break;
            }
          }
        }
      }
    }
    return conflicts;
  }

  // The value F_k(a_j, a_i) per secret as I know it: as dealer from my polynomial, as row party
  // from my row, as column party from my column.
  std::vector<R> MyClaim(const Conflict& c) const {
    auto [k, i, j] = c;
    std::vector<R> v;
    for (size_t sidx = 0; sidx < m_; ++sidx) {
      if (k == me_)
        v.push_back(dealing_[sidx].Eval(PartyPoint<R>(j), PartyPoint<R>(i)));
      else if (i == me_)
        v.push_back(row_[k - 1][sidx].Eval(PartyPoint<R>(j)));
      else
        v.push_back(col_[k - 1][sidx].Eval(PartyPoint<R>(i)));
    }
    return v;
  }

  // ==== R3 (broadcast): claims on conflicting pairs -> unhappy sets ====
  absl::StatusOr<std::map<Role, std::set<Role>>> Round3(
      const std::map<Role, std::vector<Conflict>>& conflicts) {
    kms::mpc::v1::VssClaims msg;
    std::vector<R> values;
    for (const auto& [k, list] : conflicts)
      for (const Conflict& c : list) {
        auto [ck, ci, cj] = c;
        if (ck != me_ && ci != me_ && cj != me_) continue;
        msg.add_dealer(ck);
        msg.add_row_party(ci);
        msg.add_column_party(cj);
        for (const R& v : MyClaim(c)) values.push_back(v);
      }
    FillRingVector<R>(values, msg.mutable_values());
    KMS_ASSIGN_OR_RETURN(auto all, BroadcastFromAll(s_, msg.SerializeAsString()));

    // claims[(sender, conflict)] = values
    std::map<std::pair<Role, Conflict>, std::vector<R>> claims;
    for (auto& [sender, value] : all) {
      if (!value) continue;
      kms::mpc::v1::VssClaims in;
      if (!in.ParseFromString(*value) || in.dealer_size() != in.row_party_size() ||
          in.dealer_size() != in.column_party_size()) {
        s_.MarkCorrupt(sender, "VSS round 3: malformed claims");
        continue;
      }
      auto vals = ReadRingVector<R>(in.values(), static_cast<size_t>(in.dealer_size()) * m_);
      if (!vals.ok()) {
        s_.MarkCorrupt(sender, "VSS round 3: wrong claim sizes");
        continue;
      }
      for (int e = 0; e < in.dealer_size(); ++e) {
        Conflict c{static_cast<Role>(in.dealer(e)), static_cast<Role>(in.row_party(e)),
                   static_cast<Role>(in.column_party(e))};
        claims[{sender, c}] = std::vector<R>(vals->begin() + e * m_, vals->begin() + (e + 1) * m_);
      }
    }
    std::map<Role, std::set<Role>> unhappy;
    for (const auto& [k, list] : conflicts) {
      if (s_.IsCorrupt(k)) continue;
      for (const Conflict& c : list) {
        auto dealer_claim = claims.find({k, c});
        if (dealer_claim == claims.end()) {
          s_.MarkCorrupt(k, "VSS round 3: dealer did not state a disputed value");
          break;
        }
        auto [ck, ci, cj] = c;
        for (Role p : {ci, cj}) {
          auto party_claim = claims.find({p, c});
          if (party_claim == claims.end() || party_claim->second != dealer_claim->second)
            unhappy[k].insert(p);
        }
      }
      if (!s_.IsCorrupt(k) && static_cast<int>(unhappy[k].size()) > t_)
        s_.MarkCorrupt(k, "VSS: more than t parties unhappy with the dealing");
    }
    return unhappy;
  }

  // ==== R4 (broadcast): the dealer publishes unhappy rows, happy parties their values ====
  absl::Status Round4(const std::map<Role, std::set<Role>>& unhappy) {
    kms::mpc::v1::VssResolution msg;
    std::vector<R> polys, values;
    auto mine = unhappy.find(me_);
    if (mine != unhappy.end() && !s_.IsCorrupt(me_)) {
      for (Role i : mine->second) {
        msg.add_unhappy_party(i);
        for (size_t sidx = 0; sidx < m_; ++sidx)
          for (const R& c : Coefficients(dealing_[sidx].FixY(PartyPoint<R>(i)))) polys.push_back(c);
      }
    }
    for (const auto& [k, set] : unhappy) {
      if (k == me_ || s_.IsCorrupt(k) || set.contains(me_)) continue;
      for (Role i : set) {
        msg.add_for_dealer(k);
        msg.add_for_party(i);
        for (size_t sidx = 0; sidx < m_; ++sidx)
          values.push_back(col_[k - 1][sidx].Eval(PartyPoint<R>(i)));
      }
    }
    FillRingVector<R>(polys, msg.mutable_polynomials());
    FillRingVector<R>(values, msg.mutable_values());
    KMS_ASSIGN_OR_RETURN(auto all, BroadcastFromAll(s_, msg.SerializeAsString()));

    const size_t poly_len = m_ * (static_cast<size_t>(t_) + 1);
    std::map<Role, std::map<Role, std::vector<Polynomial<R>>>> rows;      // dealer -> party -> rows
    std::map<std::tuple<Role, Role, Role>, std::vector<R>> happy_values;  // (k, i, j) -> values
    for (auto& [sender, value] : all) {
      if (!value) continue;
      kms::mpc::v1::VssResolution in;
      if (!in.ParseFromString(*value) || in.for_dealer_size() != in.for_party_size()) {
        s_.MarkCorrupt(sender, "VSS round 4: malformed resolution");
        continue;
      }
      auto p = ReadRingVector<R>(in.polynomials(), in.unhappy_party_size() * poly_len);
      auto v = ReadRingVector<R>(in.values(), static_cast<size_t>(in.for_dealer_size()) * m_);
      if (!p.ok() || !v.ok()) {
        s_.MarkCorrupt(sender, "VSS round 4: wrong sizes");
        continue;
      }
      for (int e = 0; e < in.unhappy_party_size(); ++e) {
        std::vector<Polynomial<R>> per_secret;
        for (size_t sidx = 0; sidx < m_; ++sidx) {
          auto begin = p->begin() + e * poly_len + sidx * (t_ + 1);
          per_secret.emplace_back(std::vector<R>(begin, begin + t_ + 1));
        }
        rows[sender][static_cast<Role>(in.unhappy_party(e))] = std::move(per_secret);
      }
      for (int e = 0; e < in.for_dealer_size(); ++e)
        happy_values[{static_cast<Role>(in.for_dealer(e)), static_cast<Role>(in.for_party(e)),
                      sender}] = std::vector<R>(v->begin() + e * m_, v->begin() + (e + 1) * m_);
    }
    for (const auto& [k, set] : unhappy) {
      if (s_.IsCorrupt(k) || set.empty()) continue;
      for (Role i : set) {
        auto it = rows[k].find(i);
        if (it == rows[k].end()) {
          s_.MarkCorrupt(k, "VSS round 4: dealer did not publish a disputed row");
          break;
        }
        int agree = 0;
        for (Role j : s_.roles()) {
          if (j == k || set.contains(j) || s_.IsCorrupt(j)) continue;
          auto hv = happy_values.find({k, i, j});
          if (hv == happy_values.end()) continue;
          bool ok = true;
          for (size_t sidx = 0; sidx < m_ && ok; ++sidx)
            ok = it->second[sidx].Eval(PartyPoint<R>(j)) == hv->second[sidx];
          if (ok) ++agree;
        }
        if (agree < 2 * t_) {
          s_.MarkCorrupt(k, "VSS round 4: published row disagrees with the happy parties");
          break;
        }
        if (i == me_) row_[k - 1] = it->second;
      }
    }
    return absl::OkStatus();
  }

  std::vector<std::vector<R>> Output() const {
    std::vector<std::vector<R>> out(n_, std::vector<R>(m_, R::Zero()));
    for (Role k = 1; k <= n_; ++k) {
      if (s_.IsCorrupt(k)) continue;
      for (size_t sidx = 0; sidx < m_; ++sidx) out[k - 1][sidx] = row_[k - 1][sidx].Eval(R::Zero());
    }
    return out;
  }

  Session& s_;
  const int n_, t_;
  const size_t m_;
  const Role me_;
  std::vector<BivariatePolynomial<R>> dealing_;   // my secrets' polynomials
  std::vector<std::vector<Polynomial<R>>> row_;   // [dealer-1][secret]: F_k(X, a_me)
  std::vector<std::vector<Polynomial<R>>> col_;   // [dealer-1][secret]: F_k(a_me, Y)
  std::vector<std::vector<R>> pad_out_, pad_in_;  // [party][dealer-1 * m + secret]
};

}  // namespace

template <typename R>
absl::StatusOr<std::vector<std::vector<R>>> Vss(Session& session, std::span<const R> my_secrets) {
  return VssRun<R>(session, my_secrets).Run();
}

template absl::StatusOr<std::vector<std::vector<Gr128>>> Vss<Gr128>(Session&,
                                                                    std::span<const Gr128>);
template absl::StatusOr<std::vector<std::vector<Gr64>>> Vss<Gr64>(Session&, std::span<const Gr64>);

}  // namespace kms::mpc
