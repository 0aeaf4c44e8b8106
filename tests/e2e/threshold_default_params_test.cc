// End to end with the production parameter set ("default": n̂ = 4096) on four threshold parties:
// PRSS init, preprocessing and distributed key generation, public and user decryption of every
// type, and the figures the project reports (start-up, one euint64 decryption end to end, memory
// of a party at rest), printed as "[ measure ]" lines.
#include "e2e/threshold_fixture.h"

namespace kms::e2e {
namespace {

struct DefaultParameters {
  static constexpr const char* kFheParameter = "default";
};
using ThresholdDefaultTest = ThresholdClusterTest<DefaultParameters>;

TEST_F(ThresholdDefaultTest, KeyGenerationAndDecryption) {
  kms::v1::Empty empty;
  const std::string run = RandomId();
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::NewMpcEpochRequest req;
    req.set_request_id(run);
    auto ctx = Context();
    return Stub(Port(p))->NewMpcEpoch(ctx.get(), req, &empty);
  }));
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::RequestId id;
    id.set_request_id(run);
    kms::v1::EpochResult r;
    auto ctx = Context();
    return Stub(Port(p))->GetEpochResult(ctx.get(), id, &r);
  }));

  const std::string pre_id = RandomId();
  const auto start = Clock::now();
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::KeyGenPreprocRequest req;
    req.set_request_id(pre_id);
    auto ctx = Context();
    grpc::Status s = Stub(Port(p))->KeyGenPreproc(ctx.get(), req, &empty);
    if (!s.ok()) return s;
    // Poll: GetKeyGenPreprocResult answers UNAVAILABLE while the work runs.
    while (true) {
      kms::v1::RequestId id;
      id.set_request_id(pre_id);
      kms::v1::KeyGenPreprocResult r;
      auto poll = Context(std::chrono::seconds(120));
      s = Stub(Port(p))->GetKeyGenPreprocResult(poll.get(), id, &r);
      if (s.error_code() != grpc::StatusCode::UNAVAILABLE) return s;
    }
  }));
  const auto preprocessed = Clock::now();
  const std::string key_id = RandomId();
  std::vector<kms::v1::KeyGenResult> keys(kParties + 1);
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::KeyGenRequest req;
    req.set_request_id(key_id);
    req.set_preprocessing_id(pre_id);
    auto ctx = Context();
    grpc::Status s = Stub(Port(p))->KeyGen(ctx.get(), req, &empty);
    if (!s.ok()) return s;
    while (true) {
      kms::v1::RequestId id;
      id.set_request_id(key_id);
      auto poll = Context(std::chrono::seconds(120));
      s = Stub(Port(p))->GetKeyGenResult(poll.get(), id, &keys[p]);
      if (s.error_code() != grpc::StatusCode::UNAVAILABLE) return s;
    }
  }));
  std::printf("[ measure ] default parameters, 4 parties: preprocessing %.1f s, DKG %.1f s\n",
              Millis(preprocessed - start) / 1000, Millis(Clock::now() - preprocessed) / 1000);
  for (int p : All()) {
    ASSERT_EQ(keys[p].public_key(), keys[1].public_key()) << "party " << p;
    EXPECT_EQ(keys[p].fhe_parameter(), "default");
  }
  const auto values = ValuesOfEveryType();
  const auto cts = Encrypt(keys[1].public_key(), values);
  PublicDecryptOn(All(), key_id, cts, values);
  UserDecryptOn(All(), key_id, cts, values);

  std::vector<double> pub, user;
  const auto one = Encrypt(keys[1].public_key(), {values[5]});
  for (int i = 0; i < 9; ++i)
    pub.push_back(Millis(PublicDecryptOn(All(), key_id, one, {values[5]})));
  for (int i = 0; i < 9; ++i) {
    Clock::duration took{};
    UserDecryptOn(All(), key_id, one, {values[5]}, &took);
    user.push_back(Millis(took));
  }
  std::printf(
      "[ measure ] default parameters, 4 parties: public decryption euint64 median %.1f ms, "
      "user decryption euint64 (incl. client reconstruction) median %.1f ms\n",
      Median(pub), Median(user));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (int p : All()) {
    std::printf("[ measure ] default parameters: party %d RSS at rest (1 key, 1 PRSS): %ld kB\n", p,
                RssKb(servers_[p - 1]->pid()));
  }
}

}  // namespace
}  // namespace kms::e2e
