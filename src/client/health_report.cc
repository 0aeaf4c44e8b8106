#include "client/health_report.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/absl_compat_internal.h"
#include "common/bytes.h"
#include "common/cluster_health.h"

namespace kms::client {
namespace {

// Peers slower than this get a recommendation.
constexpr uint64_t kHighLatencyMs = 500;

int Severity(OverallStatus s) { return ExitCodeFor(s); }

std::string Ms(double ms) { return absl::StrFormat("%.1f ms", ms); }

std::string NodeTypeName(v1::NodeType type) {
  switch (type) {
    case v1::NODE_TYPE_CENTRALIZED:
      return "CENTRALIZED";
    case v1::NODE_TYPE_THRESHOLD:
      return "THRESHOLD";
    default:
      return "UNSPECIFIED";
  }
}

// The live node's status, or nullopt when there is no live section.
std::optional<OverallStatus> LiveStatus(const LiveSection& live) {
  if (!live.reachable) return OverallStatus::kUnreachable;
  if (!live.health.has_value()) return OverallStatus::kUnhealthy;
  const v1::HealthStatusResponse& h = *live.health;
  v1::HealthStatus status = h.status();
  if (status == v1::HEALTH_STATUS_UNSPECIFIED) {
    if (h.node_type() == v1::NODE_TYPE_CENTRALIZED) {
      status = v1::HEALTH_STATUS_OPTIMAL;
    } else if (h.peers_from_all_contexts_size() > 0) {
      // The worst context decides.
      status = v1::HEALTH_STATUS_OPTIMAL;
      for (const auto& ctx : h.peers_from_all_contexts()) {
        v1::HealthStatus s =
            ctx.status() != v1::HEALTH_STATUS_UNSPECIFIED
                ? ctx.status()
                : StatusForCounts(ctx.num_parties(), ctx.threshold(), ctx.nodes_reachable());
        status = std::max(status, s);
      }
    } else {
      status = v1::HEALTH_STATUS_UNHEALTHY;
    }
  }
  switch (status) {
    case v1::HEALTH_STATUS_OPTIMAL:
      return OverallStatus::kOptimal;
    case v1::HEALTH_STATUS_HEALTHY:
      return OverallStatus::kHealthy;
    case v1::HEALTH_STATUS_DEGRADED:
      return OverallStatus::kDegraded;
    default:
      return OverallStatus::kUnhealthy;
  }
}

std::string PeerName(const v1::PeerHealth& peer) {
  return absl::StrCat("party ", peer.peer_id(), " (", peer.endpoint(), ")");
}

void AppendList(std::string* out, const std::string& title,
                const google::protobuf::RepeatedPtrField<std::string>& ids) {
  absl::StrAppend(out, title, " (", ids.size(), "):", ids.empty() ? " none" : "", "\n");
  for (const std::string& id : ids) absl::StrAppend(out, "  - ", id, "\n");
}

nlohmann::json JsonList(const google::protobuf::RepeatedPtrField<std::string>& ids) {
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& id : ids) out.push_back(id);
  return out;
}

}  // namespace

const char* OverallStatusName(OverallStatus status) {
  switch (status) {
    case OverallStatus::kOptimal:
      return "OPTIMAL";
    case OverallStatus::kHealthy:
      return "HEALTHY";
    case OverallStatus::kDegraded:
      return "DEGRADED";
    case OverallStatus::kUnhealthy:
      return "UNHEALTHY";
    case OverallStatus::kUnreachable:
      return "UNREACHABLE";
    case OverallStatus::kConfigValid:
      return "VALID";
    case OverallStatus::kConfigInvalid:
      return "INVALID";
  }
  return "UNHEALTHY";
}

int ExitCodeFor(OverallStatus status) {
  switch (status) {
    case OverallStatus::kOptimal:
    case OverallStatus::kHealthy:
    case OverallStatus::kConfigValid:
      return 0;
    case OverallStatus::kDegraded:
    case OverallStatus::kConfigInvalid:
      return 1;
    case OverallStatus::kUnhealthy:
    case OverallStatus::kUnreachable:
      return 2;
  }
  return 2;
}

