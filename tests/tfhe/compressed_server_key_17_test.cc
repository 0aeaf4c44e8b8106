// The tfhe-rs 1.7.0 form of the CompressedServerKey (tfhe/compressed_server_key.h) and the V1
// CompressionSeed (tfhe/entities.h). node-tfhe 1.7 can only make the compute, casting and OPRF
// parts (tests/interop checks those against its bytes); here the golden synthetic 1.4 key with
// every optional part is moved to the 1.7 form and its parts are checked by size arithmetic from
// the tfhe-rs 1.7.0 layouts, by round trip, and by the 1.4 writer's refusals. The V1 seed's
// first index and Xof kind are checked against AES computed directly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "algebra/base_ring.h"
#include "crypto/aes128.h"
#include "crypto/tfhe_xof.h"
#include "tfhe/compressed_server_key.h"
#include "tfhe/golden_files.h"
#include "tfhe/mask_regeneration.h"

namespace kms::tfhe {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kCtrSeedV0Bytes = 20;  // u32 tag, u128
constexpr uint64_t kCtrSeedV1Bytes = 72;  // tags of AesCtrParams, SeedKind, Seed, TableIndex…
constexpr uint64_t kXofSeedV1Bytes = 88;  // … with a 24-byte XofSeed instead of a Seed

// Every CompressionSeed of the key, in any order.
std::vector<CompressionSeed*> Seeds(CompressedServerKey& k) {
  std::vector<CompressionSeed*> seeds = {&k.key_switching_key.compression_seed,
                                         &k.bootstrapping_key.ggsw_list.compression_seed};
  auto ms = [&](CompressedModulusSwitchConfiguration& c) {
    if (c.kind == CompressedModulusSwitchConfiguration::Kind::kDriftTechnique) {
      seeds.push_back(&c.drift.modulus_switch_zeros.compression_seed);
    }
  };
  ms(k.modulus_switch_noise_reduction_key);
  if (k.cpk_key_switching_key_material) {
    seeds.push_back(&k.cpk_key_switching_key_material->key_switching_key.compression_seed);
  }
  if (k.compression_key) {
    seeds.push_back(&k.compression_key->packing_key_switching_key.compression_seed);
  }
  if (k.decompression_key) {
    seeds.push_back(&k.decompression_key->blind_rotate_key.ggsw_list.compression_seed);
    ms(k.decompression_key->modulus_switch_noise_reduction_key);
  }
  if (k.noise_squashing_key) {
    seeds.push_back(&k.noise_squashing_key->bsk.ggsw_list.compression_seed);
    ms(k.noise_squashing_key->modulus_switch_noise_reduction_key);
  }
  if (k.noise_squashing_compression_key) {
    seeds.push_back(&k.noise_squashing_compression_key->packing_key_switching_key.compression_seed);
  }
  auto& rr = k.cpk_re_randomization_key_switching_key_material;
  if (rr && rr->kind == CompressedReRandomizationKeySwitchingKey::Kind::kDedicatedKSK) {
    seeds.push_back(&rr->dedicated.key_switching_key.compression_seed);
  }
  if (k.cpk_re_randomization_derived_cpk) {
    seeds.push_back(
        &k.cpk_re_randomization_derived_cpk->key.seeded_glwe_ciphertext.compression_seed);
  }
  if (k.oprf_bootstrapping_key)
    seeds.push_back(&k.oprf_bootstrapping_key->ggsw_list.compression_seed);
  return seeds;
}

class CompressedServerKey17 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
    auto bytes = testing::ReadGolden("synthetic.CompressedServerKey.kms-test-full.bin");
    ASSERT_TRUE(bytes.has_value());
    bytes14_ = *bytes;
    auto key = ParseCompressedServerKey(bytes14_);
    ASSERT_TRUE(key.ok()) << key.status();
    key14_ = *key;
    ASSERT_TRUE(key14_.cpk_key_switching_key_material && key14_.decompression_key &&
                key14_.noise_squashing_key &&
                key14_.cpk_re_randomization_key_switching_key_material);
  }

  // The 1.4 key in 1.7 form: V1 seeds, alternately Ctr at (block i, byte i mod 16) and Xof.
  CompressedServerKey To17(CompressedServerKey k, size_t* ctr, size_t* xof) {
    k.format = TfheFormat::kTfhe17;
    size_t i = 0;
    *ctr = *xof = 0;
    for (CompressionSeed* s : Seeds(k)) {
      s->version = CompressionSeed::Version::kV1;
      s->kind = i % 2 == 0 ? CompressionSeed::Kind::kCtr : CompressionSeed::Kind::kXof;
      s->aes_index = i;
      s->byte_index = i % 16;
      ++(s->kind == CompressionSeed::Kind::kCtr ? *ctr : *xof);
      ++i;
    }
    return k;
  }

  Bytes bytes14_;
  CompressedServerKey key14_;
};

