#include "net/grpc_network.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <thread>
#include <vector>

#include "testing/grpc_test_cluster.h"

namespace kms::net {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::GrpcTestCluster;

constexpr SessionId kSid = (static_cast<SessionId>(0xfeedfacecafebeefULL) << 64) | 0x1234;

Clock::time_point In(Clock::duration d) { return Clock::now() + d; }

std::string SidBytes(SessionId sid) {
  std::string out(16, '\0');
  for (int i = 0; i < 16; ++i) out[i] = static_cast<char>(sid >> (8 * i));
  return out;
}

peer::v1::PeerMessage Message(Role sender, uint64_t round, std::string payload) {
  peer::v1::PeerMessage m;
  m.set_session_id(SidBytes(kSid));
  m.set_sender(static_cast<uint32_t>(sender));
  m.set_round(round);
  m.set_payload(std::move(payload));
  return m;
}

grpc::Status RawSend(peer::v1::PeerService::Stub& stub, const peer::v1::PeerMessage& m) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(5));
  peer::v1::SendAck ack;
  return stub.Send(&context, m, &ack);
}

grpc::Status RawPing(peer::v1::PeerService::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(5));
  peer::v1::Ping ping;
  peer::v1::Pong pong;
  return stub.HealthCheck(&context, ping, &pong);
}

