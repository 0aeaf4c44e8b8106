// Runs one protocol on n parties, each party on its own thread with its own RoundChannel and
// Session, over an InProcessHub or any per-party Network, and collects every party's result.
#ifndef KMS_TESTS_TESTING_MPC_HARNESS_H_
#define KMS_TESTS_TESTING_MPC_HARNESS_H_

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "mpc/session.h"
#include "net/in_process_network.h"
#include "net/round_channel.h"

namespace kms::testing {

struct RunOptions {
  int n = 4;
  int t = 1;
  net::SessionId sid = 1;
  net::NetworkMode mode = net::NetworkMode::kSync;
  std::chrono::milliseconds round_timeout{2000};
  std::chrono::milliseconds session_timeout{60000};
};

template <typename T>
struct PartyResult {
  absl::StatusOr<T> value = absl::UnknownError("not run");
  std::set<net::Role> corrupt;
};

// Slower builds (sanitizers) stretch every protocol timeout by KMS_TEST_TIMEOUT_SCALE (an integer,
// default 1), so the synchronous-network assumption of the tests holds there too.
inline int TimeoutScale() {
  const char* v = std::getenv("KMS_TEST_TIMEOUT_SCALE");
  const int scale = v ? std::atoi(v) : 1;
  return scale > 0 ? scale : 1;
}

// Runs body(session) for every role 1..n, party r talking through network(r) (which must stay
// valid until the run ends).
template <typename T>
std::vector<PartyResult<T>> RunPartiesOn(
    const std::function<net::Network&(net::Role)>& network, const RunOptions& opt,
    const std::function<absl::StatusOr<T>(mpc::Session&)>& body) {
  std::vector<PartyResult<T>> results(opt.n);
  std::vector<net::Role> roles;
  for (int r = 1; r <= opt.n; ++r) roles.push_back(r);
  std::vector<std::thread> threads;
  for (int r = 1; r <= opt.n; ++r) {
    threads.emplace_back([&, r] {
      net::RoundChannel channel(network(r), opt.sid, roles, opt.mode,
                                opt.round_timeout * TimeoutScale(),
                                opt.session_timeout * TimeoutScale());
      mpc::Session session(channel, opt.t);
      results[r - 1].value = body(session);
      results[r - 1].corrupt = session.corrupt();
    });
  }
  for (auto& th : threads) th.join();
  return results;
}

// Runs body(session) for every role 1..n on the hub. Faults and interceptors (scripted corrupt
// parties, testing/adversary.h) are set on the hub by the caller.
template <typename T>
std::vector<PartyResult<T>> RunParties(
    net::InProcessHub& hub, const RunOptions& opt,
    const std::function<absl::StatusOr<T>(mpc::Session&)>& body) {
  std::vector<std::unique_ptr<net::InProcessNetwork>> endpoints;
  for (int r = 1; r <= opt.n; ++r) endpoints.push_back(hub.Endpoint(r));
  return RunPartiesOn<T>([&](net::Role r) -> net::Network& { return *endpoints[r - 1]; }, opt,
                         body);
}

// Roles 1..n minus `bad`.
inline std::vector<net::Role> HonestRoles(int n, const std::set<net::Role>& bad) {
  std::vector<net::Role> out;
  for (int r = 1; r <= n; ++r)
    if (!bad.contains(r)) out.push_back(r);
  return out;
}

}  // namespace kms::testing

#endif  // KMS_TESTS_TESTING_MPC_HARNESS_H_
