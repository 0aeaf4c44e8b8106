// The uncompressed high_level_api::ServerKey format (tfhe/published_server_key.h): a small key with
// every optional part filled round-trips byte-identically (f64 words bit-exact, NaN payloads
// included); every truncation and byte flip is refused or canonical; hostile lengths in the
// FourierPolynomialList and the key-switching keys are refused without allocation; the shapes
// that chain are checked; the decompressed golden compression keys fit the format.
//
// The tfhe-rs 1.7.0 form (PublishedServerKey17): the same key moved to 1.7 (with an OPRF key and,
// separately, a derived re-randomization CPK) round-trips, and its size is the 1.4 size plus the
// per-part differences computed from the tfhe-rs 1.7.0 layouts; the 1.4 writer refuses the 1.7-only
// parts by name; unknown IntegerServerKey tags are refused by tag; truncations, byte flips and a
// hostile OPRF polynomial count are refused (or canonical) without over-allocation.
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
#include "tfhe/safe_serialize.h"

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

// ---- tfhe-rs 1.7.0 ----

constexpr size_t kEmptyTagBytes = 4 + 8;   // Tag: version tag, u64 length
constexpr size_t kTaggedU64Bytes = 4 + 8;  // a newtype parameter

// A FourierLweBootstrapKey[1]: tag, FourierPolynomialList tag, sequence length, polynomial_size,
// chunk count, per polynomial a u64 count and N f64 words, then four tagged u64.
size_t FourierBskBytes(const FourierLweBootstrapKey& b) {
  return 4 + 4 + 8 + 8 + 8 + b.polynomial_count() * (8 + 8 * b.polynomial_size) +
         4 * kTaggedU64Bytes;
}

// A small integer::CompactPublicKey of dimension 4 (no tag, as the ServerKey embeds it).
CompactPublicKey SmallCompactPublicKey() {
  CompactPublicKey cpk;
  cpk.key.glwe_ciphertext.polynomial_size = 4;
  cpk.key.glwe_ciphertext.data = {11, 12, 13, 14, 15, 16, 17, 18};
  cpk.parameters.encryption_lwe_dimension = 4;
  cpk.parameters.encryption_noise_distribution = DynamicDistribution::TUniform(42);
  cpk.parameters.message_modulus = 4;
  cpk.parameters.carry_modulus = 4;
  cpk.parameters.expansion_kind.version = 1;  // as tfhe-rs 1.7 writes it
  return cpk;
}

PublishedServerKey SmallServerKey17() {
  PublishedServerKey key = SmallServerKey();
  key.format = TfheFormat::kTfhe17;
  return key;
}

// The 1.7 key with an OPRF key (n = 2 → k·N = 4, the compute BSK's shape).
PublishedServerKey SmallServerKey17WithOprf() {
  PublishedServerKey key = SmallServerKey17();
  kms::testing::SeededRng rng(17);
  key.oprf_bootstrapping_key = Bsk(2, 1, 1, 4, rng);
  return key;
}

size_t SerializedSize(const PublishedServerKey& key) {
  auto bytes = SerializePublishedServerKey(key);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? bytes->size() : 0;
}

void ExpectRoundTrip(const PublishedServerKey& key) {
  auto bytes = SerializePublishedServerKey(key);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto parsed = ParsePublishedServerKey(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->format, key.format);
  EXPECT_TRUE(*parsed == key);
  auto again = SerializePublishedServerKey(*parsed);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(*again == *bytes);
}