v1::HealthStatus StatusForCounts(uint32_t n, uint32_t t, uint32_t reachable) {
  switch (ClusterHealthFor(static_cast<int>(n), static_cast<int>(t), static_cast<int>(reachable))) {
    case ClusterHealth::kOptimal:
      return v1::HEALTH_STATUS_OPTIMAL;
    case ClusterHealth::kHealthy:
      return v1::HEALTH_STATUS_HEALTHY;
    case ClusterHealth::kDegraded:
      return v1::HEALTH_STATUS_DEGRADED;
    case ClusterHealth::kUnhealthy:
      break;
  }
  return v1::HEALTH_STATUS_UNHEALTHY;
}

const char* HealthStatusName(v1::HealthStatus status) {
  switch (status) {
    case v1::HEALTH_STATUS_OPTIMAL:
      return "OPTIMAL";
    case v1::HEALTH_STATUS_HEALTHY:
      return "HEALTHY";
    case v1::HEALTH_STATUS_DEGRADED:
      return "DEGRADED";
    case v1::HEALTH_STATUS_UNHEALTHY:
      return "UNHEALTHY";
    default:
      return "UNSPECIFIED";
  }
}

OverallStatus Overall(const HealthReport& report) {
  std::optional<OverallStatus> result;
  if (report.config.has_value()) {
    result = report.config->valid ? OverallStatus::kConfigValid : OverallStatus::kConfigInvalid;
  }
  if (report.live.has_value()) {
    const OverallStatus live = *LiveStatus(*report.live);
    // The live status wins ties: "HEALTHY" says more than "VALID".
    if (!result.has_value() || Severity(live) >= Severity(*result)) result = live;
  }
  return result.value_or(OverallStatus::kUnhealthy);
}

int ExitCode(const HealthReport& report) { return ExitCodeFor(Overall(report)); }

std::vector<std::string> Recommendations(const HealthReport& report) {
  std::vector<std::string> out;
  if (report.config.has_value() && !report.config->valid) {
    out.push_back(absl::StrCat("Fix the ", report.config->problems.size(),
                               " configuration problem(s) listed above, then re-run "
                               "`kms-health-check config --file ",
                               report.config->file, "`."));
  }
  if (report.live.has_value()) {
    const LiveSection& live = *report.live;
    if (!live.reachable) {
      out.push_back(absl::StrCat(
          "The core service at ", live.endpoint, " is not reachable (", live.connect_error,
          "). Check that kms-server runs (kms-local status, or the pod/container), that it "
          "listens on this port (nc -zv <host> <port>) and look for ERROR lines in its log."));
      if (absl::StartsWith(live.transport, "plaintext")) {
        out.push_back(
            "If the port serves TLS ([service.tls]), give --tls-ca, --tls-cert and --tls-key "
            "(or KMS_TLS_CA, KMS_TLS_CERT, KMS_TLS_KEY; for kms-local: source <dir>/tls.env).");
      }
    } else if (!live.health.has_value()) {
      out.push_back(absl::StrCat("GetHealthStatus failed (", live.health_error,
                                 "); check the server log for ERROR lines."));
    } else {
      const v1::HealthStatusResponse& h = *live.health;
      const bool threshold = h.node_type() != v1::NODE_TYPE_CENTRALIZED;
      if (threshold && h.my_epoch_ids_size() == 0) {
        out.push_back(
            "No PRSS setup exists on this party: run `kms-init --addresses http://<party1>:50100 "
            "... http://<partyN>:50100` once all parties are up.");
      }
      if (h.my_fhe_key_ids_size() == 0) {
        out.push_back("No FHE key on this party yet: generate one with `kms-client keygen`.");
      }
      if (absl::StartsWith(h.client_port_auth(), "PLAINTEXT")) {
        out.push_back(
            "The client port is plaintext and unauthenticated: anyone who reaches it may start "
            "key generations, destroy PRSS setups and decrypt. Configure [service.tls] and "
            "[[service.callers]] (docs/security.md) before real data.");
      }
      if (h.my_insecure_fhe_key_ids_size() > 0) {
        out.push_back(absl::StrCat(
            h.my_insecure_fhe_key_ids_size(),
            " FHE key(s) are INSECURE (test parameters or the insecure dealer): use them for "
            "tests and demos only, never for real data; production keys need fhe_parameter = "
            "\"default\" and KeyGen (not InsecureKeyGen)."));
      }
      if (h.ciphertext_admission().starts_with("open")) {
        out.push_back(
            "Ciphertext admission is \"open\": this party decrypts any ciphertext, so anyone who "
            "can call decryption can extract the FHE key with crafted ciphertexts. Set "
            "[admission] policy = \"trusted-callers\" or \"attested\" outside development.");
      }
      for (const auto& ctx : h.peers_from_all_contexts()) {
        for (const auto& peer : ctx.peers()) {
          if (!peer.reachable()) {
            out.push_back(absl::StrCat(
                PeerName(peer), " is unreachable over the peer network",
                peer.error().empty() ? "" : absl::StrCat(" (", peer.error(), ")"),
                ". Check that it runs, that its peer port is open from this party "
                "(nc -zv <host> <port>) and that its TLS certificate matches the configured "
                "one."));
          } else if (peer.latency_ms() > kHighLatencyMs) {
            out.push_back(absl::StrCat("High latency to ", PeerName(peer), ": ", peer.latency_ms(),
                                       " ms. Check the network path between the parties."));
          }
        }
        const v1::HealthStatus s =
            ctx.status() != v1::HEALTH_STATUS_UNSPECIFIED
                ? ctx.status()
                : StatusForCounts(ctx.num_parties(), ctx.threshold(), ctx.nodes_reachable());
        const uint32_t n = ctx.num_parties();
        if (s == v1::HEALTH_STATUS_DEGRADED) {
          out.push_back(absl::StrCat(
              "Only ", ctx.nodes_reachable(), " of ", n,
              " parties are reachable, exactly the decryption quorum: one more failure stops "
              "every decryption. Bring the missing parties back."));
        } else if (s == v1::HEALTH_STATUS_UNHEALTHY) {
          out.push_back(
              absl::StrCat("Only ", ctx.nodes_reachable(), " of ", n,
                           " parties are reachable, fewer than the decryption quorum of ",
                           DecryptionQuorum(static_cast<int>(n), static_cast<int>(ctx.threshold())),
                           ": threshold operations cannot succeed. Coordinate with the "
                           "other operators to bring their parties back."));
        }
      }
    }
    if (live.reachable && !live.operator_key.has_value()) {
      out.push_back(absl::StrCat("GetOperatorPublicKey failed (", live.operator_key_error,
                                 "): the party's signing key may be missing; run kms-gen-keys."));
    }
  }
  if (out.empty()) out.push_back("None: everything checked is in order.");
  return out;
}

