// Compact-list expansion and computation on node-tfhe's own keys, run live under node
// (tests/interop/node/tfhe_expand.js), for node-tfhe 1.4.0-alpha.3 and 1.7.0 and the
// kms-test and kms-default JS configurations
// (with_custom_parameters(block).use_dedicated_compact_public_key_parameters(pke)):
//   1. node-tfhe 1.4.0-alpha.3 makes a ClientKey and its CompressedServerKey (once per profile);
//      we parse both, check that the server key conforms with the client key, and regenerate
//      the server key's masks (DecompressServerKey, DecompressCastingKey).
//   2. node-tfhe (1.4 or 1.7) loads that ClientKey, makes its CompactPublicKey, build() and
//      build_packed() lists of [bool, u8, u64], and FheUint8 / FheUint64 / FheBool with the
//      client key. We parse each (1.7's CPK and lists carry its expansion-kind tag 1), check
//      conformance, and decrypt the ciphertexts with the client key.
//   3. We expand both lists with the casting key (key switch to the small key, PBS per block:
//      message / carry extraction, Booleans made 0/1), decrypt the results, apply a lookup
//      table (x ↦ 3 − x per block: bitwise NOT) to node's FheUint8 with KS-PBS, and add node's
//      FheUint8 to the expanded u8 (AddFheUint).
//   4. We serialize the results; node-tfhe safe_deserializes and decrypts them with its client
//      key, to the right values.
// The 1.7 runs use node-tfhe 1.4's keys (node-tfhe 1.7 reads the 1.4 ClientKey), so that they
// check every 1.7 object against the same keys; `v17_kms_test_own_keys` has node-tfhe 1.7 make
// both keys (IntegerClientKey V8, IntegerCompressedServerKey V7 with CompressionSeed V1 and its
// OPRF key) and runs the whole check on them. Both keys re-serialize to node's bytes.
// `NodeExpandsWhatWeEncrypt`: node-tfhe writes the CompactPublicKey of that ClientKey; we
// encrypt [bool, u8, u64] (kms-default: [bool, u8], node's expansion being slow) under it
// with build() and build_packed() (tfhe/compact_encryption.h);
// node-tfhe safe_deserializes both lists, expands them with a server key it makes from the
// ClientKey, and decrypts the three values to ours.
// The program exits 77 (CTest: Skipped) when node or the packages are missing.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include "crypto/random.h"
#include "node_runner.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/compact_encryption.h"
#include "tfhe/conformance.h"
#include "tfhe/expansion.h"
#include "tfhe/server_key.h"

