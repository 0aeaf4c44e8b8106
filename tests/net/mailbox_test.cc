#include "net/mailbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace kms::net {

// Failures print "kSenderSessionQuota (sender_session_quota)" rather than the enum's bytes.
void PrintTo(DeliverResult result, std::ostream* os) { *os << DeliverResultName(result); }

namespace {

using std::chrono::milliseconds;

constexpr SessionId kSid = (static_cast<SessionId>(0x0123456789abcdefULL) << 64) | 42;

Tag T(Role sender, uint64_t round, SessionId sid = kSid) { return Tag{sid, sender, round}; }

Clock::time_point In(milliseconds d) { return Clock::now() + d; }

std::string Text(const std::optional<Payload>& p) { return p.has_value() ? **p : "<none>"; }

TEST(MailboxTest, DeliverThenReceive) {
  Mailbox box(4);
  EXPECT_EQ(box.Deliver(T(2, 0), MakePayload("hello")), DeliverResult::kAccepted);
  EXPECT_EQ(Text(box.Receive(kSid, 2, 0, In(milliseconds(0)))), "hello");
  // Taken out: a second receive waits and times out.
  EXPECT_FALSE(box.Receive(kSid, 2, 0, In(milliseconds(5))).has_value());
  // A message of another sender or round does not answer a receive.
  box.Deliver(T(3, 0), MakePayload("three"));
  box.Deliver(T(2, 1), MakePayload("next"));
  EXPECT_FALSE(box.Receive(kSid, 4, 0, In(milliseconds(5))).has_value());
  EXPECT_EQ(box.accepted(), 3u);
}

TEST(MailboxTest, ReceiveWaitsForALaterDelivery) {
  Mailbox box(4);
  std::thread sender([&] {
    std::this_thread::sleep_for(milliseconds(20));
    box.Deliver(T(1, 3), MakePayload("late"));
  });
  auto start = Clock::now();
  auto got = box.Receive(kSid, 1, 3, In(milliseconds(5000)));
  auto waited = Clock::now() - start;
  sender.join();
  EXPECT_EQ(Text(got), "late");
  EXPECT_GE(waited, milliseconds(15));
  EXPECT_LT(waited, milliseconds(2000));
}

TEST(MailboxTest, DeadlineIsHonoured) {
  Mailbox box(4);
  auto start = Clock::now();
  EXPECT_FALSE(box.Receive(kSid, 2, 0, start + milliseconds(40)).has_value());
  auto waited = Clock::now() - start;
  EXPECT_GE(waited, milliseconds(40));
  EXPECT_LT(waited, milliseconds(1000));
  // A deadline already passed returns at once, but still takes an available message.
  box.Deliver(T(2, 0), MakePayload("x"));
  EXPECT_EQ(Text(box.Receive(kSid, 2, 0, Clock::now() - milliseconds(1))), "x");
  start = Clock::now();
  EXPECT_FALSE(box.ReceiveAny(kSid, 0, {2, 3}, start - milliseconds(1)).has_value());
  EXPECT_LT(Clock::now() - start, milliseconds(100));
}

TEST(MailboxTest, PastRoundsAreDroppedAndPurged) {
  Mailbox box(4);
  ASSERT_EQ(box.Deliver(T(2, 1), MakePayload("r1")), DeliverResult::kAccepted);
  ASSERT_EQ(box.Deliver(T(2, 2), MakePayload("r2")), DeliverResult::kAccepted);
  ASSERT_EQ(box.Deliver(T(3, 1), MakePayload("r1 from 3")), DeliverResult::kAccepted);
  // Asking for round 2 makes it current: round 1 messages are purged.
  EXPECT_EQ(Text(box.Receive(kSid, 2, 2, In(milliseconds(0)))), "r2");
  EXPECT_FALSE(box.Receive(kSid, 3, 1, In(milliseconds(5))).has_value());
  // Late round-1 messages are dropped on arrival.
  EXPECT_EQ(box.Deliver(T(4, 1), MakePayload("stale")), DeliverResult::kStaleRound);
  EXPECT_EQ(box.Deliver(T(4, 0), MakePayload("stale")), DeliverResult::kStaleRound);
  EXPECT_EQ(box.dropped(DeliverResult::kStaleRound), 2u);
  // The purged round-1 messages no longer count against their senders' buffers.
  for (uint64_t r = 2; r < 2 + kMaxBufferedPerSender; ++r) {
    EXPECT_EQ(box.Deliver(T(3, r), MakePayload("y")), DeliverResult::kAccepted) << r;
  }
}

TEST(MailboxTest, FutureRoundsBufferedUpToTheLimit) {
  Mailbox box(4);
  for (int r = 1; r <= kMaxBufferedPerSender; ++r) {
    ASSERT_EQ(box.Deliver(T(2, r), MakePayload(std::to_string(r))), DeliverResult::kAccepted);
  }
  EXPECT_EQ(box.Deliver(T(2, 1000), MakePayload("flood")), DeliverResult::kSenderBufferFull);
  EXPECT_EQ(box.dropped(DeliverResult::kSenderBufferFull), 1u);
  // Another sender, or the same sender in another session, is unaffected.
  EXPECT_EQ(box.Deliver(T(3, 1), MakePayload("ok")), DeliverResult::kAccepted);
  EXPECT_EQ(box.Deliver(T(2, 1, kSid + 1), MakePayload("ok")), DeliverResult::kAccepted);
  // Every buffered round is still there, in order of asking.
  EXPECT_EQ(Text(box.Receive(kSid, 2, 1, In(milliseconds(0)))), "1");
  EXPECT_EQ(Text(box.Receive(kSid, 2, 7, In(milliseconds(0)))), "7");
  // Receiving (and the purge of rounds 2..6) made room again.
  EXPECT_EQ(box.Deliver(T(2, 1000), MakePayload("room")), DeliverResult::kAccepted);
  EXPECT_EQ(Text(box.Receive(kSid, 2, 1000, In(milliseconds(0)))), "room");
}

TEST(MailboxTest, DuplicatesAreIgnoredFirstWins) {
  Mailbox box(4);
  EXPECT_EQ(box.Deliver(T(2, 0), MakePayload("first")), DeliverResult::kAccepted);
  EXPECT_EQ(box.Deliver(T(2, 0), MakePayload("second")), DeliverResult::kDuplicate);
  EXPECT_EQ(Text(box.Receive(kSid, 2, 0, In(milliseconds(0)))), "first");
  // Once received, a resend for the same round is still a duplicate, not a new value.
  EXPECT_EQ(box.Deliver(T(2, 0), MakePayload("third")), DeliverResult::kDuplicate);
  EXPECT_FALSE(box.Receive(kSid, 2, 0, In(milliseconds(5))).has_value());
  EXPECT_EQ(box.dropped(DeliverResult::kDuplicate), 2u);
  // Future rounds: the same rule.
  EXPECT_EQ(box.Deliver(T(3, 5), MakePayload("a")), DeliverResult::kAccepted);
  EXPECT_EQ(box.Deliver(T(3, 5), MakePayload("b")), DeliverResult::kDuplicate);
  EXPECT_EQ(Text(box.Receive(kSid, 3, 5, In(milliseconds(0)))), "a");
}

TEST(MailboxTest, ClosedSessionsDropLateMessagesAndWakeReceivers) {
  Mailbox box(4);
  box.Deliver(T(2, 0), MakePayload("buffered"));
  std::atomic<bool> returned{false};
  std::optional<Payload> got;
  std::thread receiver([&] {
    got = box.Receive(kSid, 3, 0, In(milliseconds(10000)));
    returned = true;
  });
  std::this_thread::sleep_for(milliseconds(20));
  auto start = Clock::now();
  box.CloseSession(kSid);
  receiver.join();
  EXPECT_LT(Clock::now() - start, milliseconds(1000));  // woken, not left to its deadline
  EXPECT_FALSE(got.has_value());
  EXPECT_EQ(box.active_sessions(), 0u);
  EXPECT_EQ(box.Deliver(T(3, 0), MakePayload("late")), DeliverResult::kClosedSession);
  EXPECT_EQ(box.Deliver(T(3, 9), MakePayload("late")), DeliverResult::kClosedSession);
  EXPECT_EQ(box.dropped(DeliverResult::kClosedSession), 2u);
  EXPECT_EQ(box.active_sessions(), 0u);
  // A receive on a closed session returns at once.
  start = Clock::now();
  EXPECT_FALSE(box.Receive(kSid, 2, 0, In(milliseconds(5000))).has_value());
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  // Other sessions are unaffected.
  EXPECT_EQ(box.Deliver(T(3, 0, kSid + 1), MakePayload("other")), DeliverResult::kAccepted);
}

TEST(MailboxTest, ClosedSessionIdsAreForgottenAfterTheirMemory) {
  MailboxOptions options;
  options.closed_session_memory = milliseconds(20);
  Mailbox box(4, options);
  box.CloseSession(kSid);
  EXPECT_EQ(box.Deliver(T(2, 0), MakePayload("x")), DeliverResult::kClosedSession);
  std::this_thread::sleep_for(milliseconds(30));
  box.ExpireInactive();
  EXPECT_EQ(box.Deliver(T(2, 0), MakePayload("x")), DeliverResult::kAccepted);

  // The count of remembered ids is bounded: the oldest is forgotten first.
  MailboxOptions small;
  small.max_closed_sessions = 2;
  Mailbox bounded(4, small);
  bounded.CloseSession(1);
  bounded.CloseSession(2);
  bounded.CloseSession(3);
  EXPECT_EQ(bounded.Deliver(T(2, 0, 1), MakePayload("x")), DeliverResult::kAccepted);
  EXPECT_EQ(bounded.Deliver(T(2, 0, 2), MakePayload("x")), DeliverResult::kClosedSession);
  EXPECT_EQ(bounded.Deliver(T(2, 0, 3), MakePayload("x")), DeliverResult::kClosedSession);
}

TEST(MailboxTest, UnopenedSessionsAreCapped) {
  // The global cap, with per-sender quotas above it (overcommitted) so that it is what refuses.
  MailboxOptions options;
  options.max_unopened_sessions = 4;
  options.max_unopened_sessions_per_sender = 8;
  Mailbox box(4, options);
  for (SessionId s = 1; s <= 4; ++s) {
    ASSERT_EQ(box.Deliver(T(2, 0, s), MakePayload("early")), DeliverResult::kAccepted);
  }
  EXPECT_EQ(box.unopened_sessions(), 4u);
  EXPECT_EQ(box.Deliver(T(2, 0, 5), MakePayload("early")), DeliverResult::kTooManySessions);
  EXPECT_TRUE(DeliverResultIsRetryable(DeliverResult::kTooManySessions));
  // More messages for an existing unopened session are fine.
  EXPECT_EQ(box.Deliver(T(3, 0, 4), MakePayload("early")), DeliverResult::kAccepted);
  // Opening one (a local receive) makes room; local receives are never capped.
  EXPECT_EQ(Text(box.Receive(1, 2, 0, In(milliseconds(0)))), "early");
  EXPECT_EQ(box.unopened_sessions(), 3u);
  EXPECT_EQ(box.Deliver(T(2, 0, 5), MakePayload("early")), DeliverResult::kAccepted);
  EXPECT_FALSE(box.Receive(100, 2, 0, In(milliseconds(0))).has_value());
  EXPECT_EQ(box.active_sessions(), 6u);
  EXPECT_EQ(box.dropped(DeliverResult::kTooManySessions), 1u);
  // Closing an unopened session also frees its slot.
  box.CloseSession(2);
  EXPECT_EQ(box.unopened_sessions(), 3u);
  EXPECT_EQ(box.Deliver(T(2, 0, 6), MakePayload("early")), DeliverResult::kAccepted);
}

TEST(MailboxTest, InactiveSessionsExpire) {
  MailboxOptions options;
  options.inactive_session_timeout = milliseconds(30);
  options.sweep_interval = milliseconds(1);
  Mailbox box(4, options);
  box.Deliver(T(2, 0, 1), MakePayload("forgotten"));
  box.Deliver(T(2, 0, 2), MakePayload("forgotten"));
  EXPECT_EQ(box.active_sessions(), 2u);
  std::this_thread::sleep_for(milliseconds(40));
  // Any call sweeps (here a delivery to another session); the sweep is not done under a waiter.
  box.Deliver(T(2, 0, 3), MakePayload("fresh"));
  EXPECT_EQ(box.active_sessions(), 1u);
  EXPECT_EQ(box.unopened_sessions(), 1u);
  EXPECT_FALSE(box.Receive(1, 2, 0, In(milliseconds(0))).has_value());
  EXPECT_EQ(Text(box.Receive(3, 2, 0, In(milliseconds(0)))), "fresh");
}

TEST(MailboxTest, SessionWithAWaitingReceiverIsNotExpired) {
  MailboxOptions options;
  options.inactive_session_timeout = milliseconds(10);
  options.sweep_interval = milliseconds(1);
  Mailbox box(4, options);
  std::optional<Payload> got;
  std::thread receiver([&] { got = box.Receive(kSid, 2, 0, In(milliseconds(5000))); });
  std::this_thread::sleep_for(milliseconds(40));
  box.ExpireInactive();
  EXPECT_EQ(box.active_sessions(), 1u);
  box.Deliver(T(2, 0), MakePayload("still there"));
  receiver.join();
  EXPECT_EQ(Text(got), "still there");
}

TEST(MailboxTest, ReceiveAnyReturnsInArrivalOrderFromTheGivenSet) {
  Mailbox box(5);
  box.Deliver(T(4, 1), MakePayload("four"));
  box.Deliver(T(2, 1), MakePayload("two"));
  box.Deliver(T(5, 1), MakePayload("five (not asked)"));
  box.Deliver(T(3, 2), MakePayload("three, next round"));
  auto first = box.ReceiveAny(kSid, 1, {2, 3, 4}, In(milliseconds(0)));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->first, 4);
  EXPECT_EQ(*first->second, "four");
  auto second = box.ReceiveAny(kSid, 1, {2, 3, 4}, In(milliseconds(0)));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->first, 2);
  EXPECT_FALSE(box.ReceiveAny(kSid, 1, {2, 3, 4}, In(milliseconds(5))).has_value());
  EXPECT_FALSE(box.ReceiveAny(kSid, 1, {}, In(milliseconds(5000))).has_value());
  // A later delivery wakes a waiting ReceiveAny.
  std::thread sender([&] {
    std::this_thread::sleep_for(milliseconds(10));
    box.Deliver(T(3, 1), MakePayload("three"));
  });
  auto third = box.ReceiveAny(kSid, 1, {2, 3, 4}, In(milliseconds(5000)));
  sender.join();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->first, 3);
  EXPECT_EQ(*third->second, "three");
}

