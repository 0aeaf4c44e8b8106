// Google Benchmarks of the net layer, in-process and over gRPC with mutual TLS (4 parties on
// loopback, certificates generated at start-up):
//  - round trip of a small (32-byte) message: party 1 sends, party 2 echoes, party 1 receives;
//  - throughput of 1 MiB payloads from party 1 to one peer and to all three peers (batches of
//    16 messages per receiver, each one received before the next batch);
//  - HealthCheck round trip (the peer-status ping of GetHealthStatus).
// Run: build-*/bin/net_bench [--benchmark_filter=Grpc]
#include <benchmark/benchmark.h>

#include <atomic>
#include <string>
#include <thread>

#include "net/in_process_network.h"
#include "testing/grpc_test_cluster.h"

namespace kms::net {
namespace {

using std::chrono::seconds;

constexpr size_t kSmall = 32;
constexpr size_t kMiB = 1 << 20;
constexpr int kBatch = 16;

Clock::time_point In(Clock::duration d) { return Clock::now() + d; }

// Party `echo` answers every round-r message of party 1 with the same bytes, until stopped.
class Echo {
 public:
  Echo(Network& net, SessionId sid) : net_(net), sid_(sid), thread_([this] { Run(); }) {}
  ~Echo() {
    stop_ = true;
    thread_.join();
  }

 private:
  void Run() {
    uint64_t round = 0;
    while (!stop_) {
      auto got = net_.Receive(sid_, 1, round, In(std::chrono::milliseconds(100)));
      if (!got.has_value()) continue;
      net_.Send(1, Tag{sid_, net_.my_role(), round}, *got);
      ++round;
    }
  }
  Network& net_;
  const SessionId sid_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void RoundTrip(benchmark::State& state, Network& me, Network& peer, SessionId sid) {
  Echo echo(peer, sid);
  const Payload payload = MakePayload(std::string(kSmall, 'x'));
  uint64_t round = 0;
  for (auto _ : state) {
    me.Send(peer.my_role(), Tag{sid, me.my_role(), round}, payload);
    auto back = me.Receive(sid, peer.my_role(), round, In(seconds(30)));
    if (!back.has_value()) {
      state.SkipWithError("echo timed out");
      break;
    }
    ++round;
  }
}

// Party 1 sends kBatch 1 MiB payloads to each receiver; each receiver's endpoint takes them
// out of its mailbox (on this thread, in order) before the next batch.
void Throughput(benchmark::State& state, Network& sender, std::vector<Network*> receivers,
                SessionId sid) {
  const Payload payload = MakePayload(std::string(kMiB, 'y'));
  uint64_t round = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      for (Network* to : receivers) {
        sender.Send(to->my_role(), Tag{sid, sender.my_role(), round + i}, payload);
      }
    }
    for (Network* to : receivers) {
      for (int i = 0; i < kBatch; ++i) {
        auto got = to->Receive(sid, sender.my_role(), round + i, In(seconds(60)));
        if (!got.has_value() || (*got)->size() != kMiB) {
          state.SkipWithError("a 1 MiB message did not arrive");
          return;
        }
      }
    }
    round += kBatch;
  }
  state.SetBytesProcessed(state.iterations() * kBatch * receivers.size() * kMiB);
  state.SetItemsProcessed(state.iterations() * kBatch * receivers.size());
}

void BM_InProcessRoundTrip(benchmark::State& state) {
  InProcessHub hub(4);
  auto p1 = hub.Endpoint(1), p2 = hub.Endpoint(2);
  RoundTrip(state, *p1, *p2, 1);
}
BENCHMARK(BM_InProcessRoundTrip)->UseRealTime();

void BM_InProcessThroughput1MiB(benchmark::State& state) {
  InProcessHub hub(4);
  auto p1 = hub.Endpoint(1), p2 = hub.Endpoint(2), p3 = hub.Endpoint(3), p4 = hub.Endpoint(4);
  std::vector<Network*> receivers = {p2.get()};
  if (state.range(0) == 3) receivers = {p2.get(), p3.get(), p4.get()};
  Throughput(state, *p1, receivers, 2);
}
BENCHMARK(BM_InProcessThroughput1MiB)->Arg(1)->Arg(3)->UseRealTime();

void BM_GrpcRoundTrip(benchmark::State& state) {
  testing::GrpcTestCluster cluster(4);
  if (!cluster.StartAll().ok()) {
    state.SkipWithError("cluster did not start");
    return;
  }
  RoundTrip(state, cluster.net(1), cluster.net(2), 3);
}
BENCHMARK(BM_GrpcRoundTrip)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_GrpcThroughput1MiB(benchmark::State& state) {
  testing::GrpcTestCluster cluster(4);
  if (!cluster.StartAll().ok()) {
    state.SkipWithError("cluster did not start");
    return;
  }
  std::vector<Network*> receivers = {&cluster.net(2)};
  if (state.range(0) == 3) receivers = {&cluster.net(2), &cluster.net(3), &cluster.net(4)};
  Throughput(state, cluster.net(1), receivers, 4);
}
BENCHMARK(BM_GrpcThroughput1MiB)->Arg(1)->Arg(3)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_GrpcHealthCheck(benchmark::State& state) {
  testing::GrpcTestCluster cluster(4);
  if (!cluster.StartAll().ok()) {
    state.SkipWithError("cluster did not start");
    return;
  }
  for (auto _ : state) {
    auto latency = cluster.net(1).HealthCheck(2, In(seconds(10)));
    if (!latency.ok()) {
      state.SkipWithError("HealthCheck failed");
      break;
    }
  }
}
BENCHMARK(BM_GrpcHealthCheck)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kms::net

BENCHMARK_MAIN();
