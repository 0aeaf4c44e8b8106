// File: mpc/broadcast.h
//
// Synchronous reliable broadcast with agreement, for any set of senders in parallel. For every
// schedule of up to t corrupt parties, all honest parties output the same value for each sender
// (its message m, or ⊥ = nullopt) and put the same senders (those with ⊥) in the corrupt set; an
// honest sender's m is always delivered.
//
// Rounds (c = corrupt parties already known to the session, the same at every honest party):
//   R1        each sender sends m to everyone;
//   R2        echo: everyone sends {sender -> H(m)} for what it received in R1 (its own too),
//             H(m) = SHAKE256("BRACHABC" || m);
//   R3        ready: {sender -> h} for every h echoed by >= n - t parties (at most one per sender,
//             and every honest party that has one has the same h);
//   agreement binary Byzantine agreement per sender, all senders in one message per round, on
//             "h is ready at >= n - t parties": phase king for n > 3t with t - c + 1 phases of 3
//             rounds (vote, propose, king), the kings being the first t - c + 1 non-corrupt roles;
//   pull      ask for the message behind h where the agreement says 1 and I lack it;
//   push      answer the pulls with what I received in R1;
//   output    m if the agreement says 1 (h = the hash that >= t + 1 parties reported ready; it is
//             unique), otherwise ⊥.
// Why it agrees: the binary agreement gives every honest party the same bit. A bit of 1 means some
// honest party saw n - t ready reports for h, so >= t + 1 honest parties reported h ready and every
// honest party knows h; each of those saw n - t echoes of h, so >= t + 1 honest parties hold m and
// answer the pull. An honest sender's m reaches everyone in R1, so every honest party echoes it,
// reports it ready and votes 1, and the agreement keeps a unanimous input.
// Departure from the reference (crypto-spec B §2.1, whose vote phase lacks agreement): echoes and
// reports carry hashes, the agreement carries bits, and messages travel once plus where a sender
// withheld them, so bytes stay O(n^2 L) for messages of size L. The cost is rounds: 5 + 3(t - c +
// 1) (11 at n = 4, 20 at n = 13), each bounded by the session's round deadline. Every party sends a
// (possibly empty) message in every round, so nobody waits for a deadline.
#ifndef KMS_MPC_BROADCAST_H_
#define KMS_MPC_BROADCAST_H_

#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "mpc/session.h"

namespace kms::mpc {

// Rounds one broadcast takes with `known_corrupt` parties already in the session's corrupt set.
int BroadcastRoundCount(int t, int known_corrupt);

// `senders`: who broadcasts (corrupt parties are skipped and get ⊥). `my_message` is required
// when I am a sender. Returns, for every sender, its message or nullopt (⊥).
absl::StatusOr<std::map<Role, std::optional<std::string>>> ReliableBroadcast(
    Session& session, const std::set<Role>& senders, const std::optional<std::string>& my_message);

// Convenience: every non-corrupt party broadcasts.
absl::StatusOr<std::map<Role, std::optional<std::string>>> BroadcastFromAll(
    Session& session, const std::string& my_message);

}  // namespace kms::mpc

#endif  // KMS_MPC_BROADCAST_H_