TEST(GrpcNetworkTest, FourPartiesExchangeMessagesBothWays) {
  GrpcTestCluster cluster(4);
  ASSERT_TRUE(cluster.StartAll().ok());
  std::vector<std::thread> threads;
  std::vector<int> received(5, 0);
  for (Role me = 1; me <= 4; ++me) {
    threads.emplace_back([&, me] {
      GrpcNetwork& net = cluster.net(me);
      for (uint64_t r = 0; r < 3; ++r) {
        for (Role to = 1; to <= 4; ++to) {
          if (to != me) {
            net.Send(
                to, Tag{kSid, me, r},
                MakePayload("m" + std::to_string(me) + std::to_string(to) + std::to_string(r)));
          }
        }
        for (Role from = 1; from <= 4; ++from) {
          if (from == me) continue;
          auto got = net.Receive(kSid, from, r, In(seconds(10)));
          if (got.has_value() &&
              **got == "m" + std::to_string(from) + std::to_string(me) + std::to_string(r)) {
            ++received[me];
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (Role r = 1; r <= 4; ++r) {
    EXPECT_EQ(received[r], 9) << "party " << r;
    GrpcNetworkStats s = cluster.net(r).stats();
    EXPECT_EQ(s.rx_messages, 9u);
    EXPECT_GT(s.rx_bytes, 9u * 4);
    EXPECT_EQ(cluster.net(r).rx_bytes(), s.rx_bytes);
    EXPECT_EQ(s.rejected_unknown_peer + s.rejected_sender_mismatch + s.send_failed, 0u);
    EXPECT_EQ(cluster.net(r).active_sessions(), 1u);
    cluster.net(r).CloseSession(kSid);
    EXPECT_EQ(cluster.net(r).active_sessions(), 0u);
  }
  // Acknowledged sends are counted once acknowledged; wait for the senders to record them.
  for (Role r = 1; r <= 4; ++r) {
    for (int i = 0; i < 100 && cluster.net(r).stats().tx_messages < 9; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    EXPECT_EQ(cluster.net(r).stats().tx_messages, 9u);
    EXPECT_GT(cluster.net(r).tx_bytes(), 0u);
  }
}

TEST(GrpcNetworkTest, MessagesQueuedForOnePeerTravelInBatchFrames) {
  GrpcTestCluster cluster(3);
  ASSERT_TRUE(cluster.StartAll().ok());
  constexpr int kMessages = 600;  // more than one frame holds (256)
  for (int i = 0; i < kMessages; ++i) {
    cluster.net(1).Send(2, Tag{kSid + static_cast<SessionId>(i), 1, 0},
                        MakePayload("message " + std::to_string(i)));
  }
  for (int i = 0; i < kMessages; ++i) {
    auto got = cluster.net(2).Receive(kSid + static_cast<SessionId>(i), 1, 0, In(seconds(10)));
    ASSERT_TRUE(got.has_value()) << "message " << i;
    EXPECT_EQ(**got, "message " + std::to_string(i));
  }
  for (int i = 0; i < 300 && cluster.net(1).stats().tx_messages < kMessages; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  const GrpcNetworkStats tx = cluster.net(1).stats();
  const GrpcNetworkStats rx = cluster.net(2).stats();
  EXPECT_EQ(tx.tx_messages, static_cast<uint64_t>(kMessages));
  EXPECT_EQ(rx.rx_messages, static_cast<uint64_t>(kMessages));
  EXPECT_EQ(tx.tx_bytes, rx.rx_bytes);  // counted per message on both ends
  // Sent faster than four sender threads do one RPC each: most messages shared frames.
  EXPECT_GT(tx.tx_batches, 0u);
  EXPECT_LT(tx.tx_batches, static_cast<uint64_t>(kMessages) / 2);
  EXPECT_EQ(tx.send_failed + tx.send_gave_up + tx.send_dropped_queue_full, 0u);
}

TEST(GrpcNetworkTest, BatchFrameChecksEachMessageOnItsOwn) {
  GrpcTestCluster cluster(3);
  ASSERT_TRUE(cluster.StartAll().ok());
  auto stub = cluster.RawStubAs(3, 1);  // party 3's certificate, to party 1
  peer::v1::PeerBatch batch;
  *batch.add_messages() = Message(3, 0, "good");
  *batch.add_messages() = Message(2, 0, "claims party 2");
  peer::v1::PeerMessage bad_sid = Message(3, 1, "short session id");
  bad_sid.set_session_id("short");
  *batch.add_messages() = bad_sid;
  *batch.add_messages() = Message(3, 1, "also good");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(5));
  peer::v1::BatchAck ack;
  ASSERT_TRUE(stub->SendBatch(&context, batch, &ack).ok());
  EXPECT_EQ(ack.retryable_size(), 0);
  ASSERT_EQ(ack.failed_size(), 2);
  EXPECT_EQ(ack.failed(0), 1u);
  EXPECT_EQ(ack.failed(1), 2u);
  auto first = cluster.net(1).Receive(kSid, 3, 0, In(seconds(5)));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(**first, "good");
  auto second = cluster.net(1).Receive(kSid, 3, 1, In(seconds(5)));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(**second, "also good");
  const GrpcNetworkStats s = cluster.net(1).stats();
  EXPECT_EQ(s.rejected_sender_mismatch, 1u);
  EXPECT_EQ(s.rejected_malformed, 1u);
  EXPECT_EQ(s.rx_messages, 2u);
}

TEST(GrpcNetworkTest, SendToSelfAndReceiveAny) {
  GrpcTestCluster cluster(4);
  ASSERT_TRUE(cluster.StartAll().ok());
  GrpcNetwork& net = cluster.net(1);
  net.Send(1, Tag{kSid, 1, 0}, MakePayload("self"));
  EXPECT_EQ(**net.Receive(kSid, 1, 0, In(seconds(5))), "self");
  cluster.net(3).Send(1, Tag{kSid, 3, 0}, MakePayload("three"));
  auto any = net.ReceiveAny(kSid, 0, {2, 3, 4}, In(seconds(10)));
  ASSERT_TRUE(any.has_value());
  EXPECT_EQ(any->first, 3);
  EXPECT_EQ(*any->second, "three");
  EXPECT_EQ(net.my_role(), 1);
  EXPECT_EQ(net.num_parties(), 4);
}

TEST(GrpcNetworkTest, LargeMessagesArrive) {
  GrpcTestCluster cluster(4);
  ASSERT_TRUE(cluster.StartAll().ok());
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + 7);
  cluster.net(2).Send(4, Tag{kSid, 2, 0}, MakePayload(big));
  auto got = cluster.net(4).Receive(kSid, 2, 0, In(seconds(20)));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(**got, big);
}

TEST(GrpcNetworkTest, HealthCheckMeasuresLatency) {
  GrpcTestCluster cluster(4);
  ASSERT_TRUE(cluster.StartAll().ok());
  for (Role peer = 1; peer <= 4; ++peer) {
    auto latency = cluster.net(1).HealthCheck(peer, In(seconds(10)));
    ASSERT_TRUE(latency.ok()) << latency.status();
    EXPECT_GT(latency->count(), 0);
    EXPECT_LT(*latency, seconds(10));
  }
  auto with_payload = cluster.net(2).HealthCheck(3, In(seconds(10)), 1 << 20);
  ASSERT_TRUE(with_payload.ok()) << with_payload.status();
  EXPECT_GT(cluster.net(3).rx_bytes(), 1u << 20);
  EXPECT_EQ(cluster.net(1).HealthCheck(0, In(seconds(1))).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cluster.net(1).HealthCheck(5, In(seconds(1))).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A party that is down: the error says so within the deadline.
  cluster.Stop(4);
  auto start = Clock::now();
  auto down = cluster.net(1).HealthCheck(4, In(milliseconds(500)));
  EXPECT_FALSE(down.ok());
  EXPECT_TRUE(down.status().code() == absl::StatusCode::kUnavailable ||
              down.status().code() == absl::StatusCode::kDeadlineExceeded)
      << down.status();
  EXPECT_LT(Clock::now() - start, seconds(5));
}

// The peer port speaks TLS 1.3 (service-spec §3): a plain OpenSSL client with party 2's
// credentials, offering TLS 1.2 and 1.3 and ALPN h2 as gRPC does, ends up with TLS 1.3.
TEST(GrpcNetworkTest, HandshakeNegotiatesTls13) {
  GrpcTestCluster cluster(4);
  ASSERT_TRUE(cluster.Start(1).ok());
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_NE(ctx, nullptr);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  auto load_cert = [](const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    return cert;
  };
  X509* server_cert = load_cert(cluster.tls(1).certificate_pem);
  X509* my_cert = load_cert(cluster.tls(2).certificate_pem);
  std::string key_pem = testing::KeyText(cluster.tls(2).private_key_pem);
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* my_key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), server_cert), 1);
  ASSERT_EQ(SSL_CTX_use_certificate(ctx, my_cert), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx, my_key), 1);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof(kAlpn));

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(cluster.peer(1).port));
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, cluster.peer(1).identity.c_str());
  ASSERT_EQ(SSL_connect(ssl), 1);
  EXPECT_EQ(SSL_version(ssl), TLS1_3_VERSION) << SSL_get_version(ssl);
  EXPECT_EQ(SSL_get_verify_result(ssl), X509_V_OK);
  SSL_shutdown(ssl);
  SSL_free(ssl);
  close(fd);
  X509_free(server_cert);
  X509_free(my_cert);
  EVP_PKEY_free(my_key);
  SSL_CTX_free(ctx);
}

