// CompressedXofKeySet expansion (tfhe/xof_key_set_expansion.h) and the keyset mask stream
// (MaskStream, tfhe/mask_regeneration.h):
//   * the stream rule against AES computed directly: byte t is AES_key(c_2 + t/16)[t mod 16]
//     from t = 1 until the first fork, AES_key(t/16)[t mod 16] after it;
//   * a whole keyset built here with the test parameters, every entity present: masks drawn in
//     tfhe-rs 1.4.0-alpha.3's order from one stream (this file's own walk, forks where the
//     source forks), bodies encrypted under our secrets and stored alone; serialized, parsed and
//     expanded, every entity decrypts to what tfhe-rs encrypts, and the expansion's mask words
//     at the entity boundaries equal AES bytes at the positions the source gives;
//   * the same for a tfhe-rs 1.7.0 keyset (V1): tfhe-csprng 0.9.2's stream (first byte 0 for
//     FirstByte, 1 for SecondByte, c_2 kept across forks), 1.7's order with the decompression
//     key's drift zeros, a derived re-randomization CPK and an OPRF key;
//   * hostile keysets (huge output_lwe_size / glwe_size, a total over 2 GiB, inconsistent
//     shapes, zero-byte forks) are refused with InvalidArgument before any large allocation.
#include "tfhe/xof_key_set_expansion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "crypto/aes128.h"
#include "crypto/tfhe_xof.h"
#include "testing/allocation_probe.h"
#include "testing/seeded_rng.h"
#include "tfhe/compression.h"
#include "tfhe/key_generation.h"
#include "tfhe/noise_squashing.h"

