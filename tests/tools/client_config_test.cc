#include "client/client_config.h"

#include <gtest/gtest.h>

#include "client/health_check_options.h"

namespace kms::client {
namespace {

TEST(ParseClientConfig, ReadsPartiesInIdOrder) {
  absl::StatusOr<ClientConfig> c = ParseClientConfig(R"(
threshold = 1
fhe_parameter = "test"
request_timeout_secs = 30
[[parties]]
party_id = 2
address = "http://127.0.0.1:50200"
[[parties]]
party_id = 1
address = "127.0.0.1:50100"
[[parties]]
party_id = 3
address = "localhost:50300"
[[parties]]
party_id = 4
address = "localhost:50400"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->threshold, 1u);
  EXPECT_EQ(c->fhe_parameter, "test");
  EXPECT_EQ(c->request_timeout_secs, 30u);
  EXPECT_EQ(c->connection_timeout_secs, 5u);
  ASSERT_EQ(c->parties.size(), 4u);
  EXPECT_EQ(c->Addresses()[0], "127.0.0.1:50100");
  EXPECT_EQ(c->Addresses()[1], "http://127.0.0.1:50200");
  // Written back and read again: the same.
  absl::StatusOr<ClientConfig> again = ParseClientConfig(ClientConfigToToml(*c));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->Addresses(), c->Addresses());
  EXPECT_EQ(again->threshold, c->threshold);
}

TEST(ParseClientConfig, ReportsEveryProblemWithItsPath) {
  absl::StatusOr<ClientConfig> c = ParseClientConfig(R"(
threshold = 2
colour = "blue"
request_timeout_secs = 0
[[parties]]
party_id = 1
address = "nohostport"
[[parties]]
party_id = 1
address = "h:1"
port = 3
)");
  ASSERT_FALSE(c.ok());
  const std::string msg(c.status().message());
  for (const char* expected :
       {"colour: unknown key", "request_timeout_secs: must be > 0", "parties[0].address: endpoint",
        "parties[1].party_id: party 1 listed twice", "parties[1].port: unknown key",
        "threshold: n = 2 parties cannot tolerate t = 2"}) {
    EXPECT_NE(msg.find(expected), std::string::npos) << expected << "\n" << msg;
  }
  EXPECT_FALSE(ParseClientConfig("").ok());
  EXPECT_FALSE(ParseClientConfig("[[parties]\n").ok());
}

TEST(HealthCheckTimeouts, DefaultsFileAndEnvironment) {
  auto no_env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  absl::StatusOr<HealthCheckTimeouts> d = LoadHealthCheckTimeouts(std::nullopt, no_env);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->connection_timeout_secs, 5u);
  EXPECT_EQ(d->request_timeout_secs, 10u);

  absl::StatusOr<HealthCheckTimeouts> f =
      ParseHealthCheckToml("connection_timeout_secs = 2\nrequest_timeout_secs = 30\n");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->connection_timeout_secs, 2u);
  EXPECT_EQ(f->request_timeout_secs, 30u);
  EXPECT_FALSE(ParseHealthCheckToml("timeout = 3").ok());
  EXPECT_FALSE(ParseHealthCheckToml("request_timeout_secs = \"3\"").ok());
  EXPECT_FALSE(ParseHealthCheckToml("request_timeout_secs = 0").ok());

  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HEALTH_CHECK__REQUEST_TIMEOUT_SECS") return "7";
    return std::nullopt;
  };
  absl::StatusOr<HealthCheckTimeouts> e = LoadHealthCheckTimeouts(std::nullopt, env);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->request_timeout_secs, 7u);
  EXPECT_EQ(e->connection_timeout_secs, 5u);
  auto bad_env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HEALTH_CHECK__CONNECTION_TIMEOUT_SECS") return "soon";
    return std::nullopt;
  };
  absl::StatusOr<HealthCheckTimeouts> b = LoadHealthCheckTimeouts(std::nullopt, bad_env);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("HEALTH_CHECK__CONNECTION_TIMEOUT_SECS"),
            absl::string_view::npos);
  EXPECT_EQ(LoadHealthCheckTimeouts(std::string("/nonexistent/hc.toml"), no_env).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kms::client
