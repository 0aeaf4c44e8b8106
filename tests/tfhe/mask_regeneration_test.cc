// Mask regeneration of seeded objects (tfhe/mask_regeneration.h), checked against node-tfhe
// 1.4.0-alpha.3's golden blobs: a decompressed CompressedCompactPublicKey is byte-identical to
// node-tfhe's own decompress() output, and the decompressed key-switching and bootstrapping keys
// of the golden CompressedServerKeys decrypt, with the golden ClientKey, to the multiples of the
// input key bits tfhe-rs encrypts (a wrong stream position or order gives uniform phases).
#include "tfhe/mask_regeneration.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "tfhe/golden_files.h"

namespace kms::tfhe {
namespace {

using testing::ReadGolden;

template <typename T, typename F>
T Load(const std::string& name, F parse) {
  auto bytes = ReadGolden(name);
  EXPECT_TRUE(bytes.has_value()) << name;
  if (!bytes) return T{};
  auto v = parse(*bytes, kDefaultSizeLimit);
  EXPECT_TRUE(v.ok()) << name << ": " << v.status();
  return v.ok() ? std::move(*v) : T{};
}

class MaskRegeneration : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  }
};

TEST(MaskGenerator, StartsAtByteOneOfAesCtrUnderTheSeed) {
  // Byte 1 of AES_{u128le(seed)}(u128le(0)) onwards: the generator of a fresh seed and a plain
  // key/counter stream with its first byte dropped agree.
  const CompressionSeed seed{.seed = (u128{0x0011223344556677ULL} << 64) | 0x8899aabbccddeeffULL};
  crypto::TfheXof generator = MaskGeneratorFor(seed);
  crypto::AesKey key;
  algebra::StoreLe<algebra::Z128>(seed.seed, key.data());
  crypto::TfheXof plain(key, 0);
  uint8_t all[64], ours[63];
  plain.Fill(all);
  generator.Fill(ours);
  EXPECT_EQ(0, std::memcmp(all + 1, ours, sizeof(ours)));
}

TEST(MaskGenerator, SkipEqualsReading) {
  for (uint64_t skip : {0u, 1u, 15u, 16u, 17u, 255u, 256u, 257u, 1000u, 4097u}) {
    crypto::TfheXof a = crypto::TfheXof::FromCtrSeed(7), b = crypto::TfheXof::FromCtrSeed(7);
    std::vector<uint8_t> dropped(skip + 3);
    a.Fill(std::span<uint8_t>(dropped.data(), 3));
    b.Fill(std::span<uint8_t>(dropped.data(), 3));
    a.Fill(std::span<uint8_t>(dropped.data(), skip));
    b.Skip(skip);
    EXPECT_EQ(a.NextU128(), b.NextU128()) << skip;
  }
}

TEST_F(MaskRegeneration, CompactPublicKeyMatchesNodeTfheDecompressByteForByte) {
  for (const std::string prefix : {"kms-test", "kms-default"}) {
    auto ccpk = Load<CompressedCompactPublicKey>(prefix + ".CompressedCompactPublicKey.bin",
                                                 ParseCompressedCompactPublicKey);
    auto cpk = DecompressCompactPublicKey(ccpk);
    ASSERT_TRUE(cpk.ok()) << cpk.status();
    auto bytes = SerializeCompactPublicKey(*cpk);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    auto expected = ReadGolden(prefix + ".CompactPublicKey.from_compressed.bin");
    ASSERT_TRUE(expected.has_value());
    EXPECT_TRUE(*bytes == *expected) << prefix;
  }
}

// max |phase(entry(i, ℓ)) − s_in[i]·2^(64 − β·ℓ)| over every entry of a decompressed KSK.
uint64_t MaxKeySwitchingNoise(const LweKeyswitchKey& ksk, std::span<const uint64_t> s_in,
                              std::span<const uint64_t> s_out) {
  EXPECT_EQ(ksk.input_lwe_dimension(), s_in.size());
  EXPECT_EQ(ksk.output_lwe_size, s_out.size() + 1);
  uint64_t worst = 0;
  for (uint64_t i = 0; i < s_in.size(); ++i) {
    for (uint64_t level = 1; level <= ksk.decomp_level_count; ++level) {
      const uint64_t* lwe = ksk.Entry(i, level);
      uint64_t dot = 0;
      for (size_t j = 0; j < s_out.size(); ++j) dot += lwe[j] * s_out[j];
      const uint64_t expected = s_in[i] << (64 - ksk.decomp_base_log * level);
      const int64_t e = static_cast<int64_t>(lwe[s_out.size()] - dot - expected);
      worst = std::max<uint64_t>(worst, static_cast<uint64_t>(std::llabs(e)));
    }
  }
  return worst;
}

