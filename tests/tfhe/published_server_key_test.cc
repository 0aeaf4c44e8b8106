// The uncompressed high_level_api::ServerKey format (tfhe/published_server_key.h): a small key with
// every optional part filled round-trips byte-identically (f64 words bit-exact, NaN payloads
// included); every truncation and byte flip is refused or canonical; hostile lengths in the
// FourierPolynomialList and the key-switching keys are refused without allocation; the shapes
// that chain are checked; the decompressed golden compression keys fit the format.
#include "tfhe/published_server_key.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

#include "testing/allocation_probe.h"
#include "testing/seeded_rng.h"
#include "tfhe/golden_files.h"

namespace kms::tfhe {
namespace {

using ::testing::HasSubstr;

uint64_t Word(kms::testing::SeededRng& rng) {
  uint8_t b[8];
  rng.Fill(b);
  uint64_t x;
  std::memcpy(&x, b, 8);
  return x;
}

double Double(kms::testing::SeededRng& rng) { return std::bit_cast<double>(Word(rng)); }

std::vector<double> Doubles(size_t n, kms::testing::SeededRng& rng) {
  std::vector<double> v(n);
  for (auto& d : v) d = Double(rng);
  return v;
}

LweKeyswitchKey Ksk(uint64_t n_in, uint64_t level, uint64_t n_out, kms::testing::SeededRng& rng) {
  LweKeyswitchKey k;
  k.decomp_base_log = 4;
  k.decomp_level_count = level;
  k.output_lwe_size = n_out + 1;
  k.data.resize(n_in * level * (n_out + 1));
  for (auto& w : k.data) w = Word(rng);
  return k;
}

FourierLweBootstrapKey Bsk(uint64_t n_in, uint64_t level, uint64_t k, uint64_t n,
                           kms::testing::SeededRng& rng) {
  FourierLweBootstrapKey b;
  b.polynomial_size = n;
  b.input_lwe_dimension = n_in;
  b.glwe_size = k + 1;
  b.decomposition_base_log = 23;
  b.decomposition_level_count = level;
  b.fourier = Doubles(n_in * level * (k + 1) * (k + 1) * n, rng);
  return b;
}

// A miniature key of the kms shape: n = 2, k = 1, N = 4 (big = 4), every Option filled.
PublishedServerKey SmallServerKey() {
  kms::testing::SeededRng rng(77);
  PublishedServerKey key;
  key.key_switching_key = Ksk(4, 1, 2, rng);
  key.bootstrapping_key = Bsk(2, 1, 1, 4, rng);
  key.modulus_switch_noise_reduction_key.kind = ModulusSwitchConfiguration::Kind::kDriftTechnique;
  key.modulus_switch_noise_reduction_key.modulus_switch_zeros.lwe_size = 3;
  key.modulus_switch_noise_reduction_key.modulus_switch_zeros.data = {1, 2, 3, 4, 5, 6};
  key.modulus_switch_noise_reduction_key.ms_bound = 288230376151711744.0;
  key.modulus_switch_noise_reduction_key.ms_r_sigma_factor = 9.75539320076416;
  key.modulus_switch_noise_reduction_key.ms_input_variance = 1.92631390716519e-10;
  key.message_modulus = 4;
  key.carry_modulus = 4;
  key.max_degree = 15;
  key.max_noise_level = 5;
  key.cpk_key_switching_key_material =
      KeySwitchingKeyMaterial{Ksk(3, 1, 2, rng), 0, EncryptionKeyChoice::kSmall};
  CompressionKey ck;
  ck.packing_key_switching_key.decomp_base_log = 4;
  ck.packing_key_switching_key.decomp_level_count = 1;
  ck.packing_key_switching_key.output_glwe_size = 2;
  ck.packing_key_switching_key.output_polynomial_size = 4;
  ck.packing_key_switching_key.data.resize(4 * 1 * 2 * 4);
  for (auto& w : ck.packing_key_switching_key.data) w = Word(rng);
  ck.lwe_per_glwe = 4;
  ck.storage_log_modulus = 9;
  key.compression_key = ck;
  key.decompression_key = DecompressionKey{Bsk(4, 1, 1, 4, rng), 4};
  PublishedNoiseSquashingKey ns;
  ns.bsk.polynomial_size = 4;
  ns.bsk.input_lwe_dimension = 2;
  ns.bsk.glwe_size = 2;
  ns.bsk.decomposition_base_log = 24;
  ns.bsk.decomposition_level_count = 3;
  for (auto* v : {&ns.bsk.data_re0, &ns.bsk.data_re1, &ns.bsk.data_im0, &ns.bsk.data_im1}) {
    *v = Doubles(2 * 3 * 4 * 2, rng);
  }
  ns.modulus_switch_noise_reduction_key.kind = ModulusSwitchConfiguration::Kind::kCenteredMean;
  ns.message_modulus = 4;
  ns.carry_modulus = 4;
  key.noise_squashing_key = ns;
  NoiseSquashingCompressionKey nsc;
  nsc.packing_key_switching_key.decomp_base_log = 61;
  nsc.packing_key_switching_key.decomp_level_count = 1;
  nsc.packing_key_switching_key.output_glwe_size = 2;
  nsc.packing_key_switching_key.output_polynomial_size = 4;
  nsc.packing_key_switching_key.data.resize(4 * 1 * 2 * 4);
  for (auto& w : nsc.packing_key_switching_key.data) w = (u128{Word(rng)} << 64) | Word(rng);
  nsc.lwe_per_glwe = 2;
  key.noise_squashing_compression_key = nsc;
  ReRandomizationKeySwitchingKey rr;
  rr.kind = ReRandomizationKeySwitchingKey::Kind::kDedicatedKSK;
  rr.dedicated = KeySwitchingKeyMaterial{Ksk(3, 1, 4, rng), 0, EncryptionKeyChoice::kBig};
  key.cpk_re_randomization_key_switching_key_material = rr;
  return key;
}

absl::StatusOr<Bytes> RoundTrip(const Bytes& bytes) {
  auto key = ParsePublishedServerKey(bytes);
  if (!key.ok()) return key.status();
  return SerializePublishedServerKey(*key);
}

TEST(PublishedServerKey, RoundTripsEveryPart) {
  PublishedServerKey key = SmallServerKey();
  // A NaN with a payload and a negative zero survive bit-exactly.
  key.bootstrapping_key.fourier[0] = std::bit_cast<double>(uint64_t{0x7ff8dead0000beefULL});
  key.bootstrapping_key.fourier[1] = -0.0;
  auto bytes = SerializePublishedServerKey(key);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto parsed = ParsePublishedServerKey(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(*parsed == key);
  EXPECT_EQ(std::bit_cast<uint64_t>(parsed->bootstrapping_key.fourier[0]), 0x7ff8dead0000beefULL);
  EXPECT_TRUE(std::signbit(parsed->bootstrapping_key.fourier[1]));
  auto again = SerializePublishedServerKey(*parsed);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == *bytes);
  // The header and the first tags: PublishedServerKey V3, IntegerServerKey V7, integer V1, shortint
  // V2.
  const size_t header = 34 + kServerKeyName.size();
  auto u32_at = [&](size_t off) {
    uint32_t v;
    std::memcpy(&v, bytes->data() + off, 4);
    return v;
  };
  EXPECT_EQ(u32_at(header), 3u);
  EXPECT_EQ(u32_at(header + 4), 7u);
  EXPECT_EQ(u32_at(header + 8), 1u);
  EXPECT_EQ(u32_at(header + 12), 2u);
}

TEST(PublishedServerKey, MinimalKeyRoundTrips) {
  PublishedServerKey key = SmallServerKey();
  key.cpk_key_switching_key_material.reset();
  key.compression_key.reset();
  key.decompression_key.reset();
  key.noise_squashing_key.reset();
  key.noise_squashing_compression_key.reset();
  key.cpk_re_randomization_key_switching_key_material.reset();
  key.modulus_switch_noise_reduction_key = {};
  key.modulus_switch_noise_reduction_key.kind = ModulusSwitchConfiguration::Kind::kCenteredMean;
  auto bytes = SerializePublishedServerKey(key);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto again = RoundTrip(*bytes);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(*again == *bytes);
}

TEST(PublishedServerKey, ShapesMustChain) {
  {
    PublishedServerKey key = SmallServerKey();
    key.key_switching_key = LweKeyswitchKey{std::vector<uint64_t>(3 * 3), 4, 1, 3, {}};
    EXPECT_THAT(std::string(SerializePublishedServerKey(key).status().message()),
                HasSubstr("ServerKey.key.key.key.key_switching_key: the KSK input dimension is 3"));
  }
  {
    PublishedServerKey key = SmallServerKey();
    key.cpk_key_switching_key_material->destination_key = EncryptionKeyChoice::kBig;
    EXPECT_THAT(std::string(SerializePublishedServerKey(key).status().message()),
                HasSubstr("cpk_key_switching_key_material: the destination dimension is 2"));
  }
  {
    PublishedServerKey key = SmallServerKey();
    key.bootstrapping_key.fourier.resize(key.bootstrapping_key.fourier.size() - 4);
    EXPECT_THAT(std::string(SerializePublishedServerKey(key).status().message()),
                HasSubstr("expected input_lwe_dimension x level x glwe_size^2"));
  }
  {
    PublishedServerKey key = SmallServerKey();
    key.noise_squashing_key->bsk.data_im1.pop_back();
    EXPECT_THAT(std::string(SerializePublishedServerKey(key).status().message()),
                HasSubstr("the four f64 arrays must have the same length"));
  }
  {
    PublishedServerKey key = SmallServerKey();
    kms::testing::SeededRng rng(1);
    key.decompression_key->blind_rotate_key = Bsk(3, 1, 1, 4, rng);
    EXPECT_THAT(std::string(SerializePublishedServerKey(key).status().message()),
                HasSubstr("decompression_key: the blind-rotation input dimension is 3"));
  }
}

TEST(PublishedServerKey, EveryTruncationIsRefused) {
  auto bytes = *SerializePublishedServerKey(SmallServerKey());
  for (size_t len = 0; len < bytes.size(); ++len) {
    Bytes prefix(bytes.begin(), bytes.begin() + len);
    ASSERT_EQ(RoundTrip(prefix).status().code(), absl::StatusCode::kInvalidArgument) << len;
  }
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_THAT(std::string(RoundTrip(longer).status().message()), HasSubstr("1 trailing bytes"));
}

TEST(PublishedServerKey, EveryAcceptedByteFlipRoundTrips) {
  auto bytes = *SerializePublishedServerKey(SmallServerKey());
  size_t accepted = 0;
  for (size_t pos = 0; pos < bytes.size(); ++pos) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
      Bytes mutated = bytes;
      mutated[pos] ^= flip;
      auto result = RoundTrip(mutated);
      if (!result.ok()) {
        ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
        continue;
      }
      ++accepted;
      ASSERT_TRUE(*result == mutated) << "flip at " << pos;
    }
  }
  EXPECT_GT(accepted, 0u);
}

