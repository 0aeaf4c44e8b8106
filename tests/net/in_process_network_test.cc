#include "net/in_process_network.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace kms::net {
namespace {

using std::chrono::milliseconds;

constexpr SessionId kSid = 0x5e55;

Clock::time_point In(milliseconds d) { return Clock::now() + d; }

std::string Msg(Role from, Role to, uint64_t round) {
  return "from " + std::to_string(from) + " to " + std::to_string(to) + " round " +
         std::to_string(round);
}

std::vector<std::unique_ptr<InProcessNetwork>> Endpoints(InProcessHub& hub) {
  std::vector<std::unique_ptr<InProcessNetwork>> nets;
  for (Role r = 1; r <= hub.num_parties(); ++r) nets.push_back(hub.Endpoint(r));
  return nets;
}

// Every party, on its own thread, sends a distinct message to every other party in each round
// and receives everyone's; returns what each party received: got[to][from][round]. Round r ends
// at start + (r + 1) * round_timeout, the cumulative deadlines of the synchronous model, so a
// party that waited out a faulty peer is not late for the next round.
using Received = std::vector<std::map<Role, std::map<uint64_t, std::string>>>;
Received RunAllToAll(InProcessHub& hub, int rounds, milliseconds round_timeout) {
  const int n = hub.num_parties();
  auto nets = Endpoints(hub);
  Received got(n + 1);
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (Role me = 1; me <= n; ++me) {
    threads.emplace_back([&, me] {
      Network& net = *nets[me - 1];
      for (uint64_t r = 0; r < static_cast<uint64_t>(rounds); ++r) {
        for (Role to = 1; to <= n; ++to) {
          if (to != me) net.Send(to, Tag{kSid, me, r}, MakePayload(Msg(me, to, r)));
        }
        for (Role from = 1; from <= n; ++from) {
          if (from == me) continue;
          auto p = net.Receive(kSid, from, r, start + round_timeout * (r + 1));
          if (p.has_value()) got[me][from][r] = **p;
        }
      }
      net.CloseSession(kSid);
    });
  }
  for (auto& t : threads) t.join();
  return got;
}

void ExpectAllDelivered(int n, int rounds) {
  InProcessHub hub(n);
  Received got = RunAllToAll(hub, rounds, milliseconds(10000));
  for (Role to = 1; to <= n; ++to) {
    for (Role from = 1; from <= n; ++from) {
      if (from == to) continue;
      for (uint64_t r = 0; r < static_cast<uint64_t>(rounds); ++r) {
        EXPECT_EQ(got[to][from][r], Msg(from, to, r)) << from << "->" << to << " r" << r;
      }
    }
    TrafficCounters c = hub.traffic(to);
    EXPECT_EQ(c.messages_sent, static_cast<uint64_t>((n - 1) * rounds));
    EXPECT_EQ(c.messages_received, static_cast<uint64_t>((n - 1) * rounds));
    EXPECT_GT(c.bytes_sent, 0u);
    EXPECT_EQ(hub.mailbox(to).active_sessions(), 0u);
  }
}

TEST(InProcessNetworkTest, DeliversWithFourParties) { ExpectAllDelivered(4, 5); }

TEST(InProcessNetworkTest, DeliversWithThirteenParties) { ExpectAllDelivered(13, 5); }

TEST(InProcessNetworkTest, ReceiveAnyAndSendToSelf) {
  InProcessHub hub(4);
  auto nets = Endpoints(hub);
  nets[0]->Send(1, Tag{kSid, 1, 0}, MakePayload("self"));
  EXPECT_EQ(**nets[0]->Receive(kSid, 1, 0, In(milliseconds(1000))), "self");
  nets[2]->Send(1, Tag{kSid, 3, 0}, MakePayload("three"));
  auto any = nets[0]->ReceiveAny(kSid, 0, {2, 3, 4}, In(milliseconds(1000)));
  ASSERT_TRUE(any.has_value());
  EXPECT_EQ(any->first, 3);
  EXPECT_EQ(*any->second, "three");
  EXPECT_EQ(nets[0]->my_role(), 1);
  EXPECT_EQ(nets[0]->num_parties(), 4);
}

TEST(InProcessNetworkTest, TagNamingAnotherSenderIsRejected) {
  InProcessHub hub(4);
  auto nets = Endpoints(hub);
  // Party 3 claims to be party 2: the transport refuses, as the gRPC one does.
  nets[2]->Send(1, Tag{kSid, 2, 0}, MakePayload("forged"));
  nets[2]->Send(0, Tag{kSid, 3, 0}, MakePayload("nobody"));
  nets[2]->Send(5, Tag{kSid, 3, 0}, MakePayload("nobody"));
  EXPECT_FALSE(nets[0]->Receive(kSid, 2, 0, In(milliseconds(20))).has_value());
  EXPECT_EQ(hub.fault_counters(3).rejected, 3u);
  EXPECT_EQ(hub.traffic(3).messages_sent, 0u);
  EXPECT_EQ(hub.traffic(1).messages_received, 0u);
}

TEST(InProcessNetworkTest, SilentPartyMakesReceiversTimeOut) {
  InProcessHub hub(4);
  hub.SetFault(4, FaultSpec::Silent());
  Received got = RunAllToAll(hub, 2, milliseconds(50));
  for (Role to = 1; to <= 3; ++to) {
    EXPECT_TRUE(got[to][4].empty()) << "party " << to << " heard the silent party";
    EXPECT_EQ(got[to][to == 1 ? 2 : 1].size(), 2u);
  }
  // The silent party still hears everyone.
  EXPECT_EQ(got[4][1].size(), 2u);
  EXPECT_EQ(hub.fault_counters(4).silenced, 6u);
  EXPECT_EQ(hub.traffic(4).messages_sent, 0u);
}

TEST(InProcessNetworkTest, CrashAfterRoundStopsLaterRounds) {
  InProcessHub hub(4);
  hub.SetFault(2, FaultSpec::CrashAfterRound(1));
  Received got = RunAllToAll(hub, 4, milliseconds(50));
  for (Role to : {1, 3, 4}) {
    EXPECT_EQ(got[to][2].size(), 2u);
    EXPECT_EQ(got[to][2][0], Msg(2, to, 0));
    EXPECT_EQ(got[to][2][1], Msg(2, to, 1));
    EXPECT_EQ(got[to][2].count(2), 0u);
    EXPECT_EQ(got[to][2].count(3), 0u);
  }
  EXPECT_EQ(hub.fault_counters(2).crashed, 6u);  // rounds 2 and 3, three receivers each
}

TEST(InProcessNetworkTest, DelayPostponesDeliveryWithoutBlockingSend) {
  InProcessHub hub(4);
  hub.SetFault(2, FaultSpec::Delay(milliseconds(80)));
  auto nets = Endpoints(hub);
  auto start = Clock::now();
  nets[1]->Send(1, Tag{kSid, 2, 0}, MakePayload("slow"));
  EXPECT_LT(Clock::now() - start, milliseconds(40));  // Send did not sleep
  nets[2]->Send(1, Tag{kSid, 3, 0}, MakePayload("fast"));
  // Not visible before its time...
  EXPECT_FALSE(nets[0]->Receive(kSid, 2, 0, start + milliseconds(30)).has_value());
  EXPECT_EQ(**nets[0]->Receive(kSid, 3, 0, In(milliseconds(0))), "fast");
  // ...then delivered.
  auto got = nets[0]->Receive(kSid, 2, 0, In(milliseconds(5000)));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(**got, "slow");
  EXPECT_GE(Clock::now() - start, milliseconds(80));
  EXPECT_EQ(hub.fault_counters(2).delayed, 1u);
}

TEST(InProcessNetworkTest, DropFractionIsRoughlyRight) {
  InProcessHub hub(2, /*seed=*/7);
  hub.SetFault(2, FaultSpec::Drop(0.3));
  auto sender = hub.Endpoint(2);
  auto receiver = hub.Endpoint(1);
  constexpr int kSessions = 50, kRounds = 60;  // 3000 messages, under the per-sender limit
  for (SessionId s = 1; s <= kSessions; ++s) {
    for (uint64_t r = 0; r < kRounds; ++r) sender->Send(1, Tag{s, 2, r}, MakePayload("m"));
  }
  int delivered = 0;
  for (SessionId s = 1; s <= kSessions; ++s) {
    for (uint64_t r = 0; r < kRounds; ++r) {
      if (receiver->Receive(s, 2, r, In(milliseconds(0))).has_value()) ++delivered;
    }
  }
  const double dropped = 1.0 - delivered / static_cast<double>(kSessions * kRounds);
  // 3000 Bernoulli(0.3) draws: standard deviation ~0.008; allow five of them.
  EXPECT_NEAR(dropped, 0.3, 0.04);
  EXPECT_EQ(hub.fault_counters(2).dropped + delivered, static_cast<uint64_t>(kSessions * kRounds));
}

TEST(InProcessNetworkTest, DropsAreReproducibleFromTheSeed) {
  auto pattern = [](uint64_t seed) {
    InProcessHub hub(2, seed);
    hub.SetFault(2, FaultSpec::Drop(0.5));
    auto sender = hub.Endpoint(2);
    auto receiver = hub.Endpoint(1);
    std::string bits;
    for (uint64_t r = 0; r < 60; ++r) {
      sender->Send(1, Tag{kSid, 2, r}, MakePayload("m"));
      bits += receiver->Receive(kSid, 2, r, In(milliseconds(0))).has_value() ? '1' : '0';
    }
    return bits;
  };
  EXPECT_EQ(pattern(11), pattern(11));
  EXPECT_NE(pattern(11), pattern(12));
}

TEST(InProcessNetworkTest, CorruptionChangesBytes) {
  InProcessHub hub(2);
  hub.SetFault(2, FaultSpec::Corrupt(1.0));
  auto sender = hub.Endpoint(2);
  auto receiver = hub.Endpoint(1);
  const std::string original = "a share of 32 bytes: 0123456789ab";
  int truncated = 0;
  for (uint64_t r = 0; r < 50; ++r) {
    sender->Send(1, Tag{kSid, 2, r}, MakePayload(original));
    auto got = receiver->Receive(kSid, 2, r, In(milliseconds(1000)));
    ASSERT_TRUE(got.has_value());
    EXPECT_NE(**got, original) << "round " << r;
    if ((*got)->size() < original.size()) ++truncated;
  }
  EXPECT_GT(truncated, 0);  // both kinds of corruption occur
  EXPECT_LT(truncated, 50);
  // An empty payload is corrupted too.
  sender->Send(1, Tag{kSid, 2, 50}, MakePayload(""));
  EXPECT_FALSE((**receiver->Receive(kSid, 2, 50, In(milliseconds(1000)))).empty());
  EXPECT_EQ(hub.fault_counters(2).corrupted, 51u);

  // A fraction: about half of the messages change.
  hub.SetFault(2, FaultSpec::Corrupt(0.5));
  int changed = 0;
  for (uint64_t r = 100; r < 500; ++r) {
    sender->Send(1, Tag{kSid, 2, r}, MakePayload(original));
    changed += **receiver->Receive(kSid, 2, r, In(milliseconds(1000))) != original;
  }
  EXPECT_NEAR(changed / 400.0, 0.5, 0.1);
}

TEST(InProcessNetworkTest, EquivocationGivesDifferentReceiversDifferentBytes) {
  constexpr int n = 13;
  InProcessHub hub(n);
  hub.SetFault(1, FaultSpec::Equivocate());
  auto nets = Endpoints(hub);
  const std::string value = "broadcast value";
  for (Role to = 2; to <= n; ++to) nets[0]->Send(to, Tag{kSid, 1, 0}, MakePayload(value));
  std::set<std::string> seen;
  for (Role to = 2; to <= n; ++to) {
    auto got = nets[to - 1]->Receive(kSid, 1, 0, In(milliseconds(1000)));
    ASSERT_TRUE(got.has_value());
    EXPECT_NE(**got, value);
    EXPECT_EQ((*got)->size(), value.size());
    seen.insert(**got);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(n - 1));  // all twelve receivers disagree
  // An honest party sending the same value gives everyone the same bytes.
  for (Role to = 1; to <= n; ++to) {
    if (to != 2) nets[1]->Send(to, Tag{kSid, 2, 0}, MakePayload(value));
  }
  for (Role to = 1; to <= n; ++to) {
    if (to == 2) continue;
    EXPECT_EQ(**nets[to - 1]->Receive(kSid, 2, 0, In(milliseconds(1000))), value);
  }
}

TEST(InProcessNetworkTest, FaultsCanChangeWhilePartiesRun) {
  InProcessHub hub(4);
  std::atomic<bool> stop{false};
  std::thread toggler([&] {
    for (int i = 0; !stop; ++i) {
      hub.SetFault(3, i % 2 ? FaultSpec::Silent() : FaultSpec{});
      std::this_thread::yield();
    }
  });
  Received got = RunAllToAll(hub, 20, milliseconds(30));
  stop = true;
  toggler.join();
  // Whatever party 3 managed to send arrived intact; the others lost nothing.
  for (Role to : {1, 2, 4}) {
    for (auto& [r, text] : got[to][3]) EXPECT_EQ(text, Msg(3, to, r));
    EXPECT_EQ(got[to][to == 1 ? 2 : 1].size(), 20u);
  }
  hub.SetFault(3, FaultSpec{});
  EXPECT_FALSE(hub.fault(3).silent);
}

// The in-process network follows the gRPC transport's quota rules: party 2 floods party 1 with
// sessions party 1 never opens; party 3's early message for a new session still gets through,
// and party 2's refused messages are retried by the hub, then given up and counted.
TEST(InProcessNetworkTest, FloodingPeerExhaustsOnlyItsOwnQuota) {
  MailboxOptions options;
  options.max_unopened_sessions = 64;  // 16 per sender with 4 parties
  InProcessHub hub(4, 7, options);
  hub.SetQuotaRetryFor(milliseconds(200));
  auto nets = Endpoints(hub);
  for (SessionId s = 1000; s < 1100; ++s) nets[1]->Send(1, Tag{s, 2, 0}, MakePayload("flood"));
  EXPECT_EQ(hub.mailbox(1).unopened_sessions(2), 16u);
  // Every refusal counts, the hub's retries of the 84 included (a slow build retries some before
  // this line), so at least 84; the exact count of given-up messages is checked below.
  EXPECT_GE(hub.mailbox(1).dropped(DeliverResult::kSenderSessionQuota), 84u);
  nets[2]->Send(1, Tag{kSid, 3, 0}, MakePayload("early"));
  auto got = nets[0]->Receive(kSid, 3, 0, In(milliseconds(1000)));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(**got, "early");
  // The refused 84 were kept for retries; after 200 ms they are given up.
  for (int i = 0; i < 300 && hub.traffic(2).quota_dropped < 84; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(hub.traffic(2).quota_dropped, 84u);
  EXPECT_GE(hub.traffic(2).quota_retries, 84u);
  EXPECT_EQ(hub.pending_retries(), 0u);
  EXPECT_EQ(hub.traffic(3).quota_retries, 0u);
}

// A message refused for a quota is delivered once the receiver makes room, without the sender
// doing anything: the hub retries it in the background.
TEST(InProcessNetworkTest, QuotaRefusalIsRetriedUntilTheReceiverMakesRoom) {
  MailboxOptions options;
  options.max_unopened_sessions_per_sender = 1;
  InProcessHub hub(4, 7, options);
  auto nets = Endpoints(hub);
  nets[1]->Send(1, Tag{1, 2, 0}, MakePayload("first"));
  nets[1]->Send(1, Tag{2, 2, 0}, MakePayload("second"));  // over party 2's quota of 1
  EXPECT_EQ(hub.mailbox(1).dropped(DeliverResult::kSenderSessionQuota), 1u);
  EXPECT_EQ(hub.pending_retries(), 1u);
  std::this_thread::sleep_for(milliseconds(50));
  // Opening session 1 frees party 2's slot; the retry lands in session 2.
  EXPECT_EQ(**nets[0]->Receive(1, 2, 0, In(milliseconds(1000))), "first");
  auto second = nets[0]->Receive(2, 2, 0, In(milliseconds(5000)));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(**second, "second");
  EXPECT_GE(hub.traffic(2).quota_retries, 1u);
  EXPECT_EQ(hub.traffic(2).quota_dropped, 0u);
  // A final refusal (closed session) is not retried.
  nets[0]->CloseSession(3);
  nets[1]->Send(1, Tag{3, 2, 0}, MakePayload("late"));
  EXPECT_EQ(hub.mailbox(1).dropped(DeliverResult::kClosedSession), 1u);
  EXPECT_EQ(hub.pending_retries(), 0u);
}

}  // namespace
}  // namespace kms::net
