// The DKG of the whole tfhe-rs keyset (mpc/tfhe_dkg.h) at 4 parties, t = 1, test parameters
// (KmsTestKeysetParameters; the harness is tfhe_dkg_fixture.h, 13 parties are in
// tfhe_dkg_13_test.cc):
//   * the material counts of the test and default sets, and that a run consumes exactly them;
//   * all parties agree on every public byte; the server key loads, the CPK encrypts, the
//     casting key expands, an addition works, and the sum decrypts on every path
//     (SmallExpanded, SmallCompressed, switch-and-squash BigExpanded and BigCompressed) both
//     with the secrets reconstructed from the shares and through TfhePublicDecrypt /
//     TfheUserDecryptionShares with the parties' own key shares; every ciphertext of every key
//     decrypts under the reconstructed secrets with noise within its TUniform bound;
//   * the CompressedXofKeySet serializes, parses and expands to exactly the published keys;
//   * the output does not depend on the step size (max_shares_per_step) nor on the session
//     mode (a synchronous session gives the asynchronous one's key); progress reports;
//   * a corrupt party (wrong shares in every open and wrong material; or silence) leaves the
//     honest parties with exactly the key of the all-honest run; t + 1 liars make every honest
//     party fail, none outputs a key;
//   * bad parameters and short material are refused before any round;
//   * the local product of public masks and key shares (internal/shared_glwe_product.h).
#include "mpc/tfhe_dkg.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_macros.h"
#include "mpc/internal/shared_glwe_product.h"
#include "mpc/tfhe_dkg_fixture.h"
#include "testing/adversary.h"
#include "tfhe/fourier_conversion.h"

