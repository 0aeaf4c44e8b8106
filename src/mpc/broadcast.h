// File: mpc/broadcast.h
//
// Synchronous reliable broadcast, the Bracha variant of crypto-spec B §2.1, for any set of
// senders in parallel. Every honest party outputs the same value for each sender: the sender's
// message, or ⊥ (nullopt) when the sender equivocated or stayed silent. A sender with output ⊥
// joins the session's corrupt set.
//
// Rounds (5 + t in all, each bounded by the session's round deadline):
//   R1       each sender sends m to everyone;
//   R2       everyone echoes {sender -> H(m)} for everything received in R1 (its own included),
//            H(m) = SHAKE256("BRACHABC" || m);
//   R3       vote {sender -> H} for every (sender, H) echoed by >= n - t parties;
//   R3+r     (r = 1..t) vote for every (sender, H) with >= t + r votes not yet voted for;
//   pull     ask every party for the messages I lack whose hash has >= n - t votes;
//   push     answer the pulls with the messages I received in R1;
//   output   m for sender j if (j, H(m)) has >= n - t votes, otherwise ⊥.
// Departure from the reference: echoes carry hashes, not messages, and the two extra rounds fetch
// a message only where a sender withheld it. With n parties and messages of size L this sends
// O(n^2 L) bytes instead of O(n^3 L) (the triple broadcasts of preprocessing are megabytes).
// Two honest parties cannot output different messages: >= n - t votes for (j, H) imply >= t + 1
// honest parties received m with H(m) = H in R1, so every pull is answered and checked against H.
// Every party sends a (possibly empty) message in every round so nobody waits for a deadline.
#ifndef KMS_MPC_BROADCAST_H_
#define KMS_MPC_BROADCAST_H_

#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "mpc/session.h"

namespace kms::mpc {

// `senders`: who broadcasts (corrupt parties are skipped and get ⊥). `my_message` is required
// when I am a sender. Returns, for every sender, its message or nullopt (⊥).
absl::StatusOr<std::map<Role, std::optional<std::string>>> ReliableBroadcast(
    Session& session, const std::set<Role>& senders, const std::optional<std::string>& my_message);

// Convenience: every non-corrupt party broadcasts.
absl::StatusOr<std::map<Role, std::optional<std::string>>> BroadcastFromAll(
    Session& session, const std::string& my_message);

}  // namespace kms::mpc

#endif  // KMS_MPC_BROADCAST_H_
