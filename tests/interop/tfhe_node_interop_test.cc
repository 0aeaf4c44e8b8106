// Our tfhe layer against the real node-tfhe, 1.4.0-alpha.3 (kms v0.12.8, relayer-sdk 0.4.x) and
// 1.7.0, run live under node (tests/interop/node/tfhe_interop.js), for the kms-test and
// kms-default profiles:
//   (a) node-tfhe loads our ClientKey and CompactPublicKey (safe_deserialize, and the CPK with
//       safe_deserialize_conformant), encrypts under our CPK into CompactCiphertextLists
//       (build() and build_packed()), and we decrypt them with the CPK secret;
//   (b) we encrypt FheUint64 / FheBool with our ClientKey, node-tfhe decrypts them;
//   (c) node-tfhe makes a fresh ClientKey, ciphertexts and a list at run time, we decrypt them
//       (a 1.7 ClientKey is IntegerClientKey V8 with an OPRF key: read, re-serialized to
//       itself and converted to the 1.4 form).
// The program exits 77 (CTest: Skipped) when node or the packages are missing.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>

#include "crypto/random.h"
#include "node_runner.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/conformance.h"
#include "tfhe/key_generation.h"
#include "tfhe/mask_regeneration.h"

namespace kms::tfhe {
namespace {

using ::kms::testing::RunNodeTfhe;

struct Case {
  std::string version;  // "14" or "17"
  std::string profile;  // "kms-test" or "kms-default"
};

std::string Hex64(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

Bytes ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::filesystem::path& p, ByteSpan data) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

class TfheNodeInterop : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kms-tfhe-interop-" + std::to_string(::getpid()) + "-" + GetParam().version + "-" +
            GetParam().profile);
    std::filesystem::create_directories(dir_);
    params_ = GetParam().profile == "kms-test" ? KmsTestKeyParameters() : KmsDefaultKeyParameters();
    auto ck = GenerateClientKey(params_, rng_);
    ASSERT_TRUE(ck.ok()) << ck.status();
    ck_ = std::move(*ck);
    auto cpk = GenerateCompactPublicKey(ck_, rng_);
    ASSERT_TRUE(cpk.ok()) << cpk.status();
    auto ck_bytes = SerializeClientKey(ck_);
    auto cpk_bytes = SerializeCompactPublicKey(*cpk);
    ASSERT_TRUE(ck_bytes.ok() && cpk_bytes.ok());
    WriteFile(Path("ck.bin"), ck_bytes->span());
    WriteFile(Path("cpk.bin"), *cpk_bytes);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  testing::NodeResult Node(const std::string& args) {
    return RunNodeTfhe(GetParam().version, GetParam().profile, args);
  }

  std::filesystem::path dir_;
  crypto::AesCtrRng rng_;
  KeyParameters params_;
  ClientKey ck_;
};

INSTANTIATE_TEST_SUITE_P(Versions, TfheNodeInterop,
                         ::testing::Values(Case{"14", "kms-test"}, Case{"14", "kms-default"},
                                           Case{"17", "kms-test"}, Case{"17", "kms-default"}),
                         [](const auto& info) {
                           std::string p =
                               info.param.profile == "kms-test" ? "KmsTest" : "KmsDefault";
                           return "NodeTfhe" + info.param.version + "_" + p;
                         });

TEST_P(TfheNodeInterop, LoadsOurKeys) {
  auto r = Node("load-keys '" + Path("ck.bin") + "' '" + Path("cpk.bin") + "'");
  ASSERT_TRUE(r.ok) << r.output;
  // 1.4 re-serializes our keys byte-identically; 1.7 writes its own tags (IntegerClientKey V8,
  // expansion kind 1), so only loading is checked there.
  if (GetParam().version == "14") {
    EXPECT_EQ(r.values["ck_same"], "1") << r.output;
    EXPECT_EQ(r.values["cpk_same"], "1") << r.output;
    EXPECT_EQ(r.values["cpk_conformant_same"], "1") << r.output;
  } else {
    EXPECT_EQ(r.values.count("cpk_conformant_same"), 1u) << r.output;
  }
}

