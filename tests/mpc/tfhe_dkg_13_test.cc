// The DKG of the whole tfhe-rs keyset (mpc/tfhe_dkg.h) at 13 parties, t = 4, test parameters
// (tfhe_dkg_fixture.h): every party agrees on every public byte, the keys work and the parties'
// shares decrypt; four corrupt parties at once (three liars, one silent) leave the honest ones
// with exactly the all-honest run's key. About 20 s per run on two
// cores, dominated by the robust opens' decoding (13 receivers of ≈ 400 k values each).
#include <gtest/gtest.h>

#include "mpc/tfhe_dkg.h"
#include "mpc/tfhe_dkg_fixture.h"
#include "testing/adversary.h"

namespace kms::mpc {
namespace {

using namespace dkg_testing;  // NOLINT: the fixture's helpers

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

// Three liars and a silent party. The liars lie in every open but the four large ones
// (compression key, decompression Mult and bodies, SnS compression key: rounds 2, 3, 4, 13):
// a wrong share sends every value of its open through Gao decoding, attempt after attempt as
// shares arrive, which at 13 receivers makes a large open cost minutes here (the 4-party test
// lies in every open; the decoder's own tests cover the rest). That still covers the seed, a
// 64-bit and a 128-bit Mult, GGSW, KSK, CPK and drift-zero bodies.
TEST(TfheDkgCorrupt, FourOfThirteenChangeNothing) {
  DkgSetup setup;
  setup.n = 13;
  setup.session_timeout = std::chrono::milliseconds(120000);
  auto small_opens = [](const net::Tag& tag) {
    return tag.round != 2 && tag.round != 3 && tag.round != 4 && tag.round != 13;
  };
  setup.interceptors[2] = testing::WrongShares(small_opens);
  setup.interceptors[7] = testing::WrongShares(small_opens);
  setup.interceptors[11] = testing::WrongShares(small_opens);
  setup.silent = {13};
  const DkgRun run = RunDkg(setup);
  std::printf("[ TfheDkg  ] 13 parties, 4 corrupt: %.2f s wall\n", run.seconds);
  ExpectSameAsHonest(run, {2, 7, 11, 13});
  EXPECT_EQ(run.rounds[0], 14u);
}

}  // namespace
}  // namespace kms::mpc
