#include "service/http_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace kms::service {
namespace {

void InitCivetwebOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

void Send(mg_connection* conn, const HttpResponse& r, bool head) {
  const std::string header =
      absl::StrCat("HTTP/1.1 ", r.status, " ", ReasonPhrase(r.status),
                   "\r\nContent-Type: ", r.content_type, "\r\nContent-Length: ", r.body.size(),
                   "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
  mg_write(conn, header.data(), header.size());
  if (!head && !r.body.empty()) mg_write(conn, r.body.data(), r.body.size());
}

}  // namespace

absl::Status SplitHostPort(const std::string& address, std::string* host, int* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\" is not host:port"));
  }
  std::string h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p = 0;
  const char* begin = address.data() + colon + 1;
  const char* end = address.data() + address.size();
  auto [ptr, ec] = std::from_chars(begin, end, p);
  if (ec != std::errc() || ptr != end || p < 0 || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\" has a bad port"));
  }
  *host = h;
  *port = p;
  return absl::OkStatus();
}

absl::Status ProbeBind(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  int rc = -1;
  int err = 0;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET6, host.c_str(), &a.sin6_addr) != 1) {
      ::close(fd);
      return absl::InvalidArgumentError(absl::StrCat("bad IPv6 address ", host));
    }
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    const std::string h = host == "localhost" ? "127.0.0.1" : host;
    if (::inet_pton(AF_INET, h.c_str(), &a.sin_addr) != 1) {
      ::close(fd);
      // A host name: nothing to probe without resolving; let the caller report its own error.
      return absl::OkStatus();
    }
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  }
  err = errno;
  ::close(fd);
  if (rc == 0) return absl::OkStatus();
  if (err == EADDRINUSE) {
    return absl::UnavailableError(absl::StrCat("Address already in use: ", host, ":", port));
  }
  return absl::UnavailableError(
      absl::StrCat("cannot bind ", host, ":", port, ": ", std::strerror(err)));
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& bind_address,
                                                              Routes routes) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(bind_address, &host, &port); !s.ok()) return s;
  if (port == 0) return absl::InvalidArgumentError("metrics port 0 is not allowed");
  if (absl::Status s = ProbeBind(host, port); !s.ok()) return s;
  InitCivetwebOnce();
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(routes)));
  const std::string ports = host.find(':') != std::string::npos
                                ? absl::StrCat("[", host, "]:", port)
                                : absl::StrCat(host, ":", port);
  const char* options[] = {"listening_ports",   ports.c_str(), "num_threads", "4",
                           "enable_keep_alive", "no",          nullptr};
  mg_callbacks callbacks{};
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = options;
  char error_text[256] = {0};
  unsigned error_code = 0;
  mg_error_data error{};
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);
  server->ctx_ = mg_start2(&init, &error);
  if (server->ctx_ == nullptr) {
    if (absl::Status s = ProbeBind(host, port); !s.ok()) return s;
    return absl::UnavailableError(
        absl::StrCat("HTTP server on ", bind_address, " did not start: ", error_text));
  }
  mg_set_request_handler(server->ctx_, "/", &HttpServer::Dispatch, server.get());
  return server;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (ctx_ != nullptr) {
    mg_stop(ctx_);
    ctx_ = nullptr;
  }
}

int HttpServer::Dispatch(mg_connection* conn, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  const mg_request_info* info = mg_get_request_info(conn);
  const std::string method = info->request_method != nullptr ? info->request_method : "";
  const bool head = method == "HEAD";
  if (method != "GET" && !head) {
    Send(conn, HttpResponse{405, "text/plain; charset=utf-8", "method not allowed\n"}, false);
    return 405;
  }
  const std::string path = info->local_uri != nullptr ? info->local_uri : "";
  auto it = server->routes_.find(path);
  if (it == server->routes_.end()) {
    Send(conn, HttpResponse{404, "text/plain; charset=utf-8", "not found\n"}, head);
    return 404;
  }
  HttpResponse response;
  try {
    response = it->second();
  } catch (const std::exception& e) {
    response = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"};
  }
  Send(conn, response, head);
  return response.status;
}

}  // namespace kms::service
