// File: mpc/session.h
//
// The state one party holds while running one protocol session (crypto-spec B §2.0): the session
// id, the sorted roles 1..n, the threshold t, my role, the corrupt set, a random generator and the
// RoundChannel (round counter, sync/async deadlines). A protocol takes a Session and nothing else:
// it never opens sockets, reads files or reads the clock except through the channel's deadlines.
//
// The corrupt set starts empty and is never persisted (B §3): a party lands in it when it
// provably cheats (a ⊥ broadcast, an inconsistent VSS dealing, a wrong PRSS vote). From then on
// nobody waits for it and its shares count as ⊥.
//
// Sessions carry no test flags: a malicious party in a test is this same code behind an
// interceptor of the in-process network (tests/testing/adversary.h).
#ifndef KMS_MPC_SESSION_H_
#define KMS_MPC_SESSION_H_

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/random.h"
#include "net/round_channel.h"

namespace kms::mpc {

using net::Role;
using net::SessionId;

class Session {
 public:
  // REQUIRES: channel.roles() are 1..n, 3t < n.
  Session(net::RoundChannel& channel, int threshold);

  SessionId id() const { return channel_.session_id(); }
  Role my_role() const { return channel_.my_role(); }
  int n() const { return static_cast<int>(channel_.roles().size()); }
  int t() const { return threshold_; }
  const std::vector<Role>& roles() const { return channel_.roles(); }
  net::RoundChannel& net() { return channel_; }
  algebra::RandomSource& rng() { return rng_; }

  const std::set<Role>& corrupt() const { return corrupt_; }
  bool IsCorrupt(Role r) const { return corrupt_.contains(r); }
  // Adds `r` to the corrupt set. My own role may land there too: a party that deviated learns
  // what everyone else decided, so it keeps taking the same protocol branches as they do.
  // `reason` must not contain secrets.
  void MarkCorrupt(Role r, std::string_view reason);
  const std::vector<std::string>& corruption_log() const { return corruption_log_; }

  // Corrupt parties other than me (they count as ⊥ in reconstructions).
  int CorruptOthers() const {
    return static_cast<int>(corrupt_.size()) - (corrupt_.contains(my_role()) ? 1 : 0);
  }
  // Non-corrupt roles other than mine: the parties worth waiting for.
  std::set<Role> HonestOthers() const { return channel_.Others(corrupt_); }

 private:
  net::RoundChannel& channel_;
  const int threshold_;
  crypto::AesCtrRng rng_;
  std::set<Role> corrupt_;
  std::vector<std::string> corruption_log_;
};

}  // namespace kms::mpc

#endif  // KMS_MPC_SESSION_H_
