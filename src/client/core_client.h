// File: client/core_client.h
//
// A connection to one party's client port: kms.v1.CoreService over gRPC (plaintext, or TLS with
// a client certificate: client/client_tls.h), with a
// connection timeout and a per-request timeout, and errors an operator can act on:
//
//   cannot reach localhost:50100: connection refused
//   cannot reach kms-3:50100: no connection within 5 s
//   localhost:50100: GetKeyGenResult: NOT_FOUND: unknown request id ...
//
// Every RPC goes through Call(rpc name, request, response), which is driven by the descriptors of
// the generated kms.v1 messages, so the same path serves the typed helpers of the tools and
// `kms-client call <Rpc> <json>` for any RPC the proto defines. Status codes are the server's
// (service-spec §2 error table), so callers can tell retryable answers (UNAVAILABLE: still
// running) from failures; a failure to reach the server is UNAVAILABLE too, and IsUnreachable()
// tells it apart.
//
// Thread safety: Call may run from several threads at once (one gRPC channel, one call each).
#ifndef KMS_CLIENT_CORE_CLIENT_H_
#define KMS_CLIENT_CORE_CLIENT_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/client_tls.h"
#include "client/endpoint.h"
#include "proto/kms_service.pb.h"

namespace google::protobuf {
class Message;
class MethodDescriptor;
}  // namespace google::protobuf
namespace grpc {
class Channel;
class ChannelCredentials;
class ByteBuffer;
template <class RequestType, class ResponseType>
class TemplatedGenericStub;
}  // namespace grpc

namespace kms::client {

// Timeouts of a client (kms-health-check's health-check.toml uses the same two numbers).
struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{10000};
  // Largest message sent or received (public keys of the default set are ~130 KB; batches of
  // ciphertexts more).
  int max_message_size = 512 << 20;
  // TLS to the client port (client/client_tls.h); nullopt: plaintext.
  std::optional<ClientTls> tls;
};

// The full name of the service every RPC belongs to.
inline constexpr std::string_view kCoreServiceName = "kms.v1.CoreService";

// The method descriptor of kms.v1.CoreService/<rpc>. Accepts "GetHealthStatus",
// "kms.v1.CoreService/GetHealthStatus" and "kms.v1.CoreService.GetHealthStatus". InvalidArgument
// listing the known RPCs for any other name.
absl::StatusOr<const google::protobuf::MethodDescriptor*> FindCoreRpc(std::string_view rpc);

// The names of every RPC of kms.v1.CoreService, in proto order.
std::vector<std::string> CoreRpcNames();

// The channel credentials for `tls` (plaintext when nullopt): what CoreClient connects with, for
// callers that make their own channels (the load generator's asynchronous stubs).
std::shared_ptr<grpc::ChannelCredentials> ClientChannelCredentials(
    const std::optional<ClientTls>& tls);

// True for the statuses CoreClient returns when the server could not be reached at all
// (connection refused, unresolvable name, no connection within the timeout).
bool IsUnreachable(const absl::Status& status);

// Maps a gRPC failure (numeric code and message as gRPC reports them) to the status a user sees.
// Connection failures become UNAVAILABLE "cannot reach <endpoint>: <reason>" (marked unreachable);
// a deadline becomes DEADLINE_EXCEEDED "<endpoint>: <rpc>: no answer within <s> s"; anything
// else keeps its code with "<endpoint>: <rpc>: <message>". Exposed for tests.
absl::Status DescribeRpcFailure(std::string_view endpoint, std::string_view rpc, int grpc_code,
                                std::string_view grpc_message, std::chrono::milliseconds timeout);

class CoreClient {
 public:
  // Parses `endpoint` (see endpoint.h) and creates the channel; does not connect yet.
  // InvalidArgument for a malformed endpoint.
  static absl::StatusOr<std::unique_ptr<CoreClient>> Create(std::string_view endpoint,
                                                            const ClientOptions& options = {});
  ~CoreClient();
  CoreClient(const CoreClient&) = delete;
  CoreClient& operator=(const CoreClient&) = delete;

  const Endpoint& endpoint() const { return endpoint_; }
  std::string address() const { return endpoint_.ToString(); }
  const ClientOptions& options() const { return options_; }

  // Waits up to connect_timeout for a connection. OK once connected (later calls return at
  // once); UNAVAILABLE "cannot reach <endpoint>: <reason>" otherwise (and a later call tries
  // again). Call() connects first by itself; this exists to measure and report connectivity.
  absl::Status Connect();

  // Invokes kms.v1.CoreService/<rpc> with `request`, parsing the answer into `response` (which
  // must be of the RPC's output type). `timeout` defaults to options().request_timeout.
  // InvalidArgument for an unknown RPC or mismatched message types; otherwise the server's status
  // or DescribeRpcFailure's.
  absl::Status Call(std::string_view rpc, const google::protobuf::Message& request,
                    google::protobuf::Message* response,
                    std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Typed helpers for the calls every tool makes.
  absl::StatusOr<v1::HealthStatusResponse> GetHealthStatus();
  absl::StatusOr<v1::OperatorPublicKeyResponse> GetOperatorPublicKey();
  absl::StatusOr<v1::PublicKeyResponse> GetPublicKey(std::string_view key_id);

 private:
  CoreClient(Endpoint endpoint, const ClientOptions& options);
  // Transport only: one unary call with raw bytes.
  absl::Status RawCall(const std::string& method_path, std::string_view rpc,
                       const std::string& request_bytes, std::string* response_bytes,
                       std::chrono::milliseconds timeout, bool wait_for_ready);

  Endpoint endpoint_;
  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::TemplatedGenericStub<grpc::ByteBuffer, grpc::ByteBuffer>> stub_;
  std::mutex connect_mu_;
  std::atomic<bool> connected_{false};
};

}  // namespace kms::client

#endif  // KMS_CLIENT_CORE_CLIENT_H_
