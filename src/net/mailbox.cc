#include "net/mailbox.h"

#include <algorithm>
#include <cassert>
#include <string>

namespace kms::net {

const char* DeliverResultName(DeliverResult result) {
  switch (result) {
    case DeliverResult::kAccepted:
      return "accepted";
    case DeliverResult::kStaleRound:
      return "stale_round";
    case DeliverResult::kDuplicate:
      return "duplicate";
    case DeliverResult::kSenderBufferFull:
      return "sender_buffer_full";
    case DeliverResult::kClosedSession:
      return "closed_session";
    case DeliverResult::kTooManySessions:
      return "too_many_sessions";
    case DeliverResult::kInvalidSender:
      return "invalid_sender";
    case DeliverResult::kShutdown:
      return "shutdown";
    case DeliverResult::kSenderSessionQuota:
      return "sender_session_quota";
    case DeliverResult::kSenderByteQuota:
      return "sender_byte_quota";
    case DeliverResult::kByteBudget:
      return "byte_budget";
    case DeliverResult::kTooLarge:
      return "too_large";
  }
  return "unknown";
}

bool DeliverResultIsRetryable(DeliverResult result) {
  switch (result) {
    case DeliverResult::kSenderBufferFull:
    case DeliverResult::kTooManySessions:
    case DeliverResult::kSenderSessionQuota:
    case DeliverResult::kSenderByteQuota:
    case DeliverResult::kByteBudget:
      return true;
    default:
      return false;
  }
}

const char* DeliverResultLimitName(DeliverResult result) {
  switch (result) {
    case DeliverResult::kSenderBufferFull:
      return "max_buffered_per_sender";
    case DeliverResult::kTooManySessions:
      return "max_unopened_sessions";
    case DeliverResult::kSenderSessionQuota:
      return "max_unopened_sessions_per_sender";
    case DeliverResult::kSenderByteQuota:
    case DeliverResult::kTooLarge:
      return "max_buffered_bytes_per_sender";
    case DeliverResult::kByteBudget:
      return "max_buffered_bytes";
    default:
      return "";
  }
}

Mailbox::Mailbox(int num_parties, MailboxOptions options)
    : num_parties_(num_parties),
      options_(options),
      sender_session_quota_(options.max_unopened_sessions_per_sender != 0
                                ? options.max_unopened_sessions_per_sender
                                : std::max<size_t>(1, options.max_unopened_sessions /
                                                          static_cast<size_t>(num_parties))),
      sender_byte_quota_(options.max_buffered_bytes_per_sender != 0
                             ? options.max_buffered_bytes_per_sender
                             : options.max_buffered_bytes / static_cast<size_t>(num_parties)),
      last_sweep_(Clock::now()),
      unopened_by_sender_(num_parties + 1, 0),
      bytes_by_sender_(num_parties + 1, 0) {
  assert(num_parties >= 1);
}

Mailbox::~Mailbox() { Shutdown(); }

DeliverResult Mailbox::Count(DeliverResult result) {
  counters_[static_cast<int>(result)].fetch_add(1, std::memory_order_relaxed);
  return result;
}

DeliverResult Mailbox::Deliver(const Tag& tag, Payload payload, Clock::time_point available_at) {
  if (!payload) payload = MakePayload(std::string());
  const Clock::time_point now = Clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) return Count(DeliverResult::kShutdown);
  MaybeSweepLocked(now);
  const Role sender = tag.sender;
  if (sender < 1 || sender > num_parties_) return Count(DeliverResult::kInvalidSender);
  if (closed_.count(tag.session_id) != 0) return Count(DeliverResult::kClosedSession);

