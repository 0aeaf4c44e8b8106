// The DKG of the whole tfhe-rs keyset (mpc/tfhe_dkg.h) at the test parameters
// (KmsTestKeysetParameters) on the in-process network, asynchronous sessions as the reference
// runs its online DKG, material from testing/dealt_dkg_material.h (each party derives its own
// shares of the same dealt items; the real preprocessing of 729 k bits would take minutes here):
//   * the material counts of the test and default sets, and that a run consumes exactly them;
//   * 4 and 13 parties agree on every public byte; the server key loads, the CPK encrypts, the
//     casting key expands, an addition works, and the sum decrypts on every path
//     (SmallExpanded, SmallCompressed, switch-and-squash BigExpanded and BigCompressed) both
//     with the secrets reconstructed from the shares and through TfhePublicDecrypt /
//     TfheUserDecryptionShares with the parties' own key shares; every ciphertext of every key
//     decrypts under the reconstructed secrets with noise within its TUniform bound;
//   * the CompressedXofKeySet serializes, parses and expands to exactly the published keys;
//   * the output does not depend on the step size (max_shares_per_step);
//   * t corrupt parties (wrong shares in every open, wrong material, silence) leave the honest
//     parties with exactly the key of the all-honest run; t + 1 liars make every honest party
//     fail, none outputs a key;
//   * bad parameters and short material are refused before any round.
#include "mpc/tfhe_dkg.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "algebra/shamir.h"
#include "crypto/random.h"
#include "mpc/internal/shared_glwe_product.h"
#include "testing/adversary.h"
#include "testing/dealt_dkg_material.h"
#include "testing/mpc_harness.h"
#include "testing/prss_fixture.h"
#include "testing/seeded_rng.h"
#include "tfhe/compact_encryption.h"
#include "tfhe/fourier_conversion.h"
#include "tfhe/key_generation.h"
#include "tfhe/keyset_fixture.h"
#include "tfhe/xof_key_set_expansion.h"