TEST(PublishedServerKey17, TheSmallKeyIn17FormHasTheLayoutSizesAndRoundTrips) {
  const PublishedServerKey key14 = SmallServerKey();
  const PublishedServerKey key17 = SmallServerKey17();
  ASSERT_EQ(key17.cpk_re_randomization_key_switching_key_material->kind,
            ReRandomizationKeySwitchingKey::Kind::kDedicatedKSK);
  // From the 1.7.0 layouts: +8 per KeySwitchingKeyMaterial (destination_atomic_pattern: tag,
  // variant; casting and dedicated re-randomization); +16 for the decompression key
  // (SerializableShortintBootstrappingKey tag and variant, modulus-switch configuration tag and
  // variant); +12 for the noise-squashing key (atomic pattern tag and variant, Standard's tag);
  // +8 for the ReRandomizationKey wrapper (tag, variant); +1 for the absent OPRF key.
  EXPECT_EQ(SerializedSize(key17), SerializedSize(key14) + 8 * 2 + 16 + 12 + 8 + 1);
  ExpectRoundTrip(key17);

  auto bytes = *SerializePublishedServerKey(key17);
  const size_t header = 34 + kServerKeyName.size();
  uint32_t tag;
  std::memcpy(&tag, bytes.data() + header + 4, 4);
  EXPECT_EQ(tag, 9u);  // IntegerServerKey V9

  // The decompression key's modulus switch (1.7 only) in the drift form: its key tag, the
  // LweCiphertextList (tag, data, lwe_size, 64-bit modulus of 28 bytes) and three tagged f64.
  PublishedServerKey drift = key17;
  ModulusSwitchConfiguration& ms = drift.decompression_key->modulus_switch_noise_reduction_key;
  ms.kind = ModulusSwitchConfiguration::Kind::kDriftTechnique;
  ms.modulus_switch_zeros.lwe_size = 5;  // the compression GLWE's k·N = 4, plus one
  ms.modulus_switch_zeros.data = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  ms.ms_bound = 1.5;
  EXPECT_EQ(SerializedSize(drift),
            SerializedSize(key17) + 4 + (4 + 8 + 8 * 10 + kTaggedU64Bytes + 28) + 3 * 12);
  ExpectRoundTrip(drift);
  ms.modulus_switch_zeros.lwe_size = 3;
  ms.modulus_switch_zeros.data.resize(9);
  EXPECT_THAT(std::string(SerializePublishedServerKey(drift).status().message()),
              HasSubstr("decompression_key: the modulus-switch zeros' dimension is 2"));

  // The minimal key in 1.7 form: the two absent 1.7 options and nothing else differ.
  PublishedServerKey minimal14 = key14;
  minimal14.cpk_key_switching_key_material.reset();
  minimal14.compression_key.reset();
  minimal14.decompression_key.reset();
  minimal14.noise_squashing_key.reset();
  minimal14.noise_squashing_compression_key.reset();
  minimal14.cpk_re_randomization_key_switching_key_material.reset();
  PublishedServerKey minimal17 = minimal14;
  minimal17.format = TfheFormat::kTfhe17;
  EXPECT_EQ(SerializedSize(minimal17), SerializedSize(minimal14) + 1);
  ExpectRoundTrip(minimal17);
}

TEST(PublishedServerKey17, TheOprfKeyAndTheDerivedReRandomizationKeyRoundTrip) {
  const PublishedServerKey key17 = SmallServerKey17();
  const PublishedServerKey with_oprf = SmallServerKey17WithOprf();
  // Option flag, then the integer and shortint OprfServerKey tags, OprfBootstrappingKey's tag and
  // variant, and the Fourier BSK (replacing the 1-byte None).
  EXPECT_EQ(SerializedSize(with_oprf), SerializedSize(key17) + 4 + 4 + 4 + 4 +
                                           FourierBskBytes(*with_oprf.oprf_bootstrapping_key));
  ExpectRoundTrip(with_oprf);

  // The re-randomization key: LegacyDedicatedCPK{ksk} against none and against the 1.4 field.
  PublishedServerKey none17 = key17;
  none17.cpk_re_randomization_key_switching_key_material.reset();
  PublishedServerKey none14 = SmallServerKey();
  none14.cpk_re_randomization_key_switching_key_material.reset();
  const size_t rr14 = SerializedSize(SmallServerKey()) - SerializedSize(none14);
  const size_t rr17 = SerializedSize(key17) - SerializedSize(none17);
  EXPECT_EQ(rr17, rr14 + 8 + 8);  // the ReRandomizationKey wrapper, destination_atomic_pattern
  ExpectRoundTrip(none17);

  // DerivedCPKWithoutKeySwitch{cpk}: the wrapper's tag and variant, then the integer key, i.e. the
  // high-level CompactPublicKey without its header, its two wrapper tags and its tag.
  const CompactPublicKey cpk = SmallCompactPublicKey();
  auto cpk_bytes = SerializeCompactPublicKey(cpk);
  ASSERT_TRUE(cpk_bytes.ok()) << cpk_bytes.status();
  const size_t integer_cpk =
      cpk_bytes->size() - (34 + kCompactPublicKeyName.size()) - 8 - kEmptyTagBytes;
  PublishedServerKey derived = with_oprf;
  derived.cpk_re_randomization_key_switching_key_material.reset();
  derived.cpk_re_randomization_derived_cpk = cpk;
  PublishedServerKey derived_none = with_oprf;
  derived_none.cpk_re_randomization_key_switching_key_material.reset();
  EXPECT_EQ(SerializedSize(derived), SerializedSize(derived_none) + 8 + integer_cpk);
  ExpectRoundTrip(derived);
  auto parsed = ParsePublishedServerKey(*SerializePublishedServerKey(derived));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->cpk_re_randomization_key_switching_key_material.has_value());
  EXPECT_TRUE(*parsed->cpk_re_randomization_derived_cpk == cpk);
}

