// What the golden blobs hold, read through our types: the parameter sets of the README, the
// compact public key identity b = a ⊛ rev(s) + e, the compact lists' layout (decrypted directly
// with the dedicated compact secret, no expansion), and the server keys' shapes.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tfhe/client_key_encryption.h"
#include "tfhe/conformance.h"
#include "tfhe/golden_files.h"

namespace kms::tfhe {
namespace {

using testing::ReadGolden;

class GoldenContents : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  }
  template <typename T, typename F>
  T Load(const std::string& name, F parse) {
    auto bytes = ReadGolden(name);
    EXPECT_TRUE(bytes.has_value()) << name;
    auto v = parse(*bytes, kDefaultSizeLimit);
    EXPECT_TRUE(v.ok()) << name << ": " << v.status();
    return v.ok() ? std::move(*v) : T{};
  }
};

CompactPublicKeyEncryptionParameters KmsDefaultCpkParameters() {
  CompactPublicKeyEncryptionParameters p;
  p.encryption_lwe_dimension = 2048;
  p.encryption_noise_distribution = DynamicDistribution::TUniform(17);
  p.message_modulus = 4;
  p.carry_modulus = 4;
  p.ciphertext_modulus = CiphertextModulus{0, 64};
  p.expansion_kind = ExpansionKind{ExpansionKind::Kind::kRequiresCasting, {}};
  p.zk_scheme = SupportedCompactPkeZkScheme::kV2;
  return p;
}

TEST_F(GoldenContents, KmsDefaultClientKeyHoldsBcParamsSns) {
  auto ck = Load<ClientKey>("kms-default.ClientKey.bin", ParseClientKey);
  const ClassicPBSParameters& p = ck.parameters;
  EXPECT_EQ(p.lwe_dimension, 918u);
  EXPECT_EQ(p.glwe_dimension, 1u);
  EXPECT_EQ(p.polynomial_size, 2048u);
  EXPECT_EQ(p.lwe_noise_distribution, DynamicDistribution::TUniform(45));
  EXPECT_EQ(p.glwe_noise_distribution, DynamicDistribution::TUniform(17));
  EXPECT_EQ(p.pbs_base_log, 23u);
  EXPECT_EQ(p.pbs_level, 1u);
  EXPECT_EQ(p.ks_base_log, 4u);
  EXPECT_EQ(p.ks_level, 4u);
  EXPECT_EQ(p.message_modulus, 4u);
  EXPECT_EQ(p.carry_modulus, 4u);
  EXPECT_EQ(p.max_noise_level, 5u);
  EXPECT_NEAR(p.log2_p_fail, -129.581, 1e-3);
  EXPECT_TRUE(p.ciphertext_modulus.is_native());
  EXPECT_EQ(p.encryption_key_choice, EncryptionKeyChoice::kBig);
  EXPECT_EQ(p.modulus_switch_noise_reduction_params.kind, ModulusSwitchType::Kind::kCenteredMean);
  EXPECT_FALSE(ck.wopbs_parameters.has_value());
  ASSERT_TRUE(ck.dedicated_compact_private_key.has_value());
  EXPECT_EQ(ck.dedicated_compact_private_key->parameters, KmsDefaultCpkParameters());
  EXPECT_EQ(ck.dedicated_compact_private_key->ksk_parameters,
            (ShortintKeySwitchingParameters{4, 4, EncryptionKeyChoice::kSmall}));
  EXPECT_FALSE(ck.compression_key || ck.noise_squashing_private_key ||
               ck.noise_squashing_compression_private_key || ck.cpk_re_randomization_ksk_params);
  EXPECT_TRUE(ck.tag.empty());
  for (uint64_t bit : ck.glwe_secret_key.data) EXPECT_LE(bit, 1u);
}

TEST_F(GoldenContents, KmsTestClientKeyHoldsTheTestShape) {
  auto ck = Load<ClientKey>("kms-test.ClientKey.bin", ParseClientKey);
  EXPECT_EQ(ck.parameters.lwe_dimension, 1u);
  EXPECT_EQ(ck.parameters.polynomial_size, 256u);
  EXPECT_EQ(ck.parameters.pbs_base_log, 24u);
  EXPECT_EQ(ck.parameters.ks_base_log, 37u);
  EXPECT_EQ(ck.parameters.modulus_switch_noise_reduction_params.kind,
            ModulusSwitchType::Kind::kStandard);
  ASSERT_TRUE(ck.dedicated_compact_private_key.has_value());
  EXPECT_EQ(ck.dedicated_compact_private_key->parameters.encryption_lwe_dimension, 512u);
  EXPECT_EQ(ck.dedicated_compact_private_key->parameters.zk_scheme,
            SupportedCompactPkeZkScheme::kZkNotSupported);
}

