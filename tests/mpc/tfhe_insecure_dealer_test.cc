// The insecure dealer for tfhe-rs keysets (mpc/tfhe_insecure_dealer.h), 4 in-process parties,
// test parameters: every party ends with the same public bytes and its own shares, marked as the
// dealer's; a sum computed under the dealt keyset decrypts with the shares; a seed of the wrong
// size or no seed at all fails each receiving party with a clear error instead of a keyset.
#include "mpc/tfhe_insecure_dealer.h"

#include <gtest/gtest.h>

#include "crypto/random.h"
#include "testing/mpc_harness.h"
#include "testing/tfhe_share_decryption.h"
#include "tfhe/compact_encryption.h"

namespace kms::mpc {
namespace {

using testing::RunOptions;
using testing::RunParties;

const tfhe::KeysetParameters& Params() {
  static const tfhe::KeysetParameters p = tfhe::KmsTestKeysetParameters();
  return p;
}

std::vector<testing::PartyResult<TfheDealtKeyset>> Deal(net::InProcessHub& hub) {
  RunOptions opt;
  opt.n = 4;
  opt.t = 1;
  opt.round_timeout = std::chrono::milliseconds(2000);
  return RunParties<TfheDealtKeyset>(
      hub, opt, [](Session& s) { return InsecureDealerTfheKeyGen(s, Params()); });
}

TEST(TfheInsecureDealer, EveryPartyGetsTheSameKeysetAndSharesThatDecrypt) {
  net::InProcessHub hub(4);
  auto results = Deal(hub);
  std::vector<const TfheKeyShare*> shares;
  for (auto& r : results) {
    ASSERT_TRUE(r.value.ok()) << r.value.status();
    EXPECT_TRUE(r.value->key_share.insecure_dealer);
    EXPECT_EQ(tfhe::SerializeCompactPublicKey(r.value->public_key).value(),
              tfhe::SerializeCompactPublicKey(results[0].value->public_key).value());
    EXPECT_TRUE(r.value->server_key == results[0].value->server_key);
    shares.push_back(&r.value->key_share);
  }
  EXPECT_NE(shares[0]->sns_key, shares[1]->sns_key);  // each party its own shares

  crypto::AesCtrRng rng;
  const uint64_t x = rng.Uniform<uint64_t>() & 0xff, y = rng.Uniform<uint64_t>() & 0xff;
  tfhe::CompactListBuilder builder;
  ASSERT_TRUE(builder.PushUint(x, 8).ok());
  ASSERT_TRUE(builder.PushUint(y, 8).ok());
  auto list = builder.Build(results[0].value->public_key, rng);
  ASSERT_TRUE(list.ok()) << list.status();
  auto keys = tfhe::LoadPublishedServerKey(results[0].value->server_key);
  ASSERT_TRUE(keys.ok()) << keys.status();
  auto ct = testing::SquashedCompressedSum(*keys, *list);
  ASSERT_TRUE(ct.ok()) << ct.status();
  auto sum = testing::DecryptWithShares(shares, 1, *ct);
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint8, (x + y) & 0xff));
}

TEST(TfheInsecureDealer, AShortSeedIsRefused) {
  net::InProcessHub hub(4);
  hub.SetInterceptor(1, [](net::Role, const net::Tag&, const net::Payload& p) {
    return std::optional<net::Payload>(net::MakePayload(std::string(*p).substr(1)));
  });
  auto results = Deal(hub);
  for (int p = 2; p <= 4; ++p) {
    ASSERT_FALSE(results[p - 1].value.ok()) << "party " << p;
    EXPECT_EQ(results[p - 1].value.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(results[p - 1].value.status().message()),
              "insecure tfhe-rs keygen: party 1's seed has 15 bytes, not 16");
  }
}

TEST(TfheInsecureDealer, NoSeedIsUnavailable) {
  net::InProcessHub hub(4);
  hub.SetFault(1, net::FaultSpec::Silent());
  auto results = Deal(hub);
  for (int p = 2; p <= 4; ++p) {
    ASSERT_FALSE(results[p - 1].value.ok()) << "party " << p;
    EXPECT_EQ(results[p - 1].value.status().code(), absl::StatusCode::kUnavailable);
  }
}

}  // namespace
}  // namespace kms::mpc