TEST(PublishedServerKey17, The14WriterRefusesWhatOnly17Holds) {
  PublishedServerKey key = SmallServerKey17WithOprf();
  key.format = TfheFormat::kTfhe14;
  auto s = SerializePublishedServerKey(key);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("needs the tfhe-rs 1.7 form"));

  key = SmallServerKey();
  key.cpk_re_randomization_key_switching_key_material.reset();
  key.cpk_re_randomization_derived_cpk = SmallCompactPublicKey();
  s = SerializePublishedServerKey(key);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("needs the tfhe-rs 1.7 form"));

  key = SmallServerKey();
  key.decompression_key->modulus_switch_noise_reduction_key.kind =
      ModulusSwitchConfiguration::Kind::kCenteredMean;
  s = SerializePublishedServerKey(key);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("has no modulus-switch configuration"));
  key.format = TfheFormat::kTfhe17;
  ExpectRoundTrip(key);  // 1.7 holds it

  // Both re-randomization forms at once, or an embedded key with a tag, have no encoding.
  key = SmallServerKey17();
  key.cpk_re_randomization_derived_cpk = SmallCompactPublicKey();
  EXPECT_THAT(std::string(SerializePublishedServerKey(key).status().message()),
              HasSubstr("holds either a key-switching key or a derived key"));
  key.cpk_re_randomization_key_switching_key_material.reset();
  key.cpk_re_randomization_derived_cpk->tag = {1};
  EXPECT_THAT(std::string(SerializePublishedServerKey(key).status().message()),
              HasSubstr("the embedded compact public key carries no tag"));
}

