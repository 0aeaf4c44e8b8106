// The preprocessing store: chunks and manifests round-trip, every damaged or misplaced object is
// refused with DATA_LOSS naming it, the material reads back in layout order one chunk at a
// time, and what a restart finds is exactly what was stored.
#include "service/preprocessing_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/ram_storage.h"

namespace kms::service {
namespace {

using mpc::MaterialChunk;
using mpc::MaterialKind;
using mpc::Share;
using ::testing::HasSubstr;

Id32 Id(uint8_t v) {
  Id32 id{};
  id.fill(v);
  return id;
}

// Distinct shares: value = tag · 2^32 + i in the constant coefficient, i in the next one.
Share Tagged(uint64_t tag, uint64_t i) {
  Share s = Share::FromScalar(algebra::Z128(tag) << 32 | i);
  s[1] = algebra::Z128(i) + 7;
  return s;
}

MaterialChunk MakeChunk(MaterialKind kind, uint64_t count, uint64_t tag) {
  MaterialChunk c;
  c.kind = kind;
  for (uint64_t i = 0; i < count; ++i) {
    if (kind == MaterialKind::kTriples) {
      c.triples.a.push_back(Tagged(tag, 3 * i));
      c.triples.b.push_back(Tagged(tag, 3 * i + 1));
      c.triples.c.push_back(Tagged(tag, 3 * i + 2));
    } else {
      c.shares.push_back(Tagged(tag, i));
    }
  }
  return c;
}

PreprocessingRecord Record(const Id32& id) {
  PreprocessingRecord r;
  r.id = id;
  r.fhe_parameter = "test";
  r.epoch_id = Id(0xee);
  r.layout = MakePreprocessingLayout({25, 7, 3}, 2, 10);
  return r;
}

// Writes every chunk of `r` (tag = lane · 100 + chunk) and completes the run.
void StoreAll(PreprocessingStore& store, const PreprocessingRecord& r) {
  ASSERT_TRUE(store.Begin(r).ok());
  for (size_t lane = 0; lane < r.layout.lanes.size(); ++lane) {
    const auto chunks = r.layout.Chunks(lane);
    for (uint64_t j = 0; j < chunks.size(); ++j) {
      ASSERT_TRUE(
          store.PutChunk(r.id, lane, j, MakeChunk(chunks[j].kind, chunks[j].count, lane * 100 + j))
              .ok());
    }
  }
  ASSERT_TRUE(store.Complete(r.id).ok());
}

TEST(PreprocessingStoreTest, ChunkRoundTripsAndRefusesWhatDoesNotBelong) {
  const Id32 id = Id(1);
  const MaterialChunk triples = MakeChunk(MaterialKind::kTriples, 4, 9);
  const crypto::SecretBytes bytes = SerializeMaterialChunk(id, 1, 2, triples);
  const PreprocessingChunkSpec spec{MaterialKind::kTriples, 4};
  auto parsed = ParseMaterialChunk(bytes.span(), id, 1, 2, spec);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->triples.a, triples.triples.a);
  EXPECT_EQ(parsed->triples.b, triples.triples.b);
  EXPECT_EQ(parsed->triples.c, triples.triples.c);

