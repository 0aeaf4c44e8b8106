#include "client/core_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kms::client {
namespace {

using std::chrono::milliseconds;

TEST(DescribeRpcFailure, ConnectionRefusedBecomesUnreachable) {
  absl::Status s = DescribeRpcFailure(
      "localhost:50100", "GetHealthStatus", 14,
      "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:50100: Failed to "
      "connect to remote host: Connection refused",
      milliseconds(10000));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "cannot reach localhost:50100: connection refused");
  EXPECT_TRUE(IsUnreachable(s));
}

TEST(DescribeRpcFailure, UnresolvableHost) {
  absl::Status s = DescribeRpcFailure("nohost:1", "GetHealthStatus", 14,
                                      "DNS resolution failed for nohost:1: C-ares status is not "
                                      "ARES_SUCCESS",
                                      milliseconds(1000));
  EXPECT_EQ(s.message(), "cannot reach nohost:1: cannot resolve the host name");
  EXPECT_TRUE(IsUnreachable(s));
}

TEST(DescribeRpcFailure, ServerUnavailableIsNotUnreachable) {
  // "still running" from GetXResult must stay retryable and distinguishable.
  absl::Status s = DescribeRpcFailure("h:1", "GetKeyGenResult", 14, "request is still running",
                                      milliseconds(1000));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(IsUnreachable(s));
  EXPECT_EQ(s.message(), "h:1: GetKeyGenResult: UNAVAILABLE: request is still running");
}

TEST(DescribeRpcFailure, DeadlineSaysHowLong) {
  absl::Status s =
      DescribeRpcFailure("h:1", "PublicDecryptSync", 4, "Deadline Exceeded", milliseconds(2500));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(s.message(), "h:1: PublicDecryptSync: no answer within 2.5 s");
}

TEST(DescribeRpcFailure, KeepsServerCodesAndMessages) {
  absl::Status s =
      DescribeRpcFailure("h:1", "KeyGen", 9, "no PRSS setup exists for epoch 00..01; run kms-init",
                         milliseconds(1000));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("run kms-init"), absl::string_view::npos);
}

TEST(CoreClient, RejectsBadEndpointAndTimeouts) {
  EXPECT_EQ(CoreClient::Create("nohostport").status().code(), absl::StatusCode::kInvalidArgument);
  ClientOptions o;
  o.request_timeout = milliseconds(0);
  EXPECT_EQ(CoreClient::Create("h:1", o).status().code(), absl::StatusCode::kInvalidArgument);
}

// A port that nothing listens on: bind, read the port, close.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

TEST(CoreClient, ClosedPortIsReportedAsConnectionRefused) {
  for (const char* host : {"127.0.0.1", "localhost"}) {
    const std::string endpoint = std::string(host) + ":" + std::to_string(FreePort());
    ClientOptions o;
    o.connect_timeout = milliseconds(3000);
    absl::StatusOr<std::unique_ptr<CoreClient>> c = CoreClient::Create(endpoint, o);
    ASSERT_TRUE(c.ok());
    absl::Status s = (*c)->Connect();
    EXPECT_TRUE(IsUnreachable(s)) << s;
    EXPECT_EQ(s.message(), "cannot reach " + endpoint + ": connection refused");
    absl::StatusOr<v1::HealthStatusResponse> h = (*c)->GetHealthStatus();
    EXPECT_TRUE(IsUnreachable(h.status())) << h.status();
  }
}

TEST(CoreClient, CallChecksMessageTypes) {
  absl::StatusOr<std::unique_ptr<CoreClient>> c = CoreClient::Create("127.0.0.1:1");
  ASSERT_TRUE(c.ok());
  v1::Empty empty;
  v1::HealthStatusResponse response;
  absl::Status s = (*c)->Call("GetHealthStatus", empty, &response);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "GetHealthStatus takes kms.v1.HealthStatusRequest and returns "
            "kms.v1.HealthStatusResponse");
}

}  // namespace
}  // namespace kms::client
