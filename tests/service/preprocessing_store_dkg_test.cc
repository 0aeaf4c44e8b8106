// The TFHE DKG on material streamed from the preprocessing store: each of four parties writes its
// share of the dealt material into its own vault in the layout's chunks (two lanes, as the
// threshold engine makes them), and the DKG reads it back chunk by chunk. The parties end with
// exactly the keyset that the same material gives when handed over directly, so the store keeps
// every share in place and in order, across chunks, lanes and kinds.
#include <gtest/gtest.h>

#include "common/status_macros.h"
#include "mpc/tfhe_dkg_fixture.h"
#include "service/preprocessing_store.h"
#include "storage/ram_storage.h"

namespace kms::service {
namespace {

using mpc::MaterialChunk;
using mpc::MaterialKind;

constexpr uint64_t kChunk = 100000;

// Writes the dealt shares of `role` into `store`, in the order StoredDkgMaterial reads them.
void StoreDealtMaterial(PreprocessingStore& store, const PreprocessingRecord& record, int t,
                        net::Role role) {
  testing::SeededDkgMaterial dealt(mpc::dkg_testing::kMaterialSeed, t, role,
                                   record.layout.totals());
  ASSERT_TRUE(store.Begin(record).ok());
  for (MaterialKind kind : {MaterialKind::kBits, MaterialKind::kTriples, MaterialKind::kRandoms}) {
    for (size_t lane = 0; lane < record.layout.lanes.size(); ++lane) {
      const std::vector<PreprocessingChunkSpec> chunks = record.layout.Chunks(lane);
      for (uint64_t j = 0; j < chunks.size(); ++j) {
        if (chunks[j].kind != kind) continue;
        MaterialChunk chunk;
        chunk.kind = kind;
        if (kind == MaterialKind::kTriples) {
          auto triples = dealt.NextTriples(chunks[j].count);
          ASSERT_TRUE(triples.ok()) << triples.status();
          chunk.triples = std::move(*triples);
        } else {
          auto shares = kind == MaterialKind::kBits ? dealt.NextBits(chunks[j].count)
                                                    : dealt.NextRandoms(chunks[j].count);
          ASSERT_TRUE(shares.ok()) << shares.status();
          chunk.shares = std::move(*shares);
        }
        ASSERT_TRUE(store.PutChunk(record.id, lane, j, chunk).ok());
      }
    }
  }
  ASSERT_TRUE(store.Complete(record.id).ok());
}

TEST(PreprocessingStoreDkgTest, TheTfheDkgRunsOnMaterialStreamedFromTheStore) {
  constexpr int n = 4, t = 1;
  const mpc::DkgMaterialCounts counts = mpc::dkg_testing::Needed();
  PreprocessingRecord record;
  record.id.fill(0x5d);
  record.fhe_parameter = "test";
  record.layout = MakePreprocessingLayout(counts, 2, kChunk);
  std::vector<std::unique_ptr<storage::RamStorage>> vaults;
  std::vector<std::unique_ptr<PreprocessingStore>> stores;
  for (int p = 1; p <= n; ++p) {
    vaults.push_back(std::make_unique<storage::RamStorage>("PRIV"));
    stores.push_back(std::make_unique<PreprocessingStore>(*vaults.back()));
    StoreDealtMaterial(*stores.back(), record, t, static_cast<net::Role>(p));
    ASSERT_FALSE(HasFailure());
  }
  std::printf("[ info ] %llu chunks per party for %llu bits, %llu triples, %llu randoms\n",
              static_cast<unsigned long long>(record.chunks_total()),
              static_cast<unsigned long long>(counts.bits),
              static_cast<unsigned long long>(counts.triples),
              static_cast<unsigned long long>(counts.randoms));

  net::InProcessHub hub(n);
  testing::RunOptions opt;
  opt.n = n;
  opt.t = t;
  opt.sid = 4343;
  opt.mode = net::NetworkMode::kAsync;
  opt.session_timeout = std::chrono::seconds(180);  // bounds the whole DKG; never reached
  auto stored = testing::RunParties<mpc::TfheDkgOutput>(
      hub, opt, [&](mpc::Session& s) -> absl::StatusOr<mpc::TfheDkgOutput> {
        KMS_ASSIGN_OR_RETURN(std::unique_ptr<mpc::DkgMaterialSource> source,
                             stores[s.my_role() - 1]->Open(record.id));
        auto out = mpc::TfheDistributedKeyGen(s, mpc::dkg_testing::Params(), *source, nullptr,
                                              mpc::TfheDkgOptions{});
        EXPECT_EQ(source->remaining(), (mpc::DkgMaterialCounts{0, 0, 0}))
            << "party " << s.my_role() << " left material unused";
        return out;
      });
  mpc::dkg_testing::DkgRun run;
  run.results = std::move(stored);
  const mpc::dkg_testing::PublicBytes from_store = mpc::dkg_testing::ExpectAgreement(run);
  ASSERT_FALSE(HasFailure());

  // The same material handed over directly: the same keyset, byte for byte.
  const mpc::dkg_testing::PublicBytes direct =
      mpc::dkg_testing::ExpectAgreement(mpc::dkg_testing::RunDkg(mpc::dkg_testing::DkgSetup{}));
  EXPECT_TRUE(from_store == direct);
  EXPECT_FALSE(from_store.server_key.empty());
}

}  // namespace
}  // namespace kms::service
