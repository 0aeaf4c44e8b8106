// The 128-bit squashed-noise ciphertexts and the two compressed lists (tfhe/squashed_noise.h,
// tfhe/compressed_ciphertext_list.h, tfhe/compression.h), without golden vectors (node-tfhe
// cannot make them): our own keys of the kms-test shape, encrypt → compress → serialize → parse
// → unpack → decrypt; bit packing; packing key switching and its mask regeneration; hostile
// input (every truncation, every byte flip refused or canonical, huge lengths refused without
// allocation).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>

#include "crypto/tfhe_xof.h"
#include "testing/allocation_probe.h"
#include "testing/seeded_rng.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/compressed_conformance.h"
#include "tfhe/compression.h"
#include "tfhe/golden_files.h"
#include "tfhe/key_generation.h"
#include "tfhe/mask_regeneration.h"
#include "tfhe/noise_squashing.h"

namespace kms::tfhe {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kValue = 0x0123456789abcdefULL;

// A kms-test ClientKey with every secret the compressed formats need.
const ClientKey& FullTestKey() {
  static const ClientKey* const key = [] {
    kms::testing::SeededRng rng(1234);
    auto k = GenerateClientKey(KmsTestKeyParameters(), rng);
    EXPECT_TRUE(k.ok()) << k.status();
    auto* out = new ClientKey(std::move(*k));
    out->compression_key = *GenerateCompressionPrivateKey(KmsTestCompressionParameters(), rng);
    out->noise_squashing_private_key =
        GenerateNoiseSquashingPrivateKey(KmsTestNoiseSquashingParameters(), rng);
    out->noise_squashing_compression_private_key = *GenerateNoiseSquashingCompressionPrivateKey(
        KmsTestNoiseSquashingCompressionParameters(), rng);
    return out;
  }();
  return *key;
}

std::span<const u128> SnsKey() { return *NoiseSquashingLweKey(FullTestKey()); }

// Parses with `parse` and serializes with `serialize`.
template <typename Parse, typename Serialize>
absl::StatusOr<Bytes> Reserialize(const Bytes& bytes, Parse parse, Serialize serialize) {
  auto v = parse(bytes, kDefaultSizeLimit);
  if (!v.ok()) return v.status();
  return serialize(*v);
}

TEST(CompressedFormats, TestProfilesEqualTheSyntheticGoldenClientKey) {
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  auto bytes = testing::ReadGolden("synthetic.ClientKey.kms-test-full.bin");
  ASSERT_TRUE(bytes.has_value());
  auto key = ParseClientKey(*bytes);
  ASSERT_TRUE(key.ok()) << key.status();
  ASSERT_TRUE(key->compression_key && key->noise_squashing_private_key &&
              key->noise_squashing_compression_private_key);
  EXPECT_EQ(key->compression_key->params, KmsTestCompressionParameters());
  EXPECT_EQ(key->noise_squashing_private_key->params, KmsTestNoiseSquashingParameters());
  EXPECT_EQ(key->noise_squashing_compression_private_key->params,
            KmsTestNoiseSquashingCompressionParameters());
}

TEST(PackedIntegers, PackAndUnpackEveryWidth) {
  kms::testing::SeededRng rng(3);
  for (uint64_t log : {1, 2, 7, 9, 12, 31, 32, 33, 63, 64}) {
    SCOPED_TRACE(log);
    std::vector<uint64_t> values(301);
    for (auto& v : values) {
      uint8_t b[8];
      rng.Fill(b);
      std::memcpy(&v, b, 8);
      if (log < 64) v &= (uint64_t{1} << log) - 1;
    }
    auto packed = PackedIntegers<uint64_t>::Pack(values, log);
    EXPECT_EQ(packed.packed_coeffs.size(), (values.size() * log + 63) / 64);
    EXPECT_EQ(packed.Unpack(), values);
  }
  // LSB first across words: 3-bit values 1..5 in one word.
  auto small = PackedIntegers<uint64_t>::Pack(std::vector<uint64_t>{1, 2, 3, 4, 5}, 3);
  ASSERT_EQ(small.packed_coeffs.size(), 1u);
  EXPECT_EQ(small.packed_coeffs[0], 1u | 2u << 3 | 3u << 6 | 4u << 9 | 5u << 12);
  // A 12-bit value straddling words 0 and 1 (values 5 and 6 start at bits 60 and 72).
  std::vector<uint64_t> straddle(7, 0);
  straddle[5] = 0xabc;
  auto s = PackedIntegers<uint64_t>::Pack(straddle, 12);
  EXPECT_EQ(s.packed_coeffs[0] >> 60, 0xcu);
  EXPECT_EQ(s.packed_coeffs[1] & 0xff, 0xabu);
  for (uint64_t log : {1, 64, 100, 127, 128}) {
    std::vector<u128> values(77);
    for (auto& v : values) {
      v = UniformU128(rng);
      if (log < 128) v &= (u128{1} << log) - 1;
    }
    EXPECT_EQ(PackedIntegers<u128>::Pack(values, log).Unpack(), values) << log;
  }
}

TEST(SampleExtract, MatchesTheGlwePhase) {
  // Sample extraction of coefficient j gives an LWE whose phase is the GLWE's phase j.
  kms::testing::SeededRng rng(5);
  const ClientKey& key = FullTestKey();
  const GlweSecretKey<uint64_t>& s = key.compression_key->post_packing_ks_key;
  GlweCiphertextOf<uint64_t> glwe{std::vector<uint64_t>(2 * 256), 1, 256};
  for (auto& w : glwe.data) {
    uint8_t b[8];
    rng.Fill(b);
    std::memcpy(&w, b, 8);
  }
  const std::vector<uint64_t> phases = GlwePhase(glwe, s);
  for (uint64_t j : {0, 1, 100, 255}) {
    auto lwe = SampleExtract<uint64_t>(glwe.data, 1, 256, j, 64);
    uint64_t dot = 0;
    for (size_t i = 0; i < 256; ++i) dot += lwe[i] * s.data[i];
    EXPECT_EQ(lwe.back() - dot, phases[j]) << j;
  }
}

TEST(SquashedNoise, EncryptSerializeParseDecrypt) {
  kms::testing::SeededRng rng(11);
  auto ct = EncryptSquashedNoiseFheUint(SnsKey(), kValue, 32, 4, 4, 0, rng);
  ASSERT_TRUE(ct.ok()) << ct.status();
  ASSERT_EQ(ct->packed_blocks.size(), 16u);
  EXPECT_EQ(ct->packed_blocks[0].degree, 15u);
  auto bytes = SerializeSquashedNoiseFheUint(*ct);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  // Header (37 + 34), tags, 16 blocks of 4+4+8+16·257+28+36 bytes, the count, state, tag.
  EXPECT_EQ(bytes->size(),
            34u + 36 + 4 + 4 + 4 + 8 + 16 * (4 + 4 + 8 + 16 * 257 + 28 + 36) + 8 + 8 + 12);
  auto parsed = ParseSquashedNoiseFheUint(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, *ct);
  EXPECT_EQ(DecryptSquashedNoiseFheUint(SnsKey(), *parsed).value(), u128{kValue});
  // An odd block count: 3 blocks of 2 bits (6 bits), two packed blocks.
  auto odd = EncryptSquashedNoiseFheUint(SnsKey(), 0b101101, 3, 4, 4, 0, rng);
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->packed_blocks.size(), 2u);
  EXPECT_EQ(DecryptSquashedNoiseFheUint(SnsKey(), *odd).value(), u128{0b101101});
  for (bool v : {false, true}) {
    auto b = EncryptSquashedNoiseFheBool(SnsKey(), v, 4, 4, 0, rng);
    ASSERT_TRUE(b.ok());
    auto bb = SerializeSquashedNoiseFheBool(*b);
    ASSERT_TRUE(bb.ok());
    auto back = ParseSquashedNoiseFheBool(*bb);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(DecryptSquashedNoiseFheBool(SnsKey(), *back).value(), v);
  }
}

