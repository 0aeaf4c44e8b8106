// File: client/health_report.h
//
// The report of `kms-health-check` (service-spec §7), built from what the tool measured and
// rendered as text or as one JSON object. Text sections, in order:
//
//   [KMS HEALTH CHECK REPORT]   Overall Status: OPTIMAL | HEALTHY | DEGRADED | UNHEALTHY |
//                               UNREACHABLE (live, full) or VALID | INVALID (config only)
//   [CONFIGURATION]             config and full: the file, n, t, t + 1, floor(2n/3) + 1, peers,
//                               every problem with its key path
//   [CORE SERVICE CONNECTIVITY] live and full: reachability and latency of the client port
//   [KEY MATERIAL]              FHE key ids, CRS ids, preprocessing ids, PRSS epochs, storage
//   [OPERATOR KEY]              GetOperatorPublicKey: party, address, verification key
//   [CONTEXT <id>]              per context: [NODE INFO] and [PEER STATUS] (each peer's
//                               reachability and latency over the peer network)
//   [RECOMMENDATIONS]           what to do next, one line per finding
//
// Exit codes (ExitCodeFor): 0 optimal, healthy or valid; 1 degraded or an invalid configuration;
// 2 unhealthy or unreachable. 3 (the tool could not run: bad arguments, unreadable file) is the
// tool's own and never comes out of a report.
//
// This file depends on the kms.v1 messages only; the tool fills ConfigSection from the server's
// configuration loader (service/config.h), so both use one validator.
#ifndef KMS_CLIENT_HEALTH_REPORT_H_
#define KMS_CLIENT_HEALTH_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/kms_service.pb.h"

namespace kms::client {

enum class OverallStatus {
  kOptimal,
  kHealthy,
  kDegraded,
  kUnhealthy,
  kUnreachable,
  kConfigValid,
  kConfigInvalid,
};

// "OPTIMAL", "HEALTHY", "DEGRADED", "UNHEALTHY", "UNREACHABLE", "VALID", "INVALID".
const char* OverallStatusName(OverallStatus status);

// 0 for OPTIMAL, HEALTHY, VALID; 1 for DEGRADED, INVALID; 2 for UNHEALTHY, UNREACHABLE.
int ExitCodeFor(OverallStatus status);

// The status rule of service-spec §2 for n parties, threshold t and `reachable` parties (this
// node included), by the rule of common/cluster_health.h (the server's own rule).
v1::HealthStatus StatusForCounts(uint32_t n, uint32_t t, uint32_t reachable);

// "OPTIMAL" ... for a kms.v1.HealthStatus ("UNSPECIFIED" for 0).
const char* HealthStatusName(v1::HealthStatus status);

struct ConfigSection {
  std::string file;
  bool valid = false;
  std::vector<std::string> problems;  // "key.path: message"
  bool threshold_mode = false;
  uint32_t my_id = 0;
  uint32_t num_parties = 0;        // n
  uint32_t threshold = 0;          // t
  std::vector<std::string> peers;  // "party 2: p2.example:50001 (identity p2.example)"
  std::string description;         // DescribeConfig(), no secrets
};

struct LiveSection {
  std::string endpoint;   // host:port as asked
  std::string transport;  // "plaintext (no TLS)", "TLS with a client certificate", ...
  bool reachable = false;
  std::string connect_error;
  double connect_ms = 0;
  std::optional<v1::HealthStatusResponse> health;
  std::string health_error;
  double health_ms = 0;
  std::optional<v1::OperatorPublicKeyResponse> operator_key;
  std::string operator_key_error;
  double operator_key_ms = 0;
};

struct HealthReport {
  std::optional<ConfigSection> config;
  std::optional<LiveSection> live;
};

// The report's overall status: the worse of the configuration's (VALID / INVALID) and the live
// node's (UNREACHABLE when the client port did not answer, UNHEALTHY when GetHealthStatus failed,
// else the status the node reports, or StatusForCounts when it reports none).
OverallStatus Overall(const HealthReport& report);

// ExitCodeFor(Overall(report)).
int ExitCode(const HealthReport& report);

// What to do, one sentence per finding; never empty (says so when there is nothing to do).
std::vector<std::string> Recommendations(const HealthReport& report);

std::string FormatText(const HealthReport& report);
// One JSON object: overall_status, exit_code, configuration, connectivity, key_material,
// operator_key, contexts[], recommendations[].
std::string FormatJson(const HealthReport& report);

}  // namespace kms::client

#endif  // KMS_CLIENT_HEALTH_REPORT_H_