TEST_F(MaskRegeneration, KeySwitchingKeysDecryptToTheScaledInputKey) {
  for (const std::string prefix : {"kms-test", "kms-default"}) {
    SCOPED_TRACE(prefix);
    auto ck = Load<ClientKey>(prefix + ".ClientKey.bin", ParseClientKey);
    auto sk =
        Load<CompressedServerKey>(prefix + ".CompressedServerKey.bin", ParseCompressedServerKey);
    const uint64_t bound = uint64_t{1} << ck.parameters.lwe_noise_distribution.bound_log2;

    // The compute KSK: the GLWE key seen as LWE (k·N) → the small key (n), LWE noise.
    auto ksk = DecompressKeySwitchingKey(sk.key_switching_key);
    ASSERT_TRUE(ksk.ok()) << ksk.status();
    EXPECT_LE(MaxKeySwitchingNoise(*ksk, ck.glwe_secret_key.data, ck.lwe_secret_key.data), bound);

    // The CPK casting KSK: the compact secret (n̂) → the small key.
    ASSERT_TRUE(sk.cpk_key_switching_key_material.has_value());
    ASSERT_TRUE(ck.dedicated_compact_private_key.has_value());
    auto cast = DecompressKeySwitchingKey(sk.cpk_key_switching_key_material->key_switching_key);
    ASSERT_TRUE(cast.ok()) << cast.status();
    EXPECT_LE(MaxKeySwitchingNoise(*cast, ck.dedicated_compact_private_key->key.data,
                                   ck.lwe_secret_key.data),
              bound);

    // A stream shifted by one byte (tfhe-csprng 0.9's start) gives uniform phases. (Not with
    // kms-test: its small key has a single bit, which may be 0 and hide the mask.)
    if (prefix == "kms-test") continue;
    SeededLweKeyswitchKey shifted = sk.key_switching_key;
    LweKeyswitchKey wrong = *ksk;
    crypto::TfheXof xof = crypto::TfheXof::FromCtrSeed(shifted.compression_seed.seed);
    for (uint64_t e = 0; e < shifted.data.size(); ++e) {
      for (uint64_t j = 0; j + 1 < wrong.output_lwe_size; ++j) {
        wrong.data[e * wrong.output_lwe_size + j] = xof.NextU64();
      }
    }
    EXPECT_GT(MaxKeySwitchingNoise(wrong, ck.glwe_secret_key.data, ck.lwe_secret_key.data),
              uint64_t{1} << 60);
  }
}

// Negacyclic product a·s in Z_2^64[X]/(X^N + 1), coefficient `index` only.
uint64_t ProductCoefficient(const uint64_t* a, const uint64_t* s, uint64_t n, uint64_t index) {
  uint64_t acc = 0;
  for (uint64_t j = 0; j < n; ++j) {
    if (j <= index) {
      acc += a[j] * s[index - j];
    } else {
      acc -= a[j] * s[index + n - j];
    }
  }
  return acc;
}

// The phase of GLWE row coefficient `index` under the GLWE key S (k polynomials).
uint64_t GlwePhase(const uint64_t* glwe, const std::vector<uint64_t>& s, uint64_t k, uint64_t n,
                   uint64_t index) {
  uint64_t dot = 0;
  for (uint64_t p = 0; p < k; ++p)
    dot += ProductCoefficient(glwe + p * n, s.data() + p * n, n, index);
  return glwe[k * n + index] - dot;
}