namespace kms::mpc {
namespace {

using namespace dkg_testing;  // NOLINT: the fixture's helpers
using ::testing::HasSubstr;

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
  // No masks and no Fourier words: 2.7 MB against 6.4 MB here (k = 1, so a GLWE is half mask).
  EXPECT_LT(bytes.compressed.size() * 2, bytes.server_key.size());
}

TEST(TfheDkg, OutputDoesNotDependOnTheStepSize) {
  DkgSetup setup;
  setup.options.max_shares_per_step = 3000;  // every big key in many steps
  const DkgRun run = RunDkg(setup);
  ExpectSameAsHonest(run, {});
  EXPECT_GT(run.rounds[0], HonestRun(4).rounds[0] + 50);
  for (const auto& left : run.left) EXPECT_EQ(left, (DkgMaterialCounts{}));
}

TEST(TfheDkg, ASynchronousSessionGivesTheSameKey) {
  DkgSetup setup;
  setup.mode = net::NetworkMode::kSync;
  ExpectSameAsHonest(RunDkg(setup), {});
}

TEST(TfheDkg, ProgressNamesEveryStageInOrder) {
  const DkgRun& run = HonestRun(4);
  const std::vector<std::string> stages = {"key bits",
                                           "seed",
                                           "compact public key",
                                           "compression key",
                                           "decompression key",
                                           "compute key-switching key",
                                           "compute bootstrapping key",
                                           "noise-squashing key",
                                           "noise-squashing modulus-switch key",
                                           "casting key",
                                           "re-randomization key",
                                           "noise-squashing compression key",
                                           "done"};
  ASSERT_EQ(run.progress.size(), stages.size());
  for (size_t i = 0; i < stages.size(); ++i) {
    EXPECT_EQ(run.progress[i], std::make_tuple(stages[i], static_cast<int>(i), 12)) << i;
  }
}

// The material from the real preprocessing (GenerateBits, GenerateTriples, PRSS randoms) on the
// same synchronous session, held in an InMemoryDkgMaterial: a small keyset (compact secret and
// GLWE of 64, no compression or noise squashing), whose secrets decrypt the CPK and the KSKs.
TEST(TfheDkg, RealPreprocessingFeedsTheDkg) {
  tfhe::KeysetParameters p;
  p.keys = tfhe::KmsTestKeyParameters();
  p.keys.compute.polynomial_size = 64;
  p.keys.compact_public_key.encryption_lwe_dimension = 64;
  p.re_randomization = tfhe::ShortintKeySwitchingParameters{17, 1, tfhe::EncryptionKeyChoice::kBig};
  const DkgMaterialCounts needed = Needed(p);
  ASSERT_EQ(needed, (DkgMaterialCounts{129 + 64 * 2 * 4 + 2 * 64 * 2, 64, 1}));
  const int n = 4, t = 1;
  auto setups = testing::DealtPrssSetups(n, t);
  net::InProcessHub hub(n);
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.sid = 31;
  std::vector<DkgMaterialCounts> left(n);
  auto results =
      RunParties<TfheDkgOutput>(hub, opt, [&](Session& s) -> absl::StatusOr<TfheDkgOutput> {
        PrssState<Share> prss(setups[s.my_role() - 1], s.id());
        KMS_ASSIGN_OR_RETURN(std::vector<Share> bits, GenerateBits(s, prss, needed.bits));
        KMS_ASSIGN_OR_RETURN(Triples triples, GenerateTriples(s, prss, needed.triples));
        InMemoryDkgMaterial material(std::move(bits), std::move(triples), prss.NextRandom(1));
        auto out = TfheDistributedKeyGen(s, p, material);
        left[s.my_role() - 1] = material.remaining();
        return out;
      });
  DkgRun run;
  run.results = std::move(results);
  ExpectAgreement(run);
  for (const auto& l : left) EXPECT_EQ(l, (DkgMaterialCounts{}));
  const std::vector<uint64_t> hat = Open(run, t, {1, 2, 3, 4}, &TfheSecretKeyShares::compact);
  const std::vector<uint64_t> big = Open(run, t, {1, 2, 3, 4}, &TfheSecretKeyShares::glwe);
  const std::vector<uint64_t> small = Open(run, t, {1, 2, 3, 4}, &TfheSecretKeyShares::lwe);
  const TfheDkgOutput& o = *run.results[0].value;
  std::vector<uint64_t> dot(64);
  const auto& g = o.public_key.key.glwe_ciphertext.data;
  tfhe::SemiReverseNegacyclicConvolution(dot, std::span<const uint64_t>(g.data(), 64), hat);
  for (size_t i = 0; i < 64; ++i) EXPECT_TRUE(Within<uint64_t>(g[64 + i] - dot[i], 0)) << i;
  EXPECT_EQ(KskFailures(o.server_key.key_switching_key, big, small, 0), 0u);
  EXPECT_EQ(
      KskFailures(o.server_key.cpk_key_switching_key_material->key_switching_key, hat, small, 0),
      0u);
  EXPECT_TRUE(o.key_share.sns_key.empty());
  EXPECT_FALSE(o.server_key.noise_squashing_key.has_value());
}

// ---- corrupt parties ----

TEST(TfheDkgCorrupt, WrongSharesInEveryOpenAndWrongMaterialChangeNothing) {
  // Party 4 adds 1 to every share it sends (the seed, every Mult and every body open) and
  // computes with material that is off by one (its key bits, noise, triples and seed share).
  DkgSetup setup;
  setup.interceptors[4] = testing::WrongShares();
  setup.tampered_material = {4};
  const DkgRun run = RunDkg(setup);
  ExpectSameAsHonest(run, {4});
  // Its own shares are off; nothing it did reached the honest parties' key.
  if (run.results[3].value.ok()) {
    EXPECT_NE(run.results[3].value->secret_shares.lwe,
              HonestRun(4).results[3].value->secret_shares.lwe);
  }
}

TEST(TfheDkgCorrupt, ASilentPartyChangesNothing) {
  DkgSetup setup;
  setup.silent = {3};
  ExpectSameAsHonest(RunDkg(setup), {3});
}

TEST(TfheDkgCorrupt, MoreThanTLiarsMakeEveryHonestPartyFail) {
  DkgSetup setup;
  setup.interceptors[3] = testing::WrongShares();
  setup.interceptors[4] = testing::WrongShares();
  setup.session_timeout = std::chrono::milliseconds(1000);
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
