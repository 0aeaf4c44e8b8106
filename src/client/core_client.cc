#include "client/core_client.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "client/absl_compat_internal.h"
#include "common/status_macros.h"

namespace kms::client {
namespace {

// Marks statuses that mean "the server could not be reached" (IsUnreachable).
constexpr std::string_view kUnreachablePayload = "kms.client/unreachable";

absl::Status Unreachable(std::string_view endpoint, std::string_view reason) {
  absl::Status status =
      absl::UnavailableError(absl::StrCat("cannot reach ", Av(endpoint), ": ", Av(reason)));
  status.SetPayload(Av(kUnreachablePayload), absl::Cord("1"));
  return status;
}

std::string Seconds(std::chrono::milliseconds d) {
  const double s = static_cast<double>(d.count()) / 1000.0;
  if (std::floor(s) == s) return absl::StrCat(static_cast<int64_t>(s));
  return absl::StrCat(s);
}

// The reason inside a gRPC connection failure, in the words an operator searches for.
std::optional<std::string> ConnectFailureReason(std::string_view message) {
  const std::string lower = absl::AsciiStrToLower(Av(message));
  if (absl::StrContains(lower, "connection refused")) return "connection refused";
  if (absl::StrContains(lower, "dns resolution failed") ||
      absl::StrContains(lower, "name or service not known") ||
      absl::StrContains(lower, "could not resolve") || absl::StrContains(lower, "not resolve")) {
    return "cannot resolve the host name";
  }
  if (absl::StrContains(lower, "network is unreachable")) return "network is unreachable";
  if (absl::StrContains(lower, "no route to host")) return "no route to host";
  if (absl::StrContains(lower, "connection reset")) return "connection reset by peer";
  if (absl::StrContains(lower, "failed to connect") ||
      absl::StrContains(lower, "connections to all backends failing") ||
      absl::StrContains(lower, "socket closed") || absl::StrContains(lower, "endpoint closing") ||
      absl::StrContains(lower, "handshake")) {
    return std::string(absl::StripAsciiWhitespace(Av(message)));
  }
  return std::nullopt;
}

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

bool FromByteBuffer(const grpc::ByteBuffer& buffer, std::string* out) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  out->clear();
  for (const grpc::Slice& s : slices) {
    out->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return true;
}

const google::protobuf::ServiceDescriptor* CoreServiceDescriptor() {
  return v1::HealthStatusRequest::descriptor()->file()->FindServiceByName("CoreService");
}

}  // namespace

absl::StatusOr<const google::protobuf::MethodDescriptor*> FindCoreRpc(std::string_view rpc) {
  absl::string_view name = absl::StripAsciiWhitespace(Av(rpc));
  name = absl::StripPrefix(name, "/");
  if (absl::ConsumePrefix(&name, Av(kCoreServiceName))) {
    if (!absl::ConsumePrefix(&name, "/")) name = absl::StripPrefix(name, ".");
  }
  const google::protobuf::ServiceDescriptor* service = CoreServiceDescriptor();
  if (service != nullptr && !name.empty()) {
    const google::protobuf::MethodDescriptor* method = service->FindMethodByName(std::string(name));
    if (method != nullptr) return method;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown RPC \"", Av(rpc), "\" of ",
                                                 Av(kCoreServiceName),
                                                 "; known: ", absl::StrJoin(CoreRpcNames(), ", ")));
}

std::vector<std::string> CoreRpcNames() {
  std::vector<std::string> names;
  const google::protobuf::ServiceDescriptor* service = CoreServiceDescriptor();
  if (service == nullptr) return names;
  for (int i = 0; i < service->method_count(); ++i) names.push_back(service->method(i)->name());
  return names;
}

bool IsUnreachable(const absl::Status& status) {
  return status.GetPayload(Av(kUnreachablePayload)).has_value();
}