TEST(MailboxTest, ReceiveManyWaitsForTheQuorumAndTakesEverythingThere) {
  Mailbox box(5);
  box.Deliver(T(4, 1), MakePayload("four"));
  box.Deliver(T(5, 1), MakePayload("five (not asked)"));
  // One of three asked for is there: at the deadline it is returned alone.
  auto partial = box.ReceiveMany(kSid, 1, {2, 3, 4}, 3, In(milliseconds(5)));
  ASSERT_EQ(partial.size(), 1u);
  EXPECT_EQ(partial[0].first, 4);
  // Two more arrive one after the other; one wake-up returns both, in arrival order.
  std::thread sender([&] {
    std::this_thread::sleep_for(milliseconds(10));
    box.Deliver(T(3, 1), MakePayload("three"));
    std::this_thread::sleep_for(milliseconds(10));
    box.Deliver(T(2, 1), MakePayload("two"));
  });
  auto both = box.ReceiveMany(kSid, 1, {2, 3}, 2, In(milliseconds(5000)));
  sender.join();
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].first, 3);
  EXPECT_EQ(*both[0].second, "three");
  EXPECT_EQ(both[1].first, 2);
  // Taken out; asking for more than the set has waits for the whole set.
  EXPECT_TRUE(box.ReceiveMany(kSid, 1, {2, 3, 4}, 1, In(milliseconds(5))).empty());
  box.Deliver(T(2, 2), MakePayload("two, next round"));
  auto next = box.ReceiveMany(kSid, 2, {2}, 10, In(milliseconds(5000)));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(*next[0].second, "two, next round");
  // Closing the session wakes a waiting ReceiveMany with nothing.
  std::thread closer([&] {
    std::this_thread::sleep_for(milliseconds(10));
    box.CloseSession(kSid);
  });
  auto start = Clock::now();
  EXPECT_TRUE(box.ReceiveMany(kSid, 2, {3, 4}, 2, In(milliseconds(5000))).empty());
  closer.join();
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  EXPECT_TRUE(box.ReceiveMany(kSid, 2, {}, 1, In(milliseconds(5000))).empty());
}

