// End to end: ids that started MPC sessions stay used across restarts. Four kms-server processes
// (n = 4, t = 1, test parameters) run a PRSS init, a preprocessing and a key generation; then
// every party restarts, so the in-memory request tables are empty, and a request that reuses
// one of those ids is ALREADY_EXISTS on every party, touching nothing: the ids are in
// PRIV-p<i>/SessionLedger (storage/session_ledger.h). A reused preprocessing id would otherwise
// draw PRSS outputs a second time (with another batch layout, a corrupt party learns key bits)
// and a reused PRSS run id would repeat its session.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "e2e/threshold_fixture.h"

namespace kms::e2e {
namespace {

using ::testing::HasSubstr;

struct TestParameters {
  static constexpr const char* kFheParameter = "test";
};
using SessionReuseTest = ThresholdClusterTest<TestParameters>;

grpc::Status NewEpoch(int port, const std::string& run_id, bool force) {
  kms::v1::NewMpcEpochRequest req;
  if (!run_id.empty()) req.set_request_id(run_id);
  req.set_force(force);
  kms::v1::Empty empty;
  auto ctx = Context();
  return Stub(port)->NewMpcEpoch(ctx.get(), req, &empty);
}

grpc::Status EpochResult(int port, const std::string& id, kms::v1::EpochResult* out) {
  kms::v1::RequestId req;
  req.set_request_id(id);
  auto ctx = Context(std::chrono::seconds(120));
  return Stub(port)->GetEpochResult(ctx.get(), req, out);
}

grpc::Status Preproc(int port, const std::string& id) {
  kms::v1::KeyGenPreprocRequest req;
  req.set_request_id(id);
  kms::v1::Empty empty;
  auto ctx = Context();
  return Stub(port)->KeyGenPreproc(ctx.get(), req, &empty);
}

grpc::Status KeyGen(int port, const std::string& id, const std::string& preprocessing_id) {
  kms::v1::KeyGenRequest req;
  req.set_request_id(id);
  req.set_preprocessing_id(preprocessing_id);
  kms::v1::Empty empty;
  auto ctx = Context();
  return Stub(port)->KeyGen(ctx.get(), req, &empty);
}

TEST_F(SessionReuseTest, UsedIdsAreAlreadyExistsAfterEveryPartyRestarted) {
  // ---- before the restart: PRSS (plain, then forced), preprocessing, key generation ----
  ExpectAllOk(OnAll(All(), [&](int p) { return NewEpoch(Port(p), "", false); }));
  std::vector<kms::v1::EpochResult> epochs(kParties + 1);
  ExpectAllOk(
      OnAll(All(), [&](int p) { return EpochResult(Port(p), DefaultEpoch(), &epochs[p]); }));
  for (int p : All()) EXPECT_TRUE(epochs[p].created()) << "party " << p;
  const std::string forced_run = RandomId();
  ExpectAllOk(OnAll(All(), [&](int p) { return NewEpoch(Port(p), forced_run, true); }));
  ExpectAllOk(OnAll(All(), [&](int p) { return EpochResult(Port(p), forced_run, &epochs[p]); }));
  for (int p : All()) EXPECT_TRUE(epochs[p].created()) << "party " << p;

  const std::string pre_id = RandomId();
  ExpectAllOk(OnAll(All(), [&](int p) { return Preproc(Port(p), pre_id); }));
  std::vector<kms::v1::KeyGenPreprocResult> pre(kParties + 1);
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::RequestId id;
    id.set_request_id(pre_id);
    auto ctx = Context(std::chrono::seconds(300));
    return Stub(Port(p))->GetKeyGenPreprocResult(ctx.get(), id, &pre[p]);
  }));
  const std::string key_id = RandomId();
  ExpectAllOk(OnAll(All(), [&](int p) { return KeyGen(Port(p), key_id, pre_id); }));
  std::vector<kms::v1::KeyGenResult> keys(kParties + 1);
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::RequestId id;
    id.set_request_id(key_id);
    auto ctx = Context(std::chrono::seconds(300));
    return Stub(Port(p))->GetKeyGenResult(ctx.get(), id, &keys[p]);
  }));
  ASSERT_FALSE(HasFailure());
  // The ledger's records (one per id, 48 bytes, private).
  for (int p : All()) {
    for (const std::string& name : {"prss-init-" + DefaultEpoch(), "prss-init-" + forced_run,
                                    "preprocessing-" + pre_id, "keygen-" + key_id}) {
      const std::string file = *dir_ / absl::StrCat("keys/PRIV-p", p, "/SessionLedger/", name);
      struct stat st;
      if (::stat(file.c_str(), &st) != 0) {
        ADD_FAILURE() << "no " << file;
        continue;
      }
      EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
      EXPECT_EQ(st.st_size, 48) << file;
    }
  }

  // ---- every party restarts: the request tables are empty ----
  const auto restart = Clock::now();
  for (auto* s : servers_) s->Signal(SIGTERM);
  for (auto* s : servers_) {
    auto status = s->Wait(std::chrono::seconds(30));
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 0);
  }
  for (auto* s : servers_) ASSERT_TRUE(s->Start());
  for (int p : All()) {
    ASSERT_TRUE(WaitServing(Port(p), servers_[p - 1], std::chrono::seconds(60)).has_value())
        << servers_[p - 1]->Log();
  }
  std::printf("[ measure ] restart of all 4 parties to SERVING: %.0f ms\n",
              Millis(Clock::now() - restart));
  for (int p : All()) {
    EXPECT_THAT(servers_[p - 1]->Log(), HasSubstr("and 4 used session id(s)")) << "party " << p;
  }

  // ---- reuses: ALREADY_EXISTS on every party, nothing touched ----
  const auto before = SnapshotFiles(*dir_ / "keys");
  auto expect_refused = [&](const std::vector<grpc::Status>& statuses, const std::string& text) {
    for (size_t i = 0; i < statuses.size(); ++i) {
      EXPECT_EQ(statuses[i].error_code(), grpc::StatusCode::ALREADY_EXISTS)
          << "party " << i + 1 << ": " << statuses[i].error_message();
      EXPECT_THAT(statuses[i].error_message(), HasSubstr(text)) << "party " << i + 1;
    }
  };
  expect_refused(OnAll(All(), [&](int p) { return Preproc(Port(p), pre_id); }),
                 "preprocessing " + pre_id + " was started before");
  const std::string fresh_pre = RandomId();
  expect_refused(OnAll(All(), [&](int p) { return KeyGen(Port(p), key_id, fresh_pre); }),
                 "key " + key_id + " already exists");
  expect_refused(OnAll(All(), [&](int p) { return NewEpoch(Port(p), forced_run, true); }),
                 "run id " + forced_run + " already ran a PRSS initialization");
  EXPECT_EQ(SnapshotFiles(*dir_ / "keys"), before);
  // A plain init of an existing epoch still answers "not created" (kms-init relies on it).
  ExpectAllOk(OnAll(All(), [&](int p) { return NewEpoch(Port(p), "", false); }));
  ExpectAllOk(
      OnAll(All(), [&](int p) { return EpochResult(Port(p), DefaultEpoch(), &epochs[p]); }));
  for (int p : All()) EXPECT_FALSE(epochs[p].created()) << "party " << p;
  EXPECT_EQ(SnapshotFiles(*dir_ / "keys"), before);

  // ---- after DestroyMpcEpoch, the plain init's run id (the epoch id) ran before ----
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::DestroyMpcEpochRequest req;
    kms::v1::Empty empty;
    auto ctx = Context();
    return Stub(Port(p))->DestroyMpcEpoch(ctx.get(), req, &empty);
  }));
  const auto destroyed = SnapshotFiles(*dir_ / "keys");
  expect_refused(OnAll(All(), [&](int p) { return NewEpoch(Port(p), "", false); }),
                 "request_id: missing, so the run id is the epoch id " + DefaultEpoch());
  EXPECT_EQ(SnapshotFiles(*dir_ / "keys"), destroyed);
  // The way out the message names: a fresh request_id (what kms-init sends).
  const std::string fresh_run = RandomId();
  ExpectAllOk(OnAll(All(), [&](int p) { return NewEpoch(Port(p), fresh_run, false); }));
  ExpectAllOk(OnAll(All(), [&](int p) { return EpochResult(Port(p), fresh_run, &epochs[p]); }));
  for (int p : All()) EXPECT_TRUE(epochs[p].created()) << "party " << p;
}

}  // namespace
}  // namespace kms::e2e