  auto refused = [&](ByteSpan data, const Id32& as_id, size_t lane, uint64_t chunk,
                     PreprocessingChunkSpec expected, const char* why) {
    auto r = ParseMaterialChunk(data, as_id, lane, chunk, expected);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << why;
    EXPECT_THAT(r.status().message(), HasSubstr("PreprocChunk/")) << why;
  };
  refused(bytes.span(), Id(2), 1, 2, spec, "another run");
  refused(bytes.span(), id, 0, 2, spec, "another lane");
  refused(bytes.span(), id, 1, 3, spec, "another chunk");
  refused(bytes.span(), id, 1, 2, {MaterialKind::kBits, 4}, "another kind");
  refused(bytes.span(), id, 1, 2, {MaterialKind::kTriples, 5}, "another count");
  refused(bytes.span().first(bytes.size() - 1), id, 1, 2, spec, "truncated");
  refused(bytes.span().first(20), id, 1, 2, spec, "header cut");
  Bytes longer(bytes.span().begin(), bytes.span().end());
  longer.push_back(0);
  refused(longer, id, 1, 2, spec, "trailing byte");
  Bytes magic(bytes.span().begin(), bytes.span().end());
  magic[0] ^= 1;
  refused(magic, id, 1, 2, spec, "magic");
  // A count larger than any chunk may hold is refused before anything is allocated.
  const PreprocessingChunkSpec huge{MaterialKind::kBits, kMaxPreprocChunkItems + 1};
  const crypto::SecretBytes small =
      SerializeMaterialChunk(id, 0, 0, MakeChunk(MaterialKind::kBits, 1, 1));
  Bytes forged(small.span().begin(), small.span().end());
  for (int i = 0; i < 8; ++i) forged[53 + i] = static_cast<uint8_t>(huge.count >> (8 * i));
  refused(forged, id, 0, 0, huge, "huge count");
}

TEST(PreprocessingStoreTest, ManifestRoundTripsAndRefusesDamage) {
  PreprocessingRecord r = Record(Id(3));
  r.layout.attempt = 2;
  r.chunks_stored = {2, 1};
  const Bytes bytes = SerializePreprocessingManifest(r);
  auto parsed = ParsePreprocessingManifest(bytes, r.id);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->fhe_parameter, "test");
  EXPECT_EQ(parsed->epoch_id, r.epoch_id);
  EXPECT_EQ(parsed->layout.attempt, 2u);
  EXPECT_EQ(parsed->layout.batch, 10u);
  EXPECT_EQ(parsed->layout.lanes, r.layout.lanes);
  EXPECT_EQ(parsed->chunks_stored, r.chunks_stored);
  EXPECT_FALSE(parsed->complete);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    auto t = ParsePreprocessingManifest(ByteSpan(bytes).first(cut), r.id);
    ASSERT_FALSE(t.ok()) << "cut at " << cut;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kDataLoss);
  }
  PreprocessingRecord too_many = r;
  too_many.chunks_stored = {9, 1};  // lane 0 has 3 + 1 + 1 = 5 chunks
  EXPECT_THAT(
      ParsePreprocessingManifest(SerializePreprocessingManifest(too_many), r.id).status().message(),
      HasSubstr("more chunks than its layout has"));
  // Found by preprocessing_store_fuzz: a manifest whose counts make billions of chunks was
  // turned into a chunk list before it was checked (out of memory). Refused now, and a layout
  // like it cannot be begun either.
  PreprocessingRecord huge = r;
  huge.layout.lanes[1].randoms = uint64_t{0xeeeeeeeeee};
  huge.chunks_stored = {0, 0};
  EXPECT_THAT(
      ParsePreprocessingManifest(SerializePreprocessingManifest(huge), r.id).status().message(),
      HasSubstr("raise threshold.preprocessing_chunk"));
  storage::RamStorage vault("PRIV");
  PreprocessingStore store(vault);
  EXPECT_EQ(store.Begin(huge).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(vault.List(kPreprocManifest)->empty());
  PreprocessingRecord early = r;
  early.complete = true;
  EXPECT_THAT(
      ParsePreprocessingManifest(SerializePreprocessingManifest(early), r.id).status().message(),
      HasSubstr("complete with chunks missing"));
}

TEST(PreprocessingStoreTest, MaterialReadsBackInLayoutOrderAcrossLanes) {
  storage::RamStorage vault("PRIV");
  PreprocessingStore store(vault);
  const PreprocessingRecord r = Record(Id(4));
  StoreAll(store, r);
  auto source = store.Open(r.id);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->remaining(), (mpc::DkgMaterialCounts{25, 7, 3}));
  // Lane 0 has bits chunks 0 (10), 1 (3); lane 1 has 0 (10), 1 (2): asks cross chunk and lane
  // boundaries.
  auto first = (*source)->NextBits(12);
  ASSERT_TRUE(first.ok()) << first.status();
  for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ((*first)[i], Tagged(0, i));
  EXPECT_EQ((*first)[10], Tagged(1, 0));
  EXPECT_EQ((*first)[11], Tagged(1, 1));
  auto rest = (*source)->NextBits(13);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ((*rest)[0], Tagged(1, 2));
  EXPECT_EQ((*rest)[1], Tagged(100, 0));
  EXPECT_EQ((*rest)[12], Tagged(101, 1));
  auto none = (*source)->NextBits(1);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(none.status().message(), HasSubstr("bits exhausted: 1 asked, 0 left"));
  // Triples: lane 0 holds 4 (chunk 2), lane 1 holds 3 (chunk 2).
  auto triples = (*source)->NextTriples(7);
  ASSERT_TRUE(triples.ok()) << triples.status();
  EXPECT_EQ(triples->a[0], Tagged(2, 0));
  EXPECT_EQ(triples->c[3], Tagged(2, 11));
  EXPECT_EQ(triples->b[4], Tagged(102, 1));
  auto randoms = (*source)->NextRandoms(3);
  ASSERT_TRUE(randoms.ok()) << randoms.status();
  EXPECT_EQ((*randoms)[2], Tagged(3, 2));
  EXPECT_EQ((*source)->remaining(), (mpc::DkgMaterialCounts{0, 0, 0}));
}

