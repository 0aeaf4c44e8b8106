// File: net/mailbox.h
//
// The per-party store of incoming tagged messages. Every transport (InProcessNetwork, GrpcNetwork)
// delivers into a Mailbox and implements Network's Receive / ReceiveAny / CloseSession with it,
// so the delivery rules of network.h hold identically whichever transport carries the bytes
// (crypto-spec B §3 "Rounds and timeouts", "Sending-service limits"; service-spec §3).
//
// Rules, per session id:
//  - The current round is the highest round any Receive / ReceiveAny asked for (0 before that).
//    A message tagged with an older round is dropped on arrival, and buffered ones are purged
//    when the round advances. Receive for a round older than the current one returns nullopt.
//  - Messages for the current or later rounds are buffered, at most max_buffered_per_sender per
//    (session, sender) across all rounds; beyond that they are dropped, so a flooding peer holds
//    at most that many payloads per session.
//  - A message for a session nobody has opened yet is buffered too (a fast party starts a
//    session before a slow one). At most max_unopened_sessions such sessions exist at once;
//    the first Receive on a session opens it.
//  - Sessions with no delivery or receive for longer than inactive_session_timeout (default
//    15 min) and nobody waiting are forgotten, with their buffered messages.
//  - CloseSession forgets the session and remembers its id for closed_session_memory (default
//    24 h, at most max_closed_sessions ids): late messages for it are dropped, not buffered, and
//    receivers waiting on it return nullopt at once.
//  - A duplicate (same session, sender and round as a message buffered or already received) is
//    ignored: the first one wins, so a peer cannot replace a value it already sent.
//  - A message may carry an available-at time (the in-process network's delay fault): it stays
//    invisible to receivers until then.
// Every drop is counted by reason (DeliverResult).
//
// Thread safety: all methods are thread-safe. Each session has its own condition variable, so
// a delivery wakes only the receivers of that session.
#ifndef KMS_NET_MAILBOX_H_
#define KMS_NET_MAILBOX_H_

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "net/network.h"

namespace kms::net {

// The outcome of Mailbox::Deliver: accepted, or the reason the message was dropped.
enum class DeliverResult : int {
  kAccepted = 0,
  kStaleRound,        // tagged with a round older than the session's current round
  kDuplicate,         // same (session, sender, round) already buffered or received
  kSenderBufferFull,  // max_buffered_per_sender messages of this sender already buffered
  kClosedSession,     // the session was closed
  kTooManySessions,   // max_unopened_sessions unopened sessions already exist
  kInvalidSender,     // sender outside 1..num_parties
  kShutdown,          // the mailbox was shut down
};
inline constexpr int kNumDeliverResults = 8;

// Stable lower-case name ("stale_round", ...) for logs and metric labels.
const char* DeliverResultName(DeliverResult result);

struct MailboxOptions {
  int max_buffered_per_sender = kMaxBufferedPerSender;
  size_t max_unopened_sessions = 4096;
  Clock::duration inactive_session_timeout = std::chrono::minutes(15);
  Clock::duration closed_session_memory = std::chrono::hours(24);
  size_t max_closed_sessions = 1 << 16;
  // Expiry runs at most this often (from Deliver / Receive / CloseSession), so its cost, linear
  // in the number of sessions, stays off the per-message path.
  Clock::duration sweep_interval = std::chrono::seconds(1);
};

class Mailbox {
 public:
  // REQUIRES: num_parties >= 1. Senders must be in 1..num_parties.
  explicit Mailbox(int num_parties, MailboxOptions options = {});
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Buffers `payload` under `tag` (a null payload is stored as an empty one), visible to
  // receivers from `available_at` on (the default: at once). Returns kAccepted or why the
  // message was dropped. Never blocks on receivers.
  DeliverResult Deliver(const Tag& tag, Payload payload,
                        Clock::time_point available_at = Clock::time_point());

  // Network::Receive: waits until the message of `from` for (sid, round) is available, takes it
  // out of the mailbox and returns it; nullopt at `deadline`, if `round` is older than the
  // session's current round, if the session is or gets closed, or after Shutdown.
  std::optional<Payload> Receive(SessionId sid, Role from, uint64_t round,
                                 Clock::time_point deadline);

  // Network::ReceiveAny: as Receive, for the first available message of any role in `from`
  // (earliest available first, then arrival order). nullopt if `from` is empty.
  std::optional<std::pair<Role, Payload>> ReceiveAny(SessionId sid, uint64_t round,
                                                     const std::set<Role>& from,
                                                     Clock::time_point deadline);

  // Network::CloseSession: drops everything buffered for `sid`, wakes its receivers (they
  // return nullopt) and drops later messages for it.
  void CloseSession(SessionId sid);

  // Wakes every receiver (they return nullopt) and drops every later delivery. Irreversible.
  void Shutdown();

  // Forgets inactive sessions and expired closed-session ids now (normally done every
  // sweep_interval as a side effect of the other calls).
  void ExpireInactive();

  int num_parties() const { return num_parties_; }
  // Sessions currently held (opened or not); the `kms_active_sessions` metric.
  size_t active_sessions() const;
  // Sessions holding messages that no Receive has asked for yet.
  size_t unopened_sessions() const;
  // Messages accepted, and messages dropped for `reason`, since construction.
  uint64_t accepted() const { return counters_[0].load(std::memory_order_relaxed); }
  uint64_t dropped(DeliverResult reason) const {
    return counters_[static_cast<int>(reason)].load(std::memory_order_relaxed);
  }

 private:
  struct Entry {
    Payload payload;
    Clock::time_point available_at;
    uint64_t seq;  // arrival order, for ReceiveAny
  };
  struct Session {
    bool opened = false;  // some Receive asked for this session
    bool closed = false;  // removed while receivers waited: they must return nullopt
    uint64_t current_round = 0;
    Clock::time_point last_activity;
    std::map<std::pair<Role, uint64_t>, Entry> messages;  // key: (sender, round)
    std::map<Role, int> buffered_per_sender;
    // Senders whose current-round message was already received: a second copy is a duplicate.
    std::set<Role> taken_in_current_round;
    int waiters = 0;
    std::condition_variable cv;
  };

  DeliverResult Count(DeliverResult result);
  // The session for a local receive, created (and opened) if needed; nullptr if it is closed.
  std::shared_ptr<Session> OpenLocked(SessionId sid, Clock::time_point now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AdvanceRoundLocked(Session& session, uint64_t round) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Payload TakeLocked(Session& session, std::map<std::pair<Role, uint64_t>, Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseSessionLocked(std::map<SessionId, std::shared_ptr<Session>>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeSweepLocked(Clock::time_point now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SweepLocked(Clock::time_point now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int num_parties_;
  const MailboxOptions options_;

  mutable std::mutex mu_;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  Clock::time_point last_sweep_ ABSL_GUARDED_BY(mu_);
  std::map<SessionId, std::shared_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  size_t unopened_ ABSL_GUARDED_BY(mu_) = 0;
  // Closed session ids with their closing time, and the same in closing order for expiry.
  std::map<SessionId, Clock::time_point> closed_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<Clock::time_point, SessionId>> closed_order_ ABSL_GUARDED_BY(mu_);

  std::array<std::atomic<uint64_t>, kNumDeliverResults> counters_{};
};

}  // namespace kms::net

#endif  // KMS_NET_MAILBOX_H_
