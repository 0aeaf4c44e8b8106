// File: tests/storage/storage_contract.h
//
// The contract every Storage backend must meet (src/storage/storage.h), written once and run
// against each backend: RAM and file in storage_local_backends_test, PostgreSQL and S3 (real
// servers) in storage_server_backends. A backend joins by INSTANTIATE_TEST_SUITE_P with a
// StorageBackend whose `make` opens a storage for a given prefix; every test uses its own fresh
// prefix, so runs against a shared server never see each other's objects.
//
// Streams run with the backend's small test chunk size (1 MiB, or S3's smallest part of 5 MiB),
// so objects of a few MiB span several chunks (parts, rows) and each test stays within seconds.
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
  // Opens a storage with `prefix` (a valid prefix unique to the calling test) and `stream`.
  std::function<absl::StatusOr<std::unique_ptr<Storage>>(const std::string& prefix,
                                                         const StreamOptions& stream)>
      make;
  // Strings that must never appear in Describe() or in error messages (passwords, secrets).
  std::vector<std::string> secrets;
  // The stream settings every storage of the contract is opened with.
  StreamOptions stream;
  // How many pieces the backend keeps out of sight under `prefix`: file temporaries, S3
  // incomplete multipart uploads, PostgreSQL part rows. Tests ask only where none should exist
  // (after an aborted stream of a new object, after deleting every streamed object). Null when a
  // backend has no such pieces (RAM).
  std::function<absl::StatusOr<size_t>(const std::string& prefix)> hidden_pieces;
  // Whether two storages opened with one prefix see the same objects (not so for RAM).
  bool instances_share_objects = true;
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
    auto s = GetParam().make(prefix_, GetParam().stream);
    ASSERT_TRUE(s.ok()) << s.status();
    storage_ = std::move(*s);
  }

  size_t chunk() const { return GetParam().stream.chunk_size; }

  // Zero when the backend has nothing hidden under `prefix` (or cannot have).
  size_t HiddenPieces(const std::string& prefix) {
    if (!GetParam().hidden_pieces) return 0;
    auto n = GetParam().hidden_pieces(prefix);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(0);
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
  auto other = GetParam().make(UniquePrefix("O"), GetParam().stream);
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
  auto nested = GetParam().make(UniquePrefix("N") + "/PRIV-p1", GetParam().stream);
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

// ---- Streams ----

// More than five chunks (the last one partial), and at least 5 MiB.
inline size_t StreamedSize(size_t chunk) {
  return std::max<size_t>(size_t{5} << 20, 2 * chunk) + chunk / 3 + 1;
}

// A producer writing `data` in pieces of awkward sizes: single bytes, empty pieces, pieces
// longer than a chunk, pieces that end just past a chunk boundary.
inline ObjectProducer InPieces(ByteSpan data, size_t chunk) {
  return [data, chunk](const ByteSink& write) -> absl::Status {
    const size_t sizes[] = {1, 0, 4095, chunk + 3, 77777, 0, 3 * chunk / 2, chunk - 1, 12345};
    size_t at = 0;
    for (size_t k = 0; at < data.size(); ++k) {
      const size_t n = std::min(sizes[k % std::size(sizes)], data.size() - at);
      absl::Status s = write(data.subspan(at, n));
      if (!s.ok()) return s;
      at += n;
    }
    return absl::OkStatus();
  };
}

// What a GetStream handed out.
struct Streamed {
  Bytes bytes;
  std::vector<size_t> pieces;
};

inline ByteSink CollectInto(Streamed& out) {
  return [&out](ByteSpan piece) {
    out.pieces.push_back(piece.size());
    out.bytes.insert(out.bytes.end(), piece.begin(), piece.end());
    return absl::OkStatus();
  };
}

// Every piece is exactly one chunk but the last, which is 1..chunk bytes.
inline ::testing::AssertionResult PiecesAreChunks(const Streamed& got, size_t chunk) {
  for (size_t i = 0; i < got.pieces.size(); ++i) {
    const bool last = i + 1 == got.pieces.size();
    if (last ? (got.pieces[i] == 0 || got.pieces[i] > chunk) : got.pieces[i] != chunk) {
      return ::testing::AssertionFailure() << "piece " << i << " of " << got.pieces.size() << " is "
                                           << got.pieces[i] << " bytes; chunk size " << chunk;
    }
  }
  return ::testing::AssertionSuccess();
}

inline bool Contains(const absl::Status& s, const std::string& text) {
  return std::string(s.message()).find(text) != std::string::npos;
}

TEST_P(StorageContractTest, StreamedObjectRoundTripsInChunks) {
  const Bytes data = RandomBytes(StreamedSize(chunk()));
  ASSERT_TRUE(storage_->PutStream("ServerKey", "sk", InPieces(data, chunk())).ok());
  EXPECT_EQ(storage_->Size("ServerKey", "sk").value_or(0), data.size());
  Streamed got;
  absl::Status read = storage_->GetStream("ServerKey", "sk", CollectInto(got));
  ASSERT_TRUE(read.ok()) << read;
  EXPECT_TRUE(got.bytes == data);
  EXPECT_EQ(got.pieces.size(), (data.size() + chunk() - 1) / chunk());
  EXPECT_TRUE(PiecesAreChunks(got, chunk()));
  // A streamed object that fits Get's limit is an ordinary object for Get.
  auto whole = storage_->Get("ServerKey", "sk");
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_TRUE(*whole == data);
  EXPECT_TRUE(storage_->Exists("ServerKey", "sk").value_or(false));
}

TEST_P(StorageContractTest, EmptyShortAndPutObjectsStream) {
  ASSERT_TRUE(
      storage_->PutStream("CRS", "empty", [](const ByteSink&) { return absl::OkStatus(); }).ok());
  EXPECT_EQ(storage_->Size("CRS", "empty").value_or(1), 0u);
  EXPECT_TRUE(storage_->Get("CRS", "empty").value_or(Bytes{1}).empty());
  Streamed empty;
  ASSERT_TRUE(storage_->GetStream("CRS", "empty", CollectInto(empty)).ok());
  EXPECT_TRUE(empty.pieces.empty());

  const Bytes short_value = RandomBytes(1000);
  ASSERT_TRUE(storage_->PutStream("CRS", "short", InPieces(short_value, chunk())).ok());
  Streamed one;
  ASSERT_TRUE(storage_->GetStream("CRS", "short", CollectInto(one)).ok());
  EXPECT_EQ(one.pieces, std::vector<size_t>{1000});
  EXPECT_TRUE(one.bytes == short_value);

  // Objects written by Put stream too, in the same chunks.
  const Bytes put_value = RandomBytes(2 * chunk() + chunk() / 2);
  ASSERT_TRUE(storage_->Put("CRS", "put", put_value).ok());
  EXPECT_EQ(storage_->Size("CRS", "put").value_or(0), put_value.size());
  Streamed from_put;
  ASSERT_TRUE(storage_->GetStream("CRS", "put", CollectInto(from_put)).ok());
  EXPECT_TRUE(from_put.bytes == put_value);
  EXPECT_EQ(from_put.pieces.size(), 3u);
  EXPECT_TRUE(PiecesAreChunks(from_put, chunk()));
}

TEST_P(StorageContractTest, AbortedStreamLeavesTheOldObject) {
  const Bytes old_value = RandomBytes(2 * chunk() + 5);
  ASSERT_TRUE(storage_->PutStream("ServerKey", "sk", InPieces(old_value, chunk())).ok());
  const Bytes new_value = RandomBytes(3 * chunk());
  bool checked_inside = false;
  absl::Status aborted = storage_->PutStream("ServerKey", "sk", [&](const ByteSink& write) {
    absl::Status s = write(new_value);
    if (!s.ok()) return s;
    // Several chunks are written (uploaded, inserted) by now, yet readers see the old object.
    auto seen = storage_->Get("ServerKey", "sk");
    EXPECT_TRUE(seen.ok() && *seen == old_value) << seen.status();
    EXPECT_EQ(storage_->Size("ServerKey", "sk").value_or(0), old_value.size());
    EXPECT_EQ(storage_->List("ServerKey").value_or(std::vector<std::string>{}),
              std::vector<std::string>{"sk"});
    checked_inside = true;
    return absl::AbortedError("the serializer broke");
  });
  EXPECT_TRUE(checked_inside);
  EXPECT_EQ(aborted.code(), absl::StatusCode::kAborted) << aborted;
  EXPECT_TRUE(Contains(aborted, "the serializer broke")) << aborted;
  EXPECT_TRUE(Contains(aborted, "ServerKey/sk")) << aborted;
  ExpectNoSecret(aborted);
  auto got = storage_->Get("ServerKey", "sk");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == old_value);
  EXPECT_EQ(storage_->Size("ServerKey", "sk").value_or(0), old_value.size());
}

