// Shared by the TFHE DKG tests (tfhe_dkg_test.cc at 4 parties, tfhe_dkg_13_test.cc at 13): runs
// the DKG (mpc/tfhe_dkg.h) at the test parameters on the in-process network, asynchronous
// sessions as the reference runs its online DKG, with material from testing/dealt_dkg_material.h
// (each party derives its own shares of the same dealt items; the real preprocessing of 729 k
// bits would take minutes here), and checks what the parties end with: the same public bytes,
// secrets behind the shares that decrypt every ciphertext of every key within its noise bound,
// and key shares that decrypt through TfhePublicDecrypt and TfheUserDecryptionShares.
#ifndef KMS_TESTS_MPC_TFHE_DKG_FIXTURE_H_
#define KMS_TESTS_MPC_TFHE_DKG_FIXTURE_H_

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "algebra/shamir.h"
#include "mpc/tfhe_dkg.h"
#include "testing/dealt_dkg_material.h"
#include "testing/mpc_harness.h"
#include "testing/prss_fixture.h"
#include "testing/seeded_rng.h"
#include "tfhe/compact_encryption.h"
#include "tfhe/key_generation.h"
#include "tfhe/keyset_fixture.h"
#include "tfhe/xof_key_set_expansion.h"

namespace kms::mpc::dkg_testing {

using testing::PartyResult;
using testing::RunOptions;
using testing::RunParties;
using tfhe::u128;

inline constexpr uint64_t kMaterialSeed = 20261203;

inline const tfhe::KeysetParameters& Params() {
  static const tfhe::KeysetParameters p = tfhe::KmsTestKeysetParameters();
  return p;
}

inline DkgMaterialCounts Needed(const tfhe::KeysetParameters& p = Params()) {
  auto c = TfheDkgMaterialNeeded(p);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : DkgMaterialCounts{};
}

// ---- running the DKG ----

struct DkgSetup {
  int n = 4;
  TfheDkgOptions options;
  std::map<Role, net::Interceptor> interceptors;
  std::set<Role> tampered_material;  // their own shares are off by one
  std::set<Role> silent;
  // An asynchronous session's deadline bounds the whole DKG; honest runs never wait for it, so
  // it only needs to be far beyond the slowest run on a loaded machine (the step-size test's
  // hundreds of rounds took over 20 s under a parallel build).
  std::chrono::milliseconds session_timeout{180000};
  net::NetworkMode mode = net::NetworkMode::kAsync;
};

struct DkgRun {
  std::vector<PartyResult<TfheDkgOutput>> results;
  std::vector<uint64_t> rounds;                             // per party, after the DKG
  std::vector<DkgMaterialCounts> left;                      // material left per party
  std::vector<std::tuple<std::string, int, int>> progress;  // party 1's reports
  double seconds = 0;
};

inline DkgRun RunDkg(const DkgSetup& setup, const tfhe::KeysetParameters& params = Params()) {
  const int n = setup.n, t = (n - 1) / 3;
  const DkgMaterialCounts counts = Needed(params);
  net::InProcessHub hub(n);
  for (const auto& [r, i] : setup.interceptors) hub.SetInterceptor(r, i);
  for (Role r : setup.silent) hub.SetFault(r, net::FaultSpec::Silent());
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.sid = 4242;
  opt.mode = setup.mode;
  opt.session_timeout = setup.session_timeout;
  DkgRun run;
  run.rounds.assign(n, 0);
  run.left.assign(n, {});
  const auto start = std::chrono::steady_clock::now();
  run.results =
      RunParties<TfheDkgOutput>(hub, opt, [&](Session& s) -> absl::StatusOr<TfheDkgOutput> {
        testing::SeededDkgMaterial dealt(kMaterialSeed, t, s.my_role(), counts);
        testing::TamperedDkgMaterial tampered(dealt);
        DkgMaterialSource& source = setup.tampered_material.contains(s.my_role())
                                        ? static_cast<DkgMaterialSource&>(tampered)
                                        : static_cast<DkgMaterialSource&>(dealt);
        tfhe::KeysetProgress progress;
        if (s.my_role() == 1) {
          progress = [&run](std::string_view stage, int done, int total) {
            run.progress.emplace_back(std::string(stage), done, total);
          };
        }
        auto out = TfheDistributedKeyGen(s, params, source, progress, setup.options);
        run.rounds[s.my_role() - 1] = s.net().round();
        run.left[s.my_role() - 1] = source.remaining();
        return out;
      });
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

// The serialized public material of one party.
struct PublicBytes {
  Bytes cpk, server_key, compressed;
  bool operator==(const PublicBytes&) const = default;
};
inline PublicBytes Serialize(const TfheDkgOutput& o) {
  PublicBytes b;
  auto cpk = tfhe::SerializeCompactPublicKey(o.public_key);
  auto sk = tfhe::SerializePublishedServerKey(o.server_key);
  auto cx = tfhe::SerializeCompressedXofKeySet(o.compressed_keyset);
  EXPECT_TRUE(cpk.ok() && sk.ok() && cx.ok()) << cpk.status() << sk.status() << cx.status();
  if (cpk.ok()) b.cpk = *cpk;
  if (sk.ok()) b.server_key = *sk;
  if (cx.ok()) b.compressed = *cx;
  return b;
}

// Every party not in `bad` succeeded, with the same public bytes (returned).
inline PublicBytes ExpectAgreement(const DkgRun& run, const std::set<Role>& bad = {}) {
  std::optional<PublicBytes> first;
  for (size_t p = 0; p < run.results.size(); ++p) {
    if (bad.contains(static_cast<Role>(p + 1))) continue;
    EXPECT_TRUE(run.results[p].value.ok())
        << "party " << p + 1 << ": " << run.results[p].value.status();
    if (!run.results[p].value.ok()) return {};
    PublicBytes b = Serialize(*run.results[p].value);
    if (!first) {
      first = b;
    } else {
      EXPECT_TRUE(b == *first) << "party " << p + 1 << " differs";
    }
  }
  return first.value_or(PublicBytes{});
}

// ---- the secrets behind the shares ----

// Each secret reconstructed from the first t + 1 parties of `use`, checked against the last
// t + 1 (another polynomial through other shares would differ) and to be a bit.
inline std::vector<uint64_t> Open(const DkgRun& run, int t, const std::vector<Role>& use,
                                  std::vector<Share> TfheSecretKeyShares::*field) {
  const size_t size = (run.results[use[0] - 1].value->secret_shares.*field).size();
  std::vector<uint64_t> out(size);
  for (size_t i = 0; i < size; ++i) {
    std::vector<algebra::IndexedShare<Share>> lo, hi;
    for (int j = 0; j <= t; ++j) {
      const Role a = use[j], b = use[use.size() - 1 - j];
      lo.push_back({a, (run.results[a - 1].value->secret_shares.*field)[i]});
      hi.push_back({b, (run.results[b - 1].value->secret_shares.*field)[i]});
    }
    const int n = static_cast<int>(run.results.size());
    auto x = algebra::OpenWithoutErrors<Share>(lo, t, n);
    auto y = algebra::OpenWithoutErrors<Share>(hi, t, n);
    EXPECT_TRUE(x.ok() && y.ok());
    EXPECT_EQ(x.value(), y.value()) << "shares of secret " << i << " are not on one polynomial";
    EXPECT_TRUE(x.value() == Share::Zero() || x.value() == Share::One()) << "secret " << i;
    out[i] = x.value() == Share::One() ? 1 : 0;
  }
  return out;
}

// The ClientKey of the secrets the parties share.
inline tfhe::ClientKey Reconstruct(const DkgRun& run, const std::vector<Role>& use) {
  const tfhe::KeysetParameters& p = Params();
  const int t = (static_cast<int>(run.results.size()) - 1) / 3;
  tfhe::ClientKey ck;
  ck.parameters = p.keys.compute;
  ck.glwe_secret_key.data = Open(run, t, use, &TfheSecretKeyShares::glwe);
  ck.glwe_secret_key.polynomial_size = p.keys.compute.polynomial_size;
  ck.lwe_secret_key.data = Open(run, t, use, &TfheSecretKeyShares::lwe);
  tfhe::ClientKey::CompactPrivateKey compact;
  compact.key.data = Open(run, t, use, &TfheSecretKeyShares::compact);
  compact.parameters = p.keys.compact_public_key;
  compact.ksk_parameters = p.keys.casting;
  ck.dedicated_compact_private_key = std::move(compact);
  tfhe::ClientKey::CompressionPrivateKey compression;
  compression.post_packing_ks_key.data = Open(run, t, use, &TfheSecretKeyShares::compression);
  compression.post_packing_ks_key.polynomial_size = p.compression->packing_ks_polynomial_size;
  compression.params = *p.compression;
  ck.compression_key = std::move(compression);
  auto wide = [](std::vector<uint64_t> v) { return std::vector<u128>(v.begin(), v.end()); };
  tfhe::ClientKey::NoiseSquashingPrivateKey sns;
  sns.post_noise_squashing_secret_key.data =
      wide(Open(run, t, use, &TfheSecretKeyShares::noise_squashing));
  sns.post_noise_squashing_secret_key.polynomial_size = p.noise_squashing->polynomial_size;
  sns.params = *p.noise_squashing;
  ck.noise_squashing_private_key = std::move(sns);
  tfhe::ClientKey::NoiseSquashingCompressionPrivateKey sns_compression;
  sns_compression.post_packing_ks_key.data =
      wide(Open(run, t, use, &TfheSecretKeyShares::noise_squashing_compression));
  sns_compression.post_packing_ks_key.polynomial_size =
      p.noise_squashing_compression->packing_ks_polynomial_size;
  sns_compression.params = *p.noise_squashing_compression;
  ck.noise_squashing_compression_private_key = std::move(sns_compression);
  ck.cpk_re_randomization_ksk_params = p.re_randomization;
  EXPECT_TRUE(tfhe::SerializeClientKey(ck).ok());
  return ck;
}

// ---- every ciphertext of every key, decrypted under the secrets ----

template <typename Scalar>
bool Within(Scalar e, uint32_t bound_log2) {
  const Scalar b = Scalar{1} << bound_log2;
  return static_cast<Scalar>(e + b) <= static_cast<Scalar>(2 * b);
}

inline uint64_t Dot(const uint64_t* a, std::span<const uint64_t> s) {
  uint64_t d = 0;
  for (size_t j = 0; j < s.size(); ++j) d += a[j] * s[j];
  return d;
}

// Entries (i, ℓ) decrypt to s_in[i]·2^(64 − βℓ) + e, |e| ≤ 2^bound.
inline uint64_t KskFailures(const tfhe::LweKeyswitchKey& k, std::span<const uint64_t> s_in,
                            std::span<const uint64_t> s_out, uint32_t bound) {
  EXPECT_EQ(k.input_lwe_dimension(), s_in.size());
  uint64_t failures = 0;
  for (uint64_t i = 0; i < s_in.size(); ++i) {
    for (uint64_t l = 1; l <= k.decomp_level_count; ++l) {
      const uint64_t* e = k.Entry(i, l);
      failures += !Within<uint64_t>(
          e[s_out.size()] - Dot(e, s_out) - (s_in[i] << (64 - k.decomp_base_log * l)), bound);
    }
  }
  return failures;
}

template <typename Scalar>
uint64_t GlweFailures(const Scalar* glwe, const tfhe::GlweSecretKey<Scalar>& key,
                      const std::vector<Scalar>& message, uint32_t bound) {
  const uint64_t n = key.polynomial_size, k = key.glwe_dimension();
  tfhe::GlweCiphertextOf<Scalar> c{std::vector<Scalar>(glwe, glwe + (k + 1) * n), k, n};
  const std::vector<Scalar> phase = tfhe::GlwePhase(c, key);
  uint64_t failures = 0;
  for (uint64_t j = 0; j < n; ++j) {
    failures += !Within<Scalar>(static_cast<Scalar>(phase[j] - message[j]), bound);
  }
  return failures;
}

// Rows r < k of level ℓ: −s_i·2^(w−βℓ)·S_r; row k: s_i·2^(w−βℓ).
template <typename Scalar>
uint64_t BskFailures(const tfhe::LweBootstrapKey<Scalar>& bsk, std::span<const uint64_t> bits,
                     const tfhe::GlweSecretKey<Scalar>& key, uint32_t bound) {
  EXPECT_EQ(bsk.input_lwe_dimension(), bits.size());
  const uint64_t n = key.polynomial_size, k = key.glwe_dimension();
  uint64_t failures = 0;
  for (uint64_t i = 0; i < bits.size(); ++i) {
    for (uint64_t l = 1; l <= bsk.decomp_level_count; ++l) {
      const Scalar scaled =
          static_cast<Scalar>(Scalar{bits[i]} << (sizeof(Scalar) * 8 - bsk.decomp_base_log * l));
      for (uint64_t r = 0; r <= k; ++r) {
        std::vector<Scalar> m(n, 0);
        if (r == k) {
          m[0] = scaled;
        } else {
          for (uint64_t j = 0; j < n; ++j)
            m[j] = static_cast<Scalar>(0 - scaled * key.data[r * n + j]);
        }
        failures += GlweFailures(bsk.Row(i, l, r), key, m, bound);
      }
    }
  }
  return failures;
}

template <typename Scalar>
uint64_t PackingFailures(const tfhe::LwePackingKeyswitchKey<Scalar>& p,
                         std::span<const Scalar> s_in, const tfhe::GlweSecretKey<Scalar>& key,
                         uint32_t bound) {
  EXPECT_EQ(p.input_lwe_dimension(), s_in.size());
  uint64_t failures = 0;
  for (uint64_t i = 0; i < s_in.size(); ++i) {
    for (uint64_t l = 1; l <= p.decomp_level_count; ++l) {
      std::vector<Scalar> m(key.polynomial_size, 0);
      m[0] = static_cast<Scalar>(s_in[i] << (sizeof(Scalar) * 8 - p.decomp_base_log * l));
      failures += GlweFailures(p.Entry(i, l), key, m, bound);
    }
  }
  return failures;
}

inline void ExpectEveryKeyDecrypts(const tfhe::ClientKey& ck, const TfheDkgOutput& o) {
  const tfhe::KeysetParameters& p = Params();
  const tfhe::ClassicPBSParameters& c = p.keys.compute;
  const std::vector<uint64_t>& hat = ck.dedicated_compact_private_key->key.data;
  const std::vector<uint64_t>& big = ck.glwe_secret_key.data;
  const std::vector<uint64_t>& small = ck.lwe_secret_key.data;
  const uint32_t lwe = c.lwe_noise_distribution.bound_log2,
                 glwe = c.glwe_noise_distribution.bound_log2;
  // CPK: b − a ⊛ rev(s) within its noise.
  {
    const auto& g = o.public_key.key.glwe_ciphertext.data;
    std::vector<uint64_t> dot(hat.size());
    tfhe::SemiReverseNegacyclicConvolution(dot, std::span<const uint64_t>(g.data(), hat.size()),
                                           hat);
    uint64_t failures = 0;
    for (size_t i = 0; i < hat.size(); ++i) {
      failures +=
          !Within<uint64_t>(g[hat.size() + i] - dot[i],
                            p.keys.compact_public_key.encryption_noise_distribution.bound_log2);
    }
    EXPECT_EQ(failures, 0u) << "compact public key";
  }
  const tfhe::PublishedServerKey& sk = o.server_key;
  EXPECT_EQ(KskFailures(sk.key_switching_key, big, small, lwe), 0u) << "compute KSK";
  EXPECT_EQ(KskFailures(sk.cpk_key_switching_key_material->key_switching_key, hat, small, lwe), 0u)
      << "casting KSK";
  EXPECT_EQ(
      KskFailures(sk.cpk_re_randomization_key_switching_key_material->dedicated.key_switching_key,
                  hat, big, glwe),
      0u)
      << "re-randomization KSK";
  // The bootstrapping keys in the standard domain, exactly (the Fourier words round): the
  // expansion of the compressed keyset (CompressedKeysetExpandsToThePublishedKeys shows it is
  // what was published).
  auto expanded = tfhe::ExpandCompressedXofKeySet(o.compressed_keyset);
  ASSERT_TRUE(expanded.ok()) << expanded.status();
  EXPECT_EQ(BskFailures<uint64_t>(expanded->bootstrapping_key, small, ck.glwe_secret_key, glwe), 0u)
      << "compute BSK";
  EXPECT_EQ(
      BskFailures<uint64_t>(expanded->decompression_key->blind_rotate_key,
                            ck.compression_key->post_packing_ks_key.data, ck.glwe_secret_key, glwe),
      0u)
      << "decompression BSK";
  {
    EXPECT_EQ(BskFailures<u128>(expanded->noise_squashing_key->bsk, small,
                                ck.noise_squashing_private_key->post_noise_squashing_secret_key,
                                p.noise_squashing->glwe_noise_distribution.bound_log2),
              0u)
        << "noise-squashing BSK";
    const tfhe::LweCiphertextList& z =
        sk.noise_squashing_key->modulus_switch_noise_reduction_key.modulus_switch_zeros;
    ASSERT_EQ(
        z.data.size(),
        p.noise_squashing->modulus_switch_noise_reduction_params.drift.modulus_switch_zeros_count *
            (small.size() + 1));
    for (size_t i = 0; i < z.data.size(); i += z.lwe_size) {
      EXPECT_TRUE(Within<uint64_t>(z.data[i + small.size()] - Dot(&z.data[i], small), lwe))
          << "drift zero " << i / z.lwe_size;
    }
  }
  EXPECT_EQ(PackingFailures<uint64_t>(sk.compression_key->packing_key_switching_key, big,
                                      ck.compression_key->post_packing_ks_key,
                                      p.compression->packing_ks_key_noise_distribution.bound_log2),
            0u)
      << "compression key";
  const auto& sns = ck.noise_squashing_private_key->post_noise_squashing_secret_key;
  EXPECT_EQ(PackingFailures<u128>(
                sk.noise_squashing_compression_key->packing_key_switching_key, sns.data,
                ck.noise_squashing_compression_private_key->post_packing_ks_key,
                p.noise_squashing_compression->packing_ks_key_noise_distribution.bound_log2),
            0u)
      << "noise-squashing compression key";
}

// ---- threshold decryption with the parties' shares ----

inline std::vector<testing::PartyResult<std::vector<lwe::TypedPlaintext>>> PublicDecrypt(
    const DkgRun& run, const std::vector<TfheDecryptionInput>& inputs) {
  const int n = static_cast<int>(run.results.size()), t = (n - 1) / 3;
  auto setups = testing::DealtPrssSetups(n, t);
  net::InProcessHub hub(n);
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.sid = 77;
  opt.mode = net::NetworkMode::kAsync;
  opt.session_timeout = std::chrono::milliseconds(60000);
  return RunParties<std::vector<lwe::TypedPlaintext>>(
      hub, opt, [&](Session& s) -> absl::StatusOr<std::vector<lwe::TypedPlaintext>> {
        return TfhePublicDecrypt(s, run.results[s.my_role() - 1].value->key_share,
                                 setups[s.my_role() - 1], inputs);
      });
}

struct SumCase {
  uint64_t x = 0, y = 0;
  tfhe::FheUint sum;
};

// x + y on 8 bits: encrypted under the DKG's CPK, expanded with its casting key, added.
inline SumCase EncryptAndAdd(const TfheDkgOutput& o, const tfhe::ComputeKeys& keys, uint64_t x,
                             uint64_t y, tfhe::CompactCiphertextList* list_out = nullptr) {
  testing::SeededRng rng(x * 1000 + y);
  tfhe::CompactListBuilder builder;
  EXPECT_TRUE(builder.PushUint(x, 8).ok());
  EXPECT_TRUE(builder.PushUint(y, 8).ok());
  auto list = builder.Build(o.public_key, rng);
  EXPECT_TRUE(list.ok()) << list.status();
  if (list_out) *list_out = *list;
  auto expanded = tfhe::ExpandCompactList(keys.server_key, *keys.casting_key, *list);
  EXPECT_TRUE(expanded.ok()) << expanded.status();
  auto a = expanded->GetFheUint(0, 4);
  auto b = expanded->GetFheUint(1, 4);
  auto sum = tfhe::AddFheUint(keys.server_key, *a, *b);
  EXPECT_TRUE(sum.ok()) << sum.status();
  return SumCase{x, y, *sum};
}

// The sum squashed and compressed (BigCompressed), and as it is (SmallExpanded), decrypted by
// the parties with the key shares the DKG gave them: public decryption and user decryption.
inline void ExpectThresholdDecryption(const DkgRun& run, const tfhe::ComputeKeys& keys,
                                      const SumCase& c) {
  const TfheKeyShare& share = run.results[0].value->key_share;
  EXPECT_FALSE(share.insecure_dealer);
  auto squashed = tfhe::SquashFheUint(keys.server_key, *keys.noise_squashing_key, c.sum);
  ASSERT_TRUE(squashed.ok()) << squashed.status();
  const std::vector<tfhe::DataKind> info = {{tfhe::DataKind::Kind::kUnsigned, 4}};
  auto list = tfhe::CompressSquashedNoiseCiphertexts(*keys.noise_squashing_compression_key,
                                                     squashed->packed_blocks, info);
  ASSERT_TRUE(list.ok()) << list.status();
  auto bytes = tfhe::SerializeCompressedSquashedNoiseCiphertextList(*list);
  ASSERT_TRUE(bytes.ok());
  auto parsed = tfhe::ParseCompressedSquashedNoiseCiphertextList(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto big = TfheInputFromCompressedSquashed(share, lwe::FheType::kEuint8, *parsed, 0);
  ASSERT_TRUE(big.ok()) << big.status();
  auto small = TfheInputFromSmall(share, lwe::FheType::kEuint8, c.sum, keys.server_key,
                                  *keys.noise_squashing_key);
  ASSERT_TRUE(small.ok()) << small.status();
  const auto expected =
      *lwe::TypedPlaintext::FromString(lwe::FheType::kEuint8, std::to_string((c.x + c.y) & 0xff));
  const std::vector<TfheDecryptionInput> inputs = {*big, *small};
  auto results = PublicDecrypt(run, inputs);
  for (size_t p = 0; p < results.size(); ++p) {
    ASSERT_TRUE(results[p].value.ok()) << "party " << p + 1 << ": " << results[p].value.status();
    EXPECT_EQ(*results[p].value, (std::vector<lwe::TypedPlaintext>{expected, expected}));
  }
  // User decryption: every party's masked shares, reconstructed as the client does.
  const int n = static_cast<int>(run.results.size()), t = (n - 1) / 3;
  auto setups = testing::DealtPrssSetups(n, t);
  const std::vector<SessionId> sids = {901};
  std::vector<std::optional<std::vector<Share>>> got(n);
  for (int p = 0; p < n; ++p) {
    auto s = TfheUserDecryptionShares(run.results[p].value->key_share, setups[p], sids,
                                      std::span<const TfheDecryptionInput>(inputs.data(), 1));
    ASSERT_TRUE(s.ok()) << s.status();
    got[p] = (*s)[0];
  }
  auto user = ReconstructTfheUserDecryption(inputs[0], t, got);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(*user, expected);
}

// The all-honest runs, once per party count (the adversarial tests compare against them).
inline const DkgRun& HonestRun(int n) {
  static std::map<int, std::unique_ptr<DkgRun>> runs;
  auto& r = runs[n];
  if (!r) {
    DkgSetup setup;
    setup.n = n;
    r = std::make_unique<DkgRun>(RunDkg(setup));
    std::printf("[ TfheDkg  ] %d parties, test parameters: %.2f s wall, %llu rounds\n", n,
                r->seconds, static_cast<unsigned long long>(r->rounds[0]));
  }
  return *r;
}

// Honest parties of `run` hold exactly what they hold in the honest run: the same public bytes
// and the same shares of every secret.
inline void ExpectSameAsHonest(const DkgRun& run, const std::set<Role>& bad) {
  const int n = static_cast<int>(run.results.size());
  const DkgRun& honest = HonestRun(n);
  const PublicBytes expected = Serialize(*honest.results[0].value);
  for (int p = 0; p < n; ++p) {
    if (bad.contains(p + 1)) continue;
    ASSERT_TRUE(run.results[p].value.ok())
        << "party " << p + 1 << ": " << run.results[p].value.status();
    EXPECT_TRUE(Serialize(*run.results[p].value) == expected) << "party " << p + 1;
    const TfheSecretKeyShares& a = run.results[p].value->secret_shares;
    const TfheSecretKeyShares& b = honest.results[p].value->secret_shares;
    EXPECT_TRUE(a.compact == b.compact && a.lwe == b.lwe && a.glwe == b.glwe &&
                a.compression == b.compression && a.noise_squashing == b.noise_squashing &&
                a.noise_squashing_compression == b.noise_squashing_compression)
        << "party " << p + 1;
  }
}

}  // namespace kms::mpc::dkg_testing

#endif  // KMS_TESTS_MPC_TFHE_DKG_FIXTURE_H_