TEST(MailboxTest, ReceiveManySeesADelayedMessageAtItsTime) {
  Mailbox box(4);
  box.Deliver(T(2, 0), MakePayload("now"));
  // Delivered while the receiver waits, visible 30 ms later: the receiver must wake for it.
  std::thread sender([&] {
    std::this_thread::sleep_for(milliseconds(5));
    box.Deliver(T(3, 0), MakePayload("later"), Clock::now() + milliseconds(30));
  });
  auto start = Clock::now();
  auto got = box.ReceiveMany(kSid, 0, {2, 3, 4}, 2, In(milliseconds(5000)));
  sender.join();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
}

TEST(MailboxTest, DelayedMessagesBecomeVisibleAtTheirTime) {
  Mailbox box(4);
  auto start = Clock::now();
  box.Deliver(T(2, 0), MakePayload("slow"), start + milliseconds(50));
  box.Deliver(T(3, 0), MakePayload("fast"));
  EXPECT_FALSE(box.Receive(kSid, 2, 0, start + milliseconds(10)).has_value());
  // ReceiveAny picks the visible one first.
  auto any = box.ReceiveAny(kSid, 0, {2, 3}, In(milliseconds(5000)));
  ASSERT_TRUE(any.has_value());
  EXPECT_EQ(any->first, 3);
  EXPECT_EQ(Text(box.Receive(kSid, 2, 0, In(milliseconds(5000)))), "slow");
  EXPECT_GE(Clock::now() - start, milliseconds(50));
}

