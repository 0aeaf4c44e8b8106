#include "net/grpc_network.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/bytes.h"
#include "common/status_macros.h"
#include "crypto/tls_certificate.h"
#include "proto/peer_service.grpc.pb.h"

namespace kms::net {
namespace {

namespace pb = ::kms::peer::v1;

// Room for the protobuf fields around the payload (session id, sender, round, tags, lengths):
// gRPC's message limits are set to max_message_bytes plus this.
constexpr size_t kEnvelopeBytes = 4096;
constexpr size_t kSessionIdBytes = 16;
// A sender frame (SendBatch) carries at most this many messages and payload bytes (and never
// more than max_message_bytes); a message over the byte bound travels alone in a Send.
constexpr size_t kMaxBatchMessages = 256;
constexpr size_t kMaxBatchBytes = size_t{4} << 20;
// Protobuf framing per message of a batch (tags, lengths, session id, sender, round), counted
// against the batch's byte bound.
constexpr size_t kBatchFramingBytes = 64;
// Verified client certificates remembered per process (a peer presents one certificate).
constexpr size_t kMaxVerifiedCertificates = 1024;
// Trailing metadata of a RESOURCE_EXHAUSTED answer that a retry may cure (a mailbox quota); its
// value is the DeliverResultName. gRPC's own RESOURCE_EXHAUSTED (a message over its size
// limit) and our oversized refusals carry none, and are final.
constexpr char kRetryableTrailer[] = "kms-retryable-quota";

// Debian's Abseil has its own string_view, which StrCat does not take from std.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string EncodeSessionId(SessionId sid) {
  std::string out(kSessionIdBytes, '\0');
  for (size_t i = 0; i < kSessionIdBytes; ++i) out[i] = static_cast<char>(sid >> (8 * i));
  return out;
}

SessionId DecodeSessionId(const std::string& bytes) {
  return LoadU128Le(reinterpret_cast<const uint8_t*>(bytes.data()));
}

// "host:port", with brackets around an IPv6 literal.
std::string HostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos && host.front() != '[') {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

// gRPC deadlines are wall-clock; ours are steady. Far deadlines are capped at a year.
std::chrono::system_clock::time_point ToSystemDeadline(Clock::time_point deadline) {
  Clock::duration remaining = deadline - Clock::now();
  const Clock::duration kMax = std::chrono::hours(24 * 365);
  remaining = std::clamp(remaining, Clock::duration::zero(), kMax);
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(remaining);
}

absl::Status FromGrpc(const grpc::Status& status, std::string_view context) {
  // grpc::StatusCode and absl::StatusCode share google.rpc.Code's numbering.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(Av(context), ": ", status.error_message()));
}

std::string ToString(grpc::string_ref s) { return std::string(s.data(), s.size()); }

void WipeString(std::string& s) {
  crypto::SecureZero(s.data(), s.size());
  s.clear();
}

std::string KeyPemString(const crypto::SecretBytes& key) {
  return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

// gRPC reports only that the server did not start; find out whether the port is taken, so the
// operator reads "Address already in use: port N" (service-spec §8).
absl::Status DiagnoseListenFailure(const std::string& address, int port) {
  std::string host = address;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const std::string port_text = std::to_string(port);
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &results);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", HostPort(address, port),
                                               ": address does not resolve (", gai_strerror(rc),
                                               ")"));
  }
  bool in_use = false;
  int other_errno = 0;
  for (addrinfo* ai = results; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno == EADDRINUSE) {
        in_use = true;
      } else {
        other_errno = errno;
      }
    }
    close(fd);
  }
  freeaddrinfo(results);
  if (in_use) {
    return absl::UnavailableError(
        absl::StrCat("Address already in use: port ", port, " (listen address ", address, ")"));
  }
  if (other_errno != 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", HostPort(address, port), ": ",
                                               std::strerror(other_errno)));
  }
  return absl::UnavailableError(
      absl::StrCat("the peer gRPC server did not start on ", HostPort(address, port)));
}

absl::Status FieldError(std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(Av(field), ": ", Av(problem)));
}

absl::Status WithField(std::string_view field, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(Av(field), ": ", status.message()));
}

}  // namespace