TEST_F(CompressedServerKey17, TheSyntheticKeyIn17FormHasTheLayoutsSizesAndRoundTrips) {
  CompressedServerKey key = key14_;
  const size_t seeds = Seeds(key).size();
  size_t ctr = 0, xof = 0;
  CompressedServerKey key17 = To17(key, &ctr, &xof);
  auto bytes17 = SerializeCompressedServerKey(key17);
  ASSERT_TRUE(bytes17.ok()) << bytes17.status();

  // From the 1.7.0 layouts: +8 per CKSKM (destination_atomic_pattern: tag, variant); +16 for the
  // decompression key (ShortintCompressedBootstrappingKey tag and variant, modulus-switch
  // configuration tag and variant); +12 for the noise-squashing key (atomic pattern tag and
  // variant, Standard's tag); +8 for the re-randomization wrapper (tag, variant); +1 for the
  // absent OPRF key; and the larger V1 seeds.
  const size_t ckskms = 1 + (key.cpk_re_randomization_key_switching_key_material->kind ==
                             CompressedReRandomizationKeySwitchingKey::Kind::kDedicatedKSK);
  const uint64_t expected = bytes14_.size() + 8 * ckskms + 16 + 12 + 8 + 1 +
                            ctr * (kCtrSeedV1Bytes - kCtrSeedV0Bytes) +
                            xof * (kXofSeedV1Bytes - kCtrSeedV0Bytes);
  EXPECT_EQ(bytes17->size(), expected) << seeds << " seeds";

  auto parsed = ParseCompressedServerKey(*bytes17);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->format, TfheFormat::kTfhe17);
  EXPECT_TRUE(*parsed == key17);
  auto again = SerializeCompressedServerKey(*parsed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes17);
}

TEST_F(CompressedServerKey17, TheOprfKeyAndTheDerivedReRandomizationKeyRoundTrip) {
  size_t ctr = 0, xof = 0;
  CompressedServerKey key = To17(key14_, &ctr, &xof);
  key.oprf_bootstrapping_key = key.bootstrapping_key;  // the same shape: n → k·N
  auto with_oprf = SerializeCompressedServerKey(key);
  ASSERT_TRUE(with_oprf.ok()) << with_oprf.status();
  auto parsed = ParseCompressedServerKey(*with_oprf);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(*parsed == key);

  // DerivedCPKWithoutKeySwitch: an integer::CompressedCompactPublicKey, no tag.
  key.cpk_re_randomization_key_switching_key_material.reset();
  auto cpk_bytes = testing::ReadGolden("kms-test.CompressedCompactPublicKey.bin");
  ASSERT_TRUE(cpk_bytes.has_value());
  auto cpk = ParseCompressedCompactPublicKey(*cpk_bytes);
  ASSERT_TRUE(cpk.ok()) << cpk.status();
  cpk->tag.clear();
  // The derived key is under the compute big key: give the golden CPK that dimension.
  const uint64_t big = key.big_lwe_dimension();
  cpk->key.seeded_glwe_ciphertext.data.resize(big, 7);
  cpk->parameters.encryption_lwe_dimension = big;
  key.cpk_re_randomization_derived_cpk = *cpk;
  auto derived = SerializeCompressedServerKey(key);
  ASSERT_TRUE(derived.ok()) << derived.status();
  parsed = ParseCompressedServerKey(*derived);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(*parsed == key);
  EXPECT_FALSE(parsed->cpk_re_randomization_key_switching_key_material.has_value());
}

TEST_F(CompressedServerKey17, The14WriterRefusesWhatOnly17Holds) {
  CompressedServerKey key = key14_;
  key.oprf_bootstrapping_key = key.bootstrapping_key;
  auto s = SerializeCompressedServerKey(key);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("needs the tfhe-rs 1.7 form"));

  key = key14_;
  key.decompression_key->modulus_switch_noise_reduction_key.kind =
      CompressedModulusSwitchConfiguration::Kind::kCenteredMean;
  s = SerializeCompressedServerKey(key);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("has no modulus-switch configuration"));

  key = key14_;
  key.key_switching_key.compression_seed.version = CompressionSeed::Version::kV1;
  key.key_switching_key.compression_seed.byte_index = 1;
  s = SerializeCompressedServerKey(key);  // tfhe-rs 1.4 has no V1 seed
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("V0 compression seeds only"));
  key.key_switching_key.compression_seed.version = CompressionSeed::Version::kV0;
  key.key_switching_key.compression_seed.aes_index = 3;
  s = SerializeCompressedServerKey(key);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("a V0 CompressionSeed is a Ctr seed"));
}

