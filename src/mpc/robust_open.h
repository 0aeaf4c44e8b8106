// File: mpc/robust_open.h
//
// Robust opening of Shamir-shared values (crypto-spec B §2.2), one communication round.
//  - RobustOpen: every party sends its share vector to everyone and reconstructs with the §1.6
//    rule of the session's mode: synchronous (decide at the round deadline, t - #bot errors) or
//    asynchronous (decide as soon as the rule accepts; wait otherwise, up to the session timeout).
//  - RobustOpenTo: every party sends, to each receiver, its shares of the values meant for that
//    receiver; only the receiver learns them (AgreeRandom, VSS-free resharing).
// Shares from corrupt parties are ignored; a missing or malformed message counts as ⊥ (never a
// crash). With more than t bad parties the open fails with ABORTED or UNAVAILABLE; it never
// returns a value the decoder rejected.
#ifndef KMS_MPC_ROBUST_OPEN_H_
#define KMS_MPC_ROBUST_OPEN_H_

#include <map>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "mpc/session.h"

namespace kms::mpc {

// Opens a batch of degree-`degree` sharings to every party. Uses one round (advances it).
template <typename R>
absl::StatusOr<std::vector<R>> RobustOpen(Session& session, std::span<const R> my_shares,
                                          int degree);

// Opens, for each receiver r, the sharings in to_send[r] (my shares of the values r learns;
// every party passes the same receivers and counts). Returns the values opened to me (empty when
// I am not a receiver). Uses one round.
template <typename R>
absl::StatusOr<std::vector<R>> RobustOpenTo(Session& session,
                                            const std::map<Role, std::vector<R>>& to_send,
                                            int degree);

}  // namespace kms::mpc

#endif  // KMS_MPC_ROBUST_OPEN_H_
