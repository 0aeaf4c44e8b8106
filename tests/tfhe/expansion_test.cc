// Compact-list expansion (tfhe/expansion.h) on node-tfhe 1.4.0-alpha.3's golden lists: the
// mixed [bool, u8, u64, u128, u256] lists of values.json, made with build() and build_packed()
// under the golden CPK, expanded with the golden CompressedServerKey's casting key and compute
// key, decrypt with the golden ClientKey to the values; every block has tfhe-rs's metadata
// (degree message − 1 or 1 for a Boolean, noise level 1, Standard(KS-PBS), the list's tag).
// kms-test expands the whole lists; kms-default (BC_PARAMS_SNS, ≈ 0.1 s per PBS) the first two
// packed LWEs (the Boolean and the u8's low blocks) and the first unpacked one.
#include "tfhe/expansion.h"

#include <gtest/gtest.h>

#include <memory>

#include "tfhe/client_key_encryption.h"
#include "tfhe/compact_ciphertext_list.h"
#include "tfhe/golden_files.h"

namespace kms::tfhe {
namespace {

using u128 = unsigned __int128;

struct Golden {
  ClientKey client_key;
  ServerKey server_key;
  CastingKey casting_key;
  CompactCiphertextList build;
  CompactCiphertextList packed;
};

const Golden* LoadGolden(const std::string& prefix) {
  static std::map<std::string, std::unique_ptr<Golden>> cache;
  auto& slot = cache[prefix];
  if (slot) return slot.get();
  auto ck_bytes = testing::ReadGolden(prefix + ".ClientKey.bin");
  auto sk_bytes = testing::ReadGolden(prefix + ".CompressedServerKey.bin");
  auto build_bytes = testing::ReadGolden(prefix + ".CompactCiphertextList.mixed.bin");
  auto packed_bytes = testing::ReadGolden(prefix + ".CompactCiphertextList.mixed.packed.bin");
  if (!ck_bytes || !sk_bytes || !build_bytes || !packed_bytes) return nullptr;
  auto ck = ParseClientKey(*ck_bytes);
  auto csk = ParseCompressedServerKey(*sk_bytes);
  auto build = ParseCompactCiphertextList(*build_bytes);
  auto packed = ParseCompactCiphertextList(*packed_bytes);
  EXPECT_TRUE(ck.ok() && csk.ok() && build.ok() && packed.ok());
  if (!ck.ok() || !csk.ok() || !build.ok() || !packed.ok()) return nullptr;
  auto sk = DecompressServerKey(*csk);
  auto cast = DecompressCastingKey(*csk);
  EXPECT_TRUE(sk.ok() && cast.ok());
  if (!sk.ok() || !cast.ok()) return nullptr;
  slot = std::make_unique<Golden>(Golden{std::move(*ck), std::move(*sk), std::move(*cast),
                                         std::move(*build), std::move(*packed)});
  return slot.get();
}

const u128 kU64 = 0x0123456789abcdefULL;
const u128 kU128 = (u128{0x0123456789abcdefULL} << 64) | 0xfedcba9876543210ULL;
// The low 128 bits of values.json's u256.
const u128 kU256Low = (u128{0x0f1e2d3c4b5a6978ULL} << 64) | 0x8796a5b4c3d2e1f0ULL;

void ExpectBlockMetadata(const ServerKey& sk, const ShortintCiphertext& b, uint64_t degree) {
  EXPECT_EQ(b.degree, degree);
  EXPECT_EQ(b.noise_level, 1u);
  EXPECT_EQ(b.message_modulus, sk.message_modulus);
  EXPECT_EQ(b.carry_modulus, sk.carry_modulus);
  EXPECT_EQ(b.atomic_pattern.kind, AtomicPatternKind::Kind::kStandard);
  EXPECT_EQ(b.atomic_pattern.pbs_order, PBSOrder::kKeyswitchBootstrap);
  EXPECT_EQ(b.ct.data.size(), sk.big_lwe_dimension() + 1);
}

void CheckWholeList(const Golden& g, const CompactCiphertextList& list) {
  auto e = ExpandCompactList(g.server_key, g.casting_key, list);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->size(), 5u);
  ASSERT_EQ(e->blocks.size(), 1u + 4 + 32 + 64 + 128);
  auto b = e->GetFheBool(0);
  ASSERT_TRUE(b.ok()) << b.status();
  ExpectBlockMetadata(g.server_key, b->block, 1);
  EXPECT_EQ(b->tag, list.tag);
  auto bv = DecryptFheBool(g.client_key, *b);
  ASSERT_TRUE(bv.ok());
  EXPECT_TRUE(*bv);
  const u128 expected[] = {0xab, kU64, kU128, kU256Low};
  const size_t widths[] = {4, 32, 64, 128};
  for (size_t v = 1; v < 5; ++v) {
    auto u = e->GetFheUint(v, widths[v - 1]);
    ASSERT_TRUE(u.ok()) << u.status();
    for (const ShortintCiphertext& blk : u->blocks) ExpectBlockMetadata(g.server_key, blk, 3);
    auto uv = DecryptFheUint(g.client_key, *u);
    ASSERT_TRUE(uv.ok());
    EXPECT_TRUE(*uv == expected[v - 1]) << "value " << v;
  }
  EXPECT_FALSE(e->GetFheUint(0).ok());  // a Boolean
  EXPECT_FALSE(e->GetFheBool(1).ok());  // an integer
  EXPECT_FALSE(e->GetFheUint(1, 32).ok());
  EXPECT_FALSE(e->GetFheUint(5).ok());
}

TEST(Expansion, KmsTestMixedBuildListExpandsToTheValues) {
  const Golden* g = LoadGolden("kms-test");
  if (g == nullptr) GTEST_SKIP() << "no golden files";
  ASSERT_FALSE(g->build.is_packed());
  CheckWholeList(*g, g->build);
}

TEST(Expansion, KmsTestMixedPackedListUnpacksToTheValues) {
  const Golden* g = LoadGolden("kms-test");
  if (g == nullptr) GTEST_SKIP() << "no golden files";
  ASSERT_TRUE(g->packed.is_packed());
  ASSERT_EQ(g->packed.ct_list.lwe_ciphertext_count, 115u);  // 229 blocks, an odd tail
  CheckWholeList(*g, g->packed);
}

TEST(Expansion, KmsDefaultFirstLwesCastAndBootstrap) {
  const Golden* g = LoadGolden("kms-default");
  if (g == nullptr) GTEST_SKIP() << "no golden files";
  const ServerKey& sk = g->server_key;
  EXPECT_EQ(g->casting_key.destination_key, EncryptionKeyChoice::kSmall);
  EXPECT_EQ(g->casting_key.key_switching_key.output_lwe_size, sk.small_lwe_dimension() + 1);
  const uint64_t msg = sk.message_modulus;
  const auto msg_lut = GenerateLookupTable(sk, [msg](uint64_t x) { return x % msg; });
  const auto carry_lut = GenerateLookupTable(sk, [msg](uint64_t x) { return (x / msg) % msg; });
  const auto bool_lut =
      GenerateLookupTable(sk, [msg](uint64_t x) { return uint64_t{x % msg != 0}; });
  // Packed LWE 0 = bool + 4·(0xab & 3); LWE 1 = (0xab >> 2 & 3) + 4·(0xab >> 4 & 3).
  const LookupTable<uint64_t>* luts0[] = {&bool_lut, &carry_lut};
  const LookupTable<uint64_t>* luts1[] = {&msg_lut, &carry_lut};
  std::vector<uint64_t> got;
  for (size_t i = 0; i < 2; ++i) {
    auto lwe = CompactListLwe(g->packed, i);
    ASSERT_TRUE(lwe.ok());
    auto blocks = CastAndApplyLookupTables(sk, g->casting_key, *lwe,
                                           i == 0 ? std::span(luts0) : std::span(luts1));
    ASSERT_TRUE(blocks.ok()) << blocks.status();
    ASSERT_EQ(blocks->size(), 2u);
    for (const ShortintCiphertext& b : *blocks) {
      FheUint one;
      one.blocks = {b};
      auto v = DecryptFheUint(g->client_key, one);
      ASSERT_TRUE(v.ok());
      got.push_back(static_cast<uint64_t>(*v));
    }
  }
  EXPECT_EQ(got, (std::vector<uint64_t>{1, 0xab & 3, (0xab >> 2) & 3, (0xab >> 4) & 3}));
  // build(): LWE 0 is the Boolean alone.
  auto lwe = CompactListLwe(g->build, 0);
  ASSERT_TRUE(lwe.ok());
  const LookupTable<uint64_t>* luts[] = {&bool_lut};
  auto blocks = CastAndApplyLookupTables(sk, g->casting_key, *lwe, luts);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ExpectBlockMetadata(sk, (*blocks)[0], 1);
  FheBool b;
  b.block = (*blocks)[0];
  auto bv = DecryptFheBool(g->client_key, b);
  ASSERT_TRUE(bv.ok());
  EXPECT_TRUE(*bv);
}

TEST(Expansion, Refusals) {
  const Golden* g = LoadGolden("kms-test");
  if (g == nullptr) GTEST_SKIP() << "no golden files";
  CompactCiphertextList no_casting = g->build;
  no_casting.expansion_kind.kind = ExpansionKind::Kind::kNoCasting;
  EXPECT_EQ(ExpandCompactList(g->server_key, g->casting_key, no_casting).status().code(),
            absl::StatusCode::kInvalidArgument);
  CompactCiphertextList wrong_info = g->build;
  wrong_info.info.pop_back();
  EXPECT_EQ(ExpandCompactList(g->server_key, g->casting_key, wrong_info).status().code(),
            absl::StatusCode::kInvalidArgument);
  CompactCiphertextList strings = g->build;
  strings.info[0].kind = DataKind::Kind::kString;
  EXPECT_EQ(ExpandCompactList(g->server_key, g->casting_key, strings).status().code(),
            absl::StatusCode::kUnimplemented);
  CastingKey shifted = g->casting_key;
  shifted.cast_rshift = 1;
  EXPECT_EQ(ExpandCompactList(g->server_key, shifted, g->build).status().code(),
            absl::StatusCode::kUnimplemented);
  CastingKey wrong_out = g->casting_key;
  wrong_out.key_switching_key.output_lwe_size += 1;
  EXPECT_EQ(ExpandCompactList(g->server_key, wrong_out, g->build).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(CompactListLwe(g->build, g->build.ct_list.lwe_ciphertext_count).ok());
  CompressedServerKey no_cast;
  EXPECT_EQ(DecompressCastingKey(no_cast).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::tfhe
