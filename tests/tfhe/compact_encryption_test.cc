// Encryption under a CompactPublicKey (tfhe/compact_encryption.h) with the golden node-tfhe
// 1.4.0-alpha.3 keys: lists built under the golden kms-test and kms-default CPKs decrypt with
// the golden ClientKey's compact secret (noise within the CPK encryption's bound), expand with
// the golden CompressedServerKey's casting key into FheUint / FheBool that decrypt with the
// ClientKey, and have the shape node-tfhe writes for the same values (the golden u64 lists:
// sizes, degree, moduli, expansion kind, info, tag, packed flag, serialized length).
// kms-default (≈ 0.1 s per expanded block) expands [bool, u8] only; its u64 is checked by
// direct decryption.
#include "tfhe/compact_encryption.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <map>
#include <memory>

#include "crypto/random.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/conformance.h"
#include "tfhe/expansion.h"
#include "tfhe/golden_files.h"
#include "tfhe/key_generation.h"
#include "tfhe/server_key.h"

namespace kms::tfhe {
namespace {

constexpr uint64_t kU64 = 0x0123456789abcdefULL;
constexpr uint64_t kU8 = 0xab;

struct Golden {
  ClientKey client_key;
  CompactPublicKey cpk;
  CompactCiphertextList u64_build;
  CompactCiphertextList u64_packed;
  Bytes u64_build_bytes;
  Bytes u64_packed_bytes;
  std::optional<ServerKey> server_key;
  std::optional<CastingKey> casting_key;
};

const Golden* LoadGolden(const std::string& prefix, bool with_server_key) {
  static std::map<std::string, std::unique_ptr<Golden>> cache;
  auto& slot = cache[prefix];
  if (!slot) {
    auto ck_bytes = testing::ReadGolden(prefix + ".ClientKey.bin");
    auto cpk_bytes = testing::ReadGolden(prefix + ".CompactPublicKey.bin");
    auto b_bytes = testing::ReadGolden(prefix + ".CompactCiphertextList.u64.bin");
    auto p_bytes = testing::ReadGolden(prefix + ".CompactCiphertextList.u64.packed.bin");
    if (!ck_bytes || !cpk_bytes || !b_bytes || !p_bytes) return nullptr;
    auto ck = ParseClientKey(*ck_bytes);
    auto cpk = ParseCompactPublicKey(*cpk_bytes);
    auto b = ParseCompactCiphertextList(*b_bytes);
    auto p = ParseCompactCiphertextList(*p_bytes);
    EXPECT_TRUE(ck.ok() && cpk.ok() && b.ok() && p.ok());
    if (!ck.ok() || !cpk.ok() || !b.ok() || !p.ok()) return nullptr;
    slot = std::make_unique<Golden>(Golden{std::move(*ck), std::move(*cpk), std::move(*b),
                                           std::move(*p), std::move(*b_bytes), std::move(*p_bytes),
                                           std::nullopt, std::nullopt});
  }
  if (with_server_key && !slot->server_key) {
    auto sk_bytes = testing::ReadGolden(prefix + ".CompressedServerKey.bin");
    if (!sk_bytes) return nullptr;
    auto csk = ParseCompressedServerKey(*sk_bytes);
    EXPECT_TRUE(csk.ok());
    if (!csk.ok()) return nullptr;
    auto sk = DecompressServerKey(*csk);
    auto cast = DecompressCastingKey(*csk);
    EXPECT_TRUE(sk.ok() && cast.ok());
    if (!sk.ok() || !cast.ok()) return nullptr;
    slot->server_key = std::move(*sk);
    slot->casting_key = std::move(*cast);
  }
  return slot.get();
}

// The expected plaintext of every LWE (blocks of 2 bits, paired when packed).
std::vector<uint64_t> ExpectedPlaintexts(const std::vector<uint64_t>& blocks, bool packed) {
  if (!packed) return blocks;
  std::vector<uint64_t> out;
  for (size_t j = 0; j < blocks.size(); j += 2) {
    out.push_back(blocks[j] + 4 * (j + 1 < blocks.size() ? blocks[j + 1] : 0));
  }
  return out;
}

std::vector<uint64_t> Blocks(uint64_t v, size_t n) {
  std::vector<uint64_t> out;
  for (size_t j = 0; j < n; ++j) out.push_back((v >> (2 * j)) & 3);
  return out;
}

// max |phase − Δ·m| over the list's LWEs, as log2.
double MaxNoiseLog2(const ClientKey& ck, const CompactCiphertextList& list,
                    const std::vector<uint64_t>& plaintexts) {
  const auto& s = ck.dedicated_compact_private_key->key.data;
  const uint64_t delta = (uint64_t{1} << 63) / (list.message_modulus * list.carry_modulus);
  uint64_t max_abs = 0;
  for (size_t i = 0; i < list.ct_list.lwe_ciphertext_count; ++i) {
    auto lwe = CompactListLwe(list, i);
    EXPECT_TRUE(lwe.ok());
    if (!lwe.ok()) return 64;
    uint64_t phase = lwe->back();
    for (size_t k = 0; k < s.size(); ++k) phase -= (*lwe)[k] * s[k];
    const int64_t e = static_cast<int64_t>(phase - delta * plaintexts[i]);
    max_abs = std::max<uint64_t>(max_abs, e < 0 ? -static_cast<uint64_t>(e) : e);
  }
  return max_abs == 0 ? 0 : std::log2(static_cast<double>(max_abs));
}

void CheckDecrypts(const Golden& g, const CompactCiphertextList& list,
                   const std::vector<uint64_t>& blocks, double max_noise_log2) {
  const std::vector<uint64_t> want = ExpectedPlaintexts(blocks, list.is_packed());
  auto got = DecryptCompactList(g.client_key, list);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, want);
  const double noise = MaxNoiseLog2(g.client_key, list, want);
  std::printf("  %zu LWEs (packed %d): max |e| = 2^%.1f\n",
              static_cast<size_t>(list.ct_list.lwe_ciphertext_count), list.is_packed(), noise);
  EXPECT_LT(noise, max_noise_log2);
}

// Same shape as node-tfhe's list for the same values.
void ExpectSameShape(const CompactCiphertextList& ours, const CompactCiphertextList& node,
                     const Bytes& node_bytes) {
  EXPECT_EQ(ours.ct_list.data.size(), node.ct_list.data.size());
  EXPECT_EQ(ours.ct_list.lwe_size, node.ct_list.lwe_size);
  EXPECT_EQ(ours.ct_list.lwe_ciphertext_count, node.ct_list.lwe_ciphertext_count);
  EXPECT_EQ(ours.ct_list.modulus, node.ct_list.modulus);
  EXPECT_EQ(ours.degree, node.degree);
  EXPECT_EQ(ours.message_modulus, node.message_modulus);
  EXPECT_EQ(ours.carry_modulus, node.carry_modulus);
  EXPECT_EQ(ours.expansion_kind, node.expansion_kind);
  EXPECT_EQ(ours.info, node.info);
  EXPECT_EQ(ours.tag, node.tag);
  EXPECT_EQ(ours.is_packed(), node.is_packed());
  auto bytes = SerializeCompactCiphertextList(ours);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->size(), node_bytes.size());
  auto back = ParseCompactCiphertextList(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, ours);
}