absl::Status ValidateGrpcNetworkConfig(const GrpcNetworkConfig& config) {
  const size_t n = config.peers.size();
  if (n == 0) return FieldError("peers", "no parties configured");
  if (n > 1000) return FieldError("peers", absl::StrCat(n, " parties, at most 1000"));
  std::set<Role> roles;
  std::set<std::string> identities;
  std::set<Bytes> ders;
  const PeerInfo* mine = nullptr;
  for (size_t i = 0; i < n; ++i) {
    const PeerInfo& p = config.peers[i];
    const std::string field = absl::StrCat("peers[", i, "]");
    if (p.role < 1 || p.role > static_cast<Role>(n)) {
      return FieldError(field + ".role", absl::StrCat("must be in 1..", n, ", got ", p.role));
    }
    if (!roles.insert(p.role).second) {
      return FieldError(field + ".role", absl::StrCat("party ", p.role, " is listed twice"));
    }
    if (p.host.empty()) return FieldError(field + ".host", "is empty");
    if (p.port < 1 || p.port > 65535) {
      return FieldError(field + ".port", absl::StrCat("must be in 1..65535, got ", p.port));
    }
    absl::Status id_ok = crypto::ValidateIdentity(p.identity);
    if (!id_ok.ok()) return WithField(field + ".identity", id_ok);
    if (!identities.insert(p.identity).second) {
      return FieldError(field + ".identity", absl::StrCat("\"", p.identity, "\" is listed twice"));
    }
    absl::Status cert_ok = crypto::CheckCertificateIdentity(p.certificate_pem, p.identity);
    if (!cert_ok.ok()) return WithField(field + ".certificate_pem", cert_ok);
    KMS_ASSIGN_OR_RETURN(Bytes der, crypto::CertificateDer(p.certificate_pem));
    if (!ders.insert(der).second) {
      return FieldError(field + ".certificate_pem", "the same certificate is listed twice");
    }
    if (p.role == config.my_role) mine = &p;
  }
  if (mine == nullptr) {
    return FieldError("my_role", absl::StrCat(config.my_role, " is not one of the peers"));
  }
  absl::Status cert_ok =
      crypto::CheckCertificateIdentity(config.my_certificate_pem, mine->identity);
  if (!cert_ok.ok()) return WithField("my_certificate_pem", cert_ok);
  KMS_ASSIGN_OR_RETURN(Bytes my_der, crypto::CertificateDer(config.my_certificate_pem));
  KMS_ASSIGN_OR_RETURN(Bytes listed_der, crypto::CertificateDer(mine->certificate_pem));
  if (my_der != listed_der) {
    return FieldError("my_certificate_pem",
                      absl::StrCat("differs from the certificate listed for party ", mine->role));
  }
  absl::Status key_ok = crypto::CheckPrivateKeyMatchesCertificate(config.my_certificate_pem,
                                                                  config.my_private_key_pem);
  if (!key_ok.ok()) return WithField("my_private_key_pem", key_ok);
  if (config.listen_address.empty()) return FieldError("listen_address", "is empty");
  if (config.listen_port < 0 || config.listen_port > 65535) {
    return FieldError("listen_port", absl::StrCat("must be in 0..65535, got ", config.listen_port));
  }
  if (config.max_message_bytes < 1 ||
      config.max_message_bytes > static_cast<size_t>(INT_MAX) - kEnvelopeBytes) {
    return FieldError("max_message_bytes", absl::StrCat("must be in 1..", INT_MAX - kEnvelopeBytes,
                                                        ", got ", config.max_message_bytes));
  }
  const RetryPolicy& r = config.retry;
  if (r.initial_backoff <= Clock::duration::zero()) {
    return FieldError("retry.initial_backoff", "must be positive");
  }
  if (!(r.multiplier >= 1.0 && r.multiplier <= 100.0)) {
    return FieldError("retry.multiplier", "must be in [1, 100]");
  }
  if (r.max_backoff < r.initial_backoff) {
    return FieldError("retry.max_backoff", "must be at least retry.initial_backoff");
  }
  if (r.max_elapsed < Clock::duration::zero()) {
    return FieldError("retry.max_elapsed", "must not be negative");
  }
  if (r.attempt_timeout <= Clock::duration::zero()) {
    return FieldError("retry.attempt_timeout", "must be positive");
  }
  if (config.max_queued_messages_per_peer < 1) {
    return FieldError("max_queued_messages_per_peer", "must be at least 1");
  }
  if (config.senders_per_peer < 1 || config.senders_per_peer > 64) {
    return FieldError("senders_per_peer",
                      absl::StrCat("must be in 1..64, got ", config.senders_per_peer));
  }
  if (config.mailbox.max_buffered_per_sender < 1) {
    return FieldError("mailbox.max_buffered_per_sender", "must be at least 1");
  }
  if (config.mailbox.max_unopened_sessions < 1) {
    return FieldError("mailbox.max_unopened_sessions", "must be at least 1");
  }
  if (config.mailbox.max_buffered_bytes < 1) {
    return FieldError("mailbox.max_buffered_bytes", "must be at least 1");
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Impl: the PeerService server, the per-peer senders and the mailbox.

class GrpcNetwork::Impl final : public pb::PeerService::Service {
 public:
  explicit Impl(GrpcNetworkConfig config)
      : config_(std::move(config)),
        n_(static_cast<int>(config_.peers.size())),
        mailbox_(n_, config_.mailbox) {}

  ~Impl() override {
    Shutdown();
    server_.reset();  // before the service (this object) goes away
  }

  absl::Status Start();
  void Shutdown();

  Role my_role() const { return config_.my_role; }
  int num_parties() const { return n_; }
  Mailbox& mailbox() { return mailbox_; }
  int listening_port() const { return listening_port_; }
  void Enqueue(Role to, const Tag& tag, Payload payload);
  absl::StatusOr<Clock::duration> Ping(Role peer, Clock::time_point deadline, size_t payload_bytes);
  GrpcNetworkStats stats() const;
  size_t pending_messages(Role peer) const;

  // PeerService handlers (run on gRPC's server threads).
  grpc::Status Send(grpc::ServerContext* context, const pb::PeerMessage* request,
                    pb::SendAck* response) override;
  grpc::Status SendBatch(grpc::ServerContext* context, const pb::PeerBatch* request,
                         pb::BatchAck* response) override;
  grpc::Status HealthCheck(grpc::ServerContext* context, const pb::Ping* request,
                           pb::Pong* response) override;

 private:
  struct Outgoing {
    Tag tag;
    Payload payload;
    Clock::time_point queued_at;
    // Backoff before the next attempt after a refusal for a quota (grows like retry.*).
    Clock::duration quota_backoff = Clock::duration::zero();
  };
  // What SendWithRetries did with a message.
  enum class SendOutcome { kDone, kRetryLater };
  // One peer's channel, send queue and sender threads (for my own role: the channel only, used
  // by HealthCheck).
  struct PeerLink {
    Role role = 0;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<pb::PeerService::Stub> stub;
    mutable std::mutex mu;
    std::condition_variable queue_cv;  // a message was queued, or stopping
    std::condition_variable stop_cv;   // stopping (wakes threads sleeping in a backoff)
    std::deque<Outgoing> queue ABSL_GUARDED_BY(mu);
    // Messages the peer refused for a quota, by the time of their next attempt. They wait here,
    // not in a sender thread, so messages for other sessions (which the peer may need first to
    // get to the refused one) are not held up behind them.
    std::multimap<Clock::time_point, Outgoing> deferred ABSL_GUARDED_BY(mu);
    // Bytes of the messages in `queue` and `deferred`.
    size_t queued_bytes ABSL_GUARDED_BY(mu) = 0;
    size_t in_flight ABSL_GUARDED_BY(mu) = 0;
    bool stopping ABSL_GUARDED_BY(mu) = false;
    std::set<grpc::ClientContext*> active ABSL_GUARDED_BY(mu);  // cancelled on shutdown
    std::vector<std::thread> workers;
  };
  struct Counters {
    std::atomic<uint64_t> rx_bytes{0}, tx_bytes{0}, rx_messages{0}, tx_messages{0}, tx_batches{0};
    std::atomic<uint64_t> rejected_unknown_peer{0}, rejected_sender_mismatch{0},
        rejected_oversized{0}, rejected_malformed{0}, rejected_quota{0};
    std::atomic<uint64_t> send_retries{0}, send_quota_retries{0}, send_gave_up{0}, send_failed{0},
        send_dropped_queue_full{0}, send_dropped_invalid{0};
  };

  absl::Status StartServer();
  absl::Status CreateLinks();
  void RunSender(PeerLink& link);
  // Sends `message` (to the own mailbox for my own role), retrying UNAVAILABLE and
  // DEADLINE_EXCEEDED in place; kRetryLater when the peer refused it for a quota and it is to
  // be tried again at Clock::now() + message.quota_backoff.
  SendOutcome SendWithRetries(PeerLink& link, Outgoing& message);
  // Sends `batch` (two or more messages to one peer) in SendBatch frames, retrying the frame on
  // UNAVAILABLE and DEADLINE_EXCEEDED; messages past max_elapsed are given up one by one.
  // Returns the messages the peer refused for a quota, to be deferred (quota_backoff set).
  std::vector<Outgoing> SendBatchWithRetries(PeerLink& link, std::vector<Outgoing> batch);
  // After a quota refusal of `message`: the next backoff step, and true if it is to be retried
  // (false: given up, past max_elapsed). Counts the retry or the give-up.
  bool PrepareQuotaRetry(Outgoing& message);
  // Checks the message `m` of authenticated `peer` and hands it to the mailbox: the status Send
  // answers. *quota is set to the mailbox's refusal when it is a retryable quota.
  grpc::Status DeliverFromPeer(Role peer, const pb::PeerMessage& m, DeliverResult* quota);
  // Puts `message` into link.deferred for its next attempt and wakes a sender thread.
  void Defer(PeerLink& link, Outgoing message);
  // The error message of a RESOURCE_EXHAUSTED answer for mailbox refusal `result` of `peer`.
  std::string QuotaMessage(DeliverResult result, Role peer) const;
  // The role whose configured certificate the caller presented; PermissionDenied otherwise.
  absl::StatusOr<Role> AuthenticatedRole(const grpc::ServerContext& context);

  GrpcNetworkConfig config_;
  const int n_;
  Mailbox mailbox_;
  std::map<std::string, Role> role_by_identity_;
  std::vector<Bytes> der_by_role_;                // index: role
  std::vector<std::unique_ptr<PeerLink>> links_;  // index: role - 1
  std::unique_ptr<grpc::Server> server_;
  int listening_port_ = 0;
  std::atomic<bool> shut_down_{false};
  Counters counters_;
  std::mutex verified_mu_;
  std::map<std::string, Role> verified_pems_ ABSL_GUARDED_BY(verified_mu_);
};

absl::Status GrpcNetwork::Impl::Start() {
  der_by_role_.resize(n_ + 1);
  for (const PeerInfo& p : config_.peers) {
    role_by_identity_[p.identity] = p.role;
    KMS_ASSIGN_OR_RETURN(der_by_role_[p.role], crypto::CertificateDer(p.certificate_pem));
  }
  KMS_RETURN_IF_ERROR(StartServer());
  KMS_RETURN_IF_ERROR(CreateLinks());
  // The key is in gRPC's credentials now; drop (and zero) our copy.
  config_.my_private_key_pem = crypto::SecretBytes();
  for (auto& link : links_) {
    // My own link's one thread only retries self-deliveries my mailbox refused for a quota.
    const int workers = link->role == my_role() ? 1 : config_.senders_per_peer;
    for (int i = 0; i < workers; ++i) {
      PeerLink* l = link.get();
      link->workers.emplace_back([this, l] { RunSender(*l); });
    }
  }
  return absl::OkStatus();
}

absl::Status GrpcNetwork::Impl::StartServer() {
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  // Trust anchors: exactly the configured parties' self-signed certificates.
  for (const PeerInfo& p : config_.peers) {
    ssl.pem_root_certs += p.certificate_pem;
    if (!p.certificate_pem.empty() && p.certificate_pem.back() != '\n') ssl.pem_root_certs += '\n';
  }
  ssl.pem_key_cert_pairs.push_back(
      {KeyPemString(config_.my_private_key_pem), config_.my_certificate_pem});
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::SslServerCredentials(ssl);
  WipeString(ssl.pem_key_cert_pairs[0].private_key);

  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(HostPort(config_.listen_address, config_.listen_port), credentials,
                           &selected_port);
  builder.RegisterService(this);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_message_bytes + kEnvelopeBytes));
  // Without this gRPC binds with SO_REUSEPORT, and a second server on a taken port would
  // silently share it instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  server_ = builder.BuildAndStart();
  if (!server_ || selected_port == 0) {
    server_.reset();
    return DiagnoseListenFailure(config_.listen_address, config_.listen_port);
  }
  listening_port_ = selected_port;
  return absl::OkStatus();
}