  // Every check comes before anything changes, so a refused message leaves no state behind (a
  // refused first message must not create an empty session that holds a slot).
  auto it = sessions_.find(tag.session_id);
  Session* session = it == sessions_.end() ? nullptr : it->second.get();
  const auto key = std::make_pair(sender, tag.round);
  int buffered = 0;
  if (session != nullptr) {
    session->last_heard[sender] = std::max(now, available_at);
    if (tag.round < session->current_round) return Count(DeliverResult::kStaleRound);
    if (session->messages.count(key) != 0 ||
        (tag.round == session->current_round && session->taken_in_current_round.count(sender))) {
      return Count(DeliverResult::kDuplicate);
    }
    auto b = session->buffered_per_sender.find(sender);
    if (b != session->buffered_per_sender.end()) buffered = b->second;
  }
  const size_t size = payload->size();
  if (size > sender_byte_quota_ || size > options_.max_buffered_bytes) {
    return Count(DeliverResult::kTooLarge);
  }
  if (buffered >= options_.max_buffered_per_sender) {
    return Count(DeliverResult::kSenderBufferFull);
  }
  // A sender's first message in a session nobody opened yet takes one of its unopened slots.
  const bool new_unopened_slot = session == nullptr || (!session->opened && buffered == 0);
  if (new_unopened_slot && unopened_by_sender_[sender] >= sender_session_quota_) {
    return Count(DeliverResult::kSenderSessionQuota);
  }
  if (session == nullptr && unopened_ >= options_.max_unopened_sessions) {
    return Count(DeliverResult::kTooManySessions);
  }
  if (bytes_by_sender_[sender] + size > sender_byte_quota_) {
    return Count(DeliverResult::kSenderByteQuota);
  }
  if (buffered_bytes_ + size > options_.max_buffered_bytes) {
    return Count(DeliverResult::kByteBudget);
  }

  if (session == nullptr) {
    it = sessions_.emplace(tag.session_id, std::make_shared<Session>()).first;
    session = it->second.get();
    ++unopened_;
  }
  if (new_unopened_slot) ++unopened_by_sender_[sender];
  ++session->buffered_per_sender[sender];
  bytes_by_sender_[sender] += size;
  buffered_bytes_ += size;
  session->messages.emplace(key, Entry{std::move(payload), available_at, next_seq_++});
  session->last_heard[sender] = std::max(now, available_at);
  session->last_activity = now;
  if (session->waiters > 0) {
    // A lone ReceiveMany waiter that still needs more than this message sleeps on (a delayed
    // message always wakes it: it must learn the message's available-at time).
    if (session->waiters == 1 && session->wake_need > 1 && tag.round == session->current_round &&
        available_at <= now) {
      --session->wake_need;
    } else {
      session->cv.notify_all();
    }
  }
  return Count(DeliverResult::kAccepted);
}

void Mailbox::UnaccountLocked(Session& session, Role sender, size_t bytes) {
  bytes_by_sender_[sender] -= bytes;
  buffered_bytes_ -= bytes;
  auto b = session.buffered_per_sender.find(sender);
  assert(b != session.buffered_per_sender.end() && b->second > 0);
  if (--b->second == 0) {
    session.buffered_per_sender.erase(b);
    if (!session.opened) --unopened_by_sender_[sender];
  }
}

std::shared_ptr<Mailbox::Session> Mailbox::OpenLocked(SessionId sid, Clock::time_point now) {
  if (closed_.count(sid) != 0) return nullptr;
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) {
    // Local receivers are trusted callers: opening a session is never refused.
    it = sessions_.emplace(sid, std::make_shared<Session>()).first;
    it->second->opened = true;
  } else if (!it->second->opened) {
    it->second->opened = true;
    --unopened_;
    // An opened session is the local party's own: it no longer counts against any sender.
    for (const auto& [sender, count] : it->second->buffered_per_sender) {
      if (count > 0) --unopened_by_sender_[sender];
    }
  }
  it->second->last_activity = now;
  return it->second;
}

void Mailbox::AdvanceRoundLocked(Session& session, uint64_t round) {
  if (round <= session.current_round) return;
  session.current_round = round;
  session.taken_in_current_round.clear();
  for (auto it = session.messages.begin(); it != session.messages.end();) {
    if (it->first.second < round) {
      UnaccountLocked(session, it->first.first, it->second.payload->size());
      it = session.messages.erase(it);
    } else {
      ++it;
    }
  }
}