namespace kms::mpc {
namespace {

using ::testing::HasSubstr;
using testing::PartyResult;
using testing::RunOptions;
using testing::RunParties;
using tfhe::u128;

constexpr uint64_t kMaterialSeed = 20261203;

const tfhe::KeysetParameters& Params() {
  static const tfhe::KeysetParameters p = tfhe::KmsTestKeysetParameters();
  return p;
}

DkgMaterialCounts Needed(const tfhe::KeysetParameters& p = Params()) {
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
  std::chrono::milliseconds session_timeout{20000};
};

struct DkgRun {
  std::vector<PartyResult<TfheDkgOutput>> results;
  std::vector<uint64_t> rounds;         // per party, after the DKG
  std::vector<DkgMaterialCounts> left;  // material left per party
  double seconds = 0;
};

DkgRun RunDkg(const DkgSetup& setup, const tfhe::KeysetParameters& params = Params()) {
  const int n = setup.n, t = (n - 1) / 3;
  const DkgMaterialCounts counts = Needed(params);
  net::InProcessHub hub(n);
  for (const auto& [r, i] : setup.interceptors) hub.SetInterceptor(r, i);
  for (Role r : setup.silent) hub.SetFault(r, net::FaultSpec::Silent());
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.sid = 4242;
  opt.mode = net::NetworkMode::kAsync;
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
        auto out = TfheDistributedKeyGen(s, params, source, nullptr, setup.options);
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
PublicBytes Serialize(const TfheDkgOutput& o) {
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
PublicBytes ExpectAgreement(const DkgRun& run, const std::set<Role>& bad = {}) {
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
std::vector<uint64_t> Open(const DkgRun& run, int t, const std::vector<Role>& use,
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
tfhe::ClientKey Reconstruct(const DkgRun& run, const std::vector<Role>& use) {
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

uint64_t Dot(const uint64_t* a, std::span<const uint64_t> s) {
  uint64_t d = 0;
  for (size_t j = 0; j < s.size(); ++j) d += a[j] * s[j];
  return d;
}

// Entries (i, ℓ) decrypt to s_in[i]·2^(64 − βℓ) + e, |e| ≤ 2^bound.
uint64_t KskFailures(const tfhe::LweKeyswitchKey& k, std::span<const uint64_t> s_in,
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

void ExpectEveryKeyDecrypts(const tfhe::ClientKey& ck, const TfheDkgOutput& o) {
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

std::vector<testing::PartyResult<std::vector<lwe::TypedPlaintext>>> PublicDecrypt(
    const DkgRun& run, const std::vector<TfheDecryptionInput>& inputs) {
  const int n = static_cast<int>(run.results.size()), t = (n - 1) / 3;
  auto setups = testing::DealtPrssSetups(n, t);
  net::InProcessHub hub(n);
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.sid = 77;
  opt.mode = net::NetworkMode::kAsync;
  opt.session_timeout = std::chrono::milliseconds(5000);
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
SumCase EncryptAndAdd(const TfheDkgOutput& o, const tfhe::ComputeKeys& keys, uint64_t x, uint64_t y,
                      tfhe::CompactCiphertextList* list_out = nullptr) {
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
void ExpectThresholdDecryption(const DkgRun& run, const tfhe::ComputeKeys& keys, const SumCase& c) {
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
const DkgRun& HonestRun(int n) {
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
void ExpectSameAsHonest(const DkgRun& run, const std::set<Role>& bad) {
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

// ==== tests ====

TEST(TfheDkgMaterial, CountsOfTheTestAndDefaultSets) {
  // Test set: key bits 512 + 1 + 256 + 256 + 256 + 256; noise (B + 2 bits per body
  // coefficient): CPK 512·2, compression 256·256·2, decompression 256·2·256·2, compute KSK
  // 256·2, BSK 2·256·2, SnS BSK 2·2·256·2, SnS drift zeros 8·2, casting 512·2,
  // re-randomization 512·2, SnS compression 256·256·5. Products: 256·256 + 256 + 256.
  EXPECT_EQ(Needed(), (DkgMaterialCounts{729105, 66048, 1}));
  // Default set (B §2.10's table without the OPRF key, SnS compression at 1.4's level 1):
  // key bits 16,278; CPK 38,912; compression 70,778,880; decompression 79,691,776; KSK 385,024;
  // BSK 71,442,432; SnS BSK 541,458,432; casting 385,024; re-randomization 38,912 (2048 bodies
  // at GLWE noise 17); SnS compression 20,971,520. Products 1024·2048 + 918·2048 + 918·4096.
  const DkgMaterialCounts d = Needed(tfhe::KmsDefaultKeysetParameters());
  EXPECT_EQ(d, (DkgMaterialCounts{785207190, 7737344, 1}));
  std::printf(
      "[ TfheDkg  ] material: test %llu bits, %llu triples; default %llu bits, %llu "
      "triples; 1 random each\n",
      static_cast<unsigned long long>(Needed().bits),
      static_cast<unsigned long long>(Needed().triples), static_cast<unsigned long long>(d.bits),
      static_cast<unsigned long long>(d.triples));
}

TEST(TfheDkg, FourPartiesAgreeAndEveryKeyWorks) {
  const DkgRun& run = HonestRun(4);
  const PublicBytes bytes = ExpectAgreement(run);
  ASSERT_FALSE(bytes.server_key.empty());
  for (const auto& left : run.left) EXPECT_EQ(left, (DkgMaterialCounts{}));  // exactly consumed
  EXPECT_EQ(run.rounds[0], 14u);  // seed, 11 parts, 2 Mult opens... (see tfhe_dkg.h)
  const TfheDkgOutput& o = *run.results[0].value;
  EXPECT_TRUE(o.public_key.tag.empty());
  EXPECT_TRUE(o.server_key.tag.empty());
  EXPECT_EQ(o.server_key.format, tfhe::TfheFormat::kTfhe14);
  EXPECT_EQ(o.compressed_keyset.format, tfhe::TfheFormat::kTfhe14);
  EXPECT_EQ(o.public_key.parameters, Params().keys.compact_public_key);

  // The secrets behind the shares decrypt every ciphertext of every key.
  const tfhe::ClientKey ck = Reconstruct(run, {1, 2, 3, 4});
  ExpectEveryKeyDecrypts(ck, o);

  // The published key loads; the CPK encryption of two u8 expands, adds, and the sum decrypts on
  // every path with the reconstructed secrets (tests/tfhe/keyset_fixture.h) ...
  auto parsed = tfhe::ParsePublishedServerKey(bytes.server_key);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto keys = tfhe::LoadPublishedServerKey(*parsed);
  ASSERT_TRUE(keys.ok()) << keys.status();
  tfhe::CompactCiphertextList list;
  const SumCase c = EncryptAndAdd(o, *keys, 173, 200, &list);
  tfhe::testing::CheckSumPath(ck, *keys, list, 8, (173 + 200) & 0xff);
  // ... and with the parties' own key shares.
  ExpectThresholdDecryption(run, *keys, c);
  for (const auto& r : run.results) {
    EXPECT_EQ(r.value->key_share.sns_key, r.value->secret_shares.noise_squashing);
    EXPECT_EQ(r.value->key_share.sns_compression_key,
              r.value->secret_shares.noise_squashing_compression);
  }
}

TEST(TfheDkg, ThirteenPartiesAgreeAndDecrypt) {
  const DkgRun& run = HonestRun(13);
  const PublicBytes bytes = ExpectAgreement(run);
  ASSERT_FALSE(bytes.server_key.empty());
  const TfheDkgOutput& o = *run.results[0].value;
  auto keys = tfhe::LoadPublishedServerKey(o.server_key);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ExpectThresholdDecryption(run, *keys, EncryptAndAdd(o, *keys, 99, 250));
  // The secrets from parties 5..13 decrypt the keys too.
  ExpectEveryKeyDecrypts(Reconstruct(run, {5, 6, 7, 8, 9, 10, 11, 12, 13}), o);
}

// The published server key in the form the DKG publishes, from an expanded keyset.
tfhe::PublishedServerKey Publish(const tfhe::ExpandedXofKeySet& e) {
  const tfhe::KeysetParameters& p = Params();
  tfhe::PublishedServerKey sk;
  sk.key_switching_key = e.key_switching_key;
  sk.bootstrapping_key = *tfhe::ToFourierBootstrapKey(e.bootstrapping_key);
  sk.modulus_switch_noise_reduction_key = e.modulus_switch_noise_reduction_key;
  sk.pbs_order = e.pbs_order;
  sk.message_modulus = e.message_modulus;
  sk.carry_modulus = e.carry_modulus;
  sk.max_degree = e.max_degree;
  sk.max_noise_level = e.max_noise_level;
  sk.ciphertext_modulus = p.keys.compute.ciphertext_modulus;
  sk.cpk_key_switching_key_material = e.cpk_key_switching_key_material;
  sk.compression_key = e.compression_key;
  tfhe::DecompressionKey d;
  d.blind_rotate_key = *tfhe::ToFourierBootstrapKey(e.decompression_key->blind_rotate_key);
  d.lwe_per_glwe = e.decompression_key->lwe_per_glwe;
  d.modulus_switch_noise_reduction_key = e.decompression_key->modulus_switch_noise_reduction_key;
  sk.decompression_key = d;
  tfhe::PublishedNoiseSquashingKey ns;
  ns.bsk = *tfhe::ToFourier128BootstrapKey(e.noise_squashing_key->bsk);
  ns.modulus_switch_noise_reduction_key = e.noise_squashing_key->modulus_switch_noise_reduction_key;
  ns.message_modulus = e.noise_squashing_key->message_modulus;
  ns.carry_modulus = e.noise_squashing_key->carry_modulus;
  ns.output_ciphertext_modulus = e.noise_squashing_key->output_ciphertext_modulus;
  sk.noise_squashing_key = ns;
  sk.noise_squashing_compression_key = e.noise_squashing_compression_key;
  sk.cpk_re_randomization_key_switching_key_material =
      e.cpk_re_randomization_key_switching_key_material;
  return sk;
}

TEST(TfheDkg, CompressedKeysetExpandsToThePublishedKeys) {
  const DkgRun& run = HonestRun(4);
  const PublicBytes bytes = ExpectAgreement(run);
  auto parsed = tfhe::ParseCompressedXofKeySet(bytes.compressed);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, run.results[0].value->compressed_keyset);
  // 24 bytes of seed data: "TFHE_GEN" and the opened seed.
  ASSERT_EQ(parsed->seed.size(), 24u);
  EXPECT_EQ(std::string(parsed->seed.begin(), parsed->seed.begin() + 8), "TFHE_GEN");
  auto expanded = tfhe::ExpandCompressedXofKeySet(*parsed);
  ASSERT_TRUE(expanded.ok()) << expanded.status();
  EXPECT_EQ(expanded->public_key, run.results[0].value->public_key);
  EXPECT_EQ(*tfhe::SerializeCompactPublicKey(expanded->public_key), bytes.cpk);
  EXPECT_EQ(*tfhe::SerializePublishedServerKey(Publish(*expanded)), bytes.server_key);
  // Far smaller than the uncompressed form, as it should be.
  EXPECT_LT(bytes.compressed.size() * 3, bytes.server_key.size());
}

TEST(TfheDkg, OutputDoesNotDependOnTheStepSize) {
  DkgSetup setup;
  setup.options.max_shares_per_step = 3000;  // every big key in many steps
  const DkgRun run = RunDkg(setup);
  ExpectSameAsHonest(run, {});
  EXPECT_GT(run.rounds[0], HonestRun(4).rounds[0] + 50);
  for (const auto& left : run.left) EXPECT_EQ(left, (DkgMaterialCounts{}));
}

TEST(TfheDkg, ProgressNamesEveryStageInOrder) {
  std::vector<std::string> stages;
  std::vector<std::pair<int, int>> counts;
  const int n = 4, t = 1;
  net::InProcessHub hub(n);
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.mode = net::NetworkMode::kAsync;
  const DkgMaterialCounts needed = Needed();
  auto results = RunParties<bool>(hub, opt, [&](Session& s) -> absl::StatusOr<bool> {
    testing::SeededDkgMaterial m(1, t, s.my_role(), needed);
    tfhe::KeysetProgress progress;
    if (s.my_role() == 1) {
      progress = [&](std::string_view stage, int done, int total) {
        stages.emplace_back(stage);
        counts.emplace_back(done, total);
      };
    }
    auto out = TfheDistributedKeyGen(s, Params(), m, progress);
    if (!out.ok()) return out.status();
    return true;
  });
  for (const auto& r : results) ASSERT_TRUE(r.value.ok()) << r.value.status();
  EXPECT_EQ(stages,
            (std::vector<std::string>{
                "key bits", "seed", "compact public key", "compression key", "decompression key",
                "compute key-switching key", "compute bootstrapping key", "noise-squashing key",
                "noise-squashing modulus-switch key", "casting key", "re-randomization key",
                "noise-squashing compression key", "done"}));
  for (size_t i = 0; i < counts.size(); ++i) {
    EXPECT_EQ(counts[i], std::make_pair(static_cast<int>(i), 12));
  }
}

// ---- corrupt parties ----

TEST(TfheDkgCorrupt, WrongSharesInEveryOpenChangeNothing) {
  DkgSetup setup;
  setup.interceptors[4] = testing::WrongShares();
  ExpectSameAsHonest(RunDkg(setup), {4});
}

TEST(TfheDkgCorrupt, WrongMaterialChangesNothingForTheHonest) {
  DkgSetup setup;
  setup.tampered_material = {2};
  const DkgRun run = RunDkg(setup);
  ExpectSameAsHonest(run, {2});
  // The corrupt party's own shares are off; what it opened is still right (it opens with the
  // others), so it ends with the same public key.
  ASSERT_TRUE(run.results[1].value.ok());
  EXPECT_NE(run.results[1].value->secret_shares.lwe,
            HonestRun(4).results[1].value->secret_shares.lwe);
}

TEST(TfheDkgCorrupt, ASilentPartyChangesNothing) {
  DkgSetup setup;
  setup.silent = {3};
  ExpectSameAsHonest(RunDkg(setup), {3});
}

TEST(TfheDkgCorrupt, FourOfThirteenChangeNothing) {
  DkgSetup setup;
  setup.n = 13;
  setup.interceptors[2] = testing::WrongShares();
  setup.interceptors[7] = testing::WrongShares();
  setup.tampered_material = {11};
  setup.silent = {13};
  const DkgRun run = RunDkg(setup);
  std::printf("[ TfheDkg  ] 13 parties, 4 corrupt: %.2f s wall\n", run.seconds);
  ExpectSameAsHonest(run, {2, 7, 11, 13});
}

TEST(TfheDkgCorrupt, MoreThanTLiarsMakeEveryHonestPartyFail) {
  DkgSetup setup;
  setup.interceptors[3] = testing::WrongShares();
  setup.interceptors[4] = testing::WrongShares();
  setup.session_timeout = std::chrono::milliseconds(3000);
  const DkgRun run = RunDkg(setup);
  for (int p = 0; p < 2; ++p) {
    ASSERT_FALSE(run.results[p].value.ok()) << "party " << p + 1 << " output a key";
    const absl::StatusCode code = run.results[p].value.status().code();
    EXPECT_TRUE(code == absl::StatusCode::kAborted || code == absl::StatusCode::kUnavailable)
        << run.results[p].value.status();
    EXPECT_THAT(run.results[p].value.status().message(), HasSubstr("TfheDistributedKeyGen, seed"));
  }
}

// ---- refusals ----

TEST(TfheDkgErrors, ShortMaterialIsRefusedBeforeAnyRound) {
  const int n = 4, t = 1;
  net::InProcessHub hub(n);
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.mode = net::NetworkMode::kAsync;
  DkgMaterialCounts short_of_one = Needed();
  short_of_one.triples -= 1;
  std::vector<uint64_t> rounds(n);
  auto results = RunParties<bool>(hub, opt, [&](Session& s) -> absl::StatusOr<bool> {
    testing::SeededDkgMaterial m(1, t, s.my_role(), short_of_one);
    auto out = TfheDistributedKeyGen(s, Params(), m);
    rounds[s.my_role() - 1] = s.net().round();
    if (!out.ok()) return out.status();
    return true;
  });
  for (int p = 0; p < n; ++p) {
    EXPECT_EQ(results[p].value.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(results[p].value.status().message(), HasSubstr("66047 triples"));
    EXPECT_EQ(rounds[p], 0u);
  }
}

TEST(TfheDkgErrors, ParametersTheDkgCannotRunAreRefused) {
  auto expect = [](tfhe::KeysetParameters p, std::string_view what) {
    auto c = TfheDkgMaterialNeeded(p);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << what;
    EXPECT_THAT(c.status().message(), HasSubstr(what));
  };
  tfhe::KeysetParameters p = Params();
  p.keys.compute.glwe_noise_distribution =
      tfhe::DynamicDistribution{tfhe::DynamicDistribution::Kind::kGaussian, 1.0, 0.0, 0};
  expect(p, "only TUniform noise");
  p = Params();
  p.noise_squashing->polynomial_size = 384;
  expect(p, "polynomial size 384");
  p = Params();
  p.compression->br_level = 0;
  expect(p, "decompression key: decomposition");
  p = Params();
  p.noise_squashing_compression->packing_ks_key_noise_distribution.bound_log2 = 127;
  expect(p, "does not fit 128 bits");
  p = Params();
  p.noise_squashing.reset();
  expect(p, "noise-squashing compression needs noise squashing");
  p = Params();
  p.keys.compute.ciphertext_modulus.modulus = 12345;
  expect(p, "native");
}

// ---- the local product ----

template <typename Scalar>
void CheckSharedProduct(size_t k, size_t n, uint64_t seed) {
  using R = internal::ShareOf<Scalar>;
  testing::SeededRng rng(seed);
  std::vector<R> key(k * n);
  for (auto& x : key) x = R::Random(rng);
  std::vector<Scalar> masks(k * n);
  rng.Fill(
      std::span<uint8_t>(reinterpret_cast<uint8_t*>(masks.data()), masks.size() * sizeof(Scalar)));
  internal::SharedGlweProduct<Scalar> product(key, n);
  std::vector<R> got(n);
  product.MaskProduct(masks, got);
  // Schoolbook, negacyclic, per share coefficient.
  std::vector<R> want(n, R::Zero());
  for (size_t c = 0; c < k; ++c) {
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) {
        const R term = key[c * n + j] * masks[c * n + i];
        if (i + j < n) {
          want[i + j] += term;
        } else {
          want[i + j - n] -= term;
        }
      }
    }
  }
  EXPECT_EQ(got, want) << "k " << k << ", N " << n << ", " << sizeof(Scalar) * 8 << " bits";
}

TEST(SharedGlweProduct, EqualsTheSchoolbookProductOverTheShares) {
  CheckSharedProduct<uint64_t>(1, 4, 1);
  CheckSharedProduct<uint64_t>(3, 64, 2);
  CheckSharedProduct<u128>(1, 16, 3);
  CheckSharedProduct<u128>(2, 256, 4);
  CheckSharedProduct<u128>(6, 1024, 5);  // the default SnS compression key's k·N = 6144
}

TEST(SharedGlweProduct, ReversedKeyGivesTheCompactPublicKeyConvolution) {
  testing::SeededRng rng(6);
  const size_t n = 64;
  std::vector<uint64_t> a(n), s(n), want(n);
  for (auto& x : a) x = rng.Uniform<uint64_t>();
  for (auto& x : s) x = rng.Uniform<uint64_t>();
  tfhe::SemiReverseNegacyclicConvolution(want, a, s);
  std::vector<algebra::Gr64> reversed(n);
  for (size_t m = 0; m < n; ++m) reversed[m] = algebra::Gr64::FromScalar(s[n - 1 - m]);
  internal::SharedGlweProduct<uint64_t> product(reversed, n);
  std::vector<algebra::Gr64> got(n);
  product.MaskProduct(a, got);
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(got[i], algebra::Gr64::FromScalar(want[i])) << i;
}

}  // namespace
}  // namespace kms::mpc
