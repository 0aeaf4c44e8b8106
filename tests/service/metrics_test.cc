#include "service/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kms::service {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, ExposesEveryFamilyWithItsLabels) {
  Metrics m("1.2.3");
  m.RecordOperation("PublicDecrypt", 3.5, absl::OkStatus());
  m.RecordOperation("PublicDecrypt", 1.0, absl::InvalidArgumentError("bad"));
  m.SetPeerReachable(2, true);
  m.SetPeerReachable(3, false);
  m.SetRateLimiterUsage(0.25);
  m.SetKeyMaterial("fhe_key", 2);
  int refreshed = 0;
  m.SetRefresh([&] {
    ++refreshed;
    m.SetNetworkTotals(100, 50, 3);
  });
  const std::string text = m.Serialize();
  EXPECT_EQ(refreshed, 1);
  EXPECT_THAT(text, HasSubstr("kms_operations_total{operation=\"PublicDecrypt\"} 2"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "kms_operation_errors_total{error=\"invalid_argument\",operation=\"PublicDecrypt\"} 1"));
  EXPECT_THAT(text, HasSubstr("kms_operation_duration_ms_count{operation=\"PublicDecrypt\"} 2"));
  EXPECT_THAT(text, HasSubstr("kms_peer_reachable{peer=\"2\"} 1"));
  EXPECT_THAT(text, HasSubstr("kms_peer_reachable{peer=\"3\"} 0"));
  EXPECT_THAT(text, HasSubstr("kms_network_rx_bytes_total 100"));
  EXPECT_THAT(text, HasSubstr("kms_network_tx_bytes_total 50"));
  EXPECT_THAT(text, HasSubstr("kms_active_sessions 3"));
  EXPECT_THAT(text, HasSubstr("kms_rate_limiter_usage 0.25"));
  EXPECT_THAT(text, HasSubstr("kms_key_material{type=\"fhe_key\"} 2"));
  EXPECT_THAT(text, HasSubstr("kms_build_info{version=\"1.2.3\"} 1"));
  // Totals only move forward by the difference.
  m.SetRefresh([&] { m.SetNetworkTotals(160, 50, 0); });
  EXPECT_THAT(m.Serialize(), HasSubstr("kms_network_rx_bytes_total 160"));
  EXPECT_EQ(Metrics::ErrorLabel(absl::StatusCode::kResourceExhausted), "resource_exhausted");
}

}  // namespace
}  // namespace kms::service
