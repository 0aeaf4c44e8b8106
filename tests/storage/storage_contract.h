// File: tests/storage/storage_contract.h
//
// The contract every Storage backend must meet (src/storage/storage.h), written once and run
// against each backend: RAM and file in storage_local_backends_test, PostgreSQL and S3 (real
// servers) in storage_server_backends. A backend joins by INSTANTIATE_TEST_SUITE_P with a
// StorageBackend whose `make` opens a storage for a given prefix; every test uses its own fresh
// prefix, so runs against a shared server never see each other's objects.
//
// Include from exactly one .cc per test executable (it defines the tests).
#ifndef KMS_TESTS_STORAGE_STORAGE_CONTRACT_H_
#define KMS_TESTS_STORAGE_STORAGE_CONTRACT_H_

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/random.h"
#include "storage/storage.h"

namespace kms::storage::testing {

struct StorageBackend {
  std::string name;
  // Opens a storage with `prefix` (a valid prefix unique to the calling test).
  std::function<absl::StatusOr<std::unique_ptr<Storage>>(const std::string& prefix)> make;
  // Strings that must never appear in Describe() or in error messages (passwords, secrets).
  std::vector<std::string> secrets;
};

inline std::string UniquePrefix(const std::string& tag) {
  std::array<uint8_t, 6> r;
  crypto::OsRandom(r);
  return tag + "-" + ToHex(r);
}

inline Bytes RandomBytes(size_t n) {
  Bytes b(n);
  crypto::OsRandom(b);
  return b;
}

class StorageContractTest : public ::testing::TestWithParam<StorageBackend> {
 protected:
  void SetUp() override {
    prefix_ = UniquePrefix("T");
    auto s = GetParam().make(prefix_);
    ASSERT_TRUE(s.ok()) << s.status();
    storage_ = std::move(*s);
  }

  // The status must not leak any of the backend's secrets.
  void ExpectNoSecret(const absl::Status& s) {
    for (const auto& secret : GetParam().secrets) {
      EXPECT_EQ(std::string(s.message()).find(secret), std::string::npos) << s;
    }
  }

  std::string prefix_;
  std::unique_ptr<Storage> storage_;
};

TEST_P(StorageContractTest, PutThenGetReturnsTheSameBytes) {
  Bytes all_values(256);
  for (int i = 0; i < 256; ++i) all_values[i] = static_cast<uint8_t>(i);
  ASSERT_TRUE(storage_->Put("PublicKey", "k1", all_values).ok());
  auto got = storage_->Get("PublicKey", "k1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, all_values);
}

TEST_P(StorageContractTest, EmptyObjectRoundTrips) {
  ASSERT_TRUE(storage_->Put("CACert", "empty", Bytes{}).ok());
  auto got = storage_->Get("CACert", "empty");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(storage_->Exists("CACert", "empty").value_or(false), true);
}

TEST_P(StorageContractTest, PutOverwrites) {
  ASSERT_TRUE(storage_->Put("VerfKey", "v", AsBytes("first value")).ok());
  ASSERT_TRUE(storage_->Put("VerfKey", "v", AsBytes("second")).ok());
  auto got = storage_->Get("VerfKey", "v");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(std::string(got->begin(), got->end()), "second");
  auto ids = storage_->List("VerfKey");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, std::vector<std::string>{"v"});
}

TEST_P(StorageContractTest, MissingObjectIsNotFound) {
  auto got = storage_->Get("PublicKey", "nothing-here");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound) << got.status();
  auto exists = storage_->Exists("PublicKey", "nothing-here");
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_FALSE(*exists);
  EXPECT_EQ(storage_->Delete("PublicKey", "nothing-here").code(), absl::StatusCode::kNotFound);
}