TEST_F(GoldenContents, SyntheticClientKeyHasEveryOptionalKey) {
  auto ck = Load<ClientKey>("synthetic.ClientKey.kms-test-full.bin", ParseClientKey);
  EXPECT_EQ(ck.parameters.modulus_switch_noise_reduction_params.kind,
            ModulusSwitchType::Kind::kDriftTechnique);
  EXPECT_EQ(ck.parameters.modulus_switch_noise_reduction_params.drift.modulus_switch_zeros_count,
            10u);
  ASSERT_TRUE(ck.compression_key.has_value());
  EXPECT_EQ(ck.compression_key->params.storage_log_modulus, 9u);
  ASSERT_TRUE(ck.noise_squashing_private_key.has_value());
  EXPECT_EQ(ck.noise_squashing_private_key->params.decomp_base_log, 33u);
  EXPECT_EQ(ck.noise_squashing_private_key->params.decomp_level_count, 2u);
  ASSERT_TRUE(ck.noise_squashing_compression_private_key.has_value());
  EXPECT_EQ(ck.noise_squashing_compression_private_key->params.packing_ks_base_log, 61u);
  ASSERT_TRUE(ck.cpk_re_randomization_ksk_params.has_value());
  EXPECT_EQ(*ck.cpk_re_randomization_ksk_params,
            (ShortintKeySwitchingParameters{17, 1, EncryptionKeyChoice::kBig}));
}

// b = a ⊛ rev(s) + e: (a ⊛ rev(s))_i = Σ_j a_j·s_{n−1−(i−j)} for j <= i, minus the wrapped terms.
int64_t MaxCpkNoise(const CompactPublicKey& cpk, const std::vector<uint64_t>& s) {
  const size_t n = cpk.key.lwe_dimension();
  const uint64_t* a = cpk.key.glwe_ciphertext.data.data();
  const uint64_t* b = a + n;
  int64_t worst = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t acc = 0;
    for (size_t j = 0; j < n; ++j) {
      // X^j·X^(n−1−k) = X^i with k = n−1−(i−j) (j <= i) or wrapping with a sign (j > i).
      if (j <= i) {
        acc += a[j] * s[n - 1 - (i - j)];
      } else {
        acc -= a[j] * s[n - 1 - (i + n - j)];
      }
    }
    const int64_t e = static_cast<int64_t>(b[i] - acc);
    worst = std::max<int64_t>(worst, std::llabs(e));
  }
  return worst;
}

TEST_F(GoldenContents, CompactPublicKeysSatisfyTheIdentityAndConform) {
  for (const std::string prefix : {"kms-default", "kms-test"}) {
    auto ck = Load<ClientKey>(prefix + ".ClientKey.bin", ParseClientKey);
    ASSERT_TRUE(ck.dedicated_compact_private_key.has_value());
    const auto& dedicated = *ck.dedicated_compact_private_key;
    auto cpk = Load<CompactPublicKey>(prefix + ".CompactPublicKey.bin", ParseCompactPublicKey);
    EXPECT_TRUE(CheckConformance(cpk.parameters, dedicated.parameters).ok());
    const int64_t bound = int64_t{1}
                          << dedicated.parameters.encryption_noise_distribution.bound_log2;
    EXPECT_LE(MaxCpkNoise(cpk, dedicated.key.data), bound) << prefix;

    // The decompressed CPK keeps the compressed one's body, parameters and tag.
    auto ccpk = Load<CompressedCompactPublicKey>(prefix + ".CompressedCompactPublicKey.bin",
                                                 ParseCompressedCompactPublicKey);
    auto from = Load<CompactPublicKey>(prefix + ".CompactPublicKey.from_compressed.bin",
                                       ParseCompactPublicKey);
    const size_t n = from.key.lwe_dimension();
    ASSERT_EQ(ccpk.key.lwe_dimension(), n);
    EXPECT_TRUE(std::equal(ccpk.key.seeded_glwe_ciphertext.data.begin(),
                           ccpk.key.seeded_glwe_ciphertext.data.end(),
                           from.key.glwe_ciphertext.data.begin() + n));
    EXPECT_EQ(ccpk.parameters, from.parameters);
    EXPECT_LE(MaxCpkNoise(from, dedicated.key.data), bound) << prefix;
  }
  auto cpk = Load<CompactPublicKey>("kms-default.CompactPublicKey.bin", ParseCompactPublicKey);
  EXPECT_TRUE(CheckConformance(cpk.parameters, KmsDefaultCpkParameters()).ok());
  auto other = KmsDefaultCpkParameters();
  other.zk_scheme = SupportedCompactPkeZkScheme::kV1;
  EXPECT_EQ(CheckConformance(cpk.parameters, other).message(),
            "not conformant with the parameter set: parameters.zk_scheme differs");
}