std::string FormatText(const HealthReport& report) {
  std::string out;
  const OverallStatus overall = Overall(report);
  absl::StrAppend(&out, "[KMS HEALTH CHECK REPORT]\n");
  absl::StrAppend(&out, "Overall Status: ", OverallStatusName(overall), "\n");
  absl::StrAppend(&out, "Exit Code: ", ExitCodeFor(overall), "\n");

  if (report.config.has_value()) {
    const ConfigSection& c = *report.config;
    absl::StrAppend(&out, "\n[CONFIGURATION]\n");
    absl::StrAppend(&out, "File: ", c.file, "\n");
    absl::StrAppend(&out, "Valid: ", c.valid ? "yes" : "NO", "\n");
    if (c.valid) {
      if (c.threshold_mode) {
        const uint32_t n = c.num_parties;
        absl::StrAppend(&out, "Mode: threshold, party ", c.my_id, "\n");
        absl::StrAppend(&out, "Parties (n): ", n, "\n");
        absl::StrAppend(&out, "Threshold (t): ", c.threshold, "\n");
        absl::StrAppend(&out, "Shares to reconstruct (t + 1): ", c.threshold + 1, "\n");
        absl::StrAppend(&out, "Healthy at (floor(2n/3) + 1): ", 2 * n / 3 + 1, " reachable\n");
        absl::StrAppend(&out, "Peers:\n");
        for (const std::string& p : c.peers) absl::StrAppend(&out, "  - ", p, "\n");
      } else {
        absl::StrAppend(&out, "Mode: centralized\n");
      }
      if (!c.description.empty()) {
        absl::StrAppend(&out, "Details:\n");
        for (absl::string_view line : absl::StrSplit(c.description, '\n', absl::SkipEmpty())) {
          absl::StrAppend(&out, "  ", line, "\n");
        }
      }
    } else {
      absl::StrAppend(&out, "Problems (", c.problems.size(), "):\n");
      for (const std::string& p : c.problems) absl::StrAppend(&out, "  - ", p, "\n");
    }
  }

  if (report.live.has_value()) {
    const LiveSection& live = *report.live;
    absl::StrAppend(&out, "\n[CORE SERVICE CONNECTIVITY]\n");
    absl::StrAppend(&out, "Endpoint: ", live.endpoint, "\n");
    if (!live.transport.empty()) absl::StrAppend(&out, "Transport: ", live.transport, "\n");
    if (!live.reachable) {
      absl::StrAppend(&out, "Reachable: NO (", live.connect_error, ")\n");
    } else {
      absl::StrAppend(&out, "Reachable: yes (connected in ", Ms(live.connect_ms), ")\n");
      if (live.health.has_value()) {
        absl::StrAppend(&out, "GetHealthStatus: ok in ", Ms(live.health_ms), "\n");
        absl::StrAppend(&out, "Node Type: ", NodeTypeName(live.health->node_type()), "\n");
        if (!live.health->version().empty()) {
          absl::StrAppend(&out, "Version: ", live.health->version(), "\n");
        }
        if (!live.health->client_port_auth().empty()) {
          absl::StrAppend(&out, "Client Port: ", live.health->client_port_auth(), "\n");
        }
        if (!live.health->ciphertext_admission().empty()) {
          absl::StrAppend(&out, "Ciphertext Admission: ", live.health->ciphertext_admission(),
                          "\n");
        }
      } else {
        absl::StrAppend(&out, "GetHealthStatus: FAILED (", live.health_error, ")\n");
      }
    }
    if (live.health.has_value()) {
      const v1::HealthStatusResponse& h = *live.health;
      absl::StrAppend(&out, "\n[KEY MATERIAL]\n");
      AppendList(&out, "FHE Keys", h.my_fhe_key_ids());
      if (h.my_insecure_fhe_key_ids_size() > 0) {
        AppendList(&out, "INSECURE FHE Keys (test parameters or dealer)",
                   h.my_insecure_fhe_key_ids());
      }
      AppendList(&out, "CRS", h.my_crs_ids());
      AppendList(&out, "Preprocessing", h.my_preprocessing_key_ids());
      AppendList(&out, "PRSS Epochs", h.my_epoch_ids());
      absl::StrAppend(
          &out, "Storage: ", h.my_storage_info().empty() ? "unknown" : h.my_storage_info(), "\n");
    }
    if (live.reachable) {
      absl::StrAppend(&out, "\n[OPERATOR KEY]\n");
      if (live.operator_key.has_value()) {
        const v1::OperatorPublicKeyResponse& k = *live.operator_key;
        if (k.party_id() != 0) absl::StrAppend(&out, "Party: ", k.party_id(), "\n");
        absl::StrAppend(&out, "Address: ", k.address(), "\n");
        absl::StrAppend(&out, "Public Key: ", ToHex(AsBytes(k.public_key())), " (",
                        k.public_key().size(), " bytes)\n");
        absl::StrAppend(&out, "Attestation: ",
                        k.attestation_document().empty()
                            ? std::string("none (no security module)")
                            : absl::StrCat(k.attestation_document().size(), " bytes"),
                        "\n");
        absl::StrAppend(&out, "Latency: ", Ms(live.operator_key_ms), "\n");
      } else {
        absl::StrAppend(&out, "GetOperatorPublicKey: FAILED (", live.operator_key_error, ")\n");
      }
    }
    if (live.health.has_value()) {
      for (const auto& ctx : live.health->peers_from_all_contexts()) {
        absl::StrAppend(&out, "\n[CONTEXT ",
                        ctx.context_id().empty() ? "default" : ctx.context_id(), "]\n");
        absl::StrAppend(&out, "[NODE INFO]\n");
        absl::StrAppend(&out, "  My Party ID: ", ctx.my_party_id(), "\n");
        absl::StrAppend(&out, "  Parties (n): ", ctx.num_parties(), "\n");
        absl::StrAppend(&out, "  Threshold (t): ", ctx.threshold(), "\n");
        absl::StrAppend(&out, "  Threshold Required (t + 1): ", ctx.threshold_required(), "\n");
        absl::StrAppend(&out, "  Nodes Reachable: ", ctx.nodes_reachable(), " of ",
                        ctx.num_parties(), " (this node included)\n");
        absl::StrAppend(&out, "  Status: ", HealthStatusName(ctx.status()), "\n");
        absl::StrAppend(&out, "[PEER STATUS]\n");
        if (ctx.peers_size() == 0) absl::StrAppend(&out, "  (no peers)\n");
        for (const auto& peer : ctx.peers()) {
          if (peer.reachable()) {
            absl::StrAppend(&out, "  Party ", peer.peer_id(), " ", peer.endpoint(),
                            ": REACHABLE, latency ", peer.latency_ms(), " ms\n");
          } else {
            absl::StrAppend(&out, "  Party ", peer.peer_id(), " ", peer.endpoint(), ": UNREACHABLE",
                            peer.error().empty() ? "" : absl::StrCat(" (", peer.error(), ")"),
                            "\n");
          }
        }
      }
    }
  }

  absl::StrAppend(&out, "\n[RECOMMENDATIONS]\n");
  for (const std::string& r : Recommendations(report)) absl::StrAppend(&out, "  - ", r, "\n");
  return out;
}

