#include "net/round_channel.h"

#include <algorithm>

namespace kms::net {

RoundChannel::RoundChannel(Network& net, SessionId sid, std::vector<Role> roles, NetworkMode mode,
                           Clock::duration round_timeout, Clock::duration session_timeout)
    : net_(net),
      sid_(sid),
      roles_(std::move(roles)),
      mode_(mode),
      round_timeout_(round_timeout),
      start_(Clock::now()),
      session_deadline_(start_ + session_timeout) {}

RoundChannel::~RoundChannel() { net_.CloseSession(sid_); }

Clock::time_point RoundChannel::deadline() {
  if (mode_ == NetworkMode::kAsync) return session_deadline_;
  if (!round_deadline_) {
    // Cumulative: round r may use whatever rounds 0..r-1 left unused; but never less than one
    // round timeout of waiting from the first wait of the round.
    const Clock::time_point cumulative =
        start_ + round_timeout_ * static_cast<Clock::rep>(round_ + 1);
    round_deadline_ =
        std::min(session_deadline_, std::max(cumulative, Clock::now() + round_timeout_));
  }
  return *round_deadline_;
}

void RoundChannel::NextRound() {
  ++round_;
  round_deadline_.reset();
}

void RoundChannel::SendTo(Role to, Payload payload) {
  net_.Send(to, Tag{sid_, my_role(), round_}, std::move(payload));
}

void RoundChannel::SendToAll(Payload payload) {
  for (Role r : roles_)
    if (r != my_role()) SendTo(r, payload);
}

std::optional<Payload> RoundChannel::ReceiveFrom(Role from) {
  auto got = ReceiveFromAll({from});
  if (got.empty()) return std::nullopt;
  return std::move(got.begin()->second);
}

Clock::duration RoundChannel::PatienceLeft(Role r) {
  Silence& s = silence_[r];
  const std::optional<Clock::time_point> heard = net_.LastHeard(sid_, r);
  if (heard != s.heard) s = Silence{heard, Clock::duration(0)};  // it spoke: start over
  return kSilencePatience * round_timeout_ - s.waited;
}

std::map<Role, Payload> RoundChannel::ReceiveFromAll(const std::set<Role>& from) {
  return ReceiveUntil(from, [](const std::map<Role, Payload>&) { return false; });
}

std::map<Role, Payload> RoundChannel::ReceiveUntil(
    const std::set<Role>& from, const std::function<bool(const std::map<Role, Payload>&)>& enough,
    size_t min_count) {
  std::map<Role, Payload> got;
  std::set<Role> pending = from, silent;
  pending.erase(my_role());
  const Clock::time_point until = deadline();
  const bool sync = mode_ == NetworkMode::kSync;
  while (!pending.empty()) {
    const Clock::time_point begin = Clock::now();
    Clock::time_point wake = until;
    if (sync) {
      for (auto it = pending.begin(); it != pending.end();) {
        const Clock::duration left = PatienceLeft(*it);
        if (left <= Clock::duration(0)) {
          silent.insert(*it);
          it = pending.erase(it);
          continue;
        }
        wake = std::min(wake, begin + left);
        ++it;
      }
      if (pending.empty()) break;
    }
    if (!sync && min_count > 1) {
      // Everything that has arrived, once at least the quorum the caller needs is there.
      const size_t need = got.size() >= min_count ? 1 : min_count - got.size();
      auto batch = net_.ReceiveMany(sid_, round_, pending, need, wake);
      const Clock::time_point now = Clock::now();
      if (!batch.empty()) {
        for (auto& [r, p] : batch) {
          pending.erase(r);
          got.emplace(r, std::move(p));
        }
        if (enough(got)) return got;
        continue;
      }
      if (now >= until || now < wake) break;  // deadline, or the session closed
      continue;
    }
    auto next = net_.ReceiveAny(sid_, round_, pending, wake);
    const Clock::time_point now = Clock::now();
    if (sync)
      for (Role r : pending) silence_[r].waited += now - begin;
    if (next) {
      pending.erase(next->first);
      got.emplace(next->first, std::move(next->second));
      if (enough(got)) return got;
      continue;
    }
    if (now >= until || now < wake) break;  // deadline, or the session closed
  }
  // Silent parties: only what has arrived by now.
  for (Role r : silent) {
    if (auto p = net_.Receive(sid_, r, round_, Clock::now())) {
      got.emplace(r, std::move(*p));
      if (enough(got)) break;
    }
  }
  return got;
}

std::set<Role> RoundChannel::Others(const std::set<Role>& exclude) const {
  std::set<Role> out;
  for (Role r : roles_)
    if (r != my_role() && !exclude.contains(r)) out.insert(r);
  return out;
}

}  // namespace kms::net
