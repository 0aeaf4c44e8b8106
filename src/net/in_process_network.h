// File: net/in_process_network.h
//
// n parties in one process (architecture.md: "the same code runs over the in-process network in
// tests (13 parties in one process, with chosen parties malicious) and over gRPC"). An
// InProcessHub owns one Mailbox per party and hands out per-party Network endpoints; the test
// harness runs each party's protocol on its own thread. A send is a Mailbox::Deliver into the
// receiver's mailbox, so delivery rules are exactly those of the gRPC transport.
//
// Fault injection, per sending party, settable at any time (FaultSpec): silence, crash after a
// round, delay, random drops, random corruption, equivocation. Faults act on what a party sends,
// so a faulty party's protocol code runs unchanged, as an honest party's would, and the harness
// decides who misbehaves. A scripted adversary goes further with an Interceptor: it sees every
// outgoing message of its party per receiver and may rewrite, withhold or equivocate it
// (tests/testing/adversary.h holds protocol-aware strategies). Production code carries no test
// flags: a corrupt party is honest code behind an interceptor. Randomness comes from a PRNG per
// sending party seeded from the hub's seed, so a failing run can be replayed (given the same
// interleaving of that party's sends).
//
// Like the gRPC transport, a message whose tag names a sender other than the sending endpoint's
// role is rejected (counted, never delivered).
//
// Quotas. As over gRPC, a message the receiver's mailbox refuses for a quota
// (DeliverResultIsRetryable) is retried, so a protocol sees the same behaviour on both
// transports: the hub keeps it and delivers it again from a background thread (started at the
// first such refusal) with backoff (1 ms doubling to 50 ms) for up to quota_retry_for (10 s by
// default, SetQuotaRetryFor; longer than the tests' round deadlines, shorter than gRPC's 60 s
// so a test's flood does not keep retrying long after the test is over). Then, or when a
// sending party already has max_pending_per_sender (4096) refused messages waiting, it is
// dropped and counted (TrafficCounters::quota_dropped). Final refusals (stale round, closed
// session, ...) are dropped at once, as over gRPC.
//
//   InProcessHub hub(4);
//   hub.SetFault(4, FaultSpec::Silent());
//   std::vector<std::unique_ptr<InProcessNetwork>> nets;
//   for (Role r = 1; r <= 4; ++r) nets.push_back(hub.Endpoint(r));
//   // one thread per party: RunProtocol(*nets[r - 1], ...)
//
// Thread safety: the hub and its endpoints are thread-safe. The hub must outlive its endpoints.
#ifndef KMS_NET_IN_PROCESS_NETWORK_H_
#define KMS_NET_IN_PROCESS_NETWORK_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "net/mailbox.h"
#include "net/network.h"

namespace kms::net {

// Misbehaviour of one sending party. The default is an honest party. Checks apply in the order
// below; a message dropped by one is not seen by the next.
struct FaultSpec {
  // Sends nothing at all (receivers time out).
  bool silent = false;
  // Messages tagged with a round later than this are not sent (a crash after that round).
  std::optional<uint64_t> crash_after_round;
  // Each message is delivered this much later (kept as the mailbox entry's available-at time;
  // Send itself never sleeps).
  std::chrono::milliseconds delay{0};
  // Each message is dropped with this probability.
  double drop_fraction = 0.0;
  // Each message is corrupted with this probability: bytes flipped, or the payload truncated
  // (an empty payload gains bytes). A corrupted payload always differs from the original.
  double corrupt_fraction = 0.0;
  // Every message is altered differently for each receiver (the last byte XOR a value that
  // depends on the receiver), so different receivers see different values (up to 255 parties).
  bool equivocate = false;

  // One fault each (g++ 12 warns on designated initialisers that skip members, so these are
  // the convenient spelling): hub.SetFault(4, FaultSpec::Silent()).
  static FaultSpec Silent() {
    FaultSpec f;
    f.silent = true;
    return f;
  }
  static FaultSpec CrashAfterRound(uint64_t round) {
    FaultSpec f;
    f.crash_after_round = round;
    return f;
  }
  static FaultSpec Delay(std::chrono::milliseconds delay) {
    FaultSpec f;
    f.delay = delay;
    return f;
  }
  static FaultSpec Drop(double fraction) {
    FaultSpec f;
    f.drop_fraction = fraction;
    return f;
  }
  static FaultSpec Corrupt(double fraction) {
    FaultSpec f;
    f.corrupt_fraction = fraction;
    return f;
  }
  static FaultSpec Equivocate() {
    FaultSpec f;
    f.equivocate = true;
    return f;
  }
};

// Traffic of one party since the hub was created (delivery attempts, before mailbox rules).
struct TrafficCounters {
  uint64_t messages_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t messages_received = 0;
  uint64_t bytes_received = 0;
  // Of the messages this party sent: delivery attempts refused for a quota by the receiver's
  // mailbox and retried, and messages given up after such refusals.
  uint64_t quota_retries = 0;
  uint64_t quota_dropped = 0;
};

// What the faults of one sending party did.
struct FaultCounters {
  uint64_t silenced = 0;
  uint64_t crashed = 0;
  uint64_t dropped = 0;
  uint64_t corrupted = 0;
  uint64_t equivocated = 0;
  uint64_t delayed = 0;
  uint64_t rejected = 0;     // bad receiver or a tag naming another sender
  uint64_t intercepted = 0;  // withheld or rewritten by the interceptor
};

class InProcessNetwork;

// What a corrupt sender's message to `to` becomes: nullopt withholds it, a payload replaces it.
// Called once per (message, receiver) before the FaultSpec applies, on the sender's thread;
// stateful interceptors are fine (one sender's sends are serialized per hub party).
using Interceptor =
    std::function<std::optional<Payload>(Role to, const Tag& tag, const Payload& payload)>;

class InProcessHub {
 public:
  // REQUIRES: num_parties >= 1. `seed` seeds the per-party fault PRNGs.
  explicit InProcessHub(int num_parties, uint64_t seed = 0x6b6d732d6e6574,
                        MailboxOptions mailbox_options = {});
  ~InProcessHub();
  InProcessHub(const InProcessHub&) = delete;
  InProcessHub& operator=(const InProcessHub&) = delete;

