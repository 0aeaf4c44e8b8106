// File: client/local_cluster.h
//
// An n-party threshold KMS on this machine (service-spec §1 `kms-local`), for first use, demos
// and tests: generated configurations, keys and certificates under one folder, n kms-server
// processes on loopback, the PRSS created with kms-init.
//
//   <dir>/config/party<i>.toml   the party's configuration (paths relative to config/)
//   <dir>/keys/PUB-p<i>/...      file storage of every party (public and private vaults), the
//   <dir>/keys/PRIV-p<i>/...     layout of service-spec §5 (PublicKey/<key_id>, PrssSetup/<epoch>)
//   <dir>/certs/cert_p<i>.pem    peer-network TLS certificate and key (kms-gen-keys)
//   <dir>/certs/client_port_p<i>.pem, client_port_key_p<i>.pem
//                                the client port's TLS identity (SAN localhost, 127.0.0.1)
//   <dir>/certs/client-ports.pem every party's client-port certificate (what callers trust)
//   <dir>/certs/operator.pem, operator.key
//                                the caller identity of the tools, with every role
//   <dir>/tls.env                `source` it: exports KMS_TLS_CA, KMS_TLS_CERT, KMS_TLS_KEY so
//                                kms-client, kms-init, kms-health-check use TLS
// (no client-port TLS with --plaintext: the tools then talk plaintext, as to any development
// server)
//   <dir>/logs/party<i>.log      the server's stderr/stdout
//   <dir>/cluster.json           state: parties, threshold, ports, process ids
//   <dir>/client.toml            kms-client --config for this cluster, with every party's
//                                operator address pinned (signer_address), read from the public
//                                vault kms-gen-keys filled, not asked from the running server
//
// Party i listens on 127.0.0.1 at client port 50100 + 100·(i−1), peer port 50001 + (i−1) and
// metrics port 9646 + (i−1) (plus a port offset, 0 by default, for running several clusters).
// Servers run in their own session (setsid), so they outlive kms-local; stop and start find them
// by the process ids in cluster.json and check /proc/<pid>/cmdline before signalling, so a
// recycled pid is never killed.
#ifndef KMS_CLIENT_LOCAL_CLUSTER_H_
#define KMS_CLIENT_LOCAL_CLUSTER_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/client_tls.h"
#include "crypto/secp256k1_signer.h"

namespace kms::client {

struct LocalClusterOptions {
  uint32_t parties = 4;
  std::optional<uint32_t> threshold;  // default floor((n - 1) / 3)
  std::string dir = "./kms-local";
  std::string params = "default";  // "test" | "default"
  bool insecure = false;           // allow InsecureKeyGen
  uint32_t round_timeout_secs = 20;
  uint32_t decryption_timeout_secs = 60;
  int port_offset = 0;
  std::string bin_dir;  // where kms-server, kms-gen-keys, kms-init are; empty: next to this tool
  std::chrono::seconds start_timeout{120};
  bool run_init = true;    // run kms-init after the servers are up
  bool fresh = false;      // remove an existing (stopped) cluster folder first
  bool plaintext = false;  // no TLS on the client ports (every caller holds every role)
};

struct LocalParty {
  uint32_t id = 0;
  int pid = 0;  // 0: not running
  uint16_t client_port = 0;
  uint16_t peer_port = 0;
  uint16_t metrics_port = 0;
  std::string config;  // absolute path
  std::string log;     // absolute path

  std::string client_endpoint() const;  // "127.0.0.1:<client_port>"
};

struct LocalClusterState {
  std::string dir;  // absolute
  uint32_t threshold = 0;
  std::string params;
  bool insecure = false;
  int port_offset = 0;
  std::string bin_dir;
  bool tls = true;                  // the client ports serve mutual TLS (files above)
  std::vector<LocalParty> parties;  // party i at index i - 1
};

// The caller name of the tools' identity in a kms-local cluster.
inline constexpr char kLocalOperator[] = "operator";

// The TLS files of the tools for the cluster in `dir` (client_tls.h).
ClientTlsFiles LocalClusterTlsFiles(const std::string& dir);

// floor((n - 1) / 3), the largest t with n >= 3t + 1.
uint32_t DefaultThreshold(uint32_t n);

// The ports of party `id` (1-based). InvalidArgument when a port would leave 1..65535.
absl::StatusOr<LocalParty> PartyPorts(uint32_t id, int port_offset);

// The configuration file of party `id` of an n-party cluster with threshold t (service-spec §4),
// as kms-local writes it to <dir>/config/party<id>.toml.
std::string PartyConfigToml(const LocalClusterOptions& options, uint32_t n, uint32_t t,
                            uint32_t id);

// cluster.json and back. InvalidArgument naming the field for a malformed file.
std::string StateToJson(const LocalClusterState& state);
absl::StatusOr<LocalClusterState> StateFromJson(std::string_view json);

// OK when nothing listens on 127.0.0.1:`port` (and the port can be bound); otherwise
// FailedPrecondition "port 50100 (party 1 client port) is already in use".
absl::Status CheckPortFree(uint16_t port, std::string_view what);

// The operator address of a party from its file public vault folder (<dir>/keys/PUB-p<i>), as
// kms-gen-keys published it: VerfKey/<signer_id> must hold exactly one 33-byte verification key
// whose address is its signer id (and VerfAddress/<signer_id>, when present, the same address).
// NotFound / DataLoss naming the file.
absl::StatusOr<crypto::EthAddress> ReadPublishedSigner(const std::string& public_vault_dir);

// What `status` reports for one party.
struct LocalPartyStatus {
  LocalParty party;
  bool running = false;
  int http_code = 0;          // of GET /health on the metrics port; 0: no answer
  std::string health_status;  // OPTIMAL ... from the /health body, or ""
};

class LocalCluster {
 public:
  // Creates the folder, configurations and keys (kms-gen-keys), starts the servers, waits until
  // each serves, runs kms-init, writes client.toml; progress goes to `out`. Refuses (with the
  // reason) when the folder holds a running cluster, a cluster of another size without --fresh,
  // or a port is taken.
  static absl::StatusOr<LocalCluster> Up(const LocalClusterOptions& options, std::ostream& out);
  // Reads <dir>/cluster.json. NotFound "no kms-local cluster in <dir>" when absent.
  static absl::StatusOr<LocalCluster> Open(const std::string& dir);

  const LocalClusterState& state() const { return state_; }

  // Per party: process state and /health.
  std::vector<LocalPartyStatus> Status() const;
  // SIGTERM (or SIGKILL) to party `id`, waits up to `wait` for it to exit.
  absl::Status Stop(uint32_t id, bool kill, std::chrono::seconds wait, std::ostream& out);
  // Starts party `id` again and waits until it serves.
  absl::Status Start(uint32_t id, std::chrono::seconds wait, std::ostream& out);
  // Stops every party (SIGTERM, SIGKILL after `wait`).
  absl::Status Down(bool kill, std::chrono::seconds wait, std::ostream& out);

  // The endpoints summary `up` prints.
  std::string Describe() const;

 private:
  explicit LocalCluster(LocalClusterState state) : state_(std::move(state)) {}
  absl::Status Save() const;
  // Records party `id`'s pid in cluster.json under an exclusive lock, re-reading the file first,
  // so that kms-local commands for different parties may run at the same time.
  absl::Status SavePid(const LocalParty& party) const;
  absl::Status Spawn(LocalParty& party);
  absl::Status WaitServing(const LocalParty& party, std::chrono::seconds wait) const;

  LocalClusterState state_;
};

}  // namespace kms::client

#endif  // KMS_CLIENT_LOCAL_CLUSTER_H_