absl::Status DescribeRpcFailure(std::string_view endpoint, std::string_view rpc, int grpc_code,
                                std::string_view grpc_message, std::chrono::milliseconds timeout) {
  const auto code = static_cast<absl::StatusCode>(grpc_code);
  if (code == absl::StatusCode::kUnavailable) {
    if (std::optional<std::string> reason = ConnectFailureReason(grpc_message)) {
      return Unreachable(endpoint, *reason);
    }
  }
  if (code == absl::StatusCode::kDeadlineExceeded &&
      (grpc_message.empty() ||
       absl::StrContains(absl::AsciiStrToLower(Av(grpc_message)), "deadline exceeded"))) {
    return absl::DeadlineExceededError(
        absl::StrCat(Av(endpoint), ": ", Av(rpc), ": no answer within ", Seconds(timeout), " s"));
  }
  return absl::Status(code, absl::StrCat(Av(endpoint), ": ", Av(rpc), ": ",
                                         absl::StatusCodeToString(code), ": ", Av(grpc_message)));
}

std::shared_ptr<grpc::ChannelCredentials> ClientChannelCredentials(
    const std::optional<ClientTls>& tls) {
  if (!tls.has_value()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = tls->ca_pem;
  ssl.pem_cert_chain = tls->cert_pem;
  ssl.pem_private_key.assign(tls->key_pem.span().begin(), tls->key_pem.span().end());
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(ssl);
  crypto::SecureZero(ssl.pem_private_key.data(), ssl.pem_private_key.size());
  return credentials;
}

CoreClient::CoreClient(Endpoint endpoint, const ClientOptions& options)
    : endpoint_(std::move(endpoint)), options_(options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options_.max_message_size);
  args.SetMaxSendMessageSize(options_.max_message_size);
  // Loopback and cluster-internal addresses must never go through an HTTP proxy from the
  // environment.
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  // A restarted party must be found again quickly (the default backoff grows to two minutes).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  // Each client gets its own connection, so parallel tools do not share a subchannel's backoff.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  channel_ =
      grpc::CreateCustomChannel(endpoint_.ToString(), ClientChannelCredentials(options_.tls), args);
  stub_ = std::make_unique<grpc::GenericStub>(channel_);
}

CoreClient::~CoreClient() = default;

absl::StatusOr<std::unique_ptr<CoreClient>> CoreClient::Create(std::string_view endpoint,
                                                               const ClientOptions& options) {
  KMS_ASSIGN_OR_RETURN(Endpoint parsed, ParseEndpoint(endpoint));
  if (options.connect_timeout.count() <= 0 || options.request_timeout.count() <= 0) {
    return absl::InvalidArgumentError("client timeouts must be positive");
  }
  return std::unique_ptr<CoreClient>(new CoreClient(std::move(parsed), options));
}

absl::Status CoreClient::Connect() {
  if (connected_.load()) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(connect_mu_);
  if (connected_.load()) return absl::OkStatus();
  const auto deadline = std::chrono::system_clock::now() + options_.connect_timeout;
  grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
  absl::Status last_failure;
  while (true) {
    if (state == GRPC_CHANNEL_READY) {
      connected_.store(true);
      return absl::OkStatus();
    }
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE) {
      // The connection attempt failed: a fail-fast call says why (refused, unresolvable, ...)
      // at once instead of waiting out the whole timeout.
      std::string ignored;
      absl::Status probe =
          RawCall("/grpc.health.v1.Health/Check", "connect", std::string(), &ignored,
                  std::chrono::milliseconds(1000), /*wait_for_ready=*/false);
      // A refused connection is definite (nothing listens there). Other failures can be
      // transient on a loaded machine (a connect that timed out, a spurious errno): keep
      // trying until the connect timeout, and report the last one if it never clears.
      if (IsUnreachable(probe) &&
          absl::StrContains(absl::AsciiStrToLower(probe.message()), "connection refused")) {
        return probe;
      }
      if (probe.ok() || probe.code() == absl::StatusCode::kUnimplemented ||
          probe.code() == absl::StatusCode::kNotFound) {
        connected_.store(true);  // the server answered after all (it came up just now)
        return absl::OkStatus();
      }
      last_failure = probe;
    }
    if (std::chrono::system_clock::now() >= deadline) break;
    // Wakes up on every state change, and at least every 200 ms to re-check.
    channel_->WaitForStateChange(state, std::min(deadline, std::chrono::system_clock::now() +
                                                               std::chrono::milliseconds(200)));
    state = channel_->GetState(/*try_to_connect=*/true);
  }
  if (!last_failure.ok()) return last_failure;
  return Unreachable(
      address(), absl::StrCat("no connection within ", Seconds(options_.connect_timeout), " s"));
}

