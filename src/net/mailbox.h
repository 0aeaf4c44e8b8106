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
//    (session, sender) across all rounds.
//  - A message for a session nobody has opened yet is buffered too (a fast party starts a
//    session before a slow one); the first Receive on a session opens it.
//  - A duplicate (same session, sender and round as a message buffered or already received) is
//    ignored: the first one wins, so a peer cannot replace a value it already sent.
//  - Sessions with no delivery or receive for longer than inactive_session_timeout (default
//    15 min) and nobody waiting are forgotten, with their buffered messages.
//  - CloseSession forgets the session and remembers its id for closed_session_memory (default
//    24 h, at most max_closed_sessions ids): late messages for it are dropped, not buffered, and
//    receivers waiting on it return nullopt at once.
//  - A message may carry an available-at time (the in-process network's delay fault): it stays
//    invisible to receivers until then.
//
// Quotas (security review of src/net: a corrupt peer must exhaust only its own share). Every
// sender has its own budget, and the defaults split the global limits evenly between the n
// senders (the local party included), so no sender, nor any t of them together, can use up what
// the others are owed:
//  - unopened sessions: a sender may have buffered messages in at most
//    max_unopened_sessions_per_sender sessions that no local receiver has opened (default
//    max_unopened_sessions / n = 4096 / n: 315 sessions at 13 parties, 1024 at 4). A session
//    counts against every sender with messages in it, so colluding senders each pay for it;
//    opening it (the first Receive) releases it for everyone. At most max_unopened_sessions
//    (4096) unopened sessions exist in all.
//  - bytes: a sender's buffered payloads, in all sessions opened or not, total at most
//    max_buffered_bytes_per_sender (default max_buffered_bytes / n), and all senders' at most
//    max_buffered_bytes (default 4 GiB: 315 MiB per sender at 13 parties, 1 GiB at 4).
//    Preprocessing broadcasts are a few MB per message (a batch of 10,000 triples is ~1.3 MB
//    of GR(2^128) shares, plus framing), and a synchronous protocol lets an honest sender run
//    at most a few rounds ahead in each of a few parallel sessions: 315 MiB holds ~100 such
//    messages, well above honest use, while 4 GiB stays affordable on a production party.
//  A message refused for a quota (DeliverResultIsRetryable) is not lost for good: the
//  transports answer it with a retryable RESOURCE_EXHAUSTED and the sender tries again with
//  backoff, succeeding once the receiver opens or consumes its sessions. Refusals for a stale
//  round, a closed session, a duplicate, a shutdown or a payload that can never fit the
//  sender's byte quota (kTooLarge) are final: retrying cannot help.
// Every refusal is counted by reason (DeliverResult).
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
#include <vector>

#include "absl/base/thread_annotations.h"
#include "net/network.h"

namespace kms::net {

// The outcome of Mailbox::Deliver: accepted, or the reason the message was refused. The values
// marked "retryable" are quotas: the same message may be accepted later, once the receiver has
// opened or consumed sessions (DeliverResultIsRetryable). The others are final.
enum class DeliverResult : int {
  kAccepted = 0,
  kStaleRound,          // tagged with a round older than the session's current round
  kDuplicate,           // same (session, sender, round) already buffered or received
  kSenderBufferFull,    // retryable: max_buffered_per_sender messages of this sender in the session
  kClosedSession,       // the session was closed
  kTooManySessions,     // retryable: max_unopened_sessions unopened sessions already exist
  kInvalidSender,       // sender outside 1..num_parties
  kShutdown,            // the mailbox was shut down
  kSenderSessionQuota,  // retryable: the sender is in its quota of unopened sessions already
  kSenderByteQuota,     // retryable: the sender's buffered bytes would pass its byte quota
  kByteBudget,          // retryable: all senders' buffered bytes would pass max_buffered_bytes
  kTooLarge,            // the payload alone is larger than the sender's byte quota
};
inline constexpr int kNumDeliverResults = 12;

// Stable lower-case name ("stale_round", ...) for logs and metric labels.
const char* DeliverResultName(DeliverResult result);

// True for the quota refusals, which a sender should retry later (see DeliverResult).
bool DeliverResultIsRetryable(DeliverResult result);

// The MailboxOptions field whose limit refused a message ("max_unopened_sessions_per_sender",
// ...), for the transports' error messages; "" for kAccepted and the final refusals other than
// kTooLarge ("max_buffered_bytes_per_sender").
const char* DeliverResultLimitName(DeliverResult result);

inline constexpr size_t kDefaultMaxUnopenedSessions = 4096;
inline constexpr size_t kDefaultMaxBufferedBytes = size_t{4} << 30;

struct MailboxOptions {
  // Messages buffered per (session, sender), all rounds together.
  int max_buffered_per_sender = kMaxBufferedPerSender;
  // Unopened sessions in all, and per sender (0: max_unopened_sessions / num_parties, at
  // least 1). See "Quotas" above.
  size_t max_unopened_sessions = kDefaultMaxUnopenedSessions;
  size_t max_unopened_sessions_per_sender = 0;
  // Buffered payload bytes in all, and per sender (0: max_buffered_bytes / num_parties).
  size_t max_buffered_bytes = kDefaultMaxBufferedBytes;
  size_t max_buffered_bytes_per_sender = 0;
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
  // message was refused; a refused message is not kept, and a retryable refusal
  // (DeliverResultIsRetryable) leaves no trace but its counter, so the same message may be
  // delivered again later. Never blocks on receivers.
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

