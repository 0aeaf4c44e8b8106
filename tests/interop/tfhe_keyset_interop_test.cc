// The centralized keyset (tfhe/keyset.h) against the real node-tfhe, 1.4.0-alpha.3 and 1.7.0,
// run live under node (tests/interop/node/tfhe_interop.js):
//   1. we generate the whole keyset (ClientKey with every secret, CompactPublicKey,
//      PublishedServerKey) and load the published server key into our computing keys;
//   2. node-tfhe safe_deserializes our ClientKey and CompactPublicKey (the CPK also with
//      safe_deserialize_conformant; 1.4 re-serializes both byte-identically);
//   3. node-tfhe encrypts two u8 under our CPK into one build() list; we expand them with the
//      loaded casting key, add them, and the sum decrypts right on the SmallExpanded,
//      SmallCompressed and switch-and-squash BigCompressed paths
//      (tests/tfhe/keyset_fixture.h).
// kms-test runs with both node versions; kms-default (BC_PARAMS_SNS, the real noise: ≈ 13 s to
// generate, ≈ 16 s to load, a few seconds of PBS and squashing) with node-tfhe 1.4 only, to keep
// the program near half a minute.
// The program exits 77 (CTest: Skipped) when node or the packages are missing.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "crypto/random.h"
#include "node_runner.h"
#include "tfhe/keyset.h"
#include "tfhe/keyset_fixture.h"

namespace kms::tfhe {
namespace {

Bytes ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::filesystem::path& p, ByteSpan data) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

struct Loaded {
  Keyset keyset;
  ComputeKeys keys;
};

struct Case {
  std::string version;  // "14" or "17"
  std::string profile;  // "kms-test" or "kms-default"
};

// One keyset per profile, generated and loaded once.
const Loaded& KeysetFor(const std::string& profile) {
  static std::map<std::string, std::unique_ptr<Loaded>> cache;
  auto& slot = cache[profile];
  if (!slot) {
    crypto::AesCtrRng rng;
    const auto start = std::chrono::steady_clock::now();
    auto ks = GenerateKeyset(
        profile == "kms-test" ? KmsTestKeysetParameters() : KmsDefaultKeysetParameters(), rng);
    EXPECT_TRUE(ks.ok()) << ks.status();
    const auto generated = std::chrono::steady_clock::now();
    auto keys = LoadPublishedServerKey(ks->server_key);
    EXPECT_TRUE(keys.ok()) << keys.status();
    const auto loaded = std::chrono::steady_clock::now();
    std::printf("%s keyset: generated in %.2f s, loaded in %.2f s\n", profile.c_str(),
                std::chrono::duration<double>(generated - start).count(),
                std::chrono::duration<double>(loaded - generated).count());
    slot = std::make_unique<Loaded>(Loaded{std::move(*ks), std::move(*keys)});
  }
  return *slot;
}

class TfheKeysetInterop : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kms-tfhe-keyset-" + std::to_string(::getpid()) + "-" + GetParam().version + "-" +
            GetParam().profile);
    std::filesystem::create_directories(dir_);
    const Keyset& ks = KeysetFor(GetParam().profile).keyset;
    auto ck = SerializeClientKey(ks.client_key);
    auto cpk = SerializeCompactPublicKey(ks.public_key);
    ASSERT_TRUE(ck.ok() && cpk.ok());
    WriteFile(Path("ck.bin"), ck->span());
    WriteFile(Path("cpk.bin"), *cpk);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  ::kms::testing::NodeResult Node(const std::string& args) {
    return ::kms::testing::RunNodeTfhe(GetParam().version, GetParam().profile, args);
  }

  std::filesystem::path dir_;
  crypto::AesCtrRng rng_;
};

INSTANTIATE_TEST_SUITE_P(Versions, TfheKeysetInterop,
                         ::testing::Values(Case{"14", "kms-test"}, Case{"17", "kms-test"},
                                           Case{"14", "kms-default"}),
                         [](const auto& info) {
                           std::string p =
                               info.param.profile == "kms-test" ? "KmsTest" : "KmsDefault";
                           return "NodeTfhe" + info.param.version + "_" + p;
                         });

TEST_P(TfheKeysetInterop, NodeLoadsOurClientKeyAndCompactPublicKey) {
  auto r = Node("load-keys '" + Path("ck.bin") + "' '" + Path("cpk.bin") + "'");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(r.values.count("cpk_conformant_same"), 1u) << r.output;
  if (GetParam().version ==
      "14") {  // 1.7 writes its own tags (IntegerClientKey V8, expansion kind 1)
    EXPECT_EQ(r.values["ck_same"], "1") << r.output;
    EXPECT_EQ(r.values["cpk_same"], "1") << r.output;
    EXPECT_EQ(r.values["cpk_conformant_same"], "1") << r.output;
  }
}

TEST_P(TfheKeysetInterop, NodeEncryptsWeComputeAndDecryptTheSum) {
  const uint64_t x = rng_.Uniform<uint64_t>() & 0xff, y = rng_.Uniform<uint64_t>() & 0xff;
  auto r = Node("encrypt-u8-pair '" + Path("cpk.bin") + "' '" + Path("pair.bin") + "' " +
                std::to_string(x) + " " + std::to_string(y));
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(r.values["len"], "2") << r.output;
  auto list = ParseCompactCiphertextList(ReadFile(Path("pair.bin")));
  ASSERT_TRUE(list.ok()) << list.status();
  SCOPED_TRACE("x = " + std::to_string(x) + ", y = " + std::to_string(y));
  const Loaded& loaded = KeysetFor(GetParam().profile);
  testing::CheckSumPath(loaded.keyset.client_key, loaded.keys, *list, 8, (x + y) & 0xff);
}

}  // namespace
}  // namespace kms::tfhe

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (const std::string missing = kms::testing::NodeTfheMissing(); !missing.empty()) {
    std::cout << "SKIPPED: node-tfhe keyset interop tests: " << missing << "\n";
    return kms::testing::kSkipReturnCode;
  }
  return RUN_ALL_TESTS();
}