TEST(SquashedNoise, DecodesAtDelta2To123) {
  // A noiseless block: phase = m·2^123 decodes to m; ±(2^122 − 1) of noise still does.
  for (uint64_t m = 0; m < 16; ++m) {
    const u128 phase = u128{m} << 123;
    EXPECT_EQ(DecodeSquashedNoise(phase, 4, 4), m);
    EXPECT_EQ(DecodeSquashedNoise(phase + (u128{1} << 122) - 1, 4, 4), m);
    EXPECT_EQ(DecodeSquashedNoise(phase - (u128{1} << 122) + 1, 4, 4), m);
  }
}

TEST(SquashedNoise, StructuralChecks) {
  kms::testing::SeededRng rng(12);
  auto ct = *EncryptSquashedNoiseFheUint(SnsKey(), 5, 4, 4, 4, 0, rng);
  SquashedNoiseFheUint bad = ct;
  bad.original_block_count = 5;  // 3 packed blocks needed
  EXPECT_THAT(std::string(SerializeSquashedNoiseFheUint(bad).status().message()),
              HasSubstr("original_block_count"));
  bad = ct;
  bad.packed_blocks[1].ct.data.pop_back();
  EXPECT_THAT(std::string(SerializeSquashedNoiseFheUint(bad).status().message()),
              HasSubstr("packed_blocks[1]"));
  bad = ct;
  bad.packed_blocks[0].degree = 16;
  EXPECT_THAT(std::string(SerializeSquashedNoiseFheUint(bad).status().message()),
              HasSubstr("degree 16 exceeds"));
  bad = ct;
  bad.packed_blocks[0].ct.modulus.scalar_bits = 64;
  EXPECT_THAT(std::string(SerializeSquashedNoiseFheUint(bad).status().message()),
              HasSubstr("expected an unsigned integer with 128 bits"));
}

