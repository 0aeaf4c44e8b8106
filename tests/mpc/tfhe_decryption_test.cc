// Threshold decryption of tfhe-rs ciphertexts (mpc/tfhe_decryption.h) on the in-process network:
// BigExpanded, BigCompressed, SmallExpanded and SmallCompressed inputs under insecurely dealt
// shares of kms-test shaped keys, public and user decryption, corrupt parties up to t (offset
// partial decryptions, garbage shares, silence) and beyond t (a loud failure, never a wrong
// plaintext), malformed inputs and the flooding budget.
#include "mpc/tfhe_decryption.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/random.h"
#include "mpc/robust_open.h"
#include "testing/adversary.h"
#include "testing/mpc_harness.h"
#include "testing/prss_fixture.h"
#include "testing/seeded_rng.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/compression.h"
#include "tfhe/golden_files.h"
#include "tfhe/key_generation.h"
#include "tfhe/noise_squashing.h"

namespace kms::mpc {
namespace {

using lwe::FheType;
using ::testing::HasSubstr;
using testing::RunOptions;
using testing::RunParties;
using tfhe::u128;

constexpr uint32_t kNoiseLog2 = 70;  // fresh blocks at the full B_SnS bound

// A kms-test ClientKey with the noise-squashing and noise-squashing compression secrets, and the
// compression key for BigCompressed lists.
struct BigSetup {
  tfhe::ClientKey ck;
  tfhe::NoiseSquashingCompressionKey compression_key;
};
const BigSetup& Big() {
  static const BigSetup* const s = [] {
    kms::testing::SeededRng rng(4242);
    auto* out = new BigSetup;
    out->ck = *tfhe::GenerateClientKey(tfhe::KmsTestKeyParameters(), rng);
    out->ck.noise_squashing_private_key =
        tfhe::GenerateNoiseSquashingPrivateKey(tfhe::KmsTestNoiseSquashingParameters(), rng);
    out->ck.noise_squashing_compression_private_key =
        *tfhe::GenerateNoiseSquashingCompressionPrivateKey(
            tfhe::KmsTestNoiseSquashingCompressionParameters(), rng);
    out->compression_key = *tfhe::GenerateNoiseSquashingCompressionKey(out->ck, rng);
    return out;
  }();
  return *s;
}
std::span<const u128> SnsKey() { return *tfhe::NoiseSquashingLweKey(Big().ck); }

std::vector<TfheKeyShare> Deal(const tfhe::ClientKey& ck, int n) {
  kms::testing::SeededRng rng(static_cast<uint64_t>(n) * 31);
  auto shares = InsecureDealTfheKeyShares(ck, n, (n - 1) / 3, rng);
  EXPECT_TRUE(shares.ok()) << shares.status();
  return shares.ok() ? *shares : std::vector<TfheKeyShare>{};
}

// A BigExpanded integer of any width (up to 256 bits): pairs of 2-bit radix blocks packed per
// LWE, as tfhe-rs packs them.
tfhe::SquashedNoiseFheUint EncryptBig(std::span<const u128> key, const lwe::TypedPlaintext& v,
                                      algebra::RandomSource& rng) {
  const int bits = lwe::FheTypeBits(v.type);
  tfhe::SquashedNoiseFheUint ct;
  ct.original_block_count = static_cast<uint64_t>(bits / 2);
  for (int b = 0; b < bits; b += 4) {
    const uint64_t nibble = (v.value_le[b / 8] >> (b % 8)) & 15;
    const bool alone = b + 2 == bits;
    ct.packed_blocks.push_back(*tfhe::EncryptSquashedNoiseBlock(
        key, alone ? nibble & 3 : nibble, 4, 4, alone ? 3 : 15, kNoiseLog2, rng));
  }
  return ct;
}

lwe::TypedPlaintext Pt(FheType type, std::string_view text) {
  return *lwe::TypedPlaintext::FromString(type, text);
}

std::vector<lwe::TypedPlaintext> Values() {
  return {
      Pt(FheType::kEbool, "1"), Pt(FheType::kEuint4, "9"), Pt(FheType::kEuint8, "200"),
      Pt(FheType::kEuint64, "0xfedcba9876543210"),
      Pt(FheType::kEuint256, "0xfedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210")};
}

std::vector<TfheDecryptionInput> BigExpandedInputs(const TfheKeyShare& key,
                                                   const std::vector<lwe::TypedPlaintext>& values) {
  kms::testing::SeededRng rng(99);
  std::vector<TfheDecryptionInput> out;
  for (const auto& v : values) {
    absl::StatusOr<TfheDecryptionInput> in;
    if (v.type == FheType::kEbool)
      in = TfheInputFromSquashed(key, *tfhe::EncryptSquashedNoiseFheBool(
                                          SnsKey(), v.value_le[0] != 0, 4, 4, kNoiseLog2, rng));
    else
      in = TfheInputFromSquashed(key, v.type, EncryptBig(SnsKey(), v, rng));
    EXPECT_TRUE(in.ok()) << in.status();
    out.push_back(*in);
  }
  return out;
}

using Body = std::function<absl::StatusOr<std::vector<lwe::TypedPlaintext>>(Session&)>;

// Public decryption on an asynchronous session. Parties in `offset` add 2^124 + role to every
// partial decryption they send (the computation is theirs, the messages well-formed); `garbage`
// parties' shares are rewritten in transit; `silent` ones send nothing.
std::vector<testing::PartyResult<std::vector<lwe::TypedPlaintext>>> RunPublic(
    const std::vector<TfheKeyShare>& keys, const std::vector<TfheDecryptionInput>& inputs,
    std::set<Role> offset = {}, std::set<Role> garbage = {}, std::set<Role> silent = {}) {
  const int n = static_cast<int>(keys.size()), t = (n - 1) / 3;
  auto setups = testing::DealtPrssSetups(n, t);
  net::InProcessHub hub(n);
  for (Role r : silent) hub.SetFault(r, net::FaultSpec::Silent());
  for (Role r : garbage) hub.SetInterceptor(r, testing::WrongShares());
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.sid = 91;
  opt.mode = net::NetworkMode::kAsync;
  opt.session_timeout = std::chrono::milliseconds(3000);
  return RunParties<std::vector<lwe::TypedPlaintext>>(
      hub, opt, [&](Session& s) -> absl::StatusOr<std::vector<lwe::TypedPlaintext>> {
        const auto& key = keys[s.my_role() - 1];
        const auto& setup = setups[s.my_role() - 1];
        if (!offset.contains(s.my_role())) return TfhePublicDecrypt(s, key, setup, inputs);
        PrssState<Share> prss(setup, s.id());
        std::vector<Share> mine = TfheMaskedPartialDecryptions(key, prss, inputs);
        for (auto& v : mine)
          v += Share::FromScalar((algebra::Z128{1} << 124) + static_cast<unsigned>(s.my_role()));
        auto opened = RobustOpen<Share>(s, mine, s.t());
        if (!opened.ok()) return opened.status();
        return std::vector<lwe::TypedPlaintext>{};
      });
}

void ExpectHonestGot(const std::vector<testing::PartyResult<std::vector<lwe::TypedPlaintext>>>& r,
                     const std::vector<lwe::TypedPlaintext>& values, const std::set<Role>& bad) {
  for (size_t p = 0; p < r.size(); ++p) {
    if (bad.contains(static_cast<Role>(p + 1))) continue;
    ASSERT_TRUE(r[p].value.ok()) << "party " << p + 1 << ": " << r[p].value.status();
    EXPECT_EQ(*r[p].value, values) << "party " << p + 1;
  }
}

// Every party's user-decryption shares, reconstructed from the parties in `use` (others count
// as missing); `tamper` parties' shares get +1 on every element.
void ExpectUserDecryption(const std::vector<TfheKeyShare>& keys,
                          const std::vector<TfheDecryptionInput>& inputs,
                          const std::vector<lwe::TypedPlaintext>& values, std::set<Role> use,
                          std::set<Role> tamper = {}) {
  const int n = static_cast<int>(keys.size()), t = (n - 1) / 3;
  auto setups = testing::DealtPrssSetups(n, t);
  std::vector<SessionId> sids;
  for (size_t i = 0; i < inputs.size(); ++i) sids.push_back(5000 + i);
  std::vector<std::vector<std::vector<Share>>> per_party(n);
  for (int p = 0; p < n; ++p) {
    auto s = TfheUserDecryptionShares(keys[p], setups[p], sids, inputs);
    ASSERT_TRUE(s.ok()) << s.status();
    per_party[p] = *s;
    if (tamper.contains(p + 1))
      for (auto& v : per_party[p])
        for (auto& e : v) e += Share::One();
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_EQ(per_party[0][i].size(), (inputs[i].blocks.size() + 3) / 4);
    EXPECT_EQ(inputs[i].packing_factor, inputs[i].type == FheType::kEbool ? 1u : 2u);
    std::vector<std::optional<std::vector<Share>>> got(n);
    for (Role r : use) got[r - 1] = per_party[r - 1][i];
    auto pt = ReconstructTfheUserDecryption(inputs[i], t, got);
    ASSERT_TRUE(pt.ok()) << "ciphertext " << i << ": " << pt.status();
    EXPECT_EQ(*pt, values[i]) << "ciphertext " << i;
  }
}

std::set<Role> All(int n) {
  std::set<Role> s;
  for (int r = 1; r <= n; ++r) s.insert(r);
  return s;
}

TEST(TfheFloodingBudget, HoldsForEveryNUpTo15) {
  for (int n = 1; n <= 15; ++n) EXPECT_TRUE(TfheFloodingBudgetHolds(n, (n - 1) / 3)) << n;
  // C(16, 5) = 4368 > 2047 sets, and a larger t at n = 15 (C(15, 5) = 3003) break it.
  EXPECT_FALSE(TfheFloodingBudgetHolds(16, 5));
  EXPECT_FALSE(TfheFloodingBudgetHolds(15, 5));
  EXPECT_FALSE(TfheFloodingBudgetHolds(4, 4));
}

TEST(TfheDealer, SharesReconstructTheSecretsAndAreMarkedInsecure) {
  auto keys = Deal(Big().ck, 4);
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_TRUE(keys[0].insecure_dealer);
  EXPECT_EQ(keys[0].sns_key.size(), keys[0].sns_lwe_dimension());
  EXPECT_EQ(keys[0].sns_compression_key.size(), keys[0].sns_compression_lwe_dimension());
  const auto secret = SnsKey();
  for (size_t i : {size_t{0}, size_t{7}, secret.size() - 1}) {
    std::vector<algebra::IndexedShare<Share>> s = {{1, keys[0].sns_key[i]},
                                                   {3, keys[2].sns_key[i]}};
    auto v = algebra::OpenWithoutErrors<Share>(s, 1, 4);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v.value(), Share::FromScalar(secret[i])) << i;
  }
  tfhe::ClientKey bare = Big().ck;
  bare.noise_squashing_private_key.reset();
  kms::testing::SeededRng rng(1);
  EXPECT_EQ(InsecureDealTfheKeyShares(bare, 4, 1, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

class TfheBigExpanded : public ::testing::TestWithParam<int> {};

TEST_P(TfheBigExpanded, PublicAndUserDecryption) {
  const int n = GetParam(), t = (n - 1) / 3;
  auto keys = Deal(Big().ck, n);
  auto values = Values();
  auto inputs = BigExpandedInputs(keys[0], values);
  ExpectHonestGot(RunPublic(keys, inputs), values, {});
  // All shares, all but t (the missing count as ⊥), and t tampered.
  ExpectUserDecryption(keys, inputs, values, All(n));
  std::set<Role> some = All(n);
  for (int r = 0; r < t; ++r) some.erase(2 + 3 * r);
  ExpectUserDecryption(keys, inputs, values, some);
  std::set<Role> tamper;
  for (int r = 0; r < t; ++r) tamper.insert(1 + 3 * r);
  ExpectUserDecryption(keys, inputs, values, All(n), tamper);
}

INSTANTIATE_TEST_SUITE_P(Parties, TfheBigExpanded, ::testing::Values(4, 13));

// The production dimension: the default noise-squashing key (k·N = 2·2048), blocks encrypted
// directly under it at B_SnS (squashing at default parameters costs 1.7 s per block).
TEST(TfheDefaultParameters, BigExpandedAt4096Dimensions) {
  kms::testing::SeededRng rng(17);
  tfhe::ClientKey ck = Big().ck;
  ck.noise_squashing_private_key =
      tfhe::GenerateNoiseSquashingPrivateKey(tfhe::KmsDefaultNoiseSquashingParameters(), rng);
  ck.noise_squashing_compression_private_key.reset();
  auto keys = Deal(ck, 4);
  ASSERT_EQ(keys[0].sns_lwe_dimension(), 4096u);
  const auto sk = *tfhe::NoiseSquashingLweKey(ck);
  const auto values = std::vector<lwe::TypedPlaintext>{Pt(FheType::kEuint64, "0xfedcba9876543210"),
                                                       Pt(FheType::kEbool, "0")};
  auto u64 = TfheInputFromSquashed(keys[0], FheType::kEuint64, EncryptBig(sk, values[0], rng));
  ASSERT_TRUE(u64.ok()) << u64.status();
  auto b = TfheInputFromSquashed(
      keys[0], *tfhe::EncryptSquashedNoiseFheBool(sk, false, 4, 4, kNoiseLog2, rng));
  ASSERT_TRUE(b.ok()) << b.status();
  std::vector<TfheDecryptionInput> inputs = {*u64, *b};
  ExpectHonestGot(RunPublic(keys, inputs, {}, {1}), values, {1});
  ExpectUserDecryption(keys, inputs, values, {1, 2, 4});
}

class TfheBigCompressed : public ::testing::TestWithParam<int> {};

TEST_P(TfheBigCompressed, ValuesOfACompressedSquashedList) {
  const int n = GetParam();
  auto keys = Deal(Big().ck, n);
  kms::testing::SeededRng rng(7);
  const auto values =
      std::vector<lwe::TypedPlaintext>{Pt(FheType::kEuint64, "0x0123456789abcdef"),
                                       Pt(FheType::kEbool, "1"), Pt(FheType::kEuint8, "171")};
  auto u64 = *tfhe::EncryptSquashedNoiseFheUint(SnsKey(), 0x0123456789abcdefULL, 32, 4, 4, 0, rng);
  auto b = *tfhe::EncryptSquashedNoiseFheBool(SnsKey(), true, 4, 4, 0, rng);
  auto u8 = *tfhe::EncryptSquashedNoiseFheUint(SnsKey(), 171, 4, 4, 4, 0, rng);
  std::vector<tfhe::SquashedNoiseCiphertext> blocks = u64.packed_blocks;
  blocks.push_back(b.block);
  blocks.insert(blocks.end(), u8.packed_blocks.begin(), u8.packed_blocks.end());
  std::vector<tfhe::DataKind> info = {{tfhe::DataKind::Kind::kUnsigned, 32},
                                      {tfhe::DataKind::Kind::kBoolean},
                                      {tfhe::DataKind::Kind::kUnsigned, 4}};
  auto list = tfhe::CompressSquashedNoiseCiphertexts(Big().compression_key, blocks, info);
  ASSERT_TRUE(list.ok()) << list.status();
  std::vector<TfheDecryptionInput> inputs;
  for (size_t i = 0; i < values.size(); ++i) {
    auto in = TfheInputFromCompressedSquashed(keys[0], values[i].type, *list, i);
    ASSERT_TRUE(in.ok()) << in.status();
    EXPECT_EQ(in->key, TfheKeyKind::kNoiseSquashingCompression);
    EXPECT_EQ(in->blocks[0].lwe_dimension(), keys[0].sns_compression_lwe_dimension());
    inputs.push_back(*in);
  }
  ExpectHonestGot(RunPublic(keys, inputs), values, {});
  std::set<Role> some = All(n);
  some.erase(n);
  ExpectUserDecryption(keys, inputs, values, some);
  // Kind and range errors.
  EXPECT_THAT(
      std::string(
          TfheInputFromCompressedSquashed(keys[0], FheType::kEbool, *list, 0).status().message()),
      HasSubstr("is not a Boolean"));
  EXPECT_THAT(
      std::string(
          TfheInputFromCompressedSquashed(keys[0], FheType::kEuint16, *list, 2).status().message()),
      HasSubstr("4 blocks, fhe type euint16 needs 8"));
  EXPECT_THAT(
      std::string(
          TfheInputFromCompressedSquashed(keys[0], FheType::kEuint8, *list, 3).status().message()),
      HasSubstr("out of range"));
}

INSTANTIATE_TEST_SUITE_P(Parties, TfheBigCompressed, ::testing::Values(4, 13));

// SmallExpanded and SmallCompressed need a compute server key: the golden kms-test one, with our
// own noise-squashing, compression and decompression keys added.
TEST(TfheSmall, SquashedLocallyThenDecrypted) {
  if (!tfhe::testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  auto ck_bytes = tfhe::testing::ReadGolden("kms-test.ClientKey.bin");
  auto sk_bytes = tfhe::testing::ReadGolden("kms-test.CompressedServerKey.bin");
  ASSERT_TRUE(ck_bytes && sk_bytes);
  auto ck = tfhe::ParseClientKey(*ck_bytes);
  ASSERT_TRUE(ck.ok()) << ck.status();
  auto csk = tfhe::ParseCompressedServerKey(*sk_bytes);
  ASSERT_TRUE(csk.ok()) << csk.status();
  auto sk = tfhe::DecompressServerKey(*csk);
  ASSERT_TRUE(sk.ok()) << sk.status();
  kms::testing::SeededRng rng(5);
  const auto sns_params = tfhe::KmsTestNoiseSquashingParameters();
  ck->noise_squashing_private_key = tfhe::GenerateNoiseSquashingPrivateKey(sns_params, rng);
  auto bsk = tfhe::GenerateNoiseSquashingBootstrapKey(*ck, rng);
  ASSERT_TRUE(bsk.ok()) << bsk.status();
  std::optional<tfhe::DriftTechniqueKey> drift;
  if (sns_params.modulus_switch_noise_reduction_params.kind ==
      tfhe::ModulusSwitchType::Kind::kDriftTechnique)
    drift = *tfhe::GenerateDriftTechniqueKey(
        ck->lwe_secret_key.data, ck->parameters.lwe_noise_distribution,
        sns_params.modulus_switch_noise_reduction_params.drift, rng);
  auto nsk = tfhe::MakeNoiseSquashingKey(*bsk, sns_params, std::move(drift));
  ASSERT_TRUE(nsk.ok()) << nsk.status();
  ck->compression_key =
      *tfhe::GenerateCompressionPrivateKey(tfhe::KmsTestCompressionParameters(), rng);
  auto comp_key = tfhe::GenerateCompressionKey(*ck, rng);
  ASSERT_TRUE(comp_key.ok()) << comp_key.status();
  auto dk = tfhe::GenerateDecompressionKey(*ck, rng);
  ASSERT_TRUE(dk.ok()) << dk.status();

  auto u64 = *tfhe::EncryptFheUint(*ck, 0xfedcba9876543210ULL, 32, rng);
  auto b = *tfhe::EncryptFheBool(*ck, true, rng);
  auto u8 = *tfhe::EncryptFheUint(*ck, 0x5a, 4, rng);
  std::vector<tfhe::ShortintCiphertext> blocks = u8.blocks;
  blocks.push_back(b.block);
  std::vector<tfhe::DataKind> info = {{tfhe::DataKind::Kind::kUnsigned, 4},
                                      {tfhe::DataKind::Kind::kBoolean}};
  auto list = tfhe::CompressCiphertexts(*comp_key, blocks, info);
  ASSERT_TRUE(list.ok()) << list.status();

  const auto values = std::vector<lwe::TypedPlaintext>{
      Pt(FheType::kEuint64, "0xfedcba9876543210"), Pt(FheType::kEbool, "1"),
      Pt(FheType::kEuint8, "0x5a"), Pt(FheType::kEbool, "1")};
  for (int n : {4, 13}) {
    SCOPED_TRACE(n);
    auto keys = Deal(*ck, n);
    std::vector<TfheDecryptionInput> inputs;
    auto in0 = TfheInputFromSmall(keys[0], FheType::kEuint64, u64, *sk, *nsk);
    ASSERT_TRUE(in0.ok()) << in0.status();
    auto in1 = TfheInputFromSmall(keys[0], b, *sk, *nsk);
    ASSERT_TRUE(in1.ok()) << in1.status();
    auto in2 = TfheInputFromCompressedSmall(keys[0], FheType::kEuint8, *list, 0, *dk, *sk, *nsk);
    ASSERT_TRUE(in2.ok()) << in2.status();
    auto in3 = TfheInputFromCompressedSmall(keys[0], FheType::kEbool, *list, 1, *dk, *sk, *nsk);
    ASSERT_TRUE(in3.ok()) << in3.status();
    inputs = {*in0, *in1, *in2, *in3};
    EXPECT_EQ(inputs[0].blocks.size(), 16u);  // 32 radix blocks packed in pairs
    ExpectHonestGot(RunPublic(keys, inputs), values, {});
    ExpectUserDecryption(keys, inputs, values, All(n));
  }
  // Validation before any squash.
  auto keys = Deal(*ck, 4);
  EXPECT_THAT(
      std::string(
          TfheInputFromSmall(keys[0], FheType::kEuint32, u64, *sk, *nsk).status().message()),
      HasSubstr("32 blocks, fhe type euint32 needs 16"));
  auto dirty = u8;
  dirty.blocks[1].degree = 7;
  EXPECT_THAT(
      std::string(
          TfheInputFromSmall(keys[0], FheType::kEuint8, dirty, *sk, *nsk).status().message()),
      HasSubstr("FheUint: block 1: degree 7 exceeds 3"));
  auto short_block = u8;
  short_block.blocks[0].ct.data.pop_back();
  EXPECT_THAT(
      std::string(
          TfheInputFromSmall(keys[0], FheType::kEuint8, short_block, *sk, *nsk).status().message()),
      HasSubstr("FheUint: block 0: LWE dimension"));
  EXPECT_THAT(
      std::string(TfheInputFromCompressedSmall(keys[0], FheType::kEuint8, *list, 1, *dk, *sk, *nsk)
                      .status()
                      .message()),
      HasSubstr("is not an Unsigned integer"));
}

TEST(TfheCorruptParties, UpToTLiarsDoNotChangeTheResult) {
  auto values = Values();
  {
    auto keys = Deal(Big().ck, 4);
    auto inputs = BigExpandedInputs(keys[0], values);
    ExpectHonestGot(RunPublic(keys, inputs, /*offset=*/{3}), values, {3});
    ExpectHonestGot(RunPublic(keys, inputs, {}, /*garbage=*/{2}), values, {2});
    ExpectHonestGot(RunPublic(keys, inputs, {}, {}, /*silent=*/{4}), values, {4});
  }
  auto keys = Deal(Big().ck, 13);
  auto inputs = BigExpandedInputs(keys[0], values);
  ExpectHonestGot(RunPublic(keys, inputs, {2, 7}, {5}, {11}), values, {2, 5, 7, 11});
}

TEST(TfheCorruptParties, MoreThanTLiarsFailLoudlyNeverAWrongPlaintext) {
  // The robust open either rejects (ABORTED / UNAVAILABLE at the session deadline) or opens a
  // value the decoder rejects (ABORTED); in no case does an honest party return a plaintext.
  auto values = Values();
  auto keys = Deal(Big().ck, 4);
  auto inputs = BigExpandedInputs(keys[0], values);
  for (const auto& [offset, garbage] :
       std::vector<std::pair<std::set<Role>, std::set<Role>>>{{{3, 4}, {}}, {{3}, {4}}}) {
    auto r = RunPublic(keys, inputs, offset, garbage);
    for (Role p : {1, 2}) {
      ASSERT_FALSE(r[p - 1].value.ok()) << "party " << p << " returned a plaintext";
      const auto code = r[p - 1].value.status().code();
      EXPECT_TRUE(code == absl::StatusCode::kAborted || code == absl::StatusCode::kUnavailable)
          << r[p - 1].value.status();
    }
  }
  // The client side: two tampered shares of four cannot be corrected.
  auto setups = testing::DealtPrssSetups(4, 1);
  std::vector<std::optional<std::vector<Share>>> got(4);
  std::vector<SessionId> sid = {1};
  for (int p = 0; p < 4; ++p) {
    got[p] = (*TfheUserDecryptionShares(
        keys[p], setups[p], sid, std::span<const TfheDecryptionInput>(inputs).subspan(3, 1)))[0];
    if (p >= 2)
      for (auto& e : *got[p]) e += Share::FromScalar(algebra::Z128{1} << (100 + p));
  }
  auto pt = ReconstructTfheUserDecryption(inputs[3], 1, got);
  EXPECT_FALSE(pt.ok());
  // Two of four heard: too few.
  got[2].reset();
  got[3].reset();
  EXPECT_EQ(ReconstructTfheUserDecryption(inputs[3], 1, got).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(TfheDecode, RejectsValuesNoHonestMajorityCanProduce) {
  const std::vector<uint32_t> bits = {4, 2};
  const algebra::Z128 delta = algebra::Z128{1} << 123;
  auto ok =
      DecodeTfheBlocks(FheType::kEuint4, std::vector<Share>{Share::FromScalar(9 * delta + 12345)},
                       {bits.data(), 1}, 4, 4);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, Pt(FheType::kEuint4, "9"));
  // The negative-noise wrap of 0 decodes to 0, a small positive error rounds away.
  auto wrap = DecodeTfheBlocks(FheType::kEuint4,
                               std::vector<Share>{Share::FromScalar(~algebra::Z128{0} - 5)},
                               {bits.data(), 1}, 4, 4);
  ASSERT_TRUE(wrap.ok());
  EXPECT_EQ(*wrap, Pt(FheType::kEuint4, "0"));
  auto aborted = [&](std::vector<Share> v, FheType type, std::span<const uint32_t> b) {
    auto r = DecodeTfheBlocks(type, v, b, 4, 4);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted) << r.status();
  };
  aborted({Share::Exceptional(3)}, FheType::kEuint4, {bits.data(), 1});  // not a scalar
  aborted({Share::FromScalar(algebra::Z128{1} << 127)}, FheType::kEuint4,
          {bits.data(), 1});  // padding
  aborted({Share::FromScalar(9 * delta), Share::FromScalar(5 * delta)}, FheType::kEuint8, bits);
  const std::vector<uint32_t> one = {1};
  aborted({Share::FromScalar(2 * delta)}, FheType::kEbool, one);
}

TEST(TfheValidation, MalformedAndMismatchedCiphertextsNameTheProblem) {
  auto keys = Deal(Big().ck, 4);
  const auto& key = keys[0];
  kms::testing::SeededRng rng(3);
  auto good = EncryptBig(SnsKey(), Pt(FheType::kEuint8, "77"), rng);
  auto message = [](const absl::StatusOr<TfheDecryptionInput>& r) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    return std::string(r.status().message());
  };
  ASSERT_TRUE(TfheInputFromSquashed(key, FheType::kEuint8, good).ok());
  auto bad = good;
  bad.packed_blocks[1].ct.data.pop_back();
  EXPECT_THAT(message(TfheInputFromSquashed(key, FheType::kEuint8, bad)),
              HasSubstr("block 1: LWE dimension 255, the noise-squashing key has 256"));
  bad = good;
  bad.packed_blocks[0].message_modulus = 8;
  EXPECT_THAT(message(TfheInputFromSquashed(key, FheType::kEuint8, bad)),
              HasSubstr("block 0: message/carry modulus 8/4"));
  bad = good;
  bad.packed_blocks[0].ct.modulus.modulus = 12345;
  EXPECT_THAT(message(TfheInputFromSquashed(key, FheType::kEuint8, bad)),
              HasSubstr("not the native 2^128 ciphertext modulus"));
  bad = good;
  bad.packed_blocks.clear();
  EXPECT_THAT(message(TfheInputFromSquashed(key, FheType::kEuint8, bad)), HasSubstr("zero blocks"));
  bad = good;
  bad.packed_blocks.pop_back();
  EXPECT_THAT(message(TfheInputFromSquashed(key, FheType::kEuint8, bad)),
              HasSubstr("1 packed blocks for 4 radix blocks, expected 2"));
  EXPECT_THAT(message(TfheInputFromSquashed(key, FheType::kEuint16, good)),
              HasSubstr("original_block_count 4, fhe type euint16 needs 8"));
  EXPECT_THAT(message(TfheInputFromSquashed(key, FheType::kEbool, good)),
              HasSubstr("ebool is not an unsigned integer"));
  bad = good;
  bad.packed_blocks[0].degree = 16;
  EXPECT_THAT(message(TfheInputFromSquashed(key, FheType::kEuint8, bad)),
              HasSubstr("block 0: degree 16 exceeds 15"));
  auto bool_ct = *tfhe::EncryptSquashedNoiseFheBool(SnsKey(), true, 4, 4, 0, rng);
  bool_ct.block.degree = 3;
  EXPECT_THAT(message(TfheInputFromSquashed(key, bool_ct)), HasSubstr("degree 3 exceeds 1"));

  // A ciphertext under another parameter set: the default noise-squashing key (k·N = 4096).
  tfhe::ClientKey other = Big().ck;
  other.noise_squashing_private_key =
      tfhe::GenerateNoiseSquashingPrivateKey(tfhe::KmsDefaultNoiseSquashingParameters(), rng);
  auto foreign =
      *tfhe::EncryptSquashedNoiseFheUint(*tfhe::NoiseSquashingLweKey(other), 77, 4, 4, 4, 0, rng);
  EXPECT_THAT(message(TfheInputFromSquashed(key, FheType::kEuint8, foreign)),
              HasSubstr("LWE dimension 4096, the noise-squashing key has 256"));

  // No compression secret: BigCompressed is refused up front.
  tfhe::ClientKey no_comp = Big().ck;
  no_comp.noise_squashing_compression_private_key.reset();
  auto plain = Deal(no_comp, 4);
  EXPECT_TRUE(plain[0].sns_compression_key.empty());
  tfhe::CompressedSquashedNoiseCiphertextList empty_list;
  EXPECT_THAT(message(TfheInputFromCompressedSquashed(plain[0], FheType::kEuint8, empty_list, 0)),
              HasSubstr("no noise-squashing compression key"));

  // A hand-built input is checked again by the protocol entry points.
  auto input = *TfheInputFromSquashed(key, FheType::kEuint8, good);
  input.block_bits[0] = 2;
  auto setups = testing::DealtPrssSetups(4, 1);
  std::vector<SessionId> sid = {1};
  auto user = TfheUserDecryptionShares(key, setups[0], sid, {&input, 1});
  EXPECT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(user.status().message()),
              HasSubstr("ciphertext 0: blocks hold 6 bits, fhe type euint8 has 8"));
  std::vector<TfheDecryptionInput> bad_batch = {input};
  input = *TfheInputFromSquashed(key, FheType::kEuint8, good);
  input.key = TfheKeyKind::kNoiseSquashingCompression;
  EXPECT_THAT(std::string(ValidateTfheInput(input, plain[0]).message()),
              HasSubstr("no noise-squashing compression key"));
  input.key = TfheKeyKind::kNoiseSquashing;
  input.carry_modulus = 8;
  EXPECT_THAT(std::string(ValidateTfheInput(input, key).message()),
              HasSubstr("message/carry modulus 4/8"));
  auto r = RunPublic(keys, bad_batch);
  for (const auto& p : r) EXPECT_EQ(p.value.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::mpc