void PutU64(Bytes& b, size_t offset, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

TEST(PublishedServerKey, HugeLengthsAreRefusedWithoutAllocation) {
  const Bytes bytes = *SerializePublishedServerKey(SmallServerKey());
  const size_t header = 34 + kServerKeyName.size();
  // Tags: PublishedServerKey, IntegerServerKey, integer, shortint, AP tag + variant, Standard, KSK.
  const size_t ksk_len = header + 4 * 8;
  const PublishedServerKey key = SmallServerKey();
  // After the KSK (data, 3 tagged u64, modulus) the BSK: enum tag, variant, FourierLweBootstrapKey
  // tag, FourierPolynomialList tag, then the sequence length, polynomial_size, chunk_count.
  const size_t ksk_size = 8 + 8 * key.key_switching_key.data.size() + 3 * 12 + 28;
  const size_t seq_len = ksk_len + ksk_size + 4 * 4;
  const size_t chunk_count = seq_len + 16;
  {
    uint64_t v;
    std::memcpy(&v, bytes.data() + chunk_count, 8);
    ASSERT_EQ(v, key.bootstrapping_key.polynomial_count());  // the offsets are right
  }
  struct Case {
    size_t offset;
    uint64_t value;
    const char* message;
  };
  for (const Case& k : {Case{ksk_len, uint64_t{1} << 60, "key_switching_key.data: length"},
                        Case{ksk_len, ~uint64_t{0}, "key_switching_key.data: length"},
                        Case{chunk_count, uint64_t{1} << 40, "exceeds remaining"},
                        Case{chunk_count, ~uint64_t{0} - 1, "sequence length"},
                        Case{chunk_count - 8, uint64_t{1} << 62, "chunk_count"}}) {
    Bytes mutated = bytes;
    PutU64(mutated, k.offset, k.value);
    // The sequence length 2 + count, consistent (or, for ~0 − 1, wrapped to 0).
    if (k.offset == chunk_count) PutU64(mutated, seq_len, k.value + 2);
    g_largest_allocation = 0;
    g_probe_armed = true;
    auto result = ParsePublishedServerKey(mutated);
    g_probe_armed = false;
    ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << k.offset;
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(k.message)) << k.offset;
    EXPECT_LT(g_largest_allocation.load(), mutated.size()) << k.offset;
  }
}