// BigCompressed: u64, bool and u8 squashed, compressed with our SnS compression key, unpacked
// with get() and decrypted with the compression secret.
TEST(CompressedSquashedNoiseList, CompressUnpackDecrypt) {
  kms::testing::SeededRng rng(21);
  const ClientKey& key = FullTestKey();
  auto ksk = GenerateNoiseSquashingCompressionKey(key, rng);
  ASSERT_TRUE(ksk.ok()) << ksk.status();
  auto u64 = *EncryptSquashedNoiseFheUint(SnsKey(), kValue, 32, 4, 4, 0, rng);
  auto b = *EncryptSquashedNoiseFheBool(SnsKey(), true, 4, 4, 0, rng);
  auto u8 = *EncryptSquashedNoiseFheUint(SnsKey(), 0xab, 4, 4, 4, 0, rng);
  std::vector<SquashedNoiseCiphertext> blocks = u64.packed_blocks;
  blocks.push_back(b.block);
  blocks.insert(blocks.end(), u8.packed_blocks.begin(), u8.packed_blocks.end());
  std::vector<DataKind> info = {
      {DataKind::Kind::kUnsigned, 32}, {DataKind::Kind::kBoolean}, {DataKind::Kind::kUnsigned, 4}};
  auto list = CompressSquashedNoiseCiphertexts(*ksk, blocks, info);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->len(), 19u);
  ASSERT_EQ(list->glwe_ciphertext_list.size(), 1u);
  EXPECT_EQ(list->glwe_ciphertext_list[0].packed_integers.log_modulus, 128u);
  auto bytes = SerializeCompressedSquashedNoiseCiphertextList(*list);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto parsed = ParseCompressedSquashedNoiseCiphertextList(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, *list);
  auto key_c = *NoiseSquashingCompressionLweKey(key);
  auto got_u64 = GetSquashedNoiseFheUint(*parsed, 0);
  ASSERT_TRUE(got_u64.ok()) << got_u64.status();
  EXPECT_EQ(got_u64->original_block_count, 32u);
  EXPECT_EQ(DecryptSquashedNoiseFheUint(key_c, *got_u64).value(), u128{kValue});
  auto got_b = GetSquashedNoiseFheBool(*parsed, 1);
  ASSERT_TRUE(got_b.ok()) << got_b.status();
  EXPECT_TRUE(DecryptSquashedNoiseFheBool(key_c, *got_b).value());
  EXPECT_EQ(DecryptSquashedNoiseFheUint(key_c, *GetSquashedNoiseFheUint(*parsed, 2)).value(),
            u128{0xab});
  // The unpacked values serialize as BigExpanded blobs.
  EXPECT_TRUE(SerializeSquashedNoiseFheUint(*got_u64).ok());
  EXPECT_TRUE(SerializeSquashedNoiseFheBool(*got_b).ok());
  // Kind and range errors.
  EXPECT_FALSE(GetSquashedNoiseFheBool(*parsed, 0).ok());
  EXPECT_FALSE(GetSquashedNoiseFheUint(*parsed, 3).ok());
  EXPECT_FALSE(GetSquashedNoiseBlock(*parsed, 19).ok());
}