TEST_P(TfheNodeInterop, EncryptsUnderOurCompactPublicKeyAndWeDecrypt) {
  const uint64_t u64 = 0x0123456789abcdefULL ^ rng_.Uniform<uint64_t>();
  const uint64_t u8 = rng_.Uniform<uint64_t>() & 0xff;
  auto r = Node("encrypt-list '" + Path("cpk.bin") + "' '" + Path("list") + "' 1 " +
                std::to_string(u8) + " " + std::to_string(u64));
  ASSERT_TRUE(r.ok) << r.output;
  std::vector<uint64_t> blocks = {1};  // bool, u8 (4 blocks), u64 (32 blocks), 2 bits each
  for (int i = 0; i < 4; ++i) blocks.push_back((u8 >> (2 * i)) & 3);
  for (int i = 0; i < 32; ++i) blocks.push_back((u64 >> (2 * i)) & 3);
  for (bool packed : {false, true}) {
    SCOPED_TRACE(packed ? "build_packed" : "build");
    auto list =
        ParseCompactCiphertextList(ReadFile(Path(packed ? "list.packed.bin" : "list.build.bin")));
    ASSERT_TRUE(list.ok()) << list.status();
    EXPECT_EQ(list->expansion_kind.version, GetParam().version == "14" ? 0u : 1u);
    EXPECT_TRUE(CheckConformance(*list, params_.compact_public_key).ok());
    ASSERT_EQ(list->info.size(), 3u);
    EXPECT_EQ(list->is_packed(), packed);
    auto values = DecryptCompactList(ck_, *list);
    ASSERT_TRUE(values.ok()) << values.status();
    ASSERT_EQ(values->size(), packed ? 19u : 37u);
    for (size_t i = 0; i < values->size(); ++i) {
      const uint64_t expected =
          packed ? blocks[2 * i] + 4 * (2 * i + 1 < blocks.size() ? blocks[2 * i + 1] : 0)
                 : blocks[i];
      ASSERT_EQ((*values)[i], expected) << "LWE " << i;
    }
  }
}

TEST_P(TfheNodeInterop, DecryptsOurClientKeyCiphertexts) {
  const uint64_t value = rng_.Uniform<uint64_t>();
  for (bool b : {true, false}) {
    auto u64 = EncryptFheUint(ck_, value, 32, rng_);
    auto fb = EncryptFheBool(ck_, b, rng_);
    ASSERT_TRUE(u64.ok() && fb.ok());
    auto u64_bytes = SerializeFheUint(*u64);
    auto fb_bytes = SerializeFheBool(*fb);
    ASSERT_TRUE(u64_bytes.ok() && fb_bytes.ok());
    WriteFile(Path("u64.bin"), *u64_bytes);
    WriteFile(Path("bool.bin"), *fb_bytes);
    auto r = Node("decrypt '" + Path("ck.bin") + "' '" + Path("u64.bin") + "' '" +
                  Path("bool.bin") + "'");
    ASSERT_TRUE(r.ok) << r.output;
    EXPECT_EQ(r.values["u64"], Hex64(value)) << r.output;
    EXPECT_EQ(r.values["bool"], b ? "1" : "0") << r.output;
  }
}