TEST(MailboxTest, ReceiveForAnOlderRoundReturnsAtOnce) {
  Mailbox box(4);
  EXPECT_FALSE(box.Receive(kSid, 2, 5, In(milliseconds(0))).has_value());
  auto start = Clock::now();
  EXPECT_FALSE(box.Receive(kSid, 2, 4, In(milliseconds(5000))).has_value());
  EXPECT_FALSE(box.ReceiveAny(kSid, 3, {2}, In(milliseconds(5000))).has_value());
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
}

TEST(MailboxTest, InvalidSendersAreDropped) {
  Mailbox box(4);
  EXPECT_EQ(box.Deliver(T(0, 0), MakePayload("x")), DeliverResult::kInvalidSender);
  EXPECT_EQ(box.Deliver(T(5, 0), MakePayload("x")), DeliverResult::kInvalidSender);
  EXPECT_EQ(box.Deliver(T(-1, 0), MakePayload("x")), DeliverResult::kInvalidSender);
  EXPECT_EQ(box.dropped(DeliverResult::kInvalidSender), 3u);
  EXPECT_EQ(box.active_sessions(), 0u);
  // A null payload is stored as an empty one.
  EXPECT_EQ(box.Deliver(T(4, 0), nullptr), DeliverResult::kAccepted);
  EXPECT_EQ(Text(box.Receive(kSid, 4, 0, In(milliseconds(0)))), "");
}