// More blocks than lwe_per_glwe (128) spread over several GLWEs.
TEST(CompressedSquashedNoiseList, SeveralGlwes) {
  kms::testing::SeededRng rng(22);
  auto ksk = *GenerateNoiseSquashingCompressionKey(FullTestKey(), rng);
  const u128 v = (u128{0xfedcba9876543210ULL} << 64) | kValue;
  std::vector<SquashedNoiseCiphertext> blocks;
  std::vector<DataKind> info;
  for (int i = 0; i < 5; ++i) {  // 5 × u128 = 5 × 32 packed blocks = 160 LWEs
    auto ct = *EncryptSquashedNoiseFheUint(SnsKey(), v + i, 64, 4, 4, 0, rng);
    blocks.insert(blocks.end(), ct.packed_blocks.begin(), ct.packed_blocks.end());
    info.push_back({DataKind::Kind::kUnsigned, 64});
  }
  auto list = CompressSquashedNoiseCiphertexts(ksk, blocks, info);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->glwe_ciphertext_list.size(), 2u);
  EXPECT_EQ(list->glwe_ciphertext_list[1].bodies_count, 32u);
  auto parsed = ParseCompressedSquashedNoiseCiphertextList(
      *SerializeCompressedSquashedNoiseCiphertextList(*list));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto key_c = *NoiseSquashingCompressionLweKey(FullTestKey());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(DecryptSquashedNoiseFheUint(key_c, *GetSquashedNoiseFheUint(*parsed, i)).value(),
              v + i)
        << i;
  }
}

// SmallCompressed: an FheUint64 and an FheBool of the kms-test shape, compressed with our
// compression key; every block unpacked at its storage modulus (2^9) decrypts with the
// compression secret to its block value.
TEST(CompressedCiphertextList, CompressUnpackDecryptAtStorageModulus) {
  kms::testing::SeededRng rng(31);
  const ClientKey& key = FullTestKey();
  auto ck = GenerateCompressionKey(key, rng);
  ASSERT_TRUE(ck.ok()) << ck.status();
  auto u64 = *EncryptFheUint(key, kValue, 32, rng);
  auto b = *EncryptFheBool(key, true, rng);
  std::vector<ShortintCiphertext> blocks = u64.blocks;
  blocks.push_back(b.block);
  auto list = CompressCiphertexts(*ck, blocks,
                                  {{DataKind::Kind::kUnsigned, 32}, {DataKind::Kind::kBoolean}});
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->len(), 33u);
  auto bytes = SerializeCompressedCiphertextList(*list);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto parsed = ParseCompressedCiphertextList(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, *list);
  const auto& s = key.compression_key->post_packing_ks_key.data;
  u128 value = 0;
  for (uint64_t i = 0; i < 33; ++i) {
    auto lwe = UnpackStorageLwe(*parsed, i);
    ASSERT_TRUE(lwe.ok()) << lwe.status();
    EXPECT_EQ(lwe->log_modulus, 9u);
    EXPECT_EQ(lwe->lwe_dimension(), 256u);
    auto m = DecryptStorageLwe(*lwe, s, *parsed->meta);
    ASSERT_TRUE(m.ok()) << m.status();
    if (i < 32) {
      EXPECT_EQ(*m, (kValue >> (2 * i)) & 3) << i;
      value |= u128{*m} << (2 * i);
    } else {
      EXPECT_EQ(*m, 1u);
    }
    // The decompression blind rotation's input (N = 256: 2N = 2^9, the storage modulus).
    auto br = BlindRotationInput(*lwe, 256);
    ASSERT_TRUE(br.ok());
    EXPECT_EQ(br->log_modulus, 9u);
    EXPECT_EQ(br->data, lwe->data);
  }
  EXPECT_EQ(value, u128{kValue});
  EXPECT_FALSE(UnpackStorageLwe(*parsed, 33).ok());
  // Switching to 2N = 2^8 rounds away one bit.
  auto lwe = *UnpackStorageLwe(*parsed, 0);
  auto br = *BlindRotationInput(lwe, 128);
  EXPECT_EQ(br.log_modulus, 8u);
  for (size_t i = 0; i < lwe.data.size(); ++i) {
    EXPECT_EQ(br.data[i], ((lwe.data[i] + 1) >> 1) & 0xff) << i;
  }
}