// The 4-bit plaintext of LWE i of a compact list, decrypted with the compact secret s:
// mask_i = X^(i mod n̂)·M_(i / n̂) (negacyclic), phase = body_i − ⟨mask_i, s⟩.
uint64_t DecryptCompact(const LweCompactCiphertextList& list, const std::vector<uint64_t>& s,
                        size_t i) {
  const size_t n = list.lwe_dimension();
  const uint64_t* mask = list.data.data() + (i / n) * n;
  const uint64_t body = list.data[list.mask_count() * n + i];
  const size_t shift = i % n;
  uint64_t dot = 0;
  for (size_t k = 0; k < n; ++k) {
    dot += k >= shift ? mask[k - shift] * s[k] : (0 - mask[k - shift + n]) * s[k];
  }
  return DecodeMessageAndCarry(body - dot, 4, 4);
}

TEST_F(GoldenContents, CompactListsHoldTheValuesJsonPlaintexts) {
  // values.json: bool, u8, u64, u128, u256, little-endian 2-bit blocks.
  const u128 u128v = (u128{0x0123456789abcdefULL} << 64) | 0xfedcba9876543210ULL;
  const u128 u256_lo = (u128{0x8796a5b4c3d2e1f0ULL}) | (u128{0x0f1e2d3c4b5a6978ULL} << 64);
  const u128 u256_hi = (u128{0x8899aabbccddeeffULL}) | (u128{0x0011223344556677ULL} << 64);
  std::vector<uint64_t> blocks = {1};
  for (int i = 0; i < 4; ++i) blocks.push_back((0xabu >> (2 * i)) & 3);
  for (int i = 0; i < 32; ++i) blocks.push_back((0x0123456789abcdefULL >> (2 * i)) & 3);
  for (int i = 0; i < 64; ++i) blocks.push_back(static_cast<uint64_t>(u128v >> (2 * i)) & 3);
  for (int i = 0; i < 128; ++i) {
    const u128 half = i < 64 ? u256_lo : u256_hi;
    blocks.push_back(static_cast<uint64_t>(half >> (2 * (i % 64))) & 3);
  }
  ASSERT_EQ(blocks.size(), 229u);

  for (const std::string prefix : {"kms-default", "kms-test"}) {
    auto ck = Load<ClientKey>(prefix + ".ClientKey.bin", ParseClientKey);
    const auto& s = ck.dedicated_compact_private_key->key.data;
    for (bool packed : {false, true}) {
      auto list = Load<CompactCiphertextList>(
          prefix + ".CompactCiphertextList.mixed" + (packed ? ".packed" : "") + ".bin",
          ParseCompactCiphertextList);
      ASSERT_EQ(list.info.size(), 5u);
      EXPECT_EQ(list.info[0].kind, DataKind::Kind::kBoolean);
      EXPECT_EQ(list.info[4].block_count, 128u);
      EXPECT_EQ(list.is_packed(), packed);
      EXPECT_EQ(list.ct_list.lwe_ciphertext_count, packed ? 115u : 229u);
      for (size_t i = 0; i < list.ct_list.lwe_ciphertext_count; ++i) {
        const uint64_t expected =
            packed ? blocks[2 * i] + 4 * (2 * i + 1 < blocks.size() ? blocks[2 * i + 1] : 0)
                   : blocks[i];
        ASSERT_EQ(DecryptCompact(list.ct_list, s, i), expected) << prefix << " LWE " << i;
      }
    }
  }
}