class CompactEncryption : public ::testing::TestWithParam<std::string> {};

TEST_P(CompactEncryption, U64ListsHaveNodeShapeAndDecrypt) {
  const Golden* g = LoadGolden(GetParam(), false);
  if (g == nullptr) GTEST_SKIP() << "no golden files";
  crypto::AesCtrRng rng;
  CompactListBuilder builder;
  ASSERT_TRUE(builder.PushUint(kU64, 64).ok());
  // kms-test: TUniform(0), n̂ 512 (< 2^6 measured for node); kms-default: TUniform(17),
  // n̂ 2048 (< 2^24 for node). Bounds: |⟨e_cpk, r⟩ + ⟨e1, s⟩ + e2| ≤ (2n̂ + 1)·2^b.
  const double bound = std::log2(2.0 * g->cpk.parameters.encryption_lwe_dimension + 1) +
                       g->cpk.parameters.encryption_noise_distribution.bound_log2;
  auto built = builder.Build(g->cpk, rng);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->degree, 3u);
  ExpectSameShape(*built, g->u64_build, g->u64_build_bytes);
  CheckDecrypts(*g, *built, Blocks(kU64, 32), bound);
  auto packed = builder.BuildPacked(g->cpk, rng);
  ASSERT_TRUE(packed.ok()) << packed.status();
  EXPECT_EQ(packed->degree, 15u);
  EXPECT_EQ(packed->ct_list.lwe_ciphertext_count, 16u);
  ExpectSameShape(*packed, g->u64_packed, g->u64_packed_bytes);
  CheckDecrypts(*g, *packed, Blocks(kU64, 32), bound);
  // Conformance with the CPK parameters, as tfhe-rs's safe_deserialize_conformant.
  EXPECT_TRUE(CheckConformance(*built, g->cpk.parameters).ok());
  EXPECT_TRUE(CheckConformance(*packed, g->cpk.parameters).ok());
}

INSTANTIATE_TEST_SUITE_P(Golden, CompactEncryption, ::testing::Values("kms-test", "kms-default"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s) c = c == '-' ? '_' : c;
                           return s;
                         });