TEST(CompressedCiphertextList, RefusesCarriesAndWrongInfo) {
  kms::testing::SeededRng rng(32);
  const ClientKey& key = FullTestKey();
  auto ck = *GenerateCompressionKey(key, rng);
  auto u = *EncryptFheUint(key, 7, 2, rng);
  std::vector<ShortintCiphertext> blocks = u.blocks;
  blocks[1].degree = 4;  // a carry
  EXPECT_THAT(
      std::string(
          CompressCiphertexts(ck, blocks, {{DataKind::Kind::kUnsigned, 2}}).status().message()),
      HasSubstr("non-empty carry"));
  auto list = *CompressCiphertexts(ck, u.blocks, {{DataKind::Kind::kUnsigned, 3}});
  EXPECT_THAT(std::string(SerializeCompressedCiphertextList(list).status().message()),
              HasSubstr("CompressedCiphertextList.inner.info: the listed values need 3"));
  list = *CompressCiphertexts(ck, u.blocks, {{DataKind::Kind::kUnsigned, 2}});
  list.re_randomization_metadata.clear();
  EXPECT_THAT(std::string(SerializeCompressedCiphertextList(list).status().message()),
              HasSubstr("re_randomization_metadata: 0 entries for 1 values"));
  list = *CompressCiphertexts(ck, u.blocks, {{DataKind::Kind::kUnsigned, 2}});
  list.meta.reset();
  EXPECT_THAT(std::string(SerializeCompressedCiphertextList(list).status().message()),
              HasSubstr("a non-empty list must carry its metadata"));
  // The empty list: no GLWE, no meta, no info.
  auto empty = *CompressCiphertexts(ck, {}, {});
  auto eb = SerializeCompressedCiphertextList(empty);
  ASSERT_TRUE(eb.ok()) << eb.status();
  EXPECT_TRUE(ParseCompressedCiphertextList(*eb).ok());
}

TEST(PackingKeySwitch, PacksAndKeepsThePhases) {
  kms::testing::SeededRng rng(41);
  const ClientKey& key = FullTestKey();
  auto ck = *GenerateCompressionKey(key, rng);
  std::vector<std::vector<uint64_t>> lwes;
  std::vector<uint64_t> messages;
  for (uint64_t j = 0; j < 10; ++j) {
    auto b = *EncryptFheUint(key, j % 4, 1, rng);
    lwes.push_back(b.blocks[0].ct.data);
    messages.push_back(j % 4);
  }
  auto glwe = KeyswitchAndPack<uint64_t>(ck.packing_key_switching_key, lwes);
  ASSERT_TRUE(glwe.ok()) << glwe.status();
  auto phases = GlwePhase(*glwe, key.compression_key->post_packing_ks_key);
  for (uint64_t j = 0; j < 256; ++j) {
    const uint64_t m = j < 10 ? messages[j] : 0;
    EXPECT_EQ(DecodeMessageAndCarry(phases[j], 4, 4), m) << j;
  }
  // Too many LWEs, or of the wrong dimension.
  std::vector<std::vector<uint64_t>> many(257, lwes[0]);
  EXPECT_FALSE(KeyswitchAndPack<uint64_t>(ck.packing_key_switching_key, many).ok());
  lwes[3].pop_back();
  EXPECT_FALSE(KeyswitchAndPack<uint64_t>(ck.packing_key_switching_key, lwes).ok());
}

