// tfhe-rs 1.7.0 ClientKeys (IntegerClientKey V8, tfhe/client_key.h): the 1.7 form of a key
// round-trips and differs from the 1.4 form exactly by the 1.7 fields; ToTfhe14Format converts
// back. Keys node-tfhe 1.7.0 writes are checked in tests/interop (tfhe_node_interop_test).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "testing/seeded_rng.h"
#include "tfhe/client_key.h"
#include "tfhe/golden_files.h"
#include "tfhe/key_generation.h"

namespace kms::tfhe {
namespace {

using ::testing::HasSubstr;

Bytes Serialize(const ClientKey& key) {
  auto s = SerializeClientKey(key);
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return {};
  return Bytes(s->span().begin(), s->span().end());
}

uint32_t IntegerClientKeyTag(const Bytes& b) {
  uint32_t v;
  std::memcpy(&v, b.data() + 34 + 25 + 4, 4);  // header, ClientKey tag, then IntegerClientKey
  return v;
}

TEST(ClientKey17, TheFullSyntheticKeyInBothForms) {
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  auto bytes14 = testing::ReadGolden("synthetic.ClientKey.kms-test-full.bin");
  ASSERT_TRUE(bytes14.has_value());
  auto key = ParseClientKey(*bytes14);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->format, ClientKey::Format::kTfhe14);
  EXPECT_EQ(IntegerClientKeyTag(*bytes14), 6u);
  ClientKey k17 = *key;
  k17.format = ClientKey::Format::kTfhe17;
  const Bytes bytes17 = Serialize(k17);
  EXPECT_EQ(IntegerClientKeyTag(bytes17), 8u);
  // + 8 (CompressionParameters V1 and the Classic variant), + 8 (ReRandomizationParameters V0 and
  // the LegacyDedicatedCPKWithKeySwitch variant), + 1 (no OPRF key).
  EXPECT_EQ(bytes17.size(), bytes14->size() + 17);
  auto parsed17 = ParseClientKey(bytes17);
  ASSERT_TRUE(parsed17.ok()) << parsed17.status();
  EXPECT_EQ(*parsed17, k17);
  EXPECT_EQ(Serialize(*parsed17), bytes17);
  auto back = ToTfhe14Format(*parsed17);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(Serialize(*back), *bytes14);
}

TEST(ClientKey17, OprfKeyAndDerivedReRandomization) {
  kms::testing::SeededRng rng(5);
  auto key = GenerateClientKey(KmsTestKeyParameters(), rng);
  ASSERT_TRUE(key.ok());
  ClientKey k17 = *key;
  k17.format = ClientKey::Format::kTfhe17;
  k17.dedicated_oprf_private_key.emplace();
  k17.dedicated_oprf_private_key->data = {1};  // n = 1 in the test profile
  k17.cpk_re_randomization_derived_cpk = true;
  const Bytes bytes = Serialize(k17);
  auto parsed = ParseClientKey(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, k17);
  // The 1.4 form has no field for them.
  ClientKey as14 = k17;
  as14.format = ClientKey::Format::kTfhe14;
  EXPECT_THAT(std::string(SerializeClientKey(as14).status().message()),
              HasSubstr("exist only in tfhe-rs 1.7"));
  EXPECT_FALSE(ToTfhe14Format(k17).ok());
  k17.cpk_re_randomization_derived_cpk = false;
  auto converted = ToTfhe14Format(k17);
  ASSERT_TRUE(converted.ok());
  EXPECT_FALSE(converted->dedicated_oprf_private_key.has_value());
  EXPECT_EQ(Serialize(*converted), Serialize(*key));
  // A wrong OPRF key length is refused.
  k17.dedicated_oprf_private_key->data = {1, 0};
  EXPECT_THAT(std::string(SerializeClientKey(k17).status().message()),
              HasSubstr("dedicated_oprf_private_key"));
}

TEST(ClientKey17, OtherTagsAreRefused) {
  kms::testing::SeededRng rng(6);
  const Bytes bytes = Serialize(*GenerateClientKey(KmsTestKeyParameters(), rng));
  for (uint32_t tag : {5u, 7u, 9u}) {
    Bytes mutated = bytes;
    std::memcpy(mutated.data() + 34 + 25 + 4, &tag, 4);
    auto parsed = ParseClientKey(mutated);
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr("unknown version tag " + std::to_string(tag) +
                          ", expected 6 (tfhe-rs 1.4) or 8 (1.7)"));
  }
}

}  // namespace
}  // namespace kms::tfhe
