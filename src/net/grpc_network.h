// File: net/grpc_network.h
//
// The peer transport between kms-server processes (service-spec §3, crypto-spec A.4 and B §3):
// gRPC service kms.peer.v1.PeerService (proto/peer_service.proto) over mutual TLS, with the
// Network contract of network.h on top.
//
// Authentication. Every party has a self-signed certificate whose CN (and SAN) is its identity
// (crypto/tls_certificate.h). The server requires and verifies a client certificate against
// exactly the configured parties' certificates (no CA); the client trusts, for each peer, only
// that peer's certificate and checks its name (target name override = the peer's identity).
// The server then maps the presented certificate to a role: the CN / SAN identity must name a
// configured party AND the certificate must be byte-for-byte (DER) that party's configured one,
// so even a certificate that chains to a trusted one cannot stand in for it. A message whose tag
// names another sender than that role is refused with PERMISSION_DENIED and never delivered.
// TLS version: gRPC 1.51's SSL credentials negotiate TLS 1.2 to 1.3 (no API to raise the
// minimum); with OpenSSL 3 on both ends the connection is TLS 1.3.
//
// Receiving. Accepted messages go into a Mailbox (mailbox.h), which enforces the round rules,
// the per-sender quotas and session expiry; Receive / ReceiveAny / CloseSession are the
// mailbox's. Oversized (> max_message_bytes) and malformed messages (session id not 16 bytes)
// are refused (RESOURCE_EXHAUSTED, INVALID_ARGUMENT). A message the mailbox refuses for a quota
// (unopened sessions, buffered bytes, messages per session; DeliverResultIsRetryable) is
// answered RESOURCE_EXHAUSTED with a message naming the quota, e.g. "mailbox quota reached for
// party 2: mailbox.max_unopened_sessions_per_sender 315 (sender_session_quota); retry later",
// and the trailing metadata "kms-retryable-quota" that tells the sender to retry. One the
// mailbox drops for good (stale round, closed session, duplicate) is answered OK: the sender
// can do nothing better with it. A payload larger than the sender's whole byte quota is
// refused with RESOURCE_EXHAUSTED without the trailer (final), so the largest message a party
// can receive is min(max_message_bytes, the mailbox's per-sender byte quota).
//
// Sending. Send never blocks: the message joins a bounded per-peer queue drained by a few
// sender threads per peer (one gRPC channel per peer). A sender thread takes everything that
// queued up for its peer (of any sessions, up to 256 messages and min(4 MiB, max_message_bytes))
// and sends it in one SendBatch frame; a lone message goes in a Send. Under load this turns one
// RPC per message into one per frame (at 13 parties a decryption is 12 messages per party per
// request), while each message of a frame is checked, counted, delivered, refused or retried
// exactly as if it had come alone: the receiver answers per index which ones were refused for a
// quota (retried as below) or for good. A send failing with UNAVAILABLE or
// DEADLINE_EXCEEDED (peer down, restarting, network trouble) is retried with exponential
// backoff (100 ms, x1.5, capped at 5 s) until max_elapsed (60 s) after it was queued; then it
// is given up and counted, and the receiver sees a receive timeout. A send refused with a
// retryable RESOURCE_EXHAUSTED is retried on the same schedule and within the same max_elapsed,
// but waits in a per-peer deferred list, not in a sender thread, so that messages for the
// sessions the peer is working on are not held up behind it. Once the peer has moved past the
// message's round or closed its session, the retry is dropped there and answered OK, which ends
// it. Other errors are not retried. Send to one's own role delivers into the own mailbox
// directly (a quota refusal of the own mailbox is retried the same way).
//
//   KMS_ASSIGN_OR_RETURN(std::unique_ptr<GrpcNetwork> net, GrpcNetwork::Start(std::move(cfg)));
//   net->Send(2, Tag{sid, net->my_role(), 0}, MakePayload(bytes));
//   auto reply = net->Receive(sid, 2, 0, Clock::now() + std::chrono::seconds(20));
//
// Thread safety: all public methods are thread-safe. Shutdown (also run by the destructor)
// stops the server, drops unsent messages and wakes every receiver.
#ifndef KMS_NET_GRPC_NETWORK_H_
#define KMS_NET_GRPC_NETWORK_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/secure_zero.h"
#include "net/mailbox.h"
#include "net/network.h"