TEST_P(TfheNodeInterop, WeDecryptWhatAFreshNodeKeyEncrypts) {
  const uint64_t value = rng_.Uniform<uint64_t>();
  auto r = Node("generate '" + Path("fresh") + "' " + std::to_string(value) + " 1");
  ASSERT_TRUE(r.ok) << r.output;
  // FheUint64 / FheBool are the same bytes in 1.4 and 1.7: parse them either way.
  auto u64 = ParseFheUint(ReadFile(Path("fresh.FheUint64.bin")));
  auto fb = ParseFheBool(ReadFile(Path("fresh.FheBool.bin")));
  ASSERT_TRUE(u64.ok()) << u64.status();
  ASSERT_TRUE(fb.ok()) << fb.status();
  auto list = ParseCompactCiphertextList(ReadFile(Path("fresh.list.bin")));
  ASSERT_TRUE(list.ok()) << list.status();
  auto cpk = ParseCompactPublicKey(ReadFile(Path("fresh.CompactPublicKey.bin")));
  ASSERT_TRUE(cpk.ok()) << cpk.status();
  EXPECT_TRUE(CheckConformance(cpk->parameters, params_.compact_public_key).ok());
  // The compressed CPK (1.4: CompressionSeed V0, masks from byte 1; 1.7: V1 with first index
  // (0, 0)) re-serializes to node's bytes and decompresses to node's decompress().
  const Bytes ccpk_bytes = ReadFile(Path("fresh.CompressedCompactPublicKey.bin"));
  auto ccpk = ParseCompressedCompactPublicKey(ccpk_bytes);
  ASSERT_TRUE(ccpk.ok()) << ccpk.status();
  EXPECT_EQ(
      ccpk->key.seeded_glwe_ciphertext.compression_seed.version,
      GetParam().version == "17" ? CompressionSeed::Version::kV1 : CompressionSeed::Version::kV0);
  auto ccpk_again = SerializeCompressedCompactPublicKey(*ccpk);
  ASSERT_TRUE(ccpk_again.ok()) << ccpk_again.status();
  EXPECT_EQ(*ccpk_again, ccpk_bytes);
  auto decompressed = DecompressCompactPublicKey(*ccpk);
  ASSERT_TRUE(decompressed.ok()) << decompressed.status();
  auto decompressed_bytes = SerializeCompactPublicKey(*decompressed);
  ASSERT_TRUE(decompressed_bytes.ok()) << decompressed_bytes.status();
  EXPECT_EQ(*decompressed_bytes, ReadFile(Path("fresh.CompactPublicKey.from_compressed.bin")));
  const Bytes ck_bytes = ReadFile(Path("fresh.ClientKey.bin"));
  auto ck = ParseClientKey(ck_bytes);
  ASSERT_TRUE(ck.ok()) << ck.status();
  // 1.7 writes IntegerClientKey V8 (with its OPRF key); we read it, re-serialize it to the same
  // bytes, and convert it to the 1.4 form we write.
  EXPECT_EQ(ck->format,
            GetParam().version == "17" ? ClientKey::Format::kTfhe17 : ClientKey::Format::kTfhe14);
  auto again = SerializeClientKey(*ck);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(
      std::equal(ck_bytes.begin(), ck_bytes.end(), again->span().begin(), again->span().end()));
  if (GetParam().version == "17") {
    EXPECT_TRUE(ck->dedicated_oprf_private_key.has_value());
    auto as14 = ToTfhe14Format(*ck);
    ASSERT_TRUE(as14.ok()) << as14.status();
    EXPECT_TRUE(SerializeClientKey(*as14).ok());
  }
  EXPECT_TRUE(CheckConformance(*u64, ck->parameters, 32).ok());
  auto got = DecryptFheUint(*ck, *u64);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(static_cast<uint64_t>(*got), value);
  auto got_bool = DecryptFheBool(*ck, *fb);
  ASSERT_TRUE(got_bool.ok());
  EXPECT_TRUE(*got_bool);
  auto blocks = DecryptCompactList(*ck, *list);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ASSERT_EQ(blocks->size(), 32u);
  for (size_t i = 0; i < 32; ++i) ASSERT_EQ((*blocks)[i], (value >> (2 * i)) & 3) << i;
}

}  // namespace
}  // namespace kms::tfhe

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (const std::string missing = kms::testing::NodeTfheMissing(); !missing.empty()) {
    std::cout << "SKIPPED: node-tfhe interop tests: " << missing << "\n";
    return kms::testing::kSkipReturnCode;
  }
  return RUN_ALL_TESTS();
}
