// The protocols over the real peer transport: four GrpcNetworks on loopback with mutual TLS,
// one thread per party. PRSS init and robust open (issue: MPC runtime), then preprocessing, DKG
// and public decryption with the PRSS just created (issue: threshold decryption and DKG).
#include <gtest/gtest.h>

#include "algebra/shamir.h"
#include "crypto/random.h"
#include "lwe/typed_ciphertext.h"
#include "mpc/decryption.h"
#include "mpc/dkg.h"
#include "mpc/prss.h"
#include "mpc/robust_open.h"
#include "testing/grpc_test_cluster.h"
#include "testing/mpc_harness.h"

namespace kms::mpc {
namespace {

using algebra::Gr128;
using net::testing::GrpcTestCluster;
using testing::RunOptions;

class GrpcProtocolsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.StartAll().ok()); }

  template <typename T>
  std::vector<testing::PartyResult<T>> Run(const RunOptions& opt,
                                           const std::function<absl::StatusOr<T>(Session&)>& body) {
    return testing::RunPartiesOn<T>([&](Role r) -> net::Network& { return cluster_.net(r); }, opt,
                                    body);
  }

  static RunOptions Options(SessionId sid, net::NetworkMode mode) {
    RunOptions opt;
    opt.sid = sid;
    opt.mode = mode;
    opt.round_timeout = std::chrono::milliseconds(10000);
    opt.session_timeout = std::chrono::milliseconds(60000);
    return opt;
  }

  GrpcTestCluster cluster_{4};
};

TEST_F(GrpcProtocolsTest, PrssInitRobustOpenDkgAndDecryption) {
  // ---- PRSS init ----
  auto setups =
      Run<PrssSetup>(Options(101, net::NetworkMode::kSync), [](Session& s) { return PrssInit(s); });
  std::vector<PrssSetup> prss;
  for (auto& r : setups) {
    ASSERT_TRUE(r.value.ok()) << r.value.status();
    EXPECT_TRUE(r.corrupt.empty());
    prss.push_back(*r.value);
  }

  // ---- robust open of PRSS.Next outputs: every party opens the same random values ----
  auto opened = Run<std::vector<Gr128>>(Options(102, net::NetworkMode::kSync), [&](Session& s) {
    PrssState<Share> state(prss[s.my_role() - 1], s.id());
    std::vector<Gr128> mine = state.NextRandom(100);
    return RobustOpen<Gr128>(s, mine, s.t());
  });
  for (auto& r : opened) {
    ASSERT_TRUE(r.value.ok()) << r.value.status();
    EXPECT_EQ(*r.value, *opened[0].value);
  }

  // ---- preprocessing and DKG (test parameters) ----
  const lwe::LweParameters& params = lwe::TestParameters();
  auto keys = Run<KeyShare>(
      Options(103, net::NetworkMode::kSync), [&](Session& s) -> absl::StatusOr<KeyShare> {
        PrssState<Share> state(prss[s.my_role() - 1], s.id());
        auto material =
            Preprocess(s, state, DkgBitsNeeded(params), DkgRandomsNeeded(params), 2000, nullptr);
        if (!material.ok()) return material.status();
        return DistributedKeyGen(s, params, *material);
      });
  std::vector<KeyShare> shares;
  for (auto& r : keys) {
    ASSERT_TRUE(r.value.ok()) << r.value.status();
    EXPECT_EQ(r.value->public_key_digest, keys[0].value->public_key_digest);
    shares.push_back(*r.value);
  }

  // ---- public decryption, asynchronous ----
  crypto::AesCtrRng rng;
  std::vector<lwe::TypedPlaintext> values = {
      *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint64, 0x0123456789abcdefull),
      *lwe::TypedPlaintext::FromU64(lwe::FheType::kEbool, 1),
      *lwe::TypedPlaintext::FromString(
          lwe::FheType::kEuint256,
          "115792089237316195423570985008687907853269984665640564039457584007913129639935")};
  std::vector<lwe::TypedCiphertext> cts;
  for (const auto& v : values) cts.push_back(*lwe::EncryptTyped(shares[0].public_key, v, rng));
  auto decrypted = Run<std::vector<lwe::TypedPlaintext>>(
      Options(104, net::NetworkMode::kAsync), [&](Session& s) {
        return PublicDecrypt(s, shares[s.my_role() - 1], prss[s.my_role() - 1], cts);
      });
  for (auto& r : decrypted) {
    ASSERT_TRUE(r.value.ok()) << r.value.status();
    EXPECT_EQ(*r.value, values);
  }
}

TEST_F(GrpcProtocolsTest, DecryptionSurvivesOnePartyDown) {
  auto setups =
      Run<PrssSetup>(Options(201, net::NetworkMode::kSync), [](Session& s) { return PrssInit(s); });
  std::vector<PrssSetup> prss;
  for (auto& r : setups) prss.push_back(*r.value);
  auto keys = Run<KeyShare>(Options(202, net::NetworkMode::kSync), [](Session& s) {
    return InsecureDealerKeyGen(s, lwe::TestParameters());
  });
  std::vector<KeyShare> shares;
  for (auto& r : keys) shares.push_back(*r.value);
  crypto::AesCtrRng rng;
  auto value = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint32, 123456789);
  std::vector<lwe::TypedCiphertext> cts = {*lwe::EncryptTyped(shares[2].public_key, value, rng)};
  cluster_.Stop(4);  // party 4's process is gone: its peers' sends fail, it answers nothing
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<std::vector<lwe::TypedPlaintext>>> out(3, absl::UnknownError(""));
  for (Role r = 1; r <= 3; ++r) {
    threads.emplace_back([&, r] {
      net::RoundChannel channel(cluster_.net(r), 203, {1, 2, 3, 4}, net::NetworkMode::kAsync,
                                std::chrono::seconds(10), std::chrono::seconds(30));
      Session s(channel, 1);
      out[r - 1] = PublicDecrypt(s, shares[r - 1], prss[r - 1], cts);
    });
  }
  for (auto& t : threads) t.join();
  for (auto& r : out) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)[0], value);
  }
}

}  // namespace
}  // namespace kms::mpc