namespace kms::tfhe {
namespace {

using ::kms::testing::RunNodeScript;

struct Case {
  std::string version;              // "14" or "17"
  std::string profile;              // "kms-test" or "kms-default"
  std::string keys_version = "14";  // the node-tfhe that makes the ClientKey and server key
};

std::string Hex(unsigned __int128 v) {
  if (v == 0) return "0x0";
  std::string s;
  while (v != 0) {
    s.insert(s.begin(), "0123456789abcdef"[static_cast<unsigned>(v & 15)]);
    v >>= 4;
  }
  return "0x" + s;
}

Bytes ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::filesystem::path& p, ByteSpan data) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Keys made by node-tfhe 1.4 once per profile, parsed and decompressed once.
struct NodeKeys {
  std::filesystem::path client_key_file;
  ClientKey client_key;
  ServerKey server_key;
  CastingKey casting_key;
};

std::filesystem::path TempDir() {
  static const std::filesystem::path dir = [] {
    auto d =
        std::filesystem::temp_directory_path() / ("kms-tfhe-expand-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Keys made by node-tfhe `version`, parsed and checked once per profile.
const NodeKeys* KeysFor(const std::string& profile, const std::string& version) {
  static std::map<std::string, std::unique_ptr<NodeKeys>> cache;
  const std::string id = version + "." + profile;
  auto& slot = cache[id];
  if (slot) return slot.get();
  const std::string prefix = (TempDir() / (id + ".keys")).string();
  auto t0 = std::chrono::steady_clock::now();
  auto r = RunNodeScript("tfhe_expand.js", version, profile, "keys '" + prefix + "'");
  EXPECT_TRUE(r.ok) << r.output;
  if (!r.ok) return nullptr;
  std::cout << "[ node " << version << " " << profile << " ] ClientKey + CompressedServerKey in "
            << Seconds(t0) << " s\n";
  auto keys = std::make_unique<NodeKeys>();
  keys->client_key_file = prefix + ".ClientKey.bin";
  const Bytes ck_bytes = ReadFile(keys->client_key_file);
  const Bytes csk_bytes = ReadFile(prefix + ".CompressedServerKey.bin");
  auto ck = ParseClientKey(ck_bytes);
  auto csk = ParseCompressedServerKey(csk_bytes);
  EXPECT_TRUE(ck.ok()) << ck.status();
  EXPECT_TRUE(csk.ok()) << csk.status();
  if (!ck.ok() || !csk.ok()) return nullptr;
  const TfheFormat format = version == "17" ? TfheFormat::kTfhe17 : TfheFormat::kTfhe14;
  EXPECT_EQ(ck->format, format);
  EXPECT_EQ(csk->format, format);
  auto ck_again = SerializeClientKey(*ck);
  auto csk_again = SerializeCompressedServerKey(*csk);
  EXPECT_TRUE(ck_again.ok() &&
              Bytes(ck_again->data(), ck_again->data() + ck_again->size()) == ck_bytes)
      << "the ClientKey does not re-serialize to node's bytes";
  EXPECT_TRUE(csk_again.ok() && *csk_again == csk_bytes)
      << "the CompressedServerKey does not re-serialize to node's bytes";
  EXPECT_TRUE(CheckConformance(*csk, *ck).ok());
  t0 = std::chrono::steady_clock::now();
  auto sk = DecompressServerKey(*csk);
  auto cast = DecompressCastingKey(*csk);
  EXPECT_TRUE(sk.ok()) << sk.status();
  EXPECT_TRUE(cast.ok()) << cast.status();
  if (!sk.ok() || !cast.ok()) return nullptr;
  std::cout << "[ C++ " << profile << " ] DecompressServerKey + casting key in " << Seconds(t0)
            << " s\n";
  keys->client_key = std::move(*ck);
  keys->server_key = std::move(*sk);
  keys->casting_key = std::move(*cast);
  slot = std::move(keys);
  return slot.get();
}

class TfheExpandInterop : public ::testing::TestWithParam<Case> {
 protected:
  std::string Path(const std::string& name) const {
    return (TempDir() / (GetParam().version + "." + GetParam().profile + "." + name)).string();
  }
  kms::testing::NodeResult Node(const std::string& args) const {
    return RunNodeScript("tfhe_expand.js", GetParam().version, GetParam().profile, args);
  }
  crypto::AesCtrRng rng_;
};

TEST_P(TfheExpandInterop, ExpandsComputesAndNodeDecrypts) {
  const NodeKeys* keys = KeysFor(GetParam().profile, GetParam().keys_version);
  ASSERT_NE(keys, nullptr);
  const ClientKey& ck = keys->client_key;
  const ServerKey& sk = keys->server_key;
  ASSERT_TRUE(ck.dedicated_compact_private_key.has_value());
  const ClassicPBSParameters& pbs = ck.parameters;
  const CompactPublicKeyEncryptionParameters& pke = ck.dedicated_compact_private_key->parameters;

  // 2. Node encrypts under its CPK and with its client key.
  const uint64_t u8 = rng_.Uniform<uint64_t>() & 0xff;
  const uint64_t u64 = rng_.Uniform<uint64_t>();
  const bool b = (rng_.Uniform<uint64_t>() & 1) != 0;
  auto r = Node("encrypt '" + keys->client_key_file.string() + "' '" + Path("node") + "' " +
                (b ? "1" : "0") + " " + std::to_string(u8) + " " + std::to_string(u64));
  ASSERT_TRUE(r.ok) << r.output;
  auto cpk = ParseCompactPublicKey(ReadFile(Path("node.CompactPublicKey.bin")));
  ASSERT_TRUE(cpk.ok()) << cpk.status();
  EXPECT_TRUE(CheckConformance(cpk->parameters, pke).ok());
  auto build = ParseCompactCiphertextList(ReadFile(Path("node.build.bin")));
  auto packed = ParseCompactCiphertextList(ReadFile(Path("node.packed.bin")));
  ASSERT_TRUE(build.ok()) << build.status();
  ASSERT_TRUE(packed.ok()) << packed.status();
  EXPECT_EQ(build->expansion_kind.version, GetParam().version == "14" ? 0u : 1u);
  EXPECT_TRUE(CheckConformance(*build, pke).ok());
  EXPECT_TRUE(CheckConformance(*packed, pke).ok());
  EXPECT_FALSE(build->is_packed());
  EXPECT_TRUE(packed->is_packed());
  EXPECT_EQ(build->ct_list.lwe_ciphertext_count, 37u);   // 1 + 4 + 32 blocks
  EXPECT_EQ(packed->ct_list.lwe_ciphertext_count, 19u);  // ⌈37 / 2⌉
  auto node_u8 = ParseFheUint(ReadFile(Path("node.FheUint8.bin")));
  auto node_u64 = ParseFheUint(ReadFile(Path("node.FheUint64.bin")));
  auto node_bool = ParseFheBool(ReadFile(Path("node.FheBool.bin")));
  ASSERT_TRUE(node_u8.ok() && node_u64.ok() && node_bool.ok());
  EXPECT_TRUE(CheckConformance(*node_u8, pbs, 4).ok());
  EXPECT_TRUE(CheckConformance(*node_u64, pbs, 32).ok());
  EXPECT_TRUE(CheckConformance(*node_bool, pbs).ok());
  {
    auto v8 = DecryptFheUint(ck, *node_u8);
    auto v64 = DecryptFheUint(ck, *node_u64);
    auto vb = DecryptFheBool(ck, *node_bool);
    ASSERT_TRUE(v8.ok() && v64.ok() && vb.ok());
    EXPECT_EQ(static_cast<uint64_t>(*v8), u8);
    EXPECT_EQ(static_cast<uint64_t>(*v64), u64);
    EXPECT_EQ(*vb, b);
  }

  // 3. Expansion of both lists.
  std::vector<std::string> decrypt_items;
  std::map<std::string, std::string> expected;
  auto emit = [&](const std::string& name, const std::string& type, Bytes bytes,
                  const std::string& value) {
    WriteFile(Path("ours." + name + ".bin"), bytes);
    decrypt_items.push_back("'" + name + ":" + type + ":" + Path("ours." + name + ".bin") + "'");
    expected[name] = value;
  };
  FheUint expanded_u8;
  for (const CompactCiphertextList* list : {&*build, &*packed}) {
    const std::string kind = list->is_packed() ? "packed" : "build";
    SCOPED_TRACE(kind);
    auto t0 = std::chrono::steady_clock::now();
    auto e = ExpandCompactList(sk, keys->casting_key, *list);
    ASSERT_TRUE(e.ok()) << e.status();
    std::cout << "[ C++ " << GetParam().profile << " ] expanded the " << kind << " list ("
              << e->blocks.size() << " blocks) in " << Seconds(t0) << " s\n";
    auto eb = e->GetFheBool(0);
    auto e8 = e->GetFheUint(1, 4);
    auto e64 = e->GetFheUint(2, 32);
    ASSERT_TRUE(eb.ok() && e8.ok() && e64.ok());
    EXPECT_TRUE(CheckConformance(*eb, pbs).ok());
    EXPECT_TRUE(CheckConformance(*e8, pbs, 4).ok());
    EXPECT_TRUE(CheckConformance(*e64, pbs, 32).ok());
    EXPECT_EQ(eb->block.degree, 1u);
    for (const auto& blk : e64->blocks) {
      EXPECT_EQ(blk.degree, 3u);
      EXPECT_EQ(blk.noise_level, 1u);
    }
    // Noise of every expanded block against its cleartext (casting KS + PBS: the PBS's
    // output noise), under the big key; it must leave the decoding margin Δ/2 wide open.
    {
      const uint64_t delta = (uint64_t{1} << 63) / (pbs.message_modulus * pbs.carry_modulus);
      std::vector<uint64_t> clear = {b ? 1u : 0u};
      for (int j = 0; j < 4; ++j) clear.push_back((u8 >> (2 * j)) & 3);
      for (int j = 0; j < 32; ++j) clear.push_back((u64 >> (2 * j)) & 3);
      ASSERT_EQ(e->blocks.size(), clear.size());
      double sum_sq = 0, max_abs = 0;
      for (size_t j = 0; j < clear.size(); ++j) {
        const int64_t err = static_cast<int64_t>(
            LwePhase(e->blocks[j].ct, ck.glwe_secret_key.data) - clear[j] * delta);
        const double a = std::fabs(static_cast<double>(err));
        sum_sq += a * a;
        max_abs = std::max(max_abs, a);
      }
      const double log2_std = 0.5 * std::log2(sum_sq / static_cast<double>(clear.size()));
      std::cout << "[ C++ " << GetParam().profile << " ] " << kind << " expansion noise: std 2^"
                << log2_std << ", max 2^" << std::log2(std::max(max_abs, 1.0)) << " (Δ = 2^"
                << std::log2(static_cast<double>(delta)) << ")\n";
      EXPECT_LT(max_abs, static_cast<double>(delta) / 8);
    }
    auto vb = DecryptFheBool(ck, *eb);
    auto v8 = DecryptFheUint(ck, *e8);
    auto v64 = DecryptFheUint(ck, *e64);
    ASSERT_TRUE(vb.ok() && v8.ok() && v64.ok());
    EXPECT_EQ(*vb, b);
    EXPECT_EQ(static_cast<uint64_t>(*v8), u8);
    EXPECT_EQ(static_cast<uint64_t>(*v64), u64);
    auto sb = SerializeFheBool(*eb);
    auto s8 = SerializeFheUint(*e8);
    auto s64 = SerializeFheUint(*e64);
    ASSERT_TRUE(sb.ok() && s8.ok() && s64.ok());
    emit(kind + "_bool", "FheBool", *sb, b ? "1" : "0");
    emit(kind + "_u8", "FheUint8", *s8, Hex(u8));
    emit(kind + "_u64", "FheUint64", *s64, Hex(u64));
    if (kind == "build") expanded_u8 = std::move(*e8);
  }

  // KS-PBS with a lookup table on node's FheUint8: x ↦ 3 − x per block is the bitwise NOT.
  {
    FheUint inverted = *node_u8;
    const auto lut = GenerateLookupTable(sk, [](uint64_t x) { return (3 - x) & 3; });
    for (auto& blk : inverted.blocks) ASSERT_TRUE(ApplyLookupTable(sk, blk, lut).ok());
    auto v = DecryptFheUint(ck, inverted);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(static_cast<uint64_t>(*v), ~u8 & 0xff);
    auto s = SerializeFheUint(inverted);
    ASSERT_TRUE(s.ok());
    emit("not_u8", "FheUint8", *s, Hex(~u8 & 0xff));
  }
  // Homomorphic addition: node's FheUint8 + the expanded u8.
  {
    auto t0 = std::chrono::steady_clock::now();
    auto sum = AddFheUint(sk, *node_u8, expanded_u8);
    ASSERT_TRUE(sum.ok()) << sum.status();
    std::cout << "[ C++ " << GetParam().profile << " ] AddFheUint (4 blocks) in " << Seconds(t0)
              << " s\n";
    auto v = DecryptFheUint(ck, *sum);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(static_cast<uint64_t>(*v), (2 * u8) & 0xff);
    auto s = SerializeFheUint(*sum);
    ASSERT_TRUE(s.ok());
    emit("sum_u8", "FheUint8", *s, Hex((2 * u8) & 0xff));
  }

  // 4. Node decrypts every result with its client key.
  std::string args = "decrypt '" + keys->client_key_file.string() + "'";
  for (const auto& item : decrypt_items) args += " " + item;
  r = Node(args);
  ASSERT_TRUE(r.ok) << r.output;
  for (const auto& [name, value] : expected) {
    ASSERT_TRUE(r.values.count(name)) << name << "\n" << r.output;
    EXPECT_EQ(r.values[name], value) << name;
  }
}

TEST_P(TfheExpandInterop, NodeExpandsWhatWeEncrypt) {
  const NodeKeys* keys = KeysFor(GetParam().profile, GetParam().keys_version);
  ASSERT_NE(keys, nullptr);
  const ClientKey& ck = keys->client_key;
  auto r = Node("cpk '" + keys->client_key_file.string() + "' '" + Path("node.cpk.bin") + "'");
  ASSERT_TRUE(r.ok) << r.output;
  auto cpk = ParseCompactPublicKey(ReadFile(Path("node.cpk.bin")));
  ASSERT_TRUE(cpk.ok()) << cpk.status();
  EXPECT_TRUE(CheckConformance(cpk->parameters, ck.dedicated_compact_private_key->parameters).ok());

  const uint64_t u8 = rng_.Uniform<uint64_t>() & 0xff;
  const uint64_t u64 = rng_.Uniform<uint64_t>();
  const bool b = (rng_.Uniform<uint64_t>() & 1) != 0;
  // node-tfhe's expansion at kms-default costs ≈ 1 s per block here: [bool, u8] only (5 blocks).
  const bool with_u64 = GetParam().profile == "kms-test";
  CompactListBuilder builder;
  builder.PushBool(b);
  ASSERT_TRUE(builder.PushUint(u8, 8).ok());
  if (with_u64) {
    ASSERT_TRUE(builder.PushUint(u64, 64).ok());
  }
  const std::string kinds = with_u64 ? "bool,u8,u64" : "bool,u8";
  const size_t blocks = with_u64 ? 37 : 5;
  std::string args = "expand '" + keys->client_key_file.string() + "'";
  for (const bool packed : {false, true}) {
    auto t0 = std::chrono::steady_clock::now();
    auto list = packed ? builder.BuildPacked(*cpk, rng_) : builder.Build(*cpk, rng_);
    ASSERT_TRUE(list.ok()) << list.status();
    std::cout << "[ C++ " << GetParam().profile << " ] encrypted the "
              << (packed ? "packed" : "build") << " list in " << Seconds(t0) << " s\n";
    EXPECT_EQ(list->expansion_kind, cpk->parameters.expansion_kind);
    EXPECT_EQ(list->ct_list.lwe_ciphertext_count, packed ? (blocks + 1) / 2 : blocks);
    // Our own check first: the compact secret decrypts every LWE.
    auto plain = DecryptCompactList(ck, *list);
    ASSERT_TRUE(plain.ok()) << plain.status();
    auto bytes = SerializeCompactCiphertextList(*list);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    const std::string name = packed ? "packed" : "build";
    WriteFile(Path("ours." + name + ".list.bin"), *bytes);
    args += " '" + name + ":" + Path("ours." + name + ".list.bin") + ":" + kinds + "'";
  }
  auto t0 = std::chrono::steady_clock::now();
  r = Node(args);
  ASSERT_TRUE(r.ok) << r.output;
  std::cout << "[ node " << GetParam().version << " " << GetParam().profile
            << " ] server key, expansion and decryption of both lists in " << Seconds(t0) << " s\n";
  for (const std::string name : {"build", "packed"}) {
    EXPECT_EQ(r.values[name + "_0"], b ? "1" : "0") << r.output;
    EXPECT_EQ(r.values[name + "_1"], Hex(u8)) << r.output;
    if (with_u64) {
      EXPECT_EQ(r.values[name + "_2"], Hex(u64)) << r.output;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Node, TfheExpandInterop,
                         ::testing::Values(Case{"14", "kms-test"}, Case{"17", "kms-test"},
                                           Case{"14", "kms-default"}, Case{"17", "kms-default"},
                                           Case{"17", "kms-test", "17"}),
                         [](const auto& info) {
                           std::string p = info.param.profile;
                           for (char& c : p) c = c == '-' ? '_' : c;
                           return "v" + info.param.version + "_" + p +
                                  (info.param.keys_version == "14" ? "" : "_own_keys");
                         });

}  // namespace
}  // namespace kms::tfhe

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (const std::string missing = kms::testing::NodeTfheMissing(); !missing.empty()) {
    std::cout << "SKIPPED: node-tfhe expansion interop tests: " << missing << "\n";
    return kms::testing::kSkipReturnCode;
  }
  const int rc = RUN_ALL_TESTS();
  std::error_code ec;
  std::filesystem::remove_all(kms::tfhe::TempDir(), ec);  // the kms-default server key is 30 MB
  return rc;
}