namespace kms::net {

// One party of the network, as every party's configuration lists it ([[threshold.peers]]).
struct PeerInfo {
  Role role = 0;                // party_id, 1-based
  std::string host;             // address to connect to
  int port = 0;                 // its peer port
  std::string identity;         // mpc_identity: the certificate's CN and SAN
  std::string certificate_pem;  // its self-signed TLS certificate
};

// Retries of a send that failed with UNAVAILABLE or DEADLINE_EXCEEDED, or that the peer refused
// with a retryable RESOURCE_EXHAUSTED (one of its mailbox quotas).
struct RetryPolicy {
  Clock::duration initial_backoff = std::chrono::milliseconds(100);
  double multiplier = 1.5;
  Clock::duration max_backoff = std::chrono::seconds(5);
  // A message still unsent this long after Send queued it is given up.
  Clock::duration max_elapsed = std::chrono::seconds(60);
  // Deadline of one Send RPC attempt (within max_elapsed).
  Clock::duration attempt_timeout = std::chrono::seconds(30);
};

struct GrpcNetworkConfig {
  Role my_role = 0;
  std::vector<PeerInfo> peers;  // every party, mine included; roles exactly 1..n
  std::string listen_address = "0.0.0.0";
  int listen_port = 0;  // 0: any free port (see listening_port())
  std::string my_certificate_pem;
  crypto::SecretBytes my_private_key_pem;
  // Largest payload sent or accepted (the reference allows 2 GiB; gRPC's limit is INT_MAX).
  size_t max_message_bytes = size_t{1} << 30;
  RetryPolicy retry;
  // Per-peer send queue bounds; a message beyond them is dropped (and counted), never waited
  // for. A message is always accepted into an empty queue, whatever its size.
  size_t max_queued_messages_per_peer = 1 << 16;
  size_t max_queued_bytes_per_peer = size_t{1} << 31;
  // Sender threads (concurrent Send RPCs) per peer.
  int senders_per_peer = 4;
  MailboxOptions mailbox;
};

// Checks every field of `config` (roles 1..n and unique, identities valid and unique, ports,
// certificates naming their identities, my certificate equal to my peer entry's, my private key
// matching it, limits). InvalidArgument naming the field otherwise, e.g. "peers[2].port: ...".
[[nodiscard]] absl::Status ValidateGrpcNetworkConfig(const GrpcNetworkConfig& config);

// Counters since Start (all monotonic).
struct GrpcNetworkStats {
  // Send requests count once the receiver's mailbox has seen them, whatever it answers: an
  // attempt refused for a quota and its retry are two messages (their bytes crossed the
  // network twice). So a sender's tx_* and its receivers' rx_* agree.
  uint64_t rx_bytes = 0;     // serialized size of Send requests handed to the mailbox, and pings
  uint64_t tx_bytes = 0;     // serialized size of Send / HealthCheck requests the peer answered
  uint64_t rx_messages = 0;  // Send requests handed to the mailbox (its DeliverResult counters
                             // say which were buffered, dropped or refused)
  uint64_t tx_messages = 0;  // Send requests the peer acknowledged or refused for a quota
                             // (a message of a SendBatch frame counts as one Send request)
  uint64_t tx_batches = 0;   // SendBatch frames the peer answered (each of 2+ messages)
  uint64_t rejected_unknown_peer = 0;     // client certificate not a configured party's
  uint64_t rejected_sender_mismatch = 0;  // tag names another sender than the certificate
  uint64_t rejected_oversized = 0;        // payload above max_message_bytes or the byte quota
  uint64_t rejected_malformed = 0;        // e.g. session id not 16 bytes
  uint64_t rejected_quota = 0;            // answered a retryable RESOURCE_EXHAUSTED (mailbox quota;
                                          // per quota: mailbox().dropped(reason))
  uint64_t send_retries = 0;              // attempts that failed and were retried (all reasons)
  uint64_t send_quota_retries = 0;        // of which refused for a quota by the peer
  uint64_t send_gave_up = 0;  // messages dropped after max_elapsed (peer down or over quota)
  uint64_t send_failed = 0;   // messages refused by the peer for good (not retried)
  uint64_t send_dropped_queue_full = 0;  // messages dropped because the peer's queue was full
  uint64_t send_dropped_invalid = 0;     // Send with a bad receiver, a foreign tag or too big
};

class GrpcNetwork final : public Network {
 public:
  // Validates `config`, starts the server (listening on listen_address:listen_port) and the
  // per-peer senders. Errors: InvalidArgument for a bad config; Unavailable with "Address
  // already in use: port N" if the port is taken, or another reason the server did not start.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GrpcNetwork>> Start(GrpcNetworkConfig config);

  ~GrpcNetwork() override;
  GrpcNetwork(const GrpcNetwork&) = delete;
  GrpcNetwork& operator=(const GrpcNetwork&) = delete;

  // Stops accepting, cancels in-flight sends, drops queued ones, wakes every receiver (they
  // return nullopt). Idempotent.
  void Shutdown();

  Role my_role() const override;
  int num_parties() const override;
  void Send(Role to, const Tag& tag, Payload payload) override;
  std::optional<Payload> Receive(SessionId sid, Role from, uint64_t round,
                                 Clock::time_point deadline) override;
  std::optional<std::pair<Role, Payload>> ReceiveAny(SessionId sid, uint64_t round,
                                                     const std::set<Role>& from,
                                                     Clock::time_point deadline) override;
  std::vector<std::pair<Role, Payload>> ReceiveMany(SessionId sid, uint64_t round,
                                                    const std::set<Role>& from, size_t min_count,
                                                    Clock::time_point deadline) override;
  void CloseSession(SessionId sid) override;
  std::optional<Clock::time_point> LastHeard(SessionId sid, Role from) override;

  // Pings `peer` over its mutual-TLS channel (itself included), with `payload_bytes` bytes of
  // filler, and returns the round-trip time. InvalidArgument for a bad role or size; the gRPC
  // error (Unavailable, DeadlineExceeded, ...) if the peer does not answer by `deadline`;
  // Internal if the answer comes from another role or reports another size.
  [[nodiscard]] absl::StatusOr<Clock::duration> HealthCheck(Role peer, Clock::time_point deadline,
                                                            size_t payload_bytes = 0);

  // The port the server listens on (the chosen one when listen_port was 0).
  int listening_port() const;
  // Totals for metrics (kms_network_rx_bytes_total, kms_network_tx_bytes_total,
  // kms_active_sessions).
  uint64_t rx_bytes() const;
  uint64_t tx_bytes() const;
  size_t active_sessions() const;
  GrpcNetworkStats stats() const;
  // Messages queued for `peer` (waiting, in flight, or waiting to be retried after a quota
  // refusal) and not yet acknowledged or given up (0 for a bad role).
  size_t pending_messages(Role peer) const;
  Mailbox& mailbox();

  class Impl;

 private:
  explicit GrpcNetwork(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kms::net

#endif  // KMS_NET_GRPC_NETWORK_H_