TEST_P(StorageContractTest, AbortedStreamOfANewObjectLeavesNothing) {
  absl::Status aborted = storage_->PutStream("ServerKey", "fresh", [&](const ByteSink& write) {
    const Bytes part = RandomBytes(chunk());
    for (int i = 0; i < 3; ++i) {
      absl::Status s = write(part);
      if (!s.ok()) return s;
    }
    EXPECT_FALSE(storage_->Exists("ServerKey", "fresh").value_or(true));
    EXPECT_TRUE(storage_->List("ServerKey").value_or(std::vector<std::string>{"?"}).empty());
    return absl::DataLossError("source ran dry");
  });
  EXPECT_EQ(aborted.code(), absl::StatusCode::kDataLoss) << aborted;
  EXPECT_TRUE(Contains(aborted, "source ran dry")) << aborted;
  EXPECT_FALSE(storage_->Exists("ServerKey", "fresh").value_or(true));
  EXPECT_EQ(storage_->Get("ServerKey", "fresh").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(storage_->List("ServerKey").value_or(std::vector<std::string>{"?"}).empty());
  EXPECT_EQ(HiddenPieces(prefix_), 0u);
  // A producer that fails before writing anything.
  EXPECT_EQ(
      storage_
          ->PutStream("ServerKey", "fresh",
                      [](const ByteSink&) { return absl::UnavailableError("no bytes at all"); })
          .code(),
      absl::StatusCode::kUnavailable);
  EXPECT_FALSE(storage_->Exists("ServerKey", "fresh").value_or(true));
  EXPECT_EQ(HiddenPieces(prefix_), 0u);
}

TEST_P(StorageContractTest, StreamedOverwritesReplaceEveryChunk) {
  const Bytes a = RandomBytes(3 * chunk() + 17);
  const Bytes b = RandomBytes(chunk() + chunk() / 2);
  const Bytes c = RandomBytes(10);
  const Bytes d = RandomBytes(2 * chunk() + 1);
  const Bytes e = RandomBytes(2 * chunk() + chunk() / 2);
  auto expect_value = [&](const Bytes& want, const char* step) {
    auto got = storage_->Get("ServerKey", "x");
    ASSERT_TRUE(got.ok()) << step << ": " << got.status();
    EXPECT_TRUE(*got == want) << step << ": " << got->size() << " bytes, want " << want.size();
    EXPECT_EQ(storage_->Size("ServerKey", "x").value_or(0), want.size()) << step;
    Streamed streamed;
    ASSERT_TRUE(storage_->GetStream("ServerKey", "x", CollectInto(streamed)).ok()) << step;
    EXPECT_TRUE(streamed.bytes == want) << step;
  };
  ASSERT_TRUE(storage_->PutStream("ServerKey", "x", InPieces(a, chunk())).ok());
  expect_value(a, "streamed");
  ASSERT_TRUE(storage_->PutStream("ServerKey", "x", InPieces(b, chunk())).ok());
  expect_value(b, "shorter stream over a longer one");
  ASSERT_TRUE(storage_->Put("ServerKey", "x", c).ok());
  expect_value(c, "small Put over a stream");
  ASSERT_TRUE(storage_->PutStream("ServerKey", "x", InPieces(d, chunk())).ok());
  expect_value(d, "stream over a small Put");
  ASSERT_TRUE(storage_->Put("ServerKey", "x", e).ok());
  expect_value(e, "multi-chunk Put over a stream");
  EXPECT_EQ(storage_->List("ServerKey").value_or(std::vector<std::string>{}),
            std::vector<std::string>{"x"});
  ASSERT_TRUE(storage_->Delete("ServerKey", "x").ok());
  EXPECT_EQ(HiddenPieces(prefix_), 0u);
}

TEST_P(StorageContractTest, StreamSizeLimitIsEnforced) {
  StreamOptions limited_options = GetParam().stream;
  limited_options.max_object_size = 2 * chunk() + 10;
  auto limited = GetParam().make(prefix_, limited_options);
  ASSERT_TRUE(limited.ok()) << limited.status();
  const Bytes too_big = RandomBytes(limited_options.max_object_size + 1);

  absl::Status refused = (*limited)->PutStream("ServerKey", "new", InPieces(too_big, chunk()));
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused;
  EXPECT_TRUE(Contains(refused, "limit")) << refused;
  EXPECT_TRUE(Contains(refused, "ServerKey/new")) << refused;
  EXPECT_FALSE((*limited)->Exists("ServerKey", "new").value_or(true));
  EXPECT_EQ(HiddenPieces(prefix_), 0u);

  const ByteSpan at_limit(too_big.data(), limited_options.max_object_size);
  ASSERT_TRUE((*limited)->PutStream("ServerKey", "edge", InPieces(at_limit, chunk())).ok());
  EXPECT_EQ((*limited)->PutStream("ServerKey", "edge", InPieces(too_big, chunk())).code(),
            absl::StatusCode::kInvalidArgument);
  auto edge = (*limited)->Get("ServerKey", "edge");
  ASSERT_TRUE(edge.ok()) << edge.status();
  EXPECT_TRUE(edge->size() == at_limit.size() &&
              std::equal(edge->begin(), edge->end(), at_limit.begin()));

  // A stored object above a reader's stream limit is refused before any byte is handed out;
  // Get's own limit (kMaxObjectSize) still returns it.
  if (!GetParam().instances_share_objects) return;
  ASSERT_TRUE(storage_->PutStream("ServerKey", "bigger", InPieces(too_big, chunk())).ok());
  int calls = 0;
  absl::Status read = (*limited)->GetStream("ServerKey", "bigger", [&](ByteSpan) {
    ++calls;
    return absl::OkStatus();
  });
  EXPECT_EQ(read.code(), absl::StatusCode::kDataLoss) << read;
  EXPECT_TRUE(Contains(read, "ServerKey/bigger")) << read;
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE((*limited)->Get("ServerKey", "bigger").ok());
}

TEST_P(StorageContractTest, StreamedObjectsListExistAndDeleteLikeAnyOther) {
  const Bytes s1 = RandomBytes(2 * chunk() + 3);
  const Bytes s2 = RandomBytes(3 * chunk());
  ASSERT_TRUE(storage_->PutStream("ServerKey", "s1", InPieces(s1, chunk())).ok());
  ASSERT_TRUE(storage_->PutStream("ServerKey", "s2", InPieces(s2, chunk())).ok());
  ASSERT_TRUE(storage_->Put("ServerKey", "p", AsBytes("plain")).ok());
  EXPECT_EQ(storage_->List("ServerKey").value_or(std::vector<std::string>{}),
            (std::vector<std::string>{"p", "s1", "s2"}));
  EXPECT_TRUE(storage_->Exists("ServerKey", "s1").value_or(false));
  EXPECT_EQ(storage_->Size("ServerKey", "s2").value_or(0), s2.size());
  EXPECT_EQ(storage_->Size("ServerKey", "p").value_or(0), 5u);

  ASSERT_TRUE(storage_->Delete("ServerKey", "s1").ok());
  EXPECT_FALSE(storage_->Exists("ServerKey", "s1").value_or(true));
  EXPECT_EQ(storage_->Get("ServerKey", "s1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(storage_->Size("ServerKey", "s1").status().code(), absl::StatusCode::kNotFound);
  int calls = 0;
  absl::Status missing = storage_->GetStream("ServerKey", "s1", [&](ByteSpan) {
    ++calls;
    return absl::OkStatus();
  });
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << missing;
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(storage_->Delete("ServerKey", "s1").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(storage_->List("ServerKey").value_or(std::vector<std::string>{}),
            (std::vector<std::string>{"p", "s2"}));
  // Deleting the other one takes its chunks with it.
  ASSERT_TRUE(storage_->Delete("ServerKey", "s2").ok());
  EXPECT_EQ(HiddenPieces(prefix_), 0u);
  EXPECT_EQ(storage_->List("ServerKey").value_or(std::vector<std::string>{}),
            std::vector<std::string>{"p"});
}

TEST_P(StorageContractTest, SinkErrorStopsTheRead) {
  ASSERT_TRUE(
      storage_->PutStream("ServerKey", "sk", InPieces(RandomBytes(3 * chunk()), chunk())).ok());
  int calls = 0;
  absl::Status read = storage_->GetStream("ServerKey", "sk", [&](ByteSpan piece) {
    ++calls;
    EXPECT_EQ(piece.size(), chunk());
    return absl::CancelledError("hasher gave up");
  });
  EXPECT_EQ(read.code(), absl::StatusCode::kCancelled) << read;
  EXPECT_TRUE(Contains(read, "hasher gave up")) << read;
  EXPECT_TRUE(Contains(read, "ServerKey/sk")) << read;
  EXPECT_EQ(calls, 1);
  // The storage is still fine afterwards (S3: the connection, PostgreSQL: the transaction).
  EXPECT_EQ(storage_->Size("ServerKey", "sk").value_or(0), 3 * chunk());
  EXPECT_TRUE(storage_->Get("ServerKey", "sk").ok());
}

TEST_P(StorageContractTest, StreamNamesAreCheckedFirst) {
  bool produced = false;
  absl::Status put = storage_->PutStream("ServerKey", "../x", [&](const ByteSink&) {
    produced = true;
    return absl::OkStatus();
  });
  EXPECT_EQ(put.code(), absl::StatusCode::kInvalidArgument) << put;
  EXPECT_FALSE(produced);
  EXPECT_EQ(
      storage_->PutStream("1Bad", "x", [](const ByteSink&) { return absl::OkStatus(); }).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      storage_->GetStream("ServerKey", ".x", [](ByteSpan) { return absl::OkStatus(); }).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(storage_->Size("ServerKey", "a/b").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(storage_->List("ServerKey").value_or(std::vector<std::string>{"?"}).empty());
}

TEST_P(StorageContractTest, ConcurrentStreamedWritersNeverMix) {
  constexpr int kWriters = 3;
  constexpr int kRounds = 2;
  // A value is one byte value repeated, with a length that depends on it: a reader can tell a
  // whole value from a mix of two.
  auto length = [&](uint8_t fill) { return 2 * chunk() + 1000 * fill + 1; };
  auto value = [&](int writer, int round) {
    const auto fill = static_cast<uint8_t>(1 + writer * kRounds + round);
    return Bytes(length(fill), fill);
  };
  auto is_whole = [&](const Bytes& got) {
    return !got.empty() && got.size() == length(got[0]) &&
           std::all_of(got.begin(), got.end(), [&](uint8_t b) { return b == got[0]; });
  };
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int r = 0; r < kRounds; ++r) {
        const Bytes v = value(w, r);
        absl::Status s = storage_->PutStream("ServerKey", "shared", InPieces(v, chunk()));
        if (!s.ok()) {
          ADD_FAILURE() << s;
          ++failures;
        }
      }
    });
  }
  int reads = 0;
  std::thread reader([&] {
    while (!done.load()) {
      Streamed got;
      absl::Status s = storage_->GetStream("ServerKey", "shared", CollectInto(got));
      if (s.ok() ? !is_whole(got.bytes) : !absl::IsNotFound(s)) {
        ADD_FAILURE() << s << " / " << got.bytes.size() << " bytes";
        ++failures;
      }
      ++reads;
    }
  });
  for (auto& t : writers) t.join();
  done = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads, 0);
  auto last = storage_->Get("ServerKey", "shared");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_TRUE(is_whole(*last));
}

// Names the backend in failure messages instead of dumping the struct's bytes.
inline void PrintTo(const StorageBackend& backend, std::ostream* os) { *os << backend.name; }

inline std::string BackendName(const ::testing::TestParamInfo<StorageBackend>& info) {
  return info.param.name;
}

}  // namespace kms::storage::testing

#endif  // KMS_TESTS_STORAGE_STORAGE_CONTRACT_H_