Payload Mailbox::TakeLocked(Session& session,
                            std::map<std::pair<Role, uint64_t>, Entry>::iterator it) {
  Payload payload = std::move(it->second.payload);
  const Role sender = it->first.first;
  if (it->first.second == session.current_round) session.taken_in_current_round.insert(sender);
  UnaccountLocked(session, sender, payload->size());
  session.messages.erase(it);
  return payload;
}

std::optional<Payload> Mailbox::Receive(SessionId sid, Role from, uint64_t round,
                                        Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  Clock::time_point now = Clock::now();
  if (shutdown_) return std::nullopt;
  MaybeSweepLocked(now);
  std::shared_ptr<Session> session = OpenLocked(sid, now);
  if (!session || round < session->current_round) return std::nullopt;
  AdvanceRoundLocked(*session, round);
  ++session->waiters;
  std::optional<Payload> result;
  while (true) {
    if (shutdown_ || session->closed || round < session->current_round) break;
    Clock::time_point wake = deadline;
    auto it = session->messages.find(std::make_pair(from, round));
    if (it != session->messages.end()) {
      if (it->second.available_at <= now) {
        result = TakeLocked(*session, it);
        break;
      }
      wake = std::min(wake, it->second.available_at);
    }
    if (now >= deadline) break;
    session->cv.wait_until(lock, wake);
    now = Clock::now();
  }
  --session->waiters;
  session->last_activity = now;
  return result;
}

std::optional<std::pair<Role, Payload>> Mailbox::ReceiveAny(SessionId sid, uint64_t round,
                                                            const std::set<Role>& from,
                                                            Clock::time_point deadline) {
  if (from.empty()) return std::nullopt;
  std::unique_lock<std::mutex> lock(mu_);
  Clock::time_point now = Clock::now();
  if (shutdown_) return std::nullopt;
  MaybeSweepLocked(now);
  std::shared_ptr<Session> session = OpenLocked(sid, now);
  if (!session || round < session->current_round) return std::nullopt;
  AdvanceRoundLocked(*session, round);
  ++session->waiters;
  std::optional<std::pair<Role, Payload>> result;
  while (true) {
    if (shutdown_ || session->closed || round < session->current_round) break;
    Clock::time_point wake = deadline;
    auto best = session->messages.end();
    for (Role role : from) {
      auto it = session->messages.find(std::make_pair(role, round));
      if (it == session->messages.end()) continue;
      if (it->second.available_at > now) {
        wake = std::min(wake, it->second.available_at);
        continue;
      }
      if (best == session->messages.end() ||
          std::make_pair(it->second.available_at, it->second.seq) <
              std::make_pair(best->second.available_at, best->second.seq)) {
        best = it;
      }
    }
    if (best != session->messages.end()) {
      Role role = best->first.first;
      result.emplace(role, TakeLocked(*session, best));
      break;
    }
    if (now >= deadline) break;
    session->cv.wait_until(lock, wake);
    now = Clock::now();
  }
  --session->waiters;
  session->last_activity = now;
  return result;
}

std::vector<std::pair<Role, Payload>> Mailbox::ReceiveMany(SessionId sid, uint64_t round,
                                                           const std::set<Role>& from,
                                                           size_t min_count,
                                                           Clock::time_point deadline) {
  std::vector<std::pair<Role, Payload>> out;
  if (from.empty()) return out;
  min_count = std::clamp<size_t>(min_count, 1, from.size());
  std::unique_lock<std::mutex> lock(mu_);
  Clock::time_point now = Clock::now();
  if (shutdown_) return out;
  MaybeSweepLocked(now);
  std::shared_ptr<Session> session = OpenLocked(sid, now);
  if (!session || round < session->current_round) return out;
  AdvanceRoundLocked(*session, round);
  ++session->waiters;
  using Iter = std::map<std::pair<Role, uint64_t>, Entry>::iterator;
  std::vector<Iter> ready;
  while (true) {
    if (shutdown_ || session->closed || round < session->current_round) {
      ready.clear();
      break;
    }
    Clock::time_point wake = deadline;
    ready.clear();
    for (Role role : from) {
      auto it = session->messages.find(std::make_pair(role, round));
      if (it == session->messages.end()) continue;
      if (it->second.available_at > now) {
        wake = std::min(wake, it->second.available_at);
        continue;
      }
      ready.push_back(it);
    }
    if (ready.size() >= min_count || now >= deadline) break;
    session->wake_need = min_count - ready.size();
    session->cv.wait_until(lock, wake);
    session->wake_need = 0;
    now = Clock::now();
  }
  std::sort(ready.begin(), ready.end(), [](const Iter& a, const Iter& b) {
    return std::make_pair(a->second.available_at, a->second.seq) <
           std::make_pair(b->second.available_at, b->second.seq);
  });
  out.reserve(ready.size());
  for (Iter it : ready) {
    const Role role = it->first.first;
    out.emplace_back(role, TakeLocked(*session, it));
  }
  --session->waiters;
  session->last_activity = now;
  return out;
}