namespace kms::tfhe {
namespace {

using ::testing::HasSubstr;

constexpr uint32_t kNoiseLog2 = 8;  // every body's noise is in [−2^8, 2^8]

std::vector<uint8_t> KeysetSeed(u128 seed) {
  std::vector<uint8_t> data = {'T', 'F', 'H', 'E', '_', 'G', 'E', 'N'};
  for (int i = 0; i < 16; ++i) data.push_back(static_cast<uint8_t>(seed >> (8 * i)));
  return data;
}

// Byte t of AES-CTR under `key` with the counter `offset + t/16`, computed block by block.
uint8_t AesByte(const crypto::AesKey& key, u128 offset, u128 t) {
  crypto::Aes128 aes(key);
  crypto::AesBlock block;
  algebra::StoreLe<algebra::Z128>(offset + t / 16, block.data());
  return aes.Encrypt(block)[static_cast<size_t>(t % 16)];
}
uint64_t AesU64(const crypto::AesKey& key, u128 offset, u128 t) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | AesByte(key, offset, t + i);
  return v;
}
u128 AesU128(const crypto::AesKey& key, u128 offset, u128 t) {
  u128 v = 0;
  for (int i = 15; i >= 0; --i) v = v << 8 | AesByte(key, offset, t + i);
  return v;
}

TEST(KeysetMaskStream, OffsetUntilTheFirstForkThenNone) {
  const std::vector<uint8_t> data = KeysetSeed((u128{0xfeedfacecafebeefULL} << 64) | 0x1234);
  const crypto::TfheXof::InitialState state = crypto::TfheXof::InitializeFromData(data);
  ASSERT_NE(state.counter, u128{0});
  MaskStream stream = MaskStream::FromXofSeed(data);
  EXPECT_EQ(stream.position(), u128{1});
  EXPECT_TRUE(stream.has_offset());
  // Bytes 1 … 37 with the offset c_2: byte 0 is never output.
  std::vector<uint8_t> before(37);
  stream.Fill(before);
  for (size_t i = 0; i < before.size(); ++i) {
    ASSERT_EQ(before[i], AesByte(state.key, state.counter, 1 + i)) << i;
  }
  EXPECT_EQ(stream.position(), u128{38});
  // A fork at byte 38 (mid-block): the children's bytes and the parent's after them have no
  // offset; a second fork changes nothing more.
  ASSERT_TRUE(stream.Fork(3, 10, "test").ok());
  EXPECT_FALSE(stream.has_offset());
  std::vector<uint8_t> after(45);
  stream.Fill(after);
  for (size_t i = 0; i < after.size(); ++i) ASSERT_EQ(after[i], AesByte(state.key, 0, 38 + i));
  ASSERT_TRUE(stream.Fork(2, 5, "test").ok());
  EXPECT_EQ(stream.NextU64(), AesU64(state.key, 0, 83));
  EXPECT_EQ(stream.NextU128(), AesU128(state.key, 0, 91));
  EXPECT_EQ(stream.position(), u128{107});
  // tfhe-rs's ForkError cases.
  EXPECT_EQ(stream.Fork(0, 8, "test").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(stream.Fork(4, 0, "test").code(), absl::StatusCode::kInvalidArgument);
}

TEST(KeysetMaskStream, ACtrSeedStreamIsMaskGeneratorForAndForksChangeNothing) {
  const CompressionSeed seed{.seed = (u128{5} << 64) | 77};
  MaskStream stream = MaskStream::FromCompressionSeed(seed);
  crypto::TfheXof reference = MaskGeneratorFor(seed);
  EXPECT_FALSE(stream.has_offset());
  for (int i = 0; i < 40; ++i) {
    if (i == 7) {
      ASSERT_TRUE(stream.Fork(2, 16, "test").ok());
    }
    ASSERT_EQ(stream.NextU64(), reference.NextU64()) << i;
  }
}

TEST(KeysetMaskStream, XofSeedStartKeepsTheOffsetAcrossForks) {
  const std::vector<uint8_t> data = KeysetSeed((u128{0x0badc0ffee} << 64) | 0x5678);
  const crypto::TfheXof::InitialState st = crypto::TfheXof::InitializeFromData(data);
  ASSERT_NE(st.counter, u128{0});
  for (uint64_t first : {uint64_t{0}, uint64_t{1}}) {
    MaskStream stream = MaskStream::FromXofSeedStart(data, first);
    EXPECT_EQ(stream.position(), u128{first});
    EXPECT_TRUE(stream.has_offset());
    std::vector<uint8_t> before(37);
    stream.Fill(before);
    for (size_t i = 0; i < before.size(); ++i) {
      ASSERT_EQ(before[i], AesByte(st.key, st.counter, first + i)) << first << " " << i;
    }
    // Forks mid-block: the children and the parent after them keep c_2.
    const u128 c2 = st.counter;
    const u128 t = first + before.size();
    ASSERT_TRUE(stream.Fork(3, 10, "test").ok());
    EXPECT_TRUE(stream.has_offset());
    EXPECT_EQ(stream.NextU64(), AesU64(st.key, c2, t));
    EXPECT_NE(AesU64(st.key, c2, t), AesU64(st.key, 0, t));
    ASSERT_TRUE(stream.Fork(2, 5, "test").ok());
    EXPECT_EQ(stream.NextU128(), AesU128(st.key, c2, t + 8));
    EXPECT_EQ(stream.position(), t + 24);
    EXPECT_EQ(stream.Fork(0, 8, "test").code(), absl::StatusCode::kInvalidArgument);
  }
  // FirstByte's byte 0 is the block's first byte; SecondByte never outputs it.
  MaskStream first = MaskStream::FromXofSeedStart(data, 0);
  MaskStream second = MaskStream::FromXofSeedStart(data, 1);
  uint8_t b0[2], b1[1];
  first.Fill(b0);
  second.Fill(b1);
  EXPECT_EQ(b0[1], b1[0]);
}

// ---- a keyset of our own, masks from the one stream ----

template <typename Scalar>
Scalar Noise(algebra::RandomSource& rng) {
  uint8_t b[4];
  rng.Fill(b);
  const uint32_t r = (uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16) %
                     ((uint32_t{1} << (kNoiseLog2 + 1)) + 1);
  return static_cast<Scalar>(static_cast<Scalar>(r) - (Scalar{1} << kNoiseLog2));
}

template <typename Scalar>
constexpr uint64_t kWidth = sizeof(Scalar) * 8;

// The decomposition term m·2^(w − β·ℓ) of tfhe-rs's key generation.
template <typename Scalar>
Scalar Scaled(Scalar m, uint64_t base_log, uint64_t level) {
  return static_cast<Scalar>(m << (kWidth<Scalar> - base_log * level));
}

template <typename Scalar>
bool WithinNoise(Scalar e) {
  const Scalar bound = Scalar{1} << kNoiseLog2;
  return static_cast<Scalar>(e + bound) <= static_cast<Scalar>(2 * bound);
}

// GLWE phase of k mask polynomials then the body under `key`.
template <typename Scalar>
std::vector<Scalar> Phase(const Scalar* glwe, const GlweSecretKey<Scalar>& key) {
  const uint64_t n = key.polynomial_size, k = key.glwe_dimension();
  GlweCiphertextOf<Scalar> c{std::vector<Scalar>(glwe, glwe + (k + 1) * n), k, n};
  return GlwePhase(c, key);
}

// k·N masks from the stream, body = message + noise + Σ A_p·S_p.
template <typename Scalar>
std::vector<Scalar> EncryptGlwe(MaskStream& masks, const GlweSecretKey<Scalar>& key,
                                const std::vector<Scalar>& message, algebra::RandomSource& rng) {
  const uint64_t n = key.polynomial_size, k = key.glwe_dimension();
  std::vector<Scalar> glwe((k + 1) * n, Scalar{0});
  for (uint64_t j = 0; j < k * n; ++j) glwe[j] = masks.Next<Scalar>();
  const std::vector<Scalar> minus_dot = Phase(glwe.data(), key);  // body 0: −Σ A·S
  std::vector<Scalar> body(n);
  for (uint64_t t = 0; t < n; ++t) body[t] = message[t] + Noise<Scalar>(rng) - minus_dot[t];
  return body;
}

template <typename Scalar>
bool GlweDecrypts(const Scalar* glwe, const GlweSecretKey<Scalar>& key,
                  const std::vector<Scalar>& message) {
  const std::vector<Scalar> phase = Phase(glwe, key);
  for (size_t t = 0; t < phase.size(); ++t) {
    if (!WithinNoise<Scalar>(phase[t] - message[t])) return false;
  }
  return true;
}

uint64_t Dot(const uint64_t* a, std::span<const uint64_t> s) {
  uint64_t d = 0;
  for (size_t j = 0; j < s.size(); ++j) d += a[j] * s[j];
  return d;
}

// The message of packing-KSK entry (i, ℓ): the constant s_in[i]·2^(w − β·ℓ).
template <typename Scalar>
std::vector<Scalar> ConstantMessage(Scalar c, uint64_t n) {
  std::vector<Scalar> m(n, Scalar{0});
  m[0] = c;
  return m;
}

// BSK row r of level ℓ for key bit m: −m·2^(w−βℓ)·S_r (r < k), the constant m·2^(w−βℓ) (r = k).
template <typename Scalar>
std::vector<Scalar> BskRowMessage(uint64_t bit, uint64_t row, uint64_t base_log, uint64_t level,
                                  const GlweSecretKey<Scalar>& key) {
  const uint64_t n = key.polynomial_size, k = key.glwe_dimension();
  const Scalar scaled = Scaled<Scalar>(static_cast<Scalar>(bit), base_log, level);
  if (row == k) return ConstantMessage<Scalar>(scaled, n);
  std::vector<Scalar> m(n);
  for (uint64_t t = 0; t < n; ++t)
    m[t] = static_cast<Scalar>(Scalar{0} - scaled * key.data[row * n + t]);
  return m;
}

SeededLweKeyswitchKey MakeKsk(MaskStream& masks, std::span<const uint64_t> s_in,
                              std::span<const uint64_t> s_out, uint64_t base_log, uint64_t levels,
                              algebra::RandomSource& rng) {
  SeededLweKeyswitchKey ksk;
  ksk.decomp_base_log = base_log;
  ksk.decomp_level_count = levels;
  ksk.output_lwe_size = s_out.size() + 1;
  EXPECT_TRUE(masks.Fork(s_in.size() * levels, 8 * s_out.size(), "test KSK").ok());
  std::vector<uint64_t> a(s_out.size());
  for (uint64_t i = 0; i < s_in.size(); ++i) {
    for (uint64_t level = levels; level >= 1; --level) {
      for (auto& w : a) w = masks.NextU64();
      ksk.data.push_back(Dot(a.data(), s_out) + Scaled<uint64_t>(s_in[i], base_log, level) +
                         Noise<uint64_t>(rng));
    }
  }
  return ksk;
}

uint64_t KskFailures(const LweKeyswitchKey& ksk, std::span<const uint64_t> s_in,
                     std::span<const uint64_t> s_out) {
  EXPECT_EQ(ksk.input_lwe_dimension(), s_in.size());
  EXPECT_EQ(ksk.output_lwe_size, s_out.size() + 1);
  uint64_t failures = 0;
  for (uint64_t i = 0; i < s_in.size(); ++i) {
    for (uint64_t level = 1; level <= ksk.decomp_level_count; ++level) {
      const uint64_t* lwe = ksk.Entry(i, level);
      const uint64_t e = lwe[s_out.size()] - Dot(lwe, s_out) -
                         Scaled<uint64_t>(s_in[i], ksk.decomp_base_log, level);
      failures += !WithinNoise<uint64_t>(e);
    }
  }
  return failures;
}

template <typename Scalar>
SeededLweBootstrapKey<Scalar> MakeBsk(MaskStream& masks, std::span<const uint64_t> bits,
                                      const GlweSecretKey<Scalar>& key, uint64_t base_log,
                                      uint64_t levels, algebra::RandomSource& rng) {
  const uint64_t n = key.polynomial_size, k = key.glwe_dimension();
  SeededLweBootstrapKey<Scalar> bsk;
  SeededGgswCiphertextList<Scalar>& g = bsk.ggsw_list;
  g.glwe_size = k + 1;
  g.polynomial_size = n;
  g.decomp_base_log = base_log;
  g.decomp_level_count = levels;
  const uint64_t row_bytes = k * n * sizeof(Scalar);
  EXPECT_TRUE(masks.Fork(bits.size(), levels * (k + 1) * row_bytes, "test BSK").ok());
  for (uint64_t bit : bits) {
    EXPECT_TRUE(masks.Fork(levels, (k + 1) * row_bytes, "test GGSW").ok());
    for (uint64_t level = levels; level >= 1; --level) {
      EXPECT_TRUE(masks.Fork(k + 1, row_bytes, "test level").ok());
      for (uint64_t row = 0; row <= k; ++row) {
        const std::vector<Scalar> body =
            EncryptGlwe(masks, key, BskRowMessage(bit, row, base_log, level, key), rng);
        g.data.insert(g.data.end(), body.begin(), body.end());
      }
    }
  }
  return bsk;
}

template <typename Scalar>
uint64_t BskFailures(const LweBootstrapKey<Scalar>& bsk, std::span<const uint64_t> bits,
                     const GlweSecretKey<Scalar>& key) {
  EXPECT_EQ(bsk.input_lwe_dimension(), bits.size());
  uint64_t failures = 0;
  for (uint64_t i = 0; i < bits.size(); ++i) {
    for (uint64_t level = 1; level <= bsk.decomp_level_count; ++level) {
      for (uint64_t row = 0; row < bsk.glwe_size; ++row) {
        failures += !GlweDecrypts(bsk.Row(i, level, row), key,
                                  BskRowMessage(bits[i], row, bsk.decomp_base_log, level, key));
      }
    }
  }
  return failures;
}

template <typename Scalar>
SeededLwePackingKeyswitchKey<Scalar> MakePackingKey(MaskStream& masks, std::span<const Scalar> s_in,
                                                    const GlweSecretKey<Scalar>& key,
                                                    uint64_t base_log, uint64_t levels,
                                                    algebra::RandomSource& rng) {
  SeededLwePackingKeyswitchKey<Scalar> p;
  p.decomp_base_log = base_log;
  p.decomp_level_count = levels;
  p.output_glwe_size = key.glwe_dimension() + 1;
  p.output_polynomial_size = key.polynomial_size;
  for (uint64_t i = 0; i < s_in.size(); ++i) {  // no fork
    for (uint64_t level = levels; level >= 1; --level) {
      const std::vector<Scalar> body = EncryptGlwe(
          masks, key,
          ConstantMessage<Scalar>(Scaled<Scalar>(s_in[i], base_log, level), key.polynomial_size),
          rng);
      p.data.insert(p.data.end(), body.begin(), body.end());
    }
  }
  return p;
}

template <typename Scalar>
uint64_t PackingFailures(const LwePackingKeyswitchKey<Scalar>& p, std::span<const Scalar> s_in,
                         const GlweSecretKey<Scalar>& key) {
  EXPECT_EQ(p.input_lwe_dimension(), s_in.size());
  uint64_t failures = 0;
  for (uint64_t i = 0; i < s_in.size(); ++i) {
    for (uint64_t level = 1; level <= p.decomp_level_count; ++level) {
      failures +=
          !GlweDecrypts(p.Entry(i, level), key,
                        ConstantMessage<Scalar>(Scaled<Scalar>(s_in[i], p.decomp_base_log, level),
                                                key.polynomial_size));
    }
  }
  return failures;
}

CompressedModulusSwitchConfiguration MakeDriftZeros(MaskStream& masks, std::span<const uint64_t> s,
                                                    uint64_t count, algebra::RandomSource& rng) {
  CompressedModulusSwitchConfiguration c;
  c.kind = CompressedModulusSwitchConfiguration::Kind::kDriftTechnique;
  c.drift.ms_bound = 0x1p58;
  c.drift.ms_r_sigma_factor = 9.2;
  c.drift.ms_input_variance = 1e-200;
  SeededLweCiphertextList& z = c.drift.modulus_switch_zeros;
  z.lwe_size = s.size() + 1;
  EXPECT_TRUE(masks.Fork(count, 8 * s.size(), "test zeros").ok());
  std::vector<uint64_t> a(s.size());
  for (uint64_t i = 0; i < count; ++i) {
    for (auto& w : a) w = masks.NextU64();
    z.data.push_back(Dot(a.data(), s) + Noise<uint64_t>(rng));
  }
  return c;
}

uint64_t ZeroFailures(const ModulusSwitchConfiguration& c, std::span<const uint64_t> s,
                      uint64_t count) {
  EXPECT_EQ(c.kind, ModulusSwitchConfiguration::Kind::kDriftTechnique);
  const LweCiphertextList& z = c.modulus_switch_zeros;
  EXPECT_EQ(z.lwe_size, s.size() + 1);
  EXPECT_EQ(z.data.size(), count * z.lwe_size);
  uint64_t failures = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t* lwe = z.data.data() + i * z.lwe_size;
    failures += !WithinNoise<uint64_t>(lwe[s.size()] - Dot(lwe, s));
  }
  return failures;
}

// Our secrets with every optional part, the small key's bits set to 1 (the test parameters'
// small key has one bit, which must not hide a mask).
ClientKey FullClientKey() {
  kms::testing::SeededRng rng(20261202);
  ClientKey ck = *GenerateClientKey(KmsTestKeyParameters(), rng);
  for (auto& b : ck.lwe_secret_key.data) b = 1;
  ck.compression_key = *GenerateCompressionPrivateKey(KmsTestCompressionParameters(), rng);
  ck.noise_squashing_private_key =
      GenerateNoiseSquashingPrivateKey(KmsTestNoiseSquashingParameters(), rng);
  ck.noise_squashing_compression_private_key = *GenerateNoiseSquashingCompressionPrivateKey(
      KmsTestNoiseSquashingCompressionParameters(), rng);
  return ck;
}

constexpr uint64_t kComputeZeros = 4;
constexpr uint64_t kSnsZeros = 8;
constexpr uint64_t kReRandBaseLog = 24, kReRandLevel = 1;

// The bytes each entity takes, in order, for the AES boundary checks.
struct Layout {
  u128 cpk = 0, compression = 0, decompression = 0, ksk = 0, bsk = 0, zeros = 0, sns_bsk = 0,
       sns_zeros = 0, casting = 0, rerand = 0;
  // V1 only.
  u128 decompression_zeros = 0, sns_compression = 0, oprf = 0;
};

// A tfhe-rs 1.7.0 keyset (V1): its stream start, 1.7 server-key form, drift zeros on the
// decompression key, a derived re-randomization CPK instead of the dedicated KSK, an OPRF key.
struct V1 {
  bool on = false;
  CompressedXofKeySet::Start start = CompressedXofKeySet::Start::kFirstByte;
};
constexpr uint64_t kDecompressionZeros = 3;

// The OPRF secret: n random bits (not the all-ones small key).
std::vector<uint64_t> OprfSecret(uint64_t n) {
  kms::testing::SeededRng rng(4242);
  std::vector<uint64_t> s(n);
  for (auto& b : s) {
    uint8_t r;
    rng.Fill({&r, 1});
    b = r & 1;
  }
  return s;
}

// b = a ⊛ rev(s) + e, a from the stream (no fork).
CompressedCompactPublicKey MakeCpk(MaskStream& masks, std::span<const uint64_t> s,
                                   const CompactPublicKeyEncryptionParameters& params,
                                   algebra::RandomSource& rng) {
  CompressedCompactPublicKey pk;
  std::vector<uint64_t> a(s.size()), b(s.size());
  for (auto& w : a) w = masks.NextU64();
  SemiReverseNegacyclicConvolution(b, a, s);
  for (auto& w : b) w += Noise<uint64_t>(rng);
  pk.key.seeded_glwe_ciphertext.data = b;
  pk.key.seeded_glwe_ciphertext.glwe_size = 2;
  pk.parameters = params;
  pk.parameters.encryption_lwe_dimension = s.size();
  return pk;
}

uint64_t CpkFailures(const CompactPublicKey& pk, std::span<const uint64_t> s) {
  const GlweCiphertext& g = pk.key.glwe_ciphertext;
  EXPECT_EQ(g.data.size(), 2 * s.size());
  if (g.data.size() != 2 * s.size()) return 1;
  std::vector<uint64_t> dot(s.size());
  SemiReverseNegacyclicConvolution(dot, std::span<const uint64_t>(g.data.data(), s.size()), s);
  uint64_t failures = 0;
  for (size_t i = 0; i < s.size(); ++i)
    failures += !WithinNoise<uint64_t>(g.data[s.size() + i] - dot[i]);
  return failures;
}

// The keyset of `ck` in tfhe-rs 1.4.0-alpha.3's decompression order, drawn from one
// MaskStream; `with_compression` adds the compression and decompression keys.
CompressedXofKeySet BuildKeyset(const ClientKey& ck, u128 seed, bool with_compression,
                                Layout& layout, V1 v1 = {}) {
  kms::testing::SeededRng rng(99);
  CompressedXofKeySet ks;
  ks.seed = KeysetSeed(seed);
  if (v1.on) {
    ks.format = TfheFormat::kTfhe17;
    ks.start = v1.start;
    ks.compressed_server_key.format = TfheFormat::kTfhe17;
  }
  MaskStream masks = v1.on ? MaskStream::FromXofSeedStart(ks.seed, ks.first_byte())
                           : MaskStream::FromXofSeed(ks.seed);
  const ClassicPBSParameters& p = ck.parameters;
  const std::span<const uint64_t> big = ck.glwe_secret_key.data;
  const std::span<const uint64_t> small = ck.lwe_secret_key.data;
  const std::span<const uint64_t> hat = ck.dedicated_compact_private_key->key.data;
  u128 last = masks.position();
  auto mark = [&](u128& field) {
    field = masks.position() - last;
    last = masks.position();
  };

  // 1. CPK: b = a ⊛ rev(s) + e.
  {
    CompressedCompactPublicKey& pk = ks.compressed_public_key;
    std::vector<uint64_t> a(hat.size()), b(hat.size());
    for (auto& w : a) w = masks.NextU64();
    SemiReverseNegacyclicConvolution(b, a, hat);
    for (auto& w : b) w += Noise<uint64_t>(rng);
    pk.key.seeded_glwe_ciphertext.data = b;
    pk.key.seeded_glwe_ciphertext.glwe_size = 2;
    pk.parameters = ck.dedicated_compact_private_key->parameters;
    mark(layout.cpk);
  }
  CompressedServerKey& sk = ks.compressed_server_key;
  // 2–3. Compression (compute GLWE as LWE → compression key) and decompression.
  if (with_compression) {
    const ClientKey::CompressionPrivateKey& c = *ck.compression_key;
    CompressedCompressionKey k;
    k.packing_key_switching_key =
        MakePackingKey<uint64_t>(masks, big, c.post_packing_ks_key, c.params.packing_ks_base_log,
                                 c.params.packing_ks_level, rng);
    k.lwe_per_glwe = c.params.lwe_per_glwe;
    k.storage_log_modulus = c.params.storage_log_modulus;
    sk.compression_key = k;
    mark(layout.compression);
    CompressedDecompressionKey d;
    d.blind_rotate_key = MakeBsk<uint64_t>(masks, c.post_packing_ks_key.data, ck.glwe_secret_key,
                                           c.params.br_base_log, c.params.br_level, rng);
    d.lwe_per_glwe = c.params.lwe_per_glwe;
    mark(layout.decompression);
    if (v1.on) {  // 1.7: the BSK's modulus-switch configuration right after it
      d.modulus_switch_noise_reduction_key =
          MakeDriftZeros(masks, c.post_packing_ks_key.data, kDecompressionZeros, rng);
      mark(layout.decompression_zeros);
    }
    sk.decompression_key = d;
  } else {
    mark(layout.compression);
    mark(layout.decompression);
  }
  // 4–6. Compute KSK (big → small), BSK (small → GLWE), drift zeros.
  sk.key_switching_key = MakeKsk(masks, big, small, p.ks_base_log, p.ks_level, rng);
  mark(layout.ksk);
  sk.bootstrapping_key =
      MakeBsk<uint64_t>(masks, small, ck.glwe_secret_key, p.pbs_base_log, p.pbs_level, rng);
  mark(layout.bsk);
  sk.modulus_switch_noise_reduction_key = MakeDriftZeros(masks, small, kComputeZeros, rng);
  mark(layout.zeros);
  sk.pbs_order = p.encryption_key_choice == EncryptionKeyChoice::kBig
                     ? PBSOrder::kKeyswitchBootstrap
                     : PBSOrder::kBootstrapKeyswitch;
  sk.message_modulus = p.message_modulus;
  sk.carry_modulus = p.carry_modulus;
  sk.max_degree = p.message_modulus * p.carry_modulus - 1;
  sk.max_noise_level = p.max_noise_level;
  // 7–8. Noise squashing: 128-bit BSK (small → SnS GLWE), then its drift zeros.
  {
    const ClientKey::NoiseSquashingPrivateKey& ns = *ck.noise_squashing_private_key;
    CompressedNoiseSquashingKey k;
    k.bsk = MakeBsk<u128>(masks, small, ns.post_noise_squashing_secret_key,
                          ns.params.decomp_base_log, ns.params.decomp_level_count, rng);
    mark(layout.sns_bsk);
    k.modulus_switch_noise_reduction_key = MakeDriftZeros(masks, small, kSnsZeros, rng);
    mark(layout.sns_zeros);
    k.message_modulus = ns.params.message_modulus;
    k.carry_modulus = ns.params.carry_modulus;
    sk.noise_squashing_key = k;
  }
  // 9. Casting KSK (compact secret → small key, as the casting parameters say).
  {
    const ShortintKeySwitchingParameters& cp = ck.dedicated_compact_private_key->ksk_parameters;
    const std::span<const uint64_t> dest =
        cp.destination_key == EncryptionKeyChoice::kBig ? big : small;
    CompressedKeySwitchingKeyMaterial m;
    m.key_switching_key = MakeKsk(masks, hat, dest, cp.ks_base_log, cp.ks_level, rng);
    m.destination_key = cp.destination_key;
    sk.cpk_key_switching_key_material = m;
    mark(layout.casting);
  }
  // 10. Dedicated re-randomization KSK (compact secret → big key); in V1 a CPK derived from
  // the compute key (DerivedCPKWithoutKeySwitch).
  if (v1.on) {
    sk.cpk_re_randomization_derived_cpk =
        MakeCpk(masks, big, ck.dedicated_compact_private_key->parameters, rng);
    mark(layout.rerand);
  } else {
    CompressedReRandomizationKeySwitchingKey r;
    r.kind = CompressedReRandomizationKeySwitchingKey::Kind::kDedicatedKSK;
    r.dedicated.key_switching_key = MakeKsk(masks, hat, big, kReRandBaseLog, kReRandLevel, rng);
    r.dedicated.destination_key = EncryptionKeyChoice::kBig;
    sk.cpk_re_randomization_key_switching_key_material = r;
    mark(layout.rerand);
  }
  // 11. Noise-squashing compression (SnS GLWE as LWE → its compression key).
  {
    const ClientKey::NoiseSquashingCompressionPrivateKey& c =
        *ck.noise_squashing_compression_private_key;
    CompressedNoiseSquashingCompressionKey k;
    k.packing_key_switching_key = MakePackingKey<u128>(
        masks, ck.noise_squashing_private_key->post_noise_squashing_secret_key.data,
        c.post_packing_ks_key, c.params.packing_ks_base_log, c.params.packing_ks_level, rng);
    k.lwe_per_glwe = c.params.lwe_per_glwe;
    sk.noise_squashing_compression_key = k;
    mark(layout.sns_compression);
  }
  // 12. V1: the OPRF BSK (OPRF secret → compute GLWE key).
  if (v1.on) {
    sk.oprf_bootstrapping_key = MakeBsk<uint64_t>(
        masks, OprfSecret(small.size()), ck.glwe_secret_key, p.pbs_base_log, p.pbs_level, rng);
    mark(layout.oprf);
  }
  return ks;
}

class XofKeySetExpansion : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ck_ = new ClientKey(FullClientKey()); }
  static void TearDownTestSuite() {
    delete ck_;
    ck_ = nullptr;
  }
  static ClientKey* ck_;
};
ClientKey* XofKeySetExpansion::ck_ = nullptr;