std::string FormatJson(const HealthReport& report) {
  nlohmann::json j;
  const OverallStatus overall = Overall(report);
  j["overall_status"] = OverallStatusName(overall);
  j["exit_code"] = ExitCodeFor(overall);
  if (report.config.has_value()) {
    const ConfigSection& c = *report.config;
    nlohmann::json cj;
    cj["file"] = c.file;
    cj["valid"] = c.valid;
    cj["problems"] = c.problems;
    if (c.valid) {
      cj["mode"] = c.threshold_mode ? "threshold" : "centralized";
      if (c.threshold_mode) {
        cj["my_id"] = c.my_id;
        cj["num_parties"] = c.num_parties;
        cj["threshold"] = c.threshold;
        cj["threshold_required"] = c.threshold + 1;
        cj["healthy_at"] = 2 * c.num_parties / 3 + 1;
        cj["peers"] = c.peers;
      }
    }
    j["configuration"] = cj;
  }
  if (report.live.has_value()) {
    const LiveSection& live = *report.live;
    nlohmann::json conn;
    conn["endpoint"] = live.endpoint;
    conn["transport"] = live.transport;
    conn["reachable"] = live.reachable;
    if (!live.reachable) conn["error"] = live.connect_error;
    if (live.reachable) conn["connect_ms"] = live.connect_ms;
    if (live.health.has_value()) {
      conn["health_status_ms"] = live.health_ms;
      conn["node_type"] = NodeTypeName(live.health->node_type());
      conn["version"] = live.health->version();
      conn["client_port_auth"] = live.health->client_port_auth();
      conn["ciphertext_admission"] = live.health->ciphertext_admission();
    } else if (live.reachable) {
      conn["health_status_error"] = live.health_error;
    }
    j["connectivity"] = conn;
    if (live.health.has_value()) {
      const v1::HealthStatusResponse& h = *live.health;
      j["key_material"] = {{"fhe_key_ids", JsonList(h.my_fhe_key_ids())},
                           {"insecure_fhe_key_ids", JsonList(h.my_insecure_fhe_key_ids())},
                           {"crs_ids", JsonList(h.my_crs_ids())},
                           {"preprocessing_ids", JsonList(h.my_preprocessing_key_ids())},
                           {"epoch_ids", JsonList(h.my_epoch_ids())},
                           {"storage", h.my_storage_info()}};
      nlohmann::json contexts = nlohmann::json::array();
      for (const auto& ctx : h.peers_from_all_contexts()) {
        nlohmann::json peers = nlohmann::json::array();
        for (const auto& peer : ctx.peers()) {
          peers.push_back({{"peer_id", peer.peer_id()},
                           {"endpoint", peer.endpoint()},
                           {"reachable", peer.reachable()},
                           {"latency_ms", peer.latency_ms()},
                           {"error", peer.error()}});
        }
        contexts.push_back({{"context_id", ctx.context_id()},
                            {"my_party_id", ctx.my_party_id()},
                            {"num_parties", ctx.num_parties()},
                            {"threshold", ctx.threshold()},
                            {"threshold_required", ctx.threshold_required()},
                            {"nodes_reachable", ctx.nodes_reachable()},
                            {"status", HealthStatusName(ctx.status())},
                            {"peers", peers}});
      }
      j["contexts"] = contexts;
    }
    if (live.operator_key.has_value()) {
      const v1::OperatorPublicKeyResponse& k = *live.operator_key;
      j["operator_key"] = {{"party_id", k.party_id()},
                           {"address", k.address()},
                           {"public_key", ToHex(AsBytes(k.public_key()))},
                           {"attestation_bytes", k.attestation_document().size()}};
    } else if (live.reachable) {
      j["operator_key"] = {{"error", live.operator_key_error}};
    }
  }
  j["recommendations"] = Recommendations(report);
  return j.dump(2);
}

}  // namespace kms::client