// The full packing keys decompressed from the golden synthetic CompressedServerKey fit into a
// PublishedServerKey of the same shapes.
TEST(PublishedServerKey, HoldsTheDecompressedGoldenPackingKeys) {
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  auto csk_bytes = testing::ReadGolden("synthetic.CompressedServerKey.kms-test-full.bin");
  ASSERT_TRUE(csk_bytes.has_value());
  auto csk = ParseCompressedServerKey(*csk_bytes);
  ASSERT_TRUE(csk.ok()) << csk.status();
  kms::testing::SeededRng rng(3);
  PublishedServerKey key;
  auto ksk = DecompressKeySwitchingKey(csk->key_switching_key);
  ASSERT_TRUE(ksk.ok());
  key.key_switching_key = *ksk;
  const auto& g = csk->bootstrapping_key.ggsw_list;
  key.bootstrapping_key = Bsk(csk->bootstrapping_key.input_lwe_dimension(), g.decomp_level_count,
                              g.glwe_size - 1, g.polynomial_size, rng);
  key.modulus_switch_noise_reduction_key.kind = ModulusSwitchConfiguration::Kind::kCenteredMean;
  key.message_modulus = csk->message_modulus;
  key.carry_modulus = csk->carry_modulus;
  key.max_degree = csk->max_degree;
  key.max_noise_level = csk->max_noise_level;
  auto ck = DecompressCompressionKey(*csk->compression_key);
  ASSERT_TRUE(ck.ok());
  key.compression_key = *ck;
  auto bytes = SerializePublishedServerKey(key);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto again = RoundTrip(*bytes);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(*again == *bytes);
}

}  // namespace
}  // namespace kms::tfhe