constexpr u128 kSeed = (u128{0x0102030405060708ULL} << 64) | 0x090a0b0c0d0e0f10ULL;

TEST_F(XofKeySetExpansion, EveryEntityDecryptsAfterASerializationRoundTrip) {
  const ClientKey& ck = *ck_;
  Layout layout;
  const CompressedXofKeySet built = BuildKeyset(ck, kSeed, true, layout);
  auto bytes = SerializeCompressedXofKeySet(built);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto parsed = ParseCompressedXofKeySet(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto x = ExpandCompressedXofKeySet(*parsed);
  ASSERT_TRUE(x.ok()) << x.status();

  const std::span<const uint64_t> big = ck.glwe_secret_key.data;
  const std::span<const uint64_t> small = ck.lwe_secret_key.data;
  const std::span<const uint64_t> hat = ck.dedicated_compact_private_key->key.data;

  // CPK: b − a ⊛ rev(s) is the noise.
  {
    const GlweCiphertext& g = x->public_key.key.glwe_ciphertext;
    ASSERT_EQ(g.data.size(), 2 * hat.size());
    std::vector<uint64_t> dot(hat.size());
    SemiReverseNegacyclicConvolution(dot, std::span<const uint64_t>(g.data.data(), hat.size()),
                                     hat);
    uint64_t failures = 0;
    for (size_t i = 0; i < hat.size(); ++i) {
      failures += !WithinNoise<uint64_t>(g.data[hat.size() + i] - dot[i]);
    }
    EXPECT_EQ(failures, 0u);
    EXPECT_TRUE(x->public_key.tag.empty());
    EXPECT_EQ(x->public_key.parameters, built.compressed_public_key.parameters);
  }
  ASSERT_TRUE(x->compression_key && x->decompression_key && x->noise_squashing_key &&
              x->cpk_key_switching_key_material && x->noise_squashing_compression_key &&
              x->cpk_re_randomization_key_switching_key_material);
  const ClientKey::CompressionPrivateKey& comp = *ck.compression_key;
  EXPECT_EQ(PackingFailures<uint64_t>(x->compression_key->packing_key_switching_key, big,
                                      comp.post_packing_ks_key),
            0u);
  EXPECT_EQ(x->compression_key->lwe_per_glwe, comp.params.lwe_per_glwe);
  EXPECT_EQ(BskFailures<uint64_t>(x->decompression_key->blind_rotate_key,
                                  comp.post_packing_ks_key.data, ck.glwe_secret_key),
            0u);
  EXPECT_EQ(KskFailures(x->key_switching_key, big, small), 0u);
  EXPECT_EQ(BskFailures<uint64_t>(x->bootstrapping_key, small, ck.glwe_secret_key), 0u);
  EXPECT_EQ(ZeroFailures(x->modulus_switch_noise_reduction_key, small, kComputeZeros), 0u);
  EXPECT_EQ(x->modulus_switch_noise_reduction_key.ms_r_sigma_factor, 9.2);
  EXPECT_EQ(x->message_modulus, ck.parameters.message_modulus);
  EXPECT_EQ(x->max_degree, built.compressed_server_key.max_degree);
  const ClientKey::NoiseSquashingPrivateKey& ns = *ck.noise_squashing_private_key;
  EXPECT_EQ(
      BskFailures<u128>(x->noise_squashing_key->bsk, small, ns.post_noise_squashing_secret_key),
      0u);
  EXPECT_EQ(
      ZeroFailures(x->noise_squashing_key->modulus_switch_noise_reduction_key, small, kSnsZeros),
      0u);
  const auto& cast = *x->cpk_key_switching_key_material;
  EXPECT_EQ(KskFailures(cast.key_switching_key, hat,
                        cast.destination_key == EncryptionKeyChoice::kBig ? big : small),
            0u);
  const auto& rerand = *x->cpk_re_randomization_key_switching_key_material;
  EXPECT_EQ(rerand.kind, ReRandomizationKeySwitchingKey::Kind::kDedicatedKSK);
  EXPECT_EQ(KskFailures(rerand.dedicated.key_switching_key, hat, big), 0u);
  EXPECT_EQ(PackingFailures<u128>(x->noise_squashing_compression_key->packing_key_switching_key,
                                  ns.post_noise_squashing_secret_key.data,
                                  ck.noise_squashing_compression_private_key->post_packing_ks_key),
            0u);
}

// The expansion's mask words at the entity boundaries are AES bytes at the positions the
// source gives: from byte 1 with the offset c_2 up to the decompression key, the first fork,
// without it from there on.
TEST_F(XofKeySetExpansion, BoundaryMasksAreAesBytesAtTheSourcePositions) {
  Layout layout;
  const CompressedXofKeySet built = BuildKeyset(*ck_, kSeed, true, layout);
  auto x = ExpandCompressedXofKeySet(built);
  ASSERT_TRUE(x.ok()) << x.status();
  // The entity sizes in stream bytes, from the parameters: mask elements × 8 (or 16).
  const ClientKey& ck = *ck_;
  const uint64_t n_hat = ck.dedicated_compact_private_key->key.data.size();
  const uint64_t kn = ck.glwe_secret_key.data.size(), n = ck.lwe_secret_key.data.size();
  const uint64_t k = ck.parameters.glwe_dimension, big_n = ck.parameters.polynomial_size;
  const CompressionParameters& cp = ck.compression_key->params;
  const uint64_t kn_c = cp.packing_ks_glwe_dimension * cp.packing_ks_polynomial_size;
  EXPECT_EQ(layout.cpk, u128{8} * n_hat);
  EXPECT_EQ(layout.compression, u128{8} * kn * cp.packing_ks_level * kn_c);
  EXPECT_EQ(layout.decompression, u128{8} * kn_c * cp.br_level * (k + 1) * k * big_n);
  EXPECT_EQ(layout.ksk, u128{8} * kn * ck.parameters.ks_level * n);
  EXPECT_EQ(layout.bsk, u128{8} * n * ck.parameters.pbs_level * (k + 1) * k * big_n);
  EXPECT_EQ(layout.zeros, u128{8} * kComputeZeros * n);

  const crypto::TfheXof::InitialState st = crypto::TfheXof::InitializeFromData(built.seed);
  const u128 c2 = st.counter;
  u128 t = 1;
  EXPECT_EQ(x->public_key.key.glwe_ciphertext.data[0], AesU64(st.key, c2, t));
  t += layout.cpk;
  const auto& packing = x->compression_key->packing_key_switching_key;
  EXPECT_EQ(packing.data[0], AesU64(st.key, c2, t));
  // The compression key's last mask word: the last bytes read with the offset.
  t += layout.compression;
  const uint64_t n_c = packing.output_polynomial_size;
  EXPECT_EQ(packing.data[packing.data.size() - n_c - 1], AesU64(st.key, c2, t - 8));
  // The decompression BSK forks: no offset from its first mask word on.
  const auto& dbsk = x->decompression_key->blind_rotate_key;
  EXPECT_EQ(dbsk.data[0], AesU64(st.key, 0, t));
  EXPECT_NE(dbsk.data[0], AesU64(st.key, c2, t));
  t += layout.decompression;
  EXPECT_EQ(x->key_switching_key.data[0], AesU64(st.key, 0, t));
  t += layout.ksk;
  EXPECT_EQ(x->bootstrapping_key.data[0], AesU64(st.key, 0, t));
  t += layout.bsk;
  EXPECT_EQ(x->modulus_switch_noise_reduction_key.modulus_switch_zeros.data[0],
            AesU64(st.key, 0, t));
  t += layout.zeros;
  EXPECT_EQ(x->noise_squashing_key->bsk.data[0], AesU128(st.key, 0, t));
  t += layout.sns_bsk + layout.sns_zeros;
  EXPECT_EQ(x->cpk_key_switching_key_material->key_switching_key.data[0], AesU64(st.key, 0, t));
  t += layout.casting;
  EXPECT_EQ(x->cpk_re_randomization_key_switching_key_material->dedicated.key_switching_key.data[0],
            AesU64(st.key, 0, t));
  t += layout.rerand;
  EXPECT_EQ(x->noise_squashing_compression_key->packing_key_switching_key.data[0],
            AesU128(st.key, 0, t));
}

// Without compression and decompression keys the compute KSK is the first fork: its first mask
// word has no offset, the CPK before it has.
TEST_F(XofKeySetExpansion, WithoutDecompressionKeyTheComputeKskIsTheFirstFork) {
  Layout layout;
  const CompressedXofKeySet built = BuildKeyset(*ck_, kSeed + 1, false, layout);
  auto x = ExpandCompressedXofKeySet(built);
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_FALSE(x->compression_key.has_value());
  EXPECT_FALSE(x->decompression_key.has_value());
  EXPECT_EQ(KskFailures(x->key_switching_key, ck_->glwe_secret_key.data, ck_->lwe_secret_key.data),
            0u);
  const crypto::TfheXof::InitialState st = crypto::TfheXof::InitializeFromData(built.seed);
  EXPECT_EQ(x->public_key.key.glwe_ciphertext.data[x->public_key.key.lwe_dimension() - 1],
            AesU64(st.key, st.counter, 1 + layout.cpk - 8));
  EXPECT_EQ(x->key_switching_key.data[0], AesU64(st.key, 0, 1 + layout.cpk));
  // A stream that kept the offset after the fork would give other masks.
  EXPECT_NE(x->key_switching_key.data[0], AesU64(st.key, st.counter, 1 + layout.cpk));
}

// ---- tfhe-rs 1.7.0 (V1) ----

constexpr V1 kFirstByte{.on = true, .start = CompressedXofKeySet::Start::kFirstByte};
constexpr V1 kSecondByte{.on = true, .start = CompressedXofKeySet::Start::kSecondByte};

TEST_F(XofKeySetExpansion, V1EveryEntityDecryptsAfterAByteIdenticalRoundTrip) {
  const ClientKey& ck = *ck_;
  Layout layout;
  CompressedXofKeySet built = BuildKeyset(ck, kSeed, true, layout, kFirstByte);
  built.compressed_public_key.tag = {7, 8};
  built.compressed_server_key.tag = {7, 8};
  auto bytes = SerializeCompressedXofKeySet(built);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto parsed = ParseCompressedXofKeySet(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->format, TfheFormat::kTfhe17);
  EXPECT_EQ(parsed->compressed_server_key.format, TfheFormat::kTfhe17);
  EXPECT_EQ(*parsed, built);
  EXPECT_EQ(*SerializeCompressedXofKeySet(*parsed), *bytes);
  auto x = ExpandCompressedXofKeySet(*parsed);
  ASSERT_TRUE(x.ok()) << x.status();

  const std::span<const uint64_t> big = ck.glwe_secret_key.data;
  const std::span<const uint64_t> small = ck.lwe_secret_key.data;
  const std::span<const uint64_t> hat = ck.dedicated_compact_private_key->key.data;
  EXPECT_EQ(CpkFailures(x->public_key, hat), 0u);
  EXPECT_EQ(x->public_key.tag, (std::vector<uint8_t>{7, 8}));  // 1.7: the server key's tag
  ASSERT_TRUE(x->compression_key && x->decompression_key && x->noise_squashing_key &&
              x->cpk_key_switching_key_material && x->noise_squashing_compression_key &&
              x->cpk_re_randomization_derived_cpk && x->oprf_bootstrapping_key);
  EXPECT_FALSE(x->cpk_re_randomization_key_switching_key_material.has_value());
  const ClientKey::CompressionPrivateKey& comp = *ck.compression_key;
  EXPECT_EQ(PackingFailures<uint64_t>(x->compression_key->packing_key_switching_key, big,
                                      comp.post_packing_ks_key),
            0u);
  EXPECT_EQ(BskFailures<uint64_t>(x->decompression_key->blind_rotate_key,
                                  comp.post_packing_ks_key.data, ck.glwe_secret_key),
            0u);
  EXPECT_EQ(ZeroFailures(x->decompression_key->modulus_switch_noise_reduction_key,
                         comp.post_packing_ks_key.data, kDecompressionZeros),
            0u);
  EXPECT_EQ(KskFailures(x->key_switching_key, big, small), 0u);
  EXPECT_EQ(BskFailures<uint64_t>(x->bootstrapping_key, small, ck.glwe_secret_key), 0u);
  EXPECT_EQ(ZeroFailures(x->modulus_switch_noise_reduction_key, small, kComputeZeros), 0u);
  const ClientKey::NoiseSquashingPrivateKey& ns = *ck.noise_squashing_private_key;
  EXPECT_EQ(
      BskFailures<u128>(x->noise_squashing_key->bsk, small, ns.post_noise_squashing_secret_key),
      0u);
  EXPECT_EQ(
      ZeroFailures(x->noise_squashing_key->modulus_switch_noise_reduction_key, small, kSnsZeros),
      0u);
  const auto& cast = *x->cpk_key_switching_key_material;
  EXPECT_EQ(KskFailures(cast.key_switching_key, hat,
                        cast.destination_key == EncryptionKeyChoice::kBig ? big : small),
            0u);
  EXPECT_EQ(CpkFailures(*x->cpk_re_randomization_derived_cpk, big), 0u);
  EXPECT_TRUE(x->cpk_re_randomization_derived_cpk->tag.empty());
  EXPECT_EQ(PackingFailures<u128>(x->noise_squashing_compression_key->packing_key_switching_key,
                                  ns.post_noise_squashing_secret_key.data,
                                  ck.noise_squashing_compression_private_key->post_packing_ks_key),
            0u);
  const std::vector<uint64_t> oprf = OprfSecret(small.size());
  EXPECT_EQ(BskFailures<uint64_t>(*x->oprf_bootstrapping_key, oprf, ck.glwe_secret_key), 0u);

  // Expanded under the 1.4 rules (the same entities as a V0 keyset), nothing decrypts past the
  // first fork: the two streams differ.
  CompressedXofKeySet as_v0 = *parsed;
  as_v0.format = TfheFormat::kTfhe14;
  auto y = ExpandCompressedXofKeySet(as_v0);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_NE(y->public_key.key.glwe_ciphertext.data, x->public_key.key.glwe_ciphertext.data);
  EXPECT_GT(KskFailures(y->key_switching_key, big, small), 0u);
}

// The V1 expansion's mask words at the entity boundaries are AES_key(c_2 + t/16) bytes from
// t = 0 (FirstByte) or 1 (SecondByte): the offset is kept after every fork.
TEST_F(XofKeySetExpansion, V1BoundaryMasksKeepTheOffsetFromTheStartByte) {
  for (const V1& v1 : {kFirstByte, kSecondByte}) {
    Layout layout;
    const CompressedXofKeySet built = BuildKeyset(*ck_, kSeed + 2, true, layout, v1);
    auto x = ExpandCompressedXofKeySet(built);
    ASSERT_TRUE(x.ok()) << x.status();
    const crypto::TfheXof::InitialState st = crypto::TfheXof::InitializeFromData(built.seed);
    const u128 c2 = st.counter;
    u128 t = built.first_byte();
    EXPECT_EQ(t, v1.start == CompressedXofKeySet::Start::kFirstByte ? 0u : 1u);
    EXPECT_EQ(x->public_key.key.glwe_ciphertext.data[0], AesU64(st.key, c2, t));
    t += layout.cpk;
    EXPECT_EQ(x->compression_key->packing_key_switching_key.data[0], AesU64(st.key, c2, t));
    t += layout.compression;
    // The decompression BSK is the first fork: its first mask word still has c_2.
    const auto& dbsk = x->decompression_key->blind_rotate_key;
    EXPECT_EQ(dbsk.data[0], AesU64(st.key, c2, t));
    EXPECT_NE(dbsk.data[0], AesU64(st.key, 0, t));
    t += layout.decompression;
    EXPECT_EQ(x->decompression_key->modulus_switch_noise_reduction_key.modulus_switch_zeros.data[0],
              AesU64(st.key, c2, t));
    t += layout.decompression_zeros;
    EXPECT_EQ(x->key_switching_key.data[0], AesU64(st.key, c2, t));
    t += layout.ksk;
    EXPECT_EQ(x->bootstrapping_key.data[0], AesU64(st.key, c2, t));
    t += layout.bsk;
    EXPECT_EQ(x->modulus_switch_noise_reduction_key.modulus_switch_zeros.data[0],
              AesU64(st.key, c2, t));
    t += layout.zeros;
    EXPECT_EQ(x->noise_squashing_key->bsk.data[0], AesU128(st.key, c2, t));
    t += layout.sns_bsk + layout.sns_zeros;
    EXPECT_EQ(x->cpk_key_switching_key_material->key_switching_key.data[0], AesU64(st.key, c2, t));
    t += layout.casting;
    EXPECT_EQ(x->cpk_re_randomization_derived_cpk->key.glwe_ciphertext.data[0],
              AesU64(st.key, c2, t));
    t += layout.rerand;
    EXPECT_EQ(x->noise_squashing_compression_key->packing_key_switching_key.data[0],
              AesU128(st.key, c2, t));
    t += layout.sns_compression;
    EXPECT_EQ(x->oprf_bootstrapping_key->data[0], AesU64(st.key, c2, t));
    // The last OPRF mask word: the stream's last 8 bytes.
    const auto& oprf = *x->oprf_bootstrapping_key;
    const uint64_t glwe = oprf.glwe_size * oprf.polynomial_size;
    EXPECT_EQ(oprf.data[oprf.data.size() - glwe + (oprf.glwe_size - 1) * oprf.polynomial_size - 1],
              AesU64(st.key, c2, t + layout.oprf - 8));
  }
}

// ---- hostile keysets ----

class HostileXofKeySet : public XofKeySetExpansion {
 protected:
  void SetUp() override {
    Layout layout;
    keyset_ = BuildKeyset(*ck_, kSeed, true, layout);
  }
  // InvalidArgument containing `what`, with no allocation over 16 MiB while expanding (the
  // legitimate entities before a refused one are at most 2 MiB each).
  void ExpectRefused(const CompressedXofKeySet& ks, const std::string& what) {
    g_largest_allocation = 0;
    g_probe_armed = true;
    absl::Status s = ExpandCompressedXofKeySet(ks).status();
    g_probe_armed = false;
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(what));
    if (KMS_ALLOCATION_PROBE) {
      EXPECT_LT(g_largest_allocation.load(), size_t{1} << 24);
    }
  }
  CompressedXofKeySet keyset_;
};

