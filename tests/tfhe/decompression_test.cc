// Decompression of SmallCompressed lists (tfhe/decompression.h) at the kms-test shape: the
// golden kms-test ClientKey and server key with our compression secret (PARAMS_TEST_BK_SNS's
// compression: k 1, N 256, storage log 9, br 1/24), compression key and decompression key.
// Encrypt → CompressCiphertexts → serialize / parse → unpack with the decompression PBS →
// decrypt; tfhe-rs's degrees and noise levels; the noise against the model; unpacked blocks
// added with AddFheUint; refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "tfhe/decompression_fixture.h"
#include "tfhe/mask_regeneration.h"
#include "tfhe/noise_model.h"
#include "tfhe/noise_squashing.h"

namespace kms::tfhe {
namespace {

using ::testing::HasSubstr;

const testing::DecompressionSetup* SharedSetup() {
  static const testing::DecompressionSetup* s = []() -> const testing::DecompressionSetup* {
    if (!testing::HaveGoldenFiles()) return nullptr;
    auto r = testing::MakeDecompressionSetup("kms-test", KmsTestCompressionParameters());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? new testing::DecompressionSetup(std::move(*r)) : nullptr;
  }();
  return s;
}

#define REQUIRE_SETUP()                                               \
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files"; \
  const testing::DecompressionSetup* s = SharedSetup();               \
  ASSERT_NE(s, nullptr)

TEST(DecompressionLookupTable, IdentityOverCarryBoxesAtTheListEncoding) {
  // 2_2: 4 input boxes of 64 (the compressed message·4 fills the top 2 bits), outputs i·2^59.
  const auto lut = DecompressionLookupTable(256, 4, 4);
  ASSERT_EQ(lut.body.size(), 256u);
  EXPECT_EQ(lut.degree, 3u);
  const uint64_t delta = uint64_t{1} << 59;
  // Rotated left by half a box (32): box i covers [64·i − 32, 64·i + 32).
  for (size_t j = 0; j < 32; ++j) EXPECT_EQ(lut.body[j], 0u) << j;
  for (size_t j = 32; j < 96; ++j) EXPECT_EQ(lut.body[j], delta) << j;
  for (size_t j = 160; j < 224; ++j) EXPECT_EQ(lut.body[j], 3 * delta) << j;
  // The negated first half box of 0 is still 0 at the end.
  for (size_t j = 224; j < 256; ++j) EXPECT_EQ(lut.body[j], 0u) << j;
}

TEST(Decompression, KeyShapes) {
  REQUIRE_SETUP();
  const auto& k = s->decompression_key.blind_rotate_key;
  EXPECT_EQ(k.input_lwe_dimension(), 256u);   // compression GLWE k 1, N 256 as LWE
  EXPECT_EQ(k.output_lwe_dimension(), 256u);  // compute GLWE k 1, N 256
  EXPECT_EQ(k.base_log(), 24u);
  EXPECT_EQ(k.level_count(), 1u);
  EXPECT_EQ(s->decompression_key.lwe_per_glwe, 256u);
  ASSERT_TRUE(s->list.meta.has_value());
  EXPECT_EQ(s->list.len(), 37u);
  EXPECT_EQ(s->list.modulus_switched_glwe_ciphertext_list.size(), 1u);
  EXPECT_EQ(s->list.modulus_switched_glwe_ciphertext_list[0].packed_integers.log_modulus, 9u);
}

TEST(Decompression, UnpacksAndDecryptsWithTfheRsMetadataAndModelNoise) {
  REQUIRE_SETUP();
  double worst = 0;
  const double variance = testing::CheckUnpackedList(*s, worst);
  const CompressionParameters cp = KmsTestCompressionParameters();
  const double expected = testing::BootstrapVariance(
      256, s->ck.parameters.glwe_dimension, s->ck.parameters.polynomial_size, cp.br_base_log,
      cp.br_level, testing::TUniformVariance(s->ck.parameters.glwe_noise_distribution.bound_log2),
      64);
  std::printf(
      "decompressed noise (kms-test): std 2^%.2f, max 2^%.2f, model std 2^%.2f (Δ = 2^59)\n",
      0.5 * std::log2(variance), worst, 0.5 * std::log2(expected));
  // The model has no term for the f64 FFT's rounding, which at N 256 and 24-bit digits is of
  // the order of the decomposition rounding (≈ 2^40 per external product, 256 of them: 2^44,
  // against the model's 2^45.2); measured ≈ 2.3× the model's variance, so 4× here. At
  // kms-default (N 2048, 23/1) the FFT term is small and the default test keeps 2.5×.
  EXPECT_LT(variance, 4 * expected);
  EXPECT_LT(worst, 56);  // far below Δ/2 = 2^58
}

TEST(Decompression, UnpackedBlocksAdd) {
  REQUIRE_SETUP();
  auto a = UnpackFheUint(s->list, 0, s->decompression_key);
  ASSERT_TRUE(a.ok()) << a.status();
  auto sum = AddFheUint(s->sk, *a, *a);
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(static_cast<uint64_t>(*DecryptFheUint(s->ck, *sum)), (2 * testing::kU8) & 0xff);
  auto big = UnpackFheUint(s->list, 1, s->decompression_key);
  ASSERT_TRUE(big.ok()) << big.status();
  auto sum64 = AddFheUint(s->sk, *big, *big);
  ASSERT_TRUE(sum64.ok()) << sum64.status();
  EXPECT_EQ(static_cast<uint64_t>(*DecryptFheUint(s->ck, *sum64)), 2 * testing::kU64);
  // The sums serialize as FheUints (their degrees and shapes pass the codec).
  EXPECT_TRUE(SerializeFheUint(*sum).ok());
  auto b = UnpackFheBool(s->list, 2, s->decompression_key);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(SerializeFheBool(*b).ok());
}

// A seeded decompression key in a CompressedServerKey (the form a server key carries), with our
// key's plaintexts and noise under masks from a CompressionSeed's stream: serialized, parsed,
// decompressed (mask regeneration, Fourier conversion) and used. This checks the path and the
// body layout (GGSW, levels L…1, rows 0…k); the stream itself is checked against node-tfhe's
// keys by tfhe_mask_regeneration_test.
TEST(Decompression, FromASeededServerKeyPart) {
  REQUIRE_SETUP();
  const LweBootstrapKey<uint64_t>& ref = s->decompression_bsk;
  const size_t n = ref.input_lwe_dimension(), L = ref.decomp_level_count, G = ref.glwe_size,
               N = ref.polynomial_size;
  SeededLweBootstrapKey<uint64_t> seeded;
  auto& list = seeded.ggsw_list;
  list.glwe_size = G;
  list.polynomial_size = N;
  list.decomp_base_log = ref.decomp_base_log;
  list.decomp_level_count = L;
  list.compression_seed.seed = (static_cast<u128>(0x0123456789abcdefULL) << 64) | 0x5eed;
  list.data.assign(n * L * G * N, 0);
  auto masks = DecompressBootstrapKey(seeded);  // zero bodies: the regenerated masks only
  ASSERT_TRUE(masks.ok()) << masks.status();
  const GlweSecretKey<uint64_t>& key = s->ck.glwe_secret_key;
  for (size_t i = 0; i < n; ++i) {
    for (size_t level = L; level >= 1; --level) {
      for (size_t r = 0; r < G; ++r) {
        // body = (plaintext + noise of our row) + A_new·S = phase_ref − phase(A_new, 0).
        GlweCiphertextOf<uint64_t> old_row{
            std::vector<uint64_t>(ref.Row(i, level, r), ref.Row(i, level, r) + G * N), G - 1, N};
        GlweCiphertextOf<uint64_t> new_row{
            std::vector<uint64_t>(masks->Row(i, level, r), masks->Row(i, level, r) + G * N), G - 1,
            N};
        const auto phase_ref = GlwePhase(old_row, key);
        const auto phase_new = GlwePhase(new_row, key);
        uint64_t* body = list.data.data() + ((i * L + (L - level)) * G + r) * N;
        for (size_t j = 0; j < N; ++j) body[j] = phase_ref[j] - phase_new[j];
      }
    }
  }
  auto sk_bytes = testing::ReadGolden("kms-test.CompressedServerKey.bin");
  ASSERT_TRUE(sk_bytes.has_value());
  auto csk = ParseCompressedServerKey(*sk_bytes);
  ASSERT_TRUE(csk.ok()) << csk.status();
  csk->decompression_key = CompressedDecompressionKey{seeded, 256, {}};
  auto bytes = SerializeCompressedServerKey(*csk);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto parsed = ParseCompressedServerKey(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto dk = DecompressDecompressionKey(*parsed);
  ASSERT_TRUE(dk.ok()) << dk.status();
  EXPECT_EQ(dk->tag, parsed->tag);
  EXPECT_EQ(dk->lwe_per_glwe, 256u);
  auto v = UnpackFheUint(s->list, 1, *dk);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(static_cast<uint64_t>(*DecryptFheUint(s->ck, *v)), testing::kU64);
  auto b = UnpackFheBool(s->list, 2, *dk);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(*DecryptFheBool(s->ck, *b));
}

// Unpacked blocks squash (PARAMS_TEST_BK_SNS's SnS, our key, drift technique) and decrypt at
// 128 bits.
TEST(Decompression, UnpackedBlocksSquash) {
  REQUIRE_SETUP();
  ClientKey ck = s->ck;
  kms::testing::SeededRng rng(5);
  const NoiseSquashingParameters params = KmsTestNoiseSquashingParameters();
  ck.noise_squashing_private_key = GenerateNoiseSquashingPrivateKey(params, rng);
  auto bsk = GenerateNoiseSquashingBootstrapKey(ck, rng);
  ASSERT_TRUE(bsk.ok()) << bsk.status();
  auto drift =
      GenerateDriftTechniqueKey(ck.lwe_secret_key.data, ck.parameters.lwe_noise_distribution,
                                params.modulus_switch_noise_reduction_params.drift, rng);
  ASSERT_TRUE(drift.ok()) << drift.status();
  auto nsk = MakeNoiseSquashingKey(*bsk, params, std::move(*drift));
  ASSERT_TRUE(nsk.ok()) << nsk.status();
  auto v = UnpackFheUint(s->list, 0, s->decompression_key);
  ASSERT_TRUE(v.ok()) << v.status();
  for (size_t j = 0; j < v->blocks.size(); ++j) {
    auto sq = SquashNoise(s->sk, *nsk, v->blocks[j]);
    ASSERT_TRUE(sq.ok()) << sq.status();
    auto m = DecryptSquashedNoiseBlock(*NoiseSquashingLweKey(ck), *sq);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(*m, (testing::kU8 >> (2 * j)) & 3) << j;
  }
}

TEST(Decompression, Refusals) {
  REQUIRE_SETUP();
  const DecompressionKey64& key = s->decompression_key;
  auto out = UnpackFheUint(s->list, 3, key);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("out of range"));
  EXPECT_EQ(UnpackFheBool(s->list, 3, key).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UnpackBlock(s->list, 37, key).status().code(), absl::StatusCode::kInvalidArgument);
  // The wrong kind.
  EXPECT_THAT(UnpackFheBool(s->list, 0, key).status().message(), HasSubstr("not a boolean"));
  EXPECT_THAT(UnpackFheUint(s->list, 2, key).status().message(), HasSubstr("not an unsigned"));
  // A key of the wrong input dimension (128 GGSWs of 256).
  LweBootstrapKey<uint64_t> cut = s->decompression_bsk;
  cut.data.resize(128 * cut.ggsw_size());
  auto wrong = MakeDecompressionKey(cut, 256);
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  auto r = UnpackBlock(s->list, 0, *wrong);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("input dimension 128"));
  // message ≠ carry, as tfhe-rs refuses.
  CompressedCiphertextList odd = s->list;
  odd.meta->carry_modulus = 8;
  EXPECT_THAT(UnpackBlock(odd, 0, key).status().message(), HasSubstr("!= carry modulus"));
  // No meta.
  CompressedCiphertextList no_meta = s->list;
  no_meta.meta.reset();
  EXPECT_EQ(UnpackBlock(no_meta, 0, key).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeDecompressionKey(s->decompression_bsk, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  // The golden kms-test server key has no decompression key; a client key without a compression
  // secret cannot make one.
  auto sk_bytes = testing::ReadGolden("kms-test.CompressedServerKey.bin");
  ASSERT_TRUE(sk_bytes.has_value());
  auto csk = ParseCompressedServerKey(*sk_bytes);
  ASSERT_TRUE(csk.ok());
  EXPECT_EQ(DecompressDecompressionKey(*csk).status().code(), absl::StatusCode::kInvalidArgument);
  ClientKey plain = s->ck;
  plain.compression_key.reset();
  kms::testing::SeededRng rng(1);
  EXPECT_EQ(GenerateDecompressionKey(plain, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::tfhe
