// File: net/network.h
//
// The network a protocol talks to (crypto-spec A.4, B §3). Messages carry a tag (session id,
// sender role, round) and an opaque payload. Two implementations share the delivery rules of
// Mailbox (mailbox.h): InProcessNetwork (tests and simulations, with fault injection) and
// GrpcNetwork (peer gRPC transport with mutual TLS).
//
// Delivery rules (enforced by Mailbox, identical for every transport):
//  - a message tagged with a round older than the session's current round, or for a closed
//    session, is dropped for good (a duplicate of a message already delivered too);
//  - messages for the current or a future round are buffered within the sending peer's own
//    quotas (mailbox.h, "Quotas"): at most kMaxBufferedPerSender per (session, sender), a share
//    of the unopened sessions (4096 / n by default) and a share of the buffered bytes (4 GiB / n
//    by default). A flooding peer exhausts only its own share, never the memory of the party
//    nor what honest peers are owed;
//  - a message refused for a quota is not dropped: the transport retries it with backoff
//    (gRPC: the receiver answers a retryable RESOURCE_EXHAUSTED; in process: the hub retries
//    it), so it arrives once the receiver opens or consumes its sessions, unless it stays
//    refused for the transport's retry time (60 s over gRPC);
//  - a message whose tag names a sender other than the authenticated peer never reaches the
//    mailbox (the transport checks it);
//  - Send never blocks on the receiver; a lost message shows up as a receive timeout.
//
// Protocols do not use Network directly: they use RoundChannel (round_channel.h), which adds
// the round counter and the synchronous / asynchronous deadlines.
#ifndef KMS_NET_NETWORK_H_
#define KMS_NET_NETWORK_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kms::net {

using Role = int;  // 1-based party id
using SessionId = unsigned __int128;
using Clock = std::chrono::steady_clock;

// Immutable payload bytes, shared between the receivers of a send-to-all without copying.
using Payload = std::shared_ptr<const std::string>;

inline Payload MakePayload(std::string bytes) {
  return std::make_shared<const std::string>(std::move(bytes));
}

struct Tag {
  SessionId session_id = 0;
  Role sender = 0;
  uint64_t round = 0;
};

// Messages buffered per (session, sender), all rounds together, before further ones are refused
// for a quota (the reference buffers 32 per sender and 70 per party and session; crypto-spec
// B §3).
inline constexpr int kMaxBufferedPerSender = 64;

class Network {
 public:
  virtual ~Network() = default;

  virtual Role my_role() const = 0;
  virtual int num_parties() const = 0;

  // Queues `payload` for party `to` with `tag` (tag.sender must be my_role()). Never blocks on
  // the receiver; transports retry in the background. Thread-safe.
  virtual void Send(Role to, const Tag& tag, Payload payload) = 0;

  // Waits until a message from `from` tagged (sid, round) is available or `deadline` passes;
  // marks `round` as the session's current round (older rounds are dropped from then on).
  // Returns nullopt on timeout. Thread-safe.
  // Also nullopt, at once, if `round` is older than the session's current round (its messages
  // are gone), if `sid` was closed (also while waiting), or after the transport shut down.
  // A message is taken out when returned; a second copy of the same tag is ignored.
  virtual std::optional<Payload> Receive(SessionId sid, Role from, uint64_t round,
                                         Clock::time_point deadline) = 0;

  // Waits until a message tagged (sid, round) from any role in `from` is available, and
  // returns it with its sender; nullopt on timeout or if `from` is empty.
  virtual std::optional<std::pair<Role, Payload>> ReceiveAny(SessionId sid, uint64_t round,
                                                             const std::set<Role>& from,
                                                             Clock::time_point deadline) = 0;

  // Waits until messages tagged (sid, round) from at least `min_count` roles of `from` (all of
  // `from` if it has fewer) are available, then takes and returns every available one of them
  // (earliest available first); at `deadline`, or when the session closes, returns what is
  // available then (possibly nothing). One wake-up for a quorum instead of one per message
  // (asynchronous robust open). The default takes them one by one with ReceiveAny.
  virtual std::vector<std::pair<Role, Payload>> ReceiveMany(SessionId sid, uint64_t round,
                                                            const std::set<Role>& from,
                                                            size_t min_count,
                                                            Clock::time_point deadline) {
    std::vector<std::pair<Role, Payload>> out;
    std::set<Role> left = from;
    while (!left.empty()) {
      auto got = ReceiveAny(sid, round, left, out.size() < min_count ? deadline : Clock::now());
      if (!got) break;
      left.erase(got->first);
      out.push_back(std::move(*got));
    }
    return out;
  }

  // Forgets everything buffered for `sid`; later messages for it are dropped. Call when a
  // session ends. Thread-safe. Receivers waiting on `sid` return nullopt. Closed ids are
  // remembered for 24 h by default (MailboxOptions), so a session id must not be reused.
  virtual void CloseSession(SessionId sid) = 0;

  // When a message of `from` for `sid` last arrived (any round, even one already past), or
  // nullopt if none has. Liveness evidence for synchronous rounds (RoundChannel). Thread-safe.
  virtual std::optional<Clock::time_point> LastHeard(SessionId sid, Role from) = 0;
};

}  // namespace kms::net

#endif  // KMS_NET_NETWORK_H_