absl::Status GrpcNetwork::Impl::CreateLinks() {
  std::string key = KeyPemString(config_.my_private_key_pem);
  links_.resize(n_);
  for (const PeerInfo& p : config_.peers) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = p.certificate_pem;  // this peer, and nobody else, may answer
    ssl.pem_private_key = key;
    ssl.pem_cert_chain = config_.my_certificate_pem;
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(ssl);
    WipeString(ssl.pem_private_key);

    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride(p.identity);
    args.SetMaxSendMessageSize(static_cast<int>(config_.max_message_bytes + kEnvelopeBytes));
    // Each channel gets its own connection (channels with other credentials to the same
    // address, e.g. in a test process, must not share one).
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    // Reconnect on the same schedule as our retries, so a peer that comes back is used within
    // one backoff step instead of gRPC's default of up to two minutes.
    const auto ms = [](Clock::duration d) {
      return static_cast<int>(std::min<int64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(d).count(), INT_MAX));
    };
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, ms(config_.retry.initial_backoff));
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, ms(config_.retry.initial_backoff));
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, ms(config_.retry.max_backoff));

    auto link = std::make_unique<PeerLink>();
    link->role = p.role;
    link->channel = grpc::CreateCustomChannel(HostPort(p.host, p.port), credentials, args);
    link->stub = pb::PeerService::NewStub(link->channel);
    links_[p.role - 1] = std::move(link);
  }
  WipeString(key);
  return absl::OkStatus();
}

