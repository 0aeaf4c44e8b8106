#include "client/endpoint.h"

#include <gtest/gtest.h>

namespace kms::client {
namespace {

TEST(ParseEndpoint, PlainHostPort) {
  absl::StatusOr<Endpoint> e = ParseEndpoint("localhost:50100");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "localhost");
  EXPECT_EQ(e->port, 50100);
  EXPECT_EQ(e->ToString(), "localhost:50100");
  EXPECT_EQ(ParseEndpoint("127.0.0.1:50100")->ToString(), "127.0.0.1:50100");
}

TEST(ParseEndpoint, StripsHttpSchemesAndTrailingSlash) {
  EXPECT_EQ(ParseEndpoint("http://kms-threshold-1:50100")->ToString(), "kms-threshold-1:50100");
  EXPECT_EQ(ParseEndpoint("HTTPS://h:1/")->ToString(), "h:1");
}

TEST(ParseEndpoint, Ipv6InBrackets) {
  absl::StatusOr<Endpoint> e = ParseEndpoint("[::1]:50100");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->ToString(), "[::1]:50100");
}

TEST(ParseEndpoint, RejectsMalformed) {
  for (const char* bad : {"", "localhost", "localhost:", ":50100", "h:0", "h:65536", "h:12a",
                          "ftp://h:1", "http://h:1/path", "::1:50100", "[::1]50100", "h:-1"}) {
    absl::StatusOr<Endpoint> e = ParseEndpoint(bad);
    EXPECT_FALSE(e.ok()) << bad;
    if (!e.ok()) {
      EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(e.status().message().find("endpoint \""), absl::string_view::npos);
    }
  }
}

}  // namespace
}  // namespace kms::client
