#include "client/health_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kms::client {
namespace {

TEST(StatusForCounts, ThirteenParties) {
  // Decryption quorum n - t = 9 (common/cluster_health.h).
  EXPECT_EQ(StatusForCounts(13, 4, 13), v1::HEALTH_STATUS_OPTIMAL);
  for (uint32_t r : {10u, 11u, 12u})
    EXPECT_EQ(StatusForCounts(13, 4, r), v1::HEALTH_STATUS_HEALTHY);
  EXPECT_EQ(StatusForCounts(13, 4, 9), v1::HEALTH_STATUS_DEGRADED);
  for (uint32_t r : {0u, 1u, 5u, 8u})
    EXPECT_EQ(StatusForCounts(13, 4, r), v1::HEALTH_STATUS_UNHEALTHY);
}

TEST(StatusForCounts, FourParties) {
  EXPECT_EQ(StatusForCounts(4, 1, 4), v1::HEALTH_STATUS_OPTIMAL);
  EXPECT_EQ(StatusForCounts(4, 1, 3), v1::HEALTH_STATUS_DEGRADED);
  EXPECT_EQ(StatusForCounts(4, 1, 2), v1::HEALTH_STATUS_UNHEALTHY);
}

TEST(ExitCodeFor, MapsEveryStatus) {
  EXPECT_EQ(ExitCodeFor(OverallStatus::kOptimal), 0);
  EXPECT_EQ(ExitCodeFor(OverallStatus::kHealthy), 0);
  EXPECT_EQ(ExitCodeFor(OverallStatus::kConfigValid), 0);
  EXPECT_EQ(ExitCodeFor(OverallStatus::kDegraded), 1);
  EXPECT_EQ(ExitCodeFor(OverallStatus::kConfigInvalid), 1);
  EXPECT_EQ(ExitCodeFor(OverallStatus::kUnhealthy), 2);
  EXPECT_EQ(ExitCodeFor(OverallStatus::kUnreachable), 2);
}

v1::HealthStatusResponse ThresholdHealth(uint32_t n, uint32_t t, uint32_t reachable,
                                         v1::HealthStatus status) {
  v1::HealthStatusResponse h;
  h.set_node_type(v1::NODE_TYPE_THRESHOLD);
  h.set_status(status);
  h.add_my_fhe_key_ids("aa11");
  h.add_my_epoch_ids("0001");
  h.set_my_storage_info("file ./keys PUB-p1");
  v1::ContextHealth* ctx = h.add_peers_from_all_contexts();
  ctx->set_context_id("ctx");
  ctx->set_my_party_id(1);
  ctx->set_num_parties(n);
  ctx->set_threshold(t);
  ctx->set_threshold_required(t + 1);
  ctx->set_nodes_reachable(reachable);
  ctx->set_status(status);
  for (uint32_t i = 2; i <= n; ++i) {
    v1::PeerHealth* p = ctx->add_peers();
    p->set_peer_id(i);
    p->set_endpoint("127.0.0.1:5000" + std::to_string(i));
    p->set_reachable(i <= reachable);
    p->set_latency_ms(i <= reachable ? 1 : 0);
    if (i > reachable) p->set_error("connection refused");
  }
  return h;
}

HealthReport LiveReport(v1::HealthStatusResponse h) {
  HealthReport r;
  r.live.emplace();
  r.live->endpoint = "localhost:50100";
  r.live->reachable = true;
  r.live->health = std::move(h);
  r.live->operator_key.emplace();
  r.live->operator_key->set_party_id(1);
  r.live->operator_key->set_address("0xabc");
  return r;
}

TEST(Overall, LiveStatusDecides) {
  EXPECT_EQ(Overall(LiveReport(ThresholdHealth(4, 1, 4, v1::HEALTH_STATUS_OPTIMAL))),
            OverallStatus::kOptimal);
  EXPECT_EQ(ExitCode(LiveReport(ThresholdHealth(13, 4, 9, v1::HEALTH_STATUS_DEGRADED))), 1);
  EXPECT_EQ(ExitCode(LiveReport(ThresholdHealth(13, 4, 8, v1::HEALTH_STATUS_UNHEALTHY))), 2);
  // A server that leaves the overall status unset: computed from the context.
  EXPECT_EQ(Overall(LiveReport(ThresholdHealth(13, 4, 10, v1::HEALTH_STATUS_UNSPECIFIED))),
            OverallStatus::kHealthy);
  EXPECT_EQ(Overall(LiveReport(ThresholdHealth(13, 4, 9, v1::HEALTH_STATUS_UNSPECIFIED))),
            OverallStatus::kDegraded);
}

TEST(Overall, UnreachableAndFailedHealth) {
  HealthReport r;
  r.live.emplace();
  r.live->endpoint = "h:1";
  r.live->connect_error = "cannot reach h:1: connection refused";
  EXPECT_EQ(Overall(r), OverallStatus::kUnreachable);
  EXPECT_EQ(ExitCode(r), 2);
  r.live->reachable = true;
  r.live->health_error = "INTERNAL";
  EXPECT_EQ(Overall(r), OverallStatus::kUnhealthy);
}

TEST(Overall, ConfigOnlyAndFull) {
  HealthReport r;
  r.config.emplace();
  r.config->valid = true;
  EXPECT_EQ(Overall(r), OverallStatus::kConfigValid);
  EXPECT_EQ(ExitCode(r), 0);
  r.config->valid = false;
  r.config->problems = {"threshold.my_id: missing"};
  EXPECT_EQ(Overall(r), OverallStatus::kConfigInvalid);
  EXPECT_EQ(ExitCode(r), 1);
  // full: an invalid configuration beside an optimal node is still a failed check.
  HealthReport full = LiveReport(ThresholdHealth(4, 1, 4, v1::HEALTH_STATUS_OPTIMAL));
  full.config = r.config;
  EXPECT_EQ(Overall(full), OverallStatus::kConfigInvalid);
  full.config->valid = true;
  EXPECT_EQ(Overall(full), OverallStatus::kOptimal);
}

TEST(FormatText, HasEverySectionInOrder) {
  HealthReport r = LiveReport(ThresholdHealth(4, 1, 3, v1::HEALTH_STATUS_HEALTHY));
  r.config.emplace();
  r.config->file = "config.toml";
  r.config->valid = true;
  r.config->threshold_mode = true;
  r.config->num_parties = 4;
  r.config->threshold = 1;
  r.config->my_id = 1;
  const std::string text = FormatText(r);
  size_t pos = 0;
  for (const char* section :
       {"[KMS HEALTH CHECK REPORT]", "Overall Status: HEALTHY", "[CONFIGURATION]", "Parties (n): 4",
        "Threshold (t): 1", "Shares to reconstruct (t + 1): 2", "Healthy at (floor(2n/3) + 1): 3",
        "[CORE SERVICE CONNECTIVITY]", "[KEY MATERIAL]", "  - aa11", "[OPERATOR KEY]",
        "[CONTEXT ctx]", "[NODE INFO]", "[PEER STATUS]",
        "Party 4 127.0.0.1:50004: UNREACHABLE (connection refused)", "[RECOMMENDATIONS]"}) {
    const size_t found = text.find(section, pos);
    ASSERT_NE(found, std::string::npos) << section << "\n" << text;
    pos = found;
  }
  EXPECT_NE(text.find("party 4 (127.0.0.1:50004) is unreachable"), std::string::npos) << text;
}

TEST(FormatText, KeyIdsWithinTenLinesOfKeyMaterial) {
  // The guide greps: kms-health-check live ... | grep -A 10 "KEY MATERIAL"
  const std::string text =
      FormatText(LiveReport(ThresholdHealth(4, 1, 4, v1::HEALTH_STATUS_OPTIMAL)));
  const size_t start = text.find("KEY MATERIAL");
  size_t lines = 0;
  for (size_t i = start; i < text.find("aa11"); ++i) lines += text[i] == '\n';
  EXPECT_LE(lines, 10u);
}

TEST(Recommendations, NoPrssAndNoKeys) {
  v1::HealthStatusResponse h = ThresholdHealth(4, 1, 4, v1::HEALTH_STATUS_OPTIMAL);
  h.clear_my_epoch_ids();
  h.clear_my_fhe_key_ids();
  const std::vector<std::string> recs = Recommendations(LiveReport(h));
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_NE(recs[0].find("kms-init --addresses"), std::string::npos);
  EXPECT_NE(recs[1].find("kms-client keygen"), std::string::npos);
  EXPECT_EQ(Recommendations(LiveReport(ThresholdHealth(4, 1, 4, v1::HEALTH_STATUS_OPTIMAL))),
            std::vector<std::string>{"None: everything checked is in order."});
}

// Keys made with the test parameters (or the dealer) are marked insecure in the report.
TEST(FormatText, MarksInsecureKeys) {
  v1::HealthStatusResponse h = ThresholdHealth(4, 1, 4, v1::HEALTH_STATUS_OPTIMAL);
  h.add_my_insecure_fhe_key_ids("aa11");
  const HealthReport r = LiveReport(h);
  const std::string text = FormatText(r);
  EXPECT_NE(text.find("INSECURE FHE Keys (test parameters or dealer) (1):\n  - aa11"),
            std::string::npos)
      << text;
  const std::vector<std::string> recs = Recommendations(r);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_NE(recs[0].find("INSECURE"), std::string::npos) << recs[0];
  const nlohmann::json j = nlohmann::json::parse(FormatJson(r));
  EXPECT_EQ(j["key_material"]["insecure_fhe_key_ids"][0], "aa11");
  // No insecure key: no such line.
  EXPECT_EQ(
      FormatText(LiveReport(ThresholdHealth(4, 1, 4, v1::HEALTH_STATUS_OPTIMAL))).find("INSECURE"),
      std::string::npos);
}

// The admission policy is shown; "open" (anyone who can decrypt can extract the key) gets a
// recommendation.
TEST(FormatText, ShowsTheCiphertextAdmissionPolicy) {
  v1::HealthStatusResponse h = ThresholdHealth(4, 1, 4, v1::HEALTH_STATUS_OPTIMAL);
  h.set_ciphertext_admission("open: INSECURE, any ciphertext is decrypted");
  const HealthReport r = LiveReport(h);
  EXPECT_NE(FormatText(r).find("Ciphertext Admission: open: INSECURE"), std::string::npos)
      << FormatText(r);
  const std::vector<std::string> recs = Recommendations(r);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_NE(recs[0].find("can extract the FHE key"), std::string::npos) << recs[0];
  EXPECT_EQ(nlohmann::json::parse(FormatJson(r))["connectivity"]["ciphertext_admission"],
            "open: INSECURE, any ciphertext is decrypted");
  h.set_ciphertext_admission("trusted-callers: every ciphertext of a caller allowed to decrypt");
  EXPECT_EQ(Recommendations(LiveReport(h)),
            std::vector<std::string>{"None: everything checked is in order."});
}

TEST(FormatJson, IsOneObjectWithTheFields) {
  HealthReport r = LiveReport(ThresholdHealth(13, 4, 8, v1::HEALTH_STATUS_DEGRADED));
  const nlohmann::json j = nlohmann::json::parse(FormatJson(r));
  EXPECT_EQ(j["overall_status"], "DEGRADED");
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["key_material"]["fhe_key_ids"][0], "aa11");
  EXPECT_EQ(j["contexts"][0]["nodes_reachable"], 8);
  EXPECT_EQ(j["contexts"][0]["peers"].size(), 12u);
  EXPECT_EQ(j["operator_key"]["party_id"], 1);
  EXPECT_TRUE(j["recommendations"].is_array());
  EXPECT_TRUE(j["connectivity"]["reachable"]);
}

}  // namespace
}  // namespace kms::client
