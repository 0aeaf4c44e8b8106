// File: tests/testing/grpc_test_cluster.h
//
// n GrpcNetwork parties on loopback for tests and benchmarks: free ports, fresh certificates
// (CN = "p<role>.kms.test", connected to at 127.0.0.1 with that name as the TLS target), and a
// raw PeerService stub to play a misbehaving client.
#ifndef KMS_TESTS_NET_GRPC_TEST_CLUSTER_H_
#define KMS_TESTS_NET_GRPC_TEST_CLUSTER_H_

#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crypto/tls_certificate.h"
#include "net/grpc_network.h"
#include "proto/peer_service.grpc.pb.h"

namespace kms::net::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0).
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("FreePort");
    std::abort();
  }
  close(fd);
  return ntohs(addr.sin_port);
}

inline std::string IdentityOf(Role role) { return "p" + std::to_string(role) + ".kms.test"; }

inline crypto::TlsIdentity MustGenerate(const std::string& identity) {
  auto id = crypto::GenerateSelfSignedCertificate(identity);
  if (!id.ok()) {
    std::fprintf(stderr, "certificate generation failed: %s\n", id.status().ToString().c_str());
    std::abort();
  }
  return *std::move(id);
}

inline std::string KeyText(const crypto::SecretBytes& key) {
  return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

class GrpcTestCluster {
 public:
  explicit GrpcTestCluster(int n) : n_(n), nets_(n + 1) {
    for (Role r = 1; r <= n; ++r) {
      PeerInfo p;
      p.role = r;
      p.host = "127.0.0.1";
      p.port = FreePort();
      p.identity = IdentityOf(r);
      tls_.push_back(MustGenerate(p.identity));
      p.certificate_pem = tls_.back().certificate_pem;
      peers_.push_back(p);
    }
  }
  ~GrpcTestCluster() { StopAll(); }

  int n() const { return n_; }
  const PeerInfo& peer(Role r) const { return peers_[r - 1]; }
  const crypto::TlsIdentity& tls(Role r) const { return tls_[r - 1]; }

  // Party r's configuration; `tweak` may change any field before use.
  GrpcNetworkConfig Config(Role r) const {
    GrpcNetworkConfig c;
    c.my_role = r;
    c.peers = peers_;
    c.listen_address = "127.0.0.1";
    c.listen_port = peers_[r - 1].port;
    c.my_certificate_pem = tls_[r - 1].certificate_pem;
    c.my_private_key_pem = tls_[r - 1].private_key_pem;
    if (tweak_) tweak_(c);
    return c;
  }
  void SetTweak(std::function<void(GrpcNetworkConfig&)> tweak) { tweak_ = std::move(tweak); }

  absl::Status Start(Role r) {
    auto net = GrpcNetwork::Start(Config(r));
    if (!net.ok()) return net.status();
    nets_[r] = *std::move(net);
    return absl::OkStatus();
  }
  absl::Status StartAll() {
    for (Role r = 1; r <= n_; ++r) {
      absl::Status s = Start(r);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  void Stop(Role r) { nets_[r].reset(); }
  void StopAll() {
    for (auto& net : nets_) net.reset();
  }
  GrpcNetwork& net(Role r) { return *nets_[r]; }

  // A raw client of party `target`'s PeerService presenting `cert_pem` / `key_pem` (none if
  // empty) and trusting `target`'s certificate.
  std::unique_ptr<peer::v1::PeerService::Stub> RawStub(Role target, const std::string& cert_pem,
                                                       const std::string& key_pem) const {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = peer(target).certificate_pem;
    ssl.pem_cert_chain = cert_pem;
    ssl.pem_private_key = key_pem;
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride(peer(target).identity);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxSendMessageSize(-1);
    auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(peer(target).port),
                                             grpc::SslCredentials(ssl), args);
    return peer::v1::PeerService::NewStub(channel);
  }
  // A raw client with party `as`'s real credentials.
  std::unique_ptr<peer::v1::PeerService::Stub> RawStubAs(Role as, Role target) const {
    return RawStub(target, tls(as).certificate_pem, KeyText(tls(as).private_key_pem));
  }

 private:
  int n_;
  std::vector<PeerInfo> peers_;
  std::vector<crypto::TlsIdentity> tls_;
  std::vector<std::unique_ptr<GrpcNetwork>> nets_;  // index: role
  std::function<void(GrpcNetworkConfig&)> tweak_;
};

}  // namespace kms::net::testing

#endif  // KMS_TESTS_NET_GRPC_TEST_CLUSTER_H_