void GrpcNetwork::Impl::Shutdown() {
  if (shut_down_.exchange(true)) return;
  mailbox_.Shutdown();
  for (auto& link : links_) {
    if (!link) continue;
    {
      std::lock_guard<std::mutex> lock(link->mu);
      link->stopping = true;
      link->queue.clear();
      link->deferred.clear();
      link->queued_bytes = 0;
      for (grpc::ClientContext* context : link->active) context->TryCancel();
    }
    link->queue_cv.notify_all();
    link->stop_cv.notify_all();
  }
  for (auto& link : links_) {
    if (!link) continue;
    for (std::thread& t : link->workers) t.join();
    link->workers.clear();
  }
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

void GrpcNetwork::Impl::Enqueue(Role to, const Tag& tag, Payload payload) {
  if (!payload) payload = MakePayload(std::string());
  if (to < 1 || to > n_ || tag.sender != my_role() || payload->size() > config_.max_message_bytes ||
      shut_down_.load()) {
    counters_.send_dropped_invalid.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  PeerLink& link = *links_[to - 1];
  if (to == my_role()) {
    // Delivered at once; only a quota refusal of my own mailbox goes to my link to be retried.
    if (!DeliverResultIsRetryable(mailbox_.Deliver(tag, payload))) return;
    counters_.send_retries.fetch_add(1, std::memory_order_relaxed);
    counters_.send_quota_retries.fetch_add(1, std::memory_order_relaxed);
    Defer(link, Outgoing{tag, std::move(payload), Clock::now(), config_.retry.initial_backoff});
    return;
  }
  const size_t size = payload->size();
  {
    std::lock_guard<std::mutex> lock(link.mu);
    if (link.stopping) return;
    const size_t queued = link.queue.size() + link.deferred.size();
    if (queued > 0 && (queued >= config_.max_queued_messages_per_peer ||
                       link.queued_bytes + size > config_.max_queued_bytes_per_peer)) {
      counters_.send_dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    link.queue.push_back(Outgoing{tag, std::move(payload), Clock::now()});
    link.queued_bytes += size;
  }
  link.queue_cv.notify_one();
}

void GrpcNetwork::Impl::Defer(PeerLink& link, Outgoing message) {
  const Clock::time_point at = Clock::now() + message.quota_backoff;
  {
    std::lock_guard<std::mutex> lock(link.mu);
    if (link.stopping) return;
    link.queued_bytes += message.payload->size();
    link.deferred.emplace(at, std::move(message));
  }
  // A thread waiting for a later deferred message (or for the queue) must see the earlier one.
  link.queue_cv.notify_one();
}

void GrpcNetwork::Impl::RunSender(PeerLink& link) {
  const size_t batch_bytes = std::min(kMaxBatchBytes, config_.max_message_bytes);
  std::vector<Outgoing> batch;
  while (true) {
    batch.clear();
    {
      std::unique_lock<std::mutex> lock(link.mu);
      while (true) {
        if (link.stopping) return;
        // Due deferred messages first: they are older than anything in the queue.
        if (!link.deferred.empty() && link.deferred.begin()->first <= Clock::now()) {
          batch.push_back(std::move(link.deferred.begin()->second));
          link.deferred.erase(link.deferred.begin());
          break;
        }
        if (!link.queue.empty()) {
          // Everything that queued up for this peer while the other sender threads were busy
          // goes in one frame (several sessions' messages), within the batch bounds.
          size_t bytes = 0;
          while (!link.queue.empty() && batch.size() < kMaxBatchMessages) {
            const size_t size = link.queue.front().payload->size() + kBatchFramingBytes;
            if (!batch.empty() && bytes + size > batch_bytes) break;
            bytes += size;
            batch.push_back(std::move(link.queue.front()));
            link.queue.pop_front();
            if (bytes > batch_bytes) break;  // an oversized message travels alone
          }
          break;
        }
        if (link.deferred.empty()) {
          link.queue_cv.wait(lock);
        } else {
          link.queue_cv.wait_until(lock, link.deferred.begin()->first);
        }
      }
      for (const Outgoing& m : batch) link.queued_bytes -= m.payload->size();
      link.in_flight += batch.size();
    }
    const size_t taken = batch.size();
    if (taken == 1) {
      const SendOutcome outcome = SendWithRetries(link, batch.front());
      if (outcome == SendOutcome::kRetryLater) Defer(link, std::move(batch.front()));
    } else {
      for (Outgoing& m : SendBatchWithRetries(link, std::move(batch))) Defer(link, std::move(m));
    }
    std::lock_guard<std::mutex> lock(link.mu);
    link.in_flight -= taken;
  }
}

bool GrpcNetwork::Impl::PrepareQuotaRetry(Outgoing& message) {
  const RetryPolicy& retry = config_.retry;
  message.quota_backoff = message.quota_backoff == Clock::duration::zero()
                              ? retry.initial_backoff
                              : std::min(std::chrono::duration_cast<Clock::duration>(
                                             message.quota_backoff * retry.multiplier),
                                         retry.max_backoff);
  if (Clock::now() + message.quota_backoff >= message.queued_at + retry.max_elapsed) {
    counters_.send_gave_up.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  counters_.send_retries.fetch_add(1, std::memory_order_relaxed);
  counters_.send_quota_retries.fetch_add(1, std::memory_order_relaxed);
  return true;
}

std::vector<GrpcNetwork::Impl::Outgoing> GrpcNetwork::Impl::SendBatchWithRetries(
    PeerLink& link, std::vector<Outgoing> batch) {
  const RetryPolicy& retry = config_.retry;
  std::vector<Outgoing> deferred;
  Clock::duration backoff = retry.initial_backoff;
  while (true) {
    const Clock::time_point now = Clock::now();
    // Each message keeps its own max_elapsed.
    std::erase_if(batch, [&](const Outgoing& m) {
      if (now < m.queued_at + retry.max_elapsed) return false;
      counters_.send_gave_up.fetch_add(1, std::memory_order_relaxed);
      return true;
    });
    if (batch.empty()) return deferred;
    Clock::time_point give_up_at = Clock::time_point::max();
    pb::PeerBatch request;
    for (const Outgoing& m : batch) {
      give_up_at = std::min(give_up_at, m.queued_at + retry.max_elapsed);
      pb::PeerMessage* out = request.add_messages();
      out->set_session_id(EncodeSessionId(m.tag.session_id));
      out->set_sender(static_cast<uint32_t>(m.tag.sender));
      out->set_round(m.tag.round);
      out->set_payload(*m.payload);
    }
    grpc::ClientContext context;
    context.set_deadline(ToSystemDeadline(std::min(now + retry.attempt_timeout, give_up_at)));
    {
      std::lock_guard<std::mutex> lock(link.mu);
      if (link.stopping) return deferred;
      link.active.insert(&context);
    }
    pb::BatchAck ack;
    grpc::Status status = link.stub->SendBatch(&context, request, &ack);
    {
      std::lock_guard<std::mutex> lock(link.mu);
      link.active.erase(&context);
    }
    if (status.ok()) {
      counters_.tx_batches.fetch_add(1, std::memory_order_relaxed);
      std::vector<char> retryable(batch.size(), 0), failed(batch.size(), 0);
      for (uint32_t i : ack.retryable())
        if (i < batch.size()) retryable[i] = 1;
      for (uint32_t i : ack.failed())
        if (i < batch.size() && !retryable[i]) failed[i] = 1;
      for (size_t i = 0; i < batch.size(); ++i) {
        if (failed[i]) {
          counters_.send_failed.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        // Accepted, dropped for good or refused for a quota: the peer read it and counted it.
        counters_.tx_bytes.fetch_add(request.messages(static_cast<int>(i)).ByteSizeLong(),
                                     std::memory_order_relaxed);
        counters_.tx_messages.fetch_add(1, std::memory_order_relaxed);
        if (retryable[i] && PrepareQuotaRetry(batch[i])) deferred.push_back(std::move(batch[i]));
      }
      return deferred;
    }
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      // A peer without SendBatch (an older build during an upgrade): one Send per message.
      for (Outgoing& m : batch)
        if (SendWithRetries(link, m) == SendOutcome::kRetryLater) deferred.push_back(std::move(m));
      return deferred;
    }
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
        status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      counters_.send_failed.fetch_add(batch.size(), std::memory_order_relaxed);
      return deferred;
    }
    counters_.send_retries.fetch_add(batch.size(), std::memory_order_relaxed);
    std::unique_lock<std::mutex> lock(link.mu);
    link.stop_cv.wait_until(lock, std::min(Clock::now() + backoff, give_up_at),
                            [&] { return link.stopping; });
    if (link.stopping) return deferred;
    backoff = std::min(std::chrono::duration_cast<Clock::duration>(backoff * retry.multiplier),
                       retry.max_backoff);
  }
}

GrpcNetwork::Impl::SendOutcome GrpcNetwork::Impl::SendWithRetries(PeerLink& link,
                                                                  Outgoing& message) {
  const RetryPolicy& retry = config_.retry;
  const Clock::time_point give_up_at = message.queued_at + retry.max_elapsed;
  // A refusal for a quota: try again after the next backoff step, unless that is past
  // max_elapsed. The message may be stale by then; the peer then drops it and answers OK.
  const auto retry_later = [&]() {
    return PrepareQuotaRetry(message) ? SendOutcome::kRetryLater : SendOutcome::kDone;
  };
  if (link.role == my_role()) {
    if (DeliverResultIsRetryable(mailbox_.Deliver(message.tag, message.payload))) {
      return retry_later();
    }
    return SendOutcome::kDone;
  }
  pb::PeerMessage request;
  request.set_session_id(EncodeSessionId(message.tag.session_id));
  request.set_sender(static_cast<uint32_t>(message.tag.sender));
  request.set_round(message.tag.round);
  request.set_payload(*message.payload);
  Clock::duration backoff = retry.initial_backoff;
  while (true) {
    const Clock::time_point now = Clock::now();
    if (now >= give_up_at) {
      counters_.send_gave_up.fetch_add(1, std::memory_order_relaxed);
      return SendOutcome::kDone;
    }
    grpc::ClientContext context;
    context.set_deadline(ToSystemDeadline(std::min(now + retry.attempt_timeout, give_up_at)));
    {
      std::lock_guard<std::mutex> lock(link.mu);
      if (link.stopping) return SendOutcome::kDone;
      link.active.insert(&context);
    }
    pb::SendAck ack;
    grpc::Status status = link.stub->Send(&context, request, &ack);
    {
      std::lock_guard<std::mutex> lock(link.mu);
      link.active.erase(&context);
    }
    if (status.ok()) {
      counters_.tx_bytes.fetch_add(request.ByteSizeLong(), std::memory_order_relaxed);
      counters_.tx_messages.fetch_add(1, std::memory_order_relaxed);
      return SendOutcome::kDone;
    }
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
        context.GetServerTrailingMetadata().count(kRetryableTrailer) != 0) {
      // The peer read the message and counted it in its rx_*: count it here too.
      counters_.tx_bytes.fetch_add(request.ByteSizeLong(), std::memory_order_relaxed);
      counters_.tx_messages.fetch_add(1, std::memory_order_relaxed);
      return retry_later();
    }
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
        status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      // Refused (PERMISSION_DENIED, INVALID_ARGUMENT, RESOURCE_EXHAUSTED for a message too
      // large, ...): a retry would be refused again.
      counters_.send_failed.fetch_add(1, std::memory_order_relaxed);
      return SendOutcome::kDone;
    }
    counters_.send_retries.fetch_add(1, std::memory_order_relaxed);
    std::unique_lock<std::mutex> lock(link.mu);
    link.stop_cv.wait_until(lock, std::min(Clock::now() + backoff, give_up_at),
                            [&] { return link.stopping; });
    if (link.stopping) return SendOutcome::kDone;
    backoff = std::min(std::chrono::duration_cast<Clock::duration>(backoff * retry.multiplier),
                       retry.max_backoff);
  }
}

absl::StatusOr<Role> GrpcNetwork::Impl::AuthenticatedRole(const grpc::ServerContext& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) {
    return absl::PermissionDeniedError("the peer presented no verified certificate");
  }
  // Identity -> role through the configuration: the CN first, then the SAN entries.
  Role role = 0;
  std::string identity;
  for (const char* property : {GRPC_X509_CN_PROPERTY_NAME, GRPC_X509_SAN_PROPERTY_NAME}) {
    for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
      auto it = role_by_identity_.find(ToString(value));
      if (it != role_by_identity_.end()) {
        role = it->second;
        identity = it->first;
        break;
      }
    }
    if (role != 0) break;
  }
  if (role == 0) {
    return absl::PermissionDeniedError("the peer certificate names no configured party");
  }
  // The certificate must be exactly that party's configured one.
  std::vector<grpc::string_ref> pems = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.size() != 1) {
    return absl::PermissionDeniedError("the peer certificate is not available for checking");
  }
  std::string pem = ToString(pems[0]);
  {
    std::lock_guard<std::mutex> lock(verified_mu_);
    auto it = verified_pems_.find(pem);
    if (it != verified_pems_.end() && it->second == role) return role;
  }
  absl::StatusOr<Bytes> der = crypto::CertificateDer(pem);
  if (!der.ok() || *der != der_by_role_[role]) {
    return absl::PermissionDeniedError(
        absl::StrCat("the peer certificate with identity \"", identity,
                     "\" is not the configured certificate of party ", role));
  }
  std::lock_guard<std::mutex> lock(verified_mu_);
  if (verified_pems_.size() < kMaxVerifiedCertificates) verified_pems_.emplace(pem, role);
  return role;
}

