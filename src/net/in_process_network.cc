#include "net/in_process_network.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace kms::net {
namespace {

// SplitMix64 finaliser: independent-looking per-party seeds from one hub seed.
uint64_t MixSeed(uint64_t seed, uint64_t role) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (role + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Uniform(std::mt19937_64& rng) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// A payload that differs from `in`: 1 to 8 consecutive bytes XORed with non-zero masks, or a
// truncation; an empty payload gains 1 to 8 random bytes.
std::string Corrupt(const std::string& in, std::mt19937_64& rng) {
  if (in.empty()) {
    std::string out(1 + rng() % 8, '\0');
    for (char& c : out) c = static_cast<char>(rng());
    return out;
  }
  std::string out = in;
  if (rng() % 3 == 0) {
    out.resize(rng() % in.size());
    return out;
  }
  const size_t count = std::min<size_t>(1 + rng() % 8, in.size());
  const size_t start = rng() % in.size();
  for (size_t i = 0; i < count; ++i) {
    const uint8_t mask = static_cast<uint8_t>(1 + rng() % 255);
    char& c = out[(start + i) % in.size()];
    c = static_cast<char>(static_cast<uint8_t>(c) ^ mask);
  }
  return out;
}

// The value receiver `to` sees from an equivocating sender: the last byte XOR a mask that is
// non-zero and distinct for each receiver up to 255 parties.
std::string Equivocate(const std::string& in, Role to) {
  const uint8_t mask = static_cast<uint8_t>((static_cast<unsigned>(to) - 1) % 255 + 1);
  if (in.empty()) return std::string(1, static_cast<char>(mask));
  std::string out = in;
  out.back() = static_cast<char>(static_cast<uint8_t>(out.back()) ^ mask);
  return out;
}

}  // namespace

InProcessHub::InProcessHub(int num_parties, uint64_t seed, MailboxOptions mailbox_options)
    : pending_by_sender_(num_parties + 1, 0) {
  assert(num_parties >= 1);
  parties_.reserve(num_parties);
  for (Role r = 1; r <= num_parties; ++r) {
    parties_.push_back(std::make_unique<Party>(num_parties, MixSeed(seed, r), mailbox_options));
  }
}

InProcessHub::~InProcessHub() {
  std::thread retrier;
  {
    std::lock_guard<std::mutex> lock(retry_mu_);
    stopping_ = true;
    retrier = std::move(retrier_);
  }
  retry_cv_.notify_all();
  if (retrier.joinable()) retrier.join();
}

void InProcessHub::SetQuotaRetryFor(Clock::duration retry_for) {
  std::lock_guard<std::mutex> lock(retry_mu_);
  quota_retry_for_ = retry_for;
}

size_t InProcessHub::pending_retries() const {
  std::lock_guard<std::mutex> lock(retry_mu_);
  return pending_.size();
}

void InProcessHub::Retain(PendingDelivery delivery) {
  Party& sender = party(delivery.from);
  {
    std::lock_guard<std::mutex> lock(retry_mu_);
    const Clock::time_point at = Clock::now() + delivery.backoff;
    if (!stopping_ && at < delivery.give_up_at &&
        pending_by_sender_[delivery.from] < kMaxPendingPerSender) {
      sender.quota_retries.fetch_add(1, std::memory_order_relaxed);
      ++pending_by_sender_[delivery.from];
      pending_.emplace(at, std::move(delivery));
      if (!retrier_.joinable()) retrier_ = std::thread([this] { RunRetrier(); });
      retry_cv_.notify_one();
      return;
    }
  }
  sender.quota_dropped.fetch_add(1, std::memory_order_relaxed);
}

void InProcessHub::RunRetrier() {
  constexpr Clock::duration kMaxBackoff = std::chrono::milliseconds(50);
  std::unique_lock<std::mutex> lock(retry_mu_);
  while (!stopping_) {
    if (pending_.empty()) {
      retry_cv_.wait(lock);
      continue;
    }
    if (pending_.begin()->first > Clock::now()) {
      retry_cv_.wait_until(lock, pending_.begin()->first);
      continue;
    }
    PendingDelivery d = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    --pending_by_sender_[d.from];
    lock.unlock();
    const DeliverResult result = party(d.to).mailbox.Deliver(d.tag, d.payload, d.available_at);
    if (DeliverResultIsRetryable(result)) {
      d.backoff = std::min(d.backoff * 2, kMaxBackoff);
      Retain(std::move(d));
    }
    lock.lock();
  }
}

// A role outside 1..n here is a bug in the test harness, not untrusted input: stop loudly
// rather than index out of bounds in a release build.
InProcessHub::Party& InProcessHub::party(Role role) {
  if (role < 1 || role > num_parties()) {
    std::fprintf(stderr, "InProcessHub: role %d outside 1..%d\n", role, num_parties());
    std::abort();
  }
  return *parties_[role - 1];
}

const InProcessHub::Party& InProcessHub::party(Role role) const {
  return const_cast<InProcessHub*>(this)->party(role);
}

std::unique_ptr<InProcessNetwork> InProcessHub::Endpoint(Role role) {
  party(role);  // checks the range
  return std::make_unique<InProcessNetwork>(*this, role);
}

void InProcessHub::SetFault(Role role, FaultSpec spec) {
  Party& p = party(role);
  std::lock_guard<std::mutex> lock(p.mu);
  p.fault = spec;
}

void InProcessHub::SetInterceptor(Role role, Interceptor interceptor) {
  Party& p = party(role);
  std::lock_guard<std::mutex> lock(p.mu);
  p.interceptor = std::move(interceptor);
}

FaultSpec InProcessHub::fault(Role role) const {
  const Party& p = party(role);
  std::lock_guard<std::mutex> lock(p.mu);
  return p.fault;
}

TrafficCounters InProcessHub::traffic(Role role) const {
  const Party& p = party(role);
  TrafficCounters c;
  c.messages_sent = p.messages_sent.load(std::memory_order_relaxed);
  c.bytes_sent = p.bytes_sent.load(std::memory_order_relaxed);
  c.messages_received = p.messages_received.load(std::memory_order_relaxed);
  c.bytes_received = p.bytes_received.load(std::memory_order_relaxed);
  c.quota_retries = p.quota_retries.load(std::memory_order_relaxed);
  c.quota_dropped = p.quota_dropped.load(std::memory_order_relaxed);
  return c;
}

FaultCounters InProcessHub::fault_counters(Role role) const {
  const Party& p = party(role);
  std::lock_guard<std::mutex> lock(p.mu);
  return p.fault_counters;
}

Mailbox& InProcessHub::mailbox(Role role) { return party(role).mailbox; }

void InProcessHub::Send(Role from, Role to, const Tag& tag, Payload payload) {
  Party& sender = party(from);
  if (!payload) payload = MakePayload(std::string());
  Clock::time_point available_at;
  {
    std::lock_guard<std::mutex> lock(sender.mu);
    // The transport's own checks, as GrpcNetwork makes them: a real receiver, and a tag that
    // names the sending party.
    if (to < 1 || to > num_parties() || tag.sender != from) {
      ++sender.fault_counters.rejected;
      return;
    }
    if (sender.interceptor) {
      std::optional<Payload> rewritten = sender.interceptor(to, tag, payload);
      if (!rewritten) {
        ++sender.fault_counters.intercepted;
        return;
      }
      if (*rewritten != payload) ++sender.fault_counters.intercepted;
      payload = *rewritten ? std::move(*rewritten) : MakePayload(std::string());
    }
    const FaultSpec& f = sender.fault;
    if (f.silent) {
      ++sender.fault_counters.silenced;
      return;
    }
    if (f.crash_after_round.has_value() && tag.round > *f.crash_after_round) {
      ++sender.fault_counters.crashed;
      return;
    }
    if (f.drop_fraction > 0 && Uniform(sender.rng) < f.drop_fraction) {
      ++sender.fault_counters.dropped;
      return;
    }
    if (f.corrupt_fraction > 0 && Uniform(sender.rng) < f.corrupt_fraction) {
      payload = MakePayload(Corrupt(*payload, sender.rng));
      ++sender.fault_counters.corrupted;
    }
    if (f.equivocate) {
      payload = MakePayload(Equivocate(*payload, to));
      ++sender.fault_counters.equivocated;
    }
    if (f.delay.count() > 0) {
      available_at = Clock::now() + f.delay;
      ++sender.fault_counters.delayed;
    }
  }
  Party& receiver = party(to);
  const uint64_t bytes = payload->size();
  sender.messages_sent.fetch_add(1, std::memory_order_relaxed);
  sender.bytes_sent.fetch_add(bytes, std::memory_order_relaxed);
  receiver.messages_received.fetch_add(1, std::memory_order_relaxed);
  receiver.bytes_received.fetch_add(bytes, std::memory_order_relaxed);
  if (DeliverResultIsRetryable(receiver.mailbox.Deliver(tag, payload, available_at))) {
    Clock::duration retry_for;
    {
      std::lock_guard<std::mutex> lock(retry_mu_);
      retry_for = quota_retry_for_;
    }
    Retain(PendingDelivery{from, to, tag, std::move(payload), available_at,
                           std::chrono::milliseconds(1), Clock::now() + retry_for});
  }
}

void InProcessNetwork::Send(Role to, const Tag& tag, Payload payload) {
  hub_.Send(role_, to, tag, std::move(payload));
}

std::optional<Payload> InProcessNetwork::Receive(SessionId sid, Role from, uint64_t round,
                                                 Clock::time_point deadline) {
  return hub_.mailbox(role_).Receive(sid, from, round, deadline);
}

std::optional<std::pair<Role, Payload>> InProcessNetwork::ReceiveAny(SessionId sid, uint64_t round,
                                                                     const std::set<Role>& from,
                                                                     Clock::time_point deadline) {
  return hub_.mailbox(role_).ReceiveAny(sid, round, from, deadline);
}

std::vector<std::pair<Role, Payload>> InProcessNetwork::ReceiveMany(SessionId sid, uint64_t round,
                                                                    const std::set<Role>& from,
                                                                    size_t min_count,
                                                                    Clock::time_point deadline) {
  return hub_.mailbox(role_).ReceiveMany(sid, round, from, min_count, deadline);
}

void InProcessNetwork::CloseSession(SessionId sid) { hub_.mailbox(role_).CloseSession(sid); }

std::optional<Clock::time_point> InProcessNetwork::LastHeard(SessionId sid, Role from) {
  return hub_.mailbox(role_).LastHeard(sid, from);
}

}  // namespace kms::net
