// Interoperation of crypto/ml_kem.h with an independent FIPS 203 implementation, run live:
// @noble/post-quantum under node (tests/crypto/ml_kem_kat/interop.mjs), in both directions.
//   - noble encapsulates to our keys, we decapsulate (the direction of user decryption: the
//     reference's wallet-side library makes the key, our server encapsulates, and vice versa for
//     our client);
//   - we encapsulate to noble's keys, noble decapsulates;
//   - a tampered ciphertext gives the same implicit-rejection key on both sides.
// The test is skipped, saying why, when node or the npm packages are missing (scripts/setup.sh
// installs them with `npm ci`); the committed vectors of ml_kem_test.cc run regardless.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "crypto/ml_kem.h"
#include "testing/ml_kem_vectors.h"

#ifndef KMS_ML_KEM_KAT_DIR
#error "KMS_ML_KEM_KAT_DIR must name tests/crypto/ml_kem_kat (tests/crypto/CMakeLists.txt)"
#endif

namespace kms::crypto {
namespace {

using ::kms::testing::HexField;
using ::kms::testing::MlKemRecord;

const std::string kKatDir = KMS_ML_KEM_KAT_DIR;

// Why the interop test cannot run here, or "" if it can.
std::string MissingPrerequisite() {
  if (std::system("command -v node >/dev/null 2>&1") != 0) return "node is not installed";
  // @noble/post-quantum 0.7 declares node >= 20.19 (Debian 12's own nodejs is 18).
  if (std::system("node -e \"const [a, b] = process.versions.node.split('.').map(Number); "
                  "process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)\"") != 0)
    return "node is older than 20.19, which @noble/post-quantum 0.7 needs";
  if (!std::filesystem::exists(kKatDir + "/node_modules/@noble/post-quantum/package.json"))
    return kKatDir + "/node_modules is missing: run `npm ci` there (scripts/setup.sh does)";
  return "";
}

// Runs interop.mjs with `args` and parses its `name = hex` output; a failure fails the test.
MlKemRecord RunNoble(const std::string& args) {
  const std::string command = "node '" + kKatDir + "/interop.mjs' " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return {};
  }
  std::string output;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0) {
    ADD_FAILURE() << "interop.mjs " << args.substr(0, 40) << " failed: " << output;
    return {};
  }
  auto records = ::kms::testing::ParseMlKemRecords(output);
  if (records.size() != 1) {
    ADD_FAILURE() << "unexpected interop.mjs output: " << output.substr(0, 200);
    return {};
  }
  return records[0];
}

class MlKemInteropTest : public ::testing::TestWithParam<MlKemParameters> {
 protected:
  void SetUp() override {
    if (const std::string missing = MissingPrerequisite(); !missing.empty())
      GTEST_SKIP() << "ML-KEM interop with @noble/post-quantum skipped: " << missing;
  }
  const MlKemParameters& params() const { return GetParam(); }
  std::string set() const { return std::string(params().name); }
};

INSTANTIATE_TEST_SUITE_P(ParameterSets, MlKemInteropTest, ::testing::Values(kMlKem512, kMlKem1024),
                         [](const auto& info) {
                           return std::string(info.param.k == 2 ? "MlKem512" : "MlKem1024");
                         });

TEST_P(MlKemInteropTest, NobleEncapsulatesToOurKeys) {
  const MlKem kem(params());
  for (int i = 0; i < 3; ++i) {
    const MlKemKeyPair keys = kem.KeyGen();
    const MlKemRecord noble = RunNoble("encaps " + set() + " " + ToHex(keys.encapsulation_key));
    ASSERT_FALSE(noble.empty());
    auto ss = kem.Decaps(keys.decapsulation_key.span(), HexField(noble, "ct"));
    ASSERT_TRUE(ss.ok()) << ss.status();
    EXPECT_EQ(ToHex(ss->span()), noble.at("ss"));
  }
}

TEST_P(MlKemInteropTest, WeEncapsulateToNoblesKeys) {
  const MlKem kem(params());
  for (int i = 0; i < 3; ++i) {
    const MlKemRecord keys = RunNoble("keygen " + set());
    ASSERT_FALSE(keys.empty());
    ASSERT_TRUE(kem.CheckDecapsulationKey(HexField(keys, "dk")).ok());
    auto enc = kem.Encaps(HexField(keys, "ek"));
    ASSERT_TRUE(enc.ok()) << enc.status();
    const MlKemRecord noble =
        RunNoble("decaps " + set() + " " + keys.at("dk") + " " + ToHex(enc->ciphertext));
    ASSERT_FALSE(noble.empty());
    EXPECT_EQ(noble.at("ss"), ToHex(enc->shared_secret.span()));
  }
}

TEST_P(MlKemInteropTest, TamperedCiphertextIsRejectedAlike) {
  const MlKem kem(params());
  const MlKemKeyPair keys = kem.KeyGen();
  const MlKemRecord noble = RunNoble("encaps " + set() + " " + ToHex(keys.encapsulation_key));
  ASSERT_FALSE(noble.empty());
  Bytes ct = HexField(noble, "ct");
  ct[ct.size() / 3] ^= 0x10;
  auto ours = kem.Decaps(keys.decapsulation_key.span(), ct);
  ASSERT_TRUE(ours.ok()) << ours.status();
  const MlKemRecord theirs =
      RunNoble("decaps " + set() + " " + ToHex(keys.decapsulation_key.span()) + " " + ToHex(ct));
  ASSERT_FALSE(theirs.empty());
  EXPECT_EQ(ToHex(ours->span()), theirs.at("ss"));
  EXPECT_NE(ToHex(ours->span()), noble.at("ss"));
}

}  // namespace
}  // namespace kms::crypto
