// File: mpc/vss.h
//
// Verifiable secret sharing of a batch of secrets per party (crypto-spec B §2.3, NIST Fig. 47).
// Every non-corrupt party deals the same number m of secrets with bivariate polynomials of degree
// t; every honest party ends with a degree-t share of each accepted dealer's secrets, and all
// honest parties agree on which dealers were accepted. A dealer that is silent, deals
// inconsistently to more than t parties, or cannot justify its dealing joins the corrupt set and
// its secrets count as 0.
//
// Rounds:
//   R1          (p2p) dealer k sends P_j the row F_k(X, a_j) and column F_k(a_j, Y) per secret;
//               every P_i sends every P_j a random pad r_ij per dealer and secret;
//   R2          (broadcast) P_i: a_ij = F_k(a_j, a_i) + r_ij, b_ij = F_k(a_i, a_j) + r_ji;
//               a pair conflicts when a_ij != b_ji;
//   R3 (if any) (broadcast) both parties of a conflict claim F_k(a_j, a_i), the dealer states it;
//               a party whose claim differs from the dealer's is unhappy; > t unhappy: corrupt;
//   R4 (if any) (broadcast) the dealer publishes the rows of its unhappy parties, happy parties
//               their column values there; a row is accepted when >= 2t happy non-dealer values
//               agree with it, and replaces the unhappy party's row.
// Only broadcast data drives corrupt-set and acceptance decisions, so every honest party makes
// the same ones. Happy path: 1 p2p round + one broadcast.
#ifndef KMS_MPC_VSS_H_
#define KMS_MPC_VSS_H_

#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "mpc/session.h"

namespace kms::mpc {

// Deals `my_secrets` (every party passes the same count m) and returns shares[k - 1][s], my
// degree-t share of dealer k's secret s (zero for dealers found corrupt).
template <typename R>
absl::StatusOr<std::vector<std::vector<R>>> Vss(Session& session, std::span<const R> my_secrets);

}  // namespace kms::mpc

#endif  // KMS_MPC_VSS_H_