  int num_parties() const { return static_cast<int>(parties_.size()); }

  // The Network of party `role`. Several endpoints of one role share its mailbox.
  // REQUIRES: 1 <= role <= num_parties(); the hub outlives the endpoint.
  std::unique_ptr<InProcessNetwork> Endpoint(Role role);

  // Replaces the faults of sending party `role` (FaultSpec{} makes it honest again); applies to
  // messages sent from now on. REQUIRES: 1 <= role <= num_parties().
  void SetFault(Role role, FaultSpec spec);
  FaultSpec fault(Role role) const;
  // Puts `interceptor` between party `role` and the network (an empty function removes it).
  void SetInterceptor(Role role, Interceptor interceptor);

  TrafficCounters traffic(Role role) const;
  FaultCounters fault_counters(Role role) const;
  // Party `role`'s mailbox (for its drop counters and session count).
  Mailbox& mailbox(Role role);

  // Delivers `payload` from `from` to `to` after applying `from`'s faults. Used by endpoints.
  void Send(Role from, Role to, const Tag& tag, Payload payload);

  // How long a message refused for a quota is retried (see "Quotas" above); zero drops it at
  // once. Applies to refusals from now on.
  void SetQuotaRetryFor(Clock::duration retry_for);
  static constexpr size_t kMaxPendingPerSender = 4096;
  // Messages refused for a quota and waiting to be retried.
  size_t pending_retries() const;

 private:
  struct PendingDelivery {
    Role from = 0;
    Role to = 0;
    Tag tag;
    Payload payload;
    Clock::time_point available_at;
    Clock::duration backoff;
    Clock::time_point give_up_at;
  };
  struct Party {
    explicit Party(int num_parties, uint64_t seed, const MailboxOptions& options)
        : mailbox(num_parties, options), rng(seed) {}
    Mailbox mailbox;
    mutable std::mutex mu;
    FaultSpec fault ABSL_GUARDED_BY(mu);
    Interceptor interceptor ABSL_GUARDED_BY(mu);
    std::mt19937_64 rng ABSL_GUARDED_BY(mu);
    FaultCounters fault_counters ABSL_GUARDED_BY(mu);
    std::atomic<uint64_t> messages_sent{0}, bytes_sent{0}, messages_received{0}, bytes_received{0};
    std::atomic<uint64_t> quota_retries{0}, quota_dropped{0};
  };
  Party& party(Role role);
  const Party& party(Role role) const;
  // Keeps a message refused for a quota for a retry (or counts it as dropped).
  void Retain(PendingDelivery delivery);
  void RunRetrier();

  std::vector<std::unique_ptr<Party>> parties_;

  mutable std::mutex retry_mu_;
  std::condition_variable retry_cv_;
  Clock::duration quota_retry_for_ ABSL_GUARDED_BY(retry_mu_) = std::chrono::seconds(10);
  std::multimap<Clock::time_point, PendingDelivery> pending_ ABSL_GUARDED_BY(retry_mu_);
  std::vector<size_t> pending_by_sender_ ABSL_GUARDED_BY(retry_mu_);  // index: role
  bool stopping_ ABSL_GUARDED_BY(retry_mu_) = false;
  std::thread retrier_ ABSL_GUARDED_BY(retry_mu_);
};

// One party's endpoint of an InProcessHub.
class InProcessNetwork final : public Network {
 public:
  InProcessNetwork(InProcessHub& hub, Role role) : hub_(hub), role_(role) {}

  Role my_role() const override { return role_; }
  int num_parties() const override { return hub_.num_parties(); }
  void Send(Role to, const Tag& tag, Payload payload) override;
  std::optional<Payload> Receive(SessionId sid, Role from, uint64_t round,
                                 Clock::time_point deadline) override;
  std::vector<std::pair<Role, Payload>> ReceiveMany(SessionId sid, uint64_t round,
                                                    const std::set<Role>& from, size_t min_count,
                                                    Clock::time_point deadline) override;
  std::optional<std::pair<Role, Payload>> ReceiveAny(SessionId sid, uint64_t round,
                                                     const std::set<Role>& from,
                                                     Clock::time_point deadline) override;
  void CloseSession(SessionId sid) override;
  std::optional<Clock::time_point> LastHeard(SessionId sid, Role from) override;

  Mailbox& mailbox() { return hub_.mailbox(role_); }

 private:
  InProcessHub& hub_;
  const Role role_;
};

}  // namespace kms::net

#endif  // KMS_NET_IN_PROCESS_NETWORK_H_