TEST_P(StorageContractTest, ExistsAfterPutAndNotAfterDelete) {
  ASSERT_TRUE(storage_->Put("PrssSetup", "epoch1", AsBytes("prss")).ok());
  EXPECT_EQ(storage_->Exists("PrssSetup", "epoch1").value_or(false), true);
  ASSERT_TRUE(storage_->Delete("PrssSetup", "epoch1").ok());
  auto exists = storage_->Exists("PrssSetup", "epoch1");
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_FALSE(*exists);
  EXPECT_EQ(storage_->Get("PrssSetup", "epoch1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(storage_->Delete("PrssSetup", "epoch1").code(), absl::StatusCode::kNotFound);
}

TEST_P(StorageContractTest, ListIsSortedAndScopedToOneDataType) {
  const std::vector<std::string> ids = {"b2", "a1", "c3", "A0", "0x9", "z.z", "m-m", "n_n"};
  for (const auto& id : ids) ASSERT_TRUE(storage_->Put("FheKeyInfo", id, AsBytes(id)).ok());
  ASSERT_TRUE(storage_->Put("FheKeyInfoOther", "x", AsBytes("x")).ok());
  ASSERT_TRUE(storage_->Put("Context", "c", AsBytes("c")).ok());
  auto listed = storage_->List("FheKeyInfo");
  ASSERT_TRUE(listed.ok()) << listed.status();
  std::vector<std::string> expected = ids;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*listed, expected);
  auto none = storage_->List("CRS");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

TEST_P(StorageContractTest, PrefixesIsolateVaults) {
  auto other = GetParam().make(UniquePrefix("O"));
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE(storage_->Put("SigningKey", "same-id", AsBytes("mine")).ok());
  ASSERT_TRUE((*other)->Put("SigningKey", "same-id", AsBytes("theirs")).ok());
  auto mine = storage_->Get("SigningKey", "same-id");
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_EQ(std::string(mine->begin(), mine->end()), "mine");
  ASSERT_TRUE((*other)->Delete("SigningKey", "same-id").ok());
  EXPECT_TRUE(storage_->Exists("SigningKey", "same-id").value_or(false));
  ASSERT_TRUE((*other)->Put("SigningKey", "only-theirs", AsBytes("x")).ok());
  EXPECT_EQ(storage_->List("SigningKey").value_or(std::vector<std::string>{}),
            std::vector<std::string>{"same-id"});
}

TEST_P(StorageContractTest, NestedPrefixWorks) {
  auto nested = GetParam().make(UniquePrefix("N") + "/PRIV-p1");
  ASSERT_TRUE(nested.ok()) << nested.status();
  ASSERT_TRUE((*nested)->Put("PrssSetup", "e", AsBytes("x")).ok());
  EXPECT_EQ((*nested)->List("PrssSetup").value_or(std::vector<std::string>{}),
            std::vector<std::string>{"e"});
  EXPECT_TRUE((*nested)->Get("PrssSetup", "e").ok());
}

TEST_P(StorageContractTest, InvalidNamesAreRejectedAndNothingIsStored) {
  const std::vector<std::string> bad_ids = {"",        ".",
                                            "..",      "../etc",
                                            "a/b",     "/",
                                            ".hidden", "a b",
                                            "a\\b",    std::string("a\0b", 3),
                                            "é",       "a%2Fb",
                                            "a\nb",    std::string(kMaxIdLength + 1, 'x')};
  for (const auto& id : bad_ids) {
    absl::Status put = storage_->Put("PublicKey", id, AsBytes("x"));
    EXPECT_EQ(put.code(), absl::StatusCode::kInvalidArgument) << "id " << id << ": " << put;
    EXPECT_EQ(storage_->Get("PublicKey", id).status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(storage_->Exists("PublicKey", id).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(storage_->Delete("PublicKey", id).code(), absl::StatusCode::kInvalidArgument);
  }
  const std::vector<std::string> bad_types = {
      "",        "1Key",    "Public/Key", "..",
      "Pub.Key", "Pub Key", "-x",         std::string(kMaxDataTypeLength + 1, 'K')};
  for (const auto& type : bad_types) {
    EXPECT_EQ(storage_->Put(type, "id", AsBytes("x")).code(), absl::StatusCode::kInvalidArgument)
        << "type " << type;
    EXPECT_EQ(storage_->List(type).status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(storage_->Get(type, "id").status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(storage_->List("PublicKey").value_or(std::vector<std::string>{"sentinel"}).empty());
}

TEST_P(StorageContractTest, LongestValidNamesWork) {
  const std::string id(kMaxIdLength, 'i');
  const std::string type = "T" + std::string(kMaxDataTypeLength - 1, 't');
  ASSERT_TRUE(storage_->Put(type, id, AsBytes("long")).ok());
  EXPECT_EQ(storage_->List(type).value_or(std::vector<std::string>{}),
            std::vector<std::string>{id});
  EXPECT_TRUE(storage_->Get(type, id).ok());
}

TEST_P(StorageContractTest, OversizedObjectIsRejectedBeforeAnyWrite) {
  // A readable range one byte over the limit, backed by no memory until touched.
  const size_t size = kMaxObjectSize + 1;
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  absl::Status s = storage_->Put("ServerKey", "huge", ByteSpan(static_cast<uint8_t*>(p), size));
  ::munmap(p, size);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_FALSE(storage_->Exists("ServerKey", "huge").value_or(true));
}

TEST_P(StorageContractTest, LargeObjectRoundTrips) {
  const Bytes big = RandomBytes(10 << 20);
  ASSERT_TRUE(storage_->Put("ServerKey", "big", big).ok());
  auto got = storage_->Get("ServerKey", "big");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == big);
}

TEST_P(StorageContractTest, ConcurrentWritersAndReaders) {
  constexpr int kThreads = 6;
  constexpr int kRounds = 8;
  // Distinct, self-describing values: a reader can tell a whole value from a mix of two.
  auto value = [](int thread, int round) {
    Bytes v(4096 + 97 * thread, static_cast<uint8_t>(thread * 16 + round));
    return v;
  };
  auto is_whole = [&](const Bytes& got) {
    for (int t = 0; t < kThreads; ++t) {
      for (int r = 0; r < kRounds; ++r) {
        if (got == value(t, r)) return true;
      }
    }
    return false;
  };
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        if (!storage_->Put("Context", "shared", value(t, r)).ok()) ++failures;
        if (!storage_->Put("Context", "own-" + std::to_string(t), value(t, r)).ok()) ++failures;
      }
    });
  }
  std::thread reader([&] {
    while (!done.load()) {
      auto got = storage_->Get("Context", "shared");
      if (got.ok() ? !is_whole(*got) : !absl::IsNotFound(got.status())) ++failures;
    }
  });
  for (auto& th : threads) th.join();
  done = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  auto shared = storage_->Get("Context", "shared");
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_TRUE(is_whole(*shared));
  for (int t = 0; t < kThreads; ++t) {
    auto own = storage_->Get("Context", "own-" + std::to_string(t));
    ASSERT_TRUE(own.ok()) << own.status();
    EXPECT_EQ(*own, value(t, kRounds - 1));
  }
  auto ids = storage_->List("Context");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->size(), static_cast<size_t>(kThreads + 1));
}

TEST_P(StorageContractTest, DescribeNamesTheVaultAndHidesSecrets) {
  const std::string d = storage_->Describe();
  EXPECT_NE(d.find(prefix_), std::string::npos) << d;
  for (const auto& secret : GetParam().secrets) {
    EXPECT_EQ(d.find(secret), std::string::npos) << d;
  }
  EXPECT_EQ(storage_->prefix(), prefix_);
  ExpectNoSecret(storage_->Get("PublicKey", "missing").status());
}

// Names the backend in failure messages instead of dumping the struct's bytes.
inline void PrintTo(const StorageBackend& backend, std::ostream* os) { *os << backend.name; }

inline std::string BackendName(const ::testing::TestParamInfo<StorageBackend>& info) {
  return info.param.name;
}

}  // namespace kms::storage::testing

#endif  // KMS_TESTS_STORAGE_STORAGE_CONTRACT_H_
