#include "service/central_key_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/random.h"

namespace kms::service {
namespace {

using ::testing::HasSubstr;

TEST(CentralKeyRecordTest, RoundTrip) {
  crypto::AesCtrRng rng;
  CentralKeyRecord record{lwe::SecretKey::Generate(lwe::TestParameters(), rng), {}, true};
  record.public_key_digest.fill(0xab);
  auto bytes = SerializeCentralKeyRecord(record);
  ASSERT_TRUE(bytes.ok());
  auto back = ParseCentralKeyRecord(bytes->span());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->insecure);
  EXPECT_EQ(back->public_key_digest, record.public_key_digest);
  EXPECT_EQ(&back->secret_key.params(), &lwe::TestParameters());
  EXPECT_TRUE(std::equal(back->secret_key.bits().begin(), back->secret_key.bits().end(),
                         record.secret_key.bits().begin()));
}

TEST(CentralKeyRecordTest, EveryDamageIsDataLoss) {
  crypto::AesCtrRng rng;
  CentralKeyRecord record{lwe::SecretKey::Generate(lwe::TestParameters(), rng), {}, false};
  auto bytes = SerializeCentralKeyRecord(record);
  ASSERT_TRUE(bytes.ok());
  const Bytes good(bytes->span().begin(), bytes->span().end());
  auto parse = [](const Bytes& b) { return ParseCentralKeyRecord(b).status(); };

  Bytes truncated(good.begin(), good.begin() + 20);
  EXPECT_THAT(parse(truncated).message(), HasSubstr("shorter than its"));
  Bytes magic = good;
  magic[0] = 'X';
  EXPECT_THAT(parse(magic).message(), HasSubstr("bad magic"));
  Bytes flag = good;
  flag[8] = 2;
  EXPECT_THAT(parse(flag).message(), HasSubstr("insecure flag is 2"));
  Bytes length = good;
  length.push_back(0);
  EXPECT_THAT(parse(length).message(), HasSubstr("length field"));
  Bytes inner = good;
  inner[49] ^= 0xff;  // inside the secret key encoding
  EXPECT_EQ(parse(inner).code(), absl::StatusCode::kDataLoss);
  for (const Bytes& b : {truncated, magic, flag, length, inner}) {
    EXPECT_EQ(parse(b).code(), absl::StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace kms::service