std::string GrpcNetwork::Impl::QuotaMessage(DeliverResult result, Role peer) const {
  const MailboxOptions& o = mailbox_.options();
  size_t limit = 0;
  switch (result) {
    case DeliverResult::kSenderBufferFull:
      limit = static_cast<size_t>(o.max_buffered_per_sender);
      break;
    case DeliverResult::kTooManySessions:
      limit = o.max_unopened_sessions;
      break;
    case DeliverResult::kSenderSessionQuota:
      limit = mailbox_.sender_session_quota();
      break;
    case DeliverResult::kSenderByteQuota:
    case DeliverResult::kTooLarge:
      limit = mailbox_.sender_byte_quota();
      break;
    case DeliverResult::kByteBudget:
      limit = o.max_buffered_bytes;
      break;
    default:
      break;
  }
  if (result == DeliverResult::kTooLarge) {
    return absl::StrCat("payload is larger than the mailbox quota of party ", peer,
                        ": mailbox.max_buffered_bytes_per_sender ", limit);
  }
  return absl::StrCat("mailbox quota reached for party ", peer, ": mailbox.",
                      DeliverResultLimitName(result), " ", limit, " (", DeliverResultName(result),
                      "); retry later");
}

grpc::Status GrpcNetwork::Impl::Send(grpc::ServerContext* context, const pb::PeerMessage* request,
                                     pb::SendAck* /*response*/) {
  absl::StatusOr<Role> peer = AuthenticatedRole(*context);
  if (!peer.ok()) {
    counters_.rejected_unknown_peer.fetch_add(1, std::memory_order_relaxed);
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, std::string(peer.status().message()));
  }
  DeliverResult quota = DeliverResult::kAccepted;
  grpc::Status status = DeliverFromPeer(*peer, *request, &quota);
  if (DeliverResultIsRetryable(quota)) {
    context->AddTrailingMetadata(kRetryableTrailer, DeliverResultName(quota));
  }
  return status;
}

