// File: service/http_server.h
//
// The plain-HTTP endpoint on telemetry.metrics_bind_address (service-spec §6): a handful of GET
// paths (/metrics, /live, /ready, /health, /version), each answered by a callback. Built on
// civetweb (Debian's libcivetweb-dev, the same server prometheus-cpp's exposer embeds), because
// the exposer serves metrics only and the probes need their own paths and status codes.
//
//   HttpServer::Routes routes;
//   routes["/live"] = [] { return HttpResponse{200, "text/plain", "ok\n"}; };
//   KMS_ASSIGN_OR_RETURN(auto http, HttpServer::Start("0.0.0.0:9646", std::move(routes)));
//
// Unknown paths get 404; methods other than GET and HEAD get 405. Handlers run on civetweb's
// threads (a few), so they must be quick and thread-safe.
#ifndef KMS_SERVICE_HTTP_SERVER_H_
#define KMS_SERVICE_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct mg_context;
struct mg_connection;

namespace kms::service {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse()>;
  using Routes = std::map<std::string, Handler>;

  // Listens on `bind_address` ("host:port"; port 0 is refused because probes need a known port).
  // INVALID_ARGUMENT for a malformed address; UNAVAILABLE "Address already in use: <addr>" when
  // the port is taken, or the reason civetweb gives otherwise.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& bind_address,
                                                           Routes routes);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops listening and waits for running handlers. Idempotent.
  void Stop();

 private:
  explicit HttpServer(Routes routes) : routes_(std::move(routes)) {}
  static int Dispatch(mg_connection* conn, void* self);

  Routes routes_;
  mg_context* ctx_ = nullptr;
};

// Splits "host:port" ("[v6]:port" for IPv6). INVALID_ARGUMENT naming the problem.
absl::Status SplitHostPort(const std::string& address, std::string* host, int* port);

// Tries to bind a TCP socket on host:port (and releases it): OK if the port is free,
// UNAVAILABLE "Address already in use: <host>:<port>" (or the errno text) otherwise. Used to turn
// a failed start of a server library into a clear reason.
absl::Status ProbeBind(const std::string& host, int port);

}  // namespace kms::service

#endif  // KMS_SERVICE_HTTP_SERVER_H_