TEST_F(MaskRegeneration, BootstrapKeyRowsDecryptToTheScaledKeyBits) {
  for (const std::string prefix : {"kms-test", "kms-default"}) {
    SCOPED_TRACE(prefix);
    auto ck = Load<ClientKey>(prefix + ".ClientKey.bin", ParseClientKey);
    auto sk =
        Load<CompressedServerKey>(prefix + ".CompressedServerKey.bin", ParseCompressedServerKey);
    auto bsk = DecompressBootstrapKey(sk.bootstrapping_key);
    ASSERT_TRUE(bsk.ok()) << bsk.status();
    const uint64_t k = bsk->glwe_size - 1, n = bsk->polynomial_size;
    const auto& s_glwe = ck.glwe_secret_key.data;
    const auto& s_lwe = ck.lwe_secret_key.data;
    ASSERT_EQ(bsk->input_lwe_dimension(), s_lwe.size());
    const uint64_t bound = uint64_t{1} << ck.parameters.glwe_noise_distribution.bound_log2;
    // kms-default has 918 GGSWs of N = 2048: check the first, one in the middle and the last,
    // and a few coefficients of each row (the schoolbook product is O(N) per coefficient).
    std::vector<uint64_t> ggsws = {0, s_lwe.size() / 2, s_lwe.size() - 1};
    if (s_lwe.size() <= 4) {
      ggsws.clear();
      for (uint64_t i = 0; i < s_lwe.size(); ++i) ggsws.push_back(i);
    }
    uint64_t checked = 0;
    for (uint64_t i : ggsws) {
      for (uint64_t level = 1; level <= bsk->decomp_level_count; ++level) {
        const uint64_t factor = s_lwe[i] << (64 - bsk->decomp_base_log * level);
        for (uint64_t row = 0; row <= k; ++row) {
          const uint64_t* glwe = bsk->Row(i, level, row);
          for (uint64_t index : {uint64_t{0}, uint64_t{1}, n / 2, n - 1}) {
            // Row j < k: −m·2^(64−βℓ)·S_j; row k: m·2^(64−βℓ) at coefficient 0.
            const uint64_t expected =
                row < k ? (0 - factor) * s_glwe[row * n + index] : (index == 0 ? factor : 0);
            const int64_t e = static_cast<int64_t>(GlwePhase(glwe, s_glwe, k, n, index) - expected);
            EXPECT_LE(static_cast<uint64_t>(std::llabs(e)), bound)
                << "GGSW " << i << " level " << level << " row " << row << " coefficient " << index;
            ++checked;
          }
        }
      }
    }
    EXPECT_GT(checked, 0u);
  }
}

TEST(MaskRegenerationErrors, NonNativeModulusIsUnimplemented) {
  SeededLweKeyswitchKey ksk;
  ksk.data = {1, 2};
  ksk.decomp_base_log = 4;
  ksk.decomp_level_count = 1;
  ksk.output_lwe_size = 3;
  ksk.modulus = CiphertextModulus{u128{1} << 63, 64};
  EXPECT_EQ(DecompressKeySwitchingKey(ksk).status().code(), absl::StatusCode::kUnimplemented);
}

TEST(MaskRegenerationErrors, HostileOutputSizesAreRefusedBeforeAllocating) {
  // Two stored bodies, but an output_lwe_size / glwe_size that asks for more than 2 GiB.
  SeededLweKeyswitchKey ksk;
  ksk.data = {1, 2};
  ksk.decomp_base_log = 4;
  ksk.decomp_level_count = 1;
  ksk.output_lwe_size = uint64_t{1} << 60;
  EXPECT_EQ(DecompressKeySwitchingKey(ksk).status().message(),
            "the decompressed key-switching key would exceed the 2 GiB size limit");
  SeededLweBootstrapKey<uint64_t> bsk;
  bsk.ggsw_list.data = {1, 2};
  bsk.ggsw_list.polynomial_size = 2;
  bsk.ggsw_list.decomp_base_log = 4;
  bsk.ggsw_list.decomp_level_count = 1;
  bsk.ggsw_list.glwe_size = uint64_t{1} << 40;
  EXPECT_EQ(DecompressBootstrapKey(bsk).status().message(),
            "the decompressed bootstrapping key would exceed the 2 GiB size limit");
}

}  // namespace
}  // namespace kms::tfhe