void CheckExpansion(const Golden& g, const CompactCiphertextList& list, bool with_u64) {
  auto e = ExpandCompactList(*g.server_key, *g.casting_key, list);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->size(), with_u64 ? 4u : 3u);
  EXPECT_EQ(e->tag, list.tag);
  auto t = e->GetFheBool(0);
  auto f = e->GetFheBool(1);
  ASSERT_TRUE(t.ok() && f.ok());
  auto tv = DecryptFheBool(g.client_key, *t);
  auto fv = DecryptFheBool(g.client_key, *f);
  ASSERT_TRUE(tv.ok() && fv.ok());
  EXPECT_TRUE(*tv);
  EXPECT_FALSE(*fv);
  auto u8 = e->GetFheUint(2, 4);
  ASSERT_TRUE(u8.ok()) << u8.status();
  auto u8v = DecryptFheUint(g.client_key, *u8);
  ASSERT_TRUE(u8v.ok());
  EXPECT_TRUE(*u8v == kU8);
  if (with_u64) {
    auto u64 = e->GetFheUint(3, 32);
    ASSERT_TRUE(u64.ok()) << u64.status();
    auto u64v = DecryptFheUint(g.client_key, *u64);
    ASSERT_TRUE(u64v.ok());
    EXPECT_TRUE(*u64v == kU64);
  }
}

void BuildAndExpand(const std::string& prefix, bool with_u64) {
  const Golden* g = LoadGolden(prefix, true);
  if (g == nullptr) GTEST_SKIP() << "no golden files";
  crypto::AesCtrRng rng;
  CompactListBuilder builder;
  builder.PushBool(true);
  builder.PushBool(false);
  ASSERT_TRUE(builder.PushUint(kU8, 8).ok());
  if (with_u64) {
    ASSERT_TRUE(builder.PushUint(kU64, 64).ok());
  }
  std::vector<uint64_t> blocks = {1, 0};
  for (uint64_t b : Blocks(kU8, 4)) blocks.push_back(b);
  if (with_u64) {
    for (uint64_t b : Blocks(kU64, 32)) blocks.push_back(b);
  }
  const double bound = 40;  // far under Δ/2 = 2^58; the u64 test bounds it tightly
  for (bool packed : {false, true}) {
    SCOPED_TRACE(packed ? "build_packed" : "build");
    auto list = packed ? builder.BuildPacked(g->cpk, rng) : builder.Build(g->cpk, rng);
    ASSERT_TRUE(list.ok()) << list.status();
    EXPECT_EQ(list->ct_list.lwe_ciphertext_count, packed ? (blocks.size() + 1) / 2 : blocks.size());
    std::vector<DataKind> info(2, DataKind{DataKind::Kind::kBoolean});
    info.push_back(DataKind{DataKind::Kind::kUnsigned, 4});
    if (with_u64) info.push_back(DataKind{DataKind::Kind::kUnsigned, 32});
    EXPECT_EQ(list->info, info);
    CheckDecrypts(*g, *list, blocks, bound);
    CheckExpansion(*g, *list, with_u64);
  }
}

TEST(CompactEncryptionExpansion, KmsTestBoolU8U64ExpandAndDecrypt) {
  BuildAndExpand("kms-test", /*with_u64=*/true);
}

TEST(CompactEncryptionExpansion, KmsDefaultBoolU8ExpandAndDecrypt) {
  BuildAndExpand("kms-default", /*with_u64=*/false);
}

TEST(CompactEncryptionBuilder, TagSignedAndRefusals) {
  const Golden* g = LoadGolden("kms-test", false);
  if (g == nullptr) GTEST_SKIP() << "no golden files";
  crypto::AesCtrRng rng;
  CompactPublicKey cpk = g->cpk;
  cpk.tag = {1, 2, 3};
  CompactListBuilder builder;
  ASSERT_TRUE(builder.PushInt(-2, 8).ok());  // 0xfe: blocks 2, 3, 3, 3
  auto list = builder.Build(cpk, rng);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->tag, cpk.tag);
  EXPECT_EQ(list->info, std::vector<DataKind>{(DataKind{DataKind::Kind::kSigned, 4})});
  auto got = DecryptCompactList(g->client_key, *list);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, (std::vector<uint64_t>{2, 3, 3, 3}));
  // An empty list has no mask.
  CompactListBuilder empty;
  auto e = empty.Build(cpk, rng);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->ct_list.data.size(), 0u);
  EXPECT_TRUE(SerializeCompactCiphertextList(*e).ok());
  // Refusals.
  CompactListBuilder bad;
  EXPECT_FALSE(bad.PushUint(1, 0).ok());
  EXPECT_FALSE(bad.PushUint(1, 129).ok());
  ASSERT_TRUE(bad.PushUint(1, 7).ok());  // not a whole number of 2-bit blocks
  EXPECT_EQ(bad.Build(cpk, rng).status().code(), absl::StatusCode::kInvalidArgument);
  CompactPublicKey small_carry = cpk;
  small_carry.parameters.carry_modulus = 2;
  EXPECT_EQ(builder.BuildPacked(small_carry, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
  CompactPublicKey gaussian = cpk;
  gaussian.parameters.encryption_noise_distribution.kind = DynamicDistribution::Kind::kGaussian;
  EXPECT_EQ(builder.Build(gaussian, rng).status().code(), absl::StatusCode::kUnimplemented);
  CompactPublicKey short_key = cpk;
  short_key.key.glwe_ciphertext.data.pop_back();
  EXPECT_EQ(builder.Build(short_key, rng).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncryptCompactCiphertextList(cpk, std::vector<uint64_t>{1}, 17, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::tfhe