TEST(MailboxTest, ShutdownWakesReceiversAndRefusesDeliveries) {
  Mailbox box(4);
  std::optional<Payload> got = MakePayload("unset");
  std::thread receiver([&] { got = box.Receive(kSid, 2, 0, In(milliseconds(10000))); });
  std::this_thread::sleep_for(milliseconds(20));
  auto start = Clock::now();
  box.Shutdown();
  receiver.join();
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_FALSE(got.has_value());
  EXPECT_EQ(box.Deliver(T(2, 0), MakePayload("x")), DeliverResult::kShutdown);
  EXPECT_FALSE(box.Receive(kSid, 2, 0, In(milliseconds(1000))).has_value());
}

TEST(MailboxTest, DeliverResultNamesAreDistinct) {
  std::set<std::string> names;
  for (int i = 0; i < kNumDeliverResults; ++i) {
    names.insert(DeliverResultName(static_cast<DeliverResult>(i)));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kNumDeliverResults));
  EXPECT_EQ(std::string(DeliverResultName(DeliverResult::kStaleRound)), "stale_round");
}

// Security review of src/net: one corrupt peer (party 2 of 13, production defaults) floods an
// honest party with thousands of sessions nobody has opened and with large payloads, both in
// those sessions and in sessions the honest party has opened (64 future rounds each). It must
// exhaust only its own share: an honest peer's early message for a new session is still
// accepted, and the bytes the mailbox holds stay within the global buffered-byte budget
// (4 GiB by default). Payloads are one shared string, so the test's own memory stays small.
TEST(MailboxTest, FloodFromOnePeerLeavesHonestEarlyMessageDelivered) {
  constexpr int kParties = 13;
  constexpr uint64_t kDefaultBudget = uint64_t{4} << 30;  // MailboxOptions::max_buffered_bytes
  Mailbox box(kParties);
  uint64_t accepted_bytes = 0;
  uint64_t refused = 0;
  auto flood = [&](const Tag& tag, const Payload& payload) {
    if (box.Deliver(tag, payload) == DeliverResult::kAccepted) {
      accepted_bytes += payload->size();
    } else {
      ++refused;
    }
  };
  const Payload tiny = MakePayload("x");
  for (SessionId s = 1; s <= 10000; ++s) flood(T(2, 0, s), tiny);
  const Payload big = MakePayload(std::string(16 << 20, 'f'));
  for (SessionId s = 1; s <= 8; ++s) {
    for (uint64_t r = 1; r < 64; ++r) flood(T(2, r, s), big);
  }
  for (SessionId s = 20001; s <= 20008; ++s) {
    EXPECT_FALSE(box.Receive(s, 1, 0, In(milliseconds(0))).has_value());  // opens s
    for (uint64_t r = 1; r <= 64; ++r) flood(T(2, r, s), big);
  }
  EXPECT_GT(refused, 0u);
  EXPECT_LE(accepted_bytes, kDefaultBudget);
  static_assert(kDefaultBudget == kDefaultMaxBufferedBytes);
  EXPECT_EQ(box.buffered_bytes(), accepted_bytes);
  EXPECT_LE(box.buffered_bytes(2), box.sender_byte_quota());
  EXPECT_EQ(box.sender_byte_quota(), kDefaultMaxBufferedBytes / kParties);
  EXPECT_EQ(box.unopened_sessions(2), 4096u / kParties);
  // Every refusal was for one of party 2's own quotas, so a retry may succeed later.
  EXPECT_EQ(box.dropped(DeliverResult::kSenderSessionQuota) +
                box.dropped(DeliverResult::kSenderByteQuota) +
                box.dropped(DeliverResult::kSenderBufferFull),
            refused);
  EXPECT_EQ(box.dropped(DeliverResult::kTooManySessions), 0u);
  EXPECT_EQ(box.dropped(DeliverResult::kByteBudget), 0u);

  // Party 3 is honest and a little ahead: its first message for a session this party has not
  // started yet, and a preprocessing-sized broadcast for its next round.
  constexpr SessionId kFresh = 30001;
  EXPECT_EQ(box.Deliver(T(3, 0, kFresh), MakePayload("early")), DeliverResult::kAccepted);
  EXPECT_EQ(box.Deliver(T(3, 1, kFresh), MakePayload(std::string(8 << 20, 'b'))),
            DeliverResult::kAccepted);
  EXPECT_EQ(Text(box.Receive(kFresh, 3, 0, In(milliseconds(0)))), "early");
  auto next = box.Receive(kFresh, 3, 1, In(milliseconds(0)));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ((*next)->size(), 8u << 20);
}