grpc::Status GrpcNetwork::Impl::SendBatch(grpc::ServerContext* context,
                                          const pb::PeerBatch* request, pb::BatchAck* response) {
  absl::StatusOr<Role> peer = AuthenticatedRole(*context);
  if (!peer.ok()) {
    counters_.rejected_unknown_peer.fetch_add(1, std::memory_order_relaxed);
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, std::string(peer.status().message()));
  }
  for (int i = 0; i < request->messages_size(); ++i) {
    DeliverResult quota = DeliverResult::kAccepted;
    if (DeliverFromPeer(*peer, request->messages(i), &quota).ok()) continue;
    if (DeliverResultIsRetryable(quota)) {
      response->add_retryable(static_cast<uint32_t>(i));
    } else {
      response->add_failed(static_cast<uint32_t>(i));
    }
  }
  return grpc::Status::OK;
}

grpc::Status GrpcNetwork::Impl::DeliverFromPeer(Role peer, const pb::PeerMessage& message,
                                                DeliverResult* quota) {
  if (message.sender() != static_cast<uint32_t>(peer)) {
    counters_.rejected_sender_mismatch.fetch_add(1, std::memory_order_relaxed);
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("tag names sender ", message.sender(),
                                     " but the peer's certificate is party ", peer));
  }
  if (message.session_id().size() != kSessionIdBytes) {
    counters_.rejected_malformed.fetch_add(1, std::memory_order_relaxed);
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("session_id must be ", kSessionIdBytes, " bytes, got ",
                                     message.session_id().size()));
  }
  if (message.payload().size() > config_.max_message_bytes) {
    counters_.rejected_oversized.fetch_add(1, std::memory_order_relaxed);
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("payload is ", message.payload().size(),
                     " bytes, more than max_message_bytes ", config_.max_message_bytes));
  }
  // Counted before the mailbox sees it (a receiver woken by the delivery may read the counters
  // at once), quota refusals included: their bytes did cross the network, and the sender counts
  // them in tx_* alike.
  counters_.rx_bytes.fetch_add(message.ByteSizeLong(), std::memory_order_relaxed);
  counters_.rx_messages.fetch_add(1, std::memory_order_relaxed);
  Tag tag{DecodeSessionId(message.session_id()), peer, message.round()};
  const DeliverResult result = mailbox_.Deliver(tag, MakePayload(message.payload()));
  if (DeliverResultIsRetryable(result)) {
    // The sender is over one of its quotas here (or, with overcommitted options, all senders
    // together are): it retries with backoff, and succeeds once this party opens or consumes
    // its sessions.
    counters_.rejected_quota.fetch_add(1, std::memory_order_relaxed);
    *quota = result;
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, QuotaMessage(result, peer));
  }
  if (result == DeliverResult::kTooLarge) {
    counters_.rejected_oversized.fetch_add(1, std::memory_order_relaxed);
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, QuotaMessage(result, peer));
  }
  // Accepted, or dropped for good (stale round, closed session, duplicate, shutdown): answered
  // OK, as the sender can do nothing better with it.
  return grpc::Status::OK;
}