  // Network::ReceiveMany: waits until messages of at least min(min_count, |from|) roles of `from`
  // for (sid, round) are available (deliveries before that do not wake the receiver), then takes
  // every available one; at `deadline`, on close or shutdown, takes what is available then.
  std::vector<std::pair<Role, Payload>> ReceiveMany(SessionId sid, uint64_t round,
                                                    const std::set<Role>& from, size_t min_count,
                                                    Clock::time_point deadline);

  // Network::CloseSession: drops everything buffered for `sid`, wakes its receivers (they
  // return nullopt) and drops later messages for it.
  void CloseSession(SessionId sid);

  // Network::LastHeard: when a message of `from` for `sid` last arrived, accepted or dropped as
  // stale or duplicate (a party that sends is alive, even when it is behind).
  std::optional<Clock::time_point> LastHeard(SessionId sid, Role from) const;

  // Wakes every receiver (they return nullopt) and drops every later delivery. Irreversible.
  void Shutdown();

  // Forgets inactive sessions and expired closed-session ids now (normally done every
  // sweep_interval as a side effect of the other calls).
  void ExpireInactive();

  int num_parties() const { return num_parties_; }
  // Sessions currently held (opened or not); the `kms_active_sessions` metric.
  size_t active_sessions() const;
  // Sessions holding messages that no Receive has asked for yet, in all and those in which
  // `sender` has buffered messages (0 for a role outside 1..num_parties).
  size_t unopened_sessions() const;
  size_t unopened_sessions(Role sender) const;
  // Payload bytes buffered, in all and from `sender` (0 for a role outside 1..num_parties).
  size_t buffered_bytes() const;
  size_t buffered_bytes(Role sender) const;
  // The effective per-sender quotas (MailboxOptions with the defaults resolved).
  size_t sender_session_quota() const { return sender_session_quota_; }
  size_t sender_byte_quota() const { return sender_byte_quota_; }
  const MailboxOptions& options() const { return options_; }
  // Messages accepted, and messages refused for `reason`, since construction.
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
    std::map<Role, Clock::time_point> last_heard;
    int waiters = 0;
    // Set by a lone ReceiveMany waiter: current-round deliveries still needed before waking it
    // can help (0: wake on every delivery).
    size_t wake_need = 0;
    std::condition_variable cv;
  };

  DeliverResult Count(DeliverResult result);
  // The session for a local receive, created (and opened) if needed; nullptr if it is closed.
  std::shared_ptr<Session> OpenLocked(SessionId sid, Clock::time_point now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AdvanceRoundLocked(Session& session, uint64_t round) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes one buffered message of `sender` of `bytes` bytes from `session`'s accounting.
  void UnaccountLocked(Session& session, Role sender, size_t bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Payload TakeLocked(Session& session, std::map<std::pair<Role, uint64_t>, Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseSessionLocked(std::map<SessionId, std::shared_ptr<Session>>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeSweepLocked(Clock::time_point now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SweepLocked(Clock::time_point now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int num_parties_;
  const MailboxOptions options_;
  const size_t sender_session_quota_;
  const size_t sender_byte_quota_;

  mutable std::mutex mu_;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  Clock::time_point last_sweep_ ABSL_GUARDED_BY(mu_);
  std::map<SessionId, std::shared_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  size_t unopened_ ABSL_GUARDED_BY(mu_) = 0;
  size_t buffered_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Per sender (index: role; 0 unused): unopened sessions it has messages in, buffered bytes.
  std::vector<size_t> unopened_by_sender_ ABSL_GUARDED_BY(mu_);
  std::vector<size_t> bytes_by_sender_ ABSL_GUARDED_BY(mu_);
  // Closed session ids with their closing time, and the same in closing order for expiry.
  std::map<SessionId, Clock::time_point> closed_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<Clock::time_point, SessionId>> closed_order_ ABSL_GUARDED_BY(mu_);

  std::array<std::atomic<uint64_t>, kNumDeliverResults> counters_{};
};

}  // namespace kms::net

#endif  // KMS_NET_MAILBOX_H_