// Quotas are per sender: party 2 running into its limits does not refuse parties 3 and 4, for
// new sessions or for large messages in sessions that exist.
TEST(MailboxTest, QuotasArePerSender) {
  Mailbox box(4);
  uint64_t refused = 0;
  for (SessionId s = 1; s <= 10000; ++s) {
    if (box.Deliver(T(2, 0, s), MakePayload("flood")) != DeliverResult::kAccepted) ++refused;
  }
  EXPECT_GT(refused, 0u);
  const Payload big = MakePayload(std::string(64 << 20, 'f'));
  for (SessionId s = 1; s <= 40; ++s) {
    for (uint64_t r = 1; r <= 64; ++r) {
      if (box.Deliver(T(2, r, s), big) != DeliverResult::kAccepted) ++refused;
    }
  }
  // Parties 3 and 4 each start a session of their own and send into one of party 2's.
  for (Role honest : {3, 4}) {
    const SessionId own = 50000 + honest;
    EXPECT_EQ(box.Deliver(T(honest, 0, own), MakePayload("mine")), DeliverResult::kAccepted)
        << honest;
    EXPECT_EQ(box.Deliver(T(honest, 1, own), big), DeliverResult::kAccepted) << honest;
    EXPECT_EQ(box.Deliver(T(honest, 0, 1), MakePayload("joined")), DeliverResult::kAccepted)
        << honest;
    EXPECT_EQ(Text(box.Receive(own, honest, 0, In(milliseconds(0)))), "mine");
  }
  EXPECT_EQ(Text(box.Receive(1, 3, 0, In(milliseconds(0)))), "joined");
  EXPECT_EQ(Text(box.Receive(1, 4, 0, In(milliseconds(0)))), "joined");
}