grpc::Status GrpcNetwork::Impl::HealthCheck(grpc::ServerContext* context, const pb::Ping* request,
                                            pb::Pong* response) {
  absl::StatusOr<Role> peer = AuthenticatedRole(*context);
  if (!peer.ok()) {
    counters_.rejected_unknown_peer.fetch_add(1, std::memory_order_relaxed);
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, std::string(peer.status().message()));
  }
  counters_.rx_bytes.fetch_add(request->ByteSizeLong(), std::memory_order_relaxed);
  response->set_responder(static_cast<uint32_t>(my_role()));
  response->set_received_bytes(request->payload().size());
  return grpc::Status::OK;
}

absl::StatusOr<Clock::duration> GrpcNetwork::Impl::Ping(Role peer, Clock::time_point deadline,
                                                        size_t payload_bytes) {
  if (peer < 1 || peer > n_) {
    return absl::InvalidArgumentError(absl::StrCat("peer must be in 1..", n_, ", got ", peer));
  }
  if (payload_bytes > config_.max_message_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "payload_bytes ", payload_bytes, " exceeds max_message_bytes ", config_.max_message_bytes));
  }
  if (shut_down_.load()) return absl::UnavailableError("the peer network is shut down");
  pb::Ping request;
  request.mutable_payload()->assign(payload_bytes, '\0');
  pb::Pong pong;
  grpc::ClientContext context;
  context.set_deadline(ToSystemDeadline(deadline));
  const Clock::time_point start = Clock::now();
  grpc::Status status = links_[peer - 1]->stub->HealthCheck(&context, request, &pong);
  const Clock::duration elapsed = Clock::now() - start;
  if (!status.ok()) return FromGrpc(status, absl::StrCat("HealthCheck of party ", peer));
  counters_.tx_bytes.fetch_add(request.ByteSizeLong(), std::memory_order_relaxed);
  if (pong.responder() != static_cast<uint32_t>(peer)) {
    return absl::InternalError(
        absl::StrCat("HealthCheck of party ", peer, " answered by party ", pong.responder()));
  }
  if (pong.received_bytes() != payload_bytes) {
    return absl::InternalError(absl::StrCat("HealthCheck of party ", peer, " received ",
                                            pong.received_bytes(), " of ", payload_bytes,
                                            " bytes"));
  }
  return elapsed;
}

