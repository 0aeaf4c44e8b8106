// The session ledger (storage/session_ledger.h): ids recorded once and for good, durable across
// instances over the same vault, checked at load.
#include "storage/session_ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "faulty_storage.h"
#include "storage/ram_storage.h"
#include "storage/vault.h"

namespace kms::storage {
namespace {

using ::testing::HasSubstr;

LedgerId Id(uint8_t v) {
  LedgerId id{};
  id.fill(v);
  return id;
}

TEST(SessionLedgerTest, RecordsOnceAndForGood) {
  RamStorage vault("PRIV-p1");
  {
    SessionLedger ledger(vault);
    ASSERT_TRUE(ledger.Load().ok());
    EXPECT_FALSE(ledger.Contains(LedgerKind::kPreprocessing, Id(1)));
    ASSERT_TRUE(ledger.Record(LedgerKind::kPreprocessing, Id(1)).ok());
    EXPECT_TRUE(ledger.Contains(LedgerKind::kPreprocessing, Id(1)));
    absl::Status again = ledger.Record(LedgerKind::kPreprocessing, Id(1));
    EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
    EXPECT_THAT(again.message(),
                HasSubstr("preprocessing id " + ToHex(Id(1)) + " was used before"));
    // Kinds are separate namespaces.
    EXPECT_FALSE(ledger.Contains(LedgerKind::kKeyGen, Id(1)));
    ASSERT_TRUE(ledger.Record(LedgerKind::kKeyGen, Id(1)).ok());
    ASSERT_TRUE(ledger.Record(LedgerKind::kPrssInit, Id(1)).ok());
    EXPECT_EQ(ledger.size(), 3u);
  }
  // A new instance (a restart) over the same vault knows them all.
  SessionLedger reloaded(vault);
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(reloaded.size(), 3u);
  EXPECT_TRUE(absl::IsAlreadyExists(reloaded.Record(LedgerKind::kPrssInit, Id(1))));
  EXPECT_TRUE(reloaded.Record(LedgerKind::kPrssInit, Id(2)).ok());
  // Layout: <kind>-<hex>, 48 bytes holding magic, kind and id only.
  auto names = vault.List(kSessionLedger);
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ::testing::Contains("keygen-" + ToHex(Id(1))));
  auto raw = vault.Get(kSessionLedger, "prss-init-" + ToHex(Id(2)));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, SerializeLedgerRecord(LedgerKind::kPrssInit, Id(2)));
  ASSERT_EQ(raw->size(), 48u);
  EXPECT_EQ(std::string(raw->begin(), raw->begin() + 8), "KMSSLED1");
}

TEST(SessionLedgerTest, ConcurrentRecordsOfOneIdLetExactlyOneThrough) {
  RamStorage vault("PRIV-p1");
  SessionLedger ledger(vault);
  ASSERT_TRUE(ledger.Load().ok());
  std::vector<absl::Status> results(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = ledger.Record(LedgerKind::kKeyGen, Id(7)); });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  for (const auto& s : results) {
    if (s.ok()) {
      ++ok;
    } else {
      EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
    }
  }
  EXPECT_EQ(ok, 1);
}

TEST(SessionLedgerTest, AFailedWriteRecordsNothing) {
  auto faulty = std::make_unique<testing::FaultyStorage>(std::make_unique<RamStorage>("PRIV-p1"));
  testing::FaultyStorage& f = *faulty;
  SessionLedger ledger(f);
  ASSERT_TRUE(ledger.Load().ok());
  f.FailWrites(absl::UnavailableError("disk gone"));
  absl::Status s = ledger.Record(LedgerKind::kPreprocessing, Id(3));
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_FALSE(ledger.Contains(LedgerKind::kPreprocessing, Id(3)));
  f.FailWrites(absl::OkStatus());
  EXPECT_TRUE(ledger.Record(LedgerKind::kPreprocessing, Id(3)).ok());
}

TEST(SessionLedgerTest, LoadRefusesCorruptOrMisplacedRecords) {
  {
    RamStorage vault("PRIV-p1");
    ASSERT_TRUE(vault.Put(kSessionLedger, "keygen-" + ToHex(Id(1)), Bytes{1, 2, 3}).ok());
    SessionLedger ledger(vault);
    absl::Status s = ledger.Load();
    EXPECT_TRUE(absl::IsDataLoss(s)) << s;
    EXPECT_THAT(s.message(), HasSubstr("SessionLedger/keygen-"));
    EXPECT_THAT(s.message(), HasSubstr("expected 48"));
  }
  {
    // A record copied under another name (another id or kind).
    RamStorage vault("PRIV-p1");
    ASSERT_TRUE(vault
                    .Put(kSessionLedger, "keygen-" + ToHex(Id(1)),
                         SerializeLedgerRecord(LedgerKind::kPreprocessing, Id(1)))
                    .ok());
    SessionLedger ledger(vault);
    absl::Status s = ledger.Load();
    EXPECT_TRUE(absl::IsDataLoss(s)) << s;
    EXPECT_THAT(s.message(), HasSubstr("the record is for preprocessing-"));
  }
  {
    Bytes bad = SerializeLedgerRecord(LedgerKind::kKeyGen, Id(1));
    bad[0] = 'X';
    EXPECT_TRUE(absl::IsDataLoss(ParseLedgerRecord(bad).status()));
    bad = SerializeLedgerRecord(LedgerKind::kKeyGen, Id(1));
    bad[8] = 9;
    EXPECT_THAT(ParseLedgerRecord(bad).status().message(), HasSubstr("unknown kind 9"));
  }
}

}  // namespace
}  // namespace kms::storage
