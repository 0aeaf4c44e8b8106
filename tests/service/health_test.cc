#include "service/health.h"

#include <gtest/gtest.h>

namespace kms::service {
namespace {

TEST(HealthTest, FourPartiesOneFaulty) {
  EXPECT_EQ(HealthFromReachable(4, 1, 4), kms::v1::HEALTH_STATUS_OPTIMAL);
  EXPECT_EQ(HealthFromReachable(4, 1, 3), kms::v1::HEALTH_STATUS_DEGRADED);  // the quorum 2t + 1
  EXPECT_EQ(HealthFromReachable(4, 1, 2), kms::v1::HEALTH_STATUS_UNHEALTHY);
  EXPECT_EQ(HealthFromReachable(4, 1, 1), kms::v1::HEALTH_STATUS_UNHEALTHY);
}

TEST(HealthTest, ThirteenPartiesFourFaulty) {
  // Decryption quorum n - t = 9: healthy 10-12, degraded 9, unhealthy <= 8.
  EXPECT_EQ(HealthFromReachable(13, 4, 13), kms::v1::HEALTH_STATUS_OPTIMAL);
  for (uint32_t r = 10; r <= 12; ++r) {
    EXPECT_EQ(HealthFromReachable(13, 4, r), kms::v1::HEALTH_STATUS_HEALTHY) << r;
  }
  EXPECT_EQ(HealthFromReachable(13, 4, 9), kms::v1::HEALTH_STATUS_DEGRADED);
  for (uint32_t r = 1; r <= 8; ++r) {
    EXPECT_EQ(HealthFromReachable(13, 4, r), kms::v1::HEALTH_STATUS_UNHEALTHY) << r;
  }
}

TEST(HealthTest, HttpStatusAndNames) {
  EXPECT_EQ(HealthHttpStatus(kms::v1::HEALTH_STATUS_OPTIMAL), 200);
  EXPECT_EQ(HealthHttpStatus(kms::v1::HEALTH_STATUS_HEALTHY), 200);
  EXPECT_EQ(HealthHttpStatus(kms::v1::HEALTH_STATUS_DEGRADED), 429);
  EXPECT_EQ(HealthHttpStatus(kms::v1::HEALTH_STATUS_UNHEALTHY), 503);
  EXPECT_STREQ(HealthStatusName(kms::v1::HEALTH_STATUS_DEGRADED), "DEGRADED");
}

}  // namespace
}  // namespace kms::service