TEST(GrpcNetworkTest, UnknownCertificateWithAPartysNameIsRefusedAtTheHandshake) {
  GrpcTestCluster cluster(4);
  ASSERT_TRUE(cluster.StartAll().ok());
  // A fresh self-signed certificate claiming to be party 2.
  crypto::TlsIdentity impostor = testing::MustGenerate(testing::IdentityOf(2));
  auto stub =
      cluster.RawStub(1, impostor.certificate_pem, testing::KeyText(impostor.private_key_pem));
  grpc::Status sent = RawSend(*stub, Message(2, 0, "from the impostor"));
  EXPECT_EQ(sent.error_code(), grpc::StatusCode::UNAVAILABLE) << sent.error_message();
  EXPECT_EQ(RawPing(*stub).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_FALSE(cluster.net(1).Receive(kSid, 2, 0, In(milliseconds(100))).has_value());
  // The handshake failed: no handler ran, so nothing was even counted as a rejection.
  EXPECT_EQ(cluster.net(1).stats().rejected_unknown_peer, 0u);
  EXPECT_EQ(cluster.net(1).stats().rx_messages, 0u);
}

TEST(GrpcNetworkTest, ClientWithoutCertificateIsRefused) {
  GrpcTestCluster cluster(4);
  ASSERT_TRUE(cluster.StartAll().ok());
  auto stub = cluster.RawStub(1, "", "");
  grpc::Status sent = RawSend(*stub, Message(2, 0, "anonymous"));
  EXPECT_EQ(sent.error_code(), grpc::StatusCode::UNAVAILABLE) << sent.error_message();
  EXPECT_FALSE(cluster.net(1).Receive(kSid, 2, 0, In(milliseconds(100))).has_value());
  EXPECT_EQ(cluster.net(1).stats().rx_messages, 0u);
}

// Party 3 uses its own (trusted) key to sign a certificate naming party 2. The certificate
// chains to party 3's trusted certificate, but party certificates are not CAs and, besides, the
// server accepts only the exact configured certificate of the named party.
TEST(GrpcNetworkTest, CertificateMintedByAPartyKeyIsRefused) {
  GrpcTestCluster cluster(4);
  ASSERT_TRUE(cluster.StartAll().ok());
  const std::string p3_cert = cluster.tls(3).certificate_pem;
  const std::string p3_key = testing::KeyText(cluster.tls(3).private_key_pem);
  BIO* bio = BIO_new_mem_buf(p3_cert.data(), static_cast<int>(p3_cert.size()));
  X509* issuer = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  bio = BIO_new_mem_buf(p3_key.data(), static_cast<int>(p3_key.size()));
  EVP_PKEY* issuer_key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_TRUE(issuer && issuer_key);
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* forged = X509_new();
  X509_set_version(forged, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(forged), 77);
  X509_gmtime_adj(X509_getm_notBefore(forged), -3600);
  X509_gmtime_adj(X509_getm_notAfter(forged), 86400);
  const std::string cn = testing::IdentityOf(2);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(forged), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(forged, X509_get_subject_name(issuer));
  X509_set_pubkey(forged, key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, forged, nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, ("DNS:" + cn).c_str());
  X509_add_ext(forged, san, -1);
  X509_EXTENSION_free(san);
  ASSERT_GT(X509_sign(forged, issuer_key, EVP_sha256()), 0);
  auto to_pem = [](auto write) {
    BIO* out = BIO_new(BIO_s_mem());
    write(out);
    char* data = nullptr;
    long len = BIO_get_mem_data(out, &data);
    std::string pem(data, static_cast<size_t>(len));
    BIO_free(out);
    return pem;
  };
  std::string chain = to_pem([&](BIO* b) { PEM_write_bio_X509(b, forged); }) + p3_cert;
  std::string key_pem = to_pem([&](BIO* b) {
    PEM_write_bio_PKCS8PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  X509_free(forged);
  X509_free(issuer);
  EVP_PKEY_free(key);
  EVP_PKEY_free(issuer_key);

  auto stub = cluster.RawStub(1, chain, key_pem);
  grpc::Status sent = RawSend(*stub, Message(2, 0, "forged"));
  EXPECT_FALSE(sent.ok());
  EXPECT_TRUE(sent.error_code() == grpc::StatusCode::UNAVAILABLE ||
              sent.error_code() == grpc::StatusCode::PERMISSION_DENIED)
      << sent.error_code() << " " << sent.error_message();
  EXPECT_FALSE(cluster.net(1).Receive(kSid, 2, 0, In(milliseconds(100))).has_value());
  EXPECT_EQ(cluster.net(1).stats().rx_messages, 0u);
}

TEST(GrpcNetworkTest, TagClaimingAnotherSenderIsRejected) {
  GrpcTestCluster cluster(4);
  ASSERT_TRUE(cluster.StartAll().ok());
  // Party 3, with its real certificate, sends a message tagged as coming from party 2.
  auto stub = cluster.RawStubAs(3, 1);
  grpc::Status sent = RawSend(*stub, Message(2, 0, "I am party 2"));
  EXPECT_EQ(sent.error_code(), grpc::StatusCode::PERMISSION_DENIED) << sent.error_message();
  EXPECT_NE(sent.error_message().find("party 3"), std::string::npos) << sent.error_message();
  EXPECT_FALSE(cluster.net(1).Receive(kSid, 2, 0, In(milliseconds(200))).has_value());
  EXPECT_EQ(cluster.net(1).stats().rejected_sender_mismatch, 1u);
  EXPECT_EQ(cluster.net(1).stats().rx_messages, 0u);
  // Its honest messages still go through on the same connection.
  EXPECT_TRUE(RawSend(*stub, Message(3, 0, "I am party 3")).ok());
  EXPECT_EQ(**cluster.net(1).Receive(kSid, 3, 0, In(seconds(5))), "I am party 3");
  // The transport API refuses to send a foreign tag in the first place.
  cluster.net(3).Send(1, Tag{kSid, 2, 1}, MakePayload("forged"));
  EXPECT_EQ(cluster.net(3).stats().send_dropped_invalid, 1u);
  EXPECT_FALSE(cluster.net(1).Receive(kSid, 2, 1, In(milliseconds(200))).has_value());
}

TEST(GrpcNetworkTest, OversizedAndMalformedMessagesAreRejected) {
  GrpcTestCluster cluster(4);
  cluster.SetTweak([](GrpcNetworkConfig& c) { c.max_message_bytes = 64 << 10; });
  ASSERT_TRUE(cluster.StartAll().ok());
  auto stub = cluster.RawStubAs(3, 1);
  // Just over the limit: the handler refuses it.
  grpc::Status over = RawSend(*stub, Message(3, 0, std::string((64 << 10) + 1, 'x')));
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << over.error_message();
  EXPECT_EQ(cluster.net(1).stats().rejected_oversized, 1u);
  // Far over: gRPC refuses it before it is read into memory.
  grpc::Status far = RawSend(*stub, Message(3, 0, std::string(1 << 20, 'x')));
  EXPECT_EQ(far.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << far.error_message();
  // A session id that is not 16 bytes.
  peer::v1::PeerMessage bad = Message(3, 0, "x");
  bad.set_session_id("short");
  grpc::Status malformed = RawSend(*stub, bad);
  EXPECT_EQ(malformed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(malformed.error_message().find("session_id"), std::string::npos);
  EXPECT_EQ(cluster.net(1).stats().rejected_malformed, 1u);
  EXPECT_FALSE(cluster.net(1).Receive(kSid, 3, 0, In(milliseconds(100))).has_value());
  // Our own sender refuses to send an oversized payload; the limit itself passes.
  cluster.net(3).Send(1, Tag{kSid, 3, 1}, MakePayload(std::string((64 << 10) + 1, 'y')));
  EXPECT_EQ(cluster.net(3).stats().send_dropped_invalid, 1u);
  cluster.net(3).Send(1, Tag{kSid, 3, 1}, MakePayload(std::string(64 << 10, 'y')));
  auto at_limit = cluster.net(1).Receive(kSid, 3, 1, In(seconds(10)));
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_EQ((*at_limit)->size(), 64u << 10);
}

TEST(GrpcNetworkTest, PeerThatIsDownAtFirstGetsTheMessageWhenItComesUp) {
  GrpcTestCluster cluster(4);
  for (Role r = 1; r <= 3; ++r) ASSERT_TRUE(cluster.Start(r).ok());
  cluster.net(1).Send(4, Tag{kSid, 1, 0}, MakePayload("are you there?"));
  std::this_thread::sleep_for(milliseconds(600));
  EXPECT_EQ(cluster.net(1).pending_messages(4), 1u);
  EXPECT_GT(cluster.net(1).stats().send_retries, 0u);
  ASSERT_TRUE(cluster.Start(4).ok());
  auto got = cluster.net(4).Receive(kSid, 1, 0, In(seconds(15)));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(**got, "are you there?");
  EXPECT_EQ(cluster.net(1).stats().send_gave_up, 0u);
}

TEST(GrpcNetworkTest, SenderGivesUpAfterMaxElapsed) {
  GrpcTestCluster cluster(4);
  cluster.SetTweak([](GrpcNetworkConfig& c) { c.retry.max_elapsed = milliseconds(300); });
  for (Role r = 1; r <= 3; ++r) ASSERT_TRUE(cluster.Start(r).ok());
  auto start = Clock::now();
  cluster.net(1).Send(4, Tag{kSid, 1, 0}, MakePayload("lost"));
  EXPECT_LT(Clock::now() - start, milliseconds(50));  // Send does not block
  for (int i = 0; i < 300 && cluster.net(1).stats().send_gave_up == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(cluster.net(1).stats().send_gave_up, 1u);
  EXPECT_EQ(cluster.net(1).pending_messages(4), 0u);
  EXPECT_GE(Clock::now() - start, milliseconds(300));
}

TEST(GrpcNetworkTest, PortInUseGivesAClearError) {
  GrpcTestCluster cluster(4);
  ASSERT_TRUE(cluster.Start(1).ok());
  auto second = GrpcNetwork::Start(cluster.Config(1));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("Address already in use: port " +
                                           std::to_string(cluster.peer(1).port)),
            std::string::npos)
      << second.status();
  // The first server is unaffected.
  EXPECT_TRUE(cluster.net(1).HealthCheck(1, In(seconds(5))).ok());
}

TEST(GrpcNetworkTest, AnyFreePortWhenListenPortIsZero) {
  GrpcTestCluster cluster(1);
  GrpcNetworkConfig config = cluster.Config(1);
  config.listen_port = 0;
  auto net = GrpcNetwork::Start(std::move(config));
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_GT((*net)->listening_port(), 0);
}

TEST(GrpcNetworkTest, ShutdownWakesReceiversAndIsIdempotent) {
  GrpcTestCluster cluster(4);
  ASSERT_TRUE(cluster.Start(1).ok());
  std::optional<Payload> got = MakePayload("unset");
  std::thread receiver([&] { got = cluster.net(1).Receive(kSid, 2, 0, In(seconds(30))); });
  cluster.net(1).Send(2, Tag{kSid, 1, 0}, MakePayload("queued for a party that is down"));
  std::this_thread::sleep_for(milliseconds(50));
  auto start = Clock::now();
  cluster.net(1).Shutdown();
  receiver.join();
  EXPECT_LT(Clock::now() - start, seconds(5));
  EXPECT_FALSE(got.has_value());
  cluster.net(1).Shutdown();
  EXPECT_EQ(cluster.net(1).HealthCheck(1, In(seconds(1))).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(GrpcNetworkTest, ConfigurationIsValidatedFieldByField) {
  GrpcTestCluster cluster(4);
  auto expect_bad = [&](std::function<void(GrpcNetworkConfig&)> change, const std::string& field) {
    GrpcNetworkConfig c = cluster.Config(1);
    change(c);
    absl::Status s = ValidateGrpcNetworkConfig(c);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_NE(s.message().find(field), std::string::npos) << s;
    EXPECT_EQ(GrpcNetwork::Start(std::move(c)).status().code(), absl::StatusCode::kInvalidArgument);
  };
  EXPECT_TRUE(ValidateGrpcNetworkConfig(cluster.Config(1)).ok());
  expect_bad([](auto& c) { c.peers.clear(); }, "peers");
  expect_bad([](auto& c) { c.peers[1].role = 7; }, "peers[1].role");
  expect_bad([](auto& c) { c.peers[1].role = 1; }, "peers[1].role");
  expect_bad([](auto& c) { c.peers[2].port = 0; }, "peers[2].port");
  expect_bad([](auto& c) { c.peers[2].port = 70000; }, "peers[2].port");
  expect_bad([](auto& c) { c.peers[3].host = ""; }, "peers[3].host");
  expect_bad([](auto& c) { c.peers[3].identity = "bad identity"; }, "peers[3].identity");
  expect_bad([&](auto& c) { c.peers[3].certificate_pem = cluster.peer(2).certificate_pem; },
             "peers[3].certificate_pem");
  expect_bad([](auto& c) { c.peers[3].certificate_pem = "garbage"; }, "peers[3].certificate_pem");
  expect_bad([](auto& c) { c.my_role = 5; }, "my_role");
  expect_bad([&](auto& c) { c.my_certificate_pem = cluster.peer(2).certificate_pem; },
             "my_certificate_pem");
  expect_bad([&](auto& c) { c.my_private_key_pem = cluster.tls(2).private_key_pem; },
             "my_private_key_pem");
  expect_bad([](auto& c) { c.my_private_key_pem = crypto::SecretBytes(); }, "my_private_key_pem");
  expect_bad([](auto& c) { c.listen_port = -1; }, "listen_port");
  expect_bad([](auto& c) { c.max_message_bytes = 0; }, "max_message_bytes");
  expect_bad([](auto& c) { c.max_message_bytes = size_t{1} << 31; }, "max_message_bytes");
  expect_bad([](auto& c) { c.retry.multiplier = 0.5; }, "retry.multiplier");
  expect_bad([](auto& c) { c.retry.initial_backoff = Clock::duration::zero(); },
             "retry.initial_backoff");
  expect_bad([](auto& c) { c.retry.max_backoff = milliseconds(1); }, "retry.max_backoff");
  expect_bad([](auto& c) { c.senders_per_peer = 0; }, "senders_per_peer");
  // The key's bytes never show up in an error message.
  GrpcNetworkConfig c = cluster.Config(1);
  c.my_private_key_pem = cluster.tls(2).private_key_pem;
  std::string key_text = testing::KeyText(c.my_private_key_pem);
  std::string body = key_text.substr(key_text.find('\n') + 1, 40);
  EXPECT_EQ(std::string(ValidateGrpcNetworkConfig(c).message()).find(body), std::string::npos);
}

// (c) A receiver over a quota answers RESOURCE_EXHAUSTED naming it, with the retry trailer;
// the sending GrpcNetwork retries, and the message arrives once the receiver opens the session
// that holds the sender's slot. Meanwhile messages for sessions the receiver works on are not
// held up behind the refused one.
TEST(GrpcNetworkTest, QuotaRefusalIsRetriedAndDeliveredOnceTheReceiverMakesRoom) {
  GrpcTestCluster cluster(4);
  cluster.SetTweak([](GrpcNetworkConfig& c) {
    c.mailbox.max_unopened_sessions_per_sender = 1;
    c.senders_per_peer = 1;  // one sender thread: a blocked retry would hold up everything
  });
  ASSERT_TRUE(cluster.StartAll().ok());
  // A raw client sees the answer itself.
  auto stub = cluster.RawStubAs(3, 1);
  ASSERT_TRUE(RawSend(*stub, Message(3, 0, "takes party 3's only slot")).ok());
  peer::v1::PeerMessage other = Message(3, 0, "another session");
  other.set_session_id(SidBytes(kSid + 1));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(5));
  peer::v1::SendAck ack;
  grpc::Status refused = stub->Send(&context, other, &ack);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.error_message().find("max_unopened_sessions_per_sender"), std::string::npos)
      << refused.error_message();
  EXPECT_EQ(context.GetServerTrailingMetadata().count("kms-retryable-quota"), 1u);
  EXPECT_EQ(cluster.net(1).stats().rejected_quota, 1u);
  EXPECT_EQ(cluster.net(1).mailbox().dropped(DeliverResult::kSenderSessionQuota), 1u);

  // Party 2 through its GrpcNetwork: session A takes its slot, session B is refused and retried.
  const SessionId a = kSid + 10, b = kSid + 11, c = kSid + 12;
  cluster.net(2).Send(1, Tag{a, 2, 0}, MakePayload("A"));
  for (int i = 0; i < 500 && cluster.net(1).mailbox().unopened_sessions(2) == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  cluster.net(2).Send(1, Tag{b, 2, 0}, MakePayload("B"));
  for (int i = 0; i < 500 && cluster.net(2).stats().send_quota_retries == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_GT(cluster.net(2).stats().send_quota_retries, 0u);
  EXPECT_EQ(cluster.net(2).pending_messages(1), 1u);
  // Party 1 already runs session C: party 2's message for it arrives while B waits for a retry.
  std::optional<Payload> got_c;
  std::thread receiver([&] { got_c = cluster.net(1).Receive(c, 2, 0, In(seconds(10))); });
  std::this_thread::sleep_for(milliseconds(50));
  cluster.net(2).Send(1, Tag{c, 2, 0}, MakePayload("C"));
  receiver.join();
  ASSERT_TRUE(got_c.has_value());
  EXPECT_EQ(**got_c, "C");
  // C's acknowledgement reaches party 2 a moment after party 1 has C; B still waits for room.
  for (int i = 0; i < 200 && cluster.net(2).pending_messages(1) > 1; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(cluster.net(2).pending_messages(1), 1u);
  // Opening A makes room: B arrives.
  EXPECT_EQ(**cluster.net(1).Receive(a, 2, 0, In(seconds(5))), "A");
  auto got_b = cluster.net(1).Receive(b, 2, 0, In(seconds(15)));
  ASSERT_TRUE(got_b.has_value());
  EXPECT_EQ(**got_b, "B");
  for (int i = 0; i < 200 && cluster.net(2).pending_messages(1) > 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  GrpcNetworkStats s2 = cluster.net(2).stats();
  GrpcNetworkStats s1 = cluster.net(1).stats();
  EXPECT_EQ(s2.send_failed + s2.send_gave_up, 0u);
  EXPECT_EQ(cluster.net(2).pending_messages(1), 0u);
  // Every attempt that reached party 1 is counted on both sides: 3 delivered, plus the refused
  // attempts, which party 2 retried; party 3's raw client sent 2 more, 1 refused.
  EXPECT_EQ(s2.tx_messages, 3u + s2.send_quota_retries);
  EXPECT_EQ(s1.rx_messages, s2.tx_messages + 2);
  EXPECT_EQ(s1.rejected_quota, s2.send_quota_retries + 1);
  EXPECT_EQ(cluster.net(1).mailbox().accepted(), 4u);
}

// A quota refusal is retried only within max_elapsed; then the message is given up.
TEST(GrpcNetworkTest, QuotaRetriesGiveUpAfterMaxElapsed) {
  GrpcTestCluster cluster(4);
  cluster.SetTweak([](GrpcNetworkConfig& c) {
    c.mailbox.max_unopened_sessions_per_sender = 1;
    c.retry.max_elapsed = milliseconds(500);
  });
  ASSERT_TRUE(cluster.StartAll().ok());
  cluster.net(2).Send(1, Tag{kSid, 2, 0}, MakePayload("slot"));
  for (int i = 0; i < 500 && cluster.net(1).mailbox().unopened_sessions(2) == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  cluster.net(2).Send(1, Tag{kSid + 1, 2, 0}, MakePayload("never opened"));
  for (int i = 0; i < 300 && cluster.net(2).stats().send_gave_up == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  GrpcNetworkStats s = cluster.net(2).stats();
  EXPECT_EQ(s.send_gave_up, 1u);
  EXPECT_GT(s.send_quota_retries, 0u);
  EXPECT_EQ(s.send_failed, 0u);
  EXPECT_EQ(cluster.net(2).pending_messages(1), 0u);
}

// (d) Messages the receiver drops for good (closed session, stale round) are answered OK and
// not retried.
TEST(GrpcNetworkTest, StaleAndClosedSessionMessagesAreNotRetried) {
  GrpcTestCluster cluster(4);
  ASSERT_TRUE(cluster.StartAll().ok());
  cluster.net(1).CloseSession(kSid);
  EXPECT_FALSE(cluster.net(1).Receive(kSid + 1, 2, 5, In(milliseconds(0))).has_value());
  cluster.net(2).Send(1, Tag{kSid, 2, 0}, MakePayload("closed"));
  cluster.net(2).Send(1, Tag{kSid + 1, 2, 3}, MakePayload("stale"));
  auto raw = RawSend(*cluster.RawStubAs(3, 1), Message(3, 0, "closed, raw"));
  EXPECT_TRUE(raw.ok()) << raw.error_message();
  for (int i = 0; i < 300 && cluster.net(2).stats().tx_messages < 2; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  std::this_thread::sleep_for(milliseconds(300));  // time for a (wrong) retry to show
  GrpcNetworkStats s = cluster.net(2).stats();
  EXPECT_EQ(s.tx_messages, 2u);
  EXPECT_EQ(s.send_retries, 0u);
  EXPECT_EQ(s.send_quota_retries + s.send_failed + s.send_gave_up, 0u);
  EXPECT_EQ(cluster.net(2).pending_messages(1), 0u);
  EXPECT_EQ(cluster.net(1).mailbox().dropped(DeliverResult::kClosedSession), 2u);
  EXPECT_EQ(cluster.net(1).mailbox().dropped(DeliverResult::kStaleRound), 1u);
  EXPECT_EQ(cluster.net(1).stats().rejected_quota, 0u);
}

}  // namespace
}  // namespace kms::net