// Mask regeneration of a seeded packing key: a key whose masks we drew from the stream of a
// CompressionSeed (tfhe-csprng 0.7.0 from byte 1, per entry k·N words) decompresses to the full
// key, and its entries decrypt to s_in[i]·2^(64 − base_log·ℓ).
TEST(PackingKeySwitch, DecompressesASeededKey) {
  kms::testing::SeededRng rng(42);
  const ClientKey& key = FullTestKey();
  auto full = *GenerateCompressionKey(key, rng);
  const auto& f = full.packing_key_switching_key;
  const uint64_t n = f.output_polynomial_size;
  SeededLwePackingKeyswitchKey<uint64_t> seeded;
  seeded.decomp_base_log = f.decomp_base_log;
  seeded.decomp_level_count = f.decomp_level_count;
  seeded.output_glwe_size = f.output_glwe_size;
  seeded.output_polynomial_size = n;
  seeded.compression_seed.seed = (u128{0x1122334455667788ULL} << 64) | 0x99aabbccddeeff00ULL;
  // Re-encrypt every entry with the stream's masks.
  crypto::TfheXof xof = MaskGeneratorFor(seeded.compression_seed);
  const auto& s = key.compression_key->post_packing_ks_key;
  for (uint64_t e = 0; e < f.data.size() / f.glwe_words(); ++e) {
    GlweCiphertextOf<uint64_t> entry{
        std::vector<uint64_t>(f.data.begin() + e * f.glwe_words(),
                              f.data.begin() + (e + 1) * f.glwe_words()),
        1, n};
    const std::vector<uint64_t> phase = GlwePhase(entry, s);  // message + noise
    for (uint64_t t = 0; t < n; ++t) entry.data[t] = xof.NextU64();
    const std::vector<uint64_t> zero_body =
        GlwePhase(GlweCiphertextOf<uint64_t>{[&] {
                                               auto d = entry.data;
                                               std::fill(d.begin() + n, d.end(), 0);
                                               return d;
                                             }(),
                                             1, n},
                  s);
    for (uint64_t t = 0; t < n; ++t) seeded.data.push_back(phase[t] - zero_body[t]);
  }
  auto bytes_ok = [&] {
    CompressedCompressionKey c{seeded, full.lwe_per_glwe, full.storage_log_modulus};
    return DecompressCompressionKey(c);
  }();
  ASSERT_TRUE(bytes_ok.ok()) << bytes_ok.status();
  const auto& d = bytes_ok->packing_key_switching_key;
  ASSERT_EQ(d.data.size(), f.data.size());
  for (uint64_t i = 0; i < d.input_lwe_dimension(); ++i) {
    GlweCiphertextOf<uint64_t> entry{
        std::vector<uint64_t>(d.Entry(i, 1), d.Entry(i, 1) + d.glwe_words()), 1, n};
    const std::vector<uint64_t> phase = GlwePhase(entry, s);
    const uint64_t expected = key.glwe_secret_key.data[i] << (64 - d.decomp_base_log);
    // TUniform(0): the noise is −1, 0 or 1.
    auto small = [](uint64_t x) {
      return static_cast<int64_t>(x) >= -1 && static_cast<int64_t>(x) <= 1;
    };
    EXPECT_TRUE(small(phase[0] - expected)) << i;
    for (uint64_t t = 1; t < n; ++t) ASSERT_TRUE(small(phase[t])) << i << " " << t;
  }
}

TEST(PackingKeySwitch, DecompressesTheSyntheticGoldenKeys) {
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  auto bytes = testing::ReadGolden("synthetic.CompressedServerKey.kms-test-full.bin");
  ASSERT_TRUE(bytes.has_value());
  auto csk = ParseCompressedServerKey(*bytes);
  ASSERT_TRUE(csk.ok()) << csk.status();
  ASSERT_TRUE(csk->compression_key && csk->noise_squashing_compression_key);
  auto ck = DecompressCompressionKey(*csk->compression_key);
  ASSERT_TRUE(ck.ok()) << ck.status();
  const auto& seeded = csk->compression_key->packing_key_switching_key;
  EXPECT_EQ(ck->packing_key_switching_key.input_lwe_dimension(), seeded.input_lwe_dimension());
  // Bodies kept in place, the masks from the seed's stream.
  const auto& p = ck->packing_key_switching_key;
  const uint64_t n = p.output_polynomial_size, k = p.output_glwe_dimension();
  crypto::TfheXof xof = MaskGeneratorFor(seeded.compression_seed);
  for (uint64_t t = 0; t < k * n; ++t) ASSERT_EQ(p.data[t], xof.NextU64());
  for (uint64_t t = 0; t < n; ++t) ASSERT_EQ(p.data[k * n + t], seeded.data[t]);
  auto nsck = DecompressNoiseSquashingCompressionKey(*csk->noise_squashing_compression_key);
  ASSERT_TRUE(nsck.ok()) << nsck.status();
  EXPECT_EQ(nsck->packing_key_switching_key.input_lwe_dimension(),
            csk->noise_squashing_compression_key->packing_key_switching_key.input_lwe_dimension());
  // The full keys serialize in the uncompressed ServerKey's form and parse back.
  Codec w = Codec::Writer("CompressionKey");
  Convert(w, *ck, "");
  ASSERT_TRUE(w.Finish().ok()) << w.Finish();
  Bytes out = w.TakeOutput();
  Codec r = Codec::Reader(out, "CompressionKey");
  CompressionKey back;
  Convert(r, back, "");
  ASSERT_TRUE(r.Finish().ok()) << r.Finish();
  EXPECT_EQ(back, *ck);
}

