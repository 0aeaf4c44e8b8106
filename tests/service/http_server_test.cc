#include "service/http_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace kms::service {
namespace {

using ::testing::HasSubstr;

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string Get(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return "";
  (void)!::write(fd, request.data(), request.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

TEST(HttpServerTest, RoutesStatusCodesAndMethods) {
  const int port = FreePort();
  HttpServer::Routes routes;
  routes["/ok"] = [] { return HttpResponse{200, "text/plain", "fine\n"}; };
  routes["/busy"] = [] { return HttpResponse{429, "application/json", "{}"}; };
  auto server = HttpServer::Start("127.0.0.1:" + std::to_string(port), routes);
  ASSERT_TRUE(server.ok()) << server.status();
  std::string r = Get(port, "GET /ok HTTP/1.0\r\n\r\n");
  EXPECT_THAT(r, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(r, HasSubstr("\r\n\r\nfine\n"));
  r = Get(port, "GET /busy HTTP/1.0\r\n\r\n");
  EXPECT_THAT(r, HasSubstr("HTTP/1.1 429 Too Many Requests"));
  EXPECT_THAT(r, HasSubstr("Content-Type: application/json"));
  EXPECT_THAT(Get(port, "GET /nope HTTP/1.0\r\n\r\n"), HasSubstr("404"));
  EXPECT_THAT(Get(port, "POST /ok HTTP/1.0\r\nContent-Length: 0\r\n\r\n"), HasSubstr("405"));
  r = Get(port, "HEAD /ok HTTP/1.0\r\n\r\n");
  EXPECT_THAT(r, HasSubstr("200"));
  EXPECT_THAT(r, ::testing::Not(HasSubstr("fine")));

  // A second server on the same port is refused with the address.
  auto second = HttpServer::Start("127.0.0.1:" + std::to_string(port), routes);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(),
              HasSubstr("Address already in use: 127.0.0.1:" + std::to_string(port)));
  (*server)->Stop();
  EXPECT_EQ(Get(port, "GET /ok HTTP/1.0\r\n\r\n"), "");
}

TEST(HttpServerTest, AddressParsing) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(SplitHostPort("0.0.0.0:9646", &host, &port).ok());
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 9646);
  ASSERT_TRUE(SplitHostPort("[::1]:80", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(SplitHostPort("9646", &host, &port).ok());
  EXPECT_FALSE(SplitHostPort("host:", &host, &port).ok());
  EXPECT_FALSE(SplitHostPort("host:99999", &host, &port).ok());
  EXPECT_FALSE(HttpServer::Start("127.0.0.1:0", {}).ok());
}

}  // namespace
}  // namespace kms::service