void Mailbox::EraseSessionLocked(std::map<SessionId, std::shared_ptr<Session>>::iterator it) {
  Session& session = *it->second;
  for (const auto& [key, entry] : session.messages) {
    UnaccountLocked(session, key.first, entry.payload->size());
  }
  if (!session.opened) --unopened_;
  session.closed = true;
  session.messages.clear();
  session.buffered_per_sender.clear();
  session.cv.notify_all();
  sessions_.erase(it);  // waiters keep the Session alive through their shared_ptr
}

void Mailbox::CloseSession(SessionId sid) {
  const Clock::time_point now = Clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  MaybeSweepLocked(now);
  auto it = sessions_.find(sid);
  if (it != sessions_.end()) EraseSessionLocked(it);
  closed_[sid] = now;
  closed_order_.emplace_back(now, sid);
  // Bound the memory of closed ids even if sessions close faster than they expire.
  while (closed_.size() > options_.max_closed_sessions && !closed_order_.empty()) {
    auto [time, old] = closed_order_.front();
    closed_order_.pop_front();
    auto c = closed_.find(old);
    if (c != closed_.end() && c->second == time) closed_.erase(c);
  }
}

void Mailbox::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) return;
  shutdown_ = true;
  for (auto& [sid, session] : sessions_) session->cv.notify_all();
}

void Mailbox::ExpireInactive() {
  std::lock_guard<std::mutex> lock(mu_);
  SweepLocked(Clock::now());
}

void Mailbox::MaybeSweepLocked(Clock::time_point now) {
  if (now - last_sweep_ >= options_.sweep_interval) SweepLocked(now);
}

void Mailbox::SweepLocked(Clock::time_point now) {
  last_sweep_ = now;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const Session& session = *it->second;
    if (session.waiters == 0 && now - session.last_activity > options_.inactive_session_timeout) {
      auto next = std::next(it);
      EraseSessionLocked(it);
      it = next;
    } else {
      ++it;
    }
  }
  while (!closed_order_.empty() &&
         now - closed_order_.front().first > options_.closed_session_memory) {
    auto [time, sid] = closed_order_.front();
    closed_order_.pop_front();
    auto c = closed_.find(sid);
    if (c != closed_.end() && c->second == time) closed_.erase(c);
  }
}

size_t Mailbox::active_sessions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

size_t Mailbox::unopened_sessions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return unopened_;
}

size_t Mailbox::unopened_sessions(Role sender) const {
  if (sender < 1 || sender > num_parties_) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  return unopened_by_sender_[sender];
}

size_t Mailbox::buffered_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buffered_bytes_;
}

size_t Mailbox::buffered_bytes(Role sender) const {
  if (sender < 1 || sender > num_parties_) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_by_sender_[sender];
}

std::optional<Clock::time_point> Mailbox::LastHeard(SessionId sid, Role from) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) return std::nullopt;
  auto heard = it->second->last_heard.find(from);
  if (heard == it->second->last_heard.end()) return std::nullopt;
  return heard->second;
}

}  // namespace kms::net