TEST_F(GoldenContents, CompressedServerKeyShapes) {
  auto key =
      Load<CompressedServerKey>("kms-default.CompressedServerKey.bin", ParseCompressedServerKey);
  EXPECT_EQ(key.key_switching_key.data.size(), 8192u);
  EXPECT_EQ(key.key_switching_key.output_lwe_size, 919u);
  EXPECT_EQ(key.bootstrapping_key.ggsw_list.data.size(), 3760128u);
  EXPECT_EQ(key.small_lwe_dimension(), 918u);
  EXPECT_EQ(key.big_lwe_dimension(), 2048u);
  EXPECT_EQ(key.max_degree, 12u);
  EXPECT_EQ(key.max_noise_level, 5u);
  ASSERT_TRUE(key.cpk_key_switching_key_material.has_value());
  EXPECT_EQ(key.cpk_key_switching_key_material->key_switching_key.data.size(), 8192u);
  EXPECT_EQ(key.cpk_key_switching_key_material->destination_key, EncryptionKeyChoice::kSmall);
  EXPECT_FALSE(key.compression_key || key.decompression_key || key.noise_squashing_key ||
               key.noise_squashing_compression_key ||
               key.cpk_re_randomization_key_switching_key_material);

  auto full = Load<CompressedServerKey>("synthetic.CompressedServerKey.kms-test-full.bin",
                                        ParseCompressedServerKey);
  EXPECT_EQ(full.modulus_switch_noise_reduction_key.kind,
            CompressedModulusSwitchConfiguration::Kind::kDriftTechnique);
  EXPECT_TRUE(full.compression_key && full.decompression_key && full.noise_squashing_key &&
              full.noise_squashing_compression_key &&
              full.cpk_re_randomization_key_switching_key_material);
  EXPECT_EQ(full.max_degree, 15u);
  EXPECT_EQ(full.cpk_re_randomization_key_switching_key_material->kind,
            CompressedReRandomizationKeySwitchingKey::Kind::kDedicatedKSK);
}

TEST_F(GoldenContents, EveryBlobConformsWithItsClientKey) {
  for (const std::string prefix : {"kms-default", "kms-test"}) {
    SCOPED_TRACE(prefix);
    auto ck = Load<ClientKey>(prefix + ".ClientKey.bin", ParseClientKey);
    auto u64 = Load<FheUint>(prefix + ".FheUint64.client_key.bin", ParseFheUint);
    EXPECT_TRUE(CheckConformance(u64, ck.parameters, 32).ok());
    EXPECT_EQ(CheckConformance(u64, ck.parameters, 16).message(),
              "not conformant with the parameter set: block count is 32, expected 16");
    auto b = Load<FheBool>(prefix + ".FheBool.client_key.bin", ParseFheBool);
    EXPECT_TRUE(CheckConformance(b, ck.parameters).ok());
    for (const char* list : {"mixed", "mixed.packed", "u64", "u64.packed"}) {
      auto l = Load<CompactCiphertextList>(prefix + ".CompactCiphertextList." + list + ".bin",
                                           ParseCompactCiphertextList);
      EXPECT_TRUE(CheckConformance(l, ck.dedicated_compact_private_key->parameters).ok()) << list;
    }
    auto sk =
        Load<CompressedServerKey>(prefix + ".CompressedServerKey.bin", ParseCompressedServerKey);
    EXPECT_TRUE(CheckConformance(sk, ck).ok()) << CheckConformance(sk, ck);
  }
  auto full_ck = Load<ClientKey>("synthetic.ClientKey.kms-test-full.bin", ParseClientKey);
  auto full_sk = Load<CompressedServerKey>("synthetic.CompressedServerKey.kms-test-full.bin",
                                           ParseCompressedServerKey);
  EXPECT_TRUE(CheckConformance(full_sk, full_ck).ok()) << CheckConformance(full_sk, full_ck);

  // Cross-checks fail with the first differing field.
  auto default_ck = Load<ClientKey>("kms-default.ClientKey.bin", ParseClientKey);
  auto test_sk =
      Load<CompressedServerKey>("kms-test.CompressedServerKey.bin", ParseCompressedServerKey);
  EXPECT_EQ(CheckConformance(test_sk, default_ck).message(),
            "not conformant with the parameter set: key_switching_key.decomp_base_log is 37, "
            "expected 4");
  auto test_u64 = Load<FheUint>("kms-test.FheUint64.client_key.bin", ParseFheUint);
  EXPECT_EQ(CheckConformance(test_u64, default_ck.parameters, 32).message(),
            "not conformant with the parameter set: blocks[0].ct dimension is 256, expected 2048");
}

}  // namespace
}  // namespace kms::tfhe