absl::Status CoreClient::RawCall(const std::string& method_path, std::string_view rpc,
                                 const std::string& request_bytes, std::string* response_bytes,
                                 std::chrono::milliseconds timeout, bool wait_for_ready) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  context.set_wait_for_ready(wait_for_ready);
  grpc::CompletionQueue cq;
  grpc::ByteBuffer response;
  grpc::Status status;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      stub_->PrepareUnaryCall(&context, method_path, ToByteBuffer(request_bytes), &cq);
  call->StartCall();
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  const bool got = cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!got) return absl::InternalError(absl::StrCat(address(), ": ", Av(rpc), ": call lost"));
  if (!status.ok()) {
    return DescribeRpcFailure(address(), rpc, static_cast<int>(status.error_code()),
                              status.error_message(), timeout);
  }
  if (!FromByteBuffer(response, response_bytes)) {
    return absl::DataLossError(absl::StrCat(address(), ": ", Av(rpc), ": unreadable answer"));
  }
  return absl::OkStatus();
}

absl::Status CoreClient::Call(std::string_view rpc, const google::protobuf::Message& request,
                              google::protobuf::Message* response,
                              std::optional<std::chrono::milliseconds> timeout) {
  KMS_ASSIGN_OR_RETURN(const google::protobuf::MethodDescriptor* m, FindCoreRpc(rpc));
  if (request.GetDescriptor() != m->input_type() || response == nullptr ||
      response->GetDescriptor() != m->output_type()) {
    return absl::InvalidArgumentError(absl::StrCat(m->name(), " takes ",
                                                   m->input_type()->full_name(), " and returns ",
                                                   m->output_type()->full_name()));
  }
  KMS_RETURN_IF_ERROR(Connect());
  std::string request_bytes;
  if (!request.SerializeToString(&request_bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(m->name(), ": request cannot be serialized"));
  }
  std::string response_bytes;
  const std::string path = absl::StrCat("/", Av(kCoreServiceName), "/", m->name());
  absl::Status status = RawCall(path, m->name(), request_bytes, &response_bytes,
                                timeout.value_or(options_.request_timeout),
                                /*wait_for_ready=*/false);
  if (!status.ok()) {
    if (IsUnreachable(status)) connected_.store(false);
    return status;
  }
  if (!response->ParseFromString(response_bytes)) {
    return absl::DataLossError(absl::StrCat(address(), ": ", m->name(), ": answer is not a valid ",
                                            m->output_type()->full_name()));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::HealthStatusResponse> CoreClient::GetHealthStatus() {
  v1::HealthStatusResponse response;
  KMS_RETURN_IF_ERROR(Call("GetHealthStatus", v1::HealthStatusRequest(), &response));
  return response;
}

absl::StatusOr<v1::OperatorPublicKeyResponse> CoreClient::GetOperatorPublicKey() {
  v1::OperatorPublicKeyResponse response;
  KMS_RETURN_IF_ERROR(Call("GetOperatorPublicKey", v1::Empty(), &response));
  return response;
}

absl::StatusOr<v1::PublicKeyResponse> CoreClient::GetPublicKey(std::string_view key_id) {
  v1::PublicKeyRequest request;
  request.set_key_id(std::string(key_id));
  v1::PublicKeyResponse response;
  KMS_RETURN_IF_ERROR(Call("GetPublicKey", request, &response));
  return response;
}

}  // namespace kms::client