TEST_F(HostileXofKeySet, HugeFreeSizeFieldsAreRefusedBeforeAllocating) {
  {
    CompressedXofKeySet ks = keyset_;
    ks.compressed_server_key.key_switching_key.output_lwe_size = uint64_t{1} << 40;
    ExpectRefused(ks,
                  "the expanded keyset would exceed the 2147483648-byte size limit (at the "
                  "key-switching key)");
  }
  {
    CompressedXofKeySet ks = keyset_;
    ks.compressed_server_key.noise_squashing_key->bsk.ggsw_list.glwe_size = ~uint64_t{0};
    ExpectRefused(ks, "(at the noise-squashing key)");
  }
  {
    CompressedXofKeySet ks = keyset_;
    ks.compressed_server_key.noise_squashing_compression_key->packing_key_switching_key
        .output_glwe_size = uint64_t{1} << 50;
    ExpectRefused(ks, "(at the noise-squashing compression key)");
  }
  {
    // Two entities under 2 GiB each, over it together.
    CompressedXofKeySet ks = keyset_;
    auto& ksk = ks.compressed_server_key.key_switching_key;
    ksk.output_lwe_size = (kDefaultSizeLimit * 3 / 4) / 8 / ksk.data.size();
    auto& cast = ks.compressed_server_key.cpk_key_switching_key_material->key_switching_key;
    cast.output_lwe_size = (kDefaultSizeLimit * 3 / 4) / 8 / cast.data.size();
    ExpectRefused(ks, "(at the casting key)");
  }
}

