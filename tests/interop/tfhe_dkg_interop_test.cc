// The keyset of the threshold DKG (mpc/tfhe_dkg.h: 4 parties, test parameters, the harness of
// tests/mpc/tfhe_dkg_fixture.h) against the real node-tfhe, 1.4.0-alpha.3 and 1.7.0, run live
// under node (tests/interop/node/tfhe_interop.js):
//   1. node-tfhe safe_deserializes the DKG's CompactPublicKey, also with
//      safe_deserialize_conformant (1.4 re-serializes it byte-identically), and the ClientKey
//      reconstructed from the parties' shares (a test-only view of the secrets);
//   2. node-tfhe encrypts two u8 under the DKG's CPK into one build() list; we expand them with
//      the DKG's casting key, add them, and the sum decrypts on every path with the
//      reconstructed secrets (tests/tfhe/keyset_fixture.h) and, squashed and compressed
//      (BigCompressed) or as it is (SmallExpanded), by the four parties with their own key
//      shares through TfhePublicDecrypt and TfheUserDecryptionShares.
// The program exits 77 (CTest: Skipped) when node or the packages are missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "crypto/random.h"
#include "mpc/tfhe_dkg_fixture.h"
#include "node_runner.h"

namespace kms::mpc {
namespace {

using namespace dkg_testing;  // NOLINT: the fixture's helpers

Bytes ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::filesystem::path& p, ByteSpan data) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

class TfheDkgInterop : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kms-tfhe-dkg-" + std::to_string(::getpid()) + "-" + GetParam());
    std::filesystem::create_directories(dir_);
    const DkgRun& run = HonestRun(4);
    ASSERT_TRUE(run.results[0].value.ok()) << run.results[0].value.status();
    auto ck = tfhe::SerializeClientKey(Reconstruct(run, {1, 2, 3, 4}));
    auto cpk = tfhe::SerializeCompactPublicKey(run.results[0].value->public_key);
    ASSERT_TRUE(ck.ok() && cpk.ok());
    WriteFile(Path("ck.bin"), ck->span());
    WriteFile(Path("cpk.bin"), *cpk);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  ::kms::testing::NodeResult Node(const std::string& args) {
    return ::kms::testing::RunNodeTfhe(GetParam(), "kms-test", args);
  }

  std::filesystem::path dir_;
  crypto::AesCtrRng rng_;
};

INSTANTIATE_TEST_SUITE_P(Versions, TfheDkgInterop, ::testing::Values("14", "17"),
                         [](const auto& info) { return "NodeTfhe" + info.param; });

TEST_P(TfheDkgInterop, NodeLoadsTheDkgCompactPublicKeyConformantly) {
  auto r = Node("load-keys '" + Path("ck.bin") + "' '" + Path("cpk.bin") + "'");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(r.values.count("cpk_conformant_same"), 1u) << r.output;
  if (GetParam() == "14") {  // 1.7 writes its own tags (IntegerClientKey V8, expansion kind 1)
    EXPECT_EQ(r.values["ck_same"], "1") << r.output;
    EXPECT_EQ(r.values["cpk_same"], "1") << r.output;
    EXPECT_EQ(r.values["cpk_conformant_same"], "1") << r.output;
  }
}

TEST_P(TfheDkgInterop, NodeEncryptsThePartiesDecryptTheSum) {
  const uint64_t x = rng_.Uniform<uint64_t>() & 0xff, y = rng_.Uniform<uint64_t>() & 0xff;
  auto r = Node("encrypt-u8-pair '" + Path("cpk.bin") + "' '" + Path("pair.bin") + "' " +
                std::to_string(x) + " " + std::to_string(y));
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(r.values["len"], "2") << r.output;
  auto list = tfhe::ParseCompactCiphertextList(ReadFile(Path("pair.bin")));
  ASSERT_TRUE(list.ok()) << list.status();
  SCOPED_TRACE("x = " + std::to_string(x) + ", y = " + std::to_string(y));
  const DkgRun& run = HonestRun(4);
  auto keys = tfhe::LoadPublishedServerKey(run.results[0].value->server_key);
  ASSERT_TRUE(keys.ok()) << keys.status();
  tfhe::testing::CheckSumPath(Reconstruct(run, {1, 2, 3, 4}), *keys, *list, 8, (x + y) & 0xff);
  auto expanded = tfhe::ExpandCompactList(keys->server_key, *keys->casting_key, *list);
  ASSERT_TRUE(expanded.ok()) << expanded.status();
  auto a = expanded->GetFheUint(0, 4);
  auto b = expanded->GetFheUint(1, 4);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << " " << b.status();
  auto sum = tfhe::AddFheUint(keys->server_key, *a, *b);
  ASSERT_TRUE(sum.ok()) << sum.status();
  ExpectThresholdDecryption(run, *keys, SumCase{x, y, *sum});
}

}  // namespace
}  // namespace kms::mpc

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (const std::string missing = kms::testing::NodeTfheMissing(); !missing.empty()) {
    std::cout << "SKIPPED: node-tfhe DKG interop tests: " << missing << "\n";
    return kms::testing::kSkipReturnCode;
  }
  return RUN_ALL_TESTS();
}
