#include <gtest/gtest.h>

#include "algebra/robust_reconstruction.h"
#include "crypto/random.h"
#include "lwe/typed_ciphertext.h"
#include "mpc/decryption.h"
#include "mpc/dkg.h"
#include "testing/adversary.h"
#include "testing/mpc_harness.h"
#include "testing/prss_fixture.h"

namespace kms::mpc {
namespace {

using algebra::Z128;
using lwe::FheType;
using testing::RunOptions;
using testing::RunParties;

// Preprocessing + DKG on the in-process network; returns every party's key share. Parties in
// `faults` (crashes, silence) count as bad, like those with an interceptor.
std::vector<KeyShare> RunDkg(
    int n, const lwe::LweParameters& params,
    const std::map<Role, net::Interceptor>& adversaries = {},
    const std::map<Role, net::FaultSpec>& faults = {},
    std::chrono::milliseconds round_timeout = std::chrono::milliseconds(0)) {
  const int t = (n - 1) / 3;
  auto setups = testing::DealtPrssSetups(n, t);
  net::InProcessHub hub(n);
  for (const auto& [r, f] : faults) hub.SetFault(r, f);
  for (const auto& [r, interceptor] : adversaries) hub.SetInterceptor(r, interceptor);
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  // Every party answers every round (the cheaters here deviate in content, not in timing), so a
  // generous timeout costs nothing and keeps the synchronous assumption true on a loaded machine
  // where 13 parties share two cores. Silent parties are covered by the protocol tests.
  opt.round_timeout = round_timeout.count() > 0
                          ? round_timeout
                          : std::chrono::milliseconds(faults.empty() ? 30000 : 3000);
  // The session deadline caps every synchronous round: a 13-party DKG on two loaded cores runs
  // for minutes.
  opt.session_timeout = std::chrono::minutes(20);
  auto results = RunParties<KeyShare>(hub, opt, [&](Session& s) -> absl::StatusOr<KeyShare> {
    PrssState<Share> prss(setups[s.my_role() - 1], s.id());
    auto material =
        // Small batches keep each round's computation short: 13 parties share this machine's
        // cores, and a round waits only so long for the slowest of them.
        Preprocess(s, prss, DkgBitsNeeded(params), DkgRandomsNeeded(params),
                   /*batch=*/n > 4 ? 1000 : kTripleBatch, nullptr);
    if (!material.ok()) return material.status();
    return DistributedKeyGen(s, params, *material);
  });
  std::vector<KeyShare> out;
  std::set<Role> bad;
  for (const auto& [r, f] : faults) bad.insert(r);
  for (const auto& [r, a] : adversaries) bad.insert(r);
  for (int r = 1; r <= n; ++r) {
    if (bad.contains(r)) {
      out.push_back(KeyShare{});
      continue;
    }
    EXPECT_TRUE(results[r - 1].value.ok())
        << "party " << r << ": " << results[r - 1].value.status();
    out.push_back(results[r - 1].value.ok() ? *results[r - 1].value : KeyShare{});
  }
  return out;
}

std::vector<lwe::TypedPlaintext> SomeValuesOfEveryType() {
  std::vector<lwe::TypedPlaintext> out;
  out.push_back(*lwe::TypedPlaintext::FromU64(FheType::kEbool, 1));
  out.push_back(*lwe::TypedPlaintext::FromU64(FheType::kEuint4, 9));
  out.push_back(*lwe::TypedPlaintext::FromU64(FheType::kEuint8, 200));
  out.push_back(*lwe::TypedPlaintext::FromU64(FheType::kEuint16, 54321));
  out.push_back(*lwe::TypedPlaintext::FromU64(FheType::kEuint32, 4000000000u));
  out.push_back(*lwe::TypedPlaintext::FromU64(FheType::kEuint64, 0xfedcba9876543210ull));
  out.push_back(
      *lwe::TypedPlaintext::FromString(FheType::kEuint128, "0x0123456789abcdef0123456789abcdef"));
  out.push_back(*lwe::TypedPlaintext::FromString(FheType::kEuint160,
                                                 "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"));
  out.push_back(*lwe::TypedPlaintext::FromString(
      FheType::kEuint256, "0xfedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"));
  return out;
}

std::vector<lwe::TypedCiphertext> EncryptAll(const lwe::CompactPublicKey& pk,
                                             const std::vector<lwe::TypedPlaintext>& values) {
  crypto::AesCtrRng rng;
  std::vector<lwe::TypedCiphertext> out;
  for (const auto& v : values) {
    auto ct = lwe::EncryptTyped(pk, v, rng);
    EXPECT_TRUE(ct.ok()) << ct.status();
    out.push_back(*ct);
  }
  return out;
}

// Public decryption of `cts` on an asynchronous session; returns each party's result.
std::vector<testing::PartyResult<std::vector<lwe::TypedPlaintext>>> RunPublicDecrypt(
    const std::vector<KeyShare>& keys, const std::vector<lwe::TypedCiphertext>& cts,
    std::map<Role, net::Interceptor> adversaries = {}, std::set<Role> silent = {}) {
  const int n = static_cast<int>(keys.size()), t = (n - 1) / 3;
  auto setups = testing::DealtPrssSetups(n, t);
  net::InProcessHub hub(n);
  for (Role r : silent) hub.SetFault(r, net::FaultSpec::Silent());
  for (const auto& [r, interceptor] : adversaries) hub.SetInterceptor(r, interceptor);
  RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.sid = 77;
  opt.mode = net::NetworkMode::kAsync;
  opt.session_timeout = std::chrono::milliseconds(3000);
  std::vector<KeyShare> usable = keys;
  for (auto& k : usable)
    if (k.params == nullptr) k = keys[0].params ? keys[0] : keys[n - 1];  // stand-ins for cheaters
  return RunParties<std::vector<lwe::TypedPlaintext>>(hub, opt, [&](Session& s) {
    return PublicDecrypt(s, usable[s.my_role() - 1], setups[s.my_role() - 1], cts);
  });
}

void ExpectSamePublicKey(const std::vector<KeyShare>& keys, const std::set<Role>& skip = {}) {
  const KeyShare* first = nullptr;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (skip.contains(static_cast<Role>(i + 1))) continue;
    if (first == nullptr) first = &keys[i];
    EXPECT_EQ(keys[i].public_key_digest, first->public_key_digest) << "party " << i + 1;
    EXPECT_EQ(keys[i].public_key.body, first->public_key.body);
  }
}

TEST(DkgTest, FourPartiesTestParametersDecryptEveryTypePubliclyAndPerUser) {
  auto keys = RunDkg(4, lwe::TestParameters());
  ExpectSamePublicKey(keys);
  auto values = SomeValuesOfEveryType();
  auto cts = EncryptAll(keys[0].public_key, values);
  auto results = RunPublicDecrypt(keys, cts);
  for (int r = 1; r <= 4; ++r) {
    ASSERT_TRUE(results[r - 1].value.ok()) << results[r - 1].value.status();
    EXPECT_EQ(*results[r - 1].value, values) << "party " << r;
  }
  // User decryption: every party's packed masked shares reconstruct to the plaintexts.
  auto setups = testing::DealtPrssSetups(4, 1);
  std::vector<SessionId> sids;
  for (size_t i = 0; i < cts.size(); ++i) sids.push_back(1000 + i);
  std::vector<std::vector<std::vector<Share>>> per_party;
  for (int p = 0; p < 4; ++p) {
    auto shares = UserDecryptionShares(keys[p], setups[p], sids, cts);
    ASSERT_TRUE(shares.ok()) << shares.status();
    per_party.push_back(*shares);
  }
  // Tamper one party's shares: robust reconstruction must still recover.
  for (auto& v : per_party[2])
    for (auto& s : v) s += Share::One();
  for (size_t i = 0; i < cts.size(); ++i) {
    algebra::ShareColumns<Share> cols;
    for (int p = 0; p < 4; ++p) {
      cols.parties.push_back(p + 1);
      cols.values.push_back(per_party[p][i]);
    }
    auto packed = algebra::ReconstructBatchSync<Share>({4, 1, 1}, cols, 0);
    ASSERT_TRUE(packed.ok()) << packed.error().message;
    std::vector<Share> blocks;
    for (const Share& e : packed.value())
      for (int l = 0; l < kUserDecryptionPacking; ++l) blocks.push_back(Share::FromScalar(e[l]));
    blocks.resize(cts[i].list.bodies.size());
    auto pt = DecodeOpenedBlocks(cts[i].type, blocks, lwe::TestParameters());
    ASSERT_TRUE(pt.ok()) << pt.status();
    EXPECT_EQ(*pt, values[i]);
  }
}

TEST(DkgTest, FourPartiesDefaultParameters) {
  auto keys = RunDkg(4, lwe::DefaultParameters());
  ExpectSamePublicKey(keys);
  auto values = SomeValuesOfEveryType();
  auto cts = EncryptAll(keys[1].public_key, values);
  auto results = RunPublicDecrypt(keys, cts);
  for (int r = 1; r <= 4; ++r) {
    ASSERT_TRUE(results[r - 1].value.ok()) << results[r - 1].value.status();
    EXPECT_EQ(*results[r - 1].value, values);
  }
}

TEST(DkgTest, MaliciousPartiesCannotStopKeyGenerationOrDecryption) {
  // 4 parties: one cheats in the triple broadcasts (caught by the check) during DKG, then sends
  // garbage partial decryptions.
  std::map<Role, net::Interceptor> adv;
  adv[3] = testing::WrongShares();
  auto keys = RunDkg(4, lwe::TestParameters(), adv);
  ExpectSamePublicKey(keys, {3});
  auto values = SomeValuesOfEveryType();
  auto cts = EncryptAll(keys[0].public_key, values);
  std::map<Role, net::Interceptor> dec_adv;
  dec_adv[3] = testing::WrongShares();
  auto results = RunPublicDecrypt(keys, cts, dec_adv);
  for (Role r : {1, 2, 4}) {
    ASSERT_TRUE(results[r - 1].value.ok()) << results[r - 1].value.status();
    EXPECT_EQ(*results[r - 1].value, values);
  }
}

TEST(DkgTest, SilentPartyDuringKeyGenerationAndDecryption) {
  // Party 2 sends nothing at all: it is caught by the first broadcast it fails to join, key
  // generation completes among the other three, and so does decryption.
  auto keys = RunDkg(4, lwe::TestParameters(), {}, {{2, net::FaultSpec::Silent()}});
  ExpectSamePublicKey(keys, {2});
  auto values = SomeValuesOfEveryType();
  auto cts = EncryptAll(keys[0].public_key, values);
  auto results = RunPublicDecrypt(keys, cts, {}, /*silent=*/{2});
  for (Role r : {1, 3, 4}) {
    ASSERT_TRUE(results[r - 1].value.ok()) << results[r - 1].value.status();
    EXPECT_EQ(*results[r - 1].value, values);
  }
}

TEST(DkgTest, CrashedPartyCostsAboutTwoRoundTimeoutsNotOnePerRound) {
  // A party that crashes at the start or midway through preprocessing and key generation costs
  // the others about two round timeouts in all (it is not waited for again once it stayed silent
  // that long), not one per round: before, every synchronous round waited it out again.
  const auto timeout = std::chrono::milliseconds(1500 * testing::TimeoutScale());
  auto wall = [&](const std::map<Role, net::FaultSpec>& faults, std::vector<KeyShare>* keys) {
    const auto start = std::chrono::steady_clock::now();
    *keys = RunDkg(4, lwe::TestParameters(), {}, faults, timeout);
    return std::chrono::steady_clock::now() - start;
  };
  std::vector<KeyShare> keys;
  const auto baseline = wall({}, &keys);
  for (const auto& fault : {net::FaultSpec::Silent(), net::FaultSpec::CrashAfterRound(25)}) {
    const auto took = wall({{4, fault}}, &keys);
    EXPECT_LT(took, baseline + 4 * timeout)
        << "crash cost " << std::chrono::duration<double>(took - baseline).count() << " s";
    ExpectSamePublicKey(keys, {4});
    auto values = SomeValuesOfEveryType();
    auto cts = EncryptAll(keys[0].public_key, values);
    auto results = RunPublicDecrypt(keys, cts, {}, {4});
    for (Role r : {1, 2, 3}) {
      ASSERT_TRUE(results[r - 1].value.ok()) << results[r - 1].value.status();
      EXPECT_EQ(*results[r - 1].value, values);
    }
  }
}

TEST(DkgTest, ThirteenPartiesWithFourMalicious) {
  // Four cheaters in key generation: two shift the triple checks' d values onto another codeword
  // (the attack that fools an error-correcting decoder), an equivocating broadcaster, wrong
  // shares in every open. The key must still decrypt right.
  std::map<Role, net::Interceptor> adv;
  const std::set<Role> cheaters = {2, 5, 9, 12};
  adv[2] = testing::TripleCodewordShift(13, 4, cheaters, 2);
  adv[5] = testing::EquivocateBroadcast(0);
  adv[9] = testing::TripleCodewordShift(13, 4, cheaters, 9);
  adv[12] = testing::WrongShares();
  auto keys = RunDkg(13, lwe::TestParameters(), adv);
  ExpectSamePublicKey(keys, {2, 5, 9, 12});
  auto values = SomeValuesOfEveryType();
  auto cts = EncryptAll(keys[0].public_key, values);
  std::map<Role, net::Interceptor> dec_adv;
  for (Role r : {2, 5, 9}) dec_adv[r] = testing::WrongShares();
  auto results = RunPublicDecrypt(keys, cts, dec_adv, /*silent=*/{12});
  for (int r = 1; r <= 13; ++r) {
    if (r == 2 || r == 5 || r == 9 || r == 12) continue;
    ASSERT_TRUE(results[r - 1].value.ok())
        << "party " << r << ": " << results[r - 1].value.status();
    EXPECT_EQ(*results[r - 1].value, values);
  }
}

TEST(DecryptionTest, MoreThanTCorruptedPartialDecryptionsFailLoudly) {
  auto keys = RunDkg(4, lwe::TestParameters());
  auto values = SomeValuesOfEveryType();
  auto cts = EncryptAll(keys[0].public_key, values);
  std::map<Role, net::Interceptor> adv;
  adv[3] = testing::WrongShares();
  adv[4] = testing::WrongShares();
  auto results = RunPublicDecrypt(keys, cts, adv);
  for (Role r : {1, 2}) {
    ASSERT_FALSE(results[r - 1].value.ok()) << "party " << r << " returned a plaintext";
    EXPECT_EQ(results[r - 1].value.status().code(), absl::StatusCode::kAborted)
        << results[r - 1].value.status();
  }
}

TEST(DkgTest, InsecureDealerKeyGenDecrypts) {
  const int n = 4;
  net::InProcessHub hub(n);
  RunOptions opt;
  auto results = RunParties<KeyShare>(
      hub, opt, [](Session& s) { return InsecureDealerKeyGen(s, lwe::TestParameters()); });
  std::vector<KeyShare> keys;
  for (auto& r : results) {
    ASSERT_TRUE(r.value.ok()) << r.value.status();
    EXPECT_TRUE(r.value->insecure_dealer);
    keys.push_back(*r.value);
  }
  ExpectSamePublicKey(keys);
  auto values = SomeValuesOfEveryType();
  auto dec = RunPublicDecrypt(keys, EncryptAll(keys[0].public_key, values));
  ASSERT_TRUE(dec[0].value.ok()) << dec[0].value.status();
  EXPECT_EQ(*dec[0].value, values);
  // Key shares survive the private vault encoding.
  auto bytes = SerializeKeyShare(keys[1]);
  ASSERT_TRUE(bytes.ok());
  auto parsed = ParseKeyShare(bytes->span());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->secret_key, keys[1].secret_key);
  EXPECT_EQ(parsed->public_key_digest, keys[1].public_key_digest);
  auto truncated = ParseKeyShare(bytes->span().subspan(0, bytes->size() / 2));
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace kms::mpc