TEST(PublishedServerKey17, UnknownTagsAndUnsupportedVariantsAreRefusedByName) {
  const Bytes bytes = *SerializePublishedServerKey(SmallServerKey17WithOprf());
  const size_t header = 34 + kServerKeyName.size();
  // IntegerServerKey 8 (a 1.5/1.6 form) and 10 are refused by tag.
  for (uint8_t tag : {uint8_t{8}, uint8_t{10}}) {
    Bytes t = bytes;
    t[header + 4] = tag;
    auto r = ParsePublishedServerKey(t);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(std::string(r.status().message()),
                HasSubstr("unknown version tag " + std::to_string(tag)));
  }
  // The OPRF key ends just before the high-level tag; its variant precedes the Fourier BSK.
  const PublishedServerKey key = SmallServerKey17WithOprf();
  const size_t bsk_at =
      bytes.size() - kEmptyTagBytes - FourierBskBytes(*key.oprf_bootstrapping_key);
  Bytes multibit = bytes;
  ASSERT_EQ(multibit[bsk_at - 4], 0);  // Classic
  multibit[bsk_at - 4] = 1;
  auto r = ParsePublishedServerKey(multibit);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("multi-bit OPRF keys are not supported"));

  // A KeySwitch32 destination atomic pattern: the casting KSKM's variant, found by serializing
  // the 1.4 and 1.7 casting materials apart (the first difference after the shortint tag).
  PublishedServerKey no_casting = key;
  no_casting.cpk_key_switching_key_material.reset();
  const Bytes other = *SerializePublishedServerKey(no_casting);
  size_t at = 0;
  while (at < other.size() && bytes[at] == other[at]) ++at;
  ASSERT_EQ(bytes[at], 1);  // the Option flag: Some; None in `other`
  // Some, integer tag, shortint tag, the KSK, cast_rshift, destination_key (tag, variant), the
  // pattern's tag.
  const size_t ksk_bytes = 4 + 8 +
                           8 * key.cpk_key_switching_key_material->key_switching_key.data.size() +
                           3 * kTaggedU64Bytes + 28;
  const size_t variant_at = at + 1 + 4 + 4 + ksk_bytes + 1 + 8 + 4;
  ASSERT_EQ(bytes[variant_at], 0);  // Standard
  Bytes ks32 = bytes;
  ks32[variant_at] = 1;
  r = ParsePublishedServerKey(ks32);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("destination_atomic_pattern.variant: the KeySwitch32 atomic pattern"));
}

TEST(PublishedServerKey17, EveryTruncationAndAcceptedByteFlipIsRefusedOrCanonical) {
  PublishedServerKey derived = SmallServerKey17WithOprf();
  derived.cpk_re_randomization_key_switching_key_material.reset();
  derived.cpk_re_randomization_derived_cpk = SmallCompactPublicKey();
  for (const PublishedServerKey& key : {SmallServerKey17WithOprf(), derived}) {
    const Bytes bytes = *SerializePublishedServerKey(key);
    for (size_t len = 0; len < bytes.size(); ++len) {
      Bytes prefix(bytes.begin(), bytes.begin() + len);
      ASSERT_EQ(RoundTrip(prefix).status().code(), absl::StatusCode::kInvalidArgument) << len;
    }
    size_t accepted = 0;
    for (size_t pos = 0; pos < bytes.size(); ++pos) {
      for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
        Bytes mutated = bytes;
        mutated[pos] ^= flip;
        g_largest_allocation = 0;
        g_probe_armed = true;
        auto result = RoundTrip(mutated);
        g_probe_armed = false;
        // Nothing allocated beyond a copy of the blob (the re-serialization's own buffer).
        ASSERT_LE(g_largest_allocation.load(), 2 * mutated.size()) << "flip at " << pos;
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
}

TEST(PublishedServerKey17, AHugeOprfPolynomialCountIsRefusedWithoutAllocation) {
  const PublishedServerKey key = SmallServerKey17WithOprf();
  const Bytes bytes = *SerializePublishedServerKey(key);
  const size_t bsk_at =
      bytes.size() - kEmptyTagBytes - FourierBskBytes(*key.oprf_bootstrapping_key);
  const size_t seq_len = bsk_at + 8;
  const size_t chunk_count = seq_len + 16;
  {
    uint64_t v;
    std::memcpy(&v, bytes.data() + chunk_count, 8);
    ASSERT_EQ(v, key.oprf_bootstrapping_key->polynomial_count());  // the offsets are right
  }
  for (uint64_t count : {uint64_t{1} << 40, uint64_t{1} << 61}) {
    Bytes mutated = bytes;
    PutU64(mutated, chunk_count, count);
    PutU64(mutated, seq_len, count + 2);
    g_largest_allocation = 0;
    g_probe_armed = true;
    auto result = ParsePublishedServerKey(mutated);
    g_probe_armed = false;
    ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << count;
    EXPECT_THAT(std::string(result.status().message()), HasSubstr("oprf_key")) << count;
    EXPECT_LT(g_largest_allocation.load(), mutated.size()) << count;
  }
}

}  // namespace
}  // namespace kms::tfhe
