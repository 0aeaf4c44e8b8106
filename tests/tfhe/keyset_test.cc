// The centralized keyset (tfhe/keyset.h) at the test parameters: the published server key
// round-trips to equal bytes and passes the format's own checks, loads into our computing keys,
// and the whole path (CPK encryption → expansion → addition → SmallExpanded / SmallCompressed /
// switch-and-squash → BigCompressed) decrypts to the sum. Hostile and inconsistent published
// keys are refused with InvalidArgument naming the part. The default set is only checked for
// its parameters here (its generation takes tens of seconds: bench/tfhe_bench.cc).
#include "tfhe/keyset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "testing/seeded_rng.h"
#include "tfhe/compact_encryption.h"
#include "tfhe/keyset_fixture.h"
#include "tfhe/keyswitch.h"

namespace kms::tfhe {
namespace {

using ::testing::HasSubstr;

const Keyset& TestKeyset() {
  static const Keyset* ks = [] {
    kms::testing::SeededRng rng(2026);
    auto k = GenerateKeyset(KmsTestKeysetParameters(), rng);
    EXPECT_TRUE(k.ok()) << k.status();
    return new Keyset(std::move(*k));
  }();
  return *ks;
}

const ComputeKeys& TestComputeKeys() {
  static const ComputeKeys* keys = [] {
    auto k = LoadPublishedServerKey(TestKeyset().server_key);
    EXPECT_TRUE(k.ok()) << k.status();
    return new ComputeKeys(std::move(*k));
  }();
  return *keys;
}

std::vector<uint64_t> Bits(size_t n, kms::testing::SeededRng& rng) {
  std::vector<uint64_t> v(n);
  for (auto& b : v) b = rng.Uniform<uint64_t>() & 1;
  return v;
}

uint64_t Phase(std::span<const uint64_t> lwe, std::span<const uint64_t> key) {
  uint64_t dot = 0;
  for (size_t j = 0; j < key.size(); ++j) dot += lwe[j] * key[j];
  return lwe[key.size()] - dot;
}

// Every entry (i, ℓ) encrypts s_in[i]·2^(64 − βℓ) with TUniform noise, and a key switch with the
// key keeps an LWE's phase up to the decomposition and key noise.
TEST(GenerateLweKeyswitchKey, EntriesEncryptTheScaledInputKey) {
  kms::testing::SeededRng rng(11);
  const auto s_in = Bits(200, rng), s_out = Bits(64, rng);
  const uint32_t bound = 20;
  auto ksk = GenerateLweKeyswitchKey(s_in, s_out, 4, 4, bound, rng);
  ASSERT_TRUE(ksk.ok()) << ksk.status();
  EXPECT_EQ(ksk->input_lwe_dimension(), 200u);
  EXPECT_EQ(ksk->output_lwe_size, 65u);
  for (uint64_t i = 0; i < 200; ++i) {
    for (uint64_t level = 1; level <= 4; ++level) {
      const uint64_t* e = ksk->Entry(i, level);
      const auto noise =
          static_cast<int64_t>(Phase({e, 65}, s_out) - (s_in[i] << (64 - 4 * level)));
      ASSERT_LE(std::llabs(noise), int64_t{1} << bound) << i << " " << level;
    }
  }
  // An LWE under s_in of the message 3·2^60 switches to one under s_out.
  std::vector<uint64_t> in(201);
  for (size_t j = 0; j < 200; ++j) in[j] = rng.Uniform<uint64_t>();
  uint64_t dot = 0;
  for (size_t j = 0; j < 200; ++j) dot += in[j] * s_in[j];
  in[200] = dot + (uint64_t{3} << 60);
  std::vector<uint64_t> out(65);
  ASSERT_TRUE(KeyswitchLweChecked(*ksk, in, out).ok());
  const auto err = static_cast<int64_t>(Phase(out, s_out) - (uint64_t{3} << 60));
  EXPECT_LT(std::llabs(err),
            int64_t{1} << 57);  // Σ of 200 roundings below 2^48 each, far from 2^60

  EXPECT_EQ(GenerateLweKeyswitchKey(s_in, s_out, 0, 4, bound, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateLweKeyswitchKey(s_in, s_out, 17, 4, bound, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateLweKeyswitchKey(s_in, {}, 4, 4, bound, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The packing keys' products go through the NTT: every entry's phase (computed here with
// GlwePhase's own products) is the constant s_in[i]·2^(w − βℓ) plus TUniform noise, exactly.
template <typename Scalar>
void CheckPackingKeyEntries(uint64_t k, uint64_t n, uint64_t base_log, uint64_t levels,
                            uint32_t bound) {
  kms::testing::SeededRng rng(12);
  constexpr uint64_t w = sizeof(Scalar) * 8;
  std::vector<Scalar> s_in(40);
  for (auto& b : s_in) b = rng.Uniform<uint64_t>() & 1;
  GlweSecretKey<Scalar> out;
  out.polynomial_size = n;
  out.data.resize(k * n);
  for (auto& b : out.data) b = rng.Uniform<uint64_t>() & 1;
  auto key = GeneratePackingKeySwitchingKey<Scalar>(s_in, out, base_log, levels, bound, rng);
  ASSERT_TRUE(key.ok()) << key.status();
  const unsigned __int128 limit = static_cast<unsigned __int128>(1) << bound;
  for (uint64_t i = 0; i < s_in.size(); ++i) {
    for (uint64_t level = 1; level <= levels; ++level) {
      GlweCiphertextOf<Scalar> g;
      g.glwe_dimension = k;
      g.polynomial_size = n;
      g.data.assign(key->Entry(i, level), key->Entry(i, level) + (k + 1) * n);
      std::vector<Scalar> phase = GlwePhase(g, out);
      phase[0] -= s_in[i] << (w - base_log * level);
      for (uint64_t t = 0; t < n; ++t) {
        const Scalar e = phase[t];
        const Scalar mag = (e >> (w - 1)) ? Scalar{0} - e : e;
        ASSERT_LE(static_cast<unsigned __int128>(mag), limit) << i << " " << level << " " << t;
      }
    }
  }
}

TEST(GeneratePackingKeySwitchingKey, EntriesAreExactEncryptions) {
  CheckPackingKeyEntries<uint64_t>(4, 256, 4, 3, 10);
  CheckPackingKeyEntries<unsigned __int128>(2, 64, 61, 1, 3);
}

TEST(Keyset, TestParametersAreTheKmsOnes) {
  const KeysetParameters p = KmsTestKeysetParameters();
  EXPECT_EQ(p.keys.compute.lwe_dimension, 1u);
  EXPECT_EQ(p.keys.compact_public_key.encryption_lwe_dimension, 512u);
  EXPECT_EQ(p.keys.casting, (ShortintKeySwitchingParameters{37, 1, EncryptionKeyChoice::kSmall}));
  ASSERT_TRUE(p.compression && p.noise_squashing && p.noise_squashing_compression &&
              p.re_randomization);
  EXPECT_EQ(p.compression->packing_ks_base_log, 27u);
  EXPECT_EQ(p.noise_squashing->decomp_base_log, 33u);
  EXPECT_EQ(p.noise_squashing_compression->packing_ks_base_log, 61u);
  EXPECT_EQ(*p.re_randomization,
            (ShortintKeySwitchingParameters{17, 1, EncryptionKeyChoice::kBig}));
  EXPECT_EQ(p.max_degree, 15u);
  const KeysetParameters d = KmsDefaultKeysetParameters();
  EXPECT_EQ(d.keys.compute.lwe_dimension, 918u);
  EXPECT_EQ(d.compression->packing_ks_glwe_dimension, 4u);
  EXPECT_EQ(d.noise_squashing->polynomial_size, 2048u);
  EXPECT_EQ(d.noise_squashing_compression->packing_ks_polynomial_size, 1024u);
  EXPECT_EQ(d.noise_squashing_compression->packing_ks_glwe_dimension, 6u);
  EXPECT_EQ(*d.re_randomization,
            (ShortintKeySwitchingParameters{24, 1, EncryptionKeyChoice::kBig}));
}

TEST(Keyset, PublishedServerKeyRoundTripsAndHasTheKmsFields) {
  const Keyset& ks = TestKeyset();
  const PublishedServerKey& sk = ks.server_key;
  auto bytes = SerializePublishedServerKey(sk);  // the format's own shape checks
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto parsed = ParsePublishedServerKey(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, sk);
  auto again = SerializePublishedServerKey(*parsed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes);

  EXPECT_EQ(sk.max_degree, 15u);
  EXPECT_EQ(sk.max_noise_level, 5u);
  EXPECT_TRUE(sk.tag.empty());
  EXPECT_EQ(sk.small_lwe_dimension(), 1u);
  EXPECT_EQ(sk.big_lwe_dimension(), 256u);
  ASSERT_TRUE(sk.cpk_key_switching_key_material.has_value());
  EXPECT_EQ(sk.cpk_key_switching_key_material->cast_rshift, 0);
  EXPECT_EQ(sk.cpk_key_switching_key_material->destination_key, EncryptionKeyChoice::kSmall);
  EXPECT_EQ(sk.cpk_key_switching_key_material->key_switching_key.input_lwe_dimension(), 512u);
  ASSERT_TRUE(sk.compression_key && sk.decompression_key && sk.noise_squashing_key &&
              sk.noise_squashing_compression_key);
  EXPECT_EQ(sk.noise_squashing_key->modulus_switch_noise_reduction_key.kind,
            ModulusSwitchConfiguration::Kind::kDriftTechnique);
  EXPECT_EQ(
      sk.noise_squashing_key->modulus_switch_noise_reduction_key.modulus_switch_zeros.data.size(),
      8u * 2);
  EXPECT_EQ(sk.noise_squashing_compression_key->lwe_per_glwe, 128u);
  ASSERT_TRUE(sk.cpk_re_randomization_key_switching_key_material.has_value());
  const auto& rr = *sk.cpk_re_randomization_key_switching_key_material;
  EXPECT_EQ(rr.kind, ReRandomizationKeySwitchingKey::Kind::kDedicatedKSK);
  EXPECT_EQ(rr.dedicated.destination_key, EncryptionKeyChoice::kBig);
  EXPECT_EQ(rr.dedicated.key_switching_key.decomp_base_log, 17u);
  EXPECT_EQ(rr.dedicated.key_switching_key.output_lwe_size, 257u);

  // The ClientKey holds every secret in the 1.4 form and round-trips.
  const ClientKey& ck = ks.client_key;
  EXPECT_EQ(ck.format, TfheFormat::kTfhe14);
  ASSERT_TRUE(ck.compression_key && ck.noise_squashing_private_key &&
              ck.noise_squashing_compression_private_key && ck.cpk_re_randomization_ksk_params);
  auto ck_bytes = SerializeClientKey(ck);
  ASSERT_TRUE(ck_bytes.ok());
  auto ck_parsed = ParseClientKey(ck_bytes->span());
  ASSERT_TRUE(ck_parsed.ok()) << ck_parsed.status();
  EXPECT_EQ(*ck_parsed, ck);
  auto pk_bytes = SerializeCompactPublicKey(ks.public_key);
  ASSERT_TRUE(pk_bytes.ok()) << pk_bytes.status();
}

TEST(Keyset, LoadsIntoComputeKeys) {
  const ComputeKeys& keys = TestComputeKeys();
  EXPECT_EQ(keys.server_key.small_lwe_dimension(), 1u);
  EXPECT_EQ(keys.server_key.big_lwe_dimension(), 256u);
  EXPECT_EQ(keys.server_key.max_degree, 15u);
  EXPECT_EQ(keys.server_key.modulus_switch, ModulusSwitchType::Kind::kStandard);
  ASSERT_TRUE(keys.casting_key && keys.compression_key && keys.decompression_key &&
              keys.noise_squashing_key && keys.noise_squashing_compression_key &&
              keys.re_randomization_key);
  EXPECT_EQ(keys.noise_squashing_key->modulus_switch, ModulusSwitchType::Kind::kDriftTechnique);
  ASSERT_TRUE(keys.noise_squashing_key->drift_key.has_value());
  EXPECT_EQ(keys.noise_squashing_key->drift_key->count(), 8u);
  EXPECT_EQ(keys.re_randomization_key->key_switching_key.input_lwe_dimension(), 512u);
}

// Our CPK encrypts two FheUint8 into one compact list; the loaded keys run the whole path.
TEST(Keyset, CompactListSumThroughEveryPath) {
  const Keyset& ks = TestKeyset();
  kms::testing::SeededRng rng(5);
  for (auto [x, y] : {std::pair<uint64_t, uint64_t>{200, 100}, {0x5a, 0x13}}) {
    CompactListBuilder builder;
    ASSERT_TRUE(builder.PushUint(x, 8).ok());
    ASSERT_TRUE(builder.PushUint(y, 8).ok());
    auto list = builder.Build(ks.public_key, rng);
    ASSERT_TRUE(list.ok()) << list.status();
    testing::CheckSumPath(ks.client_key, TestComputeKeys(), *list, 8, (x + y) & 0xff);
  }
}

TEST(Keyset, ProgressReportsEveryStage) {
  kms::testing::SeededRng rng(3);
  std::vector<std::string> stages;
  int last_total = 0;
  auto ks = GenerateKeyset(KmsTestKeysetParameters(), rng,
                           [&](std::string_view stage, int done, int total) {
                             EXPECT_EQ(done, static_cast<int>(stages.size()));
                             stages.emplace_back(stage);
                             last_total = total;
                           });
  ASSERT_TRUE(ks.ok()) << ks.status();
  EXPECT_EQ(static_cast<int>(stages.size()), last_total + 1);
  EXPECT_EQ(stages.back(), "done");
  EXPECT_EQ(stages.front(), "client key");
}

TEST(Keyset, RefusesInconsistentParameters) {
  kms::testing::SeededRng rng(4);
  KeysetParameters p = KmsTestKeysetParameters();
  p.noise_squashing.reset();
  auto r = GenerateKeyset(p, rng);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("noise-squashing compression"));
  p = KmsTestKeysetParameters();
  p.max_degree = 16;
  EXPECT_EQ(GenerateKeyset(p, rng).status().code(), absl::StatusCode::kInvalidArgument);
  p = KmsTestKeysetParameters();
  p.keys.compute.lwe_noise_distribution.kind = DynamicDistribution::Kind::kGaussian;
  r = GenerateKeyset(p, rng);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("compute key-switching key"));
  p = KmsTestKeysetParameters();  // an impossible decomposition, named by its stage
  p.re_randomization->ks_base_log = 65;
  r = GenerateKeyset(p, rng);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("re-randomization key"));
}

// Without the optional parts: only the compute and casting keys, and they still expand.
TEST(Keyset, OptionalPartsStayAbsent) {
  kms::testing::SeededRng rng(6);
  KeysetParameters p = KmsTestKeysetParameters();
  p.compression.reset();
  p.noise_squashing.reset();
  p.noise_squashing_compression.reset();
  p.re_randomization.reset();
  auto ks = GenerateKeyset(p, rng);
  ASSERT_TRUE(ks.ok()) << ks.status();
  EXPECT_FALSE(ks->server_key.compression_key || ks->server_key.noise_squashing_key ||
               ks->server_key.cpk_re_randomization_key_switching_key_material);
  auto keys = LoadPublishedServerKey(ks->server_key);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_FALSE(keys->compression_key || keys->decompression_key || keys->noise_squashing_key ||
               keys->re_randomization_key);
  CompactListBuilder builder;
  ASSERT_TRUE(builder.PushUint(7, 8).ok());
  auto list = builder.Build(ks->public_key, rng);
  ASSERT_TRUE(list.ok());
  auto e = ExpandCompactList(keys->server_key, *keys->casting_key, *list);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*DecryptFheUint(ks->client_key, *e->GetFheUint(0)), 7u);
}

// The same key written in tfhe-rs 1.7's form (IntegerServerKey V9) re-parses and loads; a 1.7
// decompression key with a modulus-switch configuration we do not compute is refused.
TEST(Keyset, LoadsThe17FormOfTheKey) {
  PublishedServerKey k = TestKeyset().server_key;
  k.format = TfheFormat::kTfhe17;
  auto bytes = SerializePublishedServerKey(k);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto parsed = ParsePublishedServerKey(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->format, TfheFormat::kTfhe17);
  auto keys = LoadPublishedServerKey(*parsed);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_TRUE(keys->decompression_key && keys->noise_squashing_compression_key &&
              keys->re_randomization_key);
  EXPECT_FALSE(keys->re_randomization_cpk.has_value());
  k.decompression_key->modulus_switch_noise_reduction_key.kind =
      ModulusSwitchConfiguration::Kind::kCenteredMean;
  auto r = LoadPublishedServerKey(k);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("decompression_key"));
}

void ExpectRefused(const PublishedServerKey& key, const std::string& part) {
  auto r = LoadPublishedServerKey(key);
  ASSERT_FALSE(r.ok()) << part;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(part)) << r.status();
}

TEST(Keyset, LoadRefusesHostileKeys) {
  const PublishedServerKey& good = TestKeyset().server_key;
  {
    PublishedServerKey k = good;  // a KSK whose output is not the small key
    k.key_switching_key.output_lwe_size = 3;
    k.key_switching_key.data.resize(256 * 3);
    ExpectRefused(k, "key_switching_key");
  }
  {
    PublishedServerKey k = good;  // a level that would overflow the word count
    k.key_switching_key.decomp_level_count = uint64_t{1} << 63;
    ExpectRefused(k, "key_switching_key");
  }
  {
    PublishedServerKey k = good;  // level × size wrapping to 0 must not divide by zero
    k.cpk_key_switching_key_material->key_switching_key.decomp_level_count = uint64_t{1} << 62;
    ExpectRefused(k, "cpk_key_switching_key_material");
  }
  {
    PublishedServerKey k = good;  // truncated KSK
    k.key_switching_key.data.pop_back();
    ExpectRefused(k, "key_switching_key");
  }
  {
    PublishedServerKey k = good;  // a BSK with a missing polynomial
    k.bootstrapping_key.fourier.resize(k.bootstrapping_key.fourier.size() - 256);
    ExpectRefused(k, "bootstrapping_key");
  }
  {
    PublishedServerKey k = good;  // a NaN in the Fourier BSK
    k.bootstrapping_key.fourier[3] = std::numeric_limits<double>::quiet_NaN();
    ExpectRefused(k, "bootstrapping_key");
  }
  {
    PublishedServerKey k = good;
    k.max_degree = 16;
    ExpectRefused(k, "max_degree");
  }
  {
    PublishedServerKey k = good;
    k.carry_modulus = 3;
    ExpectRefused(k, "message_modulus");
  }
  {
    PublishedServerKey k = good;  // casting KSK to the big key while saying Small
    k.cpk_key_switching_key_material->destination_key = EncryptionKeyChoice::kBig;
    ExpectRefused(k, "cpk_key_switching_key_material");
  }
  {
    PublishedServerKey k = good;  // re-randomization KSK from another dimension
    auto& ksk = k.cpk_re_randomization_key_switching_key_material->dedicated.key_switching_key;
    ksk.data.resize(ksk.data.size() / 2);
    ExpectRefused(k, "cpk_re_randomization_key_switching_key_material");
  }
  {
    PublishedServerKey k = good;  // the missing part a decompression key needs
    k.compression_key.reset();
    ExpectRefused(k, "decompression_key");
  }
  {
    PublishedServerKey k = good;
    k.decompression_key->lwe_per_glwe = 3;
    ExpectRefused(k, "decompression_key");
  }
  {
    PublishedServerKey k = good;
    k.decompression_key->blind_rotate_key.input_lwe_dimension = 128;
    ExpectRefused(k, "decompression_key");
  }
  {
    PublishedServerKey k = good;
    k.compression_key->lwe_per_glwe = 0;
    ExpectRefused(k, "compression_key");
  }
  {
    PublishedServerKey k = good;
    k.noise_squashing_key.reset();
    ExpectRefused(k, "noise_squashing_compression_key");
  }
  {
    PublishedServerKey k = good;  // drift zeros of the wrong size
    k.noise_squashing_key->modulus_switch_noise_reduction_key.modulus_switch_zeros.lwe_size = 3;
    ExpectRefused(k, "noise_squashing_key");
  }
  {
    PublishedServerKey k = good;
    k.noise_squashing_key->bsk.input_lwe_dimension = 2;
    ExpectRefused(k, "noise_squashing_key");
  }
  {
    PublishedServerKey k = good;
    k.noise_squashing_key->bsk.data_im1.pop_back();
    ExpectRefused(k, "noise_squashing_key");
  }
  {
    PublishedServerKey k = good;
    k.noise_squashing_compression_key->packing_key_switching_key.data.pop_back();
    ExpectRefused(k, "noise_squashing_compression_key");
  }
  {
    PublishedServerKey k = good;
    k.noise_squashing_compression_key->packing_key_switching_key.decomp_level_count = 0;
    ExpectRefused(k, "noise_squashing_compression_key");
  }
}

}  // namespace
}  // namespace kms::tfhe