GrpcNetworkStats GrpcNetwork::Impl::stats() const {
  const auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  GrpcNetworkStats s;
  s.rx_bytes = get(counters_.rx_bytes);
  s.tx_bytes = get(counters_.tx_bytes);
  s.rx_messages = get(counters_.rx_messages);
  s.tx_messages = get(counters_.tx_messages);
  s.tx_batches = get(counters_.tx_batches);
  s.rejected_unknown_peer = get(counters_.rejected_unknown_peer);
  s.rejected_sender_mismatch = get(counters_.rejected_sender_mismatch);
  s.rejected_oversized = get(counters_.rejected_oversized);
  s.rejected_malformed = get(counters_.rejected_malformed);
  s.rejected_quota = get(counters_.rejected_quota);
  s.send_retries = get(counters_.send_retries);
  s.send_quota_retries = get(counters_.send_quota_retries);
  s.send_gave_up = get(counters_.send_gave_up);
  s.send_failed = get(counters_.send_failed);
  s.send_dropped_queue_full = get(counters_.send_dropped_queue_full);
  s.send_dropped_invalid = get(counters_.send_dropped_invalid);
  return s;
}

size_t GrpcNetwork::Impl::pending_messages(Role peer) const {
  if (peer < 1 || peer > n_) return 0;
  const PeerLink& link = *links_[peer - 1];
  std::lock_guard<std::mutex> lock(link.mu);
  return link.queue.size() + link.deferred.size() + link.in_flight;
}

// ---------------------------------------------------------------------------------------------
// GrpcNetwork: the Network face of Impl.

absl::StatusOr<std::unique_ptr<GrpcNetwork>> GrpcNetwork::Start(GrpcNetworkConfig config) {
  KMS_RETURN_IF_ERROR(ValidateGrpcNetworkConfig(config));
  auto impl = std::make_unique<Impl>(std::move(config));
  KMS_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<GrpcNetwork>(new GrpcNetwork(std::move(impl)));
}

GrpcNetwork::GrpcNetwork(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcNetwork::~GrpcNetwork() = default;

void GrpcNetwork::Shutdown() { impl_->Shutdown(); }

Role GrpcNetwork::my_role() const { return impl_->my_role(); }

int GrpcNetwork::num_parties() const { return impl_->num_parties(); }

void GrpcNetwork::Send(Role to, const Tag& tag, Payload payload) {
  impl_->Enqueue(to, tag, std::move(payload));
}

std::optional<Payload> GrpcNetwork::Receive(SessionId sid, Role from, uint64_t round,
                                            Clock::time_point deadline) {
  return impl_->mailbox().Receive(sid, from, round, deadline);
}

std::optional<std::pair<Role, Payload>> GrpcNetwork::ReceiveAny(SessionId sid, uint64_t round,
                                                                const std::set<Role>& from,
                                                                Clock::time_point deadline) {
  return impl_->mailbox().ReceiveAny(sid, round, from, deadline);
}

std::vector<std::pair<Role, Payload>> GrpcNetwork::ReceiveMany(SessionId sid, uint64_t round,
                                                               const std::set<Role>& from,
                                                               size_t min_count,
                                                               Clock::time_point deadline) {
  return impl_->mailbox().ReceiveMany(sid, round, from, min_count, deadline);
}

void GrpcNetwork::CloseSession(SessionId sid) { impl_->mailbox().CloseSession(sid); }

std::optional<Clock::time_point> GrpcNetwork::LastHeard(SessionId sid, Role from) {
  return impl_->mailbox().LastHeard(sid, from);
}

absl::StatusOr<Clock::duration> GrpcNetwork::HealthCheck(Role peer, Clock::time_point deadline,
                                                         size_t payload_bytes) {
  return impl_->Ping(peer, deadline, payload_bytes);
}

int GrpcNetwork::listening_port() const { return impl_->listening_port(); }

uint64_t GrpcNetwork::rx_bytes() const { return impl_->stats().rx_bytes; }

uint64_t GrpcNetwork::tx_bytes() const { return impl_->stats().tx_bytes; }

size_t GrpcNetwork::active_sessions() const { return impl_->mailbox().active_sessions(); }

GrpcNetworkStats GrpcNetwork::stats() const { return impl_->stats(); }

size_t GrpcNetwork::pending_messages(Role peer) const { return impl_->pending_messages(peer); }

Mailbox& GrpcNetwork::mailbox() { return impl_->mailbox(); }

}  // namespace kms::net
