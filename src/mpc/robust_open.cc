#include "mpc/robust_open.h"

#include "algebra/robust_reconstruction.h"
#include "mpc/wire.h"

namespace kms::mpc {
namespace {

using algebra::ReconstructStatus;
using algebra::ShareColumns;

// Collects the shares of this round from the other parties and reconstructs `count` values.
// `mine` is this party's own share vector (always valid).
template <typename R>
absl::StatusOr<std::vector<R>> CollectAndReconstruct(Session& session, std::vector<R> mine,
                                                     int degree) {
  const size_t count = mine.size();
  const algebra::RobustParams params{session.n(), session.t(), degree};
  ShareColumns<R> cols;
  cols.parties.push_back(session.my_role());
  cols.values.push_back(std::move(mine));
  int malformed = 0;
  const std::set<Role> wait_for = session.HonestOthers();
  auto add = [&](Role from, const net::Payload& payload) {
    auto shares = DecodeShares<R>(*payload, count);
    if (!shares.ok()) {
      ++malformed;  // a malformed message is a ⊥ share
      return;
    }
    cols.parties.push_back(from);
    cols.values.push_back(std::move(shares).value());
  };
  // Corrupt parties count as heard-from ⊥ from the start.
  const int corrupt = session.CorruptOthers();

  if (session.net().mode() == net::NetworkMode::kSync) {
    for (auto& [from, payload] : session.net().ReceiveFromAll(wait_for)) add(from, payload);
    const int missing =
        static_cast<int>(wait_for.size()) - (static_cast<int>(cols.parties.size()) - 1) - malformed;
    auto result =
        algebra::ReconstructBatchSync(params, std::move(cols), corrupt + missing + malformed);
    session.net().NextRound();
    if (!result.ok()) return ToStatus(result.error(), "robust open");
    return std::move(result).value();
  }

  // Asynchronous: try after every arrival, stop as soon as the rule decides.
  std::optional<std::vector<R>> opened;
  algebra::AlgebraError last = algebra::NotEnoughShares("no shares received");
  auto attempt = [&](int extra_bots) {  // true once decided (opened or failed for good)
    auto out = algebra::TryReconstructBatchAsync(params, cols, corrupt + malformed + extra_bots);
    if (out.status == ReconstructStatus::kDone) opened = std::move(out.secrets);
    if (out.status != ReconstructStatus::kDone) last = out.error;
    return out.status != ReconstructStatus::kWaitForMore;
  };
  bool decided = attempt(0);
  std::set<Role> seen;
  if (!decided) {
    // No rule decides with fewer than degree + t + 1 shares heard of (mine and the corrupt
    // parties' ⊥ included; crypto-spec B §1.6): wait for that many before the first attempt.
    const int needed = degree + session.t() + 1 - 1 - corrupt;
    session.net().ReceiveUntil(
        wait_for,
        [&](const std::map<Role, net::Payload>& got) {
          for (const auto& [from, payload] : got)
            if (seen.insert(from).second) add(from, payload);
          decided = attempt(0);
          return decided;
        },
        static_cast<size_t>(std::max(1, needed)));
  }
  // Session timeout: whoever has not answered is ⊥.
  if (!decided) attempt(static_cast<int>(wait_for.size() - seen.size()));
  session.net().NextRound();
  if (opened) return std::move(*opened);
  return ToStatus(last, "robust open (asynchronous)");
}

}  // namespace

template <typename R>
absl::StatusOr<std::vector<R>> RobustOpen(Session& session, std::span<const R> my_shares,
                                          int degree) {
  session.net().SendToAll(EncodeShares<R>(my_shares));
  return CollectAndReconstruct<R>(session, std::vector<R>(my_shares.begin(), my_shares.end()),
                                  degree);
}

template <typename R>
absl::StatusOr<std::vector<R>> RobustOpenTo(Session& session,
                                            const std::map<Role, std::vector<R>>& to_send,
                                            int degree) {
  std::vector<R> mine;
  for (const auto& [receiver, shares] : to_send) {
    if (receiver == session.my_role()) {
      mine = shares;
      continue;
    }
    session.net().SendTo(receiver, EncodeShares<R>(shares));
  }
  if (!to_send.contains(session.my_role())) {
    session.net().NextRound();
    return std::vector<R>();
  }
  return CollectAndReconstruct<R>(session, std::move(mine), degree);
}

template absl::StatusOr<std::vector<Gr64>> RobustOpen<Gr64>(Session&, std::span<const Gr64>, int);
template absl::StatusOr<std::vector<Gr128>> RobustOpen<Gr128>(Session&, std::span<const Gr128>,
                                                              int);
template absl::StatusOr<std::vector<Gr64>> RobustOpenTo<Gr64>(
    Session&, const std::map<Role, std::vector<Gr64>>&, int);
template absl::StatusOr<std::vector<Gr128>> RobustOpenTo<Gr128>(
    Session&, const std::map<Role, std::vector<Gr128>>&, int);

}  // namespace kms::mpc
