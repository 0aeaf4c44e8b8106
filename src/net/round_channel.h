// File: net/round_channel.h
//
// What a protocol sees of the network: one session's messages, a round counter and deadlines
// (crypto-spec B §2.0, §3).
//  - Synchronous mode (PRSS init, preprocessing, DKG): round r ends at the later of
//    start + (r + 1) * round_timeout (the cumulative deadline of B §3: a party advances as soon
//    as it has every message it waits for, so fast rounds donate their slack to later ones) and
//    round_timeout after this party first waits in round r. The second term departs from the
//    reference: without it, long local computation between rounds (a preprocessing batch on a
//    loaded machine) eats the waiting time, and an honest party that is merely slower to compute
//    is cut off and counted as corrupt.
//  - Asynchronous mode (decryption): every receive waits until the protocol's rule is met or the
//    session timeout passes.
// Every send and receive uses the current round; NextRound() moves to the next one. A party that
// sends nothing in a round still calls NextRound(), so all parties stay in step.
//
// Synchronous receives stop waiting for a party once this party has spent kSilencePatience round
// timeouts waiting for it (summed over the rounds of this session) without anything at all
// arriving from it (no message of any round, Network::LastHeard); what it sent is still taken if
// it is there. A crashed or silent party thus costs about two round timeouts per session, not
// one per round (the cumulative deadline would otherwise make a crash midway cost all the slack
// the session had built up). Only waiting counts, not my own computation, and any message resets
// the count, so a party that is merely behind keeps being waited for. Two timeouts, not one: an
// honest party may itself wait a full timeout for a missing message before it sends its next
// one, and its peers, waiting for it meanwhile, must not give up on it. In the synchronous model a
// missing message is a missing message whatever the reason, so this changes no protocol rule;
// protocols make corrupt-set decisions from broadcast outputs only (which agree), never from this
// local view.
//
// Thread safety: one RoundChannel per session per party, used by one thread.
#ifndef KMS_NET_ROUND_CHANNEL_H_
#define KMS_NET_ROUND_CHANNEL_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "net/network.h"

namespace kms::net {

enum class NetworkMode { kSync, kAsync };

// Round timeouts of waiting without a word from a party before it counts as silent.
inline constexpr int kSilencePatience = 2;

class RoundChannel {
 public:
  // REQUIRES: roles sorted, containing net.my_role(). Starts at round 0.
  RoundChannel(Network& net, SessionId sid, std::vector<Role> roles, NetworkMode mode,
               Clock::duration round_timeout, Clock::duration session_timeout);
  ~RoundChannel();
  RoundChannel(const RoundChannel&) = delete;
  RoundChannel& operator=(const RoundChannel&) = delete;

  SessionId session_id() const { return sid_; }
  Role my_role() const { return net_.my_role(); }
  const std::vector<Role>& roles() const { return roles_; }
  NetworkMode mode() const { return mode_; }
  uint64_t round() const { return round_; }
  // The current round's deadline (fixed the first time it is asked for in a round).
  Clock::time_point deadline();

  void NextRound();

  void SendTo(Role to, Payload payload);
  // Every role but mine.
  void SendToAll(Payload payload);

  // The message of `from` for this round, or nullopt at the deadline.
  std::optional<Payload> ReceiveFrom(Role from);
  // Messages of this round from every role in `from` (never mine), waiting until all have
  // arrived or the deadline passes; missing senders are absent from the result.
  std::map<Role, Payload> ReceiveFromAll(const std::set<Role>& from);
  // As ReceiveFromAll, but returns as soon as `enough(received so far)` holds. In asynchronous
  // mode `enough` is first asked once `min_count` messages have arrived (a lower bound the
  // caller knows: nothing can be decided with fewer), and this party sleeps until then instead
  // of waking for every message (Network::ReceiveMany).
  std::map<Role, Payload> ReceiveUntil(
      const std::set<Role>& from, const std::function<bool(const std::map<Role, Payload>&)>& enough,
      size_t min_count = 1);

  // All roles except mine and those in `exclude`.
  std::set<Role> Others(const std::set<Role>& exclude = {}) const;

 private:
  // Synchronous mode: how much longer to wait for `r` before it counts as silent.
  Clock::duration PatienceLeft(Role r);

  // Per party: when it was last heard of, and how long I have waited for it since.
  struct Silence {
    std::optional<Clock::time_point> heard;
    Clock::duration waited{0};
  };

  Network& net_;
  const SessionId sid_;
  const std::vector<Role> roles_;
  const NetworkMode mode_;
  const Clock::duration round_timeout_;
  const Clock::time_point start_;
  const Clock::time_point session_deadline_;
  uint64_t round_ = 0;
  std::optional<Clock::time_point> round_deadline_;  // set on the first wait of a round
  std::map<Role, Silence> silence_;
};

}  // namespace kms::net

#endif  // KMS_NET_ROUND_CHANNEL_H_