TEST(MailboxTest, RefusalReasonsAreRetryableOnlyForQuotas) {
  for (DeliverResult r : {DeliverResult::kSenderBufferFull, DeliverResult::kTooManySessions,
                          DeliverResult::kSenderSessionQuota, DeliverResult::kSenderByteQuota,
                          DeliverResult::kByteBudget}) {
    EXPECT_TRUE(DeliverResultIsRetryable(r)) << DeliverResultName(r);
    EXPECT_STRNE(DeliverResultLimitName(r), "") << DeliverResultName(r);
  }
  for (DeliverResult r :
       {DeliverResult::kAccepted, DeliverResult::kStaleRound, DeliverResult::kDuplicate,
        DeliverResult::kClosedSession, DeliverResult::kInvalidSender, DeliverResult::kShutdown,
        DeliverResult::kTooLarge}) {
    EXPECT_FALSE(DeliverResultIsRetryable(r)) << DeliverResultName(r);
  }
  EXPECT_STREQ(DeliverResultLimitName(DeliverResult::kSenderSessionQuota),
               "max_unopened_sessions_per_sender");
}

// A session counts against every sender with messages in it until it is opened, so colluding
// senders cannot share sessions to escape their quotas; opening releases it for all of them.
TEST(MailboxTest, UnopenedSessionQuotaCountsEverySenderInTheSession) {
  MailboxOptions options;
  options.max_unopened_sessions_per_sender = 3;
  Mailbox box(4, options);
  EXPECT_EQ(box.sender_session_quota(), 3u);
  for (SessionId s = 1; s <= 3; ++s) {
    ASSERT_EQ(box.Deliver(T(2, 0, s), MakePayload("a")), DeliverResult::kAccepted);
    ASSERT_EQ(box.Deliver(T(4, 0, s), MakePayload("b")), DeliverResult::kAccepted);
  }
  // More messages in a session it already has messages in are fine; a new one is not.
  EXPECT_EQ(box.Deliver(T(2, 1, 3), MakePayload("a")), DeliverResult::kAccepted);
  EXPECT_EQ(box.Deliver(T(2, 0, 4), MakePayload("a")), DeliverResult::kSenderSessionQuota);
  EXPECT_EQ(box.Deliver(T(4, 0, 4), MakePayload("b")), DeliverResult::kSenderSessionQuota);
  EXPECT_EQ(box.unopened_sessions(2), 3u);
  EXPECT_EQ(box.unopened_sessions(3), 0u);
  EXPECT_EQ(box.unopened_sessions(), 3u);
  // The refused message left nothing behind: session 4 does not exist.
  EXPECT_EQ(box.active_sessions(), 3u);
  // Opening session 1 frees a slot of both senders.
  EXPECT_EQ(Text(box.Receive(1, 2, 0, In(milliseconds(0)))), "a");
  EXPECT_EQ(box.unopened_sessions(2), 2u);
  EXPECT_EQ(box.unopened_sessions(4), 2u);
  EXPECT_EQ(box.Deliver(T(2, 0, 4), MakePayload("a")), DeliverResult::kAccepted);
  // A sender whose messages in an unopened session all go (here: the session closes) gets the
  // slot back.
  box.CloseSession(2);
  EXPECT_EQ(box.unopened_sessions(4), 1u);
  EXPECT_EQ(box.Deliver(T(4, 0, 5), MakePayload("b")), DeliverResult::kAccepted);
}