// ---- hostile input ----

struct Blob {
  std::string name;
  Bytes bytes;
  std::function<absl::StatusOr<Bytes>(const Bytes&)> round_trip;
};

std::vector<Blob> SmallBlobs() {
  kms::testing::SeededRng rng(51);
  const ClientKey& key = FullTestKey();
  std::vector<Blob> out;
  auto b = *EncryptSquashedNoiseFheBool(SnsKey(), true, 4, 4, 0, rng);
  out.push_back({"SquashedNoiseFheBool", *SerializeSquashedNoiseFheBool(b), [](const Bytes& x) {
                   return Reserialize(x, ParseSquashedNoiseFheBool, SerializeSquashedNoiseFheBool);
                 }});
  auto u = *EncryptSquashedNoiseFheUint(SnsKey(), 6, 3, 4, 4, 0, rng);
  // A 2-word LWE keeps the flips cheap; the checks do not depend on the dimension.
  for (auto& blk : u.packed_blocks) blk.ct.data.resize(2);
  out.push_back({"SquashedNoiseFheUint", *SerializeSquashedNoiseFheUint(u), [](const Bytes& x) {
                   return Reserialize(x, ParseSquashedNoiseFheUint, SerializeSquashedNoiseFheUint);
                 }});
  auto ck = *GenerateCompressionKey(key, rng);
  auto fu = *EncryptFheUint(key, 9, 3, rng);
  auto list = *CompressCiphertexts(ck, fu.blocks, {{DataKind::Kind::kUnsigned, 3}});
  list.tag = {1, 2, 3};
  list.re_randomization_metadata[0] = {9};
  out.push_back(
      {"CompressedCiphertextList", *SerializeCompressedCiphertextList(list), [](const Bytes& x) {
         return Reserialize(x, ParseCompressedCiphertextList, SerializeCompressedCiphertextList);
       }});
  auto nsck = *GenerateNoiseSquashingCompressionKey(key, rng);
  const std::vector<SquashedNoiseCiphertext> sq_blocks = {b.block};
  auto sq = *CompressSquashedNoiseCiphertexts(nsck, sq_blocks, {{DataKind::Kind::kBoolean}});
  out.push_back({"CompressedSquashedNoiseCiphertextList",
                 *SerializeCompressedSquashedNoiseCiphertextList(sq), [](const Bytes& x) {
                   return Reserialize(x, ParseCompressedSquashedNoiseCiphertextList,
                                      SerializeCompressedSquashedNoiseCiphertextList);
                 }});
  return out;
}

TEST(CompressedFormatsBadInput, EveryTruncationIsRefused) {
  for (const Blob& blob : SmallBlobs()) {
    ASSERT_TRUE(blob.round_trip(blob.bytes).ok()) << blob.name;
    for (size_t len = 0; len < blob.bytes.size(); ++len) {
      Bytes prefix(blob.bytes.begin(), blob.bytes.begin() + len);
      ASSERT_EQ(blob.round_trip(prefix).status().code(), absl::StatusCode::kInvalidArgument)
          << blob.name << " truncated to " << len;
    }
  }
}

TEST(CompressedFormatsBadInput, EveryAcceptedByteFlipRoundTrips) {
  for (const Blob& blob : SmallBlobs()) {
    size_t accepted = 0;
    for (size_t pos = 0; pos < blob.bytes.size(); ++pos) {
      for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
        Bytes mutated = blob.bytes;
        mutated[pos] ^= flip;
        auto result = blob.round_trip(mutated);
        if (!result.ok()) {
          ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
          continue;
        }
        ++accepted;
        ASSERT_TRUE(*result == mutated) << blob.name << " flip at " << pos;
      }
    }
    EXPECT_GT(accepted, 0u) << blob.name;
  }
}