TEST_F(HostileXofKeySet, InconsistentShapesAreRefused) {
  {
    CompressedXofKeySet ks = keyset_;
    ks.compressed_server_key.bootstrapping_key.ggsw_list.data.pop_back();
    ExpectRefused(ks, "bootstrapping key's glwe_size, polynomial size, level count and bodies");
  }
  {
    CompressedXofKeySet ks = keyset_;
    ks.compressed_server_key.key_switching_key.output_lwe_size = 3;  // not the small key's
    ExpectRefused(ks, "the compute KSK and BSK dimensions do not chain");
  }
  {
    CompressedXofKeySet ks = keyset_;
    ks.compressed_server_key.modulus_switch_noise_reduction_key.drift.modulus_switch_zeros
        .lwe_size = 5;
    ExpectRefused(ks, "the drift zeros are not LWEs under the small key");
  }
  {
    // A key-switching key without masks: tfhe-rs's fork of zero bytes panics.
    CompressedXofKeySet ks = keyset_;
    ks.compressed_server_key.cpk_key_switching_key_material->key_switching_key.output_lwe_size = 1;
    ExpectRefused(ks, "key-switching key's output_lwe_size");
  }
  {
    // No drift zeros at all: a fork of zero children.
    CompressedXofKeySet ks = keyset_;
    ks.compressed_server_key.noise_squashing_key->modulus_switch_noise_reduction_key.drift
        .modulus_switch_zeros.data.clear();
    ExpectRefused(ks, "zero children or zero bytes");
  }
}

