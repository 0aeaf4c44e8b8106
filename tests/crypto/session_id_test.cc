#include "crypto/session_id.h"

#include <gtest/gtest.h>

namespace kms::crypto {
namespace {

TEST(SessionIdTest, KnownAnswerVector) {
  // crypto-spec B §3: SessionId::new(bincode(b"known-answer-test-vector")).
  SessionId sid = SessionIdFromBytes(AsBytes("known-answer-test-vector"));
  EXPECT_EQ(SessionIdToString(sid), "144183619070594751274649460517890251705");
}

TEST(SessionIdTest, DerivationDependsOnRequestAndCounter) {
  RequestId a{}, b{};
  b[31] = 1;
  EXPECT_NE(DeriveSessionId(a, 0), DeriveSessionId(a, 1));
  EXPECT_NE(DeriveSessionId(a, 0), DeriveSessionId(b, 0));
  EXPECT_EQ(DeriveSessionId(b, 2), DeriveSessionId(b, 2));
}

}  // namespace
}  // namespace kms::crypto
