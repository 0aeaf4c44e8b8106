// File: mpc/adversary.h
//
// Deviations a malicious party can be told to make, for protocol tests only. Message-level
// misbehaviour (silence, crashes, delays, dropped, corrupted or equivocating messages) is injected
// by the in-process network (net/in_process_network.h); what needs protocol knowledge is here.
// An honest session has an empty Adversary and every check below is false.
#ifndef KMS_MPC_ADVERSARY_H_
#define KMS_MPC_ADVERSARY_H_

#include <set>

namespace kms::mpc {

struct Adversary {
  // Robust open and decryption: add a random error to every share this party sends.
  bool wrong_open_shares = false;
  // Broadcast: send a different R1 message to every receiver (an equivocating sender).
  bool equivocate_broadcast = false;
  // Broadcast: do not send the R1 message to these parties.
  std::set<int> broadcast_withhold_from;
  // VSS dealer: send rows/columns of a different polynomial to these parties.
  std::set<int> vss_inconsistent_to;
  // VSS dealer: when challenged (round 4), refuse to resolve (broadcast nothing useful).
  bool vss_refuse_resolution = false;
  // Offline phase: broadcast a wrong d_i = x_i y_i + v_i + z_i for every triple.
  bool wrong_triple_shares = false;
  // PRSS check: vote wrong PRF values.
  bool wrong_prss_votes = false;

  bool honest() const {
    return !wrong_open_shares && !equivocate_broadcast && broadcast_withhold_from.empty() &&
           vss_inconsistent_to.empty() && !vss_refuse_resolution && !wrong_triple_shares &&
           !wrong_prss_votes;
  }
};

}  // namespace kms::mpc

#endif  // KMS_MPC_ADVERSARY_H_