TEST_F(HostileXofKeySet, V1PartsAreRefusedBeforeAllocating) {
  Layout layout;
  const CompressedXofKeySet v1 = BuildKeyset(*ck_, kSeed, true, layout, kFirstByte);
  {
    CompressedXofKeySet ks = v1;
    ks.compressed_server_key.oprf_bootstrapping_key->ggsw_list.glwe_size = ~uint64_t{0};
    ExpectRefused(ks, "(at the OPRF key)");
  }
  {
    CompressedXofKeySet ks = v1;
    ks.compressed_server_key.decompression_key->modulus_switch_noise_reduction_key.drift
        .modulus_switch_zeros.lwe_size = uint64_t{1} << 45;
    ExpectRefused(ks, "(at the decompression modulus-switch key)");
  }
  {
    CompressedXofKeySet ks = v1;
    ks.compressed_server_key.decompression_key->modulus_switch_noise_reduction_key.drift
        .modulus_switch_zeros.lwe_size = 5;
    ExpectRefused(ks, "the drift zeros are not LWEs under the blind-rotation input key");
  }
  {
    CompressedXofKeySet ks = v1;
    ks.compressed_server_key.oprf_bootstrapping_key->ggsw_list.data.pop_back();
    ExpectRefused(ks, "bootstrapping key's glwe_size, polynomial size, level count and bodies");
  }
  {
    // No SnS drift zeros: a fork of zero children, as in V0.
    CompressedXofKeySet ks = v1;
    ks.compressed_server_key.noise_squashing_key->modulus_switch_noise_reduction_key.drift
        .modulus_switch_zeros.data.clear();
    ExpectRefused(ks, "zero children or zero bytes");
  }
}

}  // namespace
}  // namespace kms::tfhe