TEST(PreprocessingStoreTest, IncompleteRunsSurviveARestartAndResumeTruncates) {
  storage::RamStorage vault("PRIV");
  const PreprocessingRecord r = Record(Id(5));
  {
    PreprocessingStore store(vault);
    ASSERT_TRUE(store.Begin(r).ok());
    EXPECT_EQ(store.Begin(r).code(), absl::StatusCode::kAlreadyExists);
    ASSERT_TRUE(store.PutChunk(r.id, 0, 0, MakeChunk(MaterialKind::kBits, 10, 0)).ok());
    ASSERT_TRUE(store.PutChunk(r.id, 0, 1, MakeChunk(MaterialKind::kBits, 3, 1)).ok());
    ASSERT_TRUE(store.PutChunk(r.id, 1, 0, MakeChunk(MaterialKind::kBits, 10, 100)).ok());
    // Only the next chunk of a lane may be written.
    EXPECT_FALSE(store.PutChunk(r.id, 1, 2, MakeChunk(MaterialKind::kTriples, 3, 102)).ok());
    EXPECT_EQ(store.Complete(r.id).code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(store.Open(r.id).status().code(), absl::StatusCode::kFailedPrecondition);
  }
  PreprocessingStore restarted(vault);
  auto runs = restarted.LoadAll();
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_FALSE((*runs)[0].complete);
  EXPECT_EQ((*runs)[0].chunks_stored, (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ((*runs)[0].items_done(), 23u);
  EXPECT_EQ((*runs)[0].items_total(), 35u);
  // The parties agreed to resume lane 0 at chunk 1: it is made again under attempt 1.
  ASSERT_TRUE(restarted.Resume(r.id, 1, {1, 1}).ok());
  auto resumed = restarted.Get(r.id);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->layout.attempt, 1u);
  EXPECT_EQ(resumed->chunks_stored, (std::vector<uint64_t>{1, 1}));
  const auto lane0 = r.layout.Chunks(0);
  for (uint64_t j = 1; j < lane0.size(); ++j) {
    ASSERT_TRUE(
        restarted.PutChunk(r.id, 0, j, MakeChunk(lane0[j].kind, lane0[j].count, 50 + j)).ok());
  }
  const auto lane1 = r.layout.Chunks(1);
  for (uint64_t j = 1; j < lane1.size(); ++j) {
    ASSERT_TRUE(
        restarted.PutChunk(r.id, 1, j, MakeChunk(lane1[j].kind, lane1[j].count, 150 + j)).ok());
  }
  ASSERT_TRUE(restarted.Complete(r.id).ok());
  auto source = restarted.Open(r.id);
  ASSERT_TRUE(source.ok());
  auto bits = (*source)->NextBits(11);
  ASSERT_TRUE(bits.ok());
  EXPECT_EQ((*bits)[10], Tagged(51, 0));  // the remade chunk, not the one stored before
}

TEST(PreprocessingStoreTest, RemoveDeletesEveryChunkAndTheManifest) {
  storage::RamStorage vault("PRIV");
  PreprocessingStore store(vault);
  const PreprocessingRecord r = Record(Id(6));
  StoreAll(store, r);
  auto listed = vault.List(kPreprocChunk);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), r.chunks_total());
  ASSERT_TRUE(store.Remove(r.id).ok());
  EXPECT_TRUE(vault.List(kPreprocChunk)->empty());
  EXPECT_TRUE(vault.List(kPreprocManifest)->empty());
  EXPECT_EQ(store.Get(r.id).status().code(), absl::StatusCode::kNotFound);
}

TEST(PreprocessingStoreTest, DamagedChunkIsDataLossWhenRead) {
  storage::RamStorage vault("PRIV");
  PreprocessingStore store(vault);
  const PreprocessingRecord r = Record(Id(7));
  StoreAll(store, r);
  // Lane 1's first bits chunk swapped for lane 0's: misplaced, refused.
  auto other = vault.Get(kPreprocChunk, PreprocChunkId(r.id, 0, 0));
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(vault.Put(kPreprocChunk, PreprocChunkId(r.id, 1, 0), *other).ok());
  auto source = store.Open(r.id);
  ASSERT_TRUE(source.ok());
  ASSERT_TRUE((*source)->NextBits(13).ok());  // lane 0 is fine
  auto bad = (*source)->NextBits(1);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(bad.status().message(), HasSubstr("stored under another lane or chunk number"));
  // A missing chunk is DATA_LOSS too.
  ASSERT_TRUE(vault.Delete(kPreprocChunk, PreprocChunkId(r.id, 0, 2)).ok());
  auto source2 = store.Open(r.id);
  ASSERT_TRUE(source2.ok());
  EXPECT_EQ((*source2)->NextTriples(1).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace kms::service