TEST(MailboxTest, BufferedBytesAreAccountedAndBounded) {
  MailboxOptions options;
  options.max_buffered_bytes = 1000;
  options.max_buffered_bytes_per_sender = 400;  // overcommitted: 4 x 400 > 1000
  Mailbox box(4, options);
  EXPECT_EQ(box.sender_byte_quota(), 400u);
  const Payload hundred = MakePayload(std::string(100, 'h'));
  for (uint64_t r = 0; r < 4; ++r) {
    ASSERT_EQ(box.Deliver(T(2, r), hundred), DeliverResult::kAccepted);
  }
  EXPECT_EQ(box.Deliver(T(2, 4), MakePayload("x")), DeliverResult::kSenderByteQuota);
  EXPECT_EQ(box.buffered_bytes(2), 400u);
  // A payload that can never fit the sender's quota is a final refusal.
  EXPECT_EQ(box.Deliver(T(3, 0), MakePayload(std::string(401, 't'))), DeliverResult::kTooLarge);
  for (uint64_t r = 0; r < 4; ++r) {
    ASSERT_EQ(box.Deliver(T(3, r), hundred), DeliverResult::kAccepted);
  }
  // 800 bytes buffered: the global budget refuses party 4 beyond 1000.
  EXPECT_EQ(box.Deliver(T(4, 0), MakePayload(std::string(200, 'f'))), DeliverResult::kAccepted);
  EXPECT_EQ(box.Deliver(T(4, 1), MakePayload("x")), DeliverResult::kByteBudget);
  EXPECT_EQ(box.buffered_bytes(), 1000u);
  // Receiving, purging old rounds, closing and expiring all give bytes back.
  EXPECT_EQ(Text(box.Receive(kSid, 2, 0, In(milliseconds(0)))), std::string(100, 'h'));
  EXPECT_EQ(box.buffered_bytes(2), 300u);
  EXPECT_TRUE(box.Receive(kSid, 2, 3, In(milliseconds(0))).has_value());
  EXPECT_EQ(box.buffered_bytes(2), 0u);  // rounds 1 and 2 purged, round 3 taken
  EXPECT_EQ(box.buffered_bytes(3), 100u);
  EXPECT_EQ(box.Deliver(T(2, 4), MakePayload("now fits")), DeliverResult::kAccepted);
  box.CloseSession(kSid);
  EXPECT_EQ(box.buffered_bytes(), 0u);
  EXPECT_EQ(box.buffered_bytes(2), 0u);
  EXPECT_EQ(box.buffered_bytes(4), 0u);
}

// Many sessions, senders and receivers at once: every message of every round arrives exactly
// once, whatever the interleaving.
TEST(MailboxTest, ConcurrentSessionsDeliverEverything) {
  constexpr int kParties = 4, kSessions = 16, kRounds = 20;
  Mailbox box(kParties);
  std::vector<std::thread> threads;
  std::atomic<int> received{0};
  for (Role sender = 2; sender <= kParties; ++sender) {
    threads.emplace_back([&, sender] {
      for (uint64_t r = 0; r < kRounds; ++r) {
        for (SessionId s = 1; s <= kSessions; ++s) {
          // The buffer limit bounds how far a sender may run ahead; retry when full.
          while (box.Deliver(T(sender, r, s), MakePayload(std::to_string(r))) ==
                 DeliverResult::kSenderBufferFull) {
            std::this_thread::yield();
          }
        }
      }
    });
  }
  for (SessionId s = 1; s <= kSessions; ++s) {
    threads.emplace_back([&, s] {
      for (uint64_t r = 0; r < kRounds; ++r) {
        std::set<Role> from = {2, 3, 4};
        while (!from.empty()) {
          auto got = box.ReceiveAny(s, r, from, In(milliseconds(10000)));
          ASSERT_TRUE(got.has_value()) << "session " << static_cast<uint64_t>(s) << " round " << r;
          EXPECT_EQ(*got->second, std::to_string(r));
          from.erase(got->first);
          ++received;
        }
      }
      box.CloseSession(s);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(received.load(), kSessions * kRounds * (kParties - 1));
  EXPECT_EQ(box.dropped(DeliverResult::kStaleRound), 0u);
  EXPECT_EQ(box.dropped(DeliverResult::kDuplicate), 0u);
  EXPECT_EQ(box.active_sessions(), 0u);
}

}  // namespace
}  // namespace kms::net