TEST_F(CompressedServerKey17, MalformedV1SeedsAndUnknownTagsAreRefusedByName) {
  size_t ctr = 0, xof = 0;
  CompressedServerKey key = To17(key14_, &ctr, &xof);
  auto bytes = SerializeCompressedServerKey(key);
  ASSERT_TRUE(bytes.ok());
  // The compute KSK's seed is the first (Ctr at (0, 0)); its byte_index u64 ends 16 bytes
  // before the ciphertext modulus, which ends the KSK. Find it by re-serializing with a marker.
  CompressedServerKey marked = key;
  marked.key_switching_key.compression_seed.byte_index = 0x0d;
  auto marked_bytes = SerializeCompressedServerKey(marked);
  ASSERT_TRUE(marked_bytes.ok());
  size_t at = 0;
  for (size_t i = 0; i < bytes->size(); ++i) {
    if ((*bytes)[i] != (*marked_bytes)[i]) {
      at = i;
      break;
    }
  }
  ASSERT_NE(at, 0u);
  Bytes bad = *bytes;
  bad[at] = 16;
  auto parsed = ParseCompressedServerKey(bad);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("byte_index"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("not below 16"));

  // IntegerCompressedServerKey 6 (a 1.5/1.6 form) and 8 are refused by tag. Its tag is the
  // first byte where the 1.4 and 1.7 serializations differ (5 / 7).
  size_t tag_at = 0;
  while (tag_at < bytes14_.size() && bytes14_[tag_at] == (*bytes)[tag_at]) ++tag_at;
  ASSERT_EQ(bytes14_[tag_at], 5);
  ASSERT_EQ((*bytes)[tag_at], 7);
  for (uint32_t tag : {6u, 8u}) {
    Bytes t = *bytes;
    t[tag_at] = static_cast<uint8_t>(tag);
    auto r = ParseCompressedServerKey(t);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), HasSubstr("unknown version tag " + std::to_string(tag)));
  }
}

TEST(CompressionSeedV1, CtrStreamStartsAtTheFirstIndex) {
  const u128 seed = (u128{0xfeedface} << 64) | 0x1234;
  const CompressionSeed s{
      .version = CompressionSeed::Version::kV1, .seed = seed, .aes_index = 2, .byte_index = 5};
  crypto::TfheXof generator = MaskGeneratorFor(s);
  uint8_t got[40];
  generator.Fill(got);
  // AES_{u128le(seed)}(u128le(2)), (3), (4) from byte 5.
  crypto::AesKey key;
  algebra::StoreLe<algebra::Z128>(seed, key.data());
  crypto::Aes128 aes(key);
  uint8_t blocks[48], stream[48];
  for (int j = 0; j < 3; ++j) algebra::StoreLe<algebra::Z128>(u128(2 + j), blocks + 16 * j);
  aes.EncryptBlocks(blocks, stream, 3);
  EXPECT_EQ(0, std::memcmp(got, stream + 5, sizeof(got)));
}

TEST(CompressionSeedV1, XofSeedKeepsItsCounterOffset) {
  const u128 seed = 0x5eed;
  const CompressionSeed s{.version = CompressionSeed::Version::kV1,
                          .kind = CompressionSeed::Kind::kXof,
                          .seed = seed,
                          .aes_index = 1,
                          .byte_index = 3};
  crypto::TfheXof generator = MaskGeneratorFor(s);
  uint8_t got[40];
  generator.Fill(got);
  // The CBC-MAC key c3 and offset c2 (checked against OpenSSL in crypto_tfhe_xof_test); the
  // stream is AES_c3(u128le(c2 + 1)), (c2 + 2), (c2 + 3) from byte 3.
  const crypto::TfheXof::InitialState state = crypto::TfheXof::Initialize(seed);
  crypto::Aes128 aes(state.key);
  uint8_t blocks[48], stream[48];
  for (int j = 0; j < 3; ++j) {
    algebra::StoreLe<algebra::Z128>(state.counter + 1 + j, blocks + 16 * j);
  }
  aes.EncryptBlocks(blocks, stream, 3);
  EXPECT_EQ(0, std::memcmp(got, stream + 3, sizeof(got)));
}

}  // namespace
}  // namespace kms::tfhe