void PutU64(Bytes& b, size_t offset, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

TEST(CompressedFormatsBadInput, HugeLengthsAreRefusedWithoutAllocation) {
  for (const Blob& blob : SmallBlobs()) {
    SCOPED_TRACE(blob.name);
    // The first length field after the header and the leading tags: the blocks / GLWE count.
    size_t offset = 0;
    const std::string type_name = "high_level_api::" + blob.name;
    const size_t name_end = 26 + 8 + type_name.size();
    ASSERT_LE(name_end, blob.bytes.size());
    if (blob.name == "SquashedNoiseFheBool") {
      offset = name_end + 4 * 5;  // five tags, then the LWE's data length
    } else if (blob.name == "SquashedNoiseFheUint") {
      offset = name_end + 4 * 3;  // packed_blocks count
    } else {
      offset = name_end + 4 * 3;  // the GLWE count of both lists
    }
    for (uint64_t length : {uint64_t{1} << 40, uint64_t{1} << 61, ~uint64_t{0}}) {
      Bytes mutated = blob.bytes;
      PutU64(mutated, offset, length);
      g_largest_allocation = 0;
      g_probe_armed = true;
      auto result = blob.round_trip(mutated);
      g_probe_armed = false;
      ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(std::string(result.status().message()),
                  HasSubstr("length " + std::to_string(length) + " exceeds remaining"));
      EXPECT_LT(g_largest_allocation.load(), mutated.size()) << length;
    }
  }
}

TEST(CompressedFormatsBadInput, TrailingBytesAndSizeLimit) {
  for (const Blob& blob : SmallBlobs()) {
    Bytes longer = blob.bytes;
    longer.push_back(0);
    EXPECT_THAT(std::string(blob.round_trip(longer).status().message()),
                HasSubstr("1 trailing bytes"))
        << blob.name;
  }
  auto blobs = SmallBlobs();
  const Bytes& bytes = blobs[0].bytes;
  EXPECT_TRUE(ParseSquashedNoiseFheBool(bytes, bytes.size()).ok());
  EXPECT_THAT(std::string(ParseSquashedNoiseFheBool(bytes, bytes.size() - 1).status().message()),
              HasSubstr("size limit"));
}

}  // namespace
}  // namespace kms::tfhe

namespace kms::tfhe {
namespace {

TEST(CompressedConformance, OurCiphertextsConformAndMismatchesAreNamed) {
  kms::testing::SeededRng rng(61);
  const ClientKey& key = FullTestKey();
  const auto& ns = key.noise_squashing_private_key->params;
  auto u = *EncryptSquashedNoiseFheUint(SnsKey(), kValue, 32, 4, 4, 0, rng);
  EXPECT_TRUE(CheckConformance(u, ns, 32).ok());
  EXPECT_THAT(std::string(CheckConformance(u, ns, 16).message()),
              HasSubstr("original_block_count is 32, expected 16"));
  auto b = *EncryptSquashedNoiseFheBool(SnsKey(), true, 4, 4, 0, rng);
  EXPECT_TRUE(CheckConformance(b, ns).ok());
  NoiseSquashingParameters other = ns;
  other.polynomial_size = 512;
  EXPECT_THAT(std::string(CheckConformance(b, other).message()),
              HasSubstr("ciphertext.ct dimension is 256, expected 512"));

  auto nsck = *GenerateNoiseSquashingCompressionKey(key, rng);
  auto sq =
      *CompressSquashedNoiseCiphertexts(nsck, u.packed_blocks, {{DataKind::Kind::kUnsigned, 32}});
  const auto& nsc = key.noise_squashing_compression_private_key->params;
  EXPECT_TRUE(CheckConformance(sq, nsc).ok());
  NoiseSquashingCompressionParameters nsc_other = nsc;
  nsc_other.lwe_per_glwe = 64;
  EXPECT_THAT(std::string(CheckConformance(sq, nsc_other).message()),
              HasSubstr("meta.lwe_per_glwe is 128, expected 64"));

  auto ck = *GenerateCompressionKey(key, rng);
  auto fu = *EncryptFheUint(key, 9, 3, rng);
  auto list = *CompressCiphertexts(ck, fu.blocks, {{DataKind::Kind::kUnsigned, 3}});
  EXPECT_TRUE(CheckConformance(list, key.compression_key->params, key.parameters).ok());
  CompressionParameters cp = key.compression_key->params;
  cp.storage_log_modulus = 12;
  EXPECT_THAT(std::string(CheckConformance(list, cp, key.parameters).message()),
              HasSubstr("glwe[0].log_modulus is 9, expected 12"));
}

}  // namespace
}  // namespace kms::tfhe
